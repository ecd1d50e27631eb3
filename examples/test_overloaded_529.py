"""``overloaded_error`` (529): the API is busy. Retryable, and the SDK retries it for you.

What the SDK does on its own (two retries with jittered backoff, seeded here so the waits are
the same on every run), what your code sees when the overload outlasts them, how
``x-should-retry: false`` stops the SDK, and a fallback to another model as an application's
answer to a long overload.
"""

from __future__ import annotations

import anthropic
import pytest

from claude_fakes import ClaudeFake


def ask(client: anthropic.Anthropic, prompt: str, model: str = "claude-opus-4-7") -> anthropic.types.Message:
    return client.messages.create(model=model, max_tokens=1024, messages=[{"role": "user", "content": prompt}])


def ask_with_fallback(client: anthropic.Anthropic, prompt: str) -> anthropic.types.Message:
    """Opus if it can; when Opus stays overloaded through the SDK's retries, Sonnet."""
    try:
        return ask(client, prompt)
    except anthropic.OverloadedError:
        return ask(client, prompt, model="claude-sonnet-4-6")


@pytest.mark.claude_fake("overloaded*2, ok")
def test_the_sdk_retries_529_twice_with_backoff(claude_fake: ClaudeFake) -> None:
    assert ask(anthropic.Anthropic(), "hi").stop_reason == "end_turn"
    assert [exchange.status for exchange in claude_fake.journal] == [529, 529, 200]
    assert [exchange.retry_count for exchange in claude_fake.journal] == [0, 1, 2]
    first, second = claude_fake.clock.sleeps
    assert 0.375 <= first <= 0.5 and 0.75 <= second <= 1.0, "0.5 s then 1 s, less up to 25% jitter"
    claude_fake.assert_resilient()


@pytest.mark.claude_fake("overloaded*3")
def test_an_overload_that_outlasts_the_retries(claude_fake: ClaudeFake) -> None:
    with pytest.raises(anthropic.OverloadedError) as overloaded:
        ask(anthropic.Anthropic(), "hi")
    assert overloaded.value.status_code == 529
    assert overloaded.value.body["error"]["type"] == "overloaded_error"  # type: ignore[index]
    assert overloaded.value.request_id and overloaded.value.request_id.startswith("req_")
    claude_fake.assert_attempts(3)


@pytest.mark.claude_fake("overloaded(should_retry=false)")
def test_x_should_retry_false_stops_the_sdk(claude_fake: ClaudeFake) -> None:
    with pytest.raises(anthropic.OverloadedError):
        ask(anthropic.Anthropic(), "hi")
    claude_fake.assert_attempts(1)


@pytest.mark.claude_fake("overloaded*3, ok")
def test_falling_back_to_another_model(claude_fake: ClaudeFake) -> None:
    message = ask_with_fallback(anthropic.Anthropic(), "hi")
    assert message.model == "claude-sonnet-4-6"
    assert [exchange.json["model"] for exchange in claude_fake.journal] == ["claude-opus-4-7"] * 3 + [
        "claude-sonnet-4-6"]
