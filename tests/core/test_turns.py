"""core/turns.py: which step an attempt gets, by attempt or by turn, and what a route matches."""

from __future__ import annotations

import threading
from typing import Any

import pytest

from claude_fakes.core import turns as turns_module
from claude_fakes.core.script import parse_turns
from claude_fakes.core.step import ScriptError, Step
from claude_fakes.core.turns import CallScript, Match, Route, ScriptState, TurnNumbers, key_of, session_key, turns_of


def state(script: str = "", *, default: bool = False, label: str = "") -> ScriptState:
    script_state = ScriptState(threading.RLock(), label)
    if script:
        script_state.set(parse_turns(script), default=default)
    return script_state


def take(script_state: ScriptState, *keys: str) -> list[str]:
    """The step each attempt gets, "-" past the script."""
    return [str(step.action) if (step := script_state.take(key)) is not None else "-" for key in keys]


def test_turn_numbers_are_given_by_first_arrival() -> None:
    numbers = TurnNumbers()
    assert [numbers.of(key) for key in ("a", "b", "a", "c")] == [1, 2, 1, 3]
    assert len(numbers) == 3


def test_turn_numbers_remember_the_turns_most_recently_seen(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setattr(turns_module, "MOST_TURNS", 2)
    numbers = TurnNumbers()
    assert [numbers.of(key) for key in ("a", "b", "a", "c", "a", "b")] == [1, 2, 1, 3, 1, 4], "b was forgotten"
    assert len(numbers) == 4


def test_a_call_script_counts_attempts_of_the_turns_most_recently_seen(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setattr(turns_module, "MOST_TURNS", 2)
    call = CallScript(parse_turns("overloaded, api_error"))
    # A client that sends no retry count: attempts are counted per turn, for the turns it last sent.
    assert [call.step(key, None).action for key in ("a", "a", "b", "c", "a")] == [
        "overloaded", "api_error", "overloaded", "overloaded", "overloaded"]


def test_a_per_attempt_script_serves_every_attempt_in_order_whatever_the_turn() -> None:
    assert take(state("overloaded*2, api_error"), "a", "b", "a", "c") == ["overloaded", "overloaded", "api_error",
                                                                           "-"]


def test_a_turn_script_gives_each_turn_its_own_steps() -> None:
    assert take(state("overloaded, ok; api_error"), "a", "a", "a", "b", "b", "c") == [
        "overloaded", "ok", "-", "api_error", "-", "-"]


def test_a_turn_script_counts_from_the_first_new_turn_after_it_was_set() -> None:
    script_state = state()
    take(script_state, "old")
    script_state.set(parse_turns("overloaded; api_error"))
    assert take(script_state, "old", "new", "newer") == ["-", "overloaded", "api_error"]


def test_unused_steps_are_described_with_their_turn_and_owner() -> None:
    script_state = state("ok; overloaded*2", label="route 1 (model='m')")
    take(script_state, "a", "b")
    assert script_state.unused() == ["overloaded*2 (route 1 (model='m'), turn 2, step 1 of script 1, used 1 of 2)"]


def test_an_inf_step_is_unused_only_until_its_first_use() -> None:
    script_state = state("overloaded*inf")
    assert len(script_state.unused()) == 1
    take(script_state, "a")
    assert script_state.unused() == []


def test_a_new_script_drops_a_default_scripts_steps_but_keeps_its_own_unused() -> None:
    script_state = state("overloaded", default=True)
    script_state.set(parse_turns("api_error"))
    script_state.set(parse_turns("ok"))
    assert script_state.unused() == ["api_error (step 1 of script 2, used 0 of 1)",
                                     "ok (step 1 of script 3, used 0 of 1)"]


def test_turns_of_makes_one_turn_per_argument() -> None:
    turns = turns_of(("overloaded", [Step.make("ok"), "api_error"]))
    assert [[step.action for step in turn] for turn in turns] == [["overloaded"], ["ok", "api_error"]]
    assert len(turns_of(("ok",))) == 2, "one turn still counts by turn"


@pytest.mark.parametrize(("scripts", "fragment"), [((), "at least one turn"), (("ok; ok",), "one turn per argument")],
                         ids=["none", "separator-inside"])
def test_turns_of_refuses_what_is_no_turn_per_argument(scripts: tuple[Any, ...], fragment: str) -> None:
    with pytest.raises(ScriptError, match=fragment):
        turns_of(scripts)


def request(text: str = "hi", **fields: Any) -> dict[str, Any]:
    return {"model": "m", "messages": [{"role": "user", "content": text}], **fields}


TOOL_RESULT = {"model": "m", "messages": [
    {"role": "user", "content": "weather?"},
    {"role": "assistant", "content": [{"type": "tool_use", "id": "toolu_1", "name": "w", "input": {}}]},
    {"role": "user", "content": [{"type": "tool_result", "tool_use_id": "toolu_1", "content": "sunny"}]}]}


@pytest.mark.parametrize(("match", "body", "matches"), [
    (Match(model="m"), request(), True),
    (Match(model="x"), request(), False),
    (Match(contains="ell"), request("hello"), True),
    (Match(system="be brief"), request(system=[{"type": "text", "text": "please be brief"}]), True),
    (Match(tools="w"), request(tools=[{"name": "w"}]), True),
    (Match(tools="w"), request(), False),
    (Match(tool_result=True), TOOL_RESULT, True),
    (Match(tool_result=True), request(), False),
    (Match(tool_result=False), request(), True),
    (Match(tool_result="toolu_1"), TOOL_RESULT, True),
    (Match(tool_result="toolu_2"), TOOL_RESULT, False),
    (Match(stream=True), request(stream=True), True),
    (Match(stream=False), request(), True),
    (Match(model="m", contains="bye"), request("hi"), False),
    (Match(predicate=lambda body: len(body["messages"]) == 3), TOOL_RESULT, True),
], ids=["model", "other-model", "contains", "system-blocks", "tools", "no-tools", "any-tool-result",
        "no-tool-result", "tool-result-false", "tool-result-id", "other-tool-result-id", "stream",
        "not-stream", "every-key-must-hold", "predicate"])
def test_a_match_holds_when_every_key_given_holds(match: Match, body: dict[str, Any], matches: bool) -> None:
    assert match(body) is matches


@pytest.mark.parametrize("fields", [{}, {"model": 3}, {"tool_result": 1}, {"stream": "yes"}, {"predicate": "x"}],
                         ids=["nothing", "model-not-str", "tool-result-number", "stream-not-bool", "predicate"])
def test_a_match_refuses_keys_of_the_wrong_type(fields: dict[str, Any]) -> None:
    with pytest.raises(TypeError, match="when"):
        Match(**fields)


def test_a_match_shows_its_keys() -> None:
    def short(body: Any) -> bool:
        return True

    assert str(Match(model="m", predicate=short)) == "model='m', predicate=short"


def test_a_route_is_named_by_its_match_and_journals_its_own_exchanges() -> None:
    route = Route(2, Match(model="m"), threading.RLock(), list)
    assert route.name == "route 2 (model='m')" and route.journal == [] and route.attempts == 0
    route.script("overloaded")
    assert route.state.unused() == ["overloaded (route 2 (model='m'), step 1 of script 1, used 0 of 1)"]


def test_key_of_is_the_messages_and_nothing_else() -> None:
    assert key_of(request("a")) == key_of({**request("a"), "model": "other", "stream": True})
    assert len(key_of(request("a" * 100_000))) == 32, "a digest: a long conversation costs no more to remember"
    assert key_of(request("a")) != key_of(request("b"))
    assert key_of("not a body") == key_of(None)


def test_agent_sessions_each_meet_the_script_from_its_start() -> None:
    # Two Claude Code sessions sending the same prompt, their attempts interleaved: each gets the
    # whole script, not half of it (attempt identity by repetition, sessions kept apart).
    script_state = state("overloaded*2, ok")
    served = [(session, script_state.take("same", session)) for session in ("s1", "s2", "s1", "s2", "s1", "s2")]
    assert [(session, str(step.action) if step else "-") for session, step in served] == [
        ("s1", "overloaded"), ("s2", "overloaded"), ("s1", "overloaded"), ("s2", "overloaded"), ("s1", "ok"),
        ("s2", "ok")]
    assert script_state.unused() == []


def test_a_step_is_used_once_one_session_used_it_as_often_as_it_says() -> None:
    script_state = state("overloaded*2, api_error")
    assert [script_state.take("k", session).action for session in ("s1", "s2")] == ["overloaded", "overloaded"]
    assert script_state.unused() == ["overloaded*2 (step 1 of script 1, used 1 of 2)",
                                     "api_error (step 2 of script 1, used 0 of 1)"]


def test_a_turn_script_numbers_each_sessions_turns_from_one() -> None:
    script_state = state("overloaded; api_error")
    steps = [script_state.take(key, session) for key, session in (("a", "s1"), ("a", "s2"), ("b", "s1"), ("c", "s2"))]
    assert [str(step.action) if step else "-" for step in steps] == ["overloaded", "overloaded", "api_error",
                                                                      "api_error"]


def test_a_new_script_restarts_every_session_at_its_next_turn() -> None:
    script_state = state("overloaded")
    assert script_state.take("a", "s1") is not None
    script_state.set(parse_turns("api_error; rate_limited"))
    assert [str(step.action) if (step := script_state.take(key, "s1")) else "-" for key in ("a", "b", "c")] == [
        "-", "api_error", "rate_limited"]


def test_sessions_past_the_most_remembered_start_over(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setattr(turns_module, "MOST_SESSIONS", 2)
    script_state = state("overloaded")
    assert [bool(script_state.take("k", session)) for session in ("s1", "s2", "s3", "s1")] == [True, True, True, True]
    assert script_state.take("k") is not None, "requests of no session keep their place whatever the sessions do"


def test_a_session_remembers_its_turns_most_recently_seen(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setattr(turns_module, "MOST_SESSION_TURNS", 2)
    script_state = state("overloaded; api_error; rate_limited; timeout_error")
    served = [script_state.take(key, "s1") for key in ("a", "b", "c", "a")]
    assert [str(step.action) for step in served if step] == ["overloaded", "api_error", "rate_limited",
                                                            "timeout_error"], "a was forgotten: a new turn"
    assert take(script_state, "a", "b", "c", "a") == ["overloaded", "api_error", "rate_limited", "-"], (
        "requests of no session remember MOST_TURNS: a is turn 1 again, its step used")


def test_a_call_script_counts_an_agent_sessions_attempts_per_session() -> None:
    call = CallScript(parse_turns("overloaded*2, ok"))
    served = [call.step("same", None, session).action for session in ("s1", "s2", "s1", "s2", "s1", "s2")]
    assert served == ["overloaded", "overloaded", "overloaded", "overloaded", "ok", "ok"]


def test_a_turn_key_across_sessions_keeps_equal_messages_apart() -> None:
    assert session_key("k", None) == "k"
    assert session_key("k", "s1") != session_key("k", "s2")
