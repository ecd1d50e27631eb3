"""Exploring fault schedules: run the code under test against every one, and shrink the failures.

The machinery is in :mod:`.explorer`; :mod:`.strategies` offers the same space to Hypothesis.
"""

from __future__ import annotations

from .explorer import DEFAULT_LIMIT, Cut, Explorable, Failure, Report, Space, Trial, explore

__all__ = ["DEFAULT_LIMIT", "Cut", "Explorable", "Failure", "Report", "Space", "Trial", "explore"]
