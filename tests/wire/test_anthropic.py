"""wire/anthropic.py: error bodies and types, SSE event bytes, ids, proxy pages, malformed data."""

from __future__ import annotations

import json

import pytest

from claude_fakes.wire.anthropic import (
    ERROR_KINDS,
    MESSAGE_STOP,
    PING,
    Ids,
    SseEvent,
    block_stop,
    error_body,
    error_message,
    error_type_for_status,
    half,
    malformed,
    proxy_page,
    text_delta,
)


def test_ids_are_deterministic_per_seed() -> None:
    assert [Ids(7).message() for _ in range(2)] == [Ids(7).message()] * 2
    ids = Ids(7)
    first, second = ids.message(), ids.message()
    assert first != second and first.startswith("msg_01") and len(first) == 28
    assert Ids(8).message() != Ids(7).message()
    assert Ids(1).request().startswith("req_011C")


def test_error_body_shape() -> None:
    body = json.loads(error_body("overloaded_error", "Overloaded", "req_1"))
    assert body == {"type": "error", "error": {"type": "overloaded_error", "message": "Overloaded", "details": None},
                    "request_id": "req_1"}


def test_an_error_code_fills_the_details() -> None:
    body = json.loads(error_body("invalid_request_error", "no", "req_1", error_code="context_too_long"))
    assert body["error"]["details"] == {"error_code": "context_too_long"}


@pytest.mark.parametrize(("status", "error_type"), [
    (400, "invalid_request_error"), (529, "overloaded_error"), (429, "rate_limit_error"),
    (422, "invalid_request_error"), (503, "api_error"),
], ids=["documented-400", "documented-529", "documented-429", "undocumented-4xx", "undocumented-5xx"])
def test_error_type_for_status_is_exact_where_documented_else_by_class(status: int, error_type: str) -> None:
    assert error_type_for_status(status) == error_type


def test_error_message_is_the_kinds_own_only_at_its_own_status() -> None:
    assert error_message("overloaded_error", 529) == ERROR_KINDS["overloaded_error"].message
    assert error_message("overloaded_error", 503) == "Service unavailable"
    assert error_message("overloaded_error", 599) == "Overloaded", "no message of the status: the kind's"
    assert error_message("made_up", 599) == "Error"


@pytest.mark.parametrize("text", ["Hello", " world", 'a "quoted" \\ word', "tab\tnew\nline \x01", "é ü 日本 🙂", ""])
def test_events_written_from_templates_are_the_bytes_their_data_encodes_to(text: str) -> None:
    for event in (text_delta(3, text), block_stop(2), MESSAGE_STOP):
        assert event.frame == SseEvent(event.name, event.data).encode()
    assert PING.encode() == b'event: ping\ndata: {"type": "ping"}\n\n'


def test_a_malformed_event_keeps_its_name_and_half_its_json() -> None:
    event = text_delta(0, "Hello").encode()
    broken = malformed(event, stream=True)
    name, data = broken.split(b"\n", 1)
    assert name == b"event: content_block_delta" and broken.endswith(b"\n\n")
    payload = data.removeprefix(b"data: ").rstrip(b"\n")
    assert event.split(b"data: ")[1].startswith(payload)
    with pytest.raises(json.JSONDecodeError):
        json.loads(payload)


def test_a_malformed_json_body_is_the_body_with_junk_after_it() -> None:
    assert malformed(b'{"a":1}', stream=False) == b'{"a":1}\x00<!-- not json -->'


def test_a_malformed_piece_breaks_a_body_even_inside_a_string() -> None:
    # Cut inside the answer's text, plain junk would only be more text of a valid body.
    broken = malformed(b'{"text":"He', stream=False) + b'llo"}'
    with pytest.raises(json.JSONDecodeError):
        json.loads(broken)


def test_half_keeps_at_least_one_byte() -> None:
    assert half(b"x") == b"x" and half(b"abcd") == b"ab"


def test_proxy_pages_are_cloudflare_html_or_envoy_text() -> None:
    headers, body = proxy_page(524, "html")
    assert dict(headers) == {"content-type": "text/html", "server": "cloudflare"}
    assert b"<title>524 A timeout occurred</title>" in body
    headers, body = proxy_page(503, "text")
    assert dict(headers)["server"] == "envoy" and body.startswith(b"upstream connect error")
