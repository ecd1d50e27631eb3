"""Other recorders' files as cassettes: vcrpy's and pytest-recording's YAML, and HAR (a browser's or a
proxy's export), told apart by their content, not their name.

Only Claude's exchanges come over (``POST`` to a Messages path, on any host); credentials do not
(the cassette's own allow-list applies). Neither format keeps the time of each event: vcrpy keeps
no times at all (its events arrive at once), and HAR keeps the wait for the head and the time the
body took (its events arrive together when the body ends).
"""

from __future__ import annotations

import base64
import gzip
import importlib
import json
import os
from collections.abc import Iterator, Mapping
from pathlib import Path
from typing import Any
from urllib.parse import urlsplit

from ..core.cassette import Cassette, CassetteError, Recording, key_of, request_of
from ..core.request import Incoming

__all__ = ["import_file"]


def import_file(path: str | os.PathLike[str]) -> tuple[Cassette, str]:
    """The Claude exchanges in a vcrpy/pytest-recording YAML or HAR file, and which format it was."""
    name = os.fspath(path)
    text = Path(path).read_text(encoding="utf-8")
    stripped = text.lstrip()
    if stripped.startswith("{"):
        try:
            document = json.loads(text)
        except ValueError as err:
            raise CassetteError(f"{name}: looks like JSON (a HAR file) but is not: {err}") from None
        if not isinstance(document, Mapping) or not isinstance(document.get("log"), Mapping):
            raise CassetteError(f'{name}: JSON without a "log" object: not a HAR file')
        return _collect(name, "HAR", _har(document["log"], name)), "HAR"
    try:
        yaml: Any = importlib.import_module("yaml")
    except ImportError:
        raise CassetteError(f"{name}: reading a vcrpy YAML cassette needs PyYAML (pip install pyyaml)") from None
    try:
        document = yaml.load(text, Loader=getattr(yaml, "CSafeLoader", yaml.SafeLoader))
    except yaml.YAMLError as err:
        raise CassetteError(f"{name}: neither HAR (JSON) nor vcrpy YAML: {err}") from None
    if not isinstance(document, Mapping) or not isinstance(document.get("interactions"), list):
        raise CassetteError(f"{name}: no interactions list: not a vcrpy or pytest-recording cassette "
                            "(expected interactions: [{request: …, response: …}])")
    return _collect(name, "vcrpy YAML", _vcr(document["interactions"], name)), "vcrpy YAML"


_Exchange = tuple[str, str, dict[str, str], bytes, int, list[tuple[str, str]], bytes, float, float]
"""method, url, request headers, request body, status, response headers, response body, head at, end at"""


def _collect(name: str, kind: str, exchanges: Iterator[_Exchange]) -> Cassette:
    cassette = Cassette({"imported_from": f"{kind}: {Path(name).name}"}, name)
    for method, url, headers, body, status, response_headers, response_body, head_at, end_at in exchanges:
        path = urlsplit(url).path
        incoming = Incoming(method.upper(), path, {}, headers, body)
        if not incoming.is_attempt:
            continue
        request = incoming.json
        encoding = next((value for key, value in response_headers if key.lower() == "content-encoding"), "")
        if encoding.lower() == "gzip":
            response_body = gzip.decompress(response_body)  # as recorded on the wire; a client reads it unzipped
        recording = Recording(key_of(path, request), request_of(incoming.method, path, headers, request))
        recording.head(status, response_headers, head_at)
        recording.data(response_body, end_at)
        cassette.add(recording.finish(True, end_at))
    return cassette


def _text(value: Any) -> bytes:
    if value is None:
        return b""
    if isinstance(value, bytes):
        return value
    return str(value).encode()


def _vcr(interactions: list[Any], name: str) -> Iterator[_Exchange]:
    for number, interaction in enumerate(interactions, 1):
        try:
            request, response = interaction["request"], interaction["response"]
            headers = {str(key).lower(): _first(value) for key, value in (request.get("headers") or {}).items()}
            body = response.get("body")
            content = body.get("string") if isinstance(body, Mapping) else body
            response_headers = [(str(key), _first(value)) for key, value in (response.get("headers") or {}).items()]
            status = response["status"]
            code = int(status["code"] if isinstance(status, Mapping) else status)
            yield (str(request["method"]), str(request["uri"]), headers, _text(request.get("body")), code,
                   response_headers, _text(content), 0.0, 0.0)
        except (KeyError, TypeError, ValueError, AttributeError) as err:
            raise CassetteError(f"{name}: interaction {number} is not a vcrpy request/response pair ({err})") from None


def _first(value: Any) -> str:
    """vcrpy keeps each header as a list of its values."""
    return str(value[0]) if isinstance(value, list) and value else str(value)


def _har(log: Mapping[str, Any], name: str) -> Iterator[_Exchange]:
    for number, entry in enumerate(log.get("entries") or [], 1):
        try:
            request, response = entry["request"], entry["response"]
            headers = {str(h["name"]).lower(): str(h["value"]) for h in request.get("headers") or []}
            body = _text((request.get("postData") or {}).get("text"))
            content = response.get("content") or {}
            data = _text(content.get("text"))
            if content.get("encoding") == "base64":
                data = base64.b64decode(data)
            timings = entry.get("timings") or {}
            head_at = sum(max(0.0, float(timings.get(part, 0) or 0)) for part in ("send", "wait")) / 1000
            end_at = head_at + max(0.0, float(timings.get("receive", 0) or 0)) / 1000
            response_headers = [(str(h["name"]), str(h["value"])) for h in response.get("headers") or []]
            yield (str(request["method"]), str(request["url"]), headers, body, int(response["status"]),
                   response_headers, data, head_at, end_at)
        except (KeyError, TypeError, ValueError) as err:
            raise CassetteError(f"{name}: entry {number} is not a HAR request/response pair ({err})") from None
