"""The in-process executor: walks a plan inside an httpx or httpx2 transport, on the virtual clock.

Silences advance the clock instead of sleeping; where a silence outlasts the client's read
timeout (``request.extensions["timeout"]["read"]``) the clock advances by exactly that timeout
and the transport raises the HTTP library's own ``ReadTimeout``. Cuts raise its
``RemoteProtocolError`` and refusals its ``ConnectError``. Raised before the response head
(inside ``send()``), the SDK turns them into ``APITimeoutError`` / ``APIConnectionError`` and
retries; raised while a stream body is iterated, they reach the caller raw, as on the real wire.

The same code serves httpx (anthropic 0.x) and httpx2 (anthropic >= 1.0), sync and async: the
library module is a parameter, so each client gets exceptions from its own package.
"""

from __future__ import annotations

import importlib
import time
import types
from collections.abc import AsyncIterator, Awaitable, Callable, Iterator
from contextlib import contextmanager
from dataclasses import dataclass
from functools import cache
from typing import Any, NoReturn

from ..core.plan import CUT, END, FOREVER, GARBAGE, READ_TIMEOUT, REFUSE, RESET, Head, Send
from ..core.request import Incoming
from ..engine.engine import Engine, Run
from ..wire.http import GARBAGE_BYTES, reason

Waiter = Callable[[float], Awaitable[None]]

_real = time.perf_counter
"""Real seconds, for a recording's offsets: virtual time replaces ``time.monotonic``, not this."""


@dataclass(frozen=True)
class Forward:
    """How a request that is to be recorded reaches the upstream: through the client's own transport
    (``send``, the method the interception replaced), at ``upstream`` (None: where the client sent it)."""

    send: Callable[[Any], Any]
    upstream: str | None = None


def incoming_from(request: Any, api_path: str, body: bytes) -> Incoming:
    return Incoming(
        method=request.method,
        path=api_path,
        query=dict(request.url.params.multi_items()) if request.url.query else {},
        headers=dict(request.headers.items()),  # httpx and httpx2 give the names lower-cased
        body=body,
    )


class TransportErrors:
    """The exception classes a transport raises for the wire failures a plan can contain."""

    def __init__(
        self,
        read_timeout: Callable[..., Exception],
        remote_protocol: Callable[..., Exception],
        connect: Callable[..., Exception],
        read: Callable[..., Exception],
    ) -> None:
        self.read_timeout = read_timeout
        self.remote_protocol = remote_protocol
        self.connect = connect
        self.read = read

    @classmethod
    def of(cls, lib: types.ModuleType) -> TransportErrors:
        return cls(lib.ReadTimeout, lib.RemoteProtocolError, lib.ConnectError, lib.ReadError)


_errors_of = cache(TransportErrors.of)


def library_of(request: Any) -> types.ModuleType:
    return importlib.import_module(type(request).__module__.split(".")[0])


class PlanRun:
    """One exchange in an httpx/httpx2 transport: the engine's run, the library, the clock."""

    def __init__(self, run: Run, lib: types.ModuleType, request: Any, errors: TransportErrors | None,
                 waiter: Waiter | None = None) -> None:
        self.run = run
        self.lib = lib
        self.request = request
        self.errors = errors or _errors_of(lib)
        self.clock = run.engine.clock
        self.waiter = waiter

    def response(self) -> Any:
        """Run the plan up to the head and return the library's Response, or raise."""
        __tracebackhide__ = True
        step = self.run.next()
        self.clock.advance(step.wait)
        return self._respond(step.then)

    async def response_async(self) -> Any:
        __tracebackhide__ = True
        step = self.run.next()
        await self._waiting(step.wait)
        return self._respond(step.then)

    def _respond(self, head: object) -> Any:
        __tracebackhide__ = True
        if not isinstance(head, Head):
            self._fail(head)
        # A body that would all arrive at once is handed over whole: the client reads the same bytes
        # with no walk per chunk (most replies, when no latency model paces them).
        whole = self.run.whole_body()
        if whole is not None:
            self.run.end(END)
        return self.lib.Response(
            head.status,
            headers=list(head.headers),
            stream=self.lib.ByteStream(whole) if whole is not None else body_class(self.lib)(self),
            extensions={"http_version": b"HTTP/1.1", "reason_phrase": reason(head.status)},
        )

    def chunk(self) -> bytes | None:
        """The next piece of body, or None at a clean end; raises where the wire fails."""
        __tracebackhide__ = True
        while True:
            step = self.run.next()
            self.clock.advance(step.wait)
            if (data := self._deliver(step.then)) != b"":
                return data

    async def chunk_async(self) -> bytes | None:
        __tracebackhide__ = True
        while True:
            step = self.run.next()
            await self._waiting(step.wait)
            if (data := self._deliver(step.then)) != b"":
                return data

    async def _waiting(self, seconds: float) -> None:
        if not seconds:
            return
        assert self.waiter is not None
        try:
            await self.waiter(seconds)
        except BaseException:
            # Cancelled mid-silence: asyncio.wait_for, a task group, Ctrl-C.
            self.run.cancelled()
            raise

    def _deliver(self, action: object) -> bytes | None:
        """The bytes the client reads now (``b""``: none, keep walking), None at a clean end."""
        __tracebackhide__ = True
        if isinstance(action, Send):
            return action.data
        if action is END:
            self.run.end(END)
            return None
        self._fail(action)

    def close(self) -> None:
        self.run.close()

    def _fail(self, action: object) -> NoReturn:
        __tracebackhide__ = True  # the failure is the wire's, shown at the caller's line
        errors, request = self.errors, self.request
        error: BaseException
        if action is READ_TIMEOUT:
            error = errors.read_timeout("The read operation timed out", request=request)
        elif action is CUT and self.run.exchange.status is None:
            error = errors.remote_protocol("Server disconnected without sending a response.", request=request)
        elif action is CUT:
            error = errors.remote_protocol(
                "peer closed connection without sending complete message body (incomplete chunked read)",
                request=request,
            )
        elif action is RESET:
            error = errors.read("[Errno 104] Connection reset by peer", request=request)
        elif action is GARBAGE:
            line = bytearray(GARBAGE_BYTES.split(b"\r\n", 1)[0])
            error = errors.remote_protocol(f"illegal status line: {line!r}", request=request)
        elif action is REFUSE:
            error = errors.connect("[Errno 111] Connection refused", request=request)
        elif action is FOREVER:
            raise self.run.hang_forever()
        else:
            raise AssertionError(f"unexpected plan action {action!r}")
        self.run.end(action, f"{self.lib.__name__}.{type(error).__name__}")
        raise error


@cache
def body_class(lib: types.ModuleType) -> type:
    """A response stream class deriving from ``lib``'s own byte-stream bases, as its client checks."""

    class PlanBody(lib.SyncByteStream, lib.AsyncByteStream):  # type: ignore[name-defined,misc]
        def __init__(self, run: PlanRun) -> None:
            self._run = run

        def __iter__(self) -> Iterator[bytes]:
            __tracebackhide__ = True
            while (chunk := self._run.chunk()) is not None:
                yield chunk

        async def __aiter__(self) -> AsyncIterator[bytes]:
            __tracebackhide__ = True
            while (chunk := await self._run.chunk_async()) is not None:
                yield chunk

        def close(self) -> None:
            self._run.close()

        async def aclose(self) -> None:
            self._run.close()

    PlanBody.__qualname__ = f"PlanBody[{lib.__name__}]"
    return PlanBody


def _read_timeout(request: Any) -> float | None:
    value = (request.extensions.get("timeout") or {}).get("read")
    return None if value is None else float(value)


def _begin(engine: Engine, request: Any, api_path: str, body: bytes, forward: Forward | None) -> Run:
    """The engine's run for ``request`` (its body read), with the client's timeouts."""
    timeouts = request.extensions.get("timeout") or {}
    return engine.begin(incoming_from(request, api_path, body), timeouts, _read_timeout(request),
                        forwards=forward is not None)


def handle(
    engine: Engine, lib: types.ModuleType, request: Any, api_path: str, errors: TransportErrors | None = None,
    forward: Forward | None = None,
) -> Any:
    """Serve ``request`` from ``engine`` through a sync transport (``forward``: how to reach the
    upstream, when the engine's cassette records)."""
    __tracebackhide__ = True
    body = request.read()
    run = _begin(engine, request, api_path, body, forward)
    if run.recording is not None:
        assert forward is not None
        started = _real()
        with _upstream_failures(run, lib.__name__, started):
            response = forward.send(_upstream_request(lib, request, api_path, body, forward.upstream))
        return _recorded_response(lib, run, response, started)
    return PlanRun(run, lib, request, errors).response()


async def handle_async(
    engine: Engine, lib: types.ModuleType, request: Any, api_path: str, waiter: Waiter,
    errors: TransportErrors | None = None, forward: Forward | None = None,
) -> Any:
    """Serve ``request`` from ``engine`` through an async transport, its silences awaited on ``waiter``."""
    __tracebackhide__ = True
    body = await request.aread()
    run = _begin(engine, request, api_path, body, forward)
    if run.recording is not None:
        assert forward is not None
        started = _real()
        with _upstream_failures(run, lib.__name__, started):
            response = await forward.send(_upstream_request(lib, request, api_path, body, forward.upstream))
        return _recorded_response(lib, run, response, started)
    return await PlanRun(run, lib, request, errors, waiter).response_async()


def _upstream_request(lib: types.ModuleType, request: Any, api_path: str, body: bytes, upstream: str | None) -> Any:
    """The client's request, sent on to the upstream with the client's own headers and credentials.

    It asks for an uncompressed body: the recording keeps the events as the client reads them."""
    url = request.url
    if upstream is not None:
        query = url.query.decode("ascii") if url.query else ""
        url = lib.URL(upstream.rstrip("/") + api_path + (f"?{query}" if query else ""))
    headers = [(name, value) for name, value in request.headers.multi_items()
               if name.lower() not in ("host", "accept-encoding")]
    headers.append(("accept-encoding", "identity"))
    return lib.Request(request.method, url, headers=headers, content=body, extensions=request.extensions)


@contextmanager
def _upstream_failures(run: Run, library: str, started: float) -> Iterator[None]:
    """Record a failure of the upstream inside the block (no answer, or a body cut) as the end of the
    recording, named by the exception the client sees, and let it go on to the client."""
    try:
        yield
    except BaseException as error:
        name = None if isinstance(error, GeneratorExit) else f"{library}.{type(error).__name__}"
        run.upstream_end(False, _real() - started, name)
        raise


def _recorded_response(lib: types.ModuleType, run: Run, response: Any, started: float) -> Any:
    """The upstream's response for the client, its body recorded as the client reads it."""
    run.upstream_head(response.status_code, response.headers.multi_items(), _real() - started)
    return lib.Response(response.status_code, headers=response.headers.raw,
                        stream=recording_class(lib)(run, response.stream, started, lib.__name__),
                        extensions=response.extensions)


@cache
def recording_class(lib: types.ModuleType) -> type:
    """A response stream that passes the upstream's body to the client as it arrives, recording it."""

    class RecordedBody(lib.SyncByteStream, lib.AsyncByteStream):  # type: ignore[name-defined,misc]
        def __init__(self, run: Run, stream: Any, started: float, library: str) -> None:
            self._run, self._stream, self._started, self._library = run, stream, started, library

        def __iter__(self) -> Iterator[bytes]:
            run, started = self._run, self._started
            with _upstream_failures(run, self._library, started):
                for chunk in self._stream:
                    run.upstream_data(chunk, _real() - started)
                    yield chunk
            run.upstream_end(True, _real() - started)

        async def __aiter__(self) -> AsyncIterator[bytes]:
            run, started = self._run, self._started
            with _upstream_failures(run, self._library, started):
                async for chunk in self._stream:
                    run.upstream_data(chunk, _real() - started)
                    yield chunk
            run.upstream_end(True, _real() - started)

        def close(self) -> None:
            # The client closed it before the end (else the end was recorded already): a cut.
            self._run.upstream_end(False, _real() - self._started)
            self._stream.close()

        async def aclose(self) -> None:
            self._run.upstream_end(False, _real() - self._started)
            await self._stream.aclose()

    RecordedBody.__qualname__ = f"RecordedBody[{lib.__name__}]"
    return RecordedBody
