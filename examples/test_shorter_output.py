"""Fix 3: a smaller ``max_tokens``, and continuation for long outputs.

Generation time grows with the output. Instead of one 8,192-token request that outlasts a
60-second timeout, ask for 2,048 tokens at a time: each part ends with ``stop_reason ==
"max_tokens"``, and the next request sends what came so far as the assistant's turn with
"Continue from where you left off." ``generate_in_parts`` is the seed's recipe as a loop; the
fake cuts each scripted reply at the request's ``max_tokens``, exactly as the API does.
"""

from __future__ import annotations

import anthropic
import pytest

from claude_fakes import ClaudeFake, replies

PROMPT = "Write a detailed analysis..."
OPUS = "claude-opus-4-7"


def generate_in_parts(client: anthropic.Anthropic, prompt: str, *, part_tokens: int = 2048,
                      max_parts: int = 8) -> str:
    """The whole answer, ``part_tokens`` at a time; bounded, so a model that never stops cannot loop forever."""
    messages: list[anthropic.types.MessageParam] = [{"role": "user", "content": prompt}]
    text = ""
    for _ in range(max_parts):
        part = client.messages.create(model=OPUS, max_tokens=part_tokens, messages=messages)
        text += "".join(block.text for block in part.content if block.type == "text")
        if part.stop_reason != "max_tokens":
            return text
        messages = [
            {"role": "user", "content": prompt},
            {"role": "assistant", "content": text},
            {"role": "user", "content": "Continue from where you left off."},
        ]
    raise RuntimeError(f"the answer was still going after {max_parts} parts of {part_tokens} tokens")


WORDS = [f"word{i}" for i in range(5000)]
ESSAY = " ".join(WORDS)


def the_rest_from(token: int) -> replies.Reply:
    """What the model writes when asked to continue after ``token`` tokens (each word is a token)."""
    return replies.text(("" if token == 0 else " ") + " ".join(WORDS[token:]))


pytestmark = pytest.mark.claude_fake(latency="realistic")


def test_one_8192_token_request_outlasts_a_60_second_timeout(claude_fake: ClaudeFake) -> None:
    client = anthropic.Anthropic(timeout=60, max_retries=0)
    with pytest.raises(anthropic.APITimeoutError):
        client.messages.create(model=OPUS, max_tokens=8192, messages=[{"role": "user", "content": PROMPT}])
    assert claude_fake.clock.elapsed == 60


def test_2048_tokens_fit(claude_fake: ClaudeFake) -> None:
    client = anthropic.Anthropic(timeout=60, max_retries=0)
    message = client.messages.create(model=OPUS, max_tokens=2048, messages=[{"role": "user", "content": PROMPT}])
    assert message.usage.output_tokens == 2048
    assert claude_fake.journal[0].duration == pytest.approx(2 + 2047 / 80)  # about 27.6 s


def test_continuation_rebuilds_the_whole_answer(claude_fake: ClaudeFake) -> None:
    claude_fake.script(the_rest_from(0), the_rest_from(2048), the_rest_from(4096))
    answer = generate_in_parts(anthropic.Anthropic(timeout=60, max_retries=0), PROMPT)
    assert answer == ESSAY
    claude_fake.assert_attempts(3)
    assert all((exchange.duration or 0) < 60 for exchange in claude_fake.journal), "each part fits the timeout"
    assert claude_fake.clock.elapsed > 60, "though the whole answer took longer than one request may"
    second = claude_fake.journal[1].json["messages"]
    assert [turn["role"] for turn in second] == ["user", "assistant", "user"]
    assert second[1]["content"] == " ".join(WORDS[:2048])
    assert second[2]["content"] == "Continue from where you left off."


def test_a_reply_that_never_ends_stops_at_max_parts(claude_fake: ClaudeFake) -> None:
    claude_fake.script(the_rest_from(0) * 3)
    with pytest.raises(RuntimeError, match="still going after 3 parts"):
        generate_in_parts(anthropic.Anthropic(), PROMPT, max_parts=3)
