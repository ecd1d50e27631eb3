"""core/verdict.py: the findings a journal shows, from hand-made exchanges (no client, no fake).

tests/test_verdict.py shows the same findings arising from real SDK clients.
"""

from __future__ import annotations

from typing import Any

import pytest

from claude_fakes.core.journal import Exchange, Outcome
from claude_fakes.core.script import parse_script
from claude_fakes.core.step import Step
from claude_fakes.core.verdict import Finding, Verdict, assess, retry_after, transient_stream_error

BODY = {"model": "m", "messages": [{"role": "user", "content": "hi"}]}


def exchange(attempt: int, start: float, end: float | None = None, **fields: Any) -> Exchange:
    values: dict[str, Any] = {"retry_count": None, "method": "POST", "path": "/v1/messages", "headers": {},
                              "json": BODY, "timeout": {"read": 600.0}, "step": None, "status": 200,
                              "outcome": Outcome.COMPLETE, "turn": 1}
    values.update(fields)
    return Exchange(attempt=attempt, start=start, end=start if end is None else end, **values)


def codes(*journal: Exchange) -> list[str]:
    return assess(journal).codes


@pytest.mark.parametrize(("headers", "seconds"), [
    ({"retry-after-ms": "1500", "retry-after": "9"}, 1.5),
    ({"retry-after": "20"}, 20.0),
    ({"retry-after": "Thu, 01 Jan 2026 00:00:30 GMT", "date": "Thu, 01 Jan 2026 00:00:00 GMT"}, 29.0),
    ({"retry-after": "Thu, 01 Jan 2026 00:00:30 GMT"}, None),
    ({}, None),
], ids=["ms-first", "seconds", "http-date-less-a-second", "date-without-date-header", "none"])
def test_retry_after_is_read_as_the_sdk_reads_it(headers: dict[str, str], seconds: float | None) -> None:
    assert retry_after(exchange(1, 0, response_headers=headers)) == seconds


def test_a_quick_success_is_resilient() -> None:
    verdict = assess([exchange(1, 0)], "the timeline")
    assert verdict.resilient and bool(verdict) and str(verdict) == "resilient: no findings\nthe timeline"


def test_a_retry_sooner_than_retry_after_is_a_finding_and_one_later_is_not() -> None:
    asked = {"retry-after": "10"}
    early = codes(exchange(1, 0, status=429, response_headers=asked), exchange(2, 5))
    late = codes(exchange(1, 0, status=429, response_headers=asked), exchange(2, 10))
    assert early == ["retry_after_ignored"] and late == []


def test_a_final_status_retried_is_a_finding_unless_the_server_said_to_retry() -> None:
    assert codes(exchange(1, 0, status=400), exchange(2, 1)) == ["final_status_retried"]
    assert codes(exchange(1, 0, status=400, response_headers={"x-should-retry": "true"}), exchange(2, 1)) == []


def test_retries_without_backoff_are_a_storm() -> None:
    storm = [exchange(n, n * 0.01, status=529) for n in range(1, 6)]
    verdict = assess(storm)
    assert verdict.codes == ["retry_storm"]
    assert verdict.findings[0].message.startswith("attempts #2 to #5: 4 retries with no backoff")


def test_no_read_timeout_is_a_finding() -> None:
    assert codes(exchange(1, 0, timeout={"read": None})) == ["no_read_timeout"]


@pytest.mark.parametrize(("step", "outcome", "code"), [
    ("truncate(after=2)", Outcome.COMPLETE, "truncated_stream_accepted"),
    ("drop(after=2)", Outcome.CUT, "stream_failure_not_retried"),
    ("stall(after=2, seconds=700)", Outcome.READ_TIMEOUT, "stream_failure_not_retried"),
    ("error_event(type=overloaded_error)", Outcome.COMPLETE, "stream_failure_not_retried"),
], ids=["truncated", "cut", "read-timeout", "transient-error-event"])
def test_a_failed_stream_left_unrepeated_is_a_finding(step: str, outcome: str, code: str) -> None:
    (parsed,) = parse_script(step)
    failed = exchange(1, 0, stream=True, step=parsed, outcome=outcome, events=2)
    assert codes(failed) == [code]
    assert codes(failed, exchange(2, 1, stream=True)) == [], "repeated: the caller recovered"


def test_a_truncated_stream_is_accepted_only_when_the_code_went_on_with_it() -> None:
    (truncated,) = parse_script("truncate(after=2)")
    last = exchange(1, 0, stream=True, step=truncated, events=2)
    assert assess([last], raised=True).codes == [], "the code raised on it: refused, not accepted"
    assert assess([last], raised=False).codes == ["truncated_stream_accepted"], "it returned: accepted"

    def then(*messages: dict[str, Any]) -> Exchange:
        return exchange(2, 1, stream=True, json={"model": "m", "messages": [*BODY["messages"], *messages]}, turn=2)

    kept = then({"role": "assistant", "content": "Sun"}, {"role": "user", "content": "and then?"})
    asked_again = then({"role": "user", "content": "Please return text or call a tool."})
    other = exchange(2, 1, stream=True, json={"model": "m", "messages": [{"role": "user", "content": "bye"}]}, turn=2)
    assert assess([last, kept], raised=True).codes == ["truncated_stream_accepted"], "its history kept the reply"
    assert assess([last, asked_again]).codes == [], "it asked again without the reply: refused"
    assert assess([last, other], raised=True).codes == [] and assess([last, other]).codes == [
        "truncated_stream_accepted"], "another conversation says nothing of this one"


def test_a_final_error_event_is_no_transient_failure() -> None:
    final = exchange(1, 0, stream=True, step=Step.make("error_event", type="invalid_request_error"))
    assert transient_stream_error(final) is None and codes(final) == []
    assert transient_stream_error(exchange(1, 0, step=Step.make("model_stream_error"))) == "modelStreamErrorException"


TOOL_USE = {"role": "assistant", "content": [{"type": "tool_use", "id": "toolu_1", "name": "w", "input": {}}]}


def result(content: str) -> dict[str, Any]:
    return {"role": "user", "content": [{"type": "tool_result", "tool_use_id": "toolu_1", "content": content}]}


def test_an_orphan_tool_use_in_a_history_is_a_finding() -> None:
    orphaned = {"model": "m", "messages": [{"role": "user", "content": "hi"}, TOOL_USE,
                                           {"role": "user", "content": "again"}]}
    assert codes(exchange(1, 0, json=orphaned)) == ["orphan_tool_use"]


def test_the_app_reissuing_a_call_the_sdk_already_retried_is_amplification() -> None:
    journal = [exchange(1, 0, retry_count=0, status=529), exchange(2, 1, retry_count=1, status=529),
               exchange(3, 5, retry_count=0)]
    assert codes(*journal) == ["retry_amplification"]
    succeeded_then_again = [exchange(1, 0, retry_count=0, status=529), exchange(2, 1, retry_count=1),
                            exchange(3, 5, retry_count=0)]
    assert codes(*succeeded_then_again) == []


def test_a_tool_answered_twice_or_differently_is_a_duplicate_result() -> None:
    twice = {"model": "m", "messages": [{"role": "user", "content": "w?"}, TOOL_USE, result("a"), result("a")]}
    assert codes(exchange(1, 0, json=twice)) == ["duplicate_tool_result"]
    first = {"model": "m", "messages": [{"role": "user", "content": "w?"}, TOOL_USE, result("sunny")]}
    second = {"model": "m", "messages": [{"role": "user", "content": "w?"}, TOOL_USE, result("rain")]}
    assert codes(exchange(1, 0, json=first), exchange(2, 1, json=second, turn=2)) == ["duplicate_tool_result"]


def test_a_verdict_prints_its_findings_above_the_timeline() -> None:
    verdict = Verdict((Finding("retry_storm", 2, "too fast"),), "TIMELINE")
    assert not verdict and verdict.codes == ["retry_storm"]
    assert str(verdict) == "1 resilience finding(s):\n  [retry_storm] too fast\nTIMELINE"


def test_notes_are_listed_once_each_with_the_first_request_and_are_no_finding() -> None:
    unknown = "unknown model 'claude-foo'"
    verdict = assess([exchange(1, 0, notes=[unknown]), exchange(2, 1, notes=[unknown, "chaos"])], "timeline")
    assert verdict.resilient and verdict.findings == ()
    assert verdict.notes == (f"attempt #1 (POST /v1/messages): {unknown}", "attempt #2 (POST /v1/messages): chaos")
    assert str(verdict).splitlines() == ["resilient: no findings", "2 note(s), not findings:",
                                         f"  attempt #1 (POST /v1/messages): {unknown}",
                                         "  attempt #2 (POST /v1/messages): chaos", "timeline"]


def test_a_total_timeout_alone_is_a_timeout() -> None:
    # The TypeScript SDK (and so Claude Code) states x-stainless-timeout, no read timeout.
    assert codes(exchange(1, 0, timeout={"total": 5.0})) == []
    assert codes(exchange(1, 0, timeout={"total": None, "read": None})) == ["no_read_timeout"]


AGENT = {"x-claude-code-session-id": "s1"}


@pytest.mark.parametrize(("step", "outcome", "events"), [
    ("drop(after=3)", Outcome.CUT, 3),
    ("error_event(after=6, type=overloaded_error)", Outcome.COMPLETE, 7),
    ("truncate(after=6)", Outcome.COMPLETE, 6),
    ("malformed(after=3)", Outcome.COMPLETE, 13),
    ("error_event(after=3, type=api_error)", Outcome.COMPLETE, 4),
    ("stall(after=3, seconds=100)", Outcome.CLIENT_CLOSED, 3),
], ids=["cut", "error-event", "truncated", "malformed", "api-error-event", "given-up"])
def test_a_failed_stream_asked_again_without_streaming_is_the_non_streaming_fallback(
        step: str, outcome: str, events: int) -> None:
    (parsed,) = parse_script(step)
    failed = exchange(1, 0, stream=True, step=parsed, outcome=outcome, events=events, headers=AGENT,
                      json={**BODY, "stream": True, "max_tokens": 128000})
    fallback = exchange(2, 0.5, headers=AGENT, json={**BODY, "max_tokens": 64000})
    verdict = assess([failed, fallback])
    assert verdict.codes == ["non_streaming_fallback"]
    assert verdict.findings[0].message.startswith("attempt #2 asked for attempt #1's turn again without streaming")


def test_a_stream_retried_as_a_stream_is_no_fallback() -> None:
    (parsed,) = parse_script("drop(after=3)")
    body = {**BODY, "stream": True}
    assert codes(exchange(1, 0, stream=True, step=parsed, outcome=Outcome.CUT, events=3, json=body),
                 exchange(2, 0.6, stream=True, json=body)) == []


def test_another_model_after_529s_is_a_model_fallback_once() -> None:
    opus, sonnet = {**BODY, "model": "claude-opus-5-5"}, {**BODY, "model": "claude-sonnet-4-6"}
    journal = [*(exchange(n, n, status=529, headers=AGENT, json=opus) for n in (1, 2, 3)),
               exchange(4, 4, status=529, headers=AGENT, json=sonnet, turn=2),
               exchange(5, 5, headers=AGENT, json=sonnet, turn=2)]
    verdict = assess(journal)
    assert verdict.codes == ["model_fallback"]
    assert verdict.findings[0].message.startswith(
        "attempt #4 asked for claude-sonnet-4-6 after 3 overloaded answer(s) from claude-opus-5-5 "
        "(attempts #1, #2, #3)")


def test_overloaded_streams_answered_by_another_model_are_a_fallback_not_failures_left_alone() -> None:
    # Claude Code counts an overloaded_error event as a 529 toward its fallback model.
    (overloaded,) = parse_script("error_event(after=0, type=overloaded_error)")
    opus = {**BODY, "model": "claude-opus-5-5", "stream": True}
    journal = [*(exchange(n, n, stream=True, step=overloaded, events=1, headers=AGENT, json=opus) for n in (1, 2, 3)),
               exchange(4, 4, stream=True, headers=AGENT, json={**opus, "model": "claude-sonnet-4-6"}, turn=2)]
    assert codes(*journal) == ["model_fallback"]


def test_sessions_are_apart_in_model_fallbacks() -> None:
    # Another session's request for another model, between two 529s of this one, is no fallback.
    haiku = {**BODY, "model": "claude-haiku-4-5"}
    assert codes(exchange(1, 0, status=529, headers=AGENT, json={**BODY, "model": "claude-opus-5-5"}),
                 exchange(2, 0.1, headers={"x-claude-code-session-id": "s2"}, json=haiku)) == []


def test_other_model_ids_after_404s_are_a_probe_not_retries_or_a_storm() -> None:
    # As Claude Code on Bedrock does: max_tokens=1 probes over a list of ids, some of them twice, close together.
    models = ["us.anthropic.claude-sonnet-4-5", "us.anthropic.claude-opus-5-5", "us.anthropic.claude-opus-5",
              "us.anthropic.claude-opus-4-8", "us.anthropic.claude-opus-4-7", "us.anthropic.claude-opus-4-6",
              "us.anthropic.claude-sonnet-4-5", "us.anthropic.claude-opus-5"]
    journal = [exchange(n, n * 0.001, status=404, headers=AGENT, json={**BODY, "model": model, "max_tokens": 1})
               for n, model in enumerate(models, 1)]
    journal.append(exchange(9, 1, headers=AGENT, json={**BODY, "model": "us.anthropic.claude-opus-4-5"}))
    verdict = assess(journal)
    assert verdict.codes == ["model_probe_404"]
    assert verdict.findings[0].message == (
        "attempts #1 to #8: after a 404 for us.anthropic.claude-sonnet-4-5, the agent probed 6 model id(s) "
        "(us.anthropic.claude-sonnet-4-5, us.anthropic.claude-opus-5-5, us.anthropic.claude-opus-5, "
        "us.anthropic.claude-opus-4-8, us.anthropic.claude-opus-4-7, …) in 8 requests, each answered 404: "
        "model discovery, not retries of a final answer")


def test_one_model_asked_again_after_its_404_is_still_a_final_status_retried() -> None:
    assert codes(exchange(1, 0, status=404, headers=AGENT), exchange(2, 1, status=404, headers=AGENT)) == [
        "final_status_retried"]
