"""Which requests a fake answers: hosts however spelt, and what an SDK client's request and any
request for Claude look like whatever their host."""

from __future__ import annotations

import pytest

from claude_fakes.activation.targets import (
    Target,
    api_root,
    claude_shaped,
    default_targets,
    is_loopback,
    match,
    normal_host,
    sdk_request,
)

from ..sdk import HTTP

SDK_HEADERS = {"x-stainless-lang": "python", "user-agent": "Anthropic/Python 2.16.0"}


@pytest.mark.parametrize(("spelling", "wire"), [
    ("bücher.example", "xn--bcher-kva.example"),
    ("BÜCHER.example.", "xn--bcher-kva.example"),
    ("XN--BCHER-KVA.example", "xn--bcher-kva.example"),
    ("straße.example", "xn--strae-oqa.example"),  # IDNA 2008, as the clients send it (IDNA 2003 says strasse)
    ("2001:DB8:0:0::1", "2001:db8::1"),
    ("203.0.113.7", "203.0.113.7"),
    ("API.Anthropic.com.", "api.anthropic.com"),
])
def test_a_host_is_compared_as_it_goes_on_the_wire(spelling: str, wire: str) -> None:
    assert normal_host(spelling) == wire


@pytest.mark.parametrize("spelling", ["bücher.example", "xn--bcher-kva.example", "XN--BCHER-KVA.EXAMPLE."])
def test_an_internationalised_base_url_matches_in_either_form(spelling: str) -> None:
    for base in ("https://bücher.example/anthropic", "https://xn--bcher-kva.example/anthropic"):
        target = Target.parse(base)
        assert target.api_path("https", spelling, None, "/anthropic/v1/messages") == "/v1/messages"
    # What the client puts on the wire is the xn-- form: the one the interception compares.
    assert HTTP.URL(f"https://{spelling}/").raw_host.decode().lower().rstrip(".") == "xn--bcher-kva.example"


def test_an_ip_literal_base_url_matches_its_every_spelling() -> None:
    target = Target.parse("https://[2001:db8::1]:8443/gateway")
    assert target.api_path("https", "2001:DB8:0::1", 8443, "/gateway/v1/messages") == "/v1/messages"
    assert target.api_path("https", "2001:db8::1", None, "/gateway/v1/messages") is None
    assert Target.parse("http://203.0.113.7:8080").api_path("http", "203.0.113.7", 8080, "/v1/models") == "/v1/models"


@pytest.mark.parametrize(("url", "answered"), [
    ("https://my-resource.services.ai.azure.com/anthropic/v1/messages", True),
    ("https://MY-RESOURCE.services.ai.azure.com./anthropic/v1/messages/count_tokens", True),
    ("https://my-resource.services.ai.azure.com/models/chat/completions", False),
    ("https://my-resource.openai.azure.com/openai/deployments/gpt/chat/completions", False),
])
def test_microsoft_foundrys_claude_endpoint_is_answered_and_nothing_else_there(url: str, answered: bool) -> None:
    parts = HTTP.URL(url)
    assert (match(list(default_targets()), parts.scheme, parts.host, parts.port, parts.path) is not None) == answered


@pytest.mark.parametrize(("headers", "path", "shaped"), [
    ({"anthropic-version": "2023-06-01"}, "/anything", True),
    ({"anthropic-beta": "files-api-2025-04-14"}, "/anything", True),
    ({"x-api-key": "sk-ant-api03-abc"}, "/anything", True),
    ({"authorization": "Bearer sk-ant-oat01-abc"}, "/anything", True),
    ({}, "/gateway/v1/messages", True),
    ({}, "/v1/messages/count_tokens", True),
    ({}, "/v1/complete", True),
    ({}, "/model/anthropic.claude-sonnet-4-5-20250929-v1%3A0/invoke", True),
    ({}, "/model/us.anthropic.claude-sonnet-4-5-20250929-v1:0/converse-stream", True),
    ({}, "/v1/projects/p/locations/l/publishers/anthropic/models/m:rawPredict", True),
    ({"x-api-key": "a-database-key"}, "/v1/rows", False),  # many services take x-api-key
    ({}, "/v1/messages-archive", False),
    ({}, "/model/amazon.titan-text/invoke", False),
    ({}, "/v1/projects/p/locations/l/publishers/google/models/gemini:generateContent", False),
])
def test_what_a_request_for_claude_looks_like(headers: dict[str, str], path: str, shaped: bool) -> None:
    assert claude_shaped(headers, path) is shaped


@pytest.mark.parametrize("agent", ["Anthropic", "AsyncAnthropic", "AnthropicBedrock", "AsyncAnthropicVertex",
                                   "AnthropicFoundry", "AsyncAnthropicBedrockMantle"])
def test_every_sdk_client_is_known_by_its_agent(agent: str) -> None:
    headers = {**SDK_HEADERS, "user-agent": f"{agent}/Python 2.16.0"}
    assert sdk_request(headers, "/model/arn%3Aaws%3Abedrock%3Aus-east-1%3A1%3Aapplication-inference-profile/x/invoke")


def test_other_stainless_sdks_and_plain_clients_are_not_the_anthropic_sdk() -> None:
    assert not sdk_request({"x-stainless-lang": "python", "user-agent": "OpenAI/Python 2.0.0"}, "/v1/chat/completions")
    assert not sdk_request({"user-agent": "Anthropic/Python 2.16.0"}, "/v1/messages")  # no Stainless headers
    # A subclass of a client has an agent of its own, and still sends what Claude's API requires.
    assert sdk_request({"x-stainless-lang": "python", "user-agent": "MyClient/Python 2.16.0",
                        "anthropic-version": "2023-06-01"}, "/v1/models")


@pytest.mark.parametrize(("path", "api"), [
    ("/v1/messages", "/v1/messages"),
    ("/anthropic/v1/messages/count_tokens", "/v1/messages/count_tokens"),
    ("/v1/account/gateway/anthropic/v1/messages", "/v1/messages"),  # Cloudflare's prefix holds a /v1/ of its own
    ("/bedrock/model/anthropic.claude-x/invoke", "/model/anthropic.claude-x/invoke"),
    ("/vertex/v1/projects/p/locations/l/publishers/anthropic/models/m:rawPredict",
     "/projects/p/locations/l/publishers/anthropic/models/m:rawPredict"),
    ("/health", "/health"),
])
def test_the_api_path_inside_a_gateways_path(path: str, api: str) -> None:
    assert api_root(path) == api


@pytest.mark.parametrize(("host", "loopback"), [
    ("localhost", True), ("127.0.0.1", True), ("127.9.9.9", True), ("::1", True), ("::ffff:127.0.0.1", True),
    ("10.0.0.1", False), ("203.0.113.7", False), ("localhost.example", False), ("0.0.0.0", False),
])
def test_loopback_is_this_machine_only(host: str, loopback: bool) -> None:
    assert is_loopback(normal_host(host)) is loopback
