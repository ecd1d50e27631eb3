"""engine/engine.py: what an Engine journals for each request, and how a Run walks its plan to an outcome."""

from __future__ import annotations

import json
from dataclasses import replace
from typing import Any

import pytest

from claude_fakes.core.clock import Clock
from claude_fakes.core.journal import TRUNCATED, JournalBounds, Outcome
from claude_fakes.core.plan import (
    CUT,
    END,
    FOREVER,
    READ_TIMEOUT,
    SPELLED_PIECES,
    Body,
    Head,
    Plan,
    Send,
    Spelled,
    Wait,
    WouldHangForever,
)
from claude_fakes.core.request import Incoming
from claude_fakes.core.turns import Match
from claude_fakes.engine.engine import OUTCOMES, REDACTED, Engine, Run, UnusedStepsError

HEADERS = {"x-api-key": "secret", "anthropic-version": "2023-06-01"}
TIMEOUT = {"connect": 5.0, "read": 60.0}


def attempt(text: str = "hi", retry: int | None = None, model: str = "claude-sonnet-4-6",
            stream: bool = False) -> Incoming:
    headers = dict(HEADERS) if retry is None else {**HEADERS, "x-stainless-retry-count": str(retry)}
    body = {"model": model, "max_tokens": 50, "stream": stream, "messages": [{"role": "user", "content": text}]}
    return Incoming("POST", "/v1/messages", {}, headers, json.dumps(body).encode())


def serve(engine: Engine, incoming: Incoming, read_timeout: float | None = 60.0) -> Run:
    """Begin an exchange and walk it to its end, advancing the clock through every silence."""
    __tracebackhide__ = True
    run = engine.begin(incoming, TIMEOUT, read_timeout)
    for _ in range(len(run.plan.actions) + 1):  # bounded: one step per action, then the end
        step = run.next()
        engine.clock.advance(step.wait)
        if not isinstance(step.then, (Head, Send)):
            if step.then is FOREVER:
                run.hang_forever()
            else:
                run.end(step.then)
            return run
    raise AssertionError("the plan did not end")


def steps(engine: Engine) -> list[str]:
    """The step each exchange got, as the timeline shows it: "-" for none (past the script's end, an ok)."""
    return [str(replace(exchange.step, count=1)) if exchange.step is not None else "-" for exchange in engine.journal]


def test_attempts_are_numbered_and_other_requests_are_not() -> None:
    engine = Engine(Clock())
    for incoming in (attempt(), Incoming("GET", "/v1/models", {}, HEADERS), attempt()):
        serve(engine, incoming)
    assert [exchange.attempt for exchange in engine.journal] == [1, None, 2]
    assert engine.attempts == 2


def test_the_journal_records_the_request_with_its_secrets_redacted() -> None:
    engine = Engine(Clock())
    serve(engine, attempt(retry=1, stream=True))
    (exchange,) = engine.journal
    assert (exchange.method, exchange.path, exchange.retry_count, exchange.stream) == ("POST", "/v1/messages", 1,
                                                                                       True)
    assert exchange.headers["x-api-key"] == REDACTED and exchange.headers["anthropic-version"] == "2023-06-01"
    assert exchange.timeout == TIMEOUT and exchange.json["messages"][0]["content"] == "hi"
    assert (exchange.status, exchange.outcome) == (200, Outcome.COMPLETE)
    assert exchange.events > 0 and exchange.response_headers["content-type"].startswith("text/event-stream")


def test_script_steps_are_taken_in_order_and_past_the_end_an_ok_has_no_step() -> None:
    engine = Engine(Clock()).script("overloaded*2, drop(after=1)")
    for _ in range(4):
        serve(engine, attempt())
    assert steps(engine) == ["overloaded", "overloaded", "drop(after=1)", "-"]
    assert [exchange.status for exchange in engine.journal] == [529, 529, 200, 200]


def test_turns_are_numbered_by_their_messages_and_a_turn_script_serves_each_its_steps() -> None:
    engine = Engine(Clock()).script("overloaded, ok; api_error, ok")
    for text in ("first", "first", "second", "second"):
        serve(engine, attempt(text))
    assert [exchange.turn for exchange in engine.journal] == [1, 1, 2, 2]
    assert steps(engine) == ["overloaded", "ok", "api_error", "ok"]


def test_routes_serve_matching_models_and_journal_them_by_name() -> None:
    engine = Engine(Clock()).script("api_error")
    route = engine.when(Match(model="claude-haiku-4-5")).script("overloaded")
    serve(engine, attempt(model="claude-haiku-4-5"))
    serve(engine, attempt(model="claude-sonnet-4-6"))
    assert steps(engine) == ["overloaded", "api_error"]
    assert [exchange.route for exchange in engine.journal] == [route.name, None]
    assert route.attempts == 1 and engine.routes == [route]


def test_a_script_replaces_the_default_script_whole() -> None:
    engine = Engine(Clock()).default_script("overloaded*inf")
    serve(engine, attempt())
    engine.script("api_error")
    serve(engine, attempt())
    serve(engine, attempt())
    assert steps(engine) == ["overloaded", "api_error", "-"]
    assert engine.unused_steps() == []


def test_a_strict_engine_fails_verify_for_unused_steps_and_a_lax_one_does_not() -> None:
    strict = Engine(Clock()).script("ok, overloaded")
    serve(strict, attempt())
    with pytest.raises(UnusedStepsError, match="overloaded"):
        strict.verify()
    lax = Engine(Clock(), strict=False).script("ok, overloaded")
    serve(lax, attempt())
    lax.verify()


def test_a_hang_against_a_client_without_read_timeout_is_a_finding() -> None:
    engine = Engine(Clock()).script("hang")
    run = serve(engine, attempt(), read_timeout=None)
    assert run.exchange.outcome == Outcome.WOULD_HANG_FOREVER
    assert engine.findings == ["attempt 1: POST /v1/messages would hang forever (the client has no read timeout)"]
    with pytest.raises(UnusedStepsError, match="would hang forever"):
        engine.verify()


def test_a_strict_finding_is_recorded_once_and_fails_a_strict_engine_only() -> None:
    for strict in (True, False):
        engine = Engine(Clock(), strict=strict)
        engine.add_strict_finding("refused a connection to db.example:5432")
        engine.add_strict_finding("refused a connection to db.example:5432")  # the client retried it
        assert engine.findings == ["refused a connection to db.example:5432"]
        if strict:
            with pytest.raises(UnusedStepsError, match=r"refused a connection to db\.example:5432"):
                engine.verify()
        else:
            engine.verify()
        engine.reset()
        assert engine.findings == []


def test_a_hang_against_a_read_timeout_ends_at_the_timeout_with_no_finding() -> None:
    engine = Engine(Clock()).script("hang")
    run = serve(engine, attempt(), read_timeout=30)
    assert (run.exchange.outcome, run.exchange.end, engine.findings) == (Outcome.READ_TIMEOUT, 30.0, [])


def test_a_rejected_request_takes_no_step() -> None:
    engine = Engine(Clock()).script("overloaded")
    serve(engine, Incoming("POST", "/v1/messages", {}, HEADERS, b"{oops"))
    assert engine.journal[0].step is None and engine.journal[0].status == 400
    assert engine.unused_steps() != []


def test_a_given_step_is_served_instead_of_the_scripts() -> None:
    from claude_fakes.core.step import Step

    engine = Engine(Clock()).script("api_error")
    engine.begin(attempt(), TIMEOUT, step=Step.make("overloaded"))
    assert steps(engine) == ["overloaded"] and engine.unused_steps() == ["api_error (step 1 of script 1, used 0 of 1)"]


def test_chaos_picks_the_same_steps_for_the_same_seed() -> None:
    def picked(seed: int) -> list[str]:
        engine = Engine(Clock(), seed=seed).script("chaos(overloaded=0.5, api_error=0.5)*inf")
        for _ in range(8):
            serve(engine, attempt())
        assert all(exchange.notes == ["chaos"] for exchange in engine.journal)
        return steps(engine)

    assert picked(1) == picked(1)
    assert set(picked(1)) <= {"overloaded", "api_error"}


def test_a_platforms_own_fault_elsewhere_is_a_400_and_a_finding() -> None:
    engine = Engine(Clock()).script("throttling")
    serve(engine, attempt())
    assert engine.journal[0].status == 400
    assert engine.findings[0].startswith("throttling is a fault of Amazon Bedrock")


def test_reset_forgets_everything_served_and_rewinds_the_clock() -> None:
    engine = Engine(Clock()).script("hang, ok")
    serve(engine, attempt(), read_timeout=None)
    engine.when(Match(model="m"))
    engine.reset()
    assert (engine.journal, engine.attempts, engine.routes, engine.findings, engine.unused_steps()) == (
        [], 0, [], [], [])
    assert engine.clock.elapsed == 0
    serve(engine, attempt())
    assert engine.journal[0].attempt == 1 and engine.journal[0].step is None


def threaded(thread: dict[str, Any], messages: list[Any], **fields: Any) -> Incoming:
    body = {"model": "claude-sonnet-4-6", "max_tokens": 50, "messages": messages, "thread": thread, **fields}
    return Incoming("POST", "/v1/messages", {}, HEADERS, json.dumps(body).encode())


def reply_id(run: Run) -> str:
    return str(json.loads(b"".join(action.data for action in run.plan.actions if isinstance(action, Send)))["id"])


def continue_from(message_id: str) -> Incoming:
    return threaded({"type": "continue", "previous_message_id": message_id}, [{"role": "user", "content": "more"}])


def test_a_continue_is_served_as_the_whole_conversation_of_its_thread() -> None:
    engine = Engine(Clock()).script("ok; ok; api_error")
    first = serve(engine, threaded({"type": "create"}, [{"role": "user", "content": "hi"}], system="Be brief."))
    second = serve(engine, continue_from(reply_id(first)))
    assert [exchange.turn for exchange in engine.journal] == [1, 2]
    assert engine.journal[1].json["messages"] == [{"role": "user", "content": "more"}]  # as sent
    assert [exchange.status for exchange in engine.journal] == [200, 200]
    serve(engine, continue_from(reply_id(first)))  # the reply was continued already: no step taken
    assert (engine.journal[2].status, engine.journal[2].notes, engine.journal[2].step) == (
        400, ["thread_already_continued"], None)
    engine.clock.advance(300)
    serve(engine, continue_from(reply_id(second)))
    assert (engine.journal[3].status, engine.journal[3].notes) == (404, ["thread_not_found"])
    assert engine.unused_steps()[0].startswith("api_error (turn 3")


def test_a_thread_fault_forgets_the_thread_and_reset_forgets_every_thread() -> None:
    engine = Engine(Clock(), strict=False).script("ok; thread_lost")
    first = reply_id(serve(engine, threaded({"type": "create"}, [{"role": "user", "content": "hi"}])))
    serve(engine, continue_from(first))
    serve(engine, continue_from(first))
    assert [(exchange.status, exchange.notes) for exchange in engine.journal[1:]] == [
        (404, []), (404, ["thread_not_found"])]
    engine.reset()
    first = reply_id(serve(engine, threaded({"type": "create"}, [{"role": "user", "content": "hi"}])))
    engine.reset()
    serve(engine, continue_from(first))
    assert engine.journal[0].status == 404


@pytest.mark.parametrize(("option", "value"), [("seed", 1.5), ("strict", 1), ("validate", "yes")])
def test_options_of_the_wrong_type_are_refused(option: str, value: Any) -> None:
    with pytest.raises(TypeError, match=option):
        Engine(Clock(), **{option: value})


def test_finish_records_only_the_first_ending() -> None:
    engine = Engine(Clock())
    run = engine.begin(attempt(), TIMEOUT, 60)
    run.end(CUT, "cut")
    run.end(END)
    assert (run.exchange.outcome, run.exchange.error) == (Outcome.CUT, "cut")


def test_every_plan_ending_has_an_outcome() -> None:
    assert OUTCOMES[READ_TIMEOUT] == Outcome.READ_TIMEOUT and OUTCOMES[FOREVER] == Outcome.WOULD_HANG_FOREVER
    assert len(set(OUTCOMES.values())) == len(OUTCOMES)


def run_of(plan: Plan, clock: Clock | None = None, read: float | None = 10.0) -> Run:
    engine = Engine(clock or Clock())
    return Run(engine, engine.begin(attempt(), {"read": read}).exchange, plan, read)


def test_next_journals_the_head_and_the_events_as_they_go() -> None:
    run = run_of(Plan.of(Head(201, (("x", "1"),)), Send(b"a", 1), Send(b"b", 2)))
    run.next()
    assert (run.exchange.status, run.exchange.response_headers, run.exchange.events) == (201, {"x": "1"}, 0)
    run.next()
    run.next()
    assert run.exchange.events == 3


def test_whole_body_takes_a_body_without_silence_and_counts_its_events() -> None:
    run = run_of(Plan.of(Head(200, ()), Send(b"a", 1), Send(b"b", 1)))
    run.next()
    assert run.whole_body() == b"ab" and run.exchange.events == 2
    assert run.next().then is END


LONG_BODY = Body(Spelled([(0.0, Send(b"e", 1))] * (SPELLED_PIECES + 1)), 0, SPELLED_PIECES + 1)


@pytest.mark.parametrize("plan", [Plan.of(Head(200, ()), Send(b"a"), Wait(1), Send(b"b")),
                                  Plan.of(Head(200, ()), Send(b"a"), CUT), Plan.of(Head(200, ()), LONG_BODY)],
                         ids=["a-silence", "a-cut", "a-long-body"])
def test_whole_body_leaves_a_body_that_must_be_walked(plan: Plan) -> None:
    run = run_of(plan)
    run.next()
    assert run.whole_body() is None


@pytest.mark.parametrize(("tail", "outcome", "events"), [
    ((Send(b"b", 1),), Outcome.COMPLETE, 2), ((Send(b"b", 1), CUT), Outcome.CUT, 2),
    ((Wait(1), Send(b"b", 1)), Outcome.CLIENT_CLOSED, 1), ((LONG_BODY,), Outcome.COMPLETE, SPELLED_PIECES + 2),
], ids=["rest-at-once", "rest-then-cut", "rest-after-a-silence", "a-long-body"])
def test_close_counts_what_would_go_out_at_once(tail: tuple[Any, ...], outcome: str, events: int) -> None:
    run = run_of(Plan.of(Head(200, ()), Send(b"a", 1), *tail))
    run.next()
    run.next()
    run.close()
    assert (run.exchange.outcome, run.exchange.events) == (outcome, events)
    assert not run.open


def test_client_gone_after_its_read_timeout_of_silence_is_a_read_timeout() -> None:
    clock = Clock()
    run = run_of(Plan.of(Head(200, ()), Wait(100)), clock, read=10.0)
    run.silence_started()
    clock.advance(10.0)
    run.client_gone()
    assert run.exchange.outcome == Outcome.READ_TIMEOUT


def test_client_gone_before_its_read_timeout_closed_the_connection() -> None:
    clock = Clock()
    run = run_of(Plan.of(Head(200, ()), Wait(100)), clock, read=10.0)
    run.silence_started()
    clock.advance(9.9)
    run.client_gone()
    assert run.exchange.outcome == Outcome.CLIENT_CLOSED


def test_client_gone_with_no_silence_begun_closed_the_connection() -> None:
    run = run_of(Plan.of(Head(200, ())), read=0.0)
    run.client_gone()
    assert run.exchange.outcome == Outcome.CLIENT_CLOSED


def test_cancelled_is_its_own_outcome() -> None:
    run = run_of(Plan.of(Wait(5), Head(200, ())))
    run.cancelled()
    assert run.exchange.outcome == Outcome.CANCELLED


def test_hang_forever_ends_the_run_and_returns_the_error_to_raise() -> None:
    run = run_of(Plan.of(Wait(float("inf"))), read=None)
    error = run.hang_forever()
    assert isinstance(error, WouldHangForever) and "POST /v1/messages would hang forever" in str(error)
    assert (run.exchange.outcome, run.exchange.error) == (Outcome.WOULD_HANG_FOREVER, WouldHangForever.NAME)


def test_what_comes_behind_a_silence_is_journalled_once_the_silence_is_over() -> None:
    run = run_of(Plan.of(Wait(2), Head(200, ()), Send(b"a", 1), Wait(5), Send(b"b", 1), END))
    run.next()
    assert run.exchange.status is None  # the head is still behind its silence
    run.next()
    assert (run.exchange.status, run.exchange.events) == (200, 1)  # the head, then "a" with no silence before it
    run.next()
    assert run.exchange.events == 1  # "b" is behind five seconds of silence
    run.next()
    assert run.exchange.events == 2  # it went out once that silence was over
    run.end(END)
    assert run.exchange.events == 2


@pytest.mark.parametrize("leave", ["client_gone", "cancelled"])
def test_a_client_that_leaves_during_a_silence_is_not_counted_for_what_came_after(leave: str) -> None:
    run = run_of(Plan.of(Head(200, ()), Send(b"a", 1), Wait(5), Send(b"b", 1), END))
    for _ in range(3):
        run.next()
    getattr(run, leave)()
    assert (run.exchange.status, run.exchange.events) == (200, 1)


def test_the_journal_keeps_within_its_bounds_and_says_what_it_let_go() -> None:
    engine = Engine(Clock(), journal=JournalBounds(exchanges=2, body_bytes=150))
    for text in ("one", "two", "x" * 200):
        serve(engine, attempt(text))
    first, last = engine.journal
    assert (first.attempt, last.attempt, engine.attempts) == (2, 3, 3)
    assert (engine.evicted, engine.truncated) == (1, 1)
    assert last.json[TRUNCATED]["bytes"] > 150 and last.json["model"] == "claude-sonnet-4-6"
    assert last.notes[-1].endswith("the journal keeps bodies up to 150 bytes as JSON")
    assert "(1 earlier exchange(s) evicted from the journal)" in engine.timeline().splitlines()[0]
    engine.reset()
    assert (engine.evicted, engine.truncated, engine.journal) == (0, 0, [])


def test_an_engine_keeps_every_body_whole_by_default() -> None:
    engine = Engine(Clock())
    serve(engine, attempt("x" * 100_000))
    assert engine.journal[0].json["messages"][0]["content"] == "x" * 100_000 and engine.truncated == 0


def in_session(session: str, text: str = "hi") -> Incoming:
    """An attempt as Claude Code sends it: its session's id, and a retry count of 0 whatever the attempt."""
    incoming = attempt(text, retry=0)
    return replace(incoming, headers={**incoming.headers, "x-claude-code-session-id": session})


def test_agent_sessions_each_meet_the_script_and_number_their_own_turns() -> None:
    engine = Engine(Clock()).script("overloaded*2, ok")
    for session in ("s1", "s2", "s1", "s2", "s1", "s2"):
        serve(engine, in_session(session))
    by_session = [(exchange.headers["x-claude-code-session-id"], exchange.status, exchange.turn)
                  for exchange in engine.journal]
    assert by_session == [("s1", 529, 1), ("s2", 529, 2), ("s1", 529, 1), ("s2", 529, 2), ("s1", 200, 1),
                          ("s2", 200, 2)]
    engine.verify()


def test_a_route_keeps_agent_sessions_apart_too() -> None:
    engine = Engine(Clock())
    engine.when(Match(model="claude-sonnet-4-6")).script("overloaded, ok")
    for session in ("s1", "s2", "s1", "s2"):
        serve(engine, in_session(session))
    assert [exchange.status for exchange in engine.journal] == [529, 529, 200, 200]


def _runs_of(engine: Engine) -> list[tuple[tuple[Any, ...], list[str], Any]]:
    """Two resets' worth of a retried, then streamed conversation: each reply's plan, notes and turn."""
    seen = []
    for _ in range(2):
        engine.reset()
        engine.script("overloaded", "drop(after=1)", "ok")
        for incoming in (attempt("hi", retry=0), attempt("hi", retry=1, stream=True), attempt("hi", retry=2)):
            run = serve(engine, incoming)
            exchange = engine.journal[-1]
            seen.append((run.plan.actions, exchange.notes, exchange.turn))
    return seen


def test_while_remembering_a_repeated_run_is_served_as_it_was_and_after_it_nothing_is_kept() -> None:
    plain, remembering = Engine(Clock(), seed=4), Engine(Clock(), seed=4)
    with remembering.remembering():
        assert _runs_of(remembering) == _runs_of(plain)
        assert remembering._memo is not None and len(remembering._memo.plans) == 3
    assert remembering._memo is None and remembering._api.memo is None
    assert _runs_of(remembering) == _runs_of(plain)
