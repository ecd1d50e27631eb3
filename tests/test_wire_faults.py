"""The wire faults that need more than one row of the matrix: idle closes, ping-kept stalls, proxy
pages, error codes, HTTP-date retry-afters, the statuses without a documented type, and the
workspace header. Each runs in every executor (``tests/drivers.py``) on the installed SDK.

Durations are short so that the socket executor, in real time, stays quick; the acceptance
figures at full size run in-process, where they cost no wall time.
"""

from __future__ import annotations

import json

import anthropic
import pytest

from claude_fakes import ClaudeFake
from claude_fakes.core.journal import Outcome
from claude_fakes.server import FakeServer

from .drivers import executors_for, run, streaming
from .sdk import HTTP, ON_HTTPX2, REQUEST


@pytest.fixture(scope="module")
def server():  # type: ignore[no-untyped-def]
    with FakeServer() as running:
        yield running


def causes(error: BaseException | None) -> list[str]:
    names = []
    while error is not None:
        names.append(f"{type(error).__module__.split('.')[0]}.{type(error).__name__}")
        error = error.__cause__ or error.__context__
    return names


IDLE_CLOSE = "hang(close_after=0.2)*3"
STALL_WITH_PINGS = "stall(after=2, seconds=1.5, ping_every=0.25)"
MALFORMED = "malformed(after=2)"
ERROR_CODE = "rate_limited(code=ramp_limit_exceeded, retry_after_ms=1)*3"
# The executors each runs in: every in-process one, and the socket rows tests/drivers.py keeps.


@pytest.mark.parametrize("executor", executors_for(IDLE_CLOSE))
def test_an_idle_request_closed_without_a_response_is_a_connection_error(executor: str, server: FakeServer) -> None:
    seen = run(executor, IDLE_CLOSE, {"timeout": 5}, server)
    if executor.startswith("aiohttp") and not ON_HTTPX2:
        # httpx-aiohttp 0.2 (the 0.x SDK's aiohttp transport) maps a lost connection to ConnectTimeout.
        assert isinstance(seen.error, anthropic.APITimeoutError)
    else:
        assert isinstance(seen.error, anthropic.APIConnectionError)
        assert not isinstance(seen.error, anthropic.APITimeoutError)
    assert seen.attempts == 3
    assert {exchange.outcome for exchange in seen.journal} == {Outcome.CUT}
    if not executor.startswith("aiohttp"):
        assert f"{HTTP.__name__}.RemoteProtocolError" in causes(seen.error)


def test_hang_close_after_30_three_times_takes_about_90_virtual_seconds() -> None:
    with ClaudeFake("hang(close_after=30)*3") as fake:
        with pytest.raises(anthropic.APIConnectionError) as info:
            anthropic.Anthropic().messages.create(**REQUEST)
    assert isinstance(info.value.__cause__, HTTP.RemoteProtocolError)
    assert str(info.value.__cause__) == "Server disconnected without sending a response."
    assert fake.attempts == 3
    assert 90 < fake.clock.elapsed < 92  # three 30 s waits and two backoffs of at most 1 s


@pytest.mark.parametrize("executor", executors_for(STALL_WITH_PINGS))
def test_pings_keep_a_stall_longer_than_the_read_timeout_alive(executor: str, server: FakeServer) -> None:
    # Over sockets the pings come in real time: 0.75 s of margin under the read timeout.
    seen = run(executor, STALL_WITH_PINGS, {"timeout": 1.0, "max_retries": 0}, server)
    if streaming(executor):
        assert seen.error is None and seen.message.stop_reason == "end_turn"
    else:
        # A JSON body cannot carry pings: the same stall is a plain one.
        assert isinstance(seen.error, anthropic.APITimeoutError)


def test_a_900_second_stall_kept_alive_by_pings_completes_under_a_60_second_timeout() -> None:
    with ClaudeFake("stall(after=2, seconds=900, ping_every=15)") as fake:
        with anthropic.Anthropic(timeout=60).messages.stream(**REQUEST) as stream:
            message = stream.get_final_message()
    assert message.stop_reason == "end_turn"
    assert fake.clock.elapsed == 900
    assert fake.journal[0].outcome == Outcome.COMPLETE


@pytest.mark.parametrize("executor", executors_for(MALFORMED))
def test_a_malformed_event_raises_json_decode_error(executor: str, server: FakeServer) -> None:
    seen = run(executor, MALFORMED, {}, server)
    assert isinstance(seen.error, json.JSONDecodeError)
    assert seen.attempts == 1


@pytest.mark.parametrize("body", ["text", "html"])
@pytest.mark.parametrize("executor", executors_for("proxy_error(status=503, body=text), ok"))
def test_a_proxy_page_is_retried_by_status_and_its_text_is_the_message(
    executor: str, body: str, server: FakeServer
) -> None:
    seen = run(executor, f"proxy_error(status=503, body={body})", {"max_retries": 0}, server)
    assert isinstance(seen.error, anthropic.InternalServerError)
    assert seen.error.status_code == 503
    expected = "upstream connect error" if body == "text" else "<title>503 Service Unavailable</title>"
    assert expected in str(seen.error)
    assert seen.error.request_id is None
    seen = run(executor, f"proxy_error(status=503, body={body}), ok", {}, server)
    assert (seen.error, seen.attempts) == (None, 2)


@pytest.mark.parametrize("executor", executors_for(ERROR_CODE))
def test_an_error_code_fills_the_details(executor: str, server: FakeServer) -> None:
    seen = run(executor, ERROR_CODE, {}, server)
    assert isinstance(seen.error, anthropic.RateLimitError)
    assert seen.error.body["error"]["details"] == {"error_code": "ramp_limit_exceeded"}  # type: ignore[index]
    if ON_HTTPX2:
        assert seen.error.error_code == "ramp_limit_exceeded"  # type: ignore[attr-defined]
        assert type(seen.error).__name__ == "RampLimitExceededError"


def test_status_takes_error_code_and_the_sdk_picks_the_class_by_both() -> None:
    with ClaudeFake("status(code=529, error_code=compaction_unavailable, should_retry=false)"):
        with pytest.raises(anthropic.APIStatusError) as info:
            anthropic.Anthropic().messages.create(**REQUEST)
    assert info.value.status_code == 529
    if ON_HTTPX2:
        assert type(info.value).__name__ == "CompactionUnavailableError"


@pytest.mark.parametrize("executor", ["sync", "async", "aiohttp"])
def test_a_retry_after_http_date_is_waited_out(executor: str, server: FakeServer) -> None:
    seen = run(executor, "rate_limited(retry_after=30, retry_after_date=true), ok", {}, server)
    assert seen.error is None and seen.attempts == 2
    first, second = seen.journal
    assert first.response_headers["retry-after"].endswith(" GMT")
    # The SDK waits date - time.time(): whole seconds, never less than asked.
    assert 30 <= second.start - (first.end or 0) < 31


def test_a_retry_after_http_date_over_sockets_is_waited_out_in_real_time(server: FakeServer) -> None:
    seen = run("socket", "rate_limited(retry_after=1, retry_after_date=true), ok", {}, server)
    assert seen.error is None and seen.attempts == 2
    first, second = seen.journal
    assert 1 <= second.start - (first.end or 0) < 4, "never less than asked; HTTP-dates have whole seconds"


def test_the_verdict_reads_an_http_date_retry_after() -> None:
    with ClaudeFake("rate_limited(retry_after=30, retry_after_date=true), ok") as fake:
        anthropic.Anthropic().messages.create(**REQUEST)
    fake.assert_retry_after_honoured()


STATUS_CLASSES = {408: ("RequestTimeoutError", "APIStatusError", True),
                  412: ("PreconditionFailedError", "APIStatusError", False),
                  422: ("UnprocessableEntityError", "UnprocessableEntityError", False),
                  431: ("RequestHeaderFieldsTooLargeError", "APIStatusError", False),
                  499: ("ClientClosedRequestError", "APIStatusError", False),
                  501: ("HTTPNotImplementedError", "InternalServerError", True),
                  503: ("ServiceUnavailableError", "InternalServerError", True)}


@pytest.mark.parametrize("status", sorted(STATUS_CLASSES))
@pytest.mark.parametrize("executor", ["sync", "async-stream", "aiohttp", "socket"])
def test_statuses_without_a_documented_type_get_their_sdk_class(
    status: int, executor: str, server: FakeServer
) -> None:
    on_httpx2, on_httpx, retried = STATUS_CLASSES[status]
    seen = run(executor, f"status(code={status}, retry_after_ms=1)*3", {}, server)
    expected = getattr(anthropic, on_httpx2 if ON_HTTPX2 else on_httpx)
    assert type(seen.error) is expected
    assert seen.attempts == (3 if retried else 1)
    error = seen.error.body["error"]["message"]  # type: ignore[union-attr,index]
    assert isinstance(error, str) and error != "Error"


@pytest.mark.parametrize("executor", ["aiohttp", "socket-stream"])
def test_the_workspace_id_in_every_executor(executor: str, server: FakeServer) -> None:
    seen = run(executor, "ok", {}, server)
    assert seen.journal[0].response_headers["anthropic-workspace-id"].startswith("wrkspc_01")


def test_responses_carry_a_workspace_id() -> None:
    with ClaudeFake("ok, overloaded(should_retry=false)"):
        client = anthropic.Anthropic()
        message = client.messages.create(**REQUEST)
        with pytest.raises(anthropic.APIStatusError) as info:
            client.messages.create(**REQUEST)
    if ON_HTTPX2:
        assert message._workspace_id is not None and message._workspace_id.startswith("wrkspc_01")
        assert info.value.workspace_id == message._workspace_id  # type: ignore[attr-defined]
    assert info.value.response.headers["anthropic-workspace-id"].startswith("wrkspc_01")


def test_ping_every_is_checked() -> None:
    with pytest.raises(ValueError, match="finite seconds"):
        ClaudeFake("stall(after=1, seconds=inf, ping_every=10)")
    with pytest.raises(ValueError, match="more than 100000 pings"):
        ClaudeFake("stall(after=1, seconds=1000000, ping_every=0.001)")


@pytest.mark.parametrize("stream", [False, True])
def test_malformed_past_the_end_breaks_the_last_event(stream: bool) -> None:
    with ClaudeFake("malformed(after=100)"):
        with pytest.raises(json.JSONDecodeError):
            if stream:
                with anthropic.Anthropic().messages.stream(**REQUEST) as events:
                    events.get_final_message()
            else:
                anthropic.Anthropic().messages.create(**REQUEST)
