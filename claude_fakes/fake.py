"""``ClaudeFake``: the engine on a virtual clock, intercepting in-process clients."""

from __future__ import annotations

import functools
import importlib.util
import os
import random
import threading
from collections.abc import Callable, Iterable, Mapping, Sequence
from contextlib import AbstractContextManager, ExitStack
from types import TracebackType
from typing import Any

from .activation.aio import wait
from .activation.intercept import Interception, Router, bridged_errors
from .activation.network import NETWORK_MODES, AllowedHost, Network, NetworkRefused, allowed_hosts
from .activation.proxies import remember_proxy_variables
from .activation.targets import Target, api_root, default_targets, match
from .activation.tls import share_default_contexts
from .activation.virtual_time import VirtualTime
from .core.assertions import Assertions
from .core.clock import Clock
from .core.gateways import Gateway, gateway_from
from .core.journal import Exchange
from .core.latency import LatencyModel, latency_model
from .core.quota import RateLimits
from .core.scenarios import load_scenario
from .core.script import StepLike
from .core.turns import Match, Route
from .engine.engine import Engine, UnusedStepsError
from .executors.httpx_transport import handle, handle_async, library_of
from .explore.explorer import DEFAULT_LIMIT, Report, Space, explore
from .record.files import open_tape
from .wire.models import ModelsSource, ModelTable

__all__ = ["ClaudeFake", "FakeAlreadyActive", "NetworkRefused", "UnusedStepsError"]

FAKE_API_KEY = "sk-ant-api03-claude-fakes-not-a-real-key"
BASE_URL_VARIABLES = ("ANTHROPIC_BASE_URL", "ANTHROPIC_BEDROCK_BASE_URL", "ANTHROPIC_VERTEX_BASE_URL",
                      "ANTHROPIC_FOUNDRY_BASE_URL")
"""Where the SDK's clients read a base URL from; a fake answers each one set when it starts."""


@functools.cache
def _boto3_installed() -> bool:
    """Whether ``AnthropicBedrock`` can sign requests here (``anthropic[bedrock]`` brings boto3)."""
    return importlib.util.find_spec("boto3") is not None


def fake_environment(environ: Mapping[str, str]) -> dict[str, str]:
    """The variables a fake sets while it runs, where the test has not: the SDK refuses to build a
    client without a key (Anthropic, Foundry) or a region (Bedrock), and boto3 without credentials
    would ask the EC2 metadata service on the network for some. None of them is real."""
    missing: dict[str, str] = {}
    if not environ.get("ANTHROPIC_API_KEY") and not environ.get("ANTHROPIC_AUTH_TOKEN"):
        missing["ANTHROPIC_API_KEY"] = FAKE_API_KEY
    if not environ.get("ANTHROPIC_FOUNDRY_API_KEY"):
        missing["ANTHROPIC_FOUNDRY_API_KEY"] = FAKE_API_KEY
    if not _boto3_installed():
        return missing  # no Bedrock client can run: nothing to set (a fake starts per test)
    if not any(environ.get(name) for name in ("AWS_ACCESS_KEY_ID", "AWS_PROFILE", "AWS_BEARER_TOKEN_BEDROCK")):
        missing["AWS_ACCESS_KEY_ID"] = "AKIACLAUDEFAKES00000"
        missing["AWS_SECRET_ACCESS_KEY"] = "claude-fakes-not-a-real-secret"
    if not environ.get("AWS_REGION") and not environ.get("AWS_DEFAULT_REGION"):
        missing["AWS_REGION"] = "us-east-1"
    return missing


class FakeAlreadyActive(RuntimeError):
    """Only one fake intercepts at a time; a second one would make routing ambiguous."""

    __module__ = "claude_fakes"  # where a test imports it from: how tracebacks and pytest name it


_active_lock = threading.Lock()
_active: ClaudeFake | None = None


class ClaudeFake(Assertions):
    """A fake Claude API. Use it as a context manager, or through the ``claude_fake`` fixture.

    ``script``: the per-attempt steps for ``POST /v1/messages`` (a script string, a step, a
    reply, or a list of them; with ``;``, per turn). ``base_urls``: hosts to answer for besides
    ``https://api.anthropic.com`` (and ``$ANTHROPIC_BASE_URL`` when set), for clients other than
    the SDK's, whose requests are answered whatever their base URL. ``seed``: SDK jitter and
    ids (and ``chaos`` picks). ``strict``: leaving a scripted step unused fails the test.
    ``latency``: ``"realistic"`` paces every reply (:mod:`claude_fakes.latency`). ``gateway``: a
    named gateway (``"vercel-hobby"``, ``"cloudflare"``, …) or a :class:`Gateway` in front of
    the API. ``rate_limits``: request and token quotas per minute. ``intercept=False``: patch
    no transport, only time (and sockets, with ``network="loopback"``); requests reach the fake
    through :meth:`respond`, as a route of respx or pytest-httpx2. ``validate=False``: accept
    conversations the API rejects (an orphan ``tool_use``, an unknown ``tool_result``,
    ``max_tokens`` above the model's limit).
    ``models``: models to add to the fake's table or replace in it (a JSON file's path, or a list
    of entries as in ``claude-fakes models``); :attr:`models` is the table. ``api_strict=True``:
    what the fake does not know (a model, an ``anthropic-beta``, a request field, a message role
    or block type) gets the API's own 400/404 instead of a note in the journal and verdict.
    ``network``: what is refused while the fake is active (:mod:`claude_fakes.activation.network`):
    ``"refuse-claude"`` (the default) a request for Claude to a host the fake does not serve,
    ``"loopback"`` also any connection to a host that is not loopback, ``"open"`` nothing.
    ``allow_hosts``: hosts let through whatever ``network`` says (``"db.internal"``,
    ``"db.internal:5432"``, an IP, a URL). A refusal is a finding: it fails :meth:`verify` on a
    strict fake even when the code under test swallowed the error.
    ``scenario``: a shipped scenario's name (``claude-fakes scenarios`` lists them) or a scenario
    file's path, in place of ``script``; the ``seed``, ``latency`` and ``gateway`` it names apply
    unless given here.
    ``cassette``: a cassette file (:mod:`claude_fakes.core.cassette`) whose recorded answers are what
    ``ok`` answers, every fault applying on top of them; ``record``: ``"none"`` (the default: replay
    only, a request with no recording fails), ``"once"``, ``"new"`` or ``"all"``, as pytest-recording
    says; ``upstream``: where recorded requests go (left out: where the client sent them, its base
    URL); ``gaps=False``: replay without the recorded silences.

    A fake wraps an engine (the script, journal and findings, on the fake's virtual clock) and
    adds activation: interception of in-process clients and virtual time while it is active.
    """

    def __init__(
        self,
        script: StepLike | Iterable[StepLike] | None = None,
        *,
        base_urls: Iterable[str] = (),
        seed: int | None = None,
        strict: bool = True,
        intercept: bool = True,
        latency: str | LatencyModel | None = None,
        gateway: str | Gateway | None = None,
        rate_limits: RateLimits | Mapping[str, int] | None = None,
        validate: bool = True,
        models: ModelsSource | None = None,
        api_strict: bool = False,
        network: str = "refuse-claude",
        allow_hosts: Iterable[str] = (),
        scenario: str | os.PathLike[str] | None = None,
        cassette: str | os.PathLike[str] | None = None,
        record: str | None = None,
        upstream: str | None = None,
        gaps: bool = True,
    ) -> None:
        if network not in NETWORK_MODES:
            raise ValueError(f"network takes {', '.join(repr(mode) for mode in NETWORK_MODES)}, got {network!r}")
        if isinstance(allow_hosts, str):
            raise TypeError(f"allow_hosts takes a list of hosts, got the string {allow_hosts!r}")
        self._network = network
        self._allow_hosts = allowed_hosts(allow_hosts)
        if scenario is not None:
            if script is not None:
                raise ValueError("ClaudeFake takes a script or a scenario, not both")
            loaded = load_scenario(scenario)
            script = loaded.script or None
            seed = loaded.options.get("seed") if seed is None else seed
            latency = loaded.options.get("latency") if latency is None else latency
            gateway = loaded.options.get("gateway") if gateway is None else gateway
        seed = 0 if seed is None else seed
        if isinstance(rate_limits, Mapping):
            rate_limits = RateLimits.of(rate_limits)
        if cassette is None and (record is not None or upstream is not None):
            raise ValueError("record= and upstream= go with cassette=: the file that holds the recordings")
        tape = None if cassette is None else open_tape(cassette, record or "none", upstream=upstream, gaps=gaps)
        self._upstream = upstream
        self._engine = Engine(Clock(), seed=seed, strict=strict, latency=latency_model(latency),
                              gateway=gateway_from(gateway), rate_limits=rate_limits, validate=validate,
                              models=models, api_strict=api_strict, tape=tape)
        self.intercept = intercept
        anthropic, *platforms = default_targets()
        self._targets = [anthropic, *(Target.parse(url) for url in base_urls), *platforms]
        self._stack: ExitStack | None = None
        self._time: VirtualTime | None = None
        self._jitter = random.Random(seed)
        """The SDK's retry jitter while this fake is active: seeded, and re-seeded by :meth:`reset`."""
        if script is not None:
            self.script(*(script if isinstance(script, (list, tuple)) else (script,)))

    # -- the script ---------------------------------------------------------------------------

    def script(self, *items: StepLike) -> ClaudeFake:
        """Set the steps for the next attempts, replacing any not yet reached.

        With ``;`` it is a turn script: each part serves one turn (a call and all its retries),
        counted from the next new turn. Steps replaced before use still count as unused for a
        strict fake.
        """
        __tracebackhide__ = True  # a ScriptError shows at the caller's line
        self._engine.script(*items)
        return self

    def turns(self, *scripts: StepLike | list[StepLike] | tuple[StepLike, ...]) -> ClaudeFake:
        """Set a turn script, one argument per turn: a string, a step, a reply, or a list of them."""
        __tracebackhide__ = True
        self._engine.turns(*scripts)
        return self

    def default_script(self, *items: StepLike) -> ClaudeFake:
        """Set a default script: it serves until the first :meth:`script` call, which replaces it
        whole (its steps, used or not, are then no longer checked)."""
        __tracebackhide__ = True
        self._engine.default_script(*items)
        return self

    def when(
        self,
        *,
        model: str | None = None,
        contains: str | None = None,
        system: str | None = None,
        tools: str | None = None,
        tool_result: bool | str | None = None,
        stream: bool | None = None,
        predicate: Callable[[Mapping[str, Any]], bool] | None = None,
    ) -> Route:
        """A route: the requests that match are served from its own script (``.script()``,
        ``.turns()``), and journalled as its own. The first route that matches, in the order
        added, serves a request; the rest use the fake's script.

        ``model``: the request's model. ``contains``: text in the last user message. ``system``:
        text in the system prompt. ``tools``: a tool name the request offers. ``tool_result``:
        True (the last message answers a tool call) or the ``tool_use`` id it answers.
        ``stream``: streamed or not. ``predicate``: a callable on the request JSON.
        """
        return self._engine.when(Match(model, contains, system, tools, tool_result, stream, predicate))

    @property
    def routes(self) -> list[Route]:
        """The routes, in the order added."""
        return self._engine.routes

    def reset(self) -> None:
        """Forget everything served (journal, attempts, turns, routes, findings, scripts, ids and
        quotas) and start the clock and the SDK's jitter over: as a new fake with the same options."""
        self._engine.reset()
        self._jitter.seed(self.seed)

    def _remembering(self) -> AbstractContextManager[None]:
        """What an exploration wraps its runs in: the API's work kept across resets (see
        :meth:`~claude_fakes.engine.Engine.remembering`)."""
        return self._engine.remembering()

    # -- options ------------------------------------------------------------------------------

    @property
    def clock(self) -> Clock:
        """The fake's virtual clock: ``now()``, ``elapsed``, ``sleeps``."""
        return self._engine.clock

    @property
    def seed(self) -> int:
        return self._engine.seed

    @property
    def strict(self) -> bool:
        """Whether a scripted step no request met fails :meth:`verify` (and the test)."""
        return self._engine.strict

    @strict.setter
    def strict(self, value: bool) -> None:
        self._engine.strict = value

    @property
    def validate(self) -> bool:
        """Whether the API's conversation checks apply: orphan ``tool_use``, unknown ``tool_result``,
        ``max_tokens`` above the model's limit, each a 400 as the API words it."""
        return self._engine.validate

    @validate.setter
    def validate(self, value: bool) -> None:
        self._engine.validate = value

    @property
    def api_strict(self) -> bool:
        """Whether what the fake does not know (a model, beta, field, role, block type) gets the API's
        own 400/404 instead of a note in the journal and the verdict."""
        return self._engine.api_strict

    @api_strict.setter
    def api_strict(self, value: bool) -> None:
        self._engine.api_strict = value

    @property
    def network(self) -> str:
        """What is refused while the fake is active: ``"refuse-claude"``, ``"loopback"`` or ``"open"``."""
        return self._network

    @property
    def allow_hosts(self) -> tuple[AllowedHost, ...]:
        """The hosts let through whatever :attr:`network` says."""
        return self._allow_hosts

    @property
    def models(self) -> ModelTable:
        """The models this fake knows: the package's table with the ``models`` option merged over it."""
        return self._engine.models

    @property
    def latency(self) -> LatencyModel | None:
        return self._engine.latency

    @property
    def gateway(self) -> Gateway | None:
        return self._engine.gateway

    @property
    def rate_limits(self) -> RateLimits | None:
        return self._engine.rate_limits

    # -- what happened ------------------------------------------------------------------------

    @property
    def journal(self) -> list[Exchange]:
        """Every HTTP exchange so far, in order."""
        return self._engine.journal

    @property
    def attempts(self) -> int:
        """How many ``POST /v1/messages`` requests reached the fake."""
        return self._engine.attempts

    def timeline(self) -> str:
        """The journal and the sleeps between attempts, one line each, in time order."""
        return self._engine.timeline()

    def unused_steps(self) -> list[str]:
        """The scripted steps no attempt has met yet, described."""
        return self._engine.unused_steps()

    @property
    def findings(self) -> list[str]:
        """Problems found that fail the test whatever its assertions (a hang forever), and connections
        the network guard refused (which fail a strict fake's test)."""
        return self._engine.findings

    def take_findings(self) -> list[str]:
        """The findings so far, forgotten: for a test that proves one happens (a call that would hang
        forever), so that the check at its end does not fail it for that finding.

        ``assert fake.take_findings() == [...]`` states the finding the test expects.
        """
        return self._engine.take_findings()

    def verify(self) -> None:
        """Fail if a request would have hung forever, or (strict) a scripted step went unused or the
        network guard refused a connection."""
        __tracebackhide__ = True
        self._engine.verify()

    def explore(
        self,
        fn: Callable[[], object],
        *,
        faults: Sequence[StepLike],
        attempts: int | None = None,
        turns: int | None = None,
        limit: int = DEFAULT_LIMIT,
        samples: int | None = None,
        seed: int = 0,
        base: StepLike | Sequence[StepLike] | None = None,
        allow_unreached: bool = False,
    ) -> Report:
        """Run ``fn`` once per fault schedule and report (see :mod:`claude_fakes.explore`).

        A schedule is one choice among ``faults`` and ``ok`` for each of the first ``attempts``
        attempts (or the first attempt of each of ``turns`` turns), served over ``base`` (any script,
        turns included: what every attempt answers where the schedule puts no fault). A fault's cut
        point may be a dimension: ``drop(after=*)``, ``truncate(after=1..6)``. Every schedule runs
        while the space holds at most ``limit``, else ``samples`` seeded draws; one that differs from
        a run only where that run reached nothing is not run again. The fake is reset before each
        run; it is started for the exploration if it is not active. A run fails when ``fn`` raises
        or a call would hang forever; each distinct failure (what escaped, and where) is shrunk to
        the smallest schedule that still fails that way, in :attr:`Report.distinct`. A turn,
        attempt or fault no run reached fails the report unless ``allow_unreached``.
        """
        space = Space.of(faults, attempts=attempts, turns=turns, base=base)
        started = not self.active
        if started:
            self.start()
        try:
            return explore(self, fn, space, limit=limit, samples=samples, seed=seed, allow_unreached=allow_unreached)
        finally:
            if started:
                self.stop()

    def __repr__(self) -> str:
        state = "active" if self.active else "inactive"
        return f"<ClaudeFake {state}: {self.attempts} attempt(s), {self.clock.elapsed:g}s virtual, seed {self.seed}>"

    # -- as a route in another mock ------------------------------------------------------------

    def respond(self, request: Any) -> Any:
        """Serve one httpx/httpx2 request from the script: a side effect for respx or pytest-httpx routes.

        Returns that library's ``Response`` or raises its transport error, on the virtual clock.
        """
        return handle(self._engine, library_of(request), request, self._api_path(request), bridged_errors())

    async def respond_async(self, request: Any) -> Any:
        """:meth:`respond` for async clients."""
        return await handle_async(self._engine, library_of(request), request, self._api_path(request), self._wait,
                                  bridged_errors())

    def _api_path(self, request: Any) -> str:
        # The router in front sent this request here, whatever its host: a gateway's prefix is not the API's.
        url = request.url
        return match(self._targets, url.scheme, url.host, url.port, url.path) or api_root(url.path)

    async def _wait(self, seconds: float) -> None:
        """A plan's silence in async code: a timer on a virtual loop, else an instant advance."""
        await wait(self._time.loops if self._time is not None else None, self.clock, seconds)

    # -- activation ---------------------------------------------------------------------------

    def __enter__(self) -> ClaudeFake:
        self.start()
        return self

    def __exit__(
        self, exc_type: type[BaseException] | None, exc: BaseException | None, tb: TracebackType | None
    ) -> None:
        self.stop()
        if exc_type is None:
            self.verify()

    @property
    def active(self) -> bool:
        return self._stack is not None

    def start(self) -> None:
        """Intercept, and put time on the virtual clock, until :meth:`stop`."""
        global _active
        with _active_lock:
            if _active is not None:
                raise FakeAlreadyActive("another ClaudeFake is active; stop it first (one fake intercepts at a time)")
            _active = self
        stack = ExitStack()
        try:
            targets = list(self._targets)
            for variable in BASE_URL_VARIABLES:
                env_base = os.environ.get(variable)
                if env_base:
                    targets.append(Target.parse(env_base))
            network = Network(self._network, self._allow_hosts, self._engine.add_strict_finding)
            if self.intercept:
                interception = Interception(Router(targets, network), self._engine, self._wait, self._upstream)
                stack.callback(interception.uninstall)
                if not interception.install():
                    raise RuntimeError("claude_fakes intercepts httpx, httpx2 or aiohttp clients, and none is "
                                       "installed")
                share_default_contexts(stack)
                remember_proxy_variables(stack)
            if self._network == "loopback":
                network.guard_sockets(stack)
            self._patch_environment(stack)
            virtual = VirtualTime(self.clock, threading.get_ident(), self._jitter.random)
            virtual.install(stack)
            self._time = virtual
            stack.callback(setattr, self, "_time", None)
        except BaseException:
            stack.close()
            with _active_lock:
                _active = None
            raise
        self._stack = stack

    def stop(self) -> None:
        """Restore everything :meth:`start` patched. Safe to call twice."""
        global _active
        stack, self._stack = self._stack, None
        if stack is None:
            return
        try:
            stack.close()
        finally:
            with _active_lock:
                _active = None

    @staticmethod
    def _patch_environment(stack: ExitStack) -> None:
        for name, value in fake_environment(os.environ).items():
            os.environ[name] = value
            stack.callback(os.environ.pop, name, None)
