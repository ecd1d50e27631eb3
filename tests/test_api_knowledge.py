"""What the fake knows of the API, through the real SDK, in process and over sockets: the model table
(GET /v1/models, output limits, users' own models), and notes (or under api_strict the API's
errors) for what it does not know."""

from __future__ import annotations

import json
import subprocess
import sys
from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path
from typing import Any

import anthropic
import pytest

from claude_fakes import ClaudeFake
from claude_fakes.core.assertions import Assertions
from claude_fakes.server import FakeServer

from .inner import run_user_tests
from .sdk import REQUEST

WHERE = ["in-process", "socket"]
MINE = {"id": "claude-mine-1", "display_name": "Claude Mine 1", "created_at": "2030-01-01T00:00:00Z",
        "max_input_tokens": 50_000, "max_tokens": 4_000}


@contextmanager
def serving(where: str, **options: Any) -> Iterator[tuple[anthropic.Anthropic, Assertions]]:
    """A client of a fake with ``options``, and what shows the fake's journal and verdict."""
    if where == "in-process":
        with ClaudeFake(**options) as fake, anthropic.Anthropic(api_key="sk-test", max_retries=0) as client:
            yield client, fake
    else:
        with FakeServer(**options) as server, \
                anthropic.Anthropic(base_url=server.url, api_key="sk-test", max_retries=0) as client:
            yield client, server.scopes.get("default").engine


@pytest.mark.parametrize("where", WHERE)
def test_sonnet_4_6_takes_its_documented_128k_output(where: str) -> None:
    # pydantic-ai, litellm and langchain-anthropic send this by default; a timeout lifts the SDK's own guard.
    with serving(where) as (client, _):
        message = client.messages.create(**{**REQUEST, "model": "claude-sonnet-4-6", "max_tokens": 128_000},
                                         timeout=60)
        with pytest.raises(anthropic.BadRequestError, match="128001 > 128000"):
            client.messages.create(**{**REQUEST, "max_tokens": 128_001}, timeout=60)
    assert message.stop_reason == "end_turn"


@pytest.mark.parametrize("where", WHERE)
def test_an_unknown_model_is_served_with_a_note_that_fails_nothing(where: str) -> None:
    with serving(where) as (client, fake):
        message = client.messages.create(**{**REQUEST, "model": "claude-foo", "max_tokens": 10**6}, timeout=60)
    assert message.model == "claude-foo"
    assert fake.journal[0].notes == ["unknown model 'claude-foo'"]
    verdict = fake.verdict()
    assert verdict.resilient and "unknown model 'claude-foo'" in str(verdict)
    assert "unknown model 'claude-foo'" in fake.timeline()
    fake.assert_resilient()


@pytest.mark.parametrize("where", WHERE)
def test_api_strict_answers_an_unknown_model_with_the_apis_404(where: str) -> None:
    with serving(where, api_strict=True) as (client, _), pytest.raises(anthropic.NotFoundError) as info:
        client.messages.create(**{**REQUEST, "model": "claude-foo"})
    error = info.value.body["error"]
    assert (error["type"], error["message"]) == ("not_found_error", "model: claude-foo")


@pytest.mark.parametrize("where", WHERE)
def test_a_system_role_message_and_the_beta_query_are_served_without_notes(where: str) -> None:
    messages = [{"role": "system", "content": "Answer briefly."}, {"role": "user", "content": "Hello"}]
    with serving(where, api_strict=True) as (client, fake):
        # The beta client puts ?beta=true on the URL and the betas in anthropic-beta.
        message = client.beta.messages.create(model="claude-opus-5-5", max_tokens=100, messages=messages,
                                              betas=["mid-conversation-system-clear-at-2026-08-21"])
    assert message.stop_reason == "end_turn"
    assert fake.journal[0].notes == []


@pytest.mark.parametrize("where", WHERE)
def test_unknown_betas_fields_and_roles_are_notes(where: str) -> None:
    messages = [{"role": "narrator", "content": "x"}, {"role": "user", "content": "Hello"}]
    with serving(where) as (client, fake):
        client.messages.create(**{**REQUEST, "messages": messages}, extra_body={"colour": "red"},
                               extra_headers={"anthropic-beta": "future-2027-01-01"})
    assert fake.journal[0].notes == ["unknown beta 'future-2027-01-01'", "unknown field 'colour'",
                                     "unknown role 'narrator' in messages.0"]
    assert fake.verdict().resilient


@pytest.mark.parametrize("where", WHERE)
def test_models_list_and_retrieve_answer_in_the_models_api_shape(where: str) -> None:
    with serving(where) as (client, _):
        listed = [model.id for model in client.models.list(limit=5)]
        sonnet = client.models.retrieve("claude-sonnet-4-6").to_dict()
        haiku = client.models.retrieve("claude-haiku-4-5")
        with pytest.raises(anthropic.NotFoundError):
            client.models.retrieve("claude-nonexistent")
    assert "claude-opus-5-5" in listed and "claude-sonnet-4-6" in listed
    assert (sonnet["max_input_tokens"], sonnet["max_tokens"]) == (1_000_000, 128_000)
    assert sonnet["capabilities"]["thinking"]["types"]["adaptive"] == {"supported": True}
    assert haiku.id == "claude-haiku-4-5-20251001", "an alias answers with the model it names"


@pytest.mark.parametrize("where", WHERE)
def test_users_add_models_with_their_own_limits(where: str, tmp_path: Path) -> None:
    path = tmp_path / "models.json"
    path.write_text(json.dumps([MINE]))
    with serving(where, models=str(path), api_strict=True) as (client, _):
        assert client.models.retrieve("claude-mine-1").display_name == "Claude Mine 1"
        client.messages.create(**{**REQUEST, "model": "claude-mine-1", "max_tokens": 4_000})
        with pytest.raises(anthropic.BadRequestError, match="4001 > 4000"):
            client.messages.create(**{**REQUEST, "model": "claude-mine-1", "max_tokens": 4_001})


def test_an_unknown_path_says_not_found_and_notes_what_the_fake_serves() -> None:
    with ClaudeFake() as fake, anthropic.Anthropic(api_key="sk-test", max_retries=0) as client, \
            pytest.raises(anthropic.NotFoundError) as info:
        client.post("/v1/complete", body={}, cast_to=object)
    error = info.value.body["error"]
    assert (error["type"], error["message"]) == ("not_found_error", "Not Found")
    assert "claude_fakes answers" in fake.journal[0].notes[0]


def cli(*args: str) -> str:
    return subprocess.run([sys.executable, "-m", "claude_fakes", *args], check=True, capture_output=True,
                          text=True, timeout=60).stdout


def test_the_cli_prints_the_table_and_serve_takes_models_and_api_strict(tmp_path: Path) -> None:
    table = cli("models")
    assert any(line.split()[:3] == ["claude-sonnet-4-6", "1000000", "128000"] for line in table.splitlines())
    path = tmp_path / "models.json"
    path.write_text(json.dumps([MINE]))
    entries = json.loads(cli("models", "--models", str(path), "--json"))
    assert entries[0]["id"] == "claude-mine-1" and any(entry["id"] == "claude-opus-5-5" for entry in entries)
    server = subprocess.Popen([sys.executable, "-m", "claude_fakes", "serve", "--quiet", "--models", str(path),
                               "--api-strict"], stdout=subprocess.PIPE, text=True)
    try:
        assert server.stdout is not None
        url = server.stdout.readline().strip()
        with anthropic.Anthropic(base_url=url, api_key="sk-test", max_retries=0) as client:
            client.messages.create(**{**REQUEST, "model": "claude-mine-1"})
            with pytest.raises(anthropic.NotFoundError):
                client.messages.create(**{**REQUEST, "model": "claude-foo"})
    finally:
        server.terminate()
        server.wait(timeout=10)
        assert server.stdout is not None
        server.stdout.close()


def test_the_marker_and_the_ini_take_models_and_api_strict(pytester: pytest.Pytester) -> None:
    pytester.path.joinpath("models.json").write_text(json.dumps([MINE]))
    result = run_user_tests(pytester, """
def test_ini(claude_fake):
    assert claude_fake.api_strict and claude_fake.models.resolve("claude-mine-1") is not None
    with pytest.raises(anthropic.NotFoundError):
        anthropic.Anthropic().messages.create(**{**REQUEST, "model": "claude-foo"})

@pytest.mark.claude_fake(api_strict=False, models=[{"id": "claude-other", "display_name": "O",
                         "created_at": "2030-01-01T00:00:00Z", "max_input_tokens": 9, "max_tokens": 9}])
def test_marker(claude_fake):
    anthropic.Anthropic().messages.create(**{**REQUEST, "model": "claude-foo"})
    assert claude_fake.journal[0].notes == ["unknown model 'claude-foo'"]
    assert claude_fake.models.resolve("claude-other") is not None
""", "-o", "claude_fakes_api_strict=true", "-o", "claude_fakes_models=models.json")
    result.assert_outcomes(passed=2)


def test_the_session_server_takes_the_ini_options_too(pytester: pytest.Pytester) -> None:
    pytester.path.joinpath("models.json").write_text(json.dumps([MINE]))
    result = run_user_tests(pytester, """
def test_server(claude_fake_server):
    anthropic.Anthropic().messages.create(**{**REQUEST, "model": "claude-mine-1"})
    with pytest.raises(anthropic.NotFoundError):
        anthropic.Anthropic().messages.create(**{**REQUEST, "model": "claude-foo"})
""", "-o", "claude_fakes_api_strict=true", "-o", "claude_fakes_models=models.json")
    result.assert_outcomes(passed=1)
