"""What a test imports from ``claude_fakes``, and where the rest lives."""

from __future__ import annotations

import pytest

import claude_fakes
from claude_fakes import ClaudeFake, ServerScope, replies
from claude_fakes.core.assertions import Assertions


def test_the_top_level_is_what_a_test_imports() -> None:
    assert sorted(claude_fakes.__all__) == sorted([
        "__version__", "ClaudeFake", "Exchange", "FakeAlreadyActive", "FakeServer", "Finding", "Gateway", "Outcome",
        "RateLimits", "ScriptError", "ServerScope", "Step", "UnusedStepsError", "Verdict", "WouldHangForever",
        "faults", "replies",
    ])
    for name in ("Clock", "Speed", "LatencyModel", "REALISTIC", "GATEWAYS", "parse_script"):
        assert not hasattr(claude_fakes, name), name
    from claude_fakes.gateways import GATEWAYS
    from claude_fakes.latency import REALISTIC
    from claude_fakes.script import parse_script

    assert "cloudflare" in GATEWAYS and REALISTIC.speed("claude-opus-4-7").tps == 80 and parse_script("ok")


def test_the_in_process_fake_and_a_server_scope_share_one_assertion_api() -> None:
    assert issubclass(ClaudeFake, Assertions) and issubclass(ServerScope, Assertions)
    for name in ("assert_attempts", "assert_resilient", "assert_retry_after_honoured", "waits_between_attempts",
                 "verdict", "timeline", "journal", "attempts"):
        assert hasattr(ServerScope, name) and hasattr(ClaudeFake, name), name


def test_a_server_scope_refuses_replies_that_cannot_travel_as_text() -> None:
    scope = ServerScope("http://127.0.0.1:9", "unused")
    with pytest.raises(TypeError, match="cannot travel to a server"):
        scope.script(replies.tool_use("get_weather", {"city": "Paris"}) + replies.text("Then this."))
