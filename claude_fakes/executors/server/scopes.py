"""Scopes of the fake server, without sockets: which engine a request meets, and with which step.

A scope is an :class:`~claude_fakes.engine.engine.Engine` on the real clock: the same script state,
journal, strictness and verdict as in-process. Requests pick their scope by the
``x-claude-fakes-scope`` header or by a path prefix ``/_claude_fakes/scopes/<name>/`` (so a base URL
alone routes an unmodified client), and may carry their own script in ``x-claude-fakes-script``
(a :class:`~claude_fakes.core.turns.CallScript`). The admin API that sets scripts and reads
journals is :mod:`.admin`.

A server runs for days, so what it keeps is bounded: each scope's journal (:data:`JOURNAL_EXCHANGES`
exchanges, bodies up to :data:`JOURNAL_BODY_BYTES` as JSON), the scopes themselves (the least recently
used goes past :data:`MAX_SCOPES`) and each scope's call scripts (:data:`MAX_CALL_SCRIPTS`); what went is
counted for ``GET health``.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass, field
from functools import lru_cache
from typing import Any
from urllib.parse import unquote

from ...core.cassette import Tape
from ...core.clock import RealClock
from ...core.gateways import gateway_from
from ...core.journal import JournalBounds
from ...core.latency import latency_model
from ...core.request import Incoming
from ...core.script import ScriptError, Turns, parse_turns
from ...core.turns import CallScript, key_of
from ...engine.engine import Engine, Run
from ...wire.models import models_table

ADMIN_PREFIX = "/_claude_fakes"
SCOPED_PREFIX = ADMIN_PREFIX + "/scopes/"
DEFAULT_SCOPE = "default"
SCRIPT_HEADER = "x-claude-fakes-script"
SCOPE_HEADER = "x-claude-fakes-scope"

MAX_SCOPES = 1_000
"""Scopes a server holds by default; a new one past it evicts the least recently used (its script and journal)."""
JOURNAL_EXCHANGES = 1_000
"""Exchanges each scope's journal keeps by default; past it the oldest goes for each new one."""
JOURNAL_BODY_BYTES = 64 * 1024
"""The longest request body a scope's journal keeps as JSON by default; a longer one is a marker of its length."""
SERVER_JOURNAL = JournalBounds(JOURNAL_EXCHANGES, JOURNAL_BODY_BYTES, as_sent=True)
MAX_CALL_SCRIPTS = 64
"""Distinct script headers a scope follows at once (each with its calls' attempt counts); the least
recently used is forgotten past it."""


@dataclass
class Scope:
    name: str
    engine: Engine
    call_scripts: dict[str, CallScript] = field(default_factory=dict)
    """The script headers seen in this scope (the least recently used first), with their attempt and turn counts."""


class Scopes:
    """Every scope of one server, created on first use with the server's defaults, at most ``max_scopes``
    of them (the least recently used goes first), each journal within ``journal``."""

    def __init__(self, script: str | None = None, seed: int = 0, *, max_scopes: int = MAX_SCOPES,
                 journal: JournalBounds = SERVER_JOURNAL, tapes: Callable[[str], Tape] | None = None,
                 upstream: str | None = None, **options: Any) -> None:
        parse_turns(script or "")
        if type(max_scopes) is not int or max_scopes < 1:
            raise ValueError(f"max_scopes takes a whole number >= 1, got {max_scopes!r}")
        self.script = script
        self.seed = seed
        self.max_scopes = max_scopes
        self.journal = journal
        self.options = options
        self.tapes = tapes
        """Each scope's cassette, by scope name (:mod:`claude_fakes.core.cassette`), if the server has any."""
        self.upstream = upstream
        """Where requests a cassette records go; None: nothing is recorded."""
        """``latency``, ``gateway``, ``rate_limits``, ``validate``, ``models``, ``api_strict``: as for
        :class:`ClaudeFake`, in every scope."""
        self.models = models_table(options.get("models"))
        """Read once, so that a bad models file fails the server's start, not its first request."""
        self._scopes: dict[str, Scope] = {}
        """By name, the least recently used first."""
        self.evicted_scopes = 0
        self._evicted_exchanges = 0
        """Exchanges the journals of scopes no longer held had evicted (so the counts stay whole)."""
        self._truncated_bodies = 0

    def get(self, name: str) -> Scope:
        """Scope ``name``, now the most recently used; a new one past ``max_scopes`` evicts the least."""
        scopes = self._scopes
        scope = scopes.pop(name, None)
        if scope is None:
            options = self.options
            engine = Engine(RealClock(), seed=self.seed, latency=latency_model(options.get("latency")),
                            gateway=gateway_from(options.get("gateway")), rate_limits=options.get("rate_limits"),
                            validate=options.get("validate", True), models=self.models,
                            api_strict=options.get("api_strict", False), journal=self.journal,
                            tape=self.tapes(name) if self.tapes is not None else None)
            if self.script:
                engine.script(self.script)
            scope = Scope(name, engine)
            if len(scopes) >= self.max_scopes:
                self._drop(next(iter(scopes)))
                self.evicted_scopes += 1
        scopes[name] = scope
        return scope

    @property
    def names(self) -> list[str]:
        return sorted(self._scopes)

    def forget(self, name: str | None = None) -> None:
        """Drop scope ``name`` (None: every scope); the next request to it starts a fresh one."""
        for gone in list(self._scopes) if name is None else [name]:
            self._drop(gone)

    def _drop(self, name: str) -> None:
        scope = self._scopes.pop(name, None)
        if scope is not None:
            self._evicted_exchanges += scope.engine.evicted
            self._truncated_bodies += scope.engine.truncated

    def counts(self) -> dict[str, int]:
        """What the server let go to stay within its bounds, since it started: ``GET health`` says it."""
        engines = [scope.engine for scope in self._scopes.values()]
        return {"evicted_scopes": self.evicted_scopes,
                "evicted_exchanges": self._evicted_exchanges + sum(engine.evicted for engine in engines),
                "truncated_bodies": self._truncated_bodies + sum(engine.truncated for engine in engines)}

    def route(self, incoming: Incoming) -> tuple[Scope, Incoming]:
        """The request's scope, and the request with any scope prefix taken off its path."""
        path = incoming.path
        name = incoming.headers.get(SCOPE_HEADER) or DEFAULT_SCOPE
        if path.startswith(SCOPED_PREFIX):
            name, _, rest = path[len(SCOPED_PREFIX):].partition("/")
            name = unquote(name)
            path = "/" + rest
            incoming = Incoming(incoming.method, path, incoming.query, incoming.headers, incoming.body)
        return self.get(name), incoming

    def begin(self, incoming: Incoming) -> tuple[Scope, Run]:
        """Journal an API request in its scope and decide its plan.

        A request carrying a script header is served by that script, not the scope's: the
        header belongs to the call, and its step k to the call's k-th attempt.
        """
        scope, incoming = self.route(incoming)
        engine = scope.engine
        script = incoming.headers.get(SCRIPT_HEADER)
        timeouts = _client_timeouts(incoming)
        forwards = self.upstream is not None
        if script is None or not incoming.is_attempt:
            return scope, engine.begin(incoming, timeouts, forwards=forwards)
        try:
            turns = _header_turns(script)
        except ScriptError as err:
            rejection = engine.error(incoming, "invalid_request_error", f"{SCRIPT_HEADER}: {err}")
            return scope, engine.begin(incoming, timeouts, rejection=rejection)
        calls = scope.call_scripts
        call = calls.pop(script, None) or CallScript(turns)
        calls[script] = call
        if len(calls) > MAX_CALL_SCRIPTS:
            del calls[next(iter(calls))]  # the least recently used
        step = call.step(key_of(incoming.json), incoming.counted_retry, incoming.session)
        return scope, engine.begin(incoming, timeouts, step=step, forwards=forwards)


@lru_cache(maxsize=256)
def _header_turns(script: str) -> Turns:
    return parse_turns(script)


def _client_timeouts(incoming: Incoming) -> dict[str, float | None]:
    """What the client says its timeouts are (the Python SDK sends x-stainless-read-timeout)."""
    timeouts: dict[str, float | None] = {}
    for key, header in (("read", "x-stainless-read-timeout"), ("total", "x-stainless-timeout")):
        try:
            timeouts[key] = float(incoming.headers[header])
        except (KeyError, ValueError):
            continue
    return timeouts
