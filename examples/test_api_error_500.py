"""``api_error`` (500): an error inside the API, before the reply or in the middle of it.

Before the reply it is an HTTP 500 that the SDK retries. In the middle of a stream the status
line has long gone out as 200: the API sends ``event: error`` instead, the SDK raises
``APIStatusError`` with ``status_code == 200``, and it never retries. The text already shown to
the user is then all there is. ``stream_answer`` restarts such a stream; the tests show the text
lost without it.
"""

from __future__ import annotations

import time
from typing import Any

import anthropic
import pytest

from claude_fakes import ClaudeFake, faults, replies

REQUEST: dict[str, Any] = {
    "model": "claude-sonnet-4-6",
    "max_tokens": 1024,
    "messages": [{"role": "user", "content": "Summarise the report."}],
}
ANSWER = "The report finds three risks. First, the supplier is late. Second, costs rose. Third, staff left."


def stream_text(client: anthropic.Anthropic, shown: list[str]) -> anthropic.types.Message:
    with client.messages.stream(**REQUEST) as stream:
        for text in stream.text_stream:
            shown.append(text)
        return stream.get_final_message()


def is_retryable_stream_error(error: anthropic.APIStatusError) -> bool:
    body: Any = error.body
    kind = body.get("error", {}).get("type") if isinstance(body, dict) else None
    return error.status_code == 200 and kind in ("api_error", "overloaded_error")


def stream_answer(client: anthropic.Anthropic, attempts: int = 3) -> str:
    """The full answer; a stream that fails midway with a retryable error is started again."""
    for attempt in range(attempts):
        shown: list[str] = []
        try:
            stream_text(client, shown)
            return "".join(shown)
        except anthropic.APIStatusError as error:
            if not is_retryable_stream_error(error) or attempt == attempts - 1:
                raise
            time.sleep(2**attempt)
    raise AssertionError("unreachable")


@pytest.mark.claude_fake("api_error, ok")
def test_a_500_before_the_reply_is_retried_by_the_sdk(claude_fake: ClaudeFake) -> None:
    message = anthropic.Anthropic().messages.create(**REQUEST)
    assert message.stop_reason == "end_turn"
    assert [exchange.status for exchange in claude_fake.journal] == [500, 200]


@pytest.mark.claude_fake("api_error*3")
def test_a_lasting_500_is_an_internal_server_error(claude_fake: ClaudeFake) -> None:
    with pytest.raises(anthropic.InternalServerError) as failed:
        anthropic.Anthropic().messages.create(**REQUEST)
    assert failed.value.status_code == 500
    claude_fake.assert_attempts(3)


@pytest.mark.claude_fake(faults.error_event(after=6, type="api_error", reply=replies.text(ANSWER)))
def test_an_error_mid_stream_is_status_200_and_loses_the_rest(claude_fake: ClaudeFake) -> None:
    shown: list[str] = []
    with pytest.raises(anthropic.APIStatusError) as failed:
        stream_text(anthropic.Anthropic(), shown)
    assert failed.value.status_code == 200 and is_retryable_stream_error(failed.value)
    assert shown and ANSWER.startswith("".join(shown)) and "".join(shown) != ANSWER, "half an answer"
    claude_fake.assert_attempts(1)  # the SDK does not retry it
    assert "stream_failure_not_retried" in claude_fake.verdict().codes


@pytest.mark.claude_fake([faults.error_event(after=6, type="api_error", reply=replies.text(ANSWER)),
                          replies.text(ANSWER)])
def test_stream_answer_restarts_and_gets_it_all(claude_fake: ClaudeFake) -> None:
    assert stream_answer(anthropic.Anthropic()) == ANSWER
    claude_fake.assert_attempts(2)
    assert claude_fake.clock.sleeps == [1]
    claude_fake.assert_resilient()


@pytest.mark.claude_fake("error_event(after=2, type=invalid_request_error)")
def test_a_final_error_mid_stream_is_not_restarted(claude_fake: ClaudeFake) -> None:
    with pytest.raises(anthropic.APIStatusError):
        stream_answer(anthropic.Anthropic())
    claude_fake.assert_attempts(1)
