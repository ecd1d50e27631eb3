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
import json
import random
from collections.abc import Callable, Iterator
from dataclasses import dataclass, field
from typing import Any
from unittest import mock

import anthropic
import anthropic._base_client

from claude_fakes import ClaudeFake
from claude_fakes.core.journal import Exchange
from claude_fakes.core.plan import TERMINAL, Plan, Wait
from claude_fakes.core.planner import Api, Incoming
from claude_fakes.core.step import Step, pick_chaos
from claude_fakes.script import parse_script
from claude_fakes.server import SCOPED_PREFIX, FakeServer

from .sdk import MODELS, REQUEST, Outcome, client

IN_PROCESS = ["sync", "async", "sync-stream", "async-stream", "aiohttp", "aiohttp-stream"]
SOCKET = ["socket", "socket-stream"]
EXECUTORS = IN_PROCESS + SOCKET
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


# -- where the socket executor can differ ---------------------------------------------------------
#
# The in-process aiohttp executor (claude_fakes/executors/aiohttp_connection.py) and the socket
# server (executors/server/http.py) put a plan on the wire through the same HTTP/1.1 writer
# (executors/http1.py `perform`): a plan that is a head and body bytes, sent at once, reaches the
# SDK over a real socket byte for byte as it does in memory. The socket executor differs only where
# real sockets and real time do: a silence (`Wait`: real sleeps against real client timeouts) and
# the endings a kernel performs (`CUT`: a real FIN, `RESET`: a real RST, `REFUSE`: a refused
# connection, `GARBAGE`: bytes then a FIN). So the rule reads the plans a script's steps make
# (the catalogue's own shapers, streamed and not, on the row's platform):
#
# - a plan with a silence or a connection ending: both socket rows, streamed and not;
# - otherwise one socket row (streamed: the chunked event stream over a real socket), so that every
#   fault still runs in every executor kind; its other socket row would repeat the aiohttp row
#   (and, on Bedrock and Vertex, for plans with no response at all: see `executors_for`).

_PATHS = {"anthropic": ("/v1/messages", "/v1/messages"),
          "bedrock": ("/model/{model}/invoke", "/model/{model}/invoke-with-response-stream"),
          "vertex": ("/projects/p/locations/us-east5/publishers/anthropic/models/{model}:rawPredict",
                     "/projects/p/locations/us-east5/publishers/anthropic/models/{model}:streamRawPredict")}


class _Draw(random.Random):
    """A chaos draw that lands at ``at`` (the rest of the pick, ``after`` and ``seconds``, seeded)."""

    def __init__(self, at: float) -> None:
        super().__init__(0)
        self.at = at

    def random(self) -> float:
        return self.at


def _concrete(step: Step) -> Iterator[Step]:
    """The step, or for ``chaos`` every step it may become."""
    if step.action != "chaos":
        yield step
        return
    start = 0.0
    for _, chance in step.args:
        if chance > 0:
            yield pick_chaos(step, _Draw(start + chance / 2))
        start += chance
    if start < 1:
        yield Step.make("ok")


def plans(script: str, platform: str = "anthropic") -> Iterator[Plan]:
    """The plans ``script``'s steps make on ``platform``, unstreamed and streamed."""
    model = MODELS[platform]
    for scripted in parse_script(script):
        for step in _concrete(scripted):
            for stream in (False, True):
                path = _PATHS[platform][stream].format(model=model)
                body = json.dumps({**REQUEST, "model": model, "stream": stream}).encode()
                yield Api().respond(Incoming("POST", path, {}, {}, body), step, now=0)


def real_socket_matters(script: str, platform: str = "anthropic") -> bool:
    """Whether a plan of ``script`` has a silence or a connection ending (see above)."""
    return any(isinstance(action, Wait) or any(action is end for end in TERMINAL)
               for plan in plans(script, platform) for action in plan.actions)


def executors_for(script: str, platform: str = "anthropic") -> list[str]:
    """The executors ``script`` runs in: every in-process one, and the socket rows the rule keeps.

    On Bedrock and Vertex, a script whose plans never answer (no head: a hang, a refusal, a reset or
    garbage before any response) keeps one socket row: nothing of the platform reaches the wire,
    and the Anthropic API's matrix runs the same connection endings over sockets streamed and not."""
    if not real_socket_matters(script, platform):
        return [*IN_PROCESS, "socket-stream"]
    if platform != "anthropic" and not any(plan.head for plan in plans(script, platform)):
        return [*IN_PROCESS, "socket-stream"]
    return EXECUTORS


def quick_backoff() -> Any:
    """The SDK's pause between attempts cut from 0.5 s and up to 10 ms, over sockets only.

    That pause is the SDK's own sleep in this process before it reconnects: the socket server neither
    sees nor shapes it, and in real time it was most of a socket row's cost (two backoffs of 0.4 to
    1 s per retried row). The in-process rows keep the SDK's backoff, on the virtual clock."""
    return mock.patch.object(anthropic._base_client, "INITIAL_RETRY_DELAY", 0.01)


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
        with quick_backoff():
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
