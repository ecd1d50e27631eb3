"""Virtual time for asyncio: the event loops of the test's thread run on the fake's clock.

A loop's ``time()`` becomes the fake's ``clock.elapsed`` (plus a fixed offset for a loop that
already had timers), and its selector, when nothing is ready, jumps the clock to the next timer
instead of blocking. So a user's ``asyncio.wait_for(call, 5)`` around a hanging request fires at
exactly 5 virtual seconds, ``asyncio.gather`` finishes in virtual-time order, and a plan's silences
are ordinary loop timers that cancellation can interrupt.

Time does not jump while work handed to a thread (``run_in_executor``, ``asyncio.to_thread``,
``anyio.to_thread.run_sync``) is in flight: the async SDK resolves its platform headers in a
worker thread on first use, and jumping past that would fire a timeout before the request is
even sent. The loop waits for such work in real time, which does not count as virtual time.

Loops are reached through a hook on ``BaseEventLoop.time``, so pytest-asyncio's loop, anyio's
test runner and a loop the test starts itself with ``asyncio.run`` are all covered, whether they
were created before the fake started or after. Loops of other threads keep real time.
"""

from __future__ import annotations

import asyncio
import math
import threading
import time
import weakref
from asyncio import base_events
from collections.abc import Callable
from contextlib import ExitStack
from typing import Any

from ..core.clock import Clock

# Captured at import: while a fake is active, `time.monotonic` and `asyncio.sleep` are replaced.
_REAL = {"monotonic": time.monotonic}
_real_asyncio_sleep = asyncio.sleep

_JUMP_TOLERANCE = 1e-9
"""A jump is rounded to the microsecond when that moves it by less than the loop's clock resolution,
so ``wait_for(..., 5)`` ends at exactly 5.0 virtual seconds and not at 4.999999999999."""

_touched: weakref.WeakSet[asyncio.AbstractEventLoop] = weakref.WeakSet()
"""Loops that ran on a fake's clock and may run on the next one's (anyio keeps a runner alive)."""


def _tidy(seconds: float) -> float:
    rounded = round(seconds, 6)
    return rounded if abs(rounded - seconds) < _JUMP_TOLERANCE else seconds


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
        if timeout is None and state.stuck and not state.thread_work and not self._real_io_pending():
            # Nothing can ever wake the loop: end the silences that would last forever.
            for callback in list(state.stuck):
                callback()
            return self._real.select(0)
        if timeout is None or state.thread_work or self._real_io_pending():
            # Only real I/O or a worker thread can wake the loop now: wait for it for real.
            return self._real.select(timeout)
        self._loops.clock.advance(_tidy(timeout))
        return []

    def _real_io_pending(self) -> bool:
        """Whether a real socket is registered: the loop awaits I/O the fake does not own.

        The loop's own wake-up pipe is always registered; any other file is a real connection
        being read or written (an idle pooled httpx connection is not registered), so jumping
        to the next timer would fire it before the real peer had a chance to answer.
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
        self.stuck: list[Callable[[], None]] = []
        """Called when the loop would block forever: a fake's endless silences, to end them."""
        self.real_selector = getattr(loop, "_selector", None)
        wakeup = getattr(loop, "_ssock", None)
        self.self_pipe = wakeup.fileno() if wakeup is not None else -1


class VirtualLoops:
    """Puts the asyncio loops of ``owner`` (a thread id) on ``clock`` between install and close."""

    def __init__(self, clock: Clock, owner: int) -> None:
        self.clock = clock
        self.owner = owner
        self._states: dict[int, _LoopState] = {}

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
        self._track_anyio_threads(stack)

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
        real_run_in_executor = type(loop).run_in_executor

        def run_in_executor(executor: Any, func: Callable[..., Any], *args: Any) -> Any:
            future = real_run_in_executor(loop, executor, func, *args)
            state.thread_work += 1

            def done(_: Any) -> None:
                state.thread_work -= 1

            future.add_done_callback(done)
            return future

        loop.run_in_executor = run_in_executor

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

        setattr(anyio.to_thread, "run_sync", run_sync)  # noqa: B010 (mypy: a generic replaced)
        stack.callback(setattr, anyio.to_thread, "run_sync", real_run_sync)

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
            loop.__dict__.pop("run_in_executor", None)
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
    """A plan's silence in async code: a loop timer on a virtual loop, else an instant advance."""
    if seconds <= 0 or math.isinf(seconds):
        return
    if loops is not None and loops.running_virtual_loop():
        await _real_asyncio_sleep(seconds)
    else:
        clock.advance(seconds)
