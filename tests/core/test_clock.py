"""core/clock.py: the virtual clock a fake runs on, and the real one a server scope runs on."""

from __future__ import annotations

import math

import pytest

from claude_fakes.core.clock import VIRTUAL_EPOCH, Clock, RealClock, Sleep


def test_a_virtual_clock_starts_at_the_epoch_and_moves_only_when_advanced() -> None:
    clock = Clock()
    assert (clock.elapsed, clock.now()) == (0.0, VIRTUAL_EPOCH.timestamp())
    clock.advance(2.5)
    clock.advance(0)
    assert (clock.elapsed, clock.now()) == (2.5, VIRTUAL_EPOCH.timestamp() + 2.5)


@pytest.mark.parametrize("seconds", [-1.0, math.nan, math.inf], ids=["backwards", "nan", "infinite"])
def test_the_clock_refuses_to_move_other_than_forward_by_a_finite_amount(seconds: float) -> None:
    with pytest.raises(ValueError, match="finite"):
        Clock().advance(seconds)


def test_sleeps_are_recorded_with_their_start_and_source() -> None:
    clock = Clock()
    clock.sleep(20, "time.sleep")
    clock.record_sleep(5, "asyncio.sleep")
    assert clock.sleeps == [20, 5] and clock.elapsed == 20, "a recorded sleep passes its time elsewhere"
    assert clock.sleep_log == [Sleep(0.0, 20, "time.sleep"), Sleep(20.0, 5, "asyncio.sleep")]


def test_reset_goes_back_to_the_start() -> None:
    clock = Clock()
    clock.sleep(3, "time.sleep")
    clock.reset()
    assert (clock.elapsed, clock.sleeps) == (0.0, [])


def test_a_real_clock_cannot_be_advanced_and_reads_real_time() -> None:
    clock = RealClock()
    assert clock.kind == "real" and clock.elapsed >= 0
    assert clock.now() >= clock.epoch.timestamp()
    with pytest.raises(TypeError):
        clock.advance(1)
