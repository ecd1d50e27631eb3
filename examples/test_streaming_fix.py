"""Fix 1: stream long responses, and what streaming does not fix.

Streaming delivers tokens as they are generated. The client's read timeout bounds each silence,
not the whole reply, so a 104-second generation streams through a client that waits at most 10
seconds for any one read. But once a stream has begun, the SDK never retries it: a dropped
connection, a stall longer than the read timeout, or a stream that ends early reaches your code
as a raw transport error (from ``httpx2`` under anthropic >= 1.0, ``httpx`` under 0.x), or as no
error at all. ``write_analysis`` below handles all three; the tests prove it.
"""

from __future__ import annotations

import importlib
import time
from itertools import pairwise
from typing import Any

import anthropic
import pytest

from claude_fakes import ClaudeFake

# Your code imports the one its SDK uses; this file runs against both generations.
http = importlib.import_module("httpx2" if int(anthropic.__version__.split(".")[0]) >= 1 else "httpx")

ANALYSIS: dict[str, Any] = {
    "model": "claude-opus-4-7",
    "max_tokens": 8192,
    "messages": [{"role": "user", "content": "Write a detailed analysis..."}],
}


def stream_analysis(client: anthropic.Anthropic, on_text: list[str]) -> anthropic.types.Message:
    """The seed's Fix 1: print text as it arrives, then keep the final message."""
    with client.messages.stream(**ANALYSIS) as stream:
        for text in stream.text_stream:
            on_text.append(text)
        return stream.get_final_message()


class IncompleteStream(Exception):
    """The stream ended cleanly but without ``message_stop``: the message is cut short."""


def write_analysis(client: anthropic.Anthropic, attempts: int = 3) -> anthropic.types.Message:
    """Fix 1, hardened: start the stream again when it fails midway or ends early."""
    for attempt in range(attempts):
        try:
            message = stream_analysis(client, [])
            if message.stop_reason is None:
                raise IncompleteStream(f"{message.usage.output_tokens} tokens, then the stream ended")
            return message
        except (http.TransportError, anthropic.APIConnectionError, IncompleteStream):
            if attempt == attempts - 1:
                raise
            time.sleep(2**attempt)  # without a pause, a failing upstream gets a retry storm
    raise AssertionError("unreachable")


@pytest.mark.claude_fake(latency="realistic")
def test_streaming_succeeds_where_the_same_request_times_out(claude_fake: ClaudeFake) -> None:
    client = anthropic.Anthropic(timeout=60, max_retries=0)
    with pytest.raises(anthropic.APITimeoutError):
        client.messages.create(**ANALYSIS)
    started = time.monotonic()  # virtual, like everything the test's code reads
    message = stream_analysis(client, [])
    assert message.stop_reason == "end_turn" and message.usage.output_tokens == 8192
    assert 60 <= time.monotonic() - started <= 120


@pytest.mark.claude_fake(latency="realistic")
def test_text_arrives_from_the_first_token_and_a_10_second_read_timeout_is_enough(claude_fake: ClaudeFake) -> None:
    arrivals: list[float] = []

    class Clocked(list[str]):
        def append(self, text: str) -> None:
            arrivals.append(time.monotonic())
            super().append(text)

    started = time.monotonic()
    message = stream_analysis(anthropic.Anthropic(timeout=10), Clocked())
    assert message.usage.output_tokens == 8192
    assert arrivals[0] - started == pytest.approx(2 + 7 / 80), "the first token at 2 s, its delta 7 tokens later"
    assert max(later - earlier for earlier, later in pairwise(arrivals)) < 10, "never idle for long"


@pytest.mark.claude_fake("drop(after=3)")
def test_a_dropped_stream_is_a_raw_transport_error_the_sdk_never_retries(claude_fake: ClaudeFake) -> None:
    received: list[str] = []
    with pytest.raises(http.RemoteProtocolError):
        stream_analysis(anthropic.Anthropic(), received)
    claude_fake.assert_attempts(1)
    assert received, "part of the answer arrived before the cut, and is lost with it"
    assert "stream_failure_not_retried" in claude_fake.verdict().codes


@pytest.mark.claude_fake("stall(after=5, seconds=700)")
def test_a_stall_longer_than_the_read_timeout_is_a_raw_read_timeout(claude_fake: ClaudeFake) -> None:
    with pytest.raises(http.ReadTimeout):
        stream_analysis(anthropic.Anthropic(), [])
    assert claude_fake.clock.elapsed == 600


@pytest.mark.claude_fake("truncate(after=10)")
def test_a_stream_that_ends_early_raises_nothing(claude_fake: ClaudeFake) -> None:
    message = stream_analysis(anthropic.Anthropic(), [])
    assert message.stop_reason is None, "no exception: only the missing stop_reason tells"
    assert "truncated_stream_accepted" in claude_fake.verdict().codes


@pytest.mark.claude_fake("drop(after=3), stall(after=5, seconds=700), truncate(after=10), ok")
def test_write_analysis_survives_all_three(claude_fake: ClaudeFake) -> None:
    message = write_analysis(anthropic.Anthropic(), attempts=4)
    assert message.stop_reason == "end_turn"
    claude_fake.assert_attempts(4)
    assert claude_fake.clock.sleeps == [1, 2, 4]
    claude_fake.assert_resilient()


@pytest.mark.claude_fake("drop(after=3)*3")
def test_write_analysis_gives_up_after_its_attempts(claude_fake: ClaudeFake) -> None:
    with pytest.raises(http.RemoteProtocolError):
        write_analysis(anthropic.Anthropic())
    claude_fake.assert_attempts(3)
