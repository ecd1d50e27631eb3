from __future__ import annotations

import contextlib
import importlib
from collections.abc import Iterator
from contextlib import ExitStack

# Imported here so that pytester's in-process runs find the SDK already loaded instead of
# importing it afresh for every inner session (it restores sys.modules after each one).
import anthropic  # noqa: F401
import pytest

from claude_fakes.activation.tls import share_default_contexts

# httpx and httpx2 import their httpcore on a transport's first real connection, and map its errors
# through a table filled then: an inner session that made the first one (a recording) would leave
# that table holding the classes of a copy it dropped, and every later transport error unmapped.
for _core in ("httpcore", "httpcore2"):
    with contextlib.suppress(ImportError):
        importlib.import_module(_core)

pytest_plugins = ["pytester"]


@pytest.fixture(scope="session", autouse=True)
def _shared_tls_contexts() -> Iterator[None]:
    """Clients built with no fake active share TLS contexts too, as they do under one.

    Two hundred-odd clients here are built outside any in-process fake (against a FakeServer on
    127.0.0.1, or before a fake starts), each paying 20-40 ms for a CA bundle that no test uses:
    none of them speaks TLS (12 % of the suite's CPU time). ``tests/activation/test_tls.py`` takes
    this away to see the libraries' own functions outside a fake."""
    with ExitStack() as stack:
        share_default_contexts(stack)
        yield
