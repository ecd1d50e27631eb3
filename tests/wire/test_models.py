"""wire/models.py: the model list and GET /v1/models pagination by id."""

from __future__ import annotations

import pytest

from claude_fakes.wire.models import MODELS, models_page

IDS = [model.id for model in MODELS]


def test_a_model_is_listed_with_the_fields_the_sdk_reads() -> None:
    assert MODELS[0].to_json() == {
        "type": "model", "id": "claude-opus-4-7", "display_name": "Claude Opus 4.7",
        "created_at": "2026-04-16T00:00:00Z", "lifecycle": "active", "max_input_tokens": 1_000_000,
        "max_tokens": 128_000,
    }


def test_the_first_page_has_more_when_the_limit_is_short() -> None:
    page = models_page(None, None, 2)
    assert [model["id"] for model in page["data"]] == IDS[:2]
    assert (page["first_id"], page["last_id"], page["has_more"]) == (IDS[0], IDS[1], True)


def test_pages_after_an_id_walk_to_the_end() -> None:
    seen: list[str] = []
    after = None
    for _ in range(len(IDS)):  # bounded: one page per model at most
        page = models_page(after, None, 2)
        seen += [model["id"] for model in page["data"]]
        if not page["has_more"]:
            break
        after = page["last_id"]
    assert seen == IDS


def test_a_page_before_an_id_ends_just_before_it() -> None:
    page = models_page(None, IDS[3], 2)
    assert [model["id"] for model in page["data"]] == IDS[1:3]
    assert page["has_more"] is True, "one model is left before it"


@pytest.mark.parametrize(("after", "before"), [("claude-unknown", None), (None, "claude-unknown")],
                         ids=["after-unknown", "before-unknown"])
def test_an_unknown_cursor_gives_an_empty_page(after: str | None, before: str | None) -> None:
    page = models_page(after, before, 20)
    assert page == {"data": [], "first_id": None, "last_id": None, "has_more": False}
