"""claude_fakes/faults.py and the README against the fault catalogue: the builders are generated from it,
and every table that names faults names them all."""

from __future__ import annotations

import inspect
import math
import re
from pathlib import Path

import pytest

from claude_fakes import faults
from claude_fakes._builders import COMMAND, render
from claude_fakes.core.catalogue import ALIASES, FAULTS, chaos_choices, describe
from claude_fakes.core.step import Step
from claude_fakes.script import parse_script

README = (Path(__file__).parent.parent / "README.md").read_text()


def test_faults_py_is_what_the_catalogue_generates() -> None:
    if Path(faults.__file__).read_text() != render():
        pytest.fail(f"claude_fakes/faults.py is out of date with the catalogue: run {COMMAND}")


def test_every_fault_has_a_builder_with_the_same_parameters() -> None:
    assert sorted(faults.__all__) == sorted(FAULTS)
    for name, fault in FAULTS.items():
        builder = getattr(faults, name)
        taken = [(p.name, p.default, p.kind is p.KEYWORD_ONLY) for p in inspect.signature(builder).parameters.values()
                 if p.kind is not p.VAR_KEYWORD]
        expected = [(p.name, inspect.Parameter.empty if p.required else p.default, p.keyword_only)
                    for p in fault.params]
        if fault.takes_reply:
            expected.append(("reply", None, bool(fault.params)))
        assert taken == expected, name
        assert inspect.cleandoc(builder.__doc__ or "") == fault.doc, name


def test_rate_limited_retry_after_none_sends_no_retry_after() -> None:
    assert faults.rate_limited()["retry_after"] == 1
    assert faults.rate_limited(retry_after=None) == parse_script("rate_limited(retry_after=none)")[0]


def test_each_builder_makes_the_step_its_script_text_makes() -> None:
    for name, fault in FAULTS.items():
        if fault.draws:
            assert faults.chaos(overloaded=0.5) == parse_script("chaos(overloaded=0.5)")[0]
            continue
        examples = {"count": 2, "duration": 3, "status": 503, "word": "get_weather"}
        required = {p.name: examples[p.kind] for p in fault.params if p.required}
        text = name + (f"({', '.join(f'{key}={value}' for key, value in required.items())})" if required else "")
        assert getattr(faults, name)(**required) == parse_script(text)[0], name


def test_the_readme_action_table_lists_the_whole_catalogue() -> None:
    table = README.split("| action | on the wire | what an SDK user sees |", 1)[1].split("\n\n", 1)[0]
    first_column = [line.split("|")[1] for line in table.splitlines()[2:]]
    named = {re.match(r"`(\w+)", cell.strip()).group(1) for row in first_column  # type: ignore[union-attr]
             for cell in row.split(",") if cell.strip().startswith("`")}
    assert named == set(FAULTS)


def test_chaos_picks_only_faults_that_need_no_arguments_it_cannot_draw() -> None:
    for name in chaos_choices():
        fault = FAULTS[name]
        assert fault.chaos
        assert all(not p.required or p.name in ("after", "seconds") for p in fault.params), name
    assert "ok" not in chaos_choices() and "chaos" not in chaos_choices() and "status" not in chaos_choices()


def test_help_text_and_aliases_come_from_the_catalogue() -> None:
    assert list(describe()) == list(FAULTS)
    stall = describe()["stall"]
    assert stall.startswith("stall(after, seconds, ping_every=none) [+ thinking=, text=, tool=, input=]: "), stall
    assert all(target in FAULTS for target in ALIASES.values())
    assert Step.make("hang") * math.inf == parse_script("hang*inf")[0]
