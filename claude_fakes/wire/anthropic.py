"""The Anthropic API's own encoding: error kinds and bodies, proxy pages, SSE events, ids, headers.

Both executors send exactly these bytes; Bedrock and Vertex wrap or replace them in
:mod:`claude_fakes.wire.platforms`. Pure functions and small value objects: no I/O, no clock.

Sources for each shape: ../shared/reference/claude-wire.md, sections 1-3.
"""

from __future__ import annotations

import base64
import functools
import hashlib
import json
from collections.abc import Mapping
from dataclasses import dataclass, field
from typing import Any

from .http import SSE_CONTENT_TYPE, json_bytes, reason, rfc3339


@dataclass(frozen=True)
class ErrorKind:
    type: str
    status: int
    message: str


ERROR_KINDS: dict[str, ErrorKind] = {
    kind.type: kind
    for kind in (
        ErrorKind("invalid_request_error", 400, "Invalid request."),
        ErrorKind("authentication_error", 401, "invalid x-api-key"),
        ErrorKind(
            "billing_error",
            402,
            "Your credit balance is too low to access the Anthropic API. "
            "Please go to Plans & Billing to upgrade or purchase credits.",
        ),
        ErrorKind(
            "permission_error", 403, "Your API key does not have permission to use the specified resource."
        ),
        ErrorKind("not_found_error", 404, "Not found"),
        ErrorKind("conflict_error", 409, "Conflict"),
        ErrorKind("request_too_large", 413, "Request exceeds the maximum allowed number of bytes."),
        ErrorKind(
            "rate_limit_error",
            429,
            "This request would exceed the rate limit for your organization of 50 requests per minute. "
            "For details, refer to: https://docs.claude.com/en/api/rate-limits.",
        ),
        ErrorKind("api_error", 500, "Internal server error"),
        ErrorKind("timeout_error", 504, "Request timed out"),
        ErrorKind("overloaded_error", 529, "Overloaded"),
    )
}
"""The documented error types (platform docs, "Errors"), with their status and a real message."""


STATUS_MESSAGES = {408: "Request timed out", 412: "Precondition failed", 422: "Unprocessable entity",
                   431: "Request header fields too large", 499: "Client closed request", 501: "Not implemented",
                   502: "Bad gateway", 503: "Service unavailable"}
"""Messages for the statuses the docs give no ``error.type`` of their own (anthropic 2.x maps each to a class)."""


def error_message(error_type: str, status: int) -> str:
    """The message an error body carries when the script gives none."""
    kind = ERROR_KINDS.get(error_type)
    if kind is not None and kind.status == status:
        return kind.message
    return STATUS_MESSAGES.get(status) or (kind.message if kind else "Error")


def error_type_for_status(status: int) -> str:
    """The ``error.type`` the API uses for ``status``: exact where documented, else by class."""
    for kind in ERROR_KINDS.values():
        if kind.status == status:
            return kind.type
    return "api_error" if status >= 500 else "invalid_request_error"


def error_body(error_type: str, message: str, request_id: str, error_code: str | None = None) -> bytes:
    """An Anthropic error body; ``error_code`` fills ``error.details`` (anthropic 2.x picks its class by it)."""
    details = None if error_code is None else {"error_code": error_code}
    return json_bytes(
        {
            "type": "error",
            "error": {"type": error_type, "message": message, "details": details},
            "request_id": request_id,
        }
    )


CLOUDFLARE_TITLES = {520: "Web server is returning an unknown error", 521: "Web server is down",
                     522: "Connection timed out", 523: "Origin is unreachable", 524: "A timeout occurred",
                     529: "Site is overloaded"}
"""Cloudflare's page titles for its own 52x statuses, which have no reason phrase."""


PROXY_BODIES = ("html", "text")
"""``proxy_error``'s page kinds: Cloudflare's HTML page, Envoy's one line of plain text."""


def proxy_page(status: int, kind: str) -> tuple[tuple[tuple[str, str], ...], bytes]:
    """The headers and body of an error page from a proxy in front of the API (not JSON)."""
    phrase = reason(status).decode() or CLOUDFLARE_TITLES.get(status, "Error")
    if kind == "text":
        body = b"upstream connect error or disconnect/reset before headers. reset reason: connection termination"
        return (("content-type", "text/plain"), ("server", "envoy")), body
    page = (f"<html>\r\n<head><title>{status} {phrase}</title></head>\r\n<body>\r\n<center><h1>{status} {phrase}"
            "</h1></center>\r\n<hr><center>cloudflare</center>\r\n</body>\r\n</html>\r\n")
    return (("content-type", "text/html"), ("server", "cloudflare")), page.encode()


def malformed(data: bytes, stream: bool) -> bytes:
    """``data`` made unparseable: an SSE event whose JSON stops halfway, or a JSON body with junk."""
    if not stream:
        # The piece may end inside a string, where plain junk would just be more text of a valid
        # body; a raw control character is invalid JSON inside a string and out (RFC 8259), so
        # the body fails to parse wherever it is cut.
        return data + b"\x00<!-- not json -->"
    head, sep, rest = data.partition(b"\ndata: ")
    if not sep:
        return b"data: {\n\n"
    return head + sep + half(rest.rstrip(b"\n")) + b"\n\n"


def half(event_json: bytes) -> bytes:
    """An event's JSON stopped halfway: what ``malformed`` puts in place of the whole."""
    return event_json[: max(1, len(event_json) // 2)]


@dataclass(frozen=True)
class SseEvent:
    name: str
    data: Mapping[str, Any]
    frame: bytes | None = field(default=None, compare=False, repr=False)
    """The encoded event when it was written from a template (the same bytes ``data`` encodes to)."""

    def encode(self) -> bytes:
        if self.frame is not None:
            return self.frame
        # The real API writes ping with a space after the colon and every other event compact.
        data = b'{"type": "ping"}' if self.name == "ping" else json_bytes(self.data)
        return b"event: " + self.name.encode() + b"\ndata: " + data + b"\n\n"


PING = SseEvent("ping", {"type": "ping"}, b'event: ping\ndata: {"type": "ping"}\n\n')
MESSAGE_STOP = SseEvent("message_stop", {"type": "message_stop"},
                        b'event: message_stop\ndata: {"type":"message_stop"}\n\n')


_json_string = json.encoder.encode_basestring  # what the compact encoder writes for a str


def text_delta(index: int, text: str) -> SseEvent:
    """A ``text_delta`` event, written from a template: a long stream is mostly these."""
    frame = (b'event: content_block_delta\ndata: {"type":"content_block_delta","index":%d,'
             b'"delta":{"type":"text_delta","text":%s}}\n\n' % (index, _json_string(text).encode()))
    data = {"type": "content_block_delta", "index": index, "delta": {"type": "text_delta", "text": text}}
    return SseEvent("content_block_delta", data, frame)


def block_stop(index: int) -> SseEvent:
    frame = b'event: content_block_stop\ndata: {"type":"content_block_stop","index":%d}\n\n' % index
    return SseEvent("content_block_stop", {"type": "content_block_stop", "index": index}, frame)


def error_event(error_type: str, message: str, request_id: str) -> SseEvent:
    return SseEvent(
        "error",
        {"type": "error", "error": {"type": error_type, "message": message, "details": None}, "request_id": request_id},
    )


_ALPHANUMERIC = bytes.maketrans(b"+/", b"xZ")


class Ids:
    """Deterministic ids shaped like the real ones: same seed, same ids, in every run and mode."""

    def __init__(self, seed: int) -> None:
        self._seed = seed
        self._counters: dict[str, int] = {}

    @property
    def seed(self) -> int:
        return self._seed

    def state(self) -> tuple[tuple[str, int], ...]:
        """Where each sequence stands: with the seed, every id to come."""
        return tuple(self._counters.items())

    def restore(self, state: tuple[tuple[str, int], ...]) -> None:
        """Stand where :meth:`state` said."""
        self._counters = dict(state)

    def _token(self, kind: str, length: int) -> str:
        n = self._counters.get(kind, 0)
        self._counters[kind] = n + 1
        digest = hashlib.blake2b(f"{self._seed}:{kind}:{n}".encode(), digest_size=48).digest()
        # Real ids are base62; base64 with its two symbols swapped for letters looks the same.
        return base64.b64encode(digest).translate(_ALPHANUMERIC).decode()[:length]

    def message(self, tag: str = "") -> str:
        """``tag``: a platform's mark after the prefix (``msg_bdrk_01…``, ``msg_vrtx_01…``)."""
        return "msg_" + tag + "01" + self._token("msg", 22)

    def request(self) -> str:
        return "req_011C" + self._token("req", 20)

    def tool_use(self, tag: str = "") -> str:
        return "toolu_" + tag + "01" + self._token("toolu", 22)

    def server_tool_use(self, tag: str = "") -> str:
        return "srvtoolu_" + tag + "01" + self._token("srvtoolu", 22)

    def mcp_tool_use(self, tag: str = "") -> str:
        return "mcptoolu_" + tag + "01" + self._token("mcptoolu", 22)

    @functools.cached_property
    def workspace(self) -> str:
        return "wrkspc_01" + hashlib.blake2b(f"{self._seed}:workspace".encode(), digest_size=16).hexdigest()[:22]

    def signature(self) -> str:
        return base64.b64encode(self._token("sig", 48).encode()).decode()

    @functools.cached_property
    def organization(self) -> str:
        digest = hashlib.blake2b(f"{self._seed}:org".encode(), digest_size=16).hexdigest()
        return f"{digest[:8]}-{digest[8:12]}-{digest[12:16]}-{digest[16:20]}-{digest[20:32]}"


def response_headers(
    *,
    content_type: str,
    request_id: str,
    organization_id: str,
    now: float,
    limits: Mapping[str, tuple[int, int, float]] | None = None,
    workspace_id: str | None = None,
) -> list[tuple[str, str]]:
    """The headers every API reply carries: request-id, organization, the rate-limit family.

    ``limits`` gives ``(limit, remaining, reset time)`` for ``requests`` and ``tokens``; without
    it the figures are a generous tier's, never running out.
    """
    limits = limits or {"requests": (4000, 3999, now + 60), "tokens": (2_000_000, 2_000_000, now + 60)}
    headers = [
        ("content-type", content_type),
        ("request-id", request_id),
        ("anthropic-organization-id", organization_id),
    ]
    if workspace_id is not None:
        headers.append(("anthropic-workspace-id", workspace_id))
    requests, tokens = limits["requests"], limits["tokens"]
    for family, (limit, remaining, reset) in (("requests", requests), ("tokens", tokens),
                                              ("input-tokens", tokens), ("output-tokens", tokens)):
        headers += [
            (f"anthropic-ratelimit-{family}-limit", str(limit)),
            (f"anthropic-ratelimit-{family}-remaining", str(remaining)),
            (f"anthropic-ratelimit-{family}-reset", rfc3339(reset)),
        ]
    if content_type == SSE_CONTENT_TYPE:
        headers.append(("cache-control", "no-cache"))
    return headers
