"""Rate limits: request and token quotas per minute, as the API enforces and reports them.

A fixed one-minute window opens with the first request. Every reply carries the
``anthropic-ratelimit-*`` headers counting down; the request that would exceed a quota gets a
429 ``rate_limit_error`` with ``retry-after`` set to the seconds until the window reopens, and
consumes no script step. Tokens count the request's input and the reply's output.
"""

from __future__ import annotations

import math
from collections.abc import Mapping
from dataclasses import dataclass

WINDOW = 60.0


@dataclass(frozen=True)
class RateLimits:
    requests_per_minute: int | None = None
    tokens_per_minute: int | None = None

    @classmethod
    def of(cls, limits: Mapping[str, int]) -> RateLimits:
        """From a mapping such as ``{"requests_per_minute": 5}``; an unknown key names the known ones."""
        unknown = sorted(set(limits) - {"requests_per_minute", "tokens_per_minute"})
        if unknown:
            raise ValueError(f"rate_limits has no {', '.join(map(repr, unknown))}; it takes requests_per_minute "
                             f"and tokens_per_minute, e.g. {{'requests_per_minute': 5}}")
        return cls(**limits)

    def __post_init__(self) -> None:
        for name in ("requests_per_minute", "tokens_per_minute"):
            value = getattr(self, name)
            if value is not None and (not isinstance(value, int) or value < 1):
                raise ValueError(f"RateLimits({name}=...) takes a whole number >= 1, got {value!r}")


class Quota:
    """The running count of one fake's window. ``now`` is the caller's clock, in seconds."""

    def __init__(self, limits: RateLimits | None) -> None:
        self.limits = limits or RateLimits()
        self._window_start: float | None = None
        self._requests = 0
        self._tokens = 0

    def _roll(self, now: float) -> None:
        if self._window_start is None or now >= self._window_start + WINDOW:
            self._window_start, self._requests, self._tokens = now, 0, 0

    def admit(self, now: float) -> float | None:
        """Count a request; or, if a quota is spent, the seconds until the window reopens."""
        self._roll(now)
        rpm, tpm = self.limits.requests_per_minute, self.limits.tokens_per_minute
        if (rpm is not None and self._requests >= rpm) or (tpm is not None and self._tokens >= tpm):
            assert self._window_start is not None
            return max(1.0, math.ceil(self._window_start + WINDOW - now))
        self._requests += 1
        return None

    def state(self) -> tuple[float | None, int, int]:
        """The window's start and what it has counted: with the limits, every answer to come."""
        return self._window_start, self._requests, self._tokens

    def restore(self, state: tuple[float | None, int, int]) -> None:
        """Stand where :meth:`state` said."""
        self._window_start, self._requests, self._tokens = state

    def spend_tokens(self, tokens: int) -> None:
        self._tokens += tokens

    def headers(self, now: float) -> dict[str, tuple[int, int, float]]:
        """Per family (``requests``, ``tokens``): limit, remaining and reset time, for the headers."""
        self._roll(now)
        reset = (self._window_start if self._window_start is not None else now) + WINDOW
        rpm = self.limits.requests_per_minute or 4000
        tpm = self.limits.tokens_per_minute or 2_000_000
        return {
            "requests": (rpm, max(0, rpm - self._requests), reset),
            "tokens": (tpm, max(0, tpm - self._tokens), reset),
        }
