"""A bounded memo, for answers an engine works out again and again as exploration repeats its runs."""

from __future__ import annotations

from collections.abc import Hashable
from typing import Generic, TypeVar

__all__ = ["Memo"]

V = TypeVar("V")


class Memo(Generic[V]):
    """The answers for the :attr:`size` most recently used keys."""

    def __init__(self, size: int) -> None:
        self.size = size
        self._answers: dict[Hashable, V] = {}

    def get(self, key: Hashable) -> V | None:
        """The answer kept for ``key``, or None."""
        answers = self._answers
        found = answers.pop(key, None)
        if found is not None:
            answers[key] = found  # the most recently used go last
        return found

    def put(self, key: Hashable, answer: V) -> None:
        answers = self._answers
        if len(answers) >= self.size and key not in answers:
            del answers[next(iter(answers))]
        answers[key] = answer

    def clear(self) -> None:
        self._answers.clear()

    def __len__(self) -> int:
        return len(self._answers)
