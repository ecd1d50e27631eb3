"""Shared TLS contexts: a client built while a fake is active does not load the CA bundle again.

Every httpx/httpx2 transport (so every SDK client, ``DefaultAioHttpClient`` included) calls its
library's ``create_ssl_context`` when it is built, and the default one (``verify=True``) reads
the whole CA bundle: 20-40 ms, most of what a test that builds its own client pays, though
nothing on the intercepted path ever uses it. While a fake is active, a transport's default
call is answered from a process-wide cache of the contexts the library itself built, one per
set of inputs that decide what it builds (:func:`_inputs`). Any other call goes to the library
as it came: ``verify=False``, a path or a context, a ``cert``, and a call from code other than a
transport (``httpx.create_ssl_context()`` in a test, whose caller may go on to change it). Once
the fake stops, the library's own function is back in place.

A client that talks to a real host therefore gets a context configured exactly as the library
would configure one now. What sharing changes is only that it is the same object as other
clients', as when a test passes one ``verify=ctx`` to several clients (which httpx recommends),
and it implies the same: httpcore sets its ALPN list on the context before each handshake, so
two clients with different ``http2`` settings connecting on two threads at once may offer each
other's list; a change made in place through a client's private attributes reaches the clients
that already share the context. A cached context whose verification settings have changed since
it was built (:func:`_settings`) is not handed out again, so what a later test's client trusts
is what the library would build.
"""

from __future__ import annotations

import functools
import importlib
import os
import ssl
import sys
import threading
from collections.abc import Callable
from contextlib import ExitStack
from typing import Any

from .targets import http_libraries

__all__ = ["share_default_contexts"]

_NAME = "create_ssl_context"
_TRANSPORTS = ("._transports.default", "httpx_aiohttp.transport")
"""The modules whose transports call it: httpx's and httpx2's own, and the aiohttp transports
(``httpx-aiohttp``, and its copy inside anthropic), which call it by the library's top-level name."""
_KEPT = 8
"""The most contexts kept: a suite may point ``SSL_CERT_FILE`` at a new file in every test."""

_Create = Callable[..., ssl.SSLContext]
_Inputs = tuple[object, ...]
_cache: dict[tuple[_Create, _Inputs], tuple[ssl.SSLContext, tuple[object, ...]]] = {}
"""Per library and inputs: the context it built, and its settings then."""
_cache_lock = threading.Lock()


@functools.cache
def _bundles() -> tuple[str, ...]:
    """The CA files and folders a default context may be loaded from, besides the variables':
    OpenSSL's compiled-in ones (httpx2) and certifi's bundle (httpx)."""
    paths = ssl.get_default_verify_paths()
    found = [paths.openssl_cafile, paths.openssl_capath]
    try:
        import certifi
    except ImportError:
        pass
    else:
        found.append(certifi.where())
    return tuple(found)


def _stamp(path: str | None) -> tuple[object, ...] | None:
    """Which version of a file or folder is at ``path``: a bundle rewritten in place is a new input."""
    if not path:
        return None
    try:
        status = os.stat(path)
    except OSError:
        return None
    return path, status.st_ino, status.st_mtime_ns, status.st_size


def _inputs(trust_env: bool) -> _Inputs:
    """Everything besides the library that decides the default context it builds."""
    get = os.environ.get
    cert_file, cert_dir, key_log = get("SSL_CERT_FILE"), get("SSL_CERT_DIR"), get("SSLKEYLOGFILE")
    return trust_env, cert_file, cert_dir, key_log, _stamp(cert_file), _stamp(cert_dir), *map(_stamp, _bundles())


_SETTINGS = ("verify_mode", "check_hostname", "verify_flags", "options", "minimum_version", "maximum_version")
_C_GETTERS = tuple(ssl.SSLContext.__base__.__dict__[name].__get__ for name in _SETTINGS)
"""The C context's own getters: plain ints, without the enum each of ``ssl.SSLContext``'s properties
builds (half the check's cost)."""


def _settings(context: ssl.SSLContext) -> tuple[object, ...]:
    """A context's verification settings as they read back (cheaply: this runs for every client).

    A subclass (truststore's, on macOS and Windows) may keep them elsewhere: its own properties are read."""
    if type(context) is ssl.SSLContext:
        return *[getter(context) for getter in _C_GETTERS], context.cert_store_stats()
    return *[getattr(context, name) for name in _SETTINGS], context.cert_store_stats()


def _shared(create: _Create) -> _Create:
    """``create`` (a library's ``create_ssl_context``) answering a transport's default call from the cache."""

    def create_ssl_context(verify: Any = True, cert: Any = None, trust_env: bool = True) -> ssl.SSLContext:
        caller = sys._getframe(1).f_globals.get("__name__", "")
        if verify is not True or cert is not None or not caller.endswith(_TRANSPORTS):
            return create(verify=verify, cert=cert, trust_env=trust_env)
        key = (create, _inputs(trust_env))
        cached = _cache.get(key)
        if cached is not None and _settings(cached[0]) == cached[1]:
            return cached[0]
        context = create(verify=verify, cert=cert, trust_env=trust_env)
        with _cache_lock:  # clients may be built on other threads while the fake is active
            _cache.pop(key, None)
            while len(_cache) >= _KEPT:
                del _cache[next(iter(_cache))]
            _cache[key] = context, _settings(context)
        return context

    return create_ssl_context


def share_default_contexts(stack: ExitStack) -> None:
    """Answer transports' default ``create_ssl_context`` calls from the cache until ``stack`` closes.

    Patched where transports look it up: each installed library's transports module and its top
    level (for the aiohttp transports)."""
    for library in http_libraries():
        for module in (importlib.import_module(f"{library.__name__}._transports.default"), library):
            original = module.__dict__.get(_NAME)
            if original is None:  # a version that builds contexts elsewhere: its clients pay, but the fake starts
                continue
            module.__dict__[_NAME] = _shared(original)
            stack.callback(module.__dict__.__setitem__, _NAME, original)
