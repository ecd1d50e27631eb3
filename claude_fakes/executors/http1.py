"""A plan performed as HTTP/1.1 bytes: the part the socket server and the in-memory aiohttp
connection share.

:func:`perform` walks an engine :class:`~claude_fakes.engine.engine.Run` and turns each action into
bytes (the head, chunks, the final chunk) or into what a connection does (close, reset),
through a :class:`ByteWire` that the executor implements over a real socket or over an asyncio
protocol in memory. Silences are the wire's: real sleeps on a socket, loop timers in memory. h11 parses requests;
responses are written here, as the fake's own headers need no validation per exchange.
"""

from __future__ import annotations

import asyncio
from collections.abc import Iterable, Sequence
from typing import Protocol
from urllib.parse import parse_qsl

import h11

from ..core.plan import CUT, END, FOREVER, GARBAGE, REFUSE, RESET, Head, Send
from ..core.request import Incoming
from ..engine.engine import Run
from ..wire.http import GARBAGE_BYTES, reason


class ClientGone(Exception):
    """The client closed its side while the plan waited or wrote."""


class ByteWire(Protocol):
    """One server-side connection, as :func:`perform` drives it."""

    async def write(self, data: bytes) -> None:
        """Send bytes (raise :class:`ClientGone` if the client has left)."""

    async def silence(self, seconds: float | None) -> None:
        """Say nothing for ``seconds`` (None: until the client leaves); raise :class:`ClientGone` if it does."""

    async def close(self) -> None:
        """Close the connection after what was written (FIN)."""

    def reset(self) -> None:
        """Reset the connection (RST)."""

    def refuse(self) -> None:
        """Refuse the connection (a socket that already accepted it resets it)."""


def response_head(status: int, headers: Iterable[tuple[str, str]]) -> bytes:
    """The status line and headers of an HTTP/1.1 response (the values are the fake's own)."""
    lines = [b"HTTP/1.1 %d %s\r\n" % (status, reason(status))]
    lines += [f"{name}: {value}\r\n".encode("latin-1") for name, value in headers]
    lines.append(b"\r\n")
    return b"".join(lines)


def whole_response(status: int, headers: Sequence[tuple[str, str]], body: bytes, *, close: bool = False) -> bytes:
    """A complete response with a content-length (admin answers, rejections)."""
    closing = [("connection", "close")] if close else []
    return response_head(status, [*headers, ("content-length", str(len(body))), *closing]) + body


LAST_CHUNK = b"0\r\n\r\n"
FLUSH_BYTES = 64 * 1024
"""A long body goes out in writes of about this size: after each, the loop serves its other work (the
server's other connections) before the body goes on, so that one body cannot hold the server."""


async def pieced_response(wire: ByteWire, status: int, headers: Sequence[tuple[str, str]], pieces: Iterable[bytes],
                          *, close: bool = False) -> None:
    """A response whose body is made in ``pieces`` (a journal, an exchange at a time), chunked, written
    :data:`FLUSH_BYTES` at a time with the loop's other work between the writes."""
    closing = [("connection", "close")] if close else []
    pending = bytearray(response_head(status, [*headers, ("transfer-encoding", "chunked"), *closing]))
    for piece in pieces:
        if piece:
            pending += b"%x\r\n%s\r\n" % (len(piece), piece)
        if len(pending) >= FLUSH_BYTES:
            await wire.write(bytes(pending))
            pending.clear()
            await asyncio.sleep(0)
    await wire.write(bytes(pending + LAST_CHUNK))


async def perform(run: Run, wire: ByteWire, *, keep_alive: bool = True) -> bool:
    """Perform ``run``'s plan on ``wire``; whether the connection can serve another request.

    Bytes are written in one go up to each silence or ending, as a server flushes its buffer, or
    every :data:`FLUSH_BYTES` of a long body. ``keep_alive=False``: the client asked to close after
    this response.
    """
    pending = bytearray()
    chunked = False

    async def flush() -> None:
        if pending:
            data = bytes(pending)
            pending.clear()
            await wire.write(data)

    def body(data: bytes) -> None:
        if data:
            pending.extend(b"%x\r\n%s\r\n" % (len(data), data) if chunked else data)

    async def give_way() -> None:
        if len(pending) >= FLUSH_BYTES:
            await flush()
            await asyncio.sleep(0)

    async def end() -> bool:
        if chunked:
            pending.extend(LAST_CHUNK)
        await flush()
        run.end(END)
        if not keep_alive:
            await wire.close()
        return keep_alive

    try:
        while True:
            step = run.next()
            if step.wait:
                await flush()
                run.silence_started()
                await wire.silence(step.wait)
            action = step.then
            if isinstance(action, Head):
                # A body that may stall or break is chunked, as streams always are; one that
                # goes out at once and whole has an exact length, and goes in one write.
                whole = run.whole_body()
                stream = (action.header("content-type") or "").startswith("text/event-stream")
                chunked = whole is None or stream
                frame = ("content-length", str(len(whole))) if whole is not None and not stream else (
                    "transfer-encoding", "chunked")
                extra = [] if keep_alive else [("connection", "close")]
                pending += response_head(action.status, [*action.headers, frame, *extra])
                if whole is not None:
                    body(whole)
                    return await end()
            elif isinstance(action, Send):
                body(action.data)
                await give_way()
            elif action is END:
                return await end()
            elif action is FOREVER:
                await flush()
                run.silence_started()
                await wire.silence(None)
            elif action is CUT:
                await flush()
                await wire.close()
                run.end(CUT)
                return False
            elif action is GARBAGE:
                pending += GARBAGE_BYTES
                await flush()
                await wire.close()
                run.end(GARBAGE)
                return False
            elif action is RESET:
                await flush()
                wire.reset()
                run.end(RESET)
                return False
            elif action is REFUSE:
                wire.refuse()
                run.end(REFUSE)
                return False
            else:
                raise AssertionError(f"unexpected plan action {action!r}")
    except ClientGone:
        run.client_gone()
        return False


def incoming_of(request: h11.Request, body: bytes) -> Incoming:
    """The request as the API sees it: path and query split, headers by lower-case name (h11
    lower-cases them), decoded once."""
    path, _, query = request.target.decode("latin-1").partition("?")
    headers = {name.decode("latin-1"): value.decode("latin-1") for name, value in list(request.headers)}
    return Incoming(request.method.decode("ascii", "replace").upper(), path,
                    dict(parse_qsl(query, keep_blank_values=True)), headers, body)


def wants_close(request: h11.Request, incoming: Incoming) -> bool:
    """Whether the client asked to close the connection after this response (or speaks HTTP/1.0)."""
    return request.http_version == b"1.0" or "close" in incoming.headers.get("connection", "").lower()
