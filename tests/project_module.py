"""A module of the project under test that binds ``time`` and ``datetime`` names, as application code often does."""

from datetime import date, datetime
from time import time


def now() -> float:
    return time()


def datetime_now() -> datetime:
    return datetime.now()


def today() -> date:
    return date.today()
