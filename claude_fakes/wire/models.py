"""The models the fake knows (package data: ``data/models.json``), as ``GET /v1/models`` lists them.

Each entry is one model as the Models API names it (``id``: the dated snapshot where there is one),
with the other names requests use for it: ``aliases`` (the Claude API's), ``bedrock`` and ``vertex``
(those platforms' ids). ``thinking`` lists the ``thinking.type`` values the model accepts and
``effort`` its effort levels; :meth:`ModelInfo.to_json` builds the Models API's ``capabilities``
from them. Users extend or override the table with entries of the same shape (:meth:`ModelTable.merged`).
"""

from __future__ import annotations

import functools
import json
import re
from collections.abc import Iterable, Mapping
from dataclasses import dataclass, field, fields
from importlib import resources
from pathlib import Path
from typing import Any, TypeAlias

__all__ = ["DEFAULT_MODELS", "ModelInfo", "ModelTable", "ModelsSource", "models_table"]

_THINKING_TYPES = ("adaptive", "between_tools", "disabled", "enabled")
_EFFORT_LEVELS = ("low", "medium", "high", "xhigh", "max")
_PLAIN_CAPABILITIES = ("batch", "citations", "code_execution", "image_input", "pdf_input", "structured_outputs")
_CONTEXT_STRATEGIES = ("clear_thinking_20251015", "clear_tool_uses_20250919", "compact_20260112")
# A Bedrock cross-region inference profile prefixes the model id with its geography (us.anthropic.…).
_BEDROCK_PROFILE = re.compile(r"(?:[a-z]{2,6}\.)?(?P<id>anthropic\..+)")


def _supported(flag: bool) -> dict[str, bool]:
    return {"supported": flag}


@dataclass(frozen=True)
class ModelInfo:
    """One model of the table; every field but the first five is optional in a user's entry."""

    id: str
    display_name: str
    created_at: str
    max_input_tokens: int
    max_tokens: int
    line: str | None = None
    lifecycle: str = "active"
    aliases: tuple[str, ...] = ()
    bedrock: tuple[str, ...] = ()
    vertex: tuple[str, ...] = ()
    thinking: tuple[str, ...] = ("adaptive", "enabled", "disabled")
    effort: tuple[str, ...] = ("low", "medium", "high", "max")
    capabilities: Mapping[str, Any] = field(default_factory=dict)
    """Capabilities that replace the ones built from the other fields, key by key."""

    @classmethod
    def of(cls, entry: Mapping[str, Any]) -> ModelInfo:
        """An entry from JSON; a missing required field or an unknown one is a ValueError naming it."""
        names = {f.name for f in fields(cls)}
        unknown = sorted(set(entry) - names)
        if unknown:
            raise ValueError(f"model entry {entry.get('id', entry)!r}: unknown field(s) {', '.join(unknown)}; "
                             f"known: {', '.join(sorted(names))}")
        missing = [name for name in ("id", "display_name", "created_at", "max_input_tokens", "max_tokens")
                   if name not in entry]
        if missing:
            raise ValueError(f"model entry {entry.get('id', entry)!r}: missing {', '.join(missing)}")
        for name in ("max_input_tokens", "max_tokens"):
            if type(entry[name]) is not int or entry[name] < 1:
                raise ValueError(f"model entry {entry['id']!r}: {name} takes a whole number of tokens, "
                                 f"got {entry[name]!r}")
        values: dict[str, Any] = {name: tuple(value) if isinstance(value, list) else value
                                  for name, value in entry.items()}
        return cls(**values)

    @property
    def names(self) -> tuple[str, ...]:
        """Every name a request may give this model: its id, aliases and platform ids."""
        return (self.id, *self.aliases, *self.bedrock, *self.vertex)

    def to_json(self) -> dict[str, Any]:
        """The model as the Models API returns it (``anthropic.types.ModelInfo``)."""
        thinking = {kind: _supported(kind in self.thinking) for kind in _THINKING_TYPES}
        effort: dict[str, Any] = {level: _supported(level in self.effort) for level in _EFFORT_LEVELS}
        capabilities: dict[str, Any] = {name: _supported(True) for name in _PLAIN_CAPABILITIES}
        capabilities.update({
            "context_management": {"supported": True, **{name: _supported(True) for name in _CONTEXT_STRATEGIES}},
            "effort": {"supported": bool(self.effort), **effort},
            "server_tools": {"supported": True, "code_execution": _supported(True), "web_search": _supported(True)},
            "thinking": {"supported": "adaptive" in self.thinking or "enabled" in self.thinking, "types": thinking},
        })
        capabilities.update(self.capabilities)
        return {
            "type": "model",
            "id": self.id,
            "display_name": self.display_name,
            "created_at": self.created_at,
            "lifecycle": self.lifecycle,
            "line": self.line,
            "deprecated_at": None,
            "retires_at": None,
            "max_input_tokens": self.max_input_tokens,
            "max_tokens": self.max_tokens,
            "capabilities": capabilities,
        }


ModelsSource: TypeAlias = str | Path | Iterable[Mapping[str, Any] | ModelInfo]
"""Models to merge over a table: a JSON file's path (a list of entries), or the entries themselves."""


@dataclass(frozen=True)
class ModelTable:
    """The models a fake knows, newest first, as ``GET /v1/models`` lists them."""

    models: tuple[ModelInfo, ...]

    @functools.cached_property
    def _by_name(self) -> dict[str, ModelInfo]:
        # Every request resolves its model (twice: the notes and the output limit): a dict, not a scan.
        found: dict[str, ModelInfo] = {}
        for model in self.models:
            for name in model.names:
                found.setdefault(name, model)
        return found

    @functools.cached_property
    def most_output(self) -> int:
        """The most output tokens any model in the table writes in one reply."""
        return max((model.max_tokens for model in self.models), default=0)

    def resolve(self, name: str) -> ModelInfo | None:
        """The model a request's ``model`` names (an id, an alias, a Bedrock or Vertex id), or None."""
        known = self._by_name.get(name)
        if known is not None:
            return known
        match = _BEDROCK_PROFILE.fullmatch(name.rsplit("/", 1)[-1])  # an ARN ends in /<id>
        return self._by_name.get(match["id"]) if match else None

    def merged(self, source: ModelsSource | None) -> ModelTable:
        """This table with ``source``'s entries added; an entry with a known id replaces that model."""
        if source is None:
            return self
        if isinstance(source, (str, Path)):
            try:
                source = json.loads(Path(source).read_text(encoding="utf-8"))
            except (OSError, ValueError) as err:
                raise ValueError(f"models file {str(source)!r}: {err}") from None
            if not isinstance(source, list):
                raise ValueError("a models file holds a JSON list of model entries")
        given = [entry if isinstance(entry, ModelInfo) else ModelInfo.of(_mapping(entry)) for entry in source]
        ids = {model.id for model in given}
        combined = [*given, *(model for model in self.models if model.id not in ids)]
        # Newest first by release time; the sort is stable, so models released together keep their order.
        combined.sort(key=lambda model: model.created_at, reverse=True)
        return ModelTable(tuple(combined))

    def page(self, after_id: str | None, before_id: str | None, limit: int) -> dict[str, Any]:
        """One page of GET /v1/models, paginated by id as the SDK's SyncPage expects."""
        ids = [model.id for model in self.models]
        start, stop = 0, len(ids)
        if after_id is not None:
            start = ids.index(after_id) + 1 if after_id in ids else len(ids)
        if before_id is not None:
            stop = ids.index(before_id) if before_id in ids else 0
            start = max(start, stop - limit)
        chosen = self.models[start:stop][:limit]
        data = [model.to_json() for model in chosen]
        return {
            "data": data,
            "first_id": data[0]["id"] if data else None,
            "last_id": data[-1]["id"] if data else None,
            "has_more": start + len(chosen) < stop if before_id is None else start > 0,
        }


def _mapping(entry: object) -> Mapping[str, Any]:
    if not isinstance(entry, Mapping):
        raise ValueError(f"a model entry is a JSON object (or a ModelInfo), got {entry!r}")
    return entry


def _load_defaults() -> ModelTable:
    text = resources.files(__package__).joinpath("data/models.json").read_text(encoding="utf-8")
    return ModelTable(()).merged(json.loads(text))


DEFAULT_MODELS = _load_defaults()
"""The package's table: the Claude API's models as of the package's release (docs/facts.md, Models)."""


def models_table(source: ModelsSource | ModelTable | None) -> ModelTable:
    """The table a fake uses: the defaults, with ``source`` (a table as it is) merged over them."""
    return source if isinstance(source, ModelTable) else DEFAULT_MODELS.merged(source)
