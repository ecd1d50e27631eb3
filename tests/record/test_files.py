"""Cassette files: opened by record mode, written as exchanges are recorded (a line appended, or the
whole file when an answer replaces another), and never touched when nothing is recorded."""

from __future__ import annotations

from pathlib import Path

import pytest

from claude_fakes.core.cassette import CassetteError
from claude_fakes.record.files import load, open_tape

from ..core.test_cassette import BODY, recorded


def test_each_recorded_exchange_is_written_as_it_comes(tmp_path: Path) -> None:
    path = tmp_path / "deep" / "c.jsonl"
    tape = open_tape(path, "once")
    assert tape.mode == "all" and not path.exists()  # nothing written before anything is recorded
    tape.add(recorded(complete=False))
    assert len(path.read_text().splitlines()) == 2
    tape.add(recorded())  # the whole answer replaces the cut one: the file is written again
    tape.add(recorded(body={**BODY, "model": "claude-haiku-4-5"}))  # a new turn: a line appended
    lines = path.read_text().splitlines()
    assert len(lines) == 3 and '"complete": true' in lines[1]
    assert [exchange.complete for exchange in load(path)] == [True, True]
    assert open_tape(path, "once").mode == "none"  # it exists now: replayed, not recorded


def test_record_all_replaces_the_file_only_once_something_is_recorded(tmp_path: Path) -> None:
    path = tmp_path / "c.jsonl"
    open_tape(path, "once").add(recorded())
    before = path.read_text()
    tape = open_tape(path, "all")
    assert len(tape.cassette) == 0 and path.read_text() == before
    tape.add(recorded(body={**BODY, "model": "claude-haiku-4-5"}))
    assert len(load(path)) == 1 and path.read_text() != before


def test_modes_and_missing_files(tmp_path: Path) -> None:
    with pytest.raises(ValueError, match="record takes one of none, once, new, all, got 'sometimes'"):
        open_tape(tmp_path / "c.jsonl", "sometimes")
    with pytest.raises(CassetteError, match="no such cassette"):
        open_tape(tmp_path / "c.jsonl")
    assert open_tape(tmp_path / "c.jsonl", "new").mode == "new"
    (tmp_path / "bad.jsonl").write_bytes(b"\xff\xfe")
    with pytest.raises(CassetteError, match=r"bad\.jsonl: not UTF-8"):
        load(tmp_path / "bad.jsonl")
