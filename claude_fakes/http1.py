"""A plan performed as HTTP/1.1 bytes: the part the socket server and the in-memory aiohttp
connection share.

:func:`perform` walks an engine :class:`~claude_fakes.engine.Run` and turns each action into
bytes with h11 (the head, chunks, the final chunk) or into what a connection does (close, reset),
through a :class:`ByteWire` that the executor implements over a real socket or over an asyncio
protocol in memory. Silences are the wire's: real sleeps on a socket, loop timers in memory.
"""

from __future__ import annotations

from typing import Protocol

import h11

from .engine import Run
from .plan import CUT, END, FOREVER, GARBAGE, REFUSE, RESET, Head, Plan, Send
from .wire import GARBAGE_BYTES, reason


class ClientGone(Exception):
    """The client closed its side while the plan waited or wrote."""


class ByteWire(Protocol):
    """One server-side connection, as :func:`perform` drives it."""

    async def write(self, data: bytes) -> None:
        """Send bytes (raise :class:`ClientGone` if the client has left)."""

    async def silence(self, seconds: float | None) -> None:
        """Say nothing for ``seconds`` (None: until the client leaves); raise :class:`ClientGone` if it does."""

    async def close(self) -> None:
        """Close the connection after what was written (FIN)."""

    def reset(self) -> None:
        """Reset the connection (RST)."""

    def refuse(self) -> None:
        """Refuse the connection (a socket that already accepted it resets it)."""


def framing(plan: Plan) -> list[tuple[str, str]]:
    """Chunked when the body may stall or break (as streams are), else an exact content-length."""
    actions = plan.actions
    head_at = next(i for i, action in enumerate(actions) if isinstance(action, Head))
    body = actions[head_at + 1:]
    head = actions[head_at]
    assert isinstance(head, Head)
    if any(not isinstance(action, Send) for action in body):
        return [("transfer-encoding", "chunked")]
    if (head.header("content-type") or "").startswith("text/event-stream"):
        return [("transfer-encoding", "chunked")]
    return [("content-length", str(sum(len(action.data) for action in body if isinstance(action, Send))))]


async def perform(run: Run, connection: h11.Connection, wire: ByteWire) -> bool:
    """Perform ``run``'s plan on ``wire``; whether the connection can serve another request."""
    try:
        while True:
            step = run.next()
            if step.wait:
                run.silence_started()
                await wire.silence(step.wait)
            action = step.then
            if isinstance(action, Head):
                head = h11.Response(status_code=action.status, headers=[*action.headers, *framing(run.plan)],
                                    reason=reason(action.status))
                await wire.write(connection.send(head))
            elif isinstance(action, Send):
                if action.data:
                    await wire.write(connection.send(h11.Data(data=action.data)))
            elif action is END:
                await wire.write(connection.send(h11.EndOfMessage()))
                run.end(END)
                return True
            elif action is FOREVER:
                run.silence_started()
                await wire.silence(None)
            elif action is CUT:
                await wire.close()
                run.end(CUT)
                return False
            elif action is GARBAGE:
                await wire.write(GARBAGE_BYTES)
                await wire.close()
                run.end(GARBAGE)
                return False
            elif action is RESET:
                wire.reset()
                run.end(RESET)
                return False
            elif action is REFUSE:
                wire.refuse()
                run.end(REFUSE)
                return False
            else:
                raise AssertionError(f"unexpected plan action {action!r}")
    except ClientGone:
        run.client_gone()
        return False


