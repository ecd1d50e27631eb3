"""Which requests a fake answers: its base URLs, matched however the host is spelt; what an
Anthropic SDK client's request and any request for Claude look like, whatever their host; and the
HTTP packages a client may use."""

from __future__ import annotations

import functools
import importlib
import ipaddress
import re
import types
from collections.abc import Mapping
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
    # AnthropicFoundry: https://{resource}.services.ai.azure.com/anthropic/, the Anthropic API's own paths and wire.
    "https://*.services.ai.azure.com/anthropic",
)
"""The hosts Claude is reached at on Amazon Bedrock, Google Vertex AI and Microsoft Foundry, ``*``
standing for a region or a resource name. A Vertex host serves every Google model: only its
``/publishers/anthropic/`` paths are Claude's (the ``anthropic`` mark), so a Gemini call in the
same test is not answered by the fake."""
_DEFAULT_PORTS = {"http": 80, "https": 443}


def normal_host(host: str) -> str:
    """A host as it goes on the wire, compared as DNS compares it: lower case, no trailing dot, an
    internationalised name in its ``xn--`` form (as httpx, httpx2 and aiohttp send it), an IP
    address in its canonical spelling."""
    host = host.lower().rstrip(".")
    if not host.isascii():
        # Every client intercepted here encodes with the idna package (IDNA 2008, UTS 46), whose
        # answer differs from Python's own IDNA 2003 codec for names such as straße.
        import idna

        return str(idna.encode(host, uts46=True).decode("ascii"))
    if ":" in host or host[-1:].isdigit():
        try:
            return str(ipaddress.ip_address(host))
        except ValueError:
            pass
    return host


def is_loopback(host: str) -> bool:
    """Whether a host (as :func:`normal_host` gives it) is this machine's loopback: ``localhost``,
    127.0.0.0/8, ``::1`` (or its IPv4-mapped form)."""
    if host == "localhost":
        return True
    try:
        address = ipaddress.ip_address(host)
    except ValueError:
        return False
    mapped = getattr(address, "ipv4_mapped", None)
    return address.is_loopback or (mapped is not None and mapped.is_loopback)


def authority(host: str, port: int) -> str:
    """``host:port`` as a URL writes it (an IPv6 address in brackets)."""
    return f"[{host}]:{port}" if ":" in host else f"{host}:{port}"


def default_port(scheme: str) -> int | None:
    return _DEFAULT_PORTS.get(scheme)


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


Headers = Mapping[str, str]
"""A request's headers; a client's own case-insensitive mapping (httpx's, aiohttp's), or names in lower case."""

_SDK_AGENT = re.compile(r"(?:Async)?Anthropic[A-Za-z]*/")
"""The user agent of every official Python SDK client: its class name, ``AsyncAnthropicBedrock/Python 2.16.0``."""
_CLAUDE_PATH = re.compile(
    r"/v1/(?:messages|complete)(?:/|$)"  # the Anthropic API's, behind any gateway prefix
    r"|/publishers/anthropic/"  # Vertex
    r"|/model/[^/]*(?:anthropic|claude)[^/]*/(?:invoke|converse)",  # Bedrock, from any client (boto3 too)
    re.IGNORECASE,
)


def claude_shaped(headers: Headers, path: str) -> bool:
    """Whether a request is meant for Claude, whoever sends it: a Messages path on any platform,
    an ``anthropic-version`` or ``anthropic-beta`` header (every client of the Anthropic API's wire
    sends the first, which the API requires), or an Anthropic API key (``sk-ant-…``) in its auth
    header. A bare ``x-api-key`` is not: many other services use that header. (Cheapest first: a
    client's header lookups cost more than the path's search.)"""
    if _CLAUDE_PATH.search(path) is not None or "anthropic-version" in headers or "anthropic-beta" in headers:
        return True
    return any(name in headers and "sk-ant-" in str(headers[name]) for name in ("x-api-key", "authorization"))


def sdk_request(headers: Headers, path: str) -> bool:
    """Whether an official Anthropic SDK client sent the request (``Anthropic``, ``AnthropicBedrock``,
    ``AnthropicVertex``, ``AnthropicFoundry``, their async twins): Stainless's headers, and the
    SDK's user agent or a request for Claude (a subclass of a client has its own agent)."""
    if "x-stainless-lang" not in headers:
        return False
    return _SDK_AGENT.match(headers.get("user-agent", "")) is not None or claude_shaped(headers, path)


def api_root(path: str) -> str:
    """The API path inside a path sent to a base URL the fake was not given: Vertex's from
    ``/projects/``, Bedrock's from ``/model/``, else the Anthropic API's from its last ``/v1/``
    (a gateway's own prefix may hold a ``/v1/``, as Cloudflare's does), else the whole path."""
    if "/publishers/anthropic/" in path and (start := path.find("/projects/")) >= 0:
        return path[start:]
    if (start := path.find("/model/")) >= 0:
        return path[start:]
    start = path.rfind("/v1/")
    return path[start:] if start >= 0 else path


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
