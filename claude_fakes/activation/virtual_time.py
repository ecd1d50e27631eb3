"""Virtual time for the test's thread, and only for it.

While a fake is active, on the thread that started it:

- ``time.time``/``time_ns``, ``time.monotonic``/``monotonic_ns``, ``time.localtime``/``gmtime``
  and ``datetime.datetime.now/utcnow/today``, ``datetime.date.today`` read the fake's clock;
- ``time.sleep``, ``asyncio.sleep`` and ``anyio.sleep`` take their time on it (recorded in
  ``clock.sleeps``), and the asyncio loops of the thread run on it (:mod:`claude_fakes.activation.aio`).

Every other thread reads and sleeps in real time, whatever its call stack. The ``time``
replacements sit on the ``time`` module, and on the names that the project's own modules (not the
standard library's or an installed package's) imported from it (``from time import time``);
installed packages keep what they bound. Nothing is scanned per start beyond ``sys.modules``'
names: a module is examined once, the first time a fake sees it.

``datetime.datetime`` and ``datetime.date`` stay the real classes, in every thread: values are
ordinary datetimes (``type(datetime.now()) is datetime``, they pickle byte for byte as without a
fake), a class with its own metaclass can derive from them (pydantic.v1 does), and pydantic
builds its schemas as usual. What changes is the real class's ``now`` and ``utcnow``: while a
fake runs, the entries in ``datetime.datetime.__dict__`` are classmethods that read the clock
when called on the fake's thread and call the C originals elsewhere (see :func:`_route_datetime`
for how an immutable built-in type's dict is written, and why that is safe). Every name bound to
the class, in any module, sees it; a bound method taken before the fake (``now = datetime.now``
at import) keeps calling the C original. ``date.today`` and ``datetime.today`` need no entry:
CPython's own ``today`` calls ``time.time()`` through the ``time`` module, which the fake has
replaced. Where the entries cannot be written, the fake's start raises a ``RuntimeError`` that
names the interpreter (CPython 3.10 to 3.13 are verified).

A user's own ``freezegun.freeze_time`` works with a fake in any order: the one started last sets
the time while both run (freezegun's notion of real time is pointed at the fake's clock while the
fake runs, so inside a faked test its frozen time wins in its block and the fake's clock is back
after it), and whichever stops last, ``time`` and ``datetime`` are real after both.
"""

from __future__ import annotations

import asyncio
import ctypes
import datetime as datetime_module
import gc
import importlib
import os
import sys
import sysconfig
import threading
import time
import warnings
from collections.abc import Callable
from contextlib import ExitStack
from types import ModuleType
from typing import Any

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
    clock = _Active.clock  # _virtual_seconds() inlined: date.today() calls this too
    if clock is None or _get_ident() != _Active.owner:
        return REAL["time"]()  # type: ignore[no-any-return]
    return clock.now()


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


_UTCNOW_DEPRECATION = (
    "datetime.datetime.utcnow() is deprecated and scheduled for removal in a future version. Use "
    "timezone-aware objects to represent datetimes in UTC: datetime.datetime.now(datetime.UTC).")
"""What CPython 3.12+ warns on ``utcnow()``; the routed ``utcnow`` warns the same, at its caller's line."""
_UTCNOW_WARNS = sys.version_info >= (3, 12)


def _now(cls: type[datetime_module.datetime], tz: datetime_module.tzinfo | None = None) -> datetime_module.datetime:
    """``datetime.datetime.now`` while a fake is active."""
    clock = _Active.clock
    if clock is not None and _get_ident() == _Active.owner:
        return cls.fromtimestamp(clock.now()) if tz is None else cls.fromtimestamp(clock.now(), tz)
    if cls is _CLASSES["datetime"]:
        bound = _BELOW_BOUND["now"]
        return bound() if tz is None else bound(tz)  # type: ignore[no-any-return]
    return _BELOW["now"](cls, tz)  # type: ignore[no-any-return]


def _utcnow(cls: type[datetime_module.datetime]) -> datetime_module.datetime:
    """``datetime.datetime.utcnow`` while a fake is active."""
    if _UTCNOW_WARNS:
        warnings.warn(_UTCNOW_DEPRECATION, DeprecationWarning, stacklevel=2)
    return _now(cls, _utc).replace(tzinfo=None)


_now.__name__ = _now.__qualname__ = "now"
_utcnow.__name__ = _utcnow.__qualname__ = "utcnow"

_ROUTES: dict[str, Any] = {"now": classmethod(_now), "utcnow": classmethod(_utcnow)}
"""The entries a fake puts in ``datetime.datetime.__dict__`` (see :func:`_route_datetime`)."""
_BELOW: dict[str, Any] = {name: datetime_module.datetime.__dict__[name] for name in _ROUTES}
"""What the routes call off the fake's thread: the entries they replaced (CPython's, normally)."""
_BELOW_BOUND: dict[str, Any] = {name: entry.__get__(None, datetime_module.datetime) for name, entry in _BELOW.items()}
"""The same, bound to ``datetime.datetime`` (a third cheaper to call than the descriptor)."""
_KEPT: list[Any] = [*_ROUTES.values(), *_BELOW.values()]
"""Every entry ever stored in the class's dict, alive for the process's life (see :func:`_route_datetime`)."""
_IMMUTABLE_TYPE = 1 << 8
"""``Py_TPFLAGS_IMMUTABLETYPE`` (3.10+; set on every static type): ``setattr`` on the class is refused."""

_PYTHON_API = getattr(ctypes, "pythonapi", None)  # CPython's; absent on PyPy, whose classes are mutable
_type_modified = None if _PYTHON_API is None else ctypes.PYFUNCTYPE(None, ctypes.py_object)(
    ("PyType_Modified", _PYTHON_API))
"""CPython's ``PyType_Modified`` (public C API): drops the lookup caches of a type whose dict changed."""


def _route_datetime(stack: ExitStack) -> None:
    """Puts :func:`_now` and :func:`_utcnow` in the real ``datetime.datetime``'s dict until the stack closes.

    ``datetime.datetime`` is a static type (``setattr`` refuses: "cannot set 'now' attribute of
    immutable type"), so the entry is written as ``type.__setattr__`` writes one on a mutable
    class: the value is stored in the type's dict (the dict behind ``__dict__``'s mappingproxy,
    as ``gc.get_referents`` gives it), then ``PyType_Modified`` drops the lookup caches keyed on
    the type's version, for the class and its subclasses. No struct layout is read or written.
    Where the class is mutable (PyPy, or the pure-Python ``datetime``), plain ``setattr`` does it.

    Why not swap the C function in the method table (``PyMethodDef.ml_meth``), as time-machine
    does from C: from Python that takes a ctypes callback, and a ctypes callback cannot raise (an
    exception in it is printed and the C caller gets garbage: a segfault), while ``now(tz)``
    raises for a bad ``tz``, and a ``KeyboardInterrupt`` may arrive in it.

    Safety: the writes happen once per start and once per stop, each with the GIL held. Another
    thread may still find the previous entry through a cache for a few bytecodes in between;
    every entry ever stored is kept alive (:data:`_KEPT`), so a cached pointer never dangles, and
    both are right for that thread (the routes call the originals off the fake's thread).
    """
    real = _CLASSES["datetime"]
    namespace = _writable_dict(real)
    for name, route in _ROUTES.items():
        current = real.__dict__[name]
        if current is not route and current is not _BELOW[name]:  # someone else's entry since import
            _BELOW[name], _BELOW_BOUND[name] = current, current.__get__(None, real)
            _KEPT.append(current)
    stack.callback(_unroute_datetime)
    _write(real, namespace, _ROUTES)
    for name, route in _ROUTES.items():
        if getattr(getattr(real, name), "__func__", None) is not route.__func__:
            raise RuntimeError(f"claude_fakes could not route datetime.datetime.{name} on this interpreter "
                               f"({sys.implementation.name} {sys.version.split()[0]})")


def _unroute_datetime() -> None:
    real = _CLASSES["datetime"]
    current = real.__dict__
    _write(real, _writable_dict(real),
           {name: _BELOW[name] for name, route in _ROUTES.items() if current.get(name) is route})


def _writable_dict(real: type) -> dict[str, Any] | None:
    """The dict behind ``real.__dict__``, or None where ``setattr`` on the class works."""
    if not real.__flags__ & _IMMUTABLE_TYPE:
        return None
    referents = gc.get_referents(real.__dict__)
    found = referents[0] if len(referents) == 1 else None
    if not isinstance(found, dict) or found.get("now") is not real.__dict__["now"] or _type_modified is None:
        raise RuntimeError("claude_fakes cannot reach datetime.datetime's dict on this interpreter "
                           f"({sys.implementation.name} {sys.version.split()[0]})")
    return found


def _write(real: type, namespace: dict[str, Any] | None, entries: dict[str, Any]) -> None:
    if not entries:
        return
    if namespace is None:
        for name, value in entries.items():
            setattr(real, name, value)
        return
    namespace.update(entries)
    _type_modified(real)  # type: ignore[misc]  # not None: _writable_dict checked


_TIME_REPLACEMENTS: dict[str, Callable[..., Any]] = {
    "time": _time, "time_ns": _time_ns, "monotonic": _monotonic, "monotonic_ns": _monotonic_ns,
    "localtime": _localtime, "gmtime": _gmtime, "sleep": _sleep,
}
_SWAPS: dict[int, tuple[Any, Any, Any]] = {
    id(REAL[name]): (REAL[name], value, REAL[name]) for name, value in _TIME_REPLACEMENTS.items()
}
"""Each time function a project's name may hold (by id, checked by identity): (it, its virtual
stand-in, the real one). The real functions, and freezegun's stand-ins once freezegun is seen."""

_FREEZEGUN_FAKES = {"fake_time": "time", "fake_time_ns": "time_ns", "fake_monotonic": "monotonic",
                    "fake_monotonic_ns": "monotonic_ns", "fake_localtime": "localtime", "fake_gmtime": "gmtime"}
_FREEZEGUN_REAL = {"real_time": _time, "real_time_ns": _time_ns, "real_monotonic": _monotonic,
                   "real_monotonic_ns": _monotonic_ns, "real_localtime": _localtime, "real_gmtime": _gmtime}
"""freezegun's notion of real time, pointed at the fake's clock while a fake runs."""


def _swap_of(value: Any) -> tuple[Any, Any, Any] | None:
    """(value, its stand-in, the real one) if ``value`` is a time function a fake replaces, else None."""
    swap = _SWAPS.get(id(value))
    return swap if swap is not None and swap[0] is value else None


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
"""The project's own modules, as examined, with their names bound to a real time function."""

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
    return tuple(name for name, value in list(namespace.items()) if _swap_of(value) is not None)


_Binding = tuple[dict[str, Any], str, Any, Any, Any]
"""A project module's namespace, a name in it, what it held, its virtual stand-in, the real function."""


def _project_bindings() -> list[_Binding]:
    """Every project module's binding of a time function the fake replaces.

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
    found: list[_Binding] = []
    for name, (module, names) in list(_project.items()):
        current = modules.get(name)
        if current is not module:
            if current is None:
                del _project[name]
                continue
            module, names = _project[name] = (current, _own_names(current) if _is_project(current) else ())
        namespace = module.__dict__
        for attribute in names:
            swap = _swap_of(namespace.get(attribute))
            if swap is not None:
                found.append((namespace, attribute, *swap))
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
            _set(stack, time, name, replacement, real=REAL[name])
        for name, real in _CLASSES.items():
            if getattr(datetime_module, name) is not real:  # a freezegun started before the fake: the fake wins
                _set(stack, datetime_module, name, real, real=real)
        _route_datetime(stack)
        freezegun = _Freezegun.seen()
        bindings = _project_bindings()
        for namespace, name, _, virtual, _ in bindings:
            namespace[name] = virtual
        stack.callback(_restore_bindings, bindings)
        if freezegun is not None:
            freezegun.install(stack, bindings)

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


class _Freezegun:
    """A user's freezegun and a fake, started and stopped in any order.

    While the fake runs, freezegun's notion of real time (``freezegun.api.real_time``, …) is the
    fake's clock, so a freeze started inside the fake reads it when not frozen, and its stop puts
    the fake's functions back on ``time``. The fake also wraps ``_freeze_time.start`` and
    ``stop``: a freeze stopped inside the fake hands the project's names back to the fake (its
    stop sets them to the real functions), and a freeze started inside the fake and still running
    when the fake stops will put the real functions back at its stop, not the fake's.
    """

    def __init__(self, api: ModuleType) -> None:
        self.api = api

    @staticmethod
    def seen() -> _Freezegun | None:
        """The freezegun in use, if any, with its stand-ins known to :data:`_SWAPS`."""
        api = sys.modules.get("freezegun.api")
        if api is None:
            return None
        for fake_name, name in _FREEZEGUN_FAKES.items():
            fake = getattr(api, fake_name, None)
            if fake is not None and _swap_of(fake) is None:
                _SWAPS[id(fake)] = (fake, _TIME_REPLACEMENTS[name], REAL[name])
        return _Freezegun(api)

    def install(self, stack: ExitStack, bindings: list[_Binding]) -> None:
        api = self.api
        for name, value in _FREEZEGUN_REAL.items():
            if hasattr(api, name):
                _set(stack, api, name, value)
        freeze = getattr(api, "_freeze_time", None)
        start, stop = getattr(freeze, "start", None), getattr(freeze, "stop", None)
        if not isinstance(freeze, type) or not callable(start) or not callable(stop):
            return
        started: list[Any] = []

        def start_freeze(self: Any) -> Any:
            factory = start(self)
            started.append(self)
            return factory

        def stop_freeze(self: Any) -> None:
            stop(self)
            if not getattr(api, "freeze_factories", True):
                for namespace, name, _, virtual, real in bindings:
                    if namespace.get(name) is real:
                        namespace[name] = virtual

        _set(stack, freeze, "start", start_freeze)
        _set(stack, freeze, "stop", stop_freeze)
        stack.callback(self._undo_to_real, started, bindings)

    @staticmethod
    def _undo_to_real(started: list[Any], bindings: list[_Binding]) -> None:
        """Freezes started inside the fake and still running will restore the project's names to the real functions."""
        names = {(id(namespace), name): (virtual, real) for namespace, name, _, virtual, real in bindings}
        for freeze in started:
            undo = getattr(freeze, "undo_changes", None)
            if not isinstance(undo, list):
                continue
            for index, change in enumerate(undo):
                if not isinstance(change, tuple) or len(change) != 3:
                    continue
                owner, name, value = change
                swap = names.get((id(getattr(owner, "__dict__", None)), name))
                if swap is not None and value is swap[0]:
                    undo[index] = (owner, name, swap[1])


def _restore_bindings(bindings: list[_Binding]) -> None:
    for namespace, name, held, virtual, real in bindings:
        if namespace.get(name) is virtual:
            namespace[name] = real if _freeze_ended(held) else held


def _deactivate() -> None:
    _Active.owner, _Active.clock = None, None


def _set(stack: ExitStack, owner: Any, name: str, value: Any, real: Any = None) -> None:
    """Sets ``owner.name`` to ``value`` until the stack closes.

    At the close it is set back only if it still holds ``value`` (a freezegun started during the
    fake and still running has its own in place, and its stop restores it), and to ``real``
    rather than what it held before if that was a freezegun's stand-in and every freeze has
    stopped since (freezegun started before the fake and stopped before it).
    """
    original = getattr(owner, name)
    setattr(owner, name, value)
    stack.callback(_restore, owner, name, value, original, real)


def _restore(owner: Any, name: str, value: Any, original: Any, real: Any) -> None:
    if getattr(owner, name, None) is not value:
        return
    if real is not None and original is not real and _freeze_ended(original):
        original = real
    setattr(owner, name, original)


def _freeze_ended(value: Any) -> bool:
    """Whether ``value`` is one of freezegun's stand-ins and no freeze is running."""
    freezegun = sys.modules.get("freezegun.api")
    return (freezegun is not None and getattr(value, "__module__", None) == "freezegun.api"
            and not getattr(freezegun, "freeze_factories", True))


def _optional(module: str) -> Any:
    try:
        return importlib.import_module(module)
    except ImportError:
        return None
