"""``claude-fakes``: the command line.

``claude-fakes serve`` runs the fake API over HTTP until SIGINT or SIGTERM; its first line of
output is its URL, then one journal line per exchange.
"""

from __future__ import annotations

import argparse
import asyncio
import ctypes
import dataclasses
import gc
import ipaddress
import json
import re
import signal
import sys
from collections.abc import Sequence
from pathlib import Path
from typing import Any, TextIO

from . import __version__
from .core.cassette import CassetteError, drift
from .core.catalogue import describe
from .core.gateways import GATEWAYS
from .core.journal import step_text
from .core.latency import MODELS
from .core.quota import RateLimits
from .core.scenarios import Scenario, load_scenario, scenario_names, scenario_path
from .core.script import ScriptError, parse_turns
from .executors.server import ADMIN_PREFIX, ENDPOINTS, SCOPE_HEADER, SCOPED_PREFIX, SCRIPT_HEADER, FakeServer
from .record.files import load, save, scope_tapes
from .record.imports import import_file
from .wire.models import models_table


def _port(text: str) -> int:
    if not (text.isascii() and text.isdigit()) or not 0 <= int(text) <= 65535:
        raise argparse.ArgumentTypeError(f"a port from 0 to 65535, got {text!r}")
    return int(text)


def _whole_number(text: str) -> int:
    if not (text.isascii() and text.isdigit()) or int(text) < 1:
        raise argparse.ArgumentTypeError(f"a whole number >= 1, got {text!r}")
    return int(text)


def _parser() -> argparse.ArgumentParser:
    actions = "\n".join(f"  {text}" for text in describe().values())
    admin_endpoints = "\n".join(f"  {endpoint.method:<4} {ADMIN_PREFIX}/{endpoint.action}{endpoint.takes}\n"
                                 f"         {endpoint.does}" for endpoint in ENDPOINTS)
    parser = argparse.ArgumentParser(prog="claude-fakes", description="A fake Claude API with fault scripts.")
    parser.add_argument("--version", action="version", version=f"claude-fakes {__version__}")
    commands = parser.add_subparsers(dest="command", required=True)
    serve = commands.add_parser(
        "serve",
        help="serve the fake API over HTTP",
        formatter_class=argparse.RawDescriptionHelpFormatter,
        description="Serve the fake Claude API over HTTP/1.1. Point any client at it with "
        "ANTHROPIC_BASE_URL=<the printed URL>. The first line printed is the URL; then one line per "
        "exchange. SIGINT or SIGTERM stops it (exit status 0).",
        epilog=f"""control while it runs:
  {SCRIPT_HEADER}: SCRIPT   a call's own script: step k serves its attempt k (x-stainless-retry-count)
  {SCOPE_HEADER}: NAME      a scope: its own script state and journal
  {SCOPED_PREFIX}NAME/v1/...  the same scope, as a base URL prefix
{admin_endpoints}

script actions ([+ ...]: the words of the reply it sends, e.g. ok(text="Hi")):
{actions}
""",
    )
    serve.add_argument("--host", default="127.0.0.1", help="address to bind (default 127.0.0.1: this machine only)")
    serve.add_argument("--port", type=_port, default=0, help="port to bind (default 0: a free port)")
    source = serve.add_mutually_exclusive_group()
    source.add_argument("--script", default=None, help='script for every scope, e.g. "overloaded*2, ok"')
    source.add_argument("--scenario", default=None, metavar="NAME|FILE",
                        help="read the script (and its options) from a scenario file, or a shipped scenario by "
                             "name (`claude-fakes scenarios` lists them)")
    serve.add_argument("--seed", type=int, default=None, help="seed for ids and chaos picks (default 0)")
    serve.add_argument("--latency", choices=("none", *MODELS), default=None,
                       help="pace every reply with a latency model (default none: instant)")
    serve.add_argument("--gateway", choices=tuple(GATEWAYS), default=None,
                       help="put a gateway's limits in front of the API")
    serve.add_argument("--rpm", type=_whole_number, default=None, metavar="N",
                       help="quota: requests per minute, per scope")
    serve.add_argument("--tpm", type=_whole_number, default=None, metavar="N",
                       help="quota: tokens per minute, per scope")
    serve.add_argument("--no-validate", action="store_true",
                       help="accept conversations the API rejects (an orphan tool_use, an unknown tool_result, "
                            "max_tokens above the model's limit)")
    serve.add_argument("--models", default=None, metavar="FILE",
                       help="a JSON list of model entries to add to the fake's table or replace in it "
                            "(`claude-fakes models --json` shows the shape)")
    serve.add_argument("--api-strict", action="store_true",
                       help="answer what the fake does not know (a model, beta, field, role, block type) with the "
                            "API's own 400/404 instead of a note in the journal")
    serve.add_argument("--max-connections", type=_whole_number, default=None, metavar="N",
                       help="connections open at once; one more is answered 503 and closed (default 1024)")
    serve.add_argument("--max-scopes", type=_whole_number, default=None, metavar="N",
                       help="scopes held at once; a new one evicts the least recently used (default 1000)")
    serve.add_argument("--journal-exchanges", type=_whole_number, default=None, metavar="N",
                       help="exchanges each scope's journal keeps; past it the oldest are evicted (default 1000)")
    serve.add_argument("--journal-body-bytes", type=_whole_number, default=None, metavar="N",
                       help="the longest request body a journal keeps as JSON; a longer one is kept as a marker of "
                            "its length (default 65536)")
    serve.add_argument("--quiet", action="store_true", help="print only the URL, no journal lines")
    serve.add_argument("--cassettes", default=None, metavar="DIR",
                       help="answer ok with the recordings in DIR/<scope>.jsonl (every fault applies on top); a "
                            "request with no recording gets a 400 that names the closest one")
    serve.add_argument("--record", action="store_true",
                       help="with --cassettes: send what a cassette lacks to the upstream with the client's own "
                            "credentials, stream the answer back as it arrives, and record it")
    serve.add_argument("--upstream", default=None, metavar="URL",
                       help="with --record: where recorded requests go (default https://api.anthropic.com)")
    cassettes = commands.add_parser("cassettes", help="import other recorders' files as cassettes; compare two")
    tools = cassettes.add_subparsers(dest="tool", required=True)
    imported = tools.add_parser("import", help="a vcrpy / pytest-recording YAML or a HAR file as a cassette "
                                               "(the format is told from the file)")
    imported.add_argument("source", metavar="SRC")
    imported.add_argument("-o", "--output", default=None, metavar="OUT",
                          help="the cassette to write (default: SRC with the suffix .jsonl)")
    drift = tools.add_parser("diff", help="how B's answers drifted from A's: event types, stop reasons, usage "
                                          "fields, headers (exit 0: nothing drifted, 1: drift)")
    drift.add_argument("old", metavar="A")
    drift.add_argument("new", metavar="B")
    scenarios = commands.add_parser(
        "scenarios", help="list the shipped scenarios (name and first sentence), or print one whole",
        description="Run a scenario with claude-fakes serve --scenario NAME, ClaudeFake(scenario=NAME) or "
                    "@pytest.mark.claude_fake(scenario=NAME).")
    scenarios.add_argument("name", nargs="?", default=None, metavar="NAME", help="print this scenario whole")
    models = commands.add_parser("models", help="print the models the fake knows (ids, aliases, limits, thinking)")
    models.add_argument("--models", default=None, metavar="FILE", help="merge this JSON file over the table first")
    models.add_argument("--json", action="store_true", help="print the table as JSON entries (a models file's shape)")
    return parser


def _journal_line(out: TextIO) -> Any:
    def line(scope: str, exchange: Any) -> None:
        step = "-" if exchange.step is None else step_text(exchange.step)
        attempt = f"#{exchange.attempt}" if exchange.attempt is not None else "-"
        if exchange.turn is not None:
            attempt += f" turn {exchange.turn}" + (f" {exchange.route.split(' (', 1)[0]}" if exchange.route else "")
        took = f"{exchange.duration:.3f}s" if exchange.duration is not None else "?"
        line = f"[{scope}] {attempt} {exchange.method} {exchange.path} {step} => {exchange.describe()} ({took})"
        out.write(_printable(line) + "\n")
        out.flush()

    return line


def _printable(text: str) -> str:
    """``text`` with control characters escaped: a scope name or path must not move a terminal's cursor."""
    return text if text.isprintable() else "".join(c if c.isprintable() else repr(c)[1:-1] for c in text)


async def _serve(args: argparse.Namespace, scenario: Scenario, out: TextIO) -> None:
    stop = asyncio.Event()
    loop = asyncio.get_running_loop()
    for signum in (signal.SIGINT, signal.SIGTERM):
        loop.add_signal_handler(signum, stop.set)
    limits = RateLimits(args.rpm, args.tpm) if args.rpm or args.tpm else None
    options = scenario.options
    tapes: dict[str, Any] = {}
    if args.cassettes is not None:
        upstream = (args.upstream or "https://api.anthropic.com") if args.record else None
        tapes = {"tapes": scope_tapes(args.cassettes, args.record, upstream), "upstream": upstream}
    server = FakeServer(args.host, args.port, script=scenario.script or None,
                        seed=args.seed if args.seed is not None else options.get("seed", 0),
                        on_exchange=None if args.quiet else _journal_line(out),
                        latency=args.latency or options.get("latency", "none"),
                        gateway=args.gateway or options.get("gateway"), rate_limits=limits,
                        validate=not args.no_validate, models=args.models, api_strict=args.api_strict,
                        **{name: value for name, value in (("max_connections", args.max_connections),
                                                           ("max_scopes", args.max_scopes),
                                                           ("journal_exchanges", args.journal_exchanges),
                                                           ("journal_body_bytes", args.journal_body_bytes))
                           if value is not None}, **tapes)
    await server.start()
    try:
        # The URL first, whatever else is said: a script reads the first line of the output as the URL.
        out.write(server.url + "\n")
        out.flush()
        if not _loopback(args.host):
            print(f"claude-fakes: warning: serving on {args.host}: the fake API and its admin API "
                  f"({ADMIN_PREFIX}/) are open to that network", file=sys.stderr)
        if args.record:
            print(f"claude-fakes: recording what {args.cassettes} lacks from "
                  f"{args.upstream or 'https://api.anthropic.com'}", file=sys.stderr)
        await stop.wait()
    finally:
        await server.close()


def _print_models(source: str | None, as_json: bool, out: TextIO) -> int:
    try:
        table = models_table(source)
    except ValueError as err:
        print(f"claude-fakes: bad models: {err}", file=sys.stderr)
        return 2
    if as_json:
        entries = [{name: list(value) if isinstance(value, tuple) else value
                    for name, value in dataclasses.asdict(model).items()} for model in table.models]
        out.write(json.dumps(entries, indent=1) + "\n")
        return 0
    out.write(f"{'id':<28}{'context':>10}{'output':>9}  {'thinking':<26}other names\n")
    for model in table.models:
        others = ", ".join(dict.fromkeys(name for name in model.names if name != model.id)) or "-"
        out.write(f"{model.id:<28}{model.max_input_tokens:>10}{model.max_tokens:>9}  "
                  f"{','.join(model.thinking) or '-':<26}{others}\n")
    return 0


M_MMAP_THRESHOLD = -3
"""glibc's ``mallopt`` parameter: the size from which a block is mapped on its own, not taken from the heap."""


def _large_blocks_go_back() -> None:
    """Fix glibc's mmap threshold at its default, 128 KiB, for a server that runs for days.

    glibc raises the threshold each time it frees a mapped block, up to 32 MiB; large request bodies then
    come from the heap, which fragments and never shrinks: over 120,000 requests the server's RSS grew
    from 79 to 97 MB though what it held stayed the same (with the threshold fixed: 79 to 82 MB). Fixed,
    a freed large block goes back to the system. Without glibc there is nothing to fix.
    """
    try:
        mallopt = ctypes.CDLL(None).mallopt
    except (OSError, AttributeError):
        return
    mallopt(M_MMAP_THRESHOLD, 128 * 1024)


def _loopback(host: str) -> bool:
    try:
        return ipaddress.ip_address(host).is_loopback
    except ValueError:
        return host == "localhost"


def _first_sentence(text: str) -> str:
    return re.split(r"(?<=[.!?])\s+(?=[A-Z(])", text, maxsplit=1)[0]


def _print_scenarios(name: str | None, out: TextIO) -> int:
    if name is None:
        for each in scenario_names():
            print(f"{each:<18}{_first_sentence(load_scenario(each).description)}", file=out)
        return 0
    try:
        path = scenario_path(name)
        text = path.read_text()
    except (ScriptError, OSError) as err:
        print(f"claude-fakes: {err}", file=sys.stderr)
        return 2
    print(text.rstrip("\n"), file=out)
    return 0


def _cassettes(args: argparse.Namespace, out: TextIO) -> int:
    try:
        if args.tool == "import":
            target = Path(args.output) if args.output else Path(args.source).with_suffix(".jsonl")
            if target.resolve() == Path(args.source).resolve():
                raise CassetteError(f"{args.source}: the cassette would overwrite it; name another with -o OUT")
            cassette, kind = import_file(args.source)
            cassette.name = str(target)
            save(cassette, target)
            print(f"{target}: {len(cassette)} exchange(s) from {kind}", file=out)
            return 0
        found = drift(load(args.old), load(args.new))
    except (CassetteError, OSError) as err:
        print(f"claude-fakes: {err}", file=sys.stderr)
        return 2
    for line in found:
        print(line, file=out)
    if not found:
        print(f"no drift: {args.new} answers as {args.old} does", file=out)
    return 1 if found else 0


def _check_cassettes(args: argparse.Namespace) -> str | None:
    """What is wrong with ``serve``'s cassette options, if anything: every cassette is read once at start."""
    if args.cassettes is None:
        return "--record and --upstream go with --cassettes DIR" if args.record or args.upstream else None
    if args.upstream is not None and not args.record:
        return "--upstream goes with --record"
    folder = Path(args.cassettes)
    if not folder.is_dir() and not args.record:
        return f"--cassettes {args.cassettes}: no such folder (with --record it is made)"
    try:
        for path in sorted(folder.glob("*.jsonl")) if folder.is_dir() else ():
            load(path)
    except CassetteError as err:
        return str(err)
    return None


def main(argv: Sequence[str] | None = None) -> int:
    """The command line (``claude_fakes.command`` installs the signal handling before importing this)."""
    args = _parser().parse_args(argv)
    if args.command == "cassettes":
        return _cassettes(args, sys.stdout)
    if args.command == "scenarios":
        return _print_scenarios(args.name, sys.stdout)
    if args.command == "models":
        return _print_models(args.models, args.json, sys.stdout)
    try:
        scenario = load_scenario(args.scenario) if args.scenario else Scenario(args.script or "")
        parse_turns(scenario.script)
    except ScriptError as err:
        print(f"claude-fakes: bad script: {err}", file=sys.stderr)
        return 2
    try:
        models_table(args.models)
    except ValueError as err:
        print(f"claude-fakes: bad models: {err}", file=sys.stderr)
        return 2
    problem = _check_cassettes(args)
    if problem is not None:
        print(f"claude-fakes: {problem}", file=sys.stderr)
        return 2
    _large_blocks_go_back()
    # What start-up made (modules, the model table) lives as long as the process: out of the collector's
    # full passes, which otherwise walk it each time (7 ms of every pause) while a request waits.
    gc.freeze()
    try:
        asyncio.run(_serve(args, scenario, sys.stdout))
    except OSError as err:
        print(f"claude-fakes: cannot serve on {args.host}:{args.port}: {err}", file=sys.stderr)
        return 1
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
