"""The journal: one :class:`Exchange` per HTTP exchange, within its bounds, and the human-readable timeline."""

from __future__ import annotations

import functools
import hashlib
import math
from collections import deque
from collections.abc import Iterator, Mapping, Sequence
from dataclasses import dataclass, field, replace
from typing import Any

from .clock import Sleep
from .replies import Reply
from .request import Incoming
from .script import parse_script
from .step import Step


class Outcome:
    """How an exchange ended, seen from the server's side of the connection."""

    OPEN = "open"
    """Still under way: the client has not finished reading the body."""
    COMPLETE = "complete"
    """Everything the plan had was delivered (a ``truncate`` is complete too: it ends cleanly)."""
    READ_TIMEOUT = "read timeout"
    """The client gave up: a silence outlasted its read timeout."""
    CUT = "cut"
    """The connection died mid-body."""
    RESET = "reset"
    """The connection was reset (RST)."""
    GARBAGE = "garbage sent"
    """Bytes that are not HTTP went out instead of a response."""
    REFUSED = "refused"
    CLIENT_CLOSED = "closed by client"
    """The client closed the response while the plan still had a silence to come."""
    CANCELLED = "cancelled"
    """The client's task was cancelled while it waited (``asyncio.wait_for``, a task group)."""
    WOULD_HANG_FOREVER = "would hang forever"
    """An endless silence against a client with no read timeout: a finding, not a wait."""


@dataclass
class Exchange:
    """One request and what the fake did with it. Times are virtual seconds since the fake started."""

    attempt: int | None
    """1, 2, 3… for ``POST /v1/messages`` exchanges, the ones a script applies to; else None."""
    retry_count: int | None
    """The SDK's ``x-stainless-retry-count`` header: 0 on a first try."""
    method: str
    path: str
    headers: Mapping[str, str]
    json: Any
    timeout: Mapping[str, float | None]
    """The client's own timeouts for this request: ``connect``, ``read``, ``write``, ``pool``."""
    step: Step | None
    """The script step applied, or None (not an attempt, or the request was rejected)."""
    start: float
    end: float | None = None
    status: int | None = None
    outcome: str = Outcome.OPEN
    events: int = 0
    """SSE events delivered to the client (pings not counted)."""
    stream: bool = False
    notes: list[str] = field(default_factory=list)
    """What shaped the exchange besides its step: ``chaos``, ``over quota``, ``cut by <gateway>``."""
    response_headers: Mapping[str, str] = field(default_factory=dict, repr=False)
    """The response's headers, once they were sent (``retry-after``, ``request-id``, …)."""
    error: str | None = field(default=None, repr=False)
    """The exception the transport raised to the client, if any, e.g. ``httpx2.ReadTimeout``."""
    turn: int | None = None
    """The turn of a ``POST /v1/messages`` attempt: 1, 2, … by first arrival of its ``messages``
    (every retry of a call, the SDK's or the application's, sends them unchanged)."""
    route: str | None = None
    """The route that served it (``route 1 (model='…')``), or None: the fake's own script."""
    platform: str = "anthropic"
    """Where the request went, by its path: ``anthropic``, ``bedrock`` or ``vertex``."""

    @property
    def duration(self) -> float | None:
        return None if self.end is None else self.end - self.start

    def describe(self) -> str:
        parts = []
        if self.status is not None:
            parts.append(str(self.status))
        parts.append(self.outcome)
        if self.stream and self.status == 200:
            parts.append(f"after {self.events} events")
        if self.error:
            parts.append(f"-> {self.error}")
        if self.notes:
            parts.append(f"[{', '.join(self.notes)}]")
        return " ".join(parts)


@dataclass(frozen=True)
class JournalBounds:
    """How much of what it served a fake keeps, so that one that serves for days holds a bounded memory."""

    exchanges: int | None = 10_000
    """The exchanges kept: past it the oldest goes for each new one (None: every one)."""
    body_bytes: int | None = None
    """The longest request body kept as JSON; a longer one is journalled as a marker of its length
    (:data:`TRUNCATED`) and a note (None: every body whole)."""
    as_sent: bool = False
    """Keep each body as the bytes received (:class:`SentBody`), read as JSON only when the journal is:
    a server's journal then holds what came in, not five to ten times that in objects, and nothing its
    garbage collector has to walk (a fuzzed journal of nested tool schemas made each full pass 30 ms)."""

    def __post_init__(self) -> None:
        for name in ("exchanges", "body_bytes"):
            value = getattr(self, name)
            if value is not None and (type(value) is not int or value < 1):
                raise ValueError(f"journal {name} takes a whole number >= 1 or None, got {value!r}")


EVERY_BODY_WHOLE = JournalBounds()
"""An in-process fake's: the last 10,000 exchanges (a test long enough to make more keeps the latest), every
body whole."""

@dataclass(frozen=True)
class SentBody:
    """A request body as a server's journal keeps it (:attr:`JournalBounds.as_sent`): what was received,
    and where; :attr:`json` is the Messages request it stands for, read each time it is asked for."""

    method: str
    path: str
    data: bytes = field(repr=False)

    @property
    def json(self) -> Any:
        return Incoming(self.method, self.path, body=self.data).json


TRUNCATED = "claude_fakes_truncated"
"""The key of a journalled body that was too long to keep: its length in bytes and a digest of it
(equal bodies, a retry's, stay equal), beside the request's ``model``, ``max_tokens`` and ``stream``."""
_KEPT_FIELDS = ("model", "max_tokens", "stream")


class Journal:
    """The exchanges of one fake, oldest first, within its :class:`JournalBounds`; it counts what it let go."""

    def __init__(self, bounds: JournalBounds) -> None:
        self.bounds = bounds
        self._exchanges: deque[Exchange] = deque(maxlen=bounds.exchanges)
        self.evicted = 0
        """Exchanges dropped, oldest first, to keep the journal within its bounds."""
        self.truncated = 0
        """Request bodies journalled as a marker of their length, not as JSON."""

    def add(self, exchange: Exchange) -> None:
        if len(self._exchanges) == self._exchanges.maxlen:
            self.evicted += 1
        self._exchanges.append(exchange)

    def body(self, incoming: Incoming) -> tuple[Any, str | None]:
        """What the journal keeps of a request's body: its JSON (or the bytes it is read from), or, past the
        bounds, a marker of its length with a note that says so."""
        data, limit = incoming.body, self.bounds.body_bytes
        if limit is None or len(data) <= limit:
            return (SentBody(incoming.method, incoming.path, data) if self.bounds.as_sent else incoming.json), None
        parsed = incoming.json
        self.truncated += 1
        fields = parsed if isinstance(parsed, Mapping) else {}
        kept: dict[str, Any] = {name: fields[name] for name in _KEPT_FIELDS
                                if isinstance(fields.get(name), (str, int, bool)) and len(str(fields[name])) <= 256}
        kept[TRUNCATED] = {"bytes": len(data), "blake2b": hashlib.blake2b(data, digest_size=16).hexdigest()}
        return kept, f"a body of {len(data)} bytes: the journal keeps bodies up to {limit} bytes as JSON"

    def __iter__(self) -> Iterator[Exchange]:
        return iter(self._exchanges)

    def __len__(self) -> int:
        return len(self._exchanges)


STEP_CHARACTERS = 1_000
"""The longest step the journal's JSON, the timeline and the server's log lines show with its reply's words:
a longer one (a script's megabyte of text) is shown as its action and arguments alone, so that a journal of a
thousand exchanges is not a gigabyte."""


@functools.lru_cache(maxsize=256)
def step_text(step: Step) -> str:
    """``step`` as script text, without its reply's words past :data:`STEP_CHARACTERS` (still a script)."""
    if step.reply is not None and _words_in(step.reply) > STEP_CHARACTERS:
        return str(replace(step, reply=None))  # not written out to be measured: that costs what it saves
    text = str(step)
    return text if len(text) <= STEP_CHARACTERS else str(replace(step, reply=None))


def _words_in(reply: Reply) -> int:
    """The characters of a reply's words (its blocks' strings), counted without writing it out."""
    return sum(len(value) for block in reply.blocks for value in vars(block).values() if isinstance(value, str))


def exchange_json(exchange: Exchange) -> dict[str, Any]:
    """An exchange as the admin API sends it (JSON-ready; the step as script text)."""
    return {
        "attempt": exchange.attempt,
        "retry_count": exchange.retry_count,
        "method": exchange.method,
        "path": exchange.path,
        "headers": dict(exchange.headers),
        "json": exchange.json.json if isinstance(exchange.json, SentBody) else exchange.json,
        "timeout": dict(exchange.timeout),
        "step": None if exchange.step is None else step_text(exchange.step),
        "start": exchange.start,
        "end": exchange.end,
        "status": exchange.status,
        "outcome": exchange.outcome,
        "events": exchange.events,
        "stream": exchange.stream,
        "response_headers": dict(exchange.response_headers),
        "notes": list(exchange.notes),
        "error": exchange.error,
        "turn": exchange.turn,
        "route": exchange.route,
        "platform": exchange.platform,
    }


def exchange_from_json(data: dict[str, Any]) -> Exchange:
    """An exchange from :func:`exchange_json`'s form: a server scope's journal, read by a test."""
    step_text = data.get("step")
    steps = parse_script(step_text) if step_text else ()
    return Exchange(
        attempt=data["attempt"], retry_count=data["retry_count"], method=data["method"], path=data["path"],
        headers=data["headers"], json=data["json"], timeout=data["timeout"], step=steps[0] if steps else None,
        start=data["start"], end=data["end"], status=data["status"], outcome=data["outcome"],
        events=data["events"], stream=data["stream"], response_headers=data["response_headers"],
        notes=data.get("notes", []),
        error=data["error"], turn=data.get("turn"), route=data.get("route"),
        platform=data.get("platform", "anthropic"),
    )


def _seconds(value: float | None) -> str:
    if value is None:
        return "none"
    if math.isinf(value):
        return "inf"
    return f"{value:g}s"


TIMELINE_HEADER = "claude_fakes timeline:"


def format_timeline(
    journal: Sequence[Exchange], sleeps: Sequence[Sleep], elapsed: float, clock: str = "virtual",
    real_sleeps: Sequence[Sleep] = (), real_sleeps_unlisted: int = 0, evicted: int = 0,
) -> str:
    """The journal and the sleeps between attempts in time order, one line each.

    ``clock`` names the time: ``virtual`` in-process, ``real`` for a server's journal.
    ``real_sleeps``: sleeps other threads took in real time, shown where the clock stood when they
    began and marked as such (they moved no virtual time); ``real_sleeps_unlisted`` more were not kept.
    ``evicted``: exchanges the journal no longer holds (they came before the first shown).
    """
    # Sorting is stable, so equal times keep journal order, and an instant failure comes before
    # the sleep that follows it.
    rows: list[tuple[float, int, str]] = []
    # Turns and routes are shown once a journal has more than one turn, or a route.
    by_turn = any((exchange.turn or 0) > 1 or exchange.route for exchange in journal)
    for exchange in journal:
        label = f"#{exchange.attempt}" if exchange.attempt is not None else "-"
        retry = f"retry {exchange.retry_count}" if exchange.retry_count is not None else ""
        if by_turn and exchange.turn is not None:
            retry = f"turn {exchange.turn}, {retry}" if retry else f"turn {exchange.turn}"
            retry += f", {exchange.route.split(' (', 1)[0]}" if exchange.route else ""
            retry += " "
        read = exchange.timeout.get("read") if exchange.timeout else None
        request = f"{exchange.method} {exchange.path}{' (stream)' if exchange.stream else ''}"
        step = step_text(replace(exchange.step, count=1)) if exchange.step is not None else "-"
        took = f" in {exchange.duration:.4g}s" if exchange.duration else ""
        rows.append((exchange.start, 0, f"{exchange.start:10.3f}  {label:<4}{retry:<9}{request}, read timeout "
                                        f"{_seconds(read)}: {step} => {exchange.describe()}{took}"))
    for sleep in sleeps:
        rows.append((sleep.start, 1, f"{sleep.start:10.3f}  {'':<13}{sleep.source}({sleep.seconds:g})"))
    for sleep in real_sleeps:
        rows.append((sleep.start, 1, f"{sleep.start:10.3f}  {'':<13}{sleep.source}({sleep.seconds:g}) "
                                     f"in thread {sleep.thread!r}, in real time"))
    rows.sort(key=lambda row: (row[0], row[1]))
    attempts = sum(1 for exchange in journal if exchange.attempt is not None)
    header = f"{TIMELINE_HEADER} {attempts} attempt(s), {len(sleeps)} sleep(s), {elapsed:g}s {clock}"
    if evicted:
        header += f" ({evicted} earlier exchange(s) evicted from the journal)"
    if real_sleeps or real_sleeps_unlisted:
        header += f"; other threads slept {len(real_sleeps) + real_sleeps_unlisted} time(s) in real time"
        if real_sleeps_unlisted:
            header += f" ({real_sleeps_unlisted} not listed)"
    return "\n".join([header, f"{clock:>10}  attempt      request, step => outcome", *(row[2] for row in rows)])
