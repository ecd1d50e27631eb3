"""The pytest plugin: the ``claude_fake`` fixture, with strict checks at teardown."""

from __future__ import annotations

from collections.abc import Iterator

import pytest

from .fake import ClaudeFake

_CALL_FAILED = pytest.StashKey[bool]()


@pytest.hookimpl(wrapper=True)
def pytest_runtest_makereport(item: pytest.Item, call: pytest.CallInfo[None]) -> Iterator[None]:
    report = yield
    if report.when == "call":  # type: ignore[attr-defined]
        item.stash[_CALL_FAILED] = report.failed  # type: ignore[attr-defined]
    return report


@pytest.fixture
def claude_fake(request: pytest.FixtureRequest) -> Iterator[ClaudeFake]:
    """A :class:`ClaudeFake` active for the whole test.

    At teardown, a strict fake (the default; set ``claude_fake.strict = False`` to opt out) fails
    the test if a scripted step was never used, and any fake fails it if a request would have hung
    forever. The check is skipped when the test itself already failed, so the first error shows.
    """
    fake = ClaudeFake()
    fake.start()
    try:
        yield fake
    finally:
        fake.stop()
    if not request.node.stash.get(_CALL_FAILED, False):
        fake.verify()
