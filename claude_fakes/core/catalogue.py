"""The fault catalogue: every script action, once — its name, its parameters, and its plan.

An entry (:class:`Fault`) holds every fact about its action: what it is called, what arguments it
takes, the docstring of its Python builder, whether ``chaos`` may pick it, how it shapes the plan
of one exchange, and what the rest of the package needs to know of it (that it is the baseline an
exploration shrinks toward, that it draws another action per attempt, that it calls a tool, paces
its reply, ends a stream in an error or short of ``message_stop``). Nothing else in the package
tests an action by its name. What the package shows of faults is derived from this table or
checked against it: the script parser's vocabulary and error messages, the ``faults.*`` builders
(generated), ``chaos``'s choices, the CLI's help, the README's tables and the per-fault
conformance tests.

Adding a fault:

1. Add its entry to :data:`FAULTS`: a shaper; its parameters (:class:`Param`, ``keyword_only``
   where the builder takes one by name only); its ``doc``; and whichever of the facts above hold
   for it. A fact another module needs of a fault is a field here, set on the entries it applies
   to, never a test of a name elsewhere.
2. Regenerate the builders: ``python -m claude_fakes._builders`` rewrites
   ``claude_fakes/faults.py`` (``tests/test_faults.py`` fails while it is out of date).
3. Name it in the README's action table (``tests/test_faults.py`` checks that the table names
   every action).
4. Give it a conformance row. A fault of every platform: in ``ROWS`` of
   ``tests/test_fault_matrix.py``, and the table that test prints into the README; where it ends
   differently on Bedrock or Vertex, in ``PLATFORM_ROWS`` of ``tests/test_platform_matrix.py`` too.
   A platform's own fault (``platforms=``): its error in that platform's ``error_kinds``
   (:mod:`claude_fakes.wire.platforms`), its row in ``PLATFORM_ROWS``, and the platform table that
   test prints into the README.
5. If ``chaos`` may pick it (the default), it needs no argument but ``after`` and ``seconds``,
   which ``chaos`` draws; else say ``chaos=False``.

A shaper sees the request only through :class:`Shaping`, which the API implements: it knows
nothing of HTTP libraries, sockets or clocks.
"""

from __future__ import annotations

import math
from collections.abc import Callable
from dataclasses import dataclass, field, replace
from typing import Any, NamedTuple, Protocol

from ..wire.anthropic import ERROR_KINDS, PROXY_BODIES, error_type_for_status, proxy_page
from .latency import Speed
from .plan import CUT, GARBAGE, REFUSE, RESET, Head, Plan, Response, Send, Wait
from .replies import (
    REFUSAL_CATEGORIES,
    SERVER_TOOL_ERROR_CODES,
    Reply,
    compaction,
    context_window_exceeded,
    pause_turn,
    refusal,
    server_tool_error,
)
from .threads import NOT_FOUND

__all__ = ["ALIASES", "FAULTS", "Args", "Fault", "Param", "Shaping", "StreamError"]

_REQUIRED: Any = object()


@dataclass(frozen=True)
class Param:
    name: str
    kind: str
    """One of: count (whole number >= 0), duration (seconds, units allowed), number, flag, word,
    error_type, status, json (a JSON object as text)."""
    default: Any = _REQUIRED
    nullable: bool = False
    positive: bool = False
    """Zero is not allowed (a rate)."""
    choices: tuple[str, ...] = ()
    """For a word: the values it may take (any, when empty)."""
    keyword_only: bool = False
    """The ``faults.*`` builder takes it by name only (after the ``*``)."""
    at_most: float | None = None
    """For a duration or number: the largest value it may take (inf included in what is refused)."""

    @property
    def required(self) -> bool:
        return self.default is _REQUIRED


class Args(Protocol):
    """A step's arguments, by name (a :class:`~claude_fakes.core.step.Step` is one)."""

    def __getitem__(self, name: str) -> Any: ...


class Shaping(Protocol):
    """What a fault may ask of the API about the request it answers."""

    @property
    def stream(self) -> bool:
        """Whether the request asked for an SSE stream."""

    def response(self, *, split: bool = False, lead: Reply | None = None, tail: Reply | None = None) -> Response:
        """The complete reply the step's content (or the default) makes. ``split``: a JSON body comes
        in as many pieces as the stream has events, so that a fault can cut it after K of them.
        ``lead``, ``tail``: the action's own blocks before and after the step's content, and how
        the turn stops (without a stop of theirs, content-less steps go on to the default text)."""

    def status_error(self, status: int, error_type: str, args: Args, error_code: str | None = None) -> Plan:
        """An Anthropic error response; ``args`` may carry ``message``, ``retry_after``,
        ``retry_after_ms``, ``retry_after_date``, ``should_retry``; ``error_code`` goes in
        ``error.details``."""

    def error_event(self, error_type: str, message: str | None) -> Send:
        """A failure inside the stream (an ``event: error`` with the request's id; on Bedrock an
        exception frame); ``error_type``: an Anthropic error type or a platform fault's name."""

    def keepalive(self) -> Send:
        """The ping that keeps a quiet stream alive, framed as the platform frames events."""

    def malformed(self, data: bytes) -> bytes:
        """``data`` (one piece of the reply) made unparseable: an event whose JSON stops halfway,
        or a JSON body with junk after it."""

    def head(self, status: int, headers: tuple[tuple[str, str], ...]) -> Head:
        """A response head with exactly these headers (a proxy's, not the API's)."""


Shaper = Callable[[Shaping, Args], Plan]


class StreamError(NamedTuple):
    """An error a 200 stream ends in (an ``event: error``, a Bedrock exception frame)."""

    name: str
    """As the client reads it: the event's ``error.type``, or the exception frame's type."""
    transient: bool
    """Whether it reports a passing failure, one a retry may get past (the SDK itself retries no error
    inside a stream)."""


@dataclass(frozen=True)
class Fault:
    """One script action: what it is called, takes and does."""

    name: str
    summary: str
    shape: Shaper
    params: tuple[Param, ...] = ()
    takes_reply: bool = False
    """Whether the action answers with model content (``text=`` in scripts, ``reply=`` in Python)."""
    status: int | None = None
    """For the fixed-status error actions, the HTTP status they answer with."""
    error_type: str | None = None
    chaos: bool = True
    """Whether ``chaos`` may pick it (it must then need no argument besides ``after``/``seconds``)."""
    check: Callable[[Args], str | None] | None = None
    """What is wrong with a combination of arguments, if anything (each one alone is valid)."""
    platforms: tuple[str, ...] = ()
    """The platforms whose own fault this is (``bedrock``, ``vertex``); empty: every platform's."""
    baseline: bool = False
    """The answer every attempt gets when nothing is scheduled (``ok``): an exploration counts every
    other action as a fault, and shrinks a failing schedule toward this one."""
    draws: bool = False
    """The arguments are probabilities by action name, and each attempt draws from them the step it
    runs (``chaos``); such a step is replaced before any plan is made."""
    calls_tool: bool = False
    """The action's own ``name=`` and ``input=`` are the tool call it answers with (``tool_use``), so
    its content words are only ``thinking=`` and ``text=``."""
    pace: Callable[[Args, Speed], Speed] | None = None
    """How fast the reply comes, from the arguments and the speed it would have had otherwise (the
    fake's latency model's, or the realistic one): ``slow``'s ``ttft=`` and ``tps=``."""
    stream_error: Callable[[Args], StreamError] | None = None
    """The error the action ends a 200 stream in, from its arguments; None: it ends none in one."""
    ends_short: bool = False
    """The action ends a stream cleanly before ``message_stop`` (``truncate``): nothing on the wire says
    the reply is incomplete."""
    spoils_reply: bool = False
    """Even when it goes as planned, the action's 200 response carries no whole, usable reply: it is
    cut short, not parseable, or ends in an error."""
    drops_thread: bool = False
    """The API no longer holds the message thread the request continues: the fake forgets it too."""
    cut_at_end: bool = True
    """Whether ``after`` equal to the reply's event count is a cut point of its own (a drop after
    ``message_stop`` still breaks the body); False where it is the whole reply (``truncate``) or the
    same as one event fewer (``malformed`` spoils the last piece either way). An exploration's
    ``after=*`` stops there."""
    doc: str = field(kw_only=True)
    """The docstring of the action's ``faults.*`` builder."""

    def serves(self, platform: str) -> bool:
        return not self.platforms or platform in self.platforms

    def param(self, name: str) -> Param | None:
        return next((p for p in self.params if p.name == name), None)

    @property
    def answers_with_status(self) -> bool:
        """Whether the action answers with an HTTP error status (its own, or one it is given)."""
        return self.status is not None or any(p.kind == "status" for p in self.params)


# -- shapers ------------------------------------------------------------------------------------


def _ok(api: Shaping, args: Args) -> Plan:
    return api.response().whole()


def _hang(api: Shaping, args: Args) -> Plan:
    close_after = args["close_after"]
    if close_after is None:
        return Plan.of(Wait(math.inf))
    # A server or proxy that gives up on an idle request closes the connection without a word.
    return Plan.of(Wait(close_after), CUT)


def _refuse(api: Shaping, args: Args) -> Plan:
    return Plan.of(REFUSE)


def _garbage(api: Shaping, args: Args) -> Plan:
    return Plan.of(GARBAGE)


def _reset(api: Shaping, args: Args) -> Plan:
    if args["after"] is None:
        return Plan.of(RESET)
    return api.response(split=True).until(args["after"], RESET)


def _drop(api: Shaping, args: Args) -> Plan:
    return api.response(split=True).until(args["after"], CUT)


def _truncate(api: Shaping, args: Args) -> Plan:
    return api.response(split=True).until(args["after"])


def _stall(api: Shaping, args: Args) -> Plan:
    every = args["ping_every"]
    # Only a stream can carry pings; a JSON body has no way to keep its silence alive.
    keepalive = api.keepalive() if every is not None and api.stream else None
    return api.response(split=True).stalled(args["after"], args["seconds"], keepalive, every or 0.0)


MAX_PINGS = 100_000
"""The most keep-alive pings one stall may hold (a plan is a finite list)."""


def _check_stall(args: Args) -> str | None:
    every = args["ping_every"]
    if every is None:
        return None
    if math.isinf(args["seconds"]):
        return "stall(ping_every=...) needs a finite seconds=: pings would keep the stream open forever"
    if args["seconds"] / every > MAX_PINGS:
        return f"stall(seconds=..., ping_every=...) would send more than {MAX_PINGS} pings; ping less often"
    return None


def _malformed(api: Shaping, args: Args) -> Plan:
    return api.response(split=True).replaced(args["after"], api.malformed)


def _proxy_error(api: Shaping, args: Args) -> Plan:
    headers, body = proxy_page(args["status"], args["body"])
    return Plan.of(api.head(args["status"], headers), Send(body))


def _error_event(api: Shaping, args: Args) -> Plan:
    kind = ERROR_KINDS[args["type"]]
    if not api.stream:
        # Without a stream the same failure is the HTTP status the event stands for.
        return api.status_error(kind.status, kind.type, args)
    return api.response(split=True).until(args["after"], api.error_event(kind.type, args["message"]))


def _status(api: Shaping, args: Args) -> Plan:
    status = args["code"]
    return api.status_error(status, args["type"] or error_type_for_status(status), args, args["error_code"])


def _fixed_status(error_type: str) -> Shaper:
    status = ERROR_KINDS[error_type].status

    def shape(api: Shaping, args: Args) -> Plan:
        return api.status_error(status, error_type, args, args["code"])

    return shape


def _platform_status(kind: str, status: int) -> Shaper:
    def shape(api: Shaping, args: Args) -> Plan:
        return api.status_error(status, kind, args)

    return shape


def _model_stream_error(api: Shaping, args: Args) -> Plan:
    if not api.stream:
        # InvokeModel has no stream to break: the model's failure is its 424 ModelErrorException.
        return api.status_error(424, "model_error", args)
    return api.response(split=True).until(args["after"], api.error_event("model_stream_error", args["message"]))


def _thread_gone(api: Shaping, args: Args) -> Plan:
    error = NOT_FOUND
    return api.status_error(error.status, error.error_type, {"message": error.message}, error.error_code)


# Replies the API sends as 200s, stopping in other ways than ok's: not faults of the transport, but
# turns a client has to handle (docs/facts.md, "Stop reasons and server-tool blocks").


def _pause_turn(api: Shaping, args: Args) -> Plan:
    return api.response(tail=pause_turn(args["tool"])).whole()


def _refusal(api: Shaping, args: Args) -> Plan:
    return api.response(tail=refusal(args["category"], args["explanation"])).whole()


def _context_window_exceeded(api: Shaping, args: Args) -> Plan:
    return api.response(tail=context_window_exceeded()).whole()


def _server_tool_error(api: Shaping, args: Args) -> Plan:
    return api.response(lead=server_tool_error(args["tool"], args["code"])).whole()


def _check_server_tool_error(args: Args) -> str | None:
    codes = SERVER_TOOL_ERROR_CODES[args["tool"]]
    if args["code"] in codes:
        return None
    return f"server_tool_error(tool={args['tool']}) has no code {args['code']!r}; its codes are {', '.join(codes)}"


def _compaction(api: Shaping, args: Args) -> Plan:
    return api.response(lead=compaction(args["summary"], pause=args["pause"])).whole()


def _chaos(api: Shaping, args: Args) -> Plan:
    raise AssertionError("chaos is resolved into a concrete step before a plan is made")


# -- other facts --------------------------------------------------------------------------------

_RETRIED_STATUSES = frozenset({408, 409, 429})
"""With every status from 500 up: what the SDK retries when it arrives as an HTTP status."""


def _error_event_error(args: Args) -> StreamError:
    status = ERROR_KINDS[args["type"]].status
    return StreamError(args["type"], status >= 500 or status in _RETRIED_STATUSES)


def _model_stream_error_error(args: Args) -> StreamError:
    # Bedrock documents it as "An error occurred while streaming the response. Retry your request."
    return StreamError("modelStreamErrorException", True)


def _slow_pace(args: Args, usual: Speed) -> Speed:
    ttft, tps = args["ttft"], args["tps"]
    return Speed(usual.ttft if ttft is None else ttft, usual.tps if tps is None else tps)


# -- the table ----------------------------------------------------------------------------------

RETRY_AFTER_MOST = 365 * 86_400.0
"""The longest wait a ``retry-after`` may ask for: a year. Longer tests no client's waiting (and an
HTTP-date past year 9999 cannot be written)."""
_STATUS_PARAMS = (
    Param("retry_after", "duration", None, nullable=True, keyword_only=True, at_most=RETRY_AFTER_MOST),
    Param("retry_after_ms", "number", None, nullable=True, keyword_only=True, at_most=RETRY_AFTER_MOST * 1000),
    Param("retry_after_date", "flag", False, keyword_only=True),
    Param("should_retry", "flag", None, nullable=True, keyword_only=True),
    Param("message", "word", None, nullable=True, keyword_only=True),
)
_ERROR_CODE = "word"
"""``error.details.error_code``: ``code=`` on the fixed-status actions, ``error_code=`` on ``status``
(whose ``code=`` is the HTTP status)."""


def _platform_action(name: str, status: int, platforms: tuple[str, ...], summary: str, doc: str) -> Fault:
    # No retry-after by default: Bedrock and Vertex send none (docs/facts.md). No code= either:
    # Bedrock's and Google's error bodies have no error.details to carry it.
    return Fault(name, summary, _platform_status(name, status), _STATUS_PARAMS, status=status, platforms=platforms,
                 doc=doc)


def _error_action(name: str, error_type: str, retry_after: float | None = None) -> Fault:
    params = (
        *(replace(p, default=retry_after) if p.name == "retry_after" else p for p in _STATUS_PARAMS),
        Param("code", _ERROR_CODE, None, nullable=True, keyword_only=True),
    )
    kind = ERROR_KINDS[error_type]
    summary = f"{kind.status} {error_type}" + (" with retry-after" if retry_after is not None else "")
    doc = f"HTTP {kind.status} ``{error_type}``" + (
        f" with ``retry-after: {retry_after:g}`` unless ``retry_after`` says otherwise"
        if retry_after is not None else "")
    return Fault(name, summary, _fixed_status(error_type), params, status=kind.status, error_type=error_type,
                 doc=doc + ".")


FAULTS: dict[str, Fault] = {
    fault.name: fault
    for fault in (
        Fault("ok", "a normal reply, JSON or SSE as the request asked", _ok, takes_reply=True, chaos=False,
              baseline=True,
              doc="A normal reply: Message JSON, or a complete SSE stream when the request streams."),
        Fault("tool_use", "a reply that calls tool N with input J (JSON; left out: built from the tool's "
              "input_schema in the request)", _ok, (Param("name", "word"), Param("input", "json", None, nullable=True)),
              takes_reply=True, chaos=False, calls_tool=True,
              doc="A reply that calls the tool ``name`` (after ``reply``'s content, if any); stop reason "
                  "``tool_use``.\n"
                  "\n"
                  "``input`` left out: one valid against that tool's ``input_schema`` in the request, built when\n"
                  "the reply is sent. For a fault inside the call, give the reply to it:\n"
                  '``faults.drop(after=4, reply=replies.tool_use("get_weather"))``.'),
        Fault("hang", "request accepted, nothing ever answered (close_after=S: the connection closes "
              "after S seconds without a response)", _hang, (Param("close_after", "duration", None, nullable=True),),
              doc="The request is accepted and never answered: the client's read timeout decides what happens.\n"
                  "\n"
                  "``close_after``: after that long the server closes the connection without a response, as\n"
                  'servers and proxies do with idle requests ("Server disconnected without sending a response").'),
        Fault("refuse", "connection refused", _refuse,
              doc="Connection refused: ``ConnectError`` in the transport, ``APIConnectionError`` in the SDK."),
        Fault("reset", "the connection is reset (RST): at once, or after K SSE events", _reset,
              (Param("after", "count", None, nullable=True),), takes_reply=True,
              doc="The connection is reset (RST): at once (``ReadError``, retried), or after ``after`` SSE events."),
        Fault("garbage", "bytes that are not HTTP instead of a response, then the connection closes", _garbage,
              doc="Bytes that are not HTTP arrive instead of a response, then the connection closes."),
        _error_action("overloaded", "overloaded_error"),
        _error_action("api_error", "api_error"),
        _error_action("rate_limited", "rate_limit_error", 1.0),
        _error_action("timeout_error", "timeout_error"),
        _error_action("invalid_request_error", "invalid_request_error"),
        _error_action("authentication_error", "authentication_error"),
        _error_action("billing_error", "billing_error"),
        _error_action("permission_error", "permission_error"),
        _error_action("not_found_error", "not_found_error"),
        _error_action("conflict_error", "conflict_error"),
        _error_action("request_too_large", "request_too_large"),
        Fault("status", "any error status with an Anthropic error body", _status,
              (Param("code", "status"), Param("type", "error_type", None, nullable=True), *_STATUS_PARAMS,
               Param("error_code", _ERROR_CODE, None, nullable=True, keyword_only=True)),
              chaos=False,
              doc="Any error status with an Anthropic error body; ``type`` defaults to the one the API uses.\n"
                  "\n"
                  "``error_code`` fills ``error.details.error_code`` (``code`` is the HTTP status here)."),
        Fault("proxy_error", "an error page from a proxy in front of the API (not JSON): Cloudflare's HTML or "
              "Envoy's plain text", _proxy_error,
              (Param("status", "status", 502), Param("body", "word", "html", choices=PROXY_BODIES)), chaos=False,
              doc="An error page from a proxy in front of the API, not JSON: ``body=\"html\"`` is Cloudflare's "
                  "page,\n"
                  "``body=\"text\"`` Envoy's one line. The SDK retries it by status, and its message is the raw "
                  "text."),
        Fault("drop", "K SSE events, then the connection dies mid-body", _drop, (Param("after", "count"),),
              takes_reply=True,
              doc="``after`` SSE events (pings not counted), then the connection dies mid-body."),
        Fault("stall", "K SSE events, then silence for S seconds, then the rest (ping_every=P: a ping every "
              "P seconds keeps the stream alive)", _stall,
              (Param("after", "count"), Param("seconds", "duration"),
               Param("ping_every", "duration", None, nullable=True, positive=True)), takes_reply=True,
              check=_check_stall,
              doc="``after`` SSE events, then ``seconds`` of silence, then the rest of the stream.\n"
                  "\n"
                  "``ping_every``: a ``ping`` event breaks the silence that often, so no read timeout longer than\n"
                  "it fires and the call just takes ``seconds`` longer (a stream has pings; a JSON body cannot)."),
        Fault("malformed", "K SSE events, then one whose data is not JSON, then the rest", _malformed,
              (Param("after", "count"),), takes_reply=True, spoils_reply=True, cut_at_end=False,
              doc="``after`` SSE events, then one whose data is not JSON (the SDK raises "
                  "``json.JSONDecodeError``),\n"
                  "then the rest; a JSON body gets junk after its ``after``-th piece."),
        Fault("error_event", "K SSE events, then `event: error` inside the 200 stream", _error_event,
              (Param("after", "count", 0), Param("type", "error_type", "overloaded_error"),
               Param("message", "word", None, nullable=True, keyword_only=True)), takes_reply=True,
              stream_error=_error_event_error, spoils_reply=True,
              doc="``after`` SSE events, then ``event: error`` inside the HTTP 200 stream."),
        Fault("truncate", "K SSE events, then a clean end with no message_stop", _truncate,
              (Param("after", "count"),), takes_reply=True, ends_short=True, spoils_reply=True,
              cut_at_end=False, doc="``after`` SSE events, then a clean end of the body with no ``message_stop``."),
        _platform_action("throttling", 429, ("bedrock",), "Bedrock: 429 ThrottlingException",
                         "Bedrock: HTTP 429 ``ThrottlingException`` (no ``retry-after``)."),
        _platform_action("model_timeout", 408, ("bedrock",), "Bedrock: 408 ModelTimeoutException",
                         "Bedrock: HTTP 408 ``ModelTimeoutException``."),
        _platform_action("service_unavailable", 503, ("bedrock", "vertex"),
                         "Bedrock: 503 ServiceUnavailableException; Vertex: 503 UNAVAILABLE",
                         "Bedrock: HTTP 503 ``ServiceUnavailableException``; Vertex: HTTP 503 ``UNAVAILABLE``."),
        _platform_action("model_error", 424, ("bedrock",), "Bedrock: 424 ModelErrorException",
                         "Bedrock: HTTP 424 ``ModelErrorException``."),
        _platform_action("quota_exceeded", 400, ("bedrock",), "Bedrock: 400 ServiceQuotaExceededException",
                         "Bedrock: HTTP 400 ``ServiceQuotaExceededException``."),
        Fault("model_stream_error", "Bedrock: K events, then a modelStreamErrorException frame inside the stream "
              "(not streamed: 424 ModelErrorException)", _model_stream_error,
              (Param("after", "count", 0), Param("message", "word", None, nullable=True)), takes_reply=True,
              platforms=("bedrock",), stream_error=_model_stream_error_error, spoils_reply=True,
              doc="Bedrock: ``after`` events, then a ``modelStreamErrorException`` frame inside the stream (a\n"
                  "request that does not stream gets 424 ``ModelErrorException``)."),
        _platform_action("resource_exhausted", 429, ("vertex",), "Vertex: 429 RESOURCE_EXHAUSTED",
                         "Vertex: HTTP 429 ``RESOURCE_EXHAUSTED`` in Google's error body (no ``retry-after``)."),
        # Not for chaos: a request that continues no thread would get an error the API never gives it.
        Fault("thread_expired", "404 thread_not_found: the message thread expired (5 minutes after its last "
              "request)", _thread_gone, status=404, chaos=False, drops_thread=True,
              doc="HTTP 404 ``thread_not_found``: the message thread this request continues expired, as it does\n"
                  "5 minutes after its last request; the fake forgets it, so the client must replay the whole\n"
                  'conversation with ``thread={"type": "create"}`` (anthropic 2.x does so itself).'),
        Fault("thread_lost", "404 thread_not_found: the API lost the message thread", _thread_gone, status=404,
              chaos=False, drops_thread=True,
              doc="HTTP 404 ``thread_not_found``: the API lost the message thread this request continues (before\n"
                  "its expiry); the fake forgets it, so the client must replay the whole conversation with\n"
                  '``thread={"type": "create"}`` (anthropic 2.x does so itself).'),
        Fault("pause_turn", "a 200 whose turn pauses: a server_tool_use of tool T left without its result, "
              "stop reason pause_turn", _pause_turn,
              (Param("tool", "word", "web_search", choices=tuple(SERVER_TOOL_ERROR_CODES)),), takes_reply=True,
              chaos=False,
              doc="A reply whose long turn the API pauses: after ``reply``'s content, a ``server_tool_use`` of "
                  "``tool``\n"
                  "(``srvtoolu_…``) left without its result, stop reason ``pause_turn``. The client sends the "
                  "content\n"
                  "back as-is to let the model go on."),
        Fault("refusal", "a 200 that stops with stop reason refusal and stop_details (category C, explanation E)",
              _refusal,
              (Param("category", "word", None, nullable=True, choices=REFUSAL_CATEGORIES),
               Param("explanation", "word", None, nullable=True, keyword_only=True)), takes_reply=True,
              chaos=False,
              doc="A reply that stops with stop reason ``refusal`` (the streaming classifiers' verdict): "
                  "``reply``'s\n"
                  "content, if any, then ``stop_details`` ``{\"type\": \"refusal\", \"category\", "
                  "\"explanation\"}`` in the\n"
                  "message and in the stream's ``message_delta``."),
        Fault("context_window_exceeded", "a 200 that stops with stop reason model_context_window_exceeded",
              _context_window_exceeded, takes_reply=True, chaos=False,
              doc="A reply that stops with stop reason ``model_context_window_exceeded``: ``reply``'s content "
                  "is what\n"
                  "fitted in the model's context window."),
        Fault("server_tool_error", "a 200 in which server tool T fails: its result is an error object with "
              "error_code C", _server_tool_error,
              (Param("tool", "word", "web_search", choices=tuple(SERVER_TOOL_ERROR_CODES)),
               Param("code", "word", "unavailable",
                     choices=tuple(dict.fromkeys(c for codes in SERVER_TOOL_ERROR_CODES.values() for c in codes)))),
              takes_reply=True, chaos=False, check=_check_server_tool_error,
              doc="A reply in which the server tool ``tool`` fails: a ``server_tool_use``, then its result "
                  "block\n"
                  "holding ``<tool>_tool_result_error`` with ``error_code`` ``code``, then ``reply``'s content "
                  "(left\n"
                  "out: the default text). The HTTP status is 200: the error is inside the message."),
        Fault("compaction", "a 200 that starts with a compaction block (beta); pause=true: stop reason compaction",
              _compaction,
              (Param("summary", "word", "Summary of the conversation so far."), Param("pause", "flag", True)),
              takes_reply=True, chaos=False,
              doc="A reply that starts with a ``compaction`` block (beta) holding ``summary``; ``pause``: the "
                  "turn stops\n"
                  "there with stop reason ``compaction`` (``pause_after_compaction``), else ``reply``'s content "
                  "(left\n"
                  "out: the default text) follows."),
        Fault("chaos", "per attempt, one of the faults given as ACTION=P (probability P, drawn from the seed), "
              "else ok", _chaos, chaos=False, draws=True,
              doc="Per attempt, one of the named faults with its probability (drawn from the fake's seed), else "
                  "``ok``:\n"
                  "``faults.chaos(overloaded=0.2, drop=0.1) * math.inf``."),
        Fault("slow", "time to first token S, then R output tokens per second (default: the latency model's)",
              _ok, (Param("ttft", "duration", None, nullable=True),
                    Param("tps", "number", None, nullable=True, positive=True)), takes_reply=True, pace=_slow_pace,
              doc="Time to first token ``ttft``, then ``tps`` output tokens a second.\n"
                  "\n"
                  "Either left out comes from the fake's latency model, or the realistic one for the model."),
    )
}
"""Every action a script may use, by name."""

ALIASES = {"overloaded_error": "overloaded", "rate_limit_error": "rate_limited",
           "model_context_window_exceeded": "context_window_exceeded"}
"""Every documented ``error.type`` is an action; these two are spelled differently in DESIGN.md. A
stop reason's action answers to the API's name of it too."""


def signature(fault: Fault) -> str:
    """``drop(after)``, ``stall(after, seconds)``, ``hang``: how a script writes the action."""
    parts = [p.name if p.required else f"{p.name}={_show_default(p.default)}" for p in fault.params]
    return f"{fault.name}({', '.join(parts)})" if parts else fault.name


REPLY_KEYS = ("thinking", "text", "tool", "input")
"""Script words for model content, on every action that sends some: ``thinking`` first, ``text``,
then a call of ``tool`` with ``input`` (JSON; left out, built from the tool's ``input_schema``)."""


def reply_keys(fault: Fault) -> tuple[str, ...]:
    """The reply's words ``fault`` takes besides its own parameters (none if it sends no model content)."""
    if not fault.takes_reply:
        return ()
    # An action whose own argument is tool= (the server tool of server_tool_error) has no client
    # tool call among its words: tool= is its argument, and input= would have no tool.
    return ("thinking", "text") if fault.calls_tool or fault.param("tool") is not None else REPLY_KEYS


def _show_default(value: Any) -> str:
    if value is None:
        return "none"
    if isinstance(value, float):
        return str(int(value)) if value.is_integer() else repr(value)
    return str(value)


def chaos_choices() -> list[str]:
    """The actions ``chaos`` may pick."""
    return [name for name, fault in FAULTS.items() if fault.chaos]


def describe() -> dict[str, str]:
    """Each action's signature, the reply's words it also takes, and what it does, for help texts."""
    return {name: f"{signature(fault)}{_words(fault)}: {fault.summary}" for name, fault in FAULTS.items()}


def _words(fault: Fault) -> str:
    keys = reply_keys(fault)
    return f" [+ {', '.join(f'{key}=' for key in keys)}]" if keys else ""
