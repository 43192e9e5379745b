"""Where this server may connect for SERVICE and LOAD, and the client that does it.

:func:`check_target` refuses every target unless its host is on the allow-list *and* resolves only to
public addresses. :func:`send` then makes the request itself — :func:`fetch` for LOAD, ``federation`` for
SERVICE — connecting to the address that was checked (so a second DNS answer cannot redirect it), with
connect and read timeouts, a size cap, and redirects followed only to allowed hosts. Name lookups and
connections go through a :class:`Network`, the machine's own unless a test stands a local server in for
a public host.

Only the web process (and the command line) connects: query and update workers run without network
access, so the engine's own HTTP client can reach nothing whatever a request says.
"""

from __future__ import annotations

import http.client
import ipaddress
import socket
import ssl
from collections.abc import Callable, Mapping, Sequence
from dataclasses import dataclass
from urllib.parse import urljoin, urlsplit

from ..errors import ForbiddenOperation, RemoteFailed

# --- targets -----------------------------------------------------------------------------------------

Resolver = Callable[[str, int], list[str]]


def resolve_addresses(host: str, port: int) -> list[str]:
    """Every address a host name resolves to (an IP literal resolves to itself)."""
    infos = socket.getaddrinfo(host, port, type=socket.SOCK_STREAM)
    return sorted({info[4][0] for info in infos})


@dataclass(frozen=True)
class Network:
    """How names are looked up and where connections go: by default the machine's DNS and sockets.

    ``hosts`` answers a name lookup before DNS does (like a hosts file); the answer is checked like any
    other, so it cannot make a private address acceptable. ``detours`` sends a connection meant for a
    checked address to another socket address instead: this is how a test stands a server on loopback in
    for a public host. Both are settable only in code, never from the environment or the command line.
    """

    hosts: tuple[tuple[str, tuple[str, ...]], ...] = ()
    detours: tuple[tuple[str, tuple[str, int]], ...] = ()

    def resolve(self, host: str, port: int) -> list[str]:
        for name, addresses in self.hosts:
            if name == host:
                return list(addresses)
        return resolve_addresses(host, port)

    def dial(self, address: str, port: int, timeout: float) -> socket.socket:
        destination = dict(self.detours).get(address, (address, port))
        return socket.create_connection(destination, timeout=timeout)


SYSTEM = Network()


def is_public_address(address: str) -> bool:
    """True only for globally routable unicast addresses.

    IPv6 addresses that carry an IPv4 address (IPv4-mapped, IPv4-compatible, NAT64, 6to4, Teredo) are
    refused whatever they carry: they are how a private IPv4 target is usually smuggled past a check.
    """
    ip = ipaddress.ip_address(address.split("%", 1)[0])
    if isinstance(ip, ipaddress.IPv6Address) and (
        ip.ipv4_mapped or ip.sixtofour or ip.teredo or int(ip) >> 32 == 0 or ip in _NAT64
    ):
        return False
    return ip.is_global and not (
        ip.is_loopback or ip.is_private or ip.is_link_local or ip.is_reserved
        or ip.is_multicast or ip.is_unspecified
    )


_NAT64 = ipaddress.ip_network("64:ff9b::/96")


HOW_TO_ALLOW = (
    "the operator can allow a public host with `--service-allow HOST` on `zgckg serve` (or `zgckg query`) "
    "(loopback, private and link-local addresses are never allowed)"
)


@dataclass(frozen=True)
class Target:
    """A checked destination: the URL, its host and port, and the public addresses it resolved to."""

    url: str
    host: str
    port: int
    scheme: str
    addresses: tuple[str, ...]


def check_target(
    operation: str, iri: str | None, allowlist: Sequence[str], resolve: Resolver = resolve_addresses
) -> Target:
    """The checked target, or ForbiddenOperation saying why it is refused and how to allow a host."""
    if iri is None:
        raise ForbiddenOperation(
            f"{operation} with a target that is not a fixed IRI (a variable or an undeclared prefix) "
            "is refused: the server cannot check where it would connect"
        )
    try:
        parts = urlsplit(iri)
        host = (parts.hostname or "").lower()
        port = parts.port or (443 if parts.scheme == "https" else 80)
    except ValueError:  # an authority Python cannot read ("http://[::1/x"): nothing to check, so refused
        raise ForbiddenOperation(f"{operation} <{iri[:200]}> is refused: its host and port cannot be read") from None
    if parts.scheme not in ("http", "https") or not host:
        raise ForbiddenOperation(f"{operation} <{iri}> is refused: only http and https IRIs may be contacted")
    if host not in {h.lower() for h in allowlist}:
        raise ForbiddenOperation(f"{operation} <{iri}> is refused: host {host} is not on the allow-list; {HOW_TO_ALLOW}")
    try:
        addresses = resolve(host, port)
    except (OSError, ValueError) as exc:
        raise ForbiddenOperation(f"{operation} <{iri}> is refused: host {host} cannot be resolved ({exc})") from None
    private = [a for a in addresses if not is_public_address(a)]
    if private or not addresses:
        raise ForbiddenOperation(
            f"{operation} <{iri}> is refused: host {host} resolves to a non-public address "
            f"({', '.join(private) or 'none'}); {HOW_TO_ALLOW}"
        )
    return Target(iri, host, port, parts.scheme, tuple(addresses))


# --- talking to an allowed target --------------------------------------------------------------------


@dataclass(frozen=True)
class Limits:
    """How long to wait and how much to take from a remote host."""

    connect_timeout: float = 5.0
    """Seconds for the host to accept the connection (and for the TLS handshake)."""
    read_timeout: float = 10.0
    """Seconds the host may stay silent during any one read while sending its answer."""
    max_bytes: int = 50_000_000
    max_redirects: int = 3


@dataclass(frozen=True)
class Reply:
    url: str
    status: int
    location: str | None
    content_type: str | None
    body: bytes


@dataclass(frozen=True)
class Fetched:
    url: str
    body: bytes
    content_type: str | None


_REDIRECTS = frozenset({301, 302, 303, 307, 308})


def send(
    operation: str, iri: str, allowlist: Sequence[str], *, limits: Limits = Limits(), network: Network = SYSTEM,
    method: str = "GET", headers: Mapping[str, str] | None = None, body: bytes | None = None,
) -> Fetched:
    """Make one request to an allowed IRI from its checked address; a 2xx answer or RemoteFailed.

    A redirect is followed, with the same request, only to a host that passes the same check (so a
    redirect cannot lead to a private address); its body is never read as the answer.
    """
    url = iri
    for _ in range(limits.max_redirects + 1):
        target = check_target(operation, url, allowlist, network.resolve)
        reply = exchange(operation, target, limits, network, method=method, headers=headers, body=body)
        if reply.status in _REDIRECTS and reply.location:
            try:
                url = urljoin(url, reply.location)
            except ValueError:
                raise RemoteFailed(operation, iri, "the server redirected to a location that cannot be read") from None
            continue
        if not 200 <= reply.status < 300:
            # the reply's body is not echoed: it could be anything the remote host chose to send
            raise RemoteFailed(operation, iri, f"the server answered HTTP {reply.status}")
        return Fetched(url, reply.body, reply.content_type)
    raise RemoteFailed(operation, iri, f"more than {limits.max_redirects} redirects")


def fetch(iri: str, allowlist: Sequence[str], limits: Limits = Limits(), network: Network = SYSTEM) -> Fetched:
    """GET an allowed LOAD target as RDF."""
    return send("LOAD", iri, allowlist, limits=limits, network=network, headers={"Accept": _RDF_ACCEPT})


_RDF_ACCEPT = "text/turtle, application/n-triples, application/n-quads, application/trig, application/rdf+xml;q=0.9, application/ld+json;q=0.8"


def exchange(
    operation: str, target: Target, limits: Limits, network: Network = SYSTEM, *, method: str = "GET",
    headers: Mapping[str, str] | None = None, body: bytes | None = None,
) -> Reply:
    """One HTTP request and its whole answer (up to the size cap), over a connection to the checked address."""
    parts = urlsplit(target.url)
    path = (parts.path or "/") + (f"?{parts.query}" if parts.query else "")
    connection = _pinned_connection(target, limits, network)
    try:
        _connect(operation, target, limits, connection)
        try:
            connection.request(method, path, body=body, headers={"Host": _host_header(target), **(headers or {})})
            response = connection.getresponse()
            try:
                content = response.read(limits.max_bytes + 1)
            finally:
                response.close()  # it holds the socket open even after the connection is closed
        except TimeoutError:
            raise RemoteFailed(operation, target.url, f"no answer within the read timeout of {limits.read_timeout:g} s "
                               f"({_SETTING} --service-read-timeout)") from None
        except (http.client.RemoteDisconnected, http.client.IncompleteRead):
            raise RemoteFailed(operation, target.url, "the server closed the connection before its answer was complete") from None
        except http.client.HTTPException:  # its message quotes the remote's bytes: say what, not what it sent
            raise RemoteFailed(operation, target.url, "the answer was not valid HTTP") from None
        except OSError as exc:
            raise RemoteFailed(operation, target.url, f"the connection failed while reading the answer ({_reason(exc)})") from None
        if len(content) > limits.max_bytes:
            raise RemoteFailed(operation, target.url, f"the answer is larger than {limits.max_bytes} bytes, "
                               "the limit for one answer", over_limit=True)
        return Reply(target.url, response.status, response.getheader("Location"), response.getheader("Content-Type"), content)
    finally:
        connection.close()


_SETTING = "the server's operator sets it with zgckg serve"


def _connect(operation: str, target: Target, limits: Limits, connection: http.client.HTTPConnection) -> None:
    try:
        connection.connect()
    except TimeoutError:
        raise RemoteFailed(operation, target.url, f"{target.host} did not accept a connection within the connect "
                           f"timeout of {limits.connect_timeout:g} s ({_SETTING} --service-connect-timeout)") from None
    except ssl.SSLError as exc:
        raise RemoteFailed(operation, target.url, f"the TLS handshake with {target.host} failed ({_reason(exc)})") from None
    except OSError as exc:
        raise RemoteFailed(operation, target.url, f"could not connect to {target.host} ({_reason(exc)})") from None


def _reason(exc: OSError) -> str:
    """An OS error in words, without the errno noise (these messages come from our side, never the remote)."""
    return getattr(exc, "reason", None) or exc.strerror or type(exc).__name__


def _host_header(target: Target) -> str:
    host = f"[{target.host}]" if ":" in target.host else target.host
    default = 443 if target.scheme == "https" else 80
    return host if target.port == default else f"{host}:{target.port}"


def _pinned_connection(target: Target, limits: Limits, network: Network = SYSTEM) -> http.client.HTTPConnection:
    """A connection to the first checked address (never a fresh DNS answer), TLS verified for the host."""
    address = target.addresses[0]

    def connect(self: http.client.HTTPConnection) -> None:
        sock = network.dial(address, target.port, limits.connect_timeout)
        if target.scheme == "https":  # the handshake is part of connecting
            try:
                sock = ssl.create_default_context().wrap_socket(sock, server_hostname=target.host)
            except OSError:
                sock.close()
                raise
        sock.settimeout(limits.read_timeout)
        self.sock = sock

    kind = http.client.HTTPSConnection if target.scheme == "https" else http.client.HTTPConnection
    connection = kind(target.host, target.port, timeout=limits.read_timeout)
    connection.connect = connect.__get__(connection)  # type: ignore[method-assign]
    return connection
