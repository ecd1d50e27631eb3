"""HTTP as api.anthropic.com's front end writes it: reason phrases, content types, compact JSON, dates.

Pure functions: no I/O, no clock (callers pass the time in).
"""

from __future__ import annotations

import email.utils
import functools
import json
from datetime import datetime, timedelta, timezone
from typing import Any

JSON_CONTENT_TYPE = "application/json"
SSE_CONTENT_TYPE = "text/event-stream; charset=utf-8"
REASONS = {200: b"OK", 400: b"Bad Request", 401: b"Unauthorized", 402: b"Payment Required", 403: b"Forbidden",
           404: b"Not Found", 405: b"Method Not Allowed", 408: b"Request Timeout", 409: b"Conflict",
           412: b"Precondition Failed", 413: b"Payload Too Large", 422: b"Unprocessable Entity",
           429: b"Too Many Requests", 431: b"Request Header Fields Too Large", 500: b"Internal Server Error",
           499: b"Client Closed Request", 501: b"Not Implemented", 502: b"Bad Gateway", 503: b"Service Unavailable",
           504: b"Gateway Timeout", 505: b"HTTP Version Not Supported", 520: b"", 521: b"", 522: b"", 523: b"",
           524: b"", 529: b""}
"""Reason phrases as api.anthropic.com's front end sends them; 529 and Cloudflare's 524 have none."""


GARBAGE_BYTES = b"\x00\xffnot http\r\n\r\n"
"""What ``garbage`` sends instead of a status line: not HTTP, so every client's parser rejects it."""


def reason(status: int) -> bytes:
    return REASONS.get(status, b"")


_compact = json.JSONEncoder(separators=(",", ":"), ensure_ascii=False).encode


def json_bytes(value: Any) -> bytes:
    """Compact UTF-8 JSON, as the API writes it."""
    return _compact(value).encode()


@functools.lru_cache(maxsize=256)
def _rfc3339(seconds: int) -> str:
    return _EPOCH.__add__(timedelta(seconds=seconds)).strftime("%Y-%m-%dT%H:%M:%SZ")


_EPOCH = datetime(1970, 1, 1, tzinfo=timezone.utc)


def http_date(epoch: float) -> str:
    """A POSIX time as an HTTP-date (``Thu, 01 Jan 2026 00:00:30 GMT``), as ``retry-after`` may carry it."""
    return email.utils.formatdate(epoch, usegmt=True)


def rfc3339(epoch: float) -> str:
    """A POSIX time as the API's reset headers write it (whole seconds, UTC)."""
    return _rfc3339(int(epoch))
