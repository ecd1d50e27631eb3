# Generated from the fault catalogue (claude_fakes/core/catalogue.py) by `python -m claude_fakes._builders`.
# Do not edit: change the catalogue and run that command.
"""Python builders for script steps: ``faults.drop(after=3)`` is the step ``drop(after=3)``.

One builder per entry of the fault catalogue (:mod:`claude_fakes.core.catalogue`), with the same
parameter names, generated from it.

Each builder returns a :class:`~claude_fakes.core.step.Step`; ``faults.overloaded() * 2`` covers two
attempts. Durations are seconds (``float``) or strings with a unit (``"500ms"``, ``"10m"``). Steps
that send model content take ``reply=`` (see :mod:`claude_fakes.replies`).
"""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any

from .core.replies import Reply
from .core.step import Step

__all__ = [
    "api_error",
    "authentication_error",
    "billing_error",
    "chaos",
    "compaction",
    "conflict_error",
    "context_window_exceeded",
    "drop",
    "error_event",
    "garbage",
    "hang",
    "invalid_request_error",
    "malformed",
    "model_error",
    "model_stream_error",
    "model_timeout",
    "not_found_error",
    "ok",
    "overloaded",
    "pause_turn",
    "permission_error",
    "proxy_error",
    "quota_exceeded",
    "rate_limited",
    "refusal",
    "refuse",
    "request_too_large",
    "reset",
    "resource_exhausted",
    "server_tool_error",
    "service_unavailable",
    "slow",
    "stall",
    "status",
    "thread_expired",
    "thread_lost",
    "throttling",
    "timeout_error",
    "tool_use",
    "truncate",
]

Duration = float | str
"""Seconds, or a string with a unit (``"500ms"``, ``"10m"``)."""


def ok(reply: Reply | None = None) -> Step:
    """A normal reply: Message JSON, or a complete SSE stream when the request streams."""
    return Step.make("ok", reply=reply)


def tool_use(
    name: str,
    input: Mapping[str, Any] | str | None = None,  # noqa: A002
    *,
    reply: Reply | None = None,
) -> Step:
    """A reply that calls the tool ``name`` (after ``reply``'s content, if any); stop reason ``tool_use``.

    ``input`` left out: one valid against that tool's ``input_schema`` in the request, built when
    the reply is sent. For a fault inside the call, give the reply to it:
    ``faults.drop(after=4, reply=replies.tool_use("get_weather"))``.
    """
    return Step.make("tool_use", name=name, input=input, reply=reply)


def hang(close_after: Duration | None = None) -> Step:
    """The request is accepted and never answered: the client's read timeout decides what happens.

    ``close_after``: after that long the server closes the connection without a response, as
    servers and proxies do with idle requests ("Server disconnected without sending a response").
    """
    return Step.make("hang", close_after=close_after)


def refuse() -> Step:
    """Connection refused: ``ConnectError`` in the transport, ``APIConnectionError`` in the SDK."""
    return Step.make("refuse")


def reset(after: int | None = None, *, reply: Reply | None = None) -> Step:
    """The connection is reset (RST): at once (``ReadError``, retried), or after ``after`` SSE events."""
    return Step.make("reset", after=after, reply=reply)


def garbage() -> Step:
    """Bytes that are not HTTP arrive instead of a response, then the connection closes."""
    return Step.make("garbage")


def overloaded(
    *,
    retry_after: Duration | None = None,
    retry_after_ms: float | None = None,
    retry_after_date: bool = False,
    should_retry: bool | None = None,
    message: str | None = None,
    code: str | None = None,
) -> Step:
    """HTTP 529 ``overloaded_error``."""
    return Step.make(
        "overloaded",
        retry_after=retry_after,
        retry_after_ms=retry_after_ms,
        retry_after_date=retry_after_date,
        should_retry=should_retry,
        message=message,
        code=code,
    )


def api_error(
    *,
    retry_after: Duration | None = None,
    retry_after_ms: float | None = None,
    retry_after_date: bool = False,
    should_retry: bool | None = None,
    message: str | None = None,
    code: str | None = None,
) -> Step:
    """HTTP 500 ``api_error``."""
    return Step.make(
        "api_error",
        retry_after=retry_after,
        retry_after_ms=retry_after_ms,
        retry_after_date=retry_after_date,
        should_retry=should_retry,
        message=message,
        code=code,
    )


def rate_limited(
    *,
    retry_after: Duration | None = 1.0,
    retry_after_ms: float | None = None,
    retry_after_date: bool = False,
    should_retry: bool | None = None,
    message: str | None = None,
    code: str | None = None,
) -> Step:
    """HTTP 429 ``rate_limit_error`` with ``retry-after: 1`` unless ``retry_after`` says otherwise."""
    return Step.make(
        "rate_limited",
        retry_after=retry_after,
        retry_after_ms=retry_after_ms,
        retry_after_date=retry_after_date,
        should_retry=should_retry,
        message=message,
        code=code,
    )


def timeout_error(
    *,
    retry_after: Duration | None = None,
    retry_after_ms: float | None = None,
    retry_after_date: bool = False,
    should_retry: bool | None = None,
    message: str | None = None,
    code: str | None = None,
) -> Step:
    """HTTP 504 ``timeout_error``."""
    return Step.make(
        "timeout_error",
        retry_after=retry_after,
        retry_after_ms=retry_after_ms,
        retry_after_date=retry_after_date,
        should_retry=should_retry,
        message=message,
        code=code,
    )


def invalid_request_error(
    *,
    retry_after: Duration | None = None,
    retry_after_ms: float | None = None,
    retry_after_date: bool = False,
    should_retry: bool | None = None,
    message: str | None = None,
    code: str | None = None,
) -> Step:
    """HTTP 400 ``invalid_request_error``."""
    return Step.make(
        "invalid_request_error",
        retry_after=retry_after,
        retry_after_ms=retry_after_ms,
        retry_after_date=retry_after_date,
        should_retry=should_retry,
        message=message,
        code=code,
    )


def authentication_error(
    *,
    retry_after: Duration | None = None,
    retry_after_ms: float | None = None,
    retry_after_date: bool = False,
    should_retry: bool | None = None,
    message: str | None = None,
    code: str | None = None,
) -> Step:
    """HTTP 401 ``authentication_error``."""
    return Step.make(
        "authentication_error",
        retry_after=retry_after,
        retry_after_ms=retry_after_ms,
        retry_after_date=retry_after_date,
        should_retry=should_retry,
        message=message,
        code=code,
    )


def billing_error(
    *,
    retry_after: Duration | None = None,
    retry_after_ms: float | None = None,
    retry_after_date: bool = False,
    should_retry: bool | None = None,
    message: str | None = None,
    code: str | None = None,
) -> Step:
    """HTTP 402 ``billing_error``."""
    return Step.make(
        "billing_error",
        retry_after=retry_after,
        retry_after_ms=retry_after_ms,
        retry_after_date=retry_after_date,
        should_retry=should_retry,
        message=message,
        code=code,
    )


def permission_error(
    *,
    retry_after: Duration | None = None,
    retry_after_ms: float | None = None,
    retry_after_date: bool = False,
    should_retry: bool | None = None,
    message: str | None = None,
    code: str | None = None,
) -> Step:
    """HTTP 403 ``permission_error``."""
    return Step.make(
        "permission_error",
        retry_after=retry_after,
        retry_after_ms=retry_after_ms,
        retry_after_date=retry_after_date,
        should_retry=should_retry,
        message=message,
        code=code,
    )


def not_found_error(
    *,
    retry_after: Duration | None = None,
    retry_after_ms: float | None = None,
    retry_after_date: bool = False,
    should_retry: bool | None = None,
    message: str | None = None,
    code: str | None = None,
) -> Step:
    """HTTP 404 ``not_found_error``."""
    return Step.make(
        "not_found_error",
        retry_after=retry_after,
        retry_after_ms=retry_after_ms,
        retry_after_date=retry_after_date,
        should_retry=should_retry,
        message=message,
        code=code,
    )


def conflict_error(
    *,
    retry_after: Duration | None = None,
    retry_after_ms: float | None = None,
    retry_after_date: bool = False,
    should_retry: bool | None = None,
    message: str | None = None,
    code: str | None = None,
) -> Step:
    """HTTP 409 ``conflict_error``."""
    return Step.make(
        "conflict_error",
        retry_after=retry_after,
        retry_after_ms=retry_after_ms,
        retry_after_date=retry_after_date,
        should_retry=should_retry,
        message=message,
        code=code,
    )


def request_too_large(
    *,
    retry_after: Duration | None = None,
    retry_after_ms: float | None = None,
    retry_after_date: bool = False,
    should_retry: bool | None = None,
    message: str | None = None,
    code: str | None = None,
) -> Step:
    """HTTP 413 ``request_too_large``."""
    return Step.make(
        "request_too_large",
        retry_after=retry_after,
        retry_after_ms=retry_after_ms,
        retry_after_date=retry_after_date,
        should_retry=should_retry,
        message=message,
        code=code,
    )


def status(
    code: int,
    type: str | None = None,  # noqa: A002
    *,
    retry_after: Duration | None = None,
    retry_after_ms: float | None = None,
    retry_after_date: bool = False,
    should_retry: bool | None = None,
    message: str | None = None,
    error_code: str | None = None,
) -> Step:
    """Any error status with an Anthropic error body; ``type`` defaults to the one the API uses.

    ``error_code`` fills ``error.details.error_code`` (``code`` is the HTTP status here).
    """
    return Step.make(
        "status",
        code=code,
        type=type,
        retry_after=retry_after,
        retry_after_ms=retry_after_ms,
        retry_after_date=retry_after_date,
        should_retry=should_retry,
        message=message,
        error_code=error_code,
    )


def proxy_error(status: int = 502, body: str = "html") -> Step:
    """An error page from a proxy in front of the API, not JSON: ``body="html"`` is Cloudflare's page,
    ``body="text"`` Envoy's one line. The SDK retries it by status, and its message is the raw text."""
    return Step.make("proxy_error", status=status, body=body)


def drop(after: int, *, reply: Reply | None = None) -> Step:
    """``after`` SSE events (pings not counted), then the connection dies mid-body."""
    return Step.make("drop", after=after, reply=reply)


def stall(after: int, seconds: Duration, ping_every: Duration | None = None, *, reply: Reply | None = None) -> Step:
    """``after`` SSE events, then ``seconds`` of silence, then the rest of the stream.

    ``ping_every``: a ``ping`` event breaks the silence that often, so no read timeout longer than
    it fires and the call just takes ``seconds`` longer (a stream has pings; a JSON body cannot).
    """
    return Step.make("stall", after=after, seconds=seconds, ping_every=ping_every, reply=reply)


def malformed(after: int, *, reply: Reply | None = None) -> Step:
    """``after`` SSE events, then one whose data is not JSON (the SDK raises ``json.JSONDecodeError``),
    then the rest; a JSON body gets junk after its ``after``-th piece."""
    return Step.make("malformed", after=after, reply=reply)


def error_event(
    after: int = 0,
    type: str = "overloaded_error",  # noqa: A002
    *,
    message: str | None = None,
    reply: Reply | None = None,
) -> Step:
    """``after`` SSE events, then ``event: error`` inside the HTTP 200 stream."""
    return Step.make("error_event", after=after, type=type, message=message, reply=reply)


def truncate(after: int, *, reply: Reply | None = None) -> Step:
    """``after`` SSE events, then a clean end of the body with no ``message_stop``."""
    return Step.make("truncate", after=after, reply=reply)


def throttling(
    *,
    retry_after: Duration | None = None,
    retry_after_ms: float | None = None,
    retry_after_date: bool = False,
    should_retry: bool | None = None,
    message: str | None = None,
) -> Step:
    """Bedrock: HTTP 429 ``ThrottlingException`` (no ``retry-after``)."""
    return Step.make(
        "throttling",
        retry_after=retry_after,
        retry_after_ms=retry_after_ms,
        retry_after_date=retry_after_date,
        should_retry=should_retry,
        message=message,
    )


def model_timeout(
    *,
    retry_after: Duration | None = None,
    retry_after_ms: float | None = None,
    retry_after_date: bool = False,
    should_retry: bool | None = None,
    message: str | None = None,
) -> Step:
    """Bedrock: HTTP 408 ``ModelTimeoutException``."""
    return Step.make(
        "model_timeout",
        retry_after=retry_after,
        retry_after_ms=retry_after_ms,
        retry_after_date=retry_after_date,
        should_retry=should_retry,
        message=message,
    )


def service_unavailable(
    *,
    retry_after: Duration | None = None,
    retry_after_ms: float | None = None,
    retry_after_date: bool = False,
    should_retry: bool | None = None,
    message: str | None = None,
) -> Step:
    """Bedrock: HTTP 503 ``ServiceUnavailableException``; Vertex: HTTP 503 ``UNAVAILABLE``."""
    return Step.make(
        "service_unavailable",
        retry_after=retry_after,
        retry_after_ms=retry_after_ms,
        retry_after_date=retry_after_date,
        should_retry=should_retry,
        message=message,
    )


def model_error(
    *,
    retry_after: Duration | None = None,
    retry_after_ms: float | None = None,
    retry_after_date: bool = False,
    should_retry: bool | None = None,
    message: str | None = None,
) -> Step:
    """Bedrock: HTTP 424 ``ModelErrorException``."""
    return Step.make(
        "model_error",
        retry_after=retry_after,
        retry_after_ms=retry_after_ms,
        retry_after_date=retry_after_date,
        should_retry=should_retry,
        message=message,
    )


def quota_exceeded(
    *,
    retry_after: Duration | None = None,
    retry_after_ms: float | None = None,
    retry_after_date: bool = False,
    should_retry: bool | None = None,
    message: str | None = None,
) -> Step:
    """Bedrock: HTTP 400 ``ServiceQuotaExceededException``."""
    return Step.make(
        "quota_exceeded",
        retry_after=retry_after,
        retry_after_ms=retry_after_ms,
        retry_after_date=retry_after_date,
        should_retry=should_retry,
        message=message,
    )


def model_stream_error(after: int = 0, message: str | None = None, *, reply: Reply | None = None) -> Step:
    """Bedrock: ``after`` events, then a ``modelStreamErrorException`` frame inside the stream (a
    request that does not stream gets 424 ``ModelErrorException``)."""
    return Step.make("model_stream_error", after=after, message=message, reply=reply)


def resource_exhausted(
    *,
    retry_after: Duration | None = None,
    retry_after_ms: float | None = None,
    retry_after_date: bool = False,
    should_retry: bool | None = None,
    message: str | None = None,
) -> Step:
    """Vertex: HTTP 429 ``RESOURCE_EXHAUSTED`` in Google's error body (no ``retry-after``)."""
    return Step.make(
        "resource_exhausted",
        retry_after=retry_after,
        retry_after_ms=retry_after_ms,
        retry_after_date=retry_after_date,
        should_retry=should_retry,
        message=message,
    )


def thread_expired() -> Step:
    """HTTP 404 ``thread_not_found``: the message thread this request continues expired, as it does
    5 minutes after its last request; the fake forgets it, so the client must replay the whole
    conversation with ``thread={"type": "create"}`` (anthropic 2.x does so itself)."""
    return Step.make("thread_expired")


def thread_lost() -> Step:
    """HTTP 404 ``thread_not_found``: the API lost the message thread this request continues (before
    its expiry); the fake forgets it, so the client must replay the whole conversation with
    ``thread={"type": "create"}`` (anthropic 2.x does so itself)."""
    return Step.make("thread_lost")


def pause_turn(tool: str = "web_search", *, reply: Reply | None = None) -> Step:
    """A reply whose long turn the API pauses: after ``reply``'s content, a ``server_tool_use`` of ``tool``
    (``srvtoolu_…``) left without its result, stop reason ``pause_turn``. The client sends the content
    back as-is to let the model go on."""
    return Step.make("pause_turn", tool=tool, reply=reply)


def refusal(category: str | None = None, *, explanation: str | None = None, reply: Reply | None = None) -> Step:
    """A reply that stops with stop reason ``refusal`` (the streaming classifiers' verdict): ``reply``'s
    content, if any, then ``stop_details`` ``{"type": "refusal", "category", "explanation"}`` in the
    message and in the stream's ``message_delta``."""
    return Step.make("refusal", category=category, explanation=explanation, reply=reply)


def context_window_exceeded(reply: Reply | None = None) -> Step:
    """A reply that stops with stop reason ``model_context_window_exceeded``: ``reply``'s content is what
    fitted in the model's context window."""
    return Step.make("context_window_exceeded", reply=reply)


def server_tool_error(tool: str = "web_search", code: str = "unavailable", *, reply: Reply | None = None) -> Step:
    """A reply in which the server tool ``tool`` fails: a ``server_tool_use``, then its result block
    holding ``<tool>_tool_result_error`` with ``error_code`` ``code``, then ``reply``'s content (left
    out: the default text). The HTTP status is 200: the error is inside the message."""
    return Step.make("server_tool_error", tool=tool, code=code, reply=reply)


def compaction(
    summary: str = "Summary of the conversation so far.",
    pause: bool = True,
    *,
    reply: Reply | None = None,
) -> Step:
    """A reply that starts with a ``compaction`` block (beta) holding ``summary``; ``pause``: the turn stops
    there with stop reason ``compaction`` (``pause_after_compaction``), else ``reply``'s content (left
    out: the default text) follows."""
    return Step.make("compaction", summary=summary, pause=pause, reply=reply)


def chaos(**probabilities: float) -> Step:
    """Per attempt, one of the named faults with its probability (drawn from the fake's seed), else ``ok``:
    ``faults.chaos(overloaded=0.2, drop=0.1) * math.inf``."""
    chances: dict[str, Any] = dict(probabilities)
    return Step.make("chaos", **chances)


def slow(ttft: Duration | None = None, tps: float | None = None, *, reply: Reply | None = None) -> Step:
    """Time to first token ``ttft``, then ``tps`` output tokens a second.

    Either left out comes from the fake's latency model, or the realistic one for the model.
    """
    return Step.make("slow", ttft=ttft, tps=tps, reply=reply)
