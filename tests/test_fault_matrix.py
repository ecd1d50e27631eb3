"""Every fault of the catalogue in every executor, on the installed SDK generation.

One row per catalogue entry: its script, and what an SDK user sees without streaming and with
it (the exception class, or success, and the number of attempts). Each row runs in-process (sync,
async, sync stream, async stream, and the SDK's aiohttp client) and over real sockets. Where the
HTTP stack itself differs, the row says so: a body cut mid-stream is httpx's
``RemoteProtocolError`` but aiohttp's ``ClientPayloadError``, which the SDK's aiohttp transport
maps to ``ReadError``. ``test_conformance_table`` prints the table this suite proves.

Client timeouts are short (0.5 s; 0.2 s where every attempt times out) and retry-afters 1 ms, so that the socket
executor, which runs in real time, stays quick; in-process the same rows cost no wall time. The
socket executor runs a row twice (streamed and not) only where real sockets can differ from the
in-process aiohttp executor, which writes the same bytes: ``tests/drivers.py`` says where.
"""

from __future__ import annotations

import builtins
import json
from collections.abc import Callable, Iterator
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import anthropic
import pytest

from claude_fakes.core.catalogue import FAULTS
from claude_fakes.server import FakeServer

from .drivers import EXECUTORS, SOCKET, Seen, executors_for, real_socket_matters, run, streaming
from .sdk import HTTP, ON_HTTPX2

TIMEOUT = 0.5
TEN_WORDS = "one two three four five six seven eight nine ten"

Expected = Callable[[str], tuple[Any, int]]
"""Per executor: what the caller sees (an exception class, or "ok"), and the attempt count."""


def same(outcome: Any, attempts: int) -> Expected:
    return lambda executor: (outcome, attempts)


def by_streaming(plain: tuple[Any, int], stream: tuple[Any, int]) -> Expected:
    return lambda executor: stream if streaming(executor) else plain


@dataclass(frozen=True)
class SdkClass:
    """An SDK exception class that may differ between generations."""

    on_httpx2: str
    on_httpx: str

    @property
    def installed(self) -> type:
        name = self.on_httpx2 if ON_HTTPX2 else self.on_httpx
        # 2.x exports its classes per error_code (ThreadNotFoundError) from anthropic.types only.
        cls: type = getattr(anthropic, name, None) or getattr(anthropic.types, name, None) or getattr(builtins, name)
        return cls

    def __str__(self) -> str:
        if self.on_httpx2 == self.on_httpx:
            return self.on_httpx2
        return f"{self.on_httpx2} (0.x: {self.on_httpx})"


def sdk_class(on_httpx2: str, on_httpx: str) -> SdkClass:
    return SdkClass(on_httpx2, on_httpx)


def connection_lost(executor: str) -> tuple[Any, int]:
    """A connection lost before the response: httpx-aiohttp 0.2 (the 0.x SDK's aiohttp transport)
    maps aiohttp's ``ClientConnectionError`` to ``ConnectTimeout``, so 0.x users see a timeout."""
    if executor.startswith("aiohttp"):
        return sdk_class("APIConnectionError", "APITimeoutError"), 3
    return anthropic.APIConnectionError, 3


def cut_mid_stream(executor: str) -> Any:
    """A body cut mid-stream, raw: the HTTP stack's own error."""
    return HTTP.ReadError if executor.startswith("aiohttp") else HTTP.RemoteProtocolError


@dataclass(frozen=True)
class Row:
    script: str
    expected: Expected


def status_row(action: str, on_httpx2: str, on_httpx: str, retried: bool) -> Row:
    script = f"{action}(retry_after_ms=1)*3" if retried else action
    return Row(script, same(sdk_class(on_httpx2, on_httpx), 3 if retried else 1))


ROWS: dict[str, Row] = {
    "ok": Row("ok", same("ok", 1)),
    "hang": Row("hang*3", same(anthropic.APITimeoutError, 3)),
    "refuse": Row("refuse*3", connection_lost),
    "reset": Row("reset*3", connection_lost),
    "garbage": Row("garbage*3", same(anthropic.APIConnectionError, 3)),
    "overloaded": status_row("overloaded", "OverloadedError", "OverloadedError", True),
    "api_error": status_row("api_error", "InternalServerError", "InternalServerError", True),
    "rate_limited": status_row("rate_limited", "RateLimitError", "RateLimitError", True),
    "timeout_error": status_row("timeout_error", "GatewayTimeoutError", "InternalServerError", True),
    "invalid_request_error": status_row("invalid_request_error", "BadRequestError", "BadRequestError", False),
    "authentication_error": status_row("authentication_error", "AuthenticationError", "AuthenticationError", False),
    "billing_error": status_row("billing_error", "PaymentRequiredError", "APIStatusError", False),
    "permission_error": status_row("permission_error", "PermissionDeniedError", "PermissionDeniedError", False),
    "not_found_error": status_row("not_found_error", "NotFoundError", "NotFoundError", False),
    "thread_expired": status_row("thread_expired", "ThreadNotFoundError", "NotFoundError", False),
    "thread_lost": status_row("thread_lost", "ThreadNotFoundError", "NotFoundError", False),
    "conflict_error": status_row("conflict_error", "ConflictError", "ConflictError", True),
    "request_too_large": status_row("request_too_large", "ContentTooLargeError", "RequestTooLargeError", False),
    "status": Row("status(code=503, retry_after_ms=1)*3",
                  same(sdk_class("ServiceUnavailableError", "InternalServerError"), 3)),
    "drop": Row("drop(after=3)*3", lambda executor: (cut_mid_stream(executor), 1) if streaming(executor)
                else (anthropic.APIConnectionError, 3)),
    "stall": Row("stall(after=2, seconds=2)*3", by_streaming((anthropic.APITimeoutError, 3), (HTTP.ReadTimeout, 1))),
    "error_event": Row("error_event(after=2)*3", by_streaming((sdk_class("OverloadedError", "OverloadedError"), 3),
                                                             (anthropic.APIStatusError, 1))),
    "truncate": Row("truncate(after=3)", by_streaming((json.JSONDecodeError, 1), ("partial", 1))),
    "malformed": Row("malformed(after=2)", same(json.JSONDecodeError, 1)),
    "proxy_error": Row("proxy_error(status=503, body=text), ok", same("ok", 2)),
    "tool_use": Row("tool_use(name=get_weather)", same("ok", 1)),
    "chaos": Row("chaos(overloaded=1)*3", same(sdk_class("OverloadedError", "OverloadedError"), 3)),
    "slow": Row(f'slow(ttft=0.1, tps=10, text="{TEN_WORDS}")*3',
                by_streaming((anthropic.APITimeoutError, 3), ("ok", 1))),
    "pause_turn": Row("pause_turn", same("ok: pause_turn", 1)),
    "refusal": Row("refusal(category=cyber)", same("ok: refusal", 1)),
    "context_window_exceeded": Row("context_window_exceeded", same("ok: model_context_window_exceeded", 1)),
    "server_tool_error": Row("server_tool_error(tool=web_search, code=max_uses_exceeded)", same("ok", 1)),
    "compaction": Row("compaction", same("ok: compaction", 1)),
}


ANTHROPIC_FAULTS = sorted(name for name, fault in FAULTS.items() if fault.serves("anthropic"))
"""The faults of the Anthropic API; Bedrock's and Vertex's own are in ``test_platforms.py``."""


def test_every_catalogue_entry_has_a_row() -> None:
    assert sorted(ROWS) == ANTHROPIC_FAULTS


@pytest.fixture(scope="module")
def server() -> Iterator[FakeServer]:
    with FakeServer() as running:
        yield running


QUICK_TIMEOUT = 0.2


def client_timeout(row: Row, executor: str) -> float:
    """The client's timeout for ``row`` in ``executor``.

    Where the row times out on every attempt (a hang; a stall or a slow generation before a JSON
    body), each attempt waits its timeout out: the silences are longer than 0.2 s, so 0.2 s times
    out as surely as 0.5 s and keeps those socket rows quick. Where something must arrive in time,
    0.5 s."""
    expected, _ = row.expected(executor)
    return QUICK_TIMEOUT if expected is anthropic.APITimeoutError else TIMEOUT


USUAL_STOPS = ("end_turn", "tool_use")
"""The stop reasons of an ``ok`` reply; a row whose reply stops otherwise shows its stop reason."""


def outcome_of(seen: Seen) -> Any:
    if seen.error is not None:
        return type(seen.error)
    stop_reason = seen.message.stop_reason
    if stop_reason is None:
        return "partial"
    return "ok" if stop_reason in USUAL_STOPS else f"ok: {stop_reason}"


CASES = [pytest.param(fault, executor, id=f"{fault}-{executor}")
         for fault in ANTHROPIC_FAULTS for executor in executors_for(ROWS[fault].script)]
"""Every row in every in-process executor, and over sockets as ``tests/drivers.py`` rules: both
socket rows where real sockets can differ (a silence, a FIN, RST or refusal), one elsewhere."""


def test_every_fault_runs_in_every_executor_kind() -> None:
    for fault in ANTHROPIC_FAULTS:
        kept = executors_for(ROWS[fault].script)
        assert set(kept) - set(SOCKET) == set(EXECUTORS) - set(SOCKET), fault
        assert set(kept) & set(SOCKET), fault
    # The faults that are about connections and time keep both socket rows (a rule that found no
    # silence or ending anywhere would pass the loop above and test nothing over real sockets).
    full = {fault for fault in ANTHROPIC_FAULTS if real_socket_matters(ROWS[fault].script)}
    assert full >= {"hang", "refuse", "reset", "garbage", "drop", "stall", "slow"}
    assert "overloaded" not in full and "ok" not in full


@pytest.mark.parametrize(("fault", "executor"), CASES)
def test_fault_in_every_executor(fault: str, executor: str, server: FakeServer) -> None:
    row = ROWS[fault]
    seen = run(executor, row.script, {"timeout": client_timeout(row, executor)}, server)
    expected, attempts = row.expected(executor)
    if isinstance(expected, SdkClass):
        expected = expected.installed
    assert (outcome_of(seen), seen.attempts) == (expected, attempts), f"{row.script} in {executor}: {seen.error!r}"


GROUPS = {"not streamed: httpx, httpx2, sockets": "sync", "not streamed: aiohttp": "aiohttp",
          "streamed: httpx, httpx2, sockets": "sync-stream", "streamed: aiohttp": "aiohttp-stream"}
MEMBERS = {"sync": ["sync", "async", "socket"], "aiohttp": ["aiohttp"],
           "sync-stream": ["sync-stream", "async-stream", "socket-stream"], "aiohttp-stream": ["aiohttp-stream"]}
"""The executors each README column stands for."""


def cell(outcome: Any, attempts: int) -> str:
    """One cell of a README table: what the caller sees, and the attempts."""
    name = outcome if isinstance(outcome, (str, SdkClass)) else outcome.__name__
    return f"{name}, {attempts} attempt{'s' if attempts > 1 else ''}"


def assert_groups_agree(rows: dict[str, Row]) -> None:
    """Each column's executors expect the same of every row, so that one cell stands for them."""
    __tracebackhide__ = True
    for fault, row in rows.items():
        for shown, executors in MEMBERS.items():
            assert {str(row.expected(executor)) for executor in executors} == {str(row.expected(shown))}, fault


def conformance_table() -> str:
    """The table this module proves, as README shows it (independent of the installed SDK)."""
    lines = [f"| action | script | {' | '.join(GROUPS)} |", "|---" * (len(GROUPS) + 2) + "|"]
    for fault in ANTHROPIC_FAULTS:
        row = ROWS[fault]
        cells = [cell(*row.expected(executor)) for executor in GROUPS.values()]
        lines.append(f"| `{fault}` | `{row.script}` | {' | '.join(cells)} |")
    return "\n".join(lines)


def test_the_groups_cover_every_executor() -> None:
    """The README table shows one column per group; each group's executors expect the same."""
    assert sorted(executor for group in MEMBERS.values() for executor in group) == sorted(EXECUTORS)
    assert sorted(GROUPS.values()) == sorted(MEMBERS)
    assert_groups_agree(ROWS)


def test_readme_shows_the_conformance_table() -> None:
    readme = (Path(__file__).parent.parent / "README.md").read_text()
    assert conformance_table() in readme, "README's conformance table is out of date:\n" + conformance_table()
