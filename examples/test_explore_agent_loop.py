"""Exploring an agent loop: every fault on every turn of a three-turn tool loop, over a base script.

The loop answers a request in three turns: the model calls ``get_weather``, then ``book_table``,
then answers. ``base=`` is that conversation as a turn script: it lies beneath every schedule, so
a fault on turn 1 (a 529, a stream cut inside the tool call) is served before the base's reply,
which then answers the retry, and the loop goes on to turns 2 and 3, where the other faults wait.
``drop(after=*)`` makes the cut point a dimension: every cut of each turn's reply (a tool call's
stream has seven events, so eight cut points), ``truncate(after=1..6)`` the first six. The count
of schedules is known before the first runs: a run of the base measures each turn's reply.

The agent streams each turn and, to save time, runs each tool as soon as its block is complete.
Exploring finds its two bugs, told apart by what was raised and where, each shrunk on its own,
each with a marker line that reproduces it alone (tests/test_explore.py runs every one):

- a stream that breaks after the booking's block is complete is retried, and the table is booked
  twice (shrunk to ``drop(after=5)`` on turn 2: the five events up to ``content_block_stop``);
- a final answer whose stream ended early (no ``message_stop``, ``stop_reason`` None) is returned as
  if whole (shrunk to ``truncate(after=1)`` on turn 3: the answer's ``message_start``, then a clean end).

The fixed agent runs the tools once the whole message has arrived, and retries a turn that ended
short: it passes. The space holds 5,120 schedules; 200 seeded samples keep each exploration to a
second or two (leave ``samples=`` out to run them all: the fixed agent passes every one).
"""

from __future__ import annotations

import importlib
from typing import Any

import anthropic
import pytest

from claude_fakes import ClaudeFake

http = importlib.import_module("httpx2" if int(anthropic.__version__.split(".")[0]) >= 1 else "httpx")

client = anthropic.Anthropic()  # built once: an exploration runs the loop hundreds of times
MODEL = "claude-sonnet-4-6"
WEATHER = {"name": "get_weather", "description": "The weather in a city.",
           "input_schema": {"type": "object", "properties": {"city": {"type": "string"}}, "required": ["city"]}}
BOOK = {"name": "book_table", "description": "Books a table for tonight.",
        "input_schema": {"type": "object", "properties": {"restaurant": {"type": "string"}},
                         "required": ["restaurant"]}}
BASE = "tool_use(name=get_weather); tool_use(name=book_table); ok(text=Booked a table at Chez Paul.)"
FAULTS = ["overloaded", "drop(after=*)", "truncate(after=1..6)"]
TURN_TRIES = 3
bookings: list[str] = []


class AgentError(Exception):
    """The agent could not answer: failing loudly, which the caller can handle."""


def run_tool(block: Any) -> str:
    if block.name == "book_table":
        bookings.append(block.input["restaurant"])  # the side effect: a table is booked
        return "Booked."
    return f"{block.input['city']}: 21°C, sunny"


def results_for(blocks: list[Any]) -> dict[str, Any]:
    return {"role": "user", "content": [{"type": "tool_result", "tool_use_id": block.id, "content": run_tool(block)}
                                        for block in blocks]}


class EagerAgent:
    """Runs each tool call the moment its block is complete; retries a turn whose stream broke."""

    def ask(self, question: str) -> anthropic.types.Message:
        messages: list[dict[str, Any]] = [{"role": "user", "content": question}]
        for _ in range(5):
            message, results = self.turn(messages)
            if message.stop_reason != "tool_use":
                return message
            messages += [{"role": "assistant", "content": [block.model_dump() for block in message.content]},
                         results]
        raise AgentError("the model kept calling tools")

    def turn(self, messages: list[dict[str, Any]]) -> tuple[anthropic.types.Message, dict[str, Any]]:
        for _ in range(TURN_TRIES):
            results: dict[str, Any] = {"role": "user", "content": []}
            try:
                with client.messages.stream(model=MODEL, max_tokens=1024, tools=[WEATHER, BOOK],  # type: ignore[list-item]
                                            messages=messages) as stream:  # type: ignore[arg-type]
                    for event in stream:
                        if event.type == "content_block_stop" and event.content_block.type == "tool_use":
                            results["content"] += results_for([event.content_block])["content"]
                    message = stream.get_final_message()
            except (anthropic.APIConnectionError, http.TransportError):
                continue  # the SDK never retries a stream that broke after its headers
            return message, results
        raise AgentError("the stream kept breaking")


class Agent(EagerAgent):
    """Runs the tools once the whole message is in, and starts again a turn that broke or ended short."""

    def turn(self, messages: list[dict[str, Any]]) -> tuple[anthropic.types.Message, dict[str, Any]]:
        for _ in range(TURN_TRIES):
            try:
                with client.messages.stream(model=MODEL, max_tokens=1024, tools=[WEATHER, BOOK],  # type: ignore[list-item]
                                            messages=messages) as stream:  # type: ignore[arg-type]
                    message = stream.get_final_message()
            except (anthropic.APIConnectionError, http.TransportError):
                continue
            if message.stop_reason is None:
                continue  # the stream ended cleanly before message_stop: the message is not whole
            return message, results_for([block for block in message.content if block.type == "tool_use"])
        raise AgentError("no whole answer")


def books_once_and_answers_whole(agent: EagerAgent) -> None:
    """The property: the table is booked at most once, and an answer is whole; failing loudly is allowed."""
    bookings.clear()
    try:
        message = agent.ask("Book me a table for tonight, somewhere sunny.")
    except (AgentError, anthropic.APIError):
        message = None
    if message is not None:
        assert message.stop_reason == "end_turn", f"a partial answer: stop_reason={message.stop_reason}"
    assert len(bookings) <= 1, f"booked {len(bookings)} times"


def the_eager_agent() -> None:
    books_once_and_answers_whole(EagerAgent())


def test_the_eager_agent_books_twice_and_keeps_a_partial_answer() -> None:
    report = ClaudeFake().explore(the_eager_agent, faults=FAULTS, turns=3, base=BASE, samples=200)
    print(report)  # as a failing claude_explore test shows it
    assert report.space.size == 5120, "counted before running: 16 choices on each tool turn, 20 on the answer"
    partial, twice = report.distinct
    assert (partial.raised.kind, partial.raised.function) == ("AssertionError", "books_once_and_answers_whole")
    assert partial.faults == "turn 3: truncate(after=1)", "one event (message_start), then a clean end"
    assert partial.reproducer == ('@pytest.mark.claude_fake("tool_use(name=get_weather); tool_use(name=book_table); '
                                  'truncate(after=1, text=\\"Booked a table at Chez Paul.\\"), '
                                  'ok(text=\\"Booked a table at Chez Paul.\\")")')
    assert twice.faults == "turn 2: drop(after=5)", "the stream broke once book_table's block was complete"
    assert twice.minimal_run.message == "AssertionError: booked 2 times"


@pytest.mark.claude_explore(faults=FAULTS, turns=3, base=BASE, samples=200)
def test_the_agent_passes_every_schedule(claude_fake: ClaudeFake) -> None:
    books_once_and_answers_whole(Agent())
