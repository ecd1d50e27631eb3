"""core/messages.py: a reply rendered as the JSON message and as its SSE events, and token counts."""

from __future__ import annotations

import json
import random
from typing import Any

import pytest

from claude_fakes import replies
from claude_fakes.core.messages import Written, estimate_tokens, input_tokens, render_message, split_tokens
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


def test_a_refusal_has_stop_details_in_the_message_and_the_message_delta() -> None:
    message, events = render(replies.text("Hello..") + replies.refusal("bio", "Declined."))
    details = {"type": "refusal", "category": "bio", "explanation": "Declined."}
    assert message["stop_reason"] == "refusal" and message["stop_details"] == details
    assert events[-2][1]["delta"] == {"stop_reason": "refusal", "stop_sequence": None, "stop_details": details}


def test_a_reply_without_stop_details_sends_none() -> None:
    message, events = render(replies.text("Hi") + replies.context_window_exceeded())
    assert message["stop_reason"] == "model_context_window_exceeded" and "stop_details" not in message
    assert "stop_details" not in events[-2][1]["delta"]


def test_max_tokens_before_the_stop_drops_its_details() -> None:
    message, _ = render(replies.text("one two three") + replies.refusal("cyber"), max_tokens=2)
    assert message["stop_reason"] == "max_tokens" and "stop_details" not in message


def test_a_server_tool_call_streams_its_input_and_its_result_comes_whole() -> None:
    message, events = render(replies.web_search("paris"))
    call, result = message["content"]
    assert call["id"].startswith("srvtoolu_01") and result["tool_use_id"] == call["id"]
    starts = [data["content_block"] for name, data in events if name == "content_block_start"]
    assert starts == [{**call, "input": {}}, result]
    fragments = [data["delta"]["partial_json"] for name, data in events
                 if name == "content_block_delta" and data["index"] == 0]
    assert json.loads("".join(fragments)) == {"query": "paris"}
    assert not [data for name, data in events if name == "content_block_delta" and data["index"] == 1]


def test_a_pause_turn_is_a_dangling_server_tool_use() -> None:
    message, _ = render(replies.text("Searching.") + replies.pause_turn("web_fetch"))
    assert message["stop_reason"] == "pause_turn"
    assert [block["type"] for block in message["content"]] == ["text", "server_tool_use"]


def test_a_result_that_names_its_call_keeps_that_id() -> None:
    reply = replies.Reply((replies.ServerToolResultBlock("web_search", "[]", "srvtoolu_given"),))
    message, _ = render(reply)
    assert message["content"][0]["tool_use_id"] == "srvtoolu_given"


def test_mcp_blocks_render_with_their_server_and_a_text_result() -> None:
    message, _ = render(replies.mcp_tool_use("lookup", {"q": 1}, server_name="wiki", result="no",
                                             is_error=True))
    call, result = message["content"]
    assert call["type"] == "mcp_tool_use" and call["server_name"] == "wiki" and call["id"].startswith("mcptoolu_01")
    assert result == {"type": "mcp_tool_result", "tool_use_id": call["id"], "is_error": True,
                      "content": [{"type": "text", "text": "no"}]}


def test_a_compaction_block_streams_one_compaction_delta_and_costs_its_words() -> None:
    message, events = render(replies.compaction("two words"))
    assert message["content"] == [{"type": "compaction", "content": "two words"}]
    assert message["stop_reason"] == "compaction" and message["usage"]["output_tokens"] == 2
    deltas = [data["delta"] for name, data in events if name == "content_block_delta"]
    assert deltas == [{"type": "compaction_delta", "content": "two words"}]


def test_max_tokens_inside_a_call_streams_the_start_of_its_input_and_keeps_those_members() -> None:
    reply = replies.tool_use("t", {"a": "one", "b": "two words here", "c": "three"})
    message, events = render(reply, max_tokens=6)
    assert message["stop_reason"] == "max_tokens" and message["usage"]["output_tokens"] == 6
    assert message["content"] == [{"type": "tool_use", "id": message["content"][0]["id"], "name": "t",
                                   "input": {"a": "one"}}]
    written = "".join(data["delta"]["partial_json"] for name, data in events if name == "content_block_delta")
    assert written == '{"a":"one"'


def test_max_tokens_with_no_room_for_a_member_leaves_an_empty_input() -> None:
    message, events = render(replies.text("a") + replies.tool_use("t", {"a": "one"}), max_tokens=2)
    assert message["content"][1]["input"] == {} and message["stop_reason"] == "max_tokens"
    assert [data["delta"]["partial_json"] for name, data in events
            if name == "content_block_delta" and data["index"] == 1] == ["", "{"]


def test_input_tokens_reads_content_nested_as_deep_as_json_goes() -> None:
    content: object = "deep"
    for _ in range(5_000):
        content = [content]
    # "abcd", "user" and "deep": twelve characters, three of the fake's four-character tokens.
    assert input_tokens({"messages": [{"role": "user", "content": content}], "system": "abcd"}) == 3


def test_what_a_budget_writes_of_a_text_is_its_first_tokens_counted_without_splitting_them() -> None:
    rng = random.Random(5)
    pieces = ["a", "bb", " ", "  ", "\n", "\u00a0", "\x1c", "\u00e9", "\t"]  # whitespace str.split and re agree on
    for _ in range(5_000):
        text = "".join(rng.choice(pieces) for _ in range(rng.randrange(0, 30)))
        tokens = split_tokens(text)
        for budget in range(1, 12):
            written, cut = Written.of(text, budget)
            assert (written.text, written.count, cut) == ("".join(tokens[:budget]), min(len(tokens), budget),
                                                          len(tokens) > budget), (text, budget)
            assert written.tokens == tokens[:budget]
    assert Written.of("w " * 100_000, 3)[0].text == "w w w"


def test_a_long_streams_events_are_made_when_they_are_read() -> None:
    words = " ".join(f"w{n}" for n in range(10_000))
    rendered = render_message(replies.thinking("hm hm hm") + replies.text(words), model="m", max_tokens=20_000,
                              input_token_count=3, ids=Ids(0), delta_tokens=8)
    events = rendered.events
    # message_start; thinking: start, ping, two deltas, signature, stop; text: start, a delta per 8 words, stop;
    # message_delta, message_stop
    assert len(events) == 1 + 6 + 1 + 10_000 // 8 + 1 + 2
    assert events[-1].name == "message_stop" and events[2].name == "ping" and events.pings == [2]
    assert events[-4].data["delta"]["text"] == " " + " ".join(f"w{n}" for n in range(9_992, 10_000))
    assert [event.name for event in events[3:6]] == ["content_block_delta"] * 3
    assert "".join(event.data.get("delta", {}).get("text", "") for event in events) == words
    assert [events.tokens(index) for index in (0, 3, 4, 5, len(events) - 4, len(events) - 1)] == [0, 3, 0, 0, 8, 0]
    with pytest.raises(IndexError):
        events[len(events)]


def test_max_tokens_inside_a_call_of_many_members_keeps_as_many_as_fit() -> None:
    members = {f"k{n:05d}": n for n in range(5_000)}
    message, events = render(replies.tool_use("t", members), max_tokens=1_000)
    kept = message["content"][0]["input"]
    assert list(kept) == list(members)[:len(kept)] and 0 < len(kept) < 5_000
    written = "".join(data["delta"]["partial_json"] for name, data in events if name == "content_block_delta")
    assert estimate_tokens("t" + written) <= 1_000 < estimate_tokens("t" + written + f',"k{len(kept):05d}":{len(kept)}')
    assert json.loads(written + "}") == kept
