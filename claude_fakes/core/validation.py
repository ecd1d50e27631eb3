"""The API's checks on a Messages request body: each problem worded as the API words its 400."""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any

from ..wire.models import MODELS
from . import conversation

__all__ = ["check_body", "output_limit"]


def output_limit(model: str) -> int:
    """The most output tokens the API allows ``model``: its own limit, or the largest known one."""
    for info in MODELS:
        if model == info.id or model.startswith(info.id + "-"):
            return info.max_tokens
    return max(info.max_tokens for info in MODELS)


def check_body(body: Mapping[str, Any], path: str, validate: bool) -> str | None:
    """What the API says is wrong with a request body (its 400 message), or None; ``validate=False``
    keeps only the checks no request can pass without (the body's shape), not the conversation's."""
    required = ("model", "messages") if path.endswith("count_tokens") else ("model", "max_tokens", "messages")
    for name in required:
        if name not in body:
            return f"{name}: Field required"
    if not isinstance(body["model"], str) or not body["model"]:
        return "model: Input should be a valid string"
    if "max_tokens" in required:
        max_tokens = body["max_tokens"]
        if isinstance(max_tokens, bool) or not isinstance(max_tokens, int) or max_tokens < 1:
            return "max_tokens: Input should be a valid integer greater than or equal to 1"
        limit = output_limit(body["model"])
        if validate and max_tokens > limit:
            return (f"max_tokens: {max_tokens} > {limit}, which is the maximum allowed number of output tokens "
                    f"for {body['model']}")
    messages = body["messages"]
    if not isinstance(messages, list) or not messages:
        return "messages: at least one message is required"
    for index, message in enumerate(messages):
        if not isinstance(message, dict) or message.get("role") not in ("user", "assistant"):
            return f"messages.{index}.role: Input should be 'user' or 'assistant'"
        if "content" not in message:
            return f"messages.{index}.content: Field required"
    if "stream" in body and not isinstance(body["stream"], bool):
        return "stream: Input should be a valid boolean"
    return conversation.problem(messages, thinking=body.get("thinking")) if validate else None
