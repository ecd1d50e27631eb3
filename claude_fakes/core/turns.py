"""Scripts by attempt and by turn, and routes: which step an attempt gets.

A *turn* is one logical call: every request with the same ``messages`` belongs to it, whatever
retried it (the SDK, the application, both). Scripting by attempt number breaks as soon as a
retry shifts the count; a turn script (``"overloaded*2, ok; drop(after=3), ok"``) gives each
turn its own steps. A :class:`ScriptState` holds one script (the fake's, or a route's) and knows
which step an attempt of which turn gets; a :class:`Route` is a script for the requests that
match it. The engine (:mod:`claude_fakes.engine.engine`) numbers turns and picks the route; this module
knows nothing of HTTP or clocks.
"""

from __future__ import annotations

import math
import threading
from collections.abc import Callable, Mapping
from dataclasses import InitVar, dataclass, field, replace
from typing import Any

from .conversation import last_results, last_user_text, text_of, turn_key
from .journal import Exchange
from .script import StepLike, Turns, to_turns
from .step import OK, ScriptError, Step

__all__ = ["CallScript", "Route", "ScriptState", "TurnNumbers", "key_of", "session_key"]


MOST_TURNS = 10_000
"""Turns whose numbers a fake remembers: the ones most recently seen. A conversation not seen for
longer than that is a new turn when it comes back (a server that runs for days numbers turns
without end, and keeps only these)."""


class TurnNumbers:
    """Turns by their key (:func:`key_of`), numbered 1, 2, … in order of first arrival; the ``most``
    (by default :data:`MOST_TURNS`) most recently seen are remembered."""

    def __init__(self, most: int | None = None) -> None:
        self._numbers: dict[str, int] = {}
        self._count = 0
        self._most = most

    def of(self, key: str) -> int:
        numbers = self._numbers
        number = numbers.pop(key, None)
        if number is None:
            self._count += 1
            number = self._count
            if len(numbers) >= (MOST_TURNS if self._most is None else self._most):
                del numbers[next(iter(numbers))]  # the least recently seen
        numbers[key] = number  # last in the dict: the most recently seen
        return number

    def __len__(self) -> int:
        """How many turns were numbered."""
        return self._count


@dataclass
class Scripted:
    step: Step
    script_number: int
    position: int
    turn: int | None = None
    """The turn of a turn script this step belongs to (1, 2, …), or None in a per-attempt script."""
    used: int = 0
    """The most uses of this step by any one session (see :class:`ScriptState`)."""
    default: bool = False
    """From a default script (command line, ini, module or class marker): the test's first
    ``script()`` call replaces it, and its steps then owe nothing to the strict check."""

    @property
    def unused(self) -> bool:
        return self.used == 0 if math.isinf(self.step.count) else self.used < self.step.count

    def describe(self, owner: str) -> str:
        where = f"turn {self.turn}, " if self.turn is not None else ""
        count = "inf" if math.isinf(self.step.count) else int(self.step.count)
        return (f"{self.step} ({owner}{where}step {self.position} of script {self.script_number}, "
                f"used {self.used} of {count})")


MOST_SESSIONS = 1_000
"""Agent sessions whose place in a script a fake remembers: the ones most recently seen."""
MOST_SESSION_TURNS = 1_000
"""Turns each agent session's place in a script remembers (so that a thousand sessions of long
conversations hold a bounded memory): a turn not seen for longer is a new one when it comes back."""


class _Cursor:
    """Where one session is in the script: its turns by number, and per queue (``-1`` the per-attempt queue,
    else a turn's index) the step it is on and how often it has used it."""

    def __init__(self, most_turns: int | None = None) -> None:
        self.turn_numbers = TurnNumbers(most_turns)
        self.first_turn = 0
        self.places: dict[int, list[int]] = {}

    def restart(self) -> None:
        """A new script: its turns count from this session's next new turn, its steps from the first."""
        self.first_turn = len(self.turn_numbers)
        self.places = {}

    def take(self, queue: list[Scripted], slot: int) -> Step | None:
        place = self.places.setdefault(slot, [0, 0])
        index, used = place
        while index < len(queue) and used >= queue[index].step.count:
            index, used = index + 1, 0
        if index == len(queue):
            place[:] = index, used
            return None
        entry = queue[index]
        place[:] = index, used + 1
        entry.used = max(entry.used, used + 1)
        return entry.step


class ScriptState:
    """One script: per attempt (a queue every attempt takes from) or per turn (a queue per turn,
    counted from the first turn this script serves after it was set).

    Agent sessions are kept apart: the requests of each session (:attr:`Incoming.session`) meet the
    script from its start as if they were alone, so concurrent sessions each get ``overloaded*2, ok``
    whatever order their attempts arrive in; requests of no session share one place in it. A step is
    used once one session used it as often as it says.
    """

    def __init__(self, lock: threading.RLock, label: str = "") -> None:
        self._lock = lock
        """The engine's: a script changes while requests may be taking its steps."""
        self.label = label
        """How unused-step reports name this script's owner (empty for the fake's own)."""
        self._entries: list[Scripted] = []
        self._queue: list[Scripted] = []
        self._turns: list[list[Scripted]] | None = None
        self._cursors: dict[str | None, _Cursor] = {None: _Cursor()}
        """By session (None: requests of none), the least recently used first."""
        self._scripts = 0

    def set(self, turns: Turns, *, default: bool = False) -> None:
        """Replace the steps not yet reached (``turns`` of one part: per attempt; of several: per turn)."""
        with self._lock:
            self._replace(turns, default)

    def _replace(self, turns: Turns, default: bool) -> None:
        self._entries = [entry for entry in self._entries if not entry.default]
        self._scripts += 1
        number = self._scripts
        for cursor in self._cursors.values():
            cursor.restart()
        if len(turns) == 1:
            self._queue = [Scripted(step, number, n, default=default) for n, step in enumerate(turns[0], 1)]
            self._turns = None
            self._entries.extend(self._queue)
            return
        self._queue = []
        self._turns = [[Scripted(step, number, n, turn, default=default) for n, step in enumerate(steps, 1)]
                       for turn, steps in enumerate(turns, 1)]
        for queue in self._turns:
            self._entries.extend(queue)

    def take(self, messages_key: str, session: str | None = None) -> Step | None:
        """The step for one attempt of the turn ``messages_key`` names in ``session``; None: past the
        script (``ok``)."""
        cursor = self._cursor(session)
        number = cursor.turn_numbers.of(messages_key)
        if self._turns is None:
            return cursor.take(self._queue, -1)
        index = number - cursor.first_turn - 1
        if not 0 <= index < len(self._turns):
            return None
        return cursor.take(self._turns[index], index)

    def _cursor(self, session: str | None) -> _Cursor:
        cursors = self._cursors
        cursor = cursors.pop(session, None)
        if cursor is None:
            cursor = _Cursor(MOST_SESSION_TURNS)
            if len(cursors) > MOST_SESSIONS:
                del cursors[next(key for key in cursors if key is not None)]  # the least recently seen
        cursors[session] = cursor
        return cursor

    def unused(self) -> list[str]:
        owner = f"{self.label}, " if self.label else ""
        return [entry.describe(owner) for entry in self._entries if entry.unused]


class CallScript:
    """A script the call carries itself (a request header): step k serves the call's k-th attempt.

    The attempt is the retry count the client sends (so every new call with the same script starts
    it over), or, for a client that sends none or one that does not count (an agent session), counted
    per turn by the request's ``messages``. With ``;`` each part serves one turn, numbered by first
    arrival for this script, per session.
    """

    def __init__(self, turns: Turns) -> None:
        self.turns = turns
        self._turn_numbers: dict[str | None, TurnNumbers] = {}
        self._attempts: dict[str, int] = {}

    def step(self, messages_key: str, retry_count: int | None, session: str | None = None) -> Step:
        """The step for one attempt of the turn ``messages_key`` names in ``session`` (``ok`` past the script)."""
        steps = self.turns[0]
        if len(self.turns) > 1:
            numbers = self._turn_numbers.pop(session, None)
            if numbers is None:
                numbers = TurnNumbers(None if session is None else MOST_SESSION_TURNS)
            self._turn_numbers[session] = numbers
            if len(self._turn_numbers) > MOST_SESSIONS:
                del self._turn_numbers[next(iter(self._turn_numbers))]
            turn = numbers.of(messages_key)
            steps = self.turns[turn - 1] if turn <= len(self.turns) else ()
        if retry_count is None:
            attempts = self._attempts
            key = session_key(messages_key, session)
            retry_count = attempts.pop(key, 0)
            attempts[key] = retry_count + 1
            if len(attempts) > MOST_TURNS:
                del attempts[next(iter(attempts))]  # the turn least recently seen, as TurnNumbers forgets it
        for step in steps:
            if retry_count < step.count:
                return replace(step, count=1)
            retry_count -= int(step.count)
        return OK


def _as_turn(item: StepLike | list[StepLike] | tuple[StepLike, ...]) -> tuple[Step, ...]:
    __tracebackhide__ = True
    turns = to_turns(item if isinstance(item, (list, tuple)) else (item,))
    if len(turns) > 1:
        raise ScriptError("turns() takes one turn per argument; ';' separates turns only inside script()")
    return turns[0]


def turns_of(scripts: tuple[StepLike | list[StepLike] | tuple[StepLike, ...], ...]) -> Turns:
    """``turns()``'s arguments as a turn script: each one turn (a string, a step, a reply, or a list)."""
    __tracebackhide__ = True
    turns = tuple(map(_as_turn, scripts))
    if not turns:
        raise ScriptError("turns() needs at least one turn")
    return turns if len(turns) > 1 else (*turns, ())


MATCH_KEYS = ("model", "contains", "system", "tools", "tool_result", "stream", "predicate")


@dataclass(frozen=True)
class Match:
    """What a route serves: every key given must hold for the request."""

    model: str | None = None
    contains: str | None = None
    system: str | None = None
    tools: str | None = None
    tool_result: bool | str | None = None
    stream: bool | None = None
    predicate: Callable[[Mapping[str, Any]], bool] | None = None

    def __post_init__(self) -> None:
        for name in ("model", "contains", "system", "tools"):
            value = getattr(self, name)
            if value is not None and not isinstance(value, str):
                raise TypeError(f"when({name}=...) takes a str, got {value!r}")
        if self.tool_result is not None and not isinstance(self.tool_result, (bool, str)):
            raise TypeError(f"when(tool_result=...) takes True or a tool_use id, got {self.tool_result!r}")
        if self.stream is not None and not isinstance(self.stream, bool):
            raise TypeError(f"when(stream=...) takes True or False, got {self.stream!r}")
        if self.predicate is not None and not callable(self.predicate):
            raise TypeError(f"when(predicate=...) takes a callable on the request JSON, got {self.predicate!r}")
        if all(getattr(self, name) is None for name in MATCH_KEYS):
            raise TypeError(f"when() needs at least one of {', '.join(MATCH_KEYS)}")

    def __call__(self, body: Mapping[str, Any]) -> bool:
        messages = body.get("messages")
        if not isinstance(messages, list):
            messages = []
        if self.model is not None and body.get("model") != self.model:
            return False
        if self.contains is not None and self.contains not in last_user_text(messages):
            return False
        if self.system is not None and self.system not in text_of(body.get("system")):
            return False
        if self.tools is not None and not any(isinstance(tool, Mapping) and tool.get("name") == self.tools
                                              for tool in body.get("tools") or ()):
            return False
        if self.tool_result is not None:
            answered = last_results(messages)
            if self.tool_result is True and not answered:
                return False
            if self.tool_result is False and answered:
                return False
            if isinstance(self.tool_result, str) and self.tool_result not in answered:
                return False
        if self.stream is not None and (body.get("stream") is True) != self.stream:
            return False
        return self.predicate is None or bool(self.predicate(body))

    def __str__(self) -> str:
        shown = [f"{name}={getattr(self, name)!r}" for name in MATCH_KEYS
                 if getattr(self, name) is not None and name != "predicate"]
        if self.predicate is not None:
            shown.append(f"predicate={getattr(self.predicate, '__name__', 'callable')}")
        return ", ".join(shown)


@dataclass(eq=False)
class Route:
    """Requests that match serve from this route's own script; its journal and attempts are theirs.

    Made by ``claude_fake.when(...)``: the first route that matches, in the order added, serves.
    """

    number: int
    match: Match
    lock: InitVar[threading.RLock]
    all_exchanges: Callable[[], list[Exchange]] = field(repr=False)
    """The engine's journal, which this route's is a part of."""
    name: str = field(init=False)
    """``route 1 (model='claude-haiku-4-5')``: how the journal and reports name it."""
    state: ScriptState = field(init=False)

    def __post_init__(self, lock: threading.RLock) -> None:
        self.name = f"route {self.number} ({self.match})"
        self.state = ScriptState(lock, self.name)

    def script(self, *items: StepLike) -> Route:
        """Set this route's steps (a turn script with ``;`` gives its turns theirs)."""
        self.state.set(to_turns(items))
        return self

    def turns(self, *scripts: StepLike | list[StepLike] | tuple[StepLike, ...]) -> Route:
        """Set this route's turn script, one argument per turn."""
        self.state.set(turns_of(scripts))
        return self

    @property
    def journal(self) -> list[Exchange]:
        """The exchanges this route served, in order."""
        return [exchange for exchange in self.all_exchanges() if exchange.route == self.name]

    @property
    def attempts(self) -> int:
        """How many ``POST /v1/messages`` attempts this route served."""
        return sum(1 for exchange in self.journal if exchange.attempt is not None)

    def __repr__(self) -> str:
        return f"<Route {self.name}: {self.attempts} attempt(s)>"


def key_of(body: Any) -> str:
    """The turn key of a request body (its ``messages``)."""
    return turn_key(body.get("messages") if isinstance(body, Mapping) else None)


def session_key(messages_key: str, session: str | None) -> str:
    """A turn's key across sessions: equal ``messages`` in two agent sessions are two turns."""
    return messages_key if session is None else f"{session}\n{messages_key}"
