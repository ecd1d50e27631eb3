"""The fake server's admin API, under ``/_claude_fakes/``: scripts, routes, journals, timelines, resets.

Sans sockets: a request in, ``(status, headers, body)`` out. Every answer is JSON but the timeline
(plain text); errors are Anthropic error bodies, so any client's error handling reads them. A journal
comes as pieces, an exchange each, for the server to write in turns with its other work.
"""

from __future__ import annotations

import json
from collections.abc import Callable, Iterator
from dataclasses import dataclass
from typing import Any

from ...core.journal import exchange_json
from ...core.request import Incoming
from ...core.script import ScriptError, parse_turns
from ...core.turns import Match, Route
from ...engine.engine import Engine
from ...wire.http import JSON_CONTENT_TYPE, json_bytes
from ...wire.platforms import ANTHROPIC, Headers
from .scopes import ADMIN_PREFIX, DEFAULT_SCOPE, SCOPE_HEADER, Scopes

Answer = tuple[int, Headers, bytes | Iterator[bytes]]


@dataclass(frozen=True)
class Endpoint:
    """One admin endpoint: ``METHOD /_claude_fakes/ACTION``, what it takes and what it does (for the CLI's help
    and the error that lists them), and the function that answers it."""

    method: str
    action: str
    takes: str
    does: str
    answer: Callable[[Scopes, str, Incoming], Answer]


def _health(scopes: Scopes, scope_name: str, incoming: Incoming) -> Answer:
    bounds = {"scopes": scopes.max_scopes, "exchanges_per_scope": scopes.journal.exchanges,
              "body_bytes": scopes.journal.body_bytes}
    return _json(200, {"status": "ok", "scopes": scopes.names, "bounds": bounds, **scopes.counts()})


def _set_script(scopes: Scopes, scope_name: str, incoming: Incoming) -> Answer:
    turns = parse_turns(_script_from(incoming))
    scope = scopes.get(scope_name)
    route_name = incoming.query.get("route")
    target: Engine | Route = scope.engine if route_name is None else _route(scope.engine, route_name)
    if len(turns) > 1:
        target.turns(*turns)
    else:
        target.script(*turns[0])
    return _json(200, {"scope": scope_name, "route": route_name,
                       "turns": [[str(step) for step in turn] for turn in turns]})


def _add_route(scopes: Scopes, scope_name: str, incoming: Incoming) -> Answer:
    route = scopes.get(scope_name).engine.when(Match(**_match_from(incoming)))
    return _json(200, {"scope": scope_name, "route": route.name})


def _get_journal(scopes: Scopes, scope_name: str, incoming: Incoming) -> Answer:
    return 200, [("content-type", JSON_CONTENT_TYPE)], _journal(scope_name, scopes.get(scope_name).engine)


def _get_timeline(scopes: Scopes, scope_name: str, incoming: Incoming) -> Answer:
    timeline = scopes.get(scope_name).engine.timeline()
    return 200, [("content-type", "text/plain; charset=utf-8")], timeline.encode()


def _reset(scopes: Scopes, scope_name: str, incoming: Incoming) -> Answer:
    if "scope" in incoming.query or SCOPE_HEADER in incoming.headers:
        scopes.forget(scope_name)
        return _json(200, {"reset": scope_name})
    scopes.forget()
    return _json(200, {"reset": "all"})


ENDPOINTS = (
    Endpoint("GET", "health", "", "liveness, scopes, bounds, and what went to stay within them", _health),
    Endpoint("POST", "script", "?scope=NAME[&route=ROUTE]",
             'set a scope\'s (or a route\'s) script: text, or JSON {"script": ...}', _set_script),
    Endpoint("POST", "routes", "?scope=NAME",
             'add a route: a match as JSON, e.g. {"model": "claude-haiku-4-5"}; answers its name', _add_route),
    Endpoint("GET", "journal", "?scope=NAME", "a scope's exchanges as JSON", _get_journal),
    Endpoint("GET", "timeline", "?scope=NAME", "a scope's timeline as text", _get_timeline),
    Endpoint("POST", "reset", "[?scope=NAME]", "forget one scope, or all", _reset),
)
"""Every admin endpoint: what the server answers, and what ``claude-fakes serve --help`` and README list."""

_BY_REQUEST = {(endpoint.method, endpoint.action): endpoint for endpoint in ENDPOINTS}


def admin(scopes: Scopes, incoming: Incoming) -> Answer:
    """Answer a request under ``/_claude_fakes/``."""
    action = incoming.path[len(ADMIN_PREFIX):].strip("/")
    endpoint = _BY_REQUEST.get((incoming.method, action))
    if endpoint is None:
        known = ", ".join(f"{known.method} {known.action}" for known in ENDPOINTS)
        return _error(404, f"no admin endpoint {incoming.method} {incoming.path}; known: {known}")
    scope_name = incoming.query.get("scope") or incoming.headers.get(SCOPE_HEADER) or DEFAULT_SCOPE
    try:
        return endpoint.answer(scopes, scope_name, incoming)
    except (ScriptError, TypeError) as err:
        return _error(400, str(err))


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


def _journal(scope: str, engine: Engine) -> Iterator[bytes]:
    """A scope's journal as JSON, in pieces: what the journal held when it was asked for, an exchange a piece."""
    exchanges = engine.journal
    state = json_bytes({"scope": scope, "attempts": engine.attempts, "evicted": engine.evicted,
                        "truncated": engine.truncated, "unused_steps": engine.unused_steps(),
                        "findings": engine.findings})
    yield state[:-1] + b',"exchanges":['
    for number, exchange in enumerate(exchanges):
        yield (b"," if number else b"") + json_bytes(exchange_json(exchange))
    yield b"]}"


def _json(status: int, value: Any) -> Answer:
    return status, [("content-type", JSON_CONTENT_TYPE)], json_bytes(value)


def _error(status: int, message: str) -> Answer:
    # The admin API is the fake's own, so its errors are the Anthropic API's shape, as every client here expects.
    return ANTHROPIC.own_error(status, "not_found_error" if status == 404 else "invalid_request_error", message,
                               "req_claude_fakes_admin")
