"""Scenario files: description, script over several lines, options; bad lines named by file and line."""

from __future__ import annotations

from pathlib import Path

import pytest

from claude_fakes import ClaudeFake
from claude_fakes.core.scenarios import SHIPPED, load_scenario, parse_scenario, scenario_names
from claude_fakes.script import ScriptError

TEXT = """# Two 529s and a cut stream: the SDK retries
# the 529s, not the cut.
gateway = vercel-edge
overloaded*2,
drop(after=3)   # the cut
ok;
# turn 2
ok
"""


def test_a_scenario_is_its_description_script_and_options() -> None:
    scenario = parse_scenario(TEXT, "mine.txt")
    assert scenario.description == "Two 529s and a cut stream: the SDK retries the 529s, not the cut."
    assert scenario.script == "overloaded*2, drop(after=3), ok; ok"
    assert scenario.options == {"gateway": "vercel-edge"}


@pytest.mark.parametrize(("line", "message"), [
    ("drop(after=x)", "mine.txt:2: drop(after=...) takes a whole number"),
    ("gateway = nowhere", "mine.txt:2: unknown gateway 'nowhere'; known: "),
    ("latency = slow", "mine.txt:2: unknown latency model 'slow'; known: none, realistic"),
    ("seed = -1", "mine.txt:2: seed takes a whole number, got '-1'"),
])
def test_a_bad_line_is_named_by_file_and_line(line: str, message: str) -> None:
    with pytest.raises(ScriptError, match="^" + message.replace("(", r"\(").replace(")", r"\)").replace(".", r"\.")):
        parse_scenario(f"ok\n{line}\n", "mine.txt")


def test_shipped_scenarios_load_by_name_and_files_by_path(tmp_path: Path) -> None:
    assert "serverless" in scenario_names()
    assert load_scenario("overloaded-529").script == "overloaded*2, ok"
    path = tmp_path / "mine.txt"
    path.write_text(TEXT)
    assert load_scenario(path).options == {"gateway": "vercel-edge"}
    with pytest.raises(ScriptError, match="no shipped scenario of that name; shipped: agent-loop, "):
        load_scenario("no-such")
    with pytest.raises(ScriptError, match="cannot read the scenario"):
        load_scenario(tmp_path / "missing.txt")


def test_every_shipped_description_is_whole_sentences() -> None:
    for name in scenario_names():
        description = load_scenario(name).description
        assert description.endswith((".", ")")), (name, description)
        assert (SHIPPED / f"{name}.txt").read_text().startswith("# ")


def test_a_fake_runs_a_scenario_and_its_options_give_way_to_its_own() -> None:
    fake = ClaudeFake(scenario="serverless")
    assert fake.gateway is not None and fake.gateway.name == "vercel-hobby"
    assert ClaudeFake(scenario="serverless", gateway="vercel-edge").gateway.name == "vercel-edge"  # type: ignore[union-attr]
    with pytest.raises(ValueError, match="a script or a scenario, not both"):
        ClaudeFake("ok", scenario="serverless")
