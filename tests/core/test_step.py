"""core/step.py: Step.make validates against the catalogue, and a step prints back as script text."""

from __future__ import annotations

import math
import random
from typing import Any

import pytest

from claude_fakes.core import replies
from claude_fakes.core.replies import Reply, TextBlock, text, tool_use
from claude_fakes.core.script import parse_script
from claude_fakes.core.step import CHAOS_AFTER_MAX, CHAOS_STALLS, ScriptError, Step, pick_chaos, show


def test_defaults_are_filled_in_catalogue_order() -> None:
    step = Step.make("error_event")
    assert step.args == (("after", 0), ("type", "overloaded_error"), ("message", None))
    assert step.count == 1 and step.reply is None


def test_values_are_converted_to_their_kind() -> None:
    step = Step.make("stall", after="3", seconds="500ms", ping_every=2)
    assert (step["after"], step["seconds"], step["ping_every"]) == (3, 0.5, 2.0)
    assert Step.make("hang", close_after="inf")["close_after"] == math.inf


def test_an_alias_makes_the_canonical_action() -> None:
    assert Step.make("overloaded_error") == Step.make("overloaded")


def test_getitem_names_a_missing_argument() -> None:
    with pytest.raises(KeyError, match="nope"):
        Step.make("ok")["nope"]


@pytest.mark.parametrize(("action", "params", "argument", "fragment"), [
    ("drop", {"afterr": 1}, "afterr", "did you mean 'after'?"),
    ("drop", {"after": -1}, "after", "whole number >= 0"),
    ("drop", {"after": True}, "after", "whole number >= 0"),
    ("status", {"code": 200}, "code", "from 400 to 599"),
    ("stall", {"after": 0, "seconds": "10 parsecs"}, "seconds", "with a unit"),
    ("slow", {"tps": 0}, "tps", "number > 0"),
    ("error_event", {"type": "overloaded"}, "type", "did you mean 'overloaded_error'?"),
    ("proxy_error", {"body": "htm"}, "body", "did you mean 'html'?"),
    ("ok", {"input": "{}"}, "input", "needs tool=..."),
    ("chaos", {"dorp": 0.5}, "dorp", "did you mean 'drop'?"),
    ("chaos", {"drop": 2}, "drop", "probability from 0 to 1"),
], ids=["misspelt-argument", "negative-count", "bool-count", "status-not-an-error", "duration-unit",
        "zero-rate", "error-type", "choice", "input-without-tool", "chaos-misspelt-fault", "chaos-probability"])
def test_an_invalid_argument_is_named_with_a_suggestion(action: str, params: dict[str, Any], argument: str,
                                                        fragment: str) -> None:
    with pytest.raises(ScriptError) as caught:
        Step.make(action, **params)
    assert caught.value.argument == argument
    assert fragment in str(caught.value)


@pytest.mark.parametrize(("action", "params", "fragment"), [
    ("dorp", {}, "did you mean 'drop'?"),
    ("drop", {}, "drop needs after=..."),
    ("refuse", {"reply": text("hi")}, "takes no reply"),
    ("chaos", {}, "at least one fault"),
    ("chaos", {"drop": 0.6, "overloaded": 0.6}, "more than 1"),
], ids=["unknown-action", "missing-required", "reply-on-a-fault-without-content", "empty-chaos", "chaos-over-one"])
def test_an_invalid_step_says_what_would_be_accepted(action: str, params: dict[str, Any], fragment: str) -> None:
    with pytest.raises(ScriptError, match=fragment.replace("?", r"\?").replace(".", r"\.")):
        Step.make(action, **params)


@pytest.mark.parametrize(("count", "expected"), [(3, 3), (2.0, 2), (math.inf, math.inf), ("inf", math.inf)],
                         ids=["int", "whole-float", "inf", "inf-word"])
def test_a_step_times_a_count_covers_that_many_attempts(count: Any, expected: float) -> None:
    assert (Step.make("overloaded") * count).count == expected
    assert (count * Step.make("overloaded")).count == expected


@pytest.mark.parametrize("count", [0, 1.5, True, "3", -1], ids=["zero", "fraction", "bool", "string", "negative"])
def test_a_count_that_is_no_whole_number_of_attempts_is_refused(count: Any) -> None:
    with pytest.raises(ScriptError, match="whole number >= 1"):
        Step.make("overloaded") * count


def test_counts_multiply() -> None:
    assert (Step.make("ok") * 2 * 3).count == 6


@pytest.mark.parametrize("text_form", [
    "ok", "overloaded*3", "drop(after=3)*inf", "stall(after=1, seconds=0.5)", "rate_limited(retry_after=20)",
    'ok(text="a, \\"b\\"\\n")', "error_event(after=2, type=api_error)", "status(code=418)",
    "ok(thinking=hmm, text=done)", r'ok(tool=get_weather, input="{\"city\":\"Paris\"}")',
    "chaos(drop=0.2, overloaded=0.1)", "hang(close_after=inf)",
], ids=lambda text_form: text_form[:24])
def test_str_round_trips_through_the_parser(text_form: str) -> None:
    (step,) = parse_script(text_form)
    assert str(step) == text_form
    assert parse_script(str(step)) == (step,)


def test_a_reply_script_text_cannot_say_is_shown_as_a_reply() -> None:
    step = Step.make("ok", reply=tool_use("t", {}, id="toolu_fixed"))
    assert str(step).startswith("ok(reply=")


@pytest.mark.parametrize(("value", "shown"), [(True, "true"), (2.0, "2"), (0.25, "0.25"), (math.inf, "inf"),
                                               ("plain_word.1", "plain_word.1"), ("two words", '"two words"'),
                                               ("tab\there", '"tab\\there"'), ("\x01", '"\\x01"')],
                         ids=["bool", "whole-float", "fraction", "inf", "word", "spaces", "tab", "control"])
def test_show_quotes_only_what_needs_quoting(value: Any, shown: str) -> None:
    assert show(value) == shown


def picks(seed: int, n: int = 40) -> list[Step]:
    chaos = Step.make("chaos", drop=0.3, stall=0.3, overloaded=0.2)
    rng = random.Random(seed)
    return [pick_chaos(chaos, rng) for _ in range(n)]


def test_chaos_picks_are_the_same_for_the_same_seed_and_differ_for_another() -> None:
    assert picks(1) == picks(1)
    assert picks(1) != picks(2)


def test_chaos_picks_only_its_faults_or_ok_with_bounded_arguments() -> None:
    chosen = picks(3, n=200)
    assert {step.action for step in chosen} == {"drop", "stall", "overloaded", "ok"}
    assert all(0 <= step["after"] <= CHAOS_AFTER_MAX for step in chosen if step.action in ("drop", "stall"))
    assert {step["seconds"] for step in chosen if step.action == "stall"} <= set(CHAOS_STALLS)


def test_chaos_with_certainty_always_picks_that_fault() -> None:
    certain = Step.make("chaos", refuse=1)
    rng = random.Random(0)
    assert {pick_chaos(certain, rng).action for _ in range(20)} == {"refuse"}


def test_an_action_whose_own_argument_is_tool_takes_only_thinking_and_text() -> None:
    step = Step.make("server_tool_error", tool="web_fetch", code="url_not_allowed", text="Could not fetch it.")
    assert step["tool"] == "web_fetch" and step.reply == Reply((TextBlock("Could not fetch it."),))
    assert str(step) == 'server_tool_error(tool=web_fetch, code=url_not_allowed, text="Could not fetch it.")'
    with pytest.raises(ScriptError, match="has no argument 'input'"):
        Step.make("pause_turn", input="{}")


def test_a_reply_with_a_stop_is_shown_as_a_reply() -> None:
    step = Step.make("ok", reply=replies.text("Hi") + replies.refusal("cyber"))
    assert str(step).startswith("ok(reply=text('Hi') + stop('refusal'")


@pytest.mark.parametrize("script", ["rate_limited(retry_after=inf, retry_after_date=true)",
                                    "overloaded(retry_after=31536001)", "status(code=429, retry_after_ms=31536000001)"])
def test_a_retry_after_past_a_year_is_refused_when_the_script_is_set(script: str) -> None:
    with pytest.raises(ScriptError, match="takes at most"):
        parse_script(script)
