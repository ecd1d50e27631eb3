"""Plans: what happens on the wire for one exchange, as a list of timed actions.

A plan is data. It knows nothing of sockets, httpx or pytest; an executor walks it with a
:class:`Cursor` and performs each action its own way (the in-process transports advance a virtual
clock and raise the HTTP library's exceptions; a socket server sleeps and writes bytes).

Shape: :class:`Wait` silences before the :class:`Head`; after it, any mix of :class:`Send` and
:class:`Wait`. A plan ends cleanly (the list just ends) or with one terminal marker: :data:`CUT`
(the connection closes, mid-body or before any response), :data:`RESET` (it is reset, anywhere),
or, instead of any response, :data:`REFUSE` or :data:`GARBAGE`. A ``Wait(math.inf)`` is a hang.
"""

from __future__ import annotations

import math
from collections.abc import Callable, Sequence
from dataclasses import dataclass
from typing import Union


@dataclass(frozen=True)
class Head:
    """The status line and headers reach the client."""

    status: int
    headers: tuple[tuple[str, str], ...]

    def header(self, name: str) -> str | None:
        return next((value for key, value in self.headers if key == name), None)


@dataclass(frozen=True)
class Send:
    """A chunk of body reaches the client: one SSE event, or a piece of a JSON body."""

    data: bytes
    events: int = 0
    """SSE events in this chunk that a client yields to its caller (``ping`` does not count)."""


@dataclass(frozen=True)
class Wait:
    """Silence on the connection for ``seconds`` (``math.inf``: forever)."""

    seconds: float


@dataclass(frozen=True, eq=False)
class _Marker:
    """A plan's ending; compared by identity."""

    name: str

    def __repr__(self) -> str:
        return self.name


REFUSE = _Marker("REFUSE")
"""The connection is refused: nothing was sent, nothing was received."""
CUT = _Marker("CUT")
"""The connection closes (FIN) before the body is complete (for chunked bodies: no final chunk), or
before any response at all (a server or proxy giving up on an idle request)."""
RESET = _Marker("RESET")
"""The connection is reset (RST): before the response, or in the middle of its body."""
GARBAGE = _Marker("GARBAGE")
"""Bytes that are not HTTP arrive instead of a response, then the connection closes."""
TERMINAL = (REFUSE, CUT, RESET, GARBAGE)

Action = Union[Head, Send, Wait, _Marker]  # noqa: UP007 (a runtime alias; 3.10 has no `type`)


@dataclass(frozen=True)
class Plan:
    actions: tuple[Action, ...]

    def __post_init__(self) -> None:
        seen_head = False
        last = len(self.actions) - 1
        for index, action in enumerate(self.actions):
            kind = action.__class__
            if kind is Send or kind is Wait:
                if kind is Send and not seen_head:
                    raise ValueError(f"{action!r} before the Head")
            elif kind is Head:
                if seen_head:
                    raise ValueError("a plan has one Head")
                seen_head = True
            elif index != last:
                raise ValueError(f"{action!r} ends a plan")
            elif (action is REFUSE or action is GARBAGE) and seen_head:
                raise ValueError(f"{action!r} comes instead of a response, not after a Head")

    @classmethod
    def of(cls, *actions: Action | Sequence[Action]) -> Plan:
        """Build a plan, flattening sequences and merging adjacent waits into one silence."""
        flat: list[Action] = []
        for item in actions:
            for action in item if isinstance(item, (list, tuple)) else (item,):
                if isinstance(action, Wait) and flat and isinstance(flat[-1], Wait):
                    flat[-1] = Wait(flat[-1].seconds + action.seconds)
                elif not (isinstance(action, Wait) and action.seconds == 0):
                    flat.append(action)
        return cls(tuple(flat))

    @property
    def head(self) -> Head | None:
        return next((action for action in self.actions if isinstance(action, Head)), None)


@dataclass(frozen=True)
class Response:
    """A complete response, before any fault shapes it: the silence before the head, the head,
    and the body as timed pieces (each piece with the silence that comes before it).

    Faults cut it after ``after`` counted SSE events (pings before the cut go too); a JSON body
    split into pieces counts one event a piece, so ``after=K`` means the same fraction either way.
    """

    before: float
    head: Head
    pieces: tuple[tuple[float, Send], ...]

    def whole(self) -> Plan:
        return Plan.of(Wait(self.before), self.head, self._body(0, len(self.pieces)))

    def cut(self, after: int) -> int:
        """The index of the first piece that does not go out when ``after`` events do."""
        counted = 0
        for index, (_, piece) in enumerate(self.pieces):
            if piece.events:
                if counted >= after:
                    return index
                counted += piece.events
        return len(self.pieces)

    def _body(self, start: int, stop: int) -> list[Action]:
        body: list[Action] = []
        for gap, piece in self.pieces[start:stop]:
            if gap:
                body.append(Wait(gap))
            body.append(piece)
        return body

    def until(self, after: int, *tail: Action) -> Plan:
        """The response up to ``after`` events, then ``tail`` (nothing: a clean, early end)."""
        return Plan.of(Wait(self.before), self.head, self._body(0, self.cut(after)), *tail)

    def stalled(self, after: int, seconds: float, keepalive: Send | None = None, every: float = 0.0) -> Plan:
        """The response with ``seconds`` of silence after ``after`` events; ``keepalive`` (a ping)
        breaks the silence every ``every`` seconds, so no gap is longer than that."""
        at = self.cut(after)
        pause: list[Action] = [Wait(seconds)]
        if keepalive is not None and every > 0:
            beats = max(0, math.ceil(seconds / every) - 1)
            pause = [action for _ in range(beats) for action in (Wait(every), keepalive)]
            pause.append(Wait(seconds - beats * every))
        return Plan.of(Wait(self.before), self.head, self._body(0, at), pause, self._body(at, len(self.pieces)))

    def replaced(self, after: int, change: Callable[[bytes], bytes]) -> Plan:
        """The response with the piece after ``after`` events rewritten by ``change`` (the last
        piece, when the response has no more than ``after``)."""
        at = min(self.cut(after), len(self.pieces) - 1)
        gap, piece = self.pieces[at]
        return Plan.of(Wait(self.before), self.head, self._body(0, at), Wait(gap), Send(change(piece.data), 1),
                       self._body(at + 1, len(self.pieces)))


END = _Marker("END")
"""The body ended cleanly."""
READ_TIMEOUT = _Marker("READ_TIMEOUT")
"""The client's read timeout ran out during a silence."""
FOREVER = _Marker("FOREVER")
"""An endless silence against a client that has no read timeout."""


class WouldHangForever(BaseException):
    """A request would wait forever: the plan never answers (:data:`FOREVER`) and the client has no
    read timeout.

    A ``BaseException`` so that neither the SDK (which wraps any ``Exception`` from the transport
    into ``APIConnectionError`` and retries it) nor the application's ``except Exception`` can
    swallow it: a test must not wait out infinity, and must not pass either.
    """

    NAME = "claude_fakes.WouldHangForever"
    """How the journal names it."""

    @classmethod
    def of(cls, method: str, path: str, step: object) -> WouldHangForever:
        return cls(f"{method} {path} would hang forever: the fake never answers (step {step}) and this client "
                   "has no timeout that would end the wait. Give the client a timeout, e.g. "
                   "anthropic.Anthropic(timeout=60).")


@dataclass(frozen=True)
class Next:
    """What happens next on the connection: after ``wait`` seconds of silence, ``then``."""

    wait: float
    then: Action


class Cursor:
    """Walks a plan from the client's side of one connection.

    ``read_timeout`` is the longest silence the client accepts between two reads (httpx's ``read``
    timeout; ``None``: no limit). A silence longer than that ends the walk with
    :data:`READ_TIMEOUT` after exactly ``read_timeout`` seconds, wherever it falls: before the
    head (the SDK retries it) or mid-body (raw ``ReadTimeout`` while iterating a stream).
    """

    def __init__(self, plan: Plan, read_timeout: float | None) -> None:
        self._actions = plan.actions
        self._index = 0
        self._read_timeout = read_timeout

    @property
    def finished(self) -> bool:
        return self._index > len(self._actions)

    def next(self) -> Next:
        waited = 0.0
        while self._index < len(self._actions):
            action = self._actions[self._index]
            self._index += 1
            if action.__class__ is not Wait:
                if action.__class__ is _Marker:
                    self._index = len(self._actions) + 1
                return Next(waited, action)
            waited += action.seconds
            if self._read_timeout is not None and waited > self._read_timeout:
                self._index = len(self._actions) + 1
                return Next(self._read_timeout, READ_TIMEOUT)
            if math.isinf(waited):
                self._index = len(self._actions) + 1
                return Next(0.0, FOREVER)
        self._index = len(self._actions) + 1
        return Next(waited, END)

    def skip_rest(self) -> None:
        """The walk is over: what was left has been delivered another way."""
        self._index = len(self._actions) + 1

    def rest_without_silence(self) -> list[Action] | None:
        """The remaining actions if none of them waits (they would all be sent at once); else None."""
        rest = list(self._actions[self._index :])
        return None if any(isinstance(action, Wait) for action in rest) else rest
