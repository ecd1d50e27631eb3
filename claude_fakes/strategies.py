"""Hypothesis strategies of fault scripts. Defined in :mod:`claude_fakes.explore.strategies`."""

from __future__ import annotations

from .explore.strategies import scripts

__all__ = ["scripts"]
