"""Amazon Bedrock and Google Vertex AI: their wire, their faults, and their clients, in-process and over sockets.

The conformance of every fault in every executor is ``test_platform_matrix.py``; this module
checks the bytes (event-stream frames decoded by botocore, Google's error body), what each
platform refuses, the issue's acceptance scenarios on both SDK generations, and that nothing
reaches AWS or Google.
"""

from __future__ import annotations

import asyncio
import base64
import json
import os
import socket
from collections.abc import Iterator
from typing import Any
from urllib.parse import quote

import anthropic
import pytest
from botocore.eventstream import EventStreamBuffer

from claude_fakes import ClaudeFake, UnusedStepsError
from claude_fakes.activation.targets import default_targets, match
from claude_fakes.core.planner import Api
from claude_fakes.core.request import Incoming
from claude_fakes.script import parse_script
from claude_fakes.server import FakeServer
from claude_fakes.wire.eventstream import chunk, chunk_event, exception, frame
from claude_fakes.wire.platforms import ANTHROPIC, BEDROCK, VERTEX, endpoint_of

from .guard import no_network
from .sdk import HTTP, MODELS, MODES, ON_HTTPX2, REQUEST, call, client

BEDROCK_PATH = "/model/anthropic.claude-sonnet-4-5-20250929-v1:0/invoke"
VERTEX_PATH = "/v1/projects/p/locations/us-east5/publishers/anthropic/models/claude-sonnet-4-5@20250929:rawPredict"
SIGNED = {"authorization": "AWS4-HMAC-SHA256 Credential=AKIA/20260101/us-east-1/bedrock/aws4_request, "
          "SignedHeaders=host;x-amz-date, Signature=abc", "x-amz-date": "20260101T000000Z"}
BEARER = {"authorization": "Bearer ya29.not-a-real-token"}
BODY = {"anthropic_version": "bedrock-2023-05-31", "max_tokens": 64, "messages": REQUEST["messages"]}


@pytest.fixture
def guard() -> Iterator[list[str]]:
    with no_network() as attempts:
        yield attempts
    assert attempts == [], f"reached for the network: {attempts}"


def answer(path: str, headers: dict[str, str], body: Any, step: str = "ok") -> tuple[int, dict[str, str], bytes]:
    """The sans-I/O API's answer to one request: status, headers, the body's bytes."""
    api = Api()
    incoming = Incoming("POST", path, headers=headers, body=json.dumps(body).encode())
    plan = api.reject(incoming, now=0.0) or api.respond(incoming, parse_script(step)[0], now=0.0)
    head = plan.head
    assert head is not None
    return head.status, dict(head.headers), b"".join(getattr(action, "data", b"") for action in plan.actions)


def frames(data: bytes) -> list[Any]:
    buffer = EventStreamBuffer()
    buffer.add_data(data)
    return list(buffer)


# -- the wire ----------------------------------------------------------------------------------


def test_an_event_stream_frame_is_what_botocore_decodes() -> None:
    [message] = frames(frame(((":event-type", "chunk"), ("x", "é")), b"payload"))
    assert message.headers == {":event-type": "chunk", "x": "é"}
    assert message.payload == b"payload"


def test_a_corrupt_frame_fails_botocores_checksum() -> None:
    data = bytearray(chunk(b'{"type":"ping"}'))
    data[-6] ^= 0xFF
    with pytest.raises(Exception, match=r"[Cc]hecksum|CRC"):
        frames(bytes(data))


def test_a_bedrock_stream_is_chunk_frames_of_the_anthropic_events() -> None:
    status, headers, body = answer(BEDROCK_PATH.replace("invoke", "invoke-with-response-stream"), SIGNED, BODY)
    assert status == 200
    assert headers["content-type"] == "application/vnd.amazon.eventstream"
    assert headers["x-amzn-bedrock-content-type"] == "application/json"
    decoded = frames(body)
    assert {message.headers[":event-type"] for message in decoded} == {"chunk"}
    events = [json.loads(base64.b64decode(json.loads(message.payload)["bytes"])) for message in decoded]
    assert events[0]["type"] == "message_start"
    assert events[0]["message"]["id"].startswith("msg_bdrk_01")
    assert events[0]["message"]["model"] == MODELS["bedrock"]
    assert events[-1]["type"] == "message_stop"
    assert events[-1]["amazon-bedrock-invocationMetrics"]["outputTokenCount"] > 0


def test_a_bedrock_exception_frame_names_the_exception() -> None:
    [message] = frames(exception("throttlingException", "Too many requests"))
    assert message.headers[":message-type"] == "exception"
    assert message.to_response_dict()["status_code"] == 400
    assert json.loads(message.payload) == {"message": "Too many requests"}


def test_a_malformed_bedrock_event_is_half_of_the_event_in_an_intact_frame() -> None:
    stream_path = BEDROCK_PATH.replace("invoke", "invoke-with-response-stream")
    _, _, whole = answer(stream_path, SIGNED, BODY)
    _, _, broken = answer(stream_path, SIGNED, BODY, "malformed(after=2)")
    # message_start, content_block_start, a ping (not counted), then the event malformed replaces
    original, halved = (base64.b64decode(json.loads(frames(data)[3].payload)["bytes"]) for data in (whole, broken))
    assert original.startswith(halved) and 0 < len(halved) < len(original)


def test_a_chunk_frame_gives_back_its_event() -> None:
    assert chunk_event(chunk(b'{"type":"ping"}')) == b'{"type":"ping"}'


def test_a_bedrock_error_is_named_by_x_amzn_errortype() -> None:
    status, headers, body = answer(BEDROCK_PATH, SIGNED, BODY, "throttling")
    assert status == 429
    assert headers["x-amzn-errortype"].startswith("ThrottlingException:")
    assert "retry-after" not in headers
    assert json.loads(body) == {"message": "Too many requests, please wait before trying again."}


@pytest.mark.parametrize(("step", "status", "name"), [
    ("overloaded", 503, "ServiceUnavailableException"), ("api_error", 500, "InternalServerException"),
    ("rate_limited", 429, "ThrottlingException"), ("timeout_error", 408, "ModelTimeoutException"),
    ("authentication_error", 403, "UnrecognizedClientException"), ("model_error", 424, "ModelErrorException"),
    ("quota_exceeded", 400, "ServiceQuotaExceededException"), ("status(code=502)", 502, "InternalServerException"),
])
def test_each_error_is_the_exception_bedrock_sends(step: str, status: int, name: str) -> None:
    got, headers, _ = answer(BEDROCK_PATH, SIGNED, BODY, step)
    assert (got, headers["x-amzn-errortype"].split(":")[0]) == (status, name)


def test_a_vertex_rate_limit_is_googles_error_body() -> None:
    status, headers, body = answer(VERTEX_PATH, BEARER, {**BODY, "anthropic_version": "vertex-2023-10-16"},
                                   "resource_exhausted")
    assert status == 429
    assert "retry-after" not in headers
    error = json.loads(body)["error"]
    assert (error["code"], error["status"]) == (429, "RESOURCE_EXHAUSTED")


def test_a_vertex_overload_is_the_models_own_529() -> None:
    status, _, body = answer(VERTEX_PATH, BEARER, {**BODY, "anthropic_version": "vertex-2023-10-16"}, "overloaded")
    assert status == 529
    assert json.loads(body)["error"]["type"] == "overloaded_error"
    assert json.loads(body)["request_id"].startswith("req_vrtx_")


@pytest.mark.parametrize(("path", "headers", "body", "status", "says"), [
    (BEDROCK_PATH, {}, BODY, 403, "Missing Authentication Token"),
    (BEDROCK_PATH, {"authorization": "AWS4-HMAC-SHA256 Credential=x, Signature=y"}, BODY, 403, "X-Amz-Date"),
    (BEDROCK_PATH, SIGNED, {**BODY, "model": "x"}, 400, "extraneous key [model]"),
    (BEDROCK_PATH, SIGNED, {"max_tokens": 5, "messages": REQUEST["messages"]}, 400, "[anthropic_version]"),
    (BEDROCK_PATH, SIGNED, {**BODY, "max_tokens": 0}, 400, "max_tokens"),
    ("/model/x/converse", SIGNED, BODY, 404, "Not Found"),
    ("/model/None/invoke", SIGNED, BODY, 400, "The provided model identifier is invalid."),
    (VERTEX_PATH, {}, BODY, 401, "OAuth 2 access token"),
    (VERTEX_PATH, BEARER, {"max_tokens": 5, "messages": REQUEST["messages"]}, 400, "anthropic_version"),
])
def test_what_each_platform_refuses(path: str, headers: dict[str, str], body: Any, status: int, says: str) -> None:
    got, _, data = answer(path, headers, body)
    assert (got, says in data.decode()) == (status, True), data


@pytest.mark.parametrize("model", ["anthropic.claude-sonnet-4-5-20250929-v1:0", "us.anthropic.claude-opus-4-1-v1:0",
                                   "arn:aws:bedrock:us-east-1:123456789012:application-inference-profile/a1b2c3",
                                   "claude-sonnet-4-6"])
def test_bedrock_accepts_each_way_of_naming_a_claude_model(model: str) -> None:
    status, _, _ = answer(f"/model/{quote(model, safe=':')}/invoke", SIGNED, BODY)
    assert status == 200


def test_a_path_names_its_platform() -> None:
    assert endpoint_of("/v1/messages").platform is ANTHROPIC
    profile = "arn:aws:bedrock:us-east-1:1:inference-profile/us.x"
    bedrock = endpoint_of(f"/model/{quote(profile, safe='')}/invoke-with-response-stream")
    assert (bedrock.platform, bedrock.model, bedrock.stream) == (BEDROCK, profile, True)
    vertex = endpoint_of("/projects/p/locations/global/publishers/anthropic/models/count-tokens:rawPredict")
    assert (vertex.platform, vertex.path) == (VERTEX, "/v1/messages/count_tokens")


@pytest.mark.parametrize(("url", "answered"), [
    ("https://bedrock-runtime.us-east-1.amazonaws.com/model/m/invoke", True),
    ("https://BEDROCK-RUNTIME.eu-west-3.amazonaws.com./model/m/invoke", True),
    ("https://bedrock-runtime-fips.us-gov-west-1.amazonaws.com/model/m/invoke", True),
    ("https://us-east5-aiplatform.googleapis.com/v1/projects/p/locations/us-east5/publishers/anthropic/models/m:rawPredict",
     True),
    ("https://aiplatform.googleapis.com/v1/projects/p/locations/global/publishers/anthropic/models/m:rawPredict", True),
    ("https://aiplatform.eu.rep.googleapis.com/v1/projects/p/locations/eu/publishers/anthropic/models/m:rawPredict",
     True),
    ("https://us-east5-aiplatform.googleapis.com/v1/projects/p/locations/us-east5/publishers/google/models/gemini:"
     "generateContent", False),
    ("https://bedrock-mantle.us-west-2.api.aws/anthropic/v1/messages", True),
    ("https://s3.us-east-1.amazonaws.com/bucket", False),
    ("https://bedrock.us-east-1.amazonaws.com/foundation-models", False),
])
def test_the_platform_hosts_are_answered_and_nothing_else(url: str, answered: bool) -> None:
    parts = HTTP.URL(url)
    assert (match(default_targets(), parts.scheme, parts.host, parts.port, parts.path) is not None) == answered


# -- the acceptance, through the SDK on both generations -----------------------------------


@pytest.mark.parametrize("mode", MODES)
def test_bedrock_throttling_is_retried(mode: str, guard: list[str]) -> None:
    with ClaudeFake("throttling, ok") as fake:
        outcome = call(mode, platform="bedrock")
    assert outcome.error is None
    assert [exchange.status for exchange in fake.journal] == [429, 200]
    assert all(exchange.path.startswith("/model/") and exchange.platform == "bedrock" for exchange in fake.journal)
    assert outcome.message.id.startswith("msg_bdrk_")


@pytest.mark.parametrize("mode", ["sync-stream", "async-stream"])
def test_bedrock_streams_text_through_event_stream_frames(mode: str, guard: list[str]) -> None:
    with ClaudeFake("ok(text=It is sunny in Paris.)") as fake:
        outcome = call(mode, platform="bedrock")
    assert outcome.text == "It is sunny in Paris."
    [exchange] = fake.journal
    assert "eventstream" in exchange.response_headers["content-type"]
    assert exchange.path.endswith("/invoke-with-response-stream")
    assert exchange.json["stream"] is True and exchange.json["model"] == MODELS["bedrock"]


@pytest.mark.parametrize("mode", ["sync-stream", "async-stream"])
def test_a_bedrock_exception_frame_is_raised_and_not_retried(mode: str, guard: list[str]) -> None:
    with ClaudeFake("model_stream_error(after=2), ok", strict=False) as fake:
        outcome = call(mode, platform="bedrock")
    expected = anthropic.APIStatusError if ON_HTTPX2 else ValueError
    assert type(outcome.error) is expected
    assert "modelStreamErrorException" in str(outcome.error)
    assert fake.attempts == 1


@pytest.mark.parametrize("mode", MODES)
def test_a_bedrock_hang_is_a_timeout_on_the_virtual_clock(mode: str, guard: list[str]) -> None:
    with ClaudeFake("hang*3") as fake:
        outcome = call(mode, platform="bedrock")
    assert isinstance(outcome.error, anthropic.APITimeoutError)
    assert fake.attempts == 3
    assert fake.clock.elapsed >= 1800


@pytest.mark.parametrize("mode", MODES)
def test_vertex_resource_exhausted_then_overloaded_then_ok(mode: str, guard: list[str]) -> None:
    with ClaudeFake("resource_exhausted, overloaded, ok") as fake:
        outcome = call(mode, platform="vertex")
    assert outcome.error is None
    assert [exchange.status for exchange in fake.journal] == [429, 529, 200]
    suffix = ":streamRawPredict" if mode.endswith("stream") else ":rawPredict"
    assert all(exchange.path.endswith(suffix) for exchange in fake.journal)
    assert outcome.message.id.startswith("msg_vrtx_")


@pytest.mark.parametrize("mode", ["sync-stream", "async-stream"])
def test_a_vertex_stream_dropped_midway_is_the_librarys_error(mode: str, guard: list[str]) -> None:
    with ClaudeFake("drop(after=3)") as fake:
        outcome = call(mode, platform="vertex")
    assert type(outcome.error) is HTTP.RemoteProtocolError
    assert fake.attempts == 1


def test_async_bedrock_and_vertex_clients_gathered_in_one_loop(guard: list[str]) -> None:
    async def both() -> list[Any]:
        bedrock, vertex = client("bedrock", True), client("vertex", True)
        return await asyncio.gather(
            bedrock.messages.create(**{**REQUEST, "model": MODELS["bedrock"]}),
            vertex.messages.create(**{**REQUEST, "model": MODELS["vertex"]}),
        )

    with ClaudeFake() as fake:
        fake.when(model=MODELS["bedrock"]).script("throttling, ok")
        fake.when(model=MODELS["vertex"]).script("resource_exhausted, ok")
        bedrock_reply, vertex_reply = asyncio.run(both())
    assert (bedrock_reply.id[:9], vertex_reply.id[:9]) == ("msg_bdrk_", "msg_vrtx_")
    assert sorted((exchange.platform, exchange.status) for exchange in fake.journal) == [
        ("bedrock", 200), ("bedrock", 429), ("vertex", 200), ("vertex", 429)]


def test_chaos_picks_a_platforms_own_fault(guard: list[str]) -> None:
    with ClaudeFake("chaos(throttling=1)*2, ok") as fake:
        outcome = call("sync", platform="bedrock")
    assert outcome.error is None
    assert [exchange.status for exchange in fake.journal] == [429, 429, 200]


def test_a_fault_of_another_platform_is_refused_and_fails_the_test(guard: list[str]) -> None:
    with pytest.raises(UnusedStepsError, match="throttling is a fault of Amazon Bedrock, but attempt 1 "
                       r"\(POST /v1/messages\) went to the Anthropic API"), ClaudeFake("throttling"):
        outcome = call("sync")
    assert isinstance(outcome.error, anthropic.BadRequestError)
    assert "claude_fakes: throttling is a fault of Amazon Bedrock" in str(outcome.error)


def test_the_latency_model_and_gateways_apply_on_bedrock(guard: list[str]) -> None:
    with ClaudeFake("hang", gateway="vercel-hobby", strict=False) as fake:
        outcome = call("sync", {"max_retries": 0}, platform="bedrock")
    assert outcome.error is not None
    [exchange] = fake.journal
    assert exchange.notes == ["cut by vercel-hobby"]
    with ClaudeFake(latency="realistic") as fake:
        call("sync-stream", platform="bedrock")
    assert fake.clock.elapsed > 0.1


# -- over sockets --------------------------------------------------------------------------------


@pytest.fixture(scope="module")
def server() -> Iterator[FakeServer]:
    with FakeServer() as running:
        yield running


@pytest.mark.parametrize("platform", ["bedrock", "vertex"])
@pytest.mark.parametrize("mode", MODES)
def test_the_server_answers_bedrock_and_vertex_clients(platform: str, mode: str, server: FakeServer) -> None:
    scope = server.scopes.get(f"platform-{platform}-{mode}")
    scope.engine.script("service_unavailable(retry_after_ms=1), ok")
    outcome = call(mode, {"base_url": f"{server.url}/_claude_fakes/scopes/{scope.name}"}, platform=platform)
    assert outcome.error is None, outcome.error
    assert [(exchange.platform, exchange.status) for exchange in scope.engine.journal] == [(platform, 503),
                                                                                          (platform, 200)]


def test_the_bedrock_base_url_variable_reaches_the_server(server: FakeServer, monkeypatch: pytest.MonkeyPatch,
                                                         guard: list[str]) -> None:
    monkeypatch.setenv("ANTHROPIC_BEDROCK_BASE_URL", f"{server.url}/_claude_fakes/scopes/bedrock-env")
    server.scopes.get("bedrock-env").engine.script("ok(text=from the server)")
    outcome = call("sync-stream", platform="bedrock")
    assert outcome.text == "from the server"


def _raw(server: FakeServer, request: bytes) -> tuple[int, dict[str, str], bytes]:
    """One raw HTTP/1.1 exchange on a fresh connection (the server closes it after an error)."""
    with socket.create_connection(("127.0.0.1", server.port), timeout=10) as sock:
        sock.sendall(request)
        received = b""
        for _ in range(1_000):
            chunk = sock.recv(65536)
            if not chunk:
                break
            received += chunk
    head, _, body = received.partition(b"\r\n\r\n")
    status_line, *lines = head.decode("latin-1").split("\r\n")
    headers = {name.lower(): value for name, _, value in (line.partition(": ") for line in lines)}
    return int(status_line.split()[1]), headers, body


def test_the_servers_own_errors_take_the_shape_of_the_platform_asked(server: FakeServer) -> None:
    # A script header the fake cannot parse, on a Bedrock path: Bedrock's error, not an Anthropic body.
    body = json.dumps(BODY).encode()
    headers = "".join(f"{name}: {value}\r\n" for name, value in SIGNED.items())
    status, head, answer = _raw(server, (
        f"POST {BEDROCK_PATH} HTTP/1.1\r\nhost: x\r\n{headers}x-claude-fakes-script: overloaded(after=\r\n"
        f"content-length: {len(body)}\r\nconnection: close\r\n\r\n").encode() + body)
    assert status == 400 and head["x-amzn-errortype"].startswith("ValidationException:")
    assert json.loads(answer)["message"].startswith("x-claude-fakes-script: ")
    # Headers too large on a Bedrock path, and on the Anthropic API's.
    padding = "x-padding: " + "a" * 70_000 + "\r\n"
    status, head, answer = _raw(server, f"POST {BEDROCK_PATH} HTTP/1.1\r\nhost: x\r\n{padding}\r\n".encode())
    assert status == 431 and "x-amzn-errortype" in head and "too large" in json.loads(answer)["message"]
    status, head, answer = _raw(server, f"POST /v1/messages HTTP/1.1\r\nhost: x\r\n{padding}\r\n".encode())
    assert status == 431 and json.loads(answer)["error"]["type"] == "invalid_request_error"


def test_claude_fake_server_points_bedrock_and_vertex_clients_at_its_scope(pytester: pytest.Pytester) -> None:
    pytester.makepyfile('''
        import anthropic
        import pytest

        @pytest.mark.claude_fake("throttling, ok; resource_exhausted, ok")
        def test_both(claude_fake_server):
            messages = [{"role": "user", "content": "hi"}]
            anthropic.AnthropicBedrock(aws_region="us-east-1").messages.create(
                model="anthropic.claude-sonnet-4-5-20250929-v1:0", max_tokens=10, messages=messages)
            anthropic.AnthropicVertex(region="us-east5", project_id="p", access_token="t").messages.create(
                model="claude-sonnet-4-5@20250929", max_tokens=10, messages=[*messages, {"role": "assistant",
                "content": "hello"}, {"role": "user", "content": "again"}])
            assert [(e.platform, e.status) for e in claude_fake_server.journal] == [
                ("bedrock", 429), ("bedrock", 200), ("vertex", 429), ("vertex", 200)]
    ''')
    pytester.runpytest_subprocess("-p", "no:randomly").assert_outcomes(passed=1)


def test_a_bedrock_client_without_credentials_never_asks_aws_for_them(monkeypatch: pytest.MonkeyPatch,
                                                                     guard: list[str]) -> None:
    for name in ("AWS_ACCESS_KEY_ID", "AWS_SECRET_ACCESS_KEY", "AWS_SESSION_TOKEN", "AWS_PROFILE", "AWS_REGION",
                 "AWS_DEFAULT_REGION", "AWS_BEARER_TOKEN_BEDROCK"):
        monkeypatch.delenv(name, raising=False)
    monkeypatch.setenv("AWS_CONFIG_FILE", "/nonexistent")
    monkeypatch.setenv("AWS_SHARED_CREDENTIALS_FILE", "/nonexistent")
    with ClaudeFake("ok") as fake:
        anthropic.AnthropicBedrock().messages.create(**{**REQUEST, "model": MODELS["bedrock"]})
    assert fake.journal[0].headers["authorization"] == "[redacted]"
    assert "AWS_ACCESS_KEY_ID" not in os.environ, "the dummy keys go with the fake"


@pytest.mark.parametrize("mode", ["sync-stream", "async-stream"])
def test_a_bedrock_stall_kept_alive_by_pings_outlasts_the_read_timeout(mode: str, guard: list[str]) -> None:
    with ClaudeFake("stall(after=2, seconds=900, ping_every=15)") as fake:
        outcome = call(mode, {"timeout": 60}, platform="bedrock")
    assert outcome.error is None
    assert fake.clock.elapsed == 900


@pytest.mark.parametrize("stream", [False, True])
def test_bedrock_mantle_is_the_anthropic_wire_on_aws(stream: bool, guard: list[str]) -> None:
    mantle = anthropic.AnthropicBedrockMantle(aws_region="us-west-2", aws_access_key="AKIAEXAMPLEEXAMPLE00",
                                              aws_secret_key="not-a-real-secret")
    with ClaudeFake("overloaded, ok(text=from Mantle)") as fake:
        if stream:
            with mantle.messages.stream(**REQUEST) as events:
                text = events.get_final_text()
        else:
            text = mantle.messages.create(**REQUEST).content[0].text  # type: ignore[union-attr]
    assert text == "from Mantle"
    assert [(exchange.path, exchange.status) for exchange in fake.journal] == [("/v1/messages", 529),
                                                                              ("/v1/messages", 200)]


def test_bedrocks_refusal_of_an_odd_authorization_never_echoes_its_value() -> None:
    status, _, body = answer(BEDROCK_PATH, {"authorization": "AKIAsecretvalue"}, BODY)
    assert status == 403 and b"AKIAsecretvalue" not in body and b"it has no scheme" in body
    status, _, body = answer(BEDROCK_PATH, {"authorization": "Basic dXNlcjpwYXNz"}, BODY)
    assert status == 403 and b"dXNlcjpwYXNz" not in body and b"scheme 'Basic'" in body
