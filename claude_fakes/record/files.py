"""Cassette files: read one (every problem names the file and line), and write it back whole after each
recorded exchange, through a temporary file, so that a reader never sees half a cassette."""

from __future__ import annotations

import datetime
import os
import tempfile
from collections.abc import Callable
from importlib import metadata
from pathlib import Path
from urllib.parse import quote

from ..core.cassette import MODES, Cassette, CassetteError, Recorded, Tape

__all__ = ["CassetteError", "load", "open_tape", "save", "scope_tapes"]


def load(path: str | os.PathLike[str]) -> Cassette:
    """The cassette in ``path`` (:class:`CassetteError` for one that cannot be used as it is)."""
    name = os.fspath(path)
    try:
        text = Path(path).read_text(encoding="utf-8")
    except UnicodeDecodeError as err:
        raise CassetteError(f"{name}: not UTF-8 text ({err})") from None
    return Cassette.parse(text, name)


def save(cassette: Cassette, path: str | os.PathLike[str]) -> None:
    """Write ``cassette`` to ``path`` whole (its folder made if need be)."""
    target = Path(path)
    target.parent.mkdir(parents=True, exist_ok=True)
    handle, temporary = tempfile.mkstemp(prefix=f".{target.name}.", dir=target.parent)
    try:
        with os.fdopen(handle, "w", encoding="utf-8") as file:
            file.write(cassette.dumps())
        os.replace(temporary, target)
    except BaseException:
        Path(temporary).unlink(missing_ok=True)
        raise


def _sdk() -> str:
    try:
        return f"anthropic-python {metadata.version('anthropic')}"
    except metadata.PackageNotFoundError:
        return "unknown"


def open_tape(path: str | os.PathLike[str], record: str = "none", *, upstream: str | None = None,
              gaps: bool = True) -> Tape:
    """The cassette at ``path`` ready to replay and, as ``record`` says, to record.

    ``none``: replay only (the file must exist); ``once``: record every request when the file does
    not exist yet, else replay only; ``new``: replay, and record what it lacks; ``all``: record every
    request again (what the file held is replaced once the first exchange is recorded).
    """
    if record not in MODES:
        raise ValueError(f"record takes one of {', '.join(MODES)}, got {record!r}")
    name = os.fspath(path)
    exists = Path(path).exists()
    if record == "once":
        record = "none" if exists else "all"
    if record == "none" and not exists:
        raise CassetteError(f"{name}: no such cassette, and record mode none records nothing; record it once "
                            "with --claude-record=once (or ClaudeFake(cassette=…, record=\"once\"))")
    if record == "all" or not exists:
        created = datetime.datetime.now(datetime.timezone.utc).replace(microsecond=0).isoformat()
        cassette = Cassette({"created": created, "upstream": upstream or "the client's base URL", "sdk": _sdk()}, name)
    else:
        cassette = load(path)
    return Tape(cassette, record, gaps, recorded=_writer(path))


def _writer(path: str | os.PathLike[str]) -> Callable[[Cassette, Recorded, str], None]:
    """What writes each recorded exchange down: the whole cassette the first time (a new file, or one
    recorded again from scratch) and whenever an answer replaces another; else one line appended, so
    that a long recording session costs a line per exchange, not the whole file."""
    written = [False]

    def write(cassette: Cassette, recorded: Recorded, done: str) -> None:
        if written[0] and done == "added":
            with open(path, "a", encoding="utf-8") as file:
                file.write(Cassette.line(recorded))
            return
        save(cassette, path)
        written[0] = True

    return write


def scope_tapes(directory: str | os.PathLike[str], record: bool, upstream: str | None = None,
                gaps: bool = True) -> Callable[[str], Tape]:
    """Each server scope's cassette: ``<directory>/<scope>.jsonl`` (the name URL-quoted), recording what it lacks when
    ``record`` (else a request it has no recording for gets the miss's error)."""
    folder = Path(directory)

    def tape(scope: str) -> Tape:
        # Quoted, not simplified: two scopes never share a file, and no name reaches outside the folder.
        path = folder / (quote(scope, safe="") + ".jsonl")
        if record:
            return open_tape(path, "new", upstream=upstream, gaps=gaps)
        if not path.exists():
            return Tape(Cassette(name=str(path)), "none", gaps)
        return open_tape(path, "none", gaps=gaps)

    return tape
