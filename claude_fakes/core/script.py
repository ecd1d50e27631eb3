"""The script language: one grammar for Python, markers, the CLI and the server's headers.

::

    script := turn (";" turn)*
    turn   := step ("," step)*
    step   := action ["(" key=value ("," key=value)* ")"] ["*" (count | "inf")]

Each attempt at ``POST /v1/messages`` consumes one step; after the last step every request gets
``ok``. With ``;`` the script is a turn script: each part belongs to one turn (one logical call,
whatever its retries; see :mod:`claude_fakes.core.turns`), and an empty part is ``ok``. Values are
numbers, durations (``30``, ``30s``, ``500ms``, ``10m``, ``1h``, ``inf``), ``true``/``false``,
``none``, error types, bare words or quoted strings (``text="Hi, there"``).

The vocabulary is :data:`claude_fakes.core.catalogue.FAULTS`; each step is validated by
:meth:`~claude_fakes.core.step.Step.make`, as the Python builders' are.
"""

from __future__ import annotations

import math
import re
from collections.abc import Iterable
from typing import Any

from .catalogue import ALIASES, FAULTS, signature
from .replies import Repeated, Reply
from .step import ScriptError, Step, known_actions, unknown_action

__all__ = ["ScriptError", "Step", "StepLike", "Turns", "parse_script", "parse_turns", "to_steps",
           "to_turns"]

StepLike = str | Step | Reply | Repeated
"""What a script is made of: script text, ``faults.*`` steps, ``replies.*`` replies (``reply * 3`` too)."""
Turns = tuple[tuple[Step, ...], ...]
"""A script by turn: one tuple of steps per turn. A script without ``;`` is one 'turn' of per-attempt steps."""


class _Parser:
    _NAME = re.compile(r"[A-Za-z_][A-Za-z0-9_]*")
    _BARE = re.compile(r"[^\s,()*=\"';]+")
    _BARE_WORDS = re.compile(r"[^\s,()*=\"';]+(?:[ \t]+[^\s,()*=\"';]+)*")
    """A value may be several words (``text=It is sunny.``): spaces inside it, not around it."""

    def __init__(self, source: str) -> None:
        self.source = source
        self.pos = 0

    def fail(self, message: str, position: int | None = None) -> ScriptError:
        return ScriptError(message, self.source, self.pos if position is None else position)

    def unclosed(self, name: str, opened_at: int, where: str, position: int | None = None) -> ScriptError:
        return self.fail(f"the '(' of {name} at position {opened_at} is never closed: expected ')' {where}", position)

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

    def turns(self) -> Turns:
        turns = []
        while True:
            turns.append(self.turn())
            if not self.peek():
                return tuple(turns)
            self.pos += 1  # the ';' that ended the turn

    def turn(self) -> tuple[Step, ...]:
        steps = []
        self.skip_space()
        if self.peek() in ("", ";"):
            return ()
        while True:
            steps.append(self.step())
            self.skip_space()
            if self.peek() in ("", ";"):
                return tuple(steps)
            self.expect(",", "',' between steps (or ';' between turns)")

    def step(self) -> Step:
        self.skip_space()
        start = self.pos
        match = self._NAME.match(self.source, self.pos)
        if match is None:
            raise self.fail(f"expected an action; known actions: {known_actions()}")
        word = match.group()
        name = ALIASES.get(word, word)
        if name not in FAULTS:
            raise self.fail(unknown_action(word), start)
        self.pos = match.end()
        raw: dict[str, tuple[str, int]] = {}
        self.skip_space()
        if self.peek() == "(":
            opened_at = self.pos
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
                        raise self.fail(f"expected an argument name for {name}: {signature(FAULTS[name])}")
                    key = key_match.group()
                    if key in raw:
                        raise self.fail(f"{name} gets {key}= twice", key_at)
                    self.pos = key_match.end()
                    self.skip_space()
                    if self.peek() != "=" and (self.peek() in ("", ";") or ALIASES.get(key, key) in FAULTS):
                        # `drop(after=3, ok`: the next step, read as an argument.
                        raise self.unclosed(name, opened_at, f"before {key!r}", key_at)
                    self.expect("=", f"'=' after {key}")
                    self.skip_space()
                    raw[key] = (self.value(), key_at)
                    self.skip_space()
                    if self.peek() == ")":
                        self.pos += 1
                        break
                    if self.peek() in ("", ";"):
                        raise self.unclosed(name, opened_at, "at the end of the script" if not self.peek()
                                            else "before ';'")
                    self.expect(",", "',' or ')' in the argument list")
        step = self._make(name, raw, start)
        self.skip_space()
        if self.peek() == "*":
            self.pos += 1
            self.skip_space()
            count_at = self.pos
            match = self._BARE.match(self.source, self.pos)
            token = match.group() if match else ""
            if token != "inf" and not (token.isascii() and token.isdigit() and len(token) <= 9 and int(token) >= 1):
                found = repr(token) if token else "nothing"
                raise self.fail("expected a repeat count after '*' (a whole number from 1 to 999999999, or inf), "
                                f"found {found}", count_at)
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
                    escaped = self.source[self.pos + 1]
                    code = self.source[self.pos + 2:self.pos + 4]
                    if escaped == "x" and len(code) == 2 and all(c in "0123456789abcdefABCDEF" for c in code):
                        chars.append(chr(int(code, 16)))
                        self.pos += 4
                        continue
                    chars.append({"n": "\n", "t": "\t"}.get(escaped, escaped))
                    self.pos += 2
                    continue
                if char == quote:
                    self.pos += 1
                    return "".join(chars)
                chars.append(char)
                self.pos += 1
            raise self.fail("unterminated string", start)
        match = self._BARE_WORDS.match(self.source, self.pos)
        if match is None:
            raise self.fail("expected a value")
        self.pos = match.end()
        return match.group()


MAX_SCRIPT_CHARS = 1 << 20
"""The longest script accepted (1 MiB): a reply's text included."""
MAX_STEPS = 10_000
"""The most steps one script may hold (a count such as ``ok*inf`` is one step)."""


def parse_turns(source: str) -> Turns:
    """Parse a script, by turn (one part when it has no ``;``); a :class:`ScriptError` names the
    position, the text and the known actions."""
    if not isinstance(source, str):
        raise TypeError(f"a script is a str, got {type(source).__name__}")
    if len(source) > MAX_SCRIPT_CHARS:
        raise ScriptError(f"a script holds at most {MAX_SCRIPT_CHARS} characters, got {len(source)}")
    __tracebackhide__ = True
    try:
        turns = _Parser(source).turns()
    except ScriptError as error:
        # The message points into the script; the parser's frames would only bury it in a traceback.
        raise error.with_traceback(None) from None
    _check_size(turns)
    return turns


def _check_size(turns: Turns) -> None:
    count = sum(len(turn) for turn in turns)
    if count > MAX_STEPS:
        raise ScriptError(f"a script holds at most {MAX_STEPS} steps, got {count}; repeat one with *N")


def parse_script(source: str) -> tuple[Step, ...]:
    """Parse a script of per-attempt steps (no ``;``): see :func:`parse_turns`."""
    turns = parse_turns(source)
    if len(turns) > 1:
        raise ScriptError("';' separates turns, and this takes one list of steps", source, source.index(";"))
    return turns[0]


def to_turns(items: Iterable[StepLike]) -> Turns:
    """What ``ClaudeFake.script()`` accepts, by turn: each ``;`` in a string ends a turn, and steps,
    replies and strings without one add to the current turn."""
    __tracebackhide__ = True
    turns: list[list[Step]] = [[]]
    for item in items:
        if isinstance(item, str):
            first, *rest = parse_turns(item)
            turns[-1].extend(first)
            turns.extend(list(turn) for turn in rest)
        else:
            turns[-1].extend(to_steps((item,)))
    result = tuple(tuple(turn) for turn in turns)
    _check_size(result)
    return result


def to_steps(items: Iterable[StepLike]) -> tuple[Step, ...]:
    """Normalise a list of script strings (without ``;``), steps and replies into steps, in order."""
    steps: list[Step] = []
    for item in items:
        if isinstance(item, str):
            steps.extend(parse_script(item))
        elif isinstance(item, Step):
            steps.append(item)
        elif isinstance(item, Reply):
            steps.append(Step.make("ok", reply=item))
        elif isinstance(item, Repeated):
            steps.append(Step.make("ok", reply=item.reply) * item.count)
        else:
            raise TypeError(
                f"a script is made of strings, faults.* steps and replies.* replies; got {type(item).__name__}"
            )
    return tuple(steps)
