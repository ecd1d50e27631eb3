"""core/catalogue.py: each fault's shaper, seen through a stub of what the API offers it.

tests/test_faults.py checks the catalogue against the builders, the README and the parser;
these check the shapers themselves, with no API behind them.
"""

from __future__ import annotations

import math
from typing import Any

import pytest

from claude_fakes.core import replies
from claude_fakes.core.catalogue import (
    FAULTS,
    MAX_PINGS,
    Args,
    Fault,
    chaos_choices,
    describe,
    reply_keys,
    signature,
)
from claude_fakes.core.plan import CUT, GARBAGE, REFUSE, RESET, TERMINAL, Head, Plan, Response, Send, Wait
from claude_fakes.core.replies import Reply
from claude_fakes.core.step import ScriptError, Step
from claude_fakes.wire.anthropic import ERROR_KINDS

HEAD = Head(200, (("content-type", "text/event-stream"),))
PING = Send(b"ping", 0)


class StubApi:
    """A Shaping whose response is three one-event pieces, and whose errors say what was asked."""

    def __init__(self, stream: bool) -> None:
        self.stream = stream
        self.errors: list[tuple[int, str, str | None]] = []
        self.around: list[tuple[Reply | None, Reply | None]] = []
        """Per response asked for, the action's own blocks before and after the step's content."""

    def response(self, *, split: bool = False, lead: Reply | None = None, tail: Reply | None = None) -> Response:
        self.around.append((lead, tail))
        return Response(0.0, HEAD, tuple((0.0, Send(b"e%d" % n, 1)) for n in range(3)))

    def status_error(self, status: int, error_type: str, args: Args, error_code: str | None = None) -> Plan:
        self.errors.append((status, error_type, error_code))
        return Plan.of(Head(status, ()), Send(b"error"))

    def error_event(self, error_type: str, message: str | None) -> Send:
        return Send(f"error:{error_type}".encode(), 1)

    def keepalive(self) -> Send:
        return PING

    def malformed(self, data: bytes) -> bytes:
        return b"bad:" + data

    def head(self, status: int, headers: tuple[tuple[str, str], ...]) -> Head:
        return Head(status, headers)


def example_args(fault: Fault) -> dict[str, Any]:
    """Values for a fault's required arguments."""
    values = {"after": 1, "seconds": 30.0, "code": 418, "name": "lookup"}
    return {param.name: values[param.name] for param in fault.params if param.required}


def shape(text: str, stream: bool = True, **params: Any) -> tuple[Plan, StubApi]:
    step = Step.make(text, **params)
    api = StubApi(stream)
    return step.fault.shape(api, step), api


SHAPED = [name for name in FAULTS if name != "chaos"]


@pytest.mark.parametrize("stream", [True, False], ids=["stream", "json"])
@pytest.mark.parametrize("name", SHAPED)
def test_every_fault_answers_ends_the_connection_or_hangs_forever(name: str, stream: bool) -> None:
    plan, _ = shape(name, stream, **example_args(FAULTS[name]))
    last = plan.actions[-1]
    assert plan.head is not None or last in TERMINAL or last == Wait(math.inf)


def test_ok_is_the_whole_response() -> None:
    assert shape("ok")[0] == StubApi(True).response().whole()


@pytest.mark.parametrize(("text", "params", "actions"), [
    ("hang", {}, (Wait(math.inf),)),
    ("hang", {"close_after": 5}, (Wait(5), CUT)),
    ("refuse", {}, (REFUSE,)),
    ("garbage", {}, (GARBAGE,)),
    ("reset", {}, (RESET,)),
    ("reset", {"after": 1}, (HEAD, Send(b"e0", 1), RESET)),
    ("drop", {"after": 2}, (HEAD, Send(b"e0", 1), Send(b"e1", 1), CUT)),
    ("truncate", {"after": 1}, (HEAD, Send(b"e0", 1))),
    ("malformed", {"after": 1}, (HEAD, Send(b"e0", 1), Send(b"bad:e1", 1), Send(b"e2", 1))),
    ("error_event", {"after": 1}, (HEAD, Send(b"e0", 1), Send(b"error:overloaded_error", 1))),
    ("stall", {"after": 1, "seconds": 10}, (HEAD, Send(b"e0", 1), Wait(10), Send(b"e1", 1), Send(b"e2", 1))),
    ("stall", {"after": 3, "seconds": 10, "ping_every": 4}, (HEAD, Send(b"e0", 1), Send(b"e1", 1), Send(b"e2", 1),
                                                              Wait(4), PING, Wait(4), PING, Wait(2))),
], ids=["hang", "hang-close-after", "refuse", "garbage", "reset", "reset-after", "drop", "truncate", "malformed",
        "error-event", "stall", "stall-kept-alive"])
def test_a_fault_shapes_its_plan(text: str, params: dict[str, Any], actions: tuple[Any, ...]) -> None:
    assert shape(text, **params)[0].actions == actions


def test_a_stall_without_a_stream_has_no_pings_to_keep_it_alive() -> None:
    plan, _ = shape("stall", stream=False, after=1, seconds=10, ping_every=4)
    assert PING not in plan.actions and Wait(10) in plan.actions


@pytest.mark.parametrize("name", [name for name, fault in FAULTS.items() if fault.error_type is not None])
def test_a_fixed_status_fault_asks_for_its_documented_status(name: str) -> None:
    _, api = shape(name, code="some_code")
    kind = ERROR_KINDS[FAULTS[name].error_type or ""]
    assert api.errors == [(kind.status, kind.type, "some_code")]


@pytest.mark.parametrize("name", ["thread_lost", "thread_expired"])
def test_a_thread_fault_is_the_apis_thread_not_found_and_drops_the_thread(name: str) -> None:
    assert shape(name)[1].errors == [(404, "not_found_error", "thread_not_found")]
    assert FAULTS[name].drops_thread and not FAULTS[name].chaos


def test_status_takes_its_type_from_the_status_unless_given() -> None:
    assert shape("status", code=503)[1].errors == [(503, "api_error", None)]
    assert shape("status", code=418, type="overloaded_error")[1].errors == [(418, "overloaded_error", None)]


@pytest.mark.parametrize(("name", "status", "error_type"), [("error_event", 529, "overloaded_error"),
                                                            ("model_stream_error", 424, "model_error")])
def test_an_in_stream_error_without_a_stream_is_the_status_it_stands_for(name: str, status: int,
                                                                         error_type: str) -> None:
    assert shape(name, stream=False)[1].errors == [(status, error_type, None)]


def test_a_proxy_error_is_its_page_not_json() -> None:
    plan, _ = shape("proxy_error", status=502, body="text")
    assert plan.head is not None and plan.head.status == 502 and plan.head.header("server") == "envoy"


@pytest.mark.parametrize(("params", "fragment"), [
    ({"after": 0, "seconds": "inf", "ping_every": 1}, "needs a finite seconds"),
    ({"after": 0, "seconds": MAX_PINGS * 2.0, "ping_every": 1}, f"more than {MAX_PINGS} pings"),
], ids=["endless", "too-many-pings"])
def test_a_stall_refuses_pings_it_could_not_hold(params: dict[str, Any], fragment: str) -> None:
    with pytest.raises(ScriptError, match=fragment):
        Step.make("stall", **params)


def test_chaos_picks_only_faults_that_need_at_most_after_and_seconds() -> None:
    for name in chaos_choices():
        required = {param.name for param in FAULTS[name].params if param.required}
        assert required <= {"after", "seconds"}, name
    assert "ok" not in chaos_choices() and "chaos" not in chaos_choices()


def test_chaos_itself_is_never_shaped() -> None:
    step = Step.make("chaos", drop=0.5)
    with pytest.raises(AssertionError, match="resolved"):
        step.fault.shape(StubApi(True), step)


def test_signatures_show_required_arguments_and_defaults() -> None:
    assert signature(FAULTS["drop"]) == "drop(after)"
    assert signature(FAULTS["hang"]) == "hang(close_after=none)"
    assert signature(FAULTS["refuse"]) == "refuse"
    assert describe()["drop"] == "drop(after) [+ thinking=, text=, tool=, input=]: " + FAULTS["drop"].summary
    assert describe()["refuse"] == "refuse: " + FAULTS["refuse"].summary


@pytest.mark.parametrize(("action", "words"), [
    ("ok", ("thinking", "text", "tool", "input")),
    ("tool_use", ("thinking", "text")),            # its tool is its own name= and input=
    ("server_tool_error", ("thinking", "text")),   # tool= names its server tool
    ("overloaded", ()),
])
def test_reply_keys_are_the_words_an_action_takes_for_its_reply(action: str, words: tuple[str, ...]) -> None:
    assert reply_keys(FAULTS[action]) == words


def test_a_platform_fault_serves_only_its_platforms() -> None:
    assert FAULTS["throttling"].serves("bedrock") and not FAULTS["throttling"].serves("anthropic")
    assert FAULTS["drop"].serves("vertex")


@pytest.mark.parametrize(("text", "params", "around"), [
    ("pause_turn", {}, (None, replies.pause_turn("web_search"))),
    ("pause_turn", {"tool": "code_execution"}, (None, replies.pause_turn("code_execution"))),
    ("refusal", {"category": "cyber", "explanation": "no"}, (None, replies.refusal("cyber", "no"))),
    ("refusal", {}, (None, replies.refusal())),
    ("context_window_exceeded", {}, (None, replies.context_window_exceeded())),
    ("model_context_window_exceeded", {}, (None, replies.context_window_exceeded())),
    ("server_tool_error", {"tool": "web_fetch", "code": "url_not_allowed"},
     (replies.server_tool_error("web_fetch", "url_not_allowed"), None)),
    ("compaction", {"summary": "so far", "pause": False}, (replies.compaction("so far", pause=False), None)),
], ids=["pause-turn", "pause-turn-code", "refusal", "refusal-bare", "context", "context-api-name", "server-tool-error",
        "compaction"])
def test_a_stop_action_is_the_whole_reply_with_its_own_blocks(text: str, params: dict[str, Any],
                                                                around: tuple[Reply | None, Reply | None]) -> None:
    plan, api = shape(text, **params)
    assert plan == StubApi(True).response().whole()
    assert api.around == [around]


def test_a_server_tool_error_takes_only_its_tools_codes() -> None:
    with pytest.raises(ScriptError, match="server_tool_error\\(tool=code_execution\\) has no code 'url_too_long'"):
        Step.make("server_tool_error", tool="code_execution", code="url_too_long")
    with pytest.raises(ScriptError, match="takes one of"):
        Step.make("server_tool_error", code="no_such_code")


def test_stop_actions_are_not_chaos_faults() -> None:
    stops = {"pause_turn", "refusal", "context_window_exceeded", "server_tool_error", "compaction"}
    assert not stops & set(chaos_choices())
    assert all(FAULTS[name].takes_reply and not FAULTS[name].spoils_reply for name in stops)
