"""The script grammar, the Python builders, and the errors a bad script gets."""

from __future__ import annotations

import math

import pytest

from claude_fakes import ScriptError, Step, faults, replies
from claude_fakes.core.catalogue import FAULTS
from claude_fakes.script import parse_script, to_steps


def test_steps_in_order_with_counts() -> None:
    steps = parse_script("overloaded*2, ok")
    assert [(s.action, s.count) for s in steps] == [("overloaded", 2), ("ok", 1)]


def test_empty_script_means_ok_for_everything() -> None:
    assert parse_script("") == ()
    assert parse_script("   ") == ()


def test_arguments_are_typed_and_defaults_filled() -> None:
    (step,) = parse_script("stall(after=2, seconds=700)")
    assert step["after"] == 2 and step["seconds"] == 700.0
    (step,) = parse_script("error_event(after=1)")
    assert step["type"] == "overloaded_error"


@pytest.mark.parametrize(
    ("text", "seconds"),
    [("30", 30.0), ("30s", 30.0), ("500ms", 0.5), ("10m", 600.0), ("1h", 3600.0), ("1.5", 1.5), ("inf", math.inf)],
)
def test_durations_take_units(text: str, seconds: float) -> None:
    (step,) = parse_script(f"stall(after=0, seconds={text})")
    assert step["seconds"] == seconds


def test_inf_count_and_whitespace() -> None:
    (step,) = parse_script("  hang * inf  ")
    assert step.count == math.inf


def test_quoted_text_with_commas_and_escapes() -> None:
    (step,) = parse_script('ok(text="Hi, \\"there\\"")')
    assert step.reply == replies.text('Hi, "there"')


def test_error_types_are_actions_and_aliases() -> None:
    assert parse_script("overloaded_error")[0].action == "overloaded"
    assert parse_script("rate_limit_error")[0].action == "rate_limited"
    assert parse_script("not_found_error")[0].fault.status == 404


def test_status_arguments() -> None:
    (step,) = parse_script("rate_limited(retry_after=20, should_retry=false, message='slow down')")
    assert (step["retry_after"], step["should_retry"], step["message"]) == (20.0, False, "slow down")
    assert parse_script("rate_limited")[0]["retry_after"] == 1.0
    assert parse_script("rate_limited(retry_after=none)")[0]["retry_after"] is None


def test_builders_make_the_same_steps_as_text() -> None:
    assert faults.overloaded() * 2 == parse_script("overloaded*2")[0]
    assert faults.stall(after=2, seconds="700s") == parse_script("stall(after=2, seconds=700)")[0]
    assert faults.rate_limited(retry_after=20) == parse_script("rate_limited(retry_after=20)")[0]
    assert faults.hang() * "inf" == parse_script("hang*inf")[0]
    assert faults.status(503) == parse_script("status(code=503)")[0]


def test_steps_print_back_as_script_text() -> None:
    text = 'overloaded*2, stall(after=2, seconds=0.5), ok(text="a, b"), hang*inf'
    steps = parse_script(text)
    assert ", ".join(map(str, steps)) == text
    assert parse_script(", ".join(map(str, steps))) == steps


def test_a_reply_is_a_step_and_replies_combine() -> None:
    reply = replies.thinking("hmm") + replies.tool_use("get_weather", {"city": "Paris"})
    assert [type(b).__name__ for b in reply.blocks] == ["ThinkingBlock", "ToolUseBlock"]
    assert reply.stop_reason == "tool_use"
    (step,) = to_steps([reply * 2])
    assert (step.action, step.count, step.reply) == ("ok", 2, reply)


def test_misspelt_action_names_the_position_the_text_and_the_known_actions() -> None:
    with pytest.raises(ScriptError) as info:
        parse_script("overlaoded")
    message = str(info.value)
    assert "unknown action 'overlaoded'" in message
    assert "did you mean 'overloaded'" in message
    assert "position 0" in message
    for action in FAULTS:
        assert action in message


def test_bad_count_points_at_it() -> None:
    with pytest.raises(ScriptError) as info:
        parse_script("ok*x")
    assert info.value.position == 3
    assert "repeat count" in str(info.value) and "'x'" in str(info.value)
    assert "  ok*x\n     ^ (position 3)" in str(info.value)


def test_position_of_an_error_in_a_later_step() -> None:
    with pytest.raises(ScriptError) as info:
        parse_script("ok, drop(aftr=3)")
    assert info.value.position == 9
    expected = "drop has no argument 'aftr' (did you mean 'after'?); it takes after, thinking, text, tool, input"
    assert expected in str(info.value)


@pytest.mark.parametrize(
    ("text", "fragment"),
    [
        ("drop", "drop needs after=..."),
        ("stall(after=2)", "stall needs seconds=..."),
        ("stall(after=2, seconds=soon)", "a number of seconds, or with a unit"),
        ("drop(after=-1)", "whole number >= 0"),
        ("status(code=200)", "from 400 to 599"),
        ("error_event(type=overload_error)", "did you mean 'overloaded_error'"),
        ("ok,", "expected an action"),
        ("ok ok", "',' between steps"),
        ("drop(after=3", "the '(' of drop at position 4 is never closed: expected ')' at the end of the script"),
        ("drop(after=3, ok", "the '(' of drop at position 4 is never closed: expected ')' before 'ok'"),
        ("drop(after=3, ok; hang", "expected ')' before 'ok'"),
        ("stall(after=2, seconds=3; ok", "the '(' of stall at position 5 is never closed: expected ')' before ';'"),
        ("drop(after=3 ok)", "a whole number"),
        ("refuse(after=1)", "refuse has no argument 'after'; it takes no arguments"),
        ("drop(after=1, after=2)", "after= twice"),
        ("ok(text='open", "unterminated string"),
        ("ok*0", "repeat count"),
        ("overloaded(should_retry=maybe)", "true or false"),
    ],
)
def test_bad_scripts_say_what_and_where(text: str, fragment: str) -> None:
    with pytest.raises(ScriptError) as info:
        parse_script(text)
    assert fragment in str(info.value)
    assert info.value.position is not None


def test_builder_errors_are_clear() -> None:
    with pytest.raises(ScriptError, match="drop needs after"):
        Step.make("drop")
    with pytest.raises(ScriptError, match="takes no reply"):
        Step.make("hang", reply=replies.text("x"))
    with pytest.raises(ScriptError, match="whole number >= 1"):
        faults.hang() * 0
    with pytest.raises(TypeError, match="strings, faults"):
        from claude_fakes.script import to_steps

        to_steps([42])  # type: ignore[list-item]
