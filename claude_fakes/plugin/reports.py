"""Internal. What a failing test's report carries: the fake's timeline (once), and an exploration's
summary for a passing one."""

from __future__ import annotations

from collections.abc import Generator
from typing import TYPE_CHECKING, Any

import pytest

from ..core.journal import TIMELINE_HEADER
from .exploration import EXPLORED

if TYPE_CHECKING:
    from ..executors.server.client import ServerScope
    from ..fake import ClaudeFake

CALL_FAILED = pytest.StashKey[bool]()
"""Whether the test's call failed: the fixtures' teardown checks then stay quiet, so its own failure shows."""
FAKE: pytest.StashKey[ClaudeFake | ServerScope] = pytest.StashKey()
"""The test's fake, whose timeline a failure's report carries."""


@pytest.hookimpl(wrapper=True)
def pytest_runtest_makereport(item: pytest.Item, call: pytest.CallInfo[None]) -> Generator[None, Any, Any]:
    report = yield
    if report.when == "call":
        item.stash[CALL_FAILED] = report.failed
        explored = item.stash.get(EXPLORED, None)
        if explored is not None and report.passed:
            report.sections.append(("claude_fakes explore", explored.summary()))
    fake = item.stash.get(FAKE, None)
    if fake is not None and report.failed and report.when in ("setup", "call") and fake.journal:
        # Shown once: an assertion of the fake's already carries the timeline in its message.
        if TIMELINE_HEADER not in report.longreprtext:
            report.sections.append(("claude_fakes timeline", fake.timeline()))
    return report
