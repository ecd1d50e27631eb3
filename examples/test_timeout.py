"""The timeout itself: ``anthropic.APITimeoutError: Request timed out``, and why it happens.

The seed's first two causes, reproduced: a reply that takes longer to generate than the client
waits (a large ``max_tokens`` on an Opus-class model: 60 to 120 s), and a request nobody ever
answers. Then the raw-HTTP view: "the connection hangs, then drops, no JSON body returned".

Run: ``pytest examples/test_timeout.py``. Everything below happens on the fake's virtual clock:
thirty minutes of waiting cost a few milliseconds.
"""

from __future__ import annotations

from typing import Any

import anthropic
import httpx
import pytest

from claude_fakes import ClaudeFake
from claude_fakes.latency import REALISTIC

ANALYSIS: dict[str, Any] = {
    "model": "claude-opus-4-7",
    "max_tokens": 8192,
    "messages": [{"role": "user", "content": "Write a detailed analysis..."}],
}


@pytest.mark.claude_fake("hang*3")
def test_the_default_client_waits_600_seconds_three_times(claude_fake: ClaudeFake) -> None:
    with pytest.raises(anthropic.APITimeoutError, match="Request timed out"):
        anthropic.Anthropic().messages.create(**ANALYSIS)
    claude_fake.assert_attempts(3)  # the first try and the SDK's two retries
    assert [exchange.timeout["read"] for exchange in claude_fake.journal] == [600, 600, 600]
    assert claude_fake.clock.elapsed > 1800, "half an hour before the caller hears anything"


@pytest.mark.claude_fake(latency="realistic")
def test_a_long_generation_outlasts_a_60_second_timeout(claude_fake: ClaudeFake) -> None:
    takes = REALISTIC.speed("claude-opus-4-7").generation_time(8192)
    assert 60 <= takes <= 120, "the seed's figure for Opus with max_tokens=8192"
    client = anthropic.Anthropic(timeout=60)  # a framework default, a proxy's limit, a guess
    with pytest.raises(anthropic.APITimeoutError):
        client.messages.create(**ANALYSIS)
    claude_fake.assert_attempts(3)  # every retry is just as long: retrying cannot help here
    assert claude_fake.verdict().resilient, "the client did nothing wrong; its timeout is too short"


@pytest.mark.claude_fake(latency="realistic")
def test_the_same_request_fits_the_default_600_seconds(claude_fake: ClaudeFake) -> None:
    message = anthropic.Anthropic().messages.create(**ANALYSIS)
    assert message.usage.output_tokens == 8192
    assert 60 <= claude_fake.clock.elapsed <= 120


@pytest.mark.claude_fake("hang")
def test_raw_http_the_connection_hangs_and_no_json_comes_back(claude_fake: ClaudeFake) -> None:
    headers = {"x-api-key": "sk-ant-test", "anthropic-version": "2023-06-01"}
    with httpx.Client(timeout=30) as client, pytest.raises(httpx.ReadTimeout):
        client.post("https://api.anthropic.com/v1/messages", json=ANALYSIS, headers=headers)
    assert claude_fake.clock.elapsed == 30
    (exchange,) = claude_fake.journal
    assert exchange.status is None, "no status line, no body: only the client's own timeout ends it"
