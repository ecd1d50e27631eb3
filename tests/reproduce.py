"""A reproducer line run alone: the marker an exploration prints, on a test of its own in a pytest
session of its own, as a user pastes it.

The session runs in this process (pytester's in-process run), so its test can call the very body the
exploration ran; what each failure raised there is recorded where it happened, as an exploration
identifies a failure (:func:`claude_fakes.explore.explorer.raised_at`).
"""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

import pytest

from claude_fakes.explore.explorer import Raised, raised_at

from .inner import INI

BODIES: list[Callable[[], object]] = []
"""What the reproducing test calls: the inner session imports this module from this process."""


class _Recorder:
    """A plugin of the inner session: what each failing test raised, and where."""

    def __init__(self) -> None:
        self.raised: list[Raised] = []

    def pytest_exception_interact(self, node: Any, call: pytest.CallInfo[Any], report: Any) -> None:
        if call.excinfo is not None:
            self.raised.append(raised_at(call.excinfo.value))


def run_alone(pytester: pytest.Pytester, reproducer: str, body: Callable[[], object]) -> list[Raised]:
    """Run ``body`` in a test marked with ``reproducer`` alone; what its failures raised (none: it passed)."""
    BODIES[:] = [body]
    pytester.makeini(INI)
    pytester.makepyfile(test_reproducer=f"""
import pytest

from tests.reproduce import BODIES


{reproducer}
def test_reproducer(claude_fake):
    BODIES[0]()
""")
    recorder = _Recorder()
    pytester.inline_run("-p", "no:cacheprovider", "-p", "no:randomly", "-q", plugins=[recorder])
    return recorder.raised
