"""claude_fakes: fault injection for code that calls the Anthropic Claude API.

A scripted fake of the API, with a virtual clock, that intercepts the official SDK's own
``httpx``/``httpx2`` transports in-process::

    from claude_fakes import ClaudeFake

    with ClaudeFake("overloaded*2, ok") as fake:
        reply = anthropic.Anthropic().messages.create(...)
    assert fake.attempts == 3
"""

from importlib.metadata import PackageNotFoundError, version

from . import faults, replies
from .clock import Clock
from .fake import ClaudeFake, FakeAlreadyActive, UnusedStepsError
from .gateway import GATEWAYS, Gateway
from .journal import Exchange, Outcome
from .latency import REALISTIC, LatencyModel, Speed
from .quota import RateLimits
from .script import ScriptError, Step, parse_script
from .transport import WouldHangForever

try:
    __version__ = version("claude-fakes")
except PackageNotFoundError:  # imported from a source tree that was never installed
    __version__ = "0+unknown"

__all__ = [
    "__version__",
    "ClaudeFake",
    "Clock",
    "Exchange",
    "FakeAlreadyActive",
    "GATEWAYS",
    "Gateway",
    "LatencyModel",
    "REALISTIC",
    "RateLimits",
    "Speed",
    "Outcome",
    "ScriptError",
    "Step",
    "UnusedStepsError",
    "WouldHangForever",
    "faults",
    "parse_script",
    "replies",
]
