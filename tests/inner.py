"""Inner pytest sessions (pytester) configured like a user's project."""

from __future__ import annotations

import pytest

INI = "[pytest]\nasyncio_mode = auto\nasyncio_default_fixture_loop_scope = function\n"


def run_inner(pytester: pytest.Pytester, *args: str, **files: str) -> pytest.RunResult:
    pytester.makeini(INI)
    pytester.makepyfile(**files)
    # pytest-randomly, when installed, would shuffle and reseed the inner run: results must not depend on it.
    return pytester.runpytest("-p", "no:cacheprovider", "-p", "no:randomly", "-q", *args)
