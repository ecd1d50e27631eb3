"""The ``claude-fakes`` command's entry point: signals are handled before anything heavy is imported."""

from __future__ import annotations

import os
import signal
import sys
from types import FrameType

_signalled: list[int] = []


def _quit(signum: int, frame: FrameType | None) -> None:
    _signalled.append(signum)
    raise SystemExit(0)


def main() -> int:
    """Install quiet SIGINT/SIGTERM handling first, then run the command line."""
    signal.signal(signal.SIGTERM, _quit)
    signal.signal(signal.SIGINT, _quit)
    try:
        from .cli import main as run

        return run(sys.argv[1:])
    except BrokenPipeError:
        # The reader went away (`claude-fakes scenarios | head -1`): stop quietly, as Unix tools do.
        os.dup2(os.open(os.devnull, os.O_WRONLY), sys.stdout.fileno())
        return 0
    except BaseException:
        # Raised inside the import machinery, the SystemExit may come out wrapped (a class body's
        # __set_name__ turns it into a RuntimeError): a signal means a quiet stop, however it arrives.
        if _signalled:
            return 0
        raise
