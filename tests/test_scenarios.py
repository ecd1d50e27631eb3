"""Every scenario file in fixtures/scenarios/ reproduces its situation from the seed document.

They run in-process here (virtual time); `claude-fakes serve --scenario FILE` serves the same
scripts over sockets.
"""

from __future__ import annotations

import time
from pathlib import Path

import anthropic
import pytest

from claude_fakes import ClaudeFake
from claude_fakes.core.scenarios import load_scenario

from .sdk import HTTP, REQUEST

SCENARIOS = Path(__file__).parent.parent / "fixtures" / "scenarios"


def fake_for(name: str) -> ClaudeFake:
    scenario = load_scenario(SCENARIOS / f"{name}.txt")
    return ClaudeFake(scenario.script, strict=False, **scenario.options)


def stream(client: anthropic.Anthropic, **request: object) -> anthropic.types.Message:
    with client.messages.stream(**{**REQUEST, **request}) as s:  # type: ignore[arg-type]
        return s.get_final_message()


def test_every_scenario_file_parses_and_is_covered_here() -> None:
    names = sorted(path.stem for path in SCENARIOS.glob("*.txt"))
    tested = sorted(name.removeprefix("test_").replace("_", "-") for name in globals() if name.startswith("test_")
                    and name != "test_every_scenario_file_parses_and_is_covered_here"
                    and not name.endswith("_over_sockets"))
    assert names == tested


def test_timeout() -> None:
    with fake_for("timeout") as fake, pytest.raises(anthropic.APITimeoutError):
        anthropic.Anthropic().messages.create(**REQUEST)
    assert fake.attempts == 3 and fake.clock.elapsed >= 1800


def test_streaming_fix() -> None:
    with fake_for("streaming-fix") as fake:
        client = anthropic.Anthropic(timeout=3, max_retries=0)
        with pytest.raises(anthropic.APITimeoutError):
            client.messages.create(**REQUEST)
        assert stream(client).stop_reason == "end_turn"
    assert fake.attempts == 2


def test_longer_timeout() -> None:
    with fake_for("longer-timeout"):
        with pytest.raises(anthropic.APITimeoutError):
            anthropic.Anthropic(timeout=20, max_retries=0).messages.create(**REQUEST)
        anthropic.Anthropic(max_retries=0).messages.create(**REQUEST, timeout=60)
        anthropic.Anthropic(max_retries=0).messages.create(**REQUEST)


def test_shorter_output() -> None:
    with fake_for("shorter-output"):
        client = anthropic.Anthropic()
        part1 = client.messages.create(**{**REQUEST, "max_tokens": 8})
        assert part1.stop_reason == "max_tokens"
        part2 = client.messages.create(**{**REQUEST, "max_tokens": 2048, "messages": [
            *REQUEST["messages"], {"role": "assistant", "content": part1.content[0].text},  # type: ignore[union-attr]
            {"role": "user", "content": "Continue from where you left off."}]})
    assert part2.stop_reason == "end_turn"
    assert part2.content[0].text.startswith("And here the continuation")  # type: ignore[union-attr]


def test_retry_backoff() -> None:
    """The seed's backoff of 5 s then 10 s around 120 s timeouts (examples/test_retry_backoff.py has its code)."""
    with fake_for("retry-backoff") as fake:
        client = anthropic.Anthropic(max_retries=0, timeout=120)
        for backoff in (5, 10, None):
            try:
                client.messages.create(**REQUEST)
                break
            except anthropic.APITimeoutError:
                assert backoff is not None, "the scenario's third attempt succeeds"
                time.sleep(backoff)
    assert fake.clock.sleeps == [5, 10] and fake.clock.elapsed == 255


def test_serverless() -> None:
    with fake_for("serverless") as fake:
        client = anthropic.Anthropic(max_retries=0)
        with pytest.raises(anthropic.InternalServerError) as info:
            client.messages.create(**REQUEST)
        assert info.value.status_code == 504
        assert info.value.response.headers["x-vercel-error"] == "FUNCTION_INVOCATION_TIMEOUT"
        assert fake.clock.elapsed == 10
        with pytest.raises(HTTP.RemoteProtocolError):
            stream(client)
    assert fake.clock.elapsed == 20, "Hobby's limit cuts the stream at 10 s too"
    assert fake.journal[1].events >= 1, "though its first events had arrived"
    with ClaudeFake(scenario="serverless", gateway="vercel-edge") as edge:
        message = stream(anthropic.Anthropic(max_retries=0))
    assert message.stop_reason == "end_turn" and edge.clock.elapsed == 13, "an Edge function streams the 13 s whole"


def test_overloaded_529() -> None:
    with fake_for("overloaded-529") as fake:
        anthropic.Anthropic().messages.create(**REQUEST)
    assert [e.status for e in fake.journal] == [529, 529, 200]


def test_api_error_500() -> None:
    with fake_for("api-error-500") as fake:
        client = anthropic.Anthropic()
        with pytest.raises(anthropic.APIStatusError) as info:
            stream(client)
        assert info.value.status_code == 200 and info.value.body["error"]["type"] == "api_error"  # type: ignore[index]
        assert stream(client).stop_reason == "end_turn"
    assert [e.status for e in fake.journal] == [500, 200, 200]


def test_rate_limit_429() -> None:
    with fake_for("rate-limit-429") as fake:
        anthropic.Anthropic().messages.create(**REQUEST)
    assert fake.clock.sleeps == [2]


def test_agent_loop() -> None:
    from examples.test_agent_loop import Agent

    with fake_for("agent-loop") as fake:
        assert Agent(anthropic.Anthropic()).ask("Weather in Paris?") == "It is sunny in Paris."
    assert [(exchange.turn, exchange.status, exchange.outcome) for exchange in fake.journal] == [
        (1, 529, "complete"), (1, 200, "cut"), (1, 200, "complete"), (2, 529, "complete"), (2, 200, "complete")]
    assert fake.unused_steps() == []


def test_agent_loop_over_sockets() -> None:
    from claude_fakes.server import FakeServer
    from examples.test_agent_loop import Agent

    scenario = load_scenario(SCENARIOS / "agent-loop.txt")
    with FakeServer(script=scenario.script) as server, anthropic.Anthropic(base_url=server.url,
                                                                           api_key="sk-test") as client:
        assert Agent(client).ask("Weather in Paris?") == "It is sunny in Paris."
        journal = server.scopes.get("default").engine.journal
    assert [exchange.turn for exchange in journal] == [1, 1, 1, 2, 2]
