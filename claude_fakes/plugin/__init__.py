"""Internal. The pytest plugin (pytest loads it by its entry point; a test uses its fixtures and
markers and never imports it): the ``claude_fake`` fixture, its markers and options, and the failure report.

Where each setting comes from, nearest first: the ``claude_fake`` marker (function, then class,
then module ``pytestmark``), the command line, the ini file, the default.
"""

from __future__ import annotations

import asyncio
import inspect
import itertools
import os
import subprocess
import sys
import tempfile
from collections.abc import Callable, Generator, Iterator, Mapping
from typing import Any

import pytest

from ..activation.targets import Target
from ..core.journal import TIMELINE_HEADER
from ..core.script import ScriptError, parse_turns
from ..executors.server.client import ServerScope
from ..explore.explorer import DEFAULT_LIMIT, Report, Space, explore
from ..fake import BASE_URL_VARIABLES, ClaudeFake, fake_environment

_CALL_FAILED = pytest.StashKey[bool]()
_FAKE = pytest.StashKey["ClaudeFake | ServerScope"]()
_EXPLORED = pytest.StashKey[Report]()
_EXPLORE_OPTIONS = ("faults", "attempts", "turns", "limit", "samples", "seed", "shards")
SHARD_FIXTURE = "claude_explore_shard"
PROGRESS_OVER = 1_000
"""Explorations of more schedules than this show a count on a terminal."""
_SCOPE_NUMBERS = itertools.count(1)
_MARKER_OPTIONS = ("strict", "seed", "base_urls", "intercept", "latency", "gateway", "rate_limits", "validate")


def pytest_addoption(parser: pytest.Parser) -> None:
    group = parser.getgroup("claude_fakes", "claude_fakes: a fake Claude API with fault scripts")
    group.addoption("--claude-fakes-seed", type=int, default=None, metavar="N",
                    help="seed for the SDK's retry jitter and for ids (ini: claude_fakes_seed; default 0)")
    group.addoption("--claude-fakes-strict", choices=("yes", "no"), default=None,
                    help="fail a test whose scripted steps were not all used (ini: claude_fakes_strict; "
                         "default yes)")
    group.addoption("--claude-fakes-script", default=None, metavar="SCRIPT",
                    help="script for tests without a claude_fake marker (ini: claude_fakes_script; default: "
                         "every request gets ok)")
    group.addoption("--claude-fakes-base-url", action="append", default=None, metavar="URL",
                    help="also intercept this base URL; repeatable (ini: claude_fakes_base_urls)")
    group.addoption("--claude-fakes-latency", choices=("none", "realistic"), default=None,
                    help="pace every reply with a latency model (ini: claude_fakes_latency; default none)")
    parser.addini("claude_fakes_seed", "claude_fakes: seed for retry jitter and ids", default="0")
    parser.addini("claude_fakes_strict", "claude_fakes: fail tests that leave scripted steps unused (true or false)",
                  default="true")
    parser.addini("claude_fakes_script", "claude_fakes: script for tests without a claude_fake marker", default="")
    parser.addini("claude_fakes_base_urls", "claude_fakes: base URLs to intercept besides api.anthropic.com",
                  type="linelist", default=[])
    parser.addini("claude_fakes_latency", "claude_fakes: latency model, none or realistic", default="none")


def pytest_configure(config: pytest.Config) -> None:
    _configured(config)  # a bad value fails the run once, here, naming the option
    config.addinivalue_line(
        "markers",
        "claude_fake(script=None, *, strict=None, seed=None, base_urls=(), intercept=True, latency=None, "
        "gateway=None, rate_limits=None, validate=True): "
        "the script and options of the claude_fake fixture for this test, "
        "class or module.",
    )
    config.addinivalue_line(
        "markers",
        "claude_faults(*scripts): run the test once per script, with the script as the test id; "
        "options come from a claude_fake marker.",
    )
    config.addinivalue_line(
        "markers",
        "claude_explore(faults=[...], attempts=N | turns=N, limit=10000, samples=None, seed=0, shards=1): run the "
        "test body once per fault schedule and shrink a failure to the smallest schedule that still fails.",
    )


def _explore_settings(node: pytest.Item) -> tuple[Space, dict[str, Any]]:
    """The claude_explore marker's space and options; a ScriptError says what is wrong with them."""
    marker = node.get_closest_marker("claude_explore")
    assert marker is not None
    if marker.args:
        raise ScriptError("claude_explore takes keyword arguments only: faults=[...], attempts=N or turns=N, "
                          "limit=, samples=, seed=, shards=")
    unknown = set(marker.kwargs) - set(_EXPLORE_OPTIONS)
    if unknown:
        raise ScriptError(f"claude_explore has no option {', '.join(sorted(unknown))}; it takes "
                          f"{', '.join(_EXPLORE_OPTIONS)}")
    options = {"limit": marker.kwargs.get("limit", DEFAULT_LIMIT), "samples": marker.kwargs.get("samples"),
               "seed": marker.kwargs.get("seed", 0), "shards": marker.kwargs.get("shards", 1)}
    for name in ("limit", "seed", "shards"):
        if type(options[name]) is not int or options[name] < (0 if name == "seed" else 1):
            raise ScriptError(f"claude_explore({name}=...) takes a whole number, got {options[name]!r}")
    space = Space.of(marker.kwargs.get("faults") or (), attempts=marker.kwargs.get("attempts"),
                     turns=marker.kwargs.get("turns"))
    return space, options


def _parametrize_exploration(metafunc: pytest.Metafunc) -> None:
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


def pytest_generate_tests(metafunc: pytest.Metafunc) -> None:
    if metafunc.definition.get_closest_marker("claude_explore") is not None:
        _parametrize_exploration(metafunc)
        return
    marker = metafunc.definition.get_closest_marker("claude_faults")
    if marker is None:
        return
    where = f"{metafunc.definition.nodeid}: claude_faults"
    problem = None
    scripts = list(marker.args)
    if marker.kwargs:
        problem = f"takes scripts only; put options ({', '.join(marker.kwargs)}) on a claude_fake marker"
    elif not scripts or not all(isinstance(script, str) for script in scripts):
        problem = "needs one or more script strings"
    for script in scripts if problem is None else ():
        try:
            parse_turns(script)
        except ScriptError as err:
            problem = f"script {script!r}: {err}"
            break
    if problem is not None:
        # A collection error shows just this message, where a UsageError would show a traceback.
        raise pytest.Collector.CollectError(f"{where} {problem}")
    if "claude_fake" not in metafunc.fixturenames:
        # Parametrizing needs the name here; the item gets the fixture in pytest_collection_modifyitems.
        metafunc.fixturenames.append("claude_fake")
    metafunc.parametrize("claude_fake", scripts, indirect=True, ids=scripts)


def pytest_collection_modifyitems(items: list[pytest.Item]) -> None:
    """A test with a ``claude_fake`` marker gets the fake even when it does not ask for the fixture."""
    for item in items:
        names = getattr(item, "fixturenames", None)
        if names is None or "claude_fake" in names or "claude_fake_server" in names:
            continue
        markers = ("claude_fake", "claude_faults", "claude_explore")
        if any(item.get_closest_marker(name) is not None for name in markers):
            names.append("claude_fake")


def _check_marker_types(node: pytest.Item, options: Mapping[str, Any]) -> None:
    for name, kind in (("strict", bool), ("seed", int), ("intercept", bool), ("validate", bool)):
        value = options.get(name)
        if value is not None and (type(value) is not kind):
            raise pytest.UsageError(f"{node.nodeid}: claude_fake({name}=...) takes {kind.__name__}, got {value!r}")


def _marker_settings(node: pytest.Item) -> tuple[str | None, bool, dict[str, Any]]:
    """The nearest script, whether the test's own marker gives it (else a class or module marker
    does: a default), and, option by option, the nearest value that markers give."""
    script: str | None = None
    own = False
    options: dict[str, Any] = {}
    own_markers = {id(marker) for marker in node.own_markers}
    for marker in node.iter_markers("claude_fake"):
        if len(marker.args) > 1:
            raise pytest.UsageError(
                f"{node.nodeid}: claude_fake takes one script, got {len(marker.args)} arguments; write several "
                "steps as one string or one list: claude_fake([step, step]); a matrix is claude_faults(...)")
        _check_marker_types(node, marker.kwargs)
        unknown = set(marker.kwargs) - {"script", *_MARKER_OPTIONS}
        if unknown:
            raise pytest.UsageError(
                f"{node.nodeid}: claude_fake has no option {', '.join(sorted(unknown))}; "
                f"it takes a script and {', '.join(_MARKER_OPTIONS)}"
            )
        given = marker.args[0] if marker.args else marker.kwargs.get("script")
        if script is None and given is not None:
            script, own = given, id(marker) in own_markers
        for name in _MARKER_OPTIONS:
            if name in marker.kwargs and name not in options:
                options[name] = marker.kwargs[name]
    return script, own, options


_SETTINGS = pytest.StashKey[tuple[str, dict[str, Any]]]()
_TRUTH = {"true": True, "yes": True, "on": True, "1": True, "false": False, "no": False, "off": False, "0": False}


def _configured(config: pytest.Config) -> tuple[str, dict[str, Any]]:
    """The command line's settings over the ini file's, checked once at start-up."""
    if _SETTINGS not in config.stash:
        config.stash[_SETTINGS] = _read_settings(config)
    script, options = config.stash[_SETTINGS]
    return script, dict(options)


def _read_settings(config: pytest.Config) -> tuple[str, dict[str, Any]]:
    seed = config.getoption("claude_fakes_seed")
    strict = config.getoption("claude_fakes_strict")
    script = config.getoption("claude_fakes_script")
    base_urls = config.getoption("claude_fakes_base_url")
    latency = config.getoption("claude_fakes_latency")
    if seed is None:
        text = str(config.getini("claude_fakes_seed")).strip()
        if not (text.isascii() and text.lstrip("-").isdigit()):
            raise pytest.UsageError(f"claude_fakes_seed (ini): expected a whole number, got {text!r}")
        seed = int(text)
    if strict is None:
        text = str(config.getini("claude_fakes_strict")).strip().lower()
        if text not in _TRUTH:
            raise pytest.UsageError(f"claude_fakes_strict (ini): expected true or false (or yes/no, 1/0), got {text!r}")
        strict_value = _TRUTH[text]
    else:
        strict_value = strict == "yes"
    where = "--claude-fakes-script"
    if script is None:
        script, where = str(config.getini("claude_fakes_script")), "claude_fakes_script (ini)"
    try:
        parse_turns(script)
    except ScriptError as err:
        raise pytest.UsageError(f"{where}: {err}") from None
    if latency is None:
        latency = str(config.getini("claude_fakes_latency"))
        if latency not in ("none", "realistic"):
            raise pytest.UsageError(f"claude_fakes_latency (ini): expected none or realistic, got {latency!r}")
    urls = list(base_urls if base_urls is not None else config.getini("claude_fakes_base_urls"))
    for url in urls:
        try:
            Target.parse(url)
        except ValueError as err:
            raise pytest.UsageError(f"claude_fakes base URL: {err}") from None
    return script, {"seed": seed, "strict": strict_value, "base_urls": urls, "latency": latency}


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
                     progress=_progress(pyfuncitem.config, space, options))
    pyfuncitem.stash[_EXPLORED] = report
    if not report.passed:
        pytest.fail(str(report), pytrace=False)
    return True


def _progress(config: pytest.Config, space: Space, options: Mapping[str, Any]) -> Callable[[int, int], None] | None:
    """A count of schedules, rewritten in place on a terminal, for a large exploration."""
    reporter = config.pluginmanager.get_plugin("terminalreporter")
    size = min(space.size, options["samples"] or options["limit"])
    if reporter is None or not getattr(reporter, "isatty", False) or size <= PROGRESS_OVER:
        return None
    shown = [""]

    def progress(done: int, total: int) -> None:
        if done % 100 and done != total:
            return
        text = f" [explored {done}/{total}]" if done != total else ""
        width = max(len(shown[0]), len(text))
        reporter.write(text.ljust(width) + "\b" * width, flush=True)
        shown[0] = text

    return progress


def pytest_terminal_summary(terminalreporter: Any) -> None:
    """With ``-v``: each passing exploration's summary (schedules run, outcome counts, worst case)."""
    if terminalreporter.config.option.verbose <= 0:
        return
    lines = [f"{report.nodeid}: {content}" for report in terminalreporter.stats.get("passed", [])
             for name, content in getattr(report, "sections", ()) if name == "claude_fakes explore"]
    if lines:
        terminalreporter.write_sep("-", "claude_fakes explore")
        for line in lines:
            terminalreporter.write_line(line)


@pytest.hookimpl(wrapper=True)
def pytest_runtest_makereport(item: pytest.Item, call: pytest.CallInfo[None]) -> Generator[None, Any, Any]:
    report = yield
    if report.when == "call":
        item.stash[_CALL_FAILED] = report.failed
        explored = item.stash.get(_EXPLORED, None)
        if explored is not None and report.passed:
            report.sections.append(("claude_fakes explore", explored.summary()))
    fake = item.stash.get(_FAKE, None)
    if fake is not None and report.failed and report.when in ("setup", "call") and fake.journal:
        # Shown once: an assertion of the fake's already carries the timeline in its message.
        if TIMELINE_HEADER not in report.longreprtext:
            report.sections.append(("claude_fakes timeline", fake.timeline()))
    return report


@pytest.fixture
def claude_fake(request: pytest.FixtureRequest) -> Iterator[ClaudeFake]:
    """A :class:`ClaudeFake` active for the whole test, configured by markers and options.

    At teardown, a strict fake (the default) fails the test if a scripted step was never used,
    and any fake fails it if a request would have hung forever. The check is skipped when the
    test already failed, so that its own failure shows first; that failure's report carries the
    fake's timeline.
    """
    default_script, options = _configured(request.config)
    marker_script, own, marker_options = _marker_settings(request.node)
    options.update(marker_options)
    test_script = marker_script if own else None
    if marker_script is not None and not own:
        default_script = marker_script
    if hasattr(request, "param"):
        if test_script is not None:
            raise pytest.UsageError(
                f"{request.node.nodeid}: both claude_faults and a claude_fake script; give the script in one place"
            )
        test_script = request.param
    if test_script is not None and request.node.get_closest_marker("claude_explore") is not None:
        raise pytest.UsageError(f"{request.node.nodeid}: claude_explore gives each run its script; the "
                                "claude_fake marker's script has no place here (its options do)")
    fake = ClaudeFake(test_script or None, **options)
    if test_script is None and default_script:
        fake.default_script(default_script)
    request.node.stash[_FAKE] = fake
    if "httpx_mock" in request.fixturenames:
        # pytest-httpx mocks every httpx request it sees; set up first, it sees only what the fake
        # passes on (other hosts), whatever order the test names the two fixtures in.
        request.getfixturevalue("httpx_mock")
    fake.start()
    try:
        yield fake
    finally:
        fake.stop()
    __tracebackhide__ = True  # a teardown failure shows its message, not this fixture's code
    if not request.node.stash.get(_CALL_FAILED, False):
        fake.verify()


@pytest.fixture(scope="session")
def claude_fakes_server_url(pytestconfig: pytest.Config) -> Iterator[str]:
    """The URL of one ``claude-fakes serve`` process shared by the session (each test gets a scope).

    Its own process, not a thread of the test process: the in-process fake patches time and
    transports in the test process, and a server there would share the GIL with the tests
    (bench/server.py measures the thread at 1.1x the process's time for 200 calls here; peers.md
    saw 2x). One process per session, not per test: it starts in about 0.1 s, and scopes
    already keep tests apart.
    """
    _, options = _configured(pytestconfig)
    # stderr to a file, not a pipe: nobody reads a pipe while tests run, and a full one blocks the server.
    with tempfile.TemporaryFile("w+") as errors:
        process = subprocess.Popen(
            [sys.executable, "-m", "claude_fakes", "serve", "--port", "0", "--quiet", "--latency",
             options["latency"], "--seed", str(options["seed"])],
            stdout=subprocess.PIPE, stderr=errors, text=True,
        )
        assert process.stdout is not None
        url = process.stdout.readline().strip()
        if not url.startswith("http://"):
            process.kill()
            process.wait(timeout=10)
            process.stdout.close()
            errors.seek(0)
            raise RuntimeError(f"claude-fakes serve did not start: {url}{errors.read()}")
        try:
            yield url
        finally:
            process.terminate()
            try:
                process.wait(timeout=10)
            except subprocess.TimeoutExpired:
                process.kill()
                process.wait(timeout=10)
            process.stdout.close()


@pytest.fixture
def claude_fake_server(
    request: pytest.FixtureRequest, claude_fakes_server_url: str, monkeypatch: pytest.MonkeyPatch
) -> Iterator[ServerScope]:
    """A scope of a real fake server for this test, with ``ANTHROPIC_BASE_URL`` pointing at it.

    Any client in any process or language that reads ``ANTHROPIC_BASE_URL`` (or is given
    ``claude_fake_server.url``) meets this test's script; ``script``, ``attempts``, ``journal``,
    ``timeline()``, ``verdict()`` and the strict teardown check work as with ``claude_fake``.
    The ``claude_fake`` marker's script and ``strict`` apply here too.
    """
    default_script, options = _configured(request.config)
    marker_script, _, marker_options = _marker_settings(request.node)
    process_wide = sorted(set(marker_options) & {"latency", "gateway", "rate_limits", "seed", "base_urls", "intercept",
                                                "validate"})
    if process_wide:
        raise pytest.UsageError(
            f"{request.node.nodeid}: claude_fake_server takes a script and strict from the claude_fake marker; "
            f"{', '.join(process_wide)} belong to the server process: for them, start a "
            "claude_fakes.server.FakeServer(...) of your own in the test"
        )
    options.update(marker_options)
    scope = f"{os.getpid()}-{next(_SCOPE_NUMBERS)}-{request.node.name}"
    fake = ServerScope(claude_fakes_server_url, scope, strict=options["strict"])
    script = marker_script if marker_script is not None else default_script
    if script:
        fake.script(script)
    for variable in BASE_URL_VARIABLES:
        monkeypatch.setenv(variable, fake.url)
    for name, value in fake_environment(os.environ).items():
        monkeypatch.setenv(name, value)
    request.node.stash[_FAKE] = fake
    yield fake
    __tracebackhide__ = True
    if not request.node.stash.get(_CALL_FAILED, False):
        fake.verify()
