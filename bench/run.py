"""Benchmarks of the in-process fake, each reported against a baseline measured in the same run.

    python bench/run.py [--calls 1000] [--repeats 5]

1. A fake's start + stop (median), with every module of the SDK loaded.
2. hang*3 with the SDK's default 600 s timeout, start and stop included: on a client built
   beforehand, and with the SDK building its client inside (which reuses the TLS context an
   earlier client built under a fake; building one with no fake active, which loads the CA
   bundle, is measured alone too).
3. N ``ok`` calls through the fake vs N calls through the SDK on a canned-response
   ``MockTransport`` (the least an HTTP-level mock can cost): the fake's overhead as a ratio.
4. The same for streamed calls (``messages.stream`` + ``get_final_message``), then both again
   through ``AnthropicBedrock`` (SigV4 signing, event-stream frames decoded by botocore) against
   a canned transport serving the fake's own Bedrock bytes.
5. An Opus ``max_tokens=8192`` stream paced by the realistic latency model (1,000-odd deltas over
   104 virtual seconds) vs the canned transport serving the same bytes at once; then the seed's
   whole slow case: the request times out at 60 s without streaming, then streams.
6. A pytest suite of 1,000 one-call tests using the ``claude_fake`` fixture vs the same suite on
   a canned-transport fixture (``--suite 0`` skips it).

No number here is asserted anywhere; the figures are for reading and comparing across changes.
"""

from __future__ import annotations

import argparse
import importlib
import json
import statistics
import subprocess
import sys
import tempfile
import time
from collections.abc import Callable
from typing import Any

import anthropic
import anthropic._base_client

from claude_fakes import ClaudeFake

REAL = {"perf_counter": time.perf_counter}  # a fake leaves perf_counter real; this keeps the bench obviously so
HTTP: Any = importlib.import_module("httpx2" if hasattr(anthropic._base_client, "httpx2") else "httpx")
REQUEST: dict[str, Any] = {"model": "claude-sonnet-4-6", "max_tokens": 256,
                           "messages": [{"role": "user", "content": "Hello"}]}
OPUS_8K: dict[str, Any] = {**REQUEST, "model": "claude-opus-4-7", "max_tokens": 8192}


def timed(fn: Callable[[], object]) -> float:
    start = REAL["perf_counter"]()
    fn()
    return REAL["perf_counter"]() - start


def paired(repeats: int, baseline: Callable[[], object], ours: Callable[[], object],
           fake: ClaudeFake) -> tuple[float, float]:
    """Best times of ``baseline`` and of ``ours`` (run with ``fake`` active), taken in alternation,
    so that the machine's drift during the run weighs on both alike."""
    base_times, our_times = [], []
    for _ in range(repeats):
        base_times.append(timed(baseline))
        with fake:
            our_times.append(timed(ours))
    return min(base_times), min(our_times)


def best_of(repeats: int, fn: Callable[[], object]) -> float:
    return min(timed(fn) for _ in range(repeats))


def canned_client(request: dict[str, Any] = REQUEST, latency: str | None = None) -> anthropic.Anthropic:
    """The SDK on a transport that returns prepared replies: the fake's own bytes and headers for
    ``request`` (JSON or SSE), recorded once, with no fault logic and no clock."""
    replies = {stream: recorded(request, stream, latency) for stream in (False, True)}

    def handler(sent: Any) -> Any:
        headers, body = replies[json.loads(sent.content).get("stream") is True]
        return HTTP.Response(200, headers=headers, content=body)

    return anthropic.Anthropic(api_key="sk-bench", http_client=HTTP.Client(transport=HTTP.MockTransport(handler)))


def canned_bedrock_client() -> anthropic.AnthropicBedrock:
    """The same, for ``AnthropicBedrock``: the fake's Bedrock replies, event-stream frames included."""
    replies = {stream: recorded(REQUEST, stream, platform="bedrock") for stream in (False, True)}

    def handler(sent: Any) -> Any:
        headers, body = replies[sent.url.path.endswith("-stream")]
        return HTTP.Response(200, headers=headers, content=body)

    return anthropic.AnthropicBedrock(aws_region="us-east-1", aws_access_key="AKIABENCH", aws_secret_key="bench",
                                      http_client=HTTP.Client(transport=HTTP.MockTransport(handler)))


def recorded(request: dict[str, Any], stream: bool, latency: str | None = None,
             platform: str = "anthropic") -> tuple[list[tuple[str, str]], bytes]:
    """The fake's own headers and body for ``request``, so both sides parse the same reply."""
    from claude_fakes.core.plan import Send
    from claude_fakes.core.planner import Api
    from claude_fakes.core.request import Incoming
    from claude_fakes.latency import latency_model

    path, sent = "/v1/messages", {**request, "stream": stream}
    if platform == "bedrock":
        path = f"/model/{request['model']}/invoke" + ("-with-response-stream" if stream else "")
        sent = {key: value for key, value in request.items() if key != "model"}
    body = json.dumps(sent).encode()
    plan = Api(latency=latency_model(latency)).respond(Incoming("POST", path, {}, {}, body), None, now=0)
    assert plan.head is not None
    return list(plan.head.headers), b"".join(action.data for action in plan.actions if isinstance(action, Send))


def calls(client: Any, n: int, stream: bool, request: dict[str, Any] = REQUEST) -> Callable[[], None]:
    def run() -> None:
        for _ in range(n):
            if stream:
                with client.messages.stream(**request) as s:
                    s.get_final_message()
            else:
                client.messages.create(**request)

    return run


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--calls", type=int, default=1000)
    parser.add_argument("--repeats", type=int, default=7)
    parser.add_argument("--suite", type=int, default=1000, help="tests in the pytest-suite comparison (0: skip)")
    args = parser.parse_args()
    print(f"anthropic {anthropic.__version__} on {HTTP.__name__} {HTTP.__version__}, Python {sys.version.split()[0]}, "
          f"{len(sys.modules)} modules loaded")

    def start_stop() -> None:
        fake = ClaudeFake()
        fake.start()
        fake.stop()

    start_stop()
    print(f"\nfake start + stop: {statistics.median(timed(start_stop) for _ in range(500)) * 1000:.3f} ms median")

    prebuilt = anthropic.Anthropic(api_key="sk-bench")

    def hang_scenario(client: anthropic.Anthropic | None = None) -> float:
        with ClaudeFake("hang*3") as fake:
            try:
                (client or anthropic.Anthropic()).messages.create(**REQUEST)
            except anthropic.APITimeoutError:
                pass
        return fake.clock.elapsed

    virtual = hang_scenario(prebuilt)
    hang_wall = statistics.median(timed(lambda: hang_scenario(prebuilt)) for _ in range(50))
    with_client = statistics.median(timed(hang_scenario) for _ in range(10))
    construction = statistics.median(timed(lambda: anthropic.Anthropic(api_key="sk-bench")) for _ in range(10))
    print(f"hang*3, default timeout, start and stop included: {virtual:.1f} s virtual in {hang_wall * 1000:.2f} ms "
          f"wall ({virtual / hang_wall:,.0f} virtual s per wall s); {with_client * 1000:.1f} ms when the SDK "
          f"builds its client inside (anthropic.Anthropic() alone, no fake active: {construction * 1000:.1f} ms)")

    canned = canned_client()
    fake_client = anthropic.Anthropic(api_key="sk-bench")
    print(f"\n{'scenario':<34}{'baseline':>12}{'claude_fakes':>14}{'ratio':>8}")
    for label, stream in (("non-streaming ok calls", False), ("streamed ok calls", True)):
        baseline, ours = paired(args.repeats, calls(canned, args.calls, stream), calls(fake_client, args.calls, stream),
                                ClaudeFake("ok*inf", strict=False))
        print(f"{f'{args.calls} {label}':<34}{baseline:>11.3f}s{ours:>13.3f}s{ours / baseline:>7.2f}x")
    canned_bedrock, fake_bedrock = canned_bedrock_client(), anthropic.AnthropicBedrock(
        aws_region="us-east-1", aws_access_key="AKIABENCH", aws_secret_key="bench")
    for label, stream in (("Bedrock ok calls", False), ("Bedrock ok calls, streamed", True)):
        baseline, ours = paired(args.repeats, calls(canned_bedrock, args.calls, stream),
                                calls(fake_bedrock, args.calls, stream), ClaudeFake("ok*inf", strict=False))
        print(f"{f'{args.calls} {label}':<34}{baseline:>11.3f}s{ours:>13.3f}s{ours / baseline:>7.2f}x")

    fake = ClaudeFake(latency="realistic", strict=False)
    baseline, ours = paired(args.repeats, calls(canned_client(OPUS_8K, "realistic"), 1, True, OPUS_8K),
                            calls(fake_client, 1, True, OPUS_8K), fake)
    per_stream = fake.clock.elapsed / args.repeats
    print(f"{'Opus 8,192-token stream, paced':<34}{baseline:>11.3f}s{ours:>13.3f}s{ours / baseline:>7.2f}x"
          f"  ({per_stream:.1f} s virtual each)")

    def seed_scenario() -> float:
        with ClaudeFake(latency="realistic") as fake:
            client = anthropic.Anthropic(timeout=60, max_retries=0)
            try:
                client.messages.create(**OPUS_8K)
            except anthropic.APITimeoutError:
                pass
            calls(client, 1, True, OPUS_8K)()
        return fake.clock.elapsed

    virtual = seed_scenario()
    wall = best_of(args.repeats, seed_scenario)
    print(f"\nOpus 8,192 tokens with timeout=60: times out, then streams: {virtual:.1f} s virtual in "
          f"{wall * 1000:.1f} ms wall")
    if args.suite:
        fake_suite, canned_suite = suite(args.suite, "claude_fake"), suite(args.suite, "canned")
        print(f"\npytest suite of {args.suite} one-call tests: {fake_suite:.2f} s with claude_fake, "
              f"{canned_suite:.2f} s on a canned transport: {fake_suite / canned_suite:.2f}x")
    print("\nbaseline: the same SDK calls on httpx's MockTransport returning the same reply, prepared.")
    return 0


SUITE = """
import json, anthropic, pytest, {http}

REQUEST = {request!r}
REPLY = {reply!r}


@pytest.fixture(scope="module")
def client():
    return anthropic.Anthropic(api_key="sk-bench")


@pytest.fixture
def canned():
    def handler(request):
        return {http}.Response(200, headers={{"content-type": "application/json"}}, content=REPLY)

    return anthropic.Anthropic(api_key="sk-bench", http_client={http}.Client(transport={http}.MockTransport(handler)))


@pytest.mark.parametrize("n", range({tests}))
def test_claude_fake(claude_fake, client, n):
    assert client.messages.create(**REQUEST).stop_reason == "end_turn"


@pytest.mark.parametrize("n", range({tests}))
def test_canned(canned, n):
    assert canned.messages.create(**REQUEST).stop_reason == "end_turn"
"""


def suite(tests: int, kind: str) -> float:
    """Wall seconds for pytest to run ``tests`` one-call tests of ``kind`` in a fresh process."""
    reply = json.dumps({"id": "msg_01", "type": "message", "role": "assistant", "model": REQUEST["model"],
                        "content": [{"type": "text", "text": "Hello"}], "stop_reason": "end_turn",
                        "stop_sequence": None, "usage": {"input_tokens": 2, "output_tokens": 1}})
    with tempfile.TemporaryDirectory() as folder:
        path = f"{folder}/test_suite.py"
        with open(path, "w") as file:
            file.write(SUITE.format(http=HTTP.__name__, request=REQUEST, reply=reply, tests=tests))
        command = [sys.executable, "-m", "pytest", "-q", "-p", "no:randomly", "-p", "no:cacheprovider",
                   "-p", "no:xdist", "-W", "ignore", "-k", f"test_{kind}", path]
        start = REAL["perf_counter"]()
        result = subprocess.run(command, capture_output=True, text=True, cwd=folder)
        took = REAL["perf_counter"]() - start
    if result.returncode != 0:
        raise RuntimeError(result.stdout[-2000:] + result.stderr[-2000:])
    return took


if __name__ == "__main__":
    raise SystemExit(main())
