"""One test per script action, on the real SDK, in every mode: sync and async, streaming and not.

Each asserts what ../shared/reference/claude-wire.md says a user of that SDK sees against the real
API: the exception class (from the right package), the number of attempts, the virtual time.
"""

from __future__ import annotations

import json

import anthropic
import pytest

from claude_fakes import ClaudeFake, Outcome, faults, replies

from .sdk import HTTP, MODES, ON_HTTPX2, call, content_events

DEFAULT_RETRIES = 2


def streaming(mode: str) -> bool:
    return mode.endswith("stream")


def backoff(fake: ClaudeFake) -> float:
    return sum(fake.clock.sleeps)


@pytest.mark.parametrize("mode", MODES)
def test_ok_is_a_normal_reply(mode: str) -> None:
    with ClaudeFake("ok") as fake:
        seen = call(mode)
    assert seen.error is None
    assert seen.text == replies.DEFAULT_TEXT
    assert seen.message.stop_reason == "end_turn"
    assert fake.attempts == 1 and fake.clock.elapsed == 0
    if streaming(mode):
        assert content_events(seen.events)[:2] == ["message_start", "content_block_start"]
        assert content_events(seen.events)[-3:] == ["content_block_stop", "message_delta", "message_stop"]


@pytest.mark.parametrize("mode", MODES)
def test_ok_with_thinking_and_a_tool_call(mode: str) -> None:
    reply = replies.thinking("The user wants the weather.") + replies.tool_use("get_weather", {"city": "Paris"})
    with ClaudeFake(reply):
        seen = call(mode)
    assert seen.error is None
    thinking, tool = seen.message.content
    assert (thinking.type, thinking.thinking) == ("thinking", "The user wants the weather.")
    assert thinking.signature
    assert (tool.type, tool.name, tool.input) == ("tool_use", "get_weather", {"city": "Paris"})
    assert tool.id.startswith("toolu_01")
    assert seen.message.stop_reason == "tool_use"


@pytest.mark.parametrize("mode", MODES)
def test_hang_times_out_on_every_attempt(mode: str) -> None:
    with ClaudeFake("hang*3") as fake:
        seen = call(mode)
    assert isinstance(seen.error, anthropic.APITimeoutError)
    assert isinstance(seen.error.__cause__, HTTP.ReadTimeout)
    assert fake.attempts == 3
    assert fake.clock.elapsed == pytest.approx(3 * 600 + backoff(fake))
    assert [e.outcome for e in fake.journal] == [Outcome.READ_TIMEOUT] * 3


@pytest.mark.parametrize("mode", MODES)
def test_hang_uses_the_clients_own_timeout(mode: str) -> None:
    with ClaudeFake("hang, ok") as fake:
        seen = call(mode, {"timeout": 12.5})
    assert seen.error is None
    assert fake.journal[0].timeout["read"] == 12.5
    assert fake.clock.elapsed == pytest.approx(12.5 + backoff(fake))


@pytest.mark.parametrize("mode", MODES)
def test_refuse_is_a_connection_error_and_is_retried(mode: str) -> None:
    with ClaudeFake("refuse*3") as fake:
        seen = call(mode)
    assert type(seen.error) is anthropic.APIConnectionError
    assert isinstance(seen.error.__cause__, HTTP.ConnectError)
    assert fake.attempts == 3


@pytest.mark.parametrize("mode", MODES)
def test_reset_before_the_response_is_retried(mode: str) -> None:
    with ClaudeFake("reset*3") as fake:
        seen = call(mode)
    assert type(seen.error) is anthropic.APIConnectionError
    assert isinstance(seen.error.__cause__, HTTP.ReadError)
    assert fake.attempts == 3
    assert [e.outcome for e in fake.journal] == [Outcome.RESET] * 3


@pytest.mark.parametrize("mode", MODES)
def test_reset_mid_body(mode: str) -> None:
    with ClaudeFake("reset(after=3)*3", strict=not streaming(mode)) as fake:
        seen = call(mode)
    if streaming(mode):
        assert type(seen.error) is HTTP.ReadError
        assert fake.attempts == 1
    else:
        assert type(seen.error) is anthropic.APIConnectionError
        assert fake.attempts == 3


@pytest.mark.parametrize("mode", MODES)
def test_garbage_instead_of_a_response(mode: str) -> None:
    with ClaudeFake("garbage*3") as fake:
        seen = call(mode)
    assert type(seen.error) is anthropic.APIConnectionError
    assert isinstance(seen.error.__cause__, HTTP.RemoteProtocolError)
    assert fake.attempts == 3


STATUS_ERRORS = [
    # action, status, error.type, class on anthropic >= 1.0, class on 0.x, retried
    ("overloaded", 529, "overloaded_error", "OverloadedError", "OverloadedError", True),
    ("api_error", 500, "api_error", "InternalServerError", "InternalServerError", True),
    ("rate_limited", 429, "rate_limit_error", "RateLimitError", "RateLimitError", True),
    ("timeout_error", 504, "timeout_error", "GatewayTimeoutError", "InternalServerError", True),
    ("conflict_error", 409, "conflict_error", "ConflictError", "ConflictError", True),
    ("status(code=503)", 503, "api_error", "ServiceUnavailableError", "InternalServerError", True),
    ("status(code=502)", 502, "api_error", "InternalServerError", "InternalServerError", True),
    ("invalid_request_error", 400, "invalid_request_error", "BadRequestError", "BadRequestError", False),
    ("authentication_error", 401, "authentication_error", "AuthenticationError", "AuthenticationError", False),
    ("billing_error", 402, "billing_error", "PaymentRequiredError", "APIStatusError", False),
    ("permission_error", 403, "permission_error", "PermissionDeniedError", "PermissionDeniedError", False),
    ("not_found_error", 404, "not_found_error", "NotFoundError", "NotFoundError", False),
    ("request_too_large", 413, "request_too_large", "ContentTooLargeError", "RequestTooLargeError", False),
    ("status(code=422)", 422, "invalid_request_error", "UnprocessableEntityError", "UnprocessableEntityError", False),
]


@pytest.mark.parametrize("mode", MODES)
@pytest.mark.parametrize(
    ("action", "status", "error_type", "class_on_httpx2", "class_on_httpx", "retried"),
    STATUS_ERRORS,
    ids=[row[0] for row in STATUS_ERRORS],
)
def test_status_errors_raise_the_sdks_class_after_its_retries(
    mode: str, action: str, status: int, error_type: str, class_on_httpx2: str, class_on_httpx: str, retried: bool
) -> None:
    attempts = 1 + DEFAULT_RETRIES if retried else 1
    with ClaudeFake(f"{action}*{attempts}") as fake:
        seen = call(mode)
    assert type(seen.error) is getattr(anthropic, class_on_httpx2 if ON_HTTPX2 else class_on_httpx)
    assert isinstance(seen.error, anthropic.APIStatusError) and seen.error.status_code == status
    assert seen.error.body["error"]["type"] == error_type
    assert seen.error.request_id is not None and seen.error.request_id.startswith("req_")
    assert fake.attempts == attempts
    assert [e.retry_count for e in fake.journal] == list(range(attempts))


@pytest.mark.parametrize("mode", MODES)
def test_should_retry_header_overrides_the_status(mode: str) -> None:
    with ClaudeFake("overloaded(should_retry=false)") as fake:
        seen = call(mode)
    assert isinstance(seen.error, anthropic.OverloadedError)
    assert fake.attempts == 1
    with ClaudeFake("invalid_request_error(should_retry=true), ok") as fake:
        seen = call(mode)
    assert seen.error is None and fake.attempts == 2


@pytest.mark.parametrize("mode", MODES)
def test_drop(mode: str) -> None:
    with ClaudeFake("drop(after=3)*3", strict=not streaming(mode)) as fake:
        seen = call(mode)
    if streaming(mode):
        # Mid-stream failures are raw transport errors, never retried (claude-wire.md section 4).
        assert type(seen.error) is HTTP.RemoteProtocolError
        assert content_events(seen.events) == ["message_start", "content_block_start", "content_block_delta"]
        assert fake.attempts == 1
        assert fake.journal[0].outcome == Outcome.CUT and fake.journal[0].events == 3
    else:
        # A non-streaming body is read inside send(): the SDK wraps the cut and retries it.
        assert type(seen.error) is anthropic.APIConnectionError
        assert isinstance(seen.error.__cause__, HTTP.RemoteProtocolError)
        assert fake.attempts == 3


@pytest.mark.parametrize("mode", MODES)
def test_stall_longer_than_the_read_timeout(mode: str) -> None:
    with ClaudeFake("stall(after=2, seconds=700)*3", strict=not streaming(mode)) as fake:
        seen = call(mode)
    if streaming(mode):
        assert type(seen.error) is HTTP.ReadTimeout
        assert content_events(seen.events) == ["message_start", "content_block_start"]
        assert fake.attempts == 1
        assert fake.clock.elapsed == 600
    else:
        assert isinstance(seen.error, anthropic.APITimeoutError)
        assert fake.attempts == 3
        assert fake.clock.elapsed == pytest.approx(1800 + backoff(fake))


@pytest.mark.parametrize("mode", MODES)
def test_stall_shorter_than_the_read_timeout_is_just_slow(mode: str) -> None:
    with ClaudeFake("stall(after=2, seconds=30)") as fake:
        seen = call(mode)
    assert seen.error is None
    assert seen.text == replies.DEFAULT_TEXT
    assert fake.clock.elapsed == 30


@pytest.mark.parametrize("mode", MODES)
def test_error_event(mode: str) -> None:
    with ClaudeFake("error_event(after=2)*3", strict=not streaming(mode)) as fake:
        seen = call(mode)
    if streaming(mode):
        # The class is chosen from the 200 response: plain APIStatusError, status 200, no retry.
        assert type(seen.error) is anthropic.APIStatusError
        assert seen.error.status_code == 200
        assert seen.error.body["error"]["type"] == "overloaded_error"
        assert fake.attempts == 1
    else:
        # Without streaming the same failure is an HTTP 529.
        assert isinstance(seen.error, anthropic.OverloadedError)
        assert fake.attempts == 3


@pytest.mark.parametrize("mode", MODES)
def test_truncate(mode: str) -> None:
    with ClaudeFake("truncate(after=3)") as fake:
        seen = call(mode)
    assert fake.attempts == 1
    if streaming(mode):
        # Silent data loss: no exception, a partial message with no stop_reason.
        assert seen.error is None
        assert seen.message.stop_reason is None
        assert seen.text == "Hello!"
    else:
        # A JSON body that ends early but cleanly is not a transport error: the SDK's JSON parsing fails.
        assert isinstance(seen.error, json.JSONDecodeError)


@pytest.mark.parametrize("mode", MODES)
def test_slow_long_generation_times_out_unless_streamed(mode: str) -> None:
    # 5 s to the first token, then 10 tokens a second: 2,000 tokens take 205 s in all, and no
    # single gap between stream events comes near the 60 s read timeout.
    long_reply = replies.text(" ".join(["word"] * 2000))
    with ClaudeFake(faults.slow(ttft=5, tps=10, reply=long_reply) * 3, strict=not streaming(mode)) as fake:
        seen = call(mode, {"timeout": 60}, max_tokens=4096)
    if streaming(mode):
        assert seen.error is None
        assert seen.message.usage.output_tokens == 2000
        assert fake.attempts == 1
        assert fake.clock.elapsed == pytest.approx(5 + 1999 / 10)
    else:
        assert isinstance(seen.error, anthropic.APITimeoutError)
        assert fake.attempts == 3
        assert fake.clock.elapsed == pytest.approx(3 * 60 + backoff(fake))


@pytest.mark.parametrize("mode", MODES)
def test_max_tokens_cuts_the_reply_like_the_api(mode: str) -> None:
    with ClaudeFake(replies.text("one two three four five six")):
        seen = call(mode, max_tokens=4)
    assert seen.message.stop_reason == "max_tokens"
    assert seen.text == "one two three four"
    assert seen.message.usage.output_tokens == 4
