"""Exploring fault schedules: run the code under test against every combination of faults, and
shrink a failure to the smallest schedule that still breaks it.

Teams test the faults they thought of; the bugs live in the combinations (a 529 on attempt 1,
then a truncated stream on attempt 2). A *schedule* is one choice among the explored faults and
``ok`` for each of the first N attempts (or for the first attempt of each of N turns). On the
virtual clock a schedule costs about a millisecond, so a space of thousands is seconds: every
schedule runs while the space holds at most ``limit``, else seeded samples. The fake is reset
before each run, so each run is independent and deterministic.

A run fails when the code raises (an assertion, an exception it lets escape) or a call would
hang forever. The failure with the fewest faults is then *shrunk*, as property-based testing
shrinks: fewer faults first, then smaller ``after=``/``seconds=``, then simpler faults (a status
before a connection fault before a stream fault), until no smaller schedule fails the same way.
The :class:`Report` holds the minimal script, a marker line that reproduces it, and that run's
timeline.
"""

from __future__ import annotations

import math
import random
import re
from collections import Counter
from collections.abc import Callable, Iterator, Sequence
from dataclasses import dataclass, field, replace
from typing import Any, Protocol

from ..core.clock import Clock
from ..core.journal import Exchange
from ..core.plan import WouldHangForever
from ..core.script import StepLike, to_steps
from ..core.step import OK, ScriptError, Step

__all__ = ["DEFAULT_LIMIT", "Explorable", "Report", "Space", "Trial", "explore"]

DEFAULT_LIMIT = 10_000
"""The largest space explored whole; beyond it, seeded samples."""
SHRINK_RUNS = 2_000
"""The most runs one shrink may take (each smaller candidate is one run)."""
_IDS = re.compile(r"\b(req|msg|toolu)_[A-Za-z0-9]+")


def _masked(message: str) -> str:
    """A failure message with its ids masked: a smaller schedule makes fewer requests, so its ids differ."""
    return _IDS.sub(r"\1_…", message)


class Explorable(Protocol):
    """What an exploration needs of a fake (:class:`~claude_fakes.ClaudeFake` is one)."""

    strict: bool

    @property
    def clock(self) -> Clock: ...

    def reset(self) -> None: ...

    def script(self, *items: StepLike) -> Any: ...

    def turns(self, *scripts: StepLike | list[StepLike] | tuple[StepLike, ...]) -> Any: ...

    @property
    def journal(self) -> list[Exchange]: ...

    @property
    def findings(self) -> list[str]: ...

    def timeline(self) -> str: ...


def _rank(step: Step) -> int:
    """How simple a fault is to reason about: a status, then one before any event (a hang, a refused
    or reset connection), then one inside a stream (it has an ``after``)."""
    if step.fault.baseline:
        return -1
    if step.fault.answers_with_status:
        return 0
    return 1 if step.fault.param("after") is None or step["after"] is None else 2


@dataclass(frozen=True)
class Space:
    """Every schedule: one of :attr:`choices` for each of :attr:`slots` attempts (or turns)."""

    choices: tuple[Step, ...]
    """``ok`` first, then the explored faults, each a single step."""
    slots: int
    by_turn: bool = False

    @classmethod
    def of(cls, faults: Sequence[StepLike], *, attempts: int | None = None, turns: int | None = None) -> Space:
        if attempts is not None and turns is not None:
            raise ScriptError(f"explore takes attempts=N or turns=N, not both (got attempts={attempts!r}, "
                              f"turns={turns!r}): attempts explores one call's retries, turns a conversation's turns")
        if attempts is None and turns is None:
            raise ScriptError("explore takes attempts=N or turns=N (how many attempts, or turns, get a fault)")
        slots = attempts if attempts is not None else turns
        if type(slots) is not int or slots < 1:
            raise ScriptError(f"explore: attempts= or turns= takes a whole number >= 1, got {slots!r}")
        if isinstance(faults, str) or not faults:
            raise ScriptError("explore: faults= takes a list of faults, e.g. ['overloaded', 'drop(after=2)']")
        choices = [OK]
        for item in faults:
            steps = to_steps((item,))
            if len(steps) != 1 or steps[0].count != 1:
                raise ScriptError(f"explore: each fault is one step for one attempt, got {item!r}")
            if steps[0].fault.draws:
                raise ScriptError("explore: chaos draws at random; list the faults to explore instead")
            if steps[0] not in choices:
                choices.append(steps[0])
        return cls(tuple(choices), slots, turns is not None)

    @property
    def size(self) -> int:
        size: int = len(self.choices) ** self.slots
        return size

    def schedule(self, index: int) -> tuple[Step, ...]:
        """The ``index``-th schedule, the last slot varying fastest (0: all ``ok``)."""
        picks = []
        for _ in range(self.slots):
            index, pick = divmod(index, len(self.choices))
            picks.append(self.choices[pick])
        return tuple(reversed(picks))

    def script(self, schedule: Sequence[Step]) -> str:
        """A schedule as script text, trailing ``ok`` left out (past a script every attempt gets ``ok``)."""
        steps = list(schedule)
        while steps and steps[-1] == OK:
            steps.pop()
        if not steps:
            return "ok"
        return ("; " if self.by_turn else ", ").join(str(step) for step in steps)


@dataclass
class Trial:
    """One schedule, tried: how the code under test came out of it."""

    schedule: tuple[Step, ...]
    outcome: str
    """``ok``, or the name of what escaped: an exception class, ``WouldHangForever``."""
    message: str | None
    """What failed, or None when the run passed."""
    elapsed: float
    actions: frozenset[str]
    """The actions of the steps the run's attempts met."""
    timeline: str = field(default="", repr=False)

    @property
    def failed(self) -> bool:
        return self.message is not None

    @property
    def faults(self) -> int:
        return sum(1 for step in self.schedule if not step.fault.baseline)


@dataclass
class Report:
    """What an exploration found."""

    space: Space
    runs: int
    failures: list[Trial]
    minimal: str | None
    """The smallest failing schedule as a script, or None when every schedule passed."""
    minimal_run: Trial | None
    worst_case: float
    """The longest virtual time any schedule took."""
    outcomes: Counter[str]
    """How many runs ended each way (``ok``, or what escaped), summing to :attr:`runs`."""
    unreached: list[str]
    """Explored faults that no run's attempts ever met: the space says more than the code tests."""
    exhaustive: bool
    shard: tuple[int, int] | None = None

    @property
    def passed(self) -> bool:
        return not self.failures and not self.unreached

    @property
    def reproducer(self) -> str | None:
        """A marker line that reruns the minimal schedule in a test."""
        if self.minimal is None:
            return None
        return f"@pytest.mark.claude_fake({show_script(self.minimal)})"

    @property
    def distinct_failures(self) -> list[str]:
        seen: dict[str, str] = {}
        for run in self.failures:
            message = run.message or ""
            seen.setdefault(_masked(message), message)
        return list(seen.values())

    def summary(self) -> str:
        how = "every schedule" if self.exhaustive else "seeded samples"
        where = f", shard {self.shard[0]} of {self.shard[1]}" if self.shard else ""
        counts = ", ".join(f"{name} {count}" for name, count in sorted(self.outcomes.items()))
        return (f"claude_fakes explore: {self.runs} schedule(s) run ({how} of {self.space.size}{where}), "
                f"{len(self.failures)} failed, {len(self.distinct_failures)} distinct failure(s); worst case "
                f"{self.worst_case:g}s virtual; outcomes: {counts}")

    def __str__(self) -> str:
        lines = [self.summary()]
        if self.unreached:
            lines.append("faults no schedule's attempts ever met (the space is mis-specified, or the code stops "
                         "before them): " + ", ".join(self.unreached))
        run = self.minimal_run
        if run is not None:
            lines += [f"minimal failing schedule: {self.minimal}",
                      f"reproduce it with: {self.reproducer}",
                      f"what failed: {run.message}", run.timeline]
            others = [message for message in self.distinct_failures if message != run.message]
            if others:
                lines.append("other failures: " + "; ".join(others[:5]))
        return "\n".join(lines)


def show_script(script: str) -> str:
    """A script as a Python string literal, in double quotes."""
    return '"' + script.replace("\\", "\\\\").replace('"', '\\"') + '"'


def _describe(error: BaseException) -> str:
    text = str(error).strip().splitlines()
    first = text[0] if text else ""
    return f"{type(error).__name__}: {first}" if first else type(error).__name__


def same_failure(one: Trial, other: Trial) -> bool:
    """Whether two runs failed the same way: what escaped, and its message up to the ids in it."""
    return (one.outcome == other.outcome and one.message is not None and other.message is not None
            and _masked(one.message) == _masked(other.message))


def run_schedule(fake: Explorable, fn: Callable[[], object], space: Space, schedule: tuple[Step, ...],
                 *, keep_timeline: bool = False) -> Trial:
    """Reset ``fake``, give it ``schedule``, call ``fn`` and say how it went."""
    fake.reset()
    if space.by_turn:
        fake.turns(*((step,) for step in schedule))
    else:
        fake.script(*schedule)
    outcome, message = "ok", None
    try:
        fn()
    except (KeyboardInterrupt, SystemExit):
        raise
    except BaseException as error:  # an exploration reports whatever escapes, WouldHangForever included
        outcome, message = type(error).__name__, _describe(error)
    findings = fake.findings
    if message is None and findings:
        outcome, message = WouldHangForever.__name__, findings[0]
    actions = frozenset(exchange.step.action for exchange in fake.journal if exchange.step is not None)
    return Trial(schedule, outcome, message, fake.clock.elapsed, actions, fake.timeline() if keep_timeline else "")


def _indices(space: Space, limit: int, samples: int | None, seed: int) -> tuple[Iterator[int], bool]:
    if space.size <= limit and samples is None:
        return iter(range(space.size)), True
    count = samples if samples is not None else limit
    if type(count) is not int or count < 1:
        raise ScriptError(f"explore: samples= takes a whole number >= 1, got {count!r}")
    rng = random.Random(f"{seed}:explore")
    return (rng.randrange(space.size) for _ in range(count)), False


def explore(
    fake: Explorable,
    fn: Callable[[], object],
    space: Space,
    *,
    limit: int = DEFAULT_LIMIT,
    samples: int | None = None,
    seed: int = 0,
    shard: tuple[int, int] | None = None,
    progress: Callable[[int, int], None] | None = None,
) -> Report:
    """Run ``fn`` against the schedules of ``space`` on ``fake`` (active), and shrink the simplest
    failure. ``shard=(i, k)``: only every k-th schedule from the i-th (1-based), so that k items
    together cover the space. ``progress(done, total)`` is called as runs complete."""
    if type(limit) is not int or limit < 1:
        raise ScriptError(f"explore: limit= takes a whole number >= 1, got {limit!r}")
    indices, exhaustive = _indices(space, limit, samples, seed)
    total = space.size if exhaustive else (samples or limit)
    if shard is not None:
        number, count = shard
        indices = (index for position, index in enumerate(indices) if position % count == number - 1)
        total = len(range(number - 1, total, count))
    strict = fake.strict
    fake.strict = False  # a schedule's later steps may go unused: the code may stop early
    runs = 0
    worst = 0.0
    outcomes: Counter[str] = Counter()
    failures: list[Trial] = []
    reached: set[str] = set()
    try:
        for index in indices:
            run = run_schedule(fake, fn, space, space.schedule(index))
            runs += 1
            worst = max(worst, run.elapsed)
            outcomes[run.outcome] += 1
            reached |= run.actions
            if run.failed:
                failures.append(run)
            if progress is not None:
                progress(runs, total)
        minimal_run = None
        if failures:
            simplest = min(failures, key=lambda run: run.faults)
            minimal_run = shrink(fake, fn, space, simplest)
        fake.reset()
    finally:
        fake.strict = strict
    # Only a whole space shows that a fault is never met; a sample or a shard may just miss it.
    whole = exhaustive and shard is None
    unreached = [str(step) for step in space.choices[1:] if whole and step.action not in reached]
    return Report(space, runs, failures, space.script(minimal_run.schedule) if minimal_run else None, minimal_run,
                  worst, outcomes, unreached, exhaustive, shard)


def _smaller_args(step: Step) -> Iterator[Step]:
    for param in step.fault.params:
        value = step[param.name]
        if param.kind == "count" and isinstance(value, int) and value > 0:
            for smaller in dict.fromkeys((0, value // 2, value - 1)):
                if smaller < value:
                    yield replace(step, args=tuple((k, smaller if k == param.name else v) for k, v in step.args))
        elif param.kind == "duration" and isinstance(value, float) and not math.isinf(value) and value >= 2:
            smaller_seconds = float(math.floor(value / 2))
            yield replace(step, args=tuple((k, smaller_seconds if k == param.name else v) for k, v in step.args))


def _candidates(schedule: tuple[Step, ...], space: Space) -> Iterator[tuple[Step, ...]]:
    def with_step(position: int, step: Step) -> tuple[Step, ...]:
        return (*schedule[:position], step, *schedule[position + 1:])

    faulty = [position for position, step in enumerate(schedule) if not step.fault.baseline]
    for position in faulty:
        yield with_step(position, OK)
    for position in faulty:
        for smaller in _smaller_args(schedule[position]):
            yield with_step(position, smaller)
    for position in faulty:
        current = _rank(schedule[position])
        for simpler in space.choices[1:]:
            if _rank(simpler) < current:
                yield with_step(position, simpler)


def shrink(fake: Explorable, fn: Callable[[], object], space: Space, failing: Trial) -> Trial:
    """The smallest schedule reachable from ``failing`` that fails the same way (same outcome)."""
    current = failing
    budget = SHRINK_RUNS
    improved = True
    while improved and budget > 0:
        improved = False
        for candidate in _candidates(current.schedule, space):
            budget -= 1
            run = run_schedule(fake, fn, space, candidate)
            if same_failure(run, failing):
                current, improved = run, True
                break
            if budget <= 0:
                break
    # Trial it once more for its timeline: the report shows the minimal run as it happened.
    return run_schedule(fake, fn, space, current.schedule, keep_timeline=True)
