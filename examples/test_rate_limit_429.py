"""``rate_limit_error`` (429): too many requests. Wait as long as ``retry-after`` says, or avoid it.

The SDK honours ``retry-after`` on its own (anthropic 0.x only up to 60 s; above that it falls
back to its short backoff, and the verdict calls that out). ``rate_limits=`` gives the fake real
quotas: every reply carries the ``anthropic-ratelimit-*`` headers counting down, and the request
over the quota gets a 429 whose ``retry-after`` is the time until the minute's window reopens.
``Throttle`` reads those headers and waits *before* it is refused: a batch runs without a 429.
"""

from __future__ import annotations

import time
from datetime import datetime, timezone
from typing import Any

import anthropic
import pytest

from claude_fakes import ClaudeFake

REQUEST: dict[str, Any] = {
    "model": "claude-sonnet-4-6",
    "max_tokens": 256,
    "messages": [{"role": "user", "content": "Classify this ticket."}],
}
SDK_GENERATION = int(anthropic.__version__.split(".")[0])


class Throttle:
    """Client-side rate limiting from the API's own headers: no request is sent into a spent quota."""

    def __init__(self, client: anthropic.Anthropic) -> None:
        self.client = client
        self.waits: list[float] = []
        self._resume_at: datetime | None = None

    def create(self, **request: Any) -> anthropic.types.Message:
        if self._resume_at is not None:
            wait = (self._resume_at - datetime.now(timezone.utc)).total_seconds()
            if wait > 0:
                self.waits.append(wait)
                time.sleep(wait)
            self._resume_at = None
        raw = self.client.messages.with_raw_response.create(**request)
        if raw.headers["anthropic-ratelimit-requests-remaining"] == "0":
            reset = raw.headers["anthropic-ratelimit-requests-reset"]
            self._resume_at = datetime.fromisoformat(reset.replace("Z", "+00:00"))
        message: anthropic.types.Message = raw.parse()
        return message


@pytest.mark.claude_fake("rate_limited(retry_after=20), ok")
def test_the_sdk_waits_as_long_as_retry_after_says(claude_fake: ClaudeFake) -> None:
    anthropic.Anthropic().messages.create(**REQUEST)
    assert claude_fake.clock.sleeps == [20]
    claude_fake.assert_retry_after_honoured()


@pytest.mark.claude_fake("rate_limited(retry_after=90), ok")
def test_a_retry_after_above_60_seconds(claude_fake: ClaudeFake) -> None:
    anthropic.Anthropic().messages.create(**REQUEST)
    if SDK_GENERATION >= 1:
        assert claude_fake.clock.sleeps == [90]
        claude_fake.assert_resilient()
    else:  # anthropic 0.x: too long to honour, so it comes back within a second (a real API refuses it again)
        assert claude_fake.clock.sleeps[0] < 1
        assert "retry_after_ignored" in claude_fake.verdict().codes


@pytest.mark.claude_fake("rate_limited*3")
def test_a_lasting_429_is_a_rate_limit_error(claude_fake: ClaudeFake) -> None:
    with pytest.raises(anthropic.RateLimitError) as limited:
        anthropic.Anthropic().messages.create(**REQUEST)
    assert limited.value.response.headers["retry-after"] == "1"
    claude_fake.assert_attempts(3)


@pytest.mark.claude_fake(rate_limits={"requests_per_minute": 5})
def test_the_sixth_request_in_a_minute_waits_for_the_window(claude_fake: ClaudeFake) -> None:
    client = anthropic.Anthropic()
    for _ in range(6):
        client.messages.create(**REQUEST)
    assert [exchange.status for exchange in claude_fake.journal] == [200] * 5 + [429, 200]
    assert claude_fake.journal[5].response_headers["retry-after"] == "60"
    assert claude_fake.clock.sleeps == [60], "the SDK waited for the window to reopen"
    claude_fake.assert_retry_after_honoured()


@pytest.mark.claude_fake(rate_limits={"requests_per_minute": 5})
def test_a_throttled_batch_never_meets_a_429(claude_fake: ClaudeFake) -> None:
    throttle = Throttle(anthropic.Anthropic())
    for _ in range(12):
        throttle.create(**REQUEST)
    assert [exchange.status for exchange in claude_fake.journal] == [200] * 12
    assert throttle.waits == [60, 60], "it waited at the 5th and the 10th request, for the next window"
    assert claude_fake.clock.elapsed == 120


@pytest.mark.claude_fake(rate_limits={"tokens_per_minute": 1000})
def test_a_token_quota_counts_input_and_output(claude_fake: ClaudeFake) -> None:
    client = anthropic.Anthropic(max_retries=0)
    big = {**REQUEST, "messages": [{"role": "user", "content": "word " * 990}]}
    client.messages.create(**big)
    with pytest.raises(anthropic.RateLimitError):
        client.messages.create(**REQUEST)
    assert int(claude_fake.journal[0].response_headers["anthropic-ratelimit-tokens-remaining"]) < 10
