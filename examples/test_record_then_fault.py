"""Record real traffic once, then replay it with any fault at event K.

A synthetic reply is not your prompt, your tool call or your stream's shape. With
``@pytest.mark.claude_cassette`` the first run records the real answer (``pytest
--claude-record=once``, which sends the request where the client sends it, with your key) into
``cassettes/test_record_then_fault/<test>.jsonl``; every later run replays it, on the virtual
clock, without a network or a key, and CI (which passes no ``--claude-record``) can never
record. In a script, ``ok`` is then the recorded answer and every fault applies on top of it:
``drop(after=5)`` cuts the recorded stream after its fifth event, ``stall`` pauses between two
recorded events, ``overloaded`` answers instead of it, and the retry gets the recording again.

The cassette beside this file was recorded from claude_fakes' own socket server (this
repository's CI has no network); re-record it against the API with ``--claude-record=all``.
"""

from __future__ import annotations

import importlib
from typing import Any

import anthropic
import pytest

from claude_fakes import ClaudeFake

pytestmark = pytest.mark.claude_cassette("cassettes/test_record_then_fault/summary.jsonl")
http = importlib.import_module("httpx2" if int(anthropic.__version__.split(".")[0]) >= 1 else "httpx")

REQUEST: dict[str, Any] = {
    "model": "claude-sonnet-4-6",
    "max_tokens": 1024,
    "messages": [{"role": "user", "content": "Summarise the incident report in three sentences."}],
}


def summarise(client: anthropic.Anthropic) -> str:
    """Stream the summary, as most code does: whatever arrived is the answer."""
    with client.messages.stream(**REQUEST) as stream:
        return "".join(stream.text_stream)


def summarise_checked(client: anthropic.Anthropic, attempts: int = 3) -> str:
    """The same, but a stream that broke or ended before ``message_stop`` is started again (the SDK never
    retries a stream once it has begun)."""
    for attempt in range(attempts):
        try:
            with client.messages.stream(**REQUEST) as stream:
                parts, complete = [], False
                for event in stream:
                    if event.type == "text":
                        parts.append(event.text)
                    complete = complete or event.type == "message_stop"
            if complete:
                return "".join(parts)
        except (http.TransportError, anthropic.APIConnectionError):
            if attempt == attempts - 1:
                raise
    raise RuntimeError(f"no complete summary in {attempts} attempts")


def test_the_recorded_answer_comes_back(claude_fake: ClaudeFake) -> None:
    summary = summarise(anthropic.Anthropic())
    assert summary.startswith("The outage began")
    assert claude_fake.journal[0].notes[0].startswith("replayed from")


@pytest.mark.claude_faults("drop(after=5), ok", "stall(after=3, seconds=700), ok", "truncate(after=6), ok",
                           "overloaded*2, ok")
def test_the_checked_summary_survives_every_fault_on_the_real_stream(claude_fake: ClaudeFake) -> None:
    summary = summarise_checked(anthropic.Anthropic())
    assert summary == summarise_checked(anthropic.Anthropic())  # the fault is spent: the recording again
    assert summary.startswith("The outage began")


@pytest.mark.claude_fake("truncate(after=6)")
def test_the_careless_summary_keeps_a_cut_answer_without_a_word(claude_fake: ClaudeFake) -> None:
    summary = summarise(anthropic.Anthropic())
    assert summary and not summary.endswith(".")  # no exception: the answer is silently short
    assert "truncated_stream_accepted" in claude_fake.verdict().codes


@pytest.mark.claude_explore(faults=["overloaded", "drop(after=*)", "truncate(after=*)"], attempts=1)
def test_every_cut_of_the_recorded_stream(claude_fake: ClaudeFake) -> None:
    assert summarise_checked(anthropic.Anthropic()).startswith("The outage began")
