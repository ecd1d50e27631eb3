"""The models the fake knows, as ``GET /v1/models`` lists them."""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any


@dataclass(frozen=True)
class ModelInfo:
    id: str
    display_name: str
    created_at: str
    max_input_tokens: int
    max_tokens: int

    def to_json(self) -> dict[str, Any]:
        return {
            "type": "model",
            "id": self.id,
            "display_name": self.display_name,
            "created_at": self.created_at,
            "lifecycle": "active",
            "max_input_tokens": self.max_input_tokens,
            "max_tokens": self.max_tokens,
        }


MODELS: tuple[ModelInfo, ...] = (
    ModelInfo("claude-opus-4-7", "Claude Opus 4.7", "2026-04-16T00:00:00Z", 1_000_000, 128_000),
    ModelInfo("claude-sonnet-4-6", "Claude Sonnet 4.6", "2026-02-17T00:00:00Z", 1_000_000, 64_000),
    ModelInfo("claude-haiku-4-5", "Claude Haiku 4.5", "2025-10-15T00:00:00Z", 200_000, 64_000),
    ModelInfo("claude-opus-4-1", "Claude Opus 4.1", "2025-08-05T00:00:00Z", 200_000, 32_000),
    ModelInfo("claude-sonnet-4-5", "Claude Sonnet 4.5", "2025-09-29T00:00:00Z", 200_000, 64_000),
)
"""Newest first, as GET /v1/models lists them."""


def models_page(after_id: str | None, before_id: str | None, limit: int) -> dict[str, Any]:
    """One page of GET /v1/models, paginated by id as the SDK's SyncPage expects."""
    ids = [model.id for model in MODELS]
    start, stop = 0, len(MODELS)
    if after_id is not None:
        start = ids.index(after_id) + 1 if after_id in ids else len(ids)
    if before_id is not None:
        stop = ids.index(before_id) if before_id in ids else 0
        start = max(start, stop - limit)
    chosen = MODELS[start:stop][:limit]
    data = [model.to_json() for model in chosen]
    return {
        "data": data,
        "first_id": data[0]["id"] if data else None,
        "last_id": data[-1]["id"] if data else None,
        "has_more": start + len(chosen) < stop if before_id is None else start > 0,
    }
