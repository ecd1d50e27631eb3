"""Tool calls the fake model makes: which tool a request asks for, and an input valid for its schema.

A script may name a tool without giving its input (``tool_use(name=get_weather)``), and a
request may force a tool (``tool_choice`` ``{"type": "tool"}`` or ``{"type": "any"}``). Either
way the fake answers with an input built from the tool's ``input_schema`` in the request: every
required property present with the right JSON type, ``const``, ``enum``, bounds, lengths, nested
objects, arrays and ``$ref``\\ s respected, so that the application's own validation (pydantic,
instructor, zod) accepts it. Pure functions of the request JSON.
"""

from __future__ import annotations

import json
import math
from collections.abc import Callable, Generator, Mapping
from typing import Any

__all__ = ["forced_tool", "offered", "synthesise"]

_FORMATS = {"date-time": "2026-01-01T00:00:00Z", "date": "2026-01-01", "time": "00:00:00Z",
            "email": "user@example.com", "uri": "https://example.com", "uuid": "00000000-0000-4000-8000-000000000000",
            "ipv4": "192.0.2.1", "hostname": "example.com"}
_MAX_DEPTH = 32
"""Recursive schemas stop here: an optional branch is left out, a required one gets its simplest value."""
MOST_ITEMS = 128_000
"""The most values an input gets (an array's copies of its item counted): no reply holds more output
tokens than the largest model limit (128K), and each value costs about one. Past it the input stops (an
array is shorter than its ``minItems``), where ``max_tokens`` would cut it anyway, so building more would
cost time and memory for bytes no client could receive."""
MOST_CHARACTERS = 4 * MOST_ITEMS
"""The most characters of strings an input gets, for the same reason (about four characters a token)."""
MOST_NODES = 2_000
"""The most schema nodes one input is built from (each ``$ref`` followed counts again): a schema whose
``$ref`` s branch (a node that refers to itself twice) would otherwise take 2 ** depth steps. Past it, no
more members or items are added, and the planner notes that the input stopped short."""


def offered(request: Mapping[str, Any]) -> dict[str, Mapping[str, Any]]:
    """The tools a request offers the model, by name (client tools: those with an ``input_schema``)."""
    tools = request.get("tools")
    found: dict[str, Mapping[str, Any]] = {}
    if isinstance(tools, list):
        for tool in tools:
            if isinstance(tool, Mapping) and isinstance(tool.get("name"), str):
                found.setdefault(tool["name"], tool)
    return found


def forced_tool(request: Mapping[str, Any]) -> str | None:
    """The tool ``tool_choice`` makes the model call: ``tool`` names it, ``any`` means the first offered."""
    choice = request.get("tool_choice")
    if not isinstance(choice, Mapping):
        return None
    tools = offered(request)
    if choice.get("type") == "tool" and isinstance(choice.get("name"), str):
        return str(choice["name"])
    if choice.get("type") == "any" and tools:
        return next(iter(tools))
    return None


def output_schema(request: Mapping[str, Any]) -> Mapping[str, Any] | None:
    """The JSON schema structured outputs bind the answer to: ``output_config.format`` (GA), or the
    beta's ``output_format`` (anthropic 0.125's ``beta.messages.parse``); None when the answer is free text."""
    config = request.get("output_config")
    for found in (config.get("format") if isinstance(config, Mapping) else None, request.get("output_format")):
        if isinstance(found, Mapping) and found.get("type") == "json_schema" and isinstance(found.get("schema"),
                                                                                             Mapping):
            schema: Mapping[str, Any] = found["schema"]
            return schema
    return None


def synthesise(schema: Any, stopped: Callable[[str], None] | None = None, *, characters: int = MOST_CHARACTERS,
               values: int = MOST_ITEMS) -> Any:
    """A value valid against the JSON schema ``schema`` (an object schema gives a dict); ``stopped`` is
    told why, when the value had to stop short of the schema (see :data:`MOST_NODES`, :data:`MOST_ITEMS`).

    ``characters`` and ``values``: where the reply that carries the value is cut anyway (its
    ``max_tokens``). The value is built member by member in the order its JSON writes them (keys
    sorted), so stopping there leaves the very start that the cut shows; that stop is not told."""
    if not isinstance(schema, Mapping) or not schema:
        return {}  # a tool with no schema takes an empty object
    synthesis = _Synthesis(schema, min(characters, MOST_CHARACTERS), min(values, MOST_ITEMS))
    value = synthesis.run()
    if synthesis.stopped and stopped is not None:
        stopped(synthesis.stopped)
    return value


def _resolve(schema: Mapping[str, Any], root: Mapping[str, Any]) -> Mapping[str, Any]:
    seen = 0
    while isinstance(schema.get("$ref"), str) and seen < _MAX_DEPTH:
        ref = schema["$ref"]
        target: Any = root
        if ref.startswith("#"):
            for part in ref[1:].strip("/").split("/"):
                if not part:
                    continue
                part = part.replace("~1", "/").replace("~0", "~")
                target = target.get(part) if isinstance(target, Mapping) else None
        merged = dict(target) if isinstance(target, Mapping) else {}
        merged.update({key: value for key, value in schema.items() if key != "$ref"})
        schema = merged
        seen += 1
    return schema


_Building = Generator[tuple[Any, int], Any, Any]
"""The making of one value: it asks for the values of its parts, ``(schema, depth)``, and returns its own."""


class _Synthesis:
    """One value being built from ``root``, with what it has cost so far."""

    def __init__(self, root: Mapping[str, Any], most_characters: int, most_values: int) -> None:
        self.root = root
        self.most_characters = most_characters
        self.most_values = most_values
        self.nodes = 0
        self.values = 0
        """Values in the input so far, an array's copies of its item counted (an object or array itself is not)."""
        self.characters = 0
        """About how long the input's JSON is so far."""
        self.stopped: str | None = None
        """Why the value stopped short of its schema, once it has ("": where its own reply is cut)."""

    def _spent(self) -> bool:
        """Whether the input is as large as it gets: nothing more is added to it."""
        if self.stopped is None:
            if self.nodes >= MOST_NODES:
                self.stopped = f"its schema took more than {MOST_NODES} steps to follow: the input stops there"
            elif self.values >= self.most_values:
                self._stop(by_values=True)
            elif self.characters >= self.most_characters:
                self._stop(by_values=False)
        return self.stopped is not None

    def _stop(self, *, by_values: bool) -> None:
        """The input is full, by its values or by its characters: past the longest reply (said), or where its
        own reply is cut (not said: the cut hides it)."""
        longest = self.most_values == MOST_ITEMS if by_values else self.most_characters == MOST_CHARACTERS
        self.stopped = (f"the input would be longer than any reply ({MOST_ITEMS} values or {MOST_CHARACTERS} "
                        "characters): it stops there, where max_tokens cuts it") if longest else ""

    def _leaf(self, value: Any) -> Any:
        """``value``, counted into the input's size."""
        self.values += 1
        self.characters += len(value) + 2 if isinstance(value, str) else len(json.dumps(value))
        return value

    def run(self) -> Any:
        """The value, built by a loop over the parts under way rather than by recursion: a deep schema takes
        no Python stack (and Python 3.11 pays a memory mapping whenever a recursion swings across the end of
        a block of its frame stack, which made a walk of 2,000 nodes take six times as long at some depths)."""
        under_way: list[_Building] = [self.value(self.root, 0)]
        result: Any = None
        while under_way:
            try:
                part = under_way[-1].send(result)
            except StopIteration as done:
                under_way.pop()
                result = done.value
                continue
            under_way.append(self.value(*part))
            result = None
        return result

    def value(self, schema: Any, depth: int) -> _Building:
        if not isinstance(schema, Mapping):
            return {}
        self.nodes += 1
        root = self.root
        schema = _resolve(schema, root)
        if "const" in schema:
            return self._leaf(schema["const"])
        enum = schema.get("enum")
        if isinstance(enum, list) and enum:
            return self._leaf(enum[0])
        if "default" in schema and schema["default"] is not None:
            return self._leaf(schema["default"])
        for key in ("anyOf", "oneOf"):
            options = schema.get(key)
            if isinstance(options, list) and options:
                chosen = next((o for o in options if isinstance(o, Mapping) and _types(_resolve(o, root)) != ["null"]),
                              options[0])
                return (yield chosen, depth + 1)
        all_of = schema.get("allOf")
        if isinstance(all_of, list) and all_of:
            merged: dict[str, Any] = {}
            for part in all_of:
                if isinstance(part, Mapping):
                    part = _resolve(part, root)
                    for key, value in part.items():
                        if key in ("properties",) and isinstance(value, Mapping):
                            merged.setdefault(key, {}).update(value)
                        elif key == "required" and isinstance(value, list):
                            merged.setdefault(key, []).extend(value)
                        else:
                            merged[key] = value
            merged.update({key: value for key, value in schema.items() if key != "allOf"})
            return (yield merged, depth + 1)
        types = _types(schema)
        kind = next((t for t in types if t != "null"), types[0] if types else None)
        if kind is None:
            kind = "object" if "properties" in schema else "array" if "items" in schema else "string"
        if kind == "object":
            return (yield from self._object(schema, depth))
        if kind == "array":
            return (yield from self._array(schema, depth))
        if kind == "string":
            return self._leaf(self._string(schema))
        if kind in ("integer", "number"):
            return self._leaf(_number(schema, integer=kind == "integer"))
        return self._leaf(True if kind == "boolean" else None)

    def _object(self, schema: Mapping[str, Any], depth: int) -> _Building:
        properties = schema.get("properties")
        properties = properties if isinstance(properties, Mapping) else {}
        # In the order the JSON writes them: a value stopped short is the start of its text.
        required = sorted({name for name in schema.get("required") or () if isinstance(name, str)})
        result: dict[str, Any] = {}
        for name in required:
            if self._spent():
                return result
            self.characters += len(name) + 4
            result[name] = (yield properties.get(name, {}), depth + 1) if depth < _MAX_DEPTH else None
        minimum = schema.get("minProperties")
        if isinstance(minimum, int) and depth < _MAX_DEPTH:
            for name, sub in properties.items():
                if len(result) >= minimum or self._spent():
                    break
                if name not in result:
                    self.characters += len(name) + 4
                    result[name] = yield sub, depth + 1
        return result

    def _array(self, schema: Mapping[str, Any], depth: int) -> _Building:
        count = schema.get("minItems")
        count = count if isinstance(count, int) and count > 0 else 1
        maximum = schema.get("maxItems")
        if isinstance(maximum, int):
            count = min(count, maximum)
        if depth >= _MAX_DEPTH or self._spent():
            return []
        prefix = schema.get("prefixItems")
        if isinstance(prefix, list) and prefix:
            items = []
            for item in prefix:
                if self._spent():
                    break
                items.append((yield item, depth + 1))
            return items
        values, characters = self.values, self.characters
        item = yield schema.get("items", {}), depth + 1
        if count > 1:
            # The copies count against the input's size too: as many as fit.
            values, characters = max(1, self.values - values), self.characters - characters + 1
            by_values = (self.most_values - self.values) // values
            by_characters = (self.most_characters - self.characters) // characters
            if 1 + min(by_values, by_characters) < count:
                count = max(1, 1 + min(by_values, by_characters))
                self._stop(by_values=by_values <= by_characters)
            self.values += values * (count - 1)
            self.characters += characters * (count - 1)
        if schema.get("uniqueItems") and count > 1 and isinstance(item, (int, float)) and not isinstance(item, bool):
            return [item + n for n in range(count)]
        return [item] * count

    def _string(self, schema: Mapping[str, Any]) -> str:
        text = _FORMATS.get(str(schema.get("format")), "example")
        minimum, maximum = schema.get("minLength"), schema.get("maxLength")
        if isinstance(minimum, int) and len(text) < minimum:
            room = self.most_characters - self.characters
            if minimum > room:
                self._stop(by_values=False)
            text = text + "x" * (min(minimum, room) - len(text))
        if isinstance(maximum, int) and len(text) > maximum:
            text = text[:maximum]
        return text


def _types(schema: Mapping[str, Any]) -> list[str]:
    kind = schema.get("type")
    if isinstance(kind, str):
        return [kind]
    if isinstance(kind, list):
        return [t for t in kind if isinstance(t, str)]
    return []


def _bound(schema: Mapping[str, Any], name: str) -> float | None:
    """A numeric bound of the schema, or None; ``Infinity`` (which Python's JSON reads) bounds nothing."""
    value = schema.get(name)
    if isinstance(value, bool) or not isinstance(value, (int, float)) or not math.isfinite(value):
        return None
    return value


def _number(schema: Mapping[str, Any], *, integer: bool) -> int | float:
    low, high = _bound(schema, "minimum"), _bound(schema, "maximum")
    exclusive_low, exclusive_high = _bound(schema, "exclusiveMinimum"), _bound(schema, "exclusiveMaximum")
    value: float = 1
    if low is not None:
        value = max(value, low) if high is None or high >= 1 else low
    if exclusive_low is not None and value <= exclusive_low:
        value = exclusive_low + 1 if integer else exclusive_low + 0.5
    if high is not None and value > high:
        value = high
    if exclusive_high is not None and value >= exclusive_high:
        value = exclusive_high - 1 if integer else exclusive_high - 0.5
    multiple = _bound(schema, "multipleOf")
    if multiple is not None and multiple > 0:
        quotient = value / multiple
        # A multiple too fine for the value's size overflows: the bound alone is then the best value.
        if math.isfinite(quotient):
            value = math.ceil(quotient) * multiple
    return math.ceil(value) if integer else float(value)
