"""An assistant message from a reply: its JSON body, its SSE events, and the tokens it counts.

The fake's tokens are words (:func:`split_tokens`); ``max_tokens`` cuts a reply where the real
API would, and latency models pace a stream on each event's tokens. A stream's deltas are made
when they are read (:class:`Stream`): a reply of 100,000 words is its words and a few objects
until it is sent, not 100,000 events built before the first byte.
"""

from __future__ import annotations

import bisect
import json
import math
import re
from abc import ABC, abstractmethod
from collections.abc import Iterator, Mapping, Sequence
from dataclasses import dataclass, replace
from typing import Any, overload

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


class Written:
    """What the model wrote of a block: its ``text`` and how many tokens that is; the tokens themselves
    are split only when a stream needs them (a long reply's JSON body never does)."""

    def __init__(self, text: str, count: int) -> None:
        self.text = text
        self.count = count
        self._tokens: list[str] | None = None

    @property
    def tokens(self) -> list[str]:
        if self._tokens is None:
            self._tokens = split_tokens(self.text)
        return self._tokens

    @classmethod
    def of(cls, text: str, budget: int) -> tuple[Written, bool]:
        """The start of ``text`` that ``budget`` tokens write, and whether it stops short of the whole."""
        # Counted with str.split, which knows the same whitespace as the tokens' pattern, several times faster.
        words = text.split(maxsplit=budget) if budget < len(text) else text.split()
        if len(words) > budget:
            # The first ``budget`` words end where the whitespace before the rest begins.
            return cls(text[: len(text) - len(words[budget])].rstrip(), budget), True
        count = len(words) + (1 if text[-1:].isspace() else 0)  # whitespace after the last word is a token
        if count > budget:
            return cls(text.rstrip(), budget), True
        return cls(text, count), False


def estimate_tokens(text: str) -> int:
    """About four characters a token, as Anthropic's guidance puts it; at least one."""
    return _tokens_in(len(text))


def _tokens_in(characters: int) -> int:
    return max(1, math.ceil(characters / 4))


def _text_length(value: Any) -> int:
    """The characters of every string in ``value`` (a JSON value), together."""
    # A walk with its own stack, not recursion: a request may nest its content as deep as JSON lets it. Parsed
    # JSON is dicts, lists and strs, told by their exact type first (the ABC checks are many times slower).
    total = 0
    pending = [value]
    while pending:
        item = pending.pop()
        kind = type(item)
        if kind is str:
            total += len(item)
        elif kind is dict:
            pending.extend(item.values())
        elif kind is list:
            pending.extend(item)
        elif isinstance(item, str):
            total += len(item)
        elif isinstance(item, Mapping):
            pending.extend(item.values())
        elif isinstance(item, Sequence) and not isinstance(item, (bytes, bytearray)):
            pending.extend(item)
    return total


def input_tokens(request_json: Mapping[str, Any]) -> int:
    """An estimate of a request's input tokens from its system prompt, messages and tools."""
    return _tokens_in(_text_length([request_json.get(key) for key in ("system", "messages", "tools")]))


def _tool_json(block: ToolUseBlock | ServerToolUseBlock | McpToolUseBlock) -> str:
    if block.input_json is None:
        raise ValueError(f"tool_use {block.name!r}: its input is built from the request before rendering")
    return block.input_json


def _tool_tokens(block: ToolUseBlock | ServerToolUseBlock | McpToolUseBlock) -> int:
    return estimate_tokens(block.name + _tool_json(block))


class _Run(ABC):
    """Consecutive events of a stream, each made when it is read."""

    @abstractmethod
    def __len__(self) -> int: ...

    @abstractmethod
    def event(self, n: int) -> SseEvent: ...

    @abstractmethod
    def tokens(self, n: int) -> int:
        """The output tokens event ``n`` carries (cheap: the event is not made)."""


class _One(_Run):
    def __init__(self, event: SseEvent, tokens: int) -> None:
        self._event, self._tokens = event, tokens

    def __len__(self) -> int:
        return 1

    def event(self, n: int) -> SseEvent:
        return self._event

    def tokens(self, n: int) -> int:
        return self._tokens


def _delta(index: int, value: dict[str, Any]) -> SseEvent:
    return SseEvent("content_block_delta", {"type": "content_block_delta", "index": index, "delta": value})


class _Words(_Run):
    """A text or thinking block's words, ``per`` tokens a delta; a thinking block's deltas end with an
    empty one (before its signature)."""

    def __init__(self, index: int, written: Written, per: int, thinking: bool) -> None:
        self._index, self._written, self._per, self._thinking = index, written, per, thinking
        self._count = -(-written.count // per) + thinking

    def __len__(self) -> int:
        return self._count

    def event(self, n: int) -> SseEvent:
        chunk = "".join(self._written.tokens[n * self._per:(n + 1) * self._per])
        if self._thinking:
            return _delta(self._index, {"type": "thinking_delta", "thinking": chunk})
        return text_delta(self._index, chunk)

    def tokens(self, n: int) -> int:
        return max(0, min(self._per, self._written.count - n * self._per))


FRAGMENT = 24
"""Characters of a tool call's input JSON per ``input_json_delta``."""


class _Fragments(_Run):
    """A tool call's input as the JSON text written so far, in fragments after an empty one; the call's
    tokens spread over the fragments."""

    def __init__(self, index: int, written: str, tokens: int) -> None:
        self._index, self._written = index, written
        self._count = 1 + -(-len(written) // FRAGMENT)
        self._per = tokens / max(1, self._count - 1)

    def __len__(self) -> int:
        return self._count

    def event(self, n: int) -> SseEvent:
        fragment = self._written[(n - 1) * FRAGMENT:n * FRAGMENT] if n else ""
        return _delta(self._index, {"type": "input_json_delta", "partial_json": fragment})

    def tokens(self, n: int) -> int:
        return round(self._per * n) - round(self._per * (n - 1)) if n else 0


class Stream(Sequence[SseEvent]):
    """A message's SSE events in order, each made when it is read (nothing is kept)."""

    def __init__(self) -> None:
        self._runs: list[_Run] = []
        self._starts: list[int] = []
        self._length = 0
        self.pings: list[int] = []
        """The positions of ``ping`` events: the events a client does not count."""

    def add(self, event: SseEvent, tokens: int = 0) -> None:
        if event.name == "ping":
            self.pings.append(self._length)
        self.extend(_One(event, tokens))

    def extend(self, run: _Run) -> None:
        if len(run):
            self._runs.append(run)
            self._starts.append(self._length)
            self._length += len(run)

    def __len__(self) -> int:
        return self._length

    def _find(self, index: int) -> tuple[_Run, int]:
        if index < 0:
            index += self._length
        if not 0 <= index < self._length:
            raise IndexError(index)
        at = bisect.bisect_right(self._starts, index) - 1
        return self._runs[at], index - self._starts[at]

    @overload
    def __getitem__(self, index: int) -> SseEvent: ...

    @overload
    def __getitem__(self, index: slice) -> Sequence[SseEvent]: ...

    def __getitem__(self, index: int | slice) -> SseEvent | Sequence[SseEvent]:
        if isinstance(index, slice):
            return tuple(self[n] for n in range(*index.indices(self._length)))
        run, n = self._find(index)
        return run.event(n)

    def __iter__(self) -> Iterator[SseEvent]:
        for run in self._runs:
            for n in range(len(run)):
                yield run.event(n)

    def tokens(self, index: int) -> int:
        """The output tokens event ``index`` carries (0 for framing events); latency models pace on it."""
        run, n = self._find(index)
        return run.tokens(n)


@dataclass(frozen=True)
class RenderedMessage:
    """One assistant message, both as the JSON body and as the SSE events of a stream."""

    message: Mapping[str, Any]
    events: Stream
    output_tokens: int

    @property
    def token_gaps(self) -> list[int]:
        """Per event, the output tokens it carries (0 for framing events)."""
        return [self.events.tokens(index) for index in range(len(self.events))]


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
    # Each block, with what of it the model wrote when it writes it (None: a whole call, or the API's own).
    blocks: list[tuple[Block, Written | None]] = []
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
            blocks.append((block, None))
            continue
        if isinstance(block, (ToolUseBlock, ServerToolUseBlock, McpToolUseBlock)):
            cost = _tool_tokens(block)
            if block.id is None:
                block = replace(block, id=_new_id(block, ids, id_tag))
            last_call = str(block.id)
            if cost > budget:
                # The model ran out of tokens while writing the call: the block is there with the
                # start of its input (its "tokens": the JSON text written), and nothing follows.
                blocks.append((block, Written(_input_cut(block, budget), budget)))
                budget = 0
                stop_reason = "max_tokens"
                break
            budget -= cost
            blocks.append((block, None))
            continue
        words, cut = Written.of(_words(block), budget)
        if cut:
            stop_reason = "max_tokens"
        budget -= words.count
        if isinstance(block, ThinkingBlock) and block.signature is None:
            block = ThinkingBlock(block.thinking, ids.signature())
        blocks.append((block, words))
        if stop_reason == "max_tokens":
            break
    output_tokens = max_tokens - budget
    # Stop details belong to the stop they explain: a reply max_tokens cut never reached it.
    details = reply.stop.details if reply.stop is not None and stop_reason == reply.stop.reason else None

    usage_tail = {"cache_creation_input_tokens": 0, "cache_read_input_tokens": 0}
    content = [_block_json(block, written) for block, written in blocks]
    message = _message(content, model, message_id, stop_reason, details, input_token_count, output_tokens,
                       usage_tail)
    stream = Stream()
    if not events:
        return RenderedMessage(message, stream, output_tokens)
    stream.add(
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
    for index, (block, written) in enumerate(blocks):
        def start(content_block: dict[str, Any], index: int = index) -> None:
            stream.add(SseEvent("content_block_start", {"type": "content_block_start", "index": index,
                                                        "content_block": content_block}))
            if index == 0:
                stream.add(PING)

        if isinstance(block, TextBlock):
            start({"type": "text", "text": ""})
            assert written is not None
            stream.extend(_Words(index, written, delta_tokens, thinking=False))
        elif isinstance(block, ThinkingBlock):
            start({"type": "thinking", "thinking": "", "signature": ""})
            assert written is not None
            stream.extend(_Words(index, written, delta_tokens, thinking=True))
            stream.add(_delta(index, {"type": "signature_delta", "signature": block.signature}))
        elif isinstance(block, (ToolUseBlock, ServerToolUseBlock, McpToolUseBlock)):
            # A call streams as its block with an empty input, then the input's JSON in fragments.
            start({**content[index], "input": {}})  # the message's own, not built again (a long input's parse)
            text = written.text if written is not None else _tool_json(block)
            stream.extend(_Fragments(index, text, estimate_tokens(block.name + text)))
        elif isinstance(block, CompactionBlock):
            # The summary comes whole in one compaction_delta (the SDK sets the block's content from it).
            start({"type": "compaction", "content": None})
            assert written is not None
            stream.add(_delta(index, {"type": "compaction_delta", "content": written.text}), written.count)
        else:
            # A tool's result comes whole in its content_block_start.
            start(dict(content[index]))
        stream.add(block_stop(index))
    stop: dict[str, Any] = {"stop_reason": stop_reason, "stop_sequence": None}
    if details is not None:
        stop["stop_details"] = details
    stream.add(
        SseEvent(
            "message_delta",
            {
                "type": "message_delta",
                "delta": stop,
                "usage": {"input_tokens": input_token_count, **usage_tail, "output_tokens": output_tokens},
            },
        )
    )
    stream.add(MESSAGE_STOP)
    return RenderedMessage(message, stream, output_tokens)


_MEMBERS = json.JSONDecoder()


def _input_cut(block: ToolUseBlock | ServerToolUseBlock | McpToolUseBlock, budget: int) -> str:
    """The start of the call's input JSON that ``budget`` tokens write: its first members, as many as
    fit, and no closing brace. Cut between members, the SDK's partial parse of the streamed text
    and the JSON body's ``input`` (those members) agree."""
    # The input's JSON is canonical (compact, keys sorted), so its first members are the start of its text:
    # the text is read member by member up to the first that does not fit, and not past it.
    text = _tool_json(block)
    written = 1  # the opening brace
    position = 1
    while position < len(text) - 1:
        _, after_key = _MEMBERS.raw_decode(text, position + (text[position] == ","))
        _, after_value = _MEMBERS.raw_decode(text, after_key + 1)  # past the colon
        if _tokens_in(len(block.name) + after_value) > budget:
            break
        written = position = after_value
    return text[:written]


def _input(block: ToolUseBlock | ServerToolUseBlock | McpToolUseBlock, written: Written | None) -> Any:
    """The call's input as the message holds it: whole, or the members max_tokens let it write."""
    return block.input if written is None else json.loads(written.text + "}")


def _words(block: TextBlock | ThinkingBlock | CompactionBlock) -> str:
    """The text of a block the model writes word by word."""
    if isinstance(block, TextBlock):
        return block.text
    return block.thinking if isinstance(block, ThinkingBlock) else block.content


def _new_id(block: ToolUseBlock | ServerToolUseBlock | McpToolUseBlock, ids: Ids, id_tag: str) -> str:
    if isinstance(block, ServerToolUseBlock):
        return ids.server_tool_use(id_tag)
    return ids.mcp_tool_use(id_tag) if isinstance(block, McpToolUseBlock) else ids.tool_use(id_tag)


def _block_json(block: Block, written: Written | None) -> dict[str, Any]:
    """A block as the message's ``content`` holds it; ``written``: what of it the model wrote."""
    text = written.text if written is not None else ""
    if isinstance(block, TextBlock):
        return {"type": "text", "text": text}
    if isinstance(block, ThinkingBlock):
        return {"type": "thinking", "thinking": text, "signature": block.signature}
    if isinstance(block, ToolUseBlock):
        return {"type": "tool_use", "id": block.id, "name": block.name, "input": _input(block, written)}
    if isinstance(block, ServerToolUseBlock):
        return {"type": "server_tool_use", "id": block.id, "name": block.name, "input": _input(block, written)}
    if isinstance(block, McpToolUseBlock):
        return {"type": "mcp_tool_use", "id": block.id, "name": block.name, "server_name": block.server_name,
                "input": _input(block, written)}
    if isinstance(block, ServerToolResultBlock):
        return {"type": block.type, "tool_use_id": block.tool_use_id, "content": block.content}
    if isinstance(block, McpToolResultBlock):
        return {"type": "mcp_tool_result", "tool_use_id": block.tool_use_id, "is_error": block.is_error,
                "content": [{"type": "text", "text": block.content}]}
    return {"type": "compaction", "content": text}


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
