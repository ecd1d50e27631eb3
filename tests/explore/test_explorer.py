"""explore/explorer.py without HTTP: spaces, bases and cut points, composed scripts, failure identity,
equivalent schedules, honest coverage, and findings attributed to the run that showed them.

The fake here is :class:`Scripted`, an :class:`~claude_fakes.explore.Explorable` whose attempts are
calls of :meth:`Scripted.attempt`: it serves a script's steps as the engine does, and journals them.
tests/test_explore.py runs the same machinery against the SDK.
"""

from __future__ import annotations

import re
from typing import Any

import pytest

from claude_fakes.core.clock import Clock
from claude_fakes.core.journal import Exchange, Outcome
from claude_fakes.core.script import StepLike, parse_turns, to_steps
from claude_fakes.core.step import OK, ScriptError, Step
from claude_fakes.explore.explorer import (
    PROBE_AFTER,
    UNSEEN_EVENTS,
    Cut,
    Space,
    _same_script,
    explore,
    raised_at,
    render,
    show_script,
)

REPLY_EVENTS = 6
"""How many events every reply of :class:`Scripted` has."""


class Scripted:
    """Attempts without HTTP: :meth:`attempt` takes the next step (per attempt, or of a turn) and journals it."""

    strict = True

    def __init__(self) -> None:
        self._clock = Clock()
        self.reset()

    @property
    def clock(self) -> Clock:
        return self._clock

    def reset(self) -> None:
        self._queues: list[list[Step]] = [[]]
        self._journal: list[Exchange] = []

    def script(self, *items: StepLike) -> Scripted:
        self._queues = [[step for item in items for step in to_steps((item,))]]
        return self

    def turns(self, *scripts: Any) -> Scripted:
        self._queues = [list(turn) for turn in scripts]
        return self

    def attempt(self, turn: int = 1) -> Step:
        queue = self._queues[turn - 1] if turn <= len(self._queues) else []
        step = queue[0] if queue else None
        if step is not None:
            if step.count == 1:
                queue.pop(0)
            else:
                queue[0] = Step(step.action, step.args, step.count - 1, step.reply)
        served = step or OK
        after = served["after"] if served.fault.param("after") is not None else None
        events = REPLY_EVENTS if after is None else min(after, REPLY_EVENTS)
        self._journal.append(Exchange(
            attempt=len(self._journal) + 1, retry_count=None, method="POST", path="/v1/messages", headers={},
            json={"messages": [{"role": "user", "content": f"turn {turn}"}]}, timeout={"read": 60.0}, step=step,
            start=0.0, end=0.0, status=200 if served.fault.takes_reply else 529, outcome=Outcome.COMPLETE,
            events=events, stream=True, turn=turn))
        return served

    @property
    def journal(self) -> list[Exchange]:
        return list(self._journal)

    @property
    def findings(self) -> list[str]:
        return []

    def timeline(self) -> str:
        return " | ".join(str(exchange.step or OK) for exchange in self._journal)


def steps(text: str) -> tuple[Step, ...]:
    return tuple(step for turn in parse_turns(text) for step in turn)


# -- spaces, bases and cut points -----------------------------------------------------------------


def test_a_cut_point_is_a_dimension_bounded_by_the_replys_events() -> None:
    space = Space.of(["overloaded", "drop(after=*)", "truncate(after=1..6)", "malformed(after=2..3)"], turns=3)
    assert [str(choice) for choice in space.choices] == [
        "ok", "overloaded", "drop(after=*)", "truncate(after=1..6)", "malformed(after=2..3)"]
    assert isinstance(space.choices[2], Cut) and space.cuts
    # Before a run shows the replies: drop to UNSEEN_EVENTS, truncate over its range.
    assert len(space.options[0]) == 2 + (UNSEEN_EVENTS + 1) + 6 + 2
    bounded = space.bounded([7, 4, None])
    drops = [str(step) for step in bounded.options[0] if step.action == "drop"]
    assert drops == [f"drop(after={after})" for after in range(8)], "0 to 7: a drop after message_stop still cuts"
    truncations = [step["after"] for step in bounded.options[1] if step.action == "truncate"]
    assert truncations == [1, 2, 3], "truncate(after=4) of a 4-event reply is the whole reply"
    assert [step["after"] for step in bounded.options[1] if step.action == "malformed"] == [2, 3]
    assert bounded.options[2] == bounded.options[0], "a turn no run reached: as the longest reply seen"
    assert bounded.size == len(bounded.options[0]) ** 2 * len(bounded.options[1])


def test_a_cut_point_given_both_ways_is_one_choice() -> None:
    space = Space.of(["drop(after=2)", "drop(after=1..3)"], attempts=1).bounded([9])
    assert [str(step) for step in space.options[0]] == ["ok", "drop(after=2)", "drop(after=1)", "drop(after=3)"]
    assert space.owners[0] == (0, 1, 2, 2)


@pytest.mark.parametrize(("options", "message"), [
    ({"faults": ["drop(after=5..2)"], "attempts": 1}, "after=5..2 is an empty range"),
    ({"faults": ["overloaded(after=*)"], "attempts": 1}, "overloaded has no after= to explore"),
    ({"faults": ["drop(after=*)*2"], "attempts": 1}, "one step for one attempt"),
    ({"faults": ["overloaded"], "attempts": 2, "base": "tool_use(name=x); ok"}, "give turns=N, not attempts=N"),
    ({"faults": ["overloaded"], "turns": 2, "base": "chaos(overloaded=0.5)"}, "a base draws nothing at random"),
    ({"faults": ["overloaded"], "turns": 2, "base": "overlaoded"}, "unknown action 'overlaoded'"),
])
def test_a_bad_base_or_cut_point_says_what_is_wrong(options: dict[str, Any], message: str) -> None:
    with pytest.raises(ScriptError, match=re.escape(message)):
        Space.of(options.pop("faults"), **options)


def test_a_fault_comes_before_the_bases_step_and_cuts_the_bases_reply() -> None:
    space = Space.of(["overloaded", "drop(after=3)", "truncate(after=2, text=Par)"], turns=2,
                     base="tool_use(name=get_weather); ok(text=Done.)")
    overloaded, drop, own = space.choices[1:]
    assert isinstance(drop, Step) and isinstance(own, Step) and isinstance(overloaded, Step)
    assert space.script((OK, OK)) == 'tool_use(name=get_weather); ok(text=Done.)'
    assert space.script((drop, OK)) == 'drop(after=3, tool=get_weather), tool_use(name=get_weather); ok(text=Done.)'
    assert space.script((overloaded, drop)) == (
        'overloaded, tool_use(name=get_weather); drop(after=3, text=Done.), ok(text=Done.)')
    assert space.script((OK, own)) == 'tool_use(name=get_weather); truncate(after=2, text=Par), ok(text=Done.)', (
        "a fault with a reply of its own keeps it")


def test_by_attempt_a_fault_comes_before_the_bases_next_step() -> None:
    space = Space.of(["drop(after=1)"], attempts=2, base="overloaded*2, ok(text=Hi)")
    drop = space.choices[1]
    assert isinstance(drop, Step)
    assert space.script((OK, drop)) == "overloaded, drop(after=1, text=Hi), overloaded, ok(text=Hi)"
    assert space.script((drop, drop)) == "drop(after=1, text=Hi), drop(after=1, text=Hi), overloaded*2, ok(text=Hi)"


def test_each_slot_serves_a_step_of_its_own_so_the_journal_shows_which_were_reached() -> None:
    space = Space.of(["overloaded"], turns=3, base="tool_use(name=x); tool_use(name=x)")
    turns, served = space.serve((OK, OK, OK))
    assert [turn[0] for turn in turns] == list(served) and len({id(step) for step in served}) == 3
    assert served[0] is not space.base[0][0] and served[0] == space.base[0][0]
    assert turns[2] == (served[2],) and served[2] == OK, "past the base: ok"


def test_the_script_text_reproduces_the_composed_script() -> None:
    space = Space.of(["overloaded"], turns=2, base="tool_use(name=x)")
    overloaded = space.choices[1]
    assert isinstance(overloaded, Step)
    text = space.script((overloaded, OK))
    assert text == "overloaded, tool_use(name=x); ok", "a lone turn of two steps stays a turn script"
    assert _same_script(text, space.compose((overloaded, OK)))
    assert space.script((OK, overloaded)) == "tool_use(name=x); overloaded"
    assert render(parse_turns("ok; ok, ok; ok"), by_turn=True) == "ok"
    assert not _same_script("ok", space.compose((overloaded, OK)))
    assert show_script('ok(text="Hi")') == '"ok(text=\\"Hi\\")"'


def test_schedules_are_numbered_with_the_last_slot_fastest() -> None:
    space = Space.of(["overloaded", "drop(after=0..1)"], attempts=2).bounded([5, 5])
    assert space.size == 16 and space.picks(0) == (0, 0) and space.picks(5) == (1, 1) and space.picks(15) == (3, 3)
    assert space.schedule(7) == steps("overloaded, drop(after=1)")


# -- running, and what a run reached ---------------------------------------------------------------


def retrying(fake: Scripted, tries: int = 3) -> Step:
    """One call: retried after a 529, at most ``tries`` attempts; returns what answered."""
    for _ in range(tries):
        step = fake.attempt()
        if step.fault.takes_reply:
            return step
    raise ConnectionError("overloaded")


def test_schedules_that_differ_only_where_no_run_reached_are_run_once() -> None:
    fake = Scripted()
    report = explore(fake, lambda: retrying(fake), Space.of(["overloaded", "drop(after=1)"], attempts=3))
    # Attempt 2 follows only a 529, attempt 3 only two: ok, drop; 529 then ok, drop; 529, 529 then all three.
    assert (report.runs, report.equivalent, report.space.size) == (7, 20, 27)
    assert report.outcomes == {"ok": 6, "ConnectionError": 1}
    assert report.unreached_slots == [] and report.unreached == [] and not report.passed
    assert "7 schedule(s) run (every schedule of 27; 20 more equivalent to one run on what it reached)" in str(report)


def test_what_no_run_reached_is_reported_and_fails_unless_allowed() -> None:
    fake = Scripted()
    report = explore(fake, lambda: fake.attempt(), Space.of(["overloaded", "drop(after=1)"], turns=2))
    assert report.unreached_slots == ["turn 2"] and report.unreached == []
    assert (report.runs, report.equivalent) == (3, 6) and report.failures == [] and not report.passed
    assert "turns no schedule reached (the code stops before them, or the space is mis-specified): turn 2" in (
        str(report))
    allowed = explore(fake, lambda: fake.attempt(), Space.of(["overloaded"], turns=2), allow_unreached=True)
    assert allowed.passed and allowed.unreached_slots == ["turn 2"] and "turn 2" in str(allowed)
    nothing = explore(fake, lambda: None, Space.of(["overloaded"], attempts=2))
    assert (nothing.runs, nothing.unreached_slots, nothing.unreached) == (1, ["attempt 1", "attempt 2"], ["overloaded"])


def test_a_probe_bounds_the_cut_points_before_any_schedule_runs() -> None:
    fake = Scripted()
    counts: list[tuple[int, int]] = []
    report = explore(fake, lambda: fake.attempt(), Space.of(["drop(after=*)"], attempts=1),
                     progress=lambda done, total: counts.append((done, total)))
    assert report.space.events == (REPLY_EVENTS,)
    assert counts[0] == (0, REPLY_EVENTS + 2), "ok and drop(after=0) to drop(after=6), counted before running"
    assert report.runs == REPLY_EVENTS + 2 and counts[-1] == (REPLY_EVENTS + 2,) * 2
    assert PROBE_AFTER > 10**6


# -- failures: what raised them, each shrunk on its own -----------------------------------------


def check_answer(step: Step) -> None:
    assert step.action != "truncate", f"a partial answer after {step['after']} events"


def run_and_check(fake: Scripted) -> None:
    step = fake.attempt()
    if step.action == "drop":
        raise ConnectionError(f"the stream broke after {step['after']} events, msg_{step['after']}abc")
    check_answer(step)


def test_each_distinct_failure_is_shrunk_on_its_own_whatever_its_message_says() -> None:
    fake = Scripted()
    report = explore(fake, lambda: run_and_check(fake),
                     Space.of(["truncate(after=2..5)", "drop(after=3..4)"], attempts=1, base="ok(text=Hi)"))
    assert [failure.runs for failure in report.distinct] == [4, 2]
    truncated, dropped = report.distinct
    assert truncated.raised.kind == "AssertionError" and truncated.raised.function == "check_answer"
    assert dropped.raised.kind == "ConnectionError" and dropped.raised.function == "run_and_check"
    # The messages carry the cut point: shrinking follows the frame that raised, down to after=0.
    assert truncated.script == "truncate(after=0, text=Hi), ok(text=Hi)" and truncated.shrunk
    assert dropped.script == "drop(after=0, text=Hi), ok(text=Hi)"
    assert dropped.reproducer == '@pytest.mark.claude_fake("drop(after=0, text=Hi), ok(text=Hi)")'
    assert truncated.minimal_run.timeline == "truncate(after=0, text=Hi)", "each with its own timeline"
    assert report.minimal == truncated.script and report.reproducer == truncated.reproducer
    assert report.distinct_failures == ["AssertionError: a partial answer after 2 events",
                                        "ConnectionError: the stream broke after 3 events, msg_…"]
    text = str(report)
    assert "failure 1 of 2: AssertionError raised at tests/explore/test_explorer.py:" in text
    assert "failure 2 of 2: ConnectionError raised at" in text and text.count("what failed:") == 2
    assert "its faults: attempt 1: drop(after=0)" in text and "base: ok(text=Hi)" in text


def test_a_failure_is_identified_by_its_class_and_the_frame_that_raised_it() -> None:
    def raised(after: int) -> Any:
        try:
            check_answer(Step.make("truncate", after=after))
        except AssertionError as error:
            return raised_at(error)

    one, other = raised(1), raised(7)
    assert one == other and one.kind == "AssertionError" and one.function == "check_answer"
    assert str(one).startswith("AssertionError raised at tests/explore/test_explorer.py:")


def test_the_output_of_a_run_is_kept_only_for_a_failures_last_run() -> None:
    fake = Scripted()
    printed: list[str] = []

    def body() -> None:
        step = fake.attempt()
        printed.append(f"served {step}\n")
        check_answer(step)

    def drain() -> str:
        text = "".join(printed)
        printed.clear()
        return text

    report = explore(fake, body, Space.of(["overloaded", "truncate(after=1)"], attempts=1), drain=drain)
    (failure,) = report.distinct
    assert failure.minimal_run.output == "served truncate(after=0)\n"
    assert all(run.output == "" for run in report.failures), "a schedule's output is dropped once it has run"


# -- findings, attributed to the run that showed them ---------------------------------------------


def test_a_truncation_the_code_refused_is_no_finding_of_its_run() -> None:
    fake = Scripted()

    def refusing() -> None:
        step = fake.attempt()
        if step.action == "truncate":
            raise ValueError("the stream ended early")

    accepting = explore(fake, lambda: fake.attempt(), Space.of(["truncate(after=2)"], attempts=1))
    refused = explore(fake, refusing, Space.of(["truncate(after=2)"], attempts=1))
    asserted = explore(fake, lambda: check_answer(fake.attempt()), Space.of(["truncate(after=2)"], attempts=1))
    assert accepting.findings == {"truncated_stream_accepted": 1}
    assert accepting.finding_examples == {"truncated_stream_accepted": "truncate(after=2)"}
    assert "finding truncated_stream_accepted in 1 run(s); the simplest: truncate(after=2)" in str(accepting)
    assert refused.findings == {} and [run.findings for run in refused.failures] == [()]
    assert asserted.findings == {"truncated_stream_accepted": 1}, "the test's assertion: the code had accepted it"
    (failure,) = asserted.distinct
    assert [finding.code for finding in failure.minimal_run.findings] == ["truncated_stream_accepted"]
