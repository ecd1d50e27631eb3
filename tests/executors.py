"""Every executor a fault must behave the same in, each driven by the installed SDK.

In-process on the virtual clock: the SDK's httpx/httpx2 transports, sync and async, streaming
and not, and its aiohttp client (``DefaultAioHttpClient``). Over real sockets: the SDK against a
:class:`~claude_fakes.server.FakeServer` in real time (short timeouts keep that quick).

Each on a platform: the Anthropic API (``Anthropic``), Amazon Bedrock (``AnthropicBedrock``,
dummy AWS keys) or Google Vertex AI (``AnthropicVertex``, a dummy access token).
"""

from __future__ import annotations

import asyncio
import itertools
from collections.abc import Callable
from dataclasses import dataclass, field
from typing import Any

import anthropic

from claude_fakes import ClaudeFake
from claude_fakes.core.journal import Exchange
from claude_fakes.server import SCOPED_PREFIX, FakeServer

from .sdk import MODELS, REQUEST, Outcome, client

EXECUTORS = ["sync", "async", "sync-stream", "async-stream", "aiohttp", "aiohttp-stream", "socket", "socket-stream"]
_scopes = itertools.count(1)


@dataclass
class Seen(Outcome):
    """What the caller saw (:class:`~tests.sdk.Outcome`), and what the fake journalled."""

    journal: list[Exchange] = field(default_factory=list)

    @property
    def attempts(self) -> int:
        return sum(1 for exchange in self.journal if exchange.attempt is not None)


def streaming(executor: str) -> bool:
    return executor.endswith("stream")


async def _async_call(client: Any, stream: bool, request: dict[str, Any]) -> Any:
    async with client:
        if not stream:
            return await client.messages.create(**request)
        async with client.messages.stream(**request) as events:
            async for _ in events:
                pass
            return await events.get_final_message()


def _sync_call(client: Any, stream: bool, request: dict[str, Any]) -> Any:
    with client:
        if not stream:
            return client.messages.create(**request)
        with client.messages.stream(**request) as events:
            for _ in events:
                pass
            return events.get_final_message()


def _caught(call: Callable[[], Any]) -> Seen:
    seen = Seen()
    try:
        seen.message = call()
    except Exception as err:  # the test compares what the caller would have seen
        seen.error = err
    return seen


def run(executor: str, script: str, options: dict[str, Any], server: FakeServer, platform: str = "anthropic") -> Seen:
    """One SDK call on ``platform`` in ``executor`` against ``script``, with client ``options``."""
    stream = streaming(executor)
    request = {**REQUEST, "model": MODELS[platform]}
    if executor.startswith("socket"):
        scope = f"matrix-{next(_scopes)}"
        url = f"{server.url}{SCOPED_PREFIX}{scope}"
        server.scopes.get(scope).engine.script(script)
        key = {"api_key": "sk-test"} if platform == "anthropic" else {}
        seen = _caught(lambda: _sync_call(client(platform, base_url=url, **key, **options), stream, request))
        seen.journal = server.scopes.get(scope).engine.journal
        return seen
    with ClaudeFake(script, strict=False) as fake:
        if executor.startswith("aiohttp"):
            seen = _caught(lambda: asyncio.run(_async_call(
                client(platform, True, http_client=anthropic.DefaultAioHttpClient(), **options), stream, request)))
        elif executor.startswith("async"):
            seen = _caught(lambda: asyncio.run(_async_call(client(platform, True, **options), stream, request)))
        else:
            seen = _caught(lambda: _sync_call(client(platform, **options), stream, request))
    seen.journal = fake.journal
    return seen
