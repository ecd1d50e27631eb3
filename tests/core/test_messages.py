"""core/messages.py: a reply rendered as the JSON message and as its SSE events, and token counts."""

from __future__ import annotations

import json
from typing import Any

import pytest

from claude_fakes import replies
from claude_fakes.core.messages import estimate_tokens, input_tokens, render_message, split_tokens
from claude_fakes.wire.anthropic import Ids


def render(reply: replies.Reply, max_tokens: int = 1000) -> tuple[dict[str, Any], list[tuple[str, dict[str, Any]]]]:
    rendered = render_message(reply, model="m", max_tokens=max_tokens, input_token_count=3, ids=Ids(0))
    return dict(rendered.message), [(event.name, dict(event.data)) for event in rendered.events]


def test_tokens_round_trip() -> None:
    assert split_tokens("Hello, big world ") == ["Hello,", " big", " world", " "]
    assert "".join(split_tokens("  a  b")) == "  a  b"


def test_text_stream_follows_the_documented_order() -> None:
    message, events = render(replies.text("Hi there"))
    assert [name for name, _ in events] == [
        "message_start", "content_block_start", "ping", "content_block_delta", "content_block_delta",
        "content_block_stop", "message_delta", "message_stop",
    ]
    assert [data["delta"]["text"] for name, data in events if name == "content_block_delta"] == ["Hi", " there"]
    assert events[0][1]["message"]["content"] == [] and events[0][1]["message"]["stop_reason"] is None
    assert events[-2][1]["usage"]["output_tokens"] == 2 == message["usage"]["output_tokens"]
    assert message["content"] == [{"type": "text", "text": "Hi there"}]
    assert message["stop_reason"] == "end_turn"
    assert all(data["type"] == name for name, data in events)


def test_tool_use_streams_input_json_deltas() -> None:
    message, events = render(replies.tool_use("get_weather", {"city": "Paris", "unit": "celsius"}))
    deltas = [data["delta"] for name, data in events if name == "content_block_delta"]
    assert deltas[0] == {"type": "input_json_delta", "partial_json": ""}
    assert json.loads("".join(d["partial_json"] for d in deltas)) == {"city": "Paris", "unit": "celsius"}
    assert events[1][1]["content_block"]["input"] == {}
    assert message["content"][0]["id"].startswith("toolu_01")
    assert message["stop_reason"] == "tool_use"


def test_thinking_ends_with_an_empty_delta_and_a_signature() -> None:
    message, events = render(replies.thinking("Let me think") + replies.text("Yes"))
    deltas = [data["delta"] for name, data in events if name == "content_block_delta" and data["index"] == 0]
    assert [d["type"] for d in deltas][-2:] == ["thinking_delta", "signature_delta"]
    assert deltas[-2]["thinking"] == ""
    assert deltas[-1]["signature"] == message["content"][0]["signature"]
    assert [block["type"] for block in message["content"]] == ["thinking", "text"]


def test_max_tokens_cuts_content_and_sets_the_stop_reason() -> None:
    message, _ = render(replies.text("a b c d e") + replies.tool_use("t", {}), max_tokens=3)
    assert message["content"] == [{"type": "text", "text": "a b c"}]
    assert message["stop_reason"] == "max_tokens"


@pytest.mark.parametrize(("text", "tokens"), [("", 1), ("abcd", 1), ("abcde", 2), ("x" * 40, 10)],
                         ids=["empty-is-one", "four-chars", "five-chars", "forty-chars"])
def test_estimate_is_four_characters_a_token_and_at_least_one(text: str, tokens: int) -> None:
    assert estimate_tokens(text) == tokens


def test_input_tokens_count_system_messages_and_tools_but_not_other_fields() -> None:
    request = {"system": "abcd", "messages": [{"role": "user", "content": "efgh"}],
               "tools": [{"name": "ijkl"}], "model": "x" * 400}
    # "abcd" + "user" + "efgh" + "ijkl": the model name is not input.
    assert input_tokens(request) == 4


def test_a_tool_call_whose_input_is_not_built_yet_cannot_be_rendered() -> None:
    with pytest.raises(ValueError, match="'lookup'"):
        render(replies.Reply((replies.ToolUseBlock("lookup", None),)))


def test_the_json_message_and_the_stream_carry_the_same_usage() -> None:
    rendered = render_message(replies.text("one two three"), model="m", max_tokens=100, input_token_count=7,
                              ids=Ids(0))
    assert rendered.output_tokens == 3 == rendered.message["usage"]["output_tokens"]
    assert rendered.message["usage"]["input_tokens"] == 7
    assert sum(rendered.token_gaps) == 3 and len(rendered.token_gaps) == len(rendered.events)
    assert json.loads(json.dumps(rendered.message)) == rendered.message
