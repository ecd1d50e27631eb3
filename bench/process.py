"""A fake server in a process of its own, as a user runs it, and what Linux says it costs (for bench/fuzz.py
and bench/soak.py)."""

from __future__ import annotations

import json
import subprocess
import sys
import time
import urllib.request
from pathlib import Path
from typing import Any

ROOT = Path(__file__).resolve().parent.parent


SLICES = r'''
import asyncio.events, sys, time
longest = [0.0, ""]
run = asyncio.events.Handle._run

def timed(handle):
    started = time.thread_time()
    run(handle)
    spent = time.thread_time() - started
    if spent > longest[0]:
        longest[:] = [spent, repr(handle)[:300]]

asyncio.events.Handle._run = timed
from claude_fakes import cli
status = cli.main(sys.argv[1:])
print(f"{longest[0]} {longest[1]}", file=sys.stderr, flush=True)
sys.exit(status)
'''
"""``claude-fakes serve`` that, when it ends, says the longest its event loop spent in one step (its CPU):
how long the server kept every other client waiting, at the most."""


def serve(*options: str) -> tuple[subprocess.Popen[str], str]:
    """``claude-fakes serve`` with ``options`` from this checkout, timing its loop's steps, and its URL once it
    answers."""
    process = subprocess.Popen([sys.executable, "-c", SLICES, "serve", "--port", "0", "--quiet", *options],
                               stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True, cwd=ROOT)
    assert process.stdout is not None
    url = process.stdout.readline().strip()
    for _ in range(500):
        try:
            health(url)
            return process, url
        except OSError:
            time.sleep(0.01)
    process.kill()
    raise RuntimeError(f"{url or 'the server'} never answered")


def stop(process: subprocess.Popen[str]) -> tuple[float, str]:
    """Stop the server; the longest step of its loop, in CPU seconds, and what ran in it."""
    process.terminate()
    _, errors = process.communicate(timeout=30)
    seconds, _, what = errors.strip().splitlines()[-1].partition(" ")
    return float(seconds), what


def health(url: str) -> dict[str, Any]:
    with urllib.request.urlopen(f"{url}/_claude_fakes/health", timeout=30) as answer:
        state: dict[str, Any] = json.load(answer)
        return state


def cpu_seconds(pid: int) -> float:
    """The CPU time of a process's main thread, to the nanosecond (its scheduler statistics): the server's
    event loop runs there."""
    return int(Path(f"/proc/{pid}/schedstat").read_text().split()[0]) / 1e9


def rss_mb(pid: int) -> float:
    for line in Path(f"/proc/{pid}/status").read_text().splitlines():
        if line.startswith("VmRSS:"):
            return int(line.split()[1]) / 1024
    return float("nan")


def port_of(url: str) -> int:
    return int(url.rsplit(":", 1)[1])
