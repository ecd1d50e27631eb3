"""Virtual time stays inside the test: the test's thread and its event loops, nothing else."""

from __future__ import annotations

import asyncio
import datetime
import threading
import time
from collections.abc import Iterator
from typing import Any

import pydantic
import pytest
from freezegun import freeze_time

from claude_fakes import ClaudeFake

from .. import project_module
from ..local_server import local_server
from ..sdk import HTTP, call

REAL_NOW = 1.7e9
"""Any real POSIX time today is above this; the fake's clock starts at 2026-01-01 (1.767e9)."""


def deep(frames: int, fn: Any) -> Any:
    return fn() if frames == 0 else deep(frames - 1, fn)


def test_a_worker_thread_deep_in_its_stack_reads_real_time() -> None:
    readings: dict[str, Any] = {}

    def read() -> None:
        readings.update(monotonic=time.monotonic(), time=time.time(), now=datetime.datetime.now())

    with ClaudeFake("hang, ok") as fake:
        assert call("sync", {"timeout": 600}).error is None
        assert fake.clock.elapsed >= 600
        before = time.monotonic()
        worker = threading.Thread(target=deep, args=(12, read))
        worker.start()
        worker.join(timeout=5)
    real_monotonic = time.monotonic()
    assert before - readings["monotonic"] >= 599, "the test's thread is 600 virtual seconds ahead"
    assert abs(readings["monotonic"] - real_monotonic) < 5
    assert abs(readings["time"] - time.time()) < 5
    assert abs((datetime.datetime.now() - readings["now"]).total_seconds()) < 5


def test_the_tests_thread_reads_the_clock_everywhere() -> None:
    with ClaudeFake("hang, ok") as fake:
        start = time.monotonic()
        assert call("sync", {"timeout": 30}).error is None
        assert time.monotonic() - start == pytest.approx(fake.clock.elapsed)
        assert datetime.datetime.now(datetime.timezone.utc).timestamp() == pytest.approx(fake.clock.now())
        assert datetime.date.today() == datetime.datetime.fromtimestamp(fake.clock.now()).date()
        assert time.gmtime().tm_year == 2026
        assert project_module.now() == pytest.approx(fake.clock.now()), "`from time import time` too"
    assert project_module.now() > REAL_NOW and abs(project_module.now() - time.time()) < 5


def test_datetime_checks_and_values_outlive_the_fake() -> None:
    real_value = datetime.datetime(2020, 1, 1)
    with ClaudeFake():
        made = datetime.datetime.now()
        assert isinstance(real_value, datetime.datetime)
        assert type(made) is type(real_value), "values made under the fake are ordinary datetimes"
        parsed = datetime.datetime.fromisoformat("2021-02-03T04:05:06")
        kept_class = datetime.datetime
    assert made + datetime.timedelta(days=1) > made
    assert type(parsed) is datetime.datetime
    assert kept_class.now().timestamp() > REAL_NOW, "a class captured under the fake reads real time after it"


def test_a_pydantic_model_defined_under_a_fake_validates_during_and_after() -> None:
    with ClaudeFake():
        field_type = datetime.datetime

        class Event(pydantic.BaseModel):
            at: field_type  # type: ignore[valid-type]
            on: datetime.date

        during = Event(at="2026-01-01T00:00:00Z", on="2026-01-02")
        assert during.at.year == 2026 and during.on.day == 2
    after = Event(at=datetime.datetime(2030, 5, 6), on=datetime.date(2030, 5, 7))
    assert after.model_dump() == {"at": datetime.datetime(2030, 5, 6), "on": datetime.date(2030, 5, 7)}


def test_the_users_own_freeze_time_inside_a_fake() -> None:
    with ClaudeFake() as fake:
        with freeze_time("2020-06-01 12:00:00"):
            assert datetime.datetime.now().year == 2020
            assert time.time() == datetime.datetime(2020, 6, 1, 12, tzinfo=datetime.timezone.utc).timestamp()
        time.sleep(30)
        assert time.time() == pytest.approx(fake.clock.now())
        assert datetime.datetime.now(datetime.timezone.utc).timestamp() == pytest.approx(fake.clock.now())
    assert time.time() > REAL_NOW and abs(time.time() - fake.clock.now()) > 60


def test_a_freeze_time_around_a_fake() -> None:
    with freeze_time("2020-06-01"), ClaudeFake() as fake:
        assert time.time() == pytest.approx(fake.clock.now())
    assert abs(time.time() - fake.clock.now()) > 60


@pytest.fixture
def slow_server() -> Iterator[str]:
    """A real server on 127.0.0.1 that answers after 0.3 real seconds."""
    with local_server(delay=0.3) as url:
        yield url


async def test_a_real_local_server_is_waited_for_in_real_time(claude_fake: ClaudeFake, slow_server: str) -> None:
    async with HTTP.AsyncClient() as client:
        response = await asyncio.wait_for(client.get(slow_server), 5)
    assert response.text == "real!"
    assert claude_fake.clock.elapsed < 5, "the loop did not jump to the wait_for deadline"
