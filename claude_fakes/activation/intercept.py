"""Interception: route Anthropic-bound requests of every HTTP stack an Anthropic client runs on.

- httpx (anthropic 0.x) and httpx2 (anthropic >= 1.0): the patch is on the transport classes
  (``HTTPTransport.handle_request``, ``AsyncHTTPTransport.handle_async_request``), so it reaches
  clients that the code under test builds itself, before or after the fake starts, proxy mounts
  included.
- aiohttp (the SDK's ``DefaultAioHttpClient`` on both generations, litellm's async path, plain
  ``aiohttp.ClientSession``): the patch is on ``TCPConnector._create_connection``, which then
  returns an in-memory connection to the fake (:mod:`claude_fakes.executors.aiohttp_connection`) instead of
  resolving and dialling the host. aiohttp parses real HTTP/1.1 bytes and raises its own errors.

A target matches whatever spelling reaches it: host case, a trailing dot, an ``xn--`` or Unicode
name, ``http`` or ``https`` with its default port, or the target's explicit port. A request that
an Anthropic SDK client sends is the fake's whatever its host (an IP address, a port such as
8443, a gateway the fake was not told about), unless that host is loopback: a server the test
runs on this machine (a ``FakeServer``, a gateway under test) answers its own requests. Any other
request goes to the original method untouched. Everything is restored on exit.
"""

from __future__ import annotations

import functools
import importlib
import types
from collections.abc import Callable
from typing import Any

from ..engine.engine import Engine
from ..executors.aiohttp_connection import connect
from ..executors.httpx_transport import TransportErrors, Waiter, handle, handle_async
from .aio import when_stuck
from .targets import (
    ANTHROPIC_API,
    Headers,
    Target,
    api_root,
    http_libraries,
    is_loopback,
    match,
    normal_host,
    sdk_request,
)

__all__ = ["ANTHROPIC_API", "Interception", "Router", "Target", "http_libraries", "match"]


class Router:
    """Which requests the fake serves, and the API path each stands for."""

    def __init__(self, targets: list[Target]) -> None:
        self.targets = targets

    def route(self, scheme: str, host: str, port: int | None, path: str, headers: Headers) -> str | None:
        """The API path the fake serves the request at, or None for a request that is not its own.

        A target's, or an Anthropic SDK client's at any host but loopback: the test built that
        client, so its requests are Claude's whatever base URL it was given."""
        api_path = match(self.targets, scheme, host, port, path)
        if api_path is not None:
            return api_path
        if sdk_request(headers, path) and not is_loopback(normal_host(host)):
            return api_root(path)
        return None

    def on_connection(self, scheme: str, host: str, port: int | None) -> Callable[[str], str]:
        """The API path of each request path on a connection the fake serves (aiohttp's keep-alive)."""
        targets = self.targets
        return lambda path: match(targets, scheme, host, port, path) or api_root(path)


class Interception:
    """Installs the patches that send ``router``'s requests to ``engine``; :meth:`uninstall` undoes them."""

    def __init__(self, router: Router, engine: Engine, waiter: Waiter) -> None:
        self.router = router
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
        route, engine = self.router.route, self.engine

        def make(original: Any) -> Any:
            def handle_request(transport: Any, request: Any) -> Any:
                __tracebackhide__ = True
                url = request.url
                # raw_host: the name as it goes on the wire (an internationalised one in its xn-- form).
                path = route(url.scheme, url.raw_host.decode("ascii"), url.port, url.path, request.headers)
                if path is None:
                    return original(transport, request)
                return handle(engine, lib, request, path)

            return handle_request

        self._replace(lib.HTTPTransport, "handle_request", make)

    def _patch_async(self, lib: types.ModuleType) -> None:
        route, engine, waiter = self.router.route, self.engine, self.waiter

        def make(original: Any) -> Any:
            async def handle_async_request(transport: Any, request: Any) -> Any:
                __tracebackhide__ = True
                url = request.url
                path = route(url.scheme, url.raw_host.decode("ascii"), url.port, url.path, request.headers)
                if path is None:
                    return await original(transport, request)
                return await handle_async(engine, lib, request, path, waiter)

            return handle_async_request

        self._replace(lib.AsyncHTTPTransport, "handle_async_request", make)

    def _patch_aiohttp(self, connector: type) -> None:
        router, engine = self.router, self.engine

        def make(original: Any) -> Any:
            async def _create_connection(self: Any, req: Any, traces: Any, timeout: Any) -> Any:
                url = req.url
                host = url.raw_host or ""
                if router.route(url.scheme, host, url.explicit_port, url.path, req.headers) is None:
                    return await original(self, req, traces, timeout)
                api_path = router.on_connection(url.scheme, host, url.explicit_port)
                return connect(self, req, api_path, engine, when_stuck)

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
