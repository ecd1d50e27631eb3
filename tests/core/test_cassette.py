"""The cassette format, sans-I/O: lines in and out, keys, secrets, misses, cuts, drift."""

from __future__ import annotations

import json

import pytest

from claude_fakes.core.cassette import (
    FORMAT,
    Cassette,
    CassetteError,
    Recording,
    Tape,
    drift,
    key_of,
    normalise,
    request_of,
    shape,
)
from claude_fakes.core.plan import CUT, END, Cursor, Head, Plan, Send, Wait
from claude_fakes.wire.eventstream import CONTENT_TYPE as EVENTSTREAM
from claude_fakes.wire.eventstream import chunk

BODY = {"model": "claude-sonnet-4-6", "max_tokens": 64, "stream": True,
        "messages": [{"role": "user", "content": "Hello"}]}
EVENTS = [
    b'event: message_start\ndata: {"type":"message_start","message":{"id":"msg_1","usage":{"input_tokens":3}}}\n\n',
    b'event: ping\ndata: {"type": "ping"}\n\n',
    b'event: content_block_start\ndata: {"type":"content_block_start","index":0}\n\n',
    b'event: content_block_delta\ndata: {"type":"content_block_delta","index":0}\n\n',
    b'event: content_block_stop\ndata: {"type":"content_block_stop","index":0}\n\n',
    b'event: message_delta\ndata: {"type":"message_delta","delta":{"stop_reason":"end_turn"},'
    b'"usage":{"output_tokens":2}}\n\n',
    b'event: message_stop\ndata: {"type":"message_stop"}\n\n',
]


def recorded(body: dict = BODY, events: list[bytes] = EVENTS, complete: bool = True, split_at: int = 7):
    """A stream recorded as it arrives in chunks that do not line up with its events."""
    recording = Recording(key_of("/v1/messages", body), request_of("POST", "/v1/messages", {
        "x-api-key": "sk-ant-secret", "authorization": "Bearer secret", "cookie": "a=b",
        "anthropic-version": "2023-06-01"}, body))
    recording.head(200, [("Content-Type", "text/event-stream; charset=utf-8"), ("request-id", "req_1"),
                         ("anthropic-organization-id", "org-secret"), ("set-cookie", "c=d"),
                         ("anthropic-ratelimit-requests-limit", "50")], 0.25)
    data = b"".join(events)
    for at, start in enumerate(range(0, len(data), split_at)):
        recording.data(data[start:start + split_at], 0.25 + at * 0.001)
    return recording.finish(complete, 1.0)


def cassette_text(*exchanges) -> str:
    cassette = Cassette({"created": "2026-01-01T00:00:00+00:00"}, "c.jsonl")
    for exchange in exchanges:
        cassette.add(exchange)
    return cassette.dumps()


def test_a_recording_splits_the_stream_into_its_events_whatever_the_chunks():
    exchange = recorded()
    assert [piece.data for piece in exchange.pieces] == EVENTS
    assert sum(piece.counted for piece in exchange.pieces) == 6  # the ping is not counted, as the fault grammar counts
    assert [piece.at for piece in exchange.pieces] == sorted(piece.at for piece in exchange.pieces)


def test_no_credential_organisation_or_cookie_is_written():
    text = cassette_text(recorded())
    for secret in ("sk-ant-secret", "Bearer", "org-secret", "a=b", "c=d", "x-api-key", "organization"):
        assert secret not in text
    line = json.loads(text.splitlines()[1])
    assert line["request"]["headers"] == {"anthropic-version": "2023-06-01"}
    assert ["anthropic-ratelimit-requests-limit", "50"] in line["response"]["headers"]


def test_a_cassette_reads_back_as_it_was_written():
    text = cassette_text(recorded())
    again = Cassette.parse(text, "c.jsonl")
    assert again.dumps() == text
    exchange = next(iter(again))
    assert exchange.line == 2 and sum(piece.counted for piece in exchange.pieces) == 6
    assert json.loads(text.splitlines()[0]) == {"claude_fakes_cassette": FORMAT, "created": "2026-01-01T00:00:00+00:00"}


def walked(plan: Plan) -> tuple[list[float], list[bytes], object]:
    """What a client meets walking ``plan``: the silence before each piece, the pieces, and the ending."""
    cursor, waits, sent = Cursor(plan, None), [], []
    while True:
        step = cursor.next()
        if isinstance(step.then, Send):
            waits.append(step.wait)
            sent.append(step.then.data)
        elif not isinstance(step.then, Head):
            return waits, sent, step.then


def test_the_recorded_answer_is_a_response_with_its_gaps_and_faults_cut_it():
    exchange = recorded()
    response = exchange.response(split=True, gaps=True)
    plan = response.whole()
    assert plan.actions[0] == Wait(0.25) and plan.head == Head(200, exchange.headers)
    waits, sent, ending = walked(plan)
    assert sent == EVENTS and ending is END
    assert waits == [piece.at - before for before, piece in zip([0.25, *(p.at for p in exchange.pieces)],
                                                                 exchange.pieces, strict=False)]
    waits, sent, ending = walked(response.until(3, CUT))
    assert sent == EVENTS[:4] and ending is CUT  # the ping rides along
    assert set(walked(exchange.response(split=True, gaps=False).whole())[0]) == {0.0}


def test_an_interrupted_recording_is_a_cut_never_a_whole_answer():
    exchange = recorded(events=[*EVENTS[:3], EVENTS[3][:20]], complete=False)
    assert [piece.data for piece in exchange.pieces] == EVENTS[:3]  # half an event is dropped
    assert not exchange.complete
    assert exchange.response(split=False, gaps=False).whole().actions[-1] is CUT
    assert '"complete": false' in cassette_text(exchange)


def test_a_json_body_replays_whole_or_in_pieces():
    body = {**BODY, "stream": False}
    recording = Recording(key_of("/v1/messages", body), request_of("POST", "/v1/messages", {}, body))
    recording.head(200, [("content-type", "application/json")], 0.1)
    message = {"type": "message", "content": [{"type": "text", "text": "hi"}], "stop_reason": "end_turn"}
    recording.data(json.dumps(message).encode(), 2.0)
    exchange = Cassette.parse(cassette_text(recording.finish(True, 2.0)), "c.jsonl").find(recording.key)
    assert exchange is not None and not exchange.stream
    plan = exchange.response(split=False, gaps=True).whole()
    assert plan.actions[0] == Wait(2.0) and json.loads(plan.actions[2].data) == message
    assert exchange.response(split=True, gaps=False).until(3, CUT).actions[-1] is CUT
    assert shape(exchange)["blocks"] == ["text"], "drift compares a JSON answer's block types too"


def test_volatile_values_do_not_change_a_key():
    one = {**BODY, "metadata": {"user_id": "session_1"},
           "messages": [{"role": "user", "content": "today is 2026-12-03, id 123e4567-e89b-12d3-a456-426614174000"}]}
    two = {**one, "metadata": {"user_id": "session_2"},
           "messages": [{"role": "user", "content": "today is 2027-01-01, id 00000000-0000-4000-8000-000000000000"}]}
    assert key_of("/v1/messages", one) == key_of("/v1/messages", two)
    assert normalise(one)["messages"][0]["content"] == "today is <date>, id <uuid>"
    assert key_of("/v1/messages", {**one, "model": "claude-haiku-4-5"}) != key_of("/v1/messages", one)
    assert key_of("/v1/messages", {**one, "stream": False}) != key_of("/v1/messages", one)


def test_a_miss_names_the_closest_recording_and_what_differs():
    cassette = Cassette.parse(cassette_text(recorded()), "c.jsonl")
    other = {**BODY, "messages": [{"role": "user", "content": "Bonjour"}]}
    message = cassette.closest("/v1/messages", other)
    assert "c.jsonl:2" in message and 'messages[0].content: "Hello" != "Bonjour"' in message


@pytest.mark.parametrize(("edit", "expected"), [
    (lambda lines: [*lines[:1], lines[1][:50]], "c.jsonl:2: not JSON"),
    (lambda lines: ['{"claude_fakes_cassette": 99}', *lines[1:]], "c.jsonl:1: cassette format 99 is newer"),
    (lambda lines: ["[]", *lines[1:]], "c.jsonl:1: expected a header line"),
    (lambda lines: [*lines, lines[1]], "c.jsonl:3: records the same turn as line 2"),
    (lambda lines: [*lines[:1], '{"key": "x"}'], "c.jsonl:2: not a recorded exchange (missing 'request')"),
    (lambda lines: [*lines[:1], lines[1].replace('"Hello"', '"Edited"')], "c.jsonl:2: its key"),
    (lambda lines: [], "c.jsonl:1: empty"),
])
def test_a_bad_cassette_is_an_error_naming_file_and_line(edit, expected):
    lines = cassette_text(recorded()).splitlines()
    with pytest.raises(CassetteError, match="^" + expected.replace("(", r"\(").replace(")", r"\)")):
        Cassette.parse("\n".join(edit(lines)), "c.jsonl")


def test_a_later_good_answer_replaces_a_failed_one_but_not_the_reverse():
    cassette = Cassette(name="c.jsonl")
    cut = recorded(complete=False)
    whole = recorded()
    cassette.add(cut)
    cassette.add(whole)
    assert cassette.find(whole.key) is whole
    cassette.add(cut)
    assert cassette.find(whole.key) is whole


def test_tape_modes():
    with pytest.raises(ValueError, match="expected one of none, new, all, got 'once'"):
        Tape(Cassette(), "once")
    assert not Tape(Cassette(), "none").forwards(None)
    assert Tape(Cassette(), "new").forwards(None) and not Tape(Cassette(), "new").forwards(recorded())
    assert Tape(Cassette(), "new").forwards(recorded(complete=False))  # a broken answer is recorded again
    assert Tape(Cassette(), "all").forwards(recorded())


def test_bedrock_frames_are_recorded_whole_and_kept_binary():
    frames = [chunk(json.dumps({"type": "message_start"}).encode()), chunk(b'{"type":"message_stop"}')]
    recording = Recording("k", {})
    recording.head(200, [("content-type", EVENTSTREAM)], 0.0)
    data = b"".join(frames)
    recording.data(data[:5], 0.1)
    recording.data(data[5:], 0.2)
    exchange = recording.finish(True, 0.3)
    assert [piece.data for piece in exchange.pieces] == frames
    assert '"b64"' in json.dumps(exchange.to_json())


def test_drift_sees_event_types_stop_reasons_usage_and_headers():
    old = Cassette.parse(cassette_text(recorded()), "old.jsonl")
    assert drift(old, old) == []
    changed = [EVENTS[0].replace(b'"input_tokens":3', b'"input_tokens":3,"cache_read_input_tokens":0'),
               *EVENTS[1:5], EVENTS[5].replace(b"end_turn", b"max_tokens"), EVENTS[6]]
    new = Cassette.parse(cassette_text(recorded(events=changed)), "new.jsonl")
    found = drift(old, new)
    assert any("stop_reason" in line and '"end_turn" != "max_tokens"' in line for line in found)
    assert any("usage" in line and "cache_read_input_tokens" in line for line in found)


def test_drift_sees_a_block_of_another_type_but_not_other_words_or_counts():
    text = [EVENTS[0], EVENTS[1],
            b'event: content_block_start\ndata: {"type":"content_block_start","index":0,'
            b'"content_block":{"type":"text","text":""}}\n\n',
            b'event: content_block_delta\ndata: {"type":"content_block_delta","index":0,'
            b'"delta":{"type":"text_delta","text":"Hi"}}\n\n', *EVENTS[4:]]
    old = Cassette.parse(cassette_text(recorded(events=text)), "old.jsonl")
    reworded = [event.replace(b'"Hi"', b'"Hello there"').replace(b'"output_tokens":2', b'"output_tokens":4')
                for event in text]
    assert drift(old, Cassette.parse(cassette_text(recorded(events=reworded)), "new.jsonl")) == []
    thinking = [event.replace(b'"type":"text","text"', b'"type":"thinking","thinking"')
                .replace(b'"text_delta","text"', b'"thinking_delta","thinking"') for event in text]
    found = drift(old, Cassette.parse(cassette_text(recorded(events=thinking)), "new.jsonl"))
    assert len(found) == 1 and "content_block_start:text" in found[0] and "content_block_start:thinking" in found[0]
