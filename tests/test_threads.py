"""Message threads with the installed SDK's own tool runner, in-process and over the server.

anthropic 2.x runs its tool runner on a message thread by default (``anthropic.lib.threads``):
turn 2 sends only the tool result with ``thread: continue``, and when the API answers 404
``thread_not_found`` it replays the whole conversation under a new thread. The 0.x generation has
no threads: its runner sends the whole history every turn. Tests of the SDK's thread handling run
only where the installed SDK has ``anthropic.lib.threads``; the rest run on both generations.
"""

from __future__ import annotations

import asyncio
import importlib.util
import time
from typing import Any

import anthropic
import pytest

from claude_fakes import ClaudeFake
from claude_fakes.server.client import ServerScope

from .agent import WEATHER_TOOL
from .sdk import MODEL

HAS_THREADS = importlib.util.find_spec("anthropic.lib.threads") is not None
needs_threads = pytest.mark.skipif(not HAS_THREADS,
                                   reason="this anthropic has no message threads (anthropic.lib.threads is new in 2.x)")

LOOP = "tool_use(name=get_weather); ok(text=It is sunny.)"
ASK = {"role": "user", "content": "Weather in Paris?"}


def get_weather(city: str, unit: str) -> str:
    """The weather in a city."""
    return f"{city}: sunny"


def run_tool_runner(client: Any = None, *, sleep: float = 0.0) -> list[Any]:
    """The SDK's tool runner in its default mode, with ``sleep`` seconds between its turns; its messages."""
    client = client or anthropic.Anthropic(api_key="sk-ant-test")
    tool = anthropic.beta_tool(get_weather)
    runner = client.beta.messages.tool_runner(model=MODEL, max_tokens=1024, tools=[tool], messages=[ASK])
    messages = []
    for message in runner:
        messages.append(message)
        time.sleep(sleep)
    return messages


def threads_of(fake: Any) -> list[Any]:
    return [exchange.json.get("thread") for exchange in fake.journal]


def test_the_default_tool_runner_completes_a_two_turn_loop() -> None:
    with ClaudeFake(LOOP) as fake:
        messages = run_tool_runner()
    assert messages[-1].content[0].text == "It is sunny."
    assert [exchange.turn for exchange in fake.journal] == [1, 2]
    second = fake.journal[1].json
    if HAS_THREADS:
        # Turn 2 sends only the tool result, and neither system nor tools: the thread holds them.
        assert threads_of(fake) == [{"type": "create"},
                                    {"type": "continue", "previous_message_id": messages[0].id}]
        assert [message["role"] for message in second["messages"]] == ["user"] and "tools" not in second
    else:
        assert threads_of(fake) == [None, None] and len(second["messages"]) == 3
    assert fake.verdict().resilient


async def run_async_tool_runner(stream: bool) -> list[Any]:
    client = anthropic.AsyncAnthropic(api_key="sk-ant-test")
    tool = anthropic.beta_async_tool(_async_weather, name="get_weather")
    runner = client.beta.messages.tool_runner(model=MODEL, max_tokens=1024, tools=[tool], messages=[ASK],
                                              stream=stream)
    messages = []
    async for item in runner:
        messages.append(await item.get_final_message() if stream else item)
    return messages


async def _async_weather(city: str, unit: str) -> str:
    """The weather in a city."""
    return f"{city}: sunny"


@needs_threads
@pytest.mark.parametrize("stream", [False, True], ids=["async", "async-stream"])
def test_the_async_tool_runner_replays_a_lost_thread(stream: bool) -> None:
    with ClaudeFake("tool_use(name=get_weather); thread_lost") as fake:
        messages = asyncio.run(run_async_tool_runner(stream))
    assert messages[-1].stop_reason == "end_turn"
    assert [(exchange.turn, exchange.status, exchange.stream) for exchange in fake.journal] == [
        (1, 200, stream), (2, 404, stream), (2, 200, stream)]


@needs_threads
@pytest.mark.parametrize("fault", ["thread_lost", "thread_expired"])
def test_a_lost_thread_makes_the_sdk_replay_the_whole_conversation(fault: str) -> None:
    with ClaudeFake(f"tool_use(name=get_weather); {fault}") as fake:
        messages = run_tool_runner()
    assert messages[-1].stop_reason == "end_turn"
    assert [exchange.status for exchange in fake.journal] == [200, 404, 200]
    assert [exchange.turn for exchange in fake.journal] == [1, 2, 2]  # the replay is the turn it replays
    replay = fake.journal[2].json
    assert replay["thread"] == {"type": "create"}
    assert [message["role"] for message in replay["messages"]] == ["user", "assistant", "user"]
    assert "tools" in replay


@needs_threads
def test_a_thread_expires_five_virtual_minutes_after_its_last_request() -> None:
    with ClaudeFake(LOOP) as fake:
        messages = run_tool_runner(sleep=300)
    assert messages[-1].content[0].text == "It is sunny."
    assert [exchange.status for exchange in fake.journal] == [200, 404, 200]
    assert fake.journal[1].notes == ["thread_not_found"]
    assert [exchange.turn for exchange in fake.journal] == [1, 2, 2]
    assert fake.journal[2].json["thread"] == {"type": "create"}


@needs_threads
def test_a_thread_used_within_five_minutes_is_continued() -> None:
    with ClaudeFake(LOOP) as fake:
        run_tool_runner(sleep=299)
    assert [exchange.status for exchange in fake.journal] == [200, 200]


def test_a_paused_turn_continues_with_no_messages() -> None:
    """What the SDK sends after ``pause_turn``; raw ``extra_body``, so on every generation."""
    client = anthropic.Anthropic(api_key="sk-ant-test")
    request: dict[str, Any] = {"model": MODEL, "max_tokens": 1024, "tools": [WEATHER_TOOL]}
    with ClaudeFake("tool_use(name=get_weather), ok(text=Resumed.)") as fake:
        first = client.messages.create(**request, messages=[ASK], extra_body={"thread": {"type": "create"}})
        resumed = client.messages.create(model=MODEL, max_tokens=1024, messages=[], extra_body={
            "thread": {"type": "continue", "previous_message_id": first.id}})
        again = None
        try:
            client.messages.create(model=MODEL, max_tokens=1024, messages=[], extra_body={
                "thread": {"type": "continue", "previous_message_id": first.id}})
        except anthropic.BadRequestError as error:
            again = error
    assert resumed.content[0].text == "Resumed."
    assert [exchange.turn for exchange in fake.journal] == [1, 2, 2]
    assert again is not None and again.body["error"]["details"] == {"error_code": "thread_already_continued"}


@needs_threads
def test_the_tool_runner_on_a_thread_over_the_server(claude_fake_server: ServerScope) -> None:
    claude_fake_server.script("tool_use(name=get_weather); thread_lost")
    messages = run_tool_runner(anthropic.Anthropic(api_key="sk-ant-test"))
    assert messages[-1].stop_reason == "end_turn"
    journal = claude_fake_server.journal
    assert [exchange.status for exchange in journal] == [200, 404, 200]
    assert [exchange.json["thread"]["type"] for exchange in journal] == ["create", "continue", "create"]
    assert [exchange.turn for exchange in journal] == [1, 2, 2]


@needs_threads
def test_a_turn_script_after_a_replay_still_meets_its_turn() -> None:
    script = "tool_use(name=get_weather); thread_lost, tool_use(name=get_weather); overloaded"
    with ClaudeFake(script) as fake:
        messages = run_tool_runner()
    assert [message.stop_reason for message in messages] == ["tool_use", "tool_use", "end_turn"]
    assert [(exchange.turn, exchange.status) for exchange in fake.journal] == [
        (1, 200), (2, 404), (2, 200), (3, 529), (3, 200)]


def test_the_tool_runner_resumes_a_paused_turn_on_its_thread() -> None:
    """``pause_turn`` through the runner's own resume path. 2.x continues the thread from the paused
    message with no new messages; 0.125's runner has no resume step (``lib/tools/_beta_runner.py``
    checks only ``refusal``), so it ends on the paused message: its caller gets a turn cut short."""
    with ClaudeFake("pause_turn; ok(text=Done.)", strict=HAS_THREADS) as fake:
        messages = run_tool_runner()
    if not HAS_THREADS:
        assert [message.stop_reason for message in messages] == ["pause_turn"] and fake.attempts == 1
        return
    assert [message.stop_reason for message in messages] == ["pause_turn", "end_turn"]
    assert messages[-1].content[-1].text == "Done."
    assert threads_of(fake)[1] == {"type": "continue", "previous_message_id": messages[0].id}
    assert fake.journal[1].json["messages"] == [] and [exchange.turn for exchange in fake.journal] == [1, 2]
