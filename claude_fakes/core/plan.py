"""Plans: what happens on the wire for one exchange, as a list of timed actions.

A plan is data. It knows nothing of sockets, httpx or pytest; an executor walks it with a
:class:`Cursor` and performs each action its own way (the in-process transports advance a virtual
clock and raise the HTTP library's exceptions; a socket server sleeps and writes bytes).

Shape: :class:`Wait` silences before the :class:`Head`; after it, any mix of :class:`Send`,
:class:`Wait` and :class:`Body`. A plan ends cleanly (the list just ends) or with one terminal
marker: :data:`CUT` (the connection closes, mid-body or before any response), :data:`RESET` (it is
reset, anywhere), or, instead of any response, :data:`REFUSE` or :data:`GARBAGE`. A
``Wait(math.inf)`` is a hang.

A long body is not spelled out: a :class:`Body` stands for many timed pieces (:class:`Pieces`)
that are made one at a time as the cursor reaches them. A paced reply of 128,000 tokens is then a
few objects when it is planned, not 32,000, and a server builds each event as it sends it.
"""

from __future__ import annotations

import math
from abc import ABC, abstractmethod
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


class Pieces(ABC):
    """A body's timed pieces (each with the silence before it), made when they are reached.

    Subclasses know their pieces' silences and event counts without making the pieces, so that
    shaping a plan (where a fault cuts, whether a stretch is silent) costs nothing per piece.
    """

    spelled = True
    """Whether a short stretch of them is spelled out in a plan (:func:`body_of`); False where the pieces
    exist already and spelling them out would only copy them (a recorded stream)."""

    @abstractmethod
    def __len__(self) -> int: ...

    @abstractmethod
    def gap(self, index: int) -> float:
        """The silence before piece ``index``."""

    @abstractmethod
    def make(self, index: int) -> Send:
        """Piece ``index`` (made anew on each call: nothing is kept)."""

    def events(self, index: int) -> int:
        """The counted events in piece ``index``."""
        return self.make(index).events

    def silent(self, start: int, stop: int) -> bool:
        """Whether any of pieces ``start`` to ``stop`` waits before it."""
        return any(self.gap(index) for index in range(start, stop))

    def seconds(self, start: int, stop: int) -> float:
        """The silences of pieces ``start`` to ``stop``, together."""
        return sum(self.gap(index) for index in range(start, stop))

    def events_between(self, start: int, stop: int) -> int:
        """The counted events in pieces ``start`` to ``stop``."""
        return sum(self.events(index) for index in range(start, stop))

    def cut(self, after: int) -> int:
        """The index of the first piece that does not go out when ``after`` events do."""
        counted = 0
        for index in range(len(self)):
            events = self.events(index)
            if events:
                if counted >= after:
                    return index
                counted += events
        return len(self)


class Spelled(Pieces):
    """Pieces given one by one, as a tuple of ``(gap, piece)``."""

    def __init__(self, pieces: Sequence[tuple[float, Send]]) -> None:
        self._pieces = tuple(pieces)

    def __len__(self) -> int:
        return len(self._pieces)

    def gap(self, index: int) -> float:
        return self._pieces[index][0]

    def make(self, index: int) -> Send:
        return self._pieces[index][1]


class Slices(Pieces):
    """A JSON body in ``parts`` pieces, so that ``after=K`` means the same fraction in both modes."""

    def __init__(self, body: bytes, parts: int) -> None:
        self._body = body
        self._size = -(-len(body) // max(1, parts))
        self._count = -(-len(body) // self._size) if body else 0

    def __len__(self) -> int:
        return self._count

    def gap(self, index: int) -> float:
        return 0.0

    def make(self, index: int) -> Send:
        return Send(self._body[index * self._size:(index + 1) * self._size], 1)

    def events(self, index: int) -> int:
        return 1

    def silent(self, start: int, stop: int) -> bool:
        return False

    def events_between(self, start: int, stop: int) -> int:
        return stop - start

    def cut(self, after: int) -> int:
        return min(max(after, 0), self._count)


MERGED_BYTES = 16 * 1024
"""A long body's pieces that go out with no silence between them reach the client in steps of about this
many bytes: a 128,000-event stream is walked in a few hundred steps, not one an event."""
SPELLED_PIECES = 1024
"""A stretch of body up to this many pieces is spelled out in the plan as :class:`Wait` and :class:`Send`
actions (plans stay plain data to read and compare); a longer one is a :class:`Body`."""


@dataclass(frozen=True, eq=False)
class Body:
    """Pieces ``start`` to ``stop`` of ``pieces``: a long stretch of body, walked piece by piece as if it
    were spelled out (each piece's silence, then the piece)."""

    pieces: Pieces
    start: int
    stop: int
    paced: bool = True
    """False: the pieces go out without their silences (a buffering gateway moved them before the head)."""

    def gap(self, index: int) -> float:
        return self.pieces.gap(index) if self.paced else 0.0

    @property
    def silent(self) -> bool:
        """Whether a silence comes before any of its pieces."""
        return self.paced and self.pieces.silent(self.start, self.stop)

    @property
    def seconds(self) -> float:
        return self.pieces.seconds(self.start, self.stop) if self.paced else 0.0

    @property
    def events(self) -> int:
        return self.pieces.events_between(self.start, self.stop)

    def between(self, start: int, stop: int) -> Body:
        """Its pieces ``start`` to ``stop`` (indices of :attr:`pieces`), as a body of their own."""
        return Body(self.pieces, start, stop, self.paced)

    def unpaced(self) -> Body:
        return Body(self.pieces, self.start, self.stop, paced=False)


Action = Union[Head, Send, Wait, Body, _Marker]  # noqa: UP007 (a runtime alias; 3.10 has no `type`)


def body_of(pieces: Pieces, start: int, stop: int) -> list[Action]:
    """Pieces ``start`` to ``stop`` as plan actions: spelled out, or one :class:`Body` when they are many
    (or are not to be spelled)."""
    if stop - start > SPELLED_PIECES or not pieces.spelled:
        return [Body(pieces, start, stop)]
    body: list[Action] = []
    for index in range(start, stop):
        gap = pieces.gap(index)
        if gap:
            body.append(Wait(gap))
        body.append(pieces.make(index))
    return body


@dataclass(frozen=True)
class Plan:
    actions: tuple[Action, ...]

    def __post_init__(self) -> None:
        seen_head = False
        last = len(self.actions) - 1
        for index, action in enumerate(self.actions):
            kind = action.__class__
            if kind is Send or kind is Wait or kind is Body:
                if kind is not Wait and not seen_head:
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
    ``pieces`` may be given as a sequence of ``(gap, piece)``.
    """

    before: float
    head: Head
    pieces: Pieces
    ending: tuple[Action, ...] = ()
    """What comes after the last piece: nothing (a clean end), or :data:`CUT` for a recorded answer
    whose connection broke (:mod:`claude_fakes.core.cassette`)."""

    def __post_init__(self) -> None:
        if not isinstance(self.pieces, Pieces):
            object.__setattr__(self, "pieces", Spelled(self.pieces))

    def whole(self) -> Plan:
        return Plan.of(Wait(self.before), self.head, self._body(0, len(self.pieces)), self.ending)

    def cut(self, after: int) -> int:
        """The index of the first piece that does not go out when ``after`` events do."""
        return self.pieces.cut(after)

    def _body(self, start: int, stop: int) -> list[Action]:
        return body_of(self.pieces, start, stop)

    def until(self, after: int, *tail: Action) -> Plan:
        """The response up to ``after`` events, then ``tail`` (nothing: a clean, early end); past the
        last piece, a response that has its own :attr:`ending` ends that way (nothing follows a cut)."""
        at = self.cut(after)
        if at >= len(self.pieces) and self.ending:
            tail = self.ending
        return Plan.of(Wait(self.before), self.head, self._body(0, at), *tail)

    def stalled(self, after: int, seconds: float, keepalive: Send | None = None, every: float = 0.0) -> Plan:
        """The response with ``seconds`` of silence after ``after`` events; ``keepalive`` (a ping)
        breaks the silence every ``every`` seconds, so no gap is longer than that."""
        at = self.cut(after)
        pause: list[Action] = [Wait(seconds)]
        if keepalive is not None and every > 0:
            beats = max(0, math.ceil(seconds / every) - 1)
            pause = [*body_of(_Beats(beats, every, keepalive), 0, beats), Wait(seconds - beats * every)]
        return Plan.of(Wait(self.before), self.head, self._body(0, at), pause, self._body(at, len(self.pieces)),
                       self.ending)

    def replaced(self, after: int, change: Callable[[bytes], bytes]) -> Plan:
        """The response with the piece after ``after`` events rewritten by ``change`` (the last
        piece, when the response has no more than ``after``)."""
        pieces = self.pieces
        at = min(self.cut(after), len(pieces) - 1)
        return Plan.of(Wait(self.before), self.head, self._body(0, at), Wait(pieces.gap(at)),
                       Send(change(pieces.make(at).data), 1), self._body(at + 1, len(pieces)), self.ending)


class _Beats(Pieces):
    """``count`` keep-alives, one every ``every`` seconds: a stall kept open by pings."""

    def __init__(self, count: int, every: float, keepalive: Send) -> None:
        self._count, self._every, self._keepalive = count, every, keepalive

    def __len__(self) -> int:
        return self._count

    def gap(self, index: int) -> float:
        return self._every

    def make(self, index: int) -> Send:
        return self._keepalive

    def silent(self, start: int, stop: int) -> bool:
        return stop > start

    def seconds(self, start: int, stop: int) -> float:
        return (stop - start) * self._every

    def events_between(self, start: int, stop: int) -> int:
        return (stop - start) * self._keepalive.events


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

    __module__ = "claude_fakes"  # where a test imports it from: how tracebacks and pytest name it
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
    head (the SDK retries it) or mid-body (raw ``ReadTimeout`` while iterating a stream). A
    :class:`Body` is walked as its pieces would be if they were spelled out.
    """

    def __init__(self, plan: Plan, read_timeout: float | None) -> None:
        self._actions = plan.actions
        self._index = 0
        self._piece: int | None = None
        """Within the :class:`Body` at ``_index``: the next of its pieces, once the walk is in it."""
        self._read_timeout = read_timeout

    @property
    def finished(self) -> bool:
        return self._index > len(self._actions)

    def next(self) -> Next:
        waited = 0.0
        while self._index < len(self._actions):
            action = self._actions[self._index]
            kind = action.__class__
            if kind is Body:
                assert isinstance(action, Body)
                piece = action.start if self._piece is None else self._piece
                if piece >= action.stop:
                    self._index += 1
                    self._piece = None
                    continue
                self._piece = piece + 1
                waited += action.gap(piece)
                ended = self._waited_too_long(waited)
                return ended if ended is not None else Next(waited, self._with_the_next(action, piece))
            self._index += 1
            if kind is not Wait:
                if kind is _Marker:
                    self._index = len(self._actions) + 1
                return Next(waited, action)
            assert isinstance(action, Wait)
            waited += action.seconds
            ended = self._waited_too_long(waited)
            if ended is not None:
                return ended
        self._index = len(self._actions) + 1
        return Next(waited, END)

    def _with_the_next(self, body: Body, piece: int) -> Send:
        """Piece ``piece`` of ``body``, and the pieces that follow it with no silence between, up to
        :data:`MERGED_BYTES`: they reach the client together (one walk step, not one a piece)."""
        first = body.pieces.make(piece)
        data, events, size = [first.data], first.events, len(first.data)
        following = piece + 1
        while following < body.stop and size < MERGED_BYTES and not body.gap(following):
            more = body.pieces.make(following)
            data.append(more.data)
            events += more.events
            size += len(more.data)
            following += 1
        self._piece = following
        return first if len(data) == 1 else Send(b"".join(data), events)

    def _waited_too_long(self, waited: float) -> Next | None:
        """The end of the walk, when a silence of ``waited`` outlasts the client or never ends."""
        if self._read_timeout is not None and waited > self._read_timeout:
            self._index = len(self._actions) + 1
            return Next(self._read_timeout, READ_TIMEOUT)
        if math.isinf(waited):
            self._index = len(self._actions) + 1
            return Next(0.0, FOREVER)
        return None

    def skip_rest(self) -> None:
        """The walk is over: what was left has been delivered another way."""
        self._index = len(self._actions) + 1

    def rest_without_silence(self) -> list[Action] | None:
        """The remaining actions if none of them waits (they would all be sent at once); else None."""
        rest = list(self._actions[self._index :])
        if rest and self._piece is not None:
            body = rest[0]
            assert isinstance(body, Body)
            rest[0] = body.between(self._piece, body.stop)
        if any(isinstance(action, Wait) or (isinstance(action, Body) and action.silent) for action in rest):
            return None
        return rest
