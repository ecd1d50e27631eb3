"""Recording through a proxy: a request the cassette records goes on to the upstream with the client's
own headers and credentials, and the answer comes back to the client as it arrives, chunk by chunk,
while the run records it (:class:`~claude_fakes.engine.engine.Run`). The socket server does this for
any client, and the aiohttp executor for aiohttp clients in-process (both write HTTP/1.1 to a
:class:`~.http1.ByteWire`); httpx clients record through their own transport instead.

Each client connection has its own upstream connection (HTTP/1.1 with h11, TLS for ``https``),
kept alive while both are (:class:`Link`). The upstream's framing is not passed through: the body
goes to the client chunked, so that a break upstream is a break downstream (no final chunk) and
never looks like a whole answer.
"""

from __future__ import annotations

import asyncio
import contextlib
import ssl
import time
from urllib.parse import urlencode, urlsplit

import h11

from ..core.request import Incoming
from ..engine.engine import Run
from ..wire.http import json_bytes
from .http1 import LAST_CHUNK, ByteWire, ClientGone, response_head

__all__ = ["Link", "forward"]

_real = time.perf_counter
READ_SIZE = 65536
CONNECT_TIMEOUT = 30.0
"""Seconds to reach the upstream; past it the client gets a 502, as from any proxy."""
HOP_BY_HOP = frozenset({"host", "connection", "keep-alive", "proxy-connection", "te", "trailer", "transfer-encoding",
                        "upgrade", "content-length", "accept-encoding"})
"""Request headers that belong to the connection to the proxy, not to the request the upstream gets
(and ``accept-encoding``: the recording keeps the events as the client reads them, so the body
comes uncompressed)."""
RESPONSE_HOP_BY_HOP = frozenset({"connection", "keep-alive", "transfer-encoding", "content-length"})


class Link:
    """The upstream connection of one client connection: opened at its first forwarded request and
    kept alive for its next ones, so that a recording session pays the connection once, and one
    client's exchanges never share a connection with another's."""

    def __init__(self, upstream: str, own_headers: frozenset[str] = frozenset()) -> None:
        parts = urlsplit(upstream)
        self.dropped = HOP_BY_HOP | own_headers
        """The request headers that do not go on: the connection's, and the proxy's own (a server's scope)."""
        self.upstream = upstream
        self.secure = parts.scheme == "https"
        self.host = parts.hostname or "127.0.0.1"
        self.port = parts.port or (443 if self.secure else 80)
        self.netloc = parts.netloc
        self.prefix = parts.path.rstrip("/")
        self._streams: tuple[asyncio.StreamReader, asyncio.StreamWriter] | None = None

    @property
    def open(self) -> bool:
        return self._streams is not None

    async def streams(self) -> tuple[asyncio.StreamReader, asyncio.StreamWriter]:
        if self._streams is None:
            self._streams = await asyncio.wait_for(
                asyncio.open_connection(self.host, self.port,
                                        ssl=ssl.create_default_context() if self.secure else None),
                CONNECT_TIMEOUT)
        return self._streams

    async def close(self) -> None:
        streams, self._streams = self._streams, None
        if streams is not None:
            streams[1].close()
            with contextlib.suppress(Exception):
                await streams[1].wait_closed()


class _Stale(Exception):
    """A kept-alive upstream connection had been closed before this request was answered at all."""


async def forward(run: Run, incoming: Incoming, link: Link, wire: ByteWire) -> bool:
    """Send ``incoming`` to ``link``'s upstream and its answer to ``wire``, recorded by ``run``; whether the
    client's connection can serve another request (not after a break, upstream or downstream)."""
    started = _real()
    for fresh in (False, True):
        reused = link.open
        try:
            reader, writer = await link.streams()
        except (OSError, asyncio.TimeoutError) as err:
            run.upstream_end(False, _real() - started, f"upstream {link.upstream}: {err}")
            await _bad_gateway(wire, f"claude_fakes: cannot reach the upstream {link.upstream}: {err}")
            return True
        try:
            keep, upstream_alive = await _exchange(run, incoming, link, reader, writer, wire, started, reused)
        except _Stale:
            await link.close()  # it went idle too long upstream: once more, on a new connection
            if fresh:
                raise AssertionError("a new connection cannot be stale") from None
            continue
        if not upstream_alive:
            await link.close()
        return keep
    raise AssertionError("unreachable")


async def _exchange(run: Run, incoming: Incoming, link: Link, reader: asyncio.StreamReader,
                    writer: asyncio.StreamWriter, wire: ByteWire, started: float,
                    reused: bool) -> tuple[bool, bool]:
    """One request and its answer on an upstream connection: whether the client's connection, and
    the upstream's, can serve another."""
    client = h11.Connection(h11.CLIENT)
    path = run.exchange.path
    target = link.prefix + path + (f"?{urlencode(incoming.query)}" if incoming.query else "")
    headers = [(name, value) for name, value in incoming.headers.items() if name not in link.dropped]
    headers += [("host", link.netloc), ("content-length", str(len(incoming.body))), ("accept-encoding", "identity")]
    head_sent = False
    pending = bytearray()
    try:
        writer.write(client.send(h11.Request(method=incoming.method, target=target, headers=headers))
                     + client.send(h11.Data(data=incoming.body)) + client.send(h11.EndOfMessage()))
        await writer.drain()
        while True:
            event = client.next_event()
            if event is h11.NEED_DATA:
                # Everything that has arrived goes on before waiting for more: streamed as it comes, in
                # as few writes as it came in.
                if pending:
                    await wire.write(bytes(pending))
                    pending.clear()
                data = await reader.read(READ_SIZE)
                if not data and reused and client.their_state is h11.SEND_RESPONSE:
                    raise _Stale()
                client.receive_data(data)  # b"": the upstream closed; h11 says whether the body was whole
                continue
            if isinstance(event, h11.Response):
                pairs = [(name.decode("latin-1"), value.decode("latin-1")) for name, value in event.headers]
                run.upstream_head(event.status_code, pairs, _real() - started)
                kept = [(name, value) for name, value in pairs if name.lower() not in RESPONSE_HOP_BY_HOP]
                pending += response_head(event.status_code, [*kept, ("transfer-encoding", "chunked")])
                head_sent = True
            elif isinstance(event, h11.Data):
                data = bytes(event.data)
                run.upstream_data(data, _real() - started)
                pending += b"%x\r\n%s\r\n" % (len(data), data)
            elif isinstance(event, h11.EndOfMessage):
                await wire.write(bytes(pending + LAST_CHUNK))
                run.upstream_end(True, _real() - started)
                return True, client.our_state is h11.DONE and client.their_state is h11.DONE
            elif isinstance(event, h11.ConnectionClosed):
                raise h11.RemoteProtocolError("the upstream closed the connection before the response ended")
    except ClientGone:
        run.upstream_end(False, _real() - started, "client gone")
        return False, False
    except (h11.RemoteProtocolError, OSError) as err:
        if reused and isinstance(err, ConnectionError) and client.their_state is h11.SEND_RESPONSE:
            raise _Stale() from None
        # The upstream broke the answer: so does the proxy (no final chunk), and the cassette says it broke.
        run.upstream_end(False, _real() - started, f"upstream: {err}")
        if not head_sent:
            await _bad_gateway(wire, f"claude_fakes: the upstream failed before answering: {err}")
            return True, False
        with contextlib.suppress(ClientGone):
            await wire.write(bytes(pending))
        await wire.close()
        return False, False


async def _bad_gateway(wire: ByteWire, message: str) -> None:
    body = json_bytes({"type": "error", "error": {"type": "api_error", "message": message}})
    with contextlib.suppress(ClientGone):
        await wire.write(response_head(502, [("content-type", "application/json"),
                                             ("content-length", str(len(body)))]) + body)
