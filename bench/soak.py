"""A long soak of the fake server: its memory against the goal of issue 20 (flat, within 20 %), and its time
per request, each beside a baseline measured in the same run.

    python bench/soak.py [--requests 100000] [--clients 4] [--seed 7]

One ``claude-fakes serve`` process, as it starts by default, and ``--clients`` threads on keep-alive
connections sending a seeded mix that runs past every bound the server has: 5,000 scopes (it holds
1,000), an agent loop in the default scope whose history grows past 64 KiB (bodies kept whole up to
that) and whose journal passes 1,000 exchanges, a new conversation on nearly every request (turn numbers
keep 10,000), 200 distinct header scripts with faults (a scope follows 64), message threads created on
every twentieth request (replies kept: 1,000), and admin reads and writes. Reported:

1. the server's resident memory after a tenth of the requests (the baseline: imports, caches and pools
   warm) and at the end, with the most it reached; goal: the end within 20 % of the baseline;
2. the server's CPU per request over the whole soak, against plain ``ok`` requests sent first;
3. each request's time as its client saw it (median and 99th percentile), against the same plain
   requests, the answers that were no answer of the API's shape (goal: 0), and the longest the
   server's event loop spent in one step (goal: under 50 ms);
4. what the bounds let go (``GET health``).

No number here is asserted anywhere.
"""

from __future__ import annotations

import argparse
import http.client
import json
import random
import sys
import threading
import time
from typing import Any

from process import cpu_seconds, health, port_of, rss_mb, serve, stop

HEADERS = {"x-api-key": "sk-soak", "anthropic-version": "2023-06-01", "content-type": "application/json"}
MODEL = "claude-sonnet-4-6"
TOOLS = [{"name": "get_weather", "input_schema": {"type": "object", "required": ["city"],
                                                  "properties": {"city": {"type": "string"}}}}]
FAULTS = [*(f"drop(after={k})" for k in range(1, 60)), *(f"truncate(after={k})" for k in range(1, 60)),
          *(f"error_event(after={k})" for k in range(1, 40)), *(f"malformed(after={k})" for k in range(1, 40)),
          "overloaded", "api_error", "rate_limited(retry_after=1)"]
"""200 distinct header scripts (each step a fault the SDK would see once)."""


def request(rng: random.Random, number: int, history: list[Any]) -> tuple[str, str, bytes, dict[str, str]]:
    """The soak's ``number``-th request: method, path, body and extra headers."""
    kind = rng.randrange(20)
    scope = {"x-claude-fakes-scope": f"s{rng.randrange(5_000)}"}
    ask = [{"role": "user", "content": f"question {number}: " + "word " * rng.randrange(5, 200)}]
    if kind < 6:
        return "POST", "/v1/messages", json.dumps({"model": MODEL, "max_tokens": 200, "messages": ask}).encode(), scope
    if kind < 10:
        body = {"model": MODEL, "max_tokens": 200, "stream": True, "messages": ask}
        return "POST", "/v1/messages", json.dumps(body).encode(), scope
    if kind < 12:
        # An agent loop in the default scope: its history grows past what a journal keeps whole, then starts over.
        if len(history) > 80:
            history.clear()
        history += [{"role": "user", "content": f"step {number} " + "result " * rng.randrange(10, 400)},
                    {"role": "assistant", "content": "noted"}]
        body = {"model": MODEL, "max_tokens": 100, "messages": [*history[:-1]]}
        return "POST", "/v1/messages", json.dumps(body).encode(), {}
    if kind < 14:
        body = {"model": MODEL, "max_tokens": 100, "stream": rng.random() < 0.5, "messages": ask}
        return "POST", "/v1/messages", json.dumps(body).encode(), {**scope, "x-claude-fakes-script": rng.choice(FAULTS)}
    if kind < 16:
        body = {"model": MODEL, "max_tokens": 100, "messages": ask, "tools": TOOLS, "tool_choice": {"type": "any"}}
        return "POST", "/v1/messages", json.dumps(body).encode(), scope
    if kind == 16:
        body = {"model": MODEL, "max_tokens": 100, "messages": ask, "thread": {"type": "create"}}
        beta = {"anthropic-beta": "message-threads-2026-08-12"}
        return "POST", "/v1/messages", json.dumps(body).encode(), {**scope, **beta}
    if kind == 17:
        counted = json.dumps({"model": MODEL, "messages": ask}).encode()
        return rng.choice([("POST", "/v1/messages/count_tokens", counted, scope), ("GET", "/v1/models", b"", {})])
    if kind == 18:
        action = rng.choice(["journal", "timeline", "health"])
        return "GET", f"/_claude_fakes/{action}?scope=s{rng.randrange(5_000)}", b"", {}
    script = json.dumps({"script": rng.choice(["ok", "overloaded, ok", "truncate(after=3), ok", "ok*inf"])}).encode()
    return "POST", f"/_claude_fakes/script?scope=s{rng.randrange(5_000)}", script, {}


def plain(rng: random.Random, number: int, history: list[Any]) -> tuple[str, str, bytes, dict[str, str]]:
    return "POST", "/v1/messages", json.dumps({"model": MODEL, "max_tokens": 200,
                                               "messages": [{"role": "user", "content": "hi"}]}).encode(), {}


class Clients:
    """``count`` threads, each with its own keep-alive connection, sending their share of the requests."""

    def __init__(self, port: int, count: int, seed: int) -> None:
        self.port, self.count, self.seed = port, count, seed
        self.times: list[float] = []
        self.unexpected: list[str] = []
        self._lock = threading.Lock()

    def run(self, total: int, make: Any, every: int = 0, sample: Any = None) -> None:
        """Send ``total`` requests made by ``make``; call ``sample`` after each ``every`` of them."""
        done = [0]

        def client(number: int) -> None:
            rng = random.Random(f"{self.seed}:{number}")
            connection = http.client.HTTPConnection("127.0.0.1", self.port, timeout=60)
            history: list[Any] = []
            for index in range(number, total, self.count):
                method, path, body, headers = make(rng, index, history)
                started = time.perf_counter()
                try:
                    connection.request(method, path, body=body or None, headers={**HEADERS, **headers})
                    answer = connection.getresponse()
                    data = answer.read()
                except (OSError, http.client.HTTPException) as err:
                    connection.close()
                    connection = http.client.HTTPConnection("127.0.0.1", self.port, timeout=60)
                    # A drop cuts its stream on purpose; any other request must be answered.
                    problem = None if "drop(" in headers.get("x-claude-fakes-script", "") else f"{path}: {err!r}"
                else:
                    problem = _problem(answer, data)
                took = time.perf_counter() - started
                with self._lock:
                    self.times.append(took)
                    if problem is not None:
                        self.unexpected.append(problem)
                    done[0] += 1
                    if every and done[0] % every == 0 and sample is not None:
                        sample()
            connection.close()

        threads = [threading.Thread(target=client, args=(number,)) for number in range(self.count)]
        for thread in threads:
            thread.start()
        for thread in threads:
            thread.join()


def _problem(answer: http.client.HTTPResponse, data: bytes) -> str | None:
    """What is not the API's shape in an answer, or None (a fault's reply is meant to look as it does)."""
    kind = answer.getheader("content-type") or ""
    if kind.startswith("text/event-stream"):
        return None if data.startswith(b"event: message_start") or answer.status != 200 else f"stream {data[:60]!r}"
    if kind.startswith("text/plain"):
        return None if data.startswith(b"claude_fakes timeline:") else f"text {data[:60]!r}"
    try:
        value = json.loads(data)
    except ValueError:
        return None if data.startswith(b'{"model":') else f"{answer.status} {data[:60]!r}"  # malformed(after=K)
    if answer.status >= 400 and not (isinstance(value, dict) and value.get("type") == "error"):
        return f"{answer.status} {data[:60]!r}"
    return None


def ms(seconds: float) -> str:
    return f"{seconds * 1000:.2f} ms"


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--requests", type=int, default=100_000)
    parser.add_argument("--clients", type=int, default=4)
    parser.add_argument("--plain", type=int, default=5_000, help="plain ok requests for the baselines")
    parser.add_argument("--seed", type=int, default=7)
    args = parser.parse_args()
    server, url = serve()
    rss: list[tuple[int, float]] = []
    try:
        pid, port = server.pid, port_of(url)
        baseline = Clients(port, args.clients, args.seed)
        before = cpu_seconds(pid)
        baseline.run(args.plain, plain)
        plain_cpu = (cpu_seconds(pid) - before) / args.plain
        soak = Clients(port, args.clients, args.seed)
        step = max(1, args.requests // 20)

        def sample() -> None:
            rss.append((len(soak.times), rss_mb(pid)))

        before = cpu_seconds(pid)
        started = time.perf_counter()
        soak.run(args.requests, request, every=step, sample=sample)
        took = time.perf_counter() - started
        soak_cpu = (cpu_seconds(pid) - before) / args.requests
        state = health(url)
    finally:
        longest, in_step = stop(server)
    warm = next(size for done, size in rss if done >= args.requests // 10)
    end = rss[-1][1]
    times, plain_times = sorted(soak.times), sorted(baseline.times)
    print(f"Python {sys.version.split()[0]}; {args.requests} requests from {args.clients} clients in {took:.0f} s "
          f"({args.requests / took:.0f}/s), seed {args.seed}\n")
    print(f"{'':<44}{'goal':>12}{'measured':>12}{'baseline':>12}{'ratio':>8}")
    print(f"{'server RSS at the end (baseline: at 10 %)':<44}{'within 20 %':>12}{end:>9.1f} MB{warm:>9.1f} MB"
          f"{end / warm:>7.2f}x")
    print(f"{'server RSS, the most':<44}{'':>12}{max(size for _, size in rss):>9.1f} MB")
    print(f"{'server CPU per request (baseline: plain ok)':<44}{'':>12}{ms(soak_cpu):>12}{ms(plain_cpu):>12}"
          f"{soak_cpu / plain_cpu:>7.2f}x")
    for label, index in (("median", 0.5), ("99th percentile", 0.99)):
        mine, theirs = times[int(len(times) * index)], plain_times[int(len(plain_times) * index)]
        print(f"{'time per request, ' + label:<44}{'':>12}{ms(mine):>12}{ms(theirs):>12}{mine / theirs:>7.2f}x")
    print(f"{'answers not of the API shape, or none':<44}{'0':>12}{len(soak.unexpected):>12}")
    print(f"{'the server loop held by one step, longest':<44}{'< 50 ms':>12}{ms(longest):>12}")
    print("\nRSS every " + f"{step} requests (MB): " + " ".join(f"{size:.0f}" for _, size in rss))
    gone = ", ".join(f"{key} {value}" for key, value in state.items() if key.startswith(("evicted", "truncated")))
    print(f"what the bounds let go: {gone}; scopes held {len(state['scopes'])}")
    print(f"the longest step of the loop: {in_step}")
    for problem in soak.unexpected[:5]:
        print("unexpected:", problem)
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
