"""ClaudeFake as a whole on the real SDK: acceptance of the in-process fake, virtual time,
interception, the journal and strictness."""

from __future__ import annotations

import asyncio
import datetime
import threading
import time
from collections.abc import Iterator
from typing import Any

import anthropic
import pytest

from claude_fakes import ClaudeFake, FakeAlreadyActive, Outcome, UnusedStepsError, WouldHangForever, faults, replies

from .local_server import local_server
from .sdk import HTTP, MODEL, MODES, REQUEST, call

REAL_PERF_COUNTER = {"now": time.perf_counter}  # freezegun rewrites module globals, not dict values


def wall(fn: Any) -> tuple[Any, float]:
    start = REAL_PERF_COUNTER["now"]()
    result = fn()
    return result, REAL_PERF_COUNTER["now"]() - start


# -- the acceptance list of the in-process fake --------------------------------------------


@pytest.mark.parametrize("mode", MODES)
def test_hang_three_times_costs_no_wall_time(mode: str) -> None:
    with ClaudeFake("hang*3") as fake:
        seen, seconds = wall(lambda: call(mode))
    assert isinstance(seen.error, anthropic.APITimeoutError)
    assert fake.attempts == 3
    assert fake.clock.elapsed >= 1800
    assert seconds < 1.0, f"a 1,800 s virtual hang took {seconds:.3f} s of wall time"


def run_overloaded_twice(mode: str) -> ClaudeFake:
    with ClaudeFake("overloaded*2, ok") as fake:
        assert call(mode).error is None
    return fake


@pytest.mark.parametrize("mode", MODES)
def test_overloaded_twice_then_ok_has_identical_backoff_every_run(mode: str) -> None:
    first, second = run_overloaded_twice(mode), run_overloaded_twice(mode)
    assert first.attempts == 3
    assert [e.retry_count for e in first.journal] == [0, 1, 2]
    sleeps = first.clock.sleeps
    assert len(sleeps) == 2
    assert 0.375 <= sleeps[0] <= 0.5 and 0.75 <= sleeps[1] <= 1.0, "the SDK's own backoff formula"
    assert second.clock.sleeps == sleeps
    assert first.timeline() == second.timeline()


def test_another_seed_gives_other_jitter() -> None:
    with ClaudeFake("overloaded, ok", seed=1) as other:
        assert call("sync").error is None
    assert other.clock.sleeps != run_overloaded_twice("sync").clock.sleeps[:1]


@pytest.mark.parametrize("mode", MODES)
def test_retry_after_is_honoured(mode: str) -> None:
    with ClaudeFake("rate_limited(retry_after=20), ok") as fake:
        assert call(mode).error is None
    assert fake.clock.sleeps == [20]
    with ClaudeFake("rate_limited(retry_after_ms=1500), ok") as fake:
        assert call(mode).error is None
    assert fake.clock.sleeps == [1.5]
    with ClaudeFake("overloaded(should_retry=false)") as fake:
        assert isinstance(call(mode).error, anthropic.OverloadedError)
    assert fake.attempts == 1


def my_app_ask(prompt: str) -> str:
    """Application code that builds its own client, as most code does."""
    client = anthropic.Anthropic()
    message = client.messages.create(model=MODEL, max_tokens=100, messages=[{"role": "user", "content": prompt}])
    return "".join(block.text for block in message.content if block.type == "text")


def test_a_client_built_inside_the_code_under_test_is_intercepted() -> None:
    with ClaudeFake(replies.text("Bonjour")) as fake:
        assert my_app_ask("hi") == "Bonjour"
    assert fake.journal[0].json["messages"] == [{"role": "user", "content": "hi"}]


def test_a_client_built_before_the_fake_is_intercepted_too() -> None:
    client = anthropic.Anthropic(api_key="sk-test")
    with ClaudeFake("overloaded, ok") as fake:
        client.messages.create(**REQUEST)
    assert fake.attempts == 2


@pytest.fixture
def real_server() -> Iterator[str]:
    with local_server() as url:
        yield url


def test_other_hosts_are_not_intercepted(real_server: str) -> None:
    with ClaudeFake() as fake:
        with HTTP.Client() as client:
            assert client.get(real_server + "/v1/messages").text == "real!"
    assert fake.journal == []


def test_every_http_library_is_restored_on_exit() -> None:
    from claude_fakes.activation.intercept import http_libraries

    before = [(lib.HTTPTransport.handle_request, lib.AsyncHTTPTransport.handle_async_request)
              for lib in http_libraries()]
    real_sleep, real_time = time.sleep, time.time
    with ClaudeFake():
        assert time.sleep is not real_sleep
    after = [(lib.HTTPTransport.handle_request, lib.AsyncHTTPTransport.handle_async_request)
             for lib in http_libraries()]
    assert before == after
    assert (time.sleep, time.time) == (real_sleep, real_time)


def test_registered_base_urls_and_anthropic_base_url_are_intercepted(monkeypatch: pytest.MonkeyPatch) -> None:
    with ClaudeFake("overloaded, ok", base_urls=["http://gateway.internal:8080/anthropic"]) as fake:
        client = anthropic.Anthropic(base_url="http://gateway.internal:8080/anthropic")
        client.messages.create(**REQUEST)
    assert [(e.path, e.status) for e in fake.journal] == [("/v1/messages", 529), ("/v1/messages", 200)]

    monkeypatch.setenv("ANTHROPIC_BASE_URL", "https://llm-proxy.corp.example")
    with ClaudeFake() as fake:
        anthropic.Anthropic().messages.create(**REQUEST)
    assert fake.attempts == 1


def test_raw_http_clients_to_the_api_host_never_reach_the_network() -> None:
    with ClaudeFake() as fake:
        with HTTP.Client() as client:
            response = client.get("https://api.anthropic.com/v1/models", headers={"x-api-key": "k",
                                                                                  "anthropic-version": "2023-06-01"})
    assert response.status_code == 200 and response.json()["data"][0]["type"] == "model"
    assert fake.journal[0].attempt is None


def test_one_fake_at_a_time() -> None:
    with ClaudeFake():
        with pytest.raises(FakeAlreadyActive):
            ClaudeFake().start()
    with ClaudeFake():
        pass


# -- virtual time ----------------------------------------------------------------------------


def test_wall_clock_functions_follow_the_virtual_clock() -> None:
    with ClaudeFake("hang, ok") as fake:
        start_time, start_monotonic = time.time(), time.monotonic()
        assert datetime.datetime.now(datetime.timezone.utc) == fake.clock.epoch
        assert call("sync", {"timeout": 30}).error is None
        assert time.time() - start_time == pytest.approx(fake.clock.elapsed)
        assert time.monotonic() - start_monotonic == pytest.approx(fake.clock.elapsed)
        assert time.time() == pytest.approx(fake.clock.now())
    assert time.time() > 1.7e9 and abs(time.time() - fake.clock.now()) > 1  # real time is back


def test_the_tests_own_sleeps_are_virtual_and_recorded() -> None:
    with ClaudeFake() as fake:
        for wait in (5, 10, 20):
            time.sleep(wait)
    assert fake.clock.sleeps == [5, 10, 20]
    assert fake.clock.elapsed == 35


def test_sleeps_on_other_threads_stay_real() -> None:
    delay = 0.001
    with ClaudeFake() as fake:
        thread = threading.Thread(target=time.sleep, args=(delay,))
        thread.start()
        thread.join(timeout=5)
    assert fake.clock.sleeps == []


async def test_async_sdk_retry_sleeps_are_virtual(claude_fake: ClaudeFake) -> None:
    claude_fake.script("overloaded*2, ok")
    client = anthropic.AsyncAnthropic()
    message, seconds = await _timed(client.messages.create(**REQUEST))
    assert message.stop_reason == "end_turn"
    assert [s.source for s in claude_fake.clock.sleep_log] == ["anyio.sleep", "anyio.sleep"]
    assert seconds < 1.0


async def _timed(awaitable: Any) -> tuple[Any, float]:
    start = REAL_PERF_COUNTER["now"]()
    result = await awaitable
    return result, REAL_PERF_COUNTER["now"]() - start


@pytest.mark.parametrize("mode", MODES)
def test_a_hang_without_a_read_timeout_is_a_finding_not_a_wait(mode: str) -> None:
    fake = ClaudeFake("hang")
    with pytest.raises(WouldHangForever, match="would hang forever"), fake:
        call(mode, {"timeout": None})
    assert fake.journal[0].outcome == Outcome.WOULD_HANG_FOREVER
    with pytest.raises(UnusedStepsError, match="would hang forever"):
        fake.verify()


# -- the journal and strictness ----------------------------------------------------------


def test_journal_records_what_the_client_sent_and_what_happened() -> None:
    with ClaudeFake("overloaded, drop(after=2)") as fake:
        client = anthropic.Anthropic(timeout=anthropic.Timeout(30, connect=3))
        with pytest.raises(HTTP.RemoteProtocolError):
            with client.messages.stream(**REQUEST) as stream:
                stream.until_done()
    first, second = fake.journal
    assert (first.attempt, first.retry_count, first.status, first.outcome) == (1, 0, 529, Outcome.COMPLETE)
    assert (second.attempt, second.retry_count, second.outcome, second.events) == (2, 1, Outcome.CUT, 2)
    assert str(second.step) == "drop(after=2)"
    assert second.method == "POST" and second.path == "/v1/messages" and second.stream
    assert second.json["model"] == MODEL and second.headers["x-stainless-retry-count"] == "1"
    assert first.timeout == {"connect": 3.0, "read": 30.0, "write": 30.0, "pool": 30.0}
    assert first.end == first.start == 0 and second.start == fake.clock.sleeps[0]
    assert second.error is not None and second.error.endswith("RemoteProtocolError")
    timeline = fake.timeline()
    assert "2 attempt(s)" in timeline and "529 complete" in timeline and "cut after 2 events" in timeline


def test_steps_are_consumed_per_attempt_then_ok() -> None:
    with ClaudeFake([faults.overloaded(), replies.text("first")]) as fake:
        assert call("sync").text == "first"
        assert call("sync").text == replies.DEFAULT_TEXT
    # Past the end of the script the step is None: the default ok, outside what was scripted.
    assert [str(e.step) for e in fake.journal] == ["overloaded", "ok(text=first)", "None"]


def test_an_unused_step_fails_naming_it() -> None:
    with pytest.raises(UnusedStepsError) as info:
        with ClaudeFake("overloaded*2, api_error, ok"):
            assert isinstance(call("sync", {"max_retries": 0}).error, anthropic.OverloadedError)
    message = str(info.value)
    assert "overloaded*2 (step 1 of script 1, used 1 of 2)" in message
    assert "api_error (step 2 of script 1, used 0 of 1)" in message
    assert "ok (step 3" in message
    assert "1 attempt(s)" in message


def test_strict_can_be_turned_off() -> None:
    with ClaudeFake("overloaded*5", strict=False) as fake:
        assert isinstance(call("sync").error, anthropic.OverloadedError)
    assert fake.attempts == 3
    assert fake.unused_steps() == ["overloaded*5 (step 1 of script 1, used 3 of 5)"]


def test_an_inf_step_counts_as_used_once_met() -> None:
    with ClaudeFake("ok*inf"):
        assert call("sync").error is None


def test_rescripting_keeps_the_replaced_steps_accountable() -> None:
    fake = ClaudeFake("overloaded")
    fake.script("ok")
    assert fake.unused_steps()[0].startswith("overloaded")


# -- the other endpoints ---------------------------------------------------------------------


def test_count_tokens_and_models_through_the_sdk() -> None:
    with ClaudeFake("overloaded, ok") as fake:
        client = anthropic.Anthropic()
        count = client.messages.count_tokens(model=MODEL, messages=[{"role": "user", "content": "Hello world"}])
        models = list(client.models.list(limit=2))
        model = client.models.retrieve("claude-opus-4-7")
        with pytest.raises(anthropic.NotFoundError):
            client.models.retrieve("claude-nonexistent")
        client.messages.create(**REQUEST)
    assert count.input_tokens >= 1
    assert [m.id for m in models][:3] == ["claude-fable-5-2", "claude-mythos-5-2", "claude-haiku-5-5"]
    assert len(models) == len(fake.models.models), "the SDK pages through with after_id"
    assert model.display_name == "Claude Opus 4.7"
    assert fake.attempts == 2, "only POST /v1/messages consumes steps"


def test_a_malformed_request_gets_an_error_and_the_fake_keeps_serving() -> None:
    with ClaudeFake("overloaded") as fake:
        with HTTP.Client() as client:
            bad = client.post("https://api.anthropic.com/v1/messages", content=b"{oops",
                              headers={"x-api-key": "k", "anthropic-version": "2023-06-01"})
        assert bad.status_code == 400 and bad.json()["error"]["type"] == "invalid_request_error"
        assert bad.headers["request-id"].startswith("req_")
        with pytest.raises(anthropic.OverloadedError):
            anthropic.Anthropic(max_retries=0).messages.create(**REQUEST)
    assert fake.journal[0].step is None and fake.journal[1].step is not None


def test_both_auth_styles_are_accepted() -> None:
    with ClaudeFake() as fake:
        with HTTP.Client() as client:
            for auth in ({"x-api-key": "k"}, {"authorization": "Bearer k"}):
                response = client.post("https://api.anthropic.com/v1/messages", json=REQUEST,
                                       headers={**auth, "anthropic-version": "2026-10-21"})
                assert response.status_code == 200
    assert fake.attempts == 2


# -- the fixture -------------------------------------------------------------------------------


def test_fixture_in_a_sync_test(claude_fake: ClaudeFake) -> None:
    claude_fake.script("api_error, ok")
    assert my_app_ask("hi") == replies.DEFAULT_TEXT
    assert claude_fake.attempts == 2


async def test_fixture_in_an_async_test_with_a_stream(claude_fake: ClaudeFake) -> None:
    claude_fake.script("stall(after=2, seconds=30)")
    async with anthropic.AsyncAnthropic().messages.stream(**REQUEST) as stream:
        message = await stream.get_final_message()
    assert message.stop_reason == "end_turn"
    assert claude_fake.clock.elapsed == 30


async def test_async_gather_of_calls_meeting_different_faults(claude_fake: ClaudeFake) -> None:
    claude_fake.script("overloaded, ok, ok")
    client = anthropic.AsyncAnthropic()
    results = await asyncio.gather(*(client.messages.create(**REQUEST) for _ in range(2)))
    assert all(r.stop_reason == "end_turn" for r in results)
    assert claude_fake.attempts == 3


def test_bad_scripts_fail_where_they_are_given(claude_fake: ClaudeFake) -> None:
    from claude_fakes import ScriptError

    with pytest.raises(ScriptError, match=r"unknown action 'overlaoded' \(did you mean 'overloaded'\?\)"):
        claude_fake.script("overlaoded")
    with pytest.raises(ScriptError, match=r"found 'x'[\s\S]*position 3"):
        claude_fake.script("ok*x")
    with pytest.raises(ScriptError, match="position 0"):
        ClaudeFake("drop")
    assert claude_fake.unused_steps() == []
