"""Steps: one entry of a script, validated against the fault catalogue in exactly one place.

The script parser (:mod:`claude_fakes.script`) and the Python builders (:mod:`claude_fakes.faults`)
both go through :meth:`Step.make`.
"""

from __future__ import annotations

import difflib
import math
import random
import re
from collections.abc import Iterable
from dataclasses import dataclass, field
from typing import Any

from ..wire.anthropic import ERROR_KINDS
from .catalogue import ALIASES, FAULTS, Fault, Param, chaos_choices, reply_keys, signature
from .replies import Reply, TextBlock, ThinkingBlock, ToolUseBlock, check_tool_name, tool_input_json

__all__ = ["OK", "ScriptError", "Step"]


class ScriptError(ValueError):
    """A script that cannot be run: says what is wrong, where, and what would be accepted."""

    __module__ = "claude_fakes"  # where a test imports it from: how tracebacks and pytest name it

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


def known_actions() -> str:
    return ", ".join(FAULTS)


def unknown_action(word: str) -> str:
    return f"unknown action {word!r}{suggest(word, [*FAULTS, *ALIASES])}\nknown actions: {known_actions()}"


def suggest(word: str, choices: Iterable[str]) -> str:
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
        if isinstance(value, str) and value.isascii() and value.isdigit():
            value = int(value)
        if isinstance(value, bool) or not isinstance(value, int) or value < 0:
            raise ValueError(f"{where} takes a whole number >= 0, got {value!r}")
        if kind == "status" and not 400 <= value <= 599:
            raise ValueError(f"{where} takes an error status from 400 to 599, got {value}")
        return value
    if kind in ("duration", "number"):
        if isinstance(value, str):
            if value == "inf" and kind == "duration":
                return _convert(param, math.inf, action)
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
        if param.at_most is not None and value > param.at_most:
            raise ValueError(f"{where} takes at most {show(param.at_most)}, got {show(float(value))}")
        return float(value)
    if kind == "flag":
        if isinstance(value, bool):
            return value
        if value in ("true", "false"):
            return value == "true"
        raise ValueError(f"{where} takes true or false, got {value!r}")
    if kind == "json":
        return tool_input_json(value, where)
    if kind == "error_type":
        value = str(value)
        if value not in ERROR_KINDS:
            raise ValueError(
                f"{where} takes an Anthropic error type ({', '.join(ERROR_KINDS)}), got {value!r}"
                + suggest(value, ERROR_KINDS)
            )
        return value
    if not isinstance(value, str):
        raise ValueError(f"{where} takes a string, got {value!r}")
    if param.choices and value not in param.choices:
        raise ValueError(f"{where} takes one of {', '.join(param.choices)}, got {value!r}"
                         + suggest(value, param.choices))
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
    fault: Fault = field(init=False, repr=False, compare=False)
    """The catalogue entry of :attr:`action`."""

    def __post_init__(self) -> None:
        object.__setattr__(self, "fault", FAULTS[self.action])

    @classmethod
    def make(cls, action: str, *, reply: Reply | None = None, **params: Any) -> Step:
        """Validate ``params`` against the action's catalogue entry and fill in defaults."""
        name = ALIASES.get(action, action)
        fault = FAULTS.get(name)
        if fault is None:
            raise ScriptError(unknown_action(action))
        if fault.draws:
            return cls(name, _chaos_args(params), 1, None)
        if fault.takes_reply:
            words = _reply_from(fault, params)
            reply = words if reply is None else reply + words if words is not None else reply
        if reply is not None and not fault.takes_reply:
            raise ScriptError(f"{name} sends no model content, so it takes no reply")
        if reply is not None and not isinstance(reply, Reply):
            raise ScriptError(f"{name}(reply=...) takes a replies.* value, got {type(reply).__name__}")
        for key in params:
            if fault.param(key) is None:
                names = [p.name for p in fault.params] + list(reply_keys(fault))
                accepted = ", ".join(names) if names else "no arguments"
                raise ScriptError(f"{name} has no argument {key!r}{suggest(key, names)}; it takes {accepted}",
                                  argument=key)
        args = []
        for param in fault.params:
            if param.name in params:
                try:
                    args.append((param.name, _convert(param, params[param.name], name)))
                except ValueError as err:
                    raise ScriptError(str(err), argument=param.name) from None
            elif param.required:
                raise ScriptError(f"{name} needs {param.name}=...: {signature(fault)}")
            else:
                args.append((param.name, param.default))
        step = cls(name, tuple(args), 1, reply)
        problem = fault.check(step) if fault.check is not None else None
        if problem is not None:
            raise ScriptError(problem)
        return step

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
        shown = [f"{key}={show(value)}" for key, value in self.args
                 if self.fault.draws or value != self.fault.param(key).default]  # type: ignore[union-attr]
        if self.reply is not None:
            words = reply_words(self.reply, self.action)
            shown += [f"{key}={show(value)}" for key, value in words] if words is not None else [f"reply={self.reply}"]
        text = self.action + (f"({', '.join(shown)})" if shown else "")
        if self.count != 1:
            text += "*inf" if math.isinf(self.count) else f"*{int(self.count)}"
        return text


def _reply_from(fault: Fault, params: dict[str, Any]) -> Reply | None:
    """The reply the script words in ``params`` make (taken out of ``params``), or None."""
    action = fault.name
    blocks: list[ThinkingBlock | TextBlock | ToolUseBlock] = []
    keys = reply_keys(fault)
    for key in ("thinking", "text"):
        if key in keys and key in params:
            value = params.pop(key)
            if not isinstance(value, str):
                raise ScriptError(f"{action}({key}=...) takes a string, got {value!r}", argument=key)
            blocks.append(ThinkingBlock(value) if key == "thinking" else TextBlock(value))
    # The action's own tool arguments stay in params: they are checked as its parameters too.
    tool_key, input_key = ("name", "input") if fault.calls_tool else ("tool", "input")
    if "tool" not in keys and not fault.calls_tool:
        return Reply(tuple(blocks)) if blocks else None
    if tool_key in params:
        tool = params[tool_key] if fault.calls_tool else params.pop(tool_key)
        try:
            check_tool_name(tool, f"{action}({tool_key}=...)")
        except ValueError as err:
            raise ScriptError(str(err), argument=tool_key) from None
        raw = params.get(input_key) if fault.calls_tool else params.pop(input_key, None)
        try:
            input_json = None if raw is None or raw == "none" else tool_input_json(raw, f"{action}({input_key}=...)")
        except ValueError as err:
            raise ScriptError(str(err), argument=input_key) from None
        blocks.append(ToolUseBlock(tool, input_json))
    elif input_key in params and not fault.calls_tool:
        raise ScriptError(f"{action}(input=...) needs tool=... (the tool the model calls)", argument=input_key)
    return Reply(tuple(blocks)) if blocks else None


def reply_words(reply: Reply, action: str) -> list[tuple[str, Any]] | None:
    """``reply`` as script words (see :func:`~.catalogue.reply_keys`), or None when script text cannot say it
    (several blocks of a kind, another order, a fixed id or signature, a block or stop no word makes)."""
    if reply.stop is not None:
        return None
    words: list[tuple[str, Any]] = []
    keys = reply_keys(FAULTS[action])
    order = ["thinking", "text", "tool"]
    calls_tool = FAULTS[action].calls_tool
    for block in reply.blocks:
        if isinstance(block, ThinkingBlock) and "thinking" in order and block.signature is None:
            order = order[order.index("thinking") + 1:]
            words.append(("thinking", block.thinking))
        elif isinstance(block, TextBlock) and "text" in order:
            order = order[order.index("text") + 1:]
            words.append(("text", block.text))
        elif isinstance(block, ToolUseBlock) and "tool" in order and block.id is None and (
                calls_tool or "tool" in keys):
            order = []
            if not calls_tool:
                words.append(("tool", block.name))
                if block.input_json is not None:
                    words.append(("input", block.input_json))
        else:
            return None
    return words


CHAOS_AFTER_MAX = 8
CHAOS_STALLS = (2.0, 30.0, 700.0)


def _chaos_args(params: dict[str, Any]) -> tuple[tuple[str, Any], ...]:
    choices = chaos_choices()
    probability = Param("probability", "number")
    args = []
    for key, value in params.items():
        action = ALIASES.get(key, key)
        if action not in choices:
            raise ScriptError(f"chaos cannot pick {key!r}{suggest(key, choices)}; it picks from "
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
            fault = FAULTS[action]
            params: dict[str, Any] = {}
            after = fault.param("after")
            if after is not None and after.required:
                params["after"] = rng.randint(0, CHAOS_AFTER_MAX)
            if fault.param("seconds") is not None:
                params["seconds"] = rng.choice(CHAOS_STALLS)
            return Step.make(action, **params)
        draw -= chance
    return Step.make("ok")


def show(value: Any) -> str:
    """A value as script text (quoted when it needs to be)."""
    if isinstance(value, bool):
        return "true" if value else "false"
    if isinstance(value, float):
        if math.isinf(value):
            return "inf"
        return str(int(value)) if value.is_integer() else repr(value)
    if isinstance(value, str) and re.fullmatch(r"[A-Za-z0-9_.]+", value) is None:
        return '"' + _ESCAPES.sub(_escape, value) + '"'
    return str(value)


_ESCAPES = re.compile(r'[\\"\x00-\x1f\x7f]')


def _escape(match: re.Match[str]) -> str:
    char = match.group()
    return {"\\": "\\\\", '"': '\\"', "\n": "\\n", "\t": "\\t"}.get(char, f"\\x{ord(char):02x}")


OK = Step.make("ok")
"""The step every attempt gets past the end of its script."""
