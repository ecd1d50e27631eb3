"""A bounded memo, for answers an engine works out again and again while exploration repeats its runs."""

from __future__ import annotations

from collections.abc import Hashable
from typing import Generic, TypeVar

__all__ = ["Memo"]

V = TypeVar("V")


class Memo(Generic[V]):
    """The answers for the most recently used keys: at most :attr:`size` of them, weighing at most
    :attr:`budget` together (a weight is what the caller says an entry holds, in bytes)."""

    def __init__(self, size: int, budget: int) -> None:
        self.size = size
        self.budget = budget
        self.weight = 0
        self._answers: dict[Hashable, tuple[V, int]] = {}

    def get(self, key: Hashable) -> V | None:
        """The answer kept for ``key``, or None; TypeError for a key that cannot be hashed."""
        answers = self._answers
        if not answers:
            hash(key)  # an empty dict's pop() does not hash: raise as a filled memo does
            return None
        found = answers.pop(key, None)
        if found is None:
            return None
        answers[key] = found  # the most recently used go last
        return found[0]

    def put(self, key: Hashable, answer: V, weight: int = 0) -> None:
        """Keep ``answer`` for ``key``, dropping the least recently used past the size or budget; an
        answer that alone weighs more than the budget is not kept."""
        if weight > self.budget:
            return
        answers = self._answers
        replaced = answers.pop(key, None)
        if replaced is not None:
            self.weight -= replaced[1]
        while answers and (len(answers) >= self.size or self.weight + weight > self.budget):
            self.weight -= answers.pop(next(iter(answers)))[1]
        answers[key] = (answer, weight)
        self.weight += weight

    def clear(self) -> None:
        self._answers.clear()
        self.weight = 0

    def __len__(self) -> int:
        return len(self._answers)
