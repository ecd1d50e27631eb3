"""Internal. The pytest plugin: pytest loads it by its entry point; a test uses its fixtures and markers
and never imports it.

:mod:`.settings` (options, ini values and marker settings), :mod:`.fixtures` (``claude_fake``,
``claude_fake_server``, ``claude_faults``), :mod:`.exploration` (``claude_explore``),
:mod:`.agents` (``claude_agent_env``), :mod:`.reports` (the timeline in a failure's report),
:mod:`.server_process` (the session's server).
pytest finds hooks and fixtures on this module, so each is named here.
"""

from __future__ import annotations

from .agents import claude_agent_env
from .exploration import claude_explore_shard, pytest_pyfunc_call, pytest_terminal_summary
from .fixtures import claude_fake, claude_fake_server, pytest_collection_modifyitems, pytest_generate_tests
from .reports import pytest_runtest_makereport
from .server_process import claude_fakes_server_url
from .settings import pytest_addoption, pytest_configure

__all__ = [
    "claude_agent_env",
    "claude_explore_shard",
    "claude_fake",
    "claude_fake_server",
    "claude_fakes_server_url",
    "pytest_addoption",
    "pytest_collection_modifyitems",
    "pytest_configure",
    "pytest_generate_tests",
    "pytest_pyfunc_call",
    "pytest_runtest_makereport",
    "pytest_terminal_summary",
]
