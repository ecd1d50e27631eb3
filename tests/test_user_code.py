"""The code users wrap around the SDK runs on the virtual clock too: retry helpers, deadline
loops, asyncio and anyio timeouts. Every loop here is bounded."""

from __future__ import annotations

import asyncio
import datetime
import time
from typing import Any

import anthropic
import anyio
import backoff
import pytest
import tenacity

from claude_fakes import ClaudeFake

from .sdk import REQUEST

REAL_PERF_COUNTER = {"now": time.perf_counter}


@pytest.mark.claude_fake("overloaded*2, ok")
def test_tenacity_exponential_backoff(claude_fake: ClaudeFake) -> None:
    @tenacity.retry(
        wait=tenacity.wait_exponential(multiplier=5, min=5, max=60),
        stop=tenacity.stop_after_attempt(3),
        # On anthropic 0.x OverloadedError is not an InternalServerError: name both.
        retry=tenacity.retry_if_exception_type((anthropic.InternalServerError, anthropic.OverloadedError)),
        reraise=True,
    )
    def ask() -> Any:
        return anthropic.Anthropic(max_retries=0).messages.create(**REQUEST)

    assert ask().stop_reason == "end_turn"
    assert claude_fake.clock.sleeps == [5, 10]


@pytest.mark.claude_fake("rate_limited(retry_after=none)*2, ok")
async def test_tenacity_async(claude_fake: ClaudeFake) -> None:
    client = anthropic.AsyncAnthropic(max_retries=0)
    async for attempt in tenacity.AsyncRetrying(
        wait=tenacity.wait_fixed(3), stop=tenacity.stop_after_attempt(3), reraise=True
    ):
        with attempt:
            message = await client.messages.create(**REQUEST)
    assert message.stop_reason == "end_turn"
    assert claude_fake.clock.sleeps == [3, 3]
    assert claude_fake.clock.elapsed == 6


@pytest.mark.claude_fake("api_error*2, ok")
def test_backoff_decorator(claude_fake: ClaudeFake) -> None:
    @backoff.on_exception(backoff.constant, anthropic.APIStatusError, interval=7, max_tries=3, jitter=None)
    def ask() -> Any:
        return anthropic.Anthropic(max_retries=0).messages.create(**REQUEST)

    ask()
    assert claude_fake.clock.sleeps == [7, 7]


@pytest.mark.claude_fake("overloaded*inf")
def test_a_deadline_loop_on_time_monotonic(claude_fake: ClaudeFake) -> None:
    client = anthropic.Anthropic(max_retries=0)
    deadline = time.monotonic() + 30
    for _ in range(100):  # bounded: the deadline must end it long before
        if time.monotonic() >= deadline:
            break
        try:
            client.messages.create(**REQUEST)
        except anthropic.OverloadedError:
            time.sleep(10)
    assert claude_fake.attempts == 3
    assert claude_fake.clock.elapsed == 30


@pytest.mark.claude_fake("overloaded*inf")
def test_a_deadline_loop_on_datetime_now(claude_fake: ClaudeFake) -> None:
    client = anthropic.Anthropic(max_retries=0)
    give_up_at = datetime.datetime.now() + datetime.timedelta(minutes=1)
    for _ in range(100):
        if datetime.datetime.now() >= give_up_at:
            break
        try:
            client.messages.create(**REQUEST)
        except anthropic.OverloadedError:
            time.sleep(15)
    assert claude_fake.attempts == 4


@pytest.mark.claude_fake("hang")
async def test_wait_for_fires_at_exactly_its_timeout(claude_fake: ClaudeFake) -> None:
    start = REAL_PERF_COUNTER["now"]()
    with pytest.raises(TimeoutError):
        await asyncio.wait_for(anthropic.AsyncAnthropic().messages.create(**REQUEST), 5)
    assert claude_fake.clock.elapsed == 5
    assert claude_fake.journal[0].outcome == "cancelled"
    assert REAL_PERF_COUNTER["now"]() - start < 1


@pytest.mark.claude_fake("hang")
async def test_asyncio_timeout_context(claude_fake: ClaudeFake) -> None:
    with pytest.raises(TimeoutError):
        async with asyncio.timeout(5):
            await anthropic.AsyncAnthropic().messages.create(**REQUEST)
    assert claude_fake.clock.elapsed == 5


@pytest.mark.claude_fake("hang")
async def test_anyio_fail_after(claude_fake: ClaudeFake) -> None:
    with pytest.raises(TimeoutError):
        with anyio.fail_after(5):
            await anthropic.AsyncAnthropic().messages.create(**REQUEST)
    assert claude_fake.clock.elapsed == 5


@pytest.mark.claude_fake("hang, stall(after=1, seconds=3), ok, ok")
async def test_gather_finishes_in_virtual_time_order(claude_fake: ClaudeFake) -> None:
    client = anthropic.AsyncAnthropic(timeout=10)
    finished: list[tuple[str, float]] = []

    async def ask(name: str) -> None:
        await client.messages.create(**REQUEST)
        finished.append((name, claude_fake.clock.elapsed))

    await asyncio.gather(ask("first"), ask("second"), ask("third"))
    # first meets the hang (10 s read timeout, then the SDK's backoff), second the 3 s stall.
    assert [name for name, _ in finished] == ["third", "second", "first"]
    assert finished[1][1] == 3
    assert finished[2][1] == pytest.approx(10 + claude_fake.clock.sleeps[0])


@pytest.mark.claude_fake("hang")
def test_a_loop_the_test_starts_itself(claude_fake: ClaudeFake) -> None:
    async def main() -> None:
        await asyncio.wait_for(anthropic.AsyncAnthropic().messages.create(**REQUEST), 7.5)

    with pytest.raises(TimeoutError):
        asyncio.run(main())
    assert claude_fake.clock.elapsed == 7.5


@pytest.fixture
def anyio_backend() -> str:
    return "asyncio"


@pytest.mark.anyio
@pytest.mark.claude_fake("hang, ok")
async def test_under_anyios_pytest_plugin(claude_fake: ClaudeFake) -> None:
    with anyio.move_on_after(42) as scope:
        await anthropic.AsyncAnthropic(max_retries=0).messages.create(**REQUEST)
    assert scope.cancelled_caught
    assert claude_fake.clock.elapsed == 42
    await anthropic.AsyncAnthropic().messages.create(**REQUEST)
    assert claude_fake.attempts == 2


@pytest.mark.claude_fake("hang*2")
async def test_the_sdks_own_timeout_still_applies_inside_a_longer_wait_for(claude_fake: ClaudeFake) -> None:
    client = anthropic.AsyncAnthropic(timeout=20, max_retries=1)
    with pytest.raises(anthropic.APITimeoutError):
        await asyncio.wait_for(client.messages.create(**REQUEST), 3600)
    assert claude_fake.attempts == 2
    assert claude_fake.clock.elapsed == pytest.approx(40 + claude_fake.clock.sleeps[0])
