"""The loops of the test's thread on the fake's clock: when they may jump, and when real things set the pace.

Every test here that could hang if the loop froze runs under :func:`within_real_seconds`, which
cancels it after a few real seconds instead.
"""

from __future__ import annotations

import asyncio
import concurrent.futures
import sys
import threading
import time
from collections.abc import AsyncIterator, Iterator
from contextlib import asynccontextmanager, contextmanager
from typing import Any

import anthropic
import pytest

from claude_fakes import ClaudeFake

from ..sdk import REQUEST, client

REAL_LIMIT = 20.0
"""Real seconds a test here may take before it is cancelled as frozen (each takes well under one)."""


@contextmanager
def within_real_seconds(seconds: float = REAL_LIMIT) -> Iterator[None]:
    """Cancel the current task if it is still running after ``seconds`` of real time."""
    task = asyncio.current_task()
    assert task is not None
    loop = task.get_loop()
    watchdog = threading.Timer(seconds, lambda: loop.call_soon_threadsafe(task.cancel))
    watchdog.start()
    try:
        yield
    finally:
        watchdog.cancel()
        watchdog.join()


@asynccontextmanager
async def idle_real_connection() -> AsyncIterator[asyncio.StreamReader]:
    """A listening socket and an open connection to it that never speaks, as a database pool keeps.

    Yields the connection's reader."""
    accepted: asyncio.Future[asyncio.StreamWriter] = asyncio.get_running_loop().create_future()

    async def keep(reader: asyncio.StreamReader, writer: asyncio.StreamWriter) -> None:
        accepted.set_result(writer)

    server = await asyncio.start_server(keep, "127.0.0.1", 0)
    port = server.sockets[0].getsockname()[1]
    reader, writer = await asyncio.open_connection("127.0.0.1", port)
    peer = await accepted
    try:
        yield reader
    finally:
        for each in (writer, peer):
            each.close()
            await each.wait_closed()
        server.close()
        await server.wait_closed()


def _sdk(http: str, **options: Any) -> Any:
    if http == "aiohttp":
        options["http_client"] = anthropic.DefaultAioHttpClient()
    return client("anthropic", asynchronous=True, **options)


async def _create(http: str, stream: bool, **options: Any) -> Any:
    async with _sdk(http, **options) as sdk:
        if not stream:
            return await sdk.messages.create(**REQUEST)
        async with sdk.messages.stream(**REQUEST) as events:
            return await events.get_final_message()


EXECUTORS = [pytest.param(http, stream, id=f"{http}{'-stream' if stream else ''}")
             for http in ("httpx", "aiohttp") for stream in (False, True)]


@pytest.mark.parametrize(("http", "stream"), EXECUTORS)
async def test_a_hang_times_out_on_the_virtual_clock_beside_an_idle_real_connection(
    claude_fake: ClaudeFake, http: str, stream: bool
) -> None:
    claude_fake.script("hang")
    with within_real_seconds():
        async with idle_real_connection():
            with pytest.raises(anthropic.APITimeoutError):
                await _create(http, stream, timeout=0.5, max_retries=0)
    assert claude_fake.clock.elapsed == 0.5


@pytest.mark.parametrize("stream", [False, True])
async def test_retry_backoff_is_virtual_beside_an_idle_real_connection(claude_fake: ClaudeFake, stream: bool) -> None:
    """On httpx the SDK's back-off is the only timer. (aiohttp adds a keep-alive clean-up timer of its
    own, a real-paced one while a real socket is open: that run takes its 5 real seconds.)"""
    claude_fake.script("overloaded(retry_after=30), ok")
    with within_real_seconds():
        async with idle_real_connection():
            message = await _create("httpx", stream)
    assert message.stop_reason == "end_turn"
    assert claude_fake.clock.sleeps == [30]


async def test_a_deadline_on_a_silent_real_server_fires_after_its_real_seconds(claude_fake: ClaudeFake) -> None:
    async with idle_real_connection() as reader:
        started = time.perf_counter()
        with within_real_seconds(), pytest.raises(asyncio.TimeoutError):
            await asyncio.wait_for(reader.read(1), 0.2)
        waited = time.perf_counter() - started
    assert waited >= 0.2, "the deadline fired before its real seconds: the real peer had no chance to answer"
    assert claude_fake.clock.elapsed >= 0.2


async def test_virtual_sleeps_jump_while_a_thread_the_test_started_runs(claude_fake: ClaudeFake) -> None:
    release = threading.Event()
    worker = threading.Thread(target=release.wait, args=(REAL_LIMIT,))
    worker.start()
    try:
        with within_real_seconds():
            await asyncio.sleep(3600)
    finally:
        release.set()
        worker.join()
    assert claude_fake.clock.elapsed == 3600


async def test_a_deadline_waits_for_an_executor_future_with_the_clock_still(claude_fake: ClaudeFake) -> None:
    with concurrent.futures.ThreadPoolExecutor(1) as executor:
        with within_real_seconds():
            assert await asyncio.wait_for(asyncio.wrap_future(executor.submit(_slow, "done")), 5) == "done"
    assert claude_fake.clock.elapsed == 0


async def test_a_deadline_waits_for_a_plain_thread_that_calls_back(claude_fake: ClaudeFake) -> None:
    loop = asyncio.get_running_loop()
    answer: asyncio.Future[str] = loop.create_future()
    worker = threading.Thread(target=lambda: loop.call_soon_threadsafe(answer.set_result, _slow("done")))
    worker.start()
    with within_real_seconds():
        assert await asyncio.wait_for(answer, 5) == "done"
    worker.join()
    assert claude_fake.clock.elapsed < 5


async def test_a_deadline_waits_for_a_child_process(claude_fake: ClaudeFake) -> None:
    process = await asyncio.create_subprocess_exec(sys.executable, "-c", "import time; time.sleep(0.05)")
    with within_real_seconds():
        assert await asyncio.wait_for(process.wait(), 5) == 0
    assert claude_fake.clock.elapsed < 5


def _slow(value: str) -> str:
    time.sleep(0.05)
    return value


def test_ending_a_loop_takes_no_virtual_time() -> None:
    async def leave_work_behind() -> None:
        loop = asyncio.get_running_loop()
        loop.call_later(3600, lambda: None)  # a library's timer, still pending when the loop ends
        pool = concurrent.futures.ThreadPoolExecutor(1)
        loop.set_default_executor(pool)
        pool.submit(time.sleep, 0.05)  # the default executor's shutdown joins this, in a thread
        await asyncio.sleep(1)

    with ClaudeFake() as fake:
        asyncio.run(leave_work_behind())
        assert fake.clock.elapsed == 1


def test_other_threads_sleep_in_real_time_and_the_timeline_says_so() -> None:
    with ClaudeFake() as fake:
        time.sleep(2)
        worker = threading.Thread(target=time.sleep, args=(0.01,), name="worker-1")
        worker.start()
        worker.join()
    assert fake.clock.sleeps == [2]
    assert [(sleep.seconds, sleep.thread) for sleep in fake.clock.real_sleep_log] == [(0.01, "worker-1")]
    timeline = fake.timeline()
    assert "other threads slept 1 time(s) in real time" in timeline.splitlines()[0]
    assert "2.000               time.sleep(0.01) in thread 'worker-1', in real time" in timeline


def test_everything_the_loops_were_given_is_taken_back() -> None:
    from asyncio import base_events, futures, runners

    patched = [(threading.Thread, "start"), (asyncio, "wrap_future"), (futures, "wrap_future"),
               (runners, "_cancel_all_tasks"), (base_events.BaseEventLoop, "time"), (asyncio, "sleep")]
    before = [getattr(owner, name) for owner, name in patched]
    loop = asyncio.new_event_loop()
    try:
        with ClaudeFake():
            loop.run_until_complete(asyncio.sleep(1))
            assert [getattr(owner, name) for owner, name in patched] != before
        assert [getattr(owner, name) for owner, name in patched] == before
        assert {"shutdown_asyncgens", "shutdown_default_executor"}.isdisjoint(vars(loop))
        assert type(loop._selector).__module__ == "selectors", "the jumping selector was left on the loop"  # type: ignore[attr-defined]
    finally:
        loop.close()
