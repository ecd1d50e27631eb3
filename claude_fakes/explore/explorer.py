"""Exploring fault schedules: run the code under test against every combination of faults, and
shrink each distinct failure to the smallest schedule that still breaks it.

Teams test the faults they thought of; the bugs live in the combinations (a 529 on attempt 1,
then a truncated stream on attempt 2). A *schedule* is one choice among the explored faults and
``ok`` for each of the first N attempts (or for the first attempt of each of N turns). On the
virtual clock a schedule costs about a millisecond, so a space of thousands is seconds: every
schedule runs while the space holds at most ``limit``, else seeded samples. The fake is reset
before each run, so each run is independent and deterministic.

Beneath the schedule lies a *base* script (``ok`` by default; any script, turns included): what
every attempt answers unless the schedule puts a fault there. A fault is served before the base's
next step, which then answers the retry, and a fault that sends model content of its own choosing
(``drop``, ``truncate``, ``stall``) sends the base's reply unless it carries one. So a fault on turn
1 of a tool loop does not end the loop, and ``drop(after=7)`` cuts the tool call the base answers
with. A fault's cut point may be a dimension: ``drop(after=*)`` is one choice per cut point of the
reply (its event count, found by a first run of the base), ``truncate(after=1..6)`` those from 1 to 6.

Coverage is honest: a run tells which positions of its schedule were reached (attempts are served
in order, turns numbered by first arrival, so they are always the first few). A schedule that
differs from one already run only where that run never reached is the same run, so it is counted
as equivalent and not run; a turn, attempt or fault no run reached is reported.

A run fails when the code raises (an assertion, an exception it lets escape) or a call would hang
forever. Failures are told apart by what escaped and the frame that raised it, never by a message
that carries ids or partial text; each distinct failure is then *shrunk*, as property-based testing
shrinks: fewer faults first, then smaller ``after=``/``seconds=``, then simpler faults (a status
before a connection fault before a stream fault), until no smaller schedule fails the same way. The
:class:`Report` holds, for each, the minimal script (the base included), a marker line that
reproduces it alone, and that run's timeline.
"""

from __future__ import annotations

import math
import os
import random
import re
import sys
from collections import Counter
from collections.abc import Callable, Iterator, Sequence
from contextlib import AbstractContextManager, nullcontext
from dataclasses import dataclass, field, replace
from typing import Any, NamedTuple, Protocol

from ..core.catalogue import ALIASES, FAULTS
from ..core.clock import Clock
from ..core.journal import Exchange
from ..core.plan import WouldHangForever
from ..core.script import StepLike, Turns, parse_turns, to_steps, to_turns
from ..core.step import OK, ScriptError, Step
from ..core.verdict import Finding, assess

__all__ = ["DEFAULT_LIMIT", "Cut", "Explorable", "Failure", "Report", "Space", "Trial", "explore"]

DEFAULT_LIMIT = 10_000
"""The largest space explored whole; beyond it, seeded samples."""
SHRINK_RUNS = 2_000
"""The most runs one shrink may take (each smaller candidate is one run)."""
SHRUNK_FAILURES = 10
"""The most distinct failures shrunk in one exploration; any beyond are listed with the first schedule
that showed them."""
UNSEEN_EVENTS = 8
"""The event count assumed for a reply no run of the base reached: ``after=*`` explores 0 to this."""
PROBE_AFTER = 1_000_000_000
"""A cut point past any reply's end: the probe's ``stall`` of no seconds is then the whole reply."""
_IDS = re.compile(r"\b(req|msg|toolu|srvtoolu)_[A-Za-z0-9]+")
_CUT = re.compile(r"\bafter\s*=\s*(?:(\*)|(\d+)\s*\.\.\s*(\d+))")


def _masked(message: str) -> str:
    """A failure message with its ids masked: a smaller schedule makes fewer requests, so its ids differ."""
    return _IDS.sub(r"\1_…", message)


class Explorable(Protocol):
    """What an exploration needs of a fake (:class:`~claude_fakes.ClaudeFake` is one).

    A fake may also have ``_remembering()``, a context manager the exploration runs in: while it is
    open, what the fake works out for a request is kept across resets, as the runs repeat requests.
    """

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


def _with_after(step: Step, after: int) -> Step:
    return replace(step, args=tuple((key, after if key == "after" else value) for key, value in step.args))


@dataclass(frozen=True)
class Cut:
    """A fault whose cut point is a dimension: ``after=K`` for each K from :attr:`low` to :attr:`high`
    (``*``: to the end of the reply it cuts), never past the reply's last cut point."""

    step: Step
    """The fault, at ``after=low``."""
    low: int
    high: int | None
    """None for ``*``: every cut point of the reply."""
    text: str
    """As the exploration was given it: ``drop(after=*)``."""

    def steps(self, events: int | None) -> tuple[Step, ...]:
        """One step per cut point, for a reply of ``events`` events (None: not known)."""
        last = self.high if self.high is not None else UNSEEN_EVENTS
        if events is not None:
            end = events if self.step.fault.cut_at_end else events - 1
            last = end if self.high is None else min(self.high, end)
        return tuple(_with_after(self.step, after) for after in range(self.low, last + 1))

    def __str__(self) -> str:
        return self.text


Choice = Step | Cut


def _choice(item: StepLike) -> Choice:
    """One explored fault: a step, or (``after=*``, ``after=A..B``) a step whose cut point is a dimension."""
    cut = _CUT.search(item) if isinstance(item, str) else None
    if cut is not None:
        name = cut.string[:cut.string.find("(")].strip()
        fault = FAULTS.get(ALIASES.get(name, name))
        after = fault.param("after") if fault is not None else None
        if fault is not None and (after is None or after.kind != "count"):
            raise ScriptError(f"explore: {fault.name} has no after= to explore, in {item!r}")
    steps = to_steps((item if cut is None else _CUT.sub(f"after={cut.group(2) or 0}", cut.string, count=1),))
    if len(steps) != 1 or steps[0].count != 1:
        raise ScriptError(f"explore: each fault is one step for one attempt, got {item!r}")
    step = steps[0]
    if step.fault.draws:
        raise ScriptError("explore: chaos draws at random; list the faults to explore instead")
    if cut is None:
        return step
    low, high = (0, None) if cut.group(1) else (int(cut.group(2)), int(cut.group(3)))
    if high is not None and high < low:
        raise ScriptError(f"explore: after={low}..{high} is an empty range, in {item!r}")
    return Cut(step, low, high, " ".join(str(item).split()))


def _base(base: StepLike | Sequence[StepLike] | None, by_turn: bool) -> Turns:
    if base is None:
        return ((),)
    turns = to_turns(base if isinstance(base, (list, tuple)) else (base,))
    if any(step.fault.draws for turn in turns for step in turn):
        raise ScriptError("explore: a base draws nothing at random (chaos); give the steps it answers with")
    if len(turns) > 1 and not by_turn:
        raise ScriptError("explore: a base with turns (';') is explored turn by turn: give turns=N, not attempts=N")
    return turns


def _taken(rest: list[Step]) -> Step:
    """The base's next step for one attempt (taken from ``rest``): a new object, so that the journal
    shows which attempt met it."""
    if not rest:
        return replace(OK)
    first = rest[0]
    if first.count == 1:
        rest.pop(0)
    else:
        rest[0] = replace(first, count=first.count - 1)
    return replace(first, count=1)


def _over(fault: Step, rest: Sequence[Step]) -> Step:
    """``fault`` served before the base's ``rest``: a fault that sends model content, given none of its
    own, sends the reply the base was about to answer with (a new object, as :func:`_taken`'s)."""
    if fault.reply is not None or not fault.fault.takes_reply:
        return replace(fault)
    reply = next((step.reply for step in rest if step.fault.takes_reply), None)
    return replace(fault, reply=reply)


def _trimmed(turns: Turns) -> list[list[Step]]:
    """A script without what changes nothing: ``ok`` at the end of a turn, turns of nothing at the end."""
    parts = [list(turn) for turn in turns]
    for part in parts:
        while part and part[-1] == OK:
            part.pop()
    while parts and not parts[-1]:
        parts.pop()
    return parts


def render(turns: Turns, *, by_turn: bool) -> str:
    """A composed script as script text: by turn, one part per turn (a lone turn of several steps
    keeps a second part, so that the text stays a turn script)."""
    parts = _trimmed(turns)
    if not parts:
        return "ok"
    texts = [", ".join(str(step) for step in part) or "ok" for part in parts]
    if by_turn and len(parts) == 1 and len(parts[0]) > 1:
        texts.append("ok")
    return "; ".join(texts)


def _same_script(text: str, turns: Turns) -> bool:
    """Whether ``text`` parses back to ``turns`` (else a reply in it has no script words)."""
    try:
        parsed = parse_turns(text)
    except ScriptError:
        return False
    return _trimmed(parsed) == _trimmed(turns)


@dataclass(frozen=True)
class Space:
    """Every schedule: one of the slot's :attr:`options` for each of :attr:`slots` attempts (or turns),
    over :attr:`base`."""

    choices: tuple[Choice, ...]
    """``ok`` first, then the explored faults, each a single step or a :class:`Cut`."""
    slots: int
    by_turn: bool = False
    base: Turns = ((),)
    """The script beneath the faults: per attempt (one part), or per turn."""
    events: tuple[int | None, ...] = ()
    """Each slot's reply event count, as a run of the base found it (empty: not probed yet)."""
    options: tuple[tuple[Step, ...], ...] = field(init=False, repr=False, compare=False)
    """For each slot, its choices as steps: ``ok``, each fault, and one step per cut point of a :class:`Cut`."""
    owners: tuple[tuple[int, ...], ...] = field(init=False, repr=False, compare=False)
    """For each slot, the index in :attr:`choices` of each of its options."""

    def __post_init__(self) -> None:
        known = [events for events in self.events if events is not None]
        options, owners = [], []
        for slot in range(self.slots):
            events = self.events[slot] if slot < len(self.events) else None
            bound = events if events is not None else max(known, default=None)
            steps: dict[Step, int] = {}
            for number, choice in enumerate(self.choices):
                for step in choice.steps(bound) if isinstance(choice, Cut) else (choice,):
                    steps.setdefault(step, number)
            options.append(tuple(steps))
            owners.append(tuple(steps.values()))
        object.__setattr__(self, "options", tuple(options))
        object.__setattr__(self, "owners", tuple(owners))

    @classmethod
    def of(cls, faults: Sequence[StepLike], *, attempts: int | None = None, turns: int | None = None,
           base: StepLike | Sequence[StepLike] | None = None) -> Space:
        if attempts is not None and turns is not None:
            raise ScriptError(f"explore takes attempts=N or turns=N, not both (got attempts={attempts!r}, "
                              f"turns={turns!r}): attempts explores one call's retries, turns a conversation's turns")
        if attempts is None and turns is None:
            raise ScriptError("explore takes attempts=N or turns=N (how many attempts, or turns, get a fault)")
        slots = attempts if attempts is not None else turns
        if type(slots) is not int or slots < 1:
            raise ScriptError(f"explore: attempts= or turns= takes a whole number >= 1, got {slots!r}")
        if isinstance(faults, str) or not faults:
            raise ScriptError("explore: faults= takes a list of faults, e.g. ['overloaded', 'drop(after=*)']")
        choices: list[Choice] = [OK]
        for item in faults:
            choice = _choice(item)
            if choice not in choices:
                choices.append(choice)
        return cls(tuple(choices), slots, turns is not None, _base(base, turns is not None))

    @property
    def cuts(self) -> bool:
        """Whether a cut point is a dimension, bounded by replies only a run of the base shows."""
        return any(isinstance(choice, Cut) for choice in self.choices)

    def bounded(self, events: Sequence[int | None]) -> Space:
        """This space with each slot's cut points bounded by its reply's event count."""
        return replace(self, events=tuple(events))

    @property
    def size(self) -> int:
        return math.prod(len(options) for options in self.options)

    def picks(self, index: int) -> tuple[int, ...]:
        """The ``index``-th schedule as an option number per slot, the last slot varying fastest."""
        digits = []
        for options in reversed(self.options):
            index, pick = divmod(index, len(options))
            digits.append(pick)
        return tuple(reversed(digits))

    def schedule(self, index: int) -> tuple[Step, ...]:
        """The ``index``-th schedule (0: ``ok`` everywhere, the base alone)."""
        return tuple(options[pick] for options, pick in zip(self.options, self.picks(index), strict=True))

    def serve(self, schedule: Sequence[Step]) -> tuple[Turns, tuple[Step, ...]]:
        """The script ``schedule`` composes with the base, and the step each slot serves (objects of their
        own, so that the journal shows which slots the run reached)."""
        served: list[Step] = []
        if not self.by_turn:
            rest = list(self.base[0])
            steps = []
            for pick in schedule:
                step = _taken(rest) if pick == OK else _over(pick, rest)
                served.append(step)
                steps.append(step)
            return (tuple(steps + rest),), tuple(served)
        turns = []
        for number in range(max(self.slots, len(self.base))):
            rest = list(self.base[number]) if number < len(self.base) else []
            if number < len(schedule):
                pick = schedule[number]
                step = _taken(rest) if pick == OK else _over(pick, rest)
                served.append(step)
                rest.insert(0, step)
            turns.append(tuple(rest))
        return tuple(turns), tuple(served)

    def compose(self, schedule: Sequence[Step]) -> Turns:
        """The script a run of ``schedule`` gets: its faults over the base."""
        return self.serve(schedule)[0]

    def script(self, schedule: Sequence[Step]) -> str:
        """``schedule`` over the base, as script text."""
        return render(self.compose(schedule), by_turn=self.by_turn)

    def label(self, slot: int) -> str:
        """How a report names a slot: ``attempt 2``, ``turn 3``."""
        return f"{'turn' if self.by_turn else 'attempt'} {slot + 1}"

    def faults_of(self, schedule: Sequence[Step]) -> str:
        """The faults of ``schedule`` by slot, without the base: ``turn 2: drop(after=7)``."""
        shown = [f"{self.label(slot)}: {step}" for slot, step in enumerate(schedule) if step != OK]
        return ", ".join(shown) or "none"


class Raised(NamedTuple):
    """What makes two failures the same: what escaped, and the frame that raised it."""

    kind: str
    """The exception's class (or, with nothing raised, the finding's kind)."""
    filename: str
    line: int
    function: str
    """The raising frame's function; for a finding with nothing raised, its message, ids masked."""

    def __str__(self) -> str:
        if not self.filename:
            return self.kind
        return f"{self.kind} raised at {_shown_path(self.filename)}:{self.line} in {self.function}"


def _shown_path(filename: str) -> str:
    """A path as a report shows it: from the working directory, else as imported (from the ``sys.path``
    entry that holds it: ``anthropic/_base_client.py``, ``json/decoder.py``)."""
    cwd = os.getcwd().rstrip(os.sep) + os.sep
    if filename.startswith(cwd):
        return filename[len(cwd):]
    holders = [root for entry in sys.path if entry and filename.startswith(root := os.path.abspath(entry) + os.sep)]
    return filename[len(max(holders, key=len)):] if holders else filename


def raised_at(error: BaseException) -> Raised:
    """The identity of a failure: the exception's class and the innermost frame of its traceback (a hang
    forever is one failure, wherever the fake noticed it)."""
    if isinstance(error, WouldHangForever):
        return Raised(WouldHangForever.__name__, "", 0, "")
    last = error.__traceback__
    while last is not None and last.tb_next is not None:
        last = last.tb_next
    if last is None:
        return Raised(type(error).__name__, "", 0, "")
    code = last.tb_frame.f_code
    return Raised(type(error).__name__, code.co_filename, last.tb_lineno, code.co_name)


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
    met: tuple[int, ...] = ()
    """The slots (attempts or turns, from 0) whose step an attempt met."""
    raised: Raised | None = None
    """What made the run fail, when it failed."""
    findings: tuple[Finding, ...] = field(default=(), repr=False)
    """The run's resilience findings (:mod:`claude_fakes.core.verdict`); ``truncated_stream_accepted`` only
    where the code did accept the truncated stream."""
    output: str = field(default="", repr=False)
    """What the run printed and logged, kept only for a failure's last run (the others' is dropped)."""

    @property
    def failed(self) -> bool:
        return self.message is not None

    @property
    def faults(self) -> int:
        return sum(1 for step in self.schedule if not step.fault.baseline)

    @property
    def reached(self) -> int:
        """How many slots the run reached: past the last slot met, nothing was."""
        return self.met[-1] + 1 if self.met else 0


@dataclass
class Failure:
    """One distinct way the code failed (what escaped, where it was raised), shrunk on its own."""

    raised: Raised
    runs: int
    """How many schedules failed this way."""
    first: Trial
    """The simplest schedule that showed it (fewest faults, then the first run)."""
    minimal_run: Trial
    """The smallest schedule shrinking found that fails the same way, run again for its timeline."""
    script: str
    """:attr:`minimal_run`'s schedule over the base, as script text."""
    faults: str
    """Its faults alone, by slot."""
    shrunk: bool
    reproducible: bool = True
    """Whether :attr:`script` parses back to what the run got (a reply with no script words would not)."""

    @property
    def reproducer(self) -> str | None:
        """A marker line that reruns the minimal schedule, base included, in a test of its own."""
        return f"@pytest.mark.claude_fake({show_script(self.script)})" if self.reproducible else None

    def describe(self, number: int, of: int) -> list[str]:
        run = self.minimal_run
        lines = [f"failure {number} of {of}: {self.raised} (in {self.runs} schedule(s))"]
        if self.shrunk:
            lines += [f"minimal failing schedule: {self.script}", f"its faults: {self.faults}"]
        else:
            lines.append(f"first failing schedule (not shrunk: over {SHRUNK_FAILURES} distinct failures): "
                         f"{self.script}")
        lines.append(f"reproduce it with: {self.reproducer}" if self.reproducer else
                     "reproduce it with claude_fake.turns(...) in Python: a reply in it has no script words")
        lines.append(f"what failed: {run.message}")
        lines += [f"finding: {finding}" for finding in run.findings]
        lines.append(run.timeline)
        return lines


@dataclass
class Report:
    """What an exploration found."""

    space: Space
    runs: int
    """Schedules run (those equivalent to one run are not)."""
    failures: list[Trial]
    minimal: str | None
    """The smallest failing schedule of the simplest distinct failure, base included, as a script; None
    when every schedule passed."""
    minimal_run: Trial | None
    worst_case: float
    """The longest virtual time any schedule took."""
    outcomes: Counter[str]
    """How many runs ended each way (``ok``, or what escaped), summing to :attr:`runs`."""
    unreached: list[str]
    """Explored faults that no run's reached attempts met: the space says more than the code tests."""
    exhaustive: bool
    shard: tuple[int, int] | None = None
    distinct: list[Failure] = field(default_factory=list)
    """Each distinct failure, simplest first, with its own minimal script, reproducer and timeline."""
    equivalent: int = 0
    """Schedules not run: they differ from one that ran only where that run reached nothing."""
    unreached_slots: list[str] = field(default_factory=list)
    """The attempts or turns no run reached (``turn 3``)."""
    allow_unreached: bool = False
    """Whether what no run reached leaves the exploration passing."""
    findings: Counter[str] = field(default_factory=Counter)
    """How many runs showed each resilience finding, by code."""
    finding_examples: dict[str, str] = field(default_factory=dict)
    """For each finding's code, the simplest schedule (base included) whose run showed it."""

    @property
    def passed(self) -> bool:
        return not self.failures and (self.allow_unreached or not (self.unreached or self.unreached_slots))

    @property
    def reproducer(self) -> str | None:
        """A marker line that reruns the minimal schedule in a test."""
        return self.distinct[0].reproducer if self.distinct else None

    @property
    def distinct_failures(self) -> list[str]:
        """What failed, once per distinct failure (ids masked)."""
        return [_masked(failure.first.message or "") for failure in self.distinct]

    def summary(self) -> str:
        how = "every schedule" if self.exhaustive else "seeded samples"
        where = f", shard {self.shard[0]} of {self.shard[1]}" if self.shard else ""
        same = f"; {self.equivalent} more equivalent to one run on what it reached" if self.equivalent else ""
        counts = ", ".join(f"{name} {count}" for name, count in sorted(self.outcomes.items()))
        found = ", ".join(f"{code} {count}" for code, count in sorted(self.findings.items()))
        missed = ", ".join([*self.unreached_slots, *self.unreached])
        return (f"claude_fakes explore: {self.runs} schedule(s) run ({how} of {self.space.size}{where}{same}), "
                f"{len(self.failures)} failed, {len(self.distinct)} distinct failure(s); worst case "
                f"{self.worst_case:g}s virtual; outcomes: {counts}" + (f"; findings: {found}" if found else "")
                + (f"; not reached{' (allowed)' if self.allow_unreached else ''}: {missed}" if missed else ""))

    def __str__(self) -> str:
        lines = [self.summary()]
        if self.space.base != ((),):
            lines.append(f"base: {render(self.space.base, by_turn=self.space.by_turn)}")
        allowed = " (allowed)" if self.allow_unreached else ""
        if self.unreached_slots:
            lines.append(f"{'turns' if self.space.by_turn else 'attempts'} no schedule reached{allowed} (the code "
                         "stops before them, or the space is mis-specified): " + ", ".join(self.unreached_slots))
        if self.unreached:
            lines.append(f"faults no schedule's attempts ever met{allowed} (the space is mis-specified, or the code "
                         "stops before them): " + ", ".join(self.unreached))
        for code, script in sorted(self.finding_examples.items()):
            lines.append(f"finding {code} in {self.findings[code]} run(s); the simplest: {script}")
        for number, failure in enumerate(self.distinct, 1):
            lines += failure.describe(number, len(self.distinct))
        return "\n".join(lines)


def show_script(script: str) -> str:
    """A script as a Python string literal, in double quotes."""
    return '"' + script.replace("\\", "\\\\").replace('"', '\\"') + '"'


def _describe(error: BaseException) -> str:
    text = str(error).strip().splitlines()
    first = text[0] if text else ""
    return f"{type(error).__name__}: {first}" if first else type(error).__name__


def same_failure(one: Trial, other: Trial) -> bool:
    """Whether two runs failed the same way: what escaped, raised by the same frame."""
    return one.raised is not None and one.raised == other.raised


def run_schedule(fake: Explorable, fn: Callable[[], object], space: Space, schedule: tuple[Step, ...],
                 *, keep_timeline: bool = False, drain: Callable[[], str] | None = None) -> Trial:
    """Reset ``fake``, give it ``schedule`` over the base, call ``fn`` and say how it went.

    ``drain`` takes what the run printed and logged; it is kept with the trial only with ``keep_timeline``.
    """
    fake.reset()
    turns, served = space.serve(schedule)
    if space.by_turn:
        fake.turns(*turns)
    else:
        fake.script(*turns[0])
    outcome, message, raised, refused = "ok", None, None, False
    try:
        fn()
    except (KeyboardInterrupt, SystemExit):
        raise
    except BaseException as error:  # an exploration reports whatever escapes, WouldHangForever included
        outcome, message, raised = type(error).__name__, _describe(error), raised_at(error)
        # An assertion is the test's verdict on what the code returned; anything else, the code's own refusal.
        refused = not isinstance(error, AssertionError)
        del error  # its traceback holds the run's frames: let them go with the run
    output = drain() if drain is not None else ""
    findings = fake.findings
    if message is None and findings:
        # A finding that is not a hang (a request no cassette recording answers) is counted as what it is.
        message = findings[0]
        outcome = WouldHangForever.__name__ if "would hang forever" in message else "finding"
        raised = Raised(outcome, "", 0, "" if outcome == WouldHangForever.__name__ else _masked(message))
    journal = fake.journal
    slot_of = {id(step): slot for slot, step in enumerate(served)}
    met = sorted({slot_of[id(exchange.step)] for exchange in journal if id(exchange.step) in slot_of})
    actions = frozenset(exchange.step.action for exchange in journal if exchange.step is not None)
    return Trial(schedule, outcome, message, fake.clock.elapsed, actions, fake.timeline() if keep_timeline else "",
                 tuple(met), raised, assess(journal, raised=refused).findings, output if keep_timeline else "")


def probe(fake: Explorable, fn: Callable[[], object], space: Space,
          drain: Callable[[], str] | None = None) -> tuple[int | None, ...]:
    """Each slot's reply event count, from one run that answers every slot with the whole reply a fault
    there would cut (a ``stall`` of no seconds after them all); None where that run reached no slot."""
    whole = Step.make("stall", after=PROBE_AFTER, seconds=0)
    fake.reset()
    turns, served = space.serve((whole,) * space.slots)
    if space.by_turn:
        fake.turns(*turns)
    else:
        fake.script(*turns[0])
    try:
        fn()
    except (KeyboardInterrupt, SystemExit):
        raise
    except BaseException:  # the probe measures replies; the schedules judge the code
        pass
    if drain is not None:
        drain()
    events: dict[int, int] = {}
    slot_of = {id(step): slot for slot, step in enumerate(served)}
    for exchange in fake.journal:
        slot = slot_of.get(id(exchange.step))
        if slot is not None:
            events[slot] = max(events.get(slot, 0), exchange.events)
    return tuple(events.get(slot) for slot in range(space.slots))


def _indices(space: Space, limit: int, samples: int | None, seed: int) -> tuple[Iterator[int], int, bool]:
    if space.size <= limit and samples is None:
        return iter(range(space.size)), space.size, True
    count = samples if samples is not None else limit
    if type(count) is not int or count < 1:
        raise ScriptError(f"explore: samples= takes a whole number >= 1, got {count!r}")
    rng = random.Random(f"{seed}:explore")
    return (rng.randrange(space.size) for _ in range(count)), count, False


class _Runs:
    """The prefixes of schedules already run, up to what each reached: any schedule that starts with
    one of them is the same run."""

    def __init__(self) -> None:
        self._prefixes: set[tuple[int, ...]] = set()

    def covers(self, picks: tuple[int, ...]) -> bool:
        return any(picks[:length] in self._prefixes for length in range(len(picks) + 1))

    def add(self, picks: tuple[int, ...], reached: int) -> None:
        self._prefixes.add(picks[:reached])


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
    allow_unreached: bool = False,
    drain: Callable[[], str] | None = None,
) -> Report:
    """Run ``fn`` against the schedules of ``space`` on ``fake`` (active), and shrink each distinct
    failure. ``shard=(i, k)``: only every k-th schedule from the i-th (1-based), so that k items
    together cover the space. ``progress(done, total)`` is called before the first schedule (the
    count, cut points bounded) and as schedules are done (run, or equivalent to one run).
    ``allow_unreached``: what no run reached does not fail the exploration. ``drain()`` takes what a
    run printed and logged: dropped, but for each distinct failure's minimal run."""
    if type(limit) is not int or limit < 1:
        raise ScriptError(f"explore: limit= takes a whole number >= 1, got {limit!r}")
    strict = fake.strict
    fake.strict = False  # a schedule's later steps may go unused: the code may stop early
    remembering: Callable[[], AbstractContextManager[None]] = getattr(fake, "_remembering", nullcontext)
    try:
        with remembering():
            if space.cuts:
                space = space.bounded(probe(fake, fn, space, drain))
            indices, total, exhaustive = _indices(space, limit, samples, seed)
            if shard is not None:
                number, count = shard
                indices = (index for position, index in enumerate(indices) if position % count == number - 1)
                total = len(range(number - 1, total, count))
            done = runs = equivalent = 0
            worst = 0.0
            outcomes: Counter[str] = Counter()
            failures: list[Trial] = []
            simplest: dict[Raised, Trial] = {}
            counts: Counter[Raised] = Counter()
            findings: Counter[str] = Counter()
            examples: dict[str, tuple[int, tuple[Step, ...]]] = {}
            met_slots: set[int] = set()
            met_choices: set[int] = set()
            seen = _Runs()
            if progress is not None:
                progress(0, total)
            for index in indices:
                done += 1
                picks = space.picks(index)
                if seen.covers(picks):
                    equivalent += 1
                else:
                    run = run_schedule(fake, fn, space, tuple(o[p] for o, p in zip(space.options, picks, strict=True)),
                                       drain=drain)
                    seen.add(picks, run.reached)
                    runs += 1
                    worst = max(worst, run.elapsed)
                    outcomes[run.outcome] += 1
                    met_slots.update(run.met)
                    met_choices.update(space.owners[slot][picks[slot]] for slot in run.met)
                    for code in dict.fromkeys(finding.code for finding in run.findings):
                        findings[code] += 1
                        if code not in examples or run.faults < examples[code][0]:
                            examples[code] = (run.faults, run.schedule)
                    if run.raised is not None:
                        failures.append(run)
                        counts[run.raised] += 1
                        if run.raised not in simplest or run.faults < simplest[run.raised].faults:
                            simplest[run.raised] = run
                if progress is not None:
                    progress(done, total)
            ordered = sorted(simplest.items(), key=lambda item: item[1].faults)
            distinct = [_shrunk(fake, fn, space, raised, trial, counts[raised], number < SHRUNK_FAILURES, drain)
                        for number, (raised, trial) in enumerate(ordered)]
            fake.reset()
    finally:
        fake.strict = strict
    # Only a whole space shows that something is never reached; a sample or a shard may just miss it.
    whole = exhaustive and shard is None
    unreached = [str(choice) for number, choice in enumerate(space.choices) if number and whole
                 and number not in met_choices]
    unreached_slots = [space.label(slot) for slot in range(space.slots) if whole and slot not in met_slots]
    first = distinct[0] if distinct else None
    return Report(space, runs, failures, first.script if first else None, first.minimal_run if first else None,
                  worst, outcomes, unreached, exhaustive, shard, distinct=distinct, equivalent=equivalent,
                  unreached_slots=unreached_slots, allow_unreached=allow_unreached, findings=findings,
                  finding_examples={code: space.script(schedule) for code, (_, schedule) in examples.items()})


def _shrunk(fake: Explorable, fn: Callable[[], object], space: Space, raised: Raised, first: Trial, runs: int,
            shrinking: bool, drain: Callable[[], str] | None) -> Failure:
    minimal = shrink(fake, fn, space, first, drain=drain) if shrinking else run_schedule(
        fake, fn, space, first.schedule, keep_timeline=True, drain=drain)
    turns = space.compose(minimal.schedule)
    script = render(turns, by_turn=space.by_turn)
    return Failure(raised, runs, first, minimal, script, space.faults_of(minimal.schedule), shrinking,
                   _same_script(script, turns))


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
        for simpler in space.options[position][1:]:
            if _rank(simpler) < current:
                yield with_step(position, simpler)


def shrink(fake: Explorable, fn: Callable[[], object], space: Space, failing: Trial,
           *, drain: Callable[[], str] | None = None) -> Trial:
    """The smallest schedule reachable from ``failing`` that fails the same way (same :class:`Raised`)."""
    current = failing
    budget = SHRINK_RUNS
    tried: set[tuple[Step, ...]] = {failing.schedule}
    improved = True
    while improved and budget > 0:
        improved = False
        for candidate in _candidates(current.schedule, space):
            if candidate in tried:
                continue
            tried.add(candidate)
            budget -= 1
            run = run_schedule(fake, fn, space, candidate, drain=drain)
            if same_failure(run, failing):
                current, improved = run, True
                break
            if budget <= 0:
                break
    # Trial it once more for its timeline: the report shows the minimal run as it happened.
    return run_schedule(fake, fn, space, current.schedule, keep_timeline=True, drain=drain)

