"""The server as a recording proxy and as a replayer of cassettes, with the real SDK over 127.0.0.1:
the answer streams through as it arrives, credentials reach the upstream and never the cassette, a
break upstream is a break downstream and a cut in the cassette; and the command line around it."""

from __future__ import annotations

import asyncio
import itertools
import json
import subprocess
import sys
import time
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import anthropic
import pytest

from claude_fakes.record.files import scope_tapes
from claude_fakes.server import SCRIPT_HEADER, FakeServer

from .sdk import HTTP, REQUEST

REAL = {"monotonic": time.monotonic}
TEXT = "one two three four five six"
KEY = "sk-ant-api03-the-users-own-key"


@pytest.fixture
def upstream() -> Iterator[FakeServer]:
    with FakeServer(script=f"ok(text={TEXT})*inf") as server:
        yield server


def proxy(folder: Path, upstream: FakeServer | None) -> FakeServer:
    """A server replaying ``folder``'s cassettes; recording what they lack from ``upstream``, if given."""
    url = upstream.url if upstream is not None else None
    return FakeServer(tapes=scope_tapes(folder, url is not None, url), upstream=url)


def client(server: FakeServer, **options: Any) -> anthropic.Anthropic:
    return anthropic.Anthropic(base_url=server.url, api_key=KEY, max_retries=0, timeout=10, **options)


def test_recording_through_the_proxy_then_replaying_it_with_a_fault(tmp_path: Path, upstream: FakeServer) -> None:
    with proxy(tmp_path, upstream) as recorder:
        with client(recorder) as recording, recording.messages.stream(**REQUEST) as stream:
            assert stream.get_final_text() == TEXT
        with client(recorder) as recording:
            assert recording.messages.create(**REQUEST).content[0].text == TEXT
    served = upstream.scopes.get("default").engine.journal
    # The client's own credential went on (anthropic 2.x sends the key as authorization, 0.x as x-api-key).
    assert all({"authorization", "x-api-key"} & set(exchange.headers) for exchange in served)
    cassette = tmp_path / "default.jsonl"
    text = cassette.read_text()
    assert len(text.splitlines()) == 3 and KEY not in text and "x-api-key" not in text and "authorization" not in text
    upstream.stop_thread()

    with proxy(tmp_path, None) as replayer:
        with client(replayer) as replaying, replaying.messages.stream(**REQUEST) as stream:
            assert stream.get_final_text() == TEXT
        with client(replayer, default_headers={SCRIPT_HEADER: "drop(after=3)"}) as cut, \
                pytest.raises(HTTP.RemoteProtocolError), cut.messages.stream(**REQUEST) as stream:
            stream.get_final_text()
        journal = replayer.scopes.get("default").engine.journal
    assert [exchange.notes for exchange in journal] == [[f"replayed from {cassette}:2"]] * 2
    assert journal[1].events == 3 and journal[1].outcome == "cut"


def test_async_clients_record_and_replay(tmp_path: Path, upstream: FakeServer) -> None:
    async def ask(server: FakeServer) -> str:
        async with anthropic.AsyncAnthropic(base_url=server.url, api_key=KEY, max_retries=0, timeout=10) as client, \
                client.messages.stream(**REQUEST) as stream:
            return await stream.get_final_text()

    with proxy(tmp_path, upstream) as recorder:
        assert asyncio.run(ask(recorder)) == TEXT
    with proxy(tmp_path, None) as replayer:
        assert asyncio.run(ask(replayer)) == TEXT


def test_the_stream_reaches_the_client_as_it_arrives(tmp_path: Path) -> None:
    with FakeServer(script="stall(after=2, seconds=0.6)") as slow, proxy(tmp_path, slow) as recorder:
        started = REAL["monotonic"]()
        with client(recorder) as recording, recording.messages.stream(**REQUEST) as stream:
            events = iter(stream)
            next(events)
            first = REAL["monotonic"]() - started
            for _ in events:
                pass
        whole = REAL["monotonic"]() - started
    assert first < 0.4 < 0.6 <= whole  # nothing waited for the stall to end before passing events on
    response = json.loads((tmp_path / "default.jsonl").read_text().splitlines()[1])["response"]
    ats = [event["at"] for event in response["events"]]
    assert max(later - earlier for earlier, later in itertools.pairwise(ats)) > 0.5  # the stall is in the recording


def test_a_break_upstream_is_a_break_downstream_and_a_cut_in_the_cassette(tmp_path: Path) -> None:
    with FakeServer(script="drop(after=3)") as broken, proxy(tmp_path, broken) as recorder:
        with client(recorder) as recording, pytest.raises(HTTP.RemoteProtocolError), \
                recording.messages.stream(**REQUEST) as stream:
            stream.get_final_text()
        assert recorder.scopes.get("default").engine.journal[0].outcome == "cut"
    response = json.loads((tmp_path / "default.jsonl").read_text().splitlines()[1])["response"]
    assert response["complete"] is False


def test_an_unreachable_upstream_is_a_502_and_nothing_is_recorded(tmp_path: Path) -> None:
    with FakeServer() as gone:
        url = gone.url
    with FakeServer(tapes=scope_tapes(tmp_path, True, url), upstream=url) as recorder:
        with client(recorder) as recording, \
                pytest.raises(anthropic.InternalServerError, match="cannot reach the upstream"):
            recording.messages.create(**REQUEST)
    assert not (tmp_path / "default.jsonl").exists()


def test_scopes_have_their_own_cassettes_and_a_miss_names_the_closest(tmp_path: Path, upstream: FakeServer) -> None:
    with proxy(tmp_path, upstream) as recorder:
        with client(recorder, default_headers={"x-claude-fakes-scope": "team a"}) as team:
            team.messages.create(**REQUEST)
    assert (tmp_path / "team%20a.jsonl").exists()
    with proxy(tmp_path, None) as replayer:
        with client(replayer, default_headers={"x-claude-fakes-scope": "team a"}) as team, \
                pytest.raises(anthropic.BadRequestError, match=r'messages\[0\].content: "Hello" != "Bonjour"'):
            team.messages.create(**{**REQUEST, "messages": [{"role": "user", "content": "Bonjour"}]})
        with client(replayer) as default, pytest.raises(anthropic.BadRequestError, match="holds no recordings"):
            default.messages.create(**REQUEST)


# -- the command line ---------------------------------------------------------------------


def cli(*args: str) -> subprocess.CompletedProcess[str]:
    return subprocess.run([sys.executable, "-m", "claude_fakes", *args], capture_output=True, text=True, timeout=60)


def test_cli_records_through_the_proxy_then_replays(tmp_path: Path, upstream: FakeServer) -> None:
    folder = tmp_path / "cassettes"
    for args in (["--record", "--upstream", upstream.url], []):
        process = subprocess.Popen([sys.executable, "-m", "claude_fakes", "serve", "--port", "0", "--quiet",
                                    "--cassettes", str(folder), *args], stdout=subprocess.PIPE,
                                   stderr=subprocess.PIPE, text=True)
        try:
            assert process.stdout is not None
            url = process.stdout.readline().strip()
            with anthropic.Anthropic(base_url=url, api_key=KEY, max_retries=0, timeout=10) as user:
                assert user.messages.create(**REQUEST).content[0].text == TEXT
        finally:
            process.terminate()
            process.communicate(timeout=10)
        upstream.stop_thread()  # the second round replays alone
    assert len((folder / "default.jsonl").read_text().splitlines()) == 2


def test_the_url_is_the_first_line_even_with_the_recording_notice_on_the_same_stream(tmp_path: Path) -> None:
    """A script that reads the first line of ``serve 2>&1`` gets the URL; the notice says what is recorded."""
    process = subprocess.Popen([sys.executable, "-m", "claude_fakes", "serve", "--port", "0", "--quiet",
                                "--cassettes", str(tmp_path), "--record", "--upstream", "http://127.0.0.1:9"],
                               stdout=subprocess.PIPE, stderr=subprocess.STDOUT, text=True)
    try:
        assert process.stdout is not None
        assert process.stdout.readline().startswith("http://127.0.0.1:")
        assert process.stdout.readline() == f"claude-fakes: recording what {tmp_path} lacks from http://127.0.0.1:9\n"
    finally:
        process.terminate()
        process.communicate(timeout=10)


def test_cli_refuses_a_broken_cassette_naming_file_and_line(tmp_path: Path) -> None:
    (tmp_path / "default.jsonl").write_text('{"claude_fakes_cassette": 1}\n{"key": \n')
    result = cli("serve", "--cassettes", str(tmp_path))
    assert result.returncode == 2
    assert f"{tmp_path / 'default.jsonl'}:2: not JSON" in result.stderr
    assert cli("serve", "--record").returncode == 2
    assert "no such folder" in cli("serve", "--cassettes", str(tmp_path / "nowhere")).stderr


def test_a_kept_upstream_connection_closed_meanwhile_is_opened_again(tmp_path: Path) -> None:
    first = FakeServer(script=f"ok(text={TEXT})*inf").run_in_thread()
    try:
        with FakeServer(tapes=scope_tapes(tmp_path, True, first.url), upstream=first.url) as recorder, \
                client(recorder) as user:
            user.messages.create(**REQUEST)  # the client's connection now has its own upstream connection
            first.stop_thread()  # which the upstream closes
            with FakeServer(port=first.port, script=f"ok(text={TEXT})*inf") as second:
                again = user.messages.create(**{**REQUEST, "messages": [{"role": "user", "content": "Again"}]})
                assert again.content[0].text == TEXT
                assert second.scopes.get("default").engine.attempts == 1
    finally:
        first.stop_thread()
    assert len((tmp_path / "default.jsonl").read_text().splitlines()) == 3


def test_a_node_client_records_a_tool_loop_through_the_proxy_then_meets_a_fault_on_it(tmp_path: Path) -> None:
    from types import SimpleNamespace

    from .test_server_node import run_node

    with FakeServer(script="tool_use(name=get_weather); ok(text=Sunny in Paris)") as upstream, \
            proxy(tmp_path, upstream) as recorder:
        seen = run_node(SimpleNamespace(url=recorder.url), "toolloop")
    assert seen["ok"] and seen["turns"] == 2 and seen["text"] == "Sunny in Paris"
    assert len((tmp_path / "default.jsonl").read_text().splitlines()) == 3  # two turns
    with proxy(tmp_path, None) as replayer:
        replayer.scopes.get("default").engine.script("; overloaded, ok")  # turn 2: a 529, then the recording
        again = run_node(SimpleNamespace(url=replayer.url), "toolloop")
        statuses = [exchange.status for exchange in replayer.scopes.get("default").engine.journal]
    assert again == {**seen, "ms": again["ms"]}  # the same tool input, the same answer
    assert statuses == [200, 529, 200]


def test_bedrock_through_the_recording_proxy_keeps_its_event_stream(tmp_path: Path, upstream: FakeServer) -> None:
    from .sdk import MODELS
    from .sdk import client as platform_client

    def ask(server: FakeServer, **headers: str) -> str:
        with platform_client("bedrock", base_url=server.url, max_retries=0, default_headers=headers) as bedrock, \
                bedrock.messages.stream(**{**REQUEST, "model": MODELS["bedrock"]}) as stream:
            return stream.get_final_text()

    with proxy(tmp_path, upstream) as recorder:
        assert ask(recorder) == TEXT
    response = json.loads((tmp_path / "default.jsonl").read_text().splitlines()[1])["response"]
    assert all("b64" in event for event in response["events"])
    upstream.stop_thread()
    with proxy(tmp_path, None) as replayer:
        assert ask(replayer) == TEXT
        # 2.x raises APIStatusError, 0.125 a bare ValueError (docs/facts.md): the frame's type is in both.
        with pytest.raises(Exception, match="modelStreamErrorException"):
            ask(replayer, **{SCRIPT_HEADER: "model_stream_error(after=2)"})
