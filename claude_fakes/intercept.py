"""Interception: route Anthropic-bound requests of every default httpx/httpx2 transport to a fake.

The patch is on the transport classes (``HTTPTransport.handle_request`` and
``AsyncHTTPTransport.handle_async_request``), so it reaches clients that the code under test
builds itself, before or after the fake starts, including proxy mounts. A request whose URL is
not one of the fake's targets goes to the original method untouched. Everything is restored on
exit.
"""

from __future__ import annotations

import importlib
import types
from collections.abc import Callable
from dataclasses import dataclass
from typing import Any
from urllib.parse import urlsplit

ANTHROPIC_API = "https://api.anthropic.com"
_DEFAULT_PORTS = {"http": 80, "https": 443}


@dataclass(frozen=True)
class Target:
    """A base URL the fake answers for: scheme, host, port and an optional path prefix."""

    scheme: str
    host: str
    port: int
    prefix: str

    @classmethod
    def parse(cls, url: str) -> Target:
        parts = urlsplit(url)
        if parts.scheme not in _DEFAULT_PORTS or not parts.hostname:
            raise ValueError(f"base URL {url!r} is not an absolute http(s) URL like 'https://gateway.example/anthropic'")
        return cls(parts.scheme, parts.hostname.lower(), parts.port or _DEFAULT_PORTS[parts.scheme],
                   parts.path.rstrip("/"))

    def api_path(self, scheme: str, host: str, port: int | None, path: str) -> str | None:
        """The path relative to the API root if the URL is under this target, else None."""
        if scheme != self.scheme or host.lower() != self.host:
            return None
        if (port or _DEFAULT_PORTS.get(scheme)) != self.port:
            return None
        if not self.prefix:
            return path
        if path == self.prefix or path.startswith(self.prefix + "/"):
            return path[len(self.prefix):] or "/"
        return None

    def __str__(self) -> str:
        port = "" if _DEFAULT_PORTS[self.scheme] == self.port else f":{self.port}"
        return f"{self.scheme}://{self.host}{port}{self.prefix}"


def http_libraries() -> list[types.ModuleType]:
    """The installed HTTP packages a client may use: httpx (anthropic 0.x), httpx2 (anthropic >= 1.0)."""
    found: list[types.ModuleType] = []
    for name in ("httpx2", "httpx"):
        try:
            module = importlib.import_module(name)
        except ImportError:
            continue
        # httpx2.alias_httpx() makes `import httpx` return httpx2 itself: patch it once.
        if all(module is not other for other in found):
            found.append(module)
    return found


SyncHandler = Callable[[types.ModuleType, Any, str], Any]
AsyncHandler = Callable[[types.ModuleType, Any, str], Any]


class Interception:
    """Installs the transport patches for ``targets``; :meth:`uninstall` puts the originals back."""

    def __init__(self, targets: list[Target], sync_handler: SyncHandler, async_handler: AsyncHandler) -> None:
        self.targets = targets
        self._sync_handler = sync_handler
        self._async_handler = async_handler
        self._restore: list[tuple[type, str, Any]] = []

    def match(self, url: Any) -> str | None:
        for target in self.targets:
            path = target.api_path(url.scheme, url.host, url.port, url.path)
            if path is not None:
                return path
        return None

    def install(self) -> list[types.ModuleType]:
        libraries = http_libraries()
        for lib in libraries:
            self._patch_sync(lib)
            self._patch_async(lib)
        return libraries

    def _patch_sync(self, lib: types.ModuleType) -> None:
        cls = lib.HTTPTransport
        original = cls.__dict__["handle_request"]
        match, handler = self.match, self._sync_handler

        def handle_request(transport: Any, request: Any) -> Any:
            path = match(request.url)
            if path is None:
                return original(transport, request)
            return handler(lib, request, path)

        self._restore.append((cls, "handle_request", original))
        cls.handle_request = handle_request

    def _patch_async(self, lib: types.ModuleType) -> None:
        cls = lib.AsyncHTTPTransport
        original = cls.__dict__["handle_async_request"]
        match, handler = self.match, self._async_handler

        async def handle_async_request(transport: Any, request: Any) -> Any:
            path = match(request.url)
            if path is None:
                return await original(transport, request)
            return await handler(lib, request, path)

        self._restore.append((cls, "handle_async_request", original))
        cls.handle_async_request = handle_async_request

    def uninstall(self) -> None:
        while self._restore:
            cls, name, original = self._restore.pop()
            setattr(cls, name, original)
