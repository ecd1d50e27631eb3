"""wire/models.py: the model table (package data), its names, merging, and GET /v1/models pages."""

from __future__ import annotations

import json
from pathlib import Path

import pytest

from claude_fakes.wire.models import DEFAULT_MODELS, ModelInfo, ModelTable, models_table

IDS = [model.id for model in DEFAULT_MODELS.models]
ENTRY = {"id": "claude-test-1", "display_name": "Claude Test 1", "created_at": "2030-01-01T00:00:00Z",
         "max_input_tokens": 50_000, "max_tokens": 4_000}


def test_the_table_has_the_sdks_models_newest_first() -> None:
    for name in ("claude-opus-5-5", "claude-sonnet-5-5", "claude-haiku-5-5", "claude-fable-5-2", "claude-mythos-5-2",
                 "claude-opus-5", "claude-sonnet-5", "claude-opus-4-8", "claude-opus-4-7", "claude-mythos-preview",
                 "claude-sonnet-4-6", "claude-haiku-4-5", "claude-haiku-4-5-20251001", "claude-opus-4-5"):
        assert DEFAULT_MODELS.resolve(name) is not None, name
    created = [model.created_at for model in DEFAULT_MODELS.models]
    assert created == sorted(created, reverse=True)


def test_sonnet_4_6_has_the_documented_128k_output() -> None:
    model = DEFAULT_MODELS.resolve("claude-sonnet-4-6")
    assert model is not None and (model.max_input_tokens, model.max_tokens) == (1_000_000, 128_000)


@pytest.mark.parametrize("name", ["claude-haiku-4-5", "anthropic.claude-haiku-4-5-20251001-v1:0",
                                  "us.anthropic.claude-haiku-4-5-20251001-v1:0", "claude-haiku-4-5@20251001",
                                  "arn:aws:bedrock:us-east-1:1:inference-profile/global.anthropic."
                                  "claude-haiku-4-5-20251001-v1:0"],
                         ids=["alias", "bedrock", "bedrock-profile", "vertex", "bedrock-arn"])
def test_every_name_of_a_model_resolves_to_it(name: str) -> None:
    model = DEFAULT_MODELS.resolve(name)
    assert model is not None and model.id == "claude-haiku-4-5-20251001"


def test_an_unknown_name_resolves_to_none() -> None:
    assert DEFAULT_MODELS.resolve("claude-foo") is None


def test_a_model_is_listed_in_the_models_api_shape() -> None:
    data = DEFAULT_MODELS.resolve("claude-opus-5-5")
    assert data is not None
    info = data.to_json()
    assert {key: info[key] for key in ("type", "id", "display_name", "max_input_tokens", "max_tokens", "lifecycle",
                                       "line")} == {
        "type": "model", "id": "claude-opus-5-5", "display_name": "Claude Opus 5.5", "max_input_tokens": 1_000_000,
        "max_tokens": 128_000, "lifecycle": "active", "line": "opus"}
    capabilities = info["capabilities"]
    assert capabilities["thinking"] == {"supported": True, "types": {
        "adaptive": {"supported": True}, "between_tools": {"supported": False},
        "disabled": {"supported": False}, "enabled": {"supported": False}}}
    assert capabilities["effort"]["xhigh"] == {"supported": True}
    assert set(capabilities) == {"batch", "citations", "code_execution", "context_management", "effort",
                                 "image_input", "pdf_input", "server_tools", "structured_outputs", "thinking"}


def test_an_entry_s_capabilities_replace_the_built_ones_key_by_key() -> None:
    info = ModelInfo.of({**ENTRY, "capabilities": {"batch": {"supported": False}}}).to_json()
    assert info["capabilities"]["batch"] == {"supported": False}
    assert info["capabilities"]["citations"] == {"supported": True}


def test_merged_entries_add_models_and_replace_by_id() -> None:
    table = DEFAULT_MODELS.merged([ENTRY, {**ENTRY, "id": "claude-sonnet-4-6", "display_name": "Mine",
                                           "created_at": "2026-02-17T00:00:00Z"}])
    assert table.models[0].id == "claude-test-1", "newest first"
    replaced = table.resolve("claude-sonnet-4-6")
    assert replaced is not None and replaced.display_name == "Mine" and replaced.max_tokens == 4_000
    assert len(table.models) == len(DEFAULT_MODELS.models) + 1


def test_the_most_output_is_the_longest_any_model_in_the_table_writes() -> None:
    assert DEFAULT_MODELS.most_output == max(model.max_tokens for model in DEFAULT_MODELS.models) == 128_000
    assert DEFAULT_MODELS.merged([{**ENTRY, "max_tokens": 200_000}]).most_output == 200_000


def test_a_models_file_is_a_json_list_of_entries(tmp_path: Path) -> None:
    path = tmp_path / "models.json"
    path.write_text(json.dumps([ENTRY]))
    assert models_table(str(path)).resolve("claude-test-1") is not None
    assert models_table(None) is DEFAULT_MODELS
    table = ModelTable(())
    assert models_table(table) is table


@pytest.mark.parametrize(("entry", "problem"), [
    ({**ENTRY, "colour": "red"}, r"unknown field\(s\) colour"),
    ({"id": "x"}, "missing display_name, created_at, max_input_tokens, max_tokens"),
    ({**ENTRY, "max_tokens": "lots"}, "max_tokens takes a whole number"),
    ("claude-x", "a model entry is a JSON object"),
], ids=["unknown-field", "missing", "bad-number", "not-an-object"])
def test_a_bad_entry_is_a_value_error_naming_the_problem(entry: object, problem: str) -> None:
    with pytest.raises(ValueError, match=problem):
        DEFAULT_MODELS.merged([entry])  # type: ignore[list-item]


def test_an_unreadable_models_file_is_a_value_error(tmp_path: Path) -> None:
    with pytest.raises(ValueError, match="models file"):
        models_table(str(tmp_path / "missing.json"))
    (tmp_path / "object.json").write_text("{}")
    with pytest.raises(ValueError, match="JSON list"):
        models_table(str(tmp_path / "object.json"))


def test_the_first_page_has_more_when_the_limit_is_short() -> None:
    page = DEFAULT_MODELS.page(None, None, 2)
    assert [model["id"] for model in page["data"]] == IDS[:2]
    assert (page["first_id"], page["last_id"], page["has_more"]) == (IDS[0], IDS[1], True)


def test_pages_after_an_id_walk_to_the_end() -> None:
    seen: list[str] = []
    after = None
    for _ in range(len(IDS)):  # bounded: one page per model at most
        page = DEFAULT_MODELS.page(after, None, 2)
        seen += [model["id"] for model in page["data"]]
        if not page["has_more"]:
            break
        after = page["last_id"]
    assert seen == IDS


def test_a_page_before_an_id_ends_just_before_it() -> None:
    page = DEFAULT_MODELS.page(None, IDS[3], 2)
    assert [model["id"] for model in page["data"]] == IDS[1:3]
    assert page["has_more"] is True, "one model is left before it"


@pytest.mark.parametrize(("after", "before"), [("claude-unknown", None), (None, "claude-unknown")],
                         ids=["after-unknown", "before-unknown"])
def test_an_unknown_cursor_gives_an_empty_page(after: str | None, before: str | None) -> None:
    page = DEFAULT_MODELS.page(after, before, 20)
    assert page == {"data": [], "first_id": None, "last_id": None, "has_more": False}
