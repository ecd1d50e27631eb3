"""What a failing test shows: the user's line, the fake's message and timeline once, no
claude_fakes internals (pytester, inner runs with ``-p no:randomly``)."""

from __future__ import annotations

import pytest

from .inner import USER_HEADER
from .inner import run_user_tests as run


def test_an_unused_step_shows_the_message_not_the_fixture(pytester: pytest.Pytester) -> None:
    result = run(pytester, """
def test_claims_a_529(claude_fake):
    claude_fake.script("overloaded, ok")
""")
    result.assert_outcomes(passed=1, errors=1)
    output = result.stdout.str()
    assert "UnusedStepsError: claude_fakes: scripted steps never used" in output
    assert "fake.verify()" not in output and "def claude_fake(" not in output
    assert "check_unused" not in output


def test_assert_attempts_points_at_the_users_line_with_the_timeline_once(pytester: pytest.Pytester) -> None:
    body = """
def test_counts(claude_fake):
    claude_fake.script("overloaded, ok")
    ask()
    claude_fake.assert_attempts(3)
"""
    result = run(pytester, body, "--tb=short")
    result.assert_outcomes(failed=1)
    output = result.stdout.str()
    # pytester writes the module without its leading blank lines
    line = (USER_HEADER + body).lstrip("\n").splitlines().index("    claude_fake.assert_attempts(3)") + 1
    result.stdout.fnmatch_lines([f"test_inner.py:{line}: in test_counts", "*claude_fake.assert_attempts(3)",
                                 "E   AssertionError: expected 3 attempt(s), the fake saw 2"])
    assert "claude_fakes/core/assertions.py" not in output
    report = output.split("short test summary info")[0]  # under CI=true pytest repeats the message there
    assert report.count("claude_fakes timeline:") == 1


def test_a_mid_stream_drop_shows_the_callers_line_not_the_transport(pytester: pytest.Pytester) -> None:
    result = run(pytester, """
@pytest.mark.claude_fake("drop(after=3)")
def test_streams(claude_fake):
    with anthropic.Anthropic().messages.stream(**REQUEST) as stream:
        stream.get_final_message()
""")
    result.assert_outcomes(failed=1)
    output = result.stdout.str()
    assert "RemoteProtocolError: peer closed connection without sending complete message body" in output
    assert "def _fail" not in output and "claude_fakes/executors/httpx_transport.py" not in output
    report = output.split("short test summary info")[0]
    assert report.count("claude_fakes timeline:") == 1, "the report section carries the timeline"


def test_no_timeline_section_when_nothing_was_requested(pytester: pytest.Pytester) -> None:
    result = run(pytester, """
def test_fails_before_any_call(claude_fake):
    assert 1 == 2
""")
    result.assert_outcomes(failed=1)
    assert "claude_fakes timeline" not in result.stdout.str()
