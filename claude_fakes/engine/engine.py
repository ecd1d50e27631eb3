"""The engine: one fake's state — script, turns, routes, journal, findings — driven by both executors.

An :class:`Engine` decides what each request gets (:meth:`Engine.begin` returns a :class:`Run`)
and records what happened. It takes its clock as an argument and knows nothing of HTTP
libraries, sockets or pytest: the in-process transports drive it on a virtual clock
(:class:`~claude_fakes.ClaudeFake` is an engine plus in-process activation), and each scope of
the socket server drives one on the real clock.

A :class:`Run` walks one exchange's plan and keeps its journal record up to date: the head's
status and headers, the events delivered, and how it ended, through the one table
:data:`OUTCOMES` that maps a plan's ending to a journal outcome.
"""

from __future__ import annotations

import contextlib
import functools
import json
import random
import threading
from collections.abc import Callable, Iterator, Mapping
from dataclasses import replace
from typing import Any

from ..core.assertions import Assertions
from ..core.cassette import Recorded, Recording, Tape, request_of
from ..core.cassette import key_of as cassette_key
from ..core.catalogue import FAULTS
from ..core.clock import Clock
from ..core.gateways import Gateway
from ..core.journal import EVERY_BODY_WHOLE, Exchange, Journal, JournalBounds, Outcome, format_timeline
from ..core.latency import LatencyModel
from ..core.memo import Memo
from ..core.plan import (
    CUT,
    END,
    FOREVER,
    GARBAGE,
    READ_TIMEOUT,
    REFUSE,
    RESET,
    Body,
    Cursor,
    Head,
    Next,
    Plan,
    Send,
    WouldHangForever,
)
from ..core.planner import Api, ApiMemo
from ..core.quota import RateLimits
from ..core.request import Incoming, parsed_once
from ..core.script import StepLike, to_turns
from ..core.secrets import REDACTED, SECRET_WORDS, is_secret, redact
from ..core.step import Step, pick_chaos
from ..core.threads import Threads, ThreadTurn
from ..core.turns import Match, Route, ScriptState, TurnNumbers, key_of, session_key, turns_of
from ..wire.models import ModelsSource, ModelTable, models_table
from ..wire.platforms import ANTHROPIC, PLATFORMS

__all__ = ["OUTCOMES", "REDACTED", "SECRET_WORDS", "Engine", "Run", "UnusedStepsError", "is_secret", "redact"]

OUTCOMES: Mapping[object, str] = {
    END: Outcome.COMPLETE,
    CUT: Outcome.CUT,
    RESET: Outcome.RESET,
    GARBAGE: Outcome.GARBAGE,
    REFUSE: Outcome.REFUSED,
    READ_TIMEOUT: Outcome.READ_TIMEOUT,
    FOREVER: Outcome.WOULD_HANG_FOREVER,
}
"""How an exchange ends in the journal, by the plan marker it ended on."""

REAL_CLOCK_SLACK = 0.1
"""Seconds by which a client's read timeout may seem early to a server on the real clock."""


class UnusedStepsError(AssertionError):
    """A strict fake ended with scripted steps that no request met."""

    __module__ = "claude_fakes"  # where a test imports it from: how tracebacks and pytest name it


def canonical(body: Mapping[str, Any]) -> bytes:
    """A threaded request as the rest of the exchange reads it, keys sorted: the SDK's replay of a lost
    thread re-sends the fake's reply in its own key order, and is the same turn as the continue it replays."""
    return json.dumps(body, sort_keys=True, separators=(",", ":"), ensure_ascii=False).encode()


class Engine(Assertions):
    """The script, journal and findings of one fake, on ``clock``.

    ``seed``: ids and ``chaos`` picks. ``strict``: a scripted step left unused fails :meth:`verify`.
    ``latency``, ``gateway``, ``rate_limits``, ``models``, ``api_strict``: as for :class:`~claude_fakes.ClaudeFake`.
    ``journal``: how much of what it served the engine keeps (by default the last 10,000 exchanges, whole).
    ``tape``: a cassette whose recorded answers are ``ok``'s, and which records what it lacks if asked to.
    """

    def __init__(
        self,
        clock: Clock,
        *,
        seed: int = 0,
        strict: bool = True,
        latency: LatencyModel | None = None,
        gateway: Gateway | None = None,
        rate_limits: RateLimits | None = None,
        validate: bool = True,
        models: ModelsSource | ModelTable | None = None,
        api_strict: bool = False,
        journal: JournalBounds = EVERY_BODY_WHOLE,
        tape: Tape | None = None,
    ) -> None:
        if type(seed) is not int:
            raise TypeError(f"seed takes a whole number, got {seed!r}")
        if type(strict) is not bool:
            raise TypeError(f"strict takes True or False, got {strict!r}")
        if type(validate) is not bool:
            raise TypeError(f"validate takes True or False, got {validate!r}")
        if type(api_strict) is not bool:
            raise TypeError(f"api_strict takes True or False, got {api_strict!r}")
        self.clock = clock
        self.seed = seed
        self.strict = strict
        self.latency = latency
        self.gateway = gateway
        self.rate_limits = rate_limits
        self.models = models_table(models)
        """The models the API knows (the package's table with the ``models`` option merged over it)."""
        self._memo: ApiMemo | None = None
        self._turn_keys: Memo[str] | None = None
        self._bodies: Memo[Any] | None = None
        self._api = Api(seed, latency=latency, rate_limits=rate_limits, validate=validate, models=self.models,
                        api_strict=api_strict)
        self._lock = threading.RLock()
        self._journal = Journal(journal)
        self._attempts = 0
        self._script = ScriptState(self._lock)
        self._routes: list[Route] = []
        self._turns = TurnNumbers()
        self._findings: list[str] = []
        self._strict_findings: list[str] = []
        self._threads = Threads()
        self.tape = tape
        """The cassette this engine replays and records (:mod:`claude_fakes.core.cassette`), if any."""

    # -- the script ---------------------------------------------------------------------------

    def reset(self) -> None:
        """Forget everything served: journal, attempts, turns, routes, findings, scripts, ids,
        quotas and threads, and the clock; as a new fake with the same options."""
        with self._lock:
            self._api = Api(self.seed, latency=self.latency, rate_limits=self.rate_limits,
                            validate=self._api.validate, models=self.models, api_strict=self._api.api_strict,
                            memo=self._memo)
            self._journal = Journal(self._journal.bounds)
            self._attempts = 0
            self._script = ScriptState(self._lock)
            self._routes = []
            self._turns = TurnNumbers()
            self._findings = []
            self._strict_findings = []
            self._threads = Threads()
            self.clock.reset()

    @property
    def validate(self) -> bool:
        """Whether the API's conversation checks apply: orphan ``tool_use``, unknown ``tool_result``,
        ``max_tokens`` above the model's limit, each a 400 as the API words it."""
        return self._api.validate

    @validate.setter
    def validate(self, value: bool) -> None:
        if type(value) is not bool:
            raise TypeError(f"validate takes True or False, got {value!r}")
        self._api.validate = value

    @property
    def api_strict(self) -> bool:
        """Whether what the fake does not know (a model, beta, field, role, block type) gets the API's
        own 400/404 instead of a note in the journal."""
        return self._api.api_strict

    @api_strict.setter
    def api_strict(self, value: bool) -> None:
        if type(value) is not bool:
            raise TypeError(f"api_strict takes True or False, got {value!r}")
        self._api.api_strict = value

    def script(self, *items: StepLike) -> Engine:
        """Set the steps for the next attempts, replacing any not yet reached.

        With ``;`` it is a turn script: each part serves one turn (a call and all its retries),
        counted from the next new turn. Steps replaced before use still count as unused for a
        strict fake.
        """
        __tracebackhide__ = True  # a ScriptError shows at the caller's line
        self._script.set(to_turns(items))
        return self

    def turns(self, *scripts: StepLike | list[StepLike] | tuple[StepLike, ...]) -> Engine:
        """Set a turn script, one argument per turn: a string, a step, a reply, or a list of them."""
        __tracebackhide__ = True
        self._script.set(turns_of(scripts))
        return self

    def default_script(self, *items: StepLike) -> Engine:
        """Set a default script: it serves until the first :meth:`script` call, which replaces it
        whole (its steps, used or not, are then no longer checked)."""
        __tracebackhide__ = True
        self._script.set(to_turns(items), default=True)
        return self

    def when(self, match: Match) -> Route:
        """A route for the requests ``match`` holds for, after the routes already added (see
        :meth:`claude_fakes.ClaudeFake.when`)."""
        with self._lock:
            route = Route(len(self._routes) + 1, match, self._lock, lambda: self.journal)
            self._routes.append(route)
        return route

    @property
    def routes(self) -> list[Route]:
        """The routes, in the order added."""
        return list(self._routes)

    def _take_step(self, body: Any, key: str, session: str | None) -> tuple[Step | None, Route | None]:
        if self._routes and isinstance(body, Mapping):
            for route in self._routes:
                if route.match(body):
                    return route.state.take(key, session), route
        return self._script.take(key, session), None

    # -- what happened ------------------------------------------------------------------------

    @property
    def journal(self) -> list[Exchange]:
        """Every HTTP exchange so far, in order (the last ones, when the journal's bounds dropped the oldest)."""
        with self._lock:
            return list(self._journal)

    @property
    def evicted(self) -> int:
        """Exchanges the journal dropped, oldest first, to stay within its bounds."""
        return self._journal.evicted

    @property
    def truncated(self) -> int:
        """Request bodies the journal keeps as a marker of their length, not as JSON (past its bounds)."""
        return self._journal.truncated

    @property
    def attempts(self) -> int:
        """How many ``POST /v1/messages`` requests reached the fake."""
        return self._attempts

    def timeline(self) -> str:
        """The journal and the sleeps between attempts, one line each, in time order."""
        clock = self.clock
        return format_timeline(self.journal, clock.sleep_log, clock.elapsed, clock=clock.kind,
                               real_sleeps=clock.real_sleep_log, real_sleeps_unlisted=clock.real_sleeps_unlisted,
                               evicted=self.evicted)

    def unused_steps(self) -> list[str]:
        """The scripted steps no attempt has met yet, described."""
        with self._lock:
            return [*self._script.unused(), *(line for route in self._routes for line in route.state.unused())]

    @property
    def findings(self) -> list[str]:
        """Problems found that fail the test whatever its assertions (a hang forever), and those that
        fail a strict fake's (a refused connection)."""
        with self._lock:
            return [*self._findings, *self._strict_findings]

    def add_strict_finding(self, problem: str) -> None:
        """Record a problem found outside any exchange, once per text, that fails :meth:`verify` on a
        strict fake: activation's refused connection, which a test may have meant to cause."""
        with self._lock:
            if problem not in self._strict_findings:
                self._strict_findings.append(problem)

    def take_findings(self) -> list[str]:
        """The findings so far, forgotten: :meth:`verify` no longer fails on them."""
        with self._lock:
            taken, self._findings = self._findings, []
            return taken

    def verify(self) -> None:
        """Fail if a request would have hung forever, or (strict) a scripted step went unused or a
        connection was refused."""
        __tracebackhide__ = True
        with self._lock:
            findings = [*self._findings, *(self._strict_findings if self.strict else ())]
        check_unused(self.unused_steps() if self.strict else [], findings, self.timeline)

    # -- the executors' side ------------------------------------------------------------------

    @contextlib.contextmanager
    def remembering(self) -> Iterator[None]:
        """Remember what the API works out (:class:`~claude_fakes.core.planner.ApiMemo`), each body parsed
        and its turn key until the block ends, across resets: for an exploration, whose runs repeat each
        other's requests. Equal bodies then share one parsed object, the journal's JSON included.
        Elsewhere requests seldom repeat, and a memo would only hold their bodies."""
        with self._lock:
            self._memo = self._api.memo = ApiMemo()
            self._turn_keys = Memo(ApiMemo.ENTRIES, ApiMemo.BUDGET)
            self._bodies = Memo(ApiMemo.ENTRIES, ApiMemo.BUDGET)
        try:
            yield
        finally:
            with self._lock:
                self._memo = self._api.memo = None
                self._turn_keys = self._bodies = None

    def _turn_key(self, served: Incoming) -> str:
        memo = self._turn_keys
        if memo is None:
            return key_of(served.json)
        memo_key = (served.path, served.body)
        key = memo.get(memo_key)
        if key is None:
            key = key_of(served.json)
            memo.put(memo_key, key, len(served.body) + len(key))
        return key

    def begin(
        self, incoming: Incoming, timeout: Mapping[str, float | None], read_timeout: float | None = None,
        rejection: Plan | None = None, step: Step | None = None, forwards: bool = False,
    ) -> Run:
        """Journal a new exchange and decide its plan (``rejection``: answer with that instead).

        ``read_timeout``: the longest silence the client accepts, when the executor enforces it
        (in-process); None when the client's own clock does (sockets). ``step``: the step this
        attempt gets instead of the script's next (a request's own script header). ``forwards``: the
        executor can send the request to the upstream; when the tape records it, the run's
        :attr:`Run.recording` says so, and the plan is empty.
        """
        given = step
        with self._lock:
            now = self.clock.now()
            api = self._api
            attempt = incoming.is_attempt
            platform = incoming.platform
            if self._bodies is not None:
                parsed_once(incoming, self._bodies)
            body = incoming.json
            # Threads are the Anthropic API's: the rest of the exchange sees the whole conversation.
            thread = self._threads.resolve(body, now) if attempt and platform is ANTHROPIC else None
            served = incoming if thread is None else replace(incoming, body=canonical(thread.body))
            notes: list[str] = []
            plan = rejection or api.reject(served, now=now, notes=notes)
            step = None
            route = None
            key = self._turn_key(served) if attempt else ""
            if plan is None and thread is not None and thread.error is not None:
                error = thread.error
                plan = api.error(error.error_type, error.message, status=error.status, now=now,
                                 error_code=error.error_code)
                notes.append(error.error_code)
            if plan is None and attempt:
                plan = api.over_quota(now, platform)
                if plan is not None:
                    notes.append("over quota")
                else:
                    step, route = ((given, None) if given is not None
                                   else self._take_step(served.json, key, incoming.session))
                if step is not None and step.fault.draws:
                    step = pick_chaos(step, random.Random(f"{self.seed}:chaos:{self._attempts + 1}"))
                    notes.append("chaos")
                if step is not None and not step.fault.serves(platform.name):
                    plan = self._wrong_platform(step, incoming, now)
                if step is not None and step.fault.drops_thread and thread is not None:
                    self._threads.lose(thread)
            recorded = recording = None
            if plan is None and attempt and self.tape is not None:
                recorded, recording, plan = self._from_tape(self.tape, served, step, forwards, notes)
            if plan is None:
                replied = None if thread is None else functools.partial(self._threads.replied, thread)
                plan = api.respond(served, step, now=now, notes=notes, replied=replied, recorded=recorded,
                                   gaps=self.tape is None or self.tape.gaps)
            if self.gateway is not None:
                behind = self.gateway.apply(plan)
                if behind != plan:
                    notes.append(f"cut by {self.gateway.name}")
                plan = behind
            turn = None
            if attempt:
                self._attempts += 1
                turn = self._turns.of(session_key(key, incoming.session))
            kept, note = self._journal.body(incoming)
            if note is not None:
                notes.append(note)
            exchange = Exchange(
                attempt=self._attempts if attempt else None,
                retry_count=incoming.retry_count,
                method=incoming.method,
                path=incoming.path,
                headers=redact(incoming.headers),
                json=kept,
                timeout=dict(timeout),
                step=step,
                start=self.clock.elapsed,
                stream=isinstance(body, dict) and body.get("stream") is True,
                notes=notes,
                turn=turn,
                route=route.name if route is not None else None,
                platform=platform.name,
            )
            self._journal.add(exchange)
        return Run(self, exchange, plan, read_timeout, thread, recording)

    def _from_tape(self, tape: Tape, incoming: Incoming, step: Step | None, forwards: bool,
                   notes: list[str]) -> tuple[Recorded | None, Recording | None, Plan | None]:
        """What the cassette says of an attempt: its recorded answer, or a recording to make of the
        upstream's (with an empty plan: the executor forwards it), or a miss (the error plan)."""
        path = incoming.path
        key = cassette_key(path, incoming.json)
        recorded = tape.cassette.find(key)
        own = step is not None and step.reply is not None
        plain = step is None or (step.fault.baseline and not own)
        if plain and tape.forwards(recorded):
            if forwards:
                notes.append("recorded from the upstream")
                request = request_of(incoming.method, path, incoming.headers, incoming.json)
                return None, Recording(key, request), Plan.of()
            problem = (f"{incoming.method} {path} should be recorded into {tape.cassette.name}, but it reached the "
                       "fake where it cannot be sent on (through another mock's route: ClaudeFake.respond); "
                       "record it without that mock, or through claude-fakes serve --cassettes DIR --record")
        elif recorded is None and tape.records and not own:
            # Nothing to shape the fault on yet: it shapes a synthetic reply, and the turn's next plain
            # attempt is the one recorded.
            notes.append("no recording yet: the fault shapes a synthetic reply")
            return None, None, None
        elif recorded is not None or own:
            if recorded is not None:
                notes.append(f"replayed from {tape.cassette.name}:{recorded.line}" if recorded.line
                             else f"replayed from {tape.cassette.name}")
            return recorded, None, None
        else:
            problem = (f"no recording in {tape.cassette.name} answers {incoming.method} {path} (record mode "
                       f"{tape.mode}); {tape.cassette.closest(path, incoming.json)}\n"
                       "  record it with --claude-record=new (or ClaudeFake(record=\"new\"))")
        self._findings.append(problem)
        return None, None, self._api.error("invalid_request_error", f"claude_fakes: {problem}", status=400,
                                           now=self.clock.now(), platform=incoming.platform)

    def error(self, incoming: Incoming, error_type: str, message: str, *, status: int | None = None) -> Plan:
        """The API's error reply to ``incoming``, in its platform's shape: for a request an executor turns
        away before the script is consulted (a malformed script header), passed to :meth:`begin`."""
        return self._api.error(error_type, message, status=status, now=self.clock.now(), platform=incoming.platform)

    def _wrong_platform(self, step: Step, incoming: Incoming, now: float) -> Plan:
        """A platform's own fault met a request to another platform: a finding, and a 400 saying so."""
        owners = " or ".join(p.title for p in PLATFORMS if p.name in step.fault.platforms)
        here = [name for name, fault in FAULTS.items() if fault.platforms and fault.serves(incoming.platform.name)]
        problem = (f"{step} is a fault of {owners}, but attempt {self._attempts + 1} ({incoming.method} "
                   f"{incoming.path}) went to {incoming.platform.title}; faults of this platform: "
                   f"{', '.join(here) or 'none of its own (every generic fault applies)'}")
        self._findings.append(problem)
        return self._api.error("invalid_request_error", f"claude_fakes: {problem}", status=400, now=now,
                                platform=incoming.platform)

    def finish(self, exchange: Exchange, outcome: str, error: str | None = None,
               thread: ThreadTurn | None = None) -> None:
        """Record how an exchange ended (once: later calls change nothing); ``thread``: the message
        thread it continued, which a whole reply moves on."""
        with self._lock:
            if exchange.outcome != Outcome.OPEN:
                return
            exchange.outcome = outcome
            exchange.error = error
            exchange.end = self.clock.elapsed
            if thread is not None:
                whole = exchange.step is None or not exchange.step.fault.spoils_reply
                self._threads.end(thread, delivered=outcome == Outcome.COMPLETE and whole)
            if outcome == Outcome.WOULD_HANG_FOREVER:
                self._findings.append(
                    f"attempt {exchange.attempt}: {exchange.method} {exchange.path} would hang forever "
                    "(the client has no read timeout)"
                )


class Run:
    """One exchange in progress: walks its plan and keeps its journal record up to date.

    An executor calls :meth:`next`, lets ``wait`` seconds pass its own way (a virtual clock, a
    loop timer, a real sleep), performs ``then``, and reports the end with :meth:`end`,
    :meth:`client_gone`, :meth:`cancelled` or :meth:`close`. A head or a piece of body is
    journalled once the client can have it: at once, or, behind a silence, once the silence is
    over (the executor's next call), so a client that leaves during the silence is not counted
    as having received what came after it.
    """

    def __init__(self, engine: Engine, exchange: Exchange, plan: Plan, read_timeout: float | None,
                 thread: ThreadTurn | None = None, recording: Recording | None = None) -> None:
        self.engine = engine
        self.recording = recording
        """When the exchange is recorded: the executor forwards the request to the upstream and reports
        what comes back (:meth:`upstream_head`, :meth:`upstream_data`, :meth:`upstream_end`) instead of
        walking the plan."""
        self.exchange = exchange
        self.plan = plan
        self._thread = thread
        """The message thread this exchange continues, if any: its ending decides the thread's."""
        self._cursor = Cursor(plan, read_timeout)
        self._silence_started: float | None = None
        self._behind_silence: Head | Send | None = None
        """What :meth:`next` handed out behind a silence, journalled when the silence is over."""

    @property
    def open(self) -> bool:
        return self.exchange.outcome == Outcome.OPEN

    def next(self) -> Next:
        """What happens next (the silence before anything handed out earlier is over)."""
        self._silence_over()
        step = self._cursor.next()
        then = step.then
        if isinstance(then, (Head, Send)):
            if step.wait:
                self._behind_silence = then
            else:
                self._journal(then)
        return step

    def _journal(self, action: Head | Send) -> None:
        if isinstance(action, Send):
            self.exchange.events += action.events
        else:
            self.exchange.status = action.status
            self.exchange.response_headers = dict(action.headers)

    def _silence_over(self) -> None:
        if self._behind_silence is not None:
            self._journal(self._behind_silence)
            self._behind_silence = None

    def _finish(self, outcome: str, error: str | None = None) -> None:
        self.engine.finish(self.exchange, outcome, error, self._thread)

    def hang_forever(self) -> WouldHangForever:
        """End as a hang forever (a finding) and say so, for the executor to raise or hand the client."""
        exchange = self.exchange
        self.end(FOREVER, WouldHangForever.NAME)
        return WouldHangForever.of(exchange.method, exchange.path, exchange.step)

    def end(self, marker: object, error: str | None = None) -> None:
        """The plan ended on ``marker`` (``END``, ``CUT``, …); ``error``: what the client got."""
        self._silence_over()
        self._finish(OUTCOMES[marker], error)

    def silence_started(self) -> None:
        """A silence began (the executor waits in real or loop time, not by advancing a clock)."""
        self._silence_started = self.engine.clock.elapsed

    def client_gone(self) -> None:
        """The client closed the connection: a read timeout if it gave up after its own limit."""
        self._behind_silence = None  # it left during the silence: what came after it never reached it
        read = self.exchange.timeout.get("read")
        started = self._silence_started
        clock = self.engine.clock
        silent = None if started is None else clock.elapsed - started
        # Over a real network the client's timer starts before the server's silence does (the
        # request is still in flight and being parsed): allow for that on the real clock.
        slack = REAL_CLOCK_SLACK if clock.kind == "real" else 1e-6
        timed_out = read is not None and silent is not None and silent + slack >= read
        self._finish(Outcome.READ_TIMEOUT if timed_out else Outcome.CLIENT_CLOSED)

    def cancelled(self) -> None:
        """The client's task was cancelled while it waited (``asyncio.wait_for``, a task group)."""
        self._behind_silence = None
        self._finish(Outcome.CANCELLED)

    def whole_body(self) -> bytes | None:
        """The rest of the body, taken now, when it would all arrive at once and end cleanly (then
        journalled as delivered; the executor reports the end); else None: it must be walked. A long
        body (a :class:`~claude_fakes.core.plan.Body`) is always walked, so that it is made as it goes."""
        self._silence_over()
        rest = self._cursor.rest_without_silence()
        if rest is None:
            return None
        pieces = [action for action in rest if isinstance(action, Send)]
        if len(pieces) != len(rest):
            return None
        self._cursor.skip_rest()
        self.exchange.events += sum(piece.events for piece in pieces)
        return b"".join(piece.data for piece in pieces)

    def upstream_head(self, status: int, headers: list[tuple[str, str]], at: float) -> None:
        """The upstream's status and headers arrived, ``at`` seconds after the request was sent."""
        assert self.recording is not None
        self.recording.head(status, headers, at)
        self.exchange.status = status
        self.exchange.response_headers = {name.lower(): value for name, value in headers}

    def upstream_data(self, chunk: bytes, at: float) -> None:
        """Body bytes passed from the upstream to the client."""
        recording = self.recording
        assert recording is not None
        before = recording.events
        recording.data(chunk, at)
        self.exchange.events += recording.events - before

    def upstream_end(self, complete: bool, at: float, error: str | None = None) -> None:
        """The forwarded exchange is over: ``complete`` when the body ended whole (else it broke, or the
        client left, and it is recorded as the cut it was); ``error``: what the client got."""
        recording = self.recording
        if recording is None or not self.open:
            return
        engine = self.engine
        if recording.started:
            with engine._lock:
                assert engine.tape is not None
                engine.tape.add(recording.finish(complete, at))
        if not recording.started:
            self._finish(Outcome.REFUSED, error)
        else:
            self._finish(Outcome.COMPLETE if complete else Outcome.CUT, error)

    def close(self) -> None:
        """The client closed the response. Whatever the plan would send at once counts as sent."""
        if not self.open:
            return
        self._silence_over()
        rest = self._cursor.rest_without_silence()
        if rest is None:
            self._finish(Outcome.CLIENT_CLOSED)
            return
        self.exchange.events += sum(action.events for action in rest if isinstance(action, (Send, Body)))
        self._finish(Outcome.CUT if rest and rest[-1] is CUT else Outcome.COMPLETE)


def check_unused(unused: list[str], findings: list[str], timeline: Callable[[], str]) -> None:
    """Raise :class:`UnusedStepsError` for unused steps and findings, with the timeline."""
    __tracebackhide__ = True
    problems = list(findings)
    if unused:
        problems.append(
            "scripted steps never used; the test claims to cover them but no request met them:\n    "
            + "\n    ".join(unused)
            + "\n  (pass strict=False, or set claude_fake.strict = False, if that is intended)"
        )
    if problems:
        raise UnusedStepsError("claude_fakes: " + "\n".join(problems) + "\n" + timeline())

