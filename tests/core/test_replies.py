"""core/replies.py: model content, block by block, and the checks on tool names and inputs."""

from __future__ import annotations

import typing
from typing import Any

import pytest

from claude_fakes.core.replies import (
    DEFAULT_TEXT,
    REFUSAL_CATEGORIES,
    SERVER_TOOL_ERROR_CODES,
    McpToolResultBlock,
    McpToolUseBlock,
    Repeated,
    Reply,
    ServerToolResultBlock,
    ServerToolUseBlock,
    TextBlock,
    ThinkingBlock,
    ToolUseBlock,
    check_tool_name,
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
    tool_input_json,
    tool_use,
    web_fetch,
    web_search,
)


def test_replies_add_up_in_order() -> None:
    reply = thinking("hm") + text("a") + tool_use("t", {"x": 1})
    assert reply.blocks == (ThinkingBlock("hm"), TextBlock("a"), ToolUseBlock("t", '{"x":1}'))


def test_a_tool_call_makes_the_stop_reason_tool_use() -> None:
    assert text("a").stop_reason == "end_turn"
    assert (text("a") + tool_use("t")).stop_reason == "tool_use"


def test_tool_input_is_canonical_json_and_reads_back() -> None:
    block = tool_use("t", {"b": 2, "a": [1]}).blocks[0]
    assert isinstance(block, ToolUseBlock)
    assert block.input_json == '{"a":[1],"b":2}' and block.input == {"a": [1], "b": 2}
    assert ToolUseBlock("t", None).input is None


def test_a_reply_times_a_count_is_a_repeated_reply() -> None:
    assert text("a") * 3 == Repeated(text("a"), 3)


def test_str_shows_each_block() -> None:
    reply = thinking("hm") + text("a") + tool_use("t")
    assert str(reply) == "thinking('hm') + text('a') + tool_use('t', <from its input_schema>)"


def test_default_is_the_default_text() -> None:
    assert default() == Reply((TextBlock(DEFAULT_TEXT),))


def test_text_takes_only_a_string() -> None:
    with pytest.raises(TypeError, match="takes a str"):
        text(3)  # type: ignore[arg-type]


@pytest.mark.parametrize("name", ["", "a b", "x" * 129, 5, "naïve"],
                         ids=["empty", "space", "too-long", "not-a-string", "non-ascii"])
def test_a_tool_name_the_api_would_refuse_is_refused(name: Any) -> None:
    with pytest.raises(ValueError, match="takes a tool name"):
        check_tool_name(name, "here")


@pytest.mark.parametrize(("value", "fragment"), [("{oops", "is not JSON"), ("[1]", "must be a JSON object"),
                                                 ({"f": {1, 2}}, "must be a JSON object: ")],
                         ids=["bad-json", "not-an-object", "unserialisable"])
def test_a_tool_input_that_is_no_json_object_is_refused(value: Any, fragment: str) -> None:
    with pytest.raises(ValueError, match=fragment):
        tool_input_json(value, "input")


def test_a_tool_input_may_be_given_as_json_text() -> None:
    assert tool_input_json('{"b": 1, "a": 2}', "input") == '{"a":2,"b":1}'


def test_a_stop_rides_on_the_reply_and_a_reply_stops_once() -> None:
    reply = text("Hello..") + refusal("cyber")
    assert reply.stop_reason == "refusal" and reply.blocks == (TextBlock("Hello.."),)
    assert reply.stop is not None and reply.stop.details == {"type": "refusal", "category": "cyber",
                                                             "explanation": None}
    with pytest.raises(ValueError, match="a reply stops once"):
        refusal() + context_window_exceeded()


def test_a_stop_decides_over_the_blocks() -> None:
    assert (tool_use("t") + context_window_exceeded()).stop_reason == "model_context_window_exceeded"
    assert pause_turn().stop_reason == "pause_turn"
    assert compaction().stop_reason == "compaction" and compaction(pause=False).stop_reason == "end_turn"


def test_a_refusal_takes_only_the_apis_categories() -> None:
    with pytest.raises(ValueError, match="takes a category"):
        refusal("spam")


def test_refusal_categories_are_the_sdks() -> None:
    from anthropic.types.refusal_stop_details import RefusalStopDetails

    field = RefusalStopDetails.model_fields["category"].annotation
    assert set(REFUSAL_CATEGORIES) == set(typing.get_args(typing.get_args(field)[0]))


def test_server_tool_error_codes_are_the_sdks() -> None:
    from anthropic.types import (
        code_execution_tool_result_error_code,
        web_fetch_tool_result_error_code,
        web_search_tool_result_error_code,
    )

    literals = {"web_search": web_search_tool_result_error_code.WebSearchToolResultErrorCode,
                "web_fetch": web_fetch_tool_result_error_code.WebFetchToolResultErrorCode,
                "code_execution": code_execution_tool_result_error_code.CodeExecutionToolResultErrorCode}
    sdk = {tool: set(typing.get_args(literal)) for tool, literal in literals.items()}
    if "content_too_large" not in sdk["web_fetch"]:
        # anthropic 0.125 predates web_fetch's newest code; it is the only difference.
        sdk["web_fetch"].add("content_too_large")
    assert {tool: set(codes) for tool, codes in SERVER_TOOL_ERROR_CODES.items()} == sdk


def test_a_server_tool_error_is_its_call_and_an_error_result() -> None:
    call, result = server_tool_error("web_search", "max_uses_exceeded").blocks
    assert call == ServerToolUseBlock("web_search", '{"query":"claude_fakes"}')
    assert result == ServerToolResultBlock("web_search", '{"error_code":"max_uses_exceeded",'
                                                         '"type":"web_search_tool_result_error"}')
    assert result.type == "web_search_tool_result" and result.tool_use_id is None
    with pytest.raises(ValueError, match="web_search has no error code 'url_too_long'"):
        server_tool_error("web_search", "url_too_long")
    with pytest.raises(ValueError, match="takes a server tool"):
        server_tool_error("bash", "unavailable")


def test_server_tool_results_hold_what_the_tool_returned() -> None:
    assert web_search("q", [{"url": "u", "title": "t"}]).blocks[1].content == [  # type: ignore[union-attr]
        {"type": "web_search_result", "url": "u", "title": "t", "encrypted_content": "dQ==", "page_age": None}]
    fetched = web_fetch("https://a.example/", "page").blocks[1].content  # type: ignore[union-attr]
    assert fetched["type"] == "web_fetch_result" and fetched["content"]["source"]["data"] == "page"
    ran = code_execution("print(2)", stdout="2\n").blocks[1].content  # type: ignore[union-attr]
    assert ran == {"type": "code_execution_result", "stdout": "2\n", "stderr": "", "return_code": 0, "content": []}


def test_an_mcp_call_comes_with_its_result() -> None:
    call, result = mcp_tool_use("lookup", {"q": "x"}, server_name="wiki", result="found").blocks
    assert call == McpToolUseBlock("lookup", "wiki", '{"q":"x"}') and call.input == {"q": "x"}
    assert result == McpToolResultBlock("found")


def test_str_shows_new_blocks_and_the_stop() -> None:
    assert str(text("a") + refusal()) == ("text('a') + stop('refusal', "
                                          '{"category":null,"explanation":null,"type":"refusal"})')
    assert str(context_window_exceeded()) == "stop('model_context_window_exceeded')"


def test_a_tool_input_nested_too_deep_is_a_clear_error() -> None:
    with pytest.raises(ValueError, match="nested too deep"):
        tool_input_json('{"a": ' * 2_000 + "1" + "}" * 2_000, "tool_use(input=...)")
