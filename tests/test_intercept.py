"""Interception: every HTTP stack an Anthropic client runs on, every spelling of the host, and
nothing else; checked with a guard that fails any lookup of, or connection to, a real host."""

from __future__ import annotations

import asyncio
from collections.abc import Iterator
from typing import Any

import aiohttp
import anthropic
import pytest

from claude_fakes import ClaudeFake, FakeServer, Outcome, UnusedStepsError, WouldHangForever
from claude_fakes.activation.intercept import Target

from .guard import NetworkAttempt, no_network
from .inner import run_inner
from .sdk import HTTP, MODES, REQUEST, call


@pytest.fixture
def guard() -> Iterator[list[str]]:
    with no_network() as attempts:
        yield attempts
    assert attempts == [], f"reached for the network: {attempts}"


def test_the_guard_itself_stops_a_real_lookup() -> None:
    with no_network() as attempts, pytest.raises(anthropic.APIConnectionError):
        anthropic.Anthropic(api_key="sk-test", max_retries=0).messages.create(**REQUEST)
    assert attempts == ["getaddrinfo('api.anthropic.com')"]


@pytest.mark.parametrize("base_url", [
    "https://api.anthropic.com.", "http://api.anthropic.com", "https://API.Anthropic.COM",
    "https://api.anthropic.com:443", "http://api.anthropic.com:80/",
])
def test_every_spelling_of_the_api_host_is_intercepted(guard: list[str], base_url: str) -> None:
    with ClaudeFake("overloaded, ok") as fake:
        anthropic.Anthropic(base_url=base_url).messages.create(**REQUEST)
    assert fake.attempts == 2


def test_a_target_port_other_than_the_default_must_match() -> None:
    target = Target.parse("https://gateway.example:8443")
    assert target.api_path("https", "gateway.example", 8443, "/v1/messages") == "/v1/messages"
    assert target.api_path("https", "GATEWAY.example.", 8443, "/v1/messages") == "/v1/messages"
    assert target.api_path("https", "gateway.example", None, "/v1/messages") is None
    assert target.api_path("http", "gateway.example", 8080, "/v1/messages") is None


def aio_client(**options: Any) -> anthropic.AsyncAnthropic:
    return anthropic.AsyncAnthropic(http_client=anthropic.DefaultAioHttpClient(), **options)


async def aio_create(**options: Any) -> Any:
    async with aio_client(**options) as client:
        return await client.messages.create(**REQUEST)


def test_the_sdks_aiohttp_client_is_intercepted(guard: list[str]) -> None:
    with ClaudeFake("overloaded, hang, ok") as fake:
        message = asyncio.run(aio_create(timeout=30))
    assert message.content[0].text.startswith("Hello")
    assert [(e.status, e.outcome) for e in fake.journal] == [(529, Outcome.COMPLETE), (None, Outcome.READ_TIMEOUT),
                                                             (200, Outcome.COMPLETE)]
    assert fake.clock.elapsed == pytest.approx(30 + sum(fake.clock.sleeps)), "aiohttp's own timer, virtually"


def test_a_dropped_aiohttp_stream_is_aiohttps_own_error(guard: list[str]) -> None:
    async def main() -> None:
        async with aio_client() as client, client.messages.stream(**REQUEST) as stream:
            async for _ in stream:
                pass

    with ClaudeFake("drop(after=3)") as fake, pytest.raises(HTTP.ReadError) as info:
        asyncio.run(main())
    assert isinstance(info.value.__cause__, aiohttp.ClientPayloadError)
    assert fake.journal[0].outcome == Outcome.CUT and fake.journal[0].events == 3


def test_an_aiohttp_hang_without_any_timeout_is_a_finding_not_a_wait(guard: list[str]) -> None:
    fake = ClaudeFake("hang")
    fake.start()
    try:
        with pytest.raises(WouldHangForever):
            asyncio.run(aio_create(timeout=None, max_retries=0))
    finally:
        fake.stop()
    assert fake.journal[0].outcome == Outcome.WOULD_HANG_FOREVER
    with pytest.raises(UnusedStepsError, match="would hang forever"):
        fake.verify()


def test_a_plain_aiohttp_session_to_the_api_host_is_intercepted(guard: list[str]) -> None:
    async def main() -> Any:
        async with aiohttp.ClientSession() as session, session.get(
                "https://api.anthropic.com/v1/models", headers={"x-api-key": "k", "anthropic-version": "2023-06-01"},
        ) as response:
            return response.status, await response.json()

    with ClaudeFake() as fake:
        status, body = asyncio.run(main())
    assert status == 200 and body["data"][0]["type"] == "model"
    assert fake.journal[0].path == "/v1/models"


def test_a_client_built_before_the_fake_is_intercepted(guard: list[str]) -> None:
    client = anthropic.Anthropic(api_key="sk-test")
    aio = aio_client(api_key="sk-test")
    with ClaudeFake("overloaded, ok, ok") as fake:
        client.messages.create(**REQUEST)
        asyncio.run(aio.messages.create(**REQUEST))
        asyncio.run(aio.close())
    assert fake.attempts == 3


def test_other_hosts_over_aiohttp_are_left_alone() -> None:
    async def main() -> None:
        async with aiohttp.ClientSession() as session:
            await session.get("https://example.invalid/")

    with ClaudeFake() as fake, no_network() as attempts, pytest.raises(NetworkAttempt):
        asyncio.run(main())
    assert attempts == ["getaddrinfo('example.invalid')"]
    assert fake.journal == []


# -- every Anthropic client's request, whatever base URL it was given ------------------------------

ANY_BASE_URL = [
    "https://gateway.example:8443",
    "https://gateway.example:8443/anthropic",
    "https://203.0.113.7",
    "http://203.0.113.7:8080/v1/account/gateway/anthropic",
    "https://[2001:db8::1]",
    "https://[2001:DB8::1]:8443/anthropic",
    "https://xn--bcher-kva.example",
    "https://bücher.example/anthropic",
]
"""Base URLs no fake was told about: a port, IP literals, an internationalised name in both forms,
gateway prefixes (Cloudflare's holds a /v1/ of its own)."""


async def async_create(http_client: Any = None, **options: Any) -> Any:
    if http_client is not None:
        options["http_client"] = http_client
    async with anthropic.AsyncAnthropic(**options) as client:
        return await client.messages.create(**REQUEST)


@pytest.mark.parametrize("stack", ["sync", "async", "aiohttp"])
@pytest.mark.parametrize("base_url", ANY_BASE_URL)
def test_an_sdk_client_is_answered_whatever_base_url_it_was_given(guard: list[str], base_url: str,
                                                                 stack: str) -> None:
    with ClaudeFake("overloaded, ok") as fake:
        if stack == "sync":
            anthropic.Anthropic(base_url=base_url).messages.create(**REQUEST)
        else:
            aio = anthropic.DefaultAioHttpClient() if stack == "aiohttp" else None
            asyncio.run(async_create(aio, base_url=base_url))
    assert [(e.path, e.status) for e in fake.journal] == [("/v1/messages", 529), ("/v1/messages", 200)]


@pytest.mark.parametrize(("platform", "base_url"), [
    ("bedrock", "https://10.0.0.5:8443/bedrock"),
    ("vertex", "https://vertex-proxy.corp.example/google/v1"),
    ("foundry", "https://[2001:db8::5]:8443/anthropic/"),
])
@pytest.mark.parametrize("mode", MODES)
def test_platform_clients_are_answered_at_any_base_url(guard: list[str], platform: str, base_url: str,
                                                       mode: str) -> None:
    with ClaudeFake() as fake:
        outcome = call(mode, {"base_url": base_url}, platform=platform)
    assert outcome.error is None, outcome.error
    assert [(e.platform, e.status) for e in fake.journal] == [("anthropic" if platform == "foundry" else platform,
                                                               200)]


@pytest.mark.parametrize("mode", MODES)
def test_microsoft_foundry_clients_are_answered(guard: list[str], mode: str) -> None:
    with ClaudeFake("overloaded, ok") as fake:
        outcome = call(mode, platform="foundry")  # https://claude-fakes-test.services.ai.azure.com/anthropic/
    assert outcome.error is None, outcome.error
    assert [(e.path, e.status) for e in fake.journal] == [("/v1/messages", 529), ("/v1/messages", 200)]
    assert fake.journal[0].headers["api-key"] == "[redacted]"


def test_microsoft_foundry_over_aiohttp_and_its_base_url_variable(guard: list[str],
                                                                  monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.delenv("ANTHROPIC_FOUNDRY_API_KEY", raising=False)
    monkeypatch.setenv("ANTHROPIC_FOUNDRY_BASE_URL", "https://foundry-gateway.corp.example/anthropic")

    async def main() -> Any:
        async with anthropic.AsyncAnthropicFoundry(http_client=anthropic.DefaultAioHttpClient()) as client, \
                client.messages.stream(**REQUEST) as stream:
            return await stream.get_final_message()

    with ClaudeFake("drop(after=2), ok") as fake:
        sync_client = anthropic.AnthropicFoundry()  # the key is the fake's dummy while it runs
        with pytest.raises(HTTP.RemoteProtocolError):
            with sync_client.messages.stream(**REQUEST) as stream:
                stream.until_done()
        assert asyncio.run(main()).stop_reason == "end_turn"
    assert [e.outcome for e in fake.journal] == [Outcome.CUT, Outcome.COMPLETE]


@pytest.mark.parametrize(("registered", "requested"), [
    ("https://bücher.example/anthropic", "https://xn--bcher-kva.example/anthropic"),
    ("https://XN--BCHER-KVA.example/anthropic", "https://bücher.example/anthropic"),
    ("https://[2001:db8::1]:8443", "https://[2001:DB8:0::1]:8443"),
])
def test_a_registered_host_is_answered_however_a_plain_client_spells_it(guard: list[str], registered: str,
                                                                       requested: str) -> None:
    headers = {"x-api-key": "k", "anthropic-version": "2023-06-01"}

    async def main() -> int:
        async with aiohttp.ClientSession() as session, session.get(f"{requested}/v1/models",
                                                                   headers=headers) as response:
            return response.status

    with ClaudeFake(base_urls=[registered]) as fake:
        with HTTP.Client() as client:
            assert client.get(f"{requested}/v1/models", headers=headers).status_code == 200
        assert asyncio.run(main()) == 200
    assert [e.path for e in fake.journal] == ["/v1/models", "/v1/models"]


def test_an_sdk_client_pointed_at_a_server_on_this_machine_reaches_that_server(guard: list[str]) -> None:
    with FakeServer(script="ok(text=from the server)*2") as server, ClaudeFake() as fake:
        message = anthropic.Anthropic(base_url=server.url).messages.create(**REQUEST)
        aio = asyncio.run(async_create(anthropic.DefaultAioHttpClient(), base_url=server.url.replace("127.0.0.1",
                                                                                                      "localhost")))
    assert message.content[0].text == aio.content[0].text == "from the server"
    assert fake.journal == []


def test_a_marked_test_without_the_fixture_never_reaches_the_network(pytester: pytest.Pytester) -> None:
    result = run_inner(pytester, test_marked='''
import anthropic, pytest
from tests_guard import no_network

@pytest.mark.claude_fake("overloaded, ok")
def test_marked():
    with no_network() as attempts:
        anthropic.Anthropic().messages.create(model="claude-sonnet-4-6", max_tokens=10,
                                              messages=[{"role": "user", "content": "hi"}])
    assert attempts == []

@pytest.mark.claude_faults("overloaded", "api_error")
def test_matrix_without_fixture():
    with no_network() as attempts:
        anthropic.Anthropic().messages.create(model="claude-sonnet-4-6", max_tokens=10,
                                              messages=[{"role": "user", "content": "hi"}])
    assert attempts == []
''', tests_guard=GUARD_SOURCE)
    result.assert_outcomes(passed=3)


GUARD_SOURCE = (__import__("pathlib").Path(__file__).parent / "guard.py").read_text()
