"""Exploring a pydantic-ai agent's tool loop: the truncated last turn it returns as its answer.

pydantic-ai (the ``clients`` extra: anthropic >= 1.15, Python >= 3.11) streams every model request
behind the scenes, ``Agent.run`` included. Its agent here answers in three turns, as the base script
says: it calls ``get_weather``, then ``book_table``, then answers. Explored with a cut point as a
dimension on every turn, it shows:

- a final answer whose stream ended cleanly before ``message_stop`` is the agent's output: the
  first words of it, ``'Booked'`` of ``'Booked a table at Chez Paul.'``, shrunk to
  ``truncate(after=3)`` on turn 3 (the message's start, its text block's start, one word);
- a stream that drops is never retried (``ModelConnectionError``): failing loudly, which the
  property below allows; the report's ``stream_failure_not_retried`` findings count them.

The fix, in the application: pydantic-ai's response says why it stopped (``finish_reason``, from
the API's ``stop_reason``), and a stream cut short never says; an answer without one is not an
answer. Sampled (pydantic-ai runs a tool loop in about 20 ms): 60 seeded draws of 4,275 schedules.
"""

from __future__ import annotations

import asyncio
import functools
from typing import Any

import pytest

pydantic_ai = pytest.importorskip("pydantic_ai", reason="pydantic-ai needs anthropic>=1.15: the clients extra")

from claude_fakes import ClaudeFake  # noqa: E402 (after the skip: nothing here runs without pydantic-ai)

BASE = "tool_use(name=get_weather); tool_use(name=book_table); ok(text=Booked a table at Chez Paul.)"
FAULTS = ["drop(after=*)", "truncate(after=1..6)"]
bookings: list[str] = []


class IncompleteAnswer(Exception):
    """The model's answer was cut short: failing loudly."""


def get_weather(city: str) -> str:
    """The weather in a city."""
    return f"{city}: 21°C, sunny"


def book_table(restaurant: str) -> str:
    """Books a table for tonight."""
    bookings.append(restaurant)
    return "Booked."


@functools.cache
def booking_agent() -> Any:
    """The agent, built once (an agent and its provider take tens of milliseconds to make) and the first
    time inside a fake, whose API key its provider reads."""
    return pydantic_ai.Agent("anthropic:claude-sonnet-4-6", instructions="Book a table somewhere sunny.",
                             tools=[get_weather, book_table])


def book(question: str) -> str:
    """As pydantic-ai's documentation writes it: the run's output is the answer."""
    return str(asyncio.run(booking_agent().run(question)).output)


def book_checked(question: str) -> str:
    """The fix: the answer counts only when the API said why the model stopped."""
    result = asyncio.run(booking_agent().run(question))
    if result.response.finish_reason is None:
        raise IncompleteAnswer(f"the answer was cut short after {result.output!r}")
    return str(result.output)


def answers_whole_or_fails_loudly(ask: Any) -> None:
    bookings.clear()
    try:
        answer = ask("Book me a table for tonight, somewhere sunny.")
    except (pydantic_ai.exceptions.AgentRunError, IncompleteAnswer):
        return
    # Every reply of the fake is whole sentences; a cut one stops mid-sentence. (An answer may be other
    # than the base's: pydantic-ai asks again after an empty reply, and that request, with its own
    # history, is a turn past the base, answered by the fake's default text.)
    assert answer.endswith("."), f"a partial answer: {answer!r}"


def the_documented_agent() -> None:
    answers_whole_or_fails_loudly(book)


def test_pydantic_ai_returns_a_truncated_last_turn_as_its_answer() -> None:
    report = ClaudeFake().explore(the_documented_agent, faults=FAULTS, turns=3, base=BASE, samples=60)
    print(report)  # as a failing claude_explore test shows it
    (partial,) = report.distinct
    assert partial.faults == "turn 3: truncate(after=3)"
    assert partial.minimal_run.message == "AssertionError: a partial answer: 'Booked'"
    assert report.findings["stream_failure_not_retried"] > 0, "a dropped stream is never retried"


@pytest.mark.claude_explore(faults=FAULTS, turns=3, base=BASE, samples=60)
def test_checking_why_the_model_stopped_passes(claude_fake: ClaudeFake) -> None:
    answers_whole_or_fails_loudly(book_checked)
