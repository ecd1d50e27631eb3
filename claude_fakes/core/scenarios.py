"""Scenarios: a situation from the field as a file — a description, a script over several lines,
and the options it needs (``gateway``, ``latency``, ``seed``).

The package ships one per situation of the seed document (``claude-fakes scenarios`` lists them);
``ClaudeFake(scenario=NAME)``, the ``claude_fake(scenario=NAME)`` marker and ``claude-fakes serve
--scenario NAME`` run one, by name or by a file's path.

A scenario file: ``#`` starts a comment, and the comment lines before the first step are its
description; each other line holds steps (a trailing comma is fine; a line ending in ``;`` ends
a turn); a line ``option = value`` sets an option. A bad line is a :class:`ScriptError` naming
``file:line``.
"""

from __future__ import annotations

import os
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from .gateways import GATEWAYS
from .latency import MODELS
from .script import ScriptError, parse_turns

SHIPPED = Path(__file__).parent.parent / "scenarios"
"""The scenario files shipped with the package (their source: fixtures/scenarios/ in the repository)."""
OPTIONS = ("gateway", "latency", "seed")


@dataclass(frozen=True)
class Scenario:
    """A scenario: its script, the options it names, and its description (the leading comment)."""

    script: str
    options: dict[str, Any] = field(default_factory=dict)
    description: str = ""


def parse_scenario(text: str, source: str) -> Scenario:
    """The scenario in ``text``; ``source`` (a file's path) names where a bad line is."""
    steps: list[str] = []
    options: dict[str, Any] = {}
    description: list[str] = []
    for number, line in enumerate(text.splitlines(), 1):
        if not steps and not options and line.lstrip().startswith("#"):
            description.append(line.lstrip().lstrip("#").strip())
        text_part = line.split("#", 1)[0].strip().rstrip(",")
        if not text_part:
            continue
        name, equals, value = text_part.partition("=")
        if equals and name.strip() in OPTIONS and "(" not in name:
            options[name.strip()] = _option(name.strip(), value.strip(), f"{source}:{number}")
            continue
        try:
            parse_turns(text_part)
        except ScriptError as err:
            raise ScriptError(f"{source}:{number}: {err}") from None
        if steps:
            # A line that ends a turn (";") runs on into the next turn's steps.
            steps.append(" " if steps[-1].endswith(";") or text_part.startswith(";") else ", ")
        steps.append(text_part)
    return Scenario("".join(steps), options, " ".join(part for part in description if part))


def _option(name: str, value: str, where: str) -> Any:
    if name == "gateway" and value not in GATEWAYS:
        raise ScriptError(f"{where}: unknown gateway {value!r}; known: {', '.join(GATEWAYS)}")
    if name == "latency" and value not in ("none", *MODELS):
        raise ScriptError(f"{where}: unknown latency model {value!r}; known: none, {', '.join(MODELS)}")
    if name == "seed":
        if not (value.isascii() and value.isdigit()):
            raise ScriptError(f"{where}: seed takes a whole number, got {value!r}")
        return int(value)
    return value


def scenario_names() -> list[str]:
    """The names of the shipped scenarios."""
    return sorted(path.stem for path in SHIPPED.glob("*.txt"))


def scenario_path(name: str | os.PathLike[str]) -> Path:
    """A scenario by file path, or by the name of one shipped with the package."""
    path = Path(name)
    if path.exists() or path.suffix or len(path.parts) > 1:
        return path
    shipped = SHIPPED / f"{name}.txt"
    if shipped.exists():
        return shipped
    raise ScriptError(f"no scenario file {str(name)!r}, and no shipped scenario of that name; "
                      f"shipped: {', '.join(scenario_names())}")


def load_scenario(name: str | os.PathLike[str]) -> Scenario:
    """A shipped scenario by name, or a scenario file by path; a missing or bad one is a :class:`ScriptError`."""
    path = scenario_path(name)
    try:
        text = path.read_text()
    except OSError as err:
        raise ScriptError(f"cannot read the scenario {str(path)!r}: {err.strerror or err}") from None
    return parse_scenario(text, str(path))
