"""Message threads (beta ``message-threads-2026-08-12``): the conversations the API holds for a client.

A request with ``thread: {"type": "create"}`` asks the API to hold its conversation under the
reply's ``id``; one with ``{"type": "continue", "previous_message_id": ID}`` sends only the new
messages (none, to resume a ``pause_turn``) and leaves out ``system`` and ``tools``, which the
thread keeps. :class:`Threads` resolves such a request into the whole conversation, so the
conversation checks, turn keys, routes and replies see what the model would see, and answers an
unusable ``previous_message_id`` with the API's documented errors. It holds no clock: each call is
given the time. Facts and the fake's choices: docs/facts.md, "Message threads".
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass, replace
from typing import Any

__all__ = ["ALREADY_CONTINUED", "CONTINUE_IN_FLIGHT", "EXPIRY_SECONDS", "FINGERPRINT_MISMATCH", "MOST_REPLIES",
           "NOT_FOUND", "ThreadError", "ThreadTurn", "Threads"]

EXPIRY_SECONDS = 300.0
"""A thread expires this long after its last request (DESIGN.md §9; the issue quotes the API)."""
MOST_REPLIES = 1_000
"""Replies a fake holds for threads to continue from; past it the oldest is forgotten (as if its thread
had expired), so that a fake serving for days holds a bounded memory."""
KEPT_FIELDS = ("system", "tools")
"""The fields a thread keeps from its ``create``: a ``continue`` leaves them out (the SDK's
``CREATE_ONLY_FIELDS``)."""


@dataclass(frozen=True)
class ThreadError:
    """A documented thread error: HTTP status, ``error.type``, ``error.details.error_code``, message."""

    status: int
    error_type: str
    error_code: str
    message: str


# The messages are the SDK's docstrings of each error's type (the API's own wording is not published).
NOT_FOUND = ThreadError(404, "not_found_error", "thread_not_found",
                        'No usable Thread state was found for `previous_message_id`. Replay the full conversation '
                        'with `thread: {"type": "create"}` to start a new Thread.')
ALREADY_CONTINUED = ThreadError(400, "invalid_request_error", "thread_already_continued",
                                "The response that `previous_message_id` names has already been continued, and each "
                                "response can be continued only once. Continue from the Thread's most recent "
                                "response `id`.")
CONTINUE_IN_FLIGHT = ThreadError(400, "invalid_request_error", "thread_continue_in_flight",
                                 "Another request is still continuing from the same `previous_message_id`. Wait for "
                                 "it to complete and continue from its response `id`, or replay the full "
                                 'conversation with `thread: {"type": "create"}`.')
FINGERPRINT_MISMATCH = ThreadError(400, "invalid_request_error", "thread_fingerprint_mismatch",
                                   "A field that must stay the same across a Thread's turns differs from the value "
                                   "stored with the Thread: {fields}. Send the stored values, or replay the full "
                                   'conversation with `thread: {{"type": "create"}}` to change them.')


@dataclass
class _Thread:
    kept: dict[str, Any]
    """The create's ``system`` and ``tools``, those it sent."""
    last_request: float
    lost: bool = False
    """Forgotten before its time (a ``thread_lost`` or ``thread_expired`` fault)."""

    def usable(self, now: float) -> bool:
        return not self.lost and now - self.last_request < EXPIRY_SECONDS


@dataclass
class _Stored:
    """A reply the API holds: a ``continue`` naming its id resumes after it."""

    thread: _Thread
    history: tuple[Any, ...]
    """Every message up to and including the reply."""
    continuing: ThreadTurn | None = None
    continued: bool = False


@dataclass
class ThreadTurn:
    """One threaded request, resolved: the whole conversation, or the error the API answers it with."""

    body: Mapping[str, Any]
    """The request as the model sees it: the thread's history before the new messages, and its
    kept fields. For a thread the API cannot serve, whatever of it is known (for turn keys)."""
    error: ThreadError | None = None
    thread: _Thread | None = None
    previous: _Stored | None = None
    """The reply a ``continue`` resumes after."""
    replied: bool = False


class Threads:
    """The threads one fake holds, by the ids of their replies."""

    def __init__(self) -> None:
        self._stored: dict[str, _Stored] = {}

    def resolve(self, body: Any, now: float) -> ThreadTurn | None:
        """The request ``body`` as the model sees it, or None when it names no thread.

        A ``continue`` that finds its reply starts continuing from it (until :meth:`end`) and counts
        as a request on its thread (which then expires :data:`EXPIRY_SECONDS` later)."""
        if not isinstance(body, Mapping):
            return None
        thread = body.get("thread")
        if not isinstance(thread, Mapping) or thread.get("type") not in ("create", "continue"):
            return None
        if thread.get("type") == "create":
            kept = {name: body[name] for name in KEPT_FIELDS if name in body}
            return ThreadTurn(body, thread=_Thread(kept, now))
        stored = self._stored.get(str(thread.get("previous_message_id")))
        if stored is None:
            return ThreadTurn(body, NOT_FOUND)
        messages = body.get("messages")
        sent = messages if isinstance(messages, list) else []
        full = {**stored.thread.kept, **body, "messages": [*stored.history, *sent]}
        turn = ThreadTurn(full, thread=stored.thread, previous=stored)
        if not stored.thread.usable(now):
            turn.error = NOT_FOUND
            return turn
        changed = [f"`{name}`" for name in KEPT_FIELDS if name in body and body[name] != stored.thread.kept.get(name)]
        if changed:
            turn.error = replace(FINGERPRINT_MISMATCH,
                                 message=FINGERPRINT_MISMATCH.message.format(fields=" and ".join(changed)))
        elif stored.continued:
            turn.error = ALREADY_CONTINUED
        elif stored.continuing is not None:
            turn.error = CONTINUE_IN_FLIGHT
        else:
            stored.continuing = turn
        stored.thread.last_request = now
        return turn

    def lose(self, turn: ThreadTurn) -> None:
        """Forget the thread ``turn`` continues, as the API does once it lost or expired it."""
        if turn.previous is not None:
            turn.previous.thread.lost = True
            self.end(turn, delivered=False)

    def replied(self, turn: ThreadTurn, message: Mapping[str, Any]) -> None:
        """The API answered ``turn`` with ``message`` (Message JSON): the thread now holds it."""
        if turn.thread is None or turn.error is not None:
            return
        reply = {"role": "assistant", "content": message.get("content", [])}
        # The body passed the API's checks before any reply: its messages are a list.
        stored = self._stored
        stored[str(message.get("id"))] = _Stored(turn.thread, (*turn.body["messages"], reply))
        if len(stored) > MOST_REPLIES:
            del stored[next(iter(stored))]
        turn.replied = True

    def end(self, turn: ThreadTurn, *, delivered: bool) -> None:
        """``turn``'s exchange ended; ``delivered``: its reply reached the client whole, so the reply
        it continued from is continued for good (else a retry may continue from it again)."""
        previous = turn.previous
        if previous is None or previous.continuing is not turn:
            return
        previous.continuing = None
        if delivered and turn.replied:
            previous.continued = True

