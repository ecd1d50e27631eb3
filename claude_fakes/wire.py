"""Everything the fake puts on the wire, encoded the way api.anthropic.com encodes it.

Message JSON, SSE events, error bodies, response headers, ids and the model catalogue live here
and nowhere else; both executors send exactly these bytes. Pure functions and small value
objects: no I/O, no clock (callers pass the time in).

Sources for each shape: ../shared/reference/claude-wire.md, sections 1-3.
"""

from __future__ import annotations

import base64
import email.utils
import functools
import hashlib
import json
import math
import re
from collections.abc import Iterator, Mapping, Sequence
from dataclasses import dataclass, field
from datetime import datetime, timedelta, timezone
from typing import Any

from .replies import Block, Reply, TextBlock, ThinkingBlock, ToolUseBlock

JSON_CONTENT_TYPE = "application/json"
SSE_CONTENT_TYPE = "text/event-stream; charset=utf-8"

REASONS = {200: b"OK", 400: b"Bad Request", 401: b"Unauthorized", 402: b"Payment Required", 403: b"Forbidden",
           404: b"Not Found", 405: b"Method Not Allowed", 408: b"Request Timeout", 409: b"Conflict",
           412: b"Precondition Failed", 413: b"Payload Too Large", 422: b"Unprocessable Entity",
           429: b"Too Many Requests", 431: b"Request Header Fields Too Large", 500: b"Internal Server Error",
           499: b"Client Closed Request", 501: b"Not Implemented", 502: b"Bad Gateway", 503: b"Service Unavailable",
           504: b"Gateway Timeout", 520: b"", 521: b"", 522: b"", 523: b"", 524: b"", 529: b""}
"""Reason phrases as api.anthropic.com's front end sends them; 529 and Cloudflare's 524 have none."""

GARBAGE_BYTES = b"\x00\xffnot http\r\n\r\n"
"""What ``garbage`` sends instead of a status line: not HTTP, so every client's parser rejects it."""


def reason(status: int) -> bytes:
    return REASONS.get(status, b"")


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


_compact = json.JSONEncoder(separators=(",", ":"), ensure_ascii=False).encode


def json_bytes(value: Any) -> bytes:
    """Compact UTF-8 JSON, as the API writes it."""
    return _compact(value).encode()


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
        return data + b"<!-- not json -->"
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

    @functools.cached_property
    def workspace(self) -> str:
        return "wrkspc_01" + hashlib.blake2b(f"{self._seed}:workspace".encode(), digest_size=16).hexdigest()[:22]

    def signature(self) -> str:
        return base64.b64encode(self._token("sig", 48).encode()).decode()

    @functools.cached_property
    def organization(self) -> str:
        digest = hashlib.blake2b(f"{self._seed}:org".encode(), digest_size=16).hexdigest()
        return f"{digest[:8]}-{digest[8:12]}-{digest[12:16]}-{digest[16:20]}-{digest[20:32]}"


_TOKEN = re.compile(r"\s*\S+|\s+")


def split_tokens(text: str) -> list[str]:
    """The fake's tokens: a word with the whitespace before it. ``"".join(split_tokens(t)) == t``."""
    return _TOKEN.findall(text)


def estimate_tokens(text: str) -> int:
    """About four characters a token, as Anthropic's guidance puts it; at least one."""
    return max(1, math.ceil(len(text) / 4))


def _strings(value: Any) -> Iterator[str]:
    if isinstance(value, str):
        yield value
    elif isinstance(value, Mapping):
        for item in value.values():
            yield from _strings(item)
    elif isinstance(value, Sequence) and not isinstance(value, (bytes, bytearray)):
        for item in value:
            yield from _strings(item)


def input_tokens(request_json: Mapping[str, Any]) -> int:
    """An estimate of a request's input tokens from its system prompt, messages and tools."""
    text = "".join(_strings([request_json.get(key) for key in ("system", "messages", "tools")]))
    return estimate_tokens(text)


def _tool_json(block: ToolUseBlock) -> str:
    if block.input_json is None:
        raise ValueError(f"tool_use {block.name!r}: its input is built from the request before rendering")
    return block.input_json


def _tool_tokens(block: ToolUseBlock) -> int:
    return estimate_tokens(block.name + _tool_json(block))


def _json_fragments(text: str, size: int = 24) -> list[str]:
    return [text[i : i + size] for i in range(0, len(text), size)]


@dataclass(frozen=True)
class RenderedMessage:
    """One assistant message, both as the JSON body and as the SSE events of a stream."""

    message: Mapping[str, Any]
    events: tuple[SseEvent, ...]
    output_tokens: int
    token_gaps: tuple[int, ...] = field(default=())
    """Per event, the output tokens it carries (0 for framing events); latency models pace on it."""


def render_message(
    reply: Reply,
    *,
    model: str,
    max_tokens: int,
    input_token_count: int,
    ids: Ids,
    delta_tokens: int = 1,
    events: bool = True,
    id_tag: str = "",
) -> RenderedMessage:
    """Render ``reply`` as the real API would, cutting it at ``max_tokens`` (stop_reason ``max_tokens``).

    Each text or thinking delta carries up to ``delta_tokens`` tokens. ``events=False`` renders the
    JSON body only (a non-streaming reply needs no SSE events). ``id_tag``: the platform's mark in
    the message and tool-call ids.
    """
    message_id = ids.message(id_tag)
    budget = max_tokens
    stop_reason = reply.stop_reason
    blocks: list[tuple[Block, list[str]]] = []
    for block in reply.blocks:
        if budget <= 0:
            stop_reason = "max_tokens"
            break
        if isinstance(block, ToolUseBlock):
            cost = _tool_tokens(block)
            if cost > budget:
                stop_reason = "max_tokens"
                break
            budget -= cost
            if block.id is None:
                block = ToolUseBlock(block.name, block.input_json, ids.tool_use(id_tag))
            blocks.append((block, []))
            continue
        tokens = split_tokens(block.text if isinstance(block, TextBlock) else block.thinking)
        if len(tokens) > budget:
            tokens = tokens[:budget]
            stop_reason = "max_tokens"
        budget -= len(tokens)
        if isinstance(block, ThinkingBlock) and block.signature is None:
            block = ThinkingBlock(block.thinking, ids.signature())
        blocks.append((block, tokens))
        if stop_reason == "max_tokens":
            break
    output_tokens = max_tokens - budget

    usage_tail = {"cache_creation_input_tokens": 0, "cache_read_input_tokens": 0}
    content: list[dict[str, Any]] = []
    stream: list[SseEvent] = []
    weights: list[int] = []

    def emit(event: SseEvent, tokens: int = 0) -> None:
        stream.append(event)
        weights.append(tokens)

    if not events:
        return _message_only(blocks, model, message_id, stop_reason, input_token_count, output_tokens, usage_tail)
    emit(
        SseEvent(
            "message_start",
            {
                "type": "message_start",
                "message": {
                    "model": model,
                    "id": message_id,
                    "type": "message",
                    "role": "assistant",
                    "content": [],
                    "stop_reason": None,
                    "stop_sequence": None,
                    "usage": {
                        "input_tokens": input_token_count,
                        **usage_tail,
                        "cache_creation": {"ephemeral_5m_input_tokens": 0, "ephemeral_1h_input_tokens": 0},
                        "output_tokens": 1,
                        "service_tier": "standard",
                    },
                },
            },
        )
    )
    for index, (block, tokens) in enumerate(blocks):
        if isinstance(block, TextBlock):
            text = "".join(tokens)
            content.append({"type": "text", "text": text})
            emit(SseEvent("content_block_start", {"type": "content_block_start", "index": index,
                                                  "content_block": {"type": "text", "text": ""}}))
            if index == 0:
                emit(PING)
            for start in range(0, len(tokens), delta_tokens):
                group = tokens[start:start + delta_tokens]
                emit(text_delta(index, "".join(group)), len(group))
        elif isinstance(block, ThinkingBlock):
            thought = "".join(tokens)
            content.append({"type": "thinking", "thinking": thought, "signature": block.signature})
            emit(SseEvent("content_block_start", {"type": "content_block_start", "index": index,
                                                  "content_block": {"type": "thinking", "thinking": "",
                                                                    "signature": ""}}))
            if index == 0:
                emit(PING)
            chunks = ["".join(tokens[i:i + delta_tokens]) for i in range(0, len(tokens), delta_tokens)]
            for n, chunk in enumerate([*chunks, ""]):
                weight = len(tokens[n * delta_tokens:(n + 1) * delta_tokens]) if chunk else 0
                emit(SseEvent("content_block_delta", {"type": "content_block_delta", "index": index,
                                                      "delta": {"type": "thinking_delta", "thinking": chunk}}),
                     weight)
            emit(SseEvent("content_block_delta", {"type": "content_block_delta", "index": index,
                                                  "delta": {"type": "signature_delta",
                                                            "signature": block.signature}}))
        else:
            content.append({"type": "tool_use", "id": block.id, "name": block.name, "input": block.input})
            emit(SseEvent("content_block_start", {"type": "content_block_start", "index": index,
                                                  "content_block": {"type": "tool_use", "id": block.id,
                                                                    "name": block.name, "input": {}}}))
            if index == 0:
                emit(PING)
            fragments = ["", *_json_fragments(_tool_json(block))]
            per_fragment = _tool_tokens(block) / max(1, len(fragments) - 1)
            for n, fragment in enumerate(fragments):
                weight = round(per_fragment * n) - round(per_fragment * (n - 1)) if n else 0
                emit(SseEvent("content_block_delta", {"type": "content_block_delta", "index": index,
                                                      "delta": {"type": "input_json_delta",
                                                                "partial_json": fragment}}), weight)
        emit(block_stop(index))
    emit(
        SseEvent(
            "message_delta",
            {
                "type": "message_delta",
                "delta": {"stop_reason": stop_reason, "stop_sequence": None},
                "usage": {"input_tokens": input_token_count, **usage_tail, "output_tokens": output_tokens},
            },
        )
    )
    emit(MESSAGE_STOP)
    message = _message(content, model, message_id, stop_reason, input_token_count, output_tokens, usage_tail)
    return RenderedMessage(message, tuple(stream), output_tokens, tuple(weights))


def _message_only(blocks: list[tuple[Block, list[str]]], model: str, message_id: str, stop_reason: str,
                  input_token_count: int, output_tokens: int, usage_tail: dict[str, int]) -> RenderedMessage:
    content: list[dict[str, Any]] = []
    for block, tokens in blocks:
        if isinstance(block, TextBlock):
            content.append({"type": "text", "text": "".join(tokens)})
        elif isinstance(block, ThinkingBlock):
            content.append({"type": "thinking", "thinking": "".join(tokens), "signature": block.signature})
        else:
            content.append({"type": "tool_use", "id": block.id, "name": block.name, "input": block.input})
    message = _message(content, model, message_id, stop_reason, input_token_count, output_tokens, usage_tail)
    return RenderedMessage(message, (), output_tokens, ())


def _message(content: list[dict[str, Any]], model: str, message_id: str, stop_reason: str, input_token_count: int,
             output_tokens: int, usage_tail: dict[str, int]) -> dict[str, Any]:
    return {
        "model": model,
        "id": message_id,
        "type": "message",
        "role": "assistant",
        "content": content,
        "stop_reason": stop_reason,
        "stop_sequence": None,
        "usage": {
            "input_tokens": input_token_count,
            **usage_tail,
            "cache_creation": {"ephemeral_5m_input_tokens": 0, "ephemeral_1h_input_tokens": 0},
            "output_tokens": output_tokens,
            "service_tier": "standard",
        },
    }


@functools.lru_cache(maxsize=256)
def _rfc3339(seconds: int) -> str:
    return _EPOCH.__add__(timedelta(seconds=seconds)).strftime("%Y-%m-%dT%H:%M:%SZ")


_EPOCH = datetime(1970, 1, 1, tzinfo=timezone.utc)


def http_date(epoch: float) -> str:
    """A POSIX time as an HTTP-date (``Thu, 01 Jan 2026 00:00:30 GMT``), as ``retry-after`` may carry it."""
    return email.utils.formatdate(epoch, usegmt=True)


def rfc3339(epoch: float) -> str:
    """A POSIX time as the API's reset headers write it (whole seconds, UTC)."""
    return _rfc3339(int(epoch))


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


@dataclass(frozen=True)
class ModelInfo:
    id: str
    display_name: str
    created_at: str
    max_input_tokens: int
    max_tokens: int

    def to_json(self) -> dict[str, Any]:
        return {
            "type": "model",
            "id": self.id,
            "display_name": self.display_name,
            "created_at": self.created_at,
            "lifecycle": "active",
            "max_input_tokens": self.max_input_tokens,
            "max_tokens": self.max_tokens,
        }


MODELS: tuple[ModelInfo, ...] = (
    ModelInfo("claude-opus-4-7", "Claude Opus 4.7", "2026-04-16T00:00:00Z", 1_000_000, 128_000),
    ModelInfo("claude-sonnet-4-6", "Claude Sonnet 4.6", "2026-02-17T00:00:00Z", 1_000_000, 64_000),
    ModelInfo("claude-haiku-4-5", "Claude Haiku 4.5", "2025-10-15T00:00:00Z", 200_000, 64_000),
    ModelInfo("claude-opus-4-1", "Claude Opus 4.1", "2025-08-05T00:00:00Z", 200_000, 32_000),
    ModelInfo("claude-sonnet-4-5", "Claude Sonnet 4.5", "2025-09-29T00:00:00Z", 200_000, 64_000),
)
"""Newest first, as GET /v1/models lists them."""


def models_page(after_id: str | None, before_id: str | None, limit: int) -> dict[str, Any]:
    """One page of GET /v1/models, paginated by id as the SDK's SyncPage expects."""
    ids = [model.id for model in MODELS]
    start, stop = 0, len(MODELS)
    if after_id is not None:
        start = ids.index(after_id) + 1 if after_id in ids else len(ids)
    if before_id is not None:
        stop = ids.index(before_id) if before_id in ids else 0
        start = max(start, stop - limit)
    chosen = MODELS[start:stop][:limit]
    data = [model.to_json() for model in chosen]
    return {
        "data": data,
        "first_id": data[0]["id"] if data else None,
        "last_id": data[-1]["id"] if data else None,
        "has_more": start + len(chosen) < stop if before_id is None else start > 0,
    }
