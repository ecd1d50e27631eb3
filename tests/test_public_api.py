"""What a test imports from ``claude_fakes``, and where the rest lives."""

from __future__ import annotations

import importlib
import pickle

import pytest

import claude_fakes
from claude_fakes import ClaudeFake, ServerScope, replies
from claude_fakes.core.assertions import Assertions
from claude_fakes.engine.engine import Engine


def test_the_top_level_is_what_a_test_imports() -> None:
    assert sorted(claude_fakes.__all__) == sorted([
        "__version__", "ClaudeFake", "Exchange", "FakeAlreadyActive", "FakeServer", "Finding", "Gateway",
        "NetworkRefused", "Outcome", "RateLimits", "ScriptError", "ServerScope", "Step", "UnusedStepsError",
        "Verdict", "WouldHangForever", "faults", "replies",
    ])
    for name in ("Clock", "Speed", "LatencyModel", "REALISTIC", "GATEWAYS", "parse_script"):
        assert not hasattr(claude_fakes, name), name
    from claude_fakes.gateways import GATEWAYS
    from claude_fakes.latency import REALISTIC
    from claude_fakes.script import parse_script

    assert "cloudflare" in GATEWAYS and REALISTIC.speed("claude-opus-4-7").tps == 80 and parse_script("ok")


@pytest.mark.parametrize("name", ["FakeAlreadyActive", "NetworkRefused", "ScriptError", "UnusedStepsError",
                                  "WouldHangForever"])
def test_an_exception_is_named_as_a_test_imports_it(name: str) -> None:
    error_class = getattr(claude_fakes, name)
    error = error_class("what went wrong")

    assert f"{error_class.__module__}.{error_class.__qualname__}" == f"claude_fakes.{name}"
    copy = pickle.loads(pickle.dumps(error))
    assert type(copy) is error_class and str(copy) == str(error)


def test_the_in_process_fake_and_a_server_scope_share_one_assertion_api() -> None:
    assert issubclass(ClaudeFake, Assertions) and issubclass(ServerScope, Assertions)
    for name in ("assert_attempts", "assert_resilient", "assert_retry_after_honoured", "waits_between_attempts",
                 "verdict", "timeline", "journal", "attempts"):
        assert hasattr(ServerScope, name) and hasattr(ClaudeFake, name), name


def test_a_server_scope_refuses_replies_that_cannot_travel_as_text() -> None:
    scope = ServerScope("http://127.0.0.1:9", "unused")
    with pytest.raises(TypeError, match="cannot travel to a server"):
        scope.script(replies.tool_use("get_weather", {"city": "Paris"}) + replies.text("Then this."))


PUBLIC_MODULES = {
    "claude_fakes.faults": "drop", "claude_fakes.replies": "tool_use", "claude_fakes.latency": "REALISTIC",
    "claude_fakes.gateways": "GATEWAYS", "claude_fakes.script": "parse_turns", "claude_fakes.server": "FakeServer",
    "claude_fakes.server.client": "ServerScope", "claude_fakes.explore": "Space",
    "claude_fakes.strategies": "scripts", "claude_fakes.clock": "Clock",
}
"""Each public module, with one name a test imports from it today."""


@pytest.mark.parametrize("module", sorted(PUBLIC_MODULES))
def test_each_public_module_keeps_its_names(module: str) -> None:
    imported = importlib.import_module(module)
    assert PUBLIC_MODULES[module] in imported.__all__
    missing = [name for name in imported.__all__ if not hasattr(imported, name)]
    assert missing == [], f"{module}.__all__ names what it does not have"


def test_the_users_fake_wraps_an_engine_and_shows_no_executor_interface() -> None:
    fake = ClaudeFake("overloaded, ok")
    assert not isinstance(fake, Engine)
    for name in ("begin", "finish", "error"):
        assert not hasattr(fake, name), name
    assert fake.unused_steps() == ["overloaded (step 1 of script 1, used 0 of 1)",
                                   "ok (step 2 of script 1, used 0 of 1)"]
