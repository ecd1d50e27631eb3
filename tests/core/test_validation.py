"""core/validation.py: the API's checks on a Messages body, each problem worded as its 400, and what
the fake does not know (a note, or the API's error under api_strict)."""

from __future__ import annotations

from typing import Any

import pytest

from claude_fakes.core.validation import Unknown, check_body, output_limit, unknowns
from claude_fakes.wire.models import DEFAULT_MODELS

MODEL = "claude-sonnet-4-6"


def body(**fields: Any) -> dict[str, Any]:
    return {"model": MODEL, "max_tokens": 100, "messages": [{"role": "user", "content": "hi"}], **fields}


def test_output_limit_is_the_models_own_or_none_for_an_unknown_model() -> None:
    assert output_limit("claude-haiku-4-5-20251001", DEFAULT_MODELS) == 64_000
    assert output_limit("claude-haiku-4-5", DEFAULT_MODELS) == 64_000
    assert output_limit("claude-unknown", DEFAULT_MODELS) is None


@pytest.mark.parametrize(("fields", "problem"), [
    ({"model": ""}, "model: Input should be a valid string"),
    ({"max_tokens": True}, "max_tokens: Input should be a valid integer greater than or equal to 1"),
    ({"max_tokens": 128_001}, "max_tokens: 128001 > 128000, which is the maximum allowed number of output tokens "
                              "for claude-sonnet-4-6"),
    ({"messages": []}, "messages: at least one message is required"),
    ({"messages": ["hi"]}, "messages.0: Input should be a valid dictionary"),
    ({"messages": [{"content": "x"}]}, "messages.0.role: Field required"),
    ({"stream": 1}, "stream: Input should be a valid boolean"),
], ids=["empty-model", "bool-max-tokens", "over-the-limit", "no-messages", "not-a-dict", "no-role",
        "stream-not-bool"])
def test_each_problem_is_worded_as_the_api_words_it(fields: dict[str, Any], problem: str) -> None:
    assert check_body(body(**fields), "/v1/messages", True, DEFAULT_MODELS) == problem


@pytest.mark.parametrize("missing", ["model", "max_tokens", "messages"])
def test_a_missing_field_is_required(missing: str) -> None:
    fields = body()
    del fields[missing]
    assert check_body(fields, "/v1/messages", True, DEFAULT_MODELS) == f"{missing}: Field required"


def test_count_tokens_needs_no_max_tokens() -> None:
    fields = body()
    del fields["max_tokens"]
    assert check_body(fields, "/v1/messages/count_tokens", True, DEFAULT_MODELS) is None


def test_validate_false_keeps_the_shape_checks_and_drops_the_conversations() -> None:
    orphan = [{"role": "user", "content": "hi"},
              {"role": "assistant", "content": [{"type": "tool_use", "id": "toolu_1", "name": "f", "input": {}}]},
              {"role": "user", "content": "and then?"}]
    assert "toolu_1" in (check_body(body(messages=orphan), "/v1/messages", True, DEFAULT_MODELS) or "")
    assert check_body(body(messages=orphan), "/v1/messages", False, DEFAULT_MODELS) is None
    assert check_body(body(max_tokens=10**9), "/v1/messages", False, DEFAULT_MODELS) is None
    assert check_body(body(max_tokens=0), "/v1/messages", False, DEFAULT_MODELS) is not None


def test_the_documented_output_limit_passes_and_an_unknown_model_has_none() -> None:
    assert check_body(body(max_tokens=128_000), "/v1/messages", True, DEFAULT_MODELS) is None
    assert check_body(body(model="claude-foo", max_tokens=10**6), "/v1/messages", True, DEFAULT_MODELS) is None


def test_a_role_the_fake_does_not_know_passes_the_checks() -> None:
    tool = body(messages=[{"role": "tool", "content": "x"}])
    assert check_body(tool, "/v1/messages", True, DEFAULT_MODELS) is None


def test_a_request_the_fake_knows_has_no_unknowns() -> None:
    system = [{"role": "system", "content": "be brief"}, {"role": "user", "content": "hi"}]
    known = body(messages=system, thinking={"type": "adaptive"}, output_config={"effort": "high"})
    assert unknowns(known, {"anthropic-beta": "message-threads-2026-08-12, claude-code-20250219"},
                    DEFAULT_MODELS) == []


def test_each_unknown_has_its_note_and_the_apis_error() -> None:
    request = body(model="claude-foo", colour="red",
                   messages=[{"role": "tool", "content": [{"type": "hologram"}]}])
    assert unknowns(request, {"anthropic-beta": "future-2027-01-01"}, DEFAULT_MODELS) == [
        Unknown("unknown model 'claude-foo'", 404, "not_found_error", "model: claude-foo"),
        Unknown("unknown beta 'future-2027-01-01'", 400, "invalid_request_error",
                "Unexpected value(s) `future-2027-01-01` for the `anthropic-beta` header. Please consult our "
                "documentation at docs.claude.com or try again without the header."),
        Unknown("unknown field 'colour'", 400, "invalid_request_error", "colour: Extra inputs are not permitted"),
        Unknown("unknown role 'tool' in messages.0", 400, "invalid_request_error",
                "messages.0.role: Input should be 'user' or 'assistant'"),
        Unknown("unknown block type 'hologram' in messages.0.content.0", 400, "invalid_request_error",
                "messages.0.content.0.type: Input tag 'hologram' found using 'type' does not match any of the "
                "expected tags"),
    ]
