"""executors/http1.py: a run's plan performed as HTTP/1.1 bytes over an in-memory ByteWire."""

from __future__ import annotations

import asyncio
import json
from dataclasses import dataclass, field

import h11
import pytest

from claude_fakes.core.clock import Clock
from claude_fakes.core.journal import Outcome
from claude_fakes.core.plan import CUT, GARBAGE, REFUSE, RESET, Head, Plan, Response, Send, Wait
from claude_fakes.core.request import Incoming
from claude_fakes.engine.engine import Engine, Run
from claude_fakes.executors.http1 import (
    FLUSH_BYTES,
    LAST_CHUNK,
    ClientGone,
    incoming_of,
    perform,
    pieced_response,
    response_head,
    wants_close,
    whole_response,
)
from claude_fakes.wire.http import GARBAGE_BYTES

JSON_HEAD = Head(200, (("content-type", "application/json"),))
SSE_HEAD = Head(200, (("content-type", "text/event-stream; charset=utf-8"),))


@dataclass
class MemoryWire:
    """A ByteWire that records what the server did, in order; ``leaves_after`` silences, the client goes."""

    leaves_after: int | None = None
    log: list[tuple[str, object]] = field(default_factory=list)

    async def write(self, data: bytes) -> None:
        self.log.append(("write", data))

    async def silence(self, seconds: float | None) -> None:
        self.log.append(("silence", seconds))
        if self.leaves_after is not None and self.silences >= self.leaves_after:
            raise ClientGone

    async def close(self) -> None:
        self.log.append(("close", None))

    def reset(self) -> None:
        self.log.append(("reset", None))

    def refuse(self) -> None:
        self.log.append(("refuse", None))

    @property
    def silences(self) -> int:
        return sum(1 for kind, _ in self.log if kind == "silence")

    @property
    def written(self) -> bytes:
        return b"".join(data for kind, data in self.log if kind == "write")  # type: ignore[misc]


def run_of(plan: Plan, read: float | None = 60.0) -> Run:
    engine = Engine(Clock())
    body = b'{"model": "m", "max_tokens": 5, "messages": [{"role": "user", "content": "hi"}]}'
    headers = {"x-api-key": "k", "anthropic-version": "1"}
    run = engine.begin(Incoming("POST", "/v1/messages", {}, headers, body), {"read": read})
    return Run(engine, run.exchange, plan, None)


def perform_plan(plan: Plan, wire: MemoryWire, keep_alive: bool = True) -> tuple[bool, Run]:
    run = run_of(plan)
    return asyncio.run(perform(run, wire, keep_alive=keep_alive)), run


def parse(data: bytes) -> tuple[h11.Response, bytes, bool]:
    """The response h11 reads from ``data``: its head, its body, and whether the body was complete."""
    __tracebackhide__ = True
    client = h11.Connection(h11.CLIENT)
    client.send(h11.Request(method="POST", target="/", headers=[("host", "x")]))
    client.send(h11.EndOfMessage())
    client.receive_data(data)
    client.receive_data(b"")
    head, body, complete = None, b"", False
    for _ in range(len(data) + 2):  # bounded: at least one byte per event
        try:
            event = client.next_event()
        except h11.RemoteProtocolError:  # the connection closed mid-body
            break
        if isinstance(event, h11.Response):
            head = event
        elif isinstance(event, h11.Data):
            body += event.data
        elif isinstance(event, h11.EndOfMessage):
            complete = True
        else:
            break
    assert head is not None, data
    return head, body, complete


def test_a_json_reply_is_one_write_with_a_content_length() -> None:
    wire = MemoryWire()
    again, run = perform_plan(Plan.of(JSON_HEAD, Send(b'{"a":1}')), wire)
    assert again is True and [kind for kind, _ in wire.log] == ["write"]
    assert wire.written == (b"HTTP/1.1 200 OK\r\ncontent-type: application/json\r\ncontent-length: 7\r\n\r\n"
                            b'{"a":1}')
    assert run.exchange.outcome == Outcome.COMPLETE


def test_a_stream_is_chunked_even_when_it_goes_out_at_once() -> None:
    wire = MemoryWire()
    perform_plan(Plan.of(SSE_HEAD, Send(b"event: a\n\n", 1)), wire)
    head, body, complete = parse(wire.written)
    assert (b"transfer-encoding", b"chunked") in head.headers
    assert body == b"event: a\n\n" and complete and wire.written.endswith(LAST_CHUNK)


def test_bytes_are_flushed_before_each_silence_which_the_wire_keeps() -> None:
    wire = MemoryWire()
    _, run = perform_plan(Plan.of(Wait(2), SSE_HEAD, Send(b"a", 1), Wait(3), Send(b"b", 1)), wire)
    assert [kind if kind != "silence" else (kind, arg) for kind, arg in wire.log] == [
        ("silence", 2), "write", ("silence", 3), "write"]
    assert parse(wire.written)[1:] == (b"ab", True)
    assert run.exchange.events == 2


def test_a_long_body_goes_out_in_writes_of_about_flush_bytes() -> None:
    wire = MemoryWire()
    events = 4 * FLUSH_BYTES // 100
    pieces = [(0.0, Send(b"x" * 99 + b"\n", 1))] * events
    _, run = perform_plan(Response(0.0, SSE_HEAD, pieces).whole(), wire)
    writes = [data for kind, data in wire.log if kind == "write"]
    assert len(writes) >= 4 and all(FLUSH_BYTES <= len(data) < FLUSH_BYTES + 200 for data in writes[:-1])
    assert parse(wire.written)[1:] == ((b"x" * 99 + b"\n") * events, True)
    assert (run.exchange.outcome, run.exchange.events) == (Outcome.COMPLETE, events)


def test_a_cut_stream_closes_without_the_last_chunk() -> None:
    wire = MemoryWire()
    again, run = perform_plan(Plan.of(SSE_HEAD, Send(b"a", 1), CUT), wire)
    assert again is False and wire.log[-1] == ("close", None)
    assert not wire.written.endswith(LAST_CHUNK)
    assert parse(wire.written)[1:] == (b"a", False)
    assert run.exchange.outcome == Outcome.CUT


def test_a_reset_flushes_then_resets() -> None:
    wire = MemoryWire()
    again, run = perform_plan(Plan.of(SSE_HEAD, Send(b"a", 1), RESET), wire)
    assert again is False and [kind for kind, _ in wire.log] == ["write", "reset"]
    assert run.exchange.outcome == Outcome.RESET


@pytest.mark.parametrize(("plan", "log", "outcome"), [
    (Plan.of(REFUSE), ["refuse"], Outcome.REFUSED),
    (Plan.of(GARBAGE), ["write", "close"], Outcome.GARBAGE),
], ids=["refuse", "garbage"])
def test_no_response_instead_of_a_response(plan: Plan, log: list[str], outcome: str) -> None:
    wire = MemoryWire()
    assert perform_plan(plan, wire)[0] is False
    assert [kind for kind, _ in wire.log] == log
    assert wire.written == (GARBAGE_BYTES if plan.actions[0] is GARBAGE else b"")


def test_an_endless_silence_waits_for_the_client_to_leave() -> None:
    wire = MemoryWire(leaves_after=1)
    again, run = perform_plan(Plan.of(Wait(float("inf"))), wire)
    assert again is False and wire.log == [("silence", None)]
    assert run.exchange.outcome == Outcome.CLIENT_CLOSED


def test_a_client_leaving_mid_stall_is_closed_by_client_and_not_counted_for_what_came_after() -> None:
    wire = MemoryWire(leaves_after=1)
    _, run = perform_plan(Plan.of(SSE_HEAD, Send(b"a", 1), Wait(30), Send(b"b", 1)), wire)
    assert run.exchange.outcome == Outcome.CLIENT_CLOSED
    assert parse(wire.written)[1] == b"a"
    assert run.exchange.events == 1


def test_a_head_behind_a_silence_the_client_left_during_is_not_journalled() -> None:
    wire = MemoryWire(leaves_after=1)
    _, run = perform_plan(Plan.of(Wait(30), JSON_HEAD, Send(b"{}", 1)), wire)
    assert run.exchange.outcome == Outcome.CLIENT_CLOSED
    assert (run.exchange.status, run.exchange.events, wire.written) == (None, 0, b"")


def test_without_keep_alive_the_response_says_close_and_the_connection_closes() -> None:
    wire = MemoryWire()
    again, _ = perform_plan(Plan.of(JSON_HEAD, Send(b"{}")), wire, keep_alive=False)
    assert again is False and wire.log[-1] == ("close", None)
    assert (b"connection", b"close") in parse(wire.written)[0].headers


def test_response_head_and_whole_response() -> None:
    assert response_head(529, [("x", "1")]) == b"HTTP/1.1 529 \r\nx: 1\r\n\r\n"
    data = whole_response(404, [("content-type", "application/json")], b"{}", close=True)
    head, body, complete = parse(data)
    assert head.status_code == 404 and body == b"{}" and complete
    assert (b"connection", b"close") in head.headers


def test_incoming_of_splits_the_query_and_lower_cases_headers() -> None:
    request = h11.Request(method="get", target="/v1/models?limit=2&after_id=", headers=[("Host", "x"), ("X-A", "1")])
    incoming = incoming_of(request, b"")
    assert (incoming.method, incoming.path, dict(incoming.query)) == ("GET", "/v1/models",
                                                                      {"limit": "2", "after_id": ""})
    assert incoming.headers == {"host": "x", "x-a": "1"}


@pytest.mark.parametrize(("version", "connection", "close"), [
    (b"1.1", None, False), (b"1.1", "close", True), (b"1.1", "Keep-Alive, Close", True), (b"1.0", None, True),
], ids=["default-keep-alive", "close", "close-in-a-list", "http-1.0"])
def test_wants_close(version: bytes, connection: str | None, close: bool) -> None:
    headers = [("host", "x")] + ([("connection", connection)] if connection else [])
    request = h11.Request(method="GET", target="/", headers=headers, http_version=version)
    assert wants_close(request, incoming_of(request, b"")) is close


def test_a_planned_reply_parses_as_the_engines_json() -> None:
    engine = Engine(Clock())
    body = b'{"model": "m", "max_tokens": 5, "messages": [{"role": "user", "content": "hi"}]}'
    run = engine.begin(Incoming("POST", "/v1/messages", {}, {"x-api-key": "k", "anthropic-version": "1"}, body), {})
    wire = MemoryWire()
    asyncio.run(perform(run, wire))
    head, data, complete = parse(wire.written)
    assert head.status_code == 200 and complete and json.loads(data)["type"] == "message"


def test_a_pieced_response_is_chunked_and_written_a_batch_at_a_time() -> None:
    wire = MemoryWire()
    pieces = [b"x" * 1000] * (3 * FLUSH_BYTES // 1000)
    asyncio.run(pieced_response(wire, 200, [("content-type", "application/json")], iter([b"", *pieces]), close=True))
    head, body, complete = parse(wire.written)
    assert head.status_code == 200 and (b"connection", b"close") in head.headers
    assert body == b"".join(pieces) and complete and len(wire.log) >= 3
