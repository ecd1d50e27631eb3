"""Model content for script steps: text, thinking and tool calls, combined with ``+``.

``replies.thinking("...") + replies.tool_use("get_weather", {"city": "Paris"})`` is one message;
a reply is also a step (``ok`` with that content). Defined in :mod:`claude_fakes.core.replies`.
"""

from __future__ import annotations

from .core.replies import (
    DEFAULT_TEXT,
    Block,
    Repeated,
    Reply,
    TextBlock,
    ThinkingBlock,
    ToolUseBlock,
    default,
    text,
    thinking,
    tool_use,
)

__all__ = ["DEFAULT_TEXT", "Block", "Repeated", "Reply", "TextBlock", "ThinkingBlock", "ToolUseBlock", "default",
           "text", "thinking", "tool_use"]
