"""Claude on Amazon Bedrock: throttling, a failure inside a stream, and a hang.

Bedrock has its own wire: ``/model/{id}/invoke`` and ``invoke-with-response-stream``, whose body
is binary event-stream frames, and errors named by ``x-amzn-errortype``. The SDK retries
Bedrock's 429 ``ThrottlingException`` like any 429, with its own backoff (Bedrock sends no
``retry-after``). A failure *inside* a stream is an exception frame, and nothing retries it: the
200 has been received. anthropic 2.x raises ``APIStatusError`` with ``status_code == 200`` and
the exception's name as the error type; anthropic 0.125 raises a bare ``ValueError`` from the
frame decoder. An application that streams must catch both and start the stream again; an
exploration of every fault schedule shows that a restarter that forgets dropped connections
still loses the answer.
"""

from __future__ import annotations

import importlib

import anthropic
import pytest

from claude_fakes import ClaudeFake

http = importlib.import_module("httpx2" if int(anthropic.__version__.split(".")[0]) >= 1 else "httpx")
MODEL = "anthropic.claude-sonnet-4-5-20250929-v1:0"
PROMPT: list[anthropic.types.MessageParam] = [{"role": "user", "content": "Summarise the report."}]


def bedrock(timeout: float = 600) -> anthropic.AnthropicBedrock:
    # No keys here: while a fake is active it supplies dummy AWS credentials and a region.
    return anthropic.AnthropicBedrock(timeout=timeout)


def failed_inside_the_stream(err: Exception) -> bool:
    """A Bedrock exception frame after the stream began, as either SDK generation raises it."""
    if isinstance(err, anthropic.APIStatusError):
        return err.status_code == 200
    return isinstance(err, ValueError) and str(err).startswith("Bad response code, expected 200")


def stream_text(client: anthropic.AnthropicBedrock, attempts: int = 3) -> str:
    """Stream a reply; a stream that fails midway is started again, up to ``attempts`` times."""
    for attempt in range(1, attempts + 1):
        try:
            with client.messages.stream(model=MODEL, max_tokens=1024, messages=PROMPT) as stream:
                return stream.get_final_text()
        except (anthropic.APIStatusError, ValueError) as err:
            if not failed_inside_the_stream(err) or attempt == attempts:
                raise
    raise AssertionError("unreachable: the last attempt returns or raises")


@pytest.mark.claude_fake("throttling*2, ok")
def test_the_sdk_retries_throttling_with_its_own_backoff(claude_fake: ClaudeFake) -> None:
    bedrock().messages.create(model=MODEL, max_tokens=1024, messages=PROMPT)
    assert [exchange.status for exchange in claude_fake.journal] == [429, 429, 200]
    first = claude_fake.journal[0]
    assert first.path == f"/model/{MODEL}/invoke"
    assert first.response_headers["x-amzn-errortype"].startswith("ThrottlingException")
    assert "retry-after" not in first.response_headers
    assert len(claude_fake.clock.sleeps) == 2, "the SDK's backoff: Bedrock says nothing of when to come back"


@pytest.mark.claude_fake("throttling*3")
def test_throttling_that_outlasts_the_retries(claude_fake: ClaudeFake) -> None:
    with pytest.raises(anthropic.RateLimitError) as throttled:
        bedrock().messages.create(model=MODEL, max_tokens=1024, messages=PROMPT)
    assert throttled.value.body == {"message": "Too many requests, please wait before trying again."}
    claude_fake.assert_attempts(3)


@pytest.mark.claude_fake("model_stream_error(after=3)")
def test_an_exception_frame_inside_the_stream_is_not_retried(claude_fake: ClaudeFake) -> None:
    with pytest.raises((anthropic.APIStatusError, ValueError)) as failed:
        with bedrock().messages.stream(model=MODEL, max_tokens=1024, messages=PROMPT) as stream:
            stream.get_final_text()
    assert failed_inside_the_stream(failed.value)
    assert "modelStreamErrorException" in str(failed.value)
    claude_fake.assert_attempts(1)


@pytest.mark.claude_fake('model_stream_error(after=3), ok(text="The report, in short.")')
def test_starting_the_stream_again_recovers(claude_fake: ClaudeFake) -> None:
    assert stream_text(bedrock()) == "The report, in short."
    claude_fake.assert_attempts(2)
    assert [exchange.json["stream"] for exchange in claude_fake.journal] == [True, True]


@pytest.mark.claude_fake("hang*3")
def test_a_hang_is_three_timeouts_on_the_virtual_clock(claude_fake: ClaudeFake) -> None:
    with pytest.raises(anthropic.APITimeoutError):
        bedrock(timeout=60).messages.create(model=MODEL, max_tokens=1024, messages=PROMPT)
    claude_fake.assert_attempts(3)
    assert 180 <= claude_fake.clock.elapsed < 190, "three 60 s timeouts and the backoff between them, in no real time"


def test_overload_on_bedrock_is_a_503() -> None:
    # ServiceUnavailableError on both generations (in 0.125 it is no InternalServerError).
    with ClaudeFake("overloaded*3") as fake, pytest.raises(anthropic.ServiceUnavailableError) as unavailable:
        bedrock().messages.create(model=MODEL, max_tokens=1024, messages=PROMPT)
    assert unavailable.value.status_code == 503, "Bedrock's ServiceUnavailableException, never a 529"
    assert fake.journal[0].response_headers["x-amzn-errortype"].startswith("ServiceUnavailableException")


# Built once: an exploration runs its body once per schedule.
shared = anthropic.AnthropicBedrock(aws_region="us-east-1")
STREAM_FAULTS = ["throttling", "model_stream_error(after=2)", "drop(after=2)"]


def stream_text_restarting_on_anything(client: anthropic.AnthropicBedrock, attempts: int = 3) -> str:
    """:func:`stream_text`, also starting again when the connection itself drops midway."""
    for attempt in range(1, attempts + 1):
        try:
            return stream_text(client, attempts=1)
        except (anthropic.APIStatusError, ValueError, http.TransportError):
            if attempt == attempts:
                raise
    raise AssertionError("unreachable: the last attempt returns or raises")


def test_exploring_finds_the_drop_the_restarter_forgot() -> None:
    def whole_answer() -> None:
        assert stream_text(shared) == "Hello! This is a reply from claude_fakes."

    report = ClaudeFake().explore(whole_answer, faults=STREAM_FAULTS, attempts=2)
    # Attempt 2 comes only after throttling (the SDK's retry) or an exception frame (the helper's): after
    # ok or a drop, the 4 schedules that differ only there are one run.
    assert (report.runs, report.space.size) == (10, 16)
    assert report.minimal == "drop(after=0)", "shrunk: a connection lost before the first frame is enough"


@pytest.mark.claude_explore(faults=STREAM_FAULTS, attempts=2)
def test_restarting_on_drops_too_survives_every_schedule(claude_fake: ClaudeFake) -> None:
    assert stream_text_restarting_on_anything(shared) == "Hello! This is a reply from claude_fakes."
