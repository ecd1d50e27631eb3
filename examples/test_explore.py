"""Every fault schedule, not just the ones you thought of: exploration and shrinking.

The bugs live in combinations: a 529 on the first attempt, then a stream that ends early on the
second. ``@pytest.mark.claude_explore`` runs the test body once per *schedule* (one choice among
the faults and ``ok`` for each attempt), on the virtual clock, and when a schedule breaks the
body's assertions it shrinks it to the smallest one that still does and prints a marker line
that reproduces it. Here: the guide's streaming helper, which keeps whatever the stream gave
(caught at the smallest schedule that shows it: one stream that ends after its first event);
the hardened one, which passes every schedule; and the guide's ``call_with_retry``, whose
retries on top of the SDK's blow a 300-second budget three hangs in.

An exploration runs the body hundreds of times: build the client once, outside the body (a
client built in the body reuses the fake's TLS context, but the SDK's own set-up still adds
about a third to a short schedule).
"""

from __future__ import annotations

import importlib
import time
from typing import Any

import anthropic
import pytest

from claude_fakes import ClaudeFake

http = importlib.import_module("httpx2" if int(anthropic.__version__.split(".")[0]) >= 1 else "httpx")

client = anthropic.Anthropic()
REQUEST: dict[str, Any] = {"model": "claude-sonnet-4-6", "max_tokens": 2048,
                           "messages": [{"role": "user", "content": "Write a detailed analysis..."}]}
STREAM_FAULTS = ["overloaded", "drop(after=2)", "truncate(after=3)", "stall(after=2, seconds=700)"]


def stream_text(client: anthropic.Anthropic) -> anthropic.types.Message:
    """The guide's Fix 1 as most code writes it: whatever the stream gave is the answer."""
    with client.messages.stream(**REQUEST) as stream:
        return stream.get_final_message()


def stream_text_checked(client: anthropic.Anthropic, attempts: int = 3) -> anthropic.types.Message:
    """Fix 1, hardened: a stream that broke or ended early is started again."""
    for attempt in range(attempts):
        try:
            message = stream_text(client)
        except (http.TransportError, anthropic.APIConnectionError, anthropic.InternalServerError):
            message = None
        if message is not None and message.stop_reason is not None:
            return message
        time.sleep(2**attempt)
    raise RuntimeError("no complete answer")


def answers_or_fails_loudly(helper: Any) -> None:
    """The property: an answer is whole, or the caller hears about it. Losing data silently is the bug."""
    try:
        message = helper(client)
    except (anthropic.APIError, http.TransportError, RuntimeError):
        return
    assert message.stop_reason == "end_turn", f"a partial answer, stop_reason={message.stop_reason}"


def test_the_naive_helper_loses_data_and_shrinks_to_one_short_stream() -> None:
    report = ClaudeFake().explore(lambda: answers_or_fails_loudly(stream_text), faults=STREAM_FAULTS, attempts=2)
    print(report)  # as a failing claude_explore test shows it
    # Attempt 2 comes only after a 529: the 5 schedules that differ only there are one run, 9 in all.
    assert (report.runs, report.space.size) == (9, 25)
    assert report.minimal == "truncate(after=1)"
    assert report.reproducer == '@pytest.mark.claude_fake("truncate(after=1)")'


@pytest.mark.claude_explore(faults=STREAM_FAULTS, attempts=3)
def test_the_hardened_helper_passes_every_schedule(claude_fake: ClaudeFake) -> None:
    answers_or_fails_loudly(stream_text_checked)


def call_with_retry(prompt: str, max_attempts: int = 3) -> str:
    """The guide's retry loop, on top of the SDK's own two retries."""
    for attempt in range(max_attempts):
        try:
            message = client.messages.create(model="claude-sonnet-4-6", max_tokens=2048, timeout=120.0,
                                              messages=[{"role": "user", "content": prompt}])
            return message.content[0].text  # type: ignore[union-attr]
        except anthropic.APITimeoutError:
            if attempt == max_attempts - 1:
                raise
            time.sleep(2**attempt * 5)
    raise AssertionError("unreachable")


def within_a_300_second_budget(call: Any) -> None:
    """A serverless function has 300 s: the call answers or gives up before then."""
    started = time.monotonic()
    try:
        call("hi")
    except anthropic.APIError:
        pass
    assert time.monotonic() - started < 300, f"took {time.monotonic() - started:.0f}s of a 300 s budget"


def test_retries_on_top_of_the_sdks_blow_the_budget_three_hangs_in() -> None:
    report = ClaudeFake().explore(lambda: within_a_300_second_budget(call_with_retry),
                                  faults=["hang", "overloaded"], attempts=4)
    assert report.minimal == "hang, hang, hang"  # 3 SDK attempts x 120 s, before the app even retries
    assert report.worst_case > 480, "four hangs: three in the SDK, one more after the app's 5 s sleep"
    assert report.outcomes["AssertionError"] == len(report.failures)


def call_once_within_budget(prompt: str) -> str:
    """One retry layer, sized to the budget: the SDK's, at 60 s a try (3 x 60 s + backoff < 300 s)."""
    message = client.with_options(timeout=60.0).messages.create(
        model="claude-sonnet-4-6", max_tokens=2048, messages=[{"role": "user", "content": prompt}])
    return message.content[0].text  # type: ignore[union-attr]


@pytest.mark.claude_explore(faults=["hang", "overloaded"], attempts=3)  # the SDK's three: there is no fourth
def test_one_layer_sized_to_the_budget_passes_every_schedule(claude_fake: ClaudeFake) -> None:
    within_a_300_second_budget(call_once_within_budget)
