"""Serverless and proxy limits: Vercel, Cloudflare, API Gateway, and the seed's workarounds.

A gateway between your code and the API ends requests on its own clock, long before the SDK's
600 s: Vercel Hobby functions after 10 s, Pro after 60 s, AWS API Gateway after 29 s, Cloudflare
after 100 s without a byte. ``gateway=`` puts one in front of the fake; the caller then sees what
that gateway sends (its own status and body, or a dropped stream). Latency is realistic here:
an Opus reply of 4,096 tokens takes about 53 s to generate.

The seed's workarounds, each tested: stream through an Edge function (the first byte within
25 s, then up to 300 s of streaming), a higher limit, and a background job that answers at once
and does the long call outside the request.
"""

from __future__ import annotations

import asyncio
import dataclasses
import importlib
from typing import Any

import anthropic
import pytest

from claude_fakes import ClaudeFake
from claude_fakes.gateways import GATEWAYS

# A cut stream raises the SDK's HTTP package's own error: httpx2 under anthropic >= 1.0, else httpx.
http = importlib.import_module("httpx2" if int(anthropic.__version__.split(".")[0]) >= 1 else "httpx")

REPORT: dict[str, Any] = {
    "model": "claude-opus-4-7",
    "max_tokens": 4096,
    "messages": [{"role": "user", "content": "Write a detailed analysis..."}],
}


def stream_report(client: anthropic.Anthropic) -> anthropic.types.Message:
    with client.messages.stream(**REPORT) as stream:
        return stream.get_final_message()


@pytest.mark.claude_fake(latency="realistic", gateway="vercel-hobby")
def test_vercel_hobby_cuts_the_call_at_10_seconds_every_time(claude_fake: ClaudeFake) -> None:
    with pytest.raises(anthropic.InternalServerError) as cut:  # GatewayTimeoutError under anthropic >= 1.0
        anthropic.Anthropic().messages.create(**REPORT)
    assert cut.value.status_code == 504
    assert cut.value.response.headers["x-vercel-error"] == "FUNCTION_INVOCATION_TIMEOUT"
    claude_fake.assert_attempts(3)  # the SDK retries a 504, and each retry is cut the same way
    assert [exchange.notes for exchange in claude_fake.journal] == [["cut by vercel-hobby"]] * 3


@pytest.mark.claude_fake(latency="realistic", gateway="vercel-hobby")
def test_streaming_does_not_help_a_hobby_function(claude_fake: ClaudeFake) -> None:
    with pytest.raises(http.RemoteProtocolError):
        stream_report(anthropic.Anthropic())  # the function is killed mid-stream
    assert claude_fake.clock.elapsed == 10


@pytest.mark.claude_fake(latency="realistic", gateway="vercel-edge")
def test_edge_function_with_streaming_gets_the_whole_reply(claude_fake: ClaudeFake) -> None:
    client = anthropic.Anthropic(max_retries=0)
    with pytest.raises(anthropic.InternalServerError):
        client.messages.create(**REPORT)  # no byte within 25 s: 504
    message = stream_report(client)  # the first token at 2 s, the last at 53 s
    assert message.usage.output_tokens == 4096 and message.stop_reason == "end_turn"


@pytest.mark.claude_fake(latency="realistic", gateway="vercel-pro")
def test_vercel_pro_fits_4096_tokens_but_not_8192(claude_fake: ClaudeFake) -> None:
    client = anthropic.Anthropic(max_retries=0)
    assert client.messages.create(**REPORT).usage.output_tokens == 4096  # about 53 s of 60
    with pytest.raises(anthropic.InternalServerError):
        client.messages.create(**{**REPORT, "max_tokens": 8192})  # 104 s


@pytest.mark.claude_fake(latency="realistic",
                         gateway=dataclasses.replace(GATEWAYS["vercel-pro"], name="vercel-pro-300", total=300))
def test_raising_the_function_limit_to_300_seconds(claude_fake: ClaudeFake) -> None:
    message = anthropic.Anthropic().messages.create(**{**REPORT, "max_tokens": 8192})
    assert message.usage.output_tokens == 8192


@pytest.mark.claude_fake("stall(after=3, seconds=150)", gateway="cloudflare")
def test_cloudflare_drops_a_stream_silent_for_100_seconds(claude_fake: ClaudeFake) -> None:
    with pytest.raises(http.RemoteProtocolError):
        stream_report(anthropic.Anthropic())
    assert claude_fake.clock.elapsed == 100


@pytest.mark.claude_fake(latency="realistic", gateway="aws-api-gateway")
def test_aws_api_gateway_answers_504_after_29_seconds_even_to_a_stream(claude_fake: ClaudeFake) -> None:
    with pytest.raises(anthropic.InternalServerError) as cut:
        stream_report(anthropic.Anthropic(max_retries=0))  # buffered: nothing streams through it
    assert cut.value.status_code == 504 and "Endpoint request timed out" in cut.value.message
    assert claude_fake.clock.elapsed == 29


# -- the background-job workaround: answer at once, poll for the result --------------------


class Jobs:
    """A stand-in for Inngest or QStash: the request enqueues, a worker outside it calls Claude."""

    def __init__(self) -> None:
        self.results: dict[str, str] = {}
        self._workers: set[asyncio.Task[None]] = set()

    def submit(self, prompt: str) -> str:
        job_id = f"job-{len(self.results) + len(self._workers) + 1}"
        worker = asyncio.get_running_loop().create_task(self._work(job_id, prompt))
        self._workers.add(worker)
        worker.add_done_callback(self._workers.discard)
        return job_id

    async def _work(self, job_id: str, prompt: str) -> None:
        async with anthropic.AsyncAnthropic(timeout=300) as client:
            message = await client.messages.create(
                **{**REPORT, "messages": [{"role": "user", "content": prompt}]})
        self.results[job_id] = "".join(block.text for block in message.content if block.type == "text")


@pytest.mark.claude_fake(latency="realistic")
def test_a_background_job_answers_at_once_and_the_result_arrives_by_polling(claude_fake: ClaudeFake) -> None:
    async def user_session() -> tuple[float, int, str]:
        loop = asyncio.get_running_loop()
        jobs = Jobs()
        started = loop.time()
        job_id = jobs.submit("Write a detailed analysis...")  # all that the 10-second function does
        answered_in = loop.time() - started
        polls = 0
        while job_id not in jobs.results and polls < 100:  # the browser polls every 2 s
            await asyncio.sleep(2)
            polls += 1
        return answered_in, polls, jobs.results[job_id]

    answered_in, polls, result = asyncio.run(user_session())
    assert answered_in < 10, "the request itself returns well within Vercel Hobby's limit"
    assert len(result.split()) == 4096
    assert polls == 27, "the worker's 53 s call, seen through 2-second polls"
