"""Which requests a fake answers: its base URLs, matched however the host is spelt, and the
HTTP packages a client may use."""

from __future__ import annotations

import functools
import importlib
import re
import types
from dataclasses import dataclass, field
from urllib.parse import urlsplit

ANTHROPIC_API = "https://api.anthropic.com"
PLATFORM_HOSTS = (
    # AnthropicBedrock: https://bedrock-runtime.{region}.amazonaws.com (and its FIPS and China twins).
    "https://bedrock-runtime.*.amazonaws.com",
    "https://bedrock-runtime-fips.*.amazonaws.com",
    "https://bedrock-runtime.*.amazonaws.com.cn",
    # AnthropicBedrockMantle: the Anthropic API's own paths and wire, on AWS.
    "https://bedrock-mantle.*.api.aws/anthropic",
    # AnthropicVertex: https://{region}-aiplatform.googleapis.com/v1, the global and multi-region hosts.
    "https://*-aiplatform.googleapis.com/v1 anthropic",
    "https://aiplatform.googleapis.com/v1 anthropic",
    "https://aiplatform.*.rep.googleapis.com/v1 anthropic",
)
"""The hosts Claude is reached at on Amazon Bedrock and Google Vertex AI, ``*`` standing for a
region. A Vertex host serves every Google model: only its ``/publishers/anthropic/`` paths are
Claude's (the ``anthropic`` mark), so a Gemini call in the same test is not answered by the fake."""
_DEFAULT_PORTS = {"http": 80, "https": 443}


def normal_host(host: str) -> str:
    """A host name as DNS compares it: lower case, no trailing dot."""
    return host.lower().rstrip(".")


@dataclass(frozen=True)
class Target:
    """A base URL the fake answers for: scheme, host, port and an optional path prefix.

    A ``*`` in the host stands for one DNS label or the start of one (``bedrock-runtime.*.amazonaws.com``,
    ``*-aiplatform.googleapis.com``). ``claude_only``: only paths under ``/publishers/anthropic/``
    (a Vertex host, which also serves other publishers' models).
    """

    scheme: str
    host: str
    port: int
    prefix: str
    claude_only: bool = False
    _pattern: re.Pattern[str] | None = field(default=None, compare=False, repr=False)

    @classmethod
    def parse(cls, url: str) -> Target:
        url, _, mark = url.partition(" ")
        parts = urlsplit(url)
        if parts.scheme not in _DEFAULT_PORTS or not parts.hostname or mark not in ("", "anthropic"):
            raise ValueError(f"base URL {url!r} is not an absolute http(s) URL like 'https://gateway.example/anthropic'")
        host = normal_host(parts.hostname)
        pattern = re.compile(re.escape(host).replace(r"\*", "[a-z0-9-]+")) if "*" in host else None
        return cls(parts.scheme, host, parts.port or _DEFAULT_PORTS[parts.scheme], parts.path.rstrip("/"),
                   mark == "anthropic", pattern)

    def api_path(self, scheme: str, host: str, port: int | None, path: str) -> str | None:
        """The path relative to the API root if the URL is under this target, else None."""
        host = normal_host(host)
        if host != self.host and (self._pattern is None or self._pattern.fullmatch(host) is None):
            return None
        if self.claude_only and "/publishers/anthropic/" not in path:
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


@functools.cache
def default_targets() -> tuple[Target, ...]:
    """What a fake answers for unless told more: the Anthropic API, and Claude on Bedrock and Vertex
    (parsed once: a fake is built per test)."""
    return (Target.parse(ANTHROPIC_API), *(Target.parse(url) for url in PLATFORM_HOSTS))


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
