"""core/threads.py: creating and continuing message threads, their expiry, and the API's errors."""

from __future__ import annotations

from typing import Any

import pytest

from claude_fakes.core import threads as threads_module
from claude_fakes.core.threads import (
    ALREADY_CONTINUED,
    CONTINUE_IN_FLIGHT,
    EXPIRY_SECONDS,
    NOT_FOUND,
    Threads,
    ThreadTurn,
)

TOOLS = [{"name": "get_weather", "input_schema": {"type": "object"}}]
ASK = {"role": "user", "content": "Weather in Paris?"}
RESULT = {"role": "user", "content": [{"type": "tool_result", "tool_use_id": "toolu_1", "content": "sunny"}]}
CALL = [{"type": "tool_use", "id": "toolu_1", "name": "get_weather", "input": {}}]


def create(threads: Threads, now: float = 0.0, reply_id: str = "msg_1") -> ThreadTurn:
    """A thread created at ``now`` whose first reply (a tool call) is ``reply_id``, delivered."""
    turn = threads.resolve({"model": "m", "system": "Be brief.", "tools": TOOLS, "messages": [ASK],
                            "thread": {"type": "create"}}, now)
    assert turn is not None and turn.error is None
    threads.replied(turn, {"id": reply_id, "content": CALL})
    threads.end(turn, delivered=True)
    return turn


def continue_from(threads: Threads, now: float, previous: str = "msg_1", messages: list[Any] | None = None,
                  **fields: Any) -> ThreadTurn:
    body = {"model": "m", "messages": [RESULT] if messages is None else messages,
            "thread": {"type": "continue", "previous_message_id": previous}, **fields}
    turn = threads.resolve(body, now)
    assert turn is not None
    return turn


def test_a_request_without_a_thread_is_not_resolved() -> None:
    threads = Threads()
    assert threads.resolve({"model": "m", "messages": [ASK]}, 0.0) is None
    assert threads.resolve({"model": "m", "messages": [ASK], "thread": {"type": "other"}}, 0.0) is None
    assert threads.resolve([], 0.0) is None


def test_a_continue_sees_the_whole_conversation_and_the_threads_system_and_tools() -> None:
    threads = Threads()
    create(threads)
    turn = continue_from(threads, 10.0)
    assert turn.error is None
    assert turn.body["messages"] == [ASK, {"role": "assistant", "content": CALL}, RESULT]
    assert (turn.body["system"], turn.body["tools"]) == ("Be brief.", TOOLS)


def test_a_paused_turn_continues_with_no_new_messages() -> None:
    threads = Threads()
    create(threads)
    turn = continue_from(threads, 1.0, messages=[])
    assert turn.error is None and turn.body["messages"] == [ASK, {"role": "assistant", "content": CALL}]


def test_an_unknown_reply_id_is_thread_not_found_with_what_was_sent() -> None:
    turn = continue_from(Threads(), 0.0, previous="msg_unknown")
    assert turn.error == NOT_FOUND and (turn.error.status, turn.error.error_code) == (404, "thread_not_found")
    assert turn.body["messages"] == [RESULT]


def test_a_thread_expires_five_minutes_after_its_last_request() -> None:
    threads = Threads()
    create(threads, now=0.0)
    failed = continue_from(threads, EXPIRY_SECONDS - 1)
    assert failed.error is None  # a request on the thread: its five minutes start again
    threads.end(failed, delivered=False)
    assert continue_from(threads, 2 * EXPIRY_SECONDS - 2).error is None
    expired = continue_from(threads, 3 * EXPIRY_SECONDS - 2)
    assert expired.error == NOT_FOUND
    # What the thread held still gives the turn its key and routes the whole conversation.
    assert len(expired.body["messages"]) == 3


def test_a_reply_is_continued_once() -> None:
    threads = Threads()
    create(threads)
    first = continue_from(threads, 1.0)
    assert continue_from(threads, 2.0).error == CONTINUE_IN_FLIGHT
    threads.replied(first, {"id": "msg_2", "content": []})
    threads.end(first, delivered=True)
    assert continue_from(threads, 3.0).error == ALREADY_CONTINUED
    assert continue_from(threads, 4.0, previous="msg_2", messages=[ASK]).error is None


def test_a_continue_that_failed_may_be_sent_again() -> None:
    threads = Threads()
    create(threads)
    failed = continue_from(threads, 1.0)
    threads.end(failed, delivered=False)  # a 529, a dropped connection: the SDK retries the same continue
    assert continue_from(threads, 2.0).error is None


def test_a_lost_thread_is_not_found_from_then_on() -> None:
    threads = Threads()
    create(threads)
    threads.lose(continue_from(threads, 1.0))
    assert continue_from(threads, 2.0).error == NOT_FOUND


def test_a_continue_that_changes_system_or_tools_is_a_fingerprint_mismatch() -> None:
    threads = Threads()
    create(threads)
    assert continue_from(threads, 1.0, system="Be brief.").error is None  # the same value: accepted
    threads = Threads()
    create(threads)
    error = continue_from(threads, 1.0, system="Be long.", tools=[]).error
    assert error is not None and (error.status, error.error_code) == (400, "thread_fingerprint_mismatch")
    assert "`system` and `tools`" in error.message


def test_a_refused_or_failed_request_stores_no_reply() -> None:
    threads = Threads()
    turn = continue_from(threads, 0.0, previous="msg_unknown")
    threads.replied(turn, {"id": "msg_9", "content": []})
    assert continue_from(threads, 1.0, previous="msg_9").error == NOT_FOUND


def test_a_fake_holds_its_latest_replies_and_forgets_the_oldest(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setattr(threads_module, "MOST_REPLIES", 2)
    threads = Threads()
    for reply in ("msg_1", "msg_2", "msg_3"):
        create(threads, reply_id=reply)
    assert continue_from(threads, 1.0, "msg_1").error is NOT_FOUND, "forgotten, as if expired"
    assert continue_from(threads, 1.0, "msg_3").error is None
