"""Benchmarks of exploring fault schedules, each against a baseline measured in the same run.

    python bench/explore.py [--repeats 3] [--only NAME]

1. One non-streaming SDK call over 3 attempts x 7 faults (8^3 = 512 schedules): schedules per
   wall second, and the rate over the baseline's in wall and in CPU time (which the machine's other
   work disturbs less). Baseline: the same calls answered by a ``MockTransport`` that replays what the
   fake sent, attempt by attempt (statuses, headers, body chunks, the same transport errors):
   the least any HTTP-level mock costs; the difference per schedule is the fake's overhead.
2. The same for a streamed call, for a two-turn tool loop (turns=2, 4 faults: 25 schedules), and
   for a streamed three-turn tool loop over a base script (``base=``: two tool calls, then the
   answer) with a cut point as a dimension (``drop(after=*)``, ``truncate(after=1..6)``; 1,000
   seeded samples of its 5,120 schedules): the agent loop issue 22 is about. Schedules equivalent
   to one already run are not run, so the rate is of body runs (the probe and any shrinking
   included), as the baseline replays them. Explore and baseline alternate, best of each kept.
3. The fake's per-schedule bookkeeping alone: reset + script, no call.
4. Memory over 10,000 schedules, for the call and for the three-turn loop: what stays allocated
   after each 2,000, and the part claude_fakes' own code allocated (flat: no journal growth
   across runs).

No number here is asserted anywhere.
"""

from __future__ import annotations

import argparse
import copy
import gc
import importlib
import sys
import time
import tracemalloc
from collections.abc import Callable
from pathlib import Path
from typing import Any

import anthropic
import anthropic._base_client

sys.path.insert(0, str(Path(__file__).resolve().parent.parent))

from claude_fakes import ClaudeFake
from claude_fakes.explore import Space, explore

HTTP: Any = importlib.import_module("httpx2" if hasattr(anthropic._base_client, "httpx2") else "httpx")
REAL = time.perf_counter
REQUEST: dict[str, Any] = {"model": "claude-sonnet-4-6", "max_tokens": 1024,
                           "messages": [{"role": "user", "content": "Hello"}]}
SEVEN = ["overloaded", "api_error", "rate_limited(retry_after_ms=1)", "hang", "refuse", "drop(after=2)",
         "timeout_error"]
TOOL = {"name": "get_weather", "input_schema": {"type": "object", "properties": {"city": {"type": "string"}},
                                                 "required": ["city"]}}


def timed(action: Callable[[], Any], repeats: int) -> float:
    return timed_both(action, repeats)[0]


def timed_both(action: Callable[[], Any], repeats: int) -> tuple[float, float]:
    """The best wall and the best CPU seconds of ``repeats`` runs (the machine's other work disturbs CPU time less)."""
    best = best_cpu = float("inf")
    for _ in range(repeats):
        start, cpu = REAL(), time.process_time()
        action()
        best, best_cpu = min(best, REAL() - start), min(best_cpu, time.process_time() - cpu)
    return best, best_cpu


def create(client: anthropic.Anthropic) -> None:
    try:
        client.messages.create(**REQUEST)
    except anthropic.APIError:
        pass


def stream(client: anthropic.Anthropic) -> None:
    try:
        with client.messages.stream(**REQUEST) as events:
            events.get_final_message()
    except (anthropic.APIError, HTTP.TransportError):
        pass


def tool_loop(client: anthropic.Anthropic) -> None:
    messages: list[dict[str, Any]] = [{"role": "user", "content": "Weather?"}]
    try:
        for _ in range(4):
            message = client.messages.create(model="claude-sonnet-4-6", max_tokens=256, tools=[TOOL],  # type: ignore[list-item]
                                             messages=messages)  # type: ignore[arg-type]
            if message.stop_reason != "tool_use":
                return
            messages += [{"role": "assistant", "content": [block.model_dump() for block in message.content]},
                         {"role": "user", "content": [{"type": "tool_result", "tool_use_id": block.id,
                                                       "content": "sunny"}
                                                      for block in message.content if block.type == "tool_use"]}]
    except anthropic.APIError:
        pass


WEATHER = {"name": "get_weather", "input_schema": {"type": "object", "properties": {"city": {"type": "string"}},
                                                   "required": ["city"]}}
BOOK = {"name": "book_table", "input_schema": {"type": "object", "properties": {"restaurant": {"type": "string"}},
                                               "required": ["restaurant"]}}
LOOP_BASE = "tool_use(name=get_weather); tool_use(name=book_table); ok(text=Booked a table at Chez Paul.)"
LOOP_FAULTS = ["overloaded", "drop(after=*)", "truncate(after=1..6)"]


def streamed_loop(client: anthropic.Anthropic) -> None:
    """An agent's loop: stream a turn, answer its tool calls, retry a turn whose stream broke (twice)."""
    messages: list[dict[str, Any]] = [{"role": "user", "content": "Book a table where it is sunny"}]
    for _ in range(4):
        for _ in range(3):
            try:
                with client.messages.stream(model="claude-sonnet-4-6", max_tokens=256,
                                            tools=[WEATHER, BOOK], messages=messages) as events:  # type: ignore[list-item]
                    message = events.get_final_message()
                break
            except (anthropic.APIConnectionError, HTTP.TransportError):
                continue
            except anthropic.APIError:
                return
        else:
            return
        if message.stop_reason != "tool_use":
            return
        messages += [{"role": "assistant", "content": [block.model_dump() for block in message.content]},
                     {"role": "user", "content": [{"type": "tool_result", "tool_use_id": block.id, "content": "done"}
                                                  for block in message.content if block.type == "tool_use"]}]


def loop_space() -> Space:
    return Space.of(LOOP_FAULTS, turns=3, base=LOOP_BASE)


class Replay(HTTP.SyncByteStream):  # type: ignore[misc]
    """A body replayed chunk by chunk, ending as the recorded one did (cleanly, or raising)."""

    def __init__(self, chunks: list[bytes], error: Exception | None) -> None:
        self.chunks = chunks
        self.error = error

    def __iter__(self) -> Any:
        yield from self.chunks
        if self.error is not None:
            raise fresh(self.error)


def fresh(error: Exception) -> Exception:
    """A copy of a recorded error to raise: raised in the SDK's retry loop, an exception takes the one being
    handled as its context and keeps its traceback's frames; the recorded object, raised again round after
    round, would chain them all (120,000 objects a round: the collector's passes grew with them)."""
    return copy.copy(error).with_traceback(None)


def record(body: Callable[[anthropic.Anthropic], None], space: Space,
           samples: int | None = None) -> tuple[list[Any], int, Any]:
    """Every answer the fake gives over the whole exploration, in order (a raised error, or a status,
    headers, body chunks and how the body ended), how many times the body ran, and the report."""
    client = anthropic.Anthropic(api_key="k")
    answers: list[Any] = []
    ran = [0]

    def counted() -> None:
        ran[0] += 1
        body(client)

    original = HTTP.Client.send

    def capture(self: Any, request: Any, **kwargs: Any) -> Any:
        try:
            response = original(self, request, **kwargs)
        except Exception as err:
            answers.append(err)
            raise
        chunks, error = [], None
        if response.is_stream_consumed:
            # A call that does not stream had its body read inside send(): it is whole (a body that broke
            # was raised there, and recorded above).
            chunks.append(response.content)
        else:
            try:
                chunks.extend(response.iter_raw())
            except Exception as err:  # a body that breaks: replayed breaking the same way
                error = err
        answer = (response.status_code, response.headers.multi_items(), chunks, error)
        answers.append(answer)
        return replayed(request, answer)

    HTTP.Client.send = capture
    try:
        with ClaudeFake(strict=False) as fake:
            report = explore(fake, counted, space, samples=samples)
    finally:
        HTTP.Client.send = original
    return answers, ran[0], report


def replayed(request: Any, answer: Any) -> Any:
    status, headers, chunks, error = answer
    return HTTP.Response(status, headers=headers, stream=Replay(chunks, error), request=request)


def replay_time(body: Callable[[anthropic.Anthropic], None], runs: int, answers: list[Any], repeats: int
                ) -> tuple[float, float]:
    """The same ``runs`` of the body answered from the recording by a MockTransport: the least any HTTP-level
    mock costs."""
    position = [0]

    def answer(request: Any) -> Any:
        item = answers[position[0] % len(answers)]
        position[0] += 1
        if isinstance(item, Exception):
            raise fresh(item)
        return replayed(request, item)

    client = anthropic.Anthropic(api_key="k", http_client=HTTP.Client(transport=HTTP.MockTransport(answer)))
    # The same virtual sleeps between retries, and no interception.
    with ClaudeFake(strict=False, intercept=False):
        seconds = timed_both(lambda: [body(client) for _ in range(runs)], repeats)
    # A replay that strayed from the recording (an answer the client could not read) would be no baseline.
    assert position[0] == len(answers) * repeats, f"replayed {position[0]} answers of {len(answers)} x {repeats}"
    return seconds


def scenario(name: str, body: Callable[[anthropic.Anthropic], None], space: Space, repeats: int,
             samples: int | None = None) -> None:
    answers, runs, report = record(body, space, samples)
    client = anthropic.Anthropic(api_key="k")
    explored = canned = explored_cpu = canned_cpu = float("inf")
    for _ in range(repeats):  # interleaved: on a shared machine, both meet the same load
        with ClaudeFake(strict=False) as fake:
            wall, cpu = timed_both(lambda: explore(fake, lambda: body(client), space, samples=samples), 1)
        explored, explored_cpu = min(explored, wall), min(explored_cpu, cpu)
        wall, cpu = replay_time(body, runs, answers, 1)
        canned, canned_cpu = min(canned, wall), min(canned_cpu, cpu)
    per = (explored - canned) / runs * 1000
    print(f"{name:<48}{report.space.size:>6}{runs:>6}{len(answers):>9}  {runs / explored:>7,.0f}/s  "
          f"{runs / canned:>7,.0f}/s  {canned / explored:>5.2f}x  {canned_cpu / explored_cpu:>5.2f}x  "
          f"{explored:>7.3f}s  {per:>6.3f} ms")


def bookkeeping(repeats: int) -> None:
    fake = ClaudeFake(strict=False)
    space = Space.of(SEVEN, attempts=3)
    loop = loop_space()
    with fake:
        seconds = timed(lambda: [(fake.reset(), fake.script(*space.schedule(index))) for index in range(512)],
                        repeats)
        composed = timed(lambda: [(fake.reset(), fake.turns(*loop.compose(loop.schedule(index))))
                                  for index in range(512)], repeats)
    print(f"\nper schedule, reset + script alone: {seconds / 512 * 1e6:.1f} µs; three turns over a base: "
          f"{composed / 512 * 1e6:.1f} µs")


def memory(name: str, body: Callable[[anthropic.Anthropic], None], space: Space) -> None:
    client = anthropic.Anthropic(api_key="k")
    fake = ClaudeFake(strict=False)
    ours = tracemalloc.Filter(True, "*claude_fakes*")
    with fake:
        explore(fake, lambda: body(client), space, samples=2_000, limit=1)  # warm: caches, imports
        tracemalloc.start()
        totals, own = [], []
        for seed in range(5):
            # Seeds of their own: draws that repeat the warm-up's would be equivalent runs, never run.
            explore(fake, lambda: body(client), space, samples=2_000, limit=1, seed=seed + 1)
            gc.collect()  # a failed attempt's exception and traceback form cycles, freed by the collector
            snapshot = tracemalloc.take_snapshot()
            totals.append(sum(stat.size for stat in snapshot.statistics("filename")) / 1e3)
            own.append(sum(stat.size for stat in snapshot.filter_traces([ours]).statistics("filename")) / 1e3)
        tracemalloc.stop()
    print(f"{name}: memory held after each 2,000 schedules (kB traced, all / allocated by claude_fakes): "
          + ", ".join(f"{total:.0f} / {mine:.0f}" for total, mine in zip(totals, own, strict=True)))


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    parser.add_argument("--repeats", type=int, default=3)
    parser.add_argument("--only", default="", help="run only the explorations whose name contains this")
    args = parser.parse_args()
    print(f"anthropic {anthropic.__version__} on {HTTP.__name__} {HTTP.__version__}, Python {sys.version.split()[0]}\n")
    print(f"{'exploration':<48}{'space':>6}{'runs':>6}{'attempts':>9}  {'explore':>9}  {'canned':>9}  {'rate':>5}  "
          f"{'cpu':>5}  {'seconds':>8}  {'overhead':>9}")
    explorations: list[tuple[str, Callable[[anthropic.Anthropic], None], Space, int | None]] = [
        ("non-streaming call, 3 attempts x 7 faults", create, Space.of(SEVEN, attempts=3), None),
        ("streamed call, 3 attempts x 7 faults", stream, Space.of(SEVEN, attempts=3), None),
        ("two-turn tool loop, 2 turns x 4 faults", tool_loop,
         Space.of(["overloaded", "drop(after=2)", "tool_use(name=get_weather)", "api_error"], turns=2), None),
        ("three-turn streamed loop, base= and cut points", streamed_loop, loop_space(), 1_000),
    ]
    for name, body, space, samples in explorations:
        if args.only in name:
            scenario(name, body, space, args.repeats, samples)
    if not args.only:
        bookkeeping(args.repeats)
        memory("one call, 3 attempts x 7 faults", create, Space.of(SEVEN, attempts=3))
        memory("three-turn streamed loop", streamed_loop, loop_space())
    print("\nruns: body runs (schedules run, the probe of a space with cut points, shrinking); the space's "
          "other schedules are equivalent to one run. explore, canned: body runs a second. canned: the same runs "
          "answered by a MockTransport replaying what the fake sent (statuses, headers, body chunks, the same "
          "transport errors), on the same virtual sleeps: the least an HTTP-level mock costs. rate: explore's "
          "rate over canned's (cpu: the same in CPU time, which the machine's other work disturbs less). "
          "overhead: (explore - canned) per run: resets, scripts, planning, serving.")


if __name__ == "__main__":
    main()
