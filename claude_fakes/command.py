"""The ``claude-fakes`` command's entry point: signals are handled before anything heavy is imported."""

from __future__ import annotations

import os
import signal
import sys
from types import FrameType


def _quit(signum: int, frame: FrameType | None) -> None:
    raise SystemExit(0)


def main() -> int:
    """Install quiet SIGINT/SIGTERM handling first, then run the command line."""
    signal.signal(signal.SIGTERM, _quit)
    signal.signal(signal.SIGINT, _quit)
    from .cli import main as run

    try:
        return run(sys.argv[1:])
    except BrokenPipeError:
        # The reader went away (`claude-fakes scenarios | head -1`): stop quietly, as Unix tools do.
        os.dup2(os.open(os.devnull, os.O_WRONLY), sys.stdout.fileno())
        return 0
