"""Benchmarks of cassettes, each reported against a baseline measured in the same run.

    python bench/cassette.py [--events 1000] [--calls 20] [--exchanges 200] [--repeats 5]

1. Replay: a recorded stream of about 1,000 events, read through the SDK (``messages.stream`` +
   ``get_final_message``) from a ``ClaudeFake(cassette=…)``, against the same bytes and headers
   served by a canned ``MockTransport`` (the least an HTTP-level mock can cost). Runs interleaved,
   best of each; without the recorded gaps, then with them (virtual time: they cost nothing, but the
   stream then reaches the SDK an event a read, so the canned bytes an event a read are shown too).
2. Recording through the proxy: N distinct streamed calls from the SDK through ``claude-fakes
   serve --cassettes DIR --record`` (a ``FakeServer`` with the same options, in a thread) to a local
   upstream (another ``FakeServer``), against the same calls straight to that upstream; the
   difference per exchange is the proxy's cost (forwarding, recording, writing the line).

No number here is asserted anywhere; the figures are for reading and comparing across changes.
"""

from __future__ import annotations

import argparse
import importlib
import itertools
import json
import tempfile
import time
from collections.abc import Callable
from pathlib import Path
from typing import Any

import anthropic
import anthropic._base_client

from claude_fakes import ClaudeFake, replies
from claude_fakes.core.cassette import Cassette, Recording, key_of, request_of
from claude_fakes.core.plan import Send
from claude_fakes.core.planner import Api
from claude_fakes.core.request import Incoming
from claude_fakes.core.script import to_turns
from claude_fakes.record.files import save, scope_tapes
from claude_fakes.server import FakeServer

REAL = {"perf_counter": time.perf_counter}  # a fake leaves perf_counter real; this keeps the bench obviously so
HTTP: Any = importlib.import_module("httpx2" if hasattr(anthropic._base_client, "httpx2") else "httpx")
REQUEST: dict[str, Any] = {"model": "claude-sonnet-4-6", "max_tokens": 4096,
                           "messages": [{"role": "user", "content": "Write a long answer."}]}


def timed(fn: Callable[[], object]) -> float:
    start = REAL["perf_counter"]()
    fn()
    return REAL["perf_counter"]() - start


def recorded_stream(events: int) -> tuple[list[tuple[str, str]], list[bytes]]:
    """The fake's own streamed answer of about ``events`` events (one word a delta), as recorded."""
    words = " ".join(f"word{n}" for n in range(events - 5))
    api = Api()
    body = json.dumps({**REQUEST, "stream": True}).encode()
    (step,), *_ = to_turns([replies.text(words)])
    plan = api.respond(Incoming("POST", "/v1/messages", {}, {}, body), step, now=0)
    assert plan.head is not None
    return list(plan.head.headers), [action.data for action in plan.actions if isinstance(action, Send)]


def write_cassette(path: Path, headers: list[tuple[str, str]], pieces: list[bytes]) -> None:
    body = {**REQUEST, "stream": True}
    recording = Recording(key_of("/v1/messages", body), request_of("POST", "/v1/messages", {}, body))
    recording.head(200, headers, 0.3)
    for index, piece in enumerate(pieces):
        recording.data(piece, 0.3 + index * 0.02)
    cassette = Cassette({"created": "bench"}, str(path))
    cassette.add(recording.finish(True, 0.3 + len(pieces) * 0.02))
    save(cassette, path)


def read_stream(client: anthropic.Anthropic, calls: int) -> Callable[[], None]:
    def run() -> None:
        for _ in range(calls):
            with client.messages.stream(**REQUEST) as stream:
                stream.get_final_message()

    return run


def replay(events: int, calls: int, repeats: int) -> None:
    headers, pieces = recorded_stream(events)
    body = b"".join(pieces)
    with tempfile.TemporaryDirectory() as folder:
        path = Path(folder) / "c.jsonl"
        write_cassette(path, headers, pieces)
        canned = anthropic.Anthropic(api_key="sk-bench", http_client=HTTP.Client(
            transport=HTTP.MockTransport(lambda request: HTTP.Response(200, headers=headers, content=body))))
        # With its gaps a stream reaches the SDK an event at a time, as a real one does; the SDK's own
        # work per read is then most of the difference, so the same reads on the canned side are shown too.
        by_event = anthropic.Anthropic(api_key="sk-bench", http_client=HTTP.Client(
            transport=HTTP.MockTransport(lambda request: HTTP.Response(200, headers=headers, content=iter(pieces)))))
        for gaps in (False, True):
            base, ours, reads = [], [], []
            for _ in range(repeats):
                base.append(timed(read_stream(canned, calls)))
                if gaps:
                    reads.append(timed(read_stream(by_event, calls)))
                with ClaudeFake(cassette=path, gaps=gaps) as fake:
                    client = anthropic.Anthropic()
                    ours.append(timed(read_stream(client, calls)))
                    elapsed = fake.clock.elapsed
            label = "with the recorded gaps" if gaps else "no gaps"
            print(f"replay of a {len(pieces)}-event stream, {label}: {min(ours) / calls * 1000:.2f} ms a call vs "
                  f"canned {min(base) / calls * 1000:.2f} ms: {min(ours) / min(base):.2f}x"
                  + (f" ({elapsed / calls:g} virtual s a call); canned an event a read {min(reads) / calls * 1000:.2f}"
                     f" ms: {min(ours) / min(reads):.2f}x" if gaps else ""))


def proxy(exchanges: int, repeats: int) -> None:
    prompts = itertools.count()

    def calls(url: str) -> Callable[[], None]:
        def run() -> None:
            with anthropic.Anthropic(base_url=url, api_key="sk-bench", max_retries=0) as client:
                for _ in range(exchanges):
                    request = {**REQUEST, "max_tokens": 64,
                               "messages": [{"role": "user", "content": f"Question {next(prompts)}"}]}
                    with client.messages.stream(**request) as stream:
                        stream.get_final_message()

        return run

    with FakeServer(script="ok*inf") as upstream, tempfile.TemporaryDirectory() as folder:
        base, ours = [], []
        with FakeServer(tapes=scope_tapes(folder, True, upstream.url), upstream=upstream.url) as recorder:
            calls(upstream.url)()  # both connections warm
            calls(recorder.url)()
            for _ in range(repeats):
                base.append(timed(calls(upstream.url)))
                ours.append(timed(calls(recorder.url)))
        lines = sum(1 for _ in (Path(folder) / "default.jsonl").open())
        per = (min(ours) - min(base)) / exchanges * 1000
        print(f"recording through the proxy: {min(ours) / exchanges * 1000:.2f} ms an exchange vs the upstream "
              f"alone {min(base) / exchanges * 1000:.2f} ms: +{per:.2f} ms an exchange "
              f"({min(ours) / min(base):.2f}x; {lines - 1} exchanges recorded)")


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--events", type=int, default=1000)
    parser.add_argument("--calls", type=int, default=20)
    parser.add_argument("--exchanges", type=int, default=200)
    parser.add_argument("--repeats", type=int, default=5)
    args = parser.parse_args()
    print(f"anthropic {anthropic.__version__} on {HTTP.__name__}")
    replay(args.events, args.calls, args.repeats)
    proxy(args.exchanges, args.repeats)


if __name__ == "__main__":
    main()
