"""Other recorders' files as cassettes (vcrpy / pytest-recording YAML, HAR), replayed by the real SDK;
and ``claude-fakes cassettes import`` / ``diff`` on the command line."""

from __future__ import annotations

import json
import re
from pathlib import Path

import pytest
import yaml

from claude_fakes import ClaudeFake
from claude_fakes.cli import main
from claude_fakes.core.cassette import CassetteError
from claude_fakes.record.imports import import_file

from ..sdk import REQUEST, call

MESSAGE = {"id": "msg_01", "type": "message", "role": "assistant", "model": REQUEST["model"],
           "content": [{"type": "text", "text": "Bonjour from a vcrpy cassette"}], "stop_reason": "end_turn",
           "stop_sequence": None, "usage": {"input_tokens": 3, "output_tokens": 5}}
SSE = "".join(f"event: {kind}\ndata: {json.dumps(data)}\n\n" for kind, data in [
    ("message_start", {"type": "message_start", "message": {**MESSAGE, "content": [], "stop_reason": None}}),
    ("content_block_start", {"type": "content_block_start", "index": 0, "content_block": {"type": "text", "text": ""}}),
    ("content_block_delta", {"type": "content_block_delta", "index": 0,
                             "delta": {"type": "text_delta", "text": "Bonjour from a vcrpy cassette"}}),
    ("content_block_stop", {"type": "content_block_stop", "index": 0}),
    ("message_delta", {"type": "message_delta", "delta": {"stop_reason": "end_turn", "stop_sequence": None},
                       "usage": {"output_tokens": 5}}),
    ("message_stop", {"type": "message_stop"}),
])


def vcr_yaml(stream: bool) -> str:
    """A vcrpy / pytest-recording cassette of one Messages call and one call of another endpoint."""
    body = json.dumps({**REQUEST, **({"stream": True} if stream else {})}, separators=(",", ":"))
    content_type = "text/event-stream; charset=utf-8" if stream else "application/json"
    return yaml.safe_dump({"interactions": [
        {"request": {"body": body, "method": "POST", "uri": "https://api.anthropic.com/v1/messages",
                     "headers": {"x-api-key": ["sk-ant-api03-secret"], "anthropic-version": ["2023-06-01"]}},
         "response": {"body": {"string": SSE if stream else json.dumps(MESSAGE)},
                      "status": {"code": 200, "message": "OK"},
                      "headers": {"Content-Type": [content_type], "request-id": ["req_01"],
                                  "anthropic-organization-id": ["org-secret"]}}},
        {"request": {"body": None, "method": "GET", "uri": "https://api.anthropic.com/v1/models", "headers": {}},
         "response": {"body": {"string": "{}"}, "status": {"code": 200, "message": "OK"}, "headers": {}}},
    ], "version": 1})


def har(stream: bool) -> str:
    """A HAR export of the same call, with its timings."""
    body = json.dumps({**REQUEST, **({"stream": True} if stream else {})})
    content_type = "text/event-stream; charset=utf-8" if stream else "application/json"
    return json.dumps({"log": {"version": "1.2", "entries": [{
        "request": {"method": "POST", "url": "https://api.anthropic.com/v1/messages",
                    "headers": [{"name": "x-api-key", "value": "sk-ant-api03-secret"}],
                    "postData": {"mimeType": "application/json", "text": body}},
        "response": {"status": 200, "headers": [{"name": "content-type", "value": content_type},
                                                {"name": "set-cookie", "value": "session=secret"}],
                     "content": {"mimeType": content_type, "text": SSE if stream else json.dumps(MESSAGE)}},
        "timings": {"send": 1, "wait": 400, "receive": 250},
    }]}})


@pytest.mark.parametrize("kind", ["vcrpy YAML", "HAR"])
@pytest.mark.parametrize("mode", ["sync", "sync-stream"])
def test_an_imported_recording_replays_with_faults_on_top(tmp_path: Path, kind: str, mode: str) -> None:
    source = tmp_path / ("recorded.yaml" if kind == "vcrpy YAML" else "recorded.har")
    source.write_text((vcr_yaml if kind == "vcrpy YAML" else har)(mode.endswith("stream")))
    assert main(["cassettes", "import", str(source)]) == 0
    cassette = source.with_suffix(".jsonl")
    text = cassette.read_text()
    assert kind in text and len(text.splitlines()) == 2  # the models call is not Claude's Messages
    for secret in ("sk-ant-api03-secret", "org-secret", "session=secret"):
        assert secret not in text
    with ClaudeFake(cassette=cassette, script="overloaded, ok") as fake:
        seen = call(mode)
    assert seen.error is None and seen.text == "Bonjour from a vcrpy cassette"
    assert [exchange.status for exchange in fake.journal] == [529, 200]
    if kind == "HAR":
        assert fake.journal[1].duration == pytest.approx(0.651)  # the wait for the head, then the body


@pytest.mark.parametrize(("text", "expected"), [
    ("{not json", "looks like JSON (a HAR file) but is not"),
    ('{"entries": []}', 'JSON without a "log" object: not a HAR file'),
    ("- just\n- a list\n", "no interactions list: not a vcrpy or pytest-recording cassette"),
    ("interactions:\n- request: {}\n", "interaction 1 is not a vcrpy request/response pair"),
])
def test_what_is_neither_format_is_refused_by_name(tmp_path: Path, text: str, expected: str) -> None:
    source = tmp_path / "other.txt"
    source.write_text(text.replace("\\n", "\n"))
    with pytest.raises(CassetteError, match="^" + re.escape(f"{source}: {expected}")):
        import_file(source)


def test_diff_exits_zero_without_drift_and_one_with_it(tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    old, new = tmp_path / "old.yaml", tmp_path / "new.yaml"
    old.write_text(vcr_yaml(True))
    new.write_text(vcr_yaml(True).replace("end_turn", "max_tokens"))
    assert main(["cassettes", "import", str(old), "-o", str(tmp_path / "a.jsonl")]) == 0
    assert main(["cassettes", "import", str(new), "-o", str(tmp_path / "b.jsonl")]) == 0
    capsys.readouterr()
    assert main(["cassettes", "diff", str(tmp_path / "a.jsonl"), str(tmp_path / "a.jsonl")]) == 0
    assert "no drift" in capsys.readouterr().out
    assert main(["cassettes", "diff", str(tmp_path / "a.jsonl"), str(tmp_path / "b.jsonl")]) == 1
    assert 'stop_reason "end_turn" != "max_tokens"' in capsys.readouterr().out
    assert main(["cassettes", "diff", str(tmp_path / "a.jsonl"), str(tmp_path / "missing.jsonl")]) == 2
    (tmp_path / "exported.jsonl").write_text(old.read_text())
    assert main(["cassettes", "import", str(tmp_path / "exported.jsonl")]) == 2
    assert "would overwrite it; name another with -o OUT" in capsys.readouterr().err
