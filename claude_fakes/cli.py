"""``claude-fakes``: the command line.

``claude-fakes serve`` runs the fake API over HTTP until SIGINT or SIGTERM; its first line of
output is its URL, then one journal line per exchange.
"""

from __future__ import annotations

import argparse
import asyncio
import signal
import sys
from collections.abc import Sequence
from pathlib import Path
from typing import Any, TextIO

from . import __version__
from .catalogue import describe
from .gateway import GATEWAYS
from .latency import MODELS
from .quota import RateLimits
from .script import ScriptError, parse_script
from .server import ADMIN_PREFIX, SCOPE_HEADER, SCOPED_PREFIX, SCRIPT_HEADER, FakeServer


def read_scenario(path: Path) -> str:
    """A scenario file: a script over several lines; ``#`` starts a comment; a line ends a step."""
    steps = []
    for line in path.read_text().splitlines():
        text = line.split("#", 1)[0].strip().rstrip(",")
        if text:
            steps.append(text)
    script = ", ".join(steps)
    parse_script(script)
    return script


def _parser() -> argparse.ArgumentParser:
    actions = "\n".join(f"  {text}" for text in describe().values())
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
  {SCRIPT_HEADER}: SCRIPT   a request carries its own script (a retry repeating it continues it)
  {SCOPE_HEADER}: NAME      a scope: its own script state and journal
  {SCOPED_PREFIX}NAME/v1/...  the same scope, as a base URL prefix
  {ADMIN_PREFIX}/health        GET: liveness and scopes
  {ADMIN_PREFIX}/script        POST: set a scope's script (text, or JSON {{"script": ...}}), ?scope=NAME
  {ADMIN_PREFIX}/journal       GET: a scope's exchanges as JSON, ?scope=NAME
  {ADMIN_PREFIX}/timeline      GET: a scope's timeline as text, ?scope=NAME
  {ADMIN_PREFIX}/reset         POST: forget one scope (?scope=NAME) or all

script actions:
{actions}
""",
    )
    serve.add_argument("--host", default="127.0.0.1", help="address to bind (default 127.0.0.1: this machine only)")
    serve.add_argument("--port", type=int, default=0, help="port to bind (default 0: a free port)")
    source = serve.add_mutually_exclusive_group()
    source.add_argument("--script", default=None, help='script for every scope, e.g. "overloaded*2, ok"')
    source.add_argument("--scenario", type=Path, default=None, metavar="FILE",
                        help="read the script from a scenario file (see fixtures/scenarios/)")
    serve.add_argument("--seed", type=int, default=0, help="seed for ids and chaos picks (default 0)")
    serve.add_argument("--latency", choices=("none", *MODELS), default="none",
                       help="pace every reply with a latency model (default none: instant)")
    serve.add_argument("--gateway", choices=tuple(GATEWAYS), default=None,
                       help="put a gateway's limits in front of the API")
    serve.add_argument("--rpm", type=int, default=None, metavar="N", help="quota: requests per minute, per scope")
    serve.add_argument("--tpm", type=int, default=None, metavar="N", help="quota: tokens per minute, per scope")
    serve.add_argument("--quiet", action="store_true", help="print only the URL, no journal lines")
    return parser


def _journal_line(out: TextIO) -> Any:
    def line(scope: str, exchange: Any) -> None:
        step = "-" if exchange.step is None else str(exchange.step)
        attempt = f"#{exchange.attempt}" if exchange.attempt is not None else "-"
        took = f"{exchange.duration:.3f}s" if exchange.duration is not None else "?"
        out.write(f"[{scope}] {attempt} {exchange.method} {exchange.path} {step} => {exchange.describe()} "
                  f"({took})\n")
        out.flush()

    return line


async def _serve(args: argparse.Namespace, script: str | None, out: TextIO) -> None:
    limits = RateLimits(args.rpm, args.tpm) if args.rpm or args.tpm else None
    server = FakeServer(args.host, args.port, script=script, seed=args.seed,
                        on_exchange=None if args.quiet else _journal_line(out),
                        latency=args.latency, gateway=args.gateway, rate_limits=limits)
    await server.start()
    out.write(server.url + "\n")
    out.flush()
    stop = asyncio.Event()
    loop = asyncio.get_running_loop()
    for signum in (signal.SIGINT, signal.SIGTERM):
        loop.add_signal_handler(signum, stop.set)
    try:
        await stop.wait()
    finally:
        await server.close()


def main(argv: Sequence[str] | None = None) -> int:
    args = _parser().parse_args(argv)
    try:
        script = read_scenario(args.scenario) if args.scenario else args.script
        parse_script(script or "")
    except ScriptError as err:
        print(f"claude-fakes: bad script: {err}", file=sys.stderr)
        return 2
    except OSError as err:
        print(f"claude-fakes: cannot read the scenario: {err}", file=sys.stderr)
        return 2
    try:
        asyncio.run(_serve(args, script, sys.stdout))
    except OSError as err:
        print(f"claude-fakes: cannot serve on {args.host}:{args.port}: {err}", file=sys.stderr)
        return 1
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
