"""core/memo.py: a bounded memo of the most recently used answers."""

from __future__ import annotations

import pytest

from claude_fakes.core.memo import Memo


def test_an_answer_put_is_got_back_and_a_missing_one_is_none() -> None:
    memo: Memo[str] = Memo(4, 100)
    memo.put("a", "A")
    assert (memo.get("a"), memo.get("b"), len(memo)) == ("A", None, 1)


def test_past_its_size_the_least_recently_used_answer_goes() -> None:
    memo: Memo[int] = Memo(2, 100)
    memo.put("a", 1)
    memo.put("b", 2)
    memo.get("a")  # now "b" is the least recently used
    memo.put("c", 3)
    assert (memo.get("a"), memo.get("b"), memo.get("c"), len(memo)) == (1, None, 3, 2)


def test_putting_a_key_again_replaces_its_answer_without_evicting() -> None:
    memo: Memo[int] = Memo(2, 100)
    memo.put("a", 1)
    memo.put("b", 2)
    memo.put("a", 10)
    assert (memo.get("a"), memo.get("b")) == (10, 2)


def test_clear_forgets_everything() -> None:
    memo: Memo[int] = Memo(2, 100)
    memo.put("a", 1)
    memo.clear()
    assert (memo.get("a"), len(memo)) == (None, 0)



def test_past_its_budget_the_least_recently_used_answers_go_and_one_too_heavy_is_not_kept() -> None:
    memo: Memo[str] = Memo(10, 100)
    memo.put("a", "A", 40)
    memo.put("b", "B", 40)
    memo.put("c", "C", 40)  # 120 > 100: "a" goes
    memo.put("huge", "H", 101)
    assert [memo.get(key) for key in ("a", "b", "c", "huge")] == [None, "B", "C", None]
    assert memo.weight == 80
    memo.put("b", "B again", 10)
    assert (memo.weight, memo.get("b")) == (50, "B again")


def test_a_key_that_cannot_be_hashed_is_a_type_error_empty_or_not() -> None:
    memo: Memo[int] = Memo(2, 100)
    with pytest.raises(TypeError):
        memo.get(("a", ["list"]))
    memo.put("b", 2)
    with pytest.raises(TypeError):
        memo.get(("a", ["list"]))
