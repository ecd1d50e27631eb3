"""The in-process executor for aiohttp: an in-memory connection that speaks HTTP/1.1 to aiohttp.

aiohttp (the SDK's ``DefaultAioHttpClient``, litellm, a plain ``ClientSession``) gets a
connection whose transport is this module's :class:`MemoryTransport` instead of a socket: the
request bytes aiohttp writes are parsed with h11, the engine decides the plan, and
:func:`~claude_fakes.executors.http1.perform` answers with the same bytes the socket server would send,
fed to aiohttp's own parser. So every failure is the one aiohttp raises against a real server
(``ClientPayloadError`` for a cut body, ``ServerDisconnectedError``, ``SocketTimeoutError`` from
its own ``sock_read`` timer), and the SDK or litellm maps it as it would.

Silences are timers on the event loop: on the test's thread the loop runs on the fake's clock,
so a stall costs no wall time and aiohttp's timeouts fire at exact virtual seconds. A silence
that could only end by itself forever (a hang against a client with no timeout) ends the request
with :class:`~claude_fakes.WouldHangForever` once the loop has nothing else to do.
"""

from __future__ import annotations

import asyncio
from collections.abc import Callable
from dataclasses import replace
from typing import Any, NamedTuple

import h11

from ..engine.engine import Engine, Run
from .forward import Link, forward
from .http1 import ClientGone, incoming_of, perform, wants_close

ApiPath = Callable[[str], str]
"""The API path a request path on this connection stands for (activation knows the base URL)."""


class LoopHooks(NamedTuple):
    """What activation's virtual time lends the executor for its silences."""

    when_stuck: Callable[[asyncio.AbstractEventLoop, Callable[[], None]], Callable[[], None]]
    """Calls back once the loop has nothing else to do (a silence only the client could end); returns a cancel."""
    timer: Callable[[asyncio.AbstractEventLoop, float, asyncio.Future[Any]], asyncio.TimerHandle]
    """Resolves the future after a silence's seconds, as a timer the loop may jump to over real I/O."""


def connect(connector: Any, request: Any, api_path: ApiPath, engine: Engine, hooks: LoopHooks,
            upstream: str | None = None) -> Any:
    """A connected aiohttp protocol whose peer is the fake (in place of a TCP connection).

    ``api_path``: how the request paths on this connection map to API paths (a keep-alive
    connection may carry several requests, all to the one host and port aiohttp opened it for).
    ``hooks``: the virtual-time pieces a silence is made of. ``upstream``: where the requests the
    engine's cassette records go (``""``: where the client sent them; None: nothing is recorded).
    """
    protocol = connector._factory()
    link = None
    if upstream is not None:
        url = request.url
        link = Link(upstream or f"{url.scheme}://{url.raw_host}:{url.port}")
    transport = MemoryTransport(asyncio.get_running_loop(), protocol, api_path, engine, hooks, link)
    protocol.connection_made(transport)
    return protocol


class MemoryTransport(asyncio.Transport):
    """aiohttp's side of the connection is ``protocol``; this object is the fake's side."""

    def __init__(self, loop: asyncio.AbstractEventLoop, protocol: Any, api_path: ApiPath, engine: Engine,
                 hooks: LoopHooks, link: Link | None = None) -> None:
        super().__init__()
        self._link = link
        """The upstream the requests to be recorded go to, over a real connection of their own."""
        self._loop = loop
        self._protocol = protocol
        self._api_path = api_path
        self._hooks = hooks
        self._engine = engine
        self._h11 = h11.Connection(h11.SERVER)
        self._request: h11.Request | None = None
        self._body = bytearray()
        self._closing = False
        self._lost = False
        self._gone: asyncio.Future[None] = loop.create_future()
        self._serving: asyncio.Task[None] | None = None
        self._closing_link: asyncio.Task[None] | None = None
        """Closing the upstream connection (held, so that the task is not collected before it ends)."""
        self._run: Run | None = None

    # -- asyncio.Transport, as aiohttp uses it ---------------------------------------------------

    def write(self, data: bytes | bytearray | memoryview) -> None:
        if self._closing:
            return
        self._h11.receive_data(bytes(data))
        self._read_requests()

    def writelines(self, chunks: Any) -> None:
        for chunk in chunks:
            self.write(chunk)

    def is_closing(self) -> bool:
        return self._closing

    def close(self) -> None:
        self._client_left()

    def abort(self) -> None:
        self._client_left()

    def get_extra_info(self, name: str, default: Any = None) -> Any:
        return default

    def get_write_buffer_size(self) -> int:
        return 0

    def can_write_eof(self) -> bool:
        return False

    def pause_reading(self) -> None:
        pass

    def resume_reading(self) -> None:
        pass

    def is_reading(self) -> bool:
        return not self._closing

    # -- the fake's side ------------------------------------------------------------------------

    def _read_requests(self) -> None:
        if self._serving is not None:
            return
        while True:
            try:
                event = self._h11.next_event()
            except h11.RemoteProtocolError:
                self._lose(ConnectionResetError(104, "Connection reset by peer"))
                return
            if event is h11.NEED_DATA or event is h11.PAUSED:
                return
            if isinstance(event, h11.Request):
                self._request, self._body = event, bytearray()
            elif isinstance(event, h11.Data):
                self._body += event.data
            elif isinstance(event, h11.EndOfMessage) and self._request is not None:
                self._serving = self._loop.create_task(self._serve(self._request, bytes(self._body)))
                return

    async def _serve(self, request: h11.Request, body: bytes) -> None:
        incoming = incoming_of(request, body)
        incoming = replace(incoming, path=self._api_path(incoming.path))
        read = getattr(self._protocol, "read_timeout", None)
        run = self._run = self._engine.begin(incoming, {"read": read}, forwards=self._link is not None)
        keep_alive = not wants_close(request, incoming)
        try:
            if run.recording is not None and self._link is not None:
                keep_open = await forward(run, incoming, self._link, _Wire(self)) and keep_alive
            else:
                keep_open = await perform(run, _Wire(self), keep_alive=keep_alive)
        finally:
            if run.open:
                run.cancelled()
            self._serving = self._run = None
        if keep_open:
            leftover, _ = self._h11.trailing_data
            self._h11 = h11.Connection(h11.SERVER)
            if leftover:
                self._h11.receive_data(bytes(leftover))
            self._read_requests()
        elif not self._lost:
            self._lose(None)

    def _client_left(self) -> None:
        if self._closing:
            return
        self._closing = True
        self._close_link()
        if not self._gone.done():
            self._gone.set_result(None)
        if not self._lost:
            self._lost = True
            self._loop.call_soon(self._protocol.connection_lost, None)

    def _close_link(self) -> None:
        """The connection is over: so is its connection to the upstream, if it opened one."""
        link, self._link = self._link, None
        if link is not None and link.open:
            self._closing_link = self._loop.create_task(link.close())

    def _lose(self, error: BaseException | None) -> None:
        """The fake's side ends the connection (FIN when ``error`` is None, else that error)."""
        self._closing = True
        self._close_link()
        if not self._lost:
            self._lost = True
            self._protocol.connection_lost(error)

    def _stuck_forever(self) -> None:
        """Nothing but this silence could end the wait: the client has no timeout that would."""
        run = self._run
        if run is None or not run.open:
            return
        self._lose(run.hang_forever())


class _Wire:
    """:class:`~claude_fakes.executors.http1.ByteWire` over a :class:`MemoryTransport`: bytes go to aiohttp's parser."""

    def __init__(self, transport: MemoryTransport) -> None:
        self._transport = transport

    async def write(self, data: bytes) -> None:
        transport = self._transport
        if transport.is_closing():
            raise ClientGone()
        transport._protocol.data_received(data)

    async def silence(self, seconds: float | None) -> None:
        transport = self._transport
        if transport.is_closing():
            raise ClientGone()
        if seconds is None:
            stop = transport._hooks.when_stuck(transport._loop, transport._stuck_forever)
            try:
                await asyncio.shield(transport._gone)
            finally:
                stop()
            raise ClientGone()
        over: asyncio.Future[Any] = transport._loop.create_future()
        timer = transport._hooks.timer(transport._loop, seconds, over)
        try:
            await asyncio.wait({transport._gone, over}, return_when=asyncio.FIRST_COMPLETED)
        finally:
            timer.cancel()
        if transport._gone.done():
            raise ClientGone()

    async def close(self) -> None:
        self._transport._lose(None)

    def reset(self) -> None:
        self._transport._lose(ConnectionResetError(104, "Connection reset by peer"))

    def refuse(self) -> None:
        self._transport._lose(ConnectionRefusedError(111, "Connect call failed"))
