"""Internal. The ``claude_agent_env`` fixture: Claude Code and Agent SDK apps as the client under test."""

from __future__ import annotations

import pytest

from ..executors.server.agents import AgentEnv, agent_environment
from ..executors.server.client import ServerScope


@pytest.fixture
def claude_agent_env(claude_fake_server: ServerScope, tmp_path_factory: pytest.TempPathFactory) -> AgentEnv:
    """Environment variables that point a subprocess agent (``claude -p``, or the CLI the Python or
    TypeScript Agent SDK starts) at this test's fresh scope of the session's fake server, with short
    timeouts, bounded retries and non-essential traffic off; ``claude_agent_env.scope`` is that scope
    (``claude_fake_server``): its script, routes, journal and assertions, and the strict teardown check.
    """
    return agent_environment(claude_fake_server, tmp_path_factory.mktemp("claude-config"))
