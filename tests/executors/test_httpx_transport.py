"""executors/httpx_transport.py: a plan walked inside httpx and httpx2 transports, on the virtual clock.

Both libraries are installed alongside either SDK generation, so each test runs on both; the
requests are the libraries' own Request objects, with no SDK client.
"""

from __future__ import annotations

import asyncio
import importlib
import json
import types
from typing import Any

import pytest

from claude_fakes.core.clock import Clock
from claude_fakes.core.journal import Outcome
from claude_fakes.core.plan import WouldHangForever
from claude_fakes.engine.engine import Engine
from claude_fakes.executors.httpx_transport import handle, handle_async, library_of

LIBRARIES = [importlib.import_module(name) for name in ("httpx", "httpx2")]
URL = "https://api.anthropic.com/v1/messages"
HEADERS = {"x-api-key": "k", "anthropic-version": "2023-06-01", "X-Stainless-Retry-Count": "0"}


@pytest.fixture(params=LIBRARIES, ids=lambda lib: lib.__name__)
def lib(request: pytest.FixtureRequest) -> types.ModuleType:
    module: types.ModuleType = request.param
    return module


def make_request(lib: types.ModuleType, read: float | None = 30.0, stream: bool = False, **extra: Any) -> Any:
    body = {"model": "claude-sonnet-4-6", "max_tokens": 50, "stream": stream,
            "messages": [{"role": "user", "content": "hi"}], **extra}
    timeout = {"connect": 5.0, "read": read, "write": 5.0, "pool": 5.0}
    return lib.Request("POST", URL, headers=HEADERS, content=json.dumps(body).encode(),
                       extensions={"timeout": timeout})


def serve(engine: Engine, lib: types.ModuleType, request: Any) -> Any:
    return handle(engine, lib, request, request.url.path)


def test_a_reply_is_the_librarys_response_with_the_plans_status_and_headers(lib: types.ModuleType) -> None:
    engine = Engine(Clock())
    response = serve(engine, lib, make_request(lib))
    assert isinstance(response, lib.Response) and response.status_code == 200
    assert response.headers["content-type"] == "application/json"
    assert json.loads(response.read())["type"] == "message"
    assert response.extensions["reason_phrase"] == b"OK"
    (exchange,) = engine.journal
    assert (exchange.outcome, exchange.retry_count, exchange.timeout["read"]) == (Outcome.COMPLETE, 0, 30.0)


def test_an_error_status_is_a_response_not_an_exception(lib: types.ModuleType) -> None:
    engine = Engine(Clock()).script("overloaded")
    response = serve(engine, lib, make_request(lib))
    assert response.status_code == 529 and json.loads(response.read())["error"]["type"] == "overloaded_error"


def test_a_hang_is_a_read_timeout_after_exactly_the_read_timeout(lib: types.ModuleType) -> None:
    engine = Engine(Clock()).script("hang")
    with pytest.raises(lib.ReadTimeout):
        serve(engine, lib, make_request(lib, read=12.5))
    assert engine.clock.elapsed == 12.5
    assert (engine.journal[0].outcome, engine.journal[0].error) == (Outcome.READ_TIMEOUT,
                                                                    f"{lib.__name__}.ReadTimeout")


def test_a_stall_mid_stream_is_a_read_timeout_while_iterating(lib: types.ModuleType) -> None:
    engine = Engine(Clock()).script("stall(after=2, seconds=100)")
    response = serve(engine, lib, make_request(lib, read=10.0, stream=True))
    assert response.status_code == 200
    with pytest.raises(lib.ReadTimeout):
        response.read()
    assert engine.clock.elapsed == 10.0 and engine.journal[0].events == 2


def test_a_slow_reply_advances_the_clock_by_its_silences(lib: types.ModuleType) -> None:
    engine = Engine(Clock()).script("slow(ttft=3, tps=1)")
    response = serve(engine, lib, make_request(lib, read=None, stream=True))
    response.read()
    assert engine.clock.elapsed > 3.0 and engine.journal[0].outcome == Outcome.COMPLETE


def test_a_drop_is_a_remote_protocol_error_mid_body(lib: types.ModuleType) -> None:
    engine = Engine(Clock()).script("drop(after=1)")
    response = serve(engine, lib, make_request(lib, stream=True))
    with pytest.raises(lib.RemoteProtocolError, match="incomplete chunked read"):
        response.read()
    assert (engine.journal[0].outcome, engine.journal[0].events) == (Outcome.CUT, 1)


def test_a_cut_before_the_response_is_a_remote_protocol_error_from_handle(lib: types.ModuleType) -> None:
    engine = Engine(Clock()).script("hang(close_after=5)")
    with pytest.raises(lib.RemoteProtocolError, match="without sending a response"):
        serve(engine, lib, make_request(lib))
    assert engine.clock.elapsed == 5.0


@pytest.mark.parametrize(("script", "error", "outcome"), [
    ("refuse", "ConnectError", Outcome.REFUSED), ("reset", "ReadError", Outcome.RESET),
    ("garbage", "RemoteProtocolError", Outcome.GARBAGE),
], ids=["refuse", "reset", "garbage"])
def test_a_connection_failure_is_the_librarys_own_error(lib: types.ModuleType, script: str, error: str,
                                                        outcome: str) -> None:
    engine = Engine(Clock()).script(script)
    with pytest.raises(getattr(lib, error)):
        serve(engine, lib, make_request(lib))
    assert engine.journal[0].outcome == outcome and engine.clock.elapsed == 0


def test_a_hang_without_read_timeout_raises_would_hang_forever(lib: types.ModuleType) -> None:
    engine = Engine(Clock()).script("hang")
    with pytest.raises(WouldHangForever):
        serve(engine, lib, make_request(lib, read=None))
    assert engine.clock.elapsed == 0 and engine.findings


def test_closing_a_stream_early_counts_what_was_delivered(lib: types.ModuleType) -> None:
    engine = Engine(Clock()).script("stall(after=1, seconds=5)")
    response = serve(engine, lib, make_request(lib, stream=True))
    next(iter(response.stream))
    response.close()
    assert engine.journal[0].outcome == Outcome.CLIENT_CLOSED


def test_the_async_path_awaits_each_silence_on_the_waiter(lib: types.ModuleType) -> None:
    engine = Engine(Clock()).script("slow(ttft=2, tps=4)")
    waits: list[float] = []

    async def waiter(seconds: float) -> None:
        waits.append(seconds)
        engine.clock.advance(seconds)

    async def main() -> bytes:
        request = make_request(lib, stream=True)
        response = await handle_async(engine, lib, request, request.url.path, waiter)
        return bytes(await response.aread())

    data = asyncio.run(main())
    assert data.endswith(b"event: message_stop\ndata: {\"type\":\"message_stop\"}\n\n")
    assert waits and waits[0] == 2.0 and engine.clock.elapsed == pytest.approx(sum(waits))


def test_a_waiter_cancelled_mid_silence_journals_a_cancellation(lib: types.ModuleType) -> None:
    engine = Engine(Clock()).script("hang")

    async def waiter(seconds: float) -> None:
        raise asyncio.CancelledError

    async def main() -> None:
        request = make_request(lib)
        await handle_async(engine, lib, request, request.url.path, waiter)

    with pytest.raises(asyncio.CancelledError):
        asyncio.run(main())
    assert engine.journal[0].outcome == Outcome.CANCELLED


def test_library_of_is_the_requests_own_package(lib: types.ModuleType) -> None:
    assert library_of(make_request(lib)) is lib
