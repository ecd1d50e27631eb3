"""Fix 2: a longer timeout, per client or per request.

The seed raises the read timeout to 300 s so that a long generation fits. These tests check that
each way of saying so reaches the wire (the fake records the timeouts each request carried), that
the 104-second Opus reply then arrives, and the price: a request that truly hangs now holds the
caller for 300 s per attempt instead of 60.

The seed writes ``httpx.Timeout(...)``; under anthropic >= 1.0 the client is built on httpx2, so
use ``anthropic.Timeout``, which is the right class under either generation.
"""

from __future__ import annotations

from typing import Any

import anthropic
import pytest

from claude_fakes import ClaudeFake

ANALYSIS: dict[str, Any] = {
    "model": "claude-opus-4-7",
    "max_tokens": 8192,
    "messages": [{"role": "user", "content": "Write a detailed analysis..."}],
}

pytestmark = pytest.mark.claude_fake(latency="realistic")


def test_per_client_timeout_object(claude_fake: ClaudeFake) -> None:
    client = anthropic.Anthropic(timeout=anthropic.Timeout(connect=10.0, read=300.0, write=10.0, pool=10.0))
    message = client.messages.create(**ANALYSIS)
    assert message.usage.output_tokens == 8192
    assert claude_fake.journal[0].timeout == {"connect": 10.0, "read": 300.0, "write": 10.0, "pool": 10.0}
    claude_fake.assert_attempts(1)


def test_per_client_single_float_sets_all_four(claude_fake: ClaudeFake) -> None:
    anthropic.Anthropic(timeout=300.0).messages.create(**ANALYSIS)
    assert claude_fake.journal[0].timeout == {"connect": 300.0, "read": 300.0, "write": 300.0, "pool": 300.0}


def test_per_request_override_beats_the_clients_timeout(claude_fake: ClaudeFake) -> None:
    client = anthropic.Anthropic(timeout=60.0, max_retries=0)
    with pytest.raises(anthropic.APITimeoutError):
        client.messages.create(**ANALYSIS)
    client.messages.create(**ANALYSIS, timeout=300.0)
    client.with_options(timeout=300.0).messages.create(**ANALYSIS)
    assert [exchange.timeout["read"] for exchange in claude_fake.journal] == [60.0, 300.0, 300.0]
    assert [exchange.status for exchange in claude_fake.journal] == [None, 200, 200]


@pytest.mark.claude_fake("hang*3")
def test_the_price_of_a_long_timeout_when_the_api_truly_hangs(claude_fake: ClaudeFake) -> None:
    with pytest.raises(anthropic.APITimeoutError):
        anthropic.Anthropic(timeout=300.0).messages.create(**ANALYSIS)
    claude_fake.assert_attempts(3)
    assert claude_fake.clock.elapsed > 900, "three attempts of 300 s before the caller hears anything"
