"""Cookbook: an app built on the Claude Agent SDK, under 529s, a hang, a cut stream, a stall and 429s.

The SDK runs Claude Code in a subprocess, so the fake meets it over sockets, in real time:
``claude_agent_env`` points that process at this test's scope of the session's fake server, with
short timeouts and bounded retries (overridable), and ``claude_agent_env.scope`` scripts it and
says what the agent did. Needs ``pip install claude-agent-sdk``; scripts/test-agents runs these
in a network namespace with loopback only, so the CLI provably reaches nothing else.
"""

from __future__ import annotations

import asyncio
from collections.abc import Mapping

import pytest

from claude_fakes.server import AgentEnv

sdk = pytest.importorskip("claude_agent_sdk")

REPLY = "Hello! This is a reply from claude_fakes."


async def ask(prompt: str, env: Mapping[str, str], *, fallback_model: str | None = None) -> str:
    """The app: one question to an agent without tools, its answer, within a minute whatever happens (a
    run that fails raises the SDK's ``ResultError``, with the API's status)."""
    options = sdk.ClaudeAgentOptions(env=dict(env), max_turns=1, tools=[], setting_sources=[],
                                     fallback_model=fallback_model)

    async def answer() -> str:
        result = ""
        # Read to the end, so that the SDK closes the CLI's process and pipes itself.
        async for message in sdk.query(prompt=prompt, options=options):
            if isinstance(message, sdk.ResultMessage):
                result = str(message.result)
        return result

    return await asyncio.wait_for(answer(), timeout=60)


def statuses(env: AgentEnv) -> list[int | None]:
    return [exchange.status for exchange in env.scope.journal if exchange.attempt is not None]


async def test_overloaded_twice_then_answered(claude_agent_env: AgentEnv) -> None:
    claude_agent_env.scope.script("overloaded*2, ok")
    assert await ask("hi", claude_agent_env) == REPLY
    assert statuses(claude_agent_env) == [529, 529, 200]     # Claude Code's attempts, told apart by repetition
    claude_agent_env.scope.assert_resilient()


async def test_overloaded_past_the_retries_is_an_error_the_app_sees(claude_agent_env: AgentEnv) -> None:
    claude_agent_env.scope.script("overloaded*3")              # CLAUDE_CODE_MAX_RETRIES is 2 here
    with pytest.raises(sdk.ResultError) as failed:
        await ask("hi", claude_agent_env)
    assert failed.value.api_error_status == 529
    claude_agent_env.scope.assert_attempts(3)


async def test_overloaded_falls_back_to_another_model(claude_agent_env: AgentEnv) -> None:
    claude_agent_env["CLAUDE_CODE_MAX_RETRIES"] = "4"
    claude_agent_env.scope.script("overloaded*3, ok")
    assert await ask("hi", claude_agent_env, fallback_model="claude-sonnet-4-6") == REPLY
    models = [exchange.json["model"] for exchange in claude_agent_env.scope.journal]
    assert models[-1] == "claude-sonnet-4-6" != models[0]
    assert claude_agent_env.scope.verdict().codes == ["model_fallback"]   # the answer came from another model


async def test_a_hang_times_out_and_the_retry_answers(claude_agent_env: AgentEnv) -> None:
    claude_agent_env["API_TIMEOUT_MS"] = "2000"
    claude_agent_env.scope.script("hang, ok")
    assert await ask("hi", claude_agent_env) == REPLY
    first, second = claude_agent_env.scope.journal
    assert second.start - first.start >= 2                     # it waited out API_TIMEOUT_MS, no longer
    claude_agent_env.scope.assert_resilient()


async def test_a_cut_stream_is_asked_again(claude_agent_env: AgentEnv) -> None:
    claude_agent_env.scope.script("drop(after=3), ok")
    assert await ask("hi", claude_agent_env) == REPLY
    claude_agent_env.scope.assert_resilient()                  # re-sent as a stream: nothing lost


async def test_an_overloaded_stream_falls_back_to_a_request_without_streaming(claude_agent_env: AgentEnv) -> None:
    claude_agent_env.scope.script("error_event(after=6, type=overloaded_error), ok")
    assert await ask("hi", claude_agent_env) == REPLY
    assert [exchange.stream for exchange in claude_agent_env.scope.journal] == [True, False]
    claude_agent_env.scope.assert_resilient(allow={"non_streaming_fallback"})


async def test_a_stalled_stream_is_given_up_and_asked_again_without_streaming(claude_agent_env: AgentEnv) -> None:
    claude_agent_env.scope.script("stall(after=3, seconds=60), ok")   # silent for a minute after 3 events
    assert await ask("hi", claude_agent_env) == REPLY
    stalled, fallback = claude_agent_env.scope.journal
    assert 10 <= fallback.start - stalled.start < 20               # CLAUDE_BYTE_STREAM_IDLE_TIMEOUT_MS, not 60 s
    assert claude_agent_env.scope.verdict().codes == ["non_streaming_fallback"]


async def test_rate_limited_waits_as_asked(claude_agent_env: AgentEnv) -> None:
    claude_agent_env.scope.script("rate_limited(retry_after=1)*2, ok")
    assert await ask("hi", claude_agent_env) == REPLY
    claude_agent_env.scope.assert_retry_after_honoured()
    claude_agent_env.scope.assert_resilient()
