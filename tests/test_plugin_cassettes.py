"""The ``claude_cassette`` marker and ``--claude-record``, in inner pytest sessions (pytester): record once
against a local upstream (the project's own socket server), replay with no upstream at all, faults on
the recording, misses, and the settings that are refused."""

from __future__ import annotations

import json
from collections.abc import Iterator

import pytest

from claude_fakes.server import FakeServer

from .inner import USER_HEADER, run_inner

UPSTREAM_HEADER = USER_HEADER + """
import os

UPSTREAM = os.environ.get("CLAUDE_FAKES_TEST_UPSTREAM")
"""

RECORDED_TEST = """
@pytest.mark.claude_cassette(upstream=UPSTREAM)
def test_answer(claude_fake):
    message = ask()
    assert message.content[0].text == "recorded words"
"""


@pytest.fixture
def upstream(monkeypatch: pytest.MonkeyPatch) -> Iterator[FakeServer]:
    with FakeServer(script="ok(text=recorded words)*inf") as server:
        monkeypatch.setenv("CLAUDE_FAKES_TEST_UPSTREAM", server.url)
        yield server


def record(pytester: pytest.Pytester, body: str = RECORDED_TEST, *args: str) -> pytest.RunResult:
    return run_inner(pytester, *args, test_inner=UPSTREAM_HEADER + body)


def test_record_once_then_replay_without_any_upstream(pytester: pytest.Pytester, upstream: FakeServer) -> None:
    record(pytester, RECORDED_TEST, "--claude-record=once").assert_outcomes(passed=1)
    cassette = pytester.path / "cassettes" / "test_inner" / "test_answer.jsonl"
    lines = cassette.read_text().splitlines()
    assert json.loads(lines[0])["claude_fakes_cassette"] == 1 and len(lines) == 2
    assert upstream.scopes.get("default").engine.attempts == 1
    upstream.stop_thread()  # the replay must not need it

    record(pytester, RECORDED_TEST).assert_outcomes(passed=1)
    record(pytester, RECORDED_TEST, "--claude-record=once").assert_outcomes(passed=1)  # exists: replayed
    assert cassette.read_text().splitlines() == lines


def test_faults_apply_to_the_recording_and_every_parametrization_shares_it(pytester: pytest.Pytester,
                                                                           upstream: FakeServer) -> None:
    body = """
@pytest.mark.claude_cassette(upstream=UPSTREAM)
@pytest.mark.claude_faults("ok", "overloaded*2, ok", "drop(after=3), ok")
def test_streamed(claude_fake):
    with anthropic.Anthropic() as client, client.messages.stream(**REQUEST) as stream:
        assert stream.get_final_text() == "recorded words"
"""
    record(pytester, body.replace('"overloaded*2, ok", "drop(after=3), ok"', ""), "--claude-record=once") \
        .assert_outcomes(passed=1)
    result = record(pytester, body)
    # The drop escapes the stream as the raw transport error: the SDK does not retry a broken stream.
    result.assert_outcomes(passed=2, failed=1)
    result.stdout.fnmatch_lines(["*test_streamed[[]drop(after=3), ok[]]*RemoteProtoco*"])


def test_a_miss_fails_with_the_closest_recording_and_what_differs(pytester: pytest.Pytester,
                                                                  upstream: FakeServer) -> None:
    record(pytester, RECORDED_TEST, "--claude-record=once").assert_outcomes(passed=1)
    changed = RECORDED_TEST.replace("message = ask()", 'message = anthropic.Anthropic().messages.create('
                                    '**{**REQUEST, "messages": [{"role": "user", "content": "bye"}]})')
    result = record(pytester, changed)
    result.assert_outcomes(failed=1)
    result.stdout.fnmatch_lines(["*- claude_fakes findings -*",
                                 "no recording in *test_answer.jsonl answers POST /v1/messages (record mode none); "
                                 "the closest recording is *test_answer.jsonl:2; it differs (recorded, then this "
                                 "request's):",
                                 '    messages[[]0[]].content: "hi" != "bye"',
                                 "  record it with --claude-record=new (or ClaudeFake(record=\"new\"))"])
    result = record(pytester, changed, "--claude-record=new")
    result.assert_outcomes(passed=1)
    cassette = pytester.path / "cassettes" / "test_inner" / "test_answer.jsonl"
    assert len(cassette.read_text().splitlines()) == 3


def test_a_missing_cassette_fails_its_test_and_says_how_to_record_it(pytester: pytest.Pytester) -> None:
    result = record(pytester, RECORDED_TEST + """

def test_other(claude_fake):
    ask()
""")
    result.assert_outcomes(passed=1, errors=1)
    result.stdout.fnmatch_lines(["*test_answer.jsonl: no such cassette, and record mode none records nothing; "
                                 "record it once with --claude-record=once*"])
    assert not (pytester.path / "cassettes").exists()


def test_record_is_the_command_lines_alone(pytester: pytest.Pytester) -> None:
    result = record(pytester, """
@pytest.mark.claude_cassette(record="all")
def test_it(claude_fake):
    pass
""")
    result.stdout.fnmatch_lines(["*claude_cassette takes no record=; the command line says whether to record*"])
    result.assert_outcomes(errors=1)


def test_exploring_over_a_recorded_conversation(pytester: pytest.Pytester, upstream: FakeServer) -> None:
    body = """
@pytest.mark.claude_cassette(upstream=UPSTREAM)
@pytest.mark.claude_explore(faults=["overloaded", "drop(after=*)"], attempts=1)
def test_explored(claude_fake):
    try:
        with anthropic.Anthropic() as client, client.messages.stream(**REQUEST) as stream:
            text = stream.get_final_text()
    except anthropic.APIError:
        return
    assert text == "recorded words"
"""
    recorded = """
@pytest.mark.claude_cassette(upstream=UPSTREAM)
def test_explored(claude_fake):
    with anthropic.Anthropic() as client, client.messages.stream(**REQUEST) as stream:
        assert stream.get_final_text() == "recorded words"
"""
    record(pytester, recorded, "--claude-record=once").assert_outcomes(passed=1)
    result = record(pytester, body)
    result.assert_outcomes(failed=1)
    result.stdout.fnmatch_lines(["*drop(after=0)*"])


def test_a_cassette_with_the_server_fixture_is_a_usage_error(pytester: pytest.Pytester) -> None:
    result = record(pytester, """
@pytest.mark.claude_cassette
def test_it(claude_fake_server):
    pass
""")
    result.stdout.fnmatch_lines(["*claude_cassette replays in-process (the claude_fake fixture); a server replays "
                                 "and records with claude-fakes serve --cassettes DIR*"])
