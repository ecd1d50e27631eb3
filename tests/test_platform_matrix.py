"""Every fault of the catalogue on Amazon Bedrock and Google Vertex AI, in every executor.

The same executors as ``test_fault_matrix.py`` (in-process sync, async, both streamed, the SDK's
aiohttp client, and the socket server), with ``AnthropicBedrock`` and ``AnthropicVertex`` clients.
A row is the Anthropic API's row unless the outcome differs there:

- Bedrock answers overload with 503 ``ServiceUnavailableException``, a bad key with 403, and a
  failure inside a stream with an exception frame, which anthropic 2.x raises as
  ``APIStatusError`` and 0.125 as a bare ``ValueError``;
- anthropic 0.125's Bedrock and Vertex clients pick exception classes by a table of their own
  (``_make_status_error``): 503 is ``ServiceUnavailableError``, Vertex's 504
  ``DeadlineExceededError``, and 529 and 413 have no class of their own.

Each platform's own faults (``throttling``, ``resource_exhausted``, …) have rows of their own.
``platform_table`` prints what this suite proves, as README shows it.
"""

from __future__ import annotations

from collections.abc import Iterator
from pathlib import Path

import pytest

from claude_fakes.core.catalogue import FAULTS
from claude_fakes.server import FakeServer

from .drivers import executors_for, run
from .test_fault_matrix import (
    ROWS,
    Row,
    SdkClass,
    assert_groups_agree,
    by_streaming,
    cell,
    client_timeout,
    outcome_of,
    same,
    sdk_class,
    status_row,
)

STREAM_EXCEPTION = sdk_class("APIStatusError", "ValueError")
"""A Bedrock exception frame: 2.x makes it an ``error`` event (``APIStatusError``, status 200);
0.125 raises ``ValueError("Bad response code, expected 200: …")``. Neither retries it."""
UNAVAILABLE = sdk_class("ServiceUnavailableError", "ServiceUnavailableError")
VERTEX_OVERLOADED = sdk_class("OverloadedError", "InternalServerError")

THREAD_ROWS = {fault: status_row(fault, "NotFoundError", "NotFoundError", False)
               for fault in ("thread_expired", "thread_lost")}
"""Bedrock's and Google's error bodies have no ``error.details``: no ``error_code`` picks the SDK's thread class."""

PLATFORM_ROWS: dict[str, dict[str, Row]] = {
    "bedrock": {
        "overloaded": status_row("overloaded", "ServiceUnavailableError", "ServiceUnavailableError", True),
        "timeout_error": status_row("timeout_error", "RequestTimeoutError", "APIStatusError", True),
        "authentication_error": status_row("authentication_error", "PermissionDeniedError", "PermissionDeniedError",
                                           False),
        "billing_error": status_row("billing_error", "PermissionDeniedError", "PermissionDeniedError", False),
        "request_too_large": status_row("request_too_large", "BadRequestError", "BadRequestError", False),
        "error_event": Row("error_event(after=2)*3", by_streaming((UNAVAILABLE, 3), (STREAM_EXCEPTION, 1))),
        "chaos": Row("chaos(overloaded=1)*3", same(UNAVAILABLE, 3)),
        "throttling": status_row("throttling", "RateLimitError", "RateLimitError", True),
        "model_timeout": status_row("model_timeout", "RequestTimeoutError", "APIStatusError", True),
        "service_unavailable": status_row("service_unavailable", "ServiceUnavailableError",
                                          "ServiceUnavailableError", True),
        "status": Row("status(code=503, retry_after_ms=1)*3", same(UNAVAILABLE, 3)),
        "model_error": status_row("model_error", "APIStatusError", "APIStatusError", False),
        "quota_exceeded": status_row("quota_exceeded", "BadRequestError", "BadRequestError", False),
        "model_stream_error": Row("model_stream_error(after=2)*3",
                                  by_streaming((sdk_class("APIStatusError", "APIStatusError"), 1),
                                               (STREAM_EXCEPTION, 1))),        **THREAD_ROWS,
    },
    "vertex": {
        "overloaded": status_row("overloaded", "OverloadedError", "InternalServerError", True),
        "timeout_error": status_row("timeout_error", "GatewayTimeoutError", "DeadlineExceededError", True),
        "request_too_large": status_row("request_too_large", "ContentTooLargeError", "APIStatusError", False),
        "error_event": Row("error_event(after=2)*3", by_streaming((VERTEX_OVERLOADED, 3),
                                                                 (sdk_class("APIStatusError", "APIStatusError"), 1))),
        "chaos": Row("chaos(overloaded=1)*3", same(VERTEX_OVERLOADED, 3)),
        "status": Row("status(code=503, retry_after_ms=1)*3", same(UNAVAILABLE, 3)),
        "resource_exhausted": status_row("resource_exhausted", "RateLimitError", "RateLimitError", True),
        "service_unavailable": status_row("service_unavailable", "ServiceUnavailableError",
                                          "ServiceUnavailableError", True),
        **THREAD_ROWS,
    },
}
"""Where a platform differs from the Anthropic API's row, and its own faults."""

TITLES = {"bedrock": "Bedrock", "vertex": "Vertex"}


def faults_of(platform: str) -> list[str]:
    return sorted(name for name, fault in FAULTS.items() if fault.serves(platform))


def row(platform: str, fault: str) -> Row:
    return PLATFORM_ROWS[platform].get(fault) or ROWS[fault]


CASES = [(platform, fault) for platform in PLATFORM_ROWS for fault in faults_of(platform)]


def test_every_fault_of_a_platform_runs_in_every_executor_kind() -> None:
    for platform, fault in CASES:
        kept = executors_for(row(platform, fault).script, platform)
        assert set(kept) >= {"sync", "async", "sync-stream", "async-stream", "aiohttp", "aiohttp-stream"}, fault
        assert {"socket", "socket-stream"} & set(kept), fault
    # A response cut or paced in real time keeps both socket rows on each platform.
    for platform in PLATFORM_ROWS:
        for fault in ("drop", "stall", "slow"):
            assert {"socket", "socket-stream"} <= set(executors_for(row(platform, fault).script, platform)), fault


def test_every_fault_of_a_platform_has_a_row() -> None:
    for platform, rows in PLATFORM_ROWS.items():
        own = {name for name, fault in FAULTS.items() if fault.platforms and fault.serves(platform)}
        assert own <= set(rows), platform
        assert set(rows) <= set(faults_of(platform)), platform


@pytest.fixture(scope="module")
def server() -> Iterator[FakeServer]:
    with FakeServer() as running:
        yield running


@pytest.mark.parametrize(("platform", "fault", "executor"), [
    pytest.param(platform, fault, executor, id=f"{platform}-{fault}-{executor}")
    for platform, fault in CASES for executor in executors_for(row(platform, fault).script, platform)])
def test_fault_on_a_platform_in_every_executor(platform: str, fault: str, executor: str, server: FakeServer) -> None:
    case = row(platform, fault)
    seen = run(executor, case.script, {"timeout": client_timeout(case, executor)}, server, platform)
    expected, attempts = case.expected(executor)
    if isinstance(expected, SdkClass):
        expected = expected.installed
    assert (outcome_of(seen), seen.attempts) == (expected, attempts), f"{case.script} in {executor}: {seen.error!r}"
    assert {exchange.platform for exchange in seen.journal} == {platform}


def platform_table() -> str:
    """Per platform, the faults whose outcome differs from the Anthropic API's, and its own (its
    aiohttp columns are the Anthropic API's: no platform row differs by HTTP stack)."""
    shown = {"not streamed": "sync", "streamed": "sync-stream"}
    lines = [f"| platform | script | {' | '.join(shown)} |", "|---" * (len(shown) + 2) + "|"]
    for platform, rows in PLATFORM_ROWS.items():
        for fault in sorted(rows):
            case = rows[fault]
            cells = [cell(*case.expected(executor)) for executor in shown.values()]
            lines.append(f"| {TITLES[platform]} | `{case.script}` | {' | '.join(cells)} |")
    return "\n".join(lines)


def test_the_platform_rows_agree_across_each_group() -> None:
    for rows in PLATFORM_ROWS.values():
        assert_groups_agree(rows)
        for fault, case in rows.items():
            for stack in ("", "-stream"):
                assert case.expected("aiohttp" + stack) == case.expected("sync" + stack), fault


def test_readme_shows_the_platform_table() -> None:
    readme = (Path(__file__).parent.parent / "README.md").read_text()
    assert platform_table() in readme, "README's platform table is out of date:\n" + platform_table()

