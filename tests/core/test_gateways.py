"""core/gateways.py: a gateway rewrites a plan where it runs past the gateway's limits."""

from __future__ import annotations

import math

import pytest

from claude_fakes.core import plan as plan_module
from claude_fakes.core.gateways import GATEWAYS, Gateway, gateway_from
from claude_fakes.core.plan import CUT, SPELLED_PIECES, Head, Plan, Response, Send, Wait

from .test_plan import arrivals

HEAD = Head(200, (("content-type", "text/event-stream"),))


def test_a_plan_within_the_limits_is_unchanged() -> None:
    plan = Plan.of(Wait(3), HEAD, Send(b"a"), Wait(3), Send(b"b"))
    assert GATEWAYS["vercel-hobby"].apply(plan) == plan


def test_silence_past_the_total_before_the_head_is_the_gateways_own_reply() -> None:
    plan = GATEWAYS["vercel-hobby"].apply(Plan.of(Wait(30), HEAD, Send(b"a")))
    assert plan.actions[0] == Wait(10)
    head = plan.actions[1]
    assert isinstance(head, Head) and head.status == 504
    assert head.header("x-vercel-error") == "FUNCTION_INVOCATION_TIMEOUT"
    assert plan.actions[2] == Send(GATEWAYS["vercel-hobby"].body)


def test_running_past_the_total_after_the_head_cuts_the_stream() -> None:
    plan = GATEWAYS["vercel-hobby"].apply(Plan.of(Wait(4), HEAD, Send(b"a"), Wait(10), Send(b"b")))
    assert plan.actions == (Wait(4), HEAD, Send(b"a"), Wait(6), CUT)


def test_an_idle_limit_applies_to_each_silence_not_their_sum() -> None:
    cloudflare = GATEWAYS["cloudflare"]
    busy = Plan.of(HEAD, *(item for _ in range(5) for item in (Wait(90), Send(b"x"))))
    assert cloudflare.apply(busy) == busy
    assert cloudflare.apply(Plan.of(Wait(math.inf))).actions[1] == Head(524, (
        ("content-type", "text/html; charset=UTF-8"),))


def test_a_first_byte_limit_ends_once_the_head_is_sent() -> None:
    edge = GATEWAYS["vercel-edge"]
    assert edge.apply(Plan.of(Wait(26), HEAD)).head.status == 504  # type: ignore[union-attr]
    streaming = Plan.of(Wait(20), HEAD, Wait(200), Send(b"a"))
    assert edge.apply(streaming) == streaming


def test_a_buffering_gateway_holds_the_body_until_it_is_complete() -> None:
    plan = Gateway("buffer", buffers=True).apply(Plan.of(Wait(1), HEAD, Send(b"a"), Wait(2), Send(b"b")))
    assert plan.actions == (Wait(3), HEAD, Send(b"a"), Send(b"b"))


def test_a_buffering_gateway_times_out_on_the_held_body() -> None:
    plan = GATEWAYS["aws-api-gateway"].apply(Plan.of(HEAD, Send(b"a"), Wait(40), Send(b"b")))
    assert plan.head is not None and plan.head.status == 504 and plan.actions[0] == Wait(29)


def test_gateway_from_a_name_or_itself() -> None:
    custom = Gateway("mine", total=1)
    assert gateway_from(custom) is custom and gateway_from(None) is None
    assert gateway_from("cloudflare") is GATEWAYS["cloudflare"]
    with pytest.raises(ValueError, match="unknown gateway 'nginx'"):
        gateway_from("nginx")


LONG = 3 * SPELLED_PIECES


def long_stream(gap: float) -> Response:
    """A stream of ``LONG`` events, ``gap`` seconds apart, with one long silence midway."""
    return Response(0.0, HEAD, [(150.0 if n == LONG // 2 else gap, Send(b"e%d" % n, 1)) for n in range(LONG)])


@pytest.mark.parametrize("gateway", [*GATEWAYS.values(), Gateway("buffer", buffers=True)], ids=lambda g: g.name)
@pytest.mark.parametrize("gap", [0.0, 0.02, 0.1], ids=["quiet", "paced", "slow"])
def test_a_gateway_cuts_a_long_body_where_it_cuts_the_same_body_spelled_out(gateway: Gateway, gap: float,
                                                                            monkeypatch: pytest.MonkeyPatch) -> None:
    behind = gateway.apply(long_stream(gap).whole())
    monkeypatch.setattr(plan_module, "SPELLED_PIECES", 10 * LONG)
    assert arrivals(behind) == arrivals(gateway.apply(long_stream(gap).whole()))


def test_a_long_body_within_the_limits_is_left_as_it_is() -> None:
    plan = Response(0.0, HEAD, [(0.0, Send(b"e", 1))] * LONG).whole()
    assert GATEWAYS["cloudflare"].apply(plan) == plan and Gateway("buffer", buffers=True).apply(plan) == plan
