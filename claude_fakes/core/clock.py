"""Clocks: the virtual one an in-process fake runs on, and the real one a server scope runs on."""

from __future__ import annotations

import math
import threading
import time
from dataclasses import dataclass
from datetime import datetime, timezone

VIRTUAL_EPOCH = datetime(2026, 1, 1, tzinfo=timezone.utc)
"""Where every fake's clock starts, so that timestamps and retry-after dates repeat run to run."""

# Captured at import, in a dict (a user's freezegun rewrites module globals): while a fake is
# active the `time` module's functions are virtual.
_REAL = {"monotonic": time.monotonic, "time": time.time}


@dataclass(frozen=True)
class Sleep:
    """A sleep the code under test asked for, taken on the virtual clock instead."""

    start: float
    seconds: float
    source: str
    """``time.sleep``, ``asyncio.sleep`` or ``anyio.sleep``."""
    thread: str | None = None
    """For a sleep another thread took in real time (a worker's ``time.sleep``): that thread's name."""


MOST_REAL_SLEEPS = 1000
"""Other threads' real sleeps kept per run; a thread that polls in a loop is counted past this, not listed."""


class Clock:
    """Virtual seconds since the fake started.

    ``elapsed`` is the reading tests assert on; ``now()`` is the same instant as a POSIX
    timestamp, which is what ``time.time()`` returns while the fake is active. ``sleeps`` lists
    every intercepted sleep in order, so ``clock.sleeps == [20]`` checks that a retry-after of
    20 s was honoured.
    """

    kind = "virtual"

    def __init__(self, epoch: datetime = VIRTUAL_EPOCH) -> None:
        self.epoch = epoch
        self._epoch_seconds = epoch.timestamp()
        self._elapsed = 0.0
        self._sleeps: list[Sleep] = []
        self._real_sleeps: list[Sleep] = []
        self.real_sleeps_unlisted = 0
        """Real sleeps of other threads past :data:`MOST_REAL_SLEEPS`."""
        self._lock = threading.Lock()

    def now(self) -> float:
        """The virtual time as a POSIX timestamp (what ``time.time()`` returns under the fake)."""
        return self._epoch_seconds + self._elapsed

    @property
    def elapsed(self) -> float:
        """Virtual seconds since the fake started."""
        return self._elapsed

    @property
    def sleeps(self) -> list[float]:
        """The duration of every intercepted sleep, in order."""
        return [sleep.seconds for sleep in self._sleeps]

    @property
    def sleep_log(self) -> list[Sleep]:
        return list(self._sleeps)

    @property
    def real_sleep_log(self) -> list[Sleep]:
        """Sleeps other threads took in real time while the fake ran: not on this clock, but in the timeline."""
        return list(self._real_sleeps)

    def reset(self) -> None:
        """Back to the start: no time elapsed, no sleeps (an exploration runs each schedule from here)."""
        with self._lock:
            self._elapsed = 0.0
            self._sleeps.clear()
            self._real_sleeps.clear()
            self.real_sleeps_unlisted = 0

    def advance(self, seconds: float) -> None:
        if seconds < 0 or math.isnan(seconds) or math.isinf(seconds):
            raise ValueError(f"the clock moves forward by a finite amount, not {seconds!r}")
        if seconds == 0:
            return
        with self._lock:
            self._elapsed += seconds

    def record_sleep(self, seconds: float, source: str) -> None:
        """Record a sleep whose time passes some other way (a timer on a virtual event loop)."""
        with self._lock:
            self._sleeps.append(Sleep(self._elapsed, seconds, source))

    def record_real_sleep(self, seconds: float, source: str, thread: str) -> None:
        """Record a sleep another thread takes in real time; the clock does not move for it."""
        with self._lock:
            if len(self._real_sleeps) < MOST_REAL_SLEEPS:
                self._real_sleeps.append(Sleep(self._elapsed, seconds, source, thread))
            else:
                self.real_sleeps_unlisted += 1

    def sleep(self, seconds: float, source: str) -> None:
        """Record a sleep and pass its time at once."""
        self.record_sleep(seconds, source)
        self.advance(seconds)


class RealClock(Clock):
    """Real seconds since it was made: the clock of a server scope, where time is not faked."""

    kind = "real"

    def __init__(self) -> None:
        super().__init__(datetime.fromtimestamp(_REAL["time"](), timezone.utc))
        self._started = _REAL["monotonic"]()

    def now(self) -> float:
        return self._epoch_seconds + self.elapsed

    @property
    def elapsed(self) -> float:
        return _REAL["monotonic"]() - self._started

    def advance(self, seconds: float) -> None:
        raise TypeError("real time cannot be advanced")
