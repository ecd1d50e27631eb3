"""The latency model, gateways, rate-limit quotas and seeded chaos, on the real SDK."""

from __future__ import annotations

import anthropic
import pytest

from claude_fakes import ClaudeFake, Gateway, RateLimits, faults, replies
from claude_fakes.latency import REALISTIC
from claude_fakes.server import FakeServer

from .sdk import HTTP, ON_HTTPX2, REQUEST

OPUS_8K = {**REQUEST, "model": "claude-opus-4-7", "max_tokens": 8192}


def stream(client: anthropic.Anthropic, **request: object) -> anthropic.types.Message:
    with client.messages.stream(**{**REQUEST, **request}) as s:  # type: ignore[arg-type]
        return s.get_final_message()


# -- latency -------------------------------------------------------------------------------


@pytest.mark.claude_fake(latency="realistic")
def test_opus_8k_times_out_without_streaming_and_succeeds_streamed(claude_fake: ClaudeFake) -> None:
    client = anthropic.Anthropic(timeout=60, max_retries=0)
    with pytest.raises(anthropic.APITimeoutError):
        client.messages.create(**OPUS_8K)
    assert claude_fake.clock.elapsed == 60
    message = stream(client, **OPUS_8K)
    assert message.usage.output_tokens == 8192 and message.stop_reason == "end_turn"
    took = claude_fake.clock.elapsed - 60
    assert 60 <= took <= 120, "the seed's figure for an Opus-class 8,192-token reply"
    anthropic.Anthropic(max_retries=0).messages.create(**OPUS_8K, timeout=300)
    assert claude_fake.journal[-1].duration == pytest.approx(REALISTIC.speed("claude-opus-4-7")
                                                             .generation_time(8192))


def test_latency_is_off_by_default_and_scripted_content_keeps_its_length() -> None:
    with ClaudeFake() as fake:
        anthropic.Anthropic().messages.create(**OPUS_8K)
    assert fake.clock.elapsed == 0
    with ClaudeFake(replies.text("Short answer."), latency="realistic") as fake:
        message = anthropic.Anthropic().messages.create(**OPUS_8K)
    assert message.usage.output_tokens == 2
    assert fake.clock.elapsed == pytest.approx(2 + 1 / 80)


def test_slow_without_figures_takes_the_models_speed() -> None:
    with ClaudeFake([faults.slow(), faults.slow(tps=10)]) as fake:
        client = anthropic.Anthropic()
        client.messages.create(**{**REQUEST, "model": "claude-haiku-4-5"})
        client.messages.create(**{**REQUEST, "model": "claude-haiku-4-5"})
    haiku = REALISTIC.speed("claude-haiku-4-5")
    assert [e.duration for e in fake.journal] == pytest.approx([haiku.generation_time(7), haiku.ttft + 0.6])


# -- gateways ------------------------------------------------------------------------------


GATEWAY_504 = "GatewayTimeoutError" if ON_HTTPX2 else "InternalServerError"


@pytest.mark.claude_fake("slow(ttft=30)", gateway="vercel-hobby")
def test_vercel_hobby_cuts_a_30_second_call_at_10_seconds(claude_fake: ClaudeFake) -> None:
    with pytest.raises(anthropic.APIStatusError) as info:
        anthropic.Anthropic(max_retries=0).messages.create(**REQUEST)
    assert type(info.value).__name__ == GATEWAY_504 and info.value.status_code == 504
    assert "FUNCTION_INVOCATION_TIMEOUT" in info.value.message
    assert info.value.response.headers["x-vercel-error"] == "FUNCTION_INVOCATION_TIMEOUT"
    assert claude_fake.clock.elapsed == 10
    assert claude_fake.journal[0].notes == ["cut by vercel-hobby"]


@pytest.mark.claude_fake(faults.stall(after=2, seconds=15), gateway="vercel-hobby")
def test_vercel_hobby_drops_a_stream_that_outlives_the_function(claude_fake: ClaudeFake) -> None:
    with pytest.raises(HTTP.RemoteProtocolError):
        stream(anthropic.Anthropic())
    assert claude_fake.clock.elapsed == 10


@pytest.mark.claude_fake("hang", gateway="cloudflare")
def test_cloudflare_answers_524_for_a_silent_origin(claude_fake: ClaudeFake) -> None:
    with pytest.raises(anthropic.InternalServerError) as info:
        anthropic.Anthropic(max_retries=0).messages.create(**REQUEST)
    assert info.value.status_code == 524 and "error code: 524" in info.value.message


@pytest.mark.claude_fake("slow(ttft=1, tps=10)", gateway="aws-api-gateway")
def test_aws_api_gateway_buffers_a_stream(claude_fake: ClaudeFake) -> None:
    message = stream(anthropic.Anthropic())
    assert message.stop_reason == "end_turn"
    first = claude_fake.journal[0]
    assert first.duration == pytest.approx(1 + 0.6), "everything arrives at the end, in one go"


@pytest.mark.claude_fake(latency="realistic", gateway="vercel-edge")
def test_vercel_edge_needs_the_first_byte_in_25_seconds_then_lets_a_stream_run(claude_fake: ClaudeFake) -> None:
    client = anthropic.Anthropic(max_retries=0)
    with pytest.raises(anthropic.InternalServerError) as info:
        client.messages.create(**OPUS_8K)
    assert info.value.status_code == 504 and claude_fake.clock.elapsed == 25
    assert stream(client, **OPUS_8K).usage.output_tokens == 8192
    assert claude_fake.journal[1].duration == pytest.approx(2 + 8191 / 80), "past 25 s: the stream began at 2 s"


def test_a_custom_gateway() -> None:
    proxy = Gateway("corp-proxy", total=45, status=502, content_type="text/html", body=b"<h1>Bad gateway</h1>")
    with ClaudeFake("hang", gateway=proxy) as fake, pytest.raises(anthropic.InternalServerError) as info:
        anthropic.Anthropic(max_retries=0).messages.create(**REQUEST)
    assert info.value.status_code == 502 and fake.clock.elapsed == 45


# -- quotas --------------------------------------------------------------------------------


@pytest.mark.claude_fake(rate_limits={"requests_per_minute": 5})
def test_the_sixth_request_in_a_minute_waits_for_the_window(claude_fake: ClaudeFake) -> None:
    client = anthropic.Anthropic()
    remaining = []
    for _ in range(6):
        response = client.messages.with_raw_response.create(**REQUEST)
        remaining.append(response.headers["anthropic-ratelimit-requests-remaining"])
    assert remaining == ["4", "3", "2", "1", "0", "4"]
    sixth, retry = claude_fake.journal[5:]
    assert (sixth.status, sixth.response_headers["retry-after"], sixth.notes) == (429, "60", ["over quota"])
    assert claude_fake.clock.sleeps == [60]
    assert retry.start >= 60 and retry.status == 200, "the SDK's retry lands after the window reopens"
    claude_fake.assert_retry_after_honoured()


def test_a_token_quota() -> None:
    with ClaudeFake(rate_limits=RateLimits(tokens_per_minute=20)) as fake:
        client = anthropic.Anthropic(max_retries=0)
        client.messages.create(**REQUEST)
        client.messages.create(**REQUEST)
        with pytest.raises(anthropic.RateLimitError):
            client.messages.create(**REQUEST)
    assert [e.status for e in fake.journal] == [200, 200, 429]


# -- chaos ---------------------------------------------------------------------------------


CHAOS = "chaos(overloaded=0.2, api_error=0.1, rate_limited=0.1, refuse=0.1)*inf"


def chaos_run(seed: int) -> list[str]:
    with ClaudeFake(CHAOS, seed=seed) as fake:
        client = anthropic.Anthropic(max_retries=0)
        for _ in range(20):
            try:
                client.messages.create(**REQUEST)
            except anthropic.APIError:
                pass
    assert all("chaos" in e.notes for e in fake.journal)
    return [str(e.step) for e in fake.journal]


def test_chaos_is_the_same_for_the_same_seed() -> None:
    first, second = chaos_run(seed=42), chaos_run(seed=42)
    assert first == second
    assert len(set(first)) > 2, f"a mix of faults: {first}"
    assert chaos_run(seed=43) != first


def test_chaos_picks_the_same_steps_over_sockets() -> None:
    in_process = chaos_run(seed=42)
    with FakeServer(script=CHAOS, seed=42) as server, \
            anthropic.Anthropic(base_url=server.url, api_key="k", max_retries=0) as client:
        for _ in range(20):
            try:
                client.messages.create(**REQUEST)
            except anthropic.APIError:
                pass
        over_sockets = [str(e.step) for e in server.scopes.get("default").engine.journal]
    assert over_sockets == in_process


def test_gateways_apply_over_sockets_too() -> None:
    brief = Gateway("brief", total=0.3, status=504, body=b"gateway timeout")
    with FakeServer(script="slow(ttft=5)", gateway=brief) as server, \
            anthropic.Anthropic(base_url=server.url, api_key="k", max_retries=0) as client:
        with pytest.raises(anthropic.InternalServerError) as info:
            client.messages.create(**REQUEST)
    assert info.value.status_code == 504
