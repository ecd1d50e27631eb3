"""Turns and routes (claude_fakes.core.turns): steps per logical call, whatever retried it, and scripts
per kind of request. On the installed SDK, in-process and over the server."""

from __future__ import annotations

import asyncio
import json
from typing import Any

import anthropic
import pytest

from claude_fakes import ClaudeFake, faults, replies
from claude_fakes.script import ScriptError, parse_turns
from claude_fakes.server.client import ServerScope

from .agent import WEATHER_TOOL, run_loop, tool_result
from .sdk import MODEL, MODES, REQUEST

LOOP = "overloaded, tool_use(name=get_weather); overloaded*2, ok(text=It is sunny.)"


@pytest.mark.parametrize("mode", MODES)
def test_a_two_turn_tool_loop_keeps_each_turns_retries_in_its_turn(mode: str) -> None:
    with ClaudeFake(LOOP) as fake:
        message = run_loop(mode)
    assert message.content[0].text == "It is sunny."
    assert [exchange.turn for exchange in fake.journal] == [1, 1, 2, 2, 2]
    assert [exchange.retry_count for exchange in fake.journal] == [0, 1, 0, 1, 2]
    call = fake.journal[1]
    assert call.step is not None and call.step.action == "tool_use"
    second_turn = fake.journal[2].json["messages"]
    tool_call = second_turn[1]["content"][0]
    assert tool_call["name"] == "get_weather" and tool_call["input"]["unit"] in ("celsius", "fahrenheit")
    assert fake.verdict().resilient


@pytest.mark.parametrize("mode", ["sync", "sync-stream"])
def test_the_same_loop_over_the_server(mode: str, claude_fake_server: ServerScope) -> None:
    claude_fake_server.script(LOOP)
    message = run_loop(mode)
    assert message.content[0].text == "It is sunny."
    assert [exchange.turn for exchange in claude_fake_server.journal] == [1, 1, 2, 2, 2]
    assert claude_fake_server.verdict().resilient


def app_retry_loop(client: anthropic.Anthropic, messages: list[dict[str, Any]], tries: int) -> Any:
    """An application's own retry loop around a client with max_retries=0."""
    for attempt in range(tries):
        try:
            return client.messages.create(model=MODEL, max_tokens=1024, tools=[WEATHER_TOOL],  # type: ignore[list-item]
                                          messages=messages)  # type: ignore[arg-type]
        except anthropic.APIStatusError:
            if attempt == tries - 1:
                raise
    raise AssertionError("unreachable")


def test_an_application_retry_loop_stays_in_its_turn() -> None:
    with ClaudeFake(LOOP) as fake:
        client = anthropic.Anthropic(max_retries=0)
        messages: list[dict[str, Any]] = [{"role": "user", "content": "Weather in Paris?"}]
        first = app_retry_loop(client, messages, 3)
        messages += [{"role": "assistant", "content": [b.model_dump() for b in first.content]}, tool_result(first)]
        final = app_retry_loop(client, messages, 3)
    assert final.content[0].text == "It is sunny."
    assert [exchange.turn for exchange in fake.journal] == [1, 1, 2, 2, 2]
    assert [exchange.retry_count for exchange in fake.journal] == [0] * 5


def test_stacked_retry_layers_are_a_finding() -> None:
    with ClaudeFake("overloaded*9", strict=False) as fake:
        client = anthropic.Anthropic()
        with pytest.raises(anthropic.APIStatusError):
            app_retry_loop(client, [{"role": "user", "content": "hi"}], 3)
    assert fake.attempts == 9
    verdict = fake.verdict()
    assert verdict.codes == ["retry_amplification"]
    assert "turn 1 (attempts #1 to #9): the application re-issued the call 2 time(s)" in str(verdict)
    assert "retry counts 0, 1, 2, 0, 1, 2, 0, 1, 2" in str(verdict)


def test_an_empty_turn_is_ok_and_turns_past_the_script_get_ok() -> None:
    assert parse_turns("; hang") == ((), (faults.hang(),))
    with ClaudeFake("; overloaded(should_retry=false)") as fake:
        client = anthropic.Anthropic()
        client.messages.create(**REQUEST)
        with pytest.raises(anthropic.APIStatusError):
            client.messages.create(**{**REQUEST, "messages": [{"role": "user", "content": "two"}]})
        client.messages.create(**{**REQUEST, "messages": [{"role": "user", "content": "three"}]})
    assert [(e.turn, e.status) for e in fake.journal] == [(1, 200), (2, 529), (3, 200)]


def test_turns_takes_one_turn_per_argument() -> None:
    with ClaudeFake() as fake:
        fake.turns([faults.overloaded(), replies.tool_use("get_weather", {"city": "Paris"})],
                   "overloaded, ok(text=Sunny.)")
        message = run_loop("sync")
    assert message.content[0].text == "Sunny."
    assert [e.turn for e in fake.journal] == [1, 1, 2, 2]
    assert fake.journal[2].json["messages"][1]["content"][0]["input"] == {"city": "Paris"}


def test_a_single_turn_from_turns_still_counts_by_turn() -> None:
    with ClaudeFake() as fake:
        fake.turns("overloaded")
        anthropic.Anthropic().messages.create(**REQUEST)
        anthropic.Anthropic().messages.create(**{**REQUEST, "messages": [{"role": "user", "content": "two"}]})
    assert [(e.turn, e.status) for e in fake.journal] == [(1, 529), (1, 200), (2, 200)]


def test_turns_refuses_a_separator_inside_one_argument() -> None:
    with pytest.raises(ScriptError, match="one turn per argument"):
        ClaudeFake().turns("ok; ok")


def test_unused_steps_name_their_turn() -> None:
    fake = ClaudeFake("ok; overloaded", strict=False)
    with fake:
        anthropic.Anthropic().messages.create(**REQUEST)
    assert fake.unused_steps() == ["overloaded (turn 2, step 1 of script 1, used 0 of 1)"]


def test_a_bad_turn_script_names_the_position() -> None:
    with pytest.raises(ScriptError) as info:
        ClaudeFake("ok; overloded")
    assert "unknown action 'overloded'" in str(info.value) and "(position 4)" in str(info.value)


# -- routes -------------------------------------------------------------------------------------


def test_routes_by_model_and_by_content() -> None:
    with ClaudeFake("ok") as fake:
        haiku = fake.when(model="claude-haiku-4-5").script("overloaded, ok(text=from haiku)")
        weather = fake.when(contains="weather").script("ok(text=from the weather route)")
        client = anthropic.Anthropic()
        assert client.messages.create(**REQUEST).content[0].text.startswith("Hello!")
        routed = client.messages.create(**{**REQUEST, "model": "claude-haiku-4-5"})
        asked = client.messages.create(**{**REQUEST, "messages": [{"role": "user", "content": "The weather?"}]})
    assert routed.content[0].text == "from haiku" and asked.content[0].text == "from the weather route"
    assert (haiku.attempts, weather.attempts, fake.attempts) == (2, 1, 4)
    assert [e.route for e in fake.journal] == [None, haiku.name, haiku.name, weather.name]
    assert haiku.name == "route 1 (model='claude-haiku-4-5')"
    assert "route 1" in fake.timeline()


def test_the_first_matching_route_wins_and_every_key_matches() -> None:
    with ClaudeFake(strict=False) as fake:
        system = fake.when(system="terse").script("ok(text=system)")
        tools = fake.when(tools="get_weather").script("ok(text=tools)")
        answered = fake.when(tool_result=True).script("ok(text=answered)")
        streamed = fake.when(stream=True).script("ok(text=streamed)")
        custom = fake.when(predicate=lambda body: body["max_tokens"] == 7).script("ok(text=custom)")
        client = anthropic.Anthropic()
        assert client.messages.create(**REQUEST, system="Be terse.", tools=[WEATHER_TOOL]).content[0].text == "system"
        assert client.messages.create(**REQUEST, tools=[WEATHER_TOOL]).content[0].text == "tools"
        with client.messages.stream(**REQUEST) as stream:
            assert stream.get_final_message().content[0].text == "streamed"
        assert client.messages.create(**{**REQUEST, "max_tokens": 7}).content[0].text == "custom"
    assert [route.attempts for route in (system, tools, answered, streamed, custom)] == [1, 1, 0, 1, 1]


def test_a_route_for_tool_results_by_id() -> None:
    with ClaudeFake("tool_use(name=get_weather, input='{\"city\": \"Paris\", \"unit\": \"celsius\"}')") as fake:
        client = anthropic.Anthropic()
        first = client.messages.create(model=MODEL, max_tokens=100, tools=[WEATHER_TOOL],  # type: ignore[list-item]
                                       messages=[{"role": "user", "content": "Weather?"}])
        tool_id = first.content[0].id  # type: ignore[union-attr]
        route = fake.when(tool_result=tool_id).script("ok(text=answered that call)")
        history = [{"role": "user", "content": "Weather?"},
                   {"role": "assistant", "content": [first.content[0].model_dump()]}, tool_result(first)]
        final = client.messages.create(model=MODEL, max_tokens=100, tools=[WEATHER_TOOL],  # type: ignore[list-item]
                                       messages=history)  # type: ignore[arg-type]
    assert final.content[0].text == "answered that call" and route.attempts == 1  # type: ignore[union-attr]


def test_when_checks_its_keys() -> None:
    fake = ClaudeFake()
    with pytest.raises(TypeError, match=r"when\(\) needs at least one of"):
        fake.when()
    with pytest.raises(TypeError, match=r"when\(model=\.\.\.\) takes a str"):
        fake.when(model=3)  # type: ignore[arg-type]
    with pytest.raises(TypeError, match="unexpected keyword argument 'modle'"):
        fake.when(modle="x")  # type: ignore[call-arg]


def test_an_unused_route_step_fails_a_strict_fake() -> None:
    fake = ClaudeFake()
    fake.when(model="claude-haiku-4-5").script("overloaded")
    assert fake.unused_steps() == ["overloaded (route 1 (model='claude-haiku-4-5'), step 1 of script 1, used 0 of 1)"]


async def _gathered() -> list[Any]:
    client = anthropic.AsyncAnthropic(max_retries=1)
    prompts = ["alpha", "fail me", "gamma"]
    results = await asyncio.gather(*(client.messages.create(**{**REQUEST, "messages": [
        {"role": "user", "content": prompt}]}) for prompt in prompts), return_exceptions=True)
    return list(results)


def _gathered_journal() -> tuple[list[Any], list[tuple[Any, ...]]]:
    with ClaudeFake() as fake:
        fake.when(contains="fail").script("overloaded*inf")
        results = asyncio.run(_gathered())
    journal = [(e.attempt, e.turn, e.route, e.retry_count, e.status, e.start, e.end,
                json.dumps(e.json, sort_keys=True)) for e in fake.journal]
    return results, journal


def test_gathered_calls_with_one_routed_to_fail_give_the_same_journal_every_run() -> None:
    first_results, first = _gathered_journal()
    _, second = _gathered_journal()
    assert first == second
    assert [type(result).__name__ for result in first_results] == ["Message", "OverloadedError", "Message"]
    assert sorted(entry[2] or "" for entry in first).count("route 1 (contains='fail')") == 2


def test_routes_and_turns_over_the_server(claude_fake_server: ServerScope) -> None:
    route = claude_fake_server.when(model="claude-haiku-4-5")
    route.script("overloaded; ok(text=haiku turn 2)")
    client = anthropic.Anthropic()
    assert client.messages.create(**{**REQUEST, "model": "claude-haiku-4-5"}).content[0].text.startswith("Hello")
    second = client.messages.create(**{**REQUEST, "model": "claude-haiku-4-5",
                                       "messages": [{"role": "user", "content": "again"}]})
    assert second.content[0].text == "haiku turn 2"
    client.messages.create(**REQUEST)
    assert route.attempts == 3
    # A turn is its messages, whatever the model: the last call repeats the first one's.
    assert [(e.route, e.turn) for e in claude_fake_server.journal] == [
        (route.name, 1), (route.name, 1), (route.name, 2), (None, 1)]


def test_a_server_route_rejects_an_unknown_key(claude_fake_server: ServerScope) -> None:
    with pytest.raises(ValueError, match="routes cannot match on 'modle'"):
        claude_fake_server._admin("POST", "routes", b'{"modle": "x"}')


def test_a_header_turn_script_gives_each_turn_its_steps(claude_fake_server: ServerScope) -> None:
    client = anthropic.Anthropic(default_headers={"x-claude-fakes-script": "overloaded; overloaded*2, ok(text=two)"})
    client.messages.create(**REQUEST)
    second = client.messages.create(**{**REQUEST, "messages": [{"role": "user", "content": "two"}]})
    assert second.content[0].text == "two"
    assert [(e.turn, e.status) for e in claude_fake_server.journal] == [(1, 529), (1, 200), (2, 529), (2, 529),
                                                                         (2, 200)]
