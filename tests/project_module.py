"""A module of the project under test that binds ``time`` by name, as application code often does."""

from time import time


def now() -> float:
    return time()
