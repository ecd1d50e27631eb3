"""Internal. The session's ``claude-fakes serve`` process, which ``claude_fake_server`` scopes share."""

from __future__ import annotations

import subprocess
import sys
import tempfile
from collections.abc import Iterator

import pytest

from .settings import configured


@pytest.fixture(scope="session")
def claude_fakes_server_url(pytestconfig: pytest.Config) -> Iterator[str]:
    """The URL of one ``claude-fakes serve`` process shared by the session (each test gets a scope).

    Its own process, not a thread of the test process: the in-process fake patches time and
    transports in the test process, and a server there would share the GIL with the tests
    (bench/server.py measures the thread at 1.1x the process's time for 200 calls here; peers.md
    saw 2x). One process per session, not per test: it starts in about 0.1 s, and scopes
    already keep tests apart.
    """
    _, options = configured(pytestconfig)
    # stderr to a file, not a pipe: nobody reads a pipe while tests run, and a full one blocks the server.
    with tempfile.TemporaryFile("w+") as errors:
        process = subprocess.Popen(
            [sys.executable, "-m", "claude_fakes", "serve", "--port", "0", "--quiet", "--latency",
             options["latency"], "--seed", str(options["seed"]),
             *(["--models", options["models"]] if options["models"] else []),
             *(["--api-strict"] if options["api_strict"] else [])],
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
