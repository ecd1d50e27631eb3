from __future__ import annotations

import importlib
import os
import ssl
from collections.abc import Callable, Iterator
from typing import Any

# Imported here so that pytester's in-process runs find the SDK already loaded instead of
# importing it afresh for every inner session (it restores sys.modules after each one).
import anthropic  # noqa: F401
import pytest

pytest_plugins = ["pytester"]

_TRANSPORTS = ("httpx", "httpx._transports.default", "httpx2", "httpx2._transports.default")
"""Where transports look ``create_ssl_context`` up: httpx's own, and the SDK's aiohttp transport (by ``httpx.``)."""


def _shared_default(create: Callable[..., ssl.SSLContext]) -> Callable[..., ssl.SSLContext]:
    """``create_ssl_context`` with its default context built once per CA settings, not per client.

    Every SDK client builds an HTTP transport, and every transport a default SSL context that reads
    the whole CA bundle: 18 ms, most of an in-process matrix cell's cost. No test here speaks TLS
    (the fake answers inside the transport, the servers listen on 127.0.0.1 over plain HTTP), so
    one context serves them all; any other verify or cert argument goes to httpx as it came.
    """
    built: dict[tuple[str | None, str | None], ssl.SSLContext] = {}

    def create_ssl_context(verify: Any = True, cert: Any = None, trust_env: bool = True) -> ssl.SSLContext:
        if verify is not True or cert is not None or not trust_env:
            return create(verify=verify, cert=cert, trust_env=trust_env)
        key = (os.environ.get("SSL_CERT_FILE"), os.environ.get("SSL_CERT_DIR"))
        if key not in built:
            built[key] = create(verify=verify, cert=cert, trust_env=trust_env)
        return built[key]

    return create_ssl_context


@pytest.fixture(scope="session", autouse=True)
def _one_default_ssl_context() -> Iterator[None]:
    with pytest.MonkeyPatch.context() as patch:
        for name in _TRANSPORTS:
            try:
                module = importlib.import_module(name)
            except ImportError:
                continue
            patch.setattr(module, "create_ssl_context", _shared_default(module.create_ssl_context))
        yield
