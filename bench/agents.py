"""The fake server's CPU per request for agent traffic, against a minimal stdlib server in the same run.

    python bench/agents.py [--sessions 20] [--turns 10] [--repeats 3]

Claude Code's requests are large (a 49 kB body: its system prompt, twelve tools, a ``role: "system"``
message; this one is 41 kB of the same parts) and come from many sessions at once. Each round sends,
from ``--sessions`` threads at once, ``--turns`` streamed turns per session with Claude Code's headers
(a session id, retry count 0), each retried as the CLI does until it is answered. Our server serves
five scopes, one fault mix each (529s, 429s, a cut stream, a 500, none); the baseline
(bench/server.py's: http.server, keep-alive, TCP_NODELAY, its listen backlog raised from
socketserver's 5, which twenty sessions overflow) answers every request with our server's own 200
stream, so it serves fewer requests for the same turns. Reported: each server process's CPU time
per request it answered, the ratio, and the requests per second of wall time. Both servers run in
their own processes on 127.0.0.1.
"""

from __future__ import annotations

import argparse
import http.client
import json
import sys
import tempfile
import time
import urllib.parse
import urllib.request
import uuid
from concurrent.futures import ThreadPoolExecutor
from pathlib import Path

from server import BASELINE, cpu_seconds, start

from claude_fakes.server import FakeServer

MIXES = ["overloaded*2, ok", "rate_limited(retry_after=0), ok", "drop(after=3), ok", "api_error, ok", "ok"]
BODY = json.dumps({
    "model": "claude-opus-5-5", "max_tokens": 128000, "stream": True,
    "system": [{"type": "text", "text": "You are Claude Code. " * 1500}],
    "tools": [{"name": f"Tool{n}", "description": "A tool. " * 100,
               "input_schema": {"type": "object", "properties": {"path": {"type": "string"}}}} for n in range(12)],
    "messages": [{"role": "user", "content": [{"type": "text", "text": "hi"}]}],
}).encode()


def headers(session: str, scope: str) -> dict[str, str]:
    return {"content-type": "application/json", "x-api-key": "sk-bench", "anthropic-version": "2023-06-01",
            "x-claude-code-session-id": session, "x-stainless-retry-count": "0", "x-stainless-timeout": "5",
            "x-claude-fakes-scope": scope}


def turn(url: str, session: str, scope: str, number: int) -> int:
    """One turn of a session, retried until answered whole; the requests it took."""
    parts = urllib.parse.urlsplit(url)
    body = BODY.replace(b'"text": "hi"', f'"text": "turn {number}"'.encode())
    for attempt in range(1, 6):
        connection = http.client.HTTPConnection(parts.hostname or "127.0.0.1", parts.port, timeout=10)
        try:
            connection.request("POST", "/v1/messages", body, headers(session, scope))
            response = connection.getresponse()
            try:
                data = response.read()
            except http.client.IncompleteRead:
                continue
            if response.status == 200 and b"message_stop" in data:
                return attempt
        finally:
            connection.close()
    raise RuntimeError(f"{session} turn {number}: not answered in 5 attempts")


def round_of(url: str, sessions: int, turns: int, prefix: str) -> int:
    def session(n: int) -> int:
        scope, name = f"{prefix}-{n % len(MIXES)}", str(uuid.uuid4())
        return sum(turn(url, name, scope, k) for k in range(turns))

    with ThreadPoolExecutor(sessions) as pool:
        return sum(pool.map(session, range(sessions)))


def recorded_stream(path: Path) -> None:
    """Our server's own 200 stream for the body, so both servers send the same bytes."""
    with FakeServer() as server:
        parts = urllib.parse.urlsplit(server.url)
        connection = http.client.HTTPConnection(parts.hostname or "127.0.0.1", parts.port, timeout=10)
        connection.request("POST", "/v1/messages", BODY, headers("record", "record"))
        path.write_bytes(connection.getresponse().read())
        connection.close()


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--sessions", type=int, default=20)
    parser.add_argument("--turns", type=int, default=10)
    parser.add_argument("--repeats", type=int, default=3)
    args = parser.parse_args()
    with tempfile.TemporaryDirectory() as tmp:
        sse = Path(tmp, "stream.sse")
        recorded_stream(sse)
        # socketserver's listen backlog of 5 resets connections that twenty sessions open at once.
        Path(tmp, "baseline.py").write_text(BASELINE.replace(
            "server = http.server.ThreadingHTTPServer", "http.server.ThreadingHTTPServer.request_queue_size = 128\n"
            "server = http.server.ThreadingHTTPServer"))
        base, base_url, _ = start([sys.executable, f"{tmp}/baseline.py", str(sse), str(sse)], "/")
        ours, our_url, _ = start([sys.executable, "-m", "claude_fakes", "serve", "--port", "0", "--quiet"],
                                 "/_claude_fakes/health")
        try:
            for n, script in enumerate(MIXES):
                for repeat in range(args.repeats):
                    request = urllib.request.Request(
                        f"{our_url}/_claude_fakes/script?scope=bench{repeat}-{n}", method="POST",
                        data=json.dumps({"script": script + "*1000" if script == "ok" else
                                         "; ".join([script] * args.turns)}).encode(),
                        headers={"content-type": "application/json"})
                    urllib.request.urlopen(request, timeout=10).read()
            figures: dict[str, list[tuple[float, float]]] = {"ours": [], "baseline": []}
            for repeat in range(args.repeats):   # interleaved, best of each
                for name, url, process in (("ours", our_url, ours), ("baseline", base_url, base)):
                    cpu, wall = cpu_seconds(process.pid), time.perf_counter()
                    requests = round_of(url, args.sessions, args.turns, f"bench{repeat}")
                    wall, cpu = time.perf_counter() - wall, cpu_seconds(process.pid) - cpu
                    figures[name].append((cpu / requests * 1000, requests / wall))
        finally:
            for process in (base, ours):
                process.terminate()
                process.wait(timeout=10)
                if process.stdout is not None:
                    process.stdout.close()
    ours_cpu, base_cpu = min(f[0] for f in figures["ours"]), min(f[0] for f in figures["baseline"])
    print(f"{args.sessions} sessions x {args.turns} turns, {len(MIXES)} fault mixes, "
          f"a {len(BODY) // 1024} kB request body")
    print(f"server CPU per request: ours {ours_cpu:.2f} ms, baseline {base_cpu:.2f} ms, "
          f"{ours_cpu / base_cpu:.2f}x")
    print(f"requests per second: ours {max(f[1] for f in figures['ours']):.0f}, "
          f"baseline {max(f[1] for f in figures['baseline']):.0f}")
    return 0


if __name__ == "__main__":
    sys.exit(main())
