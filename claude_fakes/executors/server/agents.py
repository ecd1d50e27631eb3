"""The environment that points a Claude Code process (the bare CLI, or the CLI an Agent SDK starts) at
one scope of a fake server.

Claude Code reads its endpoint, credentials, timeouts and retries from environment variables
(docs/facts.md, "Claude Code as a client"); an :class:`AgentEnv` holds them, each one a test can
override, with the scope it points at.
"""

from __future__ import annotations

import os
from collections.abc import Mapping

from .client import ServerScope
from .scopes import SCOPE_HEADER

__all__ = ["AGENT_DEFAULTS", "AgentEnv", "agent_environment"]

AGENT_DEFAULTS: Mapping[str, str] = {
    # Time to the response's headers, per attempt (the CLI's default is 600 s).
    "API_TIMEOUT_MS": "5000",
    # The CLI retries a 529 ten times by default, about 170 s of real time.
    "CLAUDE_CODE_MAX_RETRIES": "2",
    # A stream silent this long is given up (and asked again without streaming): API_TIMEOUT_MS covers
    # only the wait for headers, and by default a stall is waited out. 10 s is the least the CLI accepts.
    "CLAUDE_BYTE_STREAM_IDLE_TIMEOUT_MS": "10000",
    # No update checks, telemetry, error reports or release notes: nothing but the API calls under test.
    "CLAUDE_CODE_DISABLE_NONESSENTIAL_TRAFFIC": "1",
    "DISABLE_AUTOUPDATER": "1",
    "DISABLE_TELEMETRY": "1",
    "DISABLE_ERROR_REPORTING": "1",
    # A developer's shell that sends Claude Code to a cloud provider must not send the test there.
    "CLAUDE_CODE_USE_BEDROCK": "0",
    "CLAUDE_CODE_USE_VERTEX": "0",
    "CLAUDE_CODE_USE_FOUNDRY": "0",
    "ANTHROPIC_AUTH_TOKEN": "",
    "CLAUDE_CODE_OAUTH_TOKEN": "",
    "NO_PROXY": "127.0.0.1,localhost,::1",
}
"""What :func:`agent_environment` sets besides the endpoint, the scope and the config directory."""

AGENT_API_KEY = "sk-ant-claude-fakes-agent"
"""Claude Code refuses to start without a credential; the fake accepts any."""

BASE_URL_VARIABLES = ("ANTHROPIC_BASE_URL", "ANTHROPIC_BEDROCK_BASE_URL", "ANTHROPIC_VERTEX_BASE_URL",
                      "ANTHROPIC_FOUNDRY_BASE_URL")


class AgentEnv(dict[str, str]):
    """Environment variables for a subprocess agent, pointed at :attr:`scope`: give it to
    ``ClaudeAgentOptions(env=...)``, to the TypeScript SDK's ``options.env`` (over ``process.env``) or to
    ``subprocess.run(..., env={**os.environ, **env})`` for the bare ``claude -p``. Change any variable
    before the agent starts."""

    def __init__(self, variables: Mapping[str, str], scope: ServerScope) -> None:
        super().__init__(variables)
        self.scope = scope
        """The server scope every request of the agent meets: its script, routes, journal and assertions."""

    def __repr__(self) -> str:
        return f"AgentEnv(scope={self.scope.scope!r}, {dict.__repr__(self)})"


def agent_environment(scope: ServerScope, config_dir: str | os.PathLike[str]) -> AgentEnv:
    """The variables that point Claude Code at ``scope``: the server as its base URL (every platform's),
    the scope in a header (``ANTHROPIC_CUSTOM_HEADERS``, one ``name: value`` a line, which a test may add
    to), a dummy API key, ``config_dir`` as its configuration directory (so a developer's own settings,
    logins and hooks stay out of the test), and :data:`AGENT_DEFAULTS`."""
    variables = {name: scope.server_url for name in BASE_URL_VARIABLES}
    variables.update(AGENT_DEFAULTS)
    variables.update({
        "ANTHROPIC_CUSTOM_HEADERS": f"{SCOPE_HEADER}: {scope.scope}",
        "ANTHROPIC_API_KEY": AGENT_API_KEY,
        "CLAUDE_CONFIG_DIR": os.fspath(config_dir),
    })
    return AgentEnv(variables, scope)
