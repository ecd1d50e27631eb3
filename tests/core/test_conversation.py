"""The API's checks on a conversation (claude_fakes.core.conversation) and the findings a loop's
history shows, on the installed SDK, in-process and over the server."""

from __future__ import annotations

from typing import Any

import anthropic
import pytest

from claude_fakes import ClaudeFake
from claude_fakes.core.conversation import THINKING_FIRST, Orphan, orphans, problem, thinking_problem
from claude_fakes.server.client import ServerScope

from ..agent import WEATHER_TOOL
from ..sdk import MODEL, MODES, call

TOOL_ID = "toolu_01A09q90qw90lq917835lq9"
CALL = {"role": "assistant", "content": [{"type": "tool_use", "id": TOOL_ID, "name": "get_weather",
                                          "input": {"city": "Paris", "unit": "celsius"}}]}
ANSWER = {"role": "user", "content": [{"type": "tool_result", "tool_use_id": TOOL_ID, "content": "sunny"}]}
ASK = {"role": "user", "content": "Weather in Paris?"}
ORPHAN_HISTORY: list[dict[str, Any]] = [ASK, CALL, {"role": "user", "content": "Well?"}]
ORPHAN_MESSAGE = (f"messages.1: `tool_use` ids were found without `tool_result` blocks immediately after: {TOOL_ID}. "
                  "Each `tool_use` block must have a corresponding `tool_result` block in the next message.")


def test_the_api_accepts_a_loop_that_answers_every_call() -> None:
    assert problem([ASK, CALL, ANSWER]) is None
    assert problem([ASK, CALL]) is None, "a last assistant message is a prefill"


def test_an_unknown_tool_result_is_named_by_its_position() -> None:
    stray = {"role": "user", "content": [{"type": "text", "text": "x"},
                                         {"type": "tool_result", "tool_use_id": "toolu_x", "content": "?"}]}
    assert problem([stray]) == (
        "messages.0.content.1: unexpected `tool_use_id` found in `tool_result` blocks: toolu_x. Each `tool_result` "
        "block must have a corresponding `tool_use` block in the previous message.")


@pytest.mark.parametrize("mode", MODES)
def test_an_orphan_tool_use_is_the_apis_400_naming_the_id(mode: str) -> None:
    with ClaudeFake() as fake:
        seen = call(mode, tools=[WEATHER_TOOL], messages=ORPHAN_HISTORY)
    assert isinstance(seen.error, anthropic.BadRequestError)
    assert seen.error.body["error"]["message"] == ORPHAN_MESSAGE  # type: ignore[index]
    assert TOOL_ID in str(seen.error)
    assert fake.attempts == 1, "a 400 is final: the SDK does not retry it"
    verdict = fake.verdict()
    assert verdict.codes == ["orphan_tool_use"]
    assert f"turn 1 (attempts #1) sent a history whose tool_use {TOOL_ID} (messages.1)" in str(verdict)


def test_validate_false_accepts_the_history_and_still_finds_it() -> None:
    with ClaudeFake(validate=False) as fake:
        seen = call("sync", tools=[WEATHER_TOOL], messages=ORPHAN_HISTORY)
    assert seen.error is None
    assert fake.verdict().codes == ["orphan_tool_use"]


def test_validate_false_lets_max_tokens_past_the_models_limit() -> None:
    with ClaudeFake() as fake:
        # A client timeout turns off the SDK's own long-request guard, so the request is sent.
        assert isinstance(call("sync", {"timeout": 60}, max_tokens=128_001).error, anthropic.BadRequestError)
        fake.validate = False
        assert call("sync", {"timeout": 60}, max_tokens=128_001).error is None


@pytest.mark.claude_fake(validate=False)
def test_the_marker_takes_validate(claude_fake: ClaudeFake) -> None:
    assert call("sync", messages=ORPHAN_HISTORY).error is None


def test_the_orphan_over_the_server(claude_fake_server: ServerScope) -> None:
    seen = call("sync", tools=[WEATHER_TOOL], messages=ORPHAN_HISTORY)
    assert isinstance(seen.error, anthropic.BadRequestError)
    assert seen.error.body["error"]["message"] == ORPHAN_MESSAGE  # type: ignore[index]
    assert claude_fake_server.verdict().codes == ["orphan_tool_use"]


def test_an_interrupted_turn_that_leaves_the_call_unanswered() -> None:
    """The pattern behind most orphan reports: the tool call is kept, its result is lost."""
    with ClaudeFake("tool_use(name=get_weather), drop(after=2)", strict=False) as fake:
        client = anthropic.Anthropic(max_retries=0)
        messages: list[dict[str, Any]] = [ASK]
        first = client.messages.create(model=MODEL, max_tokens=100, tools=[WEATHER_TOOL],  # type: ignore[list-item]
                                       messages=messages)  # type: ignore[arg-type]
        messages.append({"role": "assistant", "content": [b.model_dump(exclude_none=True) for b in first.content]})
        messages.append({"role": "user", "content": "Never mind, what about Rome?"})  # the result was dropped
        with pytest.raises(anthropic.BadRequestError, match="without `tool_result` blocks"):
            client.messages.create(model=MODEL, max_tokens=100, tools=[WEATHER_TOOL],  # type: ignore[list-item]
                                   messages=messages)  # type: ignore[arg-type]
    assert fake.journal[1].status == 400 and fake.journal[1].step is None, "a rejected request uses no step"


def test_the_same_tool_call_answered_twice_is_a_finding() -> None:
    twice = {"role": "user", "content": [ANSWER["content"][0], ANSWER["content"][0]]}  # type: ignore[index]
    with ClaudeFake() as fake:
        call("sync", tools=[WEATHER_TOOL], messages=[ASK, CALL, twice])
    verdict = fake.verdict()
    assert verdict.codes == ["duplicate_tool_result"]
    assert f"answers tool call {TOOL_ID} twice in one history" in str(verdict)


def test_a_tool_run_again_for_the_same_call_is_a_finding() -> None:
    again = {"role": "user", "content": [{"type": "tool_result", "tool_use_id": TOOL_ID, "content": "rainy"}]}
    with ClaudeFake() as fake:
        call("sync", tools=[WEATHER_TOOL], messages=[ASK, CALL, ANSWER])
        call("sync", tools=[WEATHER_TOOL], messages=[ASK, CALL, again])
    verdict = fake.verdict()
    assert verdict.codes == ["duplicate_tool_result"]
    assert "answered with one result in turn 1 (attempt #1) and another in turn 2 (attempt #2)" in str(verdict)


def test_a_repeated_successful_call_is_not_amplification() -> None:
    with ClaudeFake("overloaded") as fake:
        call("sync")
        call("sync")
    assert [e.retry_count for e in fake.journal] == [0, 1, 0]
    assert fake.verdict().resilient


THINKING = {"type": "enabled", "budget_tokens": 1024}
THOUGHT = {"type": "thinking", "thinking": "Paris: call the tool.", "signature": "c2lnbmF0dXJl"}
CALL_WITH_THOUGHT = {"role": "assistant", "content": [THOUGHT, *CALL["content"]]}


def test_with_thinking_on_a_tool_continuation_keeps_its_thinking_first() -> None:
    thinking = THINKING
    assert problem([ASK, CALL_WITH_THOUGHT, ANSWER], thinking=thinking) is None
    assert problem([ASK, CALL, ANSWER], thinking=thinking) == THINKING_FIRST.format(index=1, found="tool_use")
    text_first = {"role": "assistant", "content": [{"type": "text", "text": "Let me check."}, *CALL["content"]]}
    assert problem([ASK, text_first, ANSWER], thinking=thinking) == THINKING_FIRST.format(index=1, found="text")
    redacted = {"role": "assistant", "content": [{"type": "redacted_thinking", "data": "x"}, *CALL["content"]]}
    assert problem([ASK, redacted, ANSWER], thinking=thinking) is None


def test_the_thinking_rule_binds_only_a_tool_continuation_with_thinking_on() -> None:
    assert problem([ASK, CALL, ANSWER]) is None
    assert problem([ASK, CALL, ANSWER], thinking={"type": "disabled"}) is None
    # Adaptive thinking may be skipped: a call without it is what the API sent (Claude Code's tool loop).
    assert problem([ASK, CALL, ANSWER], thinking={"type": "adaptive", "display": "omitted"}) is None
    plain_turn = [ASK, {"role": "assistant", "content": "Sunny."}, {"role": "user", "content": "Thanks"}]
    assert problem(plain_turn, thinking=THINKING) is None


def test_the_apis_words_for_dropped_thinking() -> None:
    # As public reports quote the 400 (mastra-ai/mastra#7799, anomalyco/opencode#3077).
    assert THINKING_FIRST.format(index=29, found="tool_use") == (
        "messages.29.content.0.type: Expected `thinking` or `redacted_thinking`, but found `tool_use`. When "
        "`thinking` is enabled, a final `assistant` message must start with a thinking block (preceeding the "
        "lastmost set of `tool_use` and `tool_result` blocks). We recommend you include thinking blocks from "
        "previous turns. To avoid this requirement, disable `thinking`. Please consult our documentation at "
        "https://docs.claude.com/en/docs/build-with-claude/extended-thinking")


def test_a_thinking_block_sent_back_needs_its_signature() -> None:
    unsigned = {"role": "assistant", "content": [{"type": "thinking", "thinking": "hm"}, *CALL["content"]]}
    assert thinking_problem([ASK, unsigned, ANSWER], None) == "messages.1.content.0.thinking.signature: Field required"
    assert problem([ASK, unsigned, ANSWER], thinking=THINKING) == (
        "messages.1.content.0.thinking.signature: Field required")


@pytest.mark.parametrize("mode", MODES)
def test_an_sdk_loop_that_drops_its_thinking_gets_the_apis_400(mode: str) -> None:
    with ClaudeFake("ok(thinking=Paris, tool=get_weather), ok(text=Sunny.)"):  # a 400 uses no step
        first = call(mode, tools=[WEATHER_TOOL], thinking=THINKING, messages=[ASK])
        assert first.error is None and first.message.stop_reason == "tool_use"
        tool_call = first.message.content[-1]
        result = {"role": "user", "content": [{"type": "tool_result", "tool_use_id": tool_call.id,
                                               "content": "sunny"}]}
        kept = call(mode, tools=[WEATHER_TOOL], thinking=THINKING,
                    messages=[ASK, {"role": "assistant", "content": first.message.content}, result])
        dropped = call(mode, tools=[WEATHER_TOOL], thinking=THINKING,
                       messages=[ASK, {"role": "assistant", "content": [tool_call]}, result])
    assert kept.error is None and kept.text == "Sunny."
    assert isinstance(dropped.error, anthropic.BadRequestError)
    assert THINKING_FIRST.format(index=1, found="tool_use") in str(dropped.error)


def test_a_system_message_between_a_tool_use_and_its_result_is_left_out_of_the_pairing() -> None:
    call = {"role": "assistant", "content": [{"type": "tool_use", "id": "toolu_1", "name": "f", "input": {}}]}
    note = {"role": "system", "content": "The tool list changed."}
    result = {"role": "user", "content": [{"type": "tool_result", "tool_use_id": "toolu_1", "content": "ok"}]}
    messages = [{"role": "user", "content": "hi"}, call, note, result]
    assert problem(messages) is None and orphans(messages) == []
    assert problem([*messages[:2], note, {"role": "user", "content": "and?"}]) == Orphan(1, ("toolu_1",)).message()
