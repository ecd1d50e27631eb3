"""core/quota.py: the one-minute window of request and token quotas."""

from __future__ import annotations

from typing import Any

import pytest

from claude_fakes.core.quota import WINDOW, Quota, RateLimits


@pytest.mark.parametrize("value", [0, -1, 1.5, "10"], ids=["zero", "negative", "fraction", "string"])
def test_limits_are_whole_numbers_of_at_least_one(value: Any) -> None:
    with pytest.raises(ValueError, match="requests_per_minute"):
        RateLimits(requests_per_minute=value)


def test_no_limits_admit_everything() -> None:
    quota = Quota(None)
    assert all(quota.admit(float(second)) is None for second in range(100))


def test_the_request_past_the_limit_waits_for_the_window_to_reopen() -> None:
    quota = Quota(RateLimits(requests_per_minute=2))
    assert quota.admit(10.0) is None and quota.admit(11.0) is None
    assert quota.admit(40.5) == 30, "the window opened at 10: 29.5 s left, rounded up"
    assert quota.admit(10.0 + WINDOW) is None, "a new window"


def test_a_spent_quota_asks_for_at_least_one_second() -> None:
    quota = Quota(RateLimits(requests_per_minute=1))
    quota.admit(0.0)
    assert quota.admit(59.99) == 1.0


def test_tokens_count_against_their_own_quota() -> None:
    quota = Quota(RateLimits(tokens_per_minute=100))
    assert quota.admit(0.0) is None
    quota.spend_tokens(100)
    assert quota.admit(1.0) == 59


def test_headers_count_down_with_the_reset_at_the_windows_end() -> None:
    quota = Quota(RateLimits(requests_per_minute=5))
    quota.admit(3.0)
    quota.spend_tokens(7)
    assert quota.headers(4.0) == {"requests": (5, 4, 63.0), "tokens": (2_000_000, 1_999_993, 63.0)}


def test_rate_limits_from_a_mapping_name_the_keys_they_take() -> None:
    assert RateLimits.of({"requests_per_minute": 5}) == RateLimits(requests_per_minute=5)
    with pytest.raises(ValueError, match=r"has no 'rpm'; it takes requests_per_minute and tokens_per_minute"):
        RateLimits.of({"rpm": 5})
