"""Latency models: how long a reply takes (time to first token, tokens a second), per model family.

Defined in :mod:`claude_fakes.core.latency`.
"""

from __future__ import annotations

from .core.latency import MODELS, REALISTIC, LatencyModel, Speed, latency_model

__all__ = ["MODELS", "REALISTIC", "LatencyModel", "Speed", "latency_model"]
