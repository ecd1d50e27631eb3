"""Exploring fault schedules (claude_fakes.explore, the claude_explore marker, strategies) on the
installed SDK: every schedule run, failures shrunk to the smallest, reports that reproduce."""

from __future__ import annotations

import ast
import contextlib
import importlib
import re
from collections.abc import Callable, Iterator
from pathlib import Path
from typing import Any

import anthropic
import hypothesis
import pytest

import claude_fakes
from claude_fakes import ClaudeFake, strategies
from claude_fakes.explore import Space, explore
from claude_fakes.script import ScriptError, parse_turns

from .agent import WEATHER_TOOL, run_loop, tool_result
from .inner import INI, USER_HEADER, run_user_tests
from .reproduce import run_alone
from .sdk import HTTP, MODEL, REQUEST

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
    # Attempt 2 is reached only after a 529 (the one fault the SDK retries): after ok, a drop or a
    # truncation, the 4 schedules that differ only there are one run.
    assert (report.runs, report.equivalent, report.space.size) == (7, 9, 16) and report.exhaustive
    assert report.minimal is not None and "truncate" in report.minimal and "drop" not in report.minimal
    assert report.minimal == "truncate(after=1)"
    assert report.reproducer == '@pytest.mark.claude_fake("truncate(after=1)")'
    parse_turns(report.minimal)
    text = str(report)
    assert "7 schedule(s) run (every schedule of 16; 9 more equivalent to one run on what it reached), 2 failed" in text
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
    assert (report.runs + report.equivalent, report.failures, report.minimal) == (216, [], None)
    assert report.passed and sum(report.outcomes.values()) == report.runs == 156


def test_an_app_explored_reports_runs_worst_case_and_outcomes() -> None:
    report = ClaudeFake().explore(lambda: CLIENT.messages.create(**REQUEST),
                                  faults=["overloaded", "hang", "api_error"], attempts=3)
    assert (report.runs, report.equivalent) == (40, 24), "after ok on attempt 1 or 2, what follows is never reached"
    assert report.worst_case >= 1800, "hang*3 at 600 s each"
    assert sum(report.outcomes.values()) == 40
    assert report.outcomes["ok"] == 13 and report.outcomes["APITimeoutError"] == 9
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
    # The first 529 is final (should_retry=false) and nothing retries a truncation: each fault is met
    # at attempt 1, but no schedule reaches attempt 2, which the space claims to explore.
    assert report.unreached == [] and report.unreached_slots == ["attempt 2"]
    assert "attempts no schedule reached (the code stops before them, or the space is mis-specified): attempt 2" in (
        str(report))
    never = ClaudeFake().explore(lambda: None, faults=["overloaded"], attempts=1)
    assert never.unreached == ["overloaded"] and never.unreached_slots == ["attempt 1"] and not never.passed
    assert "faults no schedule's attempts ever met" in str(never)
    allowed = ClaudeFake().explore(lambda: None, faults=["overloaded"], attempts=1, allow_unreached=True)
    assert allowed.passed and allowed.unreached == ["overloaded"], "reported, and allowed"
    assert "faults no schedule's attempts ever met (allowed)" in str(allowed)


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
    assert (report.runs, report.equivalent) == (5, 4)
    assert report.minimal == "overloaded"
    # ok first: the model answers and there is no turn 2 (so the three choices for it are one run); a
    # 529 (not retried) ends the loop too; tool_use then each of the three.
    assert report.outcomes == {"ok": 3, "OverloadedError": 2}


def test_a_large_space_is_sampled_from_the_seed() -> None:
    report = ClaudeFake().explore(lambda: None, faults=["overloaded", "api_error", "hang"], attempts=8, limit=100)
    # The body makes no call: every draw is the same run as the first.
    assert (report.runs, report.equivalent, report.exhaustive) == (1, 99, False)
    assert report.unreached == report.unreached_slots == [], "only a whole space shows a fault is never met"


LOOP_BASE = "tool_use(name=get_weather); tool_use(name=get_weather); ok(text=Sunny in Paris and Rome.)"


def streamed_loop(retry_broken_streams: bool = True) -> Any:
    """A three-turn tool loop that streams each turn (and, unless told not to, starts again a turn whose
    stream broke, as the SDK never does)."""
    messages: list[dict[str, Any]] = [{"role": "user", "content": "Weather in Paris and Rome?"}]
    for _ in range(6):
        for _ in range(3 if retry_broken_streams else 1):
            try:
                with CLIENT.messages.stream(model=MODEL, max_tokens=1024, tools=[WEATHER_TOOL],  # type: ignore[list-item]
                                            messages=messages) as stream:  # type: ignore[arg-type]
                    message = stream.get_final_message()
                break
            except (anthropic.APIConnectionError, HTTP.TransportError):
                if not retry_broken_streams:
                    raise
        if message.stop_reason != "tool_use":
            return message
        messages += [{"role": "assistant", "content": [block.model_dump() for block in message.content]},
                     tool_result(message)]
    raise AssertionError("the model kept calling tools")


def test_over_a_base_a_fault_on_turn_one_does_not_end_the_loop() -> None:
    def answers() -> None:
        assert streamed_loop().content[0].text == "Sunny in Paris and Rome."

    report = ClaudeFake().explore(answers, faults=["overloaded", "drop(after=*)"], turns=2, base=LOOP_BASE)
    # This tool call's stream has 8 events (its input comes in 3 pieces): drop(after=0) to drop(after=8),
    # counted by a run of the base before any schedule.
    assert report.space.events == (8, 8) and report.space.size == 11 * 11
    assert (report.runs, report.equivalent, report.unreached_slots, report.unreached) == (121, 0, [], [])
    assert report.passed and report.outcomes == {"ok": 121}
    without = ClaudeFake().explore(answers, faults=["overloaded", "drop(after=3)"], turns=2, allow_unreached=True)
    assert without.unreached_slots == ["turn 2"], "without a base, turn 1 answers with text: the loop ends there"


def test_a_loop_that_lets_a_broken_stream_escape_fails_alone_as_it_did_explored(pytester: pytest.Pytester) -> None:
    def answers_or_fails() -> None:
        try:
            message = streamed_loop(retry_broken_streams=False)
        except anthropic.APIError:
            return
        assert message.stop_reason == "end_turn", f"a partial answer after {len(message.content)} blocks"

    report = ClaudeFake().explore(answers_or_fails, faults=["drop(after=*)", "truncate(after=2..4)"], turns=3,
                                  base=LOOP_BASE)
    # A cut on turn 1 or 2 escapes there already; the first schedule found has it on turn 3, and
    # shrinking keeps the turn. The truncation shrinks past the range explored, to one event.
    escaped, partial = report.distinct
    assert escaped.raised.kind == HTTP.RemoteProtocolError.__name__ and escaped.faults == "turn 3: drop(after=0)"
    assert partial.raised.kind == "AssertionError" and partial.faults == "turn 3: truncate(after=1)"
    assert partial.script == ('tool_use(name=get_weather); tool_use(name=get_weather); truncate(after=1, '
                              'text="Sunny in Paris and Rome."), ok(text="Sunny in Paris and Rome.")')
    assert report.runs < 50 and report.space.size == 2535, "a cut on turn 1 ends the run: the rest are equivalent"
    assert escaped.minimal_run.timeline != partial.minimal_run.timeline, "each failure has its own timeline"
    for failure in report.distinct:
        assert failure.reproducer is not None
        assert run_alone(pytester, failure.reproducer, answers_or_fails) == [failure.raised], failure.reproducer


EXAMPLES = Path(__file__).parent.parent / "examples"


def cookbook_explorations() -> list[tuple[str, str]]:
    """Each cookbook test that explores with ``ClaudeFake.explore`` (and prints what it found)."""
    found = []
    for path in sorted(EXAMPLES.glob("test_*.py")):
        for node in ast.parse(path.read_text()).body:
            if (isinstance(node, ast.FunctionDef) and node.name.startswith("test_") and not node.args.args
                    and ".explore(" in ast.unparse(node)):
                found.append((path.stem, node.name))
    return found


@pytest.mark.parametrize(("module", "name"), cookbook_explorations(), ids=lambda part: part.removeprefix("test_"))
def test_every_reproducer_the_cookbook_prints_fails_alone_the_same_way(
        module: str, name: str, pytester: pytest.Pytester, monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.syspath_prepend(str(EXAMPLES))  # as pytest imports the cookbook
    monkeypatch.setenv("ANTHROPIC_API_KEY", "sk-ant-test")  # as examples/conftest.py sets it
    cookbook = importlib.import_module(module)
    explored: list[tuple[Any, Callable[[], object]]] = []
    original = ClaudeFake.explore

    def recorded(fake: ClaudeFake, fn: Callable[[], object], **options: Any) -> Any:
        report = original(fake, fn, **options)
        explored.append((report, fn))
        return report

    monkeypatch.setattr(ClaudeFake, "explore", recorded)
    getattr(cookbook, name)()
    monkeypatch.setattr(ClaudeFake, "explore", original)
    reproducers = [(failure, fn) for report, fn in explored for failure in report.distinct]
    assert reproducers, f"{module}.{name} explores and prints no failure"
    for failure, fn in reproducers:
        assert failure.reproducer is not None
        assert run_alone(pytester, failure.reproducer, fn) == [failure.raised], failure.reproducer


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
        "*claude_fakes explore: 7 schedule(s) run (every schedule of 16; 9 more equivalent*), 2 failed*",
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
        "*claude_fakes explore: 7 schedule(s) run (every schedule of 16, shard 1 of 2; 1 more equivalent*), 0 failed*",
        "*claude_fakes explore: 7 schedule(s) run (every schedule of 16, shard 2 of 2; 1 more equivalent*), 0 failed*",
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
                                 "test_inner.py::test_async: claude_fakes explore: 7 schedule(s) run*outcomes: ok 7"])


def test_the_marker_refuses_bad_options_at_collection(pytester: pytest.Pytester) -> None:
    result = run_user_tests(pytester, """
@pytest.mark.claude_explore(faults=["overloaded"], attempt=2)
def test_it(claude_fake):
    pass
""")
    result.stdout.fnmatch_lines(["*::test_it: claude_explore: has no option attempt; it takes faults, attempts*"])
    assert result.ret != 0


def test_the_marker_and_a_marker_script_do_not_mix(pytester: pytest.Pytester) -> None:
    result = run_user_tests(pytester, """
@pytest.mark.claude_fake("overloaded")
@pytest.mark.claude_explore(faults=["overloaded"], attempts=1)
def test_it(claude_fake):
    pass
""")
    result.stdout.fnmatch_lines(["*claude_explore gives each run its script*"])


def test_the_marker_explores_over_a_base_and_may_allow_what_no_run_reached(pytester: pytest.Pytester) -> None:
    result = run_user_tests(pytester, """
@pytest.mark.claude_explore(faults=["overloaded", "drop(after=1..2)"], turns=3, base="tool_use(name=get_weather)")
def test_strict(claude_fake):
    ask()

@pytest.mark.claude_explore(faults=["overloaded"], turns=3, base="tool_use(name=get_weather)", allow_unreached=True)
def test_allowed(claude_fake):
    ask()
""", "-rP")
    result.assert_outcomes(passed=1, failed=1)
    result.stdout.fnmatch_lines([
        "*claude_fakes explore: 4 schedule(s) run (every schedule of 64; 60 more equivalent*",
        "base: tool_use(name=get_weather)",
        "turns no schedule reached (the code stops before them, or the space is mis-specified): turn 2, turn 3",
        "*_ test_allowed _*",
        "*claude_fakes explore: 2 schedule(s) run*; not reached (allowed): turn 2, turn 3",
    ])


def test_progress_reaches_the_terminal_and_a_passing_schedules_output_is_dropped(
        pytester: pytest.Pytester, monkeypatch: pytest.MonkeyPatch) -> None:
    pytester.makeini(INI)
    pytester.makeconftest("""
import pytest

@pytest.hookimpl(trylast=True)
def pytest_configure(config):
    config.pluginmanager.get_plugin("terminalreporter").isatty = lambda: True  # as on a terminal
""")
    pytester.makepyfile(test_inner=USER_HEADER + """
import logging

@pytest.mark.claude_explore(faults=["overloaded", "api_error"], attempts=9, samples=2_000, allow_unreached=True)
def test_large(claude_fake):
    pass

@pytest.mark.claude_explore(faults=["overloaded"], attempts=1)
def test_noisy(claude_fake):
    print("PRINTED by a schedule")
    logging.getLogger("app").warning("LOGGED by a schedule")
    anthropic.Anthropic(max_retries=0).messages.create(**REQUEST)
""")
    # In a process of its own: the test's output goes through pytest's capture of file descriptors,
    # which progress must get past to reach the terminal.
    monkeypatch.setenv("PYTHONPATH", str(Path(claude_fakes.__file__).parent.parent))  # this checkout's package
    result = pytester.runpytest_subprocess("-p", "no:cacheprovider", "-p", "no:randomly", "-q")
    result.assert_outcomes(passed=1, failed=1)
    text = result.stdout.str()
    assert " [explored 0/2000]" in text and " [explored 1900/2000]" in text, "shown before running, and as it goes"
    assert " [explored 2000/2000]" not in text, "cleared at the end"
    # Four runs printed and logged (ok, the 529, the 529 shrunk to ok, the 529 again for its timeline):
    # only the failure's last run is shown, in a section of its own.
    assert text.count("PRINTED by a schedule") == 1 and text.count("LOGGED by a schedule") == 1
    result.stdout.fnmatch_lines(["*Captured output of failure 1 (attempt 1: overloaded) call*", "PRINTED by a schedule",
                                 "*LOGGED by a schedule*"])
    assert "Captured stdout call" not in text and "Captured log call" not in text


def test_the_hypothesis_strategy_takes_a_base_and_a_range_of_cut_points() -> None:
    drawn: set[str] = set()

    @hypothesis.settings(max_examples=60, deadline=None, database=None, derandomize=True)
    @hypothesis.given(script=strategies.scripts(faults=["overloaded", "truncate(after=1..2)"], turns=2,
                                                base="tool_use(name=get_weather); ok(text=Done.)"))
    def draw(script: str) -> None:
        parse_turns(script)
        drawn.add(script)

    draw()
    assert "tool_use(name=get_weather); truncate(after=2, text=Done.), ok(text=Done.)" in drawn
    assert "overloaded, tool_use(name=get_weather); ok(text=Done.)" in drawn
    with pytest.raises(ScriptError, match=re.escape("drop(after=*) ends where the reply does")):
        strategies.scripts(faults=["drop(after=*)"], attempts=1)


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


def test_a_large_exploration_shows_its_count_in_place_through_the_capture() -> None:
    from claude_fakes.plugin.exploration import _progress

    written: list[str] = []
    happened: list[str] = []

    class Terminal:
        isatty = True

        def write(self, text: str, flush: bool = False) -> None:
            written.append(text)
            happened.append("write")

    class Capture:
        @contextlib.contextmanager
        def global_and_fixture_disabled(self) -> Iterator[None]:
            happened.append("suspend")
            yield
            happened.append("resume")

    plugins = {"terminalreporter": Terminal(), "capturemanager": Capture()}
    manager = type("Plugins", (), {"get_plugin": staticmethod(plugins.get)})()
    config: Any = type("Config", (), {"pluginmanager": manager})()
    progress = _progress(config)
    assert progress is not None
    for done in range(2049):
        progress(done, 2048)
    assert len(written) == 22, "before the first schedule, every 100, and once to clear"
    assert happened[:3] == ["suspend", "write", "resume"], "written past pytest's capture"
    assert "\n" not in "".join(written) and written[0].startswith(" [explored 0/2048]")
    assert written[-1].strip("\b ") == "", "the count is cleared at the end"
    written.clear()
    for done in range(501):
        progress(done, 500)
    assert written == [], "a small exploration shows no count"
