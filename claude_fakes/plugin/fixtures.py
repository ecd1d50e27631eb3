"""Internal. The ``claude_fake`` and ``claude_fake_server`` fixtures, and the markers that turn a test
into several (``claude_faults``) or give it a fake it did not ask for."""

from __future__ import annotations

import itertools
import os
from collections.abc import Iterator
from typing import Any

import pytest

from ..core.cassette import CassetteError
from ..core.script import ScriptError, parse_turns
from ..executors.server.client import ServerScope
from ..fake import BASE_URL_VARIABLES, ClaudeFake, fake_environment
from .exploration import parametrize_exploration
from .reports import CALL_PASSED, FAKE, never_awaited
from .settings import MARKERS, cassette_settings, configured, marker_settings, with_markers

_SCOPE_NUMBERS = itertools.count(1)


def pytest_generate_tests(metafunc: pytest.Metafunc) -> None:
    if metafunc.definition.get_closest_marker("claude_explore") is not None:
        parametrize_exploration(metafunc)
        _check_fake_settings(metafunc, [None])
        return
    marker = metafunc.definition.get_closest_marker("claude_faults")
    if marker is None:
        _check_fake_settings(metafunc, [None])
        return
    where = f"{metafunc.definition.nodeid}: claude_faults"
    problem = None
    scripts = list(marker.args)
    if marker.kwargs:
        problem = f"takes scripts only; put options ({', '.join(marker.kwargs)}) on a claude_fake marker"
    elif len(scripts) == 1 and isinstance(scripts[0], (list, tuple)):
        problem = (f"takes each script as its own argument, got one {type(scripts[0]).__name__}: "
                   f"claude_faults({', '.join(map(repr, scripts[0]))}), or claude_faults(*scripts)")
    elif not scripts or not all(isinstance(script, str) for script in scripts):
        problem = f"needs one or more script strings, got {', '.join(map(repr, scripts)) or 'none'}"
    for script in scripts if problem is None else ():
        try:
            parse_turns(script)
        except ScriptError as err:
            problem = f"script {script!r}: {err}"
            break
    if problem is not None:
        # A collection error shows just this message, where a UsageError would show a traceback.
        raise pytest.Collector.CollectError(f"{where} {problem}")
    _check_fake_settings(metafunc, scripts)
    if "claude_fake" not in metafunc.fixturenames:
        # Parametrizing needs the name here; the item gets the fixture in pytest_collection_modifyitems.
        metafunc.fixturenames.append("claude_fake")
    metafunc.parametrize("claude_fake", scripts, indirect=True, ids=scripts)


_MARKERS = tuple(MARKERS)


def _check_fake_settings(metafunc: pytest.Metafunc, params: list[str | None]) -> None:
    """Build, and drop, the fake each run of the test will get: a bad marker fails collection with
    just its message, as pytest's own marker mistakes do, not with the fixture's traceback."""
    definition = metafunc.definition
    names = metafunc.fixturenames
    if not ({"claude_fake", "claude_fake_server"} & set(names)
            or any(definition.get_closest_marker(name) is not None for name in _MARKERS)):
        return
    try:
        for param in params:
            if "claude_fake_server" in names:
                _server_settings(definition, metafunc.config)
            else:
                cassette_settings(definition, metafunc.config)
                test_script, default_script, options = _fake_settings(definition, metafunc.config, param)
                fake = ClaudeFake(test_script or None, **options)
                if default_script:
                    fake.default_script(default_script)
    except pytest.UsageError as err:
        raise pytest.Collector.CollectError(str(err)) from None
    except (ValueError, TypeError) as err:
        raise pytest.Collector.CollectError(f"{definition.nodeid}: claude_fake marker: {err}") from None


def pytest_collection_modifyitems(items: list[pytest.Item]) -> None:
    """A test with a ``claude_fake`` marker gets the fake even when it does not ask for the fixture."""
    for item in items:
        names = getattr(item, "fixturenames", None)
        if names is None or "claude_fake" in names or "claude_fake_server" in names:
            continue
        if any(item.get_closest_marker(name) is not None for name in _MARKERS):
            names.append("claude_fake")


def _fake_settings(
    node: pytest.Item, config: pytest.Config, param: str | None
) -> tuple[str | None, str, dict[str, Any]]:
    """The test's own script (else None), the default script, and the options for its fake."""
    default_script, options = configured(config)
    marker_script, own, marker_options = marker_settings(node)
    options = with_markers(options, marker_options)
    test_script = marker_script if own else None
    if marker_script is not None and not own:
        default_script = marker_script
    if param is not None:
        if test_script is not None:
            raise pytest.UsageError(
                f"{node.nodeid}: both claude_faults and a claude_fake script; give the script in one place"
            )
        test_script = param
    if test_script is not None and node.get_closest_marker("claude_explore") is not None:
        raise pytest.UsageError(f"{node.nodeid}: claude_explore gives each run its script; the "
                                "claude_fake marker's script has no place here (its options do)")
    return test_script, default_script if test_script is None else "", options


@pytest.fixture
def claude_fake(request: pytest.FixtureRequest) -> Iterator[ClaudeFake]:
    """A :class:`ClaudeFake` active for the whole test, configured by markers and options.

    At teardown, a strict fake (the default) fails the test if a scripted step was never used,
    and any fake fails it if a request would have hung forever. The check runs only after a test
    body that passed: a failure shows first (its report carries the fake's timeline), and a test
    skipped, xfailed or stopped by another fixture's error is reported as just that.
    """
    test_script, default_script, options = _fake_settings(request.node, request.config,
                                                          getattr(request, "param", None))
    try:
        # Read here, not at collection: a cassette that is missing or broken fails its own tests, not the run.
        options.update(cassette_settings(request.node, request.config))
        fake = ClaudeFake(test_script or None, **options)
    except CassetteError as err:
        pytest.fail(f"claude_fakes: {err}", pytrace=False)
    if default_script:
        fake.default_script(default_script)
    request.node.stash[FAKE] = fake
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
    if request.node.stash.get(CALL_PASSED, False):
        fake.verify()
        _fail_on_calls_never_awaited()


def _fail_on_calls_never_awaited() -> None:
    """A test that passed while an SDK call of its never ran tested nothing: say so (pytest alone only warns)."""
    __tracebackhide__ = True
    calls = never_awaited()
    if calls:
        pytest.fail(f"claude_fakes: {', '.join(sorted(set(calls)))} was called without await, so that request never "
                    "reached the fake and the test checked nothing of it: await the call", pytrace=False)


def _server_settings(node: pytest.Item, config: pytest.Config) -> tuple[str, dict[str, Any]]:
    """The script and options of a test's server scope: only the script and ``strict`` apply to one."""
    default_script, options = configured(config)
    marker_script, _, marker_options = marker_settings(node)
    process_wide = sorted(set(marker_options) & {"latency", "gateway", "rate_limits", "seed", "base_urls", "intercept",
                                                "validate", "models", "api_strict"})
    if node.get_closest_marker("claude_cassette") is not None:
        raise pytest.UsageError(f"{node.nodeid}: claude_cassette replays in-process (the claude_fake fixture); a "
                                "server replays and records with claude-fakes serve --cassettes DIR")
    guard = sorted(set(marker_options) & {"network", "allow_hosts"})
    if guard:
        raise pytest.UsageError(
            f"{node.nodeid}: {' and '.join(guard)} guard the network while an in-process fake is active "
            "(the claude_fake fixture); claude_fake_server starts none"
        )
    if process_wide:
        raise pytest.UsageError(
            f"{node.nodeid}: claude_fake_server takes a script and strict from the claude_fake marker; "
            f"{', '.join(process_wide)} belong to the server process: for them, start a "
            "claude_fakes.server.FakeServer(...) of your own in the test"
        )
    options.update(marker_options)
    script = marker_script if marker_script is not None else default_script
    parse_turns(script)
    return script, options


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
    script, options = _server_settings(request.node, request.config)
    scope = f"{os.getpid()}-{next(_SCOPE_NUMBERS)}-{request.node.name}"
    fake = ServerScope(claude_fakes_server_url, scope, strict=options["strict"])
    if script:
        fake.script(script)
    for variable in BASE_URL_VARIABLES:
        monkeypatch.setenv(variable, fake.url)
    for name, value in fake_environment(os.environ).items():
        monkeypatch.setenv(name, value)
    request.node.stash[FAKE] = fake
    yield fake
    __tracebackhide__ = True
    if request.node.stash.get(CALL_PASSED, False):
        fake.verify()
        _fail_on_calls_never_awaited()
