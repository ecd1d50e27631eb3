"""Which headers are secrets: never journalled, never shown, never written to a cassette."""

from __future__ import annotations

import functools
import re
from collections.abc import Mapping

__all__ = ["REDACTED", "SECRET_WORDS", "is_secret", "redact"]

SECRET_WORDS = frozenset({"auth", "authorization", "key", "apikey", "token", "secret", "password", "cookie",
                          "credential", "credentials", "signature"})
"""A request header with one of these words in its name (split at ``-`` and ``_``) is a secret:
``x-api-key``, ``authorization``, ``x-amz-security-token``, and gateways' own (``helicone-auth``,
``cf-aig-authorization``, ``x-portkey-api-key``): a rule, since no list of gateways is complete."""
REDACTED = "[redacted]"


@functools.lru_cache(maxsize=1024)
def is_secret(header: str) -> bool:
    """Whether a request header's value never reaches the journal, the timeline or the admin API
    (cached: every request journals its headers, and clients send the same names every time)."""
    return not SECRET_WORDS.isdisjoint(re.split(r"[-_]", header.lower()))


def redact(headers: Mapping[str, str]) -> dict[str, str]:
    """The headers with every secret's value replaced."""
    return {name: REDACTED if is_secret(name) else value for name, value in headers.items()}
