"""The TypeScript SDKs (@anthropic-ai/sdk, bedrock-sdk and vertex-sdk, installed by scripts/setup)
against the fake server.

claude-wire.md section 5: the TS timeout covers only the time to response headers; a cut stream
surfaces as AnthropicError("terminated"); `event: error` as APIError with no status. A Bedrock
exception frame reaches a bedrock-sdk user as APIError with no status too.
"""

from __future__ import annotations

import json
import shutil
import subprocess
from pathlib import Path
from typing import Any

import pytest

from claude_fakes.server.client import ServerScope

NODE_DIR = Path(__file__).parent / "node"


def run_node(fake: ServerScope, *args: str, platform: str = "anthropic") -> dict[str, Any]:
    node = shutil.which("node")
    assert node is not None, "these tests need Node.js (scripts/setup installs the SDK with npm)"
    assert (NODE_DIR / "node_modules" / "@anthropic-ai" / "sdk").is_dir(), "run scripts/setup: npm ci in tests/node"
    result = subprocess.run([node, str(NODE_DIR / "client.mjs"), *args], capture_output=True, text=True,
                            timeout=120, env={"PATH": "/usr/bin:/bin", "ANTHROPIC_BASE_URL": fake.url,
                                              "CLAUDE_FAKES_PLATFORM": platform, "ANTHROPIC_API_KEY": "sk-ant-test"})
    assert result.returncode == 0, result.stderr
    outcome: dict[str, Any] = json.loads(result.stdout.strip().splitlines()[-1])
    return outcome


@pytest.mark.claude_fake("overloaded, ok")
def test_overloaded_then_ok_succeeds_on_the_second_attempt(claude_fake_server: ServerScope) -> None:
    seen = run_node(claude_fake_server, "create")
    assert seen["ok"] and seen["stop_reason"] == "end_turn"
    assert claude_fake_server.attempts == 2
    assert [e.headers.get("x-stainless-retry-count") for e in claude_fake_server.journal] == ["0", "1"]
    assert claude_fake_server.journal[0].headers["authorization"] == "[redacted]", "secrets never reach the journal"


@pytest.mark.claude_fake("hang*3")
def test_hang_with_a_short_timeout_is_a_connection_timeout(claude_fake_server: ServerScope) -> None:
    seen = run_node(claude_fake_server, "create", "200")  # a hang never answers: any timeout ends it
    assert seen["error"] == "APIConnectionTimeoutError" and seen["isTimeout"] and seen["isConnectionError"]
    assert claude_fake_server.attempts == 3


@pytest.mark.claude_fake("drop(after=3)")
def test_drop_fails_the_stream(claude_fake_server: ServerScope) -> None:
    seen = run_node(claude_fake_server, "stream")
    assert not seen["ok"] and seen["message"] == "terminated"
    assert claude_fake_server.attempts == 1


@pytest.mark.claude_fake("error_event(after=2)")
def test_error_event_is_an_api_error_without_status(claude_fake_server: ServerScope) -> None:
    seen = run_node(claude_fake_server, "stream")
    assert seen["error"] == "APIError" and seen["status"] is None and "overloaded_error" in seen["message"]


@pytest.mark.claude_fake("stall(after=2, seconds=1.5)")
def test_a_stall_after_the_headers_outlives_the_ts_timeout(claude_fake_server: ServerScope) -> None:
    seen = run_node(claude_fake_server, "stream", "1000")
    assert seen["ok"] and seen["ms"] >= 1500, "the TS SDK's timeout stops at the response headers"


@pytest.mark.claude_fake("overloaded, tool_use(name=get_weather); overloaded*2, ok(text=It is sunny.)")
def test_a_tool_loop_keeps_each_turns_retries_in_its_turn(claude_fake_server: ServerScope) -> None:
    seen = run_node(claude_fake_server, "toolloop")
    assert seen["ok"] and seen["turns"] == 2 and seen["text"] == "It is sunny."
    assert seen["inputs"] == [{"city": "example", "unit": "celsius"}], "built from the tool's input_schema"
    assert [exchange.turn for exchange in claude_fake_server.journal] == [1, 1, 2, 2, 2]
    # The TS SDK sends no read timeout of its own (its timeout bounds only the time to headers).
    claude_fake_server.assert_resilient(allow=["no_read_timeout"])


def test_an_orphan_tool_use_is_a_bad_request(claude_fake_server: ServerScope) -> None:
    seen = run_node(claude_fake_server, "orphan")
    assert seen["error"] == "BadRequestError" and seen["status"] == 400
    assert "`tool_use` ids were found without `tool_result` blocks immediately after: toolu_01orphan" in seen["message"]
    assert "orphan_tool_use" in claude_fake_server.verdict().codes


@pytest.mark.claude_fake("throttling, ok")
def test_the_bedrock_sdk_retries_throttling(claude_fake_server: ServerScope) -> None:
    seen = run_node(claude_fake_server, "create", platform="bedrock")
    assert seen["ok"] and seen["id"].startswith("msg_bdrk_")
    assert [(exchange.platform, exchange.status) for exchange in claude_fake_server.journal] == [
        ("bedrock", 429), ("bedrock", 200)]
    assert claude_fake_server.journal[0].headers["authorization"] == "[redacted]", "the SigV4 signature is a secret"


@pytest.mark.claude_fake("ok(text=It is sunny.)")
def test_the_bedrock_sdk_decodes_the_event_stream_frames(claude_fake_server: ServerScope) -> None:
    seen = run_node(claude_fake_server, "stream", platform="bedrock")
    assert seen["ok"] and seen["text"] == "It is sunny."
    assert seen["events"][0] == "message_start" and seen["events"][-1] == "message_stop"
    assert "eventstream" in claude_fake_server.journal[0].response_headers["content-type"]


@pytest.mark.claude_fake("model_stream_error(after=2), ok", strict=False)
def test_a_bedrock_exception_frame_is_an_api_error_without_status_in_typescript(
    claude_fake_server: ServerScope,
) -> None:
    seen = run_node(claude_fake_server, "stream", platform="bedrock")
    assert seen["error"] == "APIError" and seen["status"] is None
    assert "modelStreamErrorException" in seen["message"]
    assert claude_fake_server.attempts == 1, "not retried: the stream had begun"


@pytest.mark.claude_fake("resource_exhausted, overloaded, ok")
def test_the_vertex_sdk_retries_resource_exhausted_and_overloaded(claude_fake_server: ServerScope) -> None:
    seen = run_node(claude_fake_server, "create", platform="vertex")
    assert seen["ok"] and seen["id"].startswith("msg_vrtx_")
    assert [exchange.status for exchange in claude_fake_server.journal] == [429, 529, 200]
    assert all(exchange.path.endswith(":rawPredict") for exchange in claude_fake_server.journal)


@pytest.mark.claude_fake("drop(after=3)")
def test_a_vertex_stream_cut_midway_is_terminated_in_typescript(claude_fake_server: ServerScope) -> None:
    seen = run_node(claude_fake_server, "stream", platform="vertex")
    assert not seen["ok"] and seen["message"] == "terminated"
    assert claude_fake_server.attempts == 1
