"""Inner pytest sessions (pytester) configured like a user's project."""

from __future__ import annotations

import pytest

INI = "[pytest]\nasyncio_mode = auto\nasyncio_default_fixture_loop_scope = function\n"


def run_inner(pytester: pytest.Pytester, *args: str, **files: str) -> pytest.RunResult:
    pytester.makeini(INI)
    pytester.makepyfile(**files)
    # pytest-randomly, when installed, would shuffle and reseed the inner run: results must not depend on it.
    return pytester.runpytest("-p", "no:cacheprovider", "-p", "no:randomly", "-q", *args)


USER_HEADER = """
import anthropic
import pytest

REQUEST = dict(model="claude-sonnet-4-6", max_tokens=100, messages=[{"role": "user", "content": "hi"}])


def ask():
    with anthropic.Anthropic() as client:  # closed: a recording run's connection must not outlive the test
        return client.messages.create(**REQUEST)
"""
"""The top of a user's test module: the SDK, a request, and ``ask()`` making one call."""


def run_user_tests(pytester: pytest.Pytester, body: str, *args: str) -> pytest.RunResult:
    """Run ``body`` as ``test_inner.py`` under :data:`USER_HEADER`, in an inner session."""
    return run_inner(pytester, *args, test_inner=USER_HEADER + body)
