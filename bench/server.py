"""Benchmarks of the fake server against a minimal stdlib socket server, measured in the same run.

    python bench/server.py [--calls 200] [--repeats 3]

Each server runs in its own process on 127.0.0.1 and answers with the same bytes; the baseline
does nothing but serve them (http.server, HTTP/1.1 keep-alive, TCP_NODELAY). Reported:

1. N sequential SDK calls (``messages.create``);
2. one stream of 1,000 text deltas (``messages.stream`` to the final message);
3. start-up: from process launch to the first answered request;
4. the same N calls against our server in a thread of the benchmark process: why the
   ``claude_fake_server`` fixture runs its server in a process of its own.
"""

from __future__ import annotations

import argparse
import json
import socket
import subprocess
import sys
import time
import urllib.request
from collections.abc import Callable
from typing import Any

import anthropic

from claude_fakes.server import FakeServer

REQUEST: dict[str, Any] = {"model": "claude-sonnet-4-6", "max_tokens": 4096,
                           "messages": [{"role": "user", "content": "Hello"}]}
LONG_TEXT = " ".join(["word"] * 1000)

BASELINE = r'''
import http.server, socket, sys, json
JSON_BODY, SSE_BODY = (open(path, "rb").read() for path in sys.argv[1:3])

class Handler(http.server.BaseHTTPRequestHandler):
    protocol_version = "HTTP/1.1"
    def setup(self):
        super().setup()
        self.connection.setsockopt(socket.IPPROTO_TCP, socket.TCP_NODELAY, 1)
    def do_POST(self):
        body = json.loads(self.rfile.read(int(self.headers["content-length"])))
        streaming = body.get("stream") is True
        payload = SSE_BODY if streaming else JSON_BODY
        self.send_response(200)
        self.send_header("content-type", "text/event-stream" if streaming else "application/json")
        self.send_header("request-id", "req_baseline")
        self.send_header("content-length", str(len(payload)))
        self.end_headers()
        self.wfile.write(payload)
    def do_GET(self):
        self.send_response(200)
        self.send_header("content-length", "2")
        self.end_headers()
        self.wfile.write(b"ok")
    def log_message(self, *args):
        pass

server = http.server.ThreadingHTTPServer(("127.0.0.1", 0), Handler)
print(f"http://127.0.0.1:{server.server_address[1]}", flush=True)
server.serve_forever()
'''


def now() -> float:
    return time.perf_counter()


def wait_ready(url: str, path: str) -> None:
    for _ in range(500):
        try:
            urllib.request.urlopen(url + path, timeout=1).read()
            return
        except OSError:
            time.sleep(0.01)
    raise RuntimeError(f"{url} never answered")


def start(command: list[str], ready_path: str) -> tuple[subprocess.Popen[str], str, float]:
    started = now()
    process = subprocess.Popen(command, stdout=subprocess.PIPE, text=True)
    assert process.stdout is not None
    url = process.stdout.readline().strip()
    wait_ready(url, ready_path)
    return process, url, now() - started


def recorded_bodies(tmp: str) -> tuple[str, str]:
    """Our server's own JSON and SSE bytes, so both servers send the same payloads."""
    with FakeServer() as server:
        server.scopes.get("default").fake.script(f'ok(text="{LONG_TEXT}")*inf')
        sse = urllib.request.urlopen(urllib.request.Request(
            server.url + "/v1/messages", data=json.dumps({**REQUEST, "stream": True}).encode(),
            headers={"x-api-key": "k", "anthropic-version": "2023-06-01", "content-type": "application/json"}),
            timeout=30).read()
        server.scopes.get("default").fake.script("ok*inf")
        body = urllib.request.urlopen(urllib.request.Request(
            server.url + "/v1/messages", data=json.dumps(REQUEST).encode(),
            headers={"x-api-key": "k", "anthropic-version": "2023-06-01", "content-type": "application/json"}),
            timeout=30).read()
    paths = (f"{tmp}/body.json", f"{tmp}/stream.sse")
    for path, data in zip(paths, (body, sse), strict=True):
        with open(path, "wb") as file:
            file.write(data)
    return paths


def sequential_calls(url: str, n: int) -> Callable[[], None]:
    client = anthropic.Anthropic(base_url=url, api_key="sk-bench", max_retries=0)

    def run() -> None:
        for _ in range(n):
            client.messages.create(**REQUEST)

    return run


def long_stream(url: str, headers: dict[str, str]) -> Callable[[], None]:
    client = anthropic.Anthropic(base_url=url, api_key="sk-bench", max_retries=0, default_headers=headers)

    def run() -> None:
        with client.messages.stream(**REQUEST) as stream:
            message = stream.get_final_message()
        assert message.usage.output_tokens == 1000

    return run


def best(repeats: int, fn: Callable[[], None]) -> float:
    fn()
    times = []
    for _ in range(repeats):
        started = now()
        fn()
        times.append(now() - started)
    return min(times)


def main() -> int:
    import tempfile

    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--calls", type=int, default=200)
    parser.add_argument("--repeats", type=int, default=3)
    args = parser.parse_args()
    with tempfile.TemporaryDirectory() as tmp:
        body_path, sse_path = recorded_bodies(tmp)
        script = f"{tmp}/baseline.py"
        with open(script, "w") as file:
            file.write(BASELINE)
        base, base_url, base_start = start([sys.executable, script, body_path, sse_path], "/")
        ours, our_url, our_start = start([sys.executable, "-m", "claude_fakes", "serve", "--port", "0", "--quiet"],
                                         "/_claude_fakes/health")
        try:
            long_script = {"x-claude-fakes-script": f'ok(text="{LONG_TEXT}")*inf'}
            rows = [
                (f"{args.calls} sequential SDK calls", best(args.repeats, sequential_calls(base_url, args.calls)),
                 best(args.repeats, sequential_calls(our_url, args.calls))),
                ("one 1,000-delta stream", best(args.repeats, long_stream(base_url, {})),
                 best(args.repeats, long_stream(our_url, long_script))),
                ("start-up to first answer", base_start, our_start),
            ]
            with FakeServer() as threaded:
                in_thread = best(args.repeats, sequential_calls(threaded.url, args.calls))
        finally:
            for process in (base, ours):
                process.terminate()
                process.wait(timeout=10)
    print(f"anthropic {anthropic.__version__}, Python {sys.version.split()[0]}, {socket.gethostname()}")
    print(f"\n{'scenario':<30}{'stdlib baseline':>16}{'claude_fakes':>14}{'ratio':>8}")
    for label, baseline, measured in rows:
        print(f"{label:<30}{baseline:>15.3f}s{measured:>13.3f}s{measured / baseline:>7.2f}x")
    print(f"\n{args.calls} calls, our server in a thread of this process: {in_thread:.3f}s "
          f"({in_thread / rows[0][2]:.2f}x its own process)")
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
