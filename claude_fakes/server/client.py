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

from ..assertions import Assertions
from ..engine import check_unused
from ..journal import Exchange, format_timeline
from ..replies import TextBlock
from ..script import StepLike, to_steps
from .scopes import ADMIN_PREFIX, SCOPED_PREFIX, exchange_from_json


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

    def _admin(self, method: str, action: str, body: bytes | None = None) -> Any:
        query = urllib.parse.urlencode({"scope": self.scope})
        request = urllib.request.Request(f"{self.server_url}{ADMIN_PREFIX}/{action}?{query}", data=body,
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
        """Set this scope's script (text, steps, or text replies: the server takes script text)."""
        steps = to_steps(items)
        for step in steps:
            blocks = step.reply.blocks if step.reply is not None else ()
            if blocks and not (len(blocks) == 1 and isinstance(blocks[0], TextBlock)):
                raise TypeError(f"{step}: only text replies travel to a server; tool_use and thinking do not yet")
        self._admin("POST", "script", json.dumps({"script": ", ".join(map(str, steps))}).encode())
        return self

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
        journal = self.journal
        elapsed = max((e.end or e.start for e in journal), default=0.0)
        return format_timeline(journal, (), elapsed, clock="real")

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
