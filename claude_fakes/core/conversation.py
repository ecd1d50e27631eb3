"""What the API checks in a conversation before the model sees it, and what a loop's history shows.

An agent loop sends the whole history every turn: the model's ``tool_use`` blocks, and the
application's ``tool_result`` blocks answering them. The real API rejects a history in which a
``tool_use`` has no ``tool_result`` in the very next message (what an interrupted or retried turn
leaves behind), and one whose ``tool_result`` answers no ``tool_use`` of the message before it,
with 400 ``invalid_request_error`` and the messages below (as the API words them; public bug
reports quote them verbatim). With thinking on, a turn that a ``tool_result`` continues must keep
its thinking: the assistant message the results answer starts with its ``thinking`` (or
``redacted_thinking``) block, and a thinking block sent back keeps its ``signature``. Pure
functions of the request JSON.
"""

from __future__ import annotations

import hashlib
import itertools
import json
from collections.abc import Iterator, Mapping, Sequence
from dataclasses import dataclass
from typing import Any

__all__ = ["THINKING_FIRST", "Orphan", "answered", "duplicate_results", "orphans", "problem", "thinking_problem",
           "turn_key"]


@dataclass(frozen=True)
class Orphan:
    """``tool_use`` ids in ``messages[index]`` that the next message does not answer."""

    index: int
    ids: tuple[str, ...]

    def message(self) -> str:
        return (f"messages.{self.index}: `tool_use` ids were found without `tool_result` blocks immediately after: "
                f"{', '.join(self.ids)}. Each `tool_use` block must have a corresponding `tool_result` block in "
                "the next message.")


# Parsed JSON is dicts: each check tests for one by its exact type before the abstract one, since an
# agent loop's every request is checked whole, its history included.


def _blocks(message: Any) -> list[Mapping[str, Any]]:
    content = message.get("content") if type(message) is dict or isinstance(message, Mapping) else None
    if not isinstance(content, list):
        return []
    return [block for block in content if type(block) is dict or isinstance(block, Mapping)]


def _role(message: Any) -> Any:
    return message.get("role") if type(message) is dict or isinstance(message, Mapping) else None


def _tool_use_ids(message: Any) -> list[str]:
    if _role(message) != "assistant":
        return []
    return [str(block.get("id")) for block in _blocks(message) if block.get("type") == "tool_use"]


def _results(message: Any) -> Iterator[tuple[int, Mapping[str, Any]]]:
    if _role(message) != "user":
        return
    for index, block in enumerate(_blocks(message)):
        if block.get("type") == "tool_result":
            yield index, block


def _unanswered(ids: Sequence[str], following: Any) -> tuple[str, ...]:
    """The ``tool_use`` ids that the message ``following`` their message does not answer."""
    answered_ids = {str(block.get("tool_use_id")) for _, block in _results(following)}
    return tuple(tool_id for tool_id in ids if tool_id not in answered_ids)


def _exchanged(messages: Sequence[Any]) -> list[tuple[int, Any]]:
    """The user and assistant messages, with their indices in ``messages``.

    ``role: "system"`` messages (a beta Claude Code sends) are left out of the tool pairing: where
    one may stand between a ``tool_use`` and its ``tool_result`` is not documented, and the fake
    rejects only what the API documents as rejected."""
    return [(index, message) for index, message in enumerate(messages) if _role(message) != "system"]


def orphans(messages: Sequence[Any]) -> list[Orphan]:
    """Every assistant message whose ``tool_use`` ids the next message leaves unanswered (a last
    assistant message is a prefill: the model would continue it, so it is not checked)."""
    found = []
    for (index, message), (_, following) in itertools.pairwise(_exchanged(messages)):
        ids = _tool_use_ids(message)
        missing = _unanswered(ids, following) if ids else ()
        if missing:
            found.append(Orphan(index, missing))
    return found


THINKING_FIRST = (
    "messages.{index}.content.0.type: Expected `thinking` or `redacted_thinking`, but found `{found}`. When "
    "`thinking` is enabled, a final `assistant` message must start with a thinking block (preceeding the lastmost "
    "set of `tool_use` and `tool_result` blocks). We recommend you include thinking blocks from previous turns. To "
    "avoid this requirement, disable `thinking`. Please consult our documentation at "
    "https://docs.claude.com/en/docs/build-with-claude/extended-thinking"
)
"""The API's words (``preceeding`` is theirs) for a tool continuation whose thinking was dropped."""


def _thinking_on(thinking: Any) -> bool:
    # Only manual thinking: with ``adaptive`` the model may skip thinking (the adaptive-thinking page), so a
    # turn that starts with its tool call is one the API itself sends, and must take back (Claude Code's loop).
    return isinstance(thinking, Mapping) and thinking.get("type") == "enabled"


def thinking_problem(messages: Sequence[Any], thinking: Any) -> str | None:
    """The 400 for thinking the history lost: a thinking block sent back without its ``signature``;
    with manual ``thinking`` on, a last message of ``tool_result`` blocks answering an assistant message
    that does not start with its thinking."""
    for index, message in enumerate(messages):
        if _role(message) != "assistant":
            continue
        for position, block in enumerate(_blocks(message)):
            if block.get("type") == "thinking" and "signature" not in block:
                return f"messages.{index}.content.{position}.thinking.signature: Field required"
    if not _thinking_on(thinking) or len(messages) < 2 or next(_results(messages[-1]), None) is None:
        return None
    index = len(messages) - 2
    final = messages[index]
    if _role(final) != "assistant":
        return None
    content = final.get("content")
    blocks = _blocks(final)
    found = "text" if isinstance(content, str) else blocks[0].get("type") if blocks else None
    if found is None or found in ("thinking", "redacted_thinking"):
        return None
    return THINKING_FIRST.format(index=index, found=found)


def problem(messages: Sequence[Any], *, thinking: Any = None) -> str | None:
    """The 400 message the API gives this history, or None when it accepts it: the first broken
    message, in order, each message's ``tool_use`` ids read once; then what
    :func:`thinking_problem` finds (``thinking``: the request's)."""
    issued: list[str] = []
    exchanged = _exchanged(messages)
    for number, (index, message) in enumerate(exchanged):
        for position, block in _results(message):
            tool_id = block.get("tool_use_id")
            if tool_id not in issued:
                return (f"messages.{index}.content.{position}: unexpected `tool_use_id` found in `tool_result` "
                        f"blocks: {tool_id}. Each `tool_result` block must have a corresponding `tool_use` block in "
                        "the previous message.")
        issued = _tool_use_ids(message)
        following = exchanged[number + 1][1] if number + 1 < len(exchanged) else None
        missing = _unanswered(issued, following) if issued and following is not None else ()
        if missing:
            return Orphan(index, missing).message()
    return thinking_problem(messages, thinking)


def answered(messages: Sequence[Any]) -> list[tuple[str, str]]:
    """Every ``tool_result`` in the history: its ``tool_use_id`` and its content as canonical JSON."""
    return [(str(block.get("tool_use_id")), json.dumps(block.get("content"), sort_keys=True))
            for message in messages for _, block in _results(message)]


def duplicate_results(answers: Sequence[tuple[str, str]]) -> list[str]:
    """``tool_use`` ids that one history's ``answers`` (:func:`answered`) answer more than once."""
    seen: dict[str, int] = {}
    for tool_id, _ in answers:
        seen[tool_id] = seen.get(tool_id, 0) + 1
    return [tool_id for tool_id, count in seen.items() if count > 1]


def last_results(messages: Sequence[Any]) -> list[str]:
    """The ``tool_use`` ids the last message answers."""
    return [str(block.get("tool_use_id")) for _, block in _results(messages[-1])] if messages else []


def text_of(content: Any) -> str:
    """The text of a message's content (a string, or its text blocks), or of a system prompt."""
    if isinstance(content, str):
        return content
    if isinstance(content, list):
        return "\n".join(str(block.get("text", "")) for block in content
                         if isinstance(block, Mapping) and block.get("type") == "text")
    return ""


def last_user_text(messages: Sequence[Any]) -> str:
    for message in reversed(messages):
        if _role(message) == "user":
            return text_of(message.get("content"))
    return ""


def turn_key(messages: Any) -> str:
    """What identifies a turn: its ``messages`` (retries of one call resend them unchanged, in the
    same key order, so the JSON text needs no sorting), as a digest of their JSON text: a fake that
    numbers thousands of turns keeps 32 characters for each, not each conversation."""
    return hashlib.blake2b(_compact(messages).encode(), digest_size=16).hexdigest()


_compact = json.JSONEncoder(separators=(",", ":"), ensure_ascii=False, check_circular=False).encode
