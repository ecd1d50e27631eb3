"""Every stop reason and block a reply can hold, through the installed SDK in all four modes.

The JSON body and the SSE stream of one reply must give the same Message: what the SDK's stream
accumulator builds from the events is what it parses from the body. Both SDK generations run this
file; anthropic 0.125.0 knows every block and stop reason here too (its ``Message`` has
``stop_details``; its beta accumulator reads ``compaction_delta``), so nothing is skipped on it;
an error code newer than it (web_fetch's ``content_too_large``) it keeps as a plain string.
"""

from __future__ import annotations

import json
import warnings
from typing import Any, Literal

import anthropic
import pydantic
import pytest

from claude_fakes import ClaudeFake, replies
from claude_fakes.core.replies import SERVER_TOOL_ERROR_CODES

from .sdk import MODES, SDK_MAJOR, Outcome, call

STREAMED = ["sync-stream", "async-stream"]


def everywhere(script: Any, beta: bool = False, **request: Any) -> dict[str, Outcome]:
    """The same call in each mode, each against a fresh fake with the same seed (the same ids)."""
    seen = {}
    for mode in MODES:
        with ClaudeFake(script):
            seen[mode] = call(mode, beta=beta, **request)
    return seen


def dumped(outcome: Outcome) -> dict[str, Any]:
    assert outcome.error is None, repr(outcome.error)
    # warnings=False: anthropic 0.125 does not know web_fetch's newest code (content_too_large); it
    # keeps it as a plain string, which pydantic would warn about on dumping.
    value: dict[str, Any] = outcome.message.model_dump(mode="json", exclude_none=True, warnings=False)
    return value


def assert_one_message(seen: dict[str, Outcome]) -> dict[str, Any]:
    """Every mode saw the same Message; it is returned, as JSON."""
    first = dumped(seen["sync"])
    for mode, outcome in seen.items():
        assert dumped(outcome) == first, mode
    return first


def test_pause_turn_leaves_a_server_tool_use_without_its_result() -> None:
    message = assert_one_message(everywhere('pause_turn(text="Let me look that up.")'))
    assert message["stop_reason"] == "pause_turn"
    text, call_block = message["content"]
    assert text == {"type": "text", "text": "Let me look that up."}
    assert call_block["type"] == "server_tool_use" and call_block["name"] == "web_search"
    assert call_block["id"].startswith("srvtoolu_01") and call_block["input"] == {"query": "claude_fakes"}


def test_a_refusal_carries_stop_details_in_the_message_and_the_stream() -> None:
    seen = everywhere('refusal(category=cyber, explanation="Declined: cyber harm.", text="Hello..")')
    message = assert_one_message(seen)
    assert message["stop_reason"] == "refusal"
    assert message["stop_details"] == {"type": "refusal", "category": "cyber",
                                       "explanation": "Declined: cyber harm."}
    assert message["content"] == [{"type": "text", "text": "Hello.."}]


def test_a_refusal_without_a_category_has_null_details_fields() -> None:
    with ClaudeFake(replies.refusal()):
        outcome = call("sync")
    assert outcome.message.stop_details.type == "refusal"
    assert outcome.message.stop_details.category is None and outcome.message.content == []


def test_model_context_window_exceeded_keeps_what_fitted() -> None:
    message = assert_one_message(everywhere('model_context_window_exceeded(text="As far as")'))
    assert message["stop_reason"] == "model_context_window_exceeded"
    assert message["content"] == [{"type": "text", "text": "As far as"}]


@pytest.mark.parametrize("tool", sorted(SERVER_TOOL_ERROR_CODES))
def test_a_server_tool_error_is_a_result_block_inside_a_200(tool: str) -> None:
    code = SERVER_TOOL_ERROR_CODES[tool][1]
    message = assert_one_message(everywhere(f"server_tool_error(tool={tool}, code={code})"))
    assert message["stop_reason"] == "end_turn"
    call_block, result, text = message["content"]
    assert call_block["type"] == "server_tool_use" and call_block["name"] == tool
    assert result == {"type": f"{tool}_tool_result", "tool_use_id": call_block["id"],
                      "content": {"type": f"{tool}_tool_result_error", "error_code": code}}
    assert text["type"] == "text"


def test_an_error_code_newer_than_the_sdk_still_parses() -> None:
    """anthropic 0.125 predates web_fetch's ``content_too_large``: it keeps the code as a string, and its
    stream accumulator, which re-dumps each block it starts, makes pydantic warn (a UserWarning)."""
    for mode in MODES:
        with ClaudeFake("server_tool_error(tool=web_fetch, code=content_too_large)"), \
                warnings.catch_warnings(record=True) as caught:
            warnings.simplefilter("always")
            outcome = call(mode)
        assert outcome.error is None, repr(outcome.error)
        assert outcome.message.content[1].content.error_code == "content_too_large"
        assert bool(caught) == (SDK_MAJOR == 0 and mode in STREAMED), (mode, [str(w.message)[:80] for w in caught])


@pytest.mark.parametrize("reply", [replies.web_search("fakes", [{"url": "https://a.example/", "title": "A"}]),
                                   replies.web_fetch("https://a.example/", "A page"),
                                   replies.code_execution("print(2)", stdout="2\n")],
                         ids=["web_search", "web_fetch", "code_execution"])
def test_a_server_tools_result_follows_its_call(reply: replies.Reply) -> None:
    message = assert_one_message(everywhere(reply + replies.text("Done.")))
    call_block, result, _ = message["content"]
    assert result["type"] == f"{call_block['name']}_tool_result" and result["tool_use_id"] == call_block["id"]


def test_a_compaction_block_streams_as_one_compaction_delta() -> None:
    seen = everywhere('compaction(summary="We talked about Paris.")', beta=True)
    message = assert_one_message(seen)
    assert message["stop_reason"] == "compaction"
    assert message["content"] == [{"type": "compaction", "content": "We talked about Paris."}]
    assert all("content_block_delta" in seen[mode].events for mode in STREAMED)


def test_a_compaction_that_does_not_pause_goes_on_to_the_reply() -> None:
    message = assert_one_message(everywhere("compaction(pause=false, text=Bonjour)", beta=True))
    assert message["stop_reason"] == "end_turn"
    assert [block["type"] for block in message["content"]] == ["compaction", "text"]


def test_mcp_connector_blocks_come_through_the_beta_client() -> None:
    reply = replies.mcp_tool_use("lookup", {"q": "x"}, server_name="wiki", result="found") + replies.text("OK")
    message = assert_one_message(everywhere(reply, beta=True))
    call_block, result, _ = message["content"]
    assert call_block == {"type": "mcp_tool_use", "id": call_block["id"], "name": "lookup", "server_name": "wiki",
                          "input": {"q": "x"}}
    assert call_block["id"].startswith("mcptoolu_01")
    assert result == {"type": "mcp_tool_result", "tool_use_id": call_block["id"], "is_error": False,
                      "content": [{"type": "text", "text": "found"}]}


def test_max_tokens_before_a_server_tool_call_drops_the_call_and_its_stop() -> None:
    seen = everywhere('pause_turn(text="one two three")', max_tokens=3)
    message = assert_one_message(seen)
    assert message["stop_reason"] == "max_tokens"
    assert [block["type"] for block in message["content"]] == ["text"]


LONG_INPUT = {"city": "Paris", "country": "France", "detail": "hourly forecast for the next three days",
              "unit": "celsius"}


@pytest.mark.parametrize("max_tokens", [2, 12, 25])
def test_max_tokens_inside_a_tool_call_leaves_the_call_with_the_start_of_its_input(max_tokens: int) -> None:
    reply = replies.tool_use("get_weather", LONG_INPUT)
    message = assert_one_message(everywhere(reply, max_tokens=max_tokens))
    assert message["stop_reason"] == "max_tokens"
    (block,) = message["content"]
    assert block["type"] == "tool_use" and block["id"].startswith("toolu_01")
    cut = block["input"]
    assert cut != LONG_INPUT and cut == {key: LONG_INPUT[key] for key in list(LONG_INPUT)[:len(cut)]}


# -- structured outputs ------------------------------------------------------------------------


class Forecast(pydantic.BaseModel):
    city: str
    days: list[int]
    unit: Literal["celsius", "fahrenheit"]


PARSE = {"model": "claude-sonnet-4-6", "messages": [{"role": "user", "content": "Forecast for Paris?"}]}


def test_structured_outputs_get_json_valid_for_the_schema() -> None:
    with ClaudeFake():
        parsed = anthropic.Anthropic().messages.parse(max_tokens=1024, output_format=Forecast, **PARSE)
    assert isinstance(parsed.parsed_output, Forecast) and parsed.stop_reason == "end_turn"


async def test_structured_outputs_get_json_valid_for_the_schema_async() -> None:
    with ClaudeFake():
        parsed = await anthropic.AsyncAnthropic().messages.parse(max_tokens=1024, output_format=Forecast, **PARSE)
    assert isinstance(parsed.parsed_output, Forecast)


def test_max_tokens_cuts_a_structured_answer_mid_json() -> None:
    with ClaudeFake():
        message = anthropic.Anthropic().messages.create(
            max_tokens=3, output_config={"format": {"type": "json_schema", "schema": Forecast.model_json_schema()}},
            **PARSE)
    text = message.content[0].text
    assert message.stop_reason == "max_tokens" and text.startswith("{")
    with pytest.raises(json.JSONDecodeError):
        json.loads(text)
