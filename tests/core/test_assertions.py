"""core/assertions.py: the assertions any journal holder gets, on a hand-made journal."""

from __future__ import annotations

from typing import Any

import pytest

from claude_fakes.core.assertions import Assertions
from claude_fakes.core.journal import Exchange, Outcome

BODY = {"model": "m", "messages": [{"role": "user", "content": "hi"}]}


class Journal(Assertions):
    """The smallest Assertions: a fixed journal."""

    def __init__(self, *exchanges: Exchange) -> None:
        self._exchanges = list(exchanges)

    @property
    def journal(self) -> list[Exchange]:
        return list(self._exchanges)

    @property
    def attempts(self) -> int:
        return sum(1 for exchange in self._exchanges if exchange.attempt is not None)

    def timeline(self) -> str:
        return "TIMELINE"


def exchange(attempt: int | None, start: float, end: float | None = None, **fields: Any) -> Exchange:
    values: dict[str, Any] = {"retry_count": None, "method": "POST", "path": "/v1/messages", "headers": {},
                              "json": BODY, "timeout": {"read": 600.0}, "step": None, "status": 200,
                              "outcome": Outcome.COMPLETE}
    values.update(fields)
    return Exchange(attempt=attempt, start=start, end=end, **values)


def test_waits_between_attempts_run_from_each_end_to_the_next_start() -> None:
    journal = Journal(exchange(1, 0.0, 1.0), exchange(None, 2.0, 2.0), exchange(2, 5.0, None), exchange(3, 6.5))
    assert journal.waits_between_attempts == [4.0, 1.5], "an exchange still open counts from its start"


def test_assert_attempts_shows_the_timeline_when_it_fails() -> None:
    journal = Journal(exchange(1, 0.0, 0.0))
    journal.assert_attempts(1)
    with pytest.raises(AssertionError, match="expected 2 attempt\\(s\\), the fake saw 1\nTIMELINE"):
        journal.assert_attempts(2)


def test_assert_retry_after_honoured_needs_a_retry_after_to_honour() -> None:
    with pytest.raises(AssertionError, match="nothing shows it was honoured"):
        Journal(exchange(1, 0.0, 0.0), exchange(2, 1.0, 1.0)).assert_retry_after_honoured()


def test_assert_retry_after_honoured_passes_a_wait_and_fails_a_hurry() -> None:
    asked = {"retry-after": "10"}
    Journal(exchange(1, 0.0, 0.0, status=429, response_headers=asked), exchange(2, 10.0, 10.0)) \
        .assert_retry_after_honoured()
    with pytest.raises(AssertionError, match="retry_after_ignored"):
        Journal(exchange(1, 0.0, 0.0, status=429, response_headers=asked), exchange(2, 3.0, 3.0)) \
            .assert_retry_after_honoured()


def test_assert_resilient_fails_on_findings_except_those_allowed() -> None:
    journal = Journal(exchange(1, 0.0, 0.0, timeout={"read": None}))
    with pytest.raises(AssertionError, match="no_read_timeout"):
        journal.assert_resilient()
    journal.assert_resilient(allow=["no_read_timeout"])
    assert journal.verdict().timeline == "TIMELINE"
