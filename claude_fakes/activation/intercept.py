"""Interception: route Anthropic-bound requests of every HTTP stack an Anthropic client runs on.

- httpx (anthropic 0.x) and httpx2 (anthropic >= 1.0): the patch is on the transport classes
  (``HTTPTransport.handle_request``, ``AsyncHTTPTransport.handle_async_request``), so it reaches
  clients that the code under test builds itself, before or after the fake starts, proxy mounts
  included.
- aiohttp (the SDK's ``DefaultAioHttpClient`` on both generations, litellm's async path, plain
  ``aiohttp.ClientSession``): the patch is on ``TCPConnector._create_connection``, which then
  returns an in-memory connection to the fake (:mod:`claude_fakes.executors.aiohttp_connection`) instead of
  resolving and dialling the host. aiohttp parses real HTTP/1.1 bytes and raises its own errors.

A target matches whatever spelling reaches it: host case, a trailing dot, ``http`` or ``https``
with its default port, or the target's explicit port. A request to any other host goes to the
original method untouched. Everything is restored on exit.
"""

from __future__ import annotations

import functools
import importlib
import types
from collections.abc import Callable
from typing import Any

from ..engine.engine import Engine
from ..executors.aiohttp_connection import LoopHooks, connect
from ..executors.httpx_transport import TransportErrors, Waiter, handle, handle_async
from .aio import virtual_timer, when_stuck
from .targets import ANTHROPIC_API, Target, http_libraries, match

__all__ = ["ANTHROPIC_API", "Interception", "Target", "http_libraries", "match"]

_LOOP_HOOKS = LoopHooks(when_stuck, virtual_timer)


class Interception:
    """Installs the patches that send ``targets``' requests to ``engine``; :meth:`uninstall` undoes them."""

    def __init__(self, targets: list[Target], engine: Engine, waiter: Waiter) -> None:
        self.targets = targets
        self.engine = engine
        self.waiter = waiter
        self._restore: list[tuple[type, str, Any]] = []

    def install(self) -> bool:
        """Patch every installed stack; whether there was one."""
        for lib in http_libraries():
            self._patch_sync(lib)
            self._patch_async(lib)
        aiohttp_connector = _optional("aiohttp.connector")
        if aiohttp_connector is not None:
            self._patch_aiohttp(aiohttp_connector.TCPConnector)
        return bool(self._restore)

    def _replace(self, cls: type, name: str, make: Callable[[Any], Any]) -> None:
        original = cls.__dict__[name]
        self._restore.append((cls, name, original))
        setattr(cls, name, make(original))

    def _patch_sync(self, lib: types.ModuleType) -> None:
        targets, engine = self.targets, self.engine

        def make(original: Any) -> Any:
            def handle_request(transport: Any, request: Any) -> Any:
                __tracebackhide__ = True
                url = request.url
                path = match(targets, url.scheme, url.host, url.port, url.path)
                if path is None:
                    return original(transport, request)
                return handle(engine, lib, request, path)

            return handle_request

        self._replace(lib.HTTPTransport, "handle_request", make)

    def _patch_async(self, lib: types.ModuleType) -> None:
        targets, engine, waiter = self.targets, self.engine, self.waiter

        def make(original: Any) -> Any:
            async def handle_async_request(transport: Any, request: Any) -> Any:
                __tracebackhide__ = True
                url = request.url
                path = match(targets, url.scheme, url.host, url.port, url.path)
                if path is None:
                    return await original(transport, request)
                return await handle_async(engine, lib, request, path, waiter)

            return handle_async_request

        self._replace(lib.AsyncHTTPTransport, "handle_async_request", make)

    def _patch_aiohttp(self, connector: type) -> None:
        targets, engine = self.targets, self.engine

        def make(original: Any) -> Any:
            async def _create_connection(self: Any, req: Any, traces: Any, timeout: Any) -> Any:
                url = req.url
                if match(targets, url.scheme, url.raw_host or "", url.explicit_port, url.path) is None:
                    return await original(self, req, traces, timeout)
                return connect(self, req, functools.partial(match, targets), engine, _LOOP_HOOKS)

            return _create_connection

        self._replace(connector, "_create_connection", make)

    def uninstall(self) -> None:
        while self._restore:
            cls, name, original = self._restore.pop()
            setattr(cls, name, original)


@functools.cache
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
        return type(name, tuple(getattr(lib, name) for lib in libs), {"__module__": __name__})

    return TransportErrors(*(merged(name) for name in ("ReadTimeout", "RemoteProtocolError", "ConnectError",
                                                        "ReadError")))


def _optional(module: str) -> Any:
    try:
        return importlib.import_module(module)
    except ImportError:
        return None
