"""core/latency.py: reply pacing by model family."""

from __future__ import annotations

import pytest

from claude_fakes.core.latency import REALISTIC, LatencyModel, Speed, filler_text, latency_model
from claude_fakes.core.messages import split_tokens


def test_generation_time_is_the_first_token_at_ttft_then_one_per_tps() -> None:
    speed = Speed(ttft=2.0, tps=80.0)
    assert speed.generation_time(8192) == pytest.approx(2 + 8191 / 80)
    assert speed.generation_time(0) == 2.0


@pytest.mark.parametrize(("model", "ttft"), [("claude-opus-4-7", 2.0), ("claude-haiku-4-5", 0.5),
                                             ("claude-sonnet-4-6", 1.0), ("mystery", 1.0)],
                         ids=["opus", "haiku", "sonnet", "unknown-is-the-default"])
def test_realistic_speed_by_family_substring(model: str, ttft: float) -> None:
    assert REALISTIC.speed(model).ttft == ttft


def test_the_first_family_that_matches_wins() -> None:
    model = LatencyModel(families={"a": Speed(1, 1), "ab": Speed(2, 2)})
    assert model.speed("xab").ttft == 1


def test_latency_model_by_name() -> None:
    assert latency_model("realistic") is REALISTIC
    assert latency_model("none") is None and latency_model(None) is None
    custom = LatencyModel()
    assert latency_model(custom) is custom
    with pytest.raises(ValueError, match="known: none, realistic"):
        latency_model("fast")


@pytest.mark.parametrize("tokens", [0, 1, 9, 25, 128_000])
def test_filler_text_is_exactly_that_many_tokens(tokens: int) -> None:
    assert len(split_tokens(filler_text(tokens))) == tokens
    assert filler_text(tokens) == filler_text(tokens)
    assert filler_text(tokens).startswith(filler_text(min(tokens, 10))), "the same words, in the same order"
