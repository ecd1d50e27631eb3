"""Retry with exponential backoff: the seed's ``call_with_retry``, what it really does, and a fix.

The seed wraps each call in its own retry loop (5 s, 10 s, 20 s). But the SDK already retries
twice by default, so every attempt of the loop is up to three requests: a hanging API costs nine
requests of 120 s before the caller hears anything. Give the loop ``max_retries=0`` and it owns
the retries alone; widen what it retries (the seed's loop lets a 529 through) and it survives
the other transient errors too. All on the virtual clock: minutes of backoff take milliseconds.
"""

from __future__ import annotations

import time

import anthropic
import pytest
from tenacity import retry, retry_if_exception_type, stop_after_attempt, wait_exponential

from claude_fakes import ClaudeFake

# -- the seed's code, verbatim but for the print -------------------------------------------

client = anthropic.Anthropic()


def call_with_retry(prompt: str, max_attempts: int = 3) -> str:
    for attempt in range(max_attempts):
        try:
            message = client.messages.create(
                model="claude-sonnet-4-6",
                max_tokens=2048,
                messages=[{"role": "user", "content": prompt}],
                timeout=120.0,
            )
            return message.content[0].text  # type: ignore[union-attr]
        except anthropic.APITimeoutError:
            if attempt == max_attempts - 1:
                raise
            wait = 2**attempt * 5  # 5s, 10s, 20s
            print(f"Timeout, retrying in {wait}s...")
            time.sleep(wait)
    raise AssertionError("unreachable")


# -- the fix: one layer of retries, and every transient error in it -------------------------

TRANSIENT = (
    anthropic.APITimeoutError,  # a hang
    anthropic.APIConnectionError,  # refused, reset, garbage
    anthropic.RateLimitError,  # 429
    anthropic.InternalServerError,  # 500, 503, 504 (and 529 under anthropic >= 1.0)
    anthropic.OverloadedError,  # 529
)


@retry(retry=retry_if_exception_type(TRANSIENT), wait=wait_exponential(multiplier=5, max=20),
       stop=stop_after_attempt(4), reraise=True)
def ask(prompt: str) -> str:
    with anthropic.Anthropic(max_retries=0, timeout=120.0) as own_retries_only:
        message = own_retries_only.messages.create(
            model="claude-sonnet-4-6", max_tokens=2048, messages=[{"role": "user", "content": prompt}])
    return "".join(block.text for block in message.content if block.type == "text")


@pytest.mark.claude_fake("hang*9")
def test_the_seeds_loop_on_top_of_the_sdks_retries_makes_nine_requests(claude_fake: ClaudeFake) -> None:
    with pytest.raises(anthropic.APITimeoutError):
        call_with_retry("Write a detailed analysis...")
    claude_fake.assert_attempts(9)  # 3 attempts of the loop x 3 requests of the SDK
    assert [exchange.retry_count for exchange in claude_fake.journal] == [0, 1, 2] * 3
    assert [wait for wait in claude_fake.clock.sleeps if wait >= 5] == [5, 10]
    assert claude_fake.clock.elapsed > 9 * 120


@pytest.mark.claude_fake("hang*2, ok")
def test_with_the_sdks_retries_off_the_loop_waits_5_then_10(claude_fake: ClaudeFake, capsys: pytest.CaptureFixture[str],
                                                             monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setattr(f"{__name__}.client", anthropic.Anthropic(max_retries=0))
    assert call_with_retry("Write a detailed analysis...") == "Hello! This is a reply from claude_fakes."
    assert claude_fake.clock.sleeps == [5, 10]
    assert claude_fake.clock.elapsed == 255  # 120 + 5 + 120 + 10
    assert claude_fake.waits_between_attempts == [5, 10]
    assert capsys.readouterr().out == "Timeout, retrying in 5s...\nTimeout, retrying in 10s...\n"


@pytest.mark.claude_fake("hang*3")
def test_with_the_sdks_retries_off_the_loop_gives_up_after_three(claude_fake: ClaudeFake,
                                                                  monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setattr(f"{__name__}.client", anthropic.Anthropic(max_retries=0))
    with pytest.raises(anthropic.APITimeoutError):
        call_with_retry("Write a detailed analysis...")
    assert claude_fake.clock.sleeps == [5, 10]
    assert claude_fake.clock.elapsed == 3 * 120 + 5 + 10


@pytest.mark.claude_fake("overloaded*3")
def test_the_seeds_loop_lets_a_529_through(claude_fake: ClaudeFake) -> None:
    with pytest.raises(anthropic.OverloadedError):
        call_with_retry("Write a detailed analysis...")
    claude_fake.assert_attempts(3)  # only the SDK's own retries: the loop catches timeouts alone


@pytest.mark.claude_fake("hang, overloaded, refuse, ok")
def test_one_layer_of_backoff_survives_every_transient_error(claude_fake: ClaudeFake) -> None:
    assert ask("Write a detailed analysis...") == "Hello! This is a reply from claude_fakes."
    claude_fake.assert_attempts(4)
    assert claude_fake.clock.sleeps == [5, 10, 20]
    assert claude_fake.clock.elapsed == 120 + 5 + 10 + 20
    claude_fake.assert_resilient()


@pytest.mark.claude_fake("api_error*4")
def test_and_gives_up_after_four_attempts(claude_fake: ClaudeFake) -> None:
    with pytest.raises(anthropic.InternalServerError):
        ask("Write a detailed analysis...")
    claude_fake.assert_attempts(4)


@pytest.mark.claude_fake("invalid_request_error")
def test_a_final_error_is_not_retried(claude_fake: ClaudeFake) -> None:
    with pytest.raises(anthropic.BadRequestError):
        ask("Write a detailed analysis...")
    claude_fake.assert_attempts(1)
    claude_fake.assert_resilient()
