"""core/planner.py: requests in, plans out: routing, validation, and each endpoint's reply."""

from __future__ import annotations

import json
from typing import Any

import pytest

from claude_fakes.core.latency import REALISTIC
from claude_fakes.core.plan import CUT, END, REFUSE, Body, Cursor, Head, Plan, Send, Wait
from claude_fakes.core.planner import Api, ApiMemo
from claude_fakes.core.request import Incoming
from claude_fakes.core.script import parse_script
from claude_fakes.core.step import OK, Step

HEADERS = {"x-api-key": "k", "anthropic-version": "2023-06-01"}
MODEL = "claude-sonnet-4-6"


def message_request(stream: bool = False, headers: dict[str, str] | None = None, **fields: Any) -> Incoming:
    body = {"model": MODEL, "max_tokens": 100, "messages": [{"role": "user", "content": "hi"}], "stream": stream,
            **fields}
    return Incoming("POST", "/v1/messages", {}, headers or HEADERS, json.dumps(body).encode())


def plan_for(script: str, stream: bool = True) -> Plan:
    (step,) = parse_script(script)
    return Api().respond(message_request(stream), step, now=0)


def sent(plan: Plan) -> bytes:
    return b"".join(action.data for action in plan.actions if isinstance(action, Send))


def error_of(plan: Plan | None) -> tuple[int, str, str]:
    """The status, error type and message of an error plan."""
    __tracebackhide__ = True
    assert plan is not None and plan.head is not None, "an error reply"
    body = json.loads(sent(plan))
    assert body["type"] == "error"
    return plan.head.status, body["error"]["type"], body["error"]["message"]


def sse_names(data: bytes) -> list[str]:
    return [block.split("\n", 1)[0].removeprefix("event: ") for block in data.decode().split("\n\n") if block]


@pytest.mark.parametrize(
    ("method", "path", "headers", "body", "status", "error_type"),
    [
        ("POST", "/v1/messages", HEADERS, b"{not json", 400, "invalid_request_error"),
        ("POST", "/v1/messages", HEADERS, b"[1, 2]", 400, "invalid_request_error"),
        ("POST", "/v1/messages", HEADERS, b'{"model": "m", "messages": []}', 400, "invalid_request_error"),
        ("POST", "/v1/messages", {"anthropic-version": "x"}, b"{}", 401, "authentication_error"),
        ("POST", "/v1/messages", {"x-api-key": "k"}, b"{}", 400, "invalid_request_error"),
        ("GET", "/v1/messages", HEADERS, b"", 405, "invalid_request_error"),
        ("POST", "/v1/models", HEADERS, b"{}", 405, "invalid_request_error"),
        ("POST", "/v2/everything", HEADERS, b"{}", 404, "not_found_error"),
        ("GET", "/v1/models/a/b", HEADERS, b"", 404, "not_found_error"),
    ],
    ids=["bad-json", "json-not-an-object", "missing-max-tokens", "no-api-key", "no-version", "get-messages",
         "post-models", "unknown-path", "too-deep-models-path"],
)
def test_a_request_the_api_will_not_serve_gets_its_error(
    method: str, path: str, headers: dict[str, str], body: bytes, status: int, error_type: str
) -> None:
    assert error_of(Api().reject(Incoming(method, path, {}, headers, body), now=0))[:2] == (status, error_type)


def test_a_404_says_what_the_api_says_and_the_note_what_the_fake_answers() -> None:
    notes: list[str] = []
    message = error_of(Api().reject(Incoming("POST", "/v1/complete", {}, HEADERS, b"{}"), now=0, notes=notes))[2]
    assert message == "Not Found", "no route list and nothing model-like: clients classify this text"
    assert len(notes) == 1 and "GET /v1/models" in notes[0]


def test_what_the_fake_does_not_know_is_a_note_or_under_api_strict_the_apis_error() -> None:
    notes: list[str] = []
    assert Api().reject(message_request(model="claude-foo"), now=0, notes=notes) is None
    assert notes == ["unknown model 'claude-foo'"]
    strict = Api(api_strict=True).reject(message_request(model="claude-foo"), now=0)
    assert error_of(strict) == (404, "not_found_error", "model: claude-foo")


@pytest.mark.parametrize("request_", [
    message_request(),
    Incoming("GET", "/v1/models", {"limit": "5"}, HEADERS),
    Incoming("GET", "/v1/models/claude-opus-4-7", {}, HEADERS),
    Incoming("POST", "/v1/messages/count_tokens", {}, HEADERS,
             b'{"model": "m", "messages": [{"role": "user", "content": "x"}]}'),
], ids=["messages", "models", "one-model", "count-tokens"])
def test_a_well_formed_request_is_not_rejected(request_: Incoming) -> None:
    assert Api().reject(request_, now=0) is None


@pytest.mark.parametrize("value", ["", "x", "-1", "1.5", "99999999999"],
                         ids=["empty", "word", "negative", "fraction", "ten-digits"])
def test_a_retry_count_header_that_is_no_whole_number_is_refused(value: str) -> None:
    request = message_request(headers={**HEADERS, "x-stainless-retry-count": value})
    assert request.retry_count is None
    status, error_type, message = error_of(Api().reject(request, now=0))
    assert (status, error_type) == (400, "invalid_request_error") and "x-stainless-retry-count" in message


@pytest.mark.parametrize(("fields", "fragment"), [
    ({"max_tokens": 0}, "max_tokens: Input should be a valid integer"),
    ({"max_tokens": 10**9}, "maximum allowed number of output tokens"),
    ({"stream": "yes"}, "stream: Input should be a valid boolean"),
    ({"messages": [{"content": "x"}]}, "messages.0.role: Field required"),
    ({"messages": [{"role": "user"}]}, "messages.0.content: Field required"),
], ids=["zero-max-tokens", "max-tokens-over-limit", "stream-not-bool", "no-role", "missing-content"])
def test_an_invalid_body_is_a_400_naming_the_field(fields: dict[str, Any], fragment: str) -> None:
    assert fragment in error_of(Api().reject(message_request(**fields), now=0))[2]


def test_validate_false_lets_max_tokens_past_the_models_limit() -> None:
    assert Api(validate=False).reject(message_request(max_tokens=10**9), now=0) is None


def test_a_paced_reply_fills_max_tokens_but_never_more_than_any_model_writes() -> None:
    notes: list[str] = []
    request = message_request(stream=False, max_tokens=3_000_000)
    plan = Api(latency=REALISTIC, validate=False).respond(request, OK, now=0, notes=notes)
    message = json.loads(sent(plan))
    assert message["usage"]["output_tokens"] == 128_000 and message["stop_reason"] == "end_turn"
    assert notes == ["max_tokens 3000000 is more than any model writes: the reply fills 128000 tokens"]
    assert plan.actions[0] == Wait(REALISTIC.speed(MODEL).generation_time(128_000))


def test_a_long_stream_is_planned_as_one_body_made_as_it_is_sent() -> None:
    plan = Api(latency=REALISTIC, validate=False).respond(message_request(stream=True, max_tokens=10**8), OK, now=0)
    head, body = plan.actions
    assert isinstance(head, Head) and isinstance(body, Body) and body.silent
    assert body.stop - body.start == 3 + 128_000 // 8 + 3 and body.events == body.stop - body.start - 1
    cursor = Cursor(plan, None)
    cursor.next()
    start = cursor.next()  # message_start, content_block_start and a ping, at once
    assert start.wait == 0 and start.then == Send(b"".join(body.pieces.make(n).data for n in range(3)), 2)
    first, second = cursor.next(), cursor.next()
    speed = REALISTIC.speed(MODEL)
    assert (first.wait, second.wait) == (speed.ttft + 7 / speed.tps, 8 / speed.tps)


def test_a_long_json_body_is_cut_by_a_fault_at_the_same_fraction_as_its_stream() -> None:
    request = message_request(max_tokens=64_000)
    full = sent(Api(latency=REALISTIC).respond(request, OK, now=0))
    (step,) = parse_script("truncate(after=1000)")
    plan = Api(latency=REALISTIC).respond(request, step, now=0)
    cursor, body = Cursor(plan, None), b""
    for _ in range(2_000):  # bounded: one step per piece
        then = cursor.next().then
        if then is END:
            break
        body += then.data if isinstance(then, Send) else b""
    parts = 3 + 64_000 // 8 + 3  # the stream's counted events
    assert body == full[:1000 * -(-len(full) // parts)]


def test_a_models_limit_query_out_of_range_is_refused() -> None:
    assert error_of(Api().reject(Incoming("GET", "/v1/models", {"limit": "0"}, HEADERS), now=0))[0] == 400


def test_ok_streams_the_documented_events_one_send_each() -> None:
    plan = Api().respond(message_request(stream=True), None, now=0)
    assert plan.head is not None and plan.head.status == 200
    assert (plan.head.header("content-type") or "").startswith("text/event-stream")
    names = sse_names(sent(plan))
    assert names[:3] == ["message_start", "content_block_start", "ping"]
    assert names[-3:] == ["content_block_stop", "message_delta", "message_stop"]
    assert set(names[3:-3]) == {"content_block_delta"}
    sends = [action for action in plan.actions if isinstance(action, Send)]
    assert [send.events for send in sends] == [0 if name == "ping" else 1 for name in names], "a ping is not counted"


def test_ok_without_stream_is_one_json_message_with_a_request_id() -> None:
    plan = Api().respond(message_request(), OK, now=0)
    assert plan.head is not None and plan.head.header("content-type") == "application/json"
    assert (plan.head.header("request-id") or "").startswith("req_")
    message = json.loads(sent(plan))
    assert message["type"] == "message" and message["model"] == MODEL and message["stop_reason"] == "end_turn"


def test_overloaded_is_a_529_with_the_apis_body() -> None:
    plan = plan_for("overloaded", stream=True)
    assert error_of(plan)[:2] == (529, "overloaded_error")
    assert plan.head is not None and plan.head.header("retry-after") is None


def test_drop_plan_sends_k_counted_events_then_cuts() -> None:
    plan = plan_for("drop(after=3)")
    assert isinstance(plan.actions[0], Head) and plan.actions[-1] is CUT
    assert sse_names(sent(plan)) == ["message_start", "content_block_start", "ping", "content_block_delta"]
    assert sum(a.events for a in plan.actions if isinstance(a, Send)) == 3


def test_refuse_is_no_response_at_all() -> None:
    assert plan_for("refuse").actions == (REFUSE,)


def test_error_statuses_carry_retry_headers() -> None:
    head = plan_for("rate_limited(retry_after=1.5, retry_after_ms=1500, should_retry=true)").head
    assert head is not None and head.status == 429
    assert (head.header("retry-after"), head.header("retry-after-ms"), head.header("x-should-retry")) == (
        "1.5", "1500", "true")
    assert (head.header("request-id") or "").startswith("req_")


def test_non_streaming_faults_apply_to_the_json_body() -> None:
    body = sent(plan_for("truncate(after=1)", stream=False))
    full = sent(plan_for("ok", stream=False))
    assert 0 < len(body) < len(full) and full.startswith(body)
    assert plan_for("error_event", stream=False).head.status == 529  # type: ignore[union-attr]
    assert isinstance(plan_for("slow(ttft=5, tps=2)", stream=False).actions[0], Wait)


def test_count_tokens_estimates_the_input() -> None:
    request = Incoming("POST", "/v1/messages/count_tokens", {}, HEADERS,
                       json.dumps({"model": "m", "messages": [{"role": "user", "content": "x" * 400}]}).encode())
    assert json.loads(sent(Api().respond(request, None, now=0))) == {"input_tokens": 101}


def test_models_list_a_page_and_one_model_by_id() -> None:
    page = json.loads(sent(Api().respond(Incoming("GET", "/v1/models", {"limit": "2"}, HEADERS), None, now=0)))
    assert len(page["data"]) == 2 and page["has_more"] is True
    one = json.loads(sent(Api().respond(Incoming("GET", "/v1/models/claude-haiku-4-5", {}, HEADERS), None, now=0)))
    assert one["id"] == "claude-haiku-4-5-20251001", "an alias answers with the model it names"
    missing = Api().respond(Incoming("GET", "/v1/models/claude-nope", {}, HEADERS), None, now=0)
    assert error_of(missing)[:2] == (404, "not_found_error")


def test_a_step_on_a_request_that_is_no_attempt_is_ignored() -> None:
    request = Incoming("GET", "/v1/models", {}, HEADERS)
    assert Api().respond(request, Step.make("refuse"), now=0).head is not None


def test_the_same_seed_gives_the_same_bytes_and_another_seed_other_ids() -> None:
    first, again, other = (sent(Api(seed).respond(message_request(), None, now=0)) for seed in (1, 1, 2))
    assert first == again and first != other


def test_a_tool_the_request_does_not_offer_is_noted() -> None:
    notes: list[str] = []
    (step,) = parse_script("ok(tool=lookup)")
    message = json.loads(sent(Api().respond(message_request(), step, now=0, notes=notes)))
    assert message["content"][0]["input"] == {}
    assert notes == ["tool 'lookup' is not among the request's tools: input {}"]


def test_over_quota_is_a_429_with_the_seconds_until_the_window_reopens() -> None:
    from claude_fakes.core.quota import RateLimits

    api = Api(rate_limits=RateLimits(requests_per_minute=1))
    assert api.over_quota(10.0) is None
    plan = api.over_quota(25.0)
    assert error_of(plan)[:2] == (429, "rate_limit_error")
    assert plan is not None and plan.head is not None and plan.head.header("retry-after") == "45"


TOOLS = [{"name": "lookup", "input_schema": {"type": "object", "properties": {"q": {"type": "string"}}}}]


@pytest.mark.parametrize("choice", [{"type": "tool", "name": "lookup"}, {"type": "any"}], ids=["tool", "any"])
def test_text_for_a_forced_tool_is_followed_by_the_call_and_noted(choice: dict[str, Any]) -> None:
    notes: list[str] = []
    (step,) = parse_script("ok(text=Sure)")
    request = message_request(tools=TOOLS, tool_choice=choice)
    message = json.loads(sent(Api().respond(request, step, now=0, notes=notes)))
    assert [block["type"] for block in message["content"]] == ["text", "tool_use"]
    assert message["content"][1]["name"] == "lookup" and message["stop_reason"] == "tool_use"
    assert notes == ["tool_choice forces 'lookup': the reply calls it after the script's content (the API sends "
                     "no text before a forced call)"]


def test_a_reply_that_calls_a_tool_is_left_alone_under_a_forced_choice() -> None:
    notes: list[str] = []
    (step,) = parse_script("ok(text=Sure, tool=lookup)")
    request = message_request(tools=TOOLS, tool_choice={"type": "any"})
    message = json.loads(sent(Api().respond(request, step, now=0, notes=notes)))
    assert [block["type"] for block in message["content"]] == ["text", "tool_use"] and notes == []


@pytest.mark.parametrize("after", range(12))
def test_a_malformed_json_body_never_parses_wherever_it_is_cut(after: int) -> None:
    body = sent(plan_for(f"malformed(after={after}, text=\"a b c d e f g h\")", stream=False))
    with pytest.raises(json.JSONDecodeError):
        json.loads(body)


def test_a_stop_action_without_words_sends_only_its_own_blocks() -> None:
    assert json.loads(sent(plan_for("refusal", stream=False)))["content"] == []
    paused = json.loads(sent(plan_for("pause_turn", stream=False)))
    assert [block["type"] for block in paused["content"]] == ["server_tool_use"]


def test_an_action_whose_turn_goes_on_ends_with_the_default_text() -> None:
    failed = json.loads(sent(plan_for("server_tool_error(code=too_many_requests)", stream=False)))
    assert [block["type"] for block in failed["content"]] == ["server_tool_use", "web_search_tool_result", "text"]
    assert failed["content"][1]["content"]["error_code"] == "too_many_requests"


def test_a_retry_after_of_a_year_is_still_written_as_an_http_date() -> None:
    plan = plan_for("rate_limited(retry_after=31536000, retry_after_date=true)", stream=False)
    assert plan.head is not None and str(plan.head.header("retry-after")).endswith(" GMT")


def reply_blocks(plan: Plan) -> list[str]:
    """The content block types of a JSON reply."""
    return [block["type"] for block in json.loads(sent(plan))["content"]]


@pytest.mark.parametrize(("thinking", "script", "blocks"), [
    ({"type": "enabled", "budget_tokens": 1024}, "ok", ["thinking", "text"]),
    ({"type": "enabled", "budget_tokens": 1024}, "tool_use(name=t)", ["thinking", "tool_use"]),
    ({"type": "enabled", "budget_tokens": 1024}, 'ok(thinking="mine", text=Hi)', ["thinking", "text"]),
    ({"type": "adaptive"}, "tool_use(name=t)", ["tool_use"]),
    (None, "ok", ["text"]),
])
def test_with_manual_thinking_on_every_reply_starts_with_thinking(
        thinking: dict[str, Any] | None, script: str, blocks: list[str]) -> None:
    """As the API's do: a client echoing the reply back then passes the API's check on tool continuations."""
    (step,) = parse_script(script)
    fields: dict[str, Any] = {"max_tokens": 2048, "tools": [{"name": "t", "input_schema": {"type": "object"}}]}
    if thinking is not None:
        fields["thinking"] = thinking
    assert reply_blocks(Api().respond(message_request(**fields), step, now=0)) == blocks


def _attempts(api: Api, steps: list[Step], notes: list[str]) -> list[Plan]:
    """Three requests of a conversation, each under its step, at the times a client would send them."""
    requests = [message_request(stream=True), message_request(), message_request(stream=True, tools=[
        {"name": "look", "input_schema": {"type": "object", "properties": {"q": {"type": "string"}}}}])]
    return [api.respond(request, step, now=float(index), notes=notes)
            for index, (request, step) in enumerate(zip(requests, steps, strict=True))]


def test_a_remembered_plan_is_the_plan_and_uses_up_the_same_ids_and_quota() -> None:
    steps = [Step.make("drop", after=2), Step.make("overloaded"), Step.make("tool_use", name="elsewhere")]
    fresh_notes: list[str] = []
    fresh = Api(seed=3)
    expected = _attempts(fresh, steps, fresh_notes)
    memo = ApiMemo()
    first = Api(seed=3, memo=memo)
    _attempts(first, steps, [])
    again, notes = Api(seed=3, memo=memo), []  # a reset engine's next API, with the memo kept
    assert _attempts(again, steps, notes) == expected
    assert len(memo.plans) == 3
    assert notes == fresh_notes == ["tool 'elsewhere' is not among the request's tools: input {}"]
    assert (again.ids.state(), again.quota.state()) == (fresh.ids.state(), fresh.quota.state())
    assert again.ids.message() == fresh.ids.message()


def test_an_attempt_at_another_time_or_with_other_ids_to_come_is_planned_afresh() -> None:
    memo = ApiMemo()
    api = Api(memo=memo)
    api.respond(message_request(), OK, now=0)
    later = Api(memo=memo).respond(message_request(), OK, now=5)
    other_ids = Api(memo=memo)
    other_ids.ids.message()
    assert Api().ids.message() != other_ids.ids.message()
    assert len(memo.plans) == 2
    assert later == Api().respond(message_request(), OK, now=5)


def test_other_settings_forget_what_was_remembered() -> None:
    memo = ApiMemo()
    Api(memo=memo).respond(message_request(stream=True), OK, now=0)
    paced = Api(memo=memo, latency=REALISTIC).respond(message_request(stream=True), OK, now=0)
    assert paced == Api(latency=REALISTIC).respond(message_request(stream=True), OK, now=0)
    assert any(isinstance(action, Wait) for action in paced.actions)
    assert len(memo.plans) == 1


def test_a_long_reply_and_a_step_argument_that_cannot_be_hashed_are_not_kept() -> None:
    memo = ApiMemo()
    api = Api(memo=memo, validate=False)
    long = Step.make("ok", text="word " * 5_000)
    assert len(sent(api.respond(message_request(max_tokens=20_000), long, now=0))) > ApiMemo.LARGEST
    unhashable = Step("api_error", (*Step.make("api_error").args, ("extra", ["not", "hashable"])))
    with pytest.raises(TypeError):
        hash(unhashable)
    assert api.respond(message_request(), unhashable, now=0).head.status == 500  # type: ignore[union-attr]
    assert len(memo.plans) == 0


def test_the_checks_a_body_passed_are_remembered_with_its_notes() -> None:
    memo = ApiMemo()
    request = message_request(headers={**HEADERS, "anthropic-beta": "a-beta-from-next-month"}, colour="blue")
    notes: list[str] = []
    assert Api(memo=memo).reject(request, now=0, notes=notes) is None
    again: list[str] = []
    assert Api(memo=memo).reject(request, now=0, notes=again) is None
    assert again == notes == ["unknown beta 'a-beta-from-next-month'", "unknown field 'colour'"]
    assert len(memo.passed) == 1
    strict = Api(memo=memo, api_strict=True).reject(request, now=0)
    assert error_of(strict)[:2] == (400, "invalid_request_error")
