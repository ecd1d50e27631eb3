"""A request as the API sees it, whichever executor received it and whichever platform it is for."""

from __future__ import annotations

import json
from collections.abc import Mapping
from dataclasses import dataclass, field
from functools import cached_property
from typing import Any

from ..wire.platforms import MESSAGES_PATH, Endpoint, Platform, endpoint_of
from .memo import Memo

__all__ = ["SESSION_HEADER", "Incoming", "parsed_once"]

SESSION_HEADER = "x-claude-code-session-id"
"""Claude Code's (and so the Agent SDKs') session, on every request it makes: what keeps concurrent agent
sessions apart. Claude Code sends ``x-stainless-retry-count: 0`` on every attempt, so a request with this
header is a client whose attempts are told apart by repetition, not by that count."""


@dataclass(frozen=True)
class Incoming:
    """A request as the API sees it: the path relative to the API root, lower-case header names.

    A Bedrock or Vertex request keeps its own path; :attr:`endpoint` says what it stands for and
    :attr:`json` is the Messages request it carries (the model and stream its path names added).
    """

    method: str
    path: str
    query: Mapping[str, str] = field(default_factory=dict)
    headers: Mapping[str, str] = field(default_factory=dict)
    body: bytes = b""

    @cached_property
    def endpoint(self) -> Endpoint:
        """The platform and the API endpoint the path stands for."""
        return endpoint_of(self.path)

    @property
    def platform(self) -> Platform:
        return self.endpoint.platform

    @property
    def is_attempt(self) -> bool:
        """A ``POST /v1/messages`` (on any platform): the requests a script's steps apply to."""
        return self.method == "POST" and self.endpoint.path == MESSAGES_PATH

    @cached_property
    def retry_count(self) -> int | None:
        """The SDK's ``x-stainless-retry-count`` (0 on a first try), or None when absent or not a number."""
        text = self.headers.get("x-stainless-retry-count", "")
        return int(text) if text.isascii() and text.isdigit() and len(text) < 10 else None

    @cached_property
    def session(self) -> str | None:
        """The agent session the request belongs to (:data:`SESSION_HEADER`), or None."""
        return self.headers.get(SESSION_HEADER) or None

    @property
    def counted_retry(self) -> int | None:
        """The retry count to go by: the header's, except from an agent session (None), whose header says 0
        on every attempt; its attempts are then counted per turn."""
        return None if self.session is not None else self.retry_count

    @cached_property
    def body_json(self) -> Any:
        """The parsed body as sent, or None when there is none or it is not JSON."""
        try:
            return json.loads(self.body) if self.body else None
        except (ValueError, RecursionError):  # RecursionError: JSON nested too deep to parse
            return None

    @cached_property
    def json(self) -> Any:
        """The Messages request: the body, with what a platform's path carries (model, stream) added."""
        endpoint = self.endpoint
        return endpoint.platform.messages_json(self.body_json, endpoint)


PARSED_WEIGHT = 8
"""What a parsed body holds in objects, per byte of the body (five to ten times its bytes)."""


def parsed_once(incoming: Incoming, memo: Memo[Any]) -> None:
    """Have ``incoming`` read its body from ``memo`` where an equal body was parsed before, or keep its own
    there: an exploration's runs send the same bodies again and again. Equal bodies then share one
    parsed object, which nothing may change."""
    if "body_json" in incoming.__dict__:
        return
    parsed = memo.get(incoming.body)
    if parsed is None:
        memo.put(incoming.body, incoming.body_json, PARSED_WEIGHT * len(incoming.body))
    else:
        incoming.__dict__["body_json"] = parsed  # what the cached property would have stored
