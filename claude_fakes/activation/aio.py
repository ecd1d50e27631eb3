"""Virtual time for asyncio: the event loops of the test's thread run on the fake's clock.

A loop's ``time()`` becomes the fake's ``clock.elapsed`` (plus a fixed offset for a loop that
already had timers), and its selector, when nothing is ready, jumps the clock to the next timer
instead of blocking. So a user's ``asyncio.wait_for(call, 5)`` around a hanging request fires at
exactly 5 virtual seconds, ``asyncio.gather`` finishes in virtual-time order, and a plan's silences
are ordinary loop timers that cancellation can interrupt.

Jumping is only right when nothing real can end first, so the selector tells three cases apart:

- **Bounded work handed to a thread** (``run_in_executor``, ``asyncio.to_thread``, any
  ``asyncio.wrap_future`` of an executor's future, ``anyio.to_thread.run_sync``) and **a loop
  shutting down** (``asyncio.run``'s teardown, ``shutdown_asyncgens``, ``shutdown_default_executor``):
  the loop waits in real time and the clock stands still. The async SDK resolves its platform
  headers in a worker thread on first use; jumping past that would fire a timeout before the
  request is even sent, and counting it would make timelines differ run to run.
- **Something real that may never end**: a real socket registered with the loop (a database
  pool, a listening server, a request to a real host, a child process's pipe) or a thread the
  test started that is still running (it may call ``call_soon_threadsafe``; a child watcher
  does). The loop waits in real time and the clock moves with it, never past the next timer:
  a deadline around real I/O fires after its real seconds, and an idle connection never
  freezes virtual time.
- **Otherwise** the clock jumps to the next timer. The fake's own silences and the sleeps the
  code asks for (``asyncio.sleep``, ``anyio.sleep``) are virtual durations: they jump even over
  real sockets and live threads, so a hang or a retry back-off costs no real time while a
  database connection idles beside it.

Loops are reached through a hook on ``BaseEventLoop.time``, so pytest-asyncio's loop, anyio's
test runner and a loop the test starts itself with ``asyncio.run`` are all covered, whether they
were created before the fake started or after. Loops of other threads keep real time.
"""

from __future__ import annotations

import asyncio
import concurrent.futures
import math
import threading
import time
import weakref
from asyncio import base_events, futures, runners
from collections.abc import Callable, Iterator
from contextlib import ExitStack, contextmanager
from typing import Any

from ..core.clock import Clock

# Captured at import: while a fake is active, `time.monotonic` is replaced.
_REAL = {"monotonic": time.monotonic}

_JUMP_TOLERANCE = 1e-9
"""A jump is rounded to the microsecond when that moves it by less than the loop's clock resolution,
so ``wait_for(..., 5)`` ends at exactly 5.0 virtual seconds and not at 4.999999999999."""

_touched: weakref.WeakSet[asyncio.AbstractEventLoop] = weakref.WeakSet()
"""Loops that ran on a fake's clock and may run on the next one's (anyio keeps a runner alive)."""


def _tidy(seconds: float) -> float:
    rounded = round(seconds, 6)
    return rounded if abs(rounded - seconds) < _JUMP_TOLERANCE else seconds


def _virtual_wait_over(future: asyncio.Future[Any], result: Any) -> None:
    if not future.done():
        future.set_result(result)


def virtual_timer(loop: asyncio.AbstractEventLoop, seconds: float, future: asyncio.Future[Any],
                  result: Any = None) -> asyncio.TimerHandle:
    """Resolve ``future`` with ``result`` after ``seconds`` of a virtual duration.

    A silence of the fake or a sleep the code asked for: the one kind of timer a loop reaches by
    jumping even while real sockets or threads are live (the selector knows it by its callback).
    """
    return loop.call_later(seconds, _virtual_wait_over, future, result)


async def virtual_sleep(seconds: float, result: Any = None) -> Any:
    """``asyncio.sleep`` whose timer is a :func:`virtual_timer`."""
    loop = asyncio.get_running_loop()
    future = loop.create_future()
    handle = virtual_timer(loop, seconds, future, result)
    try:
        return await future
    finally:
        handle.cancel()


class _JumpingSelector:
    """Wraps a loop's selector: when nothing is ready, advance the clock instead of blocking."""

    def __init__(self, real: Any, loops: VirtualLoops, state: _LoopState) -> None:
        self._real = real
        self._loops = loops
        self._state = state

    def select(self, timeout: float | None = None) -> Any:
        events = self._real.select(0)
        if events or timeout == 0:
            return events
        state = self._state
        if state.thread_work or state.closing:
            # Bounded real work: wait for it, and let no virtual time pass.
            return self._real.select(timeout)
        live = self._real_io_pending() or self._loops.live_threads()
        if timeout is None:
            if state.stuck and not live:
                # Nothing can ever wake the loop: end the silences that would last forever.
                for callback in list(state.stuck):
                    callback()
                return self._real.select(0)
            return self._real.select(None)
        if live and not self._next_timer_is_virtual():
            return self._wait_in_real_time(timeout)
        self._loops.clock.advance(_tidy(timeout))
        return []

    def _wait_in_real_time(self, timeout: float) -> Any:
        """Wait for real I/O or the next timer, moving the clock by the real seconds waited."""
        started = _REAL["monotonic"]()
        events = self._real.select(timeout)
        waited = _REAL["monotonic"]() - started
        self._loops.clock.advance(min(waited, timeout) if events else _tidy(timeout))
        return events

    def _next_timer_is_virtual(self) -> bool:
        scheduled = self._state.loop._scheduled
        return bool(scheduled) and scheduled[0]._callback is _virtual_wait_over

    def _real_io_pending(self) -> bool:
        """Whether a real socket is registered: the loop awaits I/O the fake does not own.

        The loop's own wake-up pipe is always registered; any other file is a real connection
        being read or written (an idle pooled httpx connection is not registered).
        """
        registered = self._real.get_map()
        return len(registered) > 1 or (len(registered) == 1 and self._state.self_pipe not in registered)

    def __getattr__(self, name: str) -> Any:
        return getattr(self._real, name)


class _LoopState:
    def __init__(self, loop: Any, offset: float) -> None:
        self.loop = loop
        self.offset = offset
        self.thread_work = 0
        """Futures of bounded work handed to threads, not yet done."""
        self.closing = 0
        """Shutdown steps under way: they take no virtual time."""
        self.stuck: list[Callable[[], None]] = []
        """Called when the loop would block forever: a fake's endless silences, to end them."""
        self.real_selector = getattr(loop, "_selector", None)
        wakeup = getattr(loop, "_ssock", None)
        self.self_pipe = wakeup.fileno() if wakeup is not None else -1

    def track(self, future: asyncio.Future[Any]) -> None:
        """Count ``future`` as bounded thread work until it is done."""
        self.thread_work += 1

        def done(_: Any) -> None:
            self.thread_work -= 1

        future.add_done_callback(done)

    @contextmanager
    def shutting_down(self) -> Iterator[None]:
        self.closing += 1
        try:
            yield
        finally:
            self.closing -= 1


class VirtualLoops:
    """Puts the asyncio loops of ``owner`` (a thread id) on ``clock`` between install and close."""

    def __init__(self, clock: Clock, owner: int) -> None:
        self.clock = clock
        self.owner = owner
        self._states: dict[int, _LoopState] = {}
        self._threads: weakref.WeakSet[threading.Thread] = weakref.WeakSet()
        """Threads the test started while the fake was active, other than pool workers."""

    def is_virtual(self, loop: asyncio.AbstractEventLoop) -> bool:
        return id(loop) in self._states and self._states[id(loop)].loop is loop

    def install(self, stack: ExitStack) -> None:
        original = base_events.BaseEventLoop.__dict__["time"]
        loops = self

        def time_hook(loop: Any) -> float:
            if threading.get_ident() == loops.owner and not loop.is_closed():
                loops._contact(loop)
                return loop.time()  # type: ignore[no-any-return]
            return _REAL["monotonic"]()

        setattr(base_events.BaseEventLoop, "time", time_hook)  # noqa: B010 (mypy: a method replaced)
        stack.callback(self._release_all)
        stack.callback(setattr, base_events.BaseEventLoop, "time", original)
        for loop in list(_touched):
            if not loop.is_closed():
                self._contact(loop)
        self._track_wrapped_futures(stack)
        self._track_anyio_threads(stack)
        self._track_threads(stack)
        self._track_runner_teardown(stack)

    def _contact(self, loop: Any) -> None:
        if self.is_virtual(loop):
            return
        previous = loop.__dict__.get("time")
        # A loop with timers keeps its own timeline, continued; a fresh one reads the clock exactly.
        now = previous() if previous is not None else _REAL["monotonic"]()
        offset = now - self.clock.elapsed if (loop._scheduled or previous is not None) else 0.0
        state = _LoopState(loop, offset)
        self._states[id(loop)] = state
        _touched.add(loop)
        clock = self.clock
        loop.time = lambda: state.offset + clock.elapsed
        if state.real_selector is not None:
            loop._selector = _JumpingSelector(state.real_selector, self, state)
        for name in ("shutdown_asyncgens", "shutdown_default_executor"):
            loop.__dict__[name] = _taking_no_time(state, getattr(type(loop), name).__get__(loop))

    def _track_wrapped_futures(self, stack: ExitStack) -> None:
        """Count every executor future the loop waits on (``run_in_executor`` is one) as thread work."""
        real_wrap_future = futures.wrap_future
        loops = self

        def wrap_future(future: Any, *, loop: Any = None) -> Any:
            wrapped = real_wrap_future(future, loop=loop)
            if isinstance(future, concurrent.futures.Future):
                state = loops._states.get(id(wrapped.get_loop()))
                if state is not None and state.loop is wrapped.get_loop():
                    state.track(wrapped)
            return wrapped

        for module in (futures, asyncio):
            _set(stack, module, "wrap_future", wrap_future)

    def _track_anyio_threads(self, stack: ExitStack) -> None:
        try:
            import anyio.to_thread
        except ImportError:
            return
        real_run_sync = anyio.to_thread.run_sync
        loops = self

        async def run_sync(func: Callable[..., Any], *args: Any, **kwargs: Any) -> Any:
            state = loops._running_state()
            if state is not None:
                state.thread_work += 1
            try:
                return await real_run_sync(func, *args, **kwargs)
            finally:
                if state is not None:
                    state.thread_work -= 1

        _set(stack, anyio.to_thread, "run_sync", run_sync)

    def _track_threads(self, stack: ExitStack) -> None:
        """Remember the threads the test's thread starts: while one runs, the loop keeps real pace."""
        real_start = threading.Thread.start
        loops = self

        def start(thread: threading.Thread) -> None:
            real_start(thread)
            if threading.get_ident() == loops.owner and not _is_pool_worker(thread):
                loops._threads.add(thread)

        _set(stack, threading.Thread, "start", start)

    def _track_runner_teardown(self, stack: ExitStack) -> None:
        """``asyncio.run`` cancels the tasks left at its end: that, like the rest of its shutdown, takes no time."""
        real_cancel_all = getattr(runners, "_cancel_all_tasks", None)
        if real_cancel_all is None:
            return
        loops = self

        def cancel_all_tasks(loop: Any) -> None:
            state = loops._states.get(id(loop))
            if state is None or state.loop is not loop:
                return real_cancel_all(loop)  # type: ignore[no-any-return]
            with state.shutting_down():
                return real_cancel_all(loop)  # type: ignore[no-any-return]

        _set(stack, runners, "_cancel_all_tasks", cancel_all_tasks)

    def live_threads(self) -> bool:
        """Whether a thread the test started is still running (it may wake the loop at any time)."""
        return any(thread.is_alive() for thread in self._threads)

    def _running_state(self) -> _LoopState | None:
        try:
            loop = asyncio.get_running_loop()
        except RuntimeError:
            return None
        return self._states.get(id(loop)) if self.is_virtual(loop) else None

    def running_virtual_loop(self) -> bool:
        """Whether the caller runs on a loop that this fake keeps on its clock."""
        return self._running_state() is not None

    def _release_all(self) -> None:
        for state in self._states.values():
            loop = state.loop
            for name in ("shutdown_asyncgens", "shutdown_default_executor"):
                loop.__dict__.pop(name, None)
            if state.real_selector is not None and isinstance(getattr(loop, "_selector", None), _JumpingSelector):
                loop._selector = state.real_selector
            if loop.is_closed():
                loop.__dict__.pop("time", None)
                continue
            # A loop that outlives the fake keeps a continuous, real-paced timeline from here on;
            # going back to raw monotonic time would put its pending timers hours away.
            offset = state.offset + self.clock.elapsed - _REAL["monotonic"]()
            loop.time = lambda offset=offset: _REAL["monotonic"]() + offset
        self._states.clear()


def _taking_no_time(state: _LoopState, shutdown: Callable[..., Any]) -> Callable[..., Any]:
    async def shutting_down(*args: Any, **kwargs: Any) -> Any:
        with state.shutting_down():
            return await shutdown(*args, **kwargs)

    return shutting_down


def _is_pool_worker(thread: threading.Thread) -> bool:
    """A pool's worker outlives the work it runs; the work itself is counted where it is handed over."""
    target = getattr(thread, "_target", None)
    return getattr(target, "__module__", None) == "concurrent.futures.thread" or \
        type(thread).__module__.startswith("anyio.")


def _set(stack: ExitStack, owner: Any, name: str, value: Any) -> None:
    original = getattr(owner, name)
    setattr(owner, name, value)
    stack.callback(setattr, owner, name, original)


def when_stuck(loop: asyncio.AbstractEventLoop, callback: Callable[[], None]) -> Callable[[], None]:
    """Call ``callback`` if ``loop`` runs on a fake's clock and would otherwise block forever.

    Returns the function that withdraws it. On a loop with real time, nothing is called.
    """
    selector = getattr(loop, "_selector", None)
    if not isinstance(selector, _JumpingSelector):
        return lambda: None
    stuck = selector._state.stuck
    stuck.append(callback)
    return lambda: stuck.remove(callback) if callback in stuck else None


async def wait(loops: VirtualLoops | None, clock: Clock, seconds: float) -> None:
    """A plan's silence in async code: a virtual timer on a virtual loop, else an instant advance."""
    if seconds <= 0 or math.isinf(seconds):
        return
    if loops is not None and loops.running_virtual_loop():
        await virtual_sleep(seconds)
    else:
        clock.advance(seconds)
