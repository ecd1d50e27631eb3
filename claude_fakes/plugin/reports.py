"""Internal. What a failing test's report carries: the fake's timeline (once), and an exploration's
summary for a passing one."""

from __future__ import annotations

import re
import warnings
from collections.abc import Generator
from typing import TYPE_CHECKING, Any

import pytest

from ..core.journal import TIMELINE_HEADER
from .exploration import EXPLORED

if TYPE_CHECKING:
    from ..executors.server.client import ServerScope
    from ..fake import ClaudeFake

CALL_PASSED = pytest.StashKey[bool]()
"""Whether the test's body ran and passed. Only then do the fixtures' teardown checks speak: a test that
failed shows its own failure first, and one skipped, xfailed or stopped by another fixture's error
made no claim about the script."""
FAKE: pytest.StashKey[ClaudeFake | ServerScope] = pytest.StashKey()
"""The test's fake, whose timeline a failure's report carries."""


_SDK_COROUTINE = re.compile(r"coroutine '(Async\w*\.\w+)' was never awaited")
"""The warning Python gives for an SDK call made without ``await`` (its resources are ``Async*`` classes)."""


def never_awaited() -> list[str]:
    """The SDK calls the running test made without ``await``: each a request that never reached the fake.

    Read from the warnings pytest has recorded for the test so far (its ``catch_warnings(record=True)``
    appends to a list); where they are not recorded that way (``-p no:warnings``), none are found.
    """
    recorded = getattr(getattr(warnings, "_showwarnmsg_impl", None), "__self__", None)
    if not isinstance(recorded, list):
        return []
    return [found.group(1) for message in recorded
            if isinstance(message, warnings.WarningMessage) and issubclass(message.category, RuntimeWarning)
            and (found := _SDK_COROUTINE.search(str(message.message))) is not None]


@pytest.hookimpl(wrapper=True)
def pytest_runtest_makereport(item: pytest.Item, call: pytest.CallInfo[None]) -> Generator[None, Any, Any]:
    report = yield
    if report.when == "call":
        item.stash[CALL_PASSED] = report.passed and not hasattr(report, "wasxfail")
        explored = item.stash.get(EXPLORED, None)
        if explored is not None and report.passed:
            report.sections.append(("claude_fakes explore", explored.summary()))
    fake = item.stash.get(FAKE, None)
    if fake is not None and report.failed and report.when in ("setup", "call") and fake.journal:
        # Shown once: an assertion of the fake's already carries the timeline in its message.
        if TIMELINE_HEADER not in report.longreprtext:
            report.sections.append(("claude_fakes timeline", fake.timeline()))
        # A finding the code under test saw only as an error reply (a request no cassette recording
        # answers) is shown whole, not as the escaped text of the SDK's exception.
        findings: list[str] = getattr(fake, "findings", [])  # a server scope's stay in the server's journal
        shown = [finding for finding in findings if finding not in report.longreprtext]
        if shown:
            report.sections.append(("claude_fakes findings", "\n".join(shown)))
    return report
