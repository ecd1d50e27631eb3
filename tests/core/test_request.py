"""core/request.py: a request as the API sees it — its retry count, whether it is an attempt, its
platform, and the Messages request it carries."""

from __future__ import annotations

from typing import Any

import pytest

from claude_fakes.core.memo import Memo
from claude_fakes.core.request import Incoming, parsed_once
from claude_fakes.wire.platforms import ANTHROPIC, BEDROCK, VERTEX


@pytest.mark.parametrize(("request_", "retry_count", "is_attempt", "platform"), [
    (Incoming("POST", "/v1/messages", headers={"x-stainless-retry-count": "2"}), 2, True, ANTHROPIC),
    (Incoming("POST", "/v1/messages/count_tokens"), None, False, ANTHROPIC),
    (Incoming("GET", "/v1/messages"), None, False, ANTHROPIC),
    (Incoming("POST", "/model/anthropic.claude-x/invoke", headers={"x-stainless-retry-count": "0"}), 0, True,
     BEDROCK),
    (Incoming("POST", "/v1/projects/p/locations/l/publishers/anthropic/models/claude-x:rawPredict"), None, True,
     VERTEX),
], ids=["anthropic-retry", "count-tokens", "get", "bedrock-first-try", "vertex"])
def test_incoming_knows_its_retry_count_whether_it_is_an_attempt_and_its_platform(
    request_: Incoming, retry_count: int | None, is_attempt: bool, platform: object
) -> None:
    assert (request_.retry_count, request_.is_attempt, request_.platform) == (retry_count, is_attempt, platform)


def test_incoming_json_is_the_messages_request_with_the_paths_model() -> None:
    request = Incoming("POST", "/model/anthropic.claude-x/invoke-with-response-stream", body=b'{"max_tokens": 5}')
    assert request.body_json == {"max_tokens": 5}
    assert request.json == {"max_tokens": 5, "model": "anthropic.claude-x", "stream": True}
    assert Incoming("POST", "/v1/messages", body=b"[[[").body_json is None


def test_a_vertex_path_names_the_model_and_the_body_keeps_its_own_stream() -> None:
    # Unlike Bedrock's, Vertex's body says whether it streams (the SDK sends stream in it).
    path = "/v1/projects/p/locations/l/publishers/anthropic/models/claude-x:streamRawPredict"
    request = Incoming("POST", path, body=b'{"anthropic_version": "vertex-2023-10-16", "stream": true}')
    assert request.json == {"anthropic_version": "vertex-2023-10-16", "stream": True, "model": "claude-x"}


def test_parsed_once_shares_one_parse_among_equal_bodies_and_leaves_a_parsed_one_alone() -> None:
    memo: Memo[Any] = Memo(8, 1 << 20)
    body = b'{"model": "m", "messages": []}'
    first, second, other = (Incoming("POST", "/v1/messages", body=data) for data in (body, bytes(body), b"{}"))
    for incoming in (first, second, other):
        parsed_once(incoming, memo)
    assert second.body_json is first.body_json == {"model": "m", "messages": []}
    assert other.body_json == {} and len(memo) == 2
    parsed = Incoming("POST", "/v1/messages", body=body)
    own = parsed.body_json
    parsed_once(parsed, memo)
    assert parsed.body_json is own is not first.body_json
