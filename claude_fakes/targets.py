"""Which requests a fake answers: its base URLs, matched however the host is spelt, and the
HTTP packages a client may use."""

from __future__ import annotations

import importlib
import types
from dataclasses import dataclass
from urllib.parse import urlsplit

ANTHROPIC_API = "https://api.anthropic.com"
_DEFAULT_PORTS = {"http": 80, "https": 443}


def normal_host(host: str) -> str:
    """A host name as DNS compares it: lower case, no trailing dot."""
    return host.lower().rstrip(".")


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
        return cls(parts.scheme, normal_host(parts.hostname), parts.port or _DEFAULT_PORTS[parts.scheme],
                   parts.path.rstrip("/"))

    def api_path(self, scheme: str, host: str, port: int | None, path: str) -> str | None:
        """The path relative to the API root if the URL is under this target, else None."""
        if normal_host(host) != self.host:
            return None
        default = _DEFAULT_PORTS.get(scheme)
        if default is None:
            return None
        effective = port or default
        if effective != self.port and not (effective == default and self.port == _DEFAULT_PORTS[self.scheme]):
            return None
        if not self.prefix:
            return path
        if path == self.prefix or path.startswith(self.prefix + "/"):
            return path[len(self.prefix):] or "/"
        return None

    def __str__(self) -> str:
        port = "" if _DEFAULT_PORTS[self.scheme] == self.port else f":{self.port}"
        return f"{self.scheme}://{self.host}{port}{self.prefix}"


def match(targets: list[Target], scheme: str, host: str, port: int | None, path: str) -> str | None:
    """The API path of the first target the URL is under, or None."""
    for target in targets:
        api_path = target.api_path(scheme, host, port, path)
        if api_path is not None:
            return api_path
    return None


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
