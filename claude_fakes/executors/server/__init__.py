"""The fake Claude API over real sockets, for clients claude_fakes cannot reach in-process.

Point ``ANTHROPIC_BASE_URL`` at a :class:`FakeServer` (or at ``claude-fakes serve``) and any
client, in any language or process, meets the same scripts, with real time and real FIN/RST.
"""

from __future__ import annotations

import asyncio
import threading
from collections.abc import Callable
from types import TracebackType
from typing import Any

from ...core.journal import JournalBounds, exchange_from_json
from .admin import ENDPOINTS
from .client import ServerScope
from .http import MAX_CONNECTIONS, Connection, refuse_over_capacity
from .scopes import (
    ADMIN_PREFIX,
    JOURNAL_BODY_BYTES,
    JOURNAL_EXCHANGES,
    MAX_SCOPES,
    SCOPE_HEADER,
    SCOPED_PREFIX,
    SCRIPT_HEADER,
    Scopes,
)

__all__ = ["ADMIN_PREFIX", "ENDPOINTS", "SCOPED_PREFIX", "SCOPE_HEADER", "SCRIPT_HEADER", "FakeServer", "ServerScope",
           "exchange_from_json"]


class FakeServer:
    """An asyncio server of the fake API. ``start()`` inside a running loop, or
    :meth:`run_in_thread` from synchronous code (a context manager)."""

    def __init__(
        self,
        host: str = "127.0.0.1",
        port: int = 0,
        *,
        script: str | None = None,
        seed: int = 0,
        on_exchange: Callable[[str, Any], None] | None = None,
        max_connections: int = MAX_CONNECTIONS,
        max_scopes: int = MAX_SCOPES,
        journal_exchanges: int = JOURNAL_EXCHANGES,
        journal_body_bytes: int = JOURNAL_BODY_BYTES,
        **options: Any,
    ) -> None:
        """``options``: ``latency``, ``gateway``, ``rate_limits``, ``validate``, as for ``ClaudeFake``, per scope.

        ``max_connections``: connections open at once; one more is answered 503 and closed.
        ``max_scopes``: scopes held at once; a new one past it evicts the least recently used.
        ``journal_exchanges``: exchanges each scope's journal keeps; past it the oldest are evicted.
        ``journal_body_bytes``: the longest request body a journal keeps as JSON; a longer one is kept
        as a marker of its length. ``GET /_claude_fakes/health`` counts what went.
        ``tapes``: each scope's cassette by scope name (``claude-fakes serve --cassettes DIR``);
        ``upstream``: where the requests they record go (without it, nothing is recorded).
        """
        if type(max_connections) is not int or max_connections < 1:
            raise ValueError(f"max_connections takes a whole number >= 1, got {max_connections!r}")
        self.host = host
        self.port = port
        self.max_connections = max_connections
        self.scopes = Scopes(script, seed, max_scopes=max_scopes,
                             journal=JournalBounds(journal_exchanges, journal_body_bytes, as_sent=True), **options)
        self.on_exchange = on_exchange
        self._server: asyncio.Server | None = None
        self._connections: set[asyncio.Task[None]] = set()
        self._thread: threading.Thread | None = None
        self._loop: asyncio.AbstractEventLoop | None = None

    @property
    def url(self) -> str:
        host = f"[{self.host}]" if ":" in self.host else self.host
        return f"http://{host}:{self.port}"

    async def start(self) -> None:
        self._server = await asyncio.start_server(self._accept, self.host, self.port, reuse_address=True)
        self.port = self._server.sockets[0].getsockname()[1]

    async def _accept(self, reader: asyncio.StreamReader, writer: asyncio.StreamWriter) -> None:
        task = asyncio.current_task()
        assert task is not None
        if len(self._connections) >= self.max_connections:
            await refuse_over_capacity(writer, self.max_connections)
            return
        self._connections.add(task)
        try:
            await Connection(self.scopes, reader, writer, self.on_exchange).serve()
        except asyncio.CancelledError:
            # close() cancels open connections. Ending normally matters on Python 3.11, whose
            # stream callback calls exception() on the task and logs a cancelled one as an error.
            pass
        finally:
            self._connections.discard(task)

    async def close(self) -> None:
        if self._server is not None:
            self._server.close()
            for task in list(self._connections):
                task.cancel()
            await asyncio.gather(*self._connections, return_exceptions=True)
            await self._server.wait_closed()
            self._server = None

    # -- in a thread, for synchronous callers ------------------------------------------------

    def run_in_thread(self) -> FakeServer:
        """Serve from a daemon thread with its own event loop until :meth:`stop_thread`."""
        started = threading.Event()
        failure: list[BaseException] = []

        def main() -> None:
            loop = asyncio.new_event_loop()
            self._loop = loop
            try:
                loop.run_until_complete(self.start())
            except BaseException as err:
                failure.append(err)
                started.set()
                loop.close()
                return
            started.set()
            try:
                loop.run_forever()
            finally:
                loop.run_until_complete(self.close())
                loop.close()

        self._thread = threading.Thread(target=main, name=f"claude-fakes-server-{id(self)}", daemon=True)
        self._thread.start()
        started.wait(timeout=10)
        if failure:
            raise failure[0]
        return self

    def stop_thread(self) -> None:
        if self._thread is None or self._loop is None:
            return
        self._loop.call_soon_threadsafe(self._loop.stop)
        self._thread.join(timeout=10)
        self._thread = None

    def __enter__(self) -> FakeServer:
        return self.run_in_thread()

    def __exit__(self, exc_type: type[BaseException] | None, exc: BaseException | None,
                 tb: TracebackType | None) -> None:
        self.stop_thread()
