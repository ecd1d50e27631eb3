"""A fake's script as a route of respx (anthropic 0.x, httpx) or pytest-httpx2 (anthropic >= 1.0).

With ``intercept=False`` the fake patches only time; the user's own router decides which
requests reach ``claude_fake.respond``.
"""

from __future__ import annotations

import asyncio
from typing import Any

import anthropic
import pytest

from claude_fakes import ClaudeFake

from .sdk import HTTP, ON_HTTPX2, REQUEST

pytestmark = pytest.mark.claude_fake(intercept=False)
MESSAGES_URL = "https://api.anthropic.com/v1/messages"


@pytest.fixture
def router(request: pytest.FixtureRequest) -> Any:
    """The user's existing mock router: pytest-httpx2's for httpx2, respx's own for httpx."""
    return request.getfixturevalue("httpx2_mock" if ON_HTTPX2 else "respx_mock")


@pytest.mark.claude_fake("overloaded*2, ok")
def test_retries_through_a_route(claude_fake: ClaudeFake, router: Any) -> None:
    router.post(MESSAGES_URL).mock(side_effect=claude_fake.respond)
    assert anthropic.Anthropic().messages.create(**REQUEST).stop_reason == "end_turn"
    assert claude_fake.attempts == 3
    assert len(claude_fake.clock.sleeps) == 2, "the SDK's backoff ran on the virtual clock"


@pytest.mark.claude_fake("overloaded, ok")
def test_a_route_for_a_gateway_serves_the_api_behind_its_prefix(claude_fake: ClaudeFake, router: Any) -> None:
    router.post("https://gateway.example/anthropic/v1/messages").mock(side_effect=claude_fake.respond)
    anthropic.Anthropic(base_url="https://gateway.example/anthropic").messages.create(**REQUEST)
    assert [(e.path, e.status) for e in claude_fake.journal] == [("/v1/messages", 529), ("/v1/messages", 200)]


@pytest.mark.claude_fake("hang*3")
def test_a_hang_through_a_route_is_the_sdks_timeout(claude_fake: ClaudeFake, router: Any) -> None:
    router.post(MESSAGES_URL).mock(side_effect=claude_fake.respond)
    with pytest.raises(anthropic.APITimeoutError):
        anthropic.Anthropic().messages.create(**REQUEST)
    assert claude_fake.clock.elapsed >= 1800


@pytest.mark.claude_fake("drop(after=2)")
def test_a_drop_through_a_route_is_the_clients_own_error(claude_fake: ClaudeFake, router: Any) -> None:
    router.post(MESSAGES_URL).mock(side_effect=claude_fake.respond)
    with pytest.raises(HTTP.RemoteProtocolError):
        with anthropic.Anthropic().messages.stream(**REQUEST) as stream:
            stream.until_done()


@pytest.mark.claude_fake("rate_limited(retry_after=20), ok")
def test_async_routes_and_other_routes_keep_working(claude_fake: ClaudeFake, router: Any) -> None:
    router.post(MESSAGES_URL).mock(side_effect=claude_fake.respond_async)
    router.get("https://weather.example/paris").respond(json={"sky": "clear"})

    async def main() -> None:
        await anthropic.AsyncAnthropic().messages.create(**REQUEST)
        async with HTTP.AsyncClient() as client:
            assert (await client.get("https://weather.example/paris")).json() == {"sky": "clear"}

    asyncio.run(main())
    assert claude_fake.clock.sleeps == [20]


@pytest.mark.claude_fake(intercept=True)
def test_pytest_httpx_mocks_other_hosts_while_the_fake_answers_anthropic(claude_fake: ClaudeFake,
                                                                         httpx_mock: Any) -> None:
    import httpx

    claude_fake.script("overloaded, ok")
    httpx_mock.add_response(url="https://weather.example/paris", json={"sky": "clear"})
    # claude_fake is named first, so pytest would set it up first: the plugin sets httpx_mock up
    # before it, so that pytest-httpx never sees Anthropic's requests.
    with httpx.Client() as client:
        assert client.get("https://weather.example/paris").json() == {"sky": "clear"}
        raw = client.get("https://api.anthropic.com/v1/models", headers={"x-api-key": "k",
                                                                          "anthropic-version": "2023-06-01"})
    assert raw.status_code == 200
    assert anthropic.Anthropic().messages.create(**REQUEST).stop_reason == "end_turn"
    assert claude_fake.attempts == 2
