"""The fake server over real sockets (127.0.0.1 only), with the real Python SDK.

Real time here: the waits are short, and every loop is bounded.
"""

from __future__ import annotations

import asyncio
import importlib.metadata
import json
import os
import signal
import socket
import subprocess
import sys
import time
import types
import urllib.request
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import anthropic
import pytest

from claude_fakes import ClaudeFake, Outcome
from claude_fakes.server import FakeServer
from claude_fakes.server.client import ServerScope

from .drivers import quick_backoff
from .sdk import HTTP, REQUEST

REAL = {"monotonic": time.monotonic}
SHIPPED = Path(__file__).parent.parent / "fixtures" / "scenarios"


def stream(**options: Any) -> Any:
    with anthropic.Anthropic(**options) as client, client.messages.stream(**REQUEST) as s:
        return s.get_final_message()


def create(**options: Any) -> Any:
    """One non-streaming call on a client that is closed afterwards, so no socket outlives the test."""
    with anthropic.Anthropic(**options) as client:
        return client.messages.create(**REQUEST)


@pytest.fixture
def server() -> Iterator[FakeServer]:
    """A server in a thread of this process, for tests that look inside it."""
    with FakeServer() as running:
        yield running


# -- the command line ---------------------------------------------------------------------


def start_cli(*args: str) -> tuple[subprocess.Popen[str], str]:
    process = subprocess.Popen([sys.executable, "-m", "claude_fakes", "serve", "--port", "0", *args],
                               stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True)
    assert process.stdout is not None
    return process, process.stdout.readline().strip()


@pytest.mark.parametrize("signum", [signal.SIGTERM, signal.SIGINT])
def test_cli_serves_prints_its_url_and_exits_cleanly(signum: int) -> None:
    process, url = start_cli("--script", "overloaded, ok")
    try:
        assert url.startswith("http://127.0.0.1:")
        with quick_backoff():  # the command's output is the point, not the SDK's pause after the 529
            assert create(base_url=url, api_key="sk-test").stop_reason == "end_turn"
        started = REAL["monotonic"]()
        process.send_signal(signum)
        assert process.wait(timeout=5) == 0
        assert REAL["monotonic"]() - started < 1
        output, _ = process.communicate(timeout=5)
        lines = output.splitlines()
        assert lines[0].startswith("[default] #1 turn 1 POST /v1/messages overloaded => 529 complete")
        assert lines[1].startswith("[default] #2 turn 1 POST /v1/messages ok => 200 complete")
    finally:
        process.kill()
        process.communicate(timeout=5)


def statuses_served(*args: str) -> list[int]:
    """The statuses a CLI server started with ``args`` gives one SDK call."""
    process, url = start_cli(*args, "--quiet")
    try:
        with quick_backoff():  # the statuses are the point, not the SDK's pauses between them
            create(base_url=url, api_key="sk-test")
        state = json.load(urllib.request.urlopen(f"{url}/_claude_fakes/journal", timeout=10))
        return [e["status"] for e in state["exchanges"]]
    finally:
        process.terminate()
        process.communicate(timeout=5)


def test_cli_scenario_files_and_bad_scripts(tmp_path: Any) -> None:
    scenario = tmp_path / "flaky.txt"
    scenario.write_text("# overloaded twice, then fine\noverloaded*2   # 529s\nok\n")
    assert statuses_served("--scenario", str(scenario)) == [529, 529, 200]
    bad = subprocess.run([sys.executable, "-m", "claude_fakes", "serve", "--script", "ok*x"],
                         capture_output=True, text=True, timeout=30)
    assert bad.returncode == 2 and "position 3" in bad.stderr


def test_cli_quotas_count_down_then_refuse() -> None:
    process, url = start_cli("--rpm", "2", "--tpm", "100000", "--quiet")
    try:
        with anthropic.Anthropic(base_url=url, api_key="sk-test", max_retries=0) as client:
            remaining = [client.messages.with_raw_response.create(**REQUEST).headers[
                "anthropic-ratelimit-requests-remaining"] for _ in range(2)]
            with pytest.raises(anthropic.RateLimitError) as info:
                client.messages.create(**REQUEST)
        assert remaining == ["1", "0"]
        assert 55 <= int(info.value.response.headers["retry-after"]) <= 60
        assert info.value.response.headers["anthropic-ratelimit-tokens-limit"] == "100000"
        state = json.load(urllib.request.urlopen(f"{url}/_claude_fakes/journal", timeout=10))
        assert [e["notes"] for e in state["exchanges"]] == [[], [], ["over quota"]]
    finally:
        process.terminate()
        process.communicate(timeout=5)


def cli(*args: str) -> subprocess.CompletedProcess[str]:
    return subprocess.run([sys.executable, "-m", "claude_fakes", *args], capture_output=True, text=True, timeout=60)


@pytest.mark.parametrize(("args", "message"), [
    (("serve", "--port", "99999"), "argument --port: a port from 0 to 65535, got '99999'"),
    (("serve", "--rpm", "-5"), "argument --rpm: a whole number >= 1, got '-5'"),
    (("serve", "--rpm", "0"), "argument --rpm: a whole number >= 1, got '0'"),
    (("serve", "--scenario", "no-such-scenario"), "no scenario file 'no-such-scenario'"),
])
def test_cli_user_errors_are_one_line_and_a_status(args: tuple[str, ...], message: str) -> None:
    result = cli(*args)
    assert result.returncode == 2
    assert message in result.stderr
    assert "Traceback" not in result.stderr
    assert result.stderr.strip().splitlines()[-1].count("claude-fakes") == 1


def test_cli_a_bad_scenario_line_is_named_by_file_and_line(tmp_path: Any) -> None:
    scenario = tmp_path / "bad.txt"
    scenario.write_text("# fine so far\noverloaded\n\nstall(after=2, secnds=3)\n")
    result = cli("serve", "--scenario", str(scenario))
    assert result.returncode == 2
    assert f"{scenario}:4: stall has no argument 'secnds'" in result.stderr
    assert "Traceback" not in result.stderr


def test_cli_lists_and_serves_shipped_scenarios_by_name() -> None:
    listing = cli("scenarios")
    assert listing.returncode == 0
    assert [line.split()[0] for line in listing.stdout.splitlines()] == sorted(
        path.stem for path in SHIPPED.glob("*.txt"))
    assert statuses_served("--scenario", "overloaded-529") == [529, 529, 200]


def test_cli_lists_each_scenario_with_its_first_sentence_and_prints_one_whole() -> None:
    listing = cli("scenarios").stdout.splitlines()
    assert all(line.rstrip().endswith((".", ")")) for line in listing), listing
    assert ("serverless        Serverless limits: a slow generation (13 s for the default reply) that outlasts a "
            "Vercel Hobby function (10 s).") in listing
    whole = cli("scenarios", "serverless")
    assert whole.returncode == 0 and whole.stdout == (SHIPPED / "serverless.txt").read_text()
    missing = cli("scenarios", "no-such")
    assert missing.returncode == 2 and "no shipped scenario of that name; shipped: agent-loop" in missing.stderr


def test_cli_output_to_a_reader_that_has_left_ends_quietly() -> None:
    process = subprocess.Popen([sys.executable, "-m", "claude_fakes", "scenarios"], stdout=subprocess.PIPE,
                               stderr=subprocess.PIPE, text=True)
    assert process.stdout is not None and process.stderr is not None
    process.stdout.close()  # gone before the first line is written, as `| head -1` is after one
    errors = process.stderr.read()
    process.stderr.close()
    assert process.wait(timeout=60) == 0
    assert "Traceback" not in errors


def test_cli_a_scenario_names_its_gateway(monkeypatch: pytest.MonkeyPatch) -> None:
    """``--scenario serverless`` puts its ``gateway = vercel-hobby`` in front of the server it starts.

    Checked where the command builds its server: over sockets, the gateway's 504 comes after its
    real 10 s limit. That a server's gateway answers over sockets is ``test_realism.py``'s
    ``test_gateways_apply_over_sockets_too``; the scenario's 504 itself, ``test_scenarios.py``'s."""
    from claude_fakes import cli

    built: dict[str, Any] = {}

    class Built(Exception):
        pass

    def server(*args: Any, **options: Any) -> FakeServer:
        built.update(options)
        raise Built

    # The command's event loop installs its own SIGINT/SIGTERM handlers and resets them to the
    # defaults when it closes: this process's own go back afterwards.
    handlers = {signum: signal.getsignal(signum) for signum in (signal.SIGINT, signal.SIGTERM)}
    monkeypatch.setattr(cli, "FakeServer", server)
    try:
        with pytest.raises(Built):
            cli.main(["serve", "--scenario", "serverless", "--port", "0", "--quiet"])
    finally:
        for signum, handler in handlers.items():
            signal.signal(signum, handler)
    assert built["gateway"] == "vercel-hobby"


PAUSED_AT = """
import runpy, sys

class PauseAt:
    # An import hook: when the command, its signal handlers installed, comes to import {module!r},
    # say so on stdout and wait (on stdin) for the test's signal, which the handler turns into a
    # SystemExit right here, inside the import machinery.
    def find_spec(self, name, path=None, target=None):
        if name == {module!r}:
            sys.meta_path.remove(self)
            print("importing", name, flush=True)
            sys.stdin.readline()
            raise AssertionError("no signal came")
        return None

sys.meta_path.insert(0, PauseAt())
sys.argv = ["claude-fakes", "serve", "--port", "0"]
runpy.run_module("claude_fakes", run_name="__main__", alter_sys=True)
"""


@pytest.mark.parametrize("module", ["claude_fakes.cli", "h11"])  # the command line; deep inside the server's imports
@pytest.mark.parametrize("signum", [signal.SIGTERM, signal.SIGINT])
def test_cli_a_signal_while_starting_ends_it_quietly(signum: int, module: str) -> None:
    """A signal while the command still imports what it serves with ends it quietly (exit 0, no
    traceback). The process says where it is and waits there, so the signal lands at that point
    every time, however loaded the machine (a timer after start-up raced the interpreter)."""
    process = subprocess.Popen([sys.executable, "-c", PAUSED_AT.format(module=module)], stdin=subprocess.PIPE,
                               stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True)
    try:
        assert process.stdout is not None
        assert process.stdout.readline() == f"importing {module}\n"
        process.send_signal(signum)
        output, errors = process.communicate(timeout=30)
    except BaseException:
        process.kill()
        process.communicate(timeout=5)
        raise
    assert process.returncode == 0, errors
    assert "Traceback" not in errors
    assert "127.0.0.1" not in output, "stopped before it served"


def test_cli_version_is_the_packages() -> None:
    import claude_fakes

    result = subprocess.run([sys.executable, "-m", "claude_fakes", "--version"], capture_output=True, text=True,
                            timeout=60)
    assert result.returncode == 0
    assert result.stdout.strip() == f"claude-fakes {claude_fakes.__version__}"
    assert claude_fakes.__version__ == importlib.metadata.version("claude-fakes")


def test_cli_help_documents_everything() -> None:
    result = subprocess.run([sys.executable, "-m", "claude_fakes", "serve", "--help"],
                            capture_output=True, text=True, timeout=30)
    for text in ("--host", "--port", "--script", "--scenario", "--seed", "--latency", "--gateway", "vercel-edge",
                 "--rpm", "--tpm", "chaos", "x-claude-fakes-script",
                 "x-claude-fakes-scope", "/_claude_fakes/journal", "drop(after)", "127.0.0.1"):
        assert text in result.stdout


# -- faults over sockets, through the fixture -------------------------------------------------


def test_drop_mid_stream_is_a_remote_protocol_error(claude_fake_server: ServerScope) -> None:
    claude_fake_server.script("drop(after=3)")
    with pytest.raises(HTTP.RemoteProtocolError):
        stream()
    (exchange,) = claude_fake_server.journal
    assert (exchange.outcome, exchange.events) == (Outcome.CUT, 3)


def test_hang_with_a_short_timeout_is_a_timeout_after_retries(claude_fake_server: ServerScope) -> None:
    claude_fake_server.script("hang*3")
    with quick_backoff(), pytest.raises(anthropic.APITimeoutError):  # the SDK's pause is not under test here
        create(timeout=0.2)
    assert claude_fake_server.attempts == 3
    assert [e.outcome for e in claude_fake_server.journal] == [Outcome.READ_TIMEOUT] * 3
    assert claude_fake_server.journal[0].timeout["read"] == 0.2, "from the SDK's x-stainless-read-timeout"


def test_stall_pauses_for_real(claude_fake_server: ServerScope) -> None:
    claude_fake_server.script("stall(after=2, seconds=0.3)")
    started = REAL["monotonic"]()
    assert stream().stop_reason == "end_turn"
    assert REAL["monotonic"]() - started >= 0.3
    assert claude_fake_server.journal[0].duration >= 0.3  # type: ignore[operator]


def test_error_event_is_a_status_200_error(claude_fake_server: ServerScope) -> None:
    claude_fake_server.script("error_event(after=2)")
    with pytest.raises(anthropic.APIStatusError) as info:
        stream()
    assert info.value.status_code == 200


def test_reset_mid_stream_is_a_read_error(claude_fake_server: ServerScope) -> None:
    claude_fake_server.script("reset(after=2)")
    with pytest.raises(HTTP.ReadError):
        stream()


@pytest.mark.claude_fake("refuse, garbage, reset, truncate(after=1)")
def test_connection_faults_are_retried_and_truncation_is_silent(claude_fake_server: ServerScope) -> None:
    with quick_backoff():  # the SDK's pause is not under test here: three of them, in real time
        message = stream(max_retries=3)
    assert message.stop_reason is None
    assert [e.outcome for e in claude_fake_server.journal] == [
        Outcome.REFUSED, Outcome.GARBAGE, Outcome.RESET, Outcome.COMPLETE]
    assert [e.retry_count for e in claude_fake_server.journal] == [0, 1, 2, 3]


def test_async_sdk_over_sockets(claude_fake_server: ServerScope) -> None:
    claude_fake_server.script("overloaded, drop(after=2)")

    async def main() -> None:
        async with anthropic.AsyncAnthropic() as client, client.messages.stream(**REQUEST) as s:
            await s.get_final_message()

    with quick_backoff(), pytest.raises(HTTP.RemoteProtocolError):  # the SDK's pause is not under test here
        asyncio.run(main())
    assert claude_fake_server.attempts == 2


def test_non_streaming_and_keep_alive(claude_fake_server: ServerScope) -> None:
    claude_fake_server.script("api_error, ok, ok, ok")
    with anthropic.Anthropic() as client:
        for _ in range(3):
            assert client.messages.create(**REQUEST).content[0].text == "Hello! This is a reply from claude_fakes."
    assert claude_fake_server.attempts == 4
    assert claude_fake_server.verdict().resilient


def raw_request(body: bytes, *extra: bytes) -> bytes:
    return (b"POST /v1/messages HTTP/1.1\r\nhost: x\r\nx-api-key: k\r\nanthropic-version: 2023-06-01\r\n"
            b"content-type: application/json\r\ncontent-length: %d\r\n%s\r\n%s" % (len(body), b"".join(extra), body))


def read_responses(sock: socket.socket, count: int) -> list[bytes]:
    """``count`` whole responses (content-length framed), read with a bounded number of reads."""
    data, responses = b"", []
    for _ in range(200):
        while b"\r\n\r\n" in data and len(responses) < count:
            head, _, rest = data.partition(b"\r\n\r\n")
            length = int(next(line.split(b":")[1] for line in head.split(b"\r\n")
                              if line.lower().startswith(b"content-length")))
            if len(rest) < length:
                break
            responses.append(head + b"\r\n\r\n" + rest[:length])
            data = rest[length:]
        if len(responses) == count:
            return responses
        chunk = sock.recv(65536)
        if not chunk:
            break
        data += chunk
    return responses


def test_inputs_that_once_crashed_the_server_get_400s(server: FakeServer) -> None:
    deep = b"[" * 100_000 + b"]" * 100_000
    headers = {"x-api-key": "k", "anthropic-version": "2023-06-01"}
    with HTTP.Client(base_url=server.url, headers=headers) as client:
        nested = client.post("/v1/messages", content=deep, headers={"content-type": "application/json"})
        assert nested.status_code == 400 and nested.json()["error"]["type"] == "invalid_request_error"
        admin = client.post("/_claude_fakes/script", content=deep, headers={"content-type": "application/json"})
        assert admin.status_code == 400
        for script in ("ok*" + "9" * 5000, "ok*\u00b2", "overloaded(retry_after_ms=" + "1" * 5000 + ")"):
            answer = client.post("/v1/messages", json=REQUEST,
                                 headers={"x-claude-fakes-script": script.encode("latin-1")})
            assert answer.status_code == 400, script[:20]
        models = client.get("/v1/models", params={"limit": "\u00b2"})
        assert models.status_code == 400
        assert client.post("/v1/messages", json=REQUEST).status_code == 200, "and it keeps serving"


def test_one_connection_serves_requests_in_turn_and_pipelined(server: FakeServer) -> None:
    body = json.dumps(REQUEST).encode()
    with socket.create_connection(("127.0.0.1", server.port), timeout=10) as sock:
        sock.sendall(raw_request(body))
        assert read_responses(sock, 1)[0].startswith(b"HTTP/1.1 200 OK")
        sock.sendall(raw_request(body))
        assert read_responses(sock, 1)[0].startswith(b"HTTP/1.1 200 OK"), "the connection is kept alive"
        sock.sendall(raw_request(body) * 3)
        assert len(read_responses(sock, 3)) == 3, "pipelined requests are answered in order"
        sock.sendall(raw_request(body, b"connection: close\r\n"))
        (last,) = read_responses(sock, 1)
        assert b"\r\nconnection: close\r\n" in last
        assert sock.recv(1) == b"", "closed after a response the client asked to be the last"
    assert server.scopes.get("default").engine.attempts == 6


# -- scopes, headers, admin -----------------------------------------------------------------


def test_two_scopes_do_not_see_each_others_steps_or_journal(claude_fakes_server_url: str) -> None:
    first = ServerScope(claude_fakes_server_url, "scope-a").script("overloaded, ok")
    second = ServerScope(claude_fakes_server_url, "scope-b").script("api_error, ok")
    with quick_backoff():  # the scopes are the point, not the SDK's pause after each error
        create(base_url=first.url, api_key="k")
        create(base_url=second.url, api_key="k")
    assert [e.status for e in first.journal] == [529, 200]
    assert [e.status for e in second.journal] == [500, 200]
    first.reset()
    second.reset()


def test_script_and_scope_headers_for_any_client(server: FakeServer) -> None:
    headers = {"x-api-key": "k", "anthropic-version": "2023-06-01", "x-claude-fakes-scope": "ts-test-7",
               "x-claude-fakes-script": "rate_limited(retry_after=0.1), ok"}
    with HTTP.Client(base_url=server.url, headers=headers) as client:
        statuses = [client.post("/v1/messages", json=REQUEST).status_code for _ in range(3)]
        assert statuses == [429, 200, 200], "a request repeating the header continues its script"
        retry = client.post("/v1/messages", json=REQUEST, headers={"x-claude-fakes-script": "ok*x"})
        assert retry.status_code == 400 and "position 3" in retry.json()["error"]["message"]
    fake = server.scopes.get("ts-test-7").engine
    assert fake.attempts == 4 and server.scopes.get("default").engine.attempts == 0


def test_a_header_script_belongs_to_the_call_that_carries_it(server: FakeServer) -> None:
    header = {"x-claude-fakes-script": "overloaded, ok"}
    with quick_backoff(), anthropic.Anthropic(base_url=server.url, api_key="sk-test", default_headers=header) as client:
        for _ in range(2):
            client.messages.create(**REQUEST)
    assert [e.status for e in server.scopes.get("default").engine.journal] == [529, 200, 529, 200], (
        "every call starts the script over: its step k is the call's attempt k (x-stainless-retry-count)")
    other = {**REQUEST, "messages": [{"role": "user", "content": "Another question"}]}
    with HTTP.Client(base_url=server.url, headers={"x-api-key": "k", "anthropic-version": "2023-06-01",
                                                   **header}) as client:
        statuses = [client.post("/v1/messages", json=body).status_code for body in (REQUEST, REQUEST, other)]
    assert statuses == [529, 200, 529], "without a retry count, a call is its messages"
    assert server.scopes.get("default").engine.unused_steps() == [], "the scope's own script is untouched"


def test_admin_api(server: FakeServer) -> None:
    def admin(method: str, action: str, body: bytes | None = None) -> Any:
        request = urllib.request.Request(f"{server.url}/_claude_fakes/{action}", data=body, method=method)
        try:
            with urllib.request.urlopen(request, timeout=10) as response:
                return response.status, response.read()
        except urllib.error.HTTPError as err:
            return err.code, err.read()

    assert json.loads(admin("GET", "health")[1])["status"] == "ok"
    status, body = admin("POST", "script?scope=x", b"overlaoded")
    assert status == 400 and "did you mean 'overloaded'" in json.loads(body)["error"]["message"]
    assert admin("POST", "script?scope=x", b"overloaded, ok")[0] == 200
    with quick_backoff():  # the admin API is the point, not the SDK's pause after the 529
        create(base_url=f"{server.url}/_claude_fakes/scopes/x", api_key="k")
    journal = json.loads(admin("GET", "journal?scope=x")[1])
    assert journal["attempts"] == 2 and journal["exchanges"][0]["step"] == "overloaded"
    assert "529 complete" in admin("GET", "timeline?scope=x")[1].decode()
    assert admin("POST", "reset")[0] == 200
    assert json.loads(admin("GET", "health")[1])["scopes"] == []
    assert admin("GET", "nothing")[0] == 404


# -- robustness ----------------------------------------------------------------------------


MALFORMED = [
    b"\x00\xff\x00\xff garbage\r\n\r\n",
    b"GET / HTTP/1.1\r\nHost\r\n\r\n",
    b"POST /v1/messages HTTP/1.1\r\nhost: x\r\ncontent-length: nope\r\n\r\n",
    b"POST /v1/messages HTTP/1.1\r\nhost: x\r\ncontent-length: 10\r\n\r\n{\"a\"",
    b"GET / HTTP/1.1\r\nhost: x\r\nx-big: " + b"a" * 70000 + b"\r\n\r\n",
    b"POST /v1/messages HTTP/1.1\r\nhost: x\r\ncontent-length: 5\r\nx-api-key: k\r\n"
    b"anthropic-version: 1\r\n\r\n{oops",
]


def test_a_thousand_malformed_requests_leave_the_server_serving(server: FakeServer) -> None:
    host, port = "127.0.0.1", server.port
    answered = 0
    for number in range(1000):
        with socket.create_connection((host, port), timeout=5) as connection:
            connection.sendall(MALFORMED[number % len(MALFORMED)])
            connection.shutdown(socket.SHUT_WR)
            reply = b""
            for _ in range(100):  # bounded: read until the server closes
                chunk = connection.recv(65536)
                if not chunk:
                    break
                reply += chunk
            answered += reply.startswith(b"HTTP/1.1 4")
    assert answered >= 800, "malformed requests get an HTTP 4xx (those cut before a request line get nothing)"
    assert create(base_url=server.url, api_key="k").stop_reason == "end_turn"


def test_oversized_and_malformed_bodies_get_anthropic_errors(server: FakeServer) -> None:
    with HTTP.Client(base_url=server.url, headers={"x-api-key": "k", "anthropic-version": "2023-06-01"}) as client:
        big = client.post("/v1/messages", content=b"x" * (32 * 1024 * 1024 + 1))
        assert big.status_code == 413 and big.json()["error"]["type"] == "request_too_large"
        bad = client.post("/v1/messages", content=b"{oops")
        assert bad.status_code == 400 and bad.json()["type"] == "error"
        assert client.post("/v1/messages", json=REQUEST).status_code == 200


def test_binds_loopback_by_default() -> None:
    assert FakeServer().host == "127.0.0.1"
    assert os.environ.get("ANTHROPIC_BASE_URL") is None or "127.0.0.1" in os.environ["ANTHROPIC_BASE_URL"]


def test_a_signal_the_import_machinery_wraps_still_stops_the_command_quietly(
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    """A SIGTERM landing in a class body's ``__set_name__`` comes out as a RuntimeError, not the
    handler's SystemExit (seen in CI at 0.2 s after start-up): the command still exits 0."""
    from claude_fakes import command

    class Importing(types.ModuleType):
        def __getattr__(self, name: str) -> object:
            try:
                command._quit(signal.SIGTERM, None)
            except SystemExit as stop:
                raise RuntimeError("Error calling __set_name__ on 'Field' instance") from stop
            raise AssertionError("unreachable")

    monkeypatch.setattr(signal, "signal", lambda signum, handler: None)  # the test process keeps its own
    monkeypatch.setattr(command, "_signalled", [])
    monkeypatch.setitem(sys.modules, "claude_fakes.cli", Importing("claude_fakes.cli"))
    assert command.main() == 0

    class Broken(types.ModuleType):
        def __getattr__(self, name: str) -> object:
            raise RuntimeError("a real error at import")

    monkeypatch.setattr(command, "_signalled", [])
    monkeypatch.setitem(sys.modules, "claude_fakes.cli", Broken("claude_fakes.cli"))
    with pytest.raises(RuntimeError, match="a real error at import"):
        command.main()  # without a signal, an error is the error it is


GATEWAY_SECRETS = {"helicone-auth": "Bearer sk-helicone-1", "cf-aig-authorization": "Bearer cf-2",
                   "x-portkey-api-key": "pk-3"}


def test_gateway_secrets_never_reach_the_journal_in_process_or_over_the_admin_api(
    claude_fake_server: ServerScope,
) -> None:
    with ClaudeFake() as fake:
        anthropic.Anthropic(default_headers=GATEWAY_SECRETS).messages.create(**REQUEST)
    anthropic.Anthropic(base_url=claude_fake_server.url, default_headers=GATEWAY_SECRETS).messages.create(**REQUEST)
    for exchange in (*fake.journal, *claude_fake_server.journal):
        assert {name: exchange.headers[name] for name in GATEWAY_SECRETS} == dict.fromkeys(GATEWAY_SECRETS,
                                                                                         "[redacted]")
    assert not any(secret in claude_fake_server.timeline() for secret in GATEWAY_SECRETS.values())
