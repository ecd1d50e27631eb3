"""Internal. Where a fake's settings come from, nearest first: the ``claude_fake`` marker (function,
then class, then module ``pytestmark``), the command line, the ini file, the default. The one
exception is ``allow_hosts``, a permission: the hosts every level allows add up."""

from __future__ import annotations

from collections.abc import Callable, Mapping
from typing import Any, TypeVar

import pytest

from ..activation.network import NETWORK_MODES, allowed_hosts
from ..activation.targets import Target
from ..core.cassette import MODES
from ..core.scenarios import Scenario, load_scenario
from ..core.script import parse_turns
from ..wire.models import models_table

_MARKER_OPTIONS = ("strict", "seed", "base_urls", "intercept", "latency", "gateway", "rate_limits", "validate",
                   "models", "api_strict", "network", "allow_hosts")


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
    group.addoption("--claude-fakes-network", choices=NETWORK_MODES, default=None,
                    help="what is refused while a fake is active: refuse-claude (a request for Claude to a host the "
                         "fake does not serve), loopback (also any connection beyond this machine), open (nothing) "
                         "(ini: claude_fakes_network; default refuse-claude)")
    group.addoption("--claude-fakes-allow-host", action="append", default=None, metavar="HOST[:PORT]",
                    help="let this host through whatever --claude-fakes-network says; repeatable (ini: "
                         "claude_fakes_allow_hosts)")
    group.addoption("--claude-record", choices=MODES, default="none",
                    help="record mode of claude_cassette tests: none (replay only; a request with no recording "
                         "fails), once (record a cassette that does not exist), new (record what a cassette "
                         "lacks), all (record everything again); default none, so CI never records")
    parser.addini("claude_fakes_seed", "claude_fakes: seed for retry jitter and ids", default="0")
    parser.addini("claude_fakes_strict", "claude_fakes: fail tests that leave scripted steps unused (true or false)",
                  default="true")
    parser.addini("claude_fakes_script", "claude_fakes: script for tests without a claude_fake marker", default="")
    parser.addini("claude_fakes_base_urls", "claude_fakes: base URLs to intercept besides api.anthropic.com",
                  type="linelist", default=[])
    parser.addini("claude_fakes_latency", "claude_fakes: latency model, none or realistic", default="none")
    parser.addini("claude_fakes_models", "claude_fakes: a JSON file of models to add to the fake's table or "
                  "replace in it (relative to the ini file)", default="")
    parser.addini("claude_fakes_network", "claude_fakes: what is refused while a fake is active: refuse-claude, "
                  "loopback or open", default="refuse-claude")
    parser.addini("claude_fakes_allow_hosts", "claude_fakes: hosts (host or host:port) let through whatever "
                  "claude_fakes_network says", type="linelist", default=[])
    parser.addini("claude_fakes_api_strict", "claude_fakes: answer what the fake does not know (a model, beta, "
                  "field, role, block type) with the API's error, not a note (true or false)", default="false")


MARKERS = {
    "claude_fake": (
        "claude_fake(script=None, *, scenario=None, strict=None, seed=None, base_urls=(), intercept=True, "
        "latency=None, gateway=None, rate_limits=None, validate=True, models=None, api_strict=False, network=None, "
        "allow_hosts=())",
        "the script (or a shipped scenario's name or a scenario file) and options of the claude_fake fixture for "
        "this test, class or module."),
    "claude_faults": (
        "claude_faults(*scripts)",
        "run the test once per script, with the script as the test id; options come from a claude_fake marker."),
    "claude_explore": (
        "claude_explore(faults=[...], attempts=N | turns=N, base=None, allow_unreached=False, limit=10000, "
        "samples=None, seed=0, shards=1)",
        "run the test body once per fault schedule and shrink a failure to the smallest schedule that still fails."),
    "claude_cassette": (
        "claude_cassette(path=None, *, upstream=None, gaps=True)",
        "ok answers with the recordings in this cassette (default cassettes/<module>/<test>.jsonl beside the "
        "test); --claude-record says whether to record."),
}
"""Each marker's signature and meaning, as ``pytest --markers`` shows them (README gives the same signatures)."""


def pytest_configure(config: pytest.Config) -> None:
    configured(config)  # a bad value fails the run once, here, naming the option
    for signature, meaning in MARKERS.values():
        config.addinivalue_line("markers", f"{signature}: {meaning}")


_CASSETTE_OPTIONS = ("path", "upstream", "gaps")


def cassette_settings(node: pytest.Item, config: pytest.Config) -> dict[str, Any]:
    """The ``claude_cassette`` marker's options for ClaudeFake (none without the marker). Only the
    command line records (``--claude-record``), so that no marker can make CI record."""
    marker = node.get_closest_marker("claude_cassette")
    if marker is None:
        return {}
    unknown = set(marker.kwargs) - set(_CASSETTE_OPTIONS)
    if "record" in unknown:
        raise pytest.UsageError(f"{node.nodeid}: claude_cassette takes no record=; the command line says whether to "
                                "record (--claude-record=once|new|all), so that CI, which passes none, never does")
    if unknown or len(marker.args) > 1:
        raise pytest.UsageError(f"{node.nodeid}: claude_cassette takes a path and {', '.join(_CASSETTE_OPTIONS[1:])}, "
                                f"got {', '.join(map(repr, marker.args))} {', '.join(sorted(unknown))}".rstrip())
    given = marker.args[0] if marker.args else marker.kwargs.get("path")
    module = node.path
    if given is None:
        test = getattr(node, "originalname", node.name)  # every parametrization of a test shares its recordings
        owner = getattr(node, "cls", None)
        name = f"{owner.__name__}.{test}" if owner is not None else test
        path = module.parent / "cassettes" / module.stem / f"{name}.jsonl"
    else:
        path = module.parent / str(given)
    gaps = marker.kwargs.get("gaps", True)
    if type(gaps) is not bool:
        raise pytest.UsageError(f"{node.nodeid}: claude_cassette(gaps=...) takes True or False, got {gaps!r}")
    return {"cassette": path, "record": config.getoption("claude_record"), "upstream": marker.kwargs.get("upstream"),
            "gaps": gaps}


def _check_marker_types(node: pytest.Item, options: Mapping[str, Any]) -> None:
    for name, kind in (("strict", bool), ("seed", int), ("intercept", bool), ("validate", bool),
                       ("api_strict", bool)):
        value = options.get(name)
        if value is not None and (type(value) is not kind):
            raise pytest.UsageError(f"{node.nodeid}: claude_fake({name}=...) takes {kind.__name__}, got {value!r}")
    network = options.get("network")
    if network is not None and network not in NETWORK_MODES:
        raise pytest.UsageError(f"{node.nodeid}: claude_fake(network=...) takes "
                                f"{', '.join(repr(mode) for mode in NETWORK_MODES)}, got {network!r}")
    hosts = options.get("allow_hosts", ())
    try:
        if isinstance(hosts, str) or not all(isinstance(host, str) for host in hosts):
            raise ValueError(f"allow_hosts takes a list of hosts, got {hosts!r}")
        allowed_hosts(hosts)
    except (TypeError, ValueError) as err:
        raise pytest.UsageError(f"{node.nodeid}: claude_fake: {err}") from None


def marker_settings(node: pytest.Item) -> tuple[str | None, bool, dict[str, Any]]:
    """The nearest script, whether the test's own marker gives it (else a class or module marker
    does: a default), and, option by option, the nearest value that markers give (``allow_hosts``:
    every marker's)."""
    script: str | None = None
    own = False
    options: dict[str, Any] = {}
    hosts: list[str] = []
    own_markers = {id(marker) for marker in node.own_markers}
    for marker in node.iter_markers("claude_fake"):
        if len(marker.args) > 1:
            raise pytest.UsageError(
                f"{node.nodeid}: claude_fake takes one script, got {len(marker.args)} arguments; write several "
                "steps as one string or one list: claude_fake([step, step]); a matrix is claude_faults(...)")
        _check_marker_types(node, marker.kwargs)
        unknown = set(marker.kwargs) - {"script", "scenario", *_MARKER_OPTIONS}
        if unknown:
            raise pytest.UsageError(
                f"{node.nodeid}: claude_fake has no option {', '.join(sorted(unknown))}; "
                f"it takes a script or a scenario, and {', '.join(_MARKER_OPTIONS)}"
            )
        given = marker.args[0] if marker.args else marker.kwargs.get("script")
        scenario = _scenario(node, marker, given)
        if scenario is not None:
            given = scenario.script
        if script is None and given is not None:
            script, own = given, id(marker) in own_markers
        for name in _MARKER_OPTIONS:
            if name in marker.kwargs and name not in options:
                options[name] = marker.kwargs[name]
        for name, value in (scenario.options if scenario is not None else {}).items():
            options.setdefault(name, value)
        hosts.extend(marker.kwargs.get("allow_hosts", ()))
    if hosts:
        options["allow_hosts"] = hosts
    return script, own, options


def with_markers(options: dict[str, Any], marker_options: Mapping[str, Any]) -> dict[str, Any]:
    """The configured options with the markers' over them; hosts allowed anywhere add up."""
    merged = {**options, **marker_options}
    merged["allow_hosts"] = [*options.get("allow_hosts", ()), *marker_options.get("allow_hosts", ())]
    return merged


def _scenario(node: pytest.Item, marker: pytest.Mark, script: Any) -> Scenario | None:
    name = marker.kwargs.get("scenario")
    if name is None:
        return None
    if script is not None:
        raise pytest.UsageError(f"{node.nodeid}: claude_fake takes a script or a scenario, not both")
    return _checked(f"{node.nodeid}: claude_fake(scenario={name!r})", load_scenario, name)


T = TypeVar("T")


def _checked(where: str, check: Callable[[Any], T], value: Any) -> T:
    """``check(value)``, its ValueError (a ScriptError is one) a usage error that says where the value came from."""
    try:
        return check(value)
    except ValueError as err:
        raise pytest.UsageError(f"{where}: {err}") from None


_SETTINGS = pytest.StashKey[tuple[str, dict[str, Any]]]()
_TRUTH = {"true": True, "yes": True, "on": True, "1": True, "false": False, "no": False, "off": False, "0": False}


def configured(config: pytest.Config) -> tuple[str, dict[str, Any]]:
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
    _checked(where, parse_turns, script)
    if latency is None:
        latency = str(config.getini("claude_fakes_latency"))
        if latency not in ("none", "realistic"):
            raise pytest.UsageError(f"claude_fakes_latency (ini): expected none or realistic, got {latency!r}")
    urls = list(base_urls if base_urls is not None else config.getini("claude_fakes_base_urls"))
    for url in urls:
        _checked("claude_fakes base URL", Target.parse, url)
    network = config.getoption("claude_fakes_network")
    if network is None:
        network = str(config.getini("claude_fakes_network")).strip()
        if network not in NETWORK_MODES:
            raise pytest.UsageError(f"claude_fakes_network (ini): expected {', '.join(NETWORK_MODES)}, got {network!r}")
    hosts = config.getoption("claude_fakes_allow_host")
    where = "--claude-fakes-allow-host"
    if hosts is None:
        hosts, where = list(config.getini("claude_fakes_allow_hosts")), "claude_fakes_allow_hosts (ini)"
    _checked(where, allowed_hosts, hosts)
    api_strict = str(config.getini("claude_fakes_api_strict")).strip().lower()
    if api_strict not in _TRUTH:
        raise pytest.UsageError(f"claude_fakes_api_strict (ini): expected true or false (or yes/no, 1/0), "
                                f"got {api_strict!r}")
    models = str(config.getini("claude_fakes_models")).strip() or None
    if models is not None:
        # Relative to the ini file, as a reader of that file expects; read now, so a bad file fails the run once.
        models = str((config.inipath.parent if config.inipath else config.rootpath) / models)
        _checked("claude_fakes_models (ini)", models_table, models)
    return script, {"seed": seed, "strict": strict_value, "base_urls": urls, "latency": latency, "models": models,
                    "api_strict": _TRUTH[api_strict], "network": network, "allow_hosts": hosts}
