"""Benchmarks of the fake server against a minimal stdlib socket server, measured in the same run.

    python bench/server.py [--calls 200] [--repeats 3]

Each server runs in its own process on 127.0.0.1 and answers with the same bytes; the baseline
does nothing but serve them (http.server, HTTP/1.1 keep-alive, TCP_NODELAY). Reported:

1. N sequential SDK calls (``messages.create``);
2. one stream of 1,000 text deltas (``messages.stream`` to the final message), in wall time and
   in the server process's own CPU time per stream;
3. start-up: from process launch to the first answered request;
4. the same N calls against our server in a thread of the benchmark process: why the
   ``claude_fake_server`` fixture runs its server in a process of its own;
5. memory: the server's resident size with 1,000 streams open at once (each stalled mid-body).

A peer is measured the same way when npm can install it: aimock (``@copilotkit/aimock``, the
mock LLM server of the peers' survey), started as ``node dist/cli.js --port P --fixtures DIR``.
"""

from __future__ import annotations

import argparse
import asyncio
import json
import os
import shutil
import socket
import subprocess
import sys
import time
import urllib.request
from collections.abc import Callable
from pathlib import Path
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
        server.scopes.get("default").engine.script(f'ok(text="{LONG_TEXT}")*inf')
        sse = urllib.request.urlopen(urllib.request.Request(
            server.url + "/v1/messages", data=json.dumps({**REQUEST, "stream": True}).encode(),
            headers={"x-api-key": "k", "anthropic-version": "2023-06-01", "content-type": "application/json"}),
            timeout=30).read()
        server.scopes.get("default").engine.script("ok*inf")
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


def long_stream(url: str, headers: dict[str, str], prompt: str = "Hello") -> Callable[[], None]:
    client = anthropic.Anthropic(base_url=url, api_key="sk-bench", max_retries=0, default_headers=headers)
    request = {**REQUEST, "messages": [{"role": "user", "content": prompt}]}

    def run() -> None:
        with client.messages.stream(**request) as stream:
            message = stream.get_final_message()
        assert "".join(block.text for block in message.content if block.type == "text").split() == LONG_TEXT.split()

    return run


AIMOCK_VERSION = "1.43.0"
AIMOCK_DIR = Path(__file__).parent / ".aimock"


def aimock_cli() -> Path | None:
    """aimock's CLI, installed into bench/.aimock on first use; None when npm cannot install it."""
    cli = AIMOCK_DIR / "node_modules" / "@copilotkit" / "aimock" / "dist" / "cli.js"
    if not cli.exists() and shutil.which("npm") and shutil.which("node"):
        subprocess.run(["npm", "install", "--prefix", str(AIMOCK_DIR), "--no-audit", "--no-fund", "--loglevel=error",
                        f"@copilotkit/aimock@{AIMOCK_VERSION}"], check=False, capture_output=True, timeout=300)
    return cli if cli.exists() else None


def aimock_fixtures(tmp: str) -> str:
    """The same replies for aimock: a short text for "Hello", 1,000 words (1,000 deltas) for "Long"."""
    fixtures = {"fixtures": [
        {"match": {"userMessage": "Hello"}, "response": {"content": "Hello! This is a reply from claude_fakes."}},
        {"match": {"userMessage": "Long"}, "response": {"content": LONG_TEXT}},
    ]}
    folder = Path(tmp) / "aimock"
    folder.mkdir()
    (folder / "replies.json").write_text(json.dumps(fixtures))
    return str(folder)


def cpu_seconds(pid: int) -> float:
    """A process's user + system CPU time so far (Linux /proc)."""
    fields = Path(f"/proc/{pid}/stat").read_text().rsplit(")", 1)[1].split()
    return (int(fields[11]) + int(fields[12])) / os.sysconf("SC_CLK_TCK")


def rss_mb(pid: int) -> float:
    for line in Path(f"/proc/{pid}/status").read_text().splitlines():
        if line.startswith("VmRSS:"):
            return int(line.split()[1]) / 1024
    return float("nan")


def cpu_per_call(pid: int, fn: Callable[[], None], calls: int) -> float:
    before = cpu_seconds(pid)
    for _ in range(calls):
        fn()
    return (cpu_seconds(pid) - before) / calls


def open_streams(url: str, count: int, pid: int) -> float:
    """Open ``count`` streams at once, each stalled after its first events; the server's RSS then."""
    body = json.dumps({**REQUEST, "stream": True}).encode()
    host, port = url.removeprefix("http://").split(":")
    request = (f"POST /v1/messages HTTP/1.1\r\nhost: {host}\r\nx-api-key: k\r\nanthropic-version: 2023-06-01\r\n"
               f"x-claude-fakes-script: stall(after=2, seconds=60)*inf\r\ncontent-type: application/json\r\n"
               f"content-length: {len(body)}\r\n\r\n").encode() + body

    async def main() -> float:
        async def one() -> asyncio.StreamWriter:
            reader, writer = await asyncio.open_connection(host, int(port))
            writer.write(request)
            await reader.readuntil(b"message_start")
            return writer

        writers = await asyncio.gather(*(one() for _ in range(count)))
        size = rss_mb(pid)
        for writer in writers:
            writer.close()
        return size

    return asyncio.run(main())


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
    parser.add_argument("--repeats", type=int, default=5)
    parser.add_argument("--streams", type=int, default=1000, help="streams held open at once for the memory figure")
    args = parser.parse_args()
    rows: list[tuple[str, float, float, float | None]] = []
    with tempfile.TemporaryDirectory() as tmp:
        body_path, sse_path = recorded_bodies(tmp)
        script = f"{tmp}/baseline.py"
        with open(script, "w") as file:
            file.write(BASELINE)
        base, base_url, base_start = start([sys.executable, script, body_path, sse_path], "/")
        ours, our_url, our_start = start([sys.executable, "-m", "claude_fakes", "serve", "--port", "0", "--quiet"],
                                         "/_claude_fakes/health")
        processes = [base, ours]
        cli = aimock_cli()
        peer = None
        if cli is not None:
            port = free_port()
            peer = subprocess.Popen(["node", str(cli), "--port", str(port), "--fixtures", aimock_fixtures(tmp),
                                     "--chunk-size", "5", "--log-level", "silent"], stdout=subprocess.DEVNULL)
            processes.append(peer)
            peer_url = f"http://127.0.0.1:{port}"
            wait_port(port)
        try:
            long_script = {"x-claude-fakes-script": f'ok(text="{LONG_TEXT}")*inf'}
            calls = (best(args.repeats, sequential_calls(base_url, args.calls)),
                     best(args.repeats, sequential_calls(our_url, args.calls)),
                     best(args.repeats, sequential_calls(peer_url, args.calls)) if peer else None)
            rows.append((f"{args.calls} sequential SDK calls", *calls))
            streams = (best(args.repeats, long_stream(base_url, {})),
                       best(args.repeats, long_stream(our_url, long_script)),
                       best(args.repeats, long_stream(peer_url, {}, "Long")) if peer else None)
            rows.append(("one 1,000-delta stream", *streams))
            cpu = (cpu_per_call(base.pid, long_stream(base_url, {}), 20),
                   cpu_per_call(ours.pid, long_stream(our_url, long_script), 20),
                   cpu_per_call(peer.pid, long_stream(peer_url, {}, "Long"), 20) if peer else None)
            rows.append(("server CPU per 1,000-delta stream", *cpu))
            rows.append(("start-up to first answer", base_start, our_start, None))
            memory = open_streams(our_url, args.streams, ours.pid)
            with FakeServer() as threaded:
                in_thread = best(args.repeats, sequential_calls(threaded.url, args.calls))
        finally:
            for process in processes:
                process.terminate()
                process.wait(timeout=10)
    print(f"anthropic {anthropic.__version__}, Python {sys.version.split()[0]}, {socket.gethostname()}")
    peer_label = f"aimock {AIMOCK_VERSION}" if peer else "aimock (npm unavailable)"
    print(f"\n{'scenario':<36}{'stdlib floor':>13}{'claude_fakes':>14}{'ratio':>8}{peer_label:>22}{'ratio':>8}")
    for label, baseline, measured, other in rows:
        theirs = f"{other * 1000:>20.1f}ms{other / baseline:>7.2f}x" if other else f"{'-':>22}{'':>8}"
        print(f"{label:<36}{baseline * 1000:>11.1f}ms{measured * 1000:>12.1f}ms{measured / baseline:>7.2f}x{theirs}")
    print(f"\n{args.calls} calls, our server in a thread of this process: {in_thread:.3f}s "
          f"({in_thread / rows[0][2]:.2f}x its own process)")
    print(f"{args.streams} streams open at once: server RSS {memory:.1f} MB")
    print("\nstdlib floor: http.server answering the same bytes, HTTP/1.1 keep-alive, TCP_NODELAY.")
    return 0


def free_port() -> int:
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        port: int = probe.getsockname()[1]
        return port


def wait_port(port: int) -> None:
    for _ in range(500):
        try:
            socket.create_connection(("127.0.0.1", port), timeout=1).close()
            return
        except OSError:
            time.sleep(0.01)
    raise RuntimeError(f"nothing listens on {port}")


if __name__ == "__main__":
    raise SystemExit(main())
