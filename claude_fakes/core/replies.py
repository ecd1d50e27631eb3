"""What the fake model says: text, tool calls and thinking, combined with ``+``.

A :class:`Reply` is content only; :mod:`claude_fakes.core.messages` turns it into a Message JSON body or
an SSE stream. A reply is also a script step (an ``ok`` that answers with this content;
``reply * 3`` covers three attempts)::

    claude_fake.script(replies.thinking("Paris is in France.")
                       + replies.tool_use("get_weather", {"city": "Paris"}))
    claude_fake.script(faults.overloaded(), replies.text("Bonjour"))
"""

from __future__ import annotations

import json
import re
from collections.abc import Mapping
from dataclasses import dataclass
from typing import Any, Union

__all__ = [
    "DEFAULT_TEXT",
    "Block",
    "Repeated",
    "Reply",
    "TextBlock",
    "ThinkingBlock",
    "ToolUseBlock",
    "default",
    "text",
    "thinking",
    "tool_use",
]

DEFAULT_TEXT = "Hello! This is a reply from claude_fakes."


@dataclass(frozen=True)
class TextBlock:
    text: str


@dataclass(frozen=True)
class ToolUseBlock:
    name: str
    input_json: str | None
    """The tool input as canonical JSON, so that a reply stays immutable and hashable; None: built
    from the tool's ``input_schema`` in the request it answers (:mod:`claude_fakes.core.tools`)."""
    id: str | None = None

    @property
    def input(self) -> Any:
        return None if self.input_json is None else json.loads(self.input_json)


@dataclass(frozen=True)
class ThinkingBlock:
    thinking: str
    signature: str | None = None


Block = Union[TextBlock, ToolUseBlock, ThinkingBlock]  # noqa: UP007 (a runtime alias)


@dataclass(frozen=True)
class Reply:
    """The content of one assistant message, block by block, in order."""

    blocks: tuple[Block, ...]

    def __add__(self, other: Reply) -> Reply:
        if not isinstance(other, Reply):
            return NotImplemented
        return Reply(self.blocks + other.blocks)

    def __mul__(self, count: int | float | str) -> Repeated:
        return Repeated(self, count)

    @property
    def stop_reason(self) -> str:
        """``tool_use`` when the model calls a tool, as the real API reports it; else ``end_turn``."""
        if any(isinstance(block, ToolUseBlock) for block in self.blocks):
            return "tool_use"
        return "end_turn"

    def __str__(self) -> str:
        parts = []
        for block in self.blocks:
            if isinstance(block, TextBlock):
                parts.append(f"text({block.text!r})")
            elif isinstance(block, ToolUseBlock):
                shown = "<from its input_schema>" if block.input_json is None else block.input_json
                parts.append(f"tool_use({block.name!r}, {shown})")
            else:
                parts.append(f"thinking({block.thinking!r})")
        return " + ".join(parts)


@dataclass(frozen=True)
class Repeated:
    """A reply for several attempts: ``reply * 3``, a script step like the reply itself (an ``ok``)."""

    reply: Reply
    count: int | float | str


def text(content: str) -> Reply:
    """A text block."""
    if not isinstance(content, str):
        raise TypeError(f"replies.text() takes a str, got {type(content).__name__}")
    return Reply((TextBlock(content),))


def tool_use(name: str, input: Mapping[str, Any] | None = None, *, id: str | None = None) -> Reply:  # noqa: A002
    """A ``tool_use`` block: the model calls ``name`` with ``input``; stop_reason becomes ``tool_use``.

    ``input`` left out: one valid against the tool's ``input_schema`` in the request, built when
    the reply is sent. ``id`` defaults to a deterministic ``toolu_01…`` derived from the fake's seed.
    """
    check_tool_name(name, "replies.tool_use()")
    if input is None:
        return Reply((ToolUseBlock(name, None, id),))
    return Reply((ToolUseBlock(name, tool_input_json(input, "replies.tool_use() input"), id),))


_TOOL_NAME = re.compile(r"[A-Za-z0-9_-]{1,128}")
"""What the API accepts as a tool's name."""


def check_tool_name(name: object, where: str) -> None:
    """Raise ValueError unless ``name`` is a name the API accepts for a tool."""
    if not isinstance(name, str) or not _TOOL_NAME.fullmatch(name):
        raise ValueError(f"{where} takes a tool name (1 to 128 letters, digits, _ and -), got {name!r}")


def tool_input_json(value: Any, where: str) -> str:
    """A tool input (a JSON object, or its text) as canonical JSON; ValueError says what is wrong."""
    if isinstance(value, str):
        try:
            value = json.loads(value)
        except ValueError as err:
            raise ValueError(f"{where} is not JSON: {err}") from None
    if not isinstance(value, Mapping):
        raise ValueError(f"{where} must be a JSON object, got {value!r}")
    try:
        return json.dumps(dict(value), sort_keys=True, separators=(",", ":"))
    except (TypeError, ValueError) as err:
        raise ValueError(f"{where} must be a JSON object: {err}") from None


def thinking(content: str, *, signature: str | None = None) -> Reply:
    """An extended-thinking block, streamed as thinking_delta events then one signature_delta."""
    return Reply((ThinkingBlock(content, signature),))


def default() -> Reply:
    """What ``ok`` answers when the script gives no content."""
    return text(DEFAULT_TEXT)
