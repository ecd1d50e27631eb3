"""Cassettes, sans-I/O: recorded exchanges with the real API, as text in and text out.

A cassette is JSONL. Its first line is a header (``{"claude_fakes_cassette": 1, "created": …,
"upstream": …, "sdk": …}``); every other line is one exchange: its turn ``key`` (:func:`key_of`),
the request's essentials (method, path, allow-listed headers, its JSON with volatile fields
normalised) and the response: status, allow-listed headers, and the body as JSON, or the stream
as its raw events (base64 frames for Bedrock's event-stream), each with the seconds since the
request was sent. ``complete`` is false for an answer whose connection broke while it was
recorded: it replays as the same cut.

A recorded exchange answers ``ok`` in the planner (:class:`Recorded` makes the
:class:`~claude_fakes.core.plan.Response` a fault then shapes), so a cut at event K, a stall between
recorded events or a status instead of the answer all apply to it unchanged. Reading and writing
files, and talking to the upstream, are the callers' (:mod:`claude_fakes.record`).
"""

from __future__ import annotations

import base64
import hashlib
import json
import re
import struct
from collections.abc import Callable, Iterable, Iterator, Mapping, Sequence
from dataclasses import dataclass, field
from typing import Any

from ..wire.eventstream import CONTENT_TYPE as EVENTSTREAM
from ..wire.http import json_bytes
from .plan import CUT, Action, Head, Pieces, Response, Send, Slices, Spelled
from .secrets import is_secret

__all__ = [
    "FORMAT",
    "MODES",
    "Cassette",
    "CassetteError",
    "Piece",
    "Recorded",
    "Recording",
    "Tape",
    "drift",
    "key_of",
    "normalise",
    "request_of",
]

FORMAT = 1
"""The cassette format this version writes and reads (a newer one is refused, not guessed at)."""
MODES = ("none", "once", "new", "all")
"""pytest-recording's record modes: replay only; record a cassette that does not exist yet; record
the requests it lacks; record everything again."""

REQUEST_HEADERS = frozenset({"anthropic-version", "anthropic-beta", "content-type", "user-agent", "x-stainless-lang",
                             "x-stainless-package-version", "x-stainless-runtime", "x-stainless-helper-method"})
"""Request headers a cassette keeps: what says which API and client spoke (never a credential)."""
RESPONSE_HEADERS = frozenset({"content-type", "request-id", "x-request-id", "retry-after", "retry-after-ms",
                              "x-should-retry", "x-amzn-errortype", "x-amzn-requestid",
                              "x-amzn-bedrock-input-token-count", "x-amzn-bedrock-output-token-count",
                              "x-amzn-bedrock-invocation-latency"})
RESPONSE_HEADER_PREFIXES = ("anthropic-ratelimit-",)
"""Response headers a cassette keeps; ``anthropic-organization-id``, cookies and dates are not."""

VOLATILE_FIELDS = frozenset({"metadata"})
"""Request fields left out of a cassette and its keys: ``metadata.user_id`` carries session ids."""
_VOLATILE = (
    (re.compile(r"\b[0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12}\b", re.IGNORECASE), "<uuid>"),
    (re.compile(r"\b\d{4}-\d{2}-\d{2}[T ]\d{2}:\d{2}(?::\d{2}(?:\.\d+)?)?(?:Z|[+-]\d{2}:?\d{2})?"), "<datetime>"),
    (re.compile(r"\b\d{4}-\d{2}-\d{2}\b"), "<date>"),
)
"""Values in request text that change from run to run (a session's id, today's date) and so must not
decide whether a recording answers: replaced by a placeholder before keys are made and lines written."""

KEY_FIELDS = ("model", "stream", "tools", "system", "messages")
"""What makes a turn's key besides the endpoint: the same model, tools and conversation get the same answer."""


class CassetteError(ValueError):
    """A cassette that cannot be used as it is: says which file and line, what was expected and what was found."""


def normalise(value: Any) -> Any:
    """``value`` with volatile strings replaced by placeholders and volatile fields left out."""
    if isinstance(value, str):
        for pattern, placeholder in _VOLATILE:
            value = pattern.sub(placeholder, value)
        return value
    if isinstance(value, Mapping):
        return {key: normalise(item) for key, item in value.items() if key not in VOLATILE_FIELDS}
    if isinstance(value, list):
        return [normalise(item) for item in value]
    return value


def _essentials(path: str, body: Any) -> dict[str, Any]:
    essentials: dict[str, Any] = {"path": path}
    if isinstance(body, Mapping):
        essentials.update((name, body[name]) for name in KEY_FIELDS if name in body)
        essentials["stream"] = body.get("stream") is True
    normalised: dict[str, Any] = normalise(essentials)
    return normalised


def key_of(path: str, body: Any) -> str:
    """A request's turn key: its endpoint, model, stream, tools, system prompt and messages, normalised."""
    text = json.dumps(_essentials(path, body), sort_keys=True, separators=(",", ":"), ensure_ascii=False)
    return hashlib.blake2b(text.encode(), digest_size=16).hexdigest()


def kept_headers(headers: Iterable[tuple[str, str]], allowed: frozenset[str],
                 prefixes: tuple[str, ...] = ()) -> list[tuple[str, str]]:
    """The headers a cassette may hold: allow-listed, and never one whose name says it is a secret."""
    kept = []
    for name, value in headers:
        lower = name.lower()
        if (lower in allowed or lower.startswith(prefixes)) and not is_secret(lower):
            kept.append((lower, value))
    return kept


@dataclass(frozen=True)
class Piece:
    """One recorded event (or frame, or a JSON body), and when it arrived: seconds since the request."""

    at: float
    data: bytes
    counted: bool = True
    """Whether a client yields it to its caller (a ``ping`` is not counted, as the fault grammar counts)."""


@dataclass(frozen=True)
class Recorded:
    """One recorded exchange: a request's turn key and essentials, and the answer it got."""

    key: str
    request: Mapping[str, Any]
    status: int
    headers: tuple[tuple[str, str], ...]
    head_at: float
    """When the status line and headers arrived, in seconds since the request was sent."""
    stream: bool
    pieces: tuple[Piece, ...]
    """A stream's events in order; for a JSON body, one piece: the whole body."""
    complete: bool = True
    line: int | None = field(default=None, compare=False)
    """The cassette line it was read from (1-based), for error messages."""

    def response(self, *, split: bool, gaps: bool) -> Response:
        """The recorded answer as the planner's :class:`Response`, for a fault to shape: ``split`` makes a
        JSON body come in as many pieces as its stream would have had events; ``gaps``: the recorded
        silences (else none)."""
        head = Head(self.status, self.headers)
        ending: tuple[Action, ...] = () if self.complete else (CUT,)
        before = self.head_at if gaps else 0.0
        if self.stream:
            return Response(before, head, _RecordedPieces(self.pieces, self.head_at if gaps else None), ending)
        body = b"".join(piece.data for piece in self.pieces)
        wait = (self.pieces[-1].at - self.head_at) if gaps and self.pieces else 0.0
        if split:
            parts = _events_of(body)
            return Response(before + wait, head, Slices(body, parts), ending)
        return Response(before + wait, head, Spelled(((0.0, Send(body)),)), ending)

    def to_json(self) -> dict[str, Any]:
        content_type = dict(self.headers).get("content-type", "")
        response: dict[str, Any] = {"status": self.status, "headers": [list(pair) for pair in self.headers],
                                    "head_at": round(self.head_at, 6)}
        if self.stream:
            binary = content_type.startswith(EVENTSTREAM)
            response["events"] = [
                {"at": round(piece.at, 6), **({"b64": base64.b64encode(piece.data).decode()} if binary
                                               else {"data": piece.data.decode("utf-8", "replace")})}
                for piece in self.pieces
            ]
        else:
            body = b"".join(piece.data for piece in self.pieces)
            response["at"] = round(self.pieces[-1].at, 6) if self.pieces else round(self.head_at, 6)
            try:
                response["body"] = json.loads(body)
            except ValueError:
                response["body_text"] = body.decode("utf-8", "replace")
        response["complete"] = self.complete
        return {"key": self.key, "request": dict(self.request), "response": response}

    @classmethod
    def from_json(cls, value: Any, name: str, line: int) -> Recorded:
        """An exchange's JSON, from line ``line`` of the cassette ``name`` (which errors name)."""
        where = f"{name}:{line}"
        try:
            request, response = value["request"], value["response"]
            headers = tuple((str(header), str(text)) for header, text in response["headers"])
            status, head_at = int(response["status"]), float(response["head_at"])
            if "events" in response:
                pieces = tuple(_piece(event) for event in response["events"])
                stream = True
            else:
                if "body" in response:
                    body = json_bytes(response["body"])
                else:
                    body = str(response["body_text"]).encode()
                pieces = (Piece(float(response.get("at", head_at)), body),)
                stream = False
            key = str(value["key"])
            if not isinstance(request, dict):
                raise TypeError("request is not an object")
            complete = response.get("complete", True)
            if type(complete) is not bool:
                raise TypeError(f"complete: expected true or false, got {complete!r}")
        except (KeyError, TypeError, ValueError) as err:
            raise CassetteError(f"{where}: not a recorded exchange ({_reason(err)}); expected "
                                '{"key": …, "request": {…}, "response": {"status": …, "headers": […], "head_at": …, '
                                '"events" or "body": …}}') from None
        expected = key_of(str(request.get("path", "")), request.get("body"))
        if key != expected:
            raise CassetteError(f"{where}: its key {key!r} is not its request's ({expected!r}): the line was edited "
                                "by hand, or written by another version of the key; re-record it, or put the "
                                "request's key there")
        return cls(key, request, status, headers, head_at, stream, pieces, complete, line)


def _reason(err: BaseException) -> str:
    return f"missing {err}" if isinstance(err, KeyError) else str(err)


def _piece(event: Any) -> Piece:
    data = base64.b64decode(event["b64"], validate=True) if "b64" in event else str(event["data"]).encode()
    return Piece(float(event["at"]), data, _counted(data))


def _counted(data: bytes) -> bool:
    return not data.startswith(b"event: ping")


def _events_of(body: bytes) -> int:
    """The events a stream of this JSON reply would have: start, three per block, delta, stop."""
    try:
        content = json.loads(body).get("content")
    except (ValueError, AttributeError):
        return 1
    return 3 + 3 * len(content) if isinstance(content, list) else 1


class _RecordedPieces(Pieces):
    """A recorded stream's events, each after its recorded silence (``start``: when the head came;
    None: no silences)."""

    spelled = False
    def __init__(self, pieces: Sequence[Piece], start: float | None) -> None:
        self._pieces = pieces
        self._start = start

    def __len__(self) -> int:
        return len(self._pieces)

    def gap(self, index: int) -> float:
        if self._start is None:
            return 0.0
        before = self._pieces[index - 1].at if index else self._start
        return max(0.0, self._pieces[index].at - before)

    def make(self, index: int) -> Send:
        piece = self._pieces[index]
        return Send(piece.data, 1 if piece.counted else 0)

    def events(self, index: int) -> int:
        return 1 if self._pieces[index].counted else 0


class Recording:
    """One exchange as it passes through a recording proxy: its head, then its bytes as they arrive,
    split into events (SSE) or frames (Bedrock's event-stream) with the time each one was complete."""

    def __init__(self, key: str, request: Mapping[str, Any]) -> None:
        self.key = key
        self.request = request
        self._status = 0
        self._headers: tuple[tuple[str, str], ...] = ()
        self._head_at = 0.0
        self._stream = False
        self._binary = False
        self._buffer = bytearray()
        self._pieces: list[Piece] = []
        self._counted = 0

    @property
    def started(self) -> bool:
        return self._status != 0

    @property
    def events(self) -> int:
        """The counted events recorded so far."""
        return self._counted

    def head(self, status: int, headers: Iterable[tuple[str, str]], at: float) -> None:
        pairs = list(headers)
        content_type = next((value for name, value in pairs if name.lower() == "content-type"), "")
        self._status, self._head_at = status, at
        self._headers = tuple(kept_headers(pairs, RESPONSE_HEADERS, RESPONSE_HEADER_PREFIXES))
        self._binary = content_type.startswith(EVENTSTREAM)
        self._stream = self._binary or content_type.startswith("text/event-stream")

    def data(self, chunk: bytes, at: float) -> None:
        """Bytes of the body as they arrived at ``at``: every event they complete is recorded then."""
        buffer = self._buffer
        buffer += chunk
        if not self._stream:
            return
        while True:
            size = self._complete_piece(buffer)
            if size is None:
                return
            piece = bytes(buffer[:size])
            del buffer[:size]
            counted = self._binary or _counted(piece)
            self._pieces.append(Piece(at, piece, counted))
            self._counted += counted

    def _complete_piece(self, buffer: bytearray) -> int | None:
        if self._binary:
            if len(buffer) < 4:
                return None
            (total,) = struct.unpack_from(">I", buffer)
            return total if len(buffer) >= total else None
        ends = [(buffer.find(separator), len(separator)) for separator in (b"\n\n", b"\r\n\r\n")]
        found = [index + size for index, size in ends if index >= 0]
        return min(found) if found else None

    def finish(self, complete: bool, at: float) -> Recorded:
        """The exchange as recorded; ``complete``: the body ended as HTTP says a body ends (else it broke,
        and whatever had arrived of an event is dropped with it)."""
        pieces = list(self._pieces)
        if not self._stream and (self._buffer or complete):
            pieces = [Piece(at, bytes(self._buffer))]
        return Recorded(self.key, self.request, self._status, self._headers, self._head_at, self._stream,
                        tuple(pieces), complete)


def request_of(method: str, path: str, headers: Mapping[str, str], body: Any) -> dict[str, Any]:
    """A request's essentials as a cassette keeps them: no credential, volatile fields normalised."""
    return {"method": method, "path": path,
            "headers": dict(kept_headers(headers.items(), REQUEST_HEADERS)),
            "body": normalise(body)}


class Cassette:
    """A cassette's exchanges by turn key, and its header."""

    def __init__(self, header: Mapping[str, Any] | None = None, name: str = "<cassette>") -> None:
        self.header: dict[str, Any] = {"claude_fakes_cassette": FORMAT, **(header or {})}
        self.name = name
        """The file it came from (or will go to), for messages."""
        self._exchanges: dict[str, Recorded] = {}

    def __len__(self) -> int:
        return len(self._exchanges)

    def __iter__(self) -> Iterator[Recorded]:
        return iter(self._exchanges.values())

    def find(self, key: str) -> Recorded | None:
        return self._exchanges.get(key)

    def add(self, recorded: Recorded) -> str:
        """Record an exchange: an answer for its turn replaces an earlier one, unless that one was whole
        and this one is not (a retry after a good answer, cut by the client, does not spoil it).
        Says what it did: ``added``, ``replaced`` or ``kept`` (the earlier one)."""
        earlier = self._exchanges.get(recorded.key)
        if earlier is not None and _good(earlier) and not _good(recorded):
            return "kept"
        self._exchanges[recorded.key] = recorded
        return "added" if earlier is None else "replaced"

    @staticmethod
    def line(recorded: Recorded) -> str:
        """An exchange's line, as :meth:`dumps` writes it (with its newline)."""
        return json.dumps(recorded.to_json(), ensure_ascii=False) + "\n"

    @classmethod
    def parse(cls, text: str, name: str) -> Cassette:
        """A cassette from its text; ``name`` (its file) goes in every error."""
        lines = text.splitlines()
        if not lines or not lines[0].strip():
            raise CassetteError(f"{name}:1: empty; expected a header line "
                                f'{{"claude_fakes_cassette": {FORMAT}, …}}')
        header = _json_line(lines[0], f"{name}:1")
        version = header.get("claude_fakes_cassette") if isinstance(header, dict) else None
        if type(version) is not int:
            raise CassetteError(f'{name}:1: expected a header line {{"claude_fakes_cassette": {FORMAT}, …}}, '
                                f"got {lines[0][:120]!r}")
        if version > FORMAT:
            raise CassetteError(f"{name}:1: cassette format {version} is newer than this claude_fakes reads "
                                f"(format {FORMAT}); upgrade claude_fakes to replay it")
        cassette = cls(header, name)
        for number, line in enumerate(lines[1:], 2):
            if not line.strip():
                continue
            recorded = Recorded.from_json(_json_line(line, f"{name}:{number}"), name, number)
            earlier = cassette._exchanges.get(recorded.key)
            if earlier is not None:
                raise CassetteError(f"{name}:{number}: records the same turn as line {earlier.line} (key "
                                    f"{recorded.key}): a cassette holds one answer per turn; delete one of them")
            cassette._exchanges[recorded.key] = recorded
        return cassette

    def dumps(self) -> str:
        lines = [json.dumps(self.header, sort_keys=True, ensure_ascii=False)]
        return "\n".join(lines) + "\n" + "".join(self.line(recorded) for recorded in self._exchanges.values())

    def closest(self, path: str, body: Any) -> str:
        """Why no recording answers this request: the closest recorded one, and what differs."""
        wanted = _essentials(path, body)
        if not self._exchanges:
            return f"{self.name} holds no recordings"
        best: tuple[int, Recorded, list[str]] | None = None
        for recorded in self._exchanges.values():
            differences = _differences(_essentials(str(recorded.request.get("path", "")), recorded.request.get("body")),
                                       wanted)
            if best is None or len(differences) < best[0]:
                best = (len(differences), recorded, differences)
        assert best is not None
        _, recorded, differences = best
        where = f"{self.name}:{recorded.line}" if recorded.line is not None else self.name
        shown = "\n    ".join(differences[:8]) + (f"\n    … and {len(differences) - 8} more"
                                                      if len(differences) > 8 else "")
        return f"the closest recording is {where}; it differs (recorded, then this request's):\n    {shown}"


def _good(recorded: Recorded) -> bool:
    return recorded.complete and recorded.status < 400


def _json_line(line: str, where: str) -> Any:
    try:
        return json.loads(line)
    except ValueError as err:
        raise CassetteError(f"{where}: not JSON ({err}; a line cut short, or edited by hand): "
                            f"{line[:120]!r}") from None


def _differences(recorded: Any, wanted: Any, at: str = "") -> list[str]:
    """Where two JSON values differ, as ``path: recorded != wanted`` lines."""
    if isinstance(recorded, dict) and isinstance(wanted, dict):
        found = []
        for name in sorted(set(recorded) | set(wanted), key=str):
            where = f"{at}.{name}" if at else str(name)
            if name not in wanted:
                found.append(f"{where}: {_show(recorded[name])} != (absent)")
            elif name not in recorded:
                found.append(f"{where}: (absent) != {_show(wanted[name])}")
            else:
                found += _differences(recorded[name], wanted[name], where)
        return found
    if isinstance(recorded, list) and isinstance(wanted, list):
        found = []
        for index in range(max(len(recorded), len(wanted))):
            where = f"{at}[{index}]"
            if index >= len(wanted):
                found.append(f"{where}: {_show(recorded[index])} != (absent)")
            elif index >= len(recorded):
                found.append(f"{where}: (absent) != {_show(wanted[index])}")
            else:
                found += _differences(recorded[index], wanted[index], where)
        return found
    return [] if recorded == wanted else [f"{at or '(the request)'}: {_show(recorded)} != {_show(wanted)}"]


def _show(value: Any) -> str:
    text = json.dumps(value, ensure_ascii=False, sort_keys=True)
    return text if len(text) <= 80 else text[:77] + "..."


# -- drift --------------------------------------------------------------------------------------


def shape(recorded: Recorded) -> dict[str, Any]:
    """What a recorded answer's shape is, for :func:`drift`: status, event types, the content blocks'
    and deltas' types, stop reason, the usage fields, and the names of its headers. Values (the words,
    the counts) are not shape: a re-recording writes other words."""
    events: list[str] = []
    blocks: list[str] = []
    stop: Any = None
    usage: set[str] = set()
    for data in _messages(recorded):
        kind = data.get("type")
        inner = data.get("content_block") if kind == "content_block_start" else (
            data.get("delta") if kind == "content_block_delta" else None)
        if isinstance(inner, Mapping) and isinstance(inner.get("type"), str):
            kind = f"{kind}:{inner['type']}"  # a thinking block where a text block was is drift
        if isinstance(kind, str) and (not events or events[-1] != kind):
            events.append(kind)  # a longer answer has more deltas: a run of one type is one entry
        content = data.get("content") if kind == "message" else None
        blocks += [str(block.get("type")) for block in content or () if isinstance(block, Mapping)]
        message = data.get("message") if kind == "message_start" else data
        delta = data.get("delta") if kind == "message_delta" else None
        for holder in (message, delta):
            if isinstance(holder, Mapping) and holder.get("stop_reason") is not None:
                stop = holder["stop_reason"]
        for holder in (message, data):
            found = holder.get("usage") if isinstance(holder, Mapping) else None
            if isinstance(found, Mapping):
                usage |= set(found)
    return {"status": recorded.status, "events": events, "blocks": blocks, "stop_reason": stop, "usage": sorted(usage),
            "headers": sorted({name for name, _ in recorded.headers if not name.endswith(("-remaining", "-reset"))})}


def _messages(recorded: Recorded) -> Iterator[Mapping[str, Any]]:
    """The JSON objects of an answer: each event's data, or the body."""
    for piece in recorded.pieces:
        if not recorded.stream:
            texts = [piece.data]
        elif dict(recorded.headers).get("content-type", "").startswith(EVENTSTREAM):
            texts = [_frame_payload(piece.data)]
        else:
            texts = [line[5:].strip() for line in piece.data.splitlines() if line.startswith(b"data:")]
        for text in texts:
            try:
                value = json.loads(text)
            except ValueError:
                continue
            if isinstance(value, Mapping):
                yield value


def _frame_payload(frame: bytes) -> bytes:
    try:
        (headers_length,) = struct.unpack_from(">I", frame, 4)
        payload = json.loads(frame[12 + headers_length:-4])
        return base64.b64decode(payload["bytes"])
    except (struct.error, ValueError, KeyError, TypeError):
        return b""


def drift(old: Cassette, new: Cassette) -> list[str]:
    """How ``new``'s answers differ in shape from ``old``'s, turn by turn (empty: nothing drifted)."""
    found: list[str] = []
    for recorded in old:
        other = new.find(recorded.key)
        label = f"turn {recorded.key[:12]} ({old.name}:{recorded.line}"
        if other is None:
            found.append(f"{label}): not in {new.name}")
            continue
        label += f", {new.name}:{other.line})"
        before, after = shape(recorded), shape(other)
        for name in ("status", "events", "blocks", "stop_reason", "usage", "headers"):
            if before[name] != after[name]:
                found.append(f"{label}: {name} {_show(before[name])} != {_show(after[name])}")
    found += [f"turn {recorded.key[:12]} ({new.name}:{recorded.line}): not in {old.name}"
              for recorded in new if old.find(recorded.key) is None]
    return found


@dataclass
class Tape:
    """A cassette in use by one fake: what it replays, whether misses (or everything) are recorded,
    and who writes it down as each exchange is recorded."""

    cassette: Cassette
    mode: str = "none"
    """``none``: replay only, a miss is an error; ``new``: record the misses; ``all``: record every
    request again (``once`` is ``none`` or ``all``, by whether the file exists: :mod:`claude_fakes.record`)."""
    gaps: bool = True
    """Replay with the recorded silences (on the fake's clock, so at no cost in-process), else none."""
    recorded: Callable[[Cassette, Recorded, str], None] | None = None
    """Called after each exchange is recorded, with what :meth:`Cassette.add` did (writing the file)."""

    def __post_init__(self) -> None:
        if self.mode not in ("none", "new", "all"):
            raise ValueError(f"record mode: expected one of none, new, all, got {self.mode!r}")

    @property
    def records(self) -> bool:
        return self.mode != "none"

    def forwards(self, recorded: Recorded | None) -> bool:
        """Whether a request goes to the upstream (and is recorded) rather than replayed: while recording,
        a retry of a turn whose answer was an error or broke goes on too, and a good answer replaces it."""
        return self.mode == "all" or (self.mode == "new" and (recorded is None or not _good(recorded)))

    def add(self, recorded: Recorded) -> None:
        done = self.cassette.add(recorded)
        if self.recorded is not None and done != "kept":
            self.recorded(self.cassette, recorded, done)
