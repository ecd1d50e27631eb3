"""Tool calls (claude_fakes.core.tools): inputs built from a tool's schema, and replies that follow
``tool_choice``, as JSON and streamed, on the installed SDK; instructor's forced-tool call."""

from __future__ import annotations

import json
from typing import Any, Literal

import anthropic
import instructor
import pydantic
import pytest

from claude_fakes import ClaudeFake, faults, replies
from claude_fakes.core.plan import Send
from claude_fakes.core.planner import Api
from claude_fakes.core.request import Incoming
from claude_fakes.core.script import parse_script, to_turns
from claude_fakes.core.step import OK
from claude_fakes.core.tools import MOST_CHARACTERS, MOST_ITEMS, MOST_NODES, forced_tool, output_schema, synthesise

from ..agent import WEATHER_TOOL
from ..sdk import HTTP, MODES, call


class Address(pydantic.BaseModel):
    city: str
    zip_code: str = pydantic.Field(min_length=5, max_length=5)


class Person(pydantic.BaseModel):
    name: str
    age: int = pydantic.Field(ge=18, le=130)
    role: Literal["admin", "user"]
    tags: list[str] = pydantic.Field(min_length=2)
    address: Address
    score: float = pydantic.Field(gt=0, lt=1)
    nickname: str | None = None
    kind: Literal["person"] = "person"


def test_a_synthesised_input_validates_against_the_schema_it_came_from() -> None:
    value = synthesise(Person.model_json_schema())
    assert Person.model_validate(value).role == "admin"
    assert set(value) == {"name", "age", "role", "tags", "address", "score"}, "only required properties"


@pytest.mark.parametrize(("schema", "expected"), [
    ({"type": "string", "enum": ["b", "a"]}, "b"),
    ({"const": 3}, 3),
    ({"type": "integer", "minimum": 5, "maximum": 9}, 5),
    ({"type": "integer", "exclusiveMinimum": 5}, 6),
    ({"type": "number", "maximum": 0.25}, 0.25),
    ({"type": "integer", "multipleOf": 4, "minimum": 5}, 8),
    ({"type": "boolean"}, True),
    ({"type": ["null", "string"]}, "example"),
    ({"type": "string", "format": "date-time"}, "2026-01-01T00:00:00Z"),
    ({"type": "string", "maxLength": 3}, "exa"),
    ({"type": "array", "items": {"type": "integer"}, "minItems": 3, "uniqueItems": True}, [1, 2, 3]),
    ({"anyOf": [{"type": "null"}, {"type": "integer"}]}, 1),
    ({"allOf": [{"type": "object", "properties": {"a": {"type": "string"}}, "required": ["a"]},
                {"properties": {"b": {"type": "integer"}}, "required": ["b"]}]}, {"a": "example", "b": 1}),
    ({"type": "object", "properties": {"x": {"$ref": "#/definitions/X"}}, "required": ["x"],
      "definitions": {"X": {"type": "string", "enum": ["y"]}}}, {"x": "y"}),
    ({"type": "object", "properties": {"p": {"$ref": "#"}}, "required": []}, {}),
])
def test_each_schema_keyword_is_respected(schema: dict[str, Any], expected: Any) -> None:
    assert synthesise(schema) == expected


def test_a_recursive_required_schema_stops() -> None:
    tree = {"type": "object", "properties": {"child": {"$ref": "#"}}, "required": ["child"]}
    value = synthesise(tree)
    depth = 0
    while isinstance(value, dict) and depth < 100:
        value, depth = value["child"], depth + 1
    assert depth < 100


def test_forced_tool_reads_tool_choice() -> None:
    tools = [{"name": "a", "input_schema": {}}, {"name": "b", "input_schema": {}}]
    assert forced_tool({"tools": tools, "tool_choice": {"type": "tool", "name": "b"}}) == "b"
    assert forced_tool({"tools": tools, "tool_choice": {"type": "any"}}) == "a"
    assert forced_tool({"tools": tools, "tool_choice": {"type": "auto"}}) is None
    assert forced_tool({"tools": tools}) is None


PERSON_TOOL = {"name": "record_person", "description": "Record a person.", "input_schema": Person.model_json_schema()}


@pytest.mark.parametrize("choice", [{"type": "tool", "name": "record_person"}, {"type": "any"}])
@pytest.mark.parametrize("mode", MODES)
def test_a_forced_tool_choice_gets_a_schema_valid_call(mode: str, choice: dict[str, Any]) -> None:
    with ClaudeFake() as fake:
        seen = call(mode, tools=[PERSON_TOOL, WEATHER_TOOL], tool_choice=choice)
    assert seen.error is None, seen.error
    message = seen.message
    assert message.stop_reason == "tool_use"
    (block,) = message.content
    assert block.type == "tool_use" and block.name == "record_person" and block.id.startswith("toolu_01")
    Person.model_validate(block.input)
    if mode.endswith("stream"):
        assert seen.events.count("input_json") >= 2, "the input arrives as input_json_delta fragments"
    assert fake.attempts == 1


def test_instructor_gets_its_response_model_in_one_attempt() -> None:
    with ClaudeFake() as fake:
        client = instructor.from_anthropic(anthropic.Anthropic())
        person = client.messages.create(model="claude-sonnet-4-6", max_tokens=1024, response_model=Person,
                                        messages=[{"role": "user", "content": "Extract: Jane, 30, admin"}])
    assert isinstance(person, Person)
    assert fake.attempts == 1
    assert fake.journal[0].json["tool_choice"]["type"] == "tool"


async def test_instructor_async_too() -> None:
    with ClaudeFake() as fake:
        client = instructor.from_anthropic(anthropic.AsyncAnthropic())
        person = await client.messages.create(model="claude-sonnet-4-6", max_tokens=1024, response_model=Person,
                                              messages=[{"role": "user", "content": "Extract: Jane"}])
    assert isinstance(person, Person) and fake.attempts == 1


@pytest.mark.parametrize("mode", MODES)
def test_a_scripted_tool_call_without_input_is_built_from_the_requests_schema(mode: str) -> None:
    with ClaudeFake("tool_use(name=get_weather, text=Let me check.)"):
        seen = call(mode, tools=[WEATHER_TOOL])
    text, tool = seen.message.content
    assert text.text == "Let me check."
    assert tool.input == {"city": "example", "unit": "celsius"}


def test_a_given_input_is_sent_as_given() -> None:
    with ClaudeFake(faults.tool_use("get_weather", {"city": "Paris", "unit": "celsius"})):
        seen = call("sync", tools=[WEATHER_TOOL])
    assert seen.message.content[0].input == {"city": "Paris", "unit": "celsius"}


def test_a_tool_the_request_does_not_offer_gets_an_empty_input_and_a_note() -> None:
    with ClaudeFake("tool_use(name=search)") as fake:
        seen = call("sync")
    assert seen.message.content[0].input == {}
    assert fake.journal[0].notes == ["tool 'search' is not among the request's tools: input {}"]
    assert "tool 'search' is not among" in fake.timeline()


@pytest.mark.parametrize("mode", ["sync-stream", "async-stream"])
def test_a_drop_inside_the_tool_calls_json(mode: str) -> None:
    # message_start, content_block_start, then input_json_delta fragments: the cut lands in the JSON.
    with ClaudeFake("drop(after=4, tool=get_weather)") as fake:
        seen = call(mode, tools=[WEATHER_TOOL])
    assert isinstance(seen.error, HTTP.RemoteProtocolError)
    assert fake.journal[0].events == 4
    assert "input_json" in seen.events


def test_thinking_and_text_stay_expressible_in_script_text() -> None:
    with ClaudeFake("ok(thinking=Paris is in France., text=Sunny.)"):
        seen = call("sync-stream")
    kinds = [block.type for block in seen.message.content]
    assert kinds == ["thinking", "text"]
    assert seen.message.content[0].thinking == "Paris is in France."
    assert seen.message.content[0].signature, "a thinking block is always signed"


def test_a_reply_made_in_python_keeps_its_order() -> None:
    reply = replies.thinking("hmm") + replies.text("Checking.") + replies.tool_use("get_weather", {"city": "Paris"})
    with ClaudeFake(reply):
        seen = call("sync", tools=[WEATHER_TOOL])
    assert [block.type for block in seen.message.content] == ["thinking", "text", "tool_use"]
    assert seen.message.stop_reason == "tool_use"


@pytest.mark.parametrize("name", ["", "get weather", "x" * 129])
def test_a_tool_name_the_api_would_refuse_is_refused_in_python_and_in_scripts(name: str) -> None:
    with pytest.raises(ValueError, match="takes a tool name"):
        replies.tool_use(name)
    with pytest.raises(ValueError, match="takes a tool name"):
        faults.tool_use(name)


def test_output_schema_reads_the_ga_and_the_beta_form_of_structured_outputs() -> None:
    schema = {"type": "object", "properties": {"a": {"type": "integer"}}, "required": ["a"]}
    assert output_schema({"output_config": {"format": {"type": "json_schema", "schema": schema}}}) == schema
    assert output_schema({"output_format": {"type": "json_schema", "schema": schema}}) == schema
    assert output_schema({"output_config": {"effort": "high"}}) is None and output_schema({}) is None


@pytest.mark.parametrize(("schema", "expected"), [
    ({"type": "number", "minimum": float("inf")}, 1.0),
    ({"type": "integer", "maximum": float("-inf")}, 1),
    ({"type": "number", "minimum": 1e308, "multipleOf": 1e-10}, 1e308),
    ({"type": "integer", "minimum": 3, "multipleOf": 2}, 4),
], ids=["infinite-minimum", "infinite-maximum", "multiple-too-fine", "multiple"])
def test_numbers_from_bounds_no_float_can_meet_never_overflow(schema: dict[str, Any], expected: float) -> None:
    assert synthesise(schema) == expected


def test_sizes_no_reply_could_hold_are_built_only_as_far_as_the_largest_output() -> None:
    assert len(synthesise({"type": "array", "minItems": 10**9, "items": {"type": "integer"}})) == MOST_ITEMS
    assert len(synthesise({"type": "array", "minItems": 10**9, "uniqueItems": True, "items": {"type": "integer"}})) \
        == MOST_ITEMS
    assert len(synthesise({"type": "string", "minLength": 10**9})) == MOST_CHARACTERS
    assert len(synthesise({"type": "array", "minItems": 3, "items": {"type": "integer"}})) == 3


def test_a_schema_whose_refs_branch_is_followed_only_so_far_and_says_so() -> None:
    # Each node refers to itself twice: 2 ** 32 steps to the depth limit.
    branching = {"$defs": {"node": {"type": "object", "required": ["left", "right"],
                                    "properties": {"left": {"$ref": "#/$defs/node"},
                                                   "right": {"$ref": "#/$defs/node"}}}},
                 "$ref": "#/$defs/node"}
    why: list[str] = []
    value = synthesise(branching, why.append)
    assert why == [f"its schema took more than {MOST_NODES} steps to follow: the input stops there"]
    objects, pending = 0, [value]
    while pending:  # bounded: each object is walked once
        item = pending.pop()
        if isinstance(item, dict):
            objects += 1
            pending.extend(item.values())
    assert objects <= MOST_NODES


def test_an_input_longer_than_any_reply_stops_where_max_tokens_would_cut_it() -> None:
    wide = {"type": "object", "required": [f"p{n}" for n in range(100)],
            "properties": {f"p{n}": {"type": "integer"} for n in range(100)}}
    why: list[str] = []
    value = synthesise({"type": "array", "minItems": 10**6, "items": wide}, why.append)
    assert len(json.dumps(value, separators=(",", ":"))) <= MOST_CHARACTERS + 1_000 and 1 < len(value) < 10**6
    assert why == [f"the input would be longer than any reply ({MOST_ITEMS} values or {MOST_CHARACTERS} characters): "
                   "it stops there, where max_tokens cuts it"]
    strings = {"type": "object", "required": ["a", "b"], "properties": {"a": {"type": "string", "minLength": 10**9},
                                                                         "b": {"type": "string", "minLength": 10**9}}}
    assert sum(map(len, synthesise(strings).values())) <= MOST_CHARACTERS


def test_a_forced_tool_whose_schema_is_not_an_objects_gets_an_empty_input_and_a_note() -> None:
    request = {"model": "claude-sonnet-4-6", "max_tokens": 3, "messages": [{"role": "user", "content": "hi"}],
               "tools": [{"name": "t", "input_schema": {"type": "array", "minItems": 5}}],
               "tool_choice": {"type": "any"}}
    notes: list[str] = []
    plan = Api().respond(Incoming("POST", "/v1/messages", {}, {}, json.dumps(request).encode()), OK, now=0,
                         notes=notes)
    message = json.loads(b"".join(action.data for action in plan.actions if isinstance(action, Send)))
    assert message["content"][0]["input"] == {} and notes == ["tool 't': its input_schema is not an object's: input {}"]


SCHEMAS_TO_CUT = {
    "members-out-of-order": {"type": "object", "required": ["zeta", "alpha", "mid"], "properties": {
        "zeta": {"type": "string", "minLength": 300}, "alpha": {"type": "array", "minItems": 50,
                                                                "items": {"type": "integer"}},
        "mid": {"type": "object", "required": ["b", "a"], "properties": {"a": {"type": "boolean"},
                                                                        "b": {"type": "string", "minLength": 90}}}}},
    "wide": {"type": "object", "required": [f"p{n:03d}" for n in range(300, 0, -1)],
             "properties": {f"p{n:03d}": {"type": "string", "minLength": n} for n in range(1, 301)}},
}


@pytest.mark.parametrize("schema", SCHEMAS_TO_CUT.values(), ids=SCHEMAS_TO_CUT)
@pytest.mark.parametrize("max_tokens", [1, 7, 60, 400, 5_000])
@pytest.mark.parametrize("stream", [False, True], ids=["json", "stream"])
def test_an_input_built_only_as_far_as_max_tokens_cuts_it_is_the_same_as_built_whole(
        schema: dict[str, Any], max_tokens: int, stream: bool) -> None:
    def sent(script: str | None) -> bytes:
        body = {"model": "claude-sonnet-4-6", "max_tokens": max_tokens, "stream": stream,
                "tool_choice": {"type": "any"}, "messages": [{"role": "user", "content": "hi"}],
                "tools": [{"name": "t", "input_schema": schema}]}
        step = OK if script is None else parse_script(script)[0]
        plan = Api().respond(Incoming("POST", "/v1/messages", {}, {}, json.dumps(body).encode()), step, now=0)
        return b"".join(action.data for action in plan.actions if isinstance(action, Send))

    whole = json.dumps(synthesise(schema), separators=(",", ":"))
    assert sent(None) == sent(f"tool_use(name=t, input='{whole}')")


@pytest.mark.parametrize("schema", SCHEMAS_TO_CUT.values(), ids=SCHEMAS_TO_CUT)
@pytest.mark.parametrize("max_tokens", [1, 7, 60, 400, 5_000])
def test_a_structured_output_built_only_as_far_as_max_tokens_cuts_it_is_the_same_as_built_whole(
        schema: dict[str, Any], max_tokens: int) -> None:
    def sent(step: Any) -> bytes:
        body = {"model": "claude-sonnet-4-6", "max_tokens": max_tokens, "messages": [{"role": "user", "content": "hi"}],
                "output_config": {"format": {"type": "json_schema", "schema": schema}}}
        plan = Api().respond(Incoming("POST", "/v1/messages", {}, {}, json.dumps(body).encode()), step, now=0)
        return b"".join(action.data for action in plan.actions if isinstance(action, Send))

    (whole,) = to_turns([replies.text(json.dumps(synthesise(schema), sort_keys=True))])[0]
    assert sent(OK) == sent(whole)
