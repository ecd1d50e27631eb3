"""Scopes and the admin API of the fake server, without sockets.

A scope is an :class:`~claude_fakes.engine.engine.Engine` on the real clock: the same script state,
journal, strictness and verdict as in-process. Requests pick
their scope by the ``x-claude-fakes-scope`` header or by a path prefix
``/_claude_fakes/scopes/<name>/`` (so a base URL alone routes an unmodified client), and may
carry their own script in ``x-claude-fakes-script``.
"""

from __future__ import annotations

import json
from dataclasses import dataclass, field, replace
from functools import lru_cache
from typing import Any
from urllib.parse import unquote

from ...core.clock import RealClock
from ...core.gateways import gateway_from
from ...core.journal import Exchange
from ...core.latency import latency_model
from ...core.plan import Head, Plan, Send
from ...core.planner import OK, Incoming
from ...core.script import ScriptError, Turns, parse_script, parse_turns
from ...core.step import Step
from ...core.turns import Route, TurnNumbers, key_of
from ...engine.engine import Engine, Run
from ...wire.anthropic import error_body
from ...wire.http import JSON_CONTENT_TYPE, json_bytes

ADMIN_PREFIX = "/_claude_fakes"
SCOPED_PREFIX = ADMIN_PREFIX + "/scopes/"
DEFAULT_SCOPE = "default"
SCRIPT_HEADER = "x-claude-fakes-script"
SCOPE_HEADER = "x-claude-fakes-scope"

@dataclass
class Scope:
    name: str
    engine: Engine
    header_turns: dict[tuple[str, str], int] = field(default_factory=dict)
    """Attempts seen per (header script, messages), for clients that send no retry count."""
    header_turn_numbers: dict[str, TurnNumbers] = field(default_factory=dict)
    """Per header turn script, the turn each ``messages`` is (1, 2, … by first arrival)."""


def exchange_json(exchange: Exchange) -> dict[str, Any]:
    return {
        "attempt": exchange.attempt,
        "retry_count": exchange.retry_count,
        "method": exchange.method,
        "path": exchange.path,
        "headers": dict(exchange.headers),
        "json": exchange.json,
        "timeout": dict(exchange.timeout),
        "step": None if exchange.step is None else str(exchange.step),
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


class Scopes:
    """Every scope of one server, created on first use with the server's defaults."""

    def __init__(self, script: str | None = None, seed: int = 0, **options: Any) -> None:
        parse_turns(script or "")
        self.script = script
        self.seed = seed
        self.options = options
        """``latency``, ``gateway``, ``rate_limits``, ``validate``: as for :class:`ClaudeFake`, in every scope."""
        self._scopes: dict[str, Scope] = {}

    def get(self, name: str) -> Scope:
        scope = self._scopes.get(name)
        if scope is None:
            options = self.options
            engine = Engine(RealClock(), seed=self.seed, latency=latency_model(options.get("latency")),
                            gateway=gateway_from(options.get("gateway")), rate_limits=options.get("rate_limits"),
                            validate=options.get("validate", True))
            if self.script:
                engine.script(self.script)
            scope = self._scopes[name] = Scope(name, engine)
        return scope

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
        header belongs to the call, and its step k to the call's k-th attempt (the retry count
        the SDK sends; counted per turn, by the messages, for a client that sends none).
        """
        scope, incoming = self.route(incoming)
        script = incoming.headers.get(SCRIPT_HEADER)
        if script is None or not incoming.is_attempt:
            return scope, scope.engine.begin(incoming, _client_timeouts(incoming))
        try:
            turns = _header_turns(script)
        except ScriptError as err:
            body = error_body("invalid_request_error", f"{SCRIPT_HEADER}: {err}", "req_claude_fakes_admin")
            rejection = Plan.of(Head(400, (("content-type", JSON_CONTENT_TYPE),)), Send(body))
            return scope, scope.engine.begin(incoming, _client_timeouts(incoming), rejection=rejection)
        key = key_of(incoming.json)
        steps = turns[0]
        if len(turns) > 1:
            turn = scope.header_turn_numbers.setdefault(script, TurnNumbers()).of(key)
            steps = turns[turn - 1] if turn <= len(turns) else ()
        step = _step_for_attempt(steps, self._attempt_of_call(scope, script, incoming, key))
        return scope, scope.engine.begin(incoming, _client_timeouts(incoming), step=step)

    @staticmethod
    def _attempt_of_call(scope: Scope, script: str, incoming: Incoming, key: str) -> int:
        """Which attempt of its call this request is, counting from 0."""
        if incoming.retry_count is not None:
            return incoming.retry_count
        attempt = scope.header_turns.get((script, key), 0)
        scope.header_turns[(script, key)] = attempt + 1
        return attempt

    # -- the admin API ------------------------------------------------------------------------

    def admin(self, incoming: Incoming) -> tuple[int, str, bytes]:
        """Answer a request under ``/_claude_fakes/``: status, content type, body."""
        action = incoming.path[len(ADMIN_PREFIX):].strip("/")
        scope_name = incoming.query.get("scope") or incoming.headers.get(SCOPE_HEADER) or DEFAULT_SCOPE
        try:
            if (incoming.method, action) == ("GET", "health"):
                return _json(200, {"status": "ok", "scopes": sorted(self._scopes)})
            if (incoming.method, action) == ("POST", "script"):
                turns = parse_turns(_script_from(incoming))
                scope = self.get(scope_name)
                route_name = incoming.query.get("route")
                target: Engine | Route = scope.engine if route_name is None else _route(scope.engine, route_name)
                if len(turns) > 1:
                    target.turns(*turns)
                else:
                    target.script(*turns[0])
                return _json(200, {"scope": scope_name, "route": route_name,
                                   "turns": [[str(step) for step in turn] for turn in turns]})
            if (incoming.method, action) == ("POST", "routes"):
                match = _match_from(incoming)
                route = self.get(scope_name).engine.when(**match)
                return _json(200, {"scope": scope_name, "route": route.name})
            if (incoming.method, action) == ("GET", "journal"):
                engine = self.get(scope_name).engine
                return _json(200, {"scope": scope_name, "attempts": engine.attempts,
                                   "exchanges": [exchange_json(e) for e in engine.journal],
                                   "unused_steps": engine.unused_steps(), "findings": engine.findings})
            if (incoming.method, action) == ("GET", "timeline"):
                return 200, "text/plain; charset=utf-8", self.get(scope_name).engine.timeline().encode()
            if (incoming.method, action) == ("POST", "reset"):
                if "scope" in incoming.query or SCOPE_HEADER in incoming.headers:
                    self._scopes.pop(scope_name, None)
                    return _json(200, {"reset": scope_name})
                self._scopes.clear()
                return _json(200, {"reset": "all"})
        except ScriptError as err:
            return _error(400, str(err))
        except TypeError as err:
            return _error(400, str(err))
        return _error(404, f"no admin endpoint {incoming.method} {incoming.path}; known: GET health, "
                           "POST script, POST routes, GET journal, GET timeline, POST reset")


@lru_cache(maxsize=256)
def _header_turns(script: str) -> Turns:
    return parse_turns(script)


MATCH_FIELDS: dict[str, type | tuple[type, ...]] = {
    "model": str, "contains": str, "system": str, "tools": str, "tool_result": (bool, str), "stream": bool}
"""What a route may match on over the admin API (a predicate is Python's alone)."""


def _match_from(incoming: Incoming) -> dict[str, Any]:
    try:
        data = json.loads(incoming.body)
    except (ValueError, RecursionError):
        raise ScriptError('send the match as JSON: {"model": "...", "contains": "..."}') from None
    if not isinstance(data, dict) or not data:
        raise ScriptError(f"send the match as a JSON object with some of: {', '.join(MATCH_FIELDS)}")
    for key, value in data.items():
        kind = MATCH_FIELDS.get(key)
        if kind is None:
            raise ScriptError(f"routes cannot match on {key!r}; they match on {', '.join(MATCH_FIELDS)}")
        if not isinstance(value, kind):
            raise ScriptError(f"routes: {key} takes {'a string' if kind is str else 'true, false or a string'}, "
                              f"got {value!r}")
    return data


def _route(engine: Engine, name: str) -> Route:
    for route in engine.routes:
        if route.name == name:
            return route
    known = ", ".join(route.name for route in engine.routes) or "none yet"
    raise ScriptError(f"no route {name!r} in this scope; routes: {known}")


def _step_for_attempt(steps: tuple[Step, ...], attempt: int) -> Step:
    """The step a script gives its ``attempt``-th attempt (from 0); ``ok`` past its end."""
    for step in steps:
        if attempt < step.count:
            return replace(step, count=1)
        attempt -= int(step.count)
    return OK


def _client_timeouts(incoming: Incoming) -> dict[str, float | None]:
    """What the client says its timeouts are (the Python SDK sends x-stainless-read-timeout)."""
    timeouts: dict[str, float | None] = {}
    for key, header in (("read", "x-stainless-read-timeout"), ("total", "x-stainless-timeout")):
        try:
            timeouts[key] = float(incoming.headers[header])
        except (KeyError, ValueError):
            continue
    return timeouts


def _script_from(incoming: Incoming) -> str:
    if incoming.headers.get("content-type", "").startswith("application/json"):
        try:
            data = json.loads(incoming.body)
        except (ValueError, RecursionError):
            raise ScriptError("the body is not JSON; send {\"script\": \"...\"} or the script as text/plain") from None
        if not isinstance(data, dict) or not isinstance(data.get("script"), str):
            raise ScriptError('send {"script": "..."}')
        script: str = data["script"]
        return script
    return incoming.body.decode("utf-8", "replace")


def _json(status: int, value: Any) -> tuple[int, str, bytes]:
    return status, JSON_CONTENT_TYPE, json_bytes(value)


def _error(status: int, message: str) -> tuple[int, str, bytes]:
    error_type = "not_found_error" if status == 404 else "invalid_request_error"
    return status, JSON_CONTENT_TYPE, error_body(error_type, message, "req_claude_fakes_admin")
