"""Claude on Google Vertex AI: quota errors, an overload, a stream that fails after its 200, and a hang.

Vertex passes the model's own replies through (Anthropic JSON and SSE, ids ``msg_vrtx_…``), so a
529 ``overloaded_error`` arrives as on the Anthropic API. What Vertex refuses itself comes in
Google's error body: a quota spent is 429 ``RESOURCE_EXHAUSTED``, with no ``retry-after``, and
the SDK backs off on its own. A stream can also fail *after* its 200: an ``overloaded_error``
event midway, or a connection cut; neither is retried by the SDK.

anthropic 0.125's Vertex client has no class for 529 (it raises ``InternalServerError``); 2.x
raises ``OverloadedError``, a subclass of ``InternalServerError``. Catch ``InternalServerError``
to handle both.
"""

from __future__ import annotations

import anthropic
import pytest

from claude_fakes import ClaudeFake

MODEL = "claude-sonnet-4-5@20250929"
PROMPT: list[anthropic.types.MessageParam] = [{"role": "user", "content": "Summarise the report."}]


def vertex(timeout: float = 600) -> anthropic.AnthropicVertex:
    # An access token of any value: without one the SDK asks google-auth, outside any fake.
    return anthropic.AnthropicVertex(region="us-east5", project_id="my-project", access_token="ya29.test",
                                     timeout=timeout)


@pytest.mark.claude_fake("resource_exhausted*2, ok")
def test_a_spent_quota_is_retried_with_the_sdks_backoff(claude_fake: ClaudeFake) -> None:
    message = vertex().messages.create(model=MODEL, max_tokens=1024, messages=PROMPT)
    assert message.id.startswith("msg_vrtx_")
    first = claude_fake.journal[0]
    assert first.status == 429 and "retry-after" not in first.response_headers
    assert first.path == f"/projects/my-project/locations/us-east5/publishers/anthropic/models/{MODEL}:rawPredict"
    assert len(claude_fake.clock.sleeps) == 2


@pytest.mark.claude_fake("resource_exhausted*3")
def test_a_quota_that_stays_spent_is_a_rate_limit_error(claude_fake: ClaudeFake) -> None:
    with pytest.raises(anthropic.RateLimitError) as exhausted:
        vertex().messages.create(model=MODEL, max_tokens=1024, messages=PROMPT)
    assert exhausted.value.body["error"]["status"] == "RESOURCE_EXHAUSTED"  # type: ignore[index]
    claude_fake.assert_attempts(3)


@pytest.mark.claude_fake("overloaded*3")
def test_an_overload_is_the_models_own_529(claude_fake: ClaudeFake) -> None:
    with pytest.raises(anthropic.InternalServerError) as overloaded:
        vertex().messages.create(model=MODEL, max_tokens=1024, messages=PROMPT)
    assert overloaded.value.status_code == 529
    claude_fake.assert_attempts(3)


@pytest.mark.claude_fake("error_event(after=3, type=overloaded_error)")
def test_an_overload_after_the_200_is_not_retried(claude_fake: ClaudeFake) -> None:
    with pytest.raises(anthropic.APIStatusError) as failed:
        with vertex().messages.stream(model=MODEL, max_tokens=1024, messages=PROMPT) as stream:
            stream.get_final_text()
    assert failed.value.status_code == 200 and "overloaded_error" in str(failed.value)
    claude_fake.assert_attempts(1)


@pytest.mark.claude_fake("drop(after=3)")
def test_a_stream_cut_midway_is_the_http_librarys_error(claude_fake: ClaudeFake) -> None:
    with pytest.raises(Exception) as cut:  # the HTTP library's class, whichever the SDK runs on
        with vertex().messages.stream(model=MODEL, max_tokens=1024, messages=PROMPT) as stream:
            stream.get_final_text()
    library = type(cut.value).__module__.split(".")[0]
    assert library in ("httpx", "httpx2"), "raw, from httpx (0.125) or httpx2 (2.x): never an anthropic error"
    assert type(cut.value).__name__ == "RemoteProtocolError"
    claude_fake.assert_attempts(1)


def test_a_hang_is_three_timeouts_on_the_virtual_clock() -> None:
    with ClaudeFake("hang*3") as fake, pytest.raises(anthropic.APITimeoutError):
        vertex(timeout=60).messages.create(model=MODEL, max_tokens=1024, messages=PROMPT)
    assert 180 <= fake.clock.elapsed < 190
