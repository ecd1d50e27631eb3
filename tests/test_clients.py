"""Issue 19's conformance corpus: the default first request of each real client is answered 200
under ``ok``, in-process (``ClaudeFake``) and over sockets (the ``claude_fake_server`` scope).

A client light enough for the test extras runs for real: pydantic-ai, langchain-anthropic,
instructor and the SDK's own tool runner, each with its default settings. A client too heavy for
them (litellm: +250 MB) or not a Python package (Claude Code, a native CLI from npm) was run once
against the fake, and the request it sent is kept in ``fixtures/clients/<client>.json`` (each file
says which version and how it was captured); here it is replayed byte for byte, in-process through
an httpx and an httpx2 client addressed to api.anthropic.com, and over sockets.

What each client needs of the fake, and fails on without it: pydantic-ai, langchain-anthropic and
litellm send ``max_tokens=128000`` to claude-sonnet-4-6 (its documented output limit); the SDK's
tool runner (2.x) keeps its conversation in a message thread; Claude Code's first request carries
a ``role: "system"`` message and ``?beta=true``.
"""

from __future__ import annotations

import asyncio
import importlib
import json
from collections.abc import Callable, Iterator
from pathlib import Path
from typing import Any

import anthropic
import instructor
import pydantic
import pytest
from anthropic import beta_async_tool, beta_tool
from langchain_anthropic import ChatAnthropic

from claude_fakes import ClaudeFake
from claude_fakes.core.replies import DEFAULT_TEXT
from claude_fakes.server import ServerScope

from .guard import no_network
from .sdk import SDK_MAJOR

MODEL = "claude-sonnet-4-6"
CLIENTS = Path(__file__).parent.parent / "fixtures" / "clients"
FIXTURES = sorted(path.stem for path in CLIENTS.glob("*.json"))

# pydantic-ai needs anthropic>=1.15 (and Python>=3.11): it runs where the SDK is 1.x or later, and
# there it must be installed (scripts/setup puts the `clients` extra into .venv), so an
# ImportError fails the run instead of skipping. Under anthropic 0.125 it cannot be installed.
PYDANTIC_AI_RUNS = SDK_MAJOR >= 1
needs_pydantic_ai = pytest.mark.skipif(
    not PYDANTIC_AI_RUNS, reason=f"pydantic-ai requires anthropic>=1.15; this is anthropic {anthropic.__version__}")

@pytest.fixture
def offline() -> Iterator[None]:
    """Any lookup of or connection to a host beyond 127.0.0.1 fails the test: nothing reaches the API."""
    with no_network():
        yield


# -- pydantic-ai ---------------------------------------------------------------------------


@pytest.fixture
def sync_agent() -> Iterator[Callable[[], Any]]:
    """Makes default pydantic-ai agents for ``run_sync``, and closes what they leave open after the test.

    ``run_sync`` takes the thread's current event loop (making one when there is none) and leaves
    it open for its next call, and each agent's provider keeps its own HTTP client, whose keep-alive
    connection lives on that loop: without closing both, they leak into whichever test the garbage
    collector reaches them in. An agent is made where the test says (under a fake, which supplies
    the API key its provider asks for at once)."""
    loop = asyncio.new_event_loop()
    asyncio.set_event_loop(loop)
    made: list[Any] = []

    def make() -> Any:
        made.append(pydantic_agent())
        return made[-1]

    try:
        yield make
    finally:
        for agent in made:
            loop.run_until_complete(agent.model.client.close())
        asyncio.set_event_loop(None)
        loop.close()


def pydantic_agent() -> Any:
    """``Agent("anthropic:<model>")``: pydantic-ai's default Anthropic model, provider and settings."""
    agent_class = importlib.import_module("pydantic_ai").Agent
    return agent_class(f"anthropic:{MODEL}")


@needs_pydantic_ai
def test_pydantic_ai_default_run_sync(offline: None, sync_agent: Callable[[], Any]) -> None:
    with ClaudeFake() as fake:
        result = sync_agent().run_sync("Hello")
    assert result.output == DEFAULT_TEXT
    assert [exchange.status for exchange in fake.journal] == [200]


@needs_pydantic_ai
async def test_pydantic_ai_default_run(offline: None) -> None:
    with ClaudeFake() as fake:
        agent = pydantic_agent()
        result = await agent.run("Hello")
        await agent.model.client.close()  # the provider's own HTTP client, which pydantic-ai never closes
    assert result.output == DEFAULT_TEXT
    assert [exchange.status for exchange in fake.journal] == [200]


@needs_pydantic_ai
def test_pydantic_ai_default_run_over_sockets(claude_fake_server: ServerScope, offline: None,
                                              sync_agent: Callable[[], Any]) -> None:
    result = sync_agent().run_sync("Hello")  # its AsyncAnthropic reads ANTHROPIC_BASE_URL
    assert result.output == DEFAULT_TEXT
    assert [exchange.status for exchange in claude_fake_server.journal] == [200]


# -- langchain-anthropic (accepts anthropic>=0.120: both SDK generations) ----------------


def test_langchain_default_invoke(offline: None) -> None:
    with ClaudeFake() as fake:
        reply = ChatAnthropic(model=MODEL).invoke("Hello")
    assert reply.content == DEFAULT_TEXT
    assert [exchange.status for exchange in fake.journal] == [200]


async def test_langchain_default_ainvoke(offline: None) -> None:
    with ClaudeFake() as fake:
        reply = await ChatAnthropic(model=MODEL).ainvoke("Hello")
    assert reply.content == DEFAULT_TEXT
    assert [exchange.status for exchange in fake.journal] == [200]


def test_langchain_default_invoke_over_sockets(claude_fake_server: ServerScope, offline: None) -> None:
    reply = ChatAnthropic(model=MODEL).invoke("Hello")  # reads ANTHROPIC_BASE_URL
    assert reply.content == DEFAULT_TEXT
    assert [exchange.status for exchange in claude_fake_server.journal] == [200]


# -- instructor: from_provider's defaults (max_tokens 4096, the TOOLS mode) ------------------


class Reply(pydantic.BaseModel):
    text: str


def test_instructor_default_create(offline: None) -> None:
    with ClaudeFake() as fake:
        client = instructor.from_provider(f"anthropic/{MODEL}")
        reply = client.create(response_model=Reply, messages=[{"role": "user", "content": "Hello"}])
    assert reply.text == "example", "the input the fake built from the response model's schema"
    assert [exchange.status for exchange in fake.journal] == [200]


async def test_instructor_default_create_async(offline: None) -> None:
    with ClaudeFake() as fake:
        client = instructor.from_provider(f"anthropic/{MODEL}", async_client=True)
        reply = await client.create(response_model=Reply, messages=[{"role": "user", "content": "Hello"}])
    assert reply.text == "example"
    assert [exchange.status for exchange in fake.journal] == [200]


def test_instructor_default_create_over_sockets(claude_fake_server: ServerScope, offline: None) -> None:
    client = instructor.from_provider(f"anthropic/{MODEL}")
    reply = client.create(response_model=Reply, messages=[{"role": "user", "content": "Hello"}])
    assert reply.text == "example"
    assert [exchange.status for exchange in claude_fake_server.journal] == [200]


# -- the SDK's tool runner, default mode ----------------------------------------------------


@beta_tool
def get_weather(city: str) -> str:
    """The weather in a city.

    Args:
        city: the city's name
    """
    return f"sunny in {city}"


RUNNER_REQUEST: dict[str, Any] = {"model": MODEL, "max_tokens": 1024, "tools": [get_weather],
                                  "messages": [{"role": "user", "content": "What is the weather in Paris?"}]}


def final_text(message: Any) -> str:
    return "".join(block.text for block in message.content if block.type == "text")


def test_tool_runner_default_first_call(offline: None) -> None:
    with ClaudeFake() as fake:
        messages = list(anthropic.Anthropic().beta.messages.tool_runner(**RUNNER_REQUEST))
    assert final_text(messages[-1]) == DEFAULT_TEXT
    assert [exchange.status for exchange in fake.journal] == [200]


# The loop: turn 1 asks for the tool, the runner calls it and sends its result in turn 2.
def test_tool_runner_default_loop(offline: None) -> None:
    with ClaudeFake("tool_use(name=get_weather), ok") as fake:
        messages = list(anthropic.Anthropic().beta.messages.tool_runner(**RUNNER_REQUEST))
    assert final_text(messages[-1]) == DEFAULT_TEXT
    assert [exchange.status for exchange in fake.journal] == [200, 200]


async def test_tool_runner_default_loop_async(offline: None) -> None:
    @beta_async_tool  # the async runner's tools are coroutines
    async def get_weather(city: str) -> str:
        """The weather in a city.

        Args:
            city: the city's name
        """
        return f"sunny in {city}"

    with ClaudeFake("tool_use(name=get_weather), ok") as fake:
        runner = anthropic.AsyncAnthropic().beta.messages.tool_runner(**{**RUNNER_REQUEST, "tools": [get_weather]})
        messages = [message async for message in runner]
    assert final_text(messages[-1]) == DEFAULT_TEXT
    assert [exchange.status for exchange in fake.journal] == [200, 200]


def test_tool_runner_default_loop_over_sockets(claude_fake_server: ServerScope, offline: None) -> None:
    claude_fake_server.script("tool_use(name=get_weather), ok")
    with anthropic.Anthropic() as client:
        messages = list(client.beta.messages.tool_runner(**RUNNER_REQUEST))
    assert final_text(messages[-1]) == DEFAULT_TEXT
    assert [exchange.status for exchange in claude_fake_server.journal] == [200, 200]


# -- captured requests, replayed ------------------------------------------------------------


def captured(name: str) -> dict[str, Any]:
    record: dict[str, Any] = json.loads((CLIENTS / f"{name}.json").read_text())
    assert record["provenance"] == "captured" and record["version"] and record["how"], "where it came from"
    return record


def target(record: dict[str, Any], base_url: str) -> str:
    return base_url.rstrip("/") + record["path"] + (f"?{record['query']}" if record["query"] else "")


def request_headers(record: dict[str, Any]) -> dict[str, str]:
    """The captured headers, with a key where the capture redacted it."""
    return {**record["headers"], "x-api-key": "sk-test"}


def reply_text(response: Any, streamed: bool) -> str:
    """The text of a JSON reply, or of the text deltas of a streamed one."""
    if not streamed:
        return "".join(block["text"] for block in response.json()["content"] if block["type"] == "text")
    text = []
    for line in response.text.splitlines():
        if not line.startswith("data: "):
            continue
        event = json.loads(line.removeprefix("data: "))
        if event["type"] == "content_block_delta" and event["delta"]["type"] == "text_delta":
            text.append(event["delta"]["text"])
    return "".join(text)


def test_every_fixture_is_a_recorded_request() -> None:
    assert {"claude-code", "litellm"} <= set(FIXTURES)
    for name in FIXTURES:
        record = captured(name)
        assert record["headers"]["x-api-key"] == "[redacted]", f"{name}: no secret in a fixture"
        assert record["method"] == "POST" and record["json"]["model"]


@pytest.mark.parametrize("http", ["httpx", "httpx2"])
@pytest.mark.parametrize("name", FIXTURES)
def test_a_captured_request_replayed_in_process(name: str, http: str, offline: None) -> None:
    record = captured(name)
    module: Any = importlib.import_module(http)
    with ClaudeFake() as fake, module.Client() as client:
        response = client.post(target(record, "https://api.anthropic.com"), headers=request_headers(record),
                               content=json.dumps(record["json"]).encode())
    assert response.status_code == 200, response.text
    assert reply_text(response, bool(record["json"].get("stream"))) == DEFAULT_TEXT
    assert [exchange.status for exchange in fake.journal] == [200]


@pytest.mark.parametrize("name", FIXTURES)
def test_a_captured_request_replayed_over_sockets(name: str, claude_fake_server: ServerScope, offline: None) -> None:
    record = captured(name)
    http: Any = importlib.import_module("httpx")
    with http.Client(timeout=30) as client:
        response = client.post(target(record, claude_fake_server.url), headers=request_headers(record),
                               content=json.dumps(record["json"]).encode())
    assert response.status_code == 200, response.text
    assert reply_text(response, bool(record["json"].get("stream"))) == DEFAULT_TEXT
    assert [exchange.status for exchange in claude_fake_server.journal] == [200]
