# Imported here so that pytester's in-process runs find the SDK already loaded instead of
# importing it afresh for every inner session (it restores sys.modules after each one).
import anthropic  # noqa: F401

pytest_plugins = ["pytester"]
