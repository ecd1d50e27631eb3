"""The socket executor: HTTP/1.1 over asyncio with h11, walking the same plans in real time.

A silence is a real ``asyncio.sleep`` (ended early if the client hangs up), a cut closes the
socket before the final chunk (FIN), a reset closes it with SO_LINGER 0 (RST), ``refuse`` resets
the accepted connection at once (the port must stay open for other requests), and ``garbage``
writes bytes that are not HTTP. Bodies that may stall or break are sent chunked; the others get
a content-length. Malformed and oversized requests get an Anthropic-shaped 4xx, and the server
keeps serving.
"""

from __future__ import annotations

import asyncio
import contextlib
import socket
import struct
from collections.abc import Callable
from typing import Any

import h11

from ...wire.platforms import ANTHROPIC, endpoint_of
from ..forward import Link, forward
from ..http1 import ClientGone, incoming_of, perform, pieced_response, wants_close, whole_response
from .admin import admin
from .scopes import ADMIN_PREFIX, SCOPE_HEADER, SCOPED_PREFIX, SCRIPT_HEADER, Scopes

MAX_HEADER_BYTES = 64 * 1024
"""The request line and headers together; more is a 431."""
MAX_BODY_BYTES = 32 * 1024 * 1024
"""The API's own limit for Messages requests (claude-wire.md: 413 request_too_large)."""
READ_SIZE = 65536
IDLE_TIMEOUT = 75.0
"""A kept-alive connection with no new request for this long is closed."""
REQUEST_TIMEOUT = 30.0
"""A request must arrive in full (head and body) within this long of its first byte, else it gets a
408 and the connection closes: a deadline for the whole request, so a trickle cannot hold it open."""

MAX_CONNECTIONS = 1024
"""Connections a server holds open at once, by default; past it, a new one is answered 503 and closed,
so that a flood of idle connections cannot exhaust the process's file descriptors."""

JournalLine = Callable[[str, Any], None]


async def refuse_over_capacity(writer: asyncio.StreamWriter, capacity: int) -> None:
    """Answer a connection past the cap with the API's 503 (before reading its request), then close it."""
    status, headers, body = ANTHROPIC.own_error(503, "overloaded_error", f"This server holds at most {capacity} "
                                                "connections at once; try again.", "req_claude_fakes_rejected")
    with contextlib.suppress(ConnectionError):
        writer.write(whole_response(status, headers, body, close=True))
        await writer.drain()
    with contextlib.suppress(Exception):
        writer.close()


class _Idle(Exception):
    """No request began within the idle timeout."""


class Connection:
    """One accepted TCP connection: requests in, plans out, until either side closes it."""

    def __init__(self, scopes: Scopes, reader: asyncio.StreamReader, writer: asyncio.StreamWriter,
                 on_exchange: JournalLine | None) -> None:
        self.scopes = scopes
        self.reader = reader
        self.writer = writer
        self.on_exchange = on_exchange
        self.h11 = h11.Connection(h11.SERVER, max_incomplete_event_size=MAX_HEADER_BYTES)
        self._read: asyncio.Task[bytes] | None = None
        self._link: Link | None = None
        """This connection's own connection to the upstream, when it forwards requests to be recorded."""
        self._deadline: float | None = None
        """When the request under way must have arrived in full (loop time), from its first byte."""
        sock = writer.get_extra_info("socket")
        if sock is not None:
            sock.setsockopt(socket.IPPROTO_TCP, socket.TCP_NODELAY, 1)

    async def serve(self) -> None:
        try:
            while True:
                request = await self._next_request()
                if request is None:
                    return
                if not await self._answer(*request):
                    return
                # h11 parses; responses are written by http1. A fresh parser per request keeps
                # whatever the client already pipelined.
                leftover, closed = self.h11.trailing_data
                self.h11 = h11.Connection(h11.SERVER, max_incomplete_event_size=MAX_HEADER_BYTES)
                if leftover:
                    self.h11.receive_data(bytes(leftover))
                if closed:
                    self.h11.receive_data(b"")
        except (ClientGone, ConnectionError):
            return
        finally:
            if self._read is not None:
                self._read.cancel()
            if self._link is not None:
                await self._link.close()
            with contextlib.suppress(Exception):
                self.writer.close()

    # -- reading ------------------------------------------------------------------------------

    async def _receive(self, timeout: float) -> bytes:
        if self._read is None:
            self._read = asyncio.ensure_future(self.reader.read(READ_SIZE))
        done, _ = await asyncio.wait({self._read}, timeout=timeout)
        if not done:
            raise TimeoutError
        read, self._read = self._read, None
        return read.result()

    async def _event(self, timeout: float) -> Any:
        while True:
            event = self.h11.next_event()
            if event is not h11.NEED_DATA:
                return event
            try:
                data = await self._receive(timeout)
            except TimeoutError:
                if self.h11.their_state is h11.IDLE and not self.h11.trailing_data[0]:
                    raise _Idle() from None
                raise
            self.h11.receive_data(data)
            timeout = self._remaining()  # once a request has begun, it must arrive in full by its deadline

    def _remaining(self) -> float:
        now = asyncio.get_running_loop().time()
        if self._deadline is None:
            self._deadline = now + REQUEST_TIMEOUT
        return max(0.0, self._deadline - now)

    async def _next_request(self) -> tuple[h11.Request, bytes] | None:
        self._deadline = None
        try:
            try:
                event = await self._event(IDLE_TIMEOUT)
            except _Idle:
                return None  # an idle keep-alive connection: close it quietly
            if isinstance(event, h11.ConnectionClosed):
                return None
            assert isinstance(event, h11.Request)
            pairs = list(event.headers)
            size = len(event.method) + len(event.target) + sum(len(name) + len(value) + 4 for name, value in pairs)
            if size > MAX_HEADER_BYTES:
                await self._reject(431, "invalid_request_error",
                                   f"Request header fields too large ({size} bytes; at most {MAX_HEADER_BYTES}).",
                                   event.target)
                return None
            if event.http_version not in (b"1.0", b"1.1"):
                # h11 parses any HTTP/x.y request line; a server that speaks only 1.x refuses the rest.
                await self._reject(505, "api_error", f"HTTP/{event.http_version.decode()} is not supported; this "
                                   "server speaks HTTP/1.1.", event.target)
                return None
            if any(name == b"expect" and value.lower() == b"100-continue" for name, value in pairs):
                await self.write(b"HTTP/1.1 100 Continue\r\n\r\n")
            body = bytearray()
            while True:
                part = await self._event(self._remaining())
                if isinstance(part, h11.Data):
                    body += part.data
                    if len(body) > MAX_BODY_BYTES:
                        await self._reject(413, "request_too_large",
                                           f"Request exceeds the maximum allowed number of bytes ({MAX_BODY_BYTES}).",
                                           event.target)
                        return None
                elif isinstance(part, h11.EndOfMessage):
                    return event, bytes(body)
                else:
                    return None
        except h11.RemoteProtocolError as err:
            status = err.error_status_hint if 400 <= err.error_status_hint < 500 else 400
            await self._reject(status, "invalid_request_error", f"Malformed HTTP request: {err}")
            return None
        except TimeoutError:
            await self._reject(408, "invalid_request_error",
                               f"The request did not arrive in full within {REQUEST_TIMEOUT:g} s.")
            return None

    async def _reject(self, status: int, error_type: str, message: str, target: bytes = b"") -> None:
        """Answer a request h11 could not accept, then close: the stream is past trusting. ``target``:
        the request line's path, when it was read, so that the error is in its platform's shape."""
        platform = endpoint_of(target.decode("latin-1").partition("?")[0]).platform
        status, headers, body = platform.own_error(status, error_type, message, "req_claude_fakes_rejected")
        data = whole_response(status, headers, body, close=True)
        with contextlib.suppress(ConnectionError):
            self.writer.write(data)
            await self.writer.drain()

    # -- answering ----------------------------------------------------------------------------

    async def _answer(self, request: h11.Request, body: bytes) -> bool:
        incoming = incoming_of(request, body)
        path = incoming.path
        keep_alive = not wants_close(request, incoming)
        if path.startswith(ADMIN_PREFIX) and not path.startswith(SCOPED_PREFIX):
            status, headers, payload = admin(self.scopes, incoming)
            if isinstance(payload, bytes):
                await self.write(whole_response(status, headers, payload, close=not keep_alive))
            else:
                await pieced_response(self, status, headers, payload, close=not keep_alive)
            return keep_alive
        scope, run = self.scopes.begin(incoming)
        try:
            upstream = self.scopes.upstream
            if run.recording is not None and upstream is not None:
                if self._link is None:
                    self._link = Link(upstream, frozenset({SCOPE_HEADER, SCRIPT_HEADER}))
                return await forward(run, incoming, self._link, self) and keep_alive
            return await perform(run, self, keep_alive=keep_alive)
        finally:
            if run.open:
                run.cancelled()
            if self.on_exchange is not None:
                self.on_exchange(scope.name, run.exchange)

    # -- the byte wire (claude_fakes.executors.http1.ByteWire) ------------------------------------------

    async def silence(self, seconds: float | None) -> None:
        """Say nothing for ``seconds`` (None: until the client leaves), watching for its hang-up."""
        loop = asyncio.get_running_loop()
        deadline = None if seconds is None else loop.time() + seconds
        while deadline is None or loop.time() < deadline:
            if self._read is None:
                self._read = asyncio.ensure_future(self.reader.read(READ_SIZE))
            remaining = None if deadline is None else max(0.0, deadline - loop.time())
            done, _ = await asyncio.wait({self._read}, timeout=remaining)
            if not done:
                return
            read, self._read = self._read, None
            try:
                data = read.result()
            except ConnectionError as err:  # a reset (RST) from the client
                raise ClientGone() from err
            if not data:
                raise ClientGone()
            # A pipelined next request: keep it for after this response, within bounds.
            self.h11.receive_data(data)
            if len(self.h11.trailing_data[0]) > MAX_BODY_BYTES + MAX_HEADER_BYTES:
                raise ClientGone()

    async def write(self, data: bytes) -> None:
        try:
            self.writer.write(data)
            await self.writer.drain()
        except (ConnectionError, RuntimeError) as err:
            raise ClientGone() from err

    async def close(self) -> None:
        with contextlib.suppress(ConnectionError):
            await self.writer.drain()
        self.writer.close()

    def refuse(self) -> None:
        # The port stays open for other requests: an accepted connection can only be reset.
        self.reset()

    def reset(self) -> None:
        sock = self.writer.get_extra_info("socket")
        if sock is not None:
            sock.setsockopt(socket.SOL_SOCKET, socket.SO_LINGER, struct.pack("ii", 1, 0))
        self.writer.transport.abort()
