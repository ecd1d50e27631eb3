"""Gateways: the proxy or serverless platform between the client and the API, and its limits.

The seed document's "upstream proxy timeout" and serverless sections: Vercel, Cloudflare and
API gateways end requests on their own clocks, shorter than the SDK's 600 s. A gateway rewrites
a plan (sans-I/O, so both executors show the same cut): where the plan runs past the gateway's
total duration, or stays silent longer than its idle limit, the gateway answers for the API
with its own status and body if nothing was sent yet, and drops the connection if the response
had already begun. A buffering gateway (API Gateway REST) holds the whole body back until the
API has finished, so a "streamed" reply arrives all at once, at the end.
"""

from __future__ import annotations

import math
from dataclasses import dataclass

from .plan import CUT, Action, Body, Head, Plan, Send, Wait


@dataclass(frozen=True)
class Gateway:
    name: str
    total: float | None = None
    """Longest a request may last, from arrival to the last byte."""
    idle: float | None = None
    """Longest silence the gateway tolerates from the API, before or during the response."""
    first_byte: float | None = None
    """Longest wait, from arrival, for the response to begin (Vercel Edge: 25 s, then streaming may go on)."""
    status: int = 504
    content_type: str = "text/plain; charset=utf-8"
    body: bytes = b""
    headers: tuple[tuple[str, str], ...] = ()
    buffers: bool = False
    """Holds the response body until it is complete (no streaming through it)."""

    def apply(self, plan: Plan) -> Plan:
        """The plan as the client sees it behind this gateway."""
        actions = self._buffered(plan.actions) if self.buffers else list(plan.actions)
        out: list[Action] = []
        elapsed = 0.0
        silence = 0.0
        """How long the API has been silent so far (a long body's first silence goes on from a wait before it)."""
        head_sent = False
        for action in actions:
            if isinstance(action, Wait):
                allowed = self._allowed(elapsed, silence, head_sent)
                if action.seconds > allowed:
                    return self._give_up(out, allowed, head_sent)
                elapsed += action.seconds
                silence += action.seconds
                out.append(action)
                continue
            if isinstance(action, Body) and action.silent:
                for index in range(action.start, action.stop):
                    gap = action.gap(index)
                    allowed = self._allowed(elapsed, silence, head_sent)
                    if gap > allowed:
                        if index > action.start:
                            out.append(action.between(action.start, index))
                        return self._give_up(out, allowed, head_sent)
                    elapsed += gap
                    silence = 0.0
            elif isinstance(action, Head):
                head_sent = True
            silence = 0.0
            out.append(action)
        return Plan.of(*out)

    def _allowed(self, elapsed: float, silence: float, head_sent: bool) -> float:
        """The longest the API may stay silent now, after ``elapsed`` in all and ``silence`` of quiet."""
        return min(_left(self.total, elapsed), _left(self.idle, silence),
                   math.inf if head_sent else _left(self.first_byte, elapsed))

    def _give_up(self, out: list[Action], waited: float, head_sent: bool) -> Plan:
        """The gateway stops waiting after ``waited`` more: it drops a response that began, or answers for the API."""
        ending: list[Action] = [CUT] if head_sent else [self._reply_head(), Send(self.body)]
        return Plan.of(*out, Wait(waited), *ending)

    def _reply_head(self) -> Head:
        return Head(self.status, (("content-type", self.content_type), *self.headers))

    @staticmethod
    def _buffered(actions: tuple[Action, ...]) -> list[Action]:
        """Every silence of the body moved before the head: nothing leaves until the end."""
        if not any(isinstance(action, Head) for action in actions):
            return list(actions)
        head_at = next(i for i, action in enumerate(actions) if isinstance(action, Head))
        body = actions[head_at + 1:]
        held = sum(action.seconds for action in body if isinstance(action, (Wait, Body)))
        kept = [action.unpaced() if isinstance(action, Body) and action.silent else action
                for action in body if not isinstance(action, Wait)]
        return [*actions[:head_at], Wait(held), actions[head_at], *kept]


def _left(limit: float | None, used: float) -> float:
    return math.inf if limit is None else max(0.0, limit - used)


_VERCEL_BODY = b"An error occurred with your deployment\n\nFUNCTION_INVOCATION_TIMEOUT\n"
_VERCEL_EDGE_BODY = b"An error occurred with your deployment\n\nEDGE_FUNCTION_INVOCATION_TIMEOUT\n"

GATEWAYS: dict[str, Gateway] = {
    gateway.name: gateway
    for gateway in (
        Gateway("vercel-hobby", total=10, status=504, body=_VERCEL_BODY,
                headers=(("x-vercel-error", "FUNCTION_INVOCATION_TIMEOUT"),)),
        Gateway("vercel-pro", total=60, status=504, body=_VERCEL_BODY,
                headers=(("x-vercel-error", "FUNCTION_INVOCATION_TIMEOUT"),)),
        Gateway("vercel-edge", total=300, first_byte=25, status=504, body=_VERCEL_EDGE_BODY,
                headers=(("x-vercel-error", "EDGE_FUNCTION_INVOCATION_TIMEOUT"),)),
        Gateway("cloudflare", idle=100, status=524, content_type="text/html; charset=UTF-8",
                body=b"error code: 524"),
        Gateway("aws-api-gateway", total=29, status=504, content_type="application/json",
                body=b'{"message": "Endpoint request timed out"}', headers=(("x-amzn-errortype",
                                                                            "IntegrationTimeout"),),
                buffers=True),
    )
}
"""Vercel functions (Hobby 10 s, Pro 60 s, the seed's figures); Vercel Edge functions (the first
byte within 25 s, then streaming for up to 300 s: the seed's "edge functions with streaming");
Cloudflare's proxy (100 s without a byte from the origin: 524, or a dropped stream); AWS API
Gateway REST (29 s integration timeout, buffered)."""


def gateway_from(value: str | Gateway | None) -> Gateway | None:
    if value is None or isinstance(value, Gateway):
        return value
    if value not in GATEWAYS:
        raise ValueError(f"unknown gateway {value!r}; known: {', '.join(GATEWAYS)}, or a claude_fakes.Gateway(...)")
    return GATEWAYS[value]
