"""wire/platforms.py: which platform a path belongs to, and each platform's own wire."""

from __future__ import annotations

import json
import re

import pytest

from claude_fakes.wire.anthropic import MESSAGE_STOP
from claude_fakes.wire.eventstream import chunk_event
from claude_fakes.wire.platforms import ANTHROPIC, BEDROCK, VERTEX, Endpoint, Platform, endpoint_of

VERTEX_BASE = "/v1/projects/p/locations/us-east5/publishers/anthropic/models"


@pytest.mark.parametrize(("path", "platform", "api_path", "model", "stream"), [
    ("/v1/messages", ANTHROPIC, "/v1/messages", None, None),
    ("/model/anthropic.claude-x/invoke", BEDROCK, "/v1/messages", "anthropic.claude-x", False),
    ("/model/us.anthropic.claude-x/invoke-with-response-stream", BEDROCK, "/v1/messages", "us.anthropic.claude-x",
     True),
    ("/model/arn%3Aaws%3Abedrock%3Ax/invoke", BEDROCK, "/v1/messages", "arn:aws:bedrock:x", False),
    ("/model/x/converse", BEDROCK, "/model/x/converse", None, None),
    (f"{VERTEX_BASE}/claude-sonnet-4-5@20250929:streamRawPredict", VERTEX, "/v1/messages",
     "claude-sonnet-4-5@20250929", None),
    (f"{VERTEX_BASE}/count-tokens:rawPredict", VERTEX, "/v1/messages/count_tokens", None, None),
], ids=["anthropic", "bedrock-invoke", "bedrock-stream", "bedrock-arn-unquoted", "bedrock-unknown-op",
        "vertex-stream", "vertex-count-tokens"])
def test_a_path_names_its_platform_and_endpoint(path: str, platform: Platform, api_path: str, model: str | None,
                                                stream: bool | None) -> None:
    assert endpoint_of(path) == Endpoint(platform, api_path, model, stream)


def test_bedrock_and_vertex_take_the_model_from_the_path() -> None:
    bedrock = endpoint_of("/model/anthropic.claude-x/invoke-with-response-stream")
    assert BEDROCK.messages_json({"max_tokens": 1}, bedrock) == {
        "max_tokens": 1, "model": "anthropic.claude-x", "stream": True}
    vertex = endpoint_of(f"{VERTEX_BASE}/claude-x:rawPredict")
    assert VERTEX.messages_json({"stream": False}, vertex) == {"stream": False, "model": "claude-x"}
    assert BEDROCK.messages_json("not a dict", bedrock) == "not a dict"


@pytest.mark.parametrize(("platform", "headers", "body", "kind"), [
    (ANTHROPIC, {"anthropic-version": "1"}, {}, "authentication_error"),
    (ANTHROPIC, {"x-api-key": "k"}, {}, "invalid_request_error"),
    (ANTHROPIC, {"x-api-key": "k", "anthropic-version": "1"}, {}, None),
    (BEDROCK, {}, {}, "MissingAuthenticationTokenException"),
    (BEDROCK, {"authorization": "AWS4-HMAC-SHA256 Credential=a, Signature=b"}, {}, "IncompleteSignatureException"),
    (BEDROCK, {"authorization": "Bearer k"}, {"model": "m", "anthropic_version": "v"}, "invalid_request_error"),
    (BEDROCK, {"authorization": "Bearer k"}, {"anthropic_version": "v"}, None),
    (VERTEX, {}, {}, "UNAUTHENTICATED"),
    (VERTEX, {"authorization": "Bearer t"}, {}, "invalid_request_error"),
    (VERTEX, {"authorization": "Bearer t"}, {"anthropic_version": "v"}, None),
], ids=["anthropic-no-key", "anthropic-no-version", "anthropic-fine", "bedrock-no-auth", "bedrock-sigv4-no-date",
        "bedrock-model-in-body", "bedrock-fine", "vertex-no-token", "vertex-no-version", "vertex-fine"])
def test_what_each_platform_refuses(platform: Platform, headers: dict[str, str], body: dict[str, str],
                                    kind: str | None) -> None:
    refusal = platform.refuse(headers, body)
    assert (refusal.kind if refusal is not None else None) == kind


@pytest.mark.parametrize(("model", "refused"), [
    ("anthropic.claude-sonnet-4-5-20250929-v1:0", False), ("us.anthropic.claude-x", False),
    ("arn:aws:bedrock:us-east-1:1:inference-profile/x", False), ("None", True), ("amazon.titan", True),
], ids=["model-id", "cross-region", "arn", "unset-model", "other-vendor"])
def test_bedrock_refuses_a_model_id_that_names_no_claude_model(model: str, refused: bool) -> None:
    assert (BEDROCK.model_problem(endpoint_of(f"/model/{model}/invoke")) is not None) is refused


def test_request_ids_are_each_platforms_own_shape() -> None:
    assert VERTEX.request_id("req_011Cabc") == "req_vrtx_011Cabc"
    assert re.fullmatch(r"[0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12}",
                        BEDROCK.request_id("req_011Cabc"))
    assert ANTHROPIC.request_id("req_1") == "req_1"


def test_a_bedrock_error_is_named_by_x_amzn_errortype_with_its_own_status() -> None:
    status, headers, body = BEDROCK.error(529, "overloaded_error", None, "rid", list)
    assert status == 503
    assert dict(headers)["x-amzn-errortype"].startswith("ServiceUnavailableException:")
    assert json.loads(body) == {"message": "Bedrock is unable to process your request."}


def test_a_vertex_rate_limit_is_googles_error_body() -> None:
    status, _, body = VERTEX.error(429, "rate_limit_error", None, "rid", list)
    assert status == 429 and json.loads(body)["error"]["status"] == "RESOURCE_EXHAUSTED"


def test_a_vertex_overload_passes_the_models_own_error_through() -> None:
    status, _, body = VERTEX.error(529, "overloaded_error", None, "rid", list)
    assert status == 529 and json.loads(body)["error"]["type"] == "overloaded_error"


def test_bedrocks_last_event_carries_the_invocation_metrics() -> None:
    data = json.loads(chunk_event(BEDROCK.last_event(MESSAGE_STOP, (12, 34))))
    assert data["type"] == "message_stop"
    assert data["amazon-bedrock-invocationMetrics"]["inputTokenCount"] == 12
    assert data["amazon-bedrock-invocationMetrics"]["outputTokenCount"] == 34


def test_a_malformed_bedrock_event_is_an_intact_frame_around_half_the_event() -> None:
    whole = BEDROCK.event(MESSAGE_STOP)
    inner = chunk_event(BEDROCK.malformed(whole, stream=True))
    assert chunk_event(whole).startswith(inner) and len(inner) < len(chunk_event(whole))
