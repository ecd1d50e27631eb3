"""The fake server under a fuzz, against the goals of issue 20, each figure beside a baseline measured in the same run.

    python bench/fuzz.py [--requests 10000] [--paced 100] [--seed 20]

Two ``claude-fakes serve`` processes: one as it starts by default, and one that paces replies and checks
nothing (``--latency realistic --no-validate``). The first gets N requests of the seeded fuzz mix of the
suite (tests/fuzz.py: half malformed, half asking for work without bound: schemas whose ``$ref`` s branch
or that ask for a billion items, ``max_tokens`` of 10^18, header scripts nested 1,000 deep, 20,000-block
bodies, long admin scripts, journal reads), one at a time, each on a fresh connection; the second gets
paced replies of up to 10^8 ``max_tokens``, each read to its first delta. Reported:

1. requests closed without an answer, and answers not in the API's shape (goals: 0 and 0);
2. the server's CPU for each request (its event loop's thread, to the nanosecond, read before and
   after: one request at a time), median and most, against the same for plain ``ok`` requests sent
   first; goal: no request over 50 ms. A reply is made as it is sent, so a long one costs its bytes'
   CPU (a 128,000-token reply streamed a token a delta is 16 MB): requests whose answer is over
   1 MB are counted apart, with their CPU per MB;
3. the longest the server's event loop spent in one step (its CPU, timed inside the server process):
   how long it kept every other client waiting at the most, against a server that gets plain requests
   only; goal: under 50 ms. And how long another client waits for ``GET health`` (a process asking
   100 times a second) while the mix runs: that adds the machine's own scheduling;
4. the server's memory after the mix, against one after the plain requests, and what its bounds let go.

No number here is asserted anywhere; the suite's own fuzz test (tests/test_server_bounds.py) checks the
first goal for 300 requests of the same mix.
"""

from __future__ import annotations

import argparse
import json
import random
import statistics
import subprocess
import sys
import time
from collections import Counter
from collections.abc import Callable

from process import ROOT, cpu_seconds, health, port_of, rss_mb, serve, stop

sys.path.insert(0, str(ROOT))

from tests.fuzz import fuzzed, paced, post, send, shape_problem
from tests.sdk import REQUEST

PROBE = r'''
import http.client, select, sys, time
host, port = sys.argv[1], int(sys.argv[2])
connection = http.client.HTTPConnection(host, port, timeout=60)
waits = []
while not select.select([sys.stdin], [], [], 0.01)[0]:
    started = time.perf_counter()
    connection.request("GET", "/_claude_fakes/health")
    connection.getresponse().read()
    waits.append(time.perf_counter() - started)
waits.sort()
print(f"{waits[-1]} {waits[int(len(waits) * 0.99)]} {len(waits)}", flush=True)
'''
"""Asks for GET health about 100 times a second until its stdin speaks, then prints its longest and p99 waits."""


NO_ANSWER, NOT_THE_SHAPE = "closed without an answer", "answers not in the API's shape"


class Prober:
    """Another client of the server, in a process of its own, timing how long the server keeps it waiting."""

    def __init__(self, port: int) -> None:
        self.process = subprocess.Popen([sys.executable, "-c", PROBE, "127.0.0.1", str(port)], stdin=subprocess.PIPE,
                                        stdout=subprocess.PIPE, text=True)

    def result(self) -> tuple[float, float, int]:
        """The longest wait, the 99th percentile, and how many asks."""
        assert self.process.stdin is not None and self.process.stdout is not None
        self.process.stdin.write("stop\n")
        self.process.stdin.flush()
        longest, p99, count = self.process.stdout.readline().split()
        self.process.wait(timeout=60)
        return float(longest), float(p99), int(count)


LONG = 1_000_000
"""An answer this long or longer costs its bytes' CPU: counted apart."""


def each(pid: int, port: int, requests: list[bytes], until: bytes | None = None
         ) -> tuple[list[tuple[float, int, bytes]], Counter[str]]:
    """Send each request in turn; the server's CPU for each and the length of its answer, and what was wrong
    with the answers."""
    spent: list[tuple[float, int, bytes]] = []
    problems: Counter[str] = Counter()
    for request in requests:
        before = cpu_seconds(pid)
        answer = send(port, request, until=until)
        spent.append((cpu_seconds(pid) - before, len(answer), request))
        problem = shape_problem(answer)
        if problem is not None:
            problems[NO_ANSWER if problem == "no response" else NOT_THE_SHAPE] += 1
    return spent, problems


def probed(port: int, run: Callable[[], object]) -> tuple[float, float, int]:
    prober = Prober(port)
    time.sleep(0.2)
    run()
    return prober.result()


def ms(seconds: float) -> str:
    return f"{seconds * 1000:.1f} ms"


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--requests", type=int, default=10_000)
    parser.add_argument("--paced", type=int, default=100, help="paced replies past every model's output")
    parser.add_argument("--plain", type=int, default=1_000, help="plain ok requests for the baselines")
    parser.add_argument("--seed", type=int, default=20)
    args = parser.parse_args()
    rng = random.Random(args.seed)
    mix = [fuzzed(rng) for _ in range(args.requests)]
    long_paced = [paced(rng) for _ in range(args.paced)]
    plain = [post(json.dumps(REQUEST).encode())] * args.plain
    # The baselines: a server that gets plain requests only.
    server, url = serve()
    try:
        pid, port = server.pid, port_of(url)
        each(pid, port, plain[:100])  # warm-up
        baseline, _ = each(pid, port, plain)
        calm = probed(port, lambda: each(pid, port, plain))
        rss_plain = rss_mb(pid)
    finally:
        calm_slice, _ = stop(server)
    server, url = serve()
    pacer, paced_url = serve("--latency", "realistic", "--no-validate")
    try:
        pid, port = server.pid, port_of(url)
        fuzz, problems = each(pid, port, mix)
        rss_mix = rss_mb(pid)
        paced_spent, paced_problems = each(pacer.pid, port_of(paced_url), long_paced, until=b"content_block_delta")
        problems.update(paced_problems)
        busy = probed(port, lambda: each(pid, port, mix[: args.requests // 5]))
        state = health(url)
    finally:
        slices = [stop(server), stop(pacer)]
    longest_slice, in_step = max(slices)
    spent = [one for one in fuzz + paced_spent if one[1] < LONG]
    long = [one for one in fuzz + paced_spent if one[1] >= LONG]
    base = statistics.median(cpu for cpu, _, _ in baseline)
    median = statistics.median(cpu for cpu, _, _ in spent)
    most, _, worst = max(spent)
    print(f"Python {sys.version.split()[0]}; {args.requests} fuzzed requests (seed {args.seed}) and {args.paced} "
          f"paced replies of up to 10^8 max_tokens, one at a time\n")
    print(f"{'':<46}{'goal':>10}{'measured':>12}{'baseline':>12}{'ratio':>8}")
    for problem in (NO_ANSWER, NOT_THE_SHAPE):
        print(f"{problem:<46}{'0':>10}{problems[problem]:>12}")
    print(f"{'server CPU per request, median':<46}{'':>10}{ms(median):>12}{ms(base):>12}{median / base:>7.2f}x")
    print(f"{'server CPU per request, most':<46}{'< 50 ms':>10}{ms(most):>12}"
          f"{ms(max(cpu for cpu, _, _ in baseline)):>12}")
    print(f"{'requests over 50 ms of server CPU':<46}{'0':>10}{sum(cpu > 0.05 for cpu, _, _ in spent):>12}")
    if long:
        per_mb = sum(cpu for cpu, _, _ in long) / sum(size for _, size, _ in long) * 1e6
        print(f"{'answers of 1 MB or more: how many, CPU per MB':<46}{'':>10}{len(long):>12}{ms(per_mb):>12}"
              f"  (the most: {ms(max(long)[0])} for {max(long)[1] / 1e6:.1f} MB)")
    print(f"{'the server loop held by one step, longest':<46}{'< 50 ms':>10}{ms(longest_slice):>12}"
          f"{ms(calm_slice):>12}{longest_slice / calm_slice:>7.2f}x")
    print(f"{'another client waits for GET health, most':<46}{'':>10}{ms(busy[0]):>12}{ms(calm[0]):>12}"
          f"{busy[0] / calm[0]:>7.2f}x")
    print(f"{'  the same, 99th percentile':<46}{'':>10}{ms(busy[1]):>12}{ms(calm[1]):>12}{busy[1] / calm[1]:>7.2f}x")
    print(f"{'server RSS after the mix (baseline: plain)':<46}{'':>10}{rss_mix:>9.1f} MB{rss_plain:>9.1f} MB"
          f"{rss_mix / rss_plain:>7.2f}x")
    print(f"\nthe costliest request with a shorter answer: {ms(most)}, {worst[:160]!r}")
    print(f"the longest step of the loop: {in_step}")
    gone = ", ".join(f"{key} {value}" for key, value in state.items() if key.startswith(("evicted", "truncated")))
    print(f"what the bounds let go: {gone} (bounds {state['bounds']})")
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
