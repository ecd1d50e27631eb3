"""The server as a recording proxy: a request its scope's cassette records goes on to the upstream with
the client's own headers and credentials, and the answer comes back to the client as it arrives,
chunk by chunk, while the run records it (:class:`~claude_fakes.engine.engine.Run`).

One connection to the upstream per request, closed after it (HTTP/1.1 with h11, TLS for ``https``):
a proxy that records rarely-repeated traffic gains little from a pool, and a fresh connection
keeps one client's exchange from ever meeting another's. The upstream's framing is not passed
through: the body goes to the client chunked, so that a break upstream is a break downstream (no
final chunk) and never looks like a whole answer.
"""

from __future__ import annotations

import asyncio
import contextlib
import ssl
import time
from urllib.parse import urlencode, urlsplit

import h11

from ...core.request import Incoming
from ...engine.engine import Run
from ...wire.http import json_bytes
from ..http1 import LAST_CHUNK, ByteWire, ClientGone, response_head
from .scopes import SCOPE_HEADER, SCRIPT_HEADER

__all__ = ["forward"]

_real = time.perf_counter
READ_SIZE = 65536
CONNECT_TIMEOUT = 30.0
"""Seconds to reach the upstream; past it the client gets a 502, as from any proxy."""
HOP_BY_HOP = frozenset({"host", "connection", "keep-alive", "proxy-connection", "te", "trailer", "transfer-encoding",
                        "upgrade", "content-length", "accept-encoding", SCOPE_HEADER, SCRIPT_HEADER})
"""Request headers that belong to the connection to this server, not to the request the upstream gets
(and ``accept-encoding``: the recording keeps the events as the client reads them, so the body
comes uncompressed)."""
RESPONSE_HOP_BY_HOP = frozenset({"connection", "keep-alive", "transfer-encoding", "content-length"})


async def forward(run: Run, incoming: Incoming, upstream: str, wire: ByteWire) -> bool:
    """Send ``incoming`` to ``upstream`` and its answer to ``wire``, recorded by ``run``; whether the
    client's connection can serve another request (not after a break, upstream or downstream)."""
    parts = urlsplit(upstream)
    secure = parts.scheme == "https"
    host = parts.hostname or "127.0.0.1"
    port = parts.port or (443 if secure else 80)
    started = _real()
    try:
        reader, writer = await asyncio.wait_for(
            asyncio.open_connection(host, port, ssl=ssl.create_default_context() if secure else None),
            CONNECT_TIMEOUT)
    except (OSError, asyncio.TimeoutError) as err:
        run.upstream_end(False, _real() - started, f"upstream {upstream}: {err}")
        await _bad_gateway(wire, f"claude_fakes: cannot reach the upstream {upstream}: {err}")
        return True
    try:
        return await _exchange(run, incoming, parts.netloc, parts.path.rstrip("/"), reader, writer, wire, started)
    finally:
        writer.close()
        with contextlib.suppress(Exception):
            await writer.wait_closed()


async def _exchange(run: Run, incoming: Incoming, netloc: str, prefix: str, reader: asyncio.StreamReader,
                    writer: asyncio.StreamWriter, wire: ByteWire, started: float) -> bool:
    client = h11.Connection(h11.CLIENT)
    path = run.exchange.path
    target = prefix + path + (f"?{urlencode(incoming.query)}" if incoming.query else "")
    headers = [(name, value) for name, value in incoming.headers.items() if name not in HOP_BY_HOP]
    headers += [("host", netloc), ("content-length", str(len(incoming.body))), ("accept-encoding", "identity"),
                ("connection", "close")]
    writer.write(client.send(h11.Request(method=incoming.method, target=target, headers=headers))
                 + client.send(h11.Data(data=incoming.body)) + client.send(h11.EndOfMessage()))
    head_sent = False
    try:
        await writer.drain()
        while True:
            event = client.next_event()
            if event is h11.NEED_DATA:
                data = await reader.read(READ_SIZE)
                client.receive_data(data)  # b"": the upstream closed; h11 says whether the body was whole
                continue
            if isinstance(event, h11.Response):
                pairs = [(name.decode("latin-1"), value.decode("latin-1")) for name, value in event.headers]
                run.upstream_head(event.status_code, pairs, _real() - started)
                kept = [(name, value) for name, value in pairs if name.lower() not in RESPONSE_HOP_BY_HOP]
                await wire.write(response_head(event.status_code, [*kept, ("transfer-encoding", "chunked")]))
                head_sent = True
            elif isinstance(event, h11.Data):
                run.upstream_data(bytes(event.data), _real() - started)
                await wire.write(b"%x\r\n%s\r\n" % (len(event.data), bytes(event.data)))
            elif isinstance(event, h11.EndOfMessage):
                await wire.write(LAST_CHUNK)
                run.upstream_end(True, _real() - started)
                return True
            elif isinstance(event, h11.ConnectionClosed):
                raise h11.RemoteProtocolError("the upstream closed the connection before the response ended")
    except ClientGone:
        run.upstream_end(False, _real() - started, "client gone")
        return False
    except (h11.RemoteProtocolError, OSError) as err:
        # The upstream broke the answer: so does the proxy (no final chunk), and the cassette says it broke.
        run.upstream_end(False, _real() - started, f"upstream: {err}")
        if not head_sent:
            await _bad_gateway(wire, f"claude_fakes: the upstream failed before answering: {err}")
            return True
        await wire.close()
        return False


async def _bad_gateway(wire: ByteWire, message: str) -> None:
    body = json_bytes({"type": "error", "error": {"type": "api_error", "message": message}})
    with contextlib.suppress(ClientGone):
        await wire.write(response_head(502, [("content-type", "application/json"),
                                             ("content-length", str(len(body)))]) + body)
