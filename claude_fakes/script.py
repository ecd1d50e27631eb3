"""The script language: one grammar for Python, markers, the CLI and the server's headers.

::

    script := step ("," step)*
    step   := action ["(" key=value ("," key=value)* ")"] ["*" (count | "inf")]

Each attempt at ``POST /v1/messages`` consumes one step; after the last step every request gets
``ok``. Values are numbers, durations (``30``, ``30s``, ``500ms``, ``10m``, ``1h``, ``inf``),
``true``/``false``, ``none``, error types, bare words or quoted strings (``text="Hi, there"``).

:data:`ACTIONS` is the whole vocabulary. The Python builders in :mod:`claude_fakes.faults` and the
parser below both go through :meth:`Step.make`, so a step is validated in exactly one place.
"""

from __future__ import annotations

import difflib
import math
import random
import re
from collections.abc import Iterable, Mapping
from dataclasses import dataclass, field
from typing import Any

from .replies import Reply, TextBlock
from .replies import text as text_reply
from .wire import ERROR_KINDS

__all__ = ["ACTIONS", "ActionSpec", "Param", "ScriptError", "Step", "parse_script", "to_steps"]


class ScriptError(ValueError):
    """A script that cannot be run: says what is wrong, where, and what would be accepted."""

    def __init__(
        self, message: str, source: str | None = None, position: int | None = None, *, argument: str | None = None
    ) -> None:
        self.message = message
        self.source = source
        self.position = position
        self.argument = argument
        """The argument at fault, when there is one (the parser points at it)."""
        super().__init__(self._render())

    def _render(self) -> str:
        if self.source is None or self.position is None:
            return self.message
        return f"{self.message}\n  {self.source}\n  {' ' * self.position}^ (position {self.position})"


_REQUIRED: Any = object()


@dataclass(frozen=True)
class Param:
    name: str
    kind: str
    """One of: count (whole number >= 0), duration (seconds, units allowed), number, flag, word,
    error_type, status."""
    default: Any = _REQUIRED
    nullable: bool = False
    positive: bool = False
    """Zero is not allowed (a rate)."""

    @property
    def required(self) -> bool:
        return self.default is _REQUIRED


@dataclass(frozen=True)
class ActionSpec:
    name: str
    summary: str
    params: tuple[Param, ...] = ()
    takes_reply: bool = False
    """Whether the action answers with model content (``text=`` in scripts, ``reply=`` in Python)."""
    status: int | None = None
    """For the fixed-status error actions, the HTTP status they answer with."""
    error_type: str | None = None

    def param(self, name: str) -> Param | None:
        return next((p for p in self.params if p.name == name), None)


_STATUS_PARAMS = (
    Param("retry_after", "duration", None, nullable=True),
    Param("retry_after_ms", "number", None, nullable=True),
    Param("should_retry", "flag", None, nullable=True),
    Param("message", "word", None, nullable=True),
)


def _error_action(name: str, error_type: str, summary: str, retry_after: float | None = None) -> ActionSpec:
    params = tuple(
        Param("retry_after", "duration", retry_after, nullable=True) if p.name == "retry_after" else p
        for p in _STATUS_PARAMS
    )
    kind = ERROR_KINDS[error_type]
    return ActionSpec(name, summary, params, status=kind.status, error_type=error_type)


ACTIONS: dict[str, ActionSpec] = {
    spec.name: spec
    for spec in (
        ActionSpec("ok", "a normal reply, JSON or SSE as the request asked", takes_reply=True),
        ActionSpec("hang", "request accepted, nothing ever answered"),
        ActionSpec("refuse", "connection refused"),
        ActionSpec(
            "reset",
            "the connection is reset (RST): at once, or after K SSE events",
            (Param("after", "count", None, nullable=True),),
            takes_reply=True,
        ),
        ActionSpec("garbage", "bytes that are not HTTP instead of a response, then the connection closes"),
        _error_action("overloaded", "overloaded_error", "529 overloaded_error"),
        _error_action("api_error", "api_error", "500 api_error"),
        _error_action("rate_limited", "rate_limit_error", "429 rate_limit_error with retry-after", 1.0),
        _error_action("timeout_error", "timeout_error", "504 timeout_error"),
        _error_action("invalid_request_error", "invalid_request_error", "400 invalid_request_error"),
        _error_action("authentication_error", "authentication_error", "401 authentication_error"),
        _error_action("billing_error", "billing_error", "402 billing_error"),
        _error_action("permission_error", "permission_error", "403 permission_error"),
        _error_action("not_found_error", "not_found_error", "404 not_found_error"),
        _error_action("conflict_error", "conflict_error", "409 conflict_error"),
        _error_action("request_too_large", "request_too_large", "413 request_too_large"),
        ActionSpec(
            "status",
            "any error status with an Anthropic error body",
            (Param("code", "status"), Param("type", "error_type", None, nullable=True), *_STATUS_PARAMS),
        ),
        ActionSpec(
            "drop", "K SSE events, then the connection dies mid-body", (Param("after", "count"),), takes_reply=True
        ),
        ActionSpec(
            "stall",
            "K SSE events, then silence for S seconds, then the rest",
            (Param("after", "count"), Param("seconds", "duration")),
            takes_reply=True,
        ),
        ActionSpec(
            "error_event",
            "K SSE events, then `event: error` inside the 200 stream",
            (Param("after", "count", 0), Param("type", "error_type", "overloaded_error"),
             Param("message", "word", None, nullable=True)),
            takes_reply=True,
        ),
        ActionSpec(
            "truncate",
            "K SSE events, then a clean end with no message_stop",
            (Param("after", "count"),),
            takes_reply=True,
        ),
        ActionSpec(
            "chaos",
            "per attempt, one of the faults given as ACTION=P (probability P, drawn from the seed), else ok",
            takes_reply=False,
        ),
        ActionSpec(
            "slow",
            "time to first token S, then R output tokens per second (default: the latency model's)",
            (Param("ttft", "duration", None, nullable=True),
             Param("tps", "number", None, nullable=True, positive=True)),
            takes_reply=True,
        ),
    )
}
"""Every action a script may use, by name."""

ALIASES = {"overloaded_error": "overloaded", "rate_limit_error": "rate_limited"}
"""Every documented ``error.type`` is an action; these two are spelled differently in DESIGN.md."""


def _known_actions() -> str:
    return ", ".join(ACTIONS)


def _unknown_action(word: str) -> str:
    return f"unknown action {word!r}{_suggest(word, [*ACTIONS, *ALIASES])}\nknown actions: {_known_actions()}"


def _suggest(word: str, choices: Iterable[str]) -> str:
    close = difflib.get_close_matches(word, list(choices), n=1)
    return f" (did you mean {close[0]!r}?)" if close else ""


_DURATION = re.compile(r"^(?P<number>[0-9]+(?:\.[0-9]*)?|\.[0-9]+)(?P<unit>ms|s|m|h)?$")
_UNITS = {None: 1.0, "s": 1.0, "ms": 0.001, "m": 60.0, "h": 3600.0}


def _convert(param: Param, value: Any, action: str) -> Any:
    """Turn a Python value or a script word into the param's type, or raise ValueError saying why."""
    where = f"{action}({param.name}=...)"
    if value is None or (isinstance(value, str) and value == "none"):
        if param.nullable:
            return None
        raise ValueError(f"{where} needs a value")
    kind = param.kind
    if kind == "count" or kind == "status":
        if isinstance(value, str) and value.isdigit():
            value = int(value)
        if isinstance(value, bool) or not isinstance(value, int) or value < 0:
            raise ValueError(f"{where} takes a whole number >= 0, got {value!r}")
        if kind == "status" and not 400 <= value <= 599:
            raise ValueError(f"{where} takes an error status from 400 to 599, got {value}")
        return value
    if kind in ("duration", "number"):
        if isinstance(value, str):
            if value == "inf" and kind == "duration":
                return math.inf
            match = _DURATION.match(value)
            if match is None or (kind == "number" and match["unit"]):
                unit = " (a number of seconds, or with a unit: 500ms, 30s, 10m, 1h)" if kind == "duration" else ""
                raise ValueError(f"{where} takes a number{unit}, got {value!r}")
            return _convert(param, float(match["number"]) * _UNITS[match["unit"]], action)
        if isinstance(value, bool) or not isinstance(value, (int, float)) or math.isnan(value) or value < 0:
            raise ValueError(f"{where} takes a number >= 0, got {value!r}")
        if math.isinf(value) and kind != "duration":
            raise ValueError(f"{where} takes a finite number, got {value!r}")
        if param.positive and value == 0:
            raise ValueError(f"{where} takes a number > 0, got {value!r}")
        return float(value)
    if kind == "flag":
        if isinstance(value, bool):
            return value
        if value in ("true", "false"):
            return value == "true"
        raise ValueError(f"{where} takes true or false, got {value!r}")
    if kind == "error_type":
        value = str(value)
        if value not in ERROR_KINDS:
            raise ValueError(
                f"{where} takes an Anthropic error type ({', '.join(ERROR_KINDS)}), got {value!r}"
                + _suggest(value, ERROR_KINDS)
            )
        return value
    if not isinstance(value, str):
        raise ValueError(f"{where} takes a string, got {value!r}")
    return value


@dataclass(frozen=True)
class Step:
    """One entry of a script: an action, its arguments, how many attempts it covers, and content.

    Build steps with :mod:`claude_fakes.faults` and :mod:`claude_fakes.replies`, or parse them
    from text; ``step * 3`` covers three attempts, ``step * math.inf`` (or ``"inf"``) all of them.
    """

    action: str
    args: tuple[tuple[str, Any], ...] = ()
    count: float = 1
    reply: Reply | None = None
    spec: ActionSpec = field(init=False, repr=False, compare=False)

    def __post_init__(self) -> None:
        object.__setattr__(self, "spec", ACTIONS[self.action])

    @classmethod
    def make(cls, action: str, *, reply: Reply | None = None, **params: Any) -> Step:
        """Validate ``params`` against the action's table entry and fill in defaults."""
        name = ALIASES.get(action, action)
        spec = ACTIONS.get(name)
        if spec is None:
            raise ScriptError(_unknown_action(action))
        if name == "chaos":
            return cls(name, _chaos_args(params), 1, None)
        if "text" in params and spec.takes_reply and reply is None:
            reply = text_reply(str(params.pop("text")))
        if reply is not None and not spec.takes_reply:
            raise ScriptError(f"{name} sends no model content, so it takes no reply")
        if reply is not None and not isinstance(reply, Reply):
            raise ScriptError(f"{name}(reply=...) takes a replies.* value, got {type(reply).__name__}")
        for key in params:
            if spec.param(key) is None:
                names = [p.name for p in spec.params] + (["text"] if spec.takes_reply else [])
                accepted = ", ".join(names) if names else "no arguments"
                raise ScriptError(f"{name} has no argument {key!r}{_suggest(key, names)}; it takes {accepted}",
                                  argument=key)
        args = []
        for param in spec.params:
            if param.name in params:
                try:
                    args.append((param.name, _convert(param, params[param.name], name)))
                except ValueError as err:
                    raise ScriptError(str(err), argument=param.name) from None
            elif param.required:
                raise ScriptError(f"{name} needs {param.name}=...: {_signature(spec)}")
            else:
                args.append((param.name, param.default))
        return cls(name, tuple(args), 1, reply)

    def __getitem__(self, name: str) -> Any:
        for key, value in self.args:
            if key == name:
                return value
        raise KeyError(name)

    def __mul__(self, count: int | float | str) -> Step:
        if count == "inf":
            count = math.inf
        if isinstance(count, bool) or not isinstance(count, (int, float)) or count < 1 or (
            isinstance(count, float) and not (math.isinf(count) or count.is_integer())
        ):
            raise ScriptError(f"a step repeats a whole number >= 1 of times, or inf; got {count!r}")
        return Step(self.action, self.args, self.count * count, self.reply)

    __rmul__ = __mul__

    def __str__(self) -> str:
        shown = [f"{key}={_show(value)}" for key, value in self.args
                 if self.action == "chaos" or value != self.spec.param(key).default]  # type: ignore[union-attr]
        if self.reply is not None:
            blocks = self.reply.blocks
            if len(blocks) == 1 and isinstance(blocks[0], TextBlock):
                shown.append(f"text={_show(blocks[0].text)}")
            else:
                shown.append(f"reply={self.reply}")
        text = self.action + (f"({', '.join(shown)})" if shown else "")
        if self.count != 1:
            text += "*inf" if math.isinf(self.count) else f"*{int(self.count)}"
        return text


CHAOS_AFTER_MAX = 8
CHAOS_STALLS = (2.0, 30.0, 700.0)


def _chaos_choices() -> list[str]:
    """Actions chaos may pick: those that need no argument, or only ``after``/``seconds``."""
    return [name for name, spec in ACTIONS.items() if name not in ("ok", "chaos", "status")
            and all(not p.required or p.name in ("after", "seconds") for p in spec.params)]


def _chaos_args(params: dict[str, Any]) -> tuple[tuple[str, Any], ...]:
    choices = _chaos_choices()
    probability = Param("probability", "number")
    args = []
    for key, value in params.items():
        action = ALIASES.get(key, key)
        if action not in choices:
            raise ScriptError(f"chaos cannot pick {key!r}{_suggest(key, choices)}; it picks from "
                              f"{', '.join(choices)}", argument=key)
        try:
            chance = _convert(probability, value, f"chaos({key}")
        except ValueError as err:
            raise ScriptError(str(err), argument=key) from None
        if chance > 1:
            raise ScriptError(f"chaos({key}=...) is a probability from 0 to 1, got {chance:g}", argument=key)
        args.append((action, chance))
    if not args:
        raise ScriptError("chaos needs at least one fault with its probability, e.g. chaos(overloaded=0.2, drop=0.1)")
    if sum(chance for _, chance in args) > 1 + 1e-9:
        raise ScriptError("chaos probabilities add up to more than 1")
    return tuple(args)


def pick_chaos(step: Step, rng: random.Random) -> Step:
    """The concrete step a ``chaos`` step becomes for one attempt, drawn from ``rng``."""
    draw = rng.random()
    for action, chance in step.args:
        if draw < chance:
            spec = ACTIONS[action]
            params: dict[str, Any] = {}
            if spec.param("after") is not None and spec.param("after").required:  # type: ignore[union-attr]
                params["after"] = rng.randint(0, CHAOS_AFTER_MAX)
            if spec.param("seconds") is not None:
                params["seconds"] = rng.choice(CHAOS_STALLS)
            return Step.make(action, **params)
        draw -= chance
    return Step.make("ok")


def _show(value: Any) -> str:
    if isinstance(value, bool):
        return "true" if value else "false"
    if isinstance(value, float):
        if math.isinf(value):
            return "inf"
        return str(int(value)) if value.is_integer() else repr(value)
    if isinstance(value, str) and re.fullmatch(r"[A-Za-z0-9_.]+", value) is None:
        return '"' + value.replace("\\", "\\\\").replace('"', '\\"') + '"'
    return str(value)


def _signature(spec: ActionSpec) -> str:
    parts = [p.name if p.required else f"{p.name}={_show(p.default)}" for p in spec.params]
    return f"{spec.name}({', '.join(parts)})" if parts else spec.name


class _Parser:
    _NAME = re.compile(r"[A-Za-z_][A-Za-z0-9_]*")
    _BARE = re.compile(r"[^\s,()*=\"']+")

    def __init__(self, source: str) -> None:
        self.source = source
        self.pos = 0

    def fail(self, message: str, position: int | None = None) -> ScriptError:
        return ScriptError(message, self.source, self.pos if position is None else position)

    def skip_space(self) -> None:
        while self.pos < len(self.source) and self.source[self.pos].isspace():
            self.pos += 1

    def peek(self) -> str:
        return self.source[self.pos] if self.pos < len(self.source) else ""

    def expect(self, char: str, what: str) -> None:
        self.skip_space()
        if self.peek() != char:
            found = repr(self.peek()) if self.peek() else "the end of the script"
            raise self.fail(f"expected {what}, found {found}")
        self.pos += 1

    def script(self) -> tuple[Step, ...]:
        steps = []
        self.skip_space()
        if not self.peek():
            return ()
        while True:
            steps.append(self.step())
            self.skip_space()
            if not self.peek():
                return tuple(steps)
            self.expect(",", "',' between steps")

    def step(self) -> Step:
        self.skip_space()
        start = self.pos
        match = self._NAME.match(self.source, self.pos)
        if match is None:
            raise self.fail(f"expected an action; known actions: {_known_actions()}")
        word = match.group()
        name = ALIASES.get(word, word)
        if name not in ACTIONS:
            raise self.fail(_unknown_action(word), start)
        self.pos = match.end()
        raw: dict[str, tuple[str, int]] = {}
        self.skip_space()
        if self.peek() == "(":
            self.pos += 1
            self.skip_space()
            if self.peek() == ")":
                self.pos += 1
            else:
                while True:
                    self.skip_space()
                    key_at = self.pos
                    key_match = self._NAME.match(self.source, self.pos)
                    if key_match is None:
                        raise self.fail(f"expected an argument name for {name}: {_signature(ACTIONS[name])}")
                    key = key_match.group()
                    if key in raw:
                        raise self.fail(f"{name} gets {key}= twice", key_at)
                    self.pos = key_match.end()
                    self.expect("=", f"'=' after {key}")
                    self.skip_space()
                    raw[key] = (self.value(), key_at)
                    self.skip_space()
                    if self.peek() == ")":
                        self.pos += 1
                        break
                    self.expect(",", "',' or ')' in the argument list")
        step = self._make(name, raw, start)
        self.skip_space()
        if self.peek() == "*":
            self.pos += 1
            self.skip_space()
            count_at = self.pos
            match = self._BARE.match(self.source, self.pos)
            token = match.group() if match else ""
            if token != "inf" and not (token.isdigit() and int(token) >= 1):
                found = repr(token) if token else "nothing"
                raise self.fail(f"expected a repeat count after '*' (a whole number >= 1, or inf), found {found}",
                                count_at)
            self.pos = count_at + len(token)
            step = step * (math.inf if token == "inf" else int(token))
        return step

    def _make(self, name: str, raw: dict[str, tuple[str, int]], start: int) -> Step:
        values: dict[str, Any] = {key: value for key, (value, _) in raw.items()}
        try:
            return Step.make(name, **values)
        except ScriptError as err:
            at = raw[err.argument][1] if err.argument in raw else start
            raise self.fail(err.message, at) from None

    def value(self) -> str:
        quote = self.peek()
        if quote in ("'", '"'):
            start = self.pos
            self.pos += 1
            chars = []
            while self.pos < len(self.source):
                char = self.source[self.pos]
                if char == "\\" and self.pos + 1 < len(self.source):
                    chars.append({"n": "\n", "t": "\t"}.get(self.source[self.pos + 1], self.source[self.pos + 1]))
                    self.pos += 2
                    continue
                if char == quote:
                    self.pos += 1
                    return "".join(chars)
                chars.append(char)
                self.pos += 1
            raise self.fail("unterminated string", start)
        match = self._BARE.match(self.source, self.pos)
        if match is None:
            raise self.fail("expected a value")
        self.pos = match.end()
        return match.group()


def parse_script(source: str) -> tuple[Step, ...]:
    """Parse a script; a :class:`ScriptError` names the position, the text and the known actions."""
    if not isinstance(source, str):
        raise TypeError(f"a script is a str, got {type(source).__name__}")
    return _Parser(source).script()


def to_steps(items: Iterable[str | Step | Reply]) -> tuple[Step, ...]:
    """Normalise what ``ClaudeFake.script()`` accepts: script strings, steps and replies, in order."""
    steps: list[Step] = []
    for item in items:
        if isinstance(item, str):
            steps.extend(parse_script(item))
        elif isinstance(item, Step):
            steps.append(item)
        elif isinstance(item, Reply):
            steps.append(Step.make("ok", reply=item))
        else:
            raise TypeError(
                f"a script is made of strings, faults.* steps and replies.* replies; got {type(item).__name__}"
            )
    return tuple(steps)


def describe_actions() -> Mapping[str, str]:
    """Each action's signature and what it does, for help texts."""
    return {name: f"{_signature(spec)}: {spec.summary}" for name, spec in ACTIONS.items()}
