"""The wire encoder and the plans built from it, without any HTTP client."""

from __future__ import annotations

import json
import math

import pytest

from claude_fakes import replies
from claude_fakes.core.messages import render_message, split_tokens
from claude_fakes.core.plan import CUT, END, FOREVER, READ_TIMEOUT, REFUSE, Cursor, Head, Plan, Send, Wait
from claude_fakes.core.planner import Api
from claude_fakes.core.request import Incoming
from claude_fakes.script import parse_script
from claude_fakes.wire.anthropic import Ids, error_body

HEADERS = {"x-api-key": "k", "anthropic-version": "2023-06-01"}


def render(reply: replies.Reply, max_tokens: int = 1000) -> tuple[dict, list[tuple[str, dict]]]:
    rendered = render_message(reply, model="m", max_tokens=max_tokens, input_token_count=3, ids=Ids(0))
    return dict(rendered.message), [(event.name, dict(event.data)) for event in rendered.events]


def parse_sse(data: bytes) -> list[tuple[str, dict]]:
    events = []
    for block in data.decode().split("\n\n"):
        if block:
            name_line, data_line = block.split("\n")
            assert name_line.startswith("event: ") and data_line.startswith("data: ")
            events.append((name_line[7:], json.loads(data_line[6:])))
    return events


def test_tokens_round_trip() -> None:
    assert split_tokens("Hello, big world ") == ["Hello,", " big", " world", " "]
    assert "".join(split_tokens("  a  b")) == "  a  b"


def test_text_stream_follows_the_documented_order() -> None:
    message, events = render(replies.text("Hi there"))
    assert [name for name, _ in events] == [
        "message_start", "content_block_start", "ping", "content_block_delta", "content_block_delta",
        "content_block_stop", "message_delta", "message_stop",
    ]
    assert [data["delta"]["text"] for name, data in events if name == "content_block_delta"] == ["Hi", " there"]
    assert events[0][1]["message"]["content"] == [] and events[0][1]["message"]["stop_reason"] is None
    assert events[-2][1]["usage"]["output_tokens"] == 2 == message["usage"]["output_tokens"]
    assert message["content"] == [{"type": "text", "text": "Hi there"}]
    assert message["stop_reason"] == "end_turn"
    assert all(data["type"] == name for name, data in events)


def test_tool_use_streams_input_json_deltas() -> None:
    message, events = render(replies.tool_use("get_weather", {"city": "Paris", "unit": "celsius"}))
    deltas = [data["delta"] for name, data in events if name == "content_block_delta"]
    assert deltas[0] == {"type": "input_json_delta", "partial_json": ""}
    assert json.loads("".join(d["partial_json"] for d in deltas)) == {"city": "Paris", "unit": "celsius"}
    assert events[1][1]["content_block"]["input"] == {}
    assert message["content"][0]["id"].startswith("toolu_01")
    assert message["stop_reason"] == "tool_use"


def test_thinking_ends_with_an_empty_delta_and_a_signature() -> None:
    message, events = render(replies.thinking("Let me think") + replies.text("Yes"))
    deltas = [data["delta"] for name, data in events if name == "content_block_delta" and data["index"] == 0]
    assert [d["type"] for d in deltas][-2:] == ["thinking_delta", "signature_delta"]
    assert deltas[-2]["thinking"] == ""
    assert deltas[-1]["signature"] == message["content"][0]["signature"]
    assert [block["type"] for block in message["content"]] == ["thinking", "text"]


def test_max_tokens_cuts_content_and_sets_the_stop_reason() -> None:
    message, _ = render(replies.text("a b c d e") + replies.tool_use("t", {}), max_tokens=3)
    assert message["content"] == [{"type": "text", "text": "a b c"}]
    assert message["stop_reason"] == "max_tokens"


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


def message_request(stream: bool = False) -> Incoming:
    body = {"model": "m", "max_tokens": 100, "messages": [{"role": "user", "content": "hi"}], "stream": stream}
    return Incoming("POST", "/v1/messages", {}, HEADERS, json.dumps(body).encode())


def plan_for(script: str, stream: bool = True) -> Plan:
    (step,) = parse_script(script)
    return Api().respond(message_request(stream), step, now=0)


def test_drop_plan_sends_k_counted_events_then_cuts() -> None:
    plan = plan_for("drop(after=3)")
    assert isinstance(plan.actions[0], Head) and plan.actions[-1] is CUT
    sent = b"".join(a.data for a in plan.actions if isinstance(a, Send))
    assert [name for name, _ in parse_sse(sent)] == ["message_start", "content_block_start", "ping",
                                                     "content_block_delta"]
    assert sum(a.events for a in plan.actions if isinstance(a, Send)) == 3


def test_error_statuses_carry_retry_headers() -> None:
    head = plan_for("rate_limited(retry_after=1.5, retry_after_ms=1500, should_retry=true)").head
    assert head is not None and head.status == 429
    assert (head.header("retry-after"), head.header("retry-after-ms"), head.header("x-should-retry")) == (
        "1.5", "1500", "true")
    assert head.header("request-id", ).startswith("req_")  # type: ignore[union-attr]


def test_non_streaming_faults_apply_to_the_json_body() -> None:
    plan = plan_for("truncate(after=1)", stream=False)
    body = b"".join(a.data for a in plan.actions if isinstance(a, Send))
    full = b"".join(a.data for a in plan_for("ok", stream=False).actions if isinstance(a, Send))
    assert 0 < len(body) < len(full) and full.startswith(body)
    assert plan_for("error_event", stream=False).head.status == 529  # type: ignore[union-attr]
    assert isinstance(plan_for("slow(ttft=5, tps=2)", stream=False).actions[0], Wait)


def test_cursor_applies_the_read_timeout_to_each_silence() -> None:
    plan = Plan.of(Head(200, ()), Send(b"a", 1), Wait(5), Wait(5), Send(b"b", 1))
    assert plan.actions[2] == Wait(10), "adjacent waits are one silence"
    cursor = Cursor(plan, read_timeout=9)
    assert [cursor.next().then for _ in range(2)] == [plan.actions[0], plan.actions[1]]
    step = cursor.next()
    assert (step.wait, step.then) == (9, READ_TIMEOUT)
    relaxed = Cursor(plan, read_timeout=10)
    assert [(s.wait, s.then) for s in (relaxed.next(), relaxed.next(), relaxed.next(), relaxed.next())][2:] == [
        (10, plan.actions[3]), (0, END)]


def test_cursor_without_timeout_reports_forever() -> None:
    assert Cursor(Plan.of(Wait(math.inf)), None).next().then is FOREVER
    assert Cursor(Plan.of(Wait(math.inf)), 600).next().wait == 600


def test_plans_reject_impossible_shapes() -> None:
    with pytest.raises(ValueError):
        Plan.of(Send(b"x"))
    with pytest.raises(ValueError):
        Plan.of(Head(200, ()), REFUSE)
    with pytest.raises(ValueError):
        Plan.of(Head(200, ()), CUT, Send(b"x"))


@pytest.mark.parametrize(
    ("method", "path", "headers", "body", "status", "error_type"),
    [
        ("POST", "/v1/messages", HEADERS, b"{not json", 400, "invalid_request_error"),
        ("POST", "/v1/messages", HEADERS, b'{"model": "m", "messages": []}', 400, "invalid_request_error"),
        ("POST", "/v1/messages", {"anthropic-version": "x"}, b"{}", 401, "authentication_error"),
        ("POST", "/v1/messages", {"x-api-key": "k"}, b"{}", 400, "invalid_request_error"),
        ("GET", "/v1/messages", HEADERS, b"", 405, "invalid_request_error"),
        ("POST", "/v2/everything", HEADERS, b"{}", 404, "not_found_error"),
        ("GET", "/v1/models", HEADERS, b"", None, None),
    ],
)
def test_malformed_requests_get_anthropic_shaped_errors(
    method: str, path: str, headers: dict, body: bytes, status: int | None, error_type: str | None
) -> None:
    plan = Api().reject(Incoming(method, path, {}, headers, body), now=0)
    if status is None:
        assert plan is None
        return
    assert plan is not None and plan.head is not None and plan.head.status == status
    sent = json.loads(b"".join(a.data for a in plan.actions if isinstance(a, Send)))
    assert sent["type"] == "error" and sent["error"]["type"] == error_type


@pytest.mark.parametrize("text", ["Hello", " world", 'a "quoted" \\ word', "tab\tnew\nline \x01", "é ü 日本 🙂", ""])
def test_events_written_from_templates_are_the_bytes_their_data_encodes_to(text: str) -> None:
    from claude_fakes.wire.anthropic import MESSAGE_STOP, PING, SseEvent, block_stop, text_delta

    for event in (text_delta(3, text), block_stop(2), MESSAGE_STOP):
        assert event.frame == SseEvent(event.name, event.data).encode()
    assert PING.encode() == b'event: ping\ndata: {"type": "ping"}\n\n'
