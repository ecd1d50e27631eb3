"""What the fake model says: text, tool calls and thinking, combined with ``+``.

A :class:`Reply` is content only; :mod:`claude_fakes.core.messages` turns it into a Message JSON body or
an SSE stream. A reply is also a script step (an ``ok`` that answers with this content;
``reply * 3`` covers three attempts)::

    claude_fake.script(replies.thinking("Paris is in France.")
                       + replies.tool_use("get_weather", {"city": "Paris"}))
    claude_fake.script(faults.overloaded(), replies.text("Bonjour"))

Besides text, thinking and tool calls, a reply may hold what the API's own tools put in a turn
(``server_tool_use`` and its result or error block; MCP connector calls and results; a
``compaction`` block) and say how the turn stops (``pause_turn``, ``refusal`` with its
``stop_details``, ``model_context_window_exceeded``, ``compaction``): a :class:`Stop` rides on the
reply, and ``+`` keeps the one of whichever part has it. The facts behind each shape, and which
are the fake's choices, are in docs/facts.md ("Stop reasons and server-tool blocks").
"""

from __future__ import annotations

import base64
import json
import re
from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from typing import Any, Union

__all__ = [
    "DEFAULT_TEXT",
    "REFUSAL_CATEGORIES",
    "SERVER_TOOL_ERROR_CODES",
    "Block",
    "CompactionBlock",
    "McpToolResultBlock",
    "McpToolUseBlock",
    "Repeated",
    "Reply",
    "ServerToolResultBlock",
    "ServerToolUseBlock",
    "Stop",
    "TextBlock",
    "ThinkingBlock",
    "ToolUseBlock",
    "code_execution",
    "compaction",
    "context_window_exceeded",
    "default",
    "mcp_tool_use",
    "pause_turn",
    "refusal",
    "server_tool_error",
    "text",
    "thinking",
    "tool_use",
    "web_fetch",
    "web_search",
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


@dataclass(frozen=True)
class ServerToolUseBlock:
    """A call of one of the API's own tools (``web_search``, ``web_fetch``, ``code_execution``): the
    API runs it inside the turn, so its result follows in the same message, unless the turn pauses."""

    name: str
    input_json: str
    id: str | None = None
    """None: a deterministic ``srvtoolu_01…`` from the fake's seed."""

    @property
    def input(self) -> Any:
        return json.loads(self.input_json)


@dataclass(frozen=True)
class ServerToolResultBlock:
    """What a server tool returned (``web_search_tool_result`` and its kin), or its error object."""

    tool: str
    """The server tool's name; the block's type is ``<tool>_tool_result``."""
    content_json: str
    tool_use_id: str | None = None
    """None: the id of the ``server_tool_use`` before it in the reply."""

    @property
    def type(self) -> str:
        return f"{self.tool}_tool_result"

    @property
    def content(self) -> Any:
        return json.loads(self.content_json)


@dataclass(frozen=True)
class McpToolUseBlock:
    """A call of a tool on a remote MCP server (the beta MCP connector runs it inside the turn)."""

    name: str
    server_name: str
    input_json: str
    id: str | None = None
    """None: a deterministic ``mcptoolu_01…`` from the fake's seed."""

    @property
    def input(self) -> Any:
        return json.loads(self.input_json)


@dataclass(frozen=True)
class McpToolResultBlock:
    content: str
    is_error: bool = False
    tool_use_id: str | None = None
    """None: the id of the ``mcp_tool_use`` before it in the reply."""


@dataclass(frozen=True)
class CompactionBlock:
    """A summary of the conversation so far, which replaces it in later requests (beta)."""

    content: str


Block = Union[  # noqa: UP007 (a runtime alias)
    TextBlock, ToolUseBlock, ThinkingBlock, ServerToolUseBlock, ServerToolResultBlock, McpToolUseBlock,
    McpToolResultBlock, CompactionBlock,
]


@dataclass(frozen=True)
class Stop:
    """How a reply's turn ends when its blocks alone do not say (they say ``tool_use`` or ``end_turn``)."""

    reason: str
    details_json: str | None = None
    """``stop_details`` as canonical JSON (a refusal's), or None: ``null``."""

    @property
    def details(self) -> Any:
        return None if self.details_json is None else json.loads(self.details_json)


@dataclass(frozen=True)
class Reply:
    """The content of one assistant message, block by block, in order, and how its turn stops."""

    blocks: tuple[Block, ...]
    stop: Stop | None = None
    """None: the blocks decide (:attr:`stop_reason`)."""

    def __add__(self, other: Reply) -> Reply:
        if not isinstance(other, Reply):
            return NotImplemented
        if self.stop is not None and other.stop is not None:
            # A turn ends once: two stops in one reply is a mistake to say, not one to pick between.
            raise ValueError(f"a reply stops once: {self.stop.reason} and {other.stop.reason} in one reply")
        return Reply(self.blocks + other.blocks, self.stop or other.stop)

    def __mul__(self, count: int | float | str) -> Repeated:
        return Repeated(self, count)

    @property
    def stop_reason(self) -> str:
        """The :class:`Stop`'s reason if the reply has one; else ``tool_use`` when the model calls a tool,
        as the real API reports it; else ``end_turn``."""
        if self.stop is not None:
            return self.stop.reason
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
            elif isinstance(block, ThinkingBlock):
                parts.append(f"thinking({block.thinking!r})")
            else:
                parts.append(repr(block))
        if self.stop is not None:
            parts.append(f"stop({self.stop.reason!r}" + (f", {self.stop.details_json})" if self.stop.details_json
                                                          else ")"))
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
        except RecursionError:
            raise ValueError(f"{where} is JSON nested too deep to read") from None
    if not isinstance(value, Mapping):
        raise ValueError(f"{where} must be a JSON object, got {value!r}")
    try:
        return json.dumps(dict(value), sort_keys=True, separators=(",", ":"))
    except (TypeError, ValueError) as err:
        raise ValueError(f"{where} must be a JSON object: {err}") from None
    except RecursionError:
        raise ValueError(f"{where} is nested too deep to write as JSON") from None


def thinking(content: str, *, signature: str | None = None) -> Reply:
    """An extended-thinking block, streamed as thinking_delta events then one signature_delta."""
    return Reply((ThinkingBlock(content, signature),))


def default() -> Reply:
    """What ``ok`` answers when the script gives no content."""
    return text(DEFAULT_TEXT)


REFUSAL_CATEGORIES = ("cyber", "bio", "frontier_llm", "reasoning_extraction", "general_harms")
"""``stop_details.category`` of a refusal, as the SDK's ``RefusalStopDetails`` lists them."""

SERVER_TOOL_ERROR_CODES: dict[str, tuple[str, ...]] = {
    "web_search": ("invalid_tool_input", "unavailable", "max_uses_exceeded", "too_many_requests", "query_too_long",
                   "request_too_large"),
    "web_fetch": ("invalid_tool_input", "url_too_long", "url_not_allowed", "url_not_in_prior_context",
                  "url_not_accessible", "unsupported_content_type", "too_many_requests", "max_uses_exceeded",
                  "unavailable", "content_too_large"),
    "code_execution": ("invalid_tool_input", "unavailable", "too_many_requests", "execution_time_exceeded"),
}
"""Per server tool the fake models, the ``error_code`` values its result's error object may carry (the
SDK's ``*_tool_result_error_code`` literals; tests/core/test_replies.py checks them against the SDK)."""

_SERVER_TOOL_INPUTS = {"web_search": {"query": "claude_fakes"}, "web_fetch": {"url": "https://example.com/"},
                       "code_execution": {"code": "print('hello')"}}
"""What a server tool is called with when the reply does not say (the input the API would have the model write)."""


def _server_tool(tool: str, where: str) -> None:
    if tool not in SERVER_TOOL_ERROR_CODES:
        raise ValueError(f"{where} takes a server tool ({', '.join(SERVER_TOOL_ERROR_CODES)}), got {tool!r}")


def _server_call(tool: str, input: Mapping[str, Any] | None, where: str) -> ServerToolUseBlock:  # noqa: A002
    _server_tool(tool, where)
    return ServerToolUseBlock(tool, tool_input_json(_SERVER_TOOL_INPUTS[tool] if input is None else input, where))


def _canonical(value: Any) -> str:
    return json.dumps(value, sort_keys=True, separators=(",", ":"))


def pause_turn(tool: str = "web_search", input: Mapping[str, Any] | None = None) -> Reply:  # noqa: A002
    """A long turn the API pauses: a ``server_tool_use`` of ``tool`` left without its result, stop
    reason ``pause_turn``. The client sends the content back as-is and the model carries on."""
    return Reply((_server_call(tool, input, "replies.pause_turn()"),), Stop("pause_turn"))


def refusal(category: str | None = None, explanation: str | None = None) -> Reply:
    """Stop reason ``refusal``, with ``stop_details`` ``{"type": "refusal", "category", "explanation"}``
    (either may be null, as the API documents); the text before it, if any, stays in the message."""
    if category is not None and category not in REFUSAL_CATEGORIES:
        raise ValueError(f"replies.refusal() takes a category ({', '.join(REFUSAL_CATEGORIES)}), got {category!r}")
    details = {"type": "refusal", "category": category, "explanation": explanation}
    return Reply((), Stop("refusal", _canonical(details)))


def context_window_exceeded() -> Reply:
    """Stop reason ``model_context_window_exceeded``: the reply filled the model's context window
    (the text before it, if any, is what fitted)."""
    return Reply((), Stop("model_context_window_exceeded"))


def compaction(summary: str = "Summary of the conversation so far.", *, pause: bool = True) -> Reply:
    """A ``compaction`` block (beta) holding ``summary``; ``pause``: the turn stops there with stop
    reason ``compaction`` (the request's ``pause_after_compaction``), else the reply goes on after it."""
    return Reply((CompactionBlock(summary),), Stop("compaction") if pause else None)


def web_search(query: str = "claude_fakes", results: Sequence[Mapping[str, str]] | None = None) -> Reply:
    """A ``server_tool_use`` of ``web_search`` and its ``web_search_tool_result``; ``results``: each a
    ``{"url", "title"}`` (left out: one example result)."""
    found = results if results is not None else [{"url": "https://example.com/", "title": "Example Domain"}]
    content = [{"type": "web_search_result", "url": str(hit["url"]), "title": str(hit["title"]),
                "encrypted_content": base64.b64encode(str(hit["url"]).encode()).decode(), "page_age": None}
               for hit in found]
    return Reply((_server_call("web_search", {"query": query}, "replies.web_search()"),
                  ServerToolResultBlock("web_search", _canonical(content))))


def web_fetch(url: str = "https://example.com/", text: str = "Example Domain") -> Reply:
    """A ``server_tool_use`` of ``web_fetch`` and its ``web_fetch_tool_result``: the page as a plain-text
    document."""
    document = {"type": "document", "title": None, "citations": None,
                "source": {"type": "text", "media_type": "text/plain", "data": text}}
    content = {"type": "web_fetch_result", "url": url, "retrieved_at": None, "content": document}
    return Reply((_server_call("web_fetch", {"url": url}, "replies.web_fetch()"),
                  ServerToolResultBlock("web_fetch", _canonical(content))))


def code_execution(code: str = "print('hello')", stdout: str = "hello\n", stderr: str = "",
                   return_code: int = 0) -> Reply:
    """A ``server_tool_use`` of ``code_execution`` and its ``code_execution_tool_result``."""
    content = {"type": "code_execution_result", "stdout": stdout, "stderr": stderr, "return_code": return_code,
               "content": []}
    return Reply((_server_call("code_execution", {"code": code}, "replies.code_execution()"),
                  ServerToolResultBlock("code_execution", _canonical(content))))


def server_tool_error(tool: str, code: str, input: Mapping[str, Any] | None = None) -> Reply:  # noqa: A002
    """A ``server_tool_use`` of ``tool`` whose result is its error object (``<tool>_tool_result_error``
    with ``error_code`` ``code``): how the API reports a server tool's failure, inside a 200."""
    _server_tool(tool, "replies.server_tool_error()")
    codes = SERVER_TOOL_ERROR_CODES[tool]
    if code not in codes:
        raise ValueError(f"replies.server_tool_error(): {tool} has no error code {code!r}; its codes are "
                         f"{', '.join(codes)}")
    error = {"type": f"{tool}_tool_result_error", "error_code": code}
    return Reply((_server_call(tool, input, "replies.server_tool_error()"),
                  ServerToolResultBlock(tool, _canonical(error))))


def mcp_tool_use(name: str, input: Mapping[str, Any] | None = None, *, server_name: str = "mcp",  # noqa: A002
                 result: str = "", is_error: bool = False) -> Reply:
    """An MCP connector call (beta): ``mcp_tool_use`` of ``name`` on ``server_name``, then its
    ``mcp_tool_result`` holding ``result`` as one text block (``is_error``: the tool failed)."""
    check_tool_name(name, "replies.mcp_tool_use()")
    call = McpToolUseBlock(name, server_name, tool_input_json({} if input is None else input,
                                                              "replies.mcp_tool_use() input"))
    return Reply((call, McpToolResultBlock(result, is_error)))
