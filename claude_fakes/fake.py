"""``ClaudeFake``: a scripted Claude API on a virtual clock, intercepting in-process clients."""

from __future__ import annotations

import asyncio
import importlib
import itertools
import math
import os
import random
import threading
import time
from collections.abc import Callable, Iterable, Mapping
from contextlib import ExitStack
from dataclasses import dataclass
from datetime import timedelta
from types import TracebackType
from typing import Any

from .aio import VirtualLoops, wait
from .api import Api, Incoming
from .clock import Clock
from .gateway import Gateway, gateway_from
from .intercept import ANTHROPIC_API, Interception, Target
from .journal import Exchange, Outcome, format_timeline
from .latency import LatencyModel, latency_model
from .plan import Plan
from .quota import RateLimits
from .replies import Reply
from .script import Step, pick_chaos, to_steps
from .transport import bridged_errors, handle, handle_async
from .verdict import Verdict, assess, retry_after

__all__ = ["ClaudeFake", "FakeAlreadyActive", "UnusedStepsError"]

FAKE_API_KEY = "sk-ant-api03-claude-fakes-not-a-real-key"


class UnusedStepsError(AssertionError):
    """A strict fake ended with scripted steps that no request met."""


def check_unused(unused: list[str], findings: list[str], timeline: Callable[[], str]) -> None:
    """Raise :class:`UnusedStepsError` for unused steps and findings, with the timeline."""
    problems = list(findings)
    if unused:
        problems.append(
            "scripted steps never used; the test claims to cover them but no request met them:\n    "
            + "\n    ".join(unused)
            + "\n  (pass strict=False, or set claude_fake.strict = False, if that is intended)"
        )
    if problems:
        raise UnusedStepsError("claude_fakes: " + "\n".join(problems) + "\n" + timeline())


class FakeAlreadyActive(RuntimeError):
    """Only one fake intercepts at a time; a second one would make routing ambiguous."""


@dataclass
class _Scripted:
    step: Step
    script_number: int
    position: int
    used: int = 0

    @property
    def exhausted(self) -> bool:
        return self.used >= self.step.count

    @property
    def unused(self) -> bool:
        return self.used == 0 if math.isinf(self.step.count) else self.used < self.step.count


_active_lock = threading.Lock()
_active: ClaudeFake | None = None


REAL_TIME_MODULES = frozenset({"_pytest.timing"})
"""Modules whose time must stay real while a fake runs: pytest measures test durations (the
``--durations`` report, JUnit XML) with ``_pytest.timing``, which imports ``time`` and ``perf_counter``
by name, so freezegun would otherwise rewrite them."""


class ClaudeFake:
    """A fake Claude API. Use it as a context manager, or through the ``claude_fake`` fixture.

    ``script``: the per-attempt steps for ``POST /v1/messages`` (a script string, a step, a
    reply, or a list of them). ``base_urls``: hosts to answer for besides
    ``https://api.anthropic.com`` (and ``$ANTHROPIC_BASE_URL`` when set). ``seed``: SDK jitter and
    ids (and ``chaos`` picks). ``strict``: leaving a scripted step unused fails the test.
    ``latency``: ``"realistic"`` paces every reply (:mod:`claude_fakes.latency`). ``gateway``: a
    named gateway (``"vercel-hobby"``, ``"cloudflare"``, …) or a :class:`Gateway` in front of
    the API. ``rate_limits``: request and token quotas per minute. ``intercept=False``: patch
    no transport, only time; requests reach the fake through :meth:`respond`, as a route of
    respx or pytest-httpx2.
    """

    def __init__(
        self,
        script: str | Step | Reply | Iterable[str | Step | Reply] | None = None,
        *,
        base_urls: Iterable[str] = (),
        seed: int = 0,
        strict: bool = True,
        intercept: bool = True,
        latency: str | LatencyModel | None = None,
        gateway: str | Gateway | None = None,
        rate_limits: RateLimits | Mapping[str, int] | None = None,
    ) -> None:
        if isinstance(rate_limits, Mapping):
            rate_limits = RateLimits(**rate_limits)
        self.seed = seed
        self.intercept = intercept
        self.latency = latency_model(latency)
        self.gateway = gateway_from(gateway)
        self.rate_limits = rate_limits
        self.strict = strict
        self.clock = Clock()
        self._targets = [Target.parse(ANTHROPIC_API), *(Target.parse(url) for url in base_urls)]
        self._api = Api(seed, latency=self.latency, rate_limits=rate_limits)
        self._lock = threading.RLock()
        self._journal: list[Exchange] = []
        self._attempts = 0
        self._scripted: list[_Scripted] = []
        self._queue: list[_Scripted] = []
        self._scripts = 0
        self._findings: list[str] = []
        self._stack: ExitStack | None = None
        self._loops: VirtualLoops | None = None
        self._real_asyncio_sleep = asyncio.sleep
        if script is not None:
            self.script(*(script if isinstance(script, (list, tuple)) else (script,)))

    # -- the script ---------------------------------------------------------------------------

    def script(self, *items: str | Step | Reply) -> ClaudeFake:
        """Set the steps for the next attempts, replacing any not yet reached.

        Steps replaced before use still count as unused for a strict fake.
        """
        steps = to_steps(items)
        with self._lock:
            self._scripts += 1
            self._queue = [_Scripted(step, self._scripts, n) for n, step in enumerate(steps, 1)]
            self._scripted.extend(self._queue)
        return self

    def _take_step(self) -> Step | None:
        while self._queue and self._queue[0].exhausted:
            self._queue.pop(0)
        if not self._queue:
            return None
        entry = self._queue[0]
        entry.used += 1
        return entry.step

    # -- what happened ------------------------------------------------------------------------

    @property
    def journal(self) -> list[Exchange]:
        """Every HTTP exchange so far, in order."""
        with self._lock:
            return list(self._journal)

    @property
    def attempts(self) -> int:
        """How many ``POST /v1/messages`` requests reached the fake."""
        return self._attempts

    def timeline(self) -> str:
        """The journal and the sleeps between attempts, one line each, in virtual-time order."""
        return format_timeline(self.journal, self.clock.sleep_log, self.clock.elapsed)

    @property
    def waits_between_attempts(self) -> list[float]:
        """Virtual seconds from the end of each attempt to the start of the next."""
        attempts = [exchange for exchange in self.journal if exchange.attempt is not None]
        return [
            later.start - (earlier.end if earlier.end is not None else earlier.start)
            for earlier, later in itertools.pairwise(attempts)
        ]

    def verdict(self) -> Verdict:
        """What the journal shows the client did wrong (see :mod:`claude_fakes.verdict`)."""
        return assess(self.journal, self.timeline())

    def assert_attempts(self, expected: int) -> None:
        """Assert how many ``POST /v1/messages`` attempts arrived; the message shows the timeline."""
        if self.attempts != expected:
            raise AssertionError(f"expected {expected} attempt(s), the fake saw {self.attempts}\n{self.timeline()}")

    def assert_retry_after_honoured(self) -> None:
        """Assert that every retry-after was waited out, and that there was one to honour."""
        verdict = self.verdict()
        attempts = [exchange for exchange in self.journal if exchange.attempt is not None]
        if not any(retry_after(exchange) is not None for exchange in attempts[:-1]):
            raise AssertionError(
                "no response with retry-after was followed by another attempt, so nothing shows it was "
                f"honoured\n{self.timeline()}"
            )
        ignored = [finding for finding in verdict.findings if finding.code == "retry_after_ignored"]
        if ignored:
            raise AssertionError("\n".join(map(str, ignored)) + "\n" + verdict.timeline)

    def assert_resilient(self, *, allow: Iterable[str] = ()) -> None:
        """Assert that the verdict has no findings, except the codes in ``allow``."""
        allowed = set(allow)
        verdict = self.verdict()
        left = [finding for finding in verdict.findings if finding.code not in allowed]
        if left:
            raise AssertionError(str(Verdict(tuple(left), verdict.timeline)))

    def __repr__(self) -> str:
        state = "active" if self.active else "inactive"
        return f"<ClaudeFake {state}: {self.attempts} attempt(s), {self.clock.elapsed:g}s virtual, seed {self.seed}>"

    def unused_steps(self) -> list[str]:
        """The scripted steps no attempt has met yet, described."""
        with self._lock:
            return [
                f"{entry.step} (step {entry.position} of script {entry.script_number}, used {entry.used} of "
                f"{'inf' if math.isinf(entry.step.count) else int(entry.step.count)})"
                for entry in self._scripted
                if entry.unused
            ]

    def verify(self) -> None:
        """Fail if a request would have hung forever, or (strict) a scripted step went unused."""
        check_unused(self.unused_steps() if self.strict else [], self._findings, self.timeline)

    # -- the executors' side ------------------------------------------------------------------

    def _begin(
        self, incoming: Incoming, timeout: dict[str, float | None], rejection: Plan | None = None
    ) -> tuple[Exchange, Plan]:
        """Journal a new exchange and decide its plan (``rejection``: answer with that instead)."""
        with self._lock:
            now = self.clock.now()
            plan = rejection or self._api.reject(incoming, now=now)
            step = None
            notes: list[str] = []
            if plan is None and incoming.is_attempt:
                plan = self._api.over_quota(now)
                if plan is not None:
                    notes.append("over quota")
            if plan is None:
                step = self._take_step() if incoming.is_attempt else None
                if step is not None and step.action == "chaos":
                    step = pick_chaos(step, random.Random(f"{self.seed}:chaos:{self._attempts + 1}"))
                    notes.append("chaos")
                plan = self._api.respond(incoming, step, now=now)
            if self.gateway is not None:
                behind = self.gateway.apply(plan)
                if behind != plan:
                    notes.append(f"cut by {self.gateway.name}")
                plan = behind
            body = incoming.json
            retry = incoming.headers.get("x-stainless-retry-count", "")
            if incoming.is_attempt:
                self._attempts += 1
            exchange = Exchange(
                attempt=self._attempts if incoming.is_attempt else None,
                retry_count=int(retry) if retry.isdigit() else None,
                method=incoming.method,
                path=incoming.path,
                headers=dict(incoming.headers),
                json=body,
                timeout=timeout,
                step=step,
                start=self.clock.elapsed,
                stream=isinstance(body, dict) and body.get("stream") is True,
                notes=notes,
            )
            self._journal.append(exchange)
            return exchange, plan

    def _finish(self, exchange: Exchange, outcome: str, error: str | None) -> None:
        with self._lock:
            exchange.outcome = outcome
            exchange.error = error
            exchange.end = self.clock.elapsed
            if outcome == Outcome.WOULD_HANG_FOREVER:
                self._findings.append(
                    f"attempt {exchange.attempt}: {exchange.method} {exchange.path} would hang forever "
                    "(the client has no read timeout)"
                )

    # -- as a route in another mock ------------------------------------------------------------

    def respond(self, request: Any) -> Any:
        """Serve one httpx/httpx2 request from the script: a side effect for respx or pytest-httpx routes.

        Returns that library's ``Response`` or raises its transport error, on the virtual clock.
        """
        return handle(self, _library_of(request), request, self._api_path(request), bridged_errors())

    async def respond_async(self, request: Any) -> Any:
        """:meth:`respond` for async clients."""
        return await handle_async(self, _library_of(request), request, self._api_path(request), bridged_errors())

    def _api_path(self, request: Any) -> str:
        url = request.url
        for target in self._targets:
            path = target.api_path(url.scheme, url.host, url.port, url.path)
            if path is not None:
                return path
        return str(url.path)

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
            env_base = os.environ.get("ANTHROPIC_BASE_URL")
            targets = list(self._targets)
            if env_base:
                targets.append(Target.parse(env_base))
            interception = Interception(
                targets,
                lambda lib, request, path: handle(self, lib, request, path),
                lambda lib, request, path: handle_async(self, lib, request, path),
            )
            stack.callback(interception.uninstall)
            if self.intercept and not interception.install():
                raise RuntimeError("claude_fakes intercepts httpx or httpx2 clients, and neither is installed")
            self._patch_environment(stack)
            self._patch_time(stack)
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

    def _patch_environment(self, stack: ExitStack) -> None:
        # The SDK refuses to build a client without a key; the fake needs none.
        if not os.environ.get("ANTHROPIC_API_KEY") and not os.environ.get("ANTHROPIC_AUTH_TOKEN"):
            previous = os.environ.get("ANTHROPIC_API_KEY")
            os.environ["ANTHROPIC_API_KEY"] = FAKE_API_KEY

            def restore() -> None:
                if previous is None:
                    os.environ.pop("ANTHROPIC_API_KEY", None)
                else:
                    os.environ["ANTHROPIC_API_KEY"] = previous

            stack.callback(restore)

    def _patch_time(self, stack: ExitStack) -> None:
        owner = threading.get_ident()
        clock = self.clock

        # freezegun first: it must not find our own sleep functions and time hooks.
        from freezegun import freeze_time

        freezer = freeze_time(clock.epoch, tick=False)
        factory = freezer.start()
        stack.callback(freezer.stop)
        for module, name, real in freezer.undo_changes:
            if module.__name__ in REAL_TIME_MODULES:
                setattr(module, name, real)  # freezer.stop sets the same value again
        epoch = clock.epoch

        def move(elapsed: float) -> None:
            factory.move_to(epoch + timedelta(seconds=elapsed))

        stack.callback(clock.on_advance(move))
        move(clock.elapsed)

        loops = VirtualLoops(clock, owner)
        loops.install(stack)
        self._loops = loops
        stack.callback(setattr, self, "_loops", None)

        # A module first imported while the fake runs may bind these replacements by name
        # (`from time import sleep`) and keep them after it stops: they must then act as the real
        # ones. anyio's asyncio backend is such a module; importing it first keeps it clean.
        _optional("anyio._backends._asyncio")
        live = self._live

        real_sleep = time.sleep

        def sleep(seconds: float) -> None:
            if threading.get_ident() != owner or not live():
                return real_sleep(seconds)
            if seconds < 0:
                raise ValueError("sleep length must be non-negative")
            if seconds > 0:
                clock.sleep(seconds, "time.sleep")

        _set(stack, time, "sleep", sleep)
        real_asyncio_sleep = asyncio.sleep
        self._real_asyncio_sleep = real_asyncio_sleep

        async def asyncio_sleep(delay: float, result: Any = None) -> Any:
            if delay > 0 and live() and loops.running_virtual_loop():
                clock.record_sleep(delay, "asyncio.sleep")
            return await real_asyncio_sleep(delay, result)

        _set(stack, asyncio, "sleep", asyncio_sleep)

        anyio = _optional("anyio")
        if anyio is not None:
            real_anyio_sleep = anyio.sleep

            async def anyio_sleep(delay: float) -> None:
                if threading.get_ident() != owner or delay <= 0 or not live():
                    return await real_anyio_sleep(delay)  # type: ignore[no-any-return]
                if loops.running_virtual_loop():
                    clock.record_sleep(delay, "anyio.sleep")
                    return await real_anyio_sleep(delay)  # type: ignore[no-any-return]
                clock.sleep(delay, "anyio.sleep")
                return await real_anyio_sleep(0)  # type: ignore[no-any-return]

            _set(stack, anyio, "sleep", anyio_sleep)

        # The SDK binds `from random import random` at import time: its jitter must be patched there.
        base_client = _optional("anthropic._base_client")
        if base_client is not None:
            _set(stack, base_client, "random", random.Random(self.seed).random)

    def _live(self) -> bool:
        return self._stack is not None

    async def _wait(self, seconds: float) -> None:
        """A plan's silence in an async transport (see :func:`claude_fakes.aio.wait`)."""
        await wait(self._loops, self.clock, seconds, self._real_asyncio_sleep)


def _set(stack: ExitStack, owner: Any, name: str, value: Any) -> None:
    original = getattr(owner, name)
    setattr(owner, name, value)
    stack.callback(setattr, owner, name, original)


def _library_of(request: Any) -> Any:
    return importlib.import_module(type(request).__module__.split(".")[0])


def _optional(module: str) -> Any:
    try:
        return importlib.import_module(module)
    except ImportError:
        return None
