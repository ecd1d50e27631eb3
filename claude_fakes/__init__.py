"""claude_fakes: fault injection for code that calls the Anthropic Claude API.

A scripted fake of the API, with a virtual clock, that intercepts the official SDK's own
``httpx``/``httpx2``/aiohttp transports in-process, or serves any client over sockets::

    from claude_fakes import ClaudeFake

    with ClaudeFake("overloaded*2, ok") as fake:
        reply = anthropic.Anthropic().messages.create(...)
    assert fake.attempts == 3

What a test imports is here. The rest lives in public submodules: :mod:`claude_fakes.faults` and
:mod:`claude_fakes.replies` (script steps from Python), :mod:`claude_fakes.latency` (latency
models), :mod:`claude_fakes.gateways` (gateways in front of the API), :mod:`claude_fakes.script`
(the grammar), :mod:`claude_fakes.server` (the socket server), :mod:`claude_fakes.explore` (every
fault schedule, and the smallest failing one), :mod:`claude_fakes.strategies` (Hypothesis),
:mod:`claude_fakes.clock` (the fake's clock, for annotations).
Everything else is internal, in folders by layer (README, "How it is built"): ``wire`` (bytes),
``core`` (sans-I/O: catalogue, scripts, plans, planner, verdict), ``engine``, ``executors``,
``activation``, ``plugin``; their names may change in any release.

Names are imported on first use, so that ``claude-fakes serve`` handles signals from its first
milliseconds and a plain ``import claude_fakes`` costs nothing.
"""

from __future__ import annotations

import importlib
from typing import TYPE_CHECKING, Any

if TYPE_CHECKING:
    from . import faults, replies
    from .core.gateways import Gateway
    from .core.journal import Exchange, Outcome
    from .core.plan import WouldHangForever
    from .core.quota import RateLimits
    from .core.step import ScriptError, Step
    from .core.verdict import Finding, Verdict
    from .fake import ClaudeFake, FakeAlreadyActive, NetworkRefused, UnusedStepsError
    from .server import FakeServer, ServerScope

_WHERE = {
    "ClaudeFake": "fake", "FakeAlreadyActive": "fake", "NetworkRefused": "fake", "UnusedStepsError": "fake",
    "Gateway": "gateways", "Exchange": "core.journal", "Outcome": "core.journal", "RateLimits": "core.quota",
    "FakeServer": "server", "ServerScope": "server", "ScriptError": "core.step", "Step": "core.step",
    "WouldHangForever": "core.plan", "Finding": "core.verdict", "Verdict": "core.verdict", "faults": None,
    "replies": None,
}

__all__ = [
    "__version__",
    "ClaudeFake",
    "Exchange",
    "FakeAlreadyActive",
    "FakeServer",
    "Finding",
    "Gateway",
    "NetworkRefused",
    "Outcome",
    "RateLimits",
    "ScriptError",
    "ServerScope",
    "Step",
    "UnusedStepsError",
    "Verdict",
    "WouldHangForever",
    "faults",
    "replies",
]


def __getattr__(name: str) -> Any:
    if name == "__version__":
        from importlib.metadata import PackageNotFoundError, version

        try:
            value: Any = version("claude-fakes")
        except PackageNotFoundError:  # imported from a source tree that was never installed
            value = "0+unknown"
    elif name in _WHERE:
        module = _WHERE[name]
        value = importlib.import_module(f".{module or name}", __name__)
        if module is not None:
            value = getattr(value, name)
    else:
        raise AttributeError(f"module 'claude_fakes' has no attribute {name!r}")
    globals()[name] = value
    return value


def __dir__() -> list[str]:
    return sorted([*globals(), *__all__])
