"""core/replies.py: model content, block by block, and the checks on tool names and inputs."""

from __future__ import annotations

from typing import Any

import pytest

from claude_fakes.core.replies import (
    DEFAULT_TEXT,
    Repeated,
    Reply,
    TextBlock,
    ThinkingBlock,
    ToolUseBlock,
    check_tool_name,
    default,
    text,
    thinking,
    tool_input_json,
    tool_use,
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
