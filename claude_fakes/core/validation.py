"""The API's checks on a Messages request: each problem worded as the API words its 400.

Two kinds. :func:`check_body` finds what the API documents as rejected (a missing field,
``max_tokens`` above the model's output limit, a broken conversation): always a 400.
:func:`unknowns` finds what the fake does not know but the API may (a model, a beta, a field,
a role or block type newer than the fake): a note in the journal by default, since the fake's
knowledge may be stale; the API's own error under ``api_strict``.
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass
from typing import Any

from ..wire.models import ModelTable
from . import conversation

__all__ = ["KNOWN_BETAS", "KNOWN_BLOCK_TYPES", "KNOWN_FIELDS", "KNOWN_ROLES", "Unknown", "check_body",
           "output_limit", "unknowns"]

KNOWN_FIELDS = frozenset({
    # MessageCreateParams of anthropic 2.16 (Messages and beta Messages), and of 0.125 (sampling, output_format).
    "billing_policy", "cache_control", "compaction", "container", "context_management", "diagnostics",
    "fallback_credit_token", "fallbacks", "inference_geo", "max_tokens", "mcp_servers", "messages", "metadata",
    "model", "output_config", "output_format", "service_tier", "speed", "stop_sequences", "stream", "system",
    "temperature", "thinking", "thread", "tool_choice", "tools", "top_k", "top_p", "user_profile_id",
    "workspace_id",
    # Bedrock and Vertex carry the API version in the body.
    "anthropic_version",
})
"""Top-level Messages request fields (sources: docs/facts.md, "What the fake knows of the API")."""

KNOWN_BETAS = frozenset({
    # AnthropicBetaParam of anthropic 2.16 and 0.125 (types/anthropic_beta_param.py).
    "admin-user-sign-out-2026-10-08", "advisor-tool-2026-03-01", "agent-memory-2026-07-22",
    "analytics-usage-cost-2026-08-24", "cache-diagnosis-2026-04-07", "ce-claude-code-managed-settings-2026-10-06",
    "ce-plugins-2026-09-01", "ce-user-management-2026-07-13", "code-execution-2025-05-22", "compact-2026-01-12",
    "compact-2026-09-04", "computer-use-2024-10-22", "computer-use-2025-01-24", "computer-use-2025-11-24",
    "context-1m-2025-08-07", "context-management-2025-06-27", "dev-full-thinking-2025-05-14", "dreaming-2026-04-21",
    "efs-2026-10-01", "experimental-claude-tag-2026-10-21", "extended-cache-ttl-2025-04-11",
    "fallback-credit-2026-06-01", "fallback-credit-2026-07-01", "fast-mode-2026-02-01", "files-api-2025-04-14",
    "google-managed-data-controls-2026-09-01", "inline-tools-2026-09-15", "interleaved-thinking-2025-05-14",
    "managed-agents-2026-04-01", "mcp-client-2025-04-04", "mcp-client-2025-11-20", "mcp-client-2026-09-15",
    "mcp-tunnels-2026-06-22", "message-batches-2024-09-24", "message-threads-2026-08-12",
    "mid-conversation-output-config-2026-07-01", "mid-conversation-system-clear-at-2026-08-21",
    "mid-conversation-tool-changes-2026-07-01", "model-context-window-exceeded-2025-08-26",
    "output-128k-2025-02-19", "output-300k-2026-03-24", "pdfs-2024-09-25", "prompt-caching-2024-07-31",
    "server-side-fallback-2026-06-01", "server-side-fallback-2026-07-01", "skills-2025-10-02",
    "spend-limit-reads-2026-09-26", "structured-outputs-2025-11-13", "task-budgets-2026-03-13",
    "telemetry-destinations-2026-08-11", "thinking-binding-controls-2026-08-01",
    "thinking-display-updates-2026-08-18", "thinking-token-count-2026-05-13", "token-counting-2024-11-01",
    "token-efficient-tools-2025-02-19", "user-profiles-2026-03-24", "user-profiles-2026-08-18",
    "user-profiles-2026-09-04", "user-profiles-billing-2026-10-01", "webhooks-2026-10-07",
    # Claude Code sends these too (captured requests, /work reference api-2026.md).
    "claude-code-20250219", "advanced-tool-use-2025-11-20", "effort-2025-11-24",
    # anthropic 0.125 adds this one itself to structured-output beta calls (resources/beta/messages/messages.py).
    "structured-outputs-2025-12-15",
})
"""``anthropic-beta`` values the fake knows."""

KNOWN_ROLES = frozenset({"user", "assistant", "system"})
"""Message roles: ``system`` is the beta's ``BetaSystemMessageParam`` (Claude Code sends it)."""

KNOWN_BLOCK_TYPES = frozenset({
    # The ``type`` of every request block param in anthropic 2.16 (types/beta/beta_*_param.py).
    "advisor_redacted_result", "advisor_result", "advisor_tool_result", "advisor_tool_result_error",
    "bash_code_execution_output", "bash_code_execution_result", "bash_code_execution_tool_result",
    "bash_code_execution_tool_result_error", "browser_state", "code_execution_output", "code_execution_result",
    "code_execution_tool_result", "code_execution_tool_result_error", "compaction", "container_upload", "document",
    "encrypted_code_execution_result", "fallback", "image", "mcp_tool_listing", "mcp_tool_result", "mcp_tool_use",
    "redacted_thinking", "search_result", "server_tool_use", "text",
    "text_editor_code_execution_create_result", "text_editor_code_execution_str_replace_result",
    "text_editor_code_execution_tool_result", "text_editor_code_execution_tool_result_error",
    "text_editor_code_execution_view_result", "thinking", "tool_addition", "tool_reference", "tool_removal",
    "tool_result", "tool_search_tool_result", "tool_search_tool_result_error", "tool_search_tool_search_result",
    "tool_use", "web_fetch_result", "web_fetch_tool_result", "web_fetch_tool_result_error", "web_search_result",
    "web_search_tool_result", "web_search_tool_result_error",
})
"""Content block types a request may carry."""


@dataclass(frozen=True)
class Unknown:
    """Something in a request the fake does not know: its journal note, and the API's error for it
    (``status``, ``error_type``, ``message``) that ``api_strict`` answers with."""

    note: str
    status: int
    error_type: str
    message: str


def output_limit(model: str, models: ModelTable) -> int | None:
    """The most output tokens the API allows ``model``, or None for a model the table does not know."""
    info = models.resolve(model)
    return info.max_tokens if info is not None else None


def check_body(body: Mapping[str, Any], path: str, validate: bool, models: ModelTable) -> str | None:
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
        limit = output_limit(body["model"], models)
        if validate and limit is not None and max_tokens > limit:
            return (f"max_tokens: {max_tokens} > {limit}, which is the maximum allowed number of output tokens "
                    f"for {body['model']}")
    messages = body["messages"]
    if not isinstance(messages, list) or not messages:
        return "messages: at least one message is required"
    for index, message in enumerate(messages):
        if not isinstance(message, dict):
            return f"messages.{index}: Input should be a valid dictionary"
        # A role the fake does not know is one of unknowns(): the API may know it; none at all is malformed.
        if not isinstance(message.get("role"), str):
            return f"messages.{index}.role: Field required"
        if "content" not in message:
            return f"messages.{index}.content: Field required"
    if "stream" in body and not isinstance(body["stream"], bool):
        return "stream: Input should be a valid boolean"
    return conversation.problem(messages, thinking=body.get("thinking")) if validate else None


def unknowns(body: Mapping[str, Any], headers: Mapping[str, str], models: ModelTable) -> list[Unknown]:
    """What in a well-formed request (see :func:`check_body`) the fake does not know, in request order."""
    found: list[Unknown] = []
    model = body.get("model")
    if isinstance(model, str) and models.resolve(model) is None:
        found.append(Unknown(f"unknown model {model!r}", 404, "not_found_error", f"model: {model}"))
    betas = [beta.strip() for beta in headers.get("anthropic-beta", "").split(",") if beta.strip()]
    for beta in betas:
        if beta not in KNOWN_BETAS:
            found.append(Unknown(f"unknown beta {beta!r}", 400, "invalid_request_error",
                                 f"Unexpected value(s) `{beta}` for the `anthropic-beta` header. Please consult our "
                                 "documentation at docs.claude.com or try again without the header."))
    for name in body:
        if name not in KNOWN_FIELDS:
            found.append(Unknown(f"unknown field {name!r}", 400, "invalid_request_error",
                                 f"{name}: Extra inputs are not permitted"))
    for index, message in enumerate(body.get("messages") or ()):
        if not isinstance(message, Mapping):
            continue
        role = message.get("role")
        if role not in KNOWN_ROLES:
            found.append(Unknown(f"unknown role {role!r} in messages.{index}", 400, "invalid_request_error",
                                 f"messages.{index}.role: Input should be 'user' or 'assistant'"))
        content = message.get("content")
        for number, block in enumerate(content if isinstance(content, list) else ()):
            kind = block.get("type") if type(block) is dict or isinstance(block, Mapping) else None  # dict: fast
            if kind not in KNOWN_BLOCK_TYPES:
                found.append(Unknown(f"unknown block type {kind!r} in messages.{index}.content.{number}", 400,
                                     "invalid_request_error",
                                     f"messages.{index}.content.{number}.type: Input tag {kind!r} found using "
                                     "'type' does not match any of the expected tags"))
    return found
