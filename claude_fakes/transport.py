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

import types
from collections.abc import AsyncIterator, Callable, Iterator
from functools import cache
from typing import TYPE_CHECKING, Any, NoReturn

from .api import Incoming
from .intercept import http_libraries
from .journal import Exchange, Outcome
from .plan import CUT, END, FOREVER, GARBAGE, READ_TIMEOUT, REFUSE, RESET, Cursor, Head, Plan, Send

if TYPE_CHECKING:
    from .fake import ClaudeFake

REASONS = {200: b"OK", 400: b"Bad Request", 401: b"Unauthorized", 402: b"Payment Required", 403: b"Forbidden",
           404: b"Not Found", 405: b"Method Not Allowed", 409: b"Conflict", 413: b"Payload Too Large",
           429: b"Too Many Requests", 500: b"Internal Server Error", 502: b"Bad Gateway",
           503: b"Service Unavailable", 504: b"Gateway Timeout", 529: b""}


class WouldHangForever(BaseException):
    """A request would wait forever: the plan never answers and the client has no read timeout.

    A ``BaseException`` so that neither the SDK (which wraps any ``Exception`` from the transport
    into ``APIConnectionError`` and retries it) nor the application's ``except Exception`` can
    swallow it: a test must not wait out infinity, and must not pass either.
    """


def read_timeout(request: Any) -> float | None:
    timeouts = request.extensions.get("timeout") or {}
    value = timeouts.get("read")
    return None if value is None else float(value)


def timeouts_of(request: Any) -> dict[str, float | None]:
    return dict(request.extensions.get("timeout") or {})


def incoming_from(request: Any, api_path: str, body: bytes) -> Incoming:
    return Incoming(
        method=request.method,
        path=api_path,
        query={key: value for key, value in request.url.params.multi_items()},
        headers={key.lower(): value for key, value in request.headers.items()},
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


@cache
def bridged_errors() -> TransportErrors:
    """Errors that are instances of every installed HTTP package's classes at once.

    For :meth:`ClaudeFake.respond` behind another mock: respx's httpcore2 mocker hands the side
    effect a plain ``httpx`` request for an ``httpx2`` client and passes exceptions through
    unmapped, so only an exception that is both ``httpx.ReadTimeout`` and ``httpx2.ReadTimeout``
    reaches the SDK as the timeout it is.
    """
    libs = http_libraries()
    if len(libs) == 1:
        return TransportErrors.of(libs[0])

    def merged(name: str) -> Callable[..., Exception]:
        return type(name, tuple(getattr(lib, name) for lib in libs), {"__module__": "claude_fakes.transport"})

    return TransportErrors(*(merged(name) for name in ("ReadTimeout", "RemoteProtocolError", "ConnectError",
                                                        "ReadError")))


class PlanRun:
    """One exchange in progress: the cursor, the journal record and the library to raise from."""

    def __init__(
        self,
        fake: ClaudeFake,
        lib: types.ModuleType,
        request: Any,
        exchange: Exchange,
        plan: Plan,
        errors: TransportErrors | None = None,
    ) -> None:
        self.fake = fake
        self.lib = lib
        self.request = request
        self.exchange = exchange
        self.cursor = Cursor(plan, read_timeout(request))
        self.errors = errors or TransportErrors.of(lib)

    def response(self) -> Any:
        """Run the plan up to the head and return the library's Response, or raise."""
        step = self.cursor.next()
        self.fake.clock.advance(step.wait)
        return self._respond(step.then)

    async def response_async(self) -> Any:
        step = self.cursor.next()
        await self._waiting(step.wait)
        return self._respond(step.then)

    def _respond(self, head: object) -> Any:
        if not isinstance(head, Head):
            self._fail(head)
        self.exchange.status = head.status
        self.exchange.response_headers = dict(head.headers)
        return self.lib.Response(
            head.status,
            headers=list(head.headers),
            stream=body_class(self.lib)(self),
            extensions={"http_version": b"HTTP/1.1", "reason_phrase": REASONS.get(head.status, b"")},
        )

    def chunk(self) -> bytes | None:
        """The next piece of body, or None at a clean end; raises where the wire fails."""
        while True:
            step = self.cursor.next()
            self.fake.clock.advance(step.wait)
            if (data := self._deliver(step.then)) != b"":
                return data

    async def chunk_async(self) -> bytes | None:
        while True:
            step = self.cursor.next()
            await self._waiting(step.wait)
            if (data := self._deliver(step.then)) != b"":
                return data

    async def _waiting(self, seconds: float) -> None:
        try:
            await self.fake._wait(seconds)
        except BaseException:
            # Cancelled mid-silence: asyncio.wait_for, a task group, Ctrl-C.
            self._finish(Outcome.CANCELLED)
            raise

    def _deliver(self, action: object) -> bytes | None:
        """The bytes the client reads now (``b""``: none, keep walking), None at a clean end."""
        if isinstance(action, Send):
            self.exchange.events += action.events
            return action.data
        if action is END:
            self._finish(Outcome.COMPLETE)
            return None
        self._fail(action)

    def close(self) -> None:
        """The client closed the response. Whatever the plan would send at once was sent."""
        if self.exchange.outcome != Outcome.OPEN:
            return
        rest = self.cursor.rest_without_silence()
        if rest is None:
            self._finish(Outcome.CLIENT_CLOSED)
            return
        self.exchange.events += sum(action.events for action in rest if isinstance(action, Send))
        self._finish(Outcome.CUT if rest and rest[-1] is CUT else Outcome.COMPLETE)

    def _finish(self, outcome: str, error: str | None = None) -> None:
        self.fake._finish(self.exchange, outcome, error)

    def _fail(self, action: object) -> NoReturn:
        errors, request = self.errors, self.request
        error: BaseException
        if action is READ_TIMEOUT:
            outcome, error = Outcome.READ_TIMEOUT, errors.read_timeout("The read operation timed out", request=request)
        elif action is CUT:
            outcome, error = Outcome.CUT, errors.remote_protocol(
                "peer closed connection without sending complete message body (incomplete chunked read)",
                request=request,
            )
        elif action is RESET:
            outcome, error = Outcome.RESET, errors.read("[Errno 104] Connection reset by peer", request=request)
        elif action is GARBAGE:
            outcome, error = Outcome.GARBAGE, errors.remote_protocol(
                "illegal status line: bytearray(b'\\x00\\xffnot http')", request=request
            )
        elif action is REFUSE:
            outcome, error = Outcome.REFUSED, errors.connect("[Errno 111] Connection refused", request=request)
        elif action is FOREVER:
            outcome = Outcome.WOULD_HANG_FOREVER
            error = WouldHangForever(
                f"{request.method} {request.url} would hang forever: the fake never answers "
                f"(step {self.exchange.step}) and this client has no read timeout (timeout=None). "
                "Give the client a timeout, e.g. anthropic.Anthropic(timeout=60)."
            )
        else:
            raise AssertionError(f"unexpected plan action {action!r}")
        name = f"{self.lib.__name__}.{type(error).__name__}" if not isinstance(error, WouldHangForever) else (
            "claude_fakes.WouldHangForever")
        self._finish(outcome, name)
        raise error


@cache
def body_class(lib: types.ModuleType) -> type:
    """A response stream class deriving from ``lib``'s own byte-stream bases, as its client checks."""

    class PlanBody(lib.SyncByteStream, lib.AsyncByteStream):  # type: ignore[name-defined,misc]
        def __init__(self, run: PlanRun) -> None:
            self._run = run

        def __iter__(self) -> Iterator[bytes]:
            while (chunk := self._run.chunk()) is not None:
                yield chunk

        async def __aiter__(self) -> AsyncIterator[bytes]:
            while (chunk := await self._run.chunk_async()) is not None:
                yield chunk

        def close(self) -> None:
            self._run.close()

        async def aclose(self) -> None:
            self._run.close()

    PlanBody.__qualname__ = f"PlanBody[{lib.__name__}]"
    return PlanBody


def handle(
    fake: ClaudeFake, lib: types.ModuleType, request: Any, api_path: str, errors: TransportErrors | None = None
) -> Any:
    """Serve ``request`` from ``fake`` through a sync transport."""
    body = request.read()
    exchange, plan = fake._begin(incoming_from(request, api_path, body), timeouts_of(request))
    return PlanRun(fake, lib, request, exchange, plan, errors).response()


async def handle_async(
    fake: ClaudeFake, lib: types.ModuleType, request: Any, api_path: str, errors: TransportErrors | None = None
) -> Any:
    """Serve ``request`` from ``fake`` through an async transport."""
    body = await request.aread()
    exchange, plan = fake._begin(incoming_from(request, api_path, body), timeouts_of(request))
    return await PlanRun(fake, lib, request, exchange, plan, errors).response_async()
