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

PLATFORMS = ["anthropic", "bedrock", "vertex"]
MODELS = {"anthropic": MODEL, "bedrock": "anthropic.claude-sonnet-4-5-20250929-v1:0",
          "vertex": "claude-sonnet-4-5@20250929", "foundry": MODEL}
"""The model each platform's users name: Bedrock's model id, Vertex's versioned name. Microsoft
Foundry speaks the Anthropic API's own wire (its client is in both generations), so the platform
matrices leave it out; the interception tests build it."""


def client(platform: str, asynchronous: bool = False, **options: Any) -> Any:
    """The SDK client a user of ``platform`` builds, with dummy credentials."""
    if platform == "foundry":
        foundry = anthropic.AsyncAnthropicFoundry if asynchronous else anthropic.AnthropicFoundry
        if "base_url" not in options:
            options["resource"] = "claude-fakes-test"
        return foundry(api_key="not-a-real-foundry-key", **options)
    if platform == "bedrock":
        bedrock = anthropic.AsyncAnthropicBedrock if asynchronous else anthropic.AnthropicBedrock
        return bedrock(aws_region="us-east-1", aws_access_key="AKIAEXAMPLEEXAMPLE00",
                       aws_secret_key="not-a-real-secret", **options)
    if platform == "vertex":
        vertex = anthropic.AsyncAnthropicVertex if asynchronous else anthropic.AnthropicVertex
        return vertex(region="us-east5", project_id="claude-fakes-test", access_token="ya29.not-a-real-token",
                      **options)
    first_party = anthropic.AsyncAnthropic if asynchronous else anthropic.Anthropic
    return first_party(**options)


@dataclass
class Outcome:
    """What the caller saw: the final message (or None) or the exception, and the events iterated."""

    message: Any = None
    error: Exception | None = None
    events: list[str] = field(default_factory=list)

    @property
    def text(self) -> str:
        return "".join(block.text for block in self.message.content if block.type == "text")


def call(mode: str, client_options: dict[str, Any] | None = None, *, platform: str = "anthropic", beta: bool = False,
         **request: Any) -> Outcome:
    """One ``messages.create`` (or ``messages.stream``) call in ``mode`` on ``platform``, the way
    user code makes it; ``beta``: through ``client.beta.messages``."""
    options = {**(client_options or {}), "platform": platform}
    params = {**REQUEST, "model": MODELS[platform], **request}
    outcome = Outcome()
    try:
        if mode.startswith("sync"):
            with client(**options) as sync_client:
                _call_sync(sync_client, mode, params, outcome, beta)
        else:
            asyncio.run(_call_async(mode, options, params, outcome, beta))
    except Exception as err:  # the test inspects what the caller saw (a BaseException is the test's to see)
        outcome.error = err
    return outcome


def _call_sync(sync_client: Any, mode: str, params: dict[str, Any], outcome: Outcome, beta: bool) -> None:
    messages = sync_client.beta.messages if beta else sync_client.messages
    if mode == "sync":
        outcome.message = messages.create(**params)
        return
    with messages.stream(**params) as stream:
        for event in stream:
            outcome.events.append(event.type)
        outcome.message = stream.get_final_message()


async def _call_async(mode: str, options: dict[str, Any], params: dict[str, Any], outcome: Outcome,
                      beta: bool) -> None:
    async with client(asynchronous=True, **options) as async_client:
        messages = async_client.beta.messages if beta else async_client.messages
        if mode == "async":
            outcome.message = await messages.create(**params)
            return
        async with messages.stream(**params) as stream:
            async for event in stream:
                outcome.events.append(event.type)
            outcome.message = await stream.get_final_message()


def content_events(events: list[str]) -> list[str]:
    """The raw SSE events among a stream helper's events (it adds derived ``text`` events)."""
    return [event for event in events if event not in ("text", "thinking", "signature", "input_json", "citation")]
