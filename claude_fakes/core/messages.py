"""An assistant message from a reply: its JSON body, its SSE events, and the tokens it counts.

The fake's tokens are words (:func:`split_tokens`); ``max_tokens`` cuts a reply where the real
API would, and latency models pace a stream on each event's tokens.
"""

from __future__ import annotations

import math
import re
from collections.abc import Iterator, Mapping, Sequence
from dataclasses import dataclass, field
from typing import Any

from ..wire.anthropic import MESSAGE_STOP, PING, Ids, SseEvent, block_stop, text_delta
from .replies import Block, Reply, TextBlock, ThinkingBlock, ToolUseBlock

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
