"""A tool loop with manual thinking on, as an app writes it: each reply echoed back whole. The API
starts every reply with thinking and rejects a continuation that lost it, so the fake's replies
must start with thinking too, or the app's second turn meets a 400 the real API never sends."""

from __future__ import annotations

import asyncio
from collections.abc import Iterator
from typing import Any

import anthropic
import pytest

from claude_fakes import ClaudeFake
from claude_fakes.server import FakeServer

from .sdk import MODEL

TOOLS: list[Any] = [{"name": "get_weather", "input_schema": {"type": "object", "properties": {
    "city": {"type": "string"}}, "required": ["city"]}}]
THINKING: Any = {"type": "enabled", "budget_tokens": 1024}
SCRIPT = "tool_use(name=get_weather); ok"


def answered(messages: list[Any], message: Any) -> bool:
    """Append the reply and its tool results to ``messages``; whether there was a call to answer."""
    calls = [block for block in message.content if block.type == "tool_use"]
    messages += [{"role": "assistant", "content": message.content},
                 {"role": "user", "content": [{"type": "tool_result", "tool_use_id": call.id, "content": "sunny"}
                                              for call in calls]}]
    return bool(calls)


def loop(client: anthropic.Anthropic, stream: bool) -> list[list[str]]:
    """Two turns: the call, then the answer after its result; the content types of each reply."""
    messages: list[Any] = [{"role": "user", "content": "Weather in Paris?"}]
    seen = []
    for _ in range(2):
        params: Any = {"model": MODEL, "max_tokens": 4096, "thinking": THINKING, "tools": TOOLS, "messages": messages}
        if stream:
            with client.messages.stream(**params) as events:
                message = events.get_final_message()
        else:
            message = client.messages.create(**params)
        seen.append([block.type for block in message.content])
        if not answered(messages, message):
            break
    return seen


async def loop_async(client: anthropic.AsyncAnthropic) -> list[list[str]]:
    messages: list[Any] = [{"role": "user", "content": "Weather in Paris?"}]
    seen = []
    for _ in range(2):
        message = await client.messages.create(model=MODEL, max_tokens=4096, thinking=THINKING, tools=TOOLS,
                                                messages=messages)
        seen.append([block.type for block in message.content])
        if not answered(messages, message):
            break
    return seen


EXPECTED = [["thinking", "tool_use"], ["thinking", "text"]]


@pytest.mark.parametrize("stream", [False, True], ids=["create", "stream"])
def test_in_process(stream: bool) -> None:
    with ClaudeFake(SCRIPT) as fake:
        assert loop(anthropic.Anthropic(), stream) == EXPECTED
    assert [exchange.status for exchange in fake.journal] == [200, 200]


def test_in_process_async() -> None:
    with ClaudeFake(SCRIPT) as fake:
        assert asyncio.run(loop_async(anthropic.AsyncAnthropic())) == EXPECTED
    assert [exchange.status for exchange in fake.journal] == [200, 200]


@pytest.fixture
def server() -> Iterator[FakeServer]:
    with FakeServer(script=SCRIPT) as running:
        yield running


@pytest.mark.parametrize("stream", [False, True], ids=["create", "stream"])
def test_over_sockets(server: FakeServer, stream: bool) -> None:
    with anthropic.Anthropic(base_url=server.url, api_key="k") as client:
        assert loop(client, stream) == EXPECTED
