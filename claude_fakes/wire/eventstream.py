"""Amazon's event-stream framing (``application/vnd.amazon.eventstream``), as Bedrock streams it.

Bedrock's ``invoke-with-response-stream`` sends one binary frame per Anthropic SSE event instead
of ``event:``/``data:`` lines. A frame is::

    total length (uint32) | headers length (uint32) | CRC32 of those 8 bytes
    headers: name length (uint8), name, type 7 (string), value length (uint16), value; repeated
    payload
    CRC32 of everything before it

A ``chunk`` frame's payload is ``{"bytes": <base64 of the event's JSON>, "p": <padding>}``; an
``exception`` frame's is ``{"message": …}`` and its ``:exception-type`` header names the error
(``throttlingException``). Both SDK generations decode the frames with botocore's
``EventStreamBuffer`` and ``EventStreamJSONParser`` (docs/facts.md). Pure functions, no I/O.
"""

from __future__ import annotations

import base64
import binascii
import json
import struct

CONTENT_TYPE = "application/vnd.amazon.eventstream"
_STRING = 7
"""The header value type for a UTF-8 string."""
_PADDING = "abcdefghijklmnopqrstuvwxyzABCDEFGHIJKLMNOPQRSTUVWXYZ0123456789"


def frame(headers: tuple[tuple[str, str], ...], payload: bytes) -> bytes:
    """One event-stream message with string ``headers`` and ``payload``, CRCs included."""
    encoded = b"".join(
        struct.pack(">B", len(name)) + name.encode() + struct.pack(">BH", _STRING, len(value.encode()))
        + value.encode()
        for name, value in headers
    )
    prelude = struct.pack(">II", 12 + len(encoded) + len(payload) + 4, len(encoded))
    message = prelude + struct.pack(">I", binascii.crc32(prelude)) + encoded + payload
    return message + struct.pack(">I", binascii.crc32(message))


def chunk(event_json: bytes) -> bytes:
    """A ``chunk`` frame carrying one Anthropic event's JSON, base64-encoded as Bedrock does.

    Bedrock pads each payload with a ``p`` field of varying length (so that sizes do not leak the
    content); the fake pads deterministically by the event's length.
    """
    padding = _PADDING[: len(event_json) % len(_PADDING)]
    body = {"bytes": base64.b64encode(event_json).decode(), "p": padding}
    return frame(((":event-type", "chunk"), (":content-type", "application/json"), (":message-type", "event")),
                 json.dumps(body, separators=(",", ":")).encode())


def chunk_event(message: bytes) -> bytes:
    """The event JSON a :func:`chunk` frame carries (the inverse of :func:`chunk`)."""
    (headers_length,) = struct.unpack_from(">I", message, 4)
    payload = json.loads(message[12 + headers_length : -4])
    return base64.b64decode(payload["bytes"])


def exception(exception_type: str, message: str) -> bytes:
    """An ``exception`` frame: the error Bedrock sends inside a stream that has already begun."""
    return frame(((":exception-type", exception_type), (":content-type", "application/json"),
                  (":message-type", "exception")),
                 json.dumps({"message": message}, separators=(",", ":")).encode())
