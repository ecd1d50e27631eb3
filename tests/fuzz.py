"""Fuzzed requests for the socket server, seeded so that every run sends the same bytes: the malformed
mix fuzzing found, and well-formed requests that ask for work without bound (issue 20). The suite's
bounds tests send a few hundred; ``bench/fuzz.py`` sends ten thousand and more.

A request here always gets an answer: nothing in it scripts a ``hang`` or a silence longer than a
fraction of a second, and the one that paces a reply (:func:`paced`) is read only to its first delta.
"""

from __future__ import annotations

import json
import random
import socket
from typing import Any

import h11

from .sdk import REQUEST

API_HEADERS = b"x-api-key: k\r\nanthropic-version: 2023-06-01\r\ncontent-type: application/json\r\n"


def post(body: bytes, *headers: bytes, path: bytes = b"/v1/messages") -> bytes:
    """A request that asks the server to close the connection after its answer."""
    return (b"POST " + path + b" HTTP/1.1\r\nhost: x\r\nconnection: close\r\n" + API_HEADERS + b"".join(headers)
            + b"content-length: %d\r\n\r\n" % len(body) + body)


def malformed(rng: random.Random) -> bytes:
    """One request from a seeded mix of what fuzzing found: broken framing, bodies, headers, scripts."""
    body = json.dumps(REQUEST).encode()
    kind = rng.randrange(10)
    if kind == 0:
        return bytes(rng.randrange(256) for _ in range(rng.randrange(1, 200))) + b"\r\n\r\n"
    if kind == 1:
        return rng.choice([b"GET", b"PUT", b"DELETE", b"PATCH", b"BREW"]) + b" /v1/messages HTTP/1.1\r\nhost: x\r\n" \
            + b"connection: close\r\n\r\n"
    if kind == 2:
        return post(bytes(rng.randrange(256) for _ in range(rng.randrange(0, 300))))
    if kind == 3:
        depth = rng.randrange(1, 5000)
        return post(b"[" * depth + b"]" * depth)
    if kind == 4:
        broken = dict(REQUEST)
        key = rng.choice(["model", "max_tokens", "messages", "stream"])
        broken[key] = rng.choice([None, -1, "x", [], {}, True, 10**12, "\u00b2"])
        return post(json.dumps(broken).encode())
    if kind == 5:
        value = bytes(rng.choice(b"ok*(),=\"'\\ \xb2\xff0123456789hangdropafter") for _ in range(rng.randrange(1, 60)))
        return post(body, b"x-claude-fakes-script: " + value + b"\r\n")
    if kind == 6:
        value = bytes(rng.randrange(128, 256) for _ in range(rng.randrange(1, 10)))
        return post(body, b"x-stainless-retry-count: " + value + b"\r\n")
    if kind == 7:
        query = bytes(rng.choice(b"limit=%C2%B2&after_id=\x00xyz") for _ in range(rng.randrange(1, 30)))
        return b"GET /v1/models?" + query + b" HTTP/1.1\r\nhost: x\r\nconnection: close\r\n" + API_HEADERS + b"\r\n"
    if kind == 8:
        return post(body, b"x-claude-fakes-scope: " + bytes(rng.randrange(32, 256) for _ in range(20)) + b"\r\n")
    return post(body)[: rng.randrange(20, 120)] + b"\r\n\r\n"


def _schema(rng: random.Random) -> dict[str, Any]:
    """A tool schema that asks for more than any reply holds, or for steps without end."""
    kind = rng.randrange(6)
    members = rng.randrange(20, 120)
    if kind == 0:  # each node refers to itself twice: 2 ** depth steps
        return {"$defs": {"n": {"type": "object", "required": ["a", "b"],
                                "properties": {"a": {"$ref": "#/$defs/n"}, "b": {"$ref": "#/$defs/n"}}}},
                "$ref": "#/$defs/n"}
    if kind == 1:  # arrays of wide objects, a million each
        wide = {"type": "object", "required": [f"p{n}" for n in range(members)],
                "properties": {f"p{n}": {"type": "integer"} for n in range(members)}}
        return {"type": "object", "required": ["a", "b"],
                "properties": {"a": {"type": "array", "minItems": 10**6, "items": wide},
                               "b": {"type": "array", "minItems": 10**6, "uniqueItems": True,
                                     "items": {"type": "number", "minimum": 1e308, "multipleOf": 1e-10}}}}
    if kind == 2:  # strings of a billion characters
        return {"type": "object", "required": [f"s{n}" for n in range(members)],
                "properties": {f"s{n}": {"type": "string", "minLength": 10**9} for n in range(members)}}
    if kind == 3:  # nested as deep as a schema's words go
        schema: dict[str, Any] = {"type": "string"}
        for _ in range(rng.randrange(30, 300)):
            schema = {"type": "object", "required": ["x"], "properties": {"x": schema}}
        return schema
    if kind == 4:  # not an object's schema
        return {"type": rng.choice(["array", "string", "integer"]), "minItems": 10**9, "minimum": float("inf")}
    return {"type": "object", "required": ["n"], "properties": {"n": {"type": "number", "minimum": float("inf"),
                                                                    "maximum": float("-inf")}}}


def _words(rng: random.Random, most: int) -> str:
    return " ".join(f"w{n}" for n in range(rng.randrange(1, most)))


def costly(rng: random.Random) -> bytes:
    """One well-formed request that asks for work without bound: it must cost a bounded time."""
    kind = rng.randrange(9)
    stream = rng.random() < 0.5
    # Some go to the scopes whose scripts the last kind sets (a long text, cut by the request's max_tokens).
    scope = b"x-claude-fakes-scope: fuzz-%d\r\n" % rng.randrange(3) if rng.random() < 0.3 else b""
    if kind == 0:
        body = {**REQUEST, "stream": stream, "max_tokens": rng.choice([100, 1024, 128_000]),
                "tools": [{"name": "t", "input_schema": _schema(rng)}], "tool_choice": {"type": "any"}}
        return post(json.dumps(body).encode(), scope)
    if kind == 1:
        body = {**REQUEST, "stream": stream, "max_tokens": rng.choice([100, 1024, 128_000]),
                "output_config": {"format": {"type": "json_schema", "schema": _schema(rng)}}}
        return post(json.dumps(body).encode(), scope)
    if kind == 2:
        action = rng.choice(["ok", "drop(after=9)", "truncate(after=40)", "malformed(after=7)", "error_event(after=5)",
                             "stall(after=3, seconds=0.001)"])
        text = _words(rng, 400)
        script = action[:-1] + f', text="{text}")' if "(" in action else f'ok(text="{text}")'
        body = {**REQUEST, "stream": stream, "max_tokens": rng.choice([5, 100, 128_000])}
        return post(json.dumps(body).encode(), b"x-claude-fakes-script: " + script.encode() + b"\r\n")
    if kind == 3:
        body = {**REQUEST, "model": rng.choice(["claude-sonnet-4-6", "claude-fuzz-9"]), "stream": stream,
                "max_tokens": rng.choice([3_000_000, 10**8, 10**18])}
        return post(json.dumps(body).encode())
    if kind == 4:
        seconds = rng.choice([0.01, 0.05])
        script = f"stall(after=2, seconds={seconds}, ping_every=0.001)"
        return post(json.dumps({**REQUEST, "stream": True}).encode(), scope, b"x-claude-fakes-script: "
                    + script.encode() + b"\r\n")
    if kind == 5:
        blocks = [{"type": "text", "text": f"t{n}"} for n in range(rng.randrange(1_000, 20_000))]
        body = {**REQUEST, "stream": stream, "messages": [{"role": "user", "content": blocks}]}
        return post(json.dumps(body).encode(), scope,
                    path=rng.choice([b"/v1/messages", b"/v1/messages/count_tokens"]))
    if kind == 6:
        depth = rng.randrange(900, 1_000)
        script = "tool_use(name=t, input='" + '{"a":' * depth + "1" + "}" * depth + "')"
        header = rng.choice([script, "rate_limited(retry_after=1e300)", "rate_limited(retry_after=inf)"])
        return post(json.dumps(REQUEST).encode(), scope, b"x-claude-fakes-script: " + header.encode() + b"\r\n")
    if kind == 7:
        scope = b"fuzz-%d" % rng.randrange(3)
        action = rng.choice([b"journal", b"timeline", b"health"])
        return (b"GET /_claude_fakes/" + action + b"?scope=" + scope
                + b" HTTP/1.1\r\nhost: x\r\nconnection: close\r\n\r\n")
    scope = b"fuzz-%d" % rng.randrange(3)
    text = "w " * rng.randrange(1, 50_000)
    return post(json.dumps({"script": f'ok(text="{text}")*inf'}).encode(), path=b"/_claude_fakes/script?scope=" + scope)


def fuzzed(rng: random.Random) -> bytes:
    """One request of the whole mix: malformed or costly, evenly. A malformed script header that spells
    ``hang`` is drawn again: a hang is meant to go unanswered."""
    if rng.random() < 0.5:
        return costly(rng)
    for _ in range(100):
        request = malformed(rng)
        if b"hang" not in request:
            return request
    raise AssertionError("the malformed mix spelled hang a hundred times")


def paced(rng: random.Random) -> bytes:
    """A paced reply as long as max_tokens says (for a server that paces replies and checks nothing):
    read it to its first delta."""
    body = {**REQUEST, "stream": True, "max_tokens": rng.choice([128_000, 3_000_000, 10**8])}
    return post(json.dumps(body).encode())


def send(port: int, request: bytes, *, until: bytes | None = None, timeout: float = 30) -> bytes:
    """Send ``request`` on a fresh connection and read the answer: to the server's close, or, with
    ``until``, only as far as that (then close: the rest of a paced reply is not waited for)."""
    with socket.create_connection(("127.0.0.1", port), timeout=timeout) as sock:
        try:
            sock.sendall(request)
            if until is None:
                sock.shutdown(socket.SHUT_WR)
        except OSError:
            pass
        received = bytearray()
        for _ in range(1_000_000):  # bounded: each read has at least one byte, or ends the loop
            try:
                chunk = sock.recv(1 << 20)
            except (ConnectionResetError, TimeoutError):
                break
            if not chunk:
                break
            received += chunk
            if until is not None and until in received:
                break
        return bytes(received)


def response_of(data: bytes) -> tuple[int, dict[str, str], bytes] | None:
    """The first response in ``data``: status, headers and as much of its body as arrived (None: no response)."""
    client = h11.Connection(h11.CLIENT)
    client.send(h11.Request(method="POST", target="/", headers=[("host", "x")]))
    client.send(h11.EndOfMessage())
    client.receive_data(data)
    client.receive_data(b"")
    status, headers, body = None, {}, []
    for _ in range(len(data) + 2):  # bounded: at least one byte per event
        try:
            event = client.next_event()
        except h11.RemoteProtocolError:  # cut mid-body: what arrived is the answer
            break
        if isinstance(event, h11.InformationalResponse):
            continue
        if isinstance(event, h11.Response):
            status = event.status_code
            headers = {name.decode(): value.decode("latin-1") for name, value in event.headers}
        elif isinstance(event, h11.Data):
            body.append(event.data)
        else:
            break
    return None if status is None else (status, headers, b"".join(body))


def shape_problem(data: bytes) -> str | None:
    """What is not Anthropic-shaped in the answer ``data`` (as much of it as was read), or None."""
    response = response_of(data)
    if response is None:
        return "no response"
    status, headers, body = response
    kind = headers.get("content-type", "")
    if kind.startswith("text/event-stream"):
        first = body.split(b"\n\n", 1)[0]
        started = status == 200 and first.startswith(b"event: message_start\ndata: {")
        return None if started else f"stream {first[:80]!r}"
    if kind.startswith("text/plain") and status == 200:
        return None if body.startswith(b"claude_fakes timeline:") else f"timeline {body[:80]!r}"
    try:
        answer = json.loads(body)
    except ValueError:
        if status == 200:  # a malformed(after=K) reply is meant not to parse: its start is the API's
            return None if body.startswith(b'{"model":') else f"200 {body[:80]!r}"
        return f"{status} not JSON: {body[:80]!r}"
    if status == 200:
        return None if isinstance(answer, dict) else f"200 {body[:80]!r}"
    error = answer.get("error") if isinstance(answer, dict) else None
    if answer.get("type") != "error" or not isinstance(error, dict) or not isinstance(error.get("type"), str):
        return f"{status} {body[:80]!r}"
    return None
