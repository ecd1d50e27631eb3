"""An assistant message from a reply: its JSON body, its SSE events, and the tokens it counts.

The fake's tokens are words (:func:`split_tokens`); ``max_tokens`` cuts a reply where the real
API would, and latency models pace a stream on each event's tokens.
"""

from __future__ import annotations

import json
import math
import re
from collections.abc import Mapping, Sequence
from dataclasses import dataclass, field, replace
from typing import Any

from ..wire.anthropic import MESSAGE_STOP, PING, Ids, SseEvent, block_stop, text_delta
from .replies import (
    Block,
    CompactionBlock,
    McpToolResultBlock,
    McpToolUseBlock,
    Reply,
    ServerToolResultBlock,
    ServerToolUseBlock,
    TextBlock,
    ThinkingBlock,
    ToolUseBlock,
)

_TOKEN = re.compile(r"\s*\S+|\s+")


def split_tokens(text: str) -> list[str]:
    """The fake's tokens: a word with the whitespace before it. ``"".join(split_tokens(t)) == t``."""
    return _TOKEN.findall(text)


def estimate_tokens(text: str) -> int:
    """About four characters a token, as Anthropic's guidance puts it; at least one."""
    return max(1, math.ceil(len(text) / 4))


def _text_length(value: Any) -> int:
    """How many characters the strings in ``value`` hold, wherever they are nested.

    A walk with its own stack, not recursion: a request may nest its content as deep as JSON lets it.
    Parsed JSON is dicts, lists and strings, tested by their exact type first: every request of an
    agent loop is walked whole, its history included, and the abstract types' checks cost more.
    """
    length = 0
    pending = [value]
    while pending:
        item = pending.pop()
        kind = type(item)
        if kind is str:
            length += len(item)
        elif kind is dict:
            pending.extend(item.values())
        elif kind is list:
            pending.extend(item)
        elif isinstance(item, str):
            length += len(item)
        elif isinstance(item, Mapping):
            pending.extend(item.values())
        elif isinstance(item, Sequence) and not isinstance(item, (bytes, bytearray)):
            pending.extend(item)
    return length


def input_tokens(request_json: Mapping[str, Any]) -> int:
    """An estimate of a request's input tokens from its system prompt, messages and tools (about four
    characters a token, as :func:`estimate_tokens`)."""
    return max(1, math.ceil(_text_length([request_json.get(key) for key in ("system", "messages", "tools")]) / 4))


def _tool_json(block: ToolUseBlock | ServerToolUseBlock | McpToolUseBlock) -> str:
    if block.input_json is None:
        raise ValueError(f"tool_use {block.name!r}: its input is built from the request before rendering")
    return block.input_json


def _tool_tokens(block: ToolUseBlock | ServerToolUseBlock | McpToolUseBlock) -> int:
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
    last_call = ""
    for block in reply.blocks:
        if budget <= 0:
            stop_reason = "max_tokens"
            break
        if isinstance(block, (ServerToolResultBlock, McpToolResultBlock)):
            # A tool's result is the API's, not the model's output: it costs no output tokens, and
            # answers the call before it unless it names one.
            if block.tool_use_id is None:
                block = replace(block, tool_use_id=last_call)
            blocks.append((block, []))
            continue
        if isinstance(block, (ToolUseBlock, ServerToolUseBlock, McpToolUseBlock)):
            cost = _tool_tokens(block)
            if block.id is None:
                block = replace(block, id=_new_id(block, ids, id_tag))
            last_call = str(block.id)
            if cost > budget:
                # The model ran out of tokens while writing the call: the block is there with the
                # start of its input (its "tokens": the JSON text written), and nothing follows.
                blocks.append((block, [_input_cut(block, budget)]))
                budget = 0
                stop_reason = "max_tokens"
                break
            budget -= cost
            blocks.append((block, []))
            continue
        tokens = split_tokens(_words(block))
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
    # Stop details belong to the stop they explain: a reply max_tokens cut never reached it.
    details = reply.stop.details if reply.stop is not None and stop_reason == reply.stop.reason else None

    usage_tail = {"cache_creation_input_tokens": 0, "cache_read_input_tokens": 0}
    content = [_block_json(block, tokens) for block, tokens in blocks]
    message = _message(content, model, message_id, stop_reason, details, input_token_count, output_tokens,
                       usage_tail)
    if not events:
        return RenderedMessage(message, (), output_tokens, ())
    stream: list[SseEvent] = []
    weights: list[int] = []

    def emit(event: SseEvent, tokens: int = 0) -> None:
        stream.append(event)
        weights.append(tokens)

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
        def start(content_block: dict[str, Any], index: int = index) -> None:
            emit(SseEvent("content_block_start", {"type": "content_block_start", "index": index,
                                                  "content_block": content_block}))
            if index == 0:
                emit(PING)

        def delta(value: dict[str, Any], tokens: int = 0, index: int = index) -> None:
            emit(SseEvent("content_block_delta", {"type": "content_block_delta", "index": index, "delta": value}),
                 tokens)

        if isinstance(block, TextBlock):
            start({"type": "text", "text": ""})
            for first in range(0, len(tokens), delta_tokens):
                group = tokens[first:first + delta_tokens]
                emit(text_delta(index, "".join(group)), len(group))
        elif isinstance(block, ThinkingBlock):
            start({"type": "thinking", "thinking": "", "signature": ""})
            chunks = ["".join(tokens[i:i + delta_tokens]) for i in range(0, len(tokens), delta_tokens)]
            for n, chunk in enumerate([*chunks, ""]):
                weight = len(tokens[n * delta_tokens:(n + 1) * delta_tokens]) if chunk else 0
                delta({"type": "thinking_delta", "thinking": chunk}, weight)
            delta({"type": "signature_delta", "signature": block.signature})
        elif isinstance(block, (ToolUseBlock, ServerToolUseBlock, McpToolUseBlock)):
            # A call streams as its block with an empty input, then the input's JSON in fragments.
            start({**_block_json(block, tokens), "input": {}})
            written = tokens[0] if tokens else _tool_json(block)
            fragments = ["", *_json_fragments(written)]
            per_fragment = estimate_tokens(block.name + written) / max(1, len(fragments) - 1)
            for n, fragment in enumerate(fragments):
                weight = round(per_fragment * n) - round(per_fragment * (n - 1)) if n else 0
                delta({"type": "input_json_delta", "partial_json": fragment}, weight)
        elif isinstance(block, CompactionBlock):
            # The summary comes whole in one compaction_delta (the SDK sets the block's content from it).
            start({"type": "compaction", "content": None})
            delta({"type": "compaction_delta", "content": "".join(tokens)}, len(tokens))
        else:
            # A tool's result comes whole in its content_block_start.
            start(_block_json(block, tokens))
        emit(block_stop(index))
    stop: dict[str, Any] = {"stop_reason": stop_reason, "stop_sequence": None}
    if details is not None:
        stop["stop_details"] = details
    emit(
        SseEvent(
            "message_delta",
            {
                "type": "message_delta",
                "delta": stop,
                "usage": {"input_tokens": input_token_count, **usage_tail, "output_tokens": output_tokens},
            },
        )
    )
    emit(MESSAGE_STOP)
    return RenderedMessage(message, tuple(stream), output_tokens, tuple(weights))


def _input_cut(block: ToolUseBlock | ServerToolUseBlock | McpToolUseBlock, budget: int) -> str:
    """The start of the call's input JSON that ``budget`` tokens write: its first members, as many as
    fit, and no closing brace. Cut between members, the SDK's partial parse of the streamed text
    and the JSON body's ``input`` (those members) agree."""
    members = list(block.input.items())
    written = "{"
    for count in range(1, len(members) + 1):
        longer = json.dumps(dict(members[:count]), sort_keys=True, separators=(",", ":"))[:-1]
        if estimate_tokens(block.name + longer) > budget:
            break
        written = longer
    return written


def _input(block: ToolUseBlock | ServerToolUseBlock | McpToolUseBlock, tokens: list[str]) -> Any:
    """The call's input as the message holds it: whole, or the members max_tokens let it write."""
    return json.loads(tokens[0] + "}") if tokens else block.input


def _words(block: TextBlock | ThinkingBlock | CompactionBlock) -> str:
    """The text of a block the model writes word by word."""
    if isinstance(block, TextBlock):
        return block.text
    return block.thinking if isinstance(block, ThinkingBlock) else block.content


def _new_id(block: ToolUseBlock | ServerToolUseBlock | McpToolUseBlock, ids: Ids, id_tag: str) -> str:
    if isinstance(block, ServerToolUseBlock):
        return ids.server_tool_use(id_tag)
    return ids.mcp_tool_use(id_tag) if isinstance(block, McpToolUseBlock) else ids.tool_use(id_tag)


def _block_json(block: Block, tokens: list[str]) -> dict[str, Any]:
    """A block as the message's ``content`` holds it; ``tokens``: the words of it that were written."""
    if isinstance(block, TextBlock):
        return {"type": "text", "text": "".join(tokens)}
    if isinstance(block, ThinkingBlock):
        return {"type": "thinking", "thinking": "".join(tokens), "signature": block.signature}
    if isinstance(block, ToolUseBlock):
        return {"type": "tool_use", "id": block.id, "name": block.name, "input": _input(block, tokens)}
    if isinstance(block, ServerToolUseBlock):
        return {"type": "server_tool_use", "id": block.id, "name": block.name, "input": _input(block, tokens)}
    if isinstance(block, McpToolUseBlock):
        return {"type": "mcp_tool_use", "id": block.id, "name": block.name, "server_name": block.server_name,
                "input": _input(block, tokens)}
    if isinstance(block, ServerToolResultBlock):
        return {"type": block.type, "tool_use_id": block.tool_use_id, "content": block.content}
    if isinstance(block, McpToolResultBlock):
        return {"type": "mcp_tool_result", "tool_use_id": block.tool_use_id, "is_error": block.is_error,
                "content": [{"type": "text", "text": block.content}]}
    return {"type": "compaction", "content": "".join(tokens)}


def _message(content: list[dict[str, Any]], model: str, message_id: str, stop_reason: str, details: Any,
             input_token_count: int, output_tokens: int, usage_tail: dict[str, int]) -> dict[str, Any]:
    # stop_details only where a stop has them (a refusal's): every other reply's bytes stay as they were.
    return {
        "model": model,
        "id": message_id,
        "type": "message",
        "role": "assistant",
        "content": content,
        "stop_reason": stop_reason,
        "stop_sequence": None,
        **({"stop_details": details} if details is not None else {}),
        "usage": {
            "input_tokens": input_token_count,
            **usage_tail,
            "cache_creation": {"ephemeral_5m_input_tokens": 0, "ephemeral_1h_input_tokens": 0},
            "output_tokens": output_tokens,
            "service_tier": "standard",
        },
    }
