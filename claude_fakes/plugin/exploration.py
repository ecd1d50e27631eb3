"""Internal. The ``claude_explore`` marker: its settings, shards as pytest items, the body run once per
schedule, progress on a terminal (through pytest's capture), each schedule's output dropped but a
failure's, and the summary with ``-v``."""

from __future__ import annotations

import asyncio
import contextlib
import inspect
from collections.abc import Callable, Iterator
from typing import Any

import pytest

from ..core.script import ScriptError
from ..explore.explorer import DEFAULT_LIMIT, Report, Space, explore
from ..fake import ClaudeFake

EXPLORED = pytest.StashKey[Report]()
_EXPLORE_OPTIONS = ("faults", "attempts", "turns", "base", "allow_unreached", "limit", "samples", "seed", "shards")
SHARD_FIXTURE = "claude_explore_shard"
PROGRESS_OVER = 1_000
"""Explorations of more schedules than this show a count on a terminal."""


def _explore_settings(node: pytest.Item) -> tuple[Space, dict[str, Any]]:
    """The claude_explore marker's space and options; a ScriptError says what is wrong with them."""
    marker = node.get_closest_marker("claude_explore")
    assert marker is not None
    if marker.args:
        raise ScriptError("takes keyword arguments only: faults=[...], attempts=N or turns=N, "
                          "base=, allow_unreached=, limit=, samples=, seed=, shards=")
    unknown = set(marker.kwargs) - set(_EXPLORE_OPTIONS)
    if unknown:
        raise ScriptError(f"has no option {', '.join(sorted(unknown))}; it takes "
                          f"{', '.join(_EXPLORE_OPTIONS)}")
    options = {"limit": marker.kwargs.get("limit", DEFAULT_LIMIT), "samples": marker.kwargs.get("samples"),
               "seed": marker.kwargs.get("seed", 0), "shards": marker.kwargs.get("shards", 1),
               "allow_unreached": marker.kwargs.get("allow_unreached", False)}
    for name in ("limit", "seed", "shards"):
        if type(options[name]) is not int or options[name] < (0 if name == "seed" else 1):
            raise ScriptError(f"{name}= takes a whole number, got {options[name]!r}")
    allow = options["allow_unreached"]
    if type(allow) is not bool:
        raise ScriptError(f"allow_unreached= takes True or False, got {allow!r}")
    space = Space.of(marker.kwargs.get("faults") or (), attempts=marker.kwargs.get("attempts"),
                     turns=marker.kwargs.get("turns"), base=marker.kwargs.get("base"))
    return space, options


def parametrize_exploration(metafunc: pytest.Metafunc) -> None:
    where = f"{metafunc.definition.nodeid}: claude_explore"
    try:
        _, options = _explore_settings(metafunc.definition)
    except ScriptError as err:
        raise pytest.Collector.CollectError(f"{where}: {err}") from None
    if metafunc.definition.get_closest_marker("claude_faults") is not None:
        raise pytest.Collector.CollectError(f"{where}: and claude_faults on one test; explore covers those scripts")
    if "claude_fake" not in metafunc.fixturenames:
        metafunc.fixturenames.append("claude_fake")
    shards = options["shards"]
    if shards > 1:
        metafunc.fixturenames.append(SHARD_FIXTURE)
        metafunc.parametrize(SHARD_FIXTURE, range(1, shards + 1), indirect=True,
                             ids=[f"shard-{n}-of-{shards}" for n in range(1, shards + 1)])


@pytest.fixture
def claude_explore_shard(request: pytest.FixtureRequest) -> int:
    """Which shard of a ``claude_explore(shards=K)`` space this item explores (1 to K)."""
    shard: int = getattr(request, "param", 1)
    return shard


@pytest.hookimpl(tryfirst=True)
def pytest_pyfunc_call(pyfuncitem: pytest.Function) -> bool | None:
    """A ``claude_explore`` test: its body runs once per fault schedule, on a reset fake."""
    if pyfuncitem.get_closest_marker("claude_explore") is None:
        return None
    space, options = _explore_settings(pyfuncitem)
    fake = pyfuncitem.funcargs["claude_fake"]
    assert isinstance(fake, ClaudeFake)
    arguments = {name: pyfuncitem.funcargs[name] for name in pyfuncitem._fixtureinfo.argnames}

    def body() -> None:
        result = pyfuncitem.obj(**arguments)
        if inspect.iscoroutine(result):
            asyncio.run(result)

    callspec = getattr(pyfuncitem, "callspec", None)
    shard = callspec.params.get(SHARD_FIXTURE) if callspec is not None else None
    report = explore(fake, body, space, limit=options["limit"], samples=options["samples"], seed=options["seed"],
                     shard=(shard, options["shards"]) if isinstance(shard, int) and options["shards"] > 1 else None,
                     progress=_progress(pyfuncitem.config), allow_unreached=options["allow_unreached"],
                     drain=_drain(pyfuncitem.config))
    pyfuncitem.stash[EXPLORED] = report
    for number, failure in enumerate(report.distinct, 1):
        if failure.minimal_run.output:
            pyfuncitem.add_report_section("call", f"output of failure {number} ({failure.faults})",
                                          failure.minimal_run.output)
    if not report.passed:
        pytest.fail(str(report), pytrace=False)
    return True


def _capture(config: pytest.Config) -> Any:
    return config.pluginmanager.get_plugin("capturemanager")


@contextlib.contextmanager
def _uncaptured(config: pytest.Config) -> Iterator[None]:
    """Writes to the terminal while a test's output is captured (pytest's capture, suspended)."""
    capture = _capture(config)
    with capture.global_and_fixture_disabled() if capture is not None else contextlib.nullcontext():
        yield


def _drain(config: pytest.Config) -> Callable[[], str]:
    """What a schedule printed and logged, taken from pytest's capture, so that a passing schedule's is
    dropped and a failure's is shown as its own."""
    capture = _capture(config)
    logging = config.pluginmanager.get_plugin("logging-plugin")

    def drain() -> str:
        taken = []
        if capture is not None and capture.is_globally_capturing():
            out, err = capture.read_global_capture()
            taken += [out, err]
        handler = getattr(logging, "report_handler", None)
        if handler is not None:
            taken.append(handler.stream.getvalue())
            handler.reset()
        return "".join(taken)

    return drain


def _progress(config: pytest.Config) -> Callable[[int, int], None] | None:
    """A count of schedules, rewritten in place on a terminal, for a large exploration: shown before the
    first schedule runs, and through pytest's capture."""
    reporter = config.pluginmanager.get_plugin("terminalreporter")
    if reporter is None or not getattr(reporter, "isatty", False):
        return None
    shown = [""]

    def progress(done: int, total: int) -> None:
        if total <= PROGRESS_OVER or (done % 100 and done != total):
            return
        text = f" [explored {done}/{total}]" if done != total else ""
        width = max(len(shown[0]), len(text))
        with _uncaptured(config):
            reporter.write(text.ljust(width) + "\b" * width, flush=True)
        shown[0] = text

    return progress


def pytest_terminal_summary(terminalreporter: Any) -> None:
    """With ``-v``: each passing exploration's summary (schedules run, outcome counts, worst case, findings)."""
    if terminalreporter.config.option.verbose <= 0:
        return
    lines = [f"{report.nodeid}: {content}" for report in terminalreporter.stats.get("passed", [])
             for name, content in getattr(report, "sections", ()) if name == "claude_fakes explore"]
    if lines:
        terminalreporter.write_sep("-", "claude_fakes explore")
        for line in lines:
            terminalreporter.write_line(line)
