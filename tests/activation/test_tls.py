"""Shared TLS contexts: a client built under a fake reuses the context its library built, and any
other client gets what the library gives it."""

from __future__ import annotations

import importlib
import re
import ssl
import warnings
from pathlib import Path
from types import ModuleType
from typing import Any

import anthropic
import certifi
import pytest

from claude_fakes import ClaudeFake
from claude_fakes.activation import tls
from claude_fakes.activation.targets import http_libraries

from ..sdk import HTTP

LIBRARIES = [library.__name__ for library in http_libraries()]
"""httpx and httpx2, whichever SDK generation is installed: the other's transports are patched alike."""


def own_function(library: ModuleType) -> Any:
    return importlib.import_module(f"{library.__name__}._config").create_ssl_context


def lookups(library: ModuleType) -> list[ModuleType]:
    """Where transports look ``create_ssl_context`` up."""
    return [importlib.import_module(f"{library.__name__}._transports.default"), library]


@pytest.fixture(autouse=True)
def _libraries_own_functions(monkeypatch: pytest.MonkeyPatch) -> None:
    """Outside a fake, each library's own function (the suite shares contexts everywhere: conftest),
    and a cache of this test's own, so that what it builds and changes stays here."""
    monkeypatch.setattr(tls, "_cache", {})
    for library in http_libraries():
        for module in lookups(library):
            monkeypatch.setitem(module.__dict__, "create_ssl_context", own_function(library))


def context_of(transport: Any) -> ssl.SSLContext:
    context = transport._pool._ssl_context
    assert isinstance(context, ssl.SSLContext)
    return context


def settings(context: ssl.SSLContext) -> tuple[object, ...]:
    return (context.verify_mode, context.check_hostname, context.verify_flags, context.options,
            context.minimum_version, context.maximum_version, context.cert_store_stats(),
            [cipher["name"] for cipher in context.get_ciphers()])


def bundle(path: Path, certificates: int) -> Path:
    """A CA bundle of certifi's first ``certificates``."""
    found = re.findall(r"-----BEGIN CERTIFICATE-----.*?-----END CERTIFICATE-----\n",
                       Path(certifi.where()).read_text(), flags=re.S)
    path.write_text("".join(found[:certificates]))
    return path


@pytest.mark.parametrize("name", LIBRARIES)
def test_transports_built_under_fakes_share_the_context_their_library_built(name: str) -> None:
    library = importlib.import_module(name)
    with ClaudeFake():
        first, second = library.HTTPTransport(), library.AsyncHTTPTransport()
    with ClaudeFake():
        later = library.HTTPTransport()

    assert context_of(first) is context_of(second) is context_of(later)
    assert settings(context_of(first)) == settings(own_function(library)())


@pytest.mark.parametrize("name", LIBRARIES)
def test_outside_a_fake_each_transport_gets_the_librarys_own_context(name: str) -> None:
    library = importlib.import_module(name)
    with ClaudeFake():
        pass

    assert all(module.create_ssl_context is own_function(library) for module in lookups(library))
    assert context_of(library.HTTPTransport()) is not context_of(library.HTTPTransport())


@pytest.mark.parametrize("name", LIBRARIES)
def test_a_fake_that_does_not_intercept_leaves_the_library_alone(name: str) -> None:
    library = importlib.import_module(name)
    with ClaudeFake(intercept=False):
        assert all(module.create_ssl_context is own_function(library) for module in lookups(library))


def test_every_client_of_the_installed_sdk_reuses_the_cached_context() -> None:
    with ClaudeFake():
        clients = [anthropic.Anthropic()._client, anthropic.AsyncAnthropic()._client]
        aiohttp_transport = anthropic.DefaultAioHttpClient()._transport
        cached = context_of(HTTP.HTTPTransport())

    assert [context_of(client._transport) for client in clients] == [cached, cached]
    assert aiohttp_transport.ssl_context is cached


@pytest.mark.parametrize("name", LIBRARIES)
def test_other_settings_get_what_the_library_gives(name: str, tmp_path: Path) -> None:
    library = importlib.import_module(name)
    given = ssl.create_default_context()
    with ClaudeFake():
        default = context_of(library.HTTPTransport())
        unverified = [context_of(library.HTTPTransport(verify=False)) for _ in range(2)]
        passed = context_of(library.HTTPTransport(verify=given))
        with warnings.catch_warnings():
            warnings.simplefilter("ignore", DeprecationWarning)  # verify=<path> and cert= are deprecated
            from_path = context_of(library.HTTPTransport(verify=str(bundle(tmp_path / "ca.pem", 1))))
            with pytest.raises(FileNotFoundError):
                library.HTTPTransport(cert=str(tmp_path / "missing.pem"))

    assert unverified[0] is not unverified[1] and unverified[0] is not default
    assert unverified[0].verify_mode == ssl.CERT_NONE and not unverified[0].check_hostname
    assert passed is given
    assert from_path.cert_store_stats()["x509_ca"] == 1


@pytest.mark.parametrize("name", LIBRARIES)
def test_the_environment_and_the_bundle_file_are_part_of_what_is_shared(
    name: str, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    library = importlib.import_module(name)
    path = bundle(tmp_path / "ca.pem", 1)
    with ClaudeFake():
        default = context_of(library.HTTPTransport())
        monkeypatch.setenv("SSL_CERT_FILE", str(path))
        one = [context_of(library.HTTPTransport()) for _ in range(2)]
        ignoring = context_of(library.HTTPTransport(trust_env=False))
        bundle(path, 2)  # rewritten in place
        two = context_of(library.HTTPTransport())

    assert one[0] is one[1] is not default
    assert [one[0].cert_store_stats()["x509_ca"], two.cert_store_stats()["x509_ca"]] == [1, 2]
    assert settings(ignoring) == settings(own_function(library)(trust_env=False)) != settings(one[0])


@pytest.mark.parametrize("name", LIBRARIES)
def test_a_call_from_the_test_itself_is_the_librarys(name: str) -> None:
    library = importlib.import_module(name)
    with ClaudeFake():
        first, second = library.create_ssl_context(), library.create_ssl_context()

    assert first is not second


@pytest.mark.parametrize("name", LIBRARIES)
def test_a_context_changed_in_place_is_not_handed_out_again(name: str) -> None:
    library = importlib.import_module(name)
    with ClaudeFake():
        changed = context_of(library.HTTPTransport())
        changed.check_hostname = False
        changed.verify_mode = ssl.CERT_NONE
        later = context_of(library.HTTPTransport())

    assert later is not changed
    assert (later.verify_mode, later.check_hostname) == (ssl.CERT_REQUIRED, True)


def _strict_flags(context: ssl.SSLContext) -> None:
    context.verify_flags |= ssl.VERIFY_X509_STRICT


def _ticketless(context: ssl.SSLContext) -> None:
    context.options |= ssl.OP_NO_TICKET


CHANGES_IN_PLACE: dict[str, Any] = {
    "verify_mode": lambda context: setattr(context, "verify_mode", ssl.CERT_OPTIONAL),
    "check_hostname": lambda context: setattr(context, "check_hostname", False),
    "verify_flags": _strict_flags,
    "options": _ticketless,
    "minimum_version": lambda context: setattr(context, "minimum_version", ssl.TLSVersion.TLSv1_3),
    "maximum_version": lambda context: setattr(context, "maximum_version", ssl.TLSVersion.TLSv1_2),
    "trusted certificates": lambda context: context.load_verify_locations(certifi.where()),
}


@pytest.mark.parametrize("change", CHANGES_IN_PLACE.values(), ids=CHANGES_IN_PLACE.keys())
def test_each_setting_changed_in_place_is_seen(change: Any) -> None:
    context = ssl.SSLContext(ssl.PROTOCOL_TLS_CLIENT)
    before = tls._settings(context)

    change(context)

    assert tls._settings(context) != before


def test_a_context_class_of_its_own_is_read_through_its_properties() -> None:
    class Elsewhere(ssl.SSLContext):  # truststore's (macOS, Windows) keeps its settings on an inner context
        inner = ssl.SSLContext(ssl.PROTOCOL_TLS_CLIENT)

        @property
        def check_hostname(self) -> bool:  # type: ignore[override]
            return self.inner.check_hostname

    context = Elsewhere(ssl.PROTOCOL_TLS_CLIENT)
    before = tls._settings(context)

    context.inner.check_hostname = False

    assert tls._settings(context) != before
