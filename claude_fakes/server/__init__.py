"""The fake Claude API over real sockets, for clients claude_fakes cannot reach in-process.

Point ``ANTHROPIC_BASE_URL`` at a :class:`FakeServer` (or at ``claude-fakes serve``) and any
client, in any language or process, meets the same scripts, with real time and real FIN/RST.
Defined in :mod:`claude_fakes.executors.server`.
"""

from __future__ import annotations

from ..executors.server import (
    ADMIN_PREFIX,
    SCOPE_HEADER,
    SCOPED_PREFIX,
    SCRIPT_HEADER,
    FakeServer,
    ServerScope,
    exchange_from_json,
)
from ..executors.server.agents import AGENT_DEFAULTS, AgentEnv, agent_environment

__all__ = ["ADMIN_PREFIX", "AGENT_DEFAULTS", "SCOPED_PREFIX", "SCOPE_HEADER", "SCRIPT_HEADER", "AgentEnv",
           "FakeServer", "ServerScope", "agent_environment", "exchange_from_json"]
