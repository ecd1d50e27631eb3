"""The README's examples work as pasted."""

from __future__ import annotations

import re
import socket
from pathlib import Path

import pytest

from claude_fakes.cli import main
from claude_fakes.executors.server import ADMIN_PREFIX, ENDPOINTS
from claude_fakes.server import FakeServer

from .sdk import ON_HTTPX2

README = (Path(__file__).parent.parent / "README.md").read_text()


def python_blocks() -> list[str]:
    return re.findall(r"```python\n(.*?)```", README, flags=re.S)


AGENT_SDK = "from claude_agent_sdk import"
"""Blocks that run Claude Code need the Agent SDK and a network of loopback only: scripts/test-agents runs
them (:func:`test_every_agent_block_runs_as_pasted`)."""


def as_installed(block: str) -> str:
    """The block as its comments say to write it for the installed SDK generation."""
    if ON_HTTPX2:
        return block
    return block.replace("import httpx2 as httpx", "import httpx").replace("httpx2_mock", "respx_mock")


def test_the_minimal_example_comes_first() -> None:
    assert "def test_survives_overload(claude_fake)" in python_blocks()[0]


@pytest.mark.parametrize("number", [n for n, block in enumerate(python_blocks()) if AGENT_SDK not in block])
def test_every_python_block_runs_as_pasted(pytester: pytest.Pytester, monkeypatch: pytest.MonkeyPatch,
                                           number: int) -> None:
    """A test module passes under plain pytest (no asyncio_mode set); any other block runs as a script."""
    block = as_installed(python_blocks()[number])
    if "def test_" not in block:
        result = pytester.runpython(pytester.makepyfile(example=block))
        assert result.ret == 0, result.stderr.str()
        return
    pytester.makeini("[pytest]\nasyncio_default_fixture_loop_scope = function\n")
    pytester.makepyfile(test_example=block)
    runs: list[tuple[str, ...]] = [()]
    server = FakeServer(script="ok(text=The report says all is well)*inf")
    if "claude_cassette" in block:
        # As the README says to: record once (here from the project's own server, as the client's base
        # URL), then replay with nothing to record from.
        monkeypatch.setenv("ANTHROPIC_BASE_URL", server.run_in_thread().url)
        runs = [("--claude-record=once",), ()]
    try:
        for options in runs:
            result = pytester.runpytest("-p", "no:cacheprovider", "-p", "no:randomly", "-q", *options)
            outcomes = result.parseoutcomes()
            assert outcomes.get("passed", 0) >= 1 and not outcomes.get("failed") and not outcomes.get("errors"), (
                result.stdout.str())
            server.stop_thread()
    finally:
        server.stop_thread()


def test_every_example_is_named_in_the_cookbook() -> None:
    examples = Path(__file__).parent.parent / "examples"
    files = sorted(path.name for path in examples.glob("test_*.py"))
    assert len(files) >= 10
    for name in files:
        assert f"| `examples/{name}`" in README, f"README's cookbook does not name examples/{name}"


def test_links_work_on_a_package_index() -> None:
    """The README is the package's description: a relative link would point nowhere there."""
    relative = [link for link in re.findall(r"\]\(([^)]+)\)", README) if not link.startswith(("https://", "#"))]
    assert relative == []


def test_the_signatures_shown_are_the_real_ones() -> None:
    import inspect

    from claude_fakes import ClaudeFake

    parameters = inspect.signature(ClaudeFake).parameters.values()
    shown = ", ".join(("*, " if p.kind is p.KEYWORD_ONLY and i == 1 else "") + f"{p.name}={p.default!r}"
                      for i, p in enumerate(parameters))
    assert f"ClaudeFake({shown})" in " ".join(README.split())


@pytest.mark.parametrize("marker", ["claude_fake", "claude_faults", "claude_explore", "claude_cassette"])
def test_each_marker_is_shown_with_the_signature_pytest_shows(marker: str) -> None:
    from claude_fakes.plugin.settings import MARKERS

    signature, _ = MARKERS[marker]
    shown = " ".join(README.split()).replace("\\|", "|")
    assert signature in shown, f"README does not show the marker as pytest --markers does: {signature}"


def test_the_script_error_shown_is_the_real_one() -> None:
    from claude_fakes.script import ScriptError, parse_script

    with pytest.raises(ScriptError) as info:
        parse_script("ok*x")
    assert f"ScriptError: {info.value}" in README


def test_the_timeline_shown_is_the_real_one() -> None:
    import anthropic

    from claude_fakes import ClaudeFake

    from .sdk import ON_HTTPX2, REQUEST

    with ClaudeFake("hang*3") as fake:
        with pytest.raises(anthropic.APITimeoutError):
            anthropic.Anthropic().messages.create(**REQUEST)
    timeline = fake.timeline()
    if not ON_HTTPX2:
        timeline = timeline.replace("httpx.ReadTimeout", "httpx2.ReadTimeout")
    assert timeline in README


def test_the_verdict_shown_is_the_real_one() -> None:
    from claude_fakes import ClaudeFake

    from .test_verdict import retry_every_second_ignoring_retry_after

    with ClaudeFake("rate_limited(retry_after=20), ok") as fake:
        retry_every_second_ignoring_retry_after()
    (finding,) = fake.verdict().findings
    assert f"1 resilience finding(s):\n  {finding}\nclaude_fakes timeline: " in README


def test_the_serve_journal_lines_shown_are_the_real_ones() -> None:
    import io

    import anthropic

    from claude_fakes.cli import _journal_line
    from claude_fakes.server import FakeServer

    out = io.StringIO()
    with FakeServer(script="overloaded, ok", on_exchange=_journal_line(out)) as server:
        anthropic.Anthropic(base_url=server.url, api_key="x").messages.create(
            model="claude-sonnet-4-6", max_tokens=10, messages=[{"role": "user", "content": "hi"}])
    printed = [re.sub(r"\(\d+\.\d+s\)", "(0.001s)", line) for line in out.getvalue().splitlines()]
    shown = re.search(r'claude-fakes serve --port 0 --script "overloaded, ok".*?\n.*?\n(.*?)\n(.*?)\n', README)
    assert shown is not None
    assert printed == [shown.group(1), shown.group(2)]


def test_readme_and_the_cli_help_list_every_admin_endpoint(capsys: pytest.CaptureFixture[str]) -> None:
    """One list (``ENDPOINTS``) answers the admin API; README's paragraph and ``serve --help`` must say it all."""
    paragraph = README[README.index("The admin API, under"):]
    paragraph = paragraph[: paragraph.index("\n\n")]
    listed = re.findall(r"`((?:GET|POST) [^`]+)`", paragraph)
    assert listed == [f"{endpoint.method} {endpoint.action}{endpoint.takes}" for endpoint in ENDPOINTS]
    with pytest.raises(SystemExit):
        main(["serve", "--help"])
    help_text = capsys.readouterr().out
    for endpoint in ENDPOINTS:
        assert f"{endpoint.method:<4} {ADMIN_PREFIX}/{endpoint.action}{endpoint.takes}\n" in help_text


@pytest.mark.parametrize("number", [n for n, block in enumerate(python_blocks()) if AGENT_SDK in block])
def test_every_agent_block_runs_as_pasted(pytester: pytest.Pytester, number: int) -> None:
    """A block that runs Claude Code through the Agent SDK passes under plain pytest, where it can reach
    nothing but the fake."""
    pytest.importorskip("claude_agent_sdk")
    if [name for _, name in socket.if_nameindex()] != ["lo"]:
        pytest.skip("runs Claude Code: only in a network namespace with loopback only (scripts/test-agents)")
    pytester.makeini("[pytest]\nasyncio_default_fixture_loop_scope = function\n")
    pytester.makepyfile(test_example=python_blocks()[number])
    result = pytester.runpytest("-p", "no:cacheprovider", "-p", "no:randomly", "-q")
    outcomes = result.parseoutcomes()
    assert outcomes.get("passed", 0) >= 1 and not outcomes.get("failed") and not outcomes.get("errors"), (
        result.stdout.str())
