"""The network guard: what may leave the machine while a fake is active.

A fake's ``network`` setting says what is refused; ``allow_hosts`` lets hosts through whatever it says:

- ``refuse-claude`` (the default): a request for Claude (:func:`~.targets.claude_shaped`) to a
  host the fake does not serve is refused before anything is sent, not even a name lookup. Every
  other connection (a database, a cache, a storage emulator, a real service in CI) goes through,
  so a test that also talks to them keeps working. :mod:`.intercept` applies it in the patches
  it already has, and on urllib3 (requests, botocore) and ``http.client`` (urllib), whose clients
  the fake never answers.
- ``loopback``: besides, every name lookup (``socket.getaddrinfo``) and TCP connection
  (``socket.socket.connect``, ``connect_ex``) to a host that is neither loopback nor allowed is
  refused, on every thread: the code under test hands work to threads (executors, asyncio's
  resolver, ``to_thread``), and a guard with a hole per thread would be no guard.
- ``open``: nothing is refused (requests an Anthropic SDK client sends are still the fake's).

A refusal raises :class:`NetworkRefused`, a ``ConnectionRefusedError``, so each client reports it
as the refused connection it is (the SDK: ``APIConnectionError``, caused by it), with a message
that names the host and port and how to allow them; and it is a finding of the fake, so a test
whose code swallowed the error still fails at teardown, saying what was refused (unless the fake
is not strict: a test may mean to be refused).
"""

from __future__ import annotations

import errno
import ipaddress
import socket
from collections.abc import Callable, Iterable
from contextlib import ExitStack
from dataclasses import dataclass
from typing import Any
from urllib.parse import urlsplit

from .targets import authority, default_port, is_loopback, normal_host

NETWORK_MODES = ("refuse-claude", "loopback", "open")

_ALLOW_HOW = ("@pytest.mark.claude_fake(allow_hosts=[...]), --claude-fakes-allow-host={host}, "
              "ini claude_fakes_allow_hosts; ClaudeFake(allow_hosts=[...]) without pytest")


class NetworkRefused(ConnectionRefusedError):
    """claude_fakes refused a connection while a fake was active; the message says why and how to allow it."""

    __module__ = "claude_fakes"  # where a test imports it from: how tracebacks and pytest name it

    def __init__(self, message: str) -> None:
        super().__init__(errno.ECONNREFUSED, message)

    def __reduce__(self) -> tuple[type[NetworkRefused], tuple[str]]:
        # Its args are (errno, message), which __init__ does not take: a pickled copy (another process's
        # report of it) is rebuilt from the message.
        return type(self), (self.strerror or "",)


@dataclass(frozen=True)
class AllowedHost:
    """A host let through whatever the network setting: any port of it, or one (``port``)."""

    host: str
    port: int | None = None

    @classmethod
    def parse(cls, text: str) -> AllowedHost:
        """``db.internal``, ``db.internal:5432``, ``10.0.0.5``, ``[2001:db8::1]:443``, ``2001:db8::1``,
        or a URL (``https://gateway.example`` is port 443 of it)."""
        spec = text.strip()
        host: str | None = spec
        port: int | None = None
        try:
            if "://" in spec:
                parts = urlsplit(spec)
                host, port = parts.hostname, parts.port or default_port(parts.scheme)
            elif spec.startswith("["):
                host, _, rest = spec[1:].partition("]")
                port = int(rest[1:]) if rest.startswith(":") else None
                if rest and port is None:
                    raise ValueError
            elif spec.count(":") == 1:
                host, _, number = spec.partition(":")
                port = int(number)
            elif ":" in spec:
                ipaddress.IPv6Address(spec)  # more than one colon: an IPv6 address without a port
        except ValueError:
            host = None
        if not host or (port is not None and not 0 < port < 65536) or any(c in host for c in "/@ "):
            raise ValueError(f"allow_hosts: {text!r} is not a host, host:port or URL (db.internal, "
                             "db.internal:5432, [2001:db8::1]:443, https://gateway.example)")
        return cls(normal_host(host), port)

    def allows(self, host: str, port: int | None) -> bool:
        return host == self.host and (self.port is None or self.port == port)

    def __str__(self) -> str:
        return self.host if self.port is None else authority(self.host, self.port)


def allowed_hosts(hosts: Iterable[str]) -> tuple[AllowedHost, ...]:
    return tuple(AllowedHost.parse(host) for host in hosts)


class Network:
    """One fake's guard: its mode, the hosts let through, and ``record`` for each refusal (a finding)."""

    def __init__(self, mode: str, allowed: tuple[AllowedHost, ...], record: Callable[[str], None]) -> None:
        self.mode = mode
        self.allowed = allowed
        self._record = record

    @property
    def refuses_claude(self) -> bool:
        """Whether a request for Claude that the fake does not serve is refused (in every mode but ``open``)."""
        return self.mode != "open"

    def passes(self, host: str, port: int | None) -> bool:
        """Whether a request to ``host`` (as :func:`~.targets.normal_host` gives it) goes through
        unrefused: loopback never leaves the machine, and allowed hosts are the test's to reach."""
        return is_loopback(host) or any(entry.allows(host, port) for entry in self.allowed)

    def refuse(self, message: str) -> NetworkRefused:
        """The error for a refusal, recorded as a finding (whose report names claude_fakes already)."""
        self._record(message)
        return NetworkRefused(f"claude_fakes {message}")

    def refuse_request(self, method: str, scheme: str, host: str, port: int, path: str, prefix: str,
                       client: str | None = None) -> NetworkRefused:
        """A request for Claude that nothing here answers. ``prefix``: the path before the API's own
        (for the base URL to suggest); ``client``: a package the fake does not answer, if that is why."""
        where = authority(host, port)
        shown = where if port != default_port(scheme) else (f"[{host}]" if ":" in host else host)
        allow = f"allow_hosts=[{where!r}] ({_ALLOW_HOW.format(host=where)}), or network='open'"
        if client is None:
            answer = (f"To have the fake answer it: base_urls=['{scheme}://{shown}{prefix}'] "
                      "(@pytest.mark.claude_fake(base_urls=[...]), --claude-fakes-base-url=URL, ini "
                      "claude_fakes_base_urls).")
            why = "a host this fake does not serve"
        else:
            answer = ("To have a fake answer it, point the client at a fake server: the claude_fake_server "
                      "fixture sets ANTHROPIC_BASE_URL to one (or start claude_fakes.FakeServer()).")
            why = (f"through {client}, which the fake answers only over a socket (in-process it answers httpx, "
                   "httpx2 and aiohttp)")
        return self.refuse(
            f"refused {method} {scheme}://{shown}{path}: a request for Claude to {where}, {why}; "
            "nothing for Claude leaves the machine while a fake is active.\n"
            f"  {answer}\n"
            f"  To let it through (a mock of your own answers it): {allow}."
        )

    def refuse_connection(self, host: str, port: int | None, lookup: bool = False) -> NetworkRefused:
        where = authority(host, port) if port is not None else host
        seen = "its name lookup" if lookup else "its connect"
        return self.refuse(
            f"refused a connection to {where} (at {seen}): network='loopback' lets only loopback "
            "and allowed hosts through while a fake is active.\n"
            f"  To allow it: allow_hosts=[{where!r}] ({_ALLOW_HOW.format(host=where)}), or "
            "network='refuse-claude' (the default), which refuses requests for Claude only."
        )

    def guard_sockets(self, stack: ExitStack) -> None:
        """Refuse lookups of, and connections to, hosts neither loopback nor allowed, until ``stack`` closes."""
        resolved: dict[str, set[int | None]] = {}
        """Addresses an allowed name resolved to, with the ports allowed on them."""

        def may_connect(host: str, port: int | None) -> bool:
            host = normal_host(host)
            ports = resolved.get(host, ())
            return self.passes(host, port) or None in ports or port in ports

        def make_getaddrinfo(original: Any) -> Any:
            def getaddrinfo(host: Any, port: Any, *args: Any, **kwargs: Any) -> Any:
                name = host.decode() if isinstance(host, bytes) else host
                if not name:  # this machine's own addresses (a server binding to them)
                    return original(host, port, *args, **kwargs)
                normal = normal_host(name)
                # A lookup tells nothing of the port: an allowed host's addresses take its ports.
                entries = [entry for entry in self.allowed if entry.host == normal]
                if not entries and not is_loopback(normal) and not _is_address(normal):
                    raise self.refuse_connection(normal, _port_number(port), lookup=True)
                results = original(host, port, *args, **kwargs)
                for entry in entries:
                    for *_, address in results:
                        resolved.setdefault(normal_host(str(address[0])), set()).add(entry.port)
                return results

            return getaddrinfo

        def make_connect(original: Any) -> Any:
            def connect(sock: socket.socket, address: Any) -> Any:
                if sock.family in (socket.AF_INET, socket.AF_INET6) and not may_connect(address[0], address[1]):
                    raise self.refuse_connection(normal_host(address[0]), address[1])
                return original(sock, address)

            return connect

        _replace(stack, socket, "getaddrinfo", make_getaddrinfo)
        _replace(stack, socket.socket, "connect", make_connect)
        _replace(stack, socket.socket, "connect_ex", make_connect)


def _replace(stack: ExitStack, owner: Any, name: str, make: Callable[[Any], Any]) -> None:
    """Put ``make(original)`` in place of ``owner.name`` until ``stack`` closes. A method ``owner``
    inherits (``socket.socket.connect`` is ``_socket.socket``'s) is deleted again, not copied down."""
    own = name in vars(owner)
    original = getattr(owner, name)
    setattr(owner, name, make(original))
    if own:
        stack.callback(setattr, owner, name, original)
    else:
        stack.callback(delattr, owner, name)


def _is_address(host: str) -> bool:
    """An IP address: looking it up asks no name server, and its connect is checked."""
    return ":" in host or host.replace(".", "").isdigit()


def _port_number(port: Any) -> int | None:
    if isinstance(port, int):
        return port
    text = port.decode() if isinstance(port, bytes) else port
    return int(text) if isinstance(text, str) and text.isdigit() else None
