"""A Node app against the fake server: the seed's TypeScript fixes, tested from pytest.

``examples/node/summarize.mjs`` is an ordinary app on ``@anthropic-ai/sdk``: it sets a timeout per
client and per request (the seed's "Fix 2 (TypeScript / Node.js)") and streams. The
``claude_fake_server`` fixture gives this test its own scope of a ``claude-fakes serve`` process;
the app reaches it through ``ANTHROPIC_BASE_URL``, with no change to its code. Real sockets, so
real time: the timeouts here are short.

Set up once with ``npm ci --prefix examples/node`` (``scripts/setup`` does it).
"""

from __future__ import annotations

import json
import os
import shutil
import subprocess
from pathlib import Path
from typing import Any

import pytest

from claude_fakes.server.client import ServerScope

APP = Path(__file__).parent / "node" / "summarize.mjs"


def run_app(server: ServerScope, mode: str, **settings: str) -> dict[str, Any]:
    node = shutil.which("node")
    assert node is not None, "this example needs Node.js"
    assert (APP.parent / "node_modules" / "@anthropic-ai" / "sdk").is_dir(), "run: npm ci --prefix examples/node"
    env = {"PATH": os.environ["PATH"], "ANTHROPIC_BASE_URL": server.url, "ANTHROPIC_API_KEY": "sk-ant-test", **settings}
    result = subprocess.run([node, str(APP), mode], capture_output=True, text=True, timeout=60, env=env)
    assert result.returncode == 0, result.stderr
    seen: dict[str, Any] = json.loads(result.stdout.strip().splitlines()[-1])
    return seen


@pytest.mark.claude_fake("overloaded*2, ok")
def test_the_sdk_retries_overloaded_and_succeeds(claude_fake_server: ServerScope) -> None:
    seen = run_app(claude_fake_server, "create")
    assert seen["ok"] and seen["stop_reason"] == "end_turn"
    assert [exchange.status for exchange in claude_fake_server.journal] == [529, 529, 200]


@pytest.mark.claude_fake("hang*3")
def test_a_hang_is_request_timed_out_after_three_attempts(claude_fake_server: ServerScope) -> None:
    seen = run_app(claude_fake_server, "create", CLAUDE_TIMEOUT_MS="500")
    assert (seen["error"], seen["message"]) == ("APIConnectionTimeoutError", "Request timed out.")
    assert claude_fake_server.attempts == 3


@pytest.mark.claude_fake("slow(ttft=1)*2")
def test_a_per_request_timeout_outlasts_a_slow_reply(claude_fake_server: ServerScope) -> None:
    impatient = run_app(claude_fake_server, "create", CLAUDE_TIMEOUT_MS="500", CLAUDE_MAX_RETRIES="0")
    assert impatient["error"] == "APIConnectionTimeoutError"
    patient = run_app(claude_fake_server, "patient", CLAUDE_TIMEOUT_MS="500", CLAUDE_MAX_RETRIES="0",
                      CLAUDE_LONG_TIMEOUT_MS="5000")
    assert patient["ok"]
    assert [exchange.outcome for exchange in claude_fake_server.journal] == ["closed by client", "complete"]


@pytest.mark.claude_fake("drop(after=5)")
def test_a_dropped_stream_fails_with_part_of_the_text_shown(claude_fake_server: ServerScope) -> None:
    seen = run_app(claude_fake_server, "stream")
    assert not seen["ok"] and seen["message"] == "terminated"
    assert seen["partial"], "the user saw the beginning of the answer; the rest is lost"
    assert claude_fake_server.attempts == 1, "the TypeScript SDK does not retry a stream either"
