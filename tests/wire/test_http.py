"""wire/http.py: reason phrases, compact JSON and the two date formats."""

from __future__ import annotations

import json

from claude_fakes.wire.http import GARBAGE_BYTES, http_date, json_bytes, reason, rfc3339

JAN_1_2026 = 1767225600.0


def test_reasons_are_the_front_ends_and_529_has_none() -> None:
    assert reason(200) == b"OK" and reason(429) == b"Too Many Requests"
    assert reason(529) == b"" and reason(524) == b""
    assert reason(299) == b"", "an unknown status has no phrase rather than a made-up one"


def test_json_is_compact_and_keeps_unicode_unescaped() -> None:
    value = {"a": [1, 2], "text": "日本"}
    data = json_bytes(value)
    assert data == '{"a":[1,2],"text":"日本"}'.encode()
    assert json.loads(data) == value


def test_http_date_is_gmt() -> None:
    assert http_date(JAN_1_2026 + 30) == "Thu, 01 Jan 2026 00:00:30 GMT"


def test_rfc3339_drops_the_fraction() -> None:
    assert rfc3339(JAN_1_2026 + 59.9) == "2026-01-01T00:00:59Z"


def test_garbage_is_no_status_line() -> None:
    assert not GARBAGE_BYTES.startswith(b"HTTP/")
