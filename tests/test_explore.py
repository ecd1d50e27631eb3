"""Exploring fault schedules (claude_fakes.explore, the claude_explore marker, strategies) on the
installed SDK: every schedule run, failures shrunk to the smallest, reports that reproduce."""

from __future__ import annotations

import re
from typing import Any

import anthropic
import hypothesis
import pytest

from claude_fakes import ClaudeFake, strategies
from claude_fakes.explore import Space, explore
from claude_fakes.script import ScriptError, parse_turns

from .agent import run_loop
from .inner import run_user_tests
from .sdk import HTTP, REQUEST

CLIENT = anthropic.Anthropic(api_key="sk-ant-test")
"""Built once: a client costs ~25 ms of TLS set-up, which an exploration would repeat per schedule."""


def streamed_text() -> Any:
    """A helper that returns whatever the stream gave: no check that it ended."""
    with CLIENT.messages.stream(**REQUEST) as stream:
        return stream.get_final_message()


def answers_or_fails_loudly(helper: Any) -> None:
    try:
        message = helper()
    except (anthropic.APIError, HTTP.TransportError):
        return
    assert message.stop_reason == "end_turn", f"silent data loss: stop_reason={message.stop_reason}"


def careful() -> Any:
    """Retries a stream that broke or ended early, a bounded number of times."""
    for _ in range(4):
        try:
            message = streamed_text()
        except (anthropic.APIStatusError, anthropic.APIConnectionError, HTTP.TransportError):
            continue
        if message.stop_reason is not None:
            return message
    raise anthropic.APIConnectionError(request=HTTP.Request("POST", "https://api.anthropic.com/v1/messages"))


def test_the_naive_helper_fails_and_shrinks_to_a_truncation() -> None:
    report = ClaudeFake().explore(lambda: answers_or_fails_loudly(streamed_text),
                                  faults=["overloaded", "drop(after=2)", "truncate(after=3)"], attempts=2)
    assert report.runs == 16 and report.exhaustive
    assert report.minimal is not None and "truncate" in report.minimal and "drop" not in report.minimal
    assert report.minimal == "truncate(after=1)"
    assert report.reproducer == '@pytest.mark.claude_fake("truncate(after=1)")'
    parse_turns(report.minimal)
    text = str(report)
    assert "16 schedule(s) run (every schedule of 16), 5 failed" in text
    assert "what failed: AssertionError: silent data loss: stop_reason=None" in text
    assert "truncate(after=1) => 200 complete after 1 events" in text, "the minimal run's timeline"


def test_the_reproducer_pasted_into_a_test_fails_the_same_way(pytester: pytest.Pytester) -> None:
    report = ClaudeFake().explore(lambda: answers_or_fails_loudly(streamed_text),
                                  faults=["overloaded", "drop(after=2)", "truncate(after=3)"], attempts=2)
    result = run_user_tests(pytester, f"""
{report.reproducer}
def test_reproduced(claude_fake):
    with anthropic.Anthropic().messages.stream(**REQUEST) as stream:
        message = stream.get_final_message()
    assert message.stop_reason == "end_turn", f"silent data loss: stop_reason={{message.stop_reason}}"
""")
    result.assert_outcomes(failed=1)
    result.stdout.fnmatch_lines(["*AssertionError: silent data loss: stop_reason=None*"])


def test_a_careful_helper_passes_every_schedule_of_five_faults_over_three_attempts() -> None:
    report = ClaudeFake().explore(
        lambda: answers_or_fails_loudly(careful),
        faults=["overloaded", "api_error", "drop(after=2)", "truncate(after=3)", "stall(after=2, seconds=700)"],
        attempts=3)
    assert (report.runs, report.failures, report.minimal) == (216, [], None)
    assert report.passed and sum(report.outcomes.values()) == 216


def test_an_app_explored_reports_runs_worst_case_and_outcomes() -> None:
    report = ClaudeFake().explore(lambda: CLIENT.messages.create(**REQUEST),
                                  faults=["overloaded", "hang", "api_error"], attempts=3)
    assert report.runs == 64
    assert report.worst_case >= 1800, "hang*3 at 600 s each"
    assert sum(report.outcomes.values()) == 64
    assert report.outcomes["ok"] == 37 and report.outcomes["APITimeoutError"] == 9
    assert report.minimal == "overloaded, overloaded, overloaded"


def test_explorations_are_deterministic() -> None:
    def explored() -> str:
        report = ClaudeFake(seed=3).explore(lambda: CLIENT.messages.create(**REQUEST),
                                            faults=["overloaded", "rate_limited(retry_after=2)", "hang"], attempts=3)
        return str(report)

    assert explored() == explored()


def test_shards_are_disjoint_and_cover_the_space() -> None:
    client = anthropic.Anthropic(api_key="k", max_retries=0)
    space = Space.of(["overloaded", "api_error"], attempts=3)
    shards: list[set[tuple[str, ...]]] = []
    for number in (1, 2, 3):
        seen: set[tuple[str, ...]] = set()
        with ClaudeFake() as fake:

            def three_calls(fake: ClaudeFake = fake, seen: set[tuple[str, ...]] = seen) -> None:
                for _ in range(3):
                    try:
                        client.messages.create(**REQUEST)
                    except anthropic.APIStatusError:
                        pass
                seen.add(tuple(str(exchange.step) for exchange in fake.journal))

            report = explore(fake, three_calls, space, shard=(number, 3))
        assert (report.runs, report.shard) == (9, (number, 3))
        shards.append(seen)
    assert not (shards[0] & shards[1] or shards[1] & shards[2] or shards[0] & shards[2])
    assert len(shards[0] | shards[1] | shards[2]) == 27


def test_a_fault_no_schedule_meets_is_reported() -> None:
    report = ClaudeFake().explore(lambda: CLIENT.messages.create(**REQUEST, timeout=60),
                                  faults=["overloaded(should_retry=false)", "truncate(after=2)"], attempts=2)
    # The first 529 is final (should_retry=false): the second attempt never happens, but each
    # fault is met at attempt 1, so the space is fine; a fault the code never meets is not.
    assert report.unreached == []
    never = ClaudeFake().explore(lambda: None, faults=["overloaded"], attempts=1)
    assert never.unreached == ["overloaded"] and not never.passed
    assert "faults no schedule's attempts ever met" in str(never)


def test_a_call_that_would_hang_forever_fails_its_schedule() -> None:
    client = anthropic.Anthropic(api_key="k", timeout=None, max_retries=0)

    def swallowing() -> None:
        try:
            client.messages.create(**REQUEST)
        except BaseException:  # even a catch-all cannot hide the hang from the report
            return

    report = ClaudeFake().explore(swallowing, faults=["hang"], attempts=1)
    assert report.outcomes == {"ok": 1, "WouldHangForever": 1}
    assert report.minimal == "hang"


def test_turns_put_a_fault_on_the_first_attempt_of_each_turn() -> None:
    report = ClaudeFake().explore(lambda: run_loop("sync", {"max_retries": 0}),
                                  faults=["overloaded", "tool_use(name=get_weather)"], turns=2)
    assert report.runs == 9
    assert report.minimal == "overloaded"
    # ok first: the model answers and there is no turn 2; tool_use then tool_use: turn 3 gets ok.
    assert report.outcomes["ok"] == 5


def test_a_large_space_is_sampled_from_the_seed() -> None:
    report = ClaudeFake().explore(lambda: None, faults=["overloaded", "api_error", "hang"], attempts=8, limit=100)
    assert (report.runs, report.exhaustive) == (100, False)
    assert report.unreached == [], "only a whole space shows a fault is never met"


@pytest.mark.parametrize(("options", "message"), [
    ({"faults": ["overloaded"]}, "attempts=N or turns=N"),
    ({"faults": ["overloaded"], "attempts": 2, "turns": 2}, "attempts=N or turns=N"),
    ({"faults": [], "attempts": 2}, "a list of faults"),
    ({"faults": ["overloaded*2"], "attempts": 2}, "one step for one attempt"),
    ({"faults": ["overlaoded"], "attempts": 2}, "unknown action 'overlaoded'"),
    ({"faults": ["chaos(overloaded=0.5)"], "attempts": 2}, "chaos draws at random"),
])
def test_a_bad_space_says_what_is_wrong(options: dict[str, Any], message: str) -> None:
    with pytest.raises(ScriptError, match=re.escape(message)):
        Space.of(options.pop("faults"), **options)


def test_the_marker_fails_with_the_minimal_script_and_the_reproducer(pytester: pytest.Pytester) -> None:
    result = run_user_tests(pytester, """
import httpx2 as httpx

@pytest.mark.claude_explore(faults=["overloaded", "drop(after=2)", "truncate(after=3)"], attempts=2)
def test_answers_or_fails_loudly(claude_fake):
    try:
        with anthropic.Anthropic().messages.stream(**REQUEST) as stream:
            message = stream.get_final_message()
    except (anthropic.APIError, httpx.TransportError):
        return
    assert message.stop_reason == "end_turn"
""".replace("httpx2 as httpx", "httpx2 as httpx" if HTTP.__name__ == "httpx2" else "httpx"))
    result.assert_outcomes(failed=1)
    result.stdout.fnmatch_lines([
        "*claude_fakes explore: 16 schedule(s) run (every schedule of 16), 5 failed*",
        "minimal failing schedule: truncate(after=1)",
        'reproduce it with: @pytest.mark.claude_fake("truncate(after=1)")',
        "*truncate(after=1) => 200 complete after 1 events*",
    ])


def test_the_marker_passes_a_careful_body_and_shards_split_the_space(pytester: pytest.Pytester) -> None:
    result = run_user_tests(pytester, """
@pytest.mark.claude_explore(faults=["overloaded", "api_error", "refuse"], attempts=2, shards=2)
def test_careful(claude_fake):
    try:
        ask()
    except anthropic.APIError:
        pass
""", "-rP")
    result.assert_outcomes(passed=2)
    result.stdout.fnmatch_lines([
        "*_ test_careful?shard-1-of-2? _*",
        "*claude_fakes explore: 8 schedule(s) run (every schedule of 16, shard 1 of 2), 0 failed*",
        "*claude_fakes explore: 8 schedule(s) run (every schedule of 16, shard 2 of 2), 0 failed*",
    ])


def test_an_async_body_is_explored_too_and_v_shows_the_summary(pytester: pytest.Pytester) -> None:
    result = run_user_tests(pytester, """
@pytest.mark.claude_explore(faults=["overloaded", "api_error"], attempts=2)
async def test_async(claude_fake):
    try:
        await anthropic.AsyncAnthropic().messages.create(**REQUEST)
    except anthropic.APIError:
        pass
""", "-vv")  # run_user_tests passes -q: -vv makes it -v
    result.assert_outcomes(passed=1)
    result.stdout.fnmatch_lines(["*- claude_fakes explore -*",
                                 "test_inner.py::test_async: claude_fakes explore: 9 schedule(s) run*outcomes: ok 9"])


def test_the_marker_refuses_bad_options_at_collection(pytester: pytest.Pytester) -> None:
    result = run_user_tests(pytester, """
@pytest.mark.claude_explore(faults=["overloaded"], attempt=2)
def test_it(claude_fake):
    pass
""")
    result.stdout.fnmatch_lines(["*claude_explore: claude_explore has no option attempt; it takes faults, attempts*"])
    assert result.ret != 0


def test_the_marker_and_a_marker_script_do_not_mix(pytester: pytest.Pytester) -> None:
    result = run_user_tests(pytester, """
@pytest.mark.claude_fake("overloaded")
@pytest.mark.claude_explore(faults=["overloaded"], attempts=1)
def test_it(claude_fake):
    pass
""")
    result.stdout.fnmatch_lines(["*claude_explore gives each run its script*"])


@hypothesis.settings(max_examples=40, deadline=None, database=None, derandomize=True)
@hypothesis.given(script=strategies.scripts(faults=["overloaded", "truncate(after=2)", "hang"], attempts=3))
def test_the_hypothesis_strategy_gives_scripts_the_fake_runs(script: str) -> None:
    parse_turns(script)
    with ClaudeFake(script, strict=False):
        answers_or_fails_loudly(careful)


def test_the_hypothesis_strategy_shrinks_towards_ok() -> None:
    failing: list[str] = []

    @hypothesis.settings(max_examples=200, deadline=None, database=None, derandomize=True,
                         suppress_health_check=list(hypothesis.HealthCheck))
    @hypothesis.given(script=strategies.scripts(faults=["overloaded", "drop(after=2)", "truncate(after=3)"],
                                                attempts=3))
    def naive(script: str) -> None:
        with ClaudeFake(script, strict=False):
            try:
                answers_or_fails_loudly(streamed_text)
            except AssertionError:
                failing.append(script)
                raise

    with pytest.raises(AssertionError):
        naive()
    assert failing[-1] == "truncate(after=3)", "the last example Hypothesis tries is its shrunk one"


def test_a_large_exploration_shows_its_count_in_place_on_a_terminal() -> None:
    from claude_fakes.plugin.exploration import _progress

    written: list[str] = []

    class Terminal:
        isatty = True

        def write(self, text: str, flush: bool = False) -> None:
            written.append(text)

    config: Any = type("Config", (), {"pluginmanager": type("Plugins", (), {
        "get_plugin": staticmethod(lambda name: Terminal())})()})()
    progress = _progress(config, Space.of(["overloaded"], attempts=11), {"samples": None, "limit": 10_000})
    assert progress is not None
    for done in range(1, 2049):
        progress(done, 2048)
    assert len(written) == 21, "every 100 schedules, and once to clear"
    assert "\n" not in "".join(written) and written[0].startswith(" [explored 100/2048]")
    assert written[-1].strip("\b ") == "", "the count is cleared at the end"
    assert _progress(config, Space.of(["overloaded"], attempts=3), {"samples": None, "limit": 10_000}) is None
