"""executors/server/scopes.py and admin.py: scopes picked by header or path, header scripts, and the admin
API, without sockets."""

from __future__ import annotations

import json
from dataclasses import replace
from typing import Any

import pytest

from claude_fakes.core.journal import (
    TRUNCATED,
    JournalBounds,
    Outcome,
    SentBody,
    exchange_from_json,
    exchange_json,
)
from claude_fakes.core.request import Incoming
from claude_fakes.executors.server import admin as admin_api
from claude_fakes.executors.server import scopes as scopes_module
from claude_fakes.executors.server.scopes import SCOPE_HEADER, SCRIPT_HEADER, Scopes

API_HEADERS = {"x-api-key": "k", "anthropic-version": "2023-06-01"}


def attempt(text: str = "hi", path: str = "/v1/messages", **headers: str) -> Incoming:
    body = {"model": "claude-sonnet-4-6", "max_tokens": 20, "messages": [{"role": "user", "content": text}]}
    return Incoming("POST", path, {}, {**API_HEADERS, **headers}, json.dumps(body).encode())


def admin(scopes: Scopes, method: str, action: str, body: bytes = b"", query: dict[str, str] | None = None,
          headers: dict[str, str] | None = None) -> tuple[int, Any]:
    """An admin call's status and parsed JSON body."""
    __tracebackhide__ = True
    status, answer_headers, payload = admin_api.admin(scopes, Incoming(method, f"/_claude_fakes/{action}",
                                                                       query or {}, headers or {}, body))
    data = payload if isinstance(payload, bytes) else b"".join(payload)
    content_type = dict(answer_headers)["content-type"]
    return status, json.loads(data) if content_type.startswith("application/json") else data.decode()


def status_of(scopes: Scopes, incoming: Incoming) -> int | None:
    """Serve a request's head and return its status (the plan is not walked further)."""
    _, run = scopes.begin(incoming)
    run.next()
    return run.exchange.status


def test_requests_pick_their_scope_by_header_or_path_prefix() -> None:
    scopes = Scopes()
    a, routed = scopes.route(attempt(**{SCOPE_HEADER: "a"}))
    b, prefixed = scopes.route(attempt(path="/_claude_fakes/scopes/b%20c/v1/messages"))
    default, _ = scopes.route(attempt())
    assert (a.name, b.name, default.name) == ("a", "b c", "default")
    assert (routed.path, prefixed.path) == ("/v1/messages", "/v1/messages")
    assert scopes.get("a") is a, "a scope is made once"


def test_each_scope_has_its_own_engine_script_and_journal() -> None:
    scopes = Scopes()
    assert admin(scopes, "POST", "script", b"overloaded", headers={SCOPE_HEADER: "a"})[0] == 200
    assert status_of(scopes, attempt(**{SCOPE_HEADER: "a"})) == 529
    assert status_of(scopes, attempt(**{SCOPE_HEADER: "b"})) == 200
    assert scopes.get("a").engine.attempts == 1 and scopes.get("b").engine.attempts == 1


def test_the_servers_script_is_every_new_scopes() -> None:
    scopes = Scopes("api_error*inf")
    assert status_of(scopes, attempt(**{SCOPE_HEADER: "x"})) == 500
    assert status_of(scopes, attempt(**{SCOPE_HEADER: "y"})) == 500


def test_admin_sets_a_script_as_json_or_text_and_answers_with_its_turns() -> None:
    scopes = Scopes()
    status, answer = admin(scopes, "POST", "script", b'{"script": "overloaded*2; ok"}',
                           query={"scope": "s"}, headers={"content-type": "application/json"})
    assert status == 200 and answer == {"scope": "s", "route": None, "turns": [["overloaded*2"], ["ok"]]}
    assert admin(scopes, "POST", "script", b"drop(after=1)")[1]["turns"] == [["drop(after=1)"]]


def test_admin_reports_a_bad_script_as_a_400_with_the_position() -> None:
    scopes = Scopes()
    status, answer = admin(scopes, "POST", "script", b"ok, dorp")
    assert status == 400 and "did you mean 'drop'?" in answer["error"]["message"]
    assert "(position 4)" in answer["error"]["message"]
    assert scopes.get("default").engine.unused_steps() == []


def test_admin_journal_lists_exchanges_unused_steps_and_findings() -> None:
    scopes = Scopes()
    admin(scopes, "POST", "script", b"overloaded, api_error")
    _, run = scopes.begin(attempt())
    run.next()
    run.next()
    run.end(run.next().then)
    status, journal = admin(scopes, "GET", "journal")
    assert status == 200 and journal["attempts"] == 1
    (exchange,) = journal["exchanges"]
    assert (exchange["step"], exchange["status"], exchange["outcome"]) == ("overloaded", 529, Outcome.COMPLETE)
    assert exchange["headers"]["x-api-key"] == "[redacted]"
    assert journal["unused_steps"] == ["api_error (step 2 of script 1, used 0 of 1)"] and journal["findings"] == []


def test_admin_routes_take_a_json_match_and_scripts_address_them_by_name() -> None:
    scopes = Scopes()
    status, answer = admin(scopes, "POST", "routes", b'{"model": "claude-haiku-4-5"}')
    assert status == 200 and answer["route"].startswith("route 1 (")
    assert admin(scopes, "POST", "script", b"overloaded", query={"route": answer["route"]})[0] == 200
    assert admin(scopes, "POST", "script", b"overloaded", query={"route": "route 9"})[0] == 400
    assert status_of(scopes, attempt()) == 200, "another model: the scope's own script"


@pytest.mark.parametrize("body", [b"not json", b"[]", b"{}", b'{"colour": "red"}', b'{"stream": "yes"}'],
                         ids=["not-json", "not-an-object", "empty", "unknown-key", "wrong-type"])
def test_admin_refuses_a_route_match_it_cannot_use(body: bytes) -> None:
    assert admin(Scopes(), "POST", "routes", body)[0] == 400


def test_admin_reset_of_one_scope_or_all() -> None:
    scopes = Scopes()
    scopes.get("a")
    scopes.get("b")
    assert admin(scopes, "POST", "reset", query={"scope": "a"})[1] == {"reset": "a"}
    assert admin(scopes, "GET", "health")[1] == {
        "status": "ok", "scopes": ["b"], "bounds": {"scopes": 1000, "exchanges_per_scope": 1000, "body_bytes": 65536},
        "evicted_scopes": 0, "evicted_exchanges": 0, "truncated_bodies": 0}
    assert admin(scopes, "POST", "reset")[1] == {"reset": "all"}
    assert admin(scopes, "GET", "health")[1]["scopes"] == []


def test_an_unknown_admin_endpoint_is_a_404_listing_the_known_ones() -> None:
    status, answer = admin(Scopes(), "GET", "script")
    assert status == 404 and answer["error"]["message"] == (
        "no admin endpoint GET /_claude_fakes/script; known: GET health, POST script, POST routes, GET journal, "
        "GET timeline, POST reset")


def test_the_timeline_is_text() -> None:
    status, text = admin(Scopes(), "GET", "timeline")
    assert status == 200 and text.startswith("claude_fakes timeline: 0 attempt(s)") and "real" in text


def test_a_header_script_gives_step_k_to_retry_count_k() -> None:
    scopes = Scopes("api_error*inf")
    statuses = [status_of(scopes, attempt(**{SCRIPT_HEADER: "overloaded, rate_limited",
                                             "x-stainless-retry-count": str(k)})) for k in (1, 0, 2)]
    assert statuses == [429, 529, 200], "keyed by the retry count, not by arrival; ok past the script"
    assert scopes.get("default").engine.unused_steps() == ["api_error*inf (step 1 of script 1, used 0 of inf)"]


def test_a_header_script_without_retry_counts_counts_attempts_per_call() -> None:
    scopes = Scopes()
    header = {SCRIPT_HEADER: "overloaded*2"}
    statuses = [status_of(scopes, attempt(text, **header)) for text in ("a", "a", "b", "a")]
    assert statuses == [529, 529, 529, 200], "the call with other messages starts its own count"


def test_a_header_turn_script_gives_each_turn_its_steps() -> None:
    scopes = Scopes()
    header = {SCRIPT_HEADER: "overloaded; api_error", "x-stainless-retry-count": "0"}
    assert [status_of(scopes, attempt(text, **header)) for text in ("one", "two", "three")] == [529, 500, 200]


def test_a_bad_header_script_is_a_400_journalled_with_no_step() -> None:
    scopes = Scopes()
    _, run = scopes.begin(attempt(**{SCRIPT_HEADER: "dorp"}))
    run.next()
    assert run.exchange.status == 400 and run.exchange.step is None


def test_the_sdks_timeout_headers_become_the_journals_timeouts() -> None:
    scopes = Scopes()
    _, run = scopes.begin(attempt(**{"x-stainless-read-timeout": "60", "x-stainless-timeout": "nope"}))
    assert run.exchange.timeout == {"read": 60.0}


def test_an_exchange_survives_the_journals_json() -> None:
    scopes = Scopes()
    _, run = scopes.begin(attempt(**{SCRIPT_HEADER: "drop(after=2)", "x-stainless-retry-count": "0"}))
    run.next()
    exchange = run.exchange
    # A server keeps a body as it was sent; its journal's JSON carries the body read as JSON.
    assert isinstance(exchange.json, SentBody)
    assert exchange_from_json(json.loads(json.dumps(exchange_json(exchange)))) == replace(exchange,
                                                                                        json=exchange.json.json)


def test_past_max_scopes_the_least_recently_used_scope_is_evicted_and_health_counts_it() -> None:
    scopes = Scopes(max_scopes=2)
    for name in ("a", "b", "a", "c"):
        scopes.begin(attempt(**{SCOPE_HEADER: name}))
    health = admin(scopes, "GET", "health")[1]
    assert health["scopes"] == ["a", "c"] and health["evicted_scopes"] == 1, "b was the least recently used"
    assert health["bounds"]["scopes"] == 2


def test_a_scopes_journal_is_bounded_and_its_counts_are_in_the_journal_and_in_health() -> None:
    scopes = Scopes(journal=JournalBounds(exchanges=2, body_bytes=200))
    for text in ("one", "two", "x" * 300):
        scopes.begin(attempt(text))
    state = admin(scopes, "GET", "journal")[1]
    assert [exchange["attempt"] for exchange in state["exchanges"]] == [2, 3]
    assert (state["evicted"], state["truncated"], state["attempts"]) == (1, 1, 3)
    assert state["exchanges"][1]["json"][TRUNCATED]["bytes"] > 200
    admin(scopes, "POST", "reset")
    health = admin(scopes, "GET", "health")[1]
    assert (health["evicted_exchanges"], health["truncated_bodies"]) == (1, 1), "counted since the server started"


def test_a_scope_follows_its_most_recent_script_headers(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setattr(scopes_module, "MAX_CALL_SCRIPTS", 2)
    scopes = Scopes()
    for script in ("overloaded", "api_error", "overloaded", "hang"):
        scopes.begin(attempt(**{SCRIPT_HEADER: script}))
    assert list(scopes.get("default").call_scripts) == ["overloaded", "hang"]


@pytest.mark.parametrize("value", [0, -1, 1.5, "8"])
def test_max_scopes_takes_a_whole_number_from_1(value: Any) -> None:
    with pytest.raises(ValueError, match="max_scopes"):
        Scopes(max_scopes=value)
