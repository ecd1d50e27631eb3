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
(the grammar), :mod:`claude_fakes.server` (the socket server).
"""

from importlib.metadata import PackageNotFoundError, version

from . import faults, replies
from .fake import ClaudeFake, FakeAlreadyActive, UnusedStepsError
from .gateways import Gateway
from .journal import Exchange, Outcome
from .quota import RateLimits
from .server import FakeServer, ServerScope
from .step import ScriptError, Step
from .transport import WouldHangForever
from .verdict import Finding, Verdict

try:
    __version__ = version("claude-fakes")
except PackageNotFoundError:  # imported from a source tree that was never installed
    __version__ = "0+unknown"

__all__ = [
    "__version__",
    "ClaudeFake",
    "Exchange",
    "FakeAlreadyActive",
    "FakeServer",
    "Finding",
    "Gateway",
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
