"""Claude Code's traffic without Claude Code: a client that speaks to the fake server as the CLI does.

What it copies (docs/facts.md, "Claude Code as a client"): every request carries the session's
``x-claude-code-session-id``, ``x-stainless-retry-count: 0`` whatever the attempt, ``x-stainless-timeout``
and no read timeout, the custom headers of ``ANTHROPIC_CUSTOM_HEADERS``; a retry re-sends the same body.
tests/agents/ runs the real CLI; this is for what must hold without it, quickly and in the default suite.
"""

from __future__ import annotations

import http.client
import json
import urllib.parse
from collections.abc import Mapping

RETRIED = frozenset({408, 409, 429, 500, 502, 503, 504, 529})


def custom_headers(env: Mapping[str, str]) -> dict[str, str]:
    """``ANTHROPIC_CUSTOM_HEADERS`` as the CLI reads it: one ``name: value`` a line."""
    headers = {}
    for line in env.get("ANTHROPIC_CUSTOM_HEADERS", "").splitlines():
        name, _, value = line.partition(":")
        if name.strip():
            headers[name.strip()] = value.strip()
    return headers


def agent_call(env: Mapping[str, str], session: str, prompt: str = "hi", *, stream: bool = True,
               attempts: int = 5) -> list[int | str]:
    """One turn of an agent session, retried as the CLI does (without its backoff): what each attempt
    met, a status or ``cut`` for a stream that broke off."""
    url = urllib.parse.urlsplit(env["ANTHROPIC_BASE_URL"])
    body = json.dumps({"model": "claude-opus-5-5", "max_tokens": 100, "stream": stream,
                       "messages": [{"role": "user", "content": prompt}]}).encode()
    headers = {"content-type": "application/json", "x-api-key": env["ANTHROPIC_API_KEY"],
               "anthropic-version": "2023-06-01", "x-claude-code-session-id": session,
               "x-stainless-retry-count": "0", "x-stainless-timeout": "5",
               "user-agent": "claude-cli/2.1.332 (external, sdk-cli)", **custom_headers(env)}
    met: list[int | str] = []
    for _ in range(attempts):
        connection = http.client.HTTPConnection(url.hostname or "127.0.0.1", url.port, timeout=10)
        try:
            connection.request("POST", url.path.rstrip("/") + "/v1/messages", body, headers)
            response = connection.getresponse()
            try:
                data = response.read()
            except http.client.IncompleteRead:
                met.append("cut")
                continue
            if response.status == 200 and stream and b"message_stop" not in data:
                met.append("cut")
                continue
            met.append(response.status)
            if response.status not in RETRIED:
                return met
        finally:
            connection.close()
    return met

