"""The TypeScript Agent SDK (``@anthropic-ai/claude-agent-sdk``, which runs its own Claude Code) against
the session's fake server, with ``claude_agent_env`` laid over ``process.env``: tests/agents/node/ask.mjs.

scripts/test-agents installs it (``npm ci`` in tests/agents/node); without it these are skipped, or,
under that script, an error.
"""

from __future__ import annotations

import json
import os
import shutil
import subprocess
from collections.abc import Callable
from pathlib import Path

import pytest

from claude_fakes.server import AgentEnv

from .conftest import REQUIRED

NODE_APP = Path(__file__).parent / "node"
Ask = Callable[[], "subprocess.CompletedProcess[str]"]
REPLY = "Hello! This is a reply from claude_fakes."


@pytest.fixture
def ask(claude_agent_env: AgentEnv, tmp_path: Path) -> Ask:
    """Run the Node app once with the test's environment."""
    installed = (NODE_APP / "node_modules" / "@anthropic-ai" / "claude-agent-sdk").is_dir()
    node = shutil.which("node")
    if node is None or not installed:
        problem = "needs node and `npm ci --prefix tests/agents/node` (scripts/test-agents runs it)"
        if REQUIRED:
            pytest.fail(problem)
        pytest.skip(problem)

    def run() -> subprocess.CompletedProcess[str]:
        env = {"PATH": os.environ["PATH"], "HOME": str(tmp_path), "AGENT_ENV": json.dumps(claude_agent_env)}
        return subprocess.run([node, str(NODE_APP / "ask.mjs"), "hi"], env=env, cwd=tmp_path,
                              capture_output=True, text=True, timeout=60, check=False)

    return run


def test_the_typescript_sdk_survives_two_529s(claude_agent_env: AgentEnv, ask: Ask) -> None:
    claude_agent_env.scope.script("overloaded*2, ok")
    done = ask()
    assert (done.returncode, done.stdout.strip()) == (0, REPLY), done.stderr
    journal = claude_agent_env.scope.journal
    assert [exchange.status for exchange in journal] == [529, 529, 200]
    assert all("sdk-ts" in exchange.headers["user-agent"] for exchange in journal)
    claude_agent_env.scope.assert_resilient()


def test_the_typescript_sdk_falls_back_without_streaming(claude_agent_env: AgentEnv, ask: Ask) -> None:
    claude_agent_env.scope.script("error_event(after=6, type=overloaded_error), ok")
    done = ask()
    assert (done.returncode, done.stdout.strip()) == (0, REPLY), done.stderr
    assert claude_agent_env.scope.verdict().codes == ["non_streaming_fallback"]
