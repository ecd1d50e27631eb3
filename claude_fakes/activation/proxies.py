"""Proxy variables read once per environment: a client built while a fake is active does not scan
the whole environment again.

Every SDK client asks urllib's ``getproxies`` for the proxy variables when it is built (through
``anthropic._utils._httpx``; plain httpx and httpx2 clients that trust the environment do the same
through their ``_utils``), and urllib decodes every variable of the process's environment to find
them: about 40 µs of the 190 µs a client cost, paid again by every client of an exploration that
builds one per run. While a fake is active, those lookups are answered from the last answer for an
identical environment. Any change to the environment (``monkeypatch.setenv("HTTPS_PROXY", …)``)
makes it a different environment, which gets urllib's own answer, so a client sees exactly the
proxies urllib would give it. Where urllib consults more than the environment (the system's
proxy settings on macOS and Windows) nothing is remembered.
"""

from __future__ import annotations

import os
import sys
import urllib.request
from collections.abc import Callable, Mapping
from contextlib import ExitStack

__all__ = ["remember_proxy_variables"]

_LOOKUPS = ("anthropic._utils._httpx", "httpx._utils", "httpx2._utils")
"""The modules that call ``getproxies`` by that name when a client is built (a client built from a module
imported only after the fake started pays urllib's scan, and gets the same answer)."""

_Answer = tuple[dict[bytes, bytes], dict[str, str]]


def _remembering(getproxies: Callable[[], dict[str, str]], environment: Mapping[bytes, bytes]
                 ) -> Callable[[], dict[str, str]]:
    """``getproxies``, answering from its last answer while ``environment`` (the process's, as bytes) is
    unchanged."""
    last: list[_Answer] = []

    def remembered_getproxies() -> dict[str, str]:
        if last and last[0][0] == environment:
            return dict(last[0][1])  # a copy: a caller that changes its answer changes nothing here
        snapshot = dict(environment)
        answer = getproxies()
        last[:] = [(snapshot, answer)]  # one assignment: a client built on another thread sees a whole pair
        return dict(answer)

    return remembered_getproxies


def remember_proxy_variables(stack: ExitStack) -> None:
    """Answer clients' proxy lookups from the last answer for the same environment until ``stack``
    closes (on systems where urllib reads the environment only)."""
    environment = getattr(os.environ, "_data", None)
    if urllib.request.getproxies is not urllib.request.getproxies_environment or not isinstance(environment, dict):
        return
    remembered = _remembering(urllib.request.getproxies_environment, environment)
    for name in _LOOKUPS:
        # Only what is imported: importing a library here would be a cost for the clients that never use it.
        module = sys.modules.get(name)
        if module is not None and module.__dict__.get("getproxies") is urllib.request.getproxies:
            module.__dict__["getproxies"] = remembered
            stack.callback(module.__dict__.__setitem__, "getproxies", urllib.request.getproxies)
