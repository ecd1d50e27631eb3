"""Interception: route Anthropic-bound requests of every HTTP stack an Anthropic client runs on.

- httpx (anthropic 0.x) and httpx2 (anthropic >= 1.0): the patch is on the transport classes
  (``HTTPTransport.handle_request``, ``AsyncHTTPTransport.handle_async_request``), so it reaches
  clients that the code under test builds itself, before or after the fake starts, proxy mounts
  included.
- aiohttp (the SDK's ``DefaultAioHttpClient`` on both generations, litellm's async path, plain
  ``aiohttp.ClientSession``): the patch is on ``TCPConnector._create_connection``, which then
  returns an in-memory connection to the fake (:mod:`claude_fakes.executors.aiohttp_connection`) instead of
  resolving and dialling the host. aiohttp parses real HTTP/1.1 bytes and raises its own errors.
- urllib3 (requests, botocore) and ``http.client`` (urllib): never answered in-process, so only
  the network guard's refusal is there (``HTTPConnectionPool.urlopen``, ``HTTPConnection.request``).

A target matches whatever spelling reaches it: host case, a trailing dot, an ``xn--`` or Unicode
name, ``http`` or ``https`` with its default port, or the target's explicit port. A request that
an Anthropic SDK client sends is the fake's whatever its host (an IP address, a port such as
8443, a gateway the fake was not told about), unless that host is loopback (a server the test
runs on this machine, a ``FakeServer`` or a gateway under test, answers its own requests) or
allowed. Any other request for Claude is refused (:mod:`.network`, unless ``network="open"`` or
its host is loopback or allowed), and the rest goes to the original method untouched.
Everything is restored on exit.
"""

from __future__ import annotations

import functools
import http.client
import importlib
import types
from collections.abc import Callable
from typing import Any
from urllib.parse import urlsplit

from ..engine.engine import Engine
from ..executors.aiohttp_connection import LoopHooks, connect
from ..executors.httpx_transport import Forward, TransportErrors, Waiter, handle, handle_async
from .aio import virtual_timer, when_stuck
from .network import Network, NetworkRefused
from .targets import (
    ANTHROPIC_API,
    Headers,
    Target,
    api_root,
    claude_shaped,
    default_port,
    http_libraries,
    match,
    normal_host,
    sdk_request,
)

__all__ = ["ANTHROPIC_API", "Interception", "Router", "Target", "http_libraries", "match"]


class Router:
    """Which requests the fake serves, at which API path, and which the network guard refuses."""

    def __init__(self, targets: list[Target], network: Network) -> None:
        self.targets = targets
        self.network = network

    def route(self, method: str, scheme: str, host: str, port: int | None, path: str,
              headers: Headers) -> str | None:
        """The API path the fake serves the request at, or None for a request that is not its own;
        raises :class:`~.network.NetworkRefused` for a request for Claude that must not leave.

        A target's, or an Anthropic SDK client's at any host but loopback or an allowed one: the
        test built that client, so its requests are Claude's whatever base URL it was given."""
        api_path = match(self.targets, scheme, host, port, path)
        if api_path is not None:
            return api_path
        sdk = sdk_request(headers, path)
        if not sdk and not (self.network.refuses_claude and claude_shaped(headers, path)):
            return None
        host, port = normal_host(host), port or default_port(scheme) or 0
        if self.network.passes(host, port):
            return None
        if sdk:
            return api_root(path)
        raise self._refused(method, scheme, host, port, path)

    def refuse_unserved(self, client: str, method: str, scheme: str, host: str, port: int | None, path: str,
                        headers: Headers) -> None:
        """For a package the fake never answers: refuse a request for Claude, or to a host the fake
        answers for other clients, that is about to leave the machine."""
        if not self.network.refuses_claude:
            return
        bound = match(self.targets, scheme, host, port, path) is not None or claude_shaped(headers, path)
        host, port = normal_host(host), port or default_port(scheme) or 0
        if bound and not self.network.passes(host, port):
            raise self._refused(method, scheme, host, port, path, client)

    def _refused(self, method: str, scheme: str, host: str, port: int, path: str,
                 client: str | None = None) -> NetworkRefused:
        prefix = path[:len(path) - len(api_root(path))]
        return self.network.refuse_request(method, scheme, host, port, path, prefix, client)

    def on_connection(self, scheme: str, host: str, port: int | None) -> Callable[[str], str]:
        """The API path of each request path on a connection the fake serves (aiohttp's keep-alive)."""
        targets = self.targets
        return lambda path: match(targets, scheme, host, port, path) or api_root(path)


_LOOP_HOOKS = LoopHooks(when_stuck, virtual_timer)


class Interception:
    """Installs the patches that send ``router``'s requests to ``engine`` (and refuse what it
    refuses); :meth:`uninstall` undoes them."""

    def __init__(self, router: Router, engine: Engine, waiter: Waiter, upstream: str | None = None) -> None:
        self.router = router
        self.engine = engine
        self.waiter = waiter
        self.upstream = upstream
        """Where requests the engine's cassette records go (None: where the client sent them)."""
        self._restore: list[tuple[type, str, Any]] = []

    def install(self) -> bool:
        """Patch every installed stack; whether there was one the fake answers."""
        for lib in http_libraries():
            self._patch_sync(lib)
            self._patch_async(lib)
        aiohttp_connector = _optional("aiohttp.connector")
        if aiohttp_connector is not None:
            self._patch_aiohttp(aiohttp_connector)
        answers = bool(self._restore)
        if self.router.network.refuses_claude:
            urllib3 = _optional("urllib3.connectionpool")
            if urllib3 is not None:
                self._patch_urllib3(urllib3)
            self._patch_http_client()
        return answers

    def _replace(self, cls: type, name: str, make: Callable[[Any], Any]) -> None:
        original = cls.__dict__[name]
        self._restore.append((cls, name, original))
        setattr(cls, name, make(original))

    def _records(self) -> bool:
        tape = self.engine.tape
        return tape is not None and tape.records

    def _patch_sync(self, lib: types.ModuleType) -> None:
        route, engine, upstream, records = self._httpx_route(lib), self.engine, self.upstream, self._records()

        def make(original: Any) -> Any:
            def handle_request(transport: Any, request: Any) -> Any:
                __tracebackhide__ = True
                path = route(request)
                if path is None:
                    return original(transport, request)
                # A recording goes out through this very transport: the client's own stack and pool.
                forward = Forward(functools.partial(original, transport), upstream) if records else None
                return handle(engine, lib, request, path, forward=forward)

            return handle_request

        self._replace(lib.HTTPTransport, "handle_request", make)

    def _patch_async(self, lib: types.ModuleType) -> None:
        route, engine, waiter = self._httpx_route(lib), self.engine, self.waiter
        upstream, records = self.upstream, self._records()

        def make(original: Any) -> Any:
            async def handle_async_request(transport: Any, request: Any) -> Any:
                __tracebackhide__ = True
                path = route(request)
                if path is None:
                    return await original(transport, request)
                forward = Forward(functools.partial(original, transport), upstream) if records else None
                return await handle_async(engine, lib, request, path, waiter, forward=forward)

            return handle_async_request

        self._replace(lib.AsyncHTTPTransport, "handle_async_request", make)

    def _httpx_route(self, lib: types.ModuleType) -> Callable[[Any], str | None]:
        """The router for an httpx or httpx2 request; a refusal is that package's ``ConnectError``,
        as for any refused connection (the SDK retries it, then raises ``APIConnectionError``)."""
        route = self.router.route

        def route_request(request: Any) -> str | None:
            __tracebackhide__ = True
            url = request.url
            try:
                # raw_host: the name as it goes on the wire (an internationalised one in its xn-- form).
                return route(request.method, url.scheme, url.raw_host.decode("ascii"), url.port, url.path,
                             request.headers)
            except NetworkRefused as refused:
                raise lib.ConnectError(str(refused), request=request) from refused

        return route_request

    def _patch_aiohttp(self, module: types.ModuleType) -> None:
        router, engine = self.router, self.engine
        # A recording goes on over a real connection of its own ("": to where the client sent it).
        upstream = (self.upstream or "") if self._records() else None
        client_connector_error = importlib.import_module("aiohttp").ClientConnectorError

        def make(original: Any) -> Any:
            async def _create_connection(self: Any, req: Any, traces: Any, timeout: Any) -> Any:
                url = req.url
                host = url.raw_host or ""
                try:
                    path = router.route(req.method, url.scheme, host, url.explicit_port, url.path, req.headers)
                except NetworkRefused as refused:
                    # What aiohttp raises for a refused connection; the SDK's transport maps it to ConnectError.
                    raise client_connector_error(req.connection_key, refused) from refused
                if path is None:
                    return await original(self, req, traces, timeout)
                api_path = router.on_connection(url.scheme, host, url.explicit_port)
                return connect(self, req, api_path, engine, _LOOP_HOOKS, upstream)

            return _create_connection

        self._replace(module.TCPConnector, "_create_connection", make)

    def _patch_urllib3(self, module: types.ModuleType) -> None:
        refuse = self.router.refuse_unserved
        exceptions = importlib.import_module("urllib3.exceptions")

        def make(original: Any) -> Any:
            def urlopen(pool: Any, method: str, url: str, body: Any = None, headers: Any = None, *args: Any,
                        **kwargs: Any) -> Any:
                __tracebackhide__ = True
                scheme, host, port = pool.scheme, pool.host, pool.port
                parts = urlsplit(url)
                if parts.hostname:  # an absolute URL: a request forwarded by an HTTP proxy
                    scheme, host, port = parts.scheme, parts.hostname, parts.port
                try:
                    refuse("urllib3", method, scheme, host, port, parts.path, _lower(headers or pool.headers))
                except NetworkRefused as refused:
                    # What urllib3 raises for a refused connection: the error itself when the caller
                    # retries on its own (retries=False, as botocore does), else once its retries are
                    # used up (requests: ConnectionError).
                    reason = exceptions.NewConnectionError(pool, f"Failed to establish a new connection: {refused}")
                    retries = args[0] if args else kwargs.get("retries", pool.retries)
                    if retries is False or getattr(retries, "total", None) is False:
                        raise reason from refused
                    raise exceptions.MaxRetryError(pool, url, reason) from refused
                return original(pool, method, url, body, headers, *args, **kwargs)

            return urlopen

        self._replace(module.HTTPConnectionPool, "urlopen", make)

    def _patch_http_client(self) -> None:
        refuse = self.router.refuse_unserved

        def make(original: Any) -> Any:
            def request(connection: http.client.HTTPConnection, method: str, url: str, body: Any = None,
                        headers: Any = None, **kwargs: Any) -> Any:
                __tracebackhide__ = True
                scheme = "https" if isinstance(connection, http.client.HTTPSConnection) else "http"
                # Through a proxy's tunnel, the host the request is for is the tunnel's.
                host = getattr(connection, "_tunnel_host", None) or connection.host
                port = getattr(connection, "_tunnel_port", None) or connection.port
                refuse("http.client", method, scheme, host, port, urlsplit(url).path, _lower(headers or {}))
                return original(connection, method, url, body, {} if headers is None else headers, **kwargs)

            return request

        self._replace(http.client.HTTPConnection, "request", make)

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


def _lower(headers: Any) -> Headers:
    """Headers to look up by lower-case name: a plain dict's names as they come (requests' and
    urllib3's own mappings already ignore case)."""
    return {str(name).lower(): value for name, value in headers.items()} if type(headers) is dict else headers


def _optional(module: str) -> Any:
    try:
        return importlib.import_module(module)
    except ImportError:
        return None
