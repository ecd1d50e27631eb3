"""Platforms: the Anthropic API, Amazon Bedrock and Google Vertex AI, each a wire encoding plus routes.

Claude answers the same Messages request on three platforms; what differs is the wire around it:

- **anthropic**: ``POST /v1/messages``, SSE streams, Anthropic error bodies (``wire.py``).
- **bedrock**: ``POST /model/{model}/invoke`` (JSON) and ``/model/{model}/invoke-with-response-stream``
  (event-stream frames, :mod:`claude_fakes.wire.eventstream`); the body carries ``anthropic_version``
  and no ``model`` or ``stream``; errors are ``{"message": …}`` named by ``x-amzn-errortype``, and
  a failure inside a stream is an exception frame.
- **vertex**: ``…/projects/{p}/locations/{r}/publishers/anthropic/models/{model}:rawPredict`` and
  ``:streamRawPredict``; Anthropic JSON and SSE with ``msg_vrtx_`` ids; Google's error body
  (``{"error": {"code", "message", "status"}}``) for what Vertex itself refuses, Anthropic's for
  what the model answers.

:func:`endpoint_of` recognises a request's platform by its path alone, so the in-process
transports and the socket server need no change: a Bedrock client pointed anywhere (the real
host, a VPC endpoint, the fake server) is recognised. A platform turns the request into the
Messages request it stands for, checks what that platform checks, and encodes heads, events and
errors its own way; the API (:mod:`claude_fakes.core.planner`) and the fault catalogue do the rest once.

Facts and sources: docs/facts.md, "Bedrock and Vertex".
"""

from __future__ import annotations

import re
from collections.abc import Callable, Mapping, Sequence
from dataclasses import dataclass
from typing import Any, ClassVar
from urllib.parse import unquote

from . import eventstream
from .anthropic import ERROR_KINDS, SseEvent, error_body, error_event, error_message, half, malformed
from .http import JSON_CONTENT_TYPE, SSE_CONTENT_TYPE, json_bytes

__all__ = ["ANTHROPIC", "BEDROCK", "PLATFORMS", "VERTEX", "Endpoint", "Headers", "Platform", "endpoint_of"]

Headers = list[tuple[str, str]]
MESSAGES_PATH = "/v1/messages"


@dataclass(frozen=True)
class Endpoint:
    """What a request's path stands for on its platform."""

    platform: Platform
    path: str
    """The Anthropic API path it stands for (``/v1/messages``, ``/v1/messages/count_tokens``), or
    the path itself when it is no endpoint of a platform (then the API answers 404)."""
    model: str | None = None
    """The model the path names (Bedrock and Vertex put it there, not in the body)."""
    stream: bool | None = None
    """Whether the path asks for a stream (Bedrock's; Vertex's body says so itself)."""


@dataclass(frozen=True)
class Refusal:
    """A request the platform turns away before the model sees it: the error kind and message."""

    kind: str
    message: str
    status: int | None = None


class Platform:
    """The Anthropic API's own wire; :class:`Bedrock` and :class:`Vertex` change what they change."""

    name = "anthropic"
    title = "the Anthropic API"
    id_tag = ""
    """What follows ``msg_``/``toolu_``/``req_`` in the platform's ids (``bdrk_``, ``vrtx_``)."""
    stream_content_type = SSE_CONTENT_TYPE
    endpoints = "POST /v1/messages, POST /v1/messages/count_tokens, GET /v1/models, GET /v1/models/{id}"
    """What the fake answers on this platform, for the 404 of any other path."""
    error_kinds: ClassVar[Mapping[str, tuple[int, str, str]]] = {}
    """The platform's own faults, by name: their status, the platform's name for them, a message."""

    def match(self, path: str) -> Endpoint | None:
        return Endpoint(self, path)

    def messages_json(self, body: Any, endpoint: Endpoint) -> Any:
        """The Messages request this body stands for (the model and stream from the path added)."""
        return body

    def refuse(self, headers: Mapping[str, str], body: Any) -> Refusal | None:
        """What the platform itself turns away (credentials, its own body rules), or None."""
        authorization = headers.get("authorization", "")
        # Bedrock's Mantle endpoint serves this wire too, and takes a SigV4 signature.
        if not headers.get("x-api-key") and not authorization.lower().startswith(("bearer ", "aws4-hmac-sha256 ")):
            return Refusal("authentication_error", "x-api-key header is required")
        if not headers.get("anthropic-version"):
            return Refusal("invalid_request_error", "anthropic-version: header is required")
        return None

    def model_problem(self, endpoint: Endpoint) -> Refusal | None:
        """What is wrong with the model a path names, if anything (checked with the API's checks)."""
        return None

    def request_id(self, anthropic_id: str) -> str:
        return anthropic_id

    def headers(self, content_type: str, request_id: str, anthropic: Callable[[], Headers],
                usage: tuple[int, int] | None = None) -> Headers:
        """The reply's headers; ``anthropic()`` makes the API's own (rate limits, organization).
        ``usage``: input and output tokens, for platforms that report them in headers."""
        return anthropic()

    def error(self, status: int, kind: str, message: str | None, request_id: str,
              anthropic: Callable[[], Headers], error_code: str | None = None) -> tuple[int, Headers, bytes]:
        """An error reply for ``kind`` (an Anthropic error type, or one of :attr:`error_kinds`)."""
        return status, anthropic(), error_body(kind, message or error_message(kind, status), request_id, error_code)

    def own_error(self, status: int, kind: str, message: str, request_id: str) -> tuple[int, Headers, bytes]:
        """An error of the fake's own, not the API's (its admin API, a request it cannot parse), in this
        platform's error shape with no API headers but the content type."""
        return self.error(status, kind, message, request_id, lambda: [("content-type", JSON_CONTENT_TYPE)])

    def event(self, event: SseEvent) -> bytes:
        """One stream event as this platform frames it."""
        return event.encode()

    def last_event(self, event: SseEvent, usage: tuple[int, int]) -> bytes:
        """``message_stop``, which Bedrock extends with its invocation metrics."""
        return self.event(event)

    def error_event(self, kind: str, message: str | None, request_id: str) -> bytes:
        """A failure inside a stream that has begun."""
        return error_event(kind, message or ERROR_KINDS[kind].message, request_id).encode()

    def malformed(self, data: bytes, stream: bool) -> bytes:
        return malformed(data, stream)

    def __repr__(self) -> str:
        return f"<platform {self.name}>"


def _generic_kind(kind: str, status: int) -> bool:
    """Whether ``kind`` is a documented Anthropic error type at its own status (a fixed-status action)."""
    known = ERROR_KINDS.get(kind)
    return known is not None and known.status == status


class Bedrock(Platform):
    name = "bedrock"
    title = "Amazon Bedrock"
    id_tag = "bdrk_"
    stream_content_type = eventstream.CONTENT_TYPE
    endpoints = "InvokeModel (POST /model/{id}/invoke), InvokeModelWithResponseStream (…/invoke-with-response-stream)"
    _PATH = re.compile(r"/model/(?P<model>[^/]+)/(?P<op>invoke|invoke-with-response-stream)")
    error_kinds: ClassVar[Mapping[str, tuple[int, str, str]]] = {
        "throttling": (429, "ThrottlingException", "Too many requests, please wait before trying again."),
        "model_timeout": (408, "ModelTimeoutException",
                          "Model has timed out in processing the request. Try your request again."),
        "service_unavailable": (503, "ServiceUnavailableException", "Bedrock is unable to process your request."),
        "model_error": (424, "ModelErrorException",
                        "The model encountered an error while processing the request. Try your request again."),
        "quota_exceeded": (400, "ServiceQuotaExceededException",
                           "Your request exceeds the service quota for your account. You can view your quotas at "
                           "Viewing service quotas. You can resubmit your request later."),
        "model_stream_error": (424, "ModelStreamErrorException",
                               "The model encountered an error while streaming the response."),
    }
    _DENIED = (403, "AccessDeniedException", "You don't have access to the model with the specified model ID.")
    _GENERIC: ClassVar[Mapping[str, tuple[int, str, str | None]]] = {
        # What Bedrock sends where the Anthropic API sends each documented error (None: the message as given).
        "invalid_request_error": (400, "ValidationException", None),
        "authentication_error": (403, "UnrecognizedClientException",
                                 "The security token included in the request is invalid."),
        "billing_error": _DENIED,
        "permission_error": _DENIED,
        "not_found_error": (404, "ResourceNotFoundException",
                            "Could not resolve the foundation model from the provided model identifier."),
        "conflict_error": (409, "ConflictException", None),
        "request_too_large": (400, "ValidationException", "Input is too long for requested model."),
        "rate_limit_error": error_kinds["throttling"],
        "api_error": (500, "InternalServerException",
                      "The system encountered an unexpected error during processing. Try your request again."),
        "timeout_error": error_kinds["model_timeout"],
        "overloaded_error": error_kinds["service_unavailable"],
    }
    _BY_STATUS: ClassVar[Mapping[int, str]] = {
        400: "ValidationException", 403: "AccessDeniedException", 404: "ResourceNotFoundException",
        408: "ModelTimeoutException", 424: "ModelErrorException", 429: "ThrottlingException",
        500: "InternalServerException", 503: "ServiceUnavailableException",
    }
    _STREAM_EXCEPTIONS: ClassVar[Mapping[str, str]] = {
        # The exception frames invoke-with-response-stream declares (botocore's ResponseStream shape).
        "overloaded_error": "serviceUnavailableException", "service_unavailable": "serviceUnavailableException",
        "api_error": "internalServerException", "rate_limit_error": "throttlingException",
        "throttling": "throttlingException", "timeout_error": "modelTimeoutException",
        "model_timeout": "modelTimeoutException", "invalid_request_error": "validationException",
    }

    def match(self, path: str) -> Endpoint | None:
        found = self._PATH.fullmatch(path)
        if found is None:
            return None
        return Endpoint(self, MESSAGES_PATH, unquote(found["model"]), found["op"] != "invoke")

    def messages_json(self, body: Any, endpoint: Endpoint) -> Any:
        if not isinstance(body, dict):
            return body
        canonical = {**body, "model": endpoint.model}
        if endpoint.stream:
            canonical["stream"] = True
        return canonical

    def refuse(self, headers: Mapping[str, str], body: Any) -> Refusal | None:
        authorization = headers.get("authorization", "")
        if not authorization:
            return Refusal("MissingAuthenticationTokenException", "Missing Authentication Token", 403)
        if authorization.startswith("AWS4-HMAC-SHA256 "):
            if "credential=" not in authorization.lower() or "signature=" not in authorization.lower():
                return Refusal("IncompleteSignatureException",
                               "Authorization header requires 'Credential' and 'Signature' parameters.", 403)
            if not headers.get("x-amz-date") and not headers.get("date"):
                return Refusal("IncompleteSignatureException", "Authorization header requires existence of either "
                               "a 'X-Amz-Date' or a 'Date' header.", 403)
        elif not authorization.startswith("Bearer "):
            # Name the scheme only: a value with none may be the secret itself, and errors reach logs.
            scheme, space, _ = authorization.partition(" ")
            return Refusal("IncompleteSignatureException", "Authorization header is not a SigV4 signature or a "
                           f"Bedrock API key: {'scheme ' + repr(scheme) if space else 'it has no scheme'}", 403)
        if not isinstance(body, dict):
            return Refusal("invalid_request_error", "Malformed input request, please reformat your input and try "
                           "again.")
        for key in ("model", "stream"):
            if key in body:
                return Refusal("invalid_request_error", f"Malformed input request: #: extraneous key [{key}] is not "
                               "permitted, please reformat your input and try again.")
        if "anthropic_version" not in body:
            return Refusal("invalid_request_error", "Malformed input request: #: required key [anthropic_version] "
                           "not found, please reformat your input and try again.")
        return None

    _MODEL_ID = re.compile(r"arn:aws[a-z-]*:bedrock:.+|([a-z]+\.)?anthropic\..+|.*claude.*")
    """A foundation model id (``anthropic.claude-…``), a cross-region profile (``us.anthropic.…``), an
    ARN (provisioned throughput, an application inference profile), or a Claude model's name."""

    def model_problem(self, endpoint: Endpoint) -> Refusal | None:
        # A path built from an unset model (/model/None/invoke, anthropic-sdk-python #590) is refused.
        if endpoint.model is None or self._MODEL_ID.fullmatch(endpoint.model):
            return None
        return Refusal("invalid_request_error", "The provided model identifier is invalid.")

    def request_id(self, anthropic_id: str) -> str:
        # x-amzn-requestid is a UUID; made from the fake's own deterministic id.
        digest = anthropic_id.encode().hex().ljust(32, "0")[-32:]
        return f"{digest[:8]}-{digest[8:12]}-{digest[12:16]}-{digest[16:20]}-{digest[20:32]}"

    def headers(self, content_type: str, request_id: str, anthropic: Callable[[], Headers],
                usage: tuple[int, int] | None = None) -> Headers:
        headers = [("content-type", content_type), ("x-amzn-requestid", request_id)]
        if content_type == eventstream.CONTENT_TYPE:
            headers.append(("x-amzn-bedrock-content-type", JSON_CONTENT_TYPE))
        if usage is not None:
            headers += [("x-amzn-bedrock-input-token-count", str(usage[0])),
                        ("x-amzn-bedrock-output-token-count", str(usage[1]))]
        return headers

    def error(self, status: int, kind: str, message: str | None, request_id: str,
              anthropic: Callable[[], Headers], error_code: str | None = None) -> tuple[int, Headers, bytes]:
        own = self.error_kinds.get(kind)
        if own is not None:
            status, name, default = own
        elif _generic_kind(kind, status):
            status, name, fixed = self._GENERIC[kind]
            default = fixed or error_message(kind, status)
        elif kind in ERROR_KINDS:
            name = self._BY_STATUS.get(status) or ("InternalServerException" if status >= 500
                                                   else "ValidationException")
            default = error_message(kind, status)
        else:
            # Bedrock's own refusals (MissingAuthenticationTokenException, …) come named.
            name, default = kind, ""
        headers = [("content-type", JSON_CONTENT_TYPE), ("x-amzn-requestid", request_id),
                   ("x-amzn-errortype", f"{name}:http://internal.amazon.com/coral/com.amazon.bedrock/")]
        return status, headers, json_bytes({"message": message or default})

    def event(self, event: SseEvent) -> bytes:
        return eventstream.chunk(json_bytes(event.data))

    def last_event(self, event: SseEvent, usage: tuple[int, int]) -> bytes:
        input_tokens, output_tokens = usage
        metrics = {"inputTokenCount": input_tokens, "outputTokenCount": output_tokens,
                   "invocationLatency": 0, "firstByteLatency": 0}
        return eventstream.chunk(json_bytes({**event.data, "amazon-bedrock-invocationMetrics": metrics}))

    def error_event(self, kind: str, message: str | None, request_id: str) -> bytes:
        own = self.error_kinds.get(kind)
        default = own[2] if own is not None else ERROR_KINDS[kind].message
        return eventstream.exception(self._STREAM_EXCEPTIONS.get(kind, "modelStreamErrorException"), message or default)

    def malformed(self, data: bytes, stream: bool) -> bytes:
        if not stream:
            return malformed(data, stream)
        # The frame stays intact; the event it carries stops halfway, as on the other platforms.
        return eventstream.chunk(half(eventstream.chunk_event(data)))


class Vertex(Platform):
    name = "vertex"
    title = "Google Vertex AI"
    id_tag = "vrtx_"
    endpoints = "…/publishers/anthropic/models/{model}:rawPredict and :streamRawPredict, …/count-tokens:rawPredict"
    _PATH = re.compile(r"(?:/v1(?:beta1)?)?/projects/(?P<project>[^/]+)/locations/(?P<region>[^/]+)"
                       r"/publishers/anthropic/models/(?P<model>[^/:]+):(?P<op>rawPredict|streamRawPredict)")
    error_kinds: ClassVar[Mapping[str, tuple[int, str, str]]] = {
        "resource_exhausted": (429, "RESOURCE_EXHAUSTED", "Resource exhausted. Please try again later. Please refer "
                               "to https://cloud.google.com/vertex-ai/generative-ai/docs/error-code-429 for more "
                               "details."),
        "service_unavailable": (503, "UNAVAILABLE", "The service is currently unavailable."),
    }
    _GOOGLE: ClassVar[Mapping[str, tuple[int, str, str]]] = {
        # What Vertex itself answers (Google's error body); the model's own errors pass through.
        "authentication_error": (401, "UNAUTHENTICATED", "Request had invalid authentication credentials. Expected "
                                 "OAuth 2 access token, login cookie or other valid authentication credential."),
        "permission_error": (403, "PERMISSION_DENIED", "Permission 'aiplatform.endpoints.predict' denied on "
                             "resource (or it may not exist)."),
        "not_found_error": (404, "NOT_FOUND", "Publisher Model was not found or your project does not have "
                            "access to it."),
        "rate_limit_error": error_kinds["resource_exhausted"],
    }

    def match(self, path: str) -> Endpoint | None:
        found = self._PATH.fullmatch(path)
        if found is None:
            return None
        if found["model"] == "count-tokens":
            return Endpoint(self, MESSAGES_PATH + "/count_tokens")
        return Endpoint(self, MESSAGES_PATH, unquote(found["model"]))

    def messages_json(self, body: Any, endpoint: Endpoint) -> Any:
        if not isinstance(body, dict) or endpoint.model is None:
            return body
        return {**body, "model": endpoint.model}

    def refuse(self, headers: Mapping[str, str], body: Any) -> Refusal | None:
        if not headers.get("authorization", "").startswith("Bearer "):
            return Refusal("UNAUTHENTICATED", "Request is missing required authentication credential. Expected "
                           "OAuth 2 access token, login cookie or other valid authentication credential.", 401)
        if isinstance(body, dict) and "anthropic_version" not in body:
            return Refusal("invalid_request_error", "anthropic_version: Field required")
        return None

    def request_id(self, anthropic_id: str) -> str:
        return anthropic_id.replace("req_", "req_vrtx_", 1)

    def headers(self, content_type: str, request_id: str, anthropic: Callable[[], Headers],
                usage: tuple[int, int] | None = None) -> Headers:
        headers = [("content-type", content_type), ("request-id", request_id)]
        if content_type == SSE_CONTENT_TYPE:
            headers.append(("cache-control", "no-cache"))
        return headers

    def error(self, status: int, kind: str, message: str | None, request_id: str,
              anthropic: Callable[[], Headers], error_code: str | None = None) -> tuple[int, Headers, bytes]:
        google = self.error_kinds.get(kind) or (self._GOOGLE.get(kind) if _generic_kind(kind, status) else None)
        if google is None and kind not in ERROR_KINDS:
            # Vertex's own refusals (UNAUTHENTICATED, …) come named.
            google = (status, kind, "")
        if google is None:
            body = error_body(kind, message or error_message(kind, status), request_id, error_code)
            return status, [("content-type", JSON_CONTENT_TYPE), ("request-id", request_id)], body
        status, name, default = google
        body = json_bytes({"error": {"code": status, "message": message or default, "status": name}})
        return status, [("content-type", "application/json; charset=UTF-8")], body


ANTHROPIC = Platform()
BEDROCK = Bedrock()
VERTEX = Vertex()
PLATFORMS: Sequence[Platform] = (ANTHROPIC, BEDROCK, VERTEX)


def endpoint_of(path: str) -> Endpoint:
    """The platform and endpoint a request path belongs to (the Anthropic API's when no other's)."""
    if path.startswith("/model/"):
        return BEDROCK.match(path) or Endpoint(BEDROCK, path)
    if "/publishers/anthropic/" in path:
        return VERTEX.match(path) or Endpoint(VERTEX, path)
    return Endpoint(ANTHROPIC, path)
