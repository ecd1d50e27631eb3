"""The resilience verdict and the assertion helpers, on what the real SDK and user code do."""

from __future__ import annotations

import time

import anthropic
import pytest

from claude_fakes import ClaudeFake

from .sdk import HTTP, MODELS, REQUEST, SDK_MAJOR, client


def create(**options: object) -> None:
    anthropic.Anthropic(**options).messages.create(**REQUEST)  # type: ignore[arg-type]


@pytest.mark.claude_fake("overloaded*2, ok")
def test_the_sdks_own_retries_are_resilient(claude_fake: ClaudeFake) -> None:
    create()
    claude_fake.assert_attempts(3)
    claude_fake.assert_resilient()
    assert claude_fake.verdict().resilient and bool(claude_fake.verdict())
    assert claude_fake.waits_between_attempts == claude_fake.clock.sleeps


@pytest.mark.claude_fake("rate_limited(retry_after=20), ok")
def test_retry_after_honoured_by_the_sdk(claude_fake: ClaudeFake) -> None:
    create()
    claude_fake.assert_retry_after_honoured()


@pytest.mark.claude_fake("rate_limited(retry_after=90), ok")
def test_retry_after_above_60s_is_ignored_by_anthropic_0x(claude_fake: ClaudeFake) -> None:
    create()
    if SDK_MAJOR == 0:
        with pytest.raises(AssertionError, match=r"\[retry_after_ignored\] attempt #2 came 0.39\d*s after attempt "
                                                 r"#1's 429, which asked for 90s"):
            claude_fake.assert_retry_after_honoured()
    else:
        claude_fake.assert_retry_after_honoured()


def retry_every_second_ignoring_retry_after() -> None:
    """User code with its own retry loop that never reads retry-after."""
    client = anthropic.Anthropic(max_retries=0)
    for _ in range(2):
        try:
            client.messages.create(**REQUEST)
            break
        except anthropic.RateLimitError:
            time.sleep(1)


@pytest.mark.claude_fake("rate_limited(retry_after=20), ok")
def test_user_code_that_ignores_retry_after(claude_fake: ClaudeFake) -> None:
    retry_every_second_ignoring_retry_after()
    verdict = claude_fake.verdict()
    assert verdict.codes == ["retry_after_ignored"]
    assert "timeline" in str(verdict) and "time.sleep(1)" in str(verdict)


@pytest.mark.claude_fake("ok")
def test_nothing_to_honour_is_not_a_pass(claude_fake: ClaudeFake) -> None:
    create()
    with pytest.raises(AssertionError, match="no response with retry-after was followed by another attempt"):
        claude_fake.assert_retry_after_honoured()


@pytest.mark.claude_fake("invalid_request_error*3")
def test_retrying_a_final_status(claude_fake: ClaudeFake) -> None:
    client = anthropic.Anthropic(max_retries=0)
    for _ in range(3):
        try:
            client.messages.create(**REQUEST)
        except anthropic.BadRequestError:
            time.sleep(2)
    assert claude_fake.verdict().codes == ["final_status_retried", "final_status_retried"]


@pytest.mark.claude_fake("invalid_request_error(should_retry=true), ok")
def test_a_final_status_the_server_says_to_retry_is_fine(claude_fake: ClaudeFake) -> None:
    create()
    claude_fake.assert_resilient()


@pytest.mark.claude_fake("overloaded*5, ok")
def test_a_retry_storm(claude_fake: ClaudeFake) -> None:
    client = anthropic.Anthropic(max_retries=0)
    for _ in range(10):
        try:
            client.messages.create(**REQUEST)
            break
        except anthropic.APIStatusError:
            continue
    with pytest.raises(AssertionError) as info:
        claude_fake.assert_resilient()
    assert "[retry_storm] attempts #2 to #6: 5 retries with no backoff" in str(info.value)
    assert "6 attempt(s)" in str(info.value)


@pytest.mark.claude_fake("ok")
def test_no_read_timeout(claude_fake: ClaudeFake) -> None:
    create(timeout=None)
    assert claude_fake.verdict().codes == ["no_read_timeout"]
    claude_fake.assert_resilient(allow=["no_read_timeout"])


@pytest.mark.claude_fake("truncate(after=3)")
def test_a_truncated_stream_accepted(claude_fake: ClaudeFake) -> None:
    with anthropic.Anthropic().messages.stream(**REQUEST) as stream:
        message = stream.get_final_message()
    assert message.stop_reason is None
    (finding,) = claude_fake.verdict().findings
    assert finding.code == "truncated_stream_accepted" and finding.attempt == 1


@pytest.mark.claude_fake("drop(after=4)")
def test_a_mid_stream_failure_not_retried(claude_fake: ClaudeFake) -> None:
    with pytest.raises(HTTP.RemoteProtocolError):
        with anthropic.Anthropic().messages.stream(**REQUEST) as stream:
            stream.until_done()
    assert claude_fake.verdict().codes == ["stream_failure_not_retried"]


@pytest.mark.parametrize(("script", "codes"), [
    ("error_event(after=3, type=api_error)", ["stream_failure_not_retried"]),
    ("error_event(after=3, type=overloaded_error)", ["stream_failure_not_retried"]),
    ("error_event(after=3, type=invalid_request_error)", []),
])
def test_a_transient_error_event_not_retried(script: str, codes: list[str]) -> None:
    with ClaudeFake(script) as fake, pytest.raises(anthropic.APIStatusError):
        with anthropic.Anthropic().messages.stream(**REQUEST) as stream:
            stream.until_done()
    assert fake.verdict().codes == codes
    if codes:
        assert "error event (" in str(fake.verdict()) and "after 3 events" in str(fake.verdict())


def test_a_bedrock_exception_frame_not_retried_is_a_stream_failure() -> None:
    request = {**REQUEST, "model": MODELS["bedrock"]}
    with ClaudeFake("model_stream_error(after=3)") as fake, pytest.raises((anthropic.APIStatusError, ValueError)):
        with client("bedrock").messages.stream(**request) as stream:
            stream.until_done()
    assert fake.verdict().codes == ["stream_failure_not_retried"]
    assert "error event (modelStreamErrorException, transient) after 3 events" in str(fake.verdict())


@pytest.mark.claude_fake("drop(after=4), ok")
def test_a_mid_stream_failure_retried_by_the_app_is_fine(claude_fake: ClaudeFake) -> None:
    client = anthropic.Anthropic()
    for _ in range(2):
        try:
            with client.messages.stream(**REQUEST) as stream:
                stream.until_done()
            break
        except HTTP.RemoteProtocolError:
            continue
    claude_fake.assert_resilient()


@pytest.mark.claude_fake("overloaded")
def test_assert_attempts_shows_the_timeline(claude_fake: ClaudeFake) -> None:
    with pytest.raises(anthropic.OverloadedError):
        create(max_retries=0)
    with pytest.raises(AssertionError, match=r"expected 2 attempt\(s\), the fake saw 1\nclaude_fakes timeline"):
        claude_fake.assert_attempts(2)
