"""Virtual time for the test's thread, and only for it.

While a fake is active, on the thread that started it:

- ``time.time``/``time_ns``, ``time.monotonic``/``monotonic_ns``, ``time.localtime``/``gmtime``
  and ``datetime.datetime.now/utcnow/today``, ``datetime.date.today`` read the fake's clock;
- ``time.sleep``, ``asyncio.sleep`` and ``anyio.sleep`` take their time on it (recorded in
  ``clock.sleeps``), and the asyncio loops of the thread run on it (:mod:`claude_fakes.activation.aio`).

Every other thread reads and sleeps in real time, whatever its call stack. The replacements sit
on the ``time`` and ``datetime`` modules, and on the names that the project's own modules (not
the standard library's or an installed package's) imported from them (``from time import time``);
installed packages keep what they bound. Nothing is scanned per start beyond ``sys.modules``'
names: a module is examined once, the first time a fake sees it.

``datetime.datetime`` and ``datetime.date`` become subclasses whose instances are the real
classes' (so a value made under the fake is an ordinary ``datetime`` after it), that pass
``isinstance`` checks for real values, and that pydantic builds its ``datetime`` schema for, so a
model defined while a fake is active validates during and after it.

A user's own ``freezegun.freeze_time`` inside a faked test works: freezegun's notion of real time
is pointed at the fake's clock while the fake runs, so its frozen time wins inside its block and
the fake's clock is back after it.
"""

from __future__ import annotations

import asyncio
import datetime as datetime_module
import importlib
import os
import sys
import sysconfig
import threading
import time
from collections.abc import Callable
from contextlib import ExitStack
from types import ModuleType
from typing import Any, cast

from ..core.clock import Clock
from .aio import VirtualLoops, virtual_sleep

_get_ident = threading.get_ident
_utc = datetime_module.timezone.utc
# In dicts, not module globals: a user's freezegun rewrites module globals that hold real time objects.
_CLASSES: dict[str, Any] = {"datetime": datetime_module.datetime, "date": datetime_module.date}

REAL: dict[str, Any] = {
    "time": time.time, "time_ns": time.time_ns, "monotonic": time.monotonic, "monotonic_ns": time.monotonic_ns,
    "localtime": time.localtime, "gmtime": time.gmtime, "sleep": time.sleep,
}
"""The real functions, as the ``time`` module had them when claude_fakes was imported."""


class _Active:
    """The fake whose clock the test's thread reads (one at a time)."""

    owner: int | None = None
    clock: Clock | None = None
    monotonic_base = 0.0


def _virtual_seconds() -> float | None:
    """The virtual POSIX time when the caller is the fake's thread, else None."""
    clock = _Active.clock
    if clock is None or _get_ident() != _Active.owner:
        return None
    return clock.now()


def _time() -> float:
    now = _virtual_seconds()
    return REAL["time"]() if now is None else now


def _time_ns() -> int:
    now = _virtual_seconds()
    return REAL["time_ns"]() if now is None else int(now * 1e9)


def _monotonic() -> float:
    clock = _Active.clock
    if clock is None or _get_ident() != _Active.owner:
        return REAL["monotonic"]()  # type: ignore[no-any-return]
    # Continuous with real time at the fake's start, so deadlines taken just before it still work.
    return _Active.monotonic_base + clock.elapsed


def _monotonic_ns() -> int:
    return int(_monotonic() * 1e9)


def _localtime(seconds: float | None = None) -> time.struct_time:
    return REAL["localtime"](_time() if seconds is None else seconds)  # type: ignore[no-any-return]


def _gmtime(seconds: float | None = None) -> time.struct_time:
    return REAL["gmtime"](_time() if seconds is None else seconds)  # type: ignore[no-any-return]


def _sleep(seconds: float) -> None:
    clock = _Active.clock
    if clock is None:
        return REAL["sleep"](seconds)  # type: ignore[no-any-return]
    if _get_ident() != _Active.owner:
        # Another thread's sleep is real (its time is not the test's), but the timeline says it happened.
        if seconds > 0:
            clock.record_real_sleep(seconds, "time.sleep", threading.current_thread().name)
        return REAL["sleep"](seconds)  # type: ignore[no-any-return]
    if seconds < 0:
        raise ValueError("sleep length must be non-negative")
    if seconds > 0:
        clock.sleep(seconds, "time.sleep")
    return None


class _DatetimeType(type):
    def __instancecheck__(cls, value: Any) -> bool:
        return isinstance(value, _CLASSES["datetime"])

    def __subclasscheck__(cls, subclass: type) -> bool:
        return issubclass(subclass, _CLASSES["datetime"])


class _DateType(type):
    def __instancecheck__(cls, value: Any) -> bool:
        return isinstance(value, _CLASSES["date"])

    def __subclasscheck__(cls, subclass: type) -> bool:
        return issubclass(subclass, _CLASSES["date"])


def _pydantic_schema(real: type) -> Any:
    def schema(cls: type, source: Any, handler: Any) -> Any:
        return handler.generate_schema(real)

    return classmethod(schema)


class VirtualDatetime(datetime_module.datetime, metaclass=_DatetimeType):
    """``datetime.datetime`` while a fake is active: ``now()`` reads the fake's clock on its thread."""

    def __new__(cls, *args: Any, **kwargs: Any) -> VirtualDatetime:
        return cast(VirtualDatetime, _CLASSES["datetime"](*args, **kwargs))

    @classmethod
    def now(cls, tz: datetime_module.tzinfo | None = None) -> VirtualDatetime:
        seconds = _virtual_seconds()
        if seconds is None:
            return cast(VirtualDatetime, _CLASSES["datetime"].now(tz))
        return cast(VirtualDatetime, _CLASSES["datetime"].fromtimestamp(seconds, tz))

    @classmethod
    def today(cls) -> VirtualDatetime:
        return cls.now()

    @classmethod
    def utcnow(cls) -> VirtualDatetime:
        return cls.now(_utc).replace(tzinfo=None)

    __get_pydantic_core_schema__ = _pydantic_schema(_CLASSES["datetime"])


class VirtualDate(datetime_module.date, metaclass=_DateType):
    """``datetime.date`` while a fake is active: ``today()`` reads the fake's clock on its thread."""

    def __new__(cls, *args: Any, **kwargs: Any) -> VirtualDate:
        return cast(VirtualDate, _CLASSES["date"](*args, **kwargs))

    @classmethod
    def today(cls) -> VirtualDate:
        return VirtualDatetime.now().date()  # type: ignore[return-value]

    __get_pydantic_core_schema__ = _pydantic_schema(_CLASSES["date"])


_TIME_REPLACEMENTS: dict[str, Callable[..., Any]] = {
    "time": _time, "time_ns": _time_ns, "monotonic": _monotonic, "monotonic_ns": _monotonic_ns,
    "localtime": _localtime, "gmtime": _gmtime, "sleep": _sleep,
}
_SWAPS: dict[int, tuple[Any, Any]] = {
    id(real): (real, virtual)
    for real, virtual in [*((REAL[name], value) for name, value in _TIME_REPLACEMENTS.items()),
                          (_CLASSES["datetime"], VirtualDatetime), (_CLASSES["date"], VirtualDate)]
}
"""Each real time function or class (by id, checked by identity), with its virtual stand-in."""


def _virtual_of(value: Any) -> Any:
    """The stand-in for ``value`` if it is a real time function or class, else None."""
    swap = _SWAPS.get(id(value))
    return swap[1] if swap is not None and swap[0] is value else None


def _installed_prefixes() -> tuple[str, ...]:
    paths = sysconfig.get_paths()
    found = {paths[key] for key in ("stdlib", "platstdlib", "purelib", "platlib") if key in paths}
    found.add(os.path.dirname(os.path.dirname(__file__)))  # the package itself
    found |= {os.path.realpath(path) for path in found}
    return tuple(sorted(path + os.sep for path in found))


_INSTALLED = _installed_prefixes()
_seen: set[str] = set()
"""Module names already examined."""
_project: dict[str, tuple[ModuleType, tuple[str, ...]]] = {}
"""The project's own modules, as examined, with their names bound to a real time function or class."""

def _is_project(module: ModuleType) -> bool:
    path = getattr(module, "__file__", None)
    if not isinstance(path, str) or path.startswith(_INSTALLED):
        return False
    return not os.path.realpath(path).startswith(_INSTALLED)


def _own_names(module: ModuleType) -> tuple[str, ...]:
    try:
        namespace = vars(module)
    except TypeError:
        return ()
    return tuple(name for name, value in list(namespace.items()) if _virtual_of(value) is not None)


def _project_bindings() -> list[tuple[ModuleType, str, Any, Any]]:
    """(module, name, real value, stand-in) for every project module's binding of a real time object.

    Only names new to ``sys.modules`` are examined, and project modules checked again when
    another module object took their name (pytester re-imports test modules).
    """
    modules = sys.modules
    if len(modules) != len(_seen):
        for name in modules.keys() - _seen:
            module = modules.get(name)
            if module is not None and _is_project(module):
                _project[name] = (module, _own_names(module))
        _seen.clear()
        _seen.update(modules)
    found: list[tuple[ModuleType, str, Any, Any]] = []
    for name, (module, names) in list(_project.items()):
        current = modules.get(name)
        if current is not module:
            if current is None:
                del _project[name]
                continue
            module, names = _project[name] = (current, _own_names(current) if _is_project(current) else ())
        namespace = module.__dict__
        for attribute in names:
            value = namespace.get(attribute)
            virtual = _virtual_of(value)
            if virtual is not None:
                found.append((module, attribute, value, virtual))
    return found


class VirtualTime:
    """Puts the thread ``owner`` on ``clock`` between :meth:`install` and the stack's close."""

    def __init__(self, clock: Clock, owner: int, seed_random: Callable[[], float] | None = None) -> None:
        self.clock = clock
        self.owner = owner
        self.loops = VirtualLoops(clock, owner)
        self._seed_random = seed_random

    def install(self, stack: ExitStack) -> None:
        clock, owner = self.clock, self.owner
        _Active.owner, _Active.clock, _Active.monotonic_base = owner, clock, REAL["monotonic"]() - clock.elapsed
        stack.callback(_deactivate)

        for name, replacement in _TIME_REPLACEMENTS.items():
            _set(stack, time, name, replacement)
        _set(stack, datetime_module, "datetime", VirtualDatetime)
        _set(stack, datetime_module, "date", VirtualDate)
        for module, name, real, virtual in _project_bindings():
            module.__dict__[name] = virtual
            stack.callback(module.__dict__.__setitem__, name, real)
        self._point_freezegun_at_the_clock(stack)

        self.loops.install(stack)
        # A module first imported while the fake runs may bind these replacements by name
        # (`from time import sleep`) and keep them after it stops: they must then act as the real
        # ones. anyio's asyncio backend is such a module; importing it first keeps it clean.
        _optional("anyio._backends._asyncio")
        self._patch_sleeps(stack)

        # The SDK binds `from random import random` at import time: its jitter must be patched there.
        base_client = sys.modules.get("anthropic._base_client")
        if base_client is not None and self._seed_random is not None:
            _set(stack, base_client, "random", self._seed_random)

    def _patch_sleeps(self, stack: ExitStack) -> None:
        clock, owner, loops = self.clock, self.owner, self.loops
        real_asyncio_sleep = asyncio.sleep

        async def asyncio_sleep(delay: float, result: Any = None) -> Any:
            if delay > 0 and _Active.clock is clock and loops.running_virtual_loop():
                clock.record_sleep(delay, "asyncio.sleep")
                return await virtual_sleep(delay, result)
            return await real_asyncio_sleep(delay, result)

        _set(stack, asyncio, "sleep", asyncio_sleep)

        anyio = _optional("anyio")
        if anyio is not None:
            real_anyio_sleep = anyio.sleep

            async def anyio_sleep(delay: float) -> None:
                if _get_ident() != owner or delay <= 0 or _Active.clock is not clock:
                    return await real_anyio_sleep(delay)  # type: ignore[no-any-return]
                if loops.running_virtual_loop():
                    clock.record_sleep(delay, "anyio.sleep")
                    return await virtual_sleep(delay)  # type: ignore[no-any-return]
                clock.sleep(delay, "anyio.sleep")
                return await real_anyio_sleep(0)  # type: ignore[no-any-return]

            _set(stack, anyio, "sleep", anyio_sleep)

    @staticmethod
    def _point_freezegun_at_the_clock(stack: ExitStack) -> None:
        freezegun = sys.modules.get("freezegun.api")
        if freezegun is None:
            return
        for name, value in (("real_time", _time), ("real_monotonic", _monotonic), ("real_localtime", _localtime),
                            ("real_gmtime", _gmtime), ("real_datetime", VirtualDatetime),
                            ("real_date", VirtualDate)):
            if hasattr(freezegun, name):
                _set(stack, freezegun, name, value)


def _deactivate() -> None:
    _Active.owner, _Active.clock = None, None


def _set(stack: ExitStack, owner: Any, name: str, value: Any) -> None:
    original = getattr(owner, name)
    setattr(owner, name, value)
    stack.callback(setattr, owner, name, original)


def _optional(module: str) -> Any:
    try:
        return importlib.import_module(module)
    except ImportError:
        return None
