"""The agent group: the real Claude Code CLI (bundled with claude-agent-sdk) against the fake server.

It runs only where the Agent SDK is installed and the network has nothing but loopback (a user and
network namespace: ``unshare -rn``, as scripts/test-agents runs it), so the CLI provably reaches no
host but the fake; ``CLAUDE_FAKES_AGENTS=required`` (set by that script) makes a missing SDK or a
reachable network an error instead of a skip.
"""

from __future__ import annotations

import os
import socket
from pathlib import Path

import pytest

REQUIRED = os.environ.get("CLAUDE_FAKES_AGENTS") == "required"


def interfaces() -> list[str]:
    """This network namespace's interfaces (``/sys/class/net`` may still show the host's)."""
    return sorted(name for _, name in socket.if_nameindex())


def pytest_collection_modifyitems(config: pytest.Config, items: list[pytest.Item]) -> None:
    here = Path(__file__).parent
    problem = None
    try:
        import claude_agent_sdk  # noqa: F401
    except ImportError:
        problem = "needs claude-agent-sdk (scripts/test-agents installs it)"
    if problem is None and interfaces() != ["lo"]:
        problem = f"runs in a network namespace with loopback only (unshare -rn), not beside {interfaces()}"
    if problem is None:
        return
    if REQUIRED:
        raise pytest.UsageError(f"tests/agents {problem}")
    for item in items:
        if here in Path(item.path).parents:
            item.add_marker(pytest.mark.skip(reason=problem))
