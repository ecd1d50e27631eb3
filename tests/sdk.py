"""Drive the installed anthropic SDK the way applications do, in four modes.

The suite runs twice in CI: with anthropic latest (on httpx2) and with anthropic 0.125.0 (on
httpx). ``HTTP`` is the HTTP package the installed SDK uses; transport errors must come from it.
"""

from __future__ import annotations

import asyncio
import importlib
from dataclasses import dataclass, field
from typing import Any

import anthropic
import anthropic._base_client as base_client

ON_HTTPX2 = hasattr(base_client, "httpx2")
HTTP: Any = importlib.import_module("httpx2" if ON_HTTPX2 else "httpx")
SDK_MAJOR = int(anthropic.__version__.split(".")[0])

MODEL = "claude-sonnet-4-6"
REQUEST: dict[str, Any] = {"model": MODEL, "max_tokens": 1024, "messages": [{"role": "user", "content": "Hello"}]}

MODES = ["sync", "async", "sync-stream", "async-stream"]


@dataclass
class Outcome:
    """What the caller saw: the final message (or None) or the exception, and the events iterated."""

    message: Any = None
    error: Exception | None = None
    events: list[str] = field(default_factory=list)

    @property
    def text(self) -> str:
        return "".join(block.text for block in self.message.content if block.type == "text")


def call(mode: str, client_options: dict[str, Any] | None = None, **request: Any) -> Outcome:
    """One ``messages.create`` (or ``messages.stream``) call in ``mode``, the way user code makes it."""
    options = client_options or {}
    params = {**REQUEST, **request}
    outcome = Outcome()
    try:
        if mode == "sync":
            outcome.message = anthropic.Anthropic(**options).messages.create(**params)
        elif mode == "sync-stream":
            with anthropic.Anthropic(**options).messages.stream(**params) as stream:
                for event in stream:
                    outcome.events.append(event.type)
                outcome.message = stream.get_final_message()
        else:
            asyncio.run(_call_async(mode, options, params, outcome))
    except Exception as err:  # the test inspects what the caller saw (a BaseException is the test's to see)
        outcome.error = err
    return outcome


async def _call_async(mode: str, options: dict[str, Any], params: dict[str, Any], outcome: Outcome) -> None:
    client = anthropic.AsyncAnthropic(**options)
    if mode == "async":
        outcome.message = await client.messages.create(**params)
        return
    async with client.messages.stream(**params) as stream:
        async for event in stream:
            outcome.events.append(event.type)
        outcome.message = await stream.get_final_message()


def content_events(events: list[str]) -> list[str]:
    """The raw SSE events among a stream helper's events (it adds derived ``text`` events)."""
    return [event for event in events if event not in ("text", "thinking", "signature", "input_json", "citation")]
