"""core/memo.py: a bounded memo of the most recently used answers."""

from __future__ import annotations

from claude_fakes.core.memo import Memo


def test_an_answer_put_is_got_back_and_a_missing_one_is_none() -> None:
    memo: Memo[str] = Memo(4)
    memo.put("a", "A")
    assert (memo.get("a"), memo.get("b"), len(memo)) == ("A", None, 1)


def test_past_its_size_the_least_recently_used_answer_goes() -> None:
    memo: Memo[int] = Memo(2)
    memo.put("a", 1)
    memo.put("b", 2)
    memo.get("a")  # now "b" is the least recently used
    memo.put("c", 3)
    assert (memo.get("a"), memo.get("b"), memo.get("c"), len(memo)) == (1, None, 3, 2)


def test_putting_a_key_again_replaces_its_answer_without_evicting() -> None:
    memo: Memo[int] = Memo(2)
    memo.put("a", 1)
    memo.put("b", 2)
    memo.put("a", 10)
    assert (memo.get("a"), memo.get("b")) == (10, 2)


def test_clear_forgets_everything() -> None:
    memo: Memo[int] = Memo(2)
    memo.put("a", 1)
    memo.clear()
    assert (memo.get("a"), len(memo)) == (None, 0)

