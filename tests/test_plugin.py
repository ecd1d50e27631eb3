"""The pytest plugin, run in inner pytest sessions (pytester)."""

from __future__ import annotations

import pytest

from .inner import run_inner

INNER_HEADER = """
import anthropic
import pytest

REQUEST = dict(model="claude-sonnet-4-6", max_tokens=100, messages=[{"role": "user", "content": "hi"}])
"""


def run(pytester: pytest.Pytester, body: str) -> pytest.RunResult:
    return run_inner(pytester, test_inner=INNER_HEADER + body)


def test_the_fixture_is_registered_by_the_entry_point(pytester: pytest.Pytester) -> None:
    result = run(pytester, """
def test_it(claude_fake):
    claude_fake.script("overloaded, ok")
    anthropic.Anthropic().messages.create(**REQUEST)
    assert claude_fake.attempts == 2
""")
    result.assert_outcomes(passed=1)


def test_an_unused_step_fails_the_test_at_teardown_naming_it(pytester: pytest.Pytester) -> None:
    result = run(pytester, """
def test_claims_to_cover_a_529(claude_fake):
    claude_fake.script("ok, overloaded")
    anthropic.Anthropic().messages.create(**REQUEST)
""")
    result.assert_outcomes(passed=1, errors=1)
    result.stdout.fnmatch_lines([
        "*ERROR at teardown of test_claims_to_cover_a_529*",
        "*scripted steps never used*",
        "*overloaded (step 2 of script 1, used 0 of 1)*",
    ])


def test_strict_opt_out(pytester: pytest.Pytester) -> None:
    result = run(pytester, """
def test_it(claude_fake):
    claude_fake.strict = False
    claude_fake.script("overloaded*10")
""")
    result.assert_outcomes(passed=1)


def test_a_failing_test_shows_its_own_failure_only(pytester: pytest.Pytester) -> None:
    result = run(pytester, """
def test_it(claude_fake):
    claude_fake.script("overloaded*10")
    assert 1 == 2
""")
    result.assert_outcomes(failed=1)


def test_a_swallowed_forever_hang_still_fails_the_test(pytester: pytest.Pytester) -> None:
    result = run(pytester, """
def test_it(claude_fake):
    claude_fake.script("hang")
    try:
        anthropic.Anthropic(timeout=None).messages.create(**REQUEST)
    except BaseException:
        pass
""")
    result.assert_outcomes(passed=1, errors=1)
    result.stdout.fnmatch_lines(["*would hang forever*"])


def test_the_fixture_is_active_for_async_tests(pytester: pytest.Pytester) -> None:
    result = run(pytester, """
async def test_it(claude_fake):
    claude_fake.script("hang, ok")
    await anthropic.AsyncAnthropic().messages.create(**REQUEST)
    assert claude_fake.clock.elapsed > 600
""")
    result.assert_outcomes(passed=1)
