"""core/journal.py: an exchange's description, a journal within its bounds, and the timeline of a journal."""

from __future__ import annotations

import hashlib
import json
from typing import Any

import pytest

from claude_fakes.core.clock import Sleep
from claude_fakes.core.journal import (
    TIMELINE_HEADER,
    TRUNCATED,
    Exchange,
    Journal,
    JournalBounds,
    Outcome,
    SentBody,
    exchange_json,
    format_timeline,
    step_text,
)
from claude_fakes.core.request import Incoming
from claude_fakes.core.script import parse_script
from claude_fakes.core.step import Step


def exchange(**fields: Any) -> Exchange:
    values: dict[str, Any] = {"attempt": 1, "retry_count": 0, "method": "POST", "path": "/v1/messages",
                              "headers": {}, "json": {}, "timeout": {"read": 600.0}, "step": None, "start": 0.0}
    values.update(fields)
    return Exchange(**values)


def test_duration_is_known_once_it_ends() -> None:
    assert exchange().duration is None
    assert exchange(start=1.0, end=3.5).duration == 2.5


def test_describe_says_status_outcome_events_error_and_notes() -> None:
    done = exchange(status=200, outcome=Outcome.CUT, stream=True, events=3, error="httpx.RemoteProtocolError",
                    notes=["chaos"])
    assert done.describe() == "200 cut after 3 events -> httpx.RemoteProtocolError [chaos]"
    assert exchange(status=529, outcome=Outcome.COMPLETE).describe() == "529 complete"


def test_the_timeline_orders_exchanges_and_sleeps_by_time() -> None:
    journal = [exchange(step=Step.make("overloaded") * 2, status=529, outcome=Outcome.COMPLETE, end=0.0),
               exchange(attempt=2, retry_count=1, start=2.0, end=2.0, status=200, outcome=Outcome.COMPLETE),
               exchange(attempt=None, retry_count=None, method="GET", path="/v1/models", start=2.0, timeout={})]
    text = format_timeline(journal, [Sleep(0.0, 2.0, "time.sleep")], 2.0)
    lines = text.splitlines()
    assert lines[0] == f"{TIMELINE_HEADER} 2 attempt(s), 1 sleep(s), 2s virtual"
    assert "#1  retry 0  POST /v1/messages, read timeout 600s: overloaded => 529 complete" in lines[2]
    assert lines[3].endswith("time.sleep(2)"), "an instant failure comes before the sleep after it"
    assert "#2" in lines[4] and "GET /v1/models, read timeout none: -" in lines[5]


def test_turns_and_routes_show_once_there_is_more_than_one_turn() -> None:
    one = format_timeline([exchange(turn=1)], [], 0.0)
    two = format_timeline([exchange(turn=1), exchange(attempt=2, turn=2, route="route 1 (model='m')")], [], 0.0)
    assert "turn" not in one.splitlines()[2]
    assert "turn 2, retry 0, route 1" in two.splitlines()[3]


def test_a_servers_timeline_says_its_time_is_real() -> None:
    assert format_timeline([], [], 1.5, clock="real").splitlines()[0].endswith("1.5s real")


def test_a_journal_keeps_its_last_exchanges_and_counts_those_it_evicted() -> None:
    journal = Journal(JournalBounds(exchanges=3))
    for number in range(1, 6):
        journal.add(exchange(attempt=number))
    assert [kept.attempt for kept in journal] == [3, 4, 5] and len(journal) == 3
    assert (journal.evicted, journal.truncated) == (2, 0)
    unbounded = Journal(JournalBounds(exchanges=None))
    for number in range(20_001):
        unbounded.add(exchange(attempt=number))
    assert len(unbounded) == 20_001 and unbounded.evicted == 0


def sent(data: bytes, path: str = "/v1/messages") -> Incoming:
    return Incoming("POST", path, {}, {}, data)


def test_a_body_past_the_bounds_is_kept_as_a_marker_of_its_length_with_a_note() -> None:
    journal = Journal(JournalBounds(body_bytes=100))
    small = b'{"model": "m", "messages": []}'
    assert journal.body(sent(small)) == ({"model": "m", "messages": []}, None)
    body = {"model": "m", "max_tokens": 5, "stream": True, "messages": [{"role": "user", "content": "x" * 200}]}
    data = json.dumps(body).encode()
    kept, note = journal.body(sent(data))
    assert kept == {"model": "m", "max_tokens": 5, "stream": True,
                    TRUNCATED: {"bytes": len(data), "blake2b": hashlib.blake2b(data, digest_size=16).hexdigest()}}
    assert note == f"a body of {len(data)} bytes: the journal keeps bodies up to 100 bytes as JSON"
    assert journal.body(sent(data))[0] == kept, "a retry of the same body is the same entry"
    assert journal.body(sent(data + b" "))[0] != kept and journal.truncated == 3
    not_json, _ = journal.body(sent(b"x" * 200))
    assert list(not_json) == [TRUNCATED] and not_json[TRUNCATED]["bytes"] == 200


def test_a_body_kept_as_sent_is_read_as_json_when_the_journal_is() -> None:
    journal = Journal(JournalBounds(as_sent=True))
    data = b'{"max_tokens": 5, "messages": []}'
    kept, note = journal.body(sent(data, "/model/anthropic.claude-sonnet-4-6/invoke-with-response-stream"))
    assert isinstance(kept, SentBody) and kept.data == data and note is None
    assert kept.json == {"max_tokens": 5, "messages": [], "model": "anthropic.claude-sonnet-4-6", "stream": True}
    assert exchange_json(exchange(json=kept))["json"] == kept.json, "the platform's path says model and stream"


@pytest.mark.parametrize("value", [0, -1, 1.5, "8"])
def test_journal_bounds_take_whole_numbers_from_1_or_none(value: Any) -> None:
    with pytest.raises(ValueError, match="journal exchanges"):
        JournalBounds(exchanges=value)
    with pytest.raises(ValueError, match="journal body_bytes"):
        JournalBounds(body_bytes=value)


def test_the_timeline_says_how_many_exchanges_the_journal_evicted() -> None:
    assert format_timeline([], [], 0.0, evicted=7).splitlines()[0].endswith(
        "0s virtual (7 earlier exchange(s) evicted from the journal)")


def test_a_long_step_is_shown_without_its_replys_words_and_still_parses() -> None:
    (long,) = parse_script('drop(after=3, text="' + "a " * 5_000 + '")')
    assert step_text(long) == "drop(after=3)" and parse_script(step_text(long))[0].action == "drop"
    (short,) = parse_script('drop(after=3, text="hi")')
    assert step_text(short) == str(short)
    assert exchange_json(exchange(step=long))["step"] == "drop(after=3)"
