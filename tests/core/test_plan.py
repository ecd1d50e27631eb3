"""core/plan.py: plans as data, responses shaped by faults, and the cursor that walks them."""

from __future__ import annotations

import math

import pytest

from claude_fakes.core import plan as plan_module
from claude_fakes.core.plan import (
    CUT,
    END,
    FOREVER,
    GARBAGE,
    MERGED_BYTES,
    READ_TIMEOUT,
    REFUSE,
    RESET,
    SPELLED_PIECES,
    Action,
    Body,
    Cursor,
    Head,
    Next,
    Plan,
    Response,
    Send,
    Spelled,
    Wait,
)

HEAD = Head(200, (("content-type", "text/event-stream"),))
PING = Send(b"ping", 0)


def event(n: int) -> Send:
    return Send(b"e%d" % n, 1)


# Three counted events with a ping between the first two; one second before each event.
RESPONSE = Response(0.5, HEAD, ((1.0, event(1)), (0.0, PING), (1.0, event(2)), (1.0, event(3))))


def walk(plan: Plan, read_timeout: float | None) -> list[Next]:
    """Every step the cursor yields, to the end of the plan."""
    __tracebackhide__ = True
    cursor = Cursor(plan, read_timeout)
    steps = []
    for _ in range(len(plan.actions) + 1):  # bounded: a walk yields at most one step per action, then its end
        steps.append(cursor.next())
        if cursor.finished:
            return steps
    raise AssertionError(f"the cursor did not finish: {steps}")


def test_of_flattens_merges_adjacent_waits_and_drops_empty_ones() -> None:
    plan = Plan.of(Wait(1), [Wait(2), Wait(0)], HEAD, (Send(b"a"), Wait(0)), Wait(3), Wait(4), CUT)
    assert plan.actions == (Wait(3), HEAD, Send(b"a"), Wait(7), CUT)


@pytest.mark.parametrize("actions", [
    (Send(b"x"),),
    (HEAD, HEAD),
    (HEAD, REFUSE),
    (HEAD, GARBAGE),
    (HEAD, CUT, Send(b"x")),
    (RESET, Wait(1)),
], ids=["send-before-head", "two-heads", "refuse-after-head", "garbage-after-head", "cut-not-last",
        "reset-not-last"])
def test_impossible_shapes_are_refused(actions: tuple[Action, ...]) -> None:
    with pytest.raises(ValueError):
        Plan.of(*actions)


@pytest.mark.parametrize("actions", [(REFUSE,), (Wait(5), CUT), (HEAD, RESET), (HEAD, Send(b"x"), CUT), ()],
                         ids=["refuse", "cut-before-head", "reset-after-head", "cut-mid-body", "empty"])
def test_possible_shapes_are_accepted(actions: tuple[Action, ...]) -> None:
    assert Plan.of(*actions).actions == actions


def test_head_finds_the_head_wherever_it_is_and_header_reads_it() -> None:
    plan = Plan.of(Wait(2), Head(429, (("retry-after", "3"),)), Send(b"{}"))
    assert plan.head is not None and plan.head.status == 429
    assert plan.head.header("retry-after") == "3" and plan.head.header("absent") is None
    assert Plan.of(REFUSE).head is None


def test_markers_compare_by_identity_and_show_their_name() -> None:
    assert repr(CUT) == "CUT" and CUT != RESET


def test_whole_is_the_response_with_each_gap_before_its_piece() -> None:
    assert RESPONSE.whole().actions == (Wait(0.5), HEAD, Wait(1.0), event(1), PING, Wait(1.0), event(2), Wait(1.0),
                                        event(3))


@pytest.mark.parametrize(("after", "index"), [(0, 0), (1, 2), (2, 3), (3, 4), (9, 4)],
                         ids=["none", "one-with-its-ping", "two", "all", "more-than-all"])
def test_cut_counts_events_and_keeps_the_pings_before_the_cut(after: int, index: int) -> None:
    assert RESPONSE.cut(after) == index


def test_until_ends_after_k_events_with_the_tail() -> None:
    assert RESPONSE.until(1, CUT).actions == (Wait(0.5), HEAD, Wait(1.0), event(1), PING, CUT)
    assert RESPONSE.until(2).actions[-1] == event(2), "no tail: a clean, early end"


def test_stalled_puts_the_silence_after_k_events() -> None:
    plan = RESPONSE.stalled(2, 30.0)
    assert plan.actions == (Wait(0.5), HEAD, Wait(1.0), event(1), PING, Wait(1.0), event(2), Wait(31.0), event(3))


def test_a_stall_kept_alive_has_no_gap_longer_than_every() -> None:
    plan = RESPONSE.stalled(3, 25.0, keepalive=PING, every=10.0)
    tail = plan.actions[plan.actions.index(event(3)) + 1:]
    assert tail == (Wait(10.0), PING, Wait(10.0), PING, Wait(5.0))


def test_replaced_rewrites_the_piece_after_k_events() -> None:
    plan = RESPONSE.replaced(1, bytes.upper)
    assert plan.actions[plan.actions.index(PING) + 2] == Send(b"E2", 1)


def test_replaced_past_the_end_rewrites_the_last_piece() -> None:
    assert RESPONSE.replaced(9, bytes.upper).actions[-1] == Send(b"E3", 1)


def test_the_cursor_merges_silences_and_reports_each_action_after_its_wait() -> None:
    steps = walk(RESPONSE.whole(), read_timeout=None)
    assert [(step.wait, step.then) for step in steps] == [
        (0.5, HEAD), (1.0, event(1)), (0.0, PING), (1.0, event(2)), (1.0, event(3)), (0.0, END)]


@pytest.mark.parametrize("where", ["before-head", "mid-body"])
def test_a_silence_longer_than_the_read_timeout_is_read_timeout_after_exactly_the_timeout(where: str) -> None:
    plan = Plan.of(Wait(100), HEAD) if where == "before-head" else Plan.of(HEAD, Send(b"a", 1), Wait(100), CUT)
    steps = walk(plan, read_timeout=7.5)
    assert (steps[-1].wait, steps[-1].then) == (7.5, READ_TIMEOUT)


def test_a_silence_equal_to_the_read_timeout_is_no_timeout() -> None:
    steps = walk(Plan.of(HEAD, Wait(10), Send(b"b", 1)), read_timeout=10)
    assert [(step.wait, step.then) for step in steps] == [(0, HEAD), (10, Send(b"b", 1)), (0, END)]


def test_an_endless_silence_is_forever_without_a_read_timeout_and_a_timeout_with_one() -> None:
    assert [(step.wait, step.then) for step in walk(Plan.of(Wait(math.inf)), None)] == [(0.0, FOREVER)]
    assert [(step.wait, step.then) for step in walk(Plan.of(Wait(math.inf)), 600)] == [(600, READ_TIMEOUT)]


def test_a_marker_ends_the_walk() -> None:
    cursor = Cursor(Plan.of(Wait(2), CUT), None)
    assert cursor.next() == Next(2, CUT) and cursor.finished


def test_rest_without_silence_is_what_would_go_out_at_once() -> None:
    cursor = Cursor(Plan.of(HEAD, Send(b"a"), Send(b"b"), CUT), None)
    cursor.next()
    assert cursor.rest_without_silence() == [Send(b"a"), Send(b"b"), CUT]
    waiting = Cursor(Plan.of(HEAD, Send(b"a"), Wait(1), Send(b"b")), None)
    waiting.next()
    assert waiting.rest_without_silence() is None


def test_skip_rest_finishes_the_walk() -> None:
    cursor = Cursor(RESPONSE.whole(), None)
    cursor.skip_rest()
    assert cursor.finished and cursor.rest_without_silence() == []


# -- long bodies: pieces made as the walk reaches them -------------------------------------------------

LONG = 3 * SPELLED_PIECES
"""Pieces in a body too long to spell out."""


def long_response() -> Response:
    """A stream of ``LONG`` pieces with a ping third, a pause now and then, and instant pieces."""
    pieces = [(0.0 if n % 3 else 0.25, PING if n == 2 else event(n)) for n in range(LONG)]
    return Response(0.5, HEAD, pieces)


def arrivals(plan: Plan, read_timeout: float | None = None, most: int = 100_000) -> list[tuple[float, object]]:
    """What reaches the client, walking the plan to its end: after each silence, the bytes and events that
    arrive together (pieces with no silence between are one arrival, however the walk steps), or the end.
    Bounded: at most ``most`` steps."""
    cursor = Cursor(plan, read_timeout)
    seen: list[tuple[float, object]] = []
    for _ in range(most):
        step = cursor.next()
        then = step.then
        if isinstance(then, Send) and not step.wait and seen and isinstance(seen[-1][1], Send):
            wait, before = seen.pop()
            then = Send(before.data + then.data, before.events + then.events)
            seen.append((wait, then))
        else:
            seen.append((step.wait, then))
        if cursor.finished:
            return seen
    raise AssertionError("the cursor did not finish")


SHAPES = {
    "whole": lambda response: response.whole(),
    "until": lambda response: response.until(LONG - 30, CUT),
    "stalled": lambda response: response.stalled(LONG // 2, 30.0),
    "kept-alive": lambda response: response.stalled(5, 3000.0, keepalive=PING, every=1.0),
    "replaced": lambda response: response.replaced(LONG - 5, bytes.upper),
}


@pytest.mark.parametrize("shape", SHAPES)
@pytest.mark.parametrize("read_timeout", [None, 0.5, 100.0])
def test_a_long_body_is_walked_as_its_pieces_spelled_out(shape: str, read_timeout: float | None,
                                                          monkeypatch: pytest.MonkeyPatch) -> None:
    plan = SHAPES[shape](long_response())
    assert any(isinstance(action, Body) for action in plan.actions) and len(plan.actions) < 40, "not spelled out"
    monkeypatch.setattr(plan_module, "SPELLED_PIECES", 10 * LONG)
    spelled = SHAPES[shape](long_response())
    assert not any(isinstance(action, Body) for action in spelled.actions)
    assert arrivals(plan, read_timeout) == arrivals(spelled, read_timeout)


def test_a_long_body_is_made_piece_by_piece_as_the_walk_reaches_it() -> None:
    made: list[int] = []

    class Counted(Spelled):
        def make(self, index: int) -> Send:
            made.append(index)
            return super().make(index)

    response = Response(0.0, HEAD, Counted([(1.0, event(n)) for n in range(LONG)]))
    cursor = Cursor(response.whole(), None)
    assert made == [], "planning made no piece"
    for _ in range(4):
        cursor.next()
    assert made == [0, 1, 2]


def test_pieces_of_a_long_body_with_no_silence_between_are_one_step_of_about_merged_bytes() -> None:
    piece = Send(b"x" * 1000, 1)
    cursor = Cursor(Response(0.0, HEAD, [(0.0, piece)] * LONG).whole(), None)
    cursor.next()
    step = cursor.next()
    assert step.then == Send(piece.data * (MERGED_BYTES // 1000 + 1), MERGED_BYTES // 1000 + 1)


def test_what_is_left_of_a_long_body_goes_out_at_once_unless_a_piece_waits() -> None:
    quiet = Response(0.0, HEAD, [(0.0, Send(b"x" * MERGED_BYTES, 1))] * LONG)  # a piece a step
    cursor = Cursor(quiet.until(LONG - 10, CUT), None)
    for _ in range(6):
        cursor.next()
    body, end = cursor.rest_without_silence() or []
    assert isinstance(body, Body) and (body.start, body.stop, body.events) == (5, LONG - 10, LONG - 15)
    assert end is CUT
    paced = Cursor(long_response().whole(), None)
    paced.next()
    assert paced.rest_without_silence() is None
