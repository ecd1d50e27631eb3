"""An agent loop: the model calls a tool, the app answers with its result, the model answers.

Every turn of the loop is a call that can fail, and a loop's failures are its own: a 529 on the
second turn, a stream cut inside the tool call's JSON (the SDK never retries a stream that broke
after its headers), and the one that ends in a 400 long after the failure that caused it: a turn
interrupted after the model's ``tool_use`` was kept in the history but before its result was,
so the next call sends a ``tool_use`` with no ``tool_result`` after it, and the API rejects the
whole conversation. Scripts here are *turn scripts*: each ``;`` starts the next turn, and the
retries of a turn (the SDK's or the app's) stay in it, so a script says "a 529 on turn 2"
however many attempts turn 1 took.

Over sockets the same loop meets ``claude-fakes serve --scenario agent-loop``.
"""

from __future__ import annotations

from typing import Any

import anthropic
import pytest

from claude_fakes import ClaudeFake

MODEL = "claude-sonnet-4-6"
WEATHER = {
    "name": "get_weather",
    "description": "The current weather in a city.",
    "input_schema": {"type": "object", "properties": {"city": {"type": "string"}}, "required": ["city"]},
}
MAX_TURNS = 10


def get_weather(city: str) -> str:
    return f"{city}: 18°C, sunny"


def call_turn(client: anthropic.Anthropic, messages: list[dict[str, Any]]) -> anthropic.types.Message:
    with client.messages.stream(model=MODEL, max_tokens=1024, tools=[WEATHER],  # type: ignore[list-item]
                                messages=messages) as stream:  # type: ignore[arg-type]
        return stream.get_final_message()


def results_for(message: anthropic.types.Message) -> dict[str, Any]:
    return {"role": "user", "content": [
        {"type": "tool_result", "tool_use_id": block.id, "content": get_weather(**block.input)}  # type: ignore[arg-type]
        for block in message.content if block.type == "tool_use"]}


SORRY = "Sorry, something went wrong. Please ask again."


class NaiveAgent:
    """Keeps the history across questions; when a turn fails, drops the message it just added."""

    def __init__(self, client: anthropic.Anthropic) -> None:
        self.client = client
        self.history: list[dict[str, Any]] = []

    def ask(self, question: str) -> str:
        start = len(self.history)
        self.history.append({"role": "user", "content": question})
        for _ in range(MAX_TURNS):
            message = self._turn()
            if message is None:
                self._roll_back(start)
                return SORRY
            self.history.append({"role": "assistant", "content": [b.model_dump() for b in message.content]})
            if message.stop_reason != "tool_use":
                return "".join(block.text for block in message.content if block.type == "text")
            self.history.append(results_for(message))
        raise RuntimeError("the model kept calling tools")

    def _turn(self) -> anthropic.types.Message | None:
        try:
            return call_turn(self.client, self.history)
        except Exception:
            return None

    def _roll_back(self, start: int) -> None:
        self.history.pop()  # the bug: the model's tool_use before it stays in the history


class Agent(NaiveAgent):
    """Retries a turn whose stream broke (the SDK will not), and when a turn still fails, rolls the
    history back to where the question began: never a tool_use without its result."""

    TURN_TRIES = 3

    def _turn(self) -> anthropic.types.Message | None:
        for _ in range(self.TURN_TRIES):
            try:
                return call_turn(self.client, self.history)
            except anthropic.APIStatusError as err:
                if err.status_code != 200:
                    raise  # the SDK already retried what can be retried
            except Exception:  # the stream broke mid-body: the HTTP library's own errors, raw
                continue
        return None

    def _roll_back(self, start: int) -> None:
        del self.history[start:]


@pytest.mark.claude_fake("tool_use(name=get_weather); overloaded, ok(text=It is sunny in Paris.)")
def test_a_529_on_turn_two_is_retried_by_the_sdk(claude_fake: ClaudeFake) -> None:
    assert Agent(anthropic.Anthropic()).ask("Weather in Paris?") == "It is sunny in Paris."
    assert [exchange.turn for exchange in claude_fake.journal] == [1, 2, 2]
    assert [exchange.retry_count for exchange in claude_fake.journal] == [0, 0, 1]
    claude_fake.assert_resilient()


@pytest.mark.claude_fake("drop(after=4, tool=get_weather), tool_use(name=get_weather); ok(text=Sunny.)")
def test_a_drop_inside_the_tool_calls_json_is_retried_by_the_app(claude_fake: ClaudeFake) -> None:
    assert Agent(anthropic.Anthropic()).ask("Weather in Paris?") == "Sunny."
    cut, retried, answered = claude_fake.journal
    assert (cut.turn, cut.outcome, cut.events) == (1, "cut", 4), "cut after 2 of the tool input's fragments"
    assert (retried.turn, retried.retry_count) == (1, 0), "the app's retry: the SDK had given up on the stream"
    assert answered.turn == 2
    tool_results = [block for block in answered.json["messages"][-1]["content"] if block["type"] == "tool_result"]
    assert len(tool_results) == 1, "the tool ran once"
    claude_fake.assert_resilient()


@pytest.mark.claude_fake("tool_use(name=get_weather); drop(after=2)")
def test_an_interrupted_turn_sends_an_orphan_tool_use_and_the_api_rejects_it(claude_fake: ClaudeFake) -> None:
    agent = NaiveAgent(anthropic.Anthropic())
    assert agent.ask("Weather in Paris?") == SORRY
    # From here on every question fails: the history itself is what the API rejects.
    assert agent.ask("And in Rome?") == SORRY
    rejected = claude_fake.journal[-1]
    assert rejected.status == 400
    assert rejected.json["messages"][-1] == {"role": "user", "content": "And in Rome?"}
    with pytest.raises(anthropic.BadRequestError, match="`tool_use` ids were found without `tool_result` blocks"):
        call_turn(anthropic.Anthropic(), [*agent.history, {"role": "user", "content": "Hello?"}])
    assert "orphan_tool_use" in claude_fake.verdict().codes


@pytest.mark.claude_fake("tool_use(name=get_weather); drop(after=2)*3; ok(text=Rome is sunny too.)")
def test_rolling_back_the_whole_question_keeps_the_history_valid(claude_fake: ClaudeFake) -> None:
    agent = Agent(anthropic.Anthropic())
    assert agent.ask("Weather in Paris?") == SORRY
    assert agent.ask("And in Rome?") == "Rome is sunny too."
    assert [exchange.turn for exchange in claude_fake.journal] == [1, 2, 2, 2, 3]
    assert "orphan_tool_use" not in claude_fake.verdict().codes
