"""What a SPARQL request would reach outside the store, and whether it may.

pyoxigraph executes ``SERVICE <iri>`` and ``LOAD <iri>`` with real HTTP requests, so a query or update
from the network could make the server connect anywhere (server-side request forgery). Before anything
runs, :func:`scan` finds every SERVICE and LOAD target — in subqueries, ``FILTER EXISTS``, anywhere — with
a small SPARQL tokenizer (strings, IRIs and comments skipped, prefixes resolved). :func:`check_targets`
then refuses every target unless its host is on the allow-list *and* resolves only to public addresses.

The tokenizer is lexical, so it is fast (a plain query without the words SERVICE, LOAD or FROM is not
tokenized at all) and it does not depend on any parser accepting the query: it fails closed — a SERVICE
whose target it cannot read (a variable, an unknown prefix) is refused.

:func:`send` makes an allowed request itself — :func:`fetch` for LOAD, ``federation`` for SERVICE —
connecting to the address that was checked (so a second DNS answer cannot redirect it), with connect and
read timeouts, a size cap, and redirects followed only to allowed hosts. Name lookups and connections go
through a :class:`Network`, the machine's own unless a test stands a local server in for a public host.
"""

from __future__ import annotations

import http.client
import ipaddress
import itertools
import re
import socket
import ssl
from collections.abc import Callable, Iterator, Mapping, Sequence
from dataclasses import dataclass
from urllib.parse import urljoin, urlsplit

from ..errors import ForbiddenOperation, ZgckgError

# --- tokenizer ---------------------------------------------------------------------------------------

_TOKEN = re.compile(
    r"""
    (?P<ws>\s+)
  | (?P<comment>\#[^\n\r]*)
  | (?P<iri><[^<>"{}|^`\\\x00-\x20]*>)
  | (?P<string>\"\"\"(?:[^"\\]|\\.|"(?!""))*\"\"\"|'''(?:[^'\\]|\\.|'(?!''))*'''
               |"(?:[^"\\\n\r]|\\.)*"|'(?:[^'\\\n\r]|\\.)*')
  | (?P<var>[?$]\w+)
  | (?P<pname>(?:[^\W\d_](?:[\w.\-\u00B7]*[\w\-\u00B7])?)?:(?:(?:[\w:%\-]|\\[^\s]|\.(?=[\w:%\-\\]))*))
  | (?P<word>[A-Za-z_]\w*)
  | (?P<punct>.)
    """,
    re.VERBOSE | re.DOTALL,
)

# Finds the keywords that matter without tokenizing everything in Python: the regex engine steps over
# runs of punctuation, comments, strings, IRIs, variables, language tags, prefixed names (whose local
# part may spell a keyword) and other words, and reports only a keyword standing as a word of its own.
# A keyword glued to punctuation (``.SERVICE``) is still found: the scan errs towards finding too much.
_KEYWORD = re.compile(
    r"""
    [^#"'<?$@:\w]+
  | \#[^\n\r]*
  | \"\"\"(?:[^"\\]|\\.|"(?!""))*\"\"\"|'''(?:[^'\\]|\\.|'(?!''))*'''
  | "(?:[^"\\\n\r]|\\.)*"|'(?:[^'\\\n\r]|\\.)*'
  | <[^<>"{}|^`\\\x00-\x20]*>
  | [?$]\w+
  | @[A-Za-z]+(?:-[A-Za-z0-9]+)*
  | (?P<keyword>service|load|from|prefix|base)(?![\w:\-\u00B7]|\.[\w\-])
  | [\w\-.\u00B7]*:(?:[\w:%.\-\u00B7]|\\\S)*
  | \w+
  | .
    """,
    re.VERBOSE | re.DOTALL | re.IGNORECASE,
)


@dataclass(frozen=True)
class Token:
    kind: str
    text: str
    start: int
    end: int


def tokens(text: str, start: int = 0) -> Iterator[Token]:
    """Significant tokens of a SPARQL text from ``start`` (whitespace and comments dropped)."""
    for match in _TOKEN.finditer(text, start):
        kind = match.lastgroup
        if kind not in ("ws", "comment"):
            yield Token(kind, match.group(), match.start(), match.end())


class _Prologue:
    """PREFIX and BASE declarations seen so far, to turn a target token into an absolute IRI."""

    def __init__(self) -> None:
        self.prefixes: dict[str, str] = {}
        self.base: str | None = None

    def resolve(self, token: Token | None) -> str | None:
        if token is None:
            return None
        if token.kind == "iri":
            return self._absolute(token.text[1:-1])
        if token.kind == "pname":
            prefix, _, local = token.text.partition(":")
            if prefix in self.prefixes:
                return self.prefixes[prefix] + re.sub(r"\\(.)", r"\1", local)
        return None  # a variable or an undeclared prefix: unknown target

    def _absolute(self, iri: str) -> str:
        return urljoin(self.base, iri) if self.base and not urlsplit(iri).scheme else iri


@dataclass(frozen=True)
class Reach:
    """One SERVICE or LOAD: its target (None when it cannot be read), SILENT or not, where the target is
    (``start``/``end``) and where the keyword starts (``at``)."""

    keyword: str
    iri: str | None
    silent: bool
    start: int
    end: int
    at: int = 0


@dataclass(frozen=True)
class Scan:
    """What a query or update reaches (SERVICE and LOAD targets) and whether it names its own dataset."""

    reaches: tuple[Reach, ...] = ()
    has_dataset_clause: bool = False

    @property
    def services(self) -> tuple[str | None, ...]:
        return tuple(r.iri for r in self.reaches if r.keyword == "SERVICE")

    @property
    def loads(self) -> tuple[str | None, ...]:
        return tuple(r.iri for r in self.reaches if r.keyword == "LOAD")

    @property
    def reaches_network(self) -> bool:
        return bool(self.reaches)


NOTHING = Scan()


def scan(text: str) -> Scan:
    """Every SERVICE and LOAD target and whether FROM / FROM NAMED appears, outside strings and comments."""
    if not _may_matter(text):
        return NOTHING
    reaches: list[Reach] = []
    has_from = False
    prologue = _Prologue()
    declarations: list[re.Match] = []  # read only when a target needs resolving: most queries have none
    for match in _KEYWORD.finditer(text):
        word = match.group("keyword")
        if word is None:
            continue
        word = word.upper()
        if word == "FROM":
            has_from = True
        elif word in ("PREFIX", "BASE"):
            declarations.append(match)
        else:
            for declaration in declarations:
                _declare(prologue, declaration.group("keyword").upper(), _following(text, declaration))
            declarations.clear()
            reaches.append(_reach(word, _following(text, match), match.start("keyword"), match.end(), prologue))
    return Scan(tuple(reaches), has_from)


def _reach(keyword: str, following: list[Token], at: int, after: int, prologue: _Prologue) -> Reach:
    silent = bool(following) and following[0].kind == "word" and following[0].text.upper() == "SILENT"
    target = _target_after(following, 0)
    if target is None or target.kind not in ("iri", "pname", "var"):
        return Reach(keyword, None, silent, after, after, at)  # no target at all: the parser will say so
    return Reach(keyword, prologue.resolve(target), silent, target.start, target.end, at)


def _may_matter(text: str) -> bool:
    """False when no SERVICE, LOAD or FROM can be a keyword: none occurs outside whole-line comments.

    Analyst queries carry their title and question in comment lines, where "from" is common English.
    A line whose first non-blank character is ``#`` is all comment (or string content, which cannot hold
    a keyword either), and a word glued to a letter, ``?``, ``$``, ``:`` or ``-`` is part of a variable,
    prefixed name or longer word, so such hits are ignored without tokenizing the query.
    """
    lowered = text.lower()  # str.find is far faster than a case-insensitive regex
    for word in ("service", "load", "from"):
        at = lowered.find(word)
        while at != -1:
            end = at + len(word)
            standalone = (at == 0 or not _glued_before(lowered[at - 1])) and not (
                end < len(lowered) and _glued_after(lowered[end])
            )
            line_start = lowered.rfind("\n", 0, at) + 1
            if standalone and not lowered[line_start:at].lstrip().startswith("#"):
                return True
            at = lowered.find(word, end)
    return False


def _glued_before(char: str) -> bool:
    """A character that makes what follows part of a variable, prefixed name or longer word."""
    return char.isalnum() or char in "_?$:-"


def _glued_after(char: str) -> bool:
    return char.isalnum() or char in "_:-"


def _following(text: str, match: re.Match) -> list[Token]:
    return list(itertools.islice(tokens(text, match.end()), 3))


def _declare(prologue: _Prologue, word: str, following: list[Token]) -> None:
    if word == "PREFIX" and _kinds(following, 0, 2) == ("pname", "iri"):
        prologue.prefixes[following[0].text[:-1]] = prologue.resolve(following[1]) or ""
    elif word == "BASE" and _kinds(following, 0, 1) == ("iri",):
        prologue.base = prologue.resolve(following[0])


def _kinds(stream: Sequence[Token], start: int, count: int) -> tuple[str, ...]:
    return tuple(t.kind for t in stream[start : start + count])


def _target_after(stream: Sequence[Token], i: int) -> Token | None:
    if i < len(stream) and stream[i].kind == "word" and stream[i].text.upper() == "SILENT":
        i += 1
    return stream[i] if i < len(stream) else None


# --- update operations -------------------------------------------------------------------------------


@dataclass(frozen=True)
class Operation:
    """One operation of an update request, with the PREFIX/BASE declarations it may rely on."""

    text: str
    load: "LoadRequest | None" = None


@dataclass(frozen=True)
class LoadRequest:
    source: str | None
    graph: str | None
    silent: bool


def split_update(text: str) -> list[Operation]:
    """The operations of an update, split at top-level ``;``; LOAD operations come back parsed.

    Each operation's text starts with every declaration made before it, because prefixes declared in one
    operation stay in force for the ones after it.
    """
    stream = list(tokens(text))
    prologue = _Prologue()
    declarations = ""
    operations: list[Operation] = []
    start, depth = 0, 0
    for i, token in enumerate(stream + [Token("punct", ";", len(text), len(text))]):
        if token.kind == "punct" and token.text in "{}":
            depth += 1 if token.text == "{" else -1
        if not (token.kind == "punct" and token.text == ";" and depth == 0):
            continue
        own = [t for t in stream[start:i]]
        start = i + 1
        if not own:
            continue
        body_from = _skip_prologue(own, prologue)
        segment = text[own[0].start : own[-1].end]
        if body_from < len(own):
            operations.append(Operation(declarations + segment, _load_request(own[body_from:], prologue)))
        declarations += text[own[0].start : own[body_from - 1].end] + "\n" if body_from else ""
    return operations


def _skip_prologue(own: Sequence[Token], prologue: _Prologue) -> int:
    """Record the declarations at the head of an operation; the index of its first other token."""
    i = 0
    while i < len(own) and own[i].kind == "word":
        word = own[i].text.upper()
        if word == "PREFIX" and _kinds(own, i + 1, 2) == ("pname", "iri"):
            prologue.prefixes[own[i + 1].text[:-1]] = prologue.resolve(own[i + 2]) or ""
            i += 3
        elif word == "BASE" and _kinds(own, i + 1, 1) == ("iri",):
            prologue.base = prologue.resolve(own[i + 1])
            i += 2
        else:
            break
    return i


def _load_request(body: Sequence[Token], prologue: _Prologue) -> LoadRequest | None:
    if not (body[0].kind == "word" and body[0].text.upper() == "LOAD"):
        return None
    silent = len(body) > 1 and body[1].kind == "word" and body[1].text.upper() == "SILENT"
    rest = list(body[2 if silent else 1 :])
    source = prologue.resolve(rest[0]) if rest else None
    graph = None
    words = [t.text.upper() if t.kind == "word" else "" for t in rest]
    if words[1:3] == ["INTO", "GRAPH"] and len(rest) > 3:
        graph = prologue.resolve(rest[3])
    return LoadRequest(source, graph, silent)


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
    parts = urlsplit(iri)
    host = (parts.hostname or "").lower()
    if parts.scheme not in ("http", "https") or not host:
        raise ForbiddenOperation(f"{operation} <{iri}> is refused: only http and https IRIs may be contacted")
    if host not in {h.lower() for h in allowlist}:
        raise ForbiddenOperation(f"{operation} <{iri}> is refused: host {host} is not on the allow-list; {HOW_TO_ALLOW}")
    try:
        port = parts.port or (443 if parts.scheme == "https" else 80)
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


def check_scan(found: Scan, allowlist: Sequence[str], resolve: Resolver = resolve_addresses) -> None:
    """Refuse the request unless every SERVICE and LOAD target is allowed."""
    for reach in found.reaches:
        check_target(reach.keyword, reach.iri, allowlist, resolve)


REFUSED = "urn:zgckg:refused"
"""Stands in for a refused SILENT target: pyoxigraph cannot connect to it, and SILENT hides the failure."""


def enforce(text: str, found: Scan, allowlist: Sequence[str], resolve: Resolver = resolve_addresses) -> str:
    """The text to run, once every target is checked.

    A refused target raises ForbiddenOperation, unless its SERVICE or LOAD is SILENT: SPARQL then asks for
    the failure to pass silently, so the target is replaced by an IRI nothing can connect to, and the
    engine's own SILENT handling does the rest (an empty solution, a LOAD that loads nothing).
    """
    pieces, last = [], 0
    for reach in found.reaches:
        try:
            check_target(reach.keyword, reach.iri, allowlist, resolve)
        except ForbiddenOperation:
            if not (reach.silent and reach.end > reach.start):
                raise
            pieces += [text[last : reach.start], f"<{REFUSED}>"]
            last = reach.end
    return "".join(pieces) + text[last:] if pieces else text


def neutralised(text: str, found: Scan) -> str:
    """The text with every target replaced by one that cannot connect: safe to hand to the parser."""
    pieces, last = [], 0
    for reach in found.reaches:
        if reach.end > reach.start:
            pieces += [text[last : reach.start], f"<{REFUSED}>"]
            last = reach.end
    return "".join(pieces) + text[last:]


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


@dataclass
class RemoteFailed(ZgckgError):
    """An allowed SERVICE or LOAD that could not be used: no connection, no answer in time, an error status,
    an answer too large or unreadable. Never carries the remote's own words: they could be anything."""

    operation: str
    url: str
    problem: str
    over_limit: bool = False
    """A limit of this server was hit (size, rows): not a failure SILENT may hide."""

    def __str__(self) -> str:
        return f"{self.operation} <{self.url}> failed: {self.problem}"


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
            url = urljoin(url, reply.location)
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
