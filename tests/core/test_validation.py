"""core/validation.py: the API's checks on a Messages body, each problem worded as its 400."""

from __future__ import annotations

from typing import Any

import pytest

from claude_fakes.core.validation import check_body, output_limit

MODEL = "claude-sonnet-4-6"


def body(**fields: Any) -> dict[str, Any]:
    return {"model": MODEL, "max_tokens": 100, "messages": [{"role": "user", "content": "hi"}], **fields}


def test_output_limit_is_the_models_own_or_the_largest_known() -> None:
    assert output_limit("claude-haiku-4-5-20251001") == 64_000
    assert output_limit("claude-unknown") == 128_000


@pytest.mark.parametrize(("fields", "problem"), [
    ({"model": ""}, "model: Input should be a valid string"),
    ({"max_tokens": True}, "max_tokens: Input should be a valid integer greater than or equal to 1"),
    ({"max_tokens": 64_001}, "max_tokens: 64001 > 64000, which is the maximum allowed number of output tokens for "
                             "claude-sonnet-4-6"),
    ({"messages": []}, "messages: at least one message is required"),
    ({"messages": [{"role": "tool", "content": "x"}]}, "messages.0.role: Input should be 'user' or 'assistant'"),
    ({"stream": 1}, "stream: Input should be a valid boolean"),
], ids=["empty-model", "bool-max-tokens", "over-the-limit", "no-messages", "unknown-role", "stream-not-bool"])
def test_each_problem_is_worded_as_the_api_words_it(fields: dict[str, Any], problem: str) -> None:
    assert check_body(body(**fields), "/v1/messages", validate=True) == problem


@pytest.mark.parametrize("missing", ["model", "max_tokens", "messages"])
def test_a_missing_field_is_required(missing: str) -> None:
    fields = body()
    del fields[missing]
    assert check_body(fields, "/v1/messages", validate=True) == f"{missing}: Field required"


def test_count_tokens_needs_no_max_tokens() -> None:
    fields = body()
    del fields["max_tokens"]
    assert check_body(fields, "/v1/messages/count_tokens", validate=True) is None


def test_validate_false_keeps_the_shape_checks_and_drops_the_conversations() -> None:
    orphan = [{"role": "user", "content": "hi"},
              {"role": "assistant", "content": [{"type": "tool_use", "id": "toolu_1", "name": "f", "input": {}}]},
              {"role": "user", "content": "and then?"}]
    assert "toolu_1" in (check_body(body(messages=orphan), "/v1/messages", validate=True) or "")
    assert check_body(body(messages=orphan), "/v1/messages", validate=False) is None
    assert check_body(body(max_tokens=10**9), "/v1/messages", validate=False) is None
    assert check_body(body(max_tokens=0), "/v1/messages", validate=False) is not None
