"""Settings every example shares, as a project's own conftest.py would hold them."""

import os

# Code that builds its client at import time (``client = anthropic.Anthropic()`` at module level,
# as the seed's retry example does) needs a key before the fake starts; any non-empty value works,
# since nothing reaches the real API.
os.environ.setdefault("ANTHROPIC_API_KEY", "sk-ant-test")
