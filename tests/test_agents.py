"""Claude Code and Agent SDK apps as the client under test, without the CLI: ``claude_agent_env``, attempts
told apart by repetition, sessions kept apart, on the session's server (tests/agent_client.py speaks as
the CLI does). tests/agents/ runs the real CLI through the Agent SDK."""

from __future__ import annotations

import itertools
import os
import uuid
from concurrent.futures import ThreadPoolExecutor
from pathlib import Path

import pytest

from claude_fakes.server import AGENT_DEFAULTS, SCRIPT_HEADER, AgentEnv, ServerScope, agent_environment

from .agent_client import agent_call


def sessions(count: int) -> list[str]:
    return [str(uuid.UUID(int=n + 1)) for n in range(count)]


def test_the_environment_points_an_agent_at_a_fresh_scope(claude_agent_env: AgentEnv) -> None:
    scope = claude_agent_env.scope
    assert claude_agent_env["ANTHROPIC_BASE_URL"] == scope.server_url
    assert claude_agent_env["ANTHROPIC_CUSTOM_HEADERS"] == f"x-claude-fakes-scope: {scope.scope}"
    assert Path(claude_agent_env["CLAUDE_CONFIG_DIR"]).is_dir()
    assert {name: claude_agent_env[name] for name in AGENT_DEFAULTS} == dict(AGENT_DEFAULTS)
    assert scope.journal == []
    claude_agent_env["CLAUDE_CODE_MAX_RETRIES"] = "5"   # a test's own choice wins
    assert {**os.environ, **claude_agent_env}["CLAUDE_CODE_MAX_RETRIES"] == "5"


def test_a_repeat_of_the_same_turn_is_the_next_attempt(claude_agent_env: AgentEnv) -> None:
    # Claude Code says x-stainless-retry-count: 0 on every attempt; the fake counts repetitions.
    claude_agent_env.scope.script("overloaded*2, ok")
    assert agent_call(claude_agent_env, sessions(1)[0]) == [529, 529, 200]
    assert [exchange.retry_count for exchange in claude_agent_env.scope.journal] == [0, 0, 0]
    claude_agent_env.scope.assert_resilient()   # its x-stainless-timeout is a timeout: no no_read_timeout


def test_a_header_script_serves_each_sessions_attempts_in_turn(claude_agent_env: AgentEnv) -> None:
    claude_agent_env["ANTHROPIC_CUSTOM_HEADERS"] += f"\n{SCRIPT_HEADER}: overloaded*2, ok"
    with ThreadPoolExecutor(2) as pool:
        met = list(pool.map(lambda session: agent_call(claude_agent_env, session), sessions(2)))
    assert met == [[529, 529, 200], [529, 529, 200]]


def test_concurrent_sessions_each_meet_the_scopes_whole_script(claude_agent_env: AgentEnv) -> None:
    # The same prompt in two sessions: two turns, each with the script's every step.
    claude_agent_env.scope.script("overloaded*2, ok")
    with ThreadPoolExecutor(2) as pool:
        met = list(pool.map(lambda session: agent_call(claude_agent_env, session), sessions(2)))
    assert met == [[529, 529, 200], [529, 529, 200]]
    assert sorted(exchange.turn for exchange in claude_agent_env.scope.journal) == [1, 1, 1, 2, 2, 2]


MIXED = {"overloaded*2, ok": [529, 529, 200], "rate_limited(retry_after=0), ok": [429, 200],
         "drop(after=3), ok": ["cut", 200], "api_error, overloaded, ok": [500, 529, 200]}


def test_twenty_sessions_with_mixed_faults_on_one_server_do_not_cross_talk(
        claude_fakes_server_url: str, tmp_path: Path) -> None:
    # Four scopes, one fault mix each, five sessions in each, all at once: each session meets its own
    # scope's script from its start, and each scope journals its own sessions' attempts only.
    envs = {}
    for n, script in enumerate(MIXED):
        scope = ServerScope(claude_fakes_server_url, f"{os.getpid()}-agents-mixed-{n}-{uuid.uuid4()}")
        scope.script(script)
        envs[script] = agent_environment(scope, tmp_path)
    runs = [(script, session) for script, session in itertools.product(MIXED, sessions(5))]
    with ThreadPoolExecutor(len(runs)) as pool:
        met = list(pool.map(lambda run: agent_call(envs[run[0]], run[1]), runs))
    assert met == [MIXED[script] for script, _ in runs]
    for script, env in envs.items():
        journal = env.scope.journal
        assert len(journal) == 5 * len(MIXED[script])
        assert {exchange.headers["x-claude-code-session-id"] for exchange in journal} == set(sessions(5))
        assert not env.scope.unused_steps()


@pytest.mark.parametrize("name", ["ANTHROPIC_BASE_URL", "ANTHROPIC_BEDROCK_BASE_URL", "ANTHROPIC_VERTEX_BASE_URL"])
def test_every_platforms_base_url_is_the_server(claude_agent_env: AgentEnv, name: str) -> None:
    assert claude_agent_env[name] == claude_agent_env.scope.server_url
