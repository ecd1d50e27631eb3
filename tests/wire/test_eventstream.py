"""wire/eventstream.py: Amazon event-stream frames, checked against the format's own layout."""

from __future__ import annotations

import base64
import binascii
import json
import struct

from claude_fakes.wire.eventstream import chunk, chunk_event, exception, frame


def parse(message: bytes) -> tuple[dict[str, str], bytes]:
    """A frame's headers and payload, verifying both CRCs and both lengths (the reader's side)."""
    __tracebackhide__ = True
    total, headers_length, prelude_crc = struct.unpack_from(">III", message)
    assert total == len(message)
    assert prelude_crc == binascii.crc32(message[:8])
    assert struct.unpack(">I", message[-4:])[0] == binascii.crc32(message[:-4])
    headers: dict[str, str] = {}
    at, end = 12, 12 + headers_length
    while at < end:
        name_length = message[at]
        name = message[at + 1: at + 1 + name_length].decode()
        kind, value_length = struct.unpack_from(">BH", message, at + 1 + name_length)
        assert kind == 7, "string headers only"
        start = at + 4 + name_length
        headers[name] = message[start: start + value_length].decode()
        at = start + value_length
    return headers, message[end:-4]


def test_a_frame_carries_its_headers_and_payload_with_valid_crcs() -> None:
    headers, payload = parse(frame(((":event-type", "chunk"), ("x", "é")), b"payload"))
    assert headers == {":event-type": "chunk", "x": "é"} and payload == b"payload"


def test_a_chunk_is_the_events_json_base64_encoded_and_comes_back() -> None:
    event = b'{"type":"message_stop"}'
    message = chunk(event)
    headers, payload = parse(message)
    assert headers[":event-type"] == "chunk" and headers[":message-type"] == "event"
    assert base64.b64decode(json.loads(payload)["bytes"]) == event
    assert chunk_event(message) == event


def test_chunk_padding_depends_on_the_events_length_only() -> None:
    assert chunk(b'{"a":1}') == chunk(b'{"a":1}')
    assert len(json.loads(parse(chunk(b"x" * 5))[1])["p"]) == 5


def test_an_exception_frame_names_its_exception() -> None:
    headers, payload = parse(exception("throttlingException", "slow down"))
    assert headers[":exception-type"] == "throttlingException" and headers[":message-type"] == "exception"
    assert json.loads(payload) == {"message": "slow down"}
