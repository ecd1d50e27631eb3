"""Tool calls the fake model makes: which tool a request asks for, and an input valid for its schema.

A script may name a tool without giving its input (``tool_use(name=get_weather)``), and a
request may force a tool (``tool_choice`` ``{"type": "tool"}`` or ``{"type": "any"}``). Either
way the fake answers with an input built from the tool's ``input_schema`` in the request: every
required property present with the right JSON type, ``const``, ``enum``, bounds, lengths, nested
objects, arrays and ``$ref``\\ s respected, so that the application's own validation (pydantic,
instructor, zod) accepts it. Pure functions of the request JSON.
"""

from __future__ import annotations

import math
from collections.abc import Mapping
from typing import Any

__all__ = ["forced_tool", "offered", "synthesise"]

_FORMATS = {"date-time": "2026-01-01T00:00:00Z", "date": "2026-01-01", "time": "00:00:00Z",
            "email": "user@example.com", "uri": "https://example.com", "uuid": "00000000-0000-4000-8000-000000000000",
            "ipv4": "192.0.2.1", "hostname": "example.com"}
_MAX_DEPTH = 32
"""Recursive schemas stop here: an optional branch is left out, a required one gets its simplest value."""
MOST_ITEMS = 128_000
"""The longest array an input gets: no reply holds more output tokens than the largest model limit
(128K), and each item costs at least one. A ``minItems`` beyond it is cut by ``max_tokens`` anyway,
so building it whole would cost time and memory for bytes no client could receive."""
MOST_CHARACTERS = 4 * MOST_ITEMS
"""The longest string an input gets, for the same reason (about four characters a token)."""


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


def synthesise(schema: Any) -> Any:
    """A value valid against the JSON schema ``schema`` (an object schema gives a dict)."""
    if not isinstance(schema, Mapping) or not schema:
        return {}  # a tool with no schema takes an empty object
    return _value(schema, schema, 0)


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


def _value(schema: Any, root: Mapping[str, Any], depth: int) -> Any:
    if not isinstance(schema, Mapping):
        return {}
    schema = _resolve(schema, root)
    if "const" in schema:
        return schema["const"]
    enum = schema.get("enum")
    if isinstance(enum, list) and enum:
        return enum[0]
    if "default" in schema and schema["default"] is not None:
        return schema["default"]
    for key in ("anyOf", "oneOf"):
        options = schema.get(key)
        if isinstance(options, list) and options:
            chosen = next((o for o in options if isinstance(o, Mapping) and _types(_resolve(o, root)) != ["null"]),
                          options[0])
            return _value(chosen, root, depth + 1)
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
        return _value(merged, root, depth + 1)
    types = _types(schema)
    kind = next((t for t in types if t != "null"), types[0] if types else None)
    if kind is None:
        kind = "object" if "properties" in schema else "array" if "items" in schema else "string"
    if kind == "object":
        return _object(schema, root, depth)
    if kind == "array":
        return _array(schema, root, depth)
    if kind == "string":
        return _string(schema)
    if kind in ("integer", "number"):
        return _number(schema, integer=kind == "integer")
    if kind == "boolean":
        return True
    return None


def _types(schema: Mapping[str, Any]) -> list[str]:
    kind = schema.get("type")
    if isinstance(kind, str):
        return [kind]
    if isinstance(kind, list):
        return [t for t in kind if isinstance(t, str)]
    return []


def _object(schema: Mapping[str, Any], root: Mapping[str, Any], depth: int) -> dict[str, Any]:
    properties = schema.get("properties")
    properties = properties if isinstance(properties, Mapping) else {}
    required = [name for name in schema.get("required") or () if isinstance(name, str)]
    result: dict[str, Any] = {}
    for name in required:
        result[name] = _value(properties.get(name, {}), root, depth + 1) if depth < _MAX_DEPTH else None
    minimum = schema.get("minProperties")
    if isinstance(minimum, int) and depth < _MAX_DEPTH:
        for name, sub in properties.items():
            if len(result) >= minimum:
                break
            result.setdefault(name, _value(sub, root, depth + 1))
    return result


def _array(schema: Mapping[str, Any], root: Mapping[str, Any], depth: int) -> list[Any]:
    count = schema.get("minItems")
    count = min(count, MOST_ITEMS) if isinstance(count, int) and count > 0 else 1
    maximum = schema.get("maxItems")
    if isinstance(maximum, int):
        count = min(count, maximum)
    if depth >= _MAX_DEPTH:
        return []
    prefix = schema.get("prefixItems")
    if isinstance(prefix, list) and prefix:
        return [_value(item, root, depth + 1) for item in prefix]
    item = _value(schema.get("items", {}), root, depth + 1)
    if schema.get("uniqueItems") and count > 1 and isinstance(item, (int, float)) and not isinstance(item, bool):
        return [item + n for n in range(count)]
    return [item] * count


def _string(schema: Mapping[str, Any]) -> str:
    text = _FORMATS.get(str(schema.get("format")), "example")
    minimum, maximum = schema.get("minLength"), schema.get("maxLength")
    if isinstance(minimum, int) and len(text) < minimum:
        text = text + "x" * (min(minimum, MOST_CHARACTERS) - len(text))
    if isinstance(maximum, int) and len(text) > maximum:
        text = text[:maximum]
    return text


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
