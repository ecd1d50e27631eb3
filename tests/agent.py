"""A tool loop the way applications write one, in each SDK mode: call, run the tools the model
asks for, send their results, repeat until the model answers with text."""

from __future__ import annotations

import asyncio
from typing import Any

import anthropic

from .sdk import MODEL

WEATHER_TOOL: dict[str, Any] = {
    "name": "get_weather",
    "description": "The weather in a city.",
    "input_schema": {
        "type": "object",
        "properties": {
            "city": {"type": "string", "minLength": 2},
            "unit": {"type": "string", "enum": ["celsius", "fahrenheit"]},
            "days": {"type": "integer", "minimum": 1, "maximum": 7},
        },
        "required": ["city", "unit"],
    },
}
MAX_TURNS = 8


def tool_result(message: Any) -> dict[str, Any]:
    """The user message answering every tool call of ``message``."""
    return {"role": "user", "content": [
        {"type": "tool_result", "tool_use_id": block.id, "content": f"{block.input.get('city', '?')}: sunny"}
        for block in message.content if block.type == "tool_use"]}


def _assistant(message: Any) -> dict[str, Any]:
    return {"role": "assistant", "content": [block.model_dump(exclude_none=True) for block in message.content]}


def run_loop(mode: str, options: dict[str, Any] | None = None, prompt: str = "Weather in Paris?") -> Any:
    """The final message of a tool loop in ``mode`` (sync, async, sync-stream, async-stream)."""
    if mode.startswith("async"):
        return asyncio.run(_run_async(mode, options or {}, prompt))
    client = anthropic.Anthropic(**(options or {}))
    messages: list[dict[str, Any]] = [{"role": "user", "content": prompt}]
    for _ in range(MAX_TURNS):
        params = {"model": MODEL, "max_tokens": 1024, "tools": [WEATHER_TOOL], "messages": messages}
        if mode == "sync-stream":
            with client.messages.stream(**params) as stream:  # type: ignore[arg-type]
                message = stream.get_final_message()
        else:
            message = client.messages.create(**params)  # type: ignore[call-overload]
        if message.stop_reason != "tool_use":
            return message
        messages = [*messages, _assistant(message), tool_result(message)]
    raise AssertionError(f"no answer after {MAX_TURNS} turns")


async def _run_async(mode: str, options: dict[str, Any], prompt: str) -> Any:
    client = anthropic.AsyncAnthropic(**options)
    messages: list[dict[str, Any]] = [{"role": "user", "content": prompt}]
    for _ in range(MAX_TURNS):
        params = {"model": MODEL, "max_tokens": 1024, "tools": [WEATHER_TOOL], "messages": messages}
        if mode == "async-stream":
            async with client.messages.stream(**params) as stream:  # type: ignore[arg-type]
                message = await stream.get_final_message()
        else:
            message = await client.messages.create(**params)  # type: ignore[call-overload]
        if message.stop_reason != "tool_use":
            return message
        messages = [*messages, _assistant(message), tool_result(message)]
    raise AssertionError(f"no answer after {MAX_TURNS} turns")
