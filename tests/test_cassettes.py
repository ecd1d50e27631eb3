"""Cassettes with the real SDKs: record through the client's own stack against a local upstream (the
project's own socket server), then replay with faults on top, sync and async, streamed and not."""

from __future__ import annotations

import asyncio
import json
from pathlib import Path

import anthropic
import pytest

from claude_fakes import ClaudeFake
from claude_fakes.core.cassette import CassetteError
from claude_fakes.server import FakeServer

from .sdk import HTTP, MODES, REQUEST, call

TEXT = "one two three four five six"
FORMAT_LINE = '{"claude_fakes_cassette": 1'


def record(path: Path, mode: str, script: str = f"ok(text={TEXT})", **request) -> None:
    """Record one call in ``mode`` against a socket server answering ``script``."""
    __tracebackhide__ = True
    with FakeServer(script=script) as server, ClaudeFake(cassette=path, record="once", upstream=server.url) as fake:
        seen = call(mode, **request)
        assert seen.error is None, seen.error
        assert seen.text == TEXT
        assert fake.journal[-1].notes == ["recorded from the upstream"]
        assert server.scopes.get("default").engine.attempts == 1


@pytest.fixture(params=MODES)
def mode(request: pytest.FixtureRequest) -> str:
    return request.param


def test_record_once_then_replay_the_recorded_answer(tmp_path: Path, mode: str):
    path = tmp_path / "c.jsonl"
    record(path, mode)
    lines = path.read_text().splitlines()
    assert lines[0].startswith(FORMAT_LINE) and len(lines) == 2
    assert "not-a-real" not in path.read_text() and "x-api-key" not in path.read_text()
    with ClaudeFake(cassette=path) as fake:
        seen = call(mode)
    assert seen.error is None and seen.text == TEXT
    assert fake.journal[0].notes == [f"replayed from {path}:2"]


def test_a_drop_cuts_the_recorded_stream_at_event_k_and_the_retry_replays_it(tmp_path: Path):
    path = tmp_path / "c.jsonl"
    record(path, "sync-stream")
    with ClaudeFake(cassette=path, script="drop(after=4), ok") as fake:
        cut = call("sync-stream")
        whole = call("sync-stream")
    assert isinstance(cut.error, HTTP.RemoteProtocolError)
    assert cut.events[:3] == ["message_start", "content_block_start", "content_block_delta"]
    assert fake.journal[0].events == 4 and fake.journal[0].outcome == "cut"
    assert whole.text == TEXT and fake.journal[1].outcome == "complete"


def test_status_faults_replace_the_answer_and_retries_replay_the_same_recording(tmp_path: Path, mode: str):
    path = tmp_path / "c.jsonl"
    record(path, mode)
    with ClaudeFake(cassette=path, script="overloaded*2, ok") as fake:
        seen = call(mode)
    assert seen.error is None and seen.text == TEXT
    assert [exchange.status for exchange in fake.journal] == [529, 529, 200]
    assert [exchange.retry_count for exchange in fake.journal] == [0, 1, 2]


def test_a_stall_between_recorded_events_times_the_stream_out_on_the_virtual_clock(tmp_path: Path):
    path = tmp_path / "c.jsonl"
    record(path, "sync-stream")
    with ClaudeFake(cassette=path, script="stall(after=2, seconds=700)", gaps=False) as fake:
        seen = call("sync-stream")
    assert isinstance(seen.error, HTTP.ReadTimeout)
    assert fake.clock.elapsed == 600  # the SDK's default read timeout, in virtual seconds


def test_replay_keeps_the_recorded_gaps_or_none(tmp_path: Path):
    path = tmp_path / "c.jsonl"
    record(path, "sync-stream")
    recorded = json.loads(path.read_text().splitlines()[1])["response"]
    last = recorded["events"][-1]["at"]
    with ClaudeFake(cassette=path) as fake:
        call("sync-stream")
    assert fake.clock.elapsed == pytest.approx(last)
    with ClaudeFake(cassette=path, gaps=False) as fake:
        call("sync-stream")
    assert fake.clock.elapsed == 0


def test_a_miss_fails_with_the_closest_recording(tmp_path: Path):
    path = tmp_path / "c.jsonl"
    record(path, "sync")
    before = path.read_text()
    with ClaudeFake(cassette=path) as fake:
        seen = call("sync", messages=[{"role": "user", "content": "Bonjour"}])
        findings = fake.take_findings()
    assert type(seen.error).__name__ == "BadRequestError"
    assert f"closest recording is {path}:2" in str(seen.error)
    assert 'messages[0].content: "Hello" != "Bonjour"' in findings[0]
    assert path.read_text() == before  # nothing is written unless recording was asked for


def test_record_new_adds_what_is_missing_and_keeps_the_rest(tmp_path: Path):
    path = tmp_path / "c.jsonl"
    record(path, "sync")
    with FakeServer(script="ok(text=bonjour)") as server, \
            ClaudeFake(cassette=path, record="new", upstream=server.url):
        assert call("sync").text == TEXT
        assert call("sync", messages=[{"role": "user", "content": "Bonjour"}]).text == "bonjour"
    assert len(path.read_text().splitlines()) == 3


def test_a_recording_cut_by_the_upstream_is_written_as_a_cut(tmp_path: Path):
    path = tmp_path / "c.jsonl"
    with FakeServer(script="drop(after=3)") as server, \
            ClaudeFake(cassette=path, record="once", upstream=server.url):
        seen = call("sync-stream")
    assert isinstance(seen.error, HTTP.RemoteProtocolError)
    response = json.loads(path.read_text().splitlines()[1])["response"]
    counted = [event for event in response["events"] if not event["data"].startswith("event: ping")]
    assert response["complete"] is False and len(counted) == 3
    with ClaudeFake(cassette=path) as fake:
        again = call("sync-stream")
    assert isinstance(again.error, HTTP.RemoteProtocolError) and fake.journal[0].outcome == "cut"


def test_a_corrupt_cassette_is_refused_before_anything_runs(tmp_path: Path):
    path = tmp_path / "c.jsonl"
    record(path, "sync")
    path.write_text(path.read_text()[:-40])
    with pytest.raises(CassetteError, match=f"^{path}:2: not JSON"):
        ClaudeFake(cassette=path)
    with pytest.raises(CassetteError, match="no such cassette"):
        ClaudeFake(cassette=tmp_path / "missing.jsonl")


def test_exploring_faults_over_a_recorded_conversation(tmp_path: Path):
    path = tmp_path / "c.jsonl"
    record(path, "sync-stream")

    events = sum(not event["data"].startswith("event: ping")
                 for event in json.loads(path.read_text().splitlines()[1])["response"]["events"])

    def ask() -> None:
        seen = call("sync-stream")
        if seen.error is not None:
            raise seen.error
        assert seen.text == TEXT

    with ClaudeFake(cassette=path) as fake:
        report = fake.explore(ask, faults=["overloaded", "drop(after=*)"], attempts=1)
    # ok, overloaded (retried, then the recording), and a cut after each of the recorded events
    assert report.runs == 2 + events + 1
    assert len(report.failures) == events + 1 and str(report.minimal) == "drop(after=0)"


@pytest.mark.parametrize("platform", ["bedrock", "vertex"])
@pytest.mark.parametrize("stream", [False, True])
def test_bedrock_and_vertex_recordings_keep_their_own_wire(tmp_path: Path, platform: str, stream: bool):
    path = tmp_path / "c.jsonl"
    mode = "sync-stream" if stream else "sync"
    with FakeServer(script=f"ok(text={TEXT})") as server, \
            ClaudeFake(cassette=path, record="once", upstream=server.url):
        assert call(mode, platform=platform).text == TEXT
    response = json.loads(path.read_text().splitlines()[1])["response"]
    if platform == "bedrock" and stream:
        assert all("b64" in event for event in response["events"])  # event-stream frames, byte for byte
        assert ["content-type", "application/vnd.amazon.eventstream"] in response["headers"]
    with ClaudeFake(cassette=path, script="drop(after=3), ok" if stream else "overloaded, ok") as fake:
        first = call(mode, platform=platform)
        again = call(mode, platform=platform) if stream else first
    assert again.error is None and again.text == TEXT
    assert fake.journal[0].notes[-1].startswith("replayed from")
    if stream:
        assert first.error is not None and fake.journal[0].outcome == "cut" and fake.journal[0].events == 3


@pytest.mark.parametrize("stream", [False, True])
def test_an_aiohttp_client_records_over_a_connection_of_its_own(tmp_path: Path, stream: bool):
    path = tmp_path / "c.jsonl"

    async def ask() -> str:
        async with anthropic.AsyncAnthropic(http_client=anthropic.DefaultAioHttpClient()) as client:
            if stream:
                async with client.messages.stream(**REQUEST) as events:
                    return await events.get_final_text()
            message = await client.messages.create(**REQUEST)
            return "".join(block.text for block in message.content if block.type == "text")

    with FakeServer(script=f"ok(text={TEXT})") as server, ClaudeFake(cassette=path, record="once",
                                                                    upstream=server.url) as fake:
        assert asyncio.run(ask()) == TEXT
    assert fake.journal[0].notes == ["recorded from the upstream"]
    with ClaudeFake(cassette=path, script="overloaded, ok") as fake:
        assert asyncio.run(ask()) == TEXT
    assert [exchange.status for exchange in fake.journal] == [529, 200]


def test_a_request_that_reached_the_fake_through_another_mock_is_not_recorded(tmp_path: Path):
    path = tmp_path / "c.jsonl"
    with FakeServer() as server, ClaudeFake(cassette=path, record="once", upstream=server.url,
                                            intercept=False) as fake:
        transport = HTTP.MockTransport(fake.respond)
        with anthropic.Anthropic(http_client=HTTP.Client(transport=transport)) as client, \
                pytest.raises(anthropic.BadRequestError):
            client.messages.create(**REQUEST)
        findings = fake.take_findings()
    assert "it reached the fake where it cannot be sent on (through another mock's route" in findings[0]
    assert not path.exists()


def test_recording_leaves_the_machine_only_as_the_network_guard_allows(tmp_path: Path):
    """With no upstream a recording goes where the client sends it (api.anthropic.com here): under
    network="loopback" the guard refuses that connection, and nothing is written."""
    path = tmp_path / "c.jsonl"
    with ClaudeFake(cassette=path, record="once", network="loopback", strict=False) as fake:
        seen = call("sync", {"max_retries": 0})
    assert isinstance(seen.error, anthropic.APIConnectionError)
    assert fake.journal[0].outcome == "refused" and "api.anthropic.com" in fake.findings[0]
    assert not path.exists()


def test_an_aiohttp_client_replays_a_recording_with_a_fault_on_top(tmp_path: Path):
    path = tmp_path / "c.jsonl"
    record(path, "sync-stream")

    async def ask() -> str:
        async with anthropic.AsyncAnthropic(http_client=anthropic.DefaultAioHttpClient()) as client, \
                client.messages.stream(**REQUEST) as stream:
            return await stream.get_final_text()

    with ClaudeFake(cassette=path, script="drop(after=3), ok") as fake:
        with pytest.raises(HTTP.ReadError):  # the SDK's aiohttp client reports a cut body so
            asyncio.run(ask())
        assert asyncio.run(ask()) == TEXT
    assert fake.journal[0].outcome == "cut" and fake.journal[0].events == 3


WEATHER_TOOL = {"name": "get_weather", "description": "The weather in a city.",
                "input_schema": {"type": "object", "properties": {"city": {"type": "string"}}, "required": ["city"]}}


def tool_loop(client: anthropic.Anthropic, retry_broken_streams: bool) -> str:
    """A two-turn tool loop over streams; the careful one starts a broken stream again."""
    messages: list[dict] = [{"role": "user", "content": "Weather in Paris?"}]
    for _ in range(4):
        for attempt in range(3):
            try:
                with client.messages.stream(**{**REQUEST, "tools": [WEATHER_TOOL], "messages": messages}) as stream:
                    message = stream.get_final_message()
                break
            except HTTP.TransportError:
                if not retry_broken_streams or attempt == 2:
                    raise
        if message.stop_reason != "tool_use":
            return "".join(block.text for block in message.content if block.type == "text")
        messages += [{"role": "assistant", "content": [block.model_dump() for block in message.content]},
                     {"role": "user", "content": [{"type": "tool_result", "tool_use_id": block.id, "content": "sunny"}
                                                  for block in message.content if block.type == "tool_use"]}]
    raise AssertionError("the loop did not end")


def test_exploring_faults_on_every_turn_of_a_recorded_tool_loop(tmp_path: Path):
    path = tmp_path / "c.jsonl"
    with FakeServer(script="tool_use(name=get_weather); ok(text=Sunny in Paris)") as server, \
            ClaudeFake(cassette=path, record="once", upstream=server.url):
        with anthropic.Anthropic() as client:
            assert tool_loop(client, retry_broken_streams=True) == "Sunny in Paris"
    assert len(path.read_text().splitlines()) == 3  # one line a turn

    for careful in (False, True):
        with ClaudeFake(cassette=path) as fake, anthropic.Anthropic() as client:
            report = fake.explore(lambda client=client, careful=careful: tool_loop(client, careful),
                                  faults=["overloaded", "drop(after=0..2)"], turns=2)
        if careful:
            assert report.passed and not report.failures
        else:
            assert report.failures and "drop(after=0)" in str(report.minimal)  # a broken stream escapes


def test_while_recording_a_retry_after_an_error_goes_upstream_and_its_answer_is_kept(tmp_path: Path, mode: str):
    path = tmp_path / "c.jsonl"
    with FakeServer(script=f"overloaded, ok(text={TEXT})") as server, \
            ClaudeFake(cassette=path, record="new", upstream=server.url) as fake:
        assert call(mode).text == TEXT
    assert [exchange.status for exchange in fake.journal] == [529, 200]
    (line,) = path.read_text().splitlines()[1:]
    assert json.loads(line)["response"]["status"] == 200
