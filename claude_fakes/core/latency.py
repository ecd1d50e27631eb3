"""How long a reply takes: time to first token and output tokens per second, per model family.

Off by default, so that timelines stay exact: with no model, a reply is instant. Switched on
(``ClaudeFake(latency="realistic")``, the ``latency=`` marker option, ``claude-fakes serve
--latency realistic``), every reply is paced: a streaming reply's deltas arrive at the model's
rate, a non-streaming reply arrives whole once the last token is generated, and a request with
no scripted content gets a reply as long as its ``max_tokens`` (at most the longest output of any
model in the table: the planner caps it).

The realistic defaults reproduce the seed document's figure: an Opus-class request with
``max_tokens=8192`` takes 2 + 8191 / 80 = 104.4 s (the seed: 60 to 120 s), streamed or not; a
streamed reply's first text arrives after about 2 s.
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass, field


@dataclass(frozen=True)
class Speed:
    ttft: float
    """Seconds from the request to the first output token."""
    tps: float
    """Output tokens per second after that."""

    def generation_time(self, output_tokens: int) -> float:
        """When the last token exists: the first at ``ttft``, each next one ``1 / tps`` later."""
        return self.ttft + max(output_tokens - 1, 0) / self.tps


@dataclass(frozen=True)
class LatencyModel:
    """Speeds by model family, matched as a substring of the request's model id."""

    families: Mapping[str, Speed] = field(default_factory=dict)
    default: Speed = Speed(1.0, 100.0)
    fill_to_max_tokens: bool = True
    """A request with no scripted content gets a reply of ``max_tokens`` tokens."""
    delta_tokens: int = 8
    """Tokens per streamed delta: the real API batches a few tokens into each event."""

    def speed(self, model: str) -> Speed:
        for family, speed in self.families.items():
            if family in model:
                return speed
        return self.default


REALISTIC = LatencyModel(
    families={
        "opus": Speed(ttft=2.0, tps=80.0),
        "sonnet": Speed(ttft=1.0, tps=120.0),
        "haiku": Speed(ttft=0.5, tps=250.0),
    },
    default=Speed(ttft=1.0, tps=120.0),
)
"""Opus 2 s + 80 tok/s, Sonnet 1 s + 120 tok/s, Haiku 0.5 s + 250 tok/s; others as Sonnet."""

MODELS = {"realistic": REALISTIC}


def latency_model(value: str | LatencyModel | None) -> LatencyModel | None:
    """A latency model from a name (``realistic``, ``none``) or the model itself."""
    if value is None or isinstance(value, LatencyModel):
        return value
    if value == "none":
        return None
    if value not in MODELS:
        raise ValueError(f"unknown latency model {value!r}; known: none, {', '.join(MODELS)}")
    return MODELS[value]


FILLER = ("The", "analysis", "continues", "with", "more", "detail", "on", "each", "point.")


def filler_text(tokens: int) -> str:
    """Deterministic text of exactly ``tokens`` of the fake's tokens (words)."""
    rounds, rest = divmod(max(tokens, 0), len(FILLER))
    # Whole rounds of the filler, then part of one: built by the string, not word by word.
    return " ".join([*[" ".join(FILLER)] * rounds, *FILLER[:rest]])
