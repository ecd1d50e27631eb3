"""Assertions on a journal, shared by the in-process fake and a server scope's handle.

Both satisfy :class:`Assertions`: a test written against ``claude_fake`` runs unchanged against
``claude_fake_server``.
"""

from __future__ import annotations

import itertools
from abc import ABC, abstractmethod
from collections.abc import Iterable

from .journal import Exchange
from .verdict import Verdict, assess, retry_after


class Assertions(ABC):
    """What a test asserts about the exchanges a fake served."""

    @property
    @abstractmethod
    def journal(self) -> list[Exchange]:
        """Every HTTP exchange so far, in order."""

    @property
    @abstractmethod
    def attempts(self) -> int:
        """How many ``POST /v1/messages`` requests reached the fake."""

    @abstractmethod
    def timeline(self) -> str:
        """The journal (and sleeps) as text, one line each."""

    @property
    def waits_between_attempts(self) -> list[float]:
        """Seconds from the end of each attempt to the start of the next."""
        attempts = [exchange for exchange in self.journal if exchange.attempt is not None]
        return [
            later.start - (earlier.end if earlier.end is not None else earlier.start)
            for earlier, later in itertools.pairwise(attempts)
        ]

    def verdict(self) -> Verdict:
        """What the journal shows the client did wrong (see :mod:`claude_fakes.core.verdict`)."""
        return assess(self.journal, self.timeline())

    def assert_attempts(self, expected: int) -> None:
        """Assert how many ``POST /v1/messages`` attempts arrived; the message shows the timeline."""
        __tracebackhide__ = True
        attempts = self.attempts
        if attempts != expected:
            raise AssertionError(f"expected {expected} attempt(s), the fake saw {attempts}\n{self.timeline()}")

    def assert_retry_after_honoured(self) -> None:
        """Assert that every retry-after was waited out, and that there was one to honour."""
        __tracebackhide__ = True
        verdict = self.verdict()
        attempts = [exchange for exchange in self.journal if exchange.attempt is not None]
        if not any(retry_after(exchange) is not None for exchange in attempts[:-1]):
            raise AssertionError(
                "no response with retry-after was followed by another attempt, so nothing shows it was "
                f"honoured\n{verdict.timeline}"
            )
        ignored = [finding for finding in verdict.findings if finding.code == "retry_after_ignored"]
        if ignored:
            raise AssertionError("\n".join(map(str, ignored)) + "\n" + verdict.timeline)

    def assert_resilient(self, *, allow: Iterable[str] = ()) -> None:
        """Assert that the verdict has no findings, except the codes in ``allow``."""
        __tracebackhide__ = True
        allowed = set(allow)
        verdict = self.verdict()
        left = [finding for finding in verdict.findings if finding.code not in allowed]
        if left:
            raise AssertionError(str(Verdict(tuple(left), verdict.timeline, verdict.notes)))
