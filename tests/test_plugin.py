"""The pytest plugin, run in inner pytest sessions (pytester): fixture, markers, options,
matrices, teardown checks and the failure report."""

from __future__ import annotations

import pytest

from .inner import INI, USER_HEADER, run_inner, run_user_tests
from .test_intercept import GUARD_SOURCE


def run(pytester: pytest.Pytester, body: str, *args: str) -> pytest.RunResult:
    return run_user_tests(pytester, body, *args)


def test_the_fixture_is_registered_by_the_entry_point(pytester: pytest.Pytester) -> None:
    result = run(pytester, """
def test_it(claude_fake):
    claude_fake.script("overloaded, ok")
    ask()
    assert claude_fake.attempts == 2
""")
    result.assert_outcomes(passed=1)


def test_markers_are_registered(pytester: pytest.Pytester) -> None:
    pytester.makeini(INI)
    result = pytester.runpytest("--markers")
    result.stdout.fnmatch_lines([
        "@pytest.mark.claude_fake(script=None, *, scenario=None, strict=None, seed=None, base_urls=(),*"
        "network=None, allow_hosts=()*",
        "@pytest.mark.claude_faults(*scripts)*",
    ])


def test_options_are_in_help(pytester: pytest.Pytester) -> None:
    pytester.makeini(INI)
    result = pytester.runpytest("--help")
    result.stdout.fnmatch_lines(["*--claude-fakes-seed=N*", "*--claude-fakes-strict*", "*--claude-fakes-script=SCRIPT*",
                                 "*--claude-fakes-base-url=URL*", "*--claude-fakes-network*",
                                 "*--claude-fakes-allow-host=HOST[[]:PORT]*", "*claude_fakes_seed*",
                                 "*claude_fakes_base_urls*", "*claude_fakes_network*", "*claude_fakes_allow_hosts*"])


def test_claude_faults_collects_one_test_per_script_with_readable_ids(pytester: pytest.Pytester) -> None:
    result = run(pytester, """
@pytest.mark.claude_faults("hang", "drop(after=3)", "overloaded", "rate_limited(retry_after=30)")
def test_every_fault(claude_fake):
    claude_fake.strict = False
""", "--collect-only")
    result.stdout.fnmatch_lines([
        "*test_every_fault[[]hang[]]*",
        "*test_every_fault[[]drop(after=3)[]]*",
        "*test_every_fault[[]overloaded[]]*",
        "*test_every_fault[[]rate_limited(retry_after=30)[]]*",
        "*4 tests collected*",
    ])


def test_claude_faults_runs_each_script(pytester: pytest.Pytester) -> None:
    result = run(pytester, """
@pytest.mark.claude_fake(strict=False)
@pytest.mark.claude_faults("overloaded*3", "api_error*3", "ok")
def test_every_fault(claude_fake):
    try:
        ask()
    except anthropic.APIStatusError as err:
        assert err.status_code in (500, 529)
    assert claude_fake.attempts in (1, 3)
    assert str(claude_fake.journal[0].step).split("*")[0] in ("overloaded", "api_error", "ok")
""", "-v")
    result.assert_outcomes(passed=3)


def test_a_bad_script_in_claude_faults_is_a_usage_error(pytester: pytest.Pytester) -> None:
    result = run(pytester, """
@pytest.mark.claude_faults("hang", "overlaoded")
def test_it(claude_fake):
    pass
""")
    assert result.ret == pytest.ExitCode.INTERRUPTED
    result.stdout.fnmatch_lines(["*test_it: claude_faults script 'overlaoded': unknown action 'overlaoded'*",
                                 "*known actions: ok, tool_use, hang, *", "*overlaoded", "*^ (position 0)"])
    assert "Traceback" not in result.stdout.str()


def test_marker_on_class_and_module_with_nearest_winning(pytester: pytest.Pytester) -> None:
    result = run(pytester, """
pytestmark = pytest.mark.claude_fake("overloaded, ok", seed=7)


def test_module_level(claude_fake):
    ask()
    assert claude_fake.attempts == 2 and claude_fake.seed == 7


@pytest.mark.claude_fake(strict=False)
class TestGroup:
    def test_class_options_and_module_script(self, claude_fake):
        assert claude_fake.strict is False and claude_fake.seed == 7

    @pytest.mark.claude_fake("api_error, ok", seed=3)
    def test_function_marker_wins(self, claude_fake):
        ask()
        assert [e.status for e in claude_fake.journal] == [500, 200]
        assert claude_fake.seed == 3 and claude_fake.strict is False
""")
    result.assert_outcomes(passed=3)


def test_precedence_marker_over_command_line_over_ini_over_default(pytester: pytest.Pytester) -> None:
    pytester.makeini("""
[pytest]
asyncio_mode = auto
asyncio_default_fixture_loop_scope = function
claude_fakes_seed = 11
claude_fakes_strict = false
claude_fakes_script = overloaded, ok
claude_fakes_base_urls =
    http://gateway.internal/anthropic
""")
    pytester.makepyfile(test_inner=USER_HEADER + """
def test_ini(claude_fake):
    assert (claude_fake.seed, claude_fake.strict) == (11, False)
    anthropic.Anthropic(base_url="http://gateway.internal/anthropic").messages.create(**REQUEST)
    assert claude_fake.attempts == 2


@pytest.mark.claude_fake("ok", seed=5, strict=True)
def test_marker(claude_fake):
    assert (claude_fake.seed, claude_fake.strict) == (5, True)
    ask()
""")
    pytester.runpytest("-p", "no:cacheprovider", "-q").assert_outcomes(passed=2)
    pytester.makepyfile(test_inner=USER_HEADER + """
def test_command_line(claude_fake):
    assert (claude_fake.seed, claude_fake.strict) == (99, True)
    ask()
    assert claude_fake.attempts == 3
""")
    pytester.runpytest("-p", "no:cacheprovider", "-q", "--claude-fakes-seed=99", "--claude-fakes-strict=yes",
                       "--claude-fakes-script=api_error*2, ok").assert_outcomes(passed=1)


def test_a_default_script_is_replaced_by_the_tests_first_script_call(pytester: pytest.Pytester) -> None:
    result = run(pytester, """
pytestmark = pytest.mark.claude_fake("overloaded*2")


def test_module_default_replaced(claude_fake):
    claude_fake.script("ok")
    ask()
    assert claude_fake.attempts == 1


def test_module_default_used(claude_fake):
    ask()
    assert claude_fake.attempts == 3


@pytest.mark.claude_fake("api_error")
def test_own_marker_steps_stay_accountable(claude_fake):
    claude_fake.script("ok")
    ask()
""", "--claude-fakes-script=hang")
    result.assert_outcomes(passed=3, errors=1)
    result.stdout.fnmatch_lines(["*test_own_marker_steps_stay_accountable*", "*api_error (step 1 of script 1*"])
    result = run(pytester, """
def test_command_line_default_replaced(claude_fake):
    claude_fake.script("ok")
    ask()
""", "--claude-fakes-script=overloaded")
    result.assert_outcomes(passed=1)


def test_unknown_marker_options_are_errors(pytester: pytest.Pytester) -> None:
    result = run(pytester, """
@pytest.mark.claude_fake("ok", strictness=False)
def test_it(claude_fake):
    pass
""")
    result.stdout.fnmatch_lines(["*claude_fake has no option strictness*"])
    result.assert_outcomes(errors=1)


def test_a_marker_with_several_scripts_says_how_to_write_them(pytester: pytest.Pytester) -> None:
    result = run(pytester, """
@pytest.mark.claude_fake("overloaded", "ok")
def test_it(claude_fake):
    pass
""")
    result.stdout.fnmatch_lines(["*claude_fake takes one script, got 2 arguments*one list: claude_fake(*"])
    result.assert_outcomes(errors=1)

    result = run(pytester, """
from claude_fakes import faults, replies

@pytest.mark.claude_fake([faults.overloaded(), replies.text("fine")])
def test_a_list(claude_fake):
    assert ask().content[0].text == "fine"
""")
    result.assert_outcomes(passed=1)


@pytest.mark.parametrize(("marker", "message"), [
    ('claude_fake("overloaded", "ok")', "claude_fake takes one script, got 2 arguments"),
    ('claude_fake("ok", strict="yes")', "claude_fake(strict=...) takes bool, got 'yes'"),
    ('claude_fake("ok", retries=3)', "claude_fake has no option retries; it takes a script or a scenario, and strict"),
    ('claude_fake("drop(after=3, ok")', "claude_fake marker: the '(' of drop at position 4 is never closed"),
    ('claude_fake("ok", rate_limits={"rpm": 5})', "rate_limits has no 'rpm'; it takes requests_per_minute and "
                                                  "tokens_per_minute"),
    ('claude_fake(scenario="no-such")', "no shipped scenario of that name; shipped: agent-loop"),
    ('claude_fake("ok", scenario="timeout")', "claude_fake takes a script or a scenario, not both"),
    ('claude_faults(["hang", "overloaded"])', "claude_faults takes each script as its own argument, got one list: "
                                              "claude_faults('hang', 'overloaded')"),
    ('claude_explore(faults=["hang"], attempts=2, turns=2)', "attempts=N or turns=N, not both"),
    ('claude_explore(faults=["hang"], attempts=2, bogus=1)', "::test_it: claude_explore: has no option bogus; it "
                                                               "takes faults, attempts, turns, base"),
    ('claude_explore(faults=["hang"], attempts=2, limit="all")', "claude_explore: limit= takes a whole number, "
                                                                   "got 'all'"),
])
def test_a_bad_marker_is_a_short_collection_error(pytester: pytest.Pytester, marker: str, message: str) -> None:
    result = run(pytester, f"""
@pytest.mark.{marker}
def test_it(claude_fake):
    pass
""")
    result.assert_outcomes(errors=1)
    errors = result.stdout.str().split("= ERRORS =", 1)[1].split("short test summary", 1)[0]
    assert message in errors
    assert "Traceback" not in errors and "claude_fakes/plugin" not in errors, errors
    assert len(errors.strip().splitlines()) <= 6, errors


@pytest.mark.parametrize("call", ['script("drop(after=3, ok")', 'turns("ok", "drop(after=3, ok")',
                                  'default_script("drop(after=3, ok")'])
def test_a_bad_script_given_in_the_test_fails_at_its_line_with_the_message_only(pytester: pytest.Pytester,
                                                                               call: str) -> None:
    result = run(pytester, f"""
def test_it(claude_fake):
    claude_fake.{call}
""")
    result.assert_outcomes(failed=1)
    failure = result.stdout.str().split("= FAILURES =", 1)[1].split("short test summary", 1)[0]
    assert "E       claude_fakes.ScriptError: the '(' of drop at position 4 is never closed" in failure
    assert "claude_fakes/" not in failure.replace("claude_fakes.ScriptError", ""), failure


def test_skipped_xfailed_and_fixture_errors_are_reported_as_just_that(pytester: pytest.Pytester) -> None:
    result = run(pytester, """
@pytest.fixture
def broken():
    raise RuntimeError("boom")

@pytest.mark.claude_fake("overloaded, ok")
def test_skipped(claude_fake):
    pytest.skip("not today")

@pytest.mark.claude_fake("overloaded, ok")
def test_a_fixture_fails(claude_fake, broken):
    pass

@pytest.mark.claude_fake("overloaded, ok")
def test_a_fixture_is_missing(claude_fake, no_such_fixture):
    pass

@pytest.mark.xfail(reason="known")
@pytest.mark.claude_fake("overloaded, ok")
def test_xfailed(claude_fake):
    assert False
""")
    result.assert_outcomes(skipped=1, xfailed=1, errors=2)
    assert "scripted steps never used" not in result.stdout.str()


def test_an_sdk_call_never_awaited_fails_the_test(pytester: pytest.Pytester) -> None:
    result = run(pytester, """
def test_forgot_await(claude_fake):
    anthropic.AsyncAnthropic().messages.create(**REQUEST)
""", "-W", "default::RuntimeWarning")
    result.assert_outcomes(passed=1, errors=1)
    result.stdout.fnmatch_lines(["*claude_fakes: AsyncMessages.create was called without await, so that request never "
                                 "reached the fake*"])


def test_a_test_that_proves_a_hang_takes_the_finding(pytester: pytest.Pytester) -> None:
    result = run(pytester, """
from claude_fakes import WouldHangForever

@pytest.mark.claude_fake("hang")
def test_proves_the_hang(claude_fake):
    with pytest.raises(WouldHangForever):
        anthropic.Anthropic(timeout=None).messages.create(**REQUEST)
    [finding] = claude_fake.take_findings()
    assert "would hang forever" in finding
""")
    result.assert_outcomes(passed=1)


def test_a_shipped_scenario_from_the_marker(pytester: pytest.Pytester) -> None:
    result = run(pytester, """
@pytest.mark.claude_fake(scenario="overloaded-529")
def test_it(claude_fake):
    ask()
    assert [exchange.status for exchange in claude_fake.journal] == [529, 529, 200]

@pytest.mark.claude_fake(scenario="serverless", gateway="vercel-edge")
def test_its_options_give_way_to_the_markers(claude_fake):
    assert claude_fake.gateway.name == "vercel-edge"
    claude_fake.reset()
""")
    result.assert_outcomes(passed=2)


def test_an_unused_step_fails_the_test_at_teardown_naming_it(pytester: pytest.Pytester) -> None:
    result = run(pytester, """
@pytest.mark.claude_fake("ok, overloaded")
def test_claims_to_cover_a_529(claude_fake):
    ask()
""")
    result.assert_outcomes(passed=1, errors=1)
    result.stdout.fnmatch_lines([
        "*ERROR at teardown of test_claims_to_cover_a_529*",
        "*scripted steps never used*",
        "*overloaded (step 2 of script 1, used 0 of 1)*",
    ])


def test_strict_opt_out(pytester: pytest.Pytester) -> None:
    result = run(pytester, """
def test_attribute(claude_fake):
    claude_fake.strict = False
    claude_fake.script("overloaded*10")


@pytest.mark.claude_fake("overloaded*10", strict=False)
def test_marker(claude_fake):
    pass
""")
    result.assert_outcomes(passed=2)


def test_a_failing_test_shows_its_own_failure_and_the_timeline(pytester: pytest.Pytester) -> None:
    result = run(pytester, """
@pytest.mark.claude_fake("overloaded*2, ok, api_error")
def test_it(claude_fake):
    ask()
    assert claude_fake.attempts == 2
""")
    result.assert_outcomes(failed=1)
    result.stdout.fnmatch_lines([
        "*assert 3 == 2*",
        "*- claude_fakes timeline -*",
        "*3 attempt(s), 2 sleep(s)*",
        "*#1  retry 0  POST /v1/messages, read timeout 600s: overloaded => 529 complete*",
        "*time.sleep(0.394447)*",
        "*#3  retry 2  POST /v1/messages, read timeout 600s: ok => 200 complete*",
    ])
    assert "scripted steps never used" not in result.stdout.str()


def test_a_swallowed_forever_hang_still_fails_the_test(pytester: pytest.Pytester) -> None:
    result = run(pytester, """
def test_it(claude_fake):
    claude_fake.script("hang")
    try:
        anthropic.Anthropic(timeout=None).messages.create(**REQUEST)
    except BaseException:
        pass
""")
    result.assert_outcomes(passed=1, errors=1)
    result.stdout.fnmatch_lines(["*would hang forever*"])


def test_the_fixture_is_active_for_async_tests(pytester: pytest.Pytester) -> None:
    result = run(pytester, """
@pytest.mark.claude_fake("hang, ok")
async def test_it(claude_fake):
    await anthropic.AsyncAnthropic().messages.create(**REQUEST)
    assert claude_fake.clock.elapsed > 600
""")
    result.assert_outcomes(passed=1)


def test_nothing_leaks_between_tests(pytester: pytest.Pytester) -> None:
    result = run(pytester, """
import time, asyncio

@pytest.mark.claude_fake("overloaded, ok")
def test_first(claude_fake):
    ask()
    asyncio.run(asyncio.sleep(3))
    assert claude_fake.clock.elapsed > 3


def test_second_has_real_time():
    assert time.time() > 1.7e9
    before = time.monotonic()
    asyncio.run(asyncio.sleep(0.01))
    assert time.monotonic() > before


def test_third_gets_a_fresh_fake(claude_fake):
    assert claude_fake.attempts == 0 and claude_fake.clock.elapsed == 0
""", "-p", "no:randomly")
    result.assert_outcomes(passed=3)


def test_the_server_fixture_is_strict_and_sets_the_base_url(pytester: pytest.Pytester) -> None:
    result = run(pytester, """
import os

@pytest.mark.claude_fake("overloaded, ok, api_error")
def test_server(claude_fake_server):
    assert os.environ["ANTHROPIC_BASE_URL"] == claude_fake_server.url
    ask()
    assert claude_fake_server.attempts == 2
""")
    result.assert_outcomes(passed=1, errors=1)
    result.stdout.fnmatch_lines(["*api_error (step 3 of script 1, used 0 of 1)*", "*real  attempt*"])


def test_the_server_fixture_points_a_foundry_client_at_the_server(pytester: pytest.Pytester) -> None:
    result = run(pytester, """
@pytest.mark.claude_fake("overloaded, ok")
def test_foundry(claude_fake_server):
    anthropic.AnthropicFoundry().messages.create(**REQUEST)  # ANTHROPIC_FOUNDRY_BASE_URL and a dummy key
    assert claude_fake_server.attempts == 2
""")
    result.assert_outcomes(passed=1)


def test_pytest_measures_test_durations_in_real_time(pytester: pytest.Pytester) -> None:
    result = run(pytester, """
@pytest.mark.claude_fake("hang*3")
def test_thirty_virtual_minutes(claude_fake):
    with pytest.raises(anthropic.APITimeoutError):
        ask()
    assert claude_fake.clock.elapsed > 1800
""", "--durations=0", "--durations-min=0", "--junitxml=report.xml")
    result.assert_outcomes(passed=1)
    durations = [float(line.split("s ")[0]) for line in result.stdout.lines
                 if line.split("s ")[0].replace(".", "", 1).isdigit() and "test_thirty_virtual_minutes" in line]
    assert len(durations) == 3, result.stdout.str()  # setup, call, teardown
    assert max(durations) < 60, "the virtual 1,800 s (or the fake's 2026 epoch) leaked into pytest's timing"
    report = (pytester.path / "report.xml").read_text()
    assert float(report.split('time="')[2].split('"')[0]) < 60


def test_process_wide_options_on_the_server_fixture_are_a_usage_error(pytester: pytest.Pytester) -> None:
    result = run(pytester, """
@pytest.mark.claude_fake("ok", gateway="vercel-hobby")
def test_it(claude_fake_server):
    pass
""")
    result.assert_outcomes(errors=1)
    result.stdout.fnmatch_lines(["*gateway belong to the server process: for them, start a*FakeServer*"])


@pytest.mark.parametrize(("ini", "args", "message"), [
    ("claude_fakes_seed = abc", (), "claude_fakes_seed (ini): expected a whole number, got 'abc'"),
    ("claude_fakes_strict = maybe", (), "claude_fakes_strict (ini): expected true or false*'maybe'"),
    ("claude_fakes_latency = fast", (), "claude_fakes_latency (ini): expected none or realistic, got 'fast'"),
    ("", ("--claude-fakes-script=ovrloaded",), "--claude-fakes-script: unknown action 'ovrloaded'*"),
    ("claude_fakes_network = closed", (), "claude_fakes_network (ini): expected refuse-claude, loopback, open, got*"),
    ("claude_fakes_allow_hosts =\n    db.internal:5432\n    db:internal:x", (),
     "claude_fakes_allow_hosts (ini): allow_hosts: 'db:internal:x' is not a host, host:port or URL*"),
    ("", ("--claude-fakes-allow-host=db.internal:port",),
     "--claude-fakes-allow-host: allow_hosts: 'db.internal:port' is not a host*"),
])
def test_a_bad_setting_fails_once_at_start_up_naming_it(
    pytester: pytest.Pytester, ini: str, args: tuple[str, ...], message: str
) -> None:
    pytester.makeini(INI + ini + "\n")
    pytester.makepyfile(test_two="def test_a(claude_fake): pass\ndef test_b(claude_fake): pass\n")
    result = pytester.runpytest("-p", "no:randomly", "-p", "no:cacheprovider", *args)
    assert result.ret == pytest.ExitCode.USAGE_ERROR
    result.stderr.fnmatch_lines([f"ERROR: {message}"])
    assert len(result.stderr.lines) < 10, result.stderr.str()


def test_marker_options_of_the_wrong_type_are_errors(pytester: pytest.Pytester) -> None:
    result = run(pytester, """
@pytest.mark.claude_fake(strict="no")
def test_it(claude_fake):
    pass
""")
    result.stdout.fnmatch_lines(["*claude_fake(strict=...) takes bool, got 'no'*"])
    assert result.ret != 0


# -- the network guard: ini, marker, command line -------------------------------------------------

GUARDED_CONFTEST = """
import pytest
from tests_guard import no_network


@pytest.fixture(autouse=True)
def underneath():
    # The suite's own guard, set up before the fake (autouse comes first), so the fake's is the outer
    # one: what reaches this one, the fake let through, and nothing reaches the network.
    with no_network() as attempts:
        yield attempts
"""
NETWORK_HEADER = """
import socket

import httpx
import pytest
from tests_guard import NetworkAttempt


def connect(host, port=5432):
    with socket.socket(socket.AF_INET6 if ":" in host else socket.AF_INET) as sock:
        sock.connect((host, port))
"""


def run_guarded(pytester: pytest.Pytester, body: str, *args: str, ini: str = "") -> pytest.RunResult:
    pytester.makeconftest(GUARDED_CONFTEST)
    pytester.makeini(INI + ini)
    pytester.makepyfile(tests_guard=GUARD_SOURCE, test_inner=NETWORK_HEADER + body)
    return pytester.runpytest("-p", "no:cacheprovider", "-p", "no:randomly", "-q", *args)


def test_by_default_a_request_for_claude_is_refused_and_everything_else_goes_through(
        pytester: pytest.Pytester) -> None:
    result = run_guarded(pytester, """
def test_swallowed_refusal(claude_fake, underneath):
    try:
        httpx.post("https://gateway.example:8443/v1/messages", headers={"anthropic-version": "2023-06-01"})
    except httpx.ConnectError:
        pass  # the code under test falls back quietly: the fake still fails the test
    assert underneath == []


def test_a_database_in_ci(claude_fake, underneath):
    with pytest.raises(NetworkAttempt):
        connect("10.1.2.3")
    assert underneath == ["connect(('10.1.2.3', 5432))"]
""")
    result.assert_outcomes(passed=2, errors=1)
    result.stdout.fnmatch_lines([
        "*ERROR at teardown of test_swallowed_refusal*",
        "*refused POST https://gateway.example:8443/v1/messages: a request for Claude to gateway.example:8443*",
        "*base_urls=[[]'https://gateway.example:8443']*--claude-fakes-base-url=URL*",
        "*allow_hosts=[[]'gateway.example:8443']*--claude-fakes-allow-host=gateway.example:8443*",
    ])


def test_the_ini_guards_the_network_and_allows_its_hosts(pytester: pytest.Pytester) -> None:
    result = run_guarded(pytester, """
def test_allowed(claude_fake, underneath):
    with pytest.raises(NetworkAttempt):
        connect("10.1.2.3")
    assert underneath == ["connect(('10.1.2.3', 5432))"]


def test_refused(claude_fake, underneath):
    connect("10.1.2.4")


def test_without_a_fake(underneath):
    with pytest.raises(NetworkAttempt):
        connect("10.1.2.4")
""", ini="claude_fakes_network = loopback\nclaude_fakes_allow_hosts =\n    10.1.2.3:5432\n")
    result.assert_outcomes(passed=2, failed=1)
    result.stdout.fnmatch_lines([
        "*NetworkRefused: [[]Errno 111] claude_fakes refused a connection to 10.1.2.4:5432 (at its connect): "
        "network='loopback' lets only loopback and allowed hosts through*",
        "*To allow it: allow_hosts=[[]'10.1.2.4:5432'] (@pytest.mark.claude_fake(allow_hosts=[[]...]), "
        "--claude-fakes-allow-host=10.1.2.4:5432, ini claude_fakes_allow_hosts*",
    ])


def test_markers_guard_the_network_and_their_allowed_hosts_add_up(pytester: pytest.Pytester) -> None:
    result = run_guarded(pytester, """
pytestmark = pytest.mark.claude_fake(network="loopback", allow_hosts=["10.1.2.3"])


@pytest.mark.claude_fake(allow_hosts=["[2001:db8::1]:443"])
def test_every_level_allows(claude_fake, underneath):
    for host, port in (("10.1.2.3", 1), ("10.1.2.5", 5432), ("2001:db8::1", 443)):
        with pytest.raises(NetworkAttempt):
            connect(host, port)
    assert claude_fake.network == "loopback"
    assert [str(host) for host in claude_fake.allow_hosts] == ["10.1.2.5:5432", "[2001:db8::1]:443", "10.1.2.3"]


def test_the_module_refuses(claude_fake):
    connect("2001:db8::1", 443)


@pytest.mark.claude_fake(network="open")
def test_the_nearest_network_wins(claude_fake, underneath):
    with pytest.raises(NetworkAttempt):
        connect("10.9.9.9")
""", ini="claude_fakes_allow_hosts = 10.1.2.5:5432\n")
    result.assert_outcomes(passed=2, failed=1)
    result.stdout.fnmatch_lines(["*refused a connection to [[]2001:db8::1]:443 (at its connect)*"])


def test_the_command_line_guards_the_network_over_the_ini(pytester: pytest.Pytester) -> None:
    body = """
def test_it(claude_fake, underneath):
    with pytest.raises(NetworkAttempt):
        connect("10.1.2.3")
    connect("10.1.2.4")
"""
    result = run_guarded(pytester, body, "--claude-fakes-network=loopback", "--claude-fakes-allow-host=10.1.2.3",
                         ini="claude_fakes_network = open\n")
    result.assert_outcomes(failed=1)
    result.stdout.fnmatch_lines(["*refused a connection to 10.1.2.4:5432*"])
    result = run_guarded(pytester, body + "    assert underneath[-1] == \"connect(('10.1.2.4', 5432))\"\n",
                         "--claude-fakes-network=open")
    result.assert_outcomes(failed=1)
    result.stdout.fnmatch_lines(["*NetworkAttempt: the code under test tried to reach the network*10.1.2.4*"])


@pytest.mark.parametrize(("marker", "fixture", "message"), [
    ('claude_fake(network="closed")', "claude_fake",
     "*claude_fake(network=...) takes 'refuse-claude', 'loopback', 'open', got 'closed'*"),
    ('claude_fake(allow_hosts="db.internal")', "claude_fake",
     "*claude_fake: allow_hosts takes a list of hosts, got 'db.internal'*"),
    ('claude_fake(network="loopback")', "claude_fake_server",
     "*network guard the network while an in-process fake is active (the claude_fake fixture); "
     "claude_fake_server starts none*"),
])
def test_bad_guard_settings_on_a_marker_and_the_server_fixture_are_collection_errors(
    pytester: pytest.Pytester, marker: str, fixture: str, message: str
) -> None:
    result = run_inner(pytester, test_inner=f"""
import pytest


@pytest.mark.{marker}
def test_it({fixture}):
    pass
""")
    result.assert_outcomes(errors=1)
    result.stdout.fnmatch_lines([message])
