"""Proxy variables read once per environment: a client built under a fake gets the proxies urllib
would give it, and the environment is read again whenever it changes."""

from __future__ import annotations

import os
import sys
import urllib.request
from contextlib import ExitStack

import anthropic
import pytest

from claude_fakes import ClaudeFake
from claude_fakes.activation import proxies

LOOKUPS = [sys.modules[name] for name in proxies._LOOKUPS if name in sys.modules]


def test_the_sdks_lookup_and_its_http_librarys_are_answered_while_a_fake_is_active() -> None:
    assert {module.__name__ for module in LOOKUPS} >= {"anthropic._utils._httpx"}
    with ClaudeFake():
        assert all(module.getproxies is not urllib.request.getproxies for module in LOOKUPS)
    assert all(module.getproxies is urllib.request.getproxies for module in LOOKUPS), "restored when it stops"


def test_the_answer_is_urllibs_for_the_environment_as_it_is_now(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("HTTPS_PROXY", "http://proxy.example:3128")
    monkeypatch.setenv("NO_PROXY", "internal.example")
    with ExitStack() as stack:
        proxies.remember_proxy_variables(stack)
        lookup = sys.modules["anthropic._utils._httpx"].getproxies
        assert lookup() == urllib.request.getproxies_environment()
        assert lookup()["https"] == "http://proxy.example:3128"
        monkeypatch.setenv("HTTPS_PROXY", "http://other.example:8080")
        assert lookup()["https"] == "http://other.example:8080", "a changed variable is read again"
        monkeypatch.delenv("HTTPS_PROXY")
        assert "https" not in lookup()
        os.environ["https_proxy"] = "http://lower.example:1"  # urllib reads either spelling
        try:
            assert lookup()["https"] == "http://lower.example:1"
        finally:
            del os.environ["https_proxy"]
        lookup()["https"] = "http://changed-by-a-caller.example"
        assert "https" not in lookup(), "an answer a caller changes is its own copy"


def test_a_client_built_under_a_fake_gets_the_proxy_the_environment_names(monkeypatch: pytest.MonkeyPatch) -> None:
    with ClaudeFake():
        anthropic.Anthropic()
        assert anthropic._utils._httpx.get_environment_proxies() == {}
        monkeypatch.setenv("HTTPS_PROXY", "http://proxy.example:3128")
        assert anthropic._utils._httpx.get_environment_proxies() == {"https://": "http://proxy.example:3128"}
        client = anthropic.Anthropic()
        proxied = [str(pattern.pattern) for pattern in client._client._mounts]
        assert "https://" in proxied
        monkeypatch.delenv("HTTPS_PROXY")
        assert anthropic._utils._httpx.get_environment_proxies() == {}


def test_nothing_is_remembered_where_urllib_reads_more_than_the_environment(monkeypatch: pytest.MonkeyPatch) -> None:
    """On macOS and Windows ``getproxies`` is not ``getproxies_environment``: it also asks the system."""
    monkeypatch.setattr(urllib.request, "getproxies", lambda: {})
    before = [module.getproxies for module in LOOKUPS]
    with ExitStack() as stack:
        proxies.remember_proxy_variables(stack)
        assert [module.getproxies for module in LOOKUPS] == before
