"""The network guard: a request for Claude that the fake does not serve never leaves the machine,
on every HTTP stack; with ``network="loopback"`` no connection does; allowed hosts always may.

Nothing here reaches for the network: each test runs over the suite's own guard
(:mod:`tests.guard`), installed *before* the fake, so the fake's guard is the outer one. A refusal
shows as the fake's error with that guard having seen nothing; a request the fake lets through
shows as the suite's guard stopping it at its lookup or connect. Most fakes here are not strict:
a refusal fails a strict fake's check (one test shows it), and these tests are refused on purpose.
"""

from __future__ import annotations

import asyncio
import http.client
import socket
import threading
import urllib.error
import urllib.request
from collections.abc import Iterator
from typing import Any

import aiohttp
import anthropic
import boto3
import botocore.exceptions
import pytest
import requests
import urllib3

from claude_fakes import ClaudeFake, NetworkRefused, UnusedStepsError
from claude_fakes.activation.network import AllowedHost
from claude_fakes.activation.targets import http_libraries

from ..guard import NetworkAttempt, no_network
from ..local_server import local_server
from ..sdk import HTTP, ON_HTTPX2, REQUEST, call

CLAUDE = {"anthropic-version": "2023-06-01", "x-api-key": "not-a-real-key"}
GATEWAY = "https://gateway.example:8443/anthropic"
"""A gateway no fake was told about."""
LIBRARIES = {lib.__name__: lib for lib in http_libraries()}


@pytest.fixture
def underneath() -> Iterator[list[str]]:
    """The suite's guard, below the fake's: what reaches it is what the fake let through."""
    with no_network() as attempts:
        yield attempts


def refused_by_fake(error: BaseException) -> NetworkRefused:
    """The NetworkRefused behind a client's own error, however deep in its causes."""
    cause: BaseException | None = error
    while cause is not None and not isinstance(cause, NetworkRefused):
        cause = cause.__cause__ or cause.__context__
    assert cause is not None, f"not refused by the fake: {error!r}"
    return cause


# -- allowed hosts --------------------------------------------------------------------------------


@pytest.mark.parametrize(("text", "host", "port"), [
    ("db.internal", "db.internal", None),
    ("DB.Internal.:5432", "db.internal", 5432),
    ("10.0.0.5", "10.0.0.5", None),
    ("2001:DB8::1", "2001:db8::1", None),
    ("[2001:db8::1]:443", "2001:db8::1", 443),
    ("https://gateway.example/anthropic", "gateway.example", 443),
    ("http://bücher.example:8080", "xn--bcher-kva.example", 8080),
])
def test_an_allowed_host_is_a_name_an_address_or_a_url(text: str, host: str, port: int | None) -> None:
    assert AllowedHost.parse(text) == AllowedHost(host, port)


@pytest.mark.parametrize("text", ["", "db.internal:http", "db.internal:70000", "[2001:db8::1]x", "user@db:5432",
                                  "db:internal:5432"])
def test_a_bad_allowed_host_says_what_is_expected(text: str) -> None:
    with pytest.raises(ValueError, match="is not a host, host:port or URL"):
        AllowedHost.parse(text)


def test_bad_settings_fail_when_the_fake_is_made() -> None:
    with pytest.raises(ValueError, match="network takes 'refuse-claude', 'loopback', 'open', got 'closed'"):
        ClaudeFake(network="closed")
    with pytest.raises(TypeError, match="allow_hosts takes a list of hosts"):
        ClaudeFake(allow_hosts="db.internal")


# -- the default: a request for Claude to a host the fake does not serve is refused ------------------


@pytest.mark.parametrize("library", sorted(LIBRARIES))
def test_httpx_and_httpx2_refuse_a_request_for_claude_with_their_own_connect_error(
        underneath: list[str], library: str) -> None:
    lib = LIBRARIES[library]
    with ClaudeFake(strict=False), pytest.raises(lib.ConnectError) as info:
        lib.post(f"{GATEWAY}/v1/messages", headers=CLAUDE, json=REQUEST)
    message = str(refused_by_fake(info.value))
    # The in-suite check that a refusal names the host and port and every way to allow it.
    for words in ("refused POST https://gateway.example:8443/anthropic/v1/messages",
                  "a request for Claude to gateway.example:8443",
                  "base_urls=['https://gateway.example:8443/anthropic']", "--claude-fakes-base-url",
                  "claude_fakes_base_urls", "allow_hosts=['gateway.example:8443']",
                  "@pytest.mark.claude_fake(allow_hosts=[...])", "--claude-fakes-allow-host=gateway.example:8443",
                  "ini claude_fakes_allow_hosts", "network='open'"):
        assert words in message
    assert underneath == [], "refused before any lookup or connect"


def test_an_async_httpx_request_for_claude_is_refused(underneath: list[str]) -> None:
    async def main() -> None:
        async with HTTP.AsyncClient() as client:
            await client.get("https://203.0.113.7/v1/models", headers=CLAUDE)

    with ClaudeFake(strict=False), pytest.raises(HTTP.ConnectError, match=r"for Claude to 203\.0\.113\.7:443"):
        asyncio.run(main())
    assert underneath == []


def test_aiohttp_refuses_a_request_for_claude_as_a_refused_connection(underneath: list[str]) -> None:
    async def main() -> None:
        async with aiohttp.ClientSession() as session:
            await session.post("http://[2001:db8::1]:8080/gateway/v1/messages", json=REQUEST,
                               headers={"x-api-key": "sk-ant-api03-not-real"})

    with ClaudeFake(strict=False), pytest.raises(aiohttp.ClientConnectorError) as info:
        asyncio.run(main())
    assert "base_urls=['http://[2001:db8::1]:8080/gateway']" in str(refused_by_fake(info.value))
    assert underneath == []


def test_an_sdk_client_stripped_of_its_headers_sees_api_connection_error_caused_by_the_guard(
        underneath: list[str]) -> None:
    def strip(request: Any) -> None:
        del request.headers["x-stainless-lang"]

    with ClaudeFake(strict=False) as fake:
        # Without Stainless's headers the fake cannot tell the SDK's request from any other request for Claude.
        client = anthropic.Anthropic(base_url=GATEWAY, http_client=HTTP.Client(event_hooks={"request": [strip]}))
        with pytest.raises(anthropic.APIConnectionError) as info:
            client.messages.create(**REQUEST)
    assert isinstance(info.value.__cause__, HTTP.ConnectError)
    assert "gateway.example:8443" in str(refused_by_fake(info.value))
    assert len(fake.clock.sleeps) == 2, "retried as any refused connection is, on the virtual clock"
    assert underneath == []


def test_requests_and_urllib3_refuse_a_request_for_claude_even_to_the_api(underneath: list[str]) -> None:
    with ClaudeFake(strict=False) as fake:
        with pytest.raises(requests.ConnectionError) as caught:
            requests.post("https://api.anthropic.com/v1/messages", headers=CLAUDE, json=REQUEST)
        with pytest.raises(urllib3.exceptions.MaxRetryError):
            urllib3.request("POST", "https://bedrock-proxy.corp.example/model/anthropic.claude-x/invoke", json={})
    message = str(refused_by_fake(caught.value))
    assert "through urllib3, which the fake answers only over a socket" in message
    assert "claude_fake_server" in message and "allow_hosts=['api.anthropic.com:443']" in message
    assert len(fake.findings) == 2 and underneath == []


def test_boto3_calling_bedrock_itself_is_refused_as_botocore_reports_a_refused_endpoint(
        underneath: list[str]) -> None:
    bedrock = boto3.client("bedrock-runtime", region_name="us-east-1", aws_access_key_id="AKIAEXAMPLEEXAMPLE00",
                           aws_secret_access_key="not-a-real-secret")
    with ClaudeFake(strict=False) as fake, pytest.raises(botocore.exceptions.EndpointConnectionError) as info:
        bedrock.invoke_model(modelId="anthropic.claude-sonnet-4-5-20250929-v1:0", body=b"{}")
    assert "bedrock-runtime.us-east-1.amazonaws.com:443" in str(refused_by_fake(info.value))
    assert len(fake.findings) == 1 and underneath == []  # botocore retried it: one finding all the same


def test_urllib_and_http_client_refuse_a_request_for_claude(underneath: list[str]) -> None:
    request = urllib.request.Request("http://gateway.example/v1/messages", data=b"{}", headers=CLAUDE)
    with ClaudeFake(strict=False):
        with pytest.raises(urllib.error.URLError) as caught:
            urllib.request.urlopen(request)
        connection = http.client.HTTPSConnection("gateway.example", 8443)
        with pytest.raises(NetworkRefused, match=r"through http\.client"):
            connection.request("POST", "/anthropic/v1/messages", body=b"{}", headers={"Anthropic-Version": "x"})
    assert isinstance(caught.value.reason, NetworkRefused)
    assert underneath == []


def test_other_requests_go_through_untouched(underneath: list[str]) -> None:
    """A database's or any service's traffic in the same test is not the guard's business."""
    with ClaudeFake() as fake:
        with pytest.raises(NetworkAttempt):
            HTTP.get("https://db.example/rows", headers={"x-api-key": "a-database-key"})
        with pytest.raises(NetworkAttempt):
            requests.get("https://storage.example/bucket/object")
        with pytest.raises(NetworkAttempt):
            socket.create_connection(("203.0.113.7", 5432))
    assert underneath == ["getaddrinfo('db.example')", "getaddrinfo('storage.example')", "getaddrinfo('203.0.113.7')"]
    assert fake.findings == []


def test_loopback_and_allowed_hosts_are_let_through(underneath: list[str]) -> None:
    with local_server() as url, ClaudeFake(allow_hosts=["gateway.example:8443"]) as fake:
        assert HTTP.get(f"{url}/v1/messages", headers=CLAUDE).text == "real!"
        assert requests.get(f"{url}/v1/messages", headers=CLAUDE).text == "real!"
        with pytest.raises(NetworkAttempt):
            HTTP.post(f"{GATEWAY}/v1/messages", headers=CLAUDE, json=REQUEST)
    assert underneath == ["getaddrinfo('gateway.example')"]
    assert fake.findings == []


def test_an_allowed_gateway_is_answered_by_your_own_mock(request: pytest.FixtureRequest) -> None:
    router = request.getfixturevalue("httpx2_mock" if ON_HTTPX2 else "respx_mock")
    router.post(f"{GATEWAY}/v1/messages").respond(json={"mocked": True})
    with ClaudeFake(allow_hosts=[GATEWAY]):
        assert HTTP.post(f"{GATEWAY}/v1/messages", headers=CLAUDE, json=REQUEST).json() == {"mocked": True}


def test_open_refuses_nothing(underneath: list[str]) -> None:
    with ClaudeFake(network="open") as fake:
        with pytest.raises(NetworkAttempt):
            HTTP.post(f"{GATEWAY}/v1/messages", headers=CLAUDE, json=REQUEST)
        with pytest.raises(NetworkAttempt):
            requests.post("https://api.anthropic.com/v1/messages", headers=CLAUDE)
        assert call("sync", {"base_url": GATEWAY}).error is None, "an SDK client's requests are still the fake's"
    assert underneath == ["getaddrinfo('gateway.example')", "getaddrinfo('api.anthropic.com')"]
    assert fake.attempts == 1


def test_a_refusal_the_code_swallowed_still_fails_a_strict_fakes_test(underneath: list[str]) -> None:
    def ask_with_fallback() -> str:
        try:
            return str(HTTP.post(f"{GATEWAY}/v1/messages", headers=CLAUDE, json=REQUEST).json())
        except HTTP.TransportError:
            return "fallback"

    with pytest.raises(UnusedStepsError, match=r"refused POST https://gateway\.example:8443/anthropic/v1/messages"):
        with ClaudeFake():
            assert ask_with_fallback() == "fallback"
    with ClaudeFake(strict=False) as fake:  # a test that means to be refused
        ask_with_fallback()
    assert len(fake.findings) == 1


# -- network="loopback": no connection beyond this machine ------------------------------------------


def test_loopback_refuses_a_lookup_before_it_is_made(underneath: list[str]) -> None:
    with ClaudeFake(network="loopback", strict=False) as fake:
        with pytest.raises(NetworkRefused) as info:
            socket.create_connection(("db.example", 5432))
    message = str(info.value)
    for words in ("refused a connection to db.example:5432 (at its name lookup)",
                  "allow_hosts=['db.example:5432']", "--claude-fakes-allow-host=db.example:5432",
                  "ini claude_fakes_allow_hosts", "network='refuse-claude'"):
        assert words in message
    assert underneath == [] and len(fake.findings) == 1


def test_loopback_refuses_a_connect_before_it_is_made(underneath: list[str]) -> None:
    with ClaudeFake(network="loopback", strict=False):
        for address in (("203.0.113.7", 5432), ("2001:db8::1", 443, 0, 0)):
            family = socket.AF_INET6 if len(address) == 4 else socket.AF_INET
            with socket.socket(family) as sock:
                with pytest.raises(NetworkRefused, match="refused a connection to"):
                    sock.connect(address)
                with pytest.raises(NetworkRefused):
                    sock.connect_ex(address)
    assert underneath == []


def test_loopback_refuses_on_every_thread_and_in_asyncio(underneath: list[str]) -> None:
    errors: list[BaseException] = []

    def worker() -> None:
        with socket.socket() as sock:
            try:
                sock.connect(("203.0.113.7", 5432))
            except BaseException as error:
                errors.append(error)

    async def main() -> None:
        with pytest.raises(NetworkRefused, match=r"db\.example:5432 \(at its name lookup\)"):
            await asyncio.open_connection("db.example", 5432)  # looked up on the loop's resolver thread
        with pytest.raises(NetworkRefused, match=r"203\.0\.113\.8:6379"):
            await asyncio.open_connection("203.0.113.8", 6379)

    with ClaudeFake(network="loopback", strict=False):
        thread = threading.Thread(target=worker)
        thread.start()
        thread.join(timeout=5)
        asyncio.run(main())
    assert [type(error) for error in errors] == [NetworkRefused]
    assert underneath == []


def test_loopback_lets_this_machine_and_the_fake_through(underneath: list[str]) -> None:
    with local_server() as url, ClaudeFake(network="loopback", strict=False) as fake:
        assert requests.get(url).text == "real!"
        assert HTTP.get(url.replace("127.0.0.1", "localhost")).text == "real!"
        assert call("async-stream", {"base_url": "https://203.0.113.7:8443"}).error is None
        with pytest.raises(HTTP.ConnectError, match="a request for Claude"):  # refused at the HTTP layer, named so
            HTTP.post(f"{GATEWAY}/v1/messages", headers=CLAUDE)
    assert underneath == [] and fake.attempts == 1


def test_loopback_lets_allowed_hosts_through_on_their_ports(underneath: list[str],
                                                           monkeypatch: pytest.MonkeyPatch) -> None:
    def resolve(host: Any, port: Any, *args: Any, **kwargs: Any) -> Any:
        # A name server's answer, without asking one (and an address is its own).
        address = {"db.internal": "203.0.113.9"}.get(host, host)
        return [(socket.AF_INET, socket.SOCK_STREAM, 6, "", (address, port))]

    def dial(host: str, port: int) -> None:
        address = socket.getaddrinfo(host, port, socket.AF_INET, socket.SOCK_STREAM)[0][4]
        with socket.socket() as sock:
            sock.connect(address)

    monkeypatch.setattr(socket, "getaddrinfo", resolve)
    with ClaudeFake(network="loopback", allow_hosts=["db.internal:5432", "203.0.113.7"], strict=False):
        with pytest.raises(NetworkAttempt):
            dial("db.internal", 5432)
        with pytest.raises(NetworkRefused, match=r"203\.0\.113\.9:6379"):
            dial("db.internal", 6379)
        with pytest.raises(NetworkAttempt):
            dial("203.0.113.7", 1234)
    assert underneath == ["connect(('203.0.113.9', 5432))", "connect(('203.0.113.7', 1234))"]


def test_the_guard_is_gone_after_stop_and_costs_nothing_when_off() -> None:
    own = {name: name in vars(socket.socket) for name in ("connect", "connect_ex")}
    real = (socket.getaddrinfo, socket.socket.connect, socket.socket.connect_ex,
            urllib3.connectionpool.HTTPConnectionPool.urlopen, http.client.HTTPConnection.request)
    with ClaudeFake():
        assert (socket.getaddrinfo, socket.socket.connect, socket.socket.connect_ex) == real[:3], \
            "the default adds nothing to sockets"
    with ClaudeFake(network="loopback"):
        assert socket.socket.connect is not real[1]
    with ClaudeFake(network="loopback", intercept=False):  # time and sockets, no transport
        assert socket.socket.connect is not real[1] and http.client.HTTPConnection.request is real[4]
    with ClaudeFake(network="open"):
        assert urllib3.connectionpool.HTTPConnectionPool.urlopen is real[3]
    assert (socket.getaddrinfo, socket.socket.connect, socket.socket.connect_ex,
            urllib3.connectionpool.HTTPConnectionPool.urlopen, http.client.HTTPConnection.request) == real
    assert own == {name: name in vars(socket.socket) for name in own}, "an inherited method is back, not a copy"
