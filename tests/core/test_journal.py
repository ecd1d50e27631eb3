"""core/journal.py: an exchange's description and the timeline of a journal."""

from __future__ import annotations

from typing import Any

from claude_fakes.core.clock import Sleep
from claude_fakes.core.journal import TIMELINE_HEADER, Exchange, Outcome, format_timeline
from claude_fakes.core.step import Step


def exchange(**fields: Any) -> Exchange:
    values: dict[str, Any] = {"attempt": 1, "retry_count": 0, "method": "POST", "path": "/v1/messages",
                              "headers": {}, "json": {}, "timeout": {"read": 600.0}, "step": None, "start": 0.0}
    values.update(fields)
    return Exchange(**values)


def test_duration_is_known_once_it_ends() -> None:
    assert exchange().duration is None
    assert exchange(start=1.0, end=3.5).duration == 2.5


def test_describe_says_status_outcome_events_error_and_notes() -> None:
    done = exchange(status=200, outcome=Outcome.CUT, stream=True, events=3, error="httpx.RemoteProtocolError",
                    notes=["chaos"])
    assert done.describe() == "200 cut after 3 events -> httpx.RemoteProtocolError [chaos]"
    assert exchange(status=529, outcome=Outcome.COMPLETE).describe() == "529 complete"


def test_the_timeline_orders_exchanges_and_sleeps_by_time() -> None:
    journal = [exchange(step=Step.make("overloaded") * 2, status=529, outcome=Outcome.COMPLETE, end=0.0),
               exchange(attempt=2, retry_count=1, start=2.0, end=2.0, status=200, outcome=Outcome.COMPLETE),
               exchange(attempt=None, retry_count=None, method="GET", path="/v1/models", start=2.0, timeout={})]
    text = format_timeline(journal, [Sleep(0.0, 2.0, "time.sleep")], 2.0)
    lines = text.splitlines()
    assert lines[0] == f"{TIMELINE_HEADER} 2 attempt(s), 1 sleep(s), 2s virtual"
    assert "#1  retry 0  POST /v1/messages, read timeout 600s: overloaded => 529 complete" in lines[2]
    assert lines[3].endswith("time.sleep(2)"), "an instant failure comes before the sleep after it"
    assert "#2" in lines[4] and "GET /v1/models, read timeout none: -" in lines[5]


def test_turns_and_routes_show_once_there_is_more_than_one_turn() -> None:
    one = format_timeline([exchange(turn=1)], [], 0.0)
    two = format_timeline([exchange(turn=1), exchange(attempt=2, turn=2, route="route 1 (model='m')")], [], 0.0)
    assert "turn" not in one.splitlines()[2]
    assert "turn 2, retry 0, route 1" in two.splitlines()[3]


def test_a_servers_timeline_says_its_time_is_real() -> None:
    assert format_timeline([], [], 1.5, clock="real").splitlines()[0].endswith("1.5s real")
