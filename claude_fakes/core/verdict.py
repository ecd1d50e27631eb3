"""The resilience verdict: what a journal shows the client did wrong, finding by finding.

Pure functions of the journal. Each finding names the attempt, what happened and why it
matters; :class:`Verdict` prints them above the timeline.
"""

from __future__ import annotations

import email.utils
import itertools
from collections.abc import Sequence
from dataclasses import dataclass
from typing import Any

from .conversation import answered, duplicate_results, orphans
from .journal import Exchange, Outcome
from .request import SESSION_HEADER

FINAL_STATUSES = frozenset({400, 401, 402, 403, 404, 413, 422})
"""Statuses the API means as final: repeating the same request gets the same answer."""
STORM_GAP = 0.05
"""Retries closer together than this (virtual seconds) are retries without backoff."""
STORM_LENGTH = 3


@dataclass(frozen=True)
class Finding:
    code: str
    """``retry_after_ignored``, ``final_status_retried``, ``retry_storm``, ``no_read_timeout``,
    ``truncated_stream_accepted``, ``stream_failure_not_retried``, ``orphan_tool_use``,
    ``retry_amplification``, ``duplicate_tool_result``; and what agents do on their own (Claude Code, the
    Agent SDKs): ``non_streaming_fallback``, ``model_fallback``, ``model_probe_404``."""
    attempt: int | None
    message: str

    def __str__(self) -> str:
        return f"[{self.code}] {self.message}"


@dataclass(frozen=True)
class Verdict:
    findings: tuple[Finding, ...]
    timeline: str
    notes: tuple[str, ...] = ()
    """What the fake noted while answering (an unknown model, beta, field, role or block type, a path it
    does not serve), one line per distinct note with the first request that drew it: shown, never a
    finding, since the fake's knowledge of the API may be older than the client's."""

    @property
    def resilient(self) -> bool:
        return not self.findings

    @property
    def codes(self) -> list[str]:
        return [finding.code for finding in self.findings]

    def __bool__(self) -> bool:
        return self.resilient

    def __str__(self) -> str:
        notes = [f"{len(self.notes)} note(s), not findings:", *(f"  {note}" for note in self.notes)]
        notes = notes if self.notes else []
        if not self.findings:
            return "\n".join(["resilient: no findings", *notes, self.timeline])
        lines = [f"{len(self.findings)} resilience finding(s):", *(f"  {finding}" for finding in self.findings)]
        return "\n".join([*lines, *notes, self.timeline])


def retry_after(exchange: Exchange) -> float | None:
    """The wait the response asked for, read the way the SDK reads it (ms first, then seconds, then an
    HTTP-date against the response's ``date``), or None."""
    headers = exchange.response_headers
    for name, scale in (("retry-after-ms", 0.001), ("retry-after", 1.0)):
        try:
            return float(headers[name]) * scale
        except (KeyError, ValueError):
            continue
    until, sent = _http_date(headers.get("retry-after")), _http_date(headers.get("date"))
    if until is None or sent is None:
        return None
    # Both dates are whole seconds: the wait asked for is known to within one of them.
    return max(0.0, until - sent - 1)


def _http_date(value: str | None) -> float | None:
    parsed = email.utils.parsedate_tz(value) if value else None
    return None if parsed is None else float(email.utils.mktime_tz(parsed))


def _next_same(attempts: Sequence[Exchange], index: int) -> Exchange | None:
    """The next attempt that repeats attempt ``index``'s request body, if any."""
    body = attempts[index].json
    # While exploring, equal bodies are one parsed object: identity answers before a walk of both.
    return next((later for later in attempts[index + 1 :] if later.json is body or later.json == body), None)


def transient_stream_error(exchange: Exchange) -> str | None:
    """The name of the error a stream ended in, when that error is transient; else None."""
    step = exchange.step
    if step is None or step.fault.stream_error is None or exchange.outcome != Outcome.COMPLETE:
        return None
    error = step.fault.stream_error(step)
    return error.name if error.transient else None


def assess(journal: Sequence[Exchange], timeline: str = "", *, raised: bool = False) -> Verdict:
    """The findings ``journal`` shows. A truncated stream is accepted when a later request kept its reply
    in the conversation (an assistant message after that request's messages), refused when a later
    request went on without it (asked again, as pydantic-ai does after an empty reply); with no later
    request of that conversation, accepted unless ``raised``: the code under test ended in an exception
    of its own (not a test's assertion about what it returned)."""
    attempts = [exchange for exchange in journal if exchange.attempt is not None]
    findings: list[Finding] = []
    probes = _probes(attempts)
    probing = {id(exchange) for run in probes for exchange in run}
    """A probe repeats a request answered 404 on purpose, quickly: neither a final status retried nor a storm."""
    fallbacks, fell_back = _model_fallbacks(attempts)
    """An overloaded stream answered by another model was asked again, not left unrepeated."""
    for index, exchange in enumerate(attempts):
        label = f"attempt #{exchange.attempt}"
        # A client that states only a total timeout (the TypeScript SDK's x-stainless-timeout, which Claude
        # Code sends) has a bound on the wait for the response's headers: a hang there ends.
        if exchange.timeout and exchange.timeout.get("read") is None and exchange.timeout.get("total") is None:
            findings.append(Finding("no_read_timeout", exchange.attempt,
                                    f"{label} was sent with no read timeout: one hang would block it forever"))
        repeat = _next_same(attempts, index)
        wanted = retry_after(exchange)
        if repeat is not None and wanted is not None and exchange.end is not None:
            gap = repeat.start - exchange.end
            if gap + 1e-9 < wanted:
                findings.append(Finding(
                    "retry_after_ignored", repeat.attempt,
                    f"attempt #{repeat.attempt} came {gap:g}s after {label}'s {exchange.status}, "
                    f"which asked for {wanted:g}s (retry-after)",
                ))
        if (repeat is not None and exchange.status in FINAL_STATUSES and id(exchange) not in probing
                and exchange.response_headers.get("x-should-retry") != "true"):
            findings.append(Finding(
                "final_status_retried", repeat.attempt,
                f"attempt #{repeat.attempt} repeated {label}, whose {exchange.status} is final: "
                "the same request gets the same answer",
            ))
        truncated = exchange.step is not None and exchange.step.fault.ends_short
        fallback = _without_streaming(attempts, index) if exchange.stream and repeat is None else None
        if fallback is not None and exchange.status == 200 and (failed := _stream_failure(exchange)) is not None:
            findings.append(Finding(
                "non_streaming_fallback", fallback.attempt,
                f"attempt #{fallback.attempt} asked for {label}'s turn again without streaming after its stream "
                f"{failed}: a fallback (Claude Code's own) that waits for the whole reply in silence, so a long "
                "one meets the request's timeout, and shows nothing of it until then",
            ))
        elif exchange.stream and exchange.status == 200 and repeat is None and id(exchange) not in fell_back:
            if truncated and exchange.outcome == Outcome.COMPLETE and _accepted(attempts, index, raised):
                findings.append(Finding(
                    "truncated_stream_accepted", exchange.attempt,
                    f"{label}'s stream ended cleanly without message_stop after {exchange.events} events "
                    "and the request was not repeated: the caller likely kept a partial message",
                ))
            elif exchange.outcome in (Outcome.CUT, Outcome.READ_TIMEOUT):
                findings.append(Finding(
                    "stream_failure_not_retried", exchange.attempt,
                    f"{label}'s stream failed mid-body ({exchange.outcome} after {exchange.events} events) "
                    "and the request was not repeated: the SDK never retries these",
                ))
            elif (error := transient_stream_error(exchange)) is not None:
                findings.append(Finding(
                    "stream_failure_not_retried", exchange.attempt,
                    f"{label}'s stream ended in an error event ({error}, transient) after "
                    f"{exchange.events - 1} events and the request was not repeated: the SDK never retries these",
                ))
    findings.extend(fallbacks)
    findings.extend(_probe_finding(run) for run in probes)
    findings.extend(_storms(attempts, probing))
    findings.extend(_orphans(attempts))
    findings.extend(_amplified(attempts))
    findings.extend(_duplicate_results(attempts))
    return Verdict(tuple(findings), timeline, _notes(journal))


def _stream_failure(exchange: Exchange) -> str | None:
    """How a 200 stream failed, said for a finding, or None: it did not."""
    if exchange.outcome in (Outcome.CUT, Outcome.READ_TIMEOUT):
        return f"failed mid-body ({exchange.outcome} after {exchange.events} events)"
    if exchange.outcome == Outcome.CLIENT_CLOSED:
        # The client's own watchdog, whose limit the server does not know (no read timeout is sent).
        return f"was given up by the client after {exchange.events} events"
    error = transient_stream_error(exchange)
    if error is not None:
        return f"ended in an error event ({error}) after {exchange.events - 1} events"
    step = exchange.step
    if step is not None and step.fault.spoils_reply and exchange.outcome == Outcome.COMPLETE:
        # Ended as planned, but with no whole reply: cut short, not JSON, or an error event.
        return f"carried no whole reply ({step.action}, {exchange.events} events)"
    return None


def _without_streaming(attempts: Sequence[Exchange], index: int) -> Exchange | None:
    """The next attempt of attempt ``index``'s turn, when it asked for that turn without streaming."""
    turn = attempts[index].turn
    later = next((later for later in attempts[index + 1:] if later.turn == turn), None) if turn is not None else None
    return later if later is not None and not later.stream else None


def _session(exchange: Exchange) -> str | None:
    return exchange.headers.get(SESSION_HEADER)


def _model(exchange: Exchange) -> str | None:
    body = exchange.json
    model = body.get("model") if isinstance(body, dict) else None
    return model if isinstance(model, str) else None


def _overloaded(exchange: Exchange) -> bool:
    """A 529, or a stream that ended in ``overloaded_error``: Claude Code counts both toward its fallback."""
    return exchange.status == 529 or transient_stream_error(exchange) == "overloaded_error"


def _model_fallbacks(attempts: Sequence[Exchange]) -> tuple[list[Finding], set[int]]:
    """An agent that meets 529s and goes on with another model (Claude Code's ``--fallback-model``), once
    per change of model; and the overloaded attempts each change answered (their ids)."""
    findings: list[Finding] = []
    answered: set[int] = set()
    overloaded: dict[str | None, list[Exchange]] = {}
    """By session: the overloaded attempts since its last attempt that was not one."""
    for exchange in attempts:
        session = _session(exchange)
        model = _model(exchange)
        failed = overloaded.get(session, [])
        if failed and model is not None and model != _model(failed[-1]):
            numbers = ", ".join(f"#{earlier.attempt}" for earlier in failed)
            findings.append(Finding(
                "model_fallback", exchange.attempt,
                f"attempt #{exchange.attempt} asked for {model} after {len(failed)} overloaded answer(s) from "
                f"{_model(failed[-1])} (attempts {numbers}): the agent fell back to another model, whose "
                "answers, limits and price differ from the one the application chose",
            ))
            answered.update(id(earlier) for earlier in failed)
        if _overloaded(exchange):
            overloaded.setdefault(session, []).append(exchange)
        else:
            overloaded.pop(session, None)
    return findings, answered


PROBE_MODELS_SHOWN = 5


def _probes(attempts: Sequence[Exchange]) -> list[list[Exchange]]:
    """Runs of 404s, per session, that asked for more than one model: an agent looking for a model id it
    may use (Claude Code on Bedrock tries a list of them, some twice, with ``max_tokens: 1``)."""
    runs: dict[str | None, list[Exchange]] = {}
    probes: list[list[Exchange]] = []

    def close(run: list[Exchange]) -> None:
        if len({_model(exchange) for exchange in run}) > 1:
            probes.append(run)

    for exchange in attempts:
        session = _session(exchange)
        if exchange.status == 404:
            runs.setdefault(session, []).append(exchange)
        elif session in runs:
            close(runs.pop(session))
    for run in runs.values():
        close(run)
    return sorted(probes, key=lambda run: run[0].start)


def _probe_finding(run: list[Exchange]) -> Finding:
    models = list(dict.fromkeys(str(_model(exchange)) for exchange in run))
    shown = ", ".join(models[:PROBE_MODELS_SHOWN]) + (", …" if len(models) > PROBE_MODELS_SHOWN else "")
    return Finding(
        "model_probe_404", run[0].attempt,
        f"attempts {_numbers(run)}: after a 404 for {models[0]}, the agent probed {len(models)} model id(s) "
        f"({shown}) in {len(run)} requests, each answered 404: model discovery, not retries of a final answer",
    )


def _accepted(attempts: Sequence[Exchange], index: int, raised: bool) -> bool:
    """Whether the code went on with attempt ``index``'s reply (see :func:`assess`)."""
    before = _messages(attempts[index])
    for later in attempts[index + 1:]:
        messages = _messages(later)
        if len(messages) > len(before) and messages[:len(before)] == before:
            following = messages[len(before)]
            return isinstance(following, dict) and following.get("role") == "assistant"
    return not raised


def _notes(journal: Sequence[Exchange]) -> tuple[str, ...]:
    first: dict[str, str] = {}
    for index, exchange in enumerate(journal, 1):
        where = f"attempt #{exchange.attempt}" if exchange.attempt is not None else f"request {index}"
        for note in exchange.notes:
            first.setdefault(note, f"{where} ({exchange.method} {exchange.path}): {note}")
    return tuple(first.values())


def _messages(exchange: Exchange) -> list[Any]:
    body = exchange.json
    messages = body.get("messages") if isinstance(body, dict) else None
    return messages if isinstance(messages, list) else []


def _by_turn(attempts: Sequence[Exchange]) -> dict[int, list[Exchange]]:
    turns: dict[int, list[Exchange]] = {}
    for exchange in attempts:
        if exchange.turn is not None:
            turns.setdefault(exchange.turn, []).append(exchange)
    return turns


def _numbers(exchanges: Sequence[Exchange]) -> str:
    labels = [f"#{exchange.attempt}" for exchange in exchanges]
    return labels[0] if len(labels) == 1 else f"{labels[0]} to {labels[-1]}"


def _orphans(attempts: Sequence[Exchange]) -> list[Finding]:
    findings = []
    for turn, exchanges in _by_turn(attempts).items():
        found = orphans(_messages(exchanges[0]))
        if found:
            ids = ", ".join(tool_id for orphan in found for tool_id in orphan.ids)
            findings.append(Finding(
                "orphan_tool_use", exchanges[0].attempt,
                f"turn {turn} (attempts {_numbers(exchanges)}) sent a history whose tool_use {ids} "
                f"(messages.{found[0].index}) has no tool_result right after it: the API rejects it with 400. "
                "An interrupted or retried turn left the model's tool call in the history without its answer",
            ))
    return findings


def _amplified(attempts: Sequence[Exchange]) -> list[Finding]:
    findings = []
    for turn, exchanges in _by_turn(attempts).items():
        counts = [exchange.retry_count for exchange in exchanges]
        if any(count is None for count in counts):
            continue
        # A re-issue follows a failure the SDK had already retried; a call that succeeded and is
        # made again with the same messages is a new call, not a retry.
        reissued = sum(1 for before, after in itertools.pairwise(exchanges)
                       if after.retry_count == 0 and (before.retry_count or 0) > 0 and not _succeeded(before))
        if reissued:
            shown = ", ".join(str(count) for count in counts)
            findings.append(Finding(
                "retry_amplification", exchanges[0].attempt,
                f"turn {turn} (attempts {_numbers(exchanges)}): the application re-issued the call {reissued} "
                f"time(s) after the SDK had already retried it (retry counts {shown}): two retry layers "
                f"stacked, {len(exchanges)} attempts for one call. Retry in one layer (max_retries=0 under an "
                "application retry loop, or no loop)",
            ))
    return findings


def _succeeded(exchange: Exchange) -> bool:
    return exchange.status == 200 and exchange.outcome == Outcome.COMPLETE and (
        exchange.step is None or not exchange.step.fault.spoils_reply)


def _duplicate_results(attempts: Sequence[Exchange]) -> list[Finding]:
    findings = []
    reported: set[str] = set()
    first_answer: dict[str, tuple[str, Exchange]] = {}
    for exchange in attempts:
        answers = answered(_messages(exchange))
        for tool_id in duplicate_results(answers):
            if tool_id not in reported:
                reported.add(tool_id)
                findings.append(Finding(
                    "duplicate_tool_result", exchange.attempt,
                    f"attempt #{exchange.attempt} (turn {exchange.turn}) answers tool call {tool_id} twice in one "
                    "history: the tool's result was appended again",
                ))
        for tool_id, content in answers:
            earlier = first_answer.setdefault(tool_id, (content, exchange))
            if earlier[0] != content and tool_id not in reported:
                reported.add(tool_id)
                findings.append(Finding(
                    "duplicate_tool_result", exchange.attempt,
                    f"tool call {tool_id} was answered with one result in turn {earlier[1].turn} (attempt "
                    f"#{earlier[1].attempt}) and another in turn {exchange.turn} (attempt #{exchange.attempt}): "
                    "the tool ran twice for one call, as after a retried step",
                ))
    return findings


def _storms(attempts: Sequence[Exchange], probing: set[int]) -> list[Finding]:
    storms: list[Finding] = []
    run: list[Exchange] = []
    for index, exchange in enumerate(attempts):
        repeat = _next_same(attempts, index) if id(exchange) not in probing else None
        if repeat is not None and exchange.end is not None and repeat.start - exchange.end < STORM_GAP:
            run.append(repeat)
            continue
        if len(run) >= STORM_LENGTH:
            storms.append(Finding(
                "retry_storm", run[0].attempt,
                f"attempts #{run[0].attempt} to #{run[-1].attempt}: {len(run)} retries with no backoff "
                f"(under {STORM_GAP:g}s apart)",
            ))
        run = []
    return storms
