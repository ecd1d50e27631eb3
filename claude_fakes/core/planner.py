"""The fake Claude API, sans-I/O: a request (plus the script's step) in, a :class:`Plan` out.

Routing lives here, once, for both executors (the request is a :class:`~claude_fakes.core.request.Incoming`,
its checks :mod:`claude_fakes.core.validation`); each fault's shape is its
catalogue entry's (:mod:`claude_fakes.core.catalogue`), which sees the request through :class:`_Shaping`.
Endpoints: ``POST /v1/messages`` (the only one that consumes script steps),
``POST /v1/messages/count_tokens``, ``GET /v1/models`` and ``GET /v1/models/{id}``; and the same
Messages request as Amazon Bedrock and Google Vertex AI take it, each platform's wire its own
(:mod:`claude_fakes.wire.platforms`).
"""

from __future__ import annotations

import json
import math
from collections.abc import Callable, Hashable, Mapping, Sequence
from typing import Any, NamedTuple

from ..wire.anthropic import ERROR_KINDS, MESSAGE_STOP, PING, Ids, response_headers
from ..wire.http import JSON_CONTENT_TYPE, http_date, json_bytes
from ..wire.models import DEFAULT_MODELS, ModelTable
from ..wire.platforms import ANTHROPIC, MESSAGES_PATH, Platform
from . import replies
from .cassette import Recorded
from .catalogue import Args
from .latency import REALISTIC, LatencyModel, Speed, filler_text
from .memo import Memo
from .messages import Stream, input_tokens, render_message
from .plan import TERMINAL, Head, Pieces, Plan, Response, Send, Slices, Spelled, Wait
from .quota import Quota, RateLimits
from .replies import ThinkingBlock, ToolUseBlock
from .request import Incoming
from .step import OK, Step
from .tools import forced_tool, offered, output_schema, synthesise
from .validation import Unknown, check_body, unknowns


def _number(value: float) -> str:
    return str(int(value)) if float(value).is_integer() else repr(float(value))


class Remembered(NamedTuple):
    """What one attempt's planning made and used up."""

    plan: Plan
    notes: tuple[str, ...]
    ids: tuple[tuple[str, int], ...]
    quota: tuple[float | None, int, int]


class ApiMemo:
    """What :class:`Api` worked out about requests, kept across an engine's resets while it explores.

    Exploration runs one conversation hundreds of times, on a fake reset before each run: a run's
    requests are an earlier run's, at the same virtual times, with the same ids and quota still to
    come, under the same steps. An attempt's plan is a function of exactly those and of the API's
    settings (seed, latency, models, rate limits), so an attempt planned once is looked up the next
    time, with the ids and quota it used up and its notes; so is what the checks found in a body
    that passed them. A change of settings forgets everything. Plans are kept when spelled out in
    full (no lazy :class:`~claude_fakes.core.plan.Body`) and sending at most :attr:`LARGEST` bytes;
    each table holds at most :attr:`ENTRIES` entries and :attr:`BUDGET` bytes of bodies and plans.
    """

    ENTRIES = 512
    BUDGET = 4 << 20
    LARGEST = 16_384

    def __init__(self) -> None:
        self.plans: Memo[Remembered] = Memo(self.ENTRIES, self.BUDGET)
        self.passed: Memo[tuple[Unknown, ...]] = Memo(self.ENTRIES, self.BUDGET)
        """The unknowns of a body that passed the checks, by path, body, betas and checks."""
        self._settings: tuple[object, ...] = ()

    def of(self, api: Api) -> ApiMemo:
        """This memo, emptied first if ``api``'s settings are not those it was filled under."""
        settings = self._settings
        if (not settings or settings[0] != api.ids.seed or settings[1] is not api.latency
                or settings[2] is not api.models or settings[3] != api.quota.limits):
            self.plans.clear()
            self.passed.clear()
            self._settings = (api.ids.seed, api.latency, api.models, api.quota.limits)
        return self

    def keep_plan(self, key: Hashable, body: bytes, remembered: Remembered) -> None:
        sent = 0
        for action in remembered.plan.actions:
            kind = action.__class__
            if kind is Send:
                sent += len(action.data)  # type: ignore[union-attr]
            elif kind is not Head and kind is not Wait and action not in TERMINAL:
                return
        if sent <= self.LARGEST:
            self.plans.put(key, remembered, len(body) + sent)


class Api:
    """Answers requests the way api.anthropic.com does. Holds the id sequence and the quota's count.

    ``memo``: where what it works out is remembered (:class:`ApiMemo`), when the caller keeps one across
    APIs."""

    def __init__(self, seed: int = 0, *, latency: LatencyModel | None = None,
                 rate_limits: RateLimits | None = None, validate: bool = True,
                 models: ModelTable = DEFAULT_MODELS, api_strict: bool = False,
                 memo: ApiMemo | None = None) -> None:
        self.memo = memo
        self.ids = Ids(seed)
        self.latency = latency
        self.quota = Quota(rate_limits)
        self.validate = validate
        """Whether the API's checks on a conversation apply (:mod:`claude_fakes.core.conversation`) and on
        ``max_tokens`` against the model's limit."""
        self.models = models
        """The models the API knows: ``GET /v1/models``, and each request's ``model`` and output limit."""
        self.api_strict = api_strict
        """Whether what the fake does not know (a model, beta, field, role, block type) gets the API's
        error rather than a note (:func:`~claude_fakes.core.validation.unknowns`)."""

    def error(
        self,
        error_type: str,
        message: str | None = None,
        *,
        now: float,
        status: int | None = None,
        headers: Sequence[tuple[str, str]] = (),
        error_code: str | None = None,
        platform: Platform = ANTHROPIC,
    ) -> Plan:
        """An error reply; ``error_type`` is an Anthropic error type or one of the platform's own
        kinds, which the platform puts on the wire its way."""
        kind = ERROR_KINDS.get(error_type)
        status = status if status is not None else (kind.status if kind else 500)
        request_id = platform.request_id(self.ids.request())
        status, own, body = platform.error(status, error_type, message, request_id,
                                           lambda: self._anthropic_headers(JSON_CONTENT_TYPE, request_id, now),
                                           error_code)
        return Plan.of(Head(status, (*own, *headers)), Send(body))

    def _anthropic_headers(self, content_type: str, request_id: str, now: float) -> list[tuple[str, str]]:
        ids = self.ids
        return response_headers(content_type=content_type, request_id=request_id, organization_id=ids.organization,
                                now=now, limits=self.quota.headers(now), workspace_id=ids.workspace)

    def reject(self, incoming: Incoming, *, now: float, notes: list[str] | None = None) -> Plan | None:
        """The error the real API gives a request it will not serve, or None when it is well-formed.

        ``notes``: where to say what in the request the fake does not know (an unknown model, beta,
        field, role or block type), unless :attr:`api_strict` makes it the API's error.
        """
        notes = notes if notes is not None else []
        platform = incoming.platform
        route = self._route(incoming)
        if route is None:
            # The API's own words: a client that reads the message (DSPy does) must not take it for
            # something else, such as an unsupported model. The hint for humans goes in the journal.
            notes.append(f"no such endpoint; claude_fakes answers {platform.endpoints} on {platform.title}")
            return self.error("not_found_error", "Not Found", now=now, platform=platform)
        method, path = route
        if incoming.method != method:
            return self.error("invalid_request_error", f"{incoming.method} is not allowed on {incoming.path}",
                               status=405, now=now, platform=platform)
        headers = incoming.headers
        refusal = platform.refuse(headers, incoming.body_json if method == "POST" else {})
        if refusal is not None:
            return self.error(refusal.kind, refusal.message, status=refusal.status, now=now, platform=platform)
        retry = headers.get("x-stainless-retry-count")
        if retry is not None and incoming.retry_count is None:
            # No SDK sends this; a request that does gets an error instead of silently using a step.
            return self.error("invalid_request_error",
                               f"x-stainless-retry-count: expected a whole number, got {retry!r}", now=now,
                               platform=platform)
        if method == "GET":
            return self._check_query(incoming, now)
        body = incoming.json
        if not isinstance(body, dict):
            return self.error("invalid_request_error",
                               "There was an error parsing the body of your request as a JSON object.", now=now,
                               platform=platform)
        refusal = platform.model_problem(incoming.endpoint) if self.validate else None
        if refusal is not None:
            return self.error(refusal.kind, refusal.message, status=refusal.status, now=now, platform=platform)
        memo = self.memo.of(self) if self.memo is not None else None
        key = (incoming.path, incoming.body, headers.get("anthropic-beta"), self.validate)
        found = memo.passed.get(key) if memo is not None else None
        if found is None:
            problem = check_body(body, path, self.validate, self.models)
            if problem is not None:
                return self.error("invalid_request_error", problem, now=now, platform=platform)
            found = tuple(unknowns(body, headers, self.models))
            if memo is not None:
                memo.passed.put(key, found, len(incoming.body))
        if found and self.api_strict:
            first = found[0]
            return self.error(first.error_type, first.message, status=first.status, now=now, platform=platform)
        notes += [unknown.note for unknown in found]
        return None

    def over_quota(self, now: float, platform: Platform = ANTHROPIC) -> Plan | None:
        """Count an attempt against the rate limits; the 429 the API sends once one is spent."""
        wait = self.quota.admit(now)
        if wait is None:
            return None
        return self.error("rate_limit_error", "This request would exceed your organization's rate limit. "
                           "Please try again later.", now=now, headers=[("retry-after", _number(wait))],
                           platform=platform)

    def _route(self, incoming: Incoming) -> tuple[str, str] | None:
        path = incoming.endpoint.path.rstrip("/")
        if incoming.platform is not ANTHROPIC:
            return ("POST", path) if path.startswith(MESSAGES_PATH) else None
        if path in (MESSAGES_PATH, MESSAGES_PATH + "/count_tokens"):
            return "POST", path
        if path == "/v1/models" or (path.startswith("/v1/models/") and path.count("/") == 3):
            return "GET", path
        return None

    def _check_query(self, incoming: Incoming, now: float) -> Plan | None:
        limit = incoming.query.get("limit", "20")
        if not (limit.isascii() and limit.isdigit()) or not 1 <= int(limit) <= 1000:
            return self.error("invalid_request_error", "limit: Input should be between 1 and 1000", now=now)
        return None

    def respond(self, incoming: Incoming, step: Step | None, *, now: float, notes: list[str] | None = None,
                replied: Callable[[Mapping[str, Any]], None] | None = None,
                recorded: Recorded | None = None, gaps: bool = True) -> Plan:
        """The plan for a well-formed request (see :meth:`reject`); ``step`` applies to attempts.

        ``notes``: where to say what shaped the reply besides the step (a tool the request does not offer).
        ``replied``: called with the reply's Message JSON when the plan carries one (a thread holds it).
        ``recorded``: the answer a cassette holds for this request, which a step without content of its
        own answers with (``gaps``: after its recorded silences).
        """
        path = incoming.endpoint.path.rstrip("/")
        platform = incoming.platform
        if incoming.is_attempt:
            step = step or OK
            memo = self.memo if replied is None and recorded is None else None
            key: Hashable = None
            if memo is not None:
                # Everything the plan depends on: the request's path and body, the step, the time, the
                # ids and quota still to come (the API's settings are the memo's own check).
                key = (incoming.path, incoming.body, step, now, self.ids.state(), self.quota.state())
                try:
                    found = memo.of(self).plans.get(key)
                except TypeError:  # a step argument that cannot be hashed: planned afresh
                    memo = found = None
                if found is not None:
                    self.ids.restore(found.ids)
                    self.quota.restore(found.quota)
                    if notes is not None:
                        notes += found.notes
                    return found.plan
            own: list[str] = []
            shaping = _Shaping(self, incoming.json, step, now, own, platform, replied, recorded, gaps)
            plan = step.fault.shape(shaping, step)
            if notes is not None:
                notes += own
            if memo is not None:
                memo.keep_plan(key, incoming.body, Remembered(plan, tuple(own), self.ids.state(), self.quota.state()))
            return plan
        if path.endswith("/count_tokens"):
            return self._json({"input_tokens": input_tokens(incoming.json)}, now, platform)
        if path == "/v1/models":
            limit = int(incoming.query.get("limit", "20"))
            return self._json(self.models.page(incoming.query.get("after_id"), incoming.query.get("before_id"),
                                               limit), now)
        model_id = path.rsplit("/", 1)[1]
        model = self.models.resolve(model_id)  # an alias answers with the model it names
        if model is not None:
            return self._json(model.to_json(), now)
        if notes is not None:
            notes.append(f"unknown model {model_id!r}")
        return self.error("not_found_error", f"model: {model_id}", now=now)

    def _head(self, content_type: str, now: float, request_id: str | None = None, platform: Platform = ANTHROPIC,
              usage: tuple[int, int] | None = None) -> Head:
        request_id = request_id or platform.request_id(self.ids.request())
        return Head(200, tuple(platform.headers(content_type, request_id,
                                                lambda: self._anthropic_headers(content_type, request_id, now),
                                                usage)))

    def _json(self, value: Any, now: float, platform: Platform = ANTHROPIC) -> Plan:
        return Plan.of(self._head(JSON_CONTENT_TYPE, now, platform=platform), Send(json_bytes(value)))

    def speed(self, step: Step, model: str) -> Speed | None:
        """The pace of this reply: its action's own (``slow``'s figures), else the fake's latency model,
        else none."""
        if step.fault.pace is not None:
            return step.fault.pace(step, (self.latency or REALISTIC).speed(model))
        return self.latency.speed(model) if self.latency is not None else None


THOUGHT = "The question is clear; I will answer it directly."
"""What the fake model thinks when manual thinking is on and the script gave it no thinking of its own."""


def _thought_first(reply: replies.Reply, body: Mapping[str, Any]) -> replies.Reply:
    """``reply``, starting with the model's thinking when the request turns manual thinking on.

    With ``thinking: {"type": "enabled"}`` every reply of the API starts with a thinking block, and the
    API rejects a tool continuation whose assistant message lost it (:func:`~claude_fakes.core.conversation.
    thinking_problem`): a fake reply without one would have its client's faithful echo refused on the
    next turn. Adaptive thinking may be skipped, so its replies are as the script wrote them."""
    thinking = body.get("thinking")
    if not (isinstance(thinking, Mapping) and thinking.get("type") == "enabled") or not reply.blocks:
        return reply
    if any(isinstance(block, ThinkingBlock) for block in reply.blocks):
        return reply
    return replies.thinking(THOUGHT) + reply


class _Shaping:
    """One ``POST /v1/messages`` as a fault's shaper sees it (:class:`~claude_fakes.core.catalogue.Shaping`)."""

    def __init__(self, api: Api, body: Mapping[str, Any], step: Step, now: float,
                 notes: list[str] | None = None, platform: Platform = ANTHROPIC,
                 replied: Callable[[Mapping[str, Any]], None] | None = None, recorded: Recorded | None = None,
                 gaps: bool = True) -> None:
        self._api = api
        self._recorded = recorded
        self._gaps = gaps
        self._body = body
        self._step = step
        self._now = now
        self._notes = notes if notes is not None else []
        self._platform = platform
        self._replied = replied
        self._request_id: str | None = None
        self.stream = body.get("stream") is True

    def _reply(self, max_tokens: int, lead: replies.Reply | None, tail: replies.Reply | None) -> replies.Reply:
        """The step's content between the action's own ``lead`` and ``tail`` (a server tool's blocks, a
        stop); else what the request calls for: a forced tool, or the default text; tool inputs left
        open are built from the request's schemas."""
        api, body, reply = self._api, self._body, self._step.reply
        own = (lead or _NOTHING) + (tail or _NOTHING)
        forced = forced_tool(body)
        if lead is not None or tail is not None:
            # The action's blocks without words of the step's: a turn that stops there has nothing
            # more to say; one that goes on (a server tool's error, a compaction) ends as ok's does.
            middle = reply if reply is not None else _NOTHING if own.stop is not None else replies.default()
            reply = (lead or _NOTHING) + middle + (tail or _NOTHING)
        elif reply is None:
            if forced is not None:
                reply = replies.tool_use(forced)
            elif (schema := output_schema(body)) is not None:
                # Structured outputs: the answer is JSON valid for the schema. Written with spaces, so
                # that max_tokens can cut it between values as it cuts text (the fake's tokens are words).
                # Each value is a word at least: past max_tokens of them the text is cut, so none is built.
                answer = self._built(schema, "the structured output", values=max_tokens + 1)
                return replies.text(json.dumps(answer, sort_keys=True))
            elif api.latency is not None and api.latency.fill_to_max_tokens:
                # No model writes more than the longest output in the table: with the API's checks off
                # (or a model the table lacks), a bigger max_tokens costs no more than that.
                most = api.models.most_output
                if max_tokens > most:
                    self._notes.append(f"max_tokens {max_tokens} is more than any model writes: the reply "
                                       f"fills {most} tokens")
                return replies.text(filler_text(min(max_tokens, most)))
            else:
                return replies.default()
        elif forced is not None and reply.stop is None and not any(isinstance(b, ToolUseBlock) for b in reply.blocks):
            # With tool_choice any or tool the API prefills the turn with the call: its reply is a
            # tool_use, never text alone. The script's words stay (they were asked for), the call follows.
            self._notes.append(f"tool_choice forces {forced!r}: the reply calls it after the script's content "
                               "(the API sends no text before a forced call)")
            reply = reply + replies.tool_use(forced)
        if all(not isinstance(block, ToolUseBlock) or block.input_json is not None for block in reply.blocks):
            return reply
        tools = offered(body)
        blocks = []
        for block in reply.blocks:
            if isinstance(block, ToolUseBlock) and block.input_json is None:
                tool = tools.get(block.name)
                if tool is None:
                    self._notes.append(f"tool {block.name!r} is not among the request's tools: input {{}}")
                schema = tool.get("input_schema") if tool is not None else None
                # A call's tokens are its JSON's characters / 4: past max_tokens of them it is cut.
                value = self._built(schema, f"tool {block.name!r}", characters=4 * max_tokens + 1)
                if not isinstance(value, dict):
                    # A tool's input is an object; the API refuses any other input_schema.
                    self._notes.append(f"tool {block.name!r}: its input_schema is not an object's: input {{}}")
                    value = {}
                block = ToolUseBlock(block.name, json.dumps(value, sort_keys=True, separators=(",", ":")), block.id)
            blocks.append(block)
        return replies.Reply(tuple(blocks), reply.stop)

    def _built(self, schema: Any, about: str, **most: int) -> Any:
        """A value for ``schema``, built no further than ``most`` (see :func:`synthesise`); if it stops short
        of the schema where no reply could hold it, a note says so ``about`` what it is for."""
        return synthesise(schema, lambda why: self._notes.append(f"{about}: {why}"), **most)

    def response(self, *, split: bool = False, lead: replies.Reply | None = None,
                 tail: replies.Reply | None = None) -> Response:
        api, body, step, platform = self._api, self._body, self._step, self._platform
        recorded = self._recorded
        if recorded is not None and step.reply is None and lead is None and tail is None:
            # The recorded answer is ok's content; a step that brings its own (a reply, a pause_turn)
            # answers with that instead, synthesised as without a cassette.
            self._request_id = next((value for name, value in recorded.headers if name == "request-id"), None)
            return recorded.response(split=split, gaps=self._gaps)
        model, max_tokens = str(body["model"]), int(body["max_tokens"])
        speed = api.speed(step, model)
        reply = _thought_first(self._reply(max_tokens, lead, tail), body)
        prompt_tokens = input_tokens(body)
        rendered = render_message(reply, model=model, max_tokens=max_tokens, input_token_count=prompt_tokens,
                                  ids=api.ids, delta_tokens=api.latency.delta_tokens if api.latency else 1,
                                  events=self.stream or split, id_tag=platform.id_tag)
        api.quota.spend_tokens(prompt_tokens + rendered.output_tokens)
        if self._replied is not None:
            self._replied(rendered.message)
        self._request_id = request_id = platform.request_id(api.ids.request())
        usage = (prompt_tokens, rendered.output_tokens)
        if not self.stream:
            head = api._head(JSON_CONTENT_TYPE, self._now, request_id, platform, usage)
            body_bytes = json_bytes(rendered.message)
            parts = len(rendered.events) - len(rendered.events.pings) if split else 0
            pieces: Pieces = Slices(body_bytes, parts) if split else Spelled(((0.0, Send(body_bytes)),))
            # A JSON body is sent once the last token exists: its whole generation time comes first.
            before = speed.generation_time(rendered.output_tokens) if speed else 0.0
            return Response(before, head, pieces)
        head = api._head(platform.stream_content_type, self._now, request_id, platform)
        return Response(0.0, head, _Events(rendered.events, speed, platform, usage))

    def status_error(self, status: int, error_type: str, args: Args, error_code: str | None = None) -> Plan:
        headers: list[tuple[str, str]] = []
        retry_after, retry_after_ms = _arg(args, "retry_after"), _arg(args, "retry_after_ms")
        should_retry = _arg(args, "should_retry")
        if retry_after is not None and _arg(args, "retry_after_date"):
            # An HTTP-date has whole seconds: rounded up, so the client never waits less than asked.
            now = self._now
            headers += [("date", http_date(math.floor(now))),
                        ("retry-after", http_date(math.ceil(now) + math.ceil(retry_after)))]
        elif retry_after is not None:
            headers.append(("retry-after", _number(retry_after)))
        if retry_after_ms is not None:
            headers.append(("retry-after-ms", _number(retry_after_ms)))
        if should_retry is not None:
            headers.append(("x-should-retry", "true" if should_retry else "false"))
        return self._api.error(error_type, _arg(args, "message"), status=status, headers=headers, now=self._now,
                                error_code=error_code, platform=self._platform)

    def head(self, status: int, headers: tuple[tuple[str, str], ...]) -> Head:
        return Head(status, headers)

    def error_event(self, error_type: str, message: str | None) -> Send:
        return Send(self._platform.error_event(error_type, message, self._request_id or ""), 1)

    def keepalive(self) -> Send:
        return Send(self._platform.event(PING))

    def malformed(self, data: bytes) -> bytes:
        return self._platform.malformed(data, self.stream)


_NOTHING = replies.Reply(())


def _arg(args: Args, name: str) -> Any:
    try:
        return args[name]
    except KeyError:
        return None


class _Events(Pieces):
    """A stream's events as timed pieces, each encoded for its platform when it is reached: the first
    token comes at the speed's ``ttft``, and each delta leaves with the last token it carries."""

    def __init__(self, events: Stream, speed: Speed | None, platform: Platform, usage: tuple[int, int]) -> None:
        self._events, self._speed, self._platform, self._usage = events, speed, platform, usage
        self._pings = events.pings
        self._first = next((index for index in range(len(events)) if events.tokens(index)), -1) if speed else -1
        """The event that carries the first token: it waits for the time to first token."""

    def __len__(self) -> int:
        return len(self._events)

    def gap(self, index: int) -> float:
        speed = self._speed
        tokens = self._events.tokens(index) if speed else 0
        if not tokens or speed is None:
            return 0.0
        return speed.ttft + (tokens - 1) / speed.tps if index == self._first else tokens / speed.tps

    def make(self, index: int) -> Send:
        event = self._events[index]
        platform = self._platform
        data = platform.last_event(event, self._usage) if event is MESSAGE_STOP else platform.event(event)
        return Send(data, 0 if event.name == "ping" else 1)

    def events(self, index: int) -> int:
        return 0 if index in self._pings else 1

    def silent(self, start: int, stop: int) -> bool:
        return self._speed is not None and any(self._events.tokens(index) for index in range(start, stop))

    def events_between(self, start: int, stop: int) -> int:
        return stop - start - sum(1 for ping in self._pings if start <= ping < stop)

    def cut(self, after: int) -> int:
        # Every event counts but the pings: each ping before the cut moves it one further.
        at = max(after, 0)
        for ping in self._pings:
            if ping <= at:
                at += 1
        return min(at, len(self))
