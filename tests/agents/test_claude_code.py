"""The real Claude Code CLI, bare and through the Python Agent SDK, against the session's fake server.

Real time: every run is bounded by the environment's short timeouts and retries, by the subprocess's
own deadline, and by the group's ``--timeout`` (scripts/test-agents).
"""

from __future__ import annotations

import errno
import json
import os
import socket
import subprocess
import uuid
from concurrent.futures import ThreadPoolExecutor
from pathlib import Path

import pytest

from claude_fakes.server import SCRIPT_HEADER, AgentEnv, ServerScope, agent_environment

REPLY = "Hello! This is a reply from claude_fakes."
DEADLINE = 60
"""Seconds any one CLI run may take: far above what the scripts here cost (under 5 s each)."""


def claude() -> str:
    """The CLI the Agent SDK's wheel bundles (and runs)."""
    import claude_agent_sdk

    return str(Path(claude_agent_sdk.__file__).parent / "_bundled" / "claude")


def run(env: AgentEnv, prompt: str = "hi", *args: str, cwd: Path) -> subprocess.CompletedProcess[str]:
    """``claude -p PROMPT`` with the test's environment, in ``cwd``."""
    return subprocess.run([claude(), "-p", prompt, *args], env={"PATH": os.environ["PATH"], "HOME": str(cwd), **env},
                          cwd=cwd, capture_output=True, text=True, timeout=DEADLINE, check=False)


def test_the_network_has_nothing_but_loopback() -> None:
    # What makes "the CLI reached nothing else" true: here no route leads off this machine.
    assert [name for _, name in socket.if_nameindex()] == ["lo"]
    with pytest.raises(OSError) as refused:
        socket.create_connection(("160.79.104.10", 443), timeout=5)   # api.anthropic.com
    assert refused.value.errno in (errno.ENETUNREACH, errno.EHOSTUNREACH)


def test_the_bare_cli_survives_two_529s(claude_agent_env: AgentEnv, tmp_path: Path) -> None:
    claude_agent_env.scope.script("overloaded*2, ok")
    done = run(claude_agent_env, cwd=tmp_path)
    assert (done.returncode, done.stdout.strip()) == (0, REPLY), done.stderr
    journal = claude_agent_env.scope.journal
    assert [exchange.status for exchange in journal] == [529, 529, 200]
    assert {exchange.retry_count for exchange in journal} == {0}, "Claude Code never counts its retries"
    assert {exchange.path for exchange in journal} == {"/v1/messages"}, "no other traffic"
    claude_agent_env.scope.assert_resilient()


def test_a_header_script_counts_the_clis_attempts(claude_agent_env: AgentEnv, tmp_path: Path) -> None:
    claude_agent_env["ANTHROPIC_CUSTOM_HEADERS"] += f"\n{SCRIPT_HEADER}: overloaded*2, ok"
    done = run(claude_agent_env, cwd=tmp_path)
    assert (done.returncode, done.stdout.strip()) == (0, REPLY), done.stderr
    assert [exchange.status for exchange in claude_agent_env.scope.journal] == [529, 529, 200]


def test_a_tool_loop_with_a_cut_stream_on_its_second_turn(claude_agent_env: AgentEnv, tmp_path: Path) -> None:
    # Turn 1 calls Read, Claude Code runs it and sends the result (adaptive thinking, no thinking block:
    # the fake takes its own reply back); turn 2's stream is cut, re-sent, and answered.
    notes = tmp_path / "notes.txt"
    notes.write_text("The table is booked for eight.")
    read = json.dumps({"file_path": str(notes)})
    claude_agent_env.scope.script(f"tool_use(name=Read, input='{read}'); drop(after=3), ok")
    done = run(claude_agent_env, "read notes.txt", "--allowedTools", "Read", cwd=tmp_path)
    assert (done.returncode, done.stdout.strip()) == (0, REPLY), done.stdout + done.stderr
    journal = claude_agent_env.scope.journal
    assert [(exchange.turn, exchange.status, exchange.outcome) for exchange in journal] == [
        (1, 200, "complete"), (2, 200, "cut"), (2, 200, "complete")]
    results = [block for block in journal[1].json["messages"][-1]["content"] if block["type"] == "tool_result"]
    assert "booked for eight" in json.dumps(results)
    claude_agent_env.scope.assert_resilient()


def test_overloaded_streams_move_the_cli_to_its_fallback_model(claude_agent_env: AgentEnv, tmp_path: Path) -> None:
    # An overloaded_error event before any output counts as a 529 toward the fallback.
    claude_agent_env["CLAUDE_CODE_MAX_RETRIES"] = "4"
    claude_agent_env.scope.script("error_event(after=0, type=overloaded_error)*3, ok")
    done = run(claude_agent_env, "hi", "--fallback-model", "claude-sonnet-4-6", cwd=tmp_path)
    assert (done.returncode, done.stdout.strip()) == (0, REPLY), done.stderr
    assert [exchange.json["model"] for exchange in claude_agent_env.scope.journal] == [
        "claude-opus-5-5", "claude-opus-5-5", "claude-opus-5-5", "claude-sonnet-4-6"]
    assert claude_agent_env.scope.verdict().codes == ["model_fallback"]


def test_a_not_found_model_is_asked_again_without_streaming(claude_agent_env: AgentEnv, tmp_path: Path) -> None:
    claude_agent_env.scope.script("not_found_error, ok")
    done = run(claude_agent_env, cwd=tmp_path)
    assert done.returncode == 0, done.stderr
    assert [(exchange.status, exchange.stream) for exchange in claude_agent_env.scope.journal] == [
        (404, True), (200, False)]


def test_bedrock_model_probing_after_404s_is_one_finding(claude_agent_env: AgentEnv, tmp_path: Path) -> None:
    # On Bedrock a 404 for the model sends Claude Code through a list of model ids, some of them twice,
    # milliseconds apart: discovery, not a final status retried in a storm.
    claude_agent_env.update({"CLAUDE_CODE_USE_BEDROCK": "1", "AWS_REGION": "us-east-1",
                             "AWS_ACCESS_KEY_ID": "AKIACLAUDEFAKES00000", "AWS_SECRET_ACCESS_KEY": "not-a-secret"})
    claude_agent_env.scope.script("not_found_error*inf")
    done = run(claude_agent_env, cwd=tmp_path)
    assert done.returncode == 1 and "404" in done.stdout, done.stdout + done.stderr
    journal = claude_agent_env.scope.journal
    assert {exchange.platform for exchange in journal} == {"bedrock"}
    assert len({exchange.path for exchange in journal}) > 5, "it probed several model ids"
    verdict = claude_agent_env.scope.verdict()
    assert verdict.codes == ["model_probe_404"], verdict
    assert not [note for note in verdict.notes if "anthropic_beta" in note], "Bedrock's betas travel in the body"


MIXED = {"overloaded*2, ok": [529, 529, 200], "rate_limited(retry_after=0), ok": [429, 200],
         "drop(after=3), ok": [200, 200], "api_error, ok": [500, 200], "ok": [200]}


def test_twenty_concurrent_cli_sessions_with_mixed_faults(claude_fakes_server_url: str, tmp_path: Path) -> None:
    # Five scopes, one fault mix each, four CLI sessions in each, all twenty at once against one server.
    runs = []
    for n, (script, statuses) in enumerate(MIXED.items()):
        scope = ServerScope(claude_fakes_server_url, f"{os.getpid()}-cli-mixed-{n}-{uuid.uuid4()}")
        scope.script(script)
        for k in range(4):
            home = tmp_path / f"{n}-{k}"
            home.mkdir()
            runs.append((agent_environment(scope, home / ".claude"), statuses, home))
    with ThreadPoolExecutor(len(runs)) as pool:
        done = list(pool.map(lambda item: run(item[0], cwd=item[2]), runs))
    assert [(result.returncode, result.stdout.strip()) for result in done] == [(0, REPLY)] * len(runs)
    for env, statuses, _ in runs[::4]:
        by_session: dict[str, list[int | None]] = {}
        for exchange in env.scope.journal:
            by_session.setdefault(exchange.headers["x-claude-code-session-id"], []).append(exchange.status)
        assert sorted(by_session.values()) == [statuses] * 4, env.scope.timeline()
        assert not env.scope.unused_steps()
