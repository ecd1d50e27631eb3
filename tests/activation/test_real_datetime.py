"""``datetime.datetime`` and ``datetime.date`` stay the real classes while a fake runs (issue 20).

Only what ``now``/``utcnow`` (and ``today``, through ``time.time``) return changes, and only on
the fake's thread: values pickle as real datetimes, ``type(datetime.now())`` is the class, a
class with its own metaclass can derive from them (pydantic.v1 does), a package imported for the
first time under a fake builds its pydantic models, and other threads see the real classes and
the real time.
"""

from __future__ import annotations

import datetime
import os
import pickle
import subprocess
import sys
import textwrap
import threading
import time
import warnings
from collections.abc import Callable
from pathlib import Path
from typing import Any

import freezegun.api
import pytest
from freezegun import freeze_time

from claude_fakes import ClaudeFake

from .. import project_module

FROZEN = datetime.datetime(2020, 6, 1, 12, tzinfo=datetime.timezone.utc).timestamp()

REAL: dict[str, Any] = {
    "datetime": datetime.datetime, "date": datetime.date,
    "now": datetime.datetime.__dict__["now"], "utcnow": datetime.datetime.__dict__["utcnow"],
    "today": datetime.date.__dict__["today"],
    **{name: getattr(time, name) for name in ("time", "time_ns", "monotonic", "monotonic_ns", "localtime",
                                              "gmtime", "sleep", "perf_counter", "strftime")},
}
"""What the modules held at import, in a dict (freezegun rewrites module globals holding them)."""
FREEZEGUN_REAL = {name: getattr(freezegun.api, name) for name in dir(freezegun.api) if name.startswith("real_")}
FREEZE_METHODS = {name: freezegun.api._freeze_time.__dict__[name] for name in ("start", "stop")}
ROOT = Path(__file__).resolve().parent.parent.parent


def in_a_thread(fn: Callable[[], Any]) -> Any:
    """What ``fn`` returns when another thread calls it."""
    result: list[Any] = []
    worker = threading.Thread(target=lambda: result.append(fn()))
    worker.start()
    worker.join(timeout=10)
    return result[0]


def assert_all_real() -> None:
    """Nothing of a fake or a freeze is left on ``time``, ``datetime`` or freezegun."""
    for name, value in REAL.items():
        if name in ("now", "utcnow"):
            assert datetime.datetime.__dict__[name] is value, f"datetime.datetime.{name} is patched"
        elif name == "today":
            assert datetime.date.__dict__[name] is value, "datetime.date.today is patched"
        else:
            assert getattr(time if name not in ("datetime", "date") else datetime, name) is value, f"{name} is patched"
    assert {name: getattr(freezegun.api, name) for name in FREEZEGUN_REAL} == FREEZEGUN_REAL
    assert freezegun.api._freeze_time.__dict__["start"] is FREEZE_METHODS["start"]
    assert freezegun.api._freeze_time.__dict__["stop"] is FREEZE_METHODS["stop"]
    assert project_module.time is REAL["time"] and project_module.datetime is REAL["datetime"]
    assert abs(time.time() - REAL["time"]()) < 5
    assert abs(datetime.datetime.now().timestamp() - REAL["time"]()) < 5
    assert type(datetime.datetime.now()) is REAL["datetime"]


def error_of(fn: Callable[..., Any], *args: Any) -> str:
    """The message of the TypeError ``fn(*args)`` raises."""
    with pytest.raises(TypeError) as caught:
        fn(*args)
    return str(caught.value)


def pickled(value: Any) -> bytes:
    return pickle.dumps(value, protocol=pickle.HIGHEST_PROTOCOL)


VALUES = [datetime.datetime(2020, 1, 1), datetime.date(2020, 1, 2),
          datetime.datetime(2020, 1, 1, 3, tzinfo=datetime.timezone.utc)]
PICKLED = [pickled(value) for value in VALUES]


def test_values_pickle_as_real_datetimes_in_every_thread_while_a_fake_runs() -> None:
    def pickle_all() -> list[bytes]:
        return [pickled(value) for value in VALUES]

    with ClaudeFake():
        assert pickle_all() == PICKLED
        assert in_a_thread(pickle_all) == PICKLED
        assert pickled(datetime.datetime(2020, 1, 1)) == PICKLED[0], "a value made under the fake"
        now = datetime.datetime.now()
        assert pickle.loads(pickled(now)) == now
        assert pickle.loads(pickled(datetime.date.today())) == now.date()


def test_now_returns_the_real_class_in_every_thread() -> None:
    def types() -> list[type]:
        return [datetime.datetime, datetime.date, type(datetime.datetime.now()),
                type(datetime.datetime.now(datetime.timezone.utc)), type(datetime.datetime.today()),
                type(datetime.date.today())]

    expected = [REAL["datetime"], REAL["date"], REAL["datetime"], REAL["datetime"], REAL["datetime"], REAL["date"]]
    with ClaudeFake() as fake:
        assert types() == expected
        assert in_a_thread(types) == expected
        assert datetime.datetime.now().timestamp() == pytest.approx(fake.clock.now())
        assert abs(in_a_thread(lambda: datetime.datetime.now().timestamp()) - REAL["time"]()) < 5
    assert_all_real()


def test_a_class_with_its_own_metaclass_derives_from_date_and_datetime_under_a_fake() -> None:
    class Meta(type):
        pass

    with ClaudeFake():
        class Day(datetime.date, metaclass=Meta):
            pass

        class Moment(datetime.datetime, metaclass=Meta):
            pass

        assert Day(2026, 1, 2).day == 2
        assert Moment.now().timestamp() == pytest.approx(datetime.datetime.now().timestamp(), abs=1)
        assert isinstance(Moment.now(), Moment), "a subclass's now() returns the subclass"
        assert isinstance(Day.today(), Day)


def test_subclasses_read_the_clock_on_the_fakes_thread_only() -> None:
    class Moment(datetime.datetime):
        pass

    with ClaudeFake() as fake:
        assert Moment.now(datetime.timezone.utc).timestamp() == pytest.approx(fake.clock.now())
        assert in_a_thread(lambda: Moment.now().timestamp()) == pytest.approx(REAL["time"](), abs=5)
        assert type(Moment.now()) is Moment
        with warnings.catch_warnings():
            warnings.simplefilter("ignore", DeprecationWarning)  # utcnow is deprecated on 3.12+
            assert type(Moment.utcnow()) is Moment


def test_now_and_utcnow_read_the_clock_on_the_fakes_thread_and_real_time_elsewhere() -> None:
    with ClaudeFake() as fake:
        time.sleep(3600)
        virtual = fake.clock.now()
        assert datetime.datetime.now().timestamp() == pytest.approx(virtual)
        assert datetime.datetime.now(datetime.timezone.utc).timestamp() == pytest.approx(virtual)
        assert datetime.datetime.now(tz=datetime.timezone.utc).timestamp() == pytest.approx(virtual)
        with warnings.catch_warnings():
            warnings.simplefilter("ignore", DeprecationWarning)  # utcnow is deprecated on 3.12+
            utc = datetime.datetime.utcnow()
            assert utc.tzinfo is None
            assert utc.replace(tzinfo=datetime.timezone.utc).timestamp() == pytest.approx(virtual)
            assert abs(in_a_thread(datetime.datetime.utcnow).replace(tzinfo=datetime.timezone.utc).timestamp()
                       - REAL["time"]()) < 5
        assert datetime.datetime.today().timestamp() == pytest.approx(virtual)
        assert datetime.date.today() == datetime.datetime.fromtimestamp(virtual).date()
        assert abs(in_a_thread(datetime.datetime.now).timestamp() - REAL["time"]()) < 5
        assert abs(in_a_thread(datetime.datetime.today).timestamp() - REAL["time"]()) < 5
        with pytest.raises(TypeError, match="tzinfo"):
            datetime.datetime.now(5)  # type: ignore[arg-type]
        assert "tzinfo" in in_a_thread(lambda: error_of(datetime.datetime.now, 5))
    assert_all_real()


def test_every_binding_of_the_classes_reads_the_clock() -> None:
    """`from datetime import datetime` in the project, or a class held where no fake looks, follow the fake."""
    held = REAL["datetime"]
    with ClaudeFake() as fake:
        assert project_module.datetime_now().timestamp() == pytest.approx(fake.clock.now())
        assert project_module.today() == datetime.datetime.fromtimestamp(fake.clock.now()).date()
        assert held.now().timestamp() == pytest.approx(fake.clock.now())
        assert REAL["date"].today() == project_module.today()
    assert abs(project_module.datetime_now().timestamp() - REAL["time"]()) < 5
    assert abs(held.now().timestamp() - REAL["time"]()) < 5


def test_utcnow_warns_as_the_real_one_does() -> None:
    """On 3.12+ utcnow is deprecated: the warning names the caller's line, faked or not."""
    def record() -> list[tuple[Any, str, str]]:
        with warnings.catch_warnings(record=True) as caught:
            warnings.simplefilter("always")
            datetime.datetime.utcnow()
        return [(w.category, str(w.message), w.filename) for w in caught]

    real = record()
    with ClaudeFake():
        assert record() == real
    assert all(filename == __file__ for _, _, filename in real)


def run_fresh(code: str) -> str:
    """Runs ``code`` in a new interpreter importing this work tree's claude_fakes; its stdout."""
    environment = {**os.environ, "PYTHONPATH": os.pathsep.join(filter(None, [str(ROOT), os.environ.get("PYTHONPATH")]))}
    finished = subprocess.run([sys.executable, "-c", textwrap.dedent(code)], cwd=ROOT, env=environment,
                              capture_output=True, text=True, timeout=120)
    assert finished.returncode == 0, finished.stderr
    return finished.stdout


def test_the_sdk_pydantic_v1_and_langchain_imported_first_under_a_fake() -> None:
    """Packages imported for the first time while a fake runs build their models and work.

    The SDK's pydantic models have datetime fields; pydantic.v1 derives ``class X(date,
    metaclass=M)`` at import; langchain-anthropic imports both. One fresh interpreter for all three.
    """
    out = run_fresh("""
        import datetime, sys
        from claude_fakes import ClaudeFake
        print(not {"anthropic", "pydantic", "pydantic.v1", "langchain_core", "langchain_anthropic"} & set(sys.modules))
        with ClaudeFake("ok, ok") as fake:
            import anthropic
            message = anthropic.Anthropic().messages.create(
                model="claude-sonnet-4-6", max_tokens=64, messages=[{"role": "user", "content": "Hello"}])
            print(message.content[0].type)
            import pydantic.v1

            class Event(pydantic.v1.BaseModel):
                at: datetime.datetime
                on: datetime.date

            during = Event(at="2026-01-02T03:04:05Z", on="2026-01-03")
            from langchain_anthropic import ChatAnthropic
            print(bool(ChatAnthropic(model="claude-sonnet-4-6").invoke("Hello").content), fake.attempts)
        after = Event(at=datetime.datetime(2030, 1, 1), on=datetime.date(2030, 1, 2))
        print(during.at.day, after.on.day)
        """)
    assert out.split() == ["True", "text", "True", "2", "2", "2"]


# -- freezegun around, inside and across a fake ------------------------------------------------


def reads_fake(fake: ClaudeFake) -> None:
    now = fake.clock.now()
    assert time.time() == pytest.approx(now)
    assert datetime.datetime.now(datetime.timezone.utc).timestamp() == pytest.approx(now)
    assert datetime.date.today() == datetime.datetime.fromtimestamp(now).date()
    assert project_module.now() == pytest.approx(now)


def reads_frozen() -> None:
    assert time.time() == FROZEN
    assert datetime.datetime.now(datetime.timezone.utc).timestamp() == FROZEN
    assert datetime.date.today() == datetime.date(2020, 6, 1)


ORDERINGS = {
    "freeze around fake": ["freeze", "fake", "-fake", "-freeze"],
    "fake around freeze": ["fake", "freeze", "-freeze", "-fake"],
    "freeze first, stopped first": ["freeze", "fake", "-freeze", "-fake"],
    "fake first, stopped first": ["fake", "freeze", "-fake", "-freeze"],
}


@pytest.mark.parametrize("steps", ORDERINGS.values(), ids=ORDERINGS.keys())
def test_freezegun_in_any_order_with_a_fake_leaves_nothing_patched(steps: list[str]) -> None:
    """The innermost of the two (the one started last) sets the time while both run; after both, all is real."""
    fake, freezer = ClaudeFake(), freeze_time("2020-06-01 12:00:00")
    running: list[str] = []
    try:
        for step in steps:
            if step == "fake":
                fake.start()
                time.sleep(60)
            elif step == "freeze":
                freezer.start()
            elif step == "-fake":
                fake.stop()
            else:
                freezer.stop()
            running = [name for name in running if name != step.lstrip("-")] if step.startswith("-") \
                else [*running, step]
            if not running:
                assert_all_real()
            elif running[-1] == "fake":
                reads_fake(fake)
            else:
                reads_frozen()
            if "freeze" not in running:  # freezegun's time is every thread's
                assert abs(in_a_thread(datetime.datetime.now).timestamp() - REAL["time"]()) < 5
    finally:
        fake.stop()
        if freezegun.api.freeze_factories:
            freezer.stop()
    assert_all_real()


# -- safety --------------------------------------------------------------------------------


def test_threads_calling_now_while_fakes_start_and_stop() -> None:
    """Other threads read real datetimes of the real class, with no error, while fakes come and go."""
    stop = threading.Event()
    problems: list[str] = []
    calls = [0]

    def hammer() -> None:
        while not stop.is_set():
            try:
                for value in (datetime.datetime.now(), datetime.datetime.now(datetime.timezone.utc),
                              datetime.datetime.today(), datetime.date.today()):
                    if type(value) not in (REAL["datetime"], REAL["date"]):
                        problems.append(f"type {type(value)}")
                now = datetime.datetime.now(datetime.timezone.utc).timestamp()
                if abs(now - REAL["time"]()) > 5:
                    problems.append(f"virtual time in a worker: {now}")
                if pickled(VALUES[0]) != PICKLED[0]:
                    problems.append("pickle")
                calls[0] += 1
            except Exception as error:  # any error is the finding
                problems.append(repr(error))

    workers = [threading.Thread(target=hammer) for _ in range(3)]
    for worker in workers:
        worker.start()
    try:
        for _ in range(100):
            with ClaudeFake() as fake:
                time.sleep(86400)
                assert datetime.datetime.now(datetime.timezone.utc).timestamp() == pytest.approx(fake.clock.now())
            assert abs(datetime.datetime.now().timestamp() - REAL["time"]()) < 5
    finally:
        stop.set()
        for worker in workers:
            worker.join(timeout=10)
    assert problems == []
    assert calls[0] > 100
    assert_all_real()
