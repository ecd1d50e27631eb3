"""A test's handle on one scope of a running fake server, with the in-process fake's API.

It talks to the server's admin API with the standard library only, so it needs neither httpx
nor httpx2 and is never intercepted by an in-process fake.
"""

from __future__ import annotations

import json
import urllib.error
import urllib.parse
import urllib.request
from typing import Any

from ...core.assertions import Assertions
from ...core.journal import Exchange, exchange_from_json, format_timeline
from ...core.script import StepLike, Turns, to_turns
from ...core.step import reply_words
from ...core.turns import turns_of
from ...engine.engine import check_unused
from .scopes import ADMIN_PREFIX, SCOPED_PREFIX


class ServerScope(Assertions):
    """A test's handle on one scope of a running :class:`~claude_fakes.FakeServer`: ``url`` is the
    scope's base URL for any client; the script, journal and assertions are ``claude_fake``'s."""

    def __init__(self, server_url: str, scope: str, *, strict: bool = True) -> None:
        self.server_url = server_url.rstrip("/")
        self.scope = scope
        self.strict = strict

    @property
    def url(self) -> str:
        """The base URL that routes a client to this scope (``ANTHROPIC_BASE_URL``)."""
        return f"{self.server_url}{SCOPED_PREFIX}{urllib.parse.quote(self.scope, safe='')}"

    def _admin(self, method: str, action: str, body: bytes | None = None, **query: str) -> Any:
        parameters = urllib.parse.urlencode({"scope": self.scope, **query})
        request = urllib.request.Request(f"{self.server_url}{ADMIN_PREFIX}/{action}?{parameters}", data=body,
                                         method=method, headers={"content-type": "application/json"})
        try:
            with urllib.request.urlopen(request, timeout=30) as response:
                payload = response.read()
                kind = response.headers.get("content-type", "")
        except urllib.error.HTTPError as err:
            detail = json.loads(err.read() or b"{}").get("error", {}).get("message", str(err))
            raise ValueError(f"claude_fakes server: {detail}") from None
        return json.loads(payload) if kind.startswith("application/json") else payload.decode()

    def script(self, *items: StepLike) -> ServerScope:
        """Set this scope's script (``;`` for a turn script), as text, steps or replies."""
        self._send_script(to_turns(items))
        return self

    def turns(self, *scripts: StepLike | list[StepLike] | tuple[StepLike, ...]) -> ServerScope:
        """Set this scope's turn script, one argument per turn."""
        self._send_script(turns_of(scripts))
        return self

    def _send_script(self, turns: Turns, **route: str) -> None:
        self._admin("POST", "script", json.dumps({"script": script_text(turns)}).encode(), **route)

    def when(self, *, model: str | None = None, contains: str | None = None, system: str | None = None,
             tools: str | None = None, tool_result: bool | str | None = None,
             stream: bool | None = None) -> ServerRoute:
        """A route of this scope, as ``claude_fake.when`` (without ``predicate``: a route on a server
        is data, sent over the admin API)."""
        given = {"model": model, "contains": contains, "system": system, "tools": tools,
                 "tool_result": tool_result, "stream": stream}
        match = {key: value for key, value in given.items() if value is not None}
        name: str = self._admin("POST", "routes", json.dumps(match).encode())["route"]
        return ServerRoute(self, name)

    def _state(self) -> dict[str, Any]:
        state: dict[str, Any] = self._admin("GET", "journal")
        return state

    @property
    def journal(self) -> list[Exchange]:
        return [exchange_from_json(data) for data in self._state()["exchanges"]]

    @property
    def attempts(self) -> int:
        attempts: int = self._state()["attempts"]
        return attempts

    def timeline(self) -> str:
        state = self._state()
        journal = [exchange_from_json(data) for data in state["exchanges"]]
        elapsed = max((e.end or e.start for e in journal), default=0.0)
        return format_timeline(journal, (), elapsed, clock="real", evicted=state.get("evicted", 0))

    def unused_steps(self) -> list[str]:
        unused: list[str] = self._state()["unused_steps"]
        return unused

    def verify(self) -> None:
        """Fail (strict) if a scripted step went unused, as the in-process fake does."""
        __tracebackhide__ = True
        state = self._state()
        check_unused(state["unused_steps"] if self.strict else [], state.get("findings", []), self.timeline)

    def reset(self) -> None:
        self._admin("POST", "reset")


def script_text(turns: Turns) -> str:
    """A script as the text the server parses: the steps of each turn, turns joined by ``;``."""
    for turn in turns:
        for step in turn:
            if step.reply is not None and reply_words(step.reply, step.action) is None:
                raise TypeError(f"{step}: script text cannot say this reply (several blocks of a kind, another order, "
                                "or a fixed id or signature), so it cannot travel to a server")
    return "; ".join(", ".join(map(str, turn)) for turn in turns)


class ServerRoute:
    """A route of a server scope: its own script, journal and attempts (see ``claude_fake.when``)."""

    def __init__(self, scope: ServerScope, name: str) -> None:
        self._scope = scope
        self.name = name

    def script(self, *items: StepLike) -> ServerRoute:
        self._scope._send_script(to_turns(items), route=self.name)
        return self

    def turns(self, *scripts: StepLike | list[StepLike] | tuple[StepLike, ...]) -> ServerRoute:
        self._scope._send_script(turns_of(scripts), route=self.name)
        return self

    @property
    def journal(self) -> list[Exchange]:
        return [exchange for exchange in self._scope.journal if exchange.route == self.name]

    @property
    def attempts(self) -> int:
        return sum(1 for exchange in self.journal if exchange.attempt is not None)
