"""Hypothesis strategies for fault scripts (install ``claude-fakes[hypothesis]``).

``scripts(faults=..., attempts=N)`` draws one choice among ``ok`` and the faults for each of N
attempts (``turns=N``: for each of N turns) and gives it as script text, the same schedules
``claude_explore`` enumerates. ``ok`` is the first choice, so Hypothesis shrinks a failing script
towards ``ok`` at every attempt but the ones that matter::

    @given(script=strategies.scripts(faults=["overloaded", "truncate(after=3)"], attempts=2))
    def test_answers_or_fails_loudly(script):
        with ClaudeFake(script, strict=False):
            ...
"""

from __future__ import annotations

from collections.abc import Sequence
from typing import Any

from ..core.script import StepLike
from ..core.step import ScriptError
from .explorer import Cut, Space

__all__ = ["scripts"]


def scripts(faults: Sequence[StepLike], *, attempts: int | None = None, turns: int | None = None,
            base: StepLike | Sequence[StepLike] | None = None) -> Any:
    """A strategy of scripts: for each attempt (or turn), ``ok`` or one of ``faults``, over ``base``
    (as ``claude_explore``'s ``base=``). A cut point may be a range (``truncate(after=1..6)``); ``*``
    needs a run to know the reply's end, which a strategy has not."""
    try:
        from hypothesis import strategies
    except ImportError:  # pragma: no cover - the message is the point
        raise ImportError("claude_fakes.strategies needs Hypothesis: pip install 'claude-fakes[hypothesis]'") from None
    space = Space.of(faults, attempts=attempts, turns=turns, base=base)
    endless = [str(choice) for choice in space.choices if isinstance(choice, Cut) and choice.high is None]
    if endless:
        raise ScriptError(f"strategies.scripts: {', '.join(endless)} ends where the reply does, which only a run "
                          "shows; give a range (after=0..8)")
    # Unprobed, every slot has the same options: one list, which Hypothesis shrinks toward ok slot by slot.
    choice = strategies.sampled_from(space.options[0])
    return strategies.lists(choice, min_size=space.slots, max_size=space.slots).map(space.script)
