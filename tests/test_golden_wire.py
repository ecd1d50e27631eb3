"""The exact bytes the fake sends, pinned in fixtures/wire/.

A change to the wire encoding fails here first. When the change is intended, regenerate with
``CLAUDE_FAKES_WRITE_GOLDEN=1 scripts/test -k golden`` and review the diff of fixtures/wire/.
"""

from __future__ import annotations

import json
import os
from pathlib import Path

import pytest

from claude_fakes import replies
from claude_fakes.core.plan import Head, Send
from claude_fakes.core.planner import Api
from claude_fakes.core.request import Incoming
from claude_fakes.replies import Reply
from claude_fakes.script import Step

GOLDEN = Path(__file__).parent.parent / "fixtures" / "wire"
HEADERS = {"x-api-key": "k", "anthropic-version": "2023-06-01"}

CASES: dict[str, tuple[Reply, bool]] = {
    "text.sse": (replies.text("Hello, world"), True),
    "tool_use.sse": (replies.text("Checking.") + replies.tool_use("get_weather", {"city": "Paris"}), True),
    "thinking.sse": (replies.thinking("Paris is in France.") + replies.text("Sunny."), True),
    "text.json": (replies.text("Hello, world"), False),
}


def exchange_bytes(reply: Reply, stream: bool) -> bytes:
    body = {"model": "claude-sonnet-4-6", "max_tokens": 64, "stream": stream,
            "messages": [{"role": "user", "content": "Weather in Paris?"}]}
    api = Api(seed=0)
    assert api.over_quota(now=0) is None
    plan = api.respond(Incoming("POST", "/v1/messages", {}, HEADERS, json.dumps(body).encode()),
                       Step.make("ok", reply=reply), now=0)
    head = plan.actions[0]
    assert isinstance(head, Head)
    lines = [f"HTTP {head.status}", *(f"{key}: {value}" for key, value in head.headers), ""]
    return "\n".join(lines).encode() + b"\n" + b"".join(a.data for a in plan.actions if isinstance(a, Send))


@pytest.mark.parametrize("name", CASES)
def test_wire_bytes_match_the_golden_file(name: str) -> None:
    actual = exchange_bytes(*CASES[name])
    path = GOLDEN / name
    if os.environ.get("CLAUDE_FAKES_WRITE_GOLDEN"):
        path.write_bytes(actual)
    assert path.exists(), f"{path} is missing: run with CLAUDE_FAKES_WRITE_GOLDEN=1 to create it"
    assert actual.decode() == path.read_text()
