"""The fake's clock: ``claude_fake.clock`` is a :class:`Clock` (``now()``, ``elapsed``, ``sleeps``).

Defined in :mod:`claude_fakes.core.clock`.
"""

from __future__ import annotations

from .core.clock import Clock, RealClock, Sleep

__all__ = ["Clock", "RealClock", "Sleep"]
