"""The fault catalogue: every script action, once — its name, its parameters, and its plan.

An entry (:class:`Fault`) says what the action is called, what arguments it takes, whether
``chaos`` may pick it, and how it shapes the plan of one exchange. Everything else is derived
from this table or checked against it: the script parser's vocabulary and error messages, the
``faults.*`` builders (a test proves parity), ``chaos``'s choices, the CLI's help, the README's
action table (a test checks it) and the per-fault conformance tests. Adding a fault means adding
an entry here, its builder, and its row in the conformance table.

A shaper sees the request only through :class:`Shaping`, which the API implements: it knows
nothing of HTTP libraries, sockets or clocks.
"""

from __future__ import annotations

import math
from collections.abc import Callable
from dataclasses import dataclass
from typing import Any, Protocol

from ..wire.anthropic import ERROR_KINDS, PROXY_BODIES, error_type_for_status, proxy_page
from .plan import CUT, GARBAGE, REFUSE, RESET, Head, Plan, Response, Send, Wait

__all__ = ["ALIASES", "FAULTS", "Args", "Fault", "Param", "Shaping"]

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

    def response(self, *, split: bool = False) -> Response:
        """The complete reply the step's content (or the default) makes. ``split``: a JSON body comes
        in as many pieces as the stream has events, so that a fault can cut it after K of them."""

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

    def serves(self, platform: str) -> bool:
        return not self.platforms or platform in self.platforms

    def param(self, name: str) -> Param | None:
        return next((p for p in self.params if p.name == name), None)


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


def _chaos(api: Shaping, args: Args) -> Plan:
    raise AssertionError("chaos is resolved into a concrete step before a plan is made")


# -- the table ----------------------------------------------------------------------------------

_STATUS_PARAMS = (
    Param("retry_after", "duration", None, nullable=True),
    Param("retry_after_ms", "number", None, nullable=True),
    Param("retry_after_date", "flag", False),
    Param("should_retry", "flag", None, nullable=True),
    Param("message", "word", None, nullable=True),
)
_ERROR_CODE = "word"
"""``error.details.error_code``: ``code=`` on the fixed-status actions, ``error_code=`` on ``status``
(whose ``code=`` is the HTTP status)."""


def _platform_action(name: str, status: int, platforms: tuple[str, ...], summary: str) -> Fault:
    # No retry-after by default: Bedrock and Vertex send none (docs/facts.md).
    return Fault(name, summary, _platform_status(name, status), _STATUS_PARAMS, status=status, platforms=platforms)


def _error_action(name: str, error_type: str, retry_after: float | None = None) -> Fault:
    params = (
        *(Param("retry_after", "duration", retry_after, nullable=True) if p.name == "retry_after" else p
          for p in _STATUS_PARAMS),
        Param("code", _ERROR_CODE, None, nullable=True),
    )
    kind = ERROR_KINDS[error_type]
    summary = f"{kind.status} {error_type}" + (" with retry-after" if retry_after is not None else "")
    return Fault(name, summary, _fixed_status(error_type), params, status=kind.status, error_type=error_type)


FAULTS: dict[str, Fault] = {
    fault.name: fault
    for fault in (
        Fault("ok", "a normal reply, JSON or SSE as the request asked", _ok, takes_reply=True, chaos=False),
        Fault("tool_use", "a reply that calls tool N with input J (JSON; left out: built from the tool's "
              "input_schema in the request)", _ok, (Param("name", "word"), Param("input", "json", None, nullable=True)),
              takes_reply=True, chaos=False),
        Fault("hang", "request accepted, nothing ever answered (close_after=S: the connection closes "
              "after S seconds without a response)", _hang, (Param("close_after", "duration", None, nullable=True),)),
        Fault("refuse", "connection refused", _refuse),
        Fault("reset", "the connection is reset (RST): at once, or after K SSE events", _reset,
              (Param("after", "count", None, nullable=True),), takes_reply=True),
        Fault("garbage", "bytes that are not HTTP instead of a response, then the connection closes", _garbage),
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
               Param("error_code", _ERROR_CODE, None, nullable=True)),
              chaos=False),
        Fault("proxy_error", "an error page from a proxy in front of the API (not JSON): Cloudflare's HTML or "
              "Envoy's plain text", _proxy_error,
              (Param("status", "status", 502), Param("body", "word", "html", choices=PROXY_BODIES)), chaos=False),
        Fault("drop", "K SSE events, then the connection dies mid-body", _drop, (Param("after", "count"),),
              takes_reply=True),
        Fault("stall", "K SSE events, then silence for S seconds, then the rest (ping_every=P: a ping every "
              "P seconds keeps the stream alive)", _stall,
              (Param("after", "count"), Param("seconds", "duration"),
               Param("ping_every", "duration", None, nullable=True, positive=True)), takes_reply=True,
              check=_check_stall),
        Fault("malformed", "K SSE events, then one whose data is not JSON, then the rest", _malformed,
              (Param("after", "count"),), takes_reply=True),
        Fault("error_event", "K SSE events, then `event: error` inside the 200 stream", _error_event,
              (Param("after", "count", 0), Param("type", "error_type", "overloaded_error"),
               Param("message", "word", None, nullable=True)), takes_reply=True),
        Fault("truncate", "K SSE events, then a clean end with no message_stop", _truncate,
              (Param("after", "count"),), takes_reply=True),
        _platform_action("throttling", 429, ("bedrock",), "Bedrock: 429 ThrottlingException"),
        _platform_action("model_timeout", 408, ("bedrock",), "Bedrock: 408 ModelTimeoutException"),
        _platform_action("service_unavailable", 503, ("bedrock", "vertex"),
                         "Bedrock: 503 ServiceUnavailableException; Vertex: 503 UNAVAILABLE"),
        _platform_action("model_error", 424, ("bedrock",), "Bedrock: 424 ModelErrorException"),
        _platform_action("quota_exceeded", 400, ("bedrock",), "Bedrock: 400 ServiceQuotaExceededException"),
        Fault("model_stream_error", "Bedrock: K events, then a modelStreamErrorException frame inside the stream "
              "(not streamed: 424 ModelErrorException)", _model_stream_error,
              (Param("after", "count", 0), Param("message", "word", None, nullable=True)), takes_reply=True,
              platforms=("bedrock",)),
        _platform_action("resource_exhausted", 429, ("vertex",), "Vertex: 429 RESOURCE_EXHAUSTED"),
        Fault("chaos", "per attempt, one of the faults given as ACTION=P (probability P, drawn from the seed), "
              "else ok", _chaos, chaos=False),
        Fault("slow", "time to first token S, then R output tokens per second (default: the latency model's)",
              _ok, (Param("ttft", "duration", None, nullable=True),
                    Param("tps", "number", None, nullable=True, positive=True)), takes_reply=True),
    )
}
"""Every action a script may use, by name."""

ALIASES = {"overloaded_error": "overloaded", "rate_limit_error": "rate_limited"}
"""Every documented ``error.type`` is an action; these two are spelled differently in DESIGN.md."""


def signature(fault: Fault) -> str:
    """``drop(after)``, ``stall(after, seconds)``, ``hang``: how a script writes the action."""
    parts = [p.name if p.required else f"{p.name}={_show_default(p.default)}" for p in fault.params]
    return f"{fault.name}({', '.join(parts)})" if parts else fault.name


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
    """Each action's signature and what it does, for help texts."""
    return {name: f"{signature(fault)}: {fault.summary}" for name, fault in FAULTS.items()}
