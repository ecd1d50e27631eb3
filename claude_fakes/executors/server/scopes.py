"""Scopes of the fake server, without sockets: which engine a request meets, and with which step.

A scope is an :class:`~claude_fakes.engine.engine.Engine` on the real clock: the same script state,
journal, strictness and verdict as in-process. Requests pick their scope by the
``x-claude-fakes-scope`` header or by a path prefix ``/_claude_fakes/scopes/<name>/`` (so a base URL
alone routes an unmodified client), and may carry their own script in ``x-claude-fakes-script``
(a :class:`~claude_fakes.core.turns.CallScript`). The admin API that sets scripts and reads
journals is :mod:`.admin`.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from functools import lru_cache
from typing import Any
from urllib.parse import unquote

from ...core.clock import RealClock
from ...core.gateways import gateway_from
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


@dataclass
class Scope:
    name: str
    engine: Engine
    call_scripts: dict[str, CallScript] = field(default_factory=dict)
    """Each script header seen in this scope, with its attempt and turn counts."""


class Scopes:
    """Every scope of one server, created on first use with the server's defaults."""

    def __init__(self, script: str | None = None, seed: int = 0, **options: Any) -> None:
        parse_turns(script or "")
        self.script = script
        self.seed = seed
        self.options = options
        """``latency``, ``gateway``, ``rate_limits``, ``validate``, ``models``, ``api_strict``: as for
        :class:`ClaudeFake`, in every scope."""
        self.models = models_table(options.get("models"))
        """Read once, so that a bad models file fails the server's start, not its first request."""
        self._scopes: dict[str, Scope] = {}

    def get(self, name: str) -> Scope:
        scope = self._scopes.get(name)
        if scope is None:
            options = self.options
            engine = Engine(RealClock(), seed=self.seed, latency=latency_model(options.get("latency")),
                            gateway=gateway_from(options.get("gateway")), rate_limits=options.get("rate_limits"),
                            validate=options.get("validate", True), models=self.models,
                            api_strict=options.get("api_strict", False))
            if self.script:
                engine.script(self.script)
            scope = self._scopes[name] = Scope(name, engine)
        return scope

    @property
    def names(self) -> list[str]:
        return sorted(self._scopes)

    def forget(self, name: str | None = None) -> None:
        """Drop scope ``name`` (None: every scope); the next request to it starts a fresh one."""
        if name is None:
            self._scopes.clear()
        else:
            self._scopes.pop(name, None)

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
        if script is None or not incoming.is_attempt:
            return scope, engine.begin(incoming, timeouts)
        try:
            turns = _header_turns(script)
        except ScriptError as err:
            rejection = engine.error(incoming, "invalid_request_error", f"{SCRIPT_HEADER}: {err}")
            return scope, engine.begin(incoming, timeouts, rejection=rejection)
        call = scope.call_scripts.setdefault(script, CallScript(turns))
        return scope, engine.begin(incoming, timeouts, step=call.step(key_of(incoming.json), incoming.retry_count))


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
