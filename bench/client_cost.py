"""What a test pays for building its own client under a fake, each figure against a baseline measured in the same run.

    python bench/client_cost.py [--tests 1000] [--repeats 3]

1. ``anthropic.Anthropic()`` alone: outside a fake, while one is active, and on a canned
   ``MockTransport`` (medians).
2. A pytest suite of N one-call tests, each building its own client with ``anthropic.Anthropic()``
   under the ``claude_fake`` fixture, vs the same suite with each test building its client on a
   canned-response ``MockTransport`` (which builds no TLS context): runs interleaved, best of each,
   in wall time and in CPU time (the machine's other work disturbs the latter less).
3. Exploration of one non-streaming call over 3 attempts x 7 faults (512 schedules): a client
   built in every run vs one client built beforehand, schedules per wall second (and the ratio
   in CPU time).

No number here is asserted anywhere; the figures are for reading and comparing across changes.
"""

from __future__ import annotations

import argparse
import importlib
import json
import os
import resource
import statistics
import subprocess
import sys
import tempfile
import time
from collections.abc import Callable
from pathlib import Path
from typing import Any, NamedTuple

import anthropic
import anthropic._base_client

sys.path.insert(0, str(Path(__file__).resolve().parent.parent))

from claude_fakes import ClaudeFake

ROOT = str(Path(__file__).resolve().parent.parent)
HTTP: Any = importlib.import_module("httpx2" if hasattr(anthropic._base_client, "httpx2") else "httpx")
REAL = time.perf_counter  # a fake leaves perf_counter and process_time real; this keeps the bench obviously so
REAL_CPU = time.process_time
REQUEST: dict[str, Any] = {"model": "claude-sonnet-4-6", "max_tokens": 256,
                           "messages": [{"role": "user", "content": "Hello"}]}
SEVEN = ["overloaded", "api_error", "rate_limited(retry_after_ms=1)", "hang", "refuse", "drop(after=2)",
         "timeout_error"]


class Cost(NamedTuple):
    """Wall seconds, and CPU seconds (which other work on a shared machine disturbs less)."""

    wall: float
    cpu: float

    def against(self, baseline: Cost) -> str:
        return f"{self.wall / baseline.wall:.2f}x wall, {self.cpu / baseline.cpu:.2f}x CPU"


def best(costs: list[Cost]) -> Cost:
    return Cost(min(cost.wall for cost in costs), min(cost.cpu for cost in costs))


def timed(fn: Callable[[], object]) -> float:
    start = REAL()
    fn()
    return REAL() - start


SUITE = """
import anthropic, pytest, {http}

REQUEST = {request!r}
REPLY = {reply!r}


def handler(request):
    return {http}.Response(200, headers={{"content-type": "application/json"}}, content=REPLY)


@pytest.mark.parametrize("n", range({tests}))
def test_claude_fake(claude_fake, n):
    client = anthropic.Anthropic()
    assert client.messages.create(**REQUEST).stop_reason == "end_turn"


@pytest.mark.parametrize("n", range({tests}))
def test_canned(n):
    client = anthropic.Anthropic(api_key="sk-bench", http_client={http}.Client(transport={http}.MockTransport(handler)))
    assert client.messages.create(**REQUEST).stop_reason == "end_turn"
"""


def suite(folder: str, kind: str) -> Cost:
    """What pytest takes to run the suite's tests of ``kind`` in a fresh process, on this checkout's package."""
    command = [sys.executable, "-m", "pytest", "-q", "-p", "no:randomly", "-p", "no:cacheprovider",
               "-p", "no:xdist", "-W", "ignore", "-k", f"test_{kind}", "test_suite.py"]
    environment = {**os.environ, "PYTHONPATH": os.pathsep.join(filter(None, (ROOT, os.environ.get("PYTHONPATH"))))}
    before, start = resource.getrusage(resource.RUSAGE_CHILDREN), REAL()
    result = subprocess.run(command, capture_output=True, text=True, cwd=folder, env=environment)
    took, after = REAL() - start, resource.getrusage(resource.RUSAGE_CHILDREN)
    if result.returncode != 0:
        raise RuntimeError(result.stdout[-2000:] + result.stderr[-2000:])
    return Cost(took, after.ru_utime + after.ru_stime - before.ru_utime - before.ru_stime)


def suites(tests: int, repeats: int) -> tuple[Cost, Cost]:
    """The best of the claude_fake suite and of the canned one, run in alternation."""
    reply = json.dumps({"id": "msg_01", "type": "message", "role": "assistant", "model": REQUEST["model"],
                        "content": [{"type": "text", "text": "Hello"}], "stop_reason": "end_turn",
                        "stop_sequence": None, "usage": {"input_tokens": 2, "output_tokens": 1}})
    with tempfile.TemporaryDirectory() as folder:
        Path(folder, "test_suite.py").write_text(SUITE.format(http=HTTP.__name__, request=REQUEST, reply=reply,
                                                              tests=tests))
        fake, canned = [], []
        for _ in range(repeats):
            fake.append(suite(folder, "claude_fake"))
            canned.append(suite(folder, "canned"))
    return best(fake), best(canned)


def create(client: anthropic.Anthropic) -> None:
    try:
        client.messages.create(**REQUEST)
    except anthropic.APIError:
        pass


def exploration(repeats: int) -> tuple[Cost, Cost, int]:
    """The best of exploring with a client built per run and with one client, in alternation, and the runs."""
    fake = ClaudeFake(strict=False)
    client = anthropic.Anthropic(api_key="sk-bench")
    bodies = {"per run": lambda: create(anthropic.Anthropic()), "one": lambda: create(client)}
    costs: dict[str, list[Cost]] = {name: [] for name in bodies}
    runs = 0
    for _ in range(repeats):
        for name, body in bodies.items():
            start, cpu = REAL(), REAL_CPU()
            runs = fake.explore(body, faults=SEVEN, attempts=3).runs
            costs[name].append(Cost(REAL() - start, REAL_CPU() - cpu))
    return best(costs["per run"]), best(costs["one"]), runs


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    parser.add_argument("--tests", type=int, default=1000, help="tests in the pytest-suite comparison (0: skip)")
    parser.add_argument("--repeats", type=int, default=3)
    args = parser.parse_args()
    print(f"anthropic {anthropic.__version__} on {HTTP.__name__} {HTTP.__version__}, Python {sys.version.split()[0]}\n")

    def canned_client() -> anthropic.Anthropic:
        never_called = HTTP.MockTransport(lambda request: None)
        return anthropic.Anthropic(api_key="sk-bench", http_client=HTTP.Client(transport=never_called))

    anthropic.Anthropic(api_key="sk-bench")
    outside = statistics.median(timed(lambda: anthropic.Anthropic(api_key="sk-bench")) for _ in range(20))
    with ClaudeFake():
        anthropic.Anthropic()
        inside = statistics.median(timed(anthropic.Anthropic) for _ in range(200))
    on_canned = statistics.median(timed(canned_client) for _ in range(200))
    print(f"anthropic.Anthropic(): {outside * 1000:.2f} ms outside a fake, {inside * 1000:.2f} ms while one is active; "
          f"on a canned transport: {on_canned * 1000:.2f} ms (medians)")

    if args.tests:
        fake, canned = suites(args.tests, args.repeats)
        print(f"pytest suite of {args.tests} one-call tests, each building its client: {fake.wall:.2f} s with "
              f"claude_fake, {canned.wall:.2f} s on a canned transport: {fake.against(canned)}")

    per_run, one, runs = exploration(args.repeats)
    print(f"exploring one call, 3 attempts x 7 faults ({runs} schedules): {runs / per_run.wall:,.0f} schedules/s with "
          f"a client built per run, {runs / one.wall:,.0f}/s with one client: {one.wall / per_run.wall:.0%} of the "
          f"rate ({one.cpu / per_run.cpu:.0%} in CPU time; a client per run adds "
          f"{(per_run.wall - one.wall) / runs * 1000:.2f} ms a schedule)")


if __name__ == "__main__":
    main()
