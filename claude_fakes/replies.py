"""Model content for script steps: text, thinking and tool calls, combined with ``+``.

``replies.thinking("...") + replies.tool_use("get_weather", {"city": "Paris"})`` is one message;
a reply is also a step (``ok`` with that content). Besides these: the API's own tools'
blocks (``web_search``, ``web_fetch``, ``code_execution``, ``server_tool_error``), MCP connector
calls (``mcp_tool_use``), ``compaction``, and the stops that are not the blocks' own
(``pause_turn``, ``refusal``, ``context_window_exceeded``): ``replies.text("Hello..") +
replies.refusal("cyber")``. Defined in :mod:`claude_fakes.core.replies`.
"""

from __future__ import annotations

from .core.replies import (
    DEFAULT_TEXT,
    REFUSAL_CATEGORIES,
    SERVER_TOOL_ERROR_CODES,
    Block,
    CompactionBlock,
    McpToolResultBlock,
    McpToolUseBlock,
    Repeated,
    Reply,
    ServerToolResultBlock,
    ServerToolUseBlock,
    Stop,
    TextBlock,
    ThinkingBlock,
    ToolUseBlock,
    code_execution,
    compaction,
    context_window_exceeded,
    default,
    mcp_tool_use,
    pause_turn,
    refusal,
    server_tool_error,
    text,
    thinking,
    tool_use,
    web_fetch,
    web_search,
)

__all__ = ["DEFAULT_TEXT", "REFUSAL_CATEGORIES", "SERVER_TOOL_ERROR_CODES", "Block", "CompactionBlock",
           "McpToolResultBlock", "McpToolUseBlock", "Repeated", "Reply", "ServerToolResultBlock", "ServerToolUseBlock",
           "Stop", "TextBlock", "ThinkingBlock", "ToolUseBlock", "code_execution", "compaction",
           "context_window_exceeded", "default", "mcp_tool_use", "pause_turn", "refusal", "server_tool_error", "text",
           "thinking", "tool_use", "web_fetch", "web_search"]
