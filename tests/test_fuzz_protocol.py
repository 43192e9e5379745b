"""A protocol fuzzer against the real `zgckg serve` (granian): over 3,000 mutated and adversarial requests, seeded
and bounded (Hypothesis, derandomized, no example database), sent over raw sockets so that nothing normalises them
on the way: byte flips and truncations of valid queries and updates, deep nesting, huge IRIs and literals, NUL
bytes and invalid UTF-8, duplicate and unknown parameters, odd methods, content types, ``Accept`` values and
paths, broken chunked bodies and wrong lengths.

Every answer must be a status that is not 5xx, except an honest 503 (with ``Retry-After``) or a 504; it must
come within the client's timeout; a 4xx the app sends carries a plain message, never a traceback. Only a
request the HTTP layer cannot even parse may get a bare 400 or a closed connection. Afterwards a normal
query gets the right answer and the server's log holds no traceback. The counts show in pytest's summary.
"""

from __future__ import annotations

import http.client
import json
import os
import socket
import subprocess
import sys
import time
import warnings
from collections import Counter
from dataclasses import dataclass
from pathlib import Path
from urllib.parse import quote, quote_from_bytes

import pytest
import requests
from hypothesis import HealthCheck, Phase, given, settings
from hypothesis.errors import HypothesisWarning
from hypothesis import strategies as st

from conftest import ROOT, build_web_store, free_port

TOKEN = "fuzz-write-token"
CLIENT_TIMEOUT = 10.0
"""Seconds a client waits for each answer: the server's own limits (3 s per query, 1 s for a body or a header
block) are far below it, so running into it means the server stopped answering."""
REQUESTS = 3200
AT_LEAST = 3000


# --- counts in pytest's terminal summary -----------------------------------------------------------------


class _Counts:
    """A plugin registered while a test runs: its lines show in the terminal summary of a normal run."""

    def __init__(self) -> None:
        self.lines: list[str] = []

    def pytest_terminal_summary(self, terminalreporter) -> None:
        terminalreporter.section("zgckg fuzzer and fault tests")
        for line in self.lines:
            terminalreporter.write_line(line)


def report(config, line: str) -> None:
    """Show ``line`` in pytest's terminal summary (and on stdout, for ``-s``)."""
    plugin = config.pluginmanager.get_plugin("zgckg-counts")
    if plugin is None:
        plugin = _Counts()
        config.pluginmanager.register(plugin, "zgckg-counts")
    plugin.lines.append(line)
    print(line)


# --- a real server whose log goes to a file (a pipe would fill up and stall it) ----------------------------


def start_logged_server(store_root: Path, log_path: Path, *flags: str) -> tuple[subprocess.Popen, str]:
    """`zgckg serve` on a free port with its output in ``log_path``, once it answers."""
    port = free_port()
    command = [str(Path(sys.executable).parent / "zgckg"), "serve", "--store", str(store_root),
               "--port", str(port), *flags]
    env = {k: v for k, v in os.environ.items() if not k.startswith("ZGCKG_")}
    with open(log_path, "ab") as log:
        process = subprocess.Popen(command, stdout=log, stderr=subprocess.STDOUT, env=env)
    url = f"http://127.0.0.1:{port}"
    deadline = time.monotonic() + 30
    while True:
        try:
            requests.get(url + "/sparql", params={"query": "ASK {}"}, timeout=1)
            return process, url
        except requests.ConnectionError:
            if process.poll() is not None or time.monotonic() > deadline:
                stop_server(process)
                raise AssertionError(f"the server did not start:\n{log_path.read_text(errors='replace')}") from None
            time.sleep(0.1)


def stop_server(process: subprocess.Popen) -> None:
    if process.poll() is None:
        process.kill()
        process.wait(timeout=30)


# --- requests -----------------------------------------------------------------------------------------


URI_BYTES = set(b"ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789-._~:/?#[]@!$&'()*+,;=%")


@dataclass(repr=False)
class Request:
    family: str
    method: str
    target: bytes
    headers: list[tuple[bytes, bytes]]
    body: bytes = b""
    half_close: bool = False
    """Shut the sending side after the body: the server sees the body end early."""
    malformed: bool = False
    """The HTTP layer itself may refuse it (bare 400) or close the connection."""

    def __post_init__(self) -> None:
        # control characters in a header value, or a byte RFC 3986 does not allow in the target: RFC 9110/9112
        # leave these to the HTTP layer, which may refuse them outright
        odd = set(range(0x20)) - {0x09} | {0x7F}
        if any(byte in odd for _, value in self.headers for byte in value) or any(
                byte not in URI_BYTES for byte in self.target) or len(self.target) > 8000 or any(
                len(value) > 8000 for _, value in self.headers):  # over the HTTP layer's size limits too
            self.malformed = True

    def __repr__(self) -> str:
        raw = self.raw()
        more = f" … ({len(raw):,} bytes)" if len(raw) > 600 else ""
        return f"Request({self.family}, half_close={self.half_close}, malformed={self.malformed}: {raw[:600]!r}{more})"

    def raw(self) -> bytes:
        head = self.method.encode("latin-1") + b" " + self.target + b" HTTP/1.1\r\n"
        for name, value in self.headers:
            head += name + b": " + value + b"\r\n"
        return head + b"\r\n" + self.body


@dataclass
class Answer:
    status: int | None  # None: the connection closed without an answer
    headers: dict[str, str]
    body: bytes


def send(port: int, request: Request) -> Answer:
    sock = socket.create_connection(("127.0.0.1", port), timeout=CLIENT_TIMEOUT)
    try:
        try:
            sock.sendall(request.raw())
            if request.half_close:
                sock.shutdown(socket.SHUT_WR)
        except (BrokenPipeError, ConnectionResetError):
            pass  # the server answered (or closed) before taking everything: read what it said
        response = http.client.HTTPResponse(sock, method=request.method)
        try:
            response.begin()
            body = b"" if request.method == "HEAD" else response.read()
        except (http.client.RemoteDisconnected, http.client.BadStatusLine, ConnectionResetError,
                http.client.IncompleteRead):
            return Answer(None, {}, b"")
        return Answer(response.status, {k.lower(): v for k, v in response.getheaders()}, body)
    except TimeoutError:
        raise AssertionError(f"no answer within {CLIENT_TIMEOUT:g} s to {request.raw()[:300]!r}") from None
    finally:
        sock.close()


# --- what is sent ---------------------------------------------------------------------------------------

QUERIES = [path.read_text(encoding="utf-8") for path in sorted((ROOT / "queries").glob("*.rq"))] + [
    "ASK {}",
    "ASK { ?s ?p ?o }",
    "SELECT * WHERE { ?s ?p ?o } LIMIT 5",
    'SELECT ?l WHERE { ?s rdfs:label ?l FILTER(lang(?l) = "zh") }',
    "SELECT (COUNT(*) AS ?n) WHERE { GRAPH ?g { ?s ?p ?o } }",
    "CONSTRUCT { ?s ?p ?o } WHERE { ?s ?p ?o } LIMIT 3",
    "DESCRIBE <http://example.org/park>",
    "SELECT ?x WHERE { ?x <http://example.org/locatedIn>+ ?y }",
    "SELECT ?x ?y WHERE { VALUES ?x { 1 2 3 } OPTIONAL { ?x ?p ?y } } ORDER BY DESC(?x)",
    "SELECT ?s WHERE { { SELECT ?s WHERE { ?s ?p ?o } LIMIT 2 } MINUS { ?s a <http://example.org/Park> } }",
    'SELECT ?s (SUM(?v) AS ?t) WHERE { ?s ?p ?v FILTER(isNumeric(?v)) BIND(?v * 2 AS ?w) } GROUP BY ?s HAVING(?t > 1)',
    "SELECT * FROM <https://w3id.org/zgckg/graph/asserted> FROM NAMED <http://example.org/g> WHERE { ?s ?p ?o }",
    "SELECT * WHERE { SERVICE <http://127.0.0.1:1/sparql> { ?s ?p ?o } }",
    'SELECT * WHERE { ?s ?p ?o FILTER(REGEX(STR(?o), "^(a+)+$")) }',
    'PREFIX ex: <http://example.org/> SELECT ?n WHERE { ex:park ex:enterprises ?n }',
]
UPDATES = [
    'INSERT DATA { GRAPH <http://example.org/fuzz/g1> { <http://example.org/s> <http://example.org/p> "o" } }',
    'DELETE DATA { GRAPH <http://example.org/fuzz/g1> { <http://example.org/s> <http://example.org/p> "o" } }',
    "DELETE { GRAPH <http://example.org/fuzz/g1> { ?s ?p ?o } } INSERT { GRAPH <http://example.org/fuzz/g2> { ?s ?p ?o } }"
    " WHERE { GRAPH <http://example.org/fuzz/g1> { ?s ?p ?o } }",
    "CLEAR SILENT GRAPH <http://example.org/fuzz/g2>",
    "DROP GRAPH <http://example.org/fuzz/absent>",
    "CREATE SILENT GRAPH <http://example.org/fuzz/g3>",
    "COPY SILENT <http://example.org/fuzz/g1> TO <http://example.org/fuzz/g3>",
    "LOAD <http://127.0.0.1:1/data.ttl> INTO GRAPH <http://example.org/fuzz/g4>",
    'INSERT DATA { GRAPH <https://w3id.org/zgckg/graph/asserted> { <http://example.org/s> <http://example.org/p> 1 } }',
    "DROP ALL",
]
TURTLE = ['<http://example.org/a> <http://example.org/b> "c"@en .',
          '@prefix ex: <http://example.org/> . ex:x ex:y 1, 2.5, "三" ; ex:z [ ex:w true ] .',
          '<http://example.org/a> <http://example.org/b> "unterminated .']

METHODS = ["GET", "POST", "HEAD", "OPTIONS", "PUT", "DELETE", "PATCH", "PROPFIND", "TRACE", "MKCOL", "FOO", "get",
           "CONNECT", "QUERY"]
PATHS = ["/sparql", "//sparql", "/sparql/..", "/sparql/", "/%2e%2e/sparql", "/%2E%2E/%2e%2e/etc/passwd", "/./sparql",
         "/SPARQL", "/sparql;x=1", "/sparql%2f..", "/%73parql", "/update", "/store", "/", "/id/park", "/id/park.ttl",
         "/id/park.jsonld", "/id/lab.nq", "/id/%ff%fe", "/id/..%2f..%2fpyproject.toml", "/id/", "/id/st/x",
         "/id/park.exe", "/api/paths", "/api/search", "/api/queries", "/api/queries/park-figures", "/dumps/index.json",
         "/dumps/..%2f..%2fpyproject.toml", "/static/..%2f..%2fcli.py", "/explore", "/explore/platforms", "/paths",
         "/source", "/figures", "/ontology", "/.well-known/void", "/healthz", "/readyz", "/metrics", "/query",
         "/sitemap.xml", "/openapi.json", "/id/park?x=%00", "/robots.txt"]
ODD_VALUES = ["", "%00", "%ff%fe", "%c0%af", "%ed%a0%80", "zg:park", "http://example.org/park", "<>", "清华",
              "%E6%B8%85%E5%8D%8E", "-1", "0", "1e309", "NaN", "99999999999999999999", "abc", "%25", "a" * 5000,
              "http://example.org/" + "x" * 3000, "zg:", ":", "%0d%0aSet-Cookie:%20x=1", "<script>", "../..", "%2e%2e"]
PARAMS = ["query", "update", "timeout", "max-rows", "format", "default-graph-uri", "named-graph-uri", "using-graph-uri",
          "using-named-graph-uri", "graph", "default", "from", "to", "max_hops", "q", "limit", "iri", "exclude", "lang",
          "unknown", "query[]", "QUERY", ""]
ACCEPTS = ["*/*", "application/sparql-results+json", "application/sparql-results+xml", "text/csv", "text/tab-separated-values",
           "text/turtle", "application/n-triples", "application/ld+json", "application/rdf+xml", "application/n-quads",
           "application/trig", "text/html", "application/json", "image/png", "text/csv;q=abc", "*/*;q=0",
           "application/sparql-results+json;q=1.5", "text/*, application/*;q=0.1", "garbage///", ";;;,,,", "",
           "a/b;" + "x=y;" * 500, "text/html;level=1;q=0.5, */*;q=0.001", "\x7f", "application/json;charset=ebcdic"]
CONTENT_TYPES = ["application/sparql-query", "application/sparql-update", "application/x-www-form-urlencoded",
                 "application/x-www-form-urlencoded; charset=utf-16", "application/sparql-query; charset=latin-1",
                 "text/turtle", "application/n-triples", "application/ld+json", "multipart/form-data; boundary=",
                 "multipart/form-data; boundary=x", "text/plain", "", "*/*", "application/octet-stream", ";",
                 "x" * 3000, "application/sparql-query;charset=utf-8;charset=ascii", "text/turtle; q=0"]
SPECIAL_BYTES = [b"\x00", b"\xff", b"\xfe\xff", b"\xc0\xaf", b"\xed\xa0\x80", b"\xe4\xb8", b"\x80", b"%00", b"%ff", b"\r\n",
                 b"{", b"}", b"(", b"<", b'"', b"\\", b"\\u0000", b"#", b"'''"]


@st.composite
def mutated(draw, text: str) -> bytes:
    """``text`` as UTF-8, left alone or changed by a few byte-level edits."""
    data = bytearray(text.encode())
    for _ in range(draw(st.integers(0, 4))):
        kind = draw(st.sampled_from(["flip", "truncate", "insert", "duplicate", "delete"]))
        at = draw(st.integers(0, len(data)))
        if kind == "flip" and data:
            data[min(at, len(data) - 1)] = draw(st.integers(0, 255))
        elif kind == "truncate":
            del data[at:]
        elif kind == "insert":
            data[at:at] = draw(st.sampled_from(SPECIAL_BYTES))
        elif kind == "duplicate":
            data[at:at] = data[at:at + draw(st.integers(1, 40))]
        else:
            del data[at:at + draw(st.integers(1, 10))]
    return bytes(data)


def adversarial_text(draw) -> bytes:
    """Deep nesting, huge IRIs and literals, NUL bytes and invalid UTF-8 in otherwise plausible text."""
    depth = draw(st.sampled_from([10, 63, 64, 65, 1000, 50_000]))
    size = draw(st.sampled_from([1000, 100_000, 199_990, 250_000]))
    return draw(st.sampled_from([
        b"ASK " + b"{" * depth + b"}" * depth,
        b"SELECT * WHERE { FILTER(" + b"(" * depth + b"1" + b")" * depth + b") }",
        b"ASK " + b"{" * depth,  # never closed
        b"ASK { <http://example.org/" + b"a" * size + b"> ?p ?o }",
        b'ASK { ?s ?p "' + b"x" * size + b'" }',
        b"ASK { ?s ?p ?o }\x00",
        b"ASK { ?s ?p \"\xff\xfe\" }",
        b"ASK { ?s ?p \"\xed\xa0\x80\" }",
        b"SELECT * WHERE { " + b"?s ?p ?o . " * 2500 + b"}",
        b"INSERT DATA { GRAPH <http://example.org/fuzz/big> { " + b"<http://example.org/s> <http://example.org/p> 1 . "
        * 3000 + b"} }",
        b"\xef\xbb\xbfASK {}",
        b"PREFIX : <" + b"x" * 1000 + b"> ASK {}",
    ]))


def query_string(draw, name: str, value: bytes) -> bytes:
    """``name=value`` percent-encoded, with duplicate and unknown parameters around it sometimes."""
    parts = [name.encode() + b"=" + quote_from_bytes(value, safe="").encode()]
    for _ in range(draw(st.integers(0, 3))):
        extra = draw(st.sampled_from(PARAMS))
        odd = draw(st.sampled_from(ODD_VALUES))
        parts.insert(draw(st.integers(0, len(parts))), quote(extra).encode() + b"=" + odd.encode())
    if draw(st.booleans()) and draw(st.booleans()):
        parts.append(parts[0])  # the same parameter twice
    return b"&".join(parts)


def headers_for(draw, *, content_type: str | None, body: bytes, auth: bool) -> list[tuple[bytes, bytes]]:
    headers = [(b"Host", b"127.0.0.1"), (b"Connection", b"close")]
    if draw(st.booleans()):
        headers.append((b"Accept", draw(st.sampled_from(ACCEPTS)).encode("latin-1")))
    if content_type is not None:
        headers.append((b"Content-Type", content_type.encode("latin-1")))
    if body:
        headers.append((b"Content-Length", str(len(body)).encode()))
    if auth:
        headers.append((b"Authorization", draw(st.sampled_from(
            [f"Bearer {TOKEN}"] * 4 + ["Bearer wrong", "Bearer", "Basic Zm9vOmJhcg==", f"bearer  {TOKEN} ", "x" * 2000]
        )).encode()))
    if draw(st.integers(0, 9)) == 0:
        headers.append(draw(st.sampled_from([
            (b"Accept-Encoding", b"gzip;q=abc, br, *"), (b"If-None-Match", b'W/"nope", *'),
            (b"If-Modified-Since", b"yesterday"), (b"Origin", b"http://evil.example"), (b"X-Forwarded-For", b"1.2.3.4"),
            (b"Range", b"bytes=-1,0-"), (b"Expect", b"100-continue"), (b"Accept-Charset", b"ebcdic"),
        ])))
    return headers


@st.composite
def sparql_request(draw) -> Request:
    """A query or update, valid, mutated or adversarial, by GET, form POST or direct POST."""
    is_update = draw(st.integers(0, 3)) == 0
    if draw(st.integers(0, 5)) == 0:
        text = adversarial_text(draw)
    else:
        text = draw(mutated(draw(st.sampled_from(UPDATES if is_update else QUERIES))))
    path = b"/update" if is_update else b"/sparql"
    name = "update" if is_update else "query"
    how = draw(st.sampled_from(["get", "form", "direct"]))
    if how == "get":
        method, target, body, ctype = "GET", path + b"?" + query_string(draw, name, text), b"", None
        if draw(st.integers(0, 19)) == 0:  # a raw byte in the request target: the HTTP layer's to refuse
            target += draw(st.sampled_from([b"\x00", b"\xff", b" ", b"\x7f", b"\t"]))
            return Request("sparql-raw-target", method, target, headers_for(draw, content_type=None, body=b"",
                                                                             auth=is_update), malformed=True)
    elif how == "form":
        method, target = "POST", path + (b"?" + query_string(draw, "unknown", b"1") if draw(st.booleans()) else b"")
        body = query_string(draw, name, text)
        ctype = draw(st.sampled_from(["application/x-www-form-urlencoded"] * 3 + CONTENT_TYPES))
    else:
        method, target, body = "POST", path, text
        ctype = draw(st.sampled_from([f"application/sparql-{name}"] * 3 + CONTENT_TYPES))
    return Request(f"sparql-{how}", method, target, headers_for(draw, content_type=ctype, body=body, auth=is_update),
                   body)


@st.composite
def store_request(draw) -> Request:
    """The Graph Store Protocol with odd graphs, bodies and methods."""
    method = draw(st.sampled_from(["GET", "PUT", "POST", "DELETE", "HEAD", "PATCH", "OPTIONS"]))
    which = draw(st.sampled_from([b"graph=http%3A%2F%2Fexample.org%2Ffuzz%2Fstore", b"default", b"default=&graph=x",
                                  b"graph=https%3A%2F%2Fw3id.org%2Fzgckg%2Fgraph%2Fasserted", b"graph=", b"graph=%00",
                                  b"graph=not%20an%20iri", b"", b"graph=" + b"a" * 3000]))
    body = draw(mutated(draw(st.sampled_from(TURTLE)))) if method in ("PUT", "POST", "PATCH") else b""
    ctype = draw(st.sampled_from(["text/turtle"] * 3 + CONTENT_TYPES)) if body or draw(st.booleans()) else None
    return Request("store", method, b"/store?" + which, headers_for(draw, content_type=ctype, body=body, auth=True), body)


@st.composite
def page_request(draw) -> Request:
    """Any method on any path of the service, odd paths and parameters included."""
    method = draw(st.sampled_from(METHODS))
    path = draw(st.sampled_from(PATHS)).encode()
    kind = draw(st.integers(0, 9))
    if kind == 0:
        path = b"/" + b"a" * draw(st.sampled_from([300, 5000, 20_000]))
    elif kind == 1:
        path = b"/id/" + quote_from_bytes(draw(st.binary(max_size=200)), safe="/").encode()
    elif kind == 2:
        path = b"/api/paths?" + b"&".join(
            f"{quote(draw(st.sampled_from(PARAMS)))}={draw(st.sampled_from(ODD_VALUES))}".encode()
            for _ in range(draw(st.integers(0, 5))))
        path = path.replace(b"?", b"?from=zg:park&to=zg:lab&max_hops=" + draw(st.sampled_from(
            [b"1", b"4", b"9", b"-1", b"x", b"100000"])) + b"&", 1)
    elif kind == 3:
        path = b"/api/search?q=" + quote(draw(st.text(max_size=30))).encode() + b"&" + query_string(
            draw, draw(st.sampled_from(PARAMS)), draw(st.binary(max_size=50)))
    elif kind == 4:
        path += b"?" + query_string(draw, draw(st.sampled_from(PARAMS)), draw(st.sampled_from(ODD_VALUES)).encode())
    body = b""
    if method in ("POST", "PUT", "PATCH", "PROPFIND") and draw(st.booleans()):
        body = draw(st.binary(max_size=300))
    ctype = draw(st.sampled_from(CONTENT_TYPES)) if body else None
    malformed = method in ("CONNECT",) or path.startswith(b"/" + b"a" * 5000)
    return Request("page", method, path, headers_for(draw, content_type=ctype, body=body, auth=draw(st.booleans())),
                   body, malformed=malformed)


@st.composite
def framing_request(draw) -> Request:
    """Broken framing: chunked bodies with bad sizes or no end, lengths that lie, both framings at once."""
    query = b"ASK { ?s ?p ?o }"
    base = [(b"Host", b"x"), (b"Connection", b"close"), (b"Content-Type", b"application/sparql-query")]
    kind = draw(st.sampled_from(["bad-chunk-size", "short-length", "long-length-half-closed", "chunked-half-closed",
                                 "both", "negative-length", "text-length", "two-lengths", "chunk-extension",
                                 "te-gzip", "header-nul", "header-fold", "huge-header", "no-host", "http10",
                                 "absolute-target", "asterisk", "bad-version", "garbage", "long-length-wait"]))
    if kind == "long-length-wait" and draw(st.integers(0, 7)):
        kind = "long-length-half-closed"  # waiting out the body deadline costs a second: only now and then
    chunked = base + [(b"Transfer-Encoding", b"chunked")]
    length = base + [(b"Content-Length", str(len(query)).encode())]
    cases = {
        "bad-chunk-size": ("POST", b"/sparql", chunked, b"zz\r\n" + query + b"\r\n0\r\n\r\n", False, True),
        "short-length": ("POST", b"/sparql", base + [(b"Content-Length", b"3")], query, False, True),
        "long-length-half-closed": ("POST", b"/sparql", base + [(b"Content-Length", b"1000")], query, True, True),
        "long-length-wait": ("POST", b"/sparql", base + [(b"Content-Length", b"1000")], query, False, True),
        "chunked-half-closed": ("POST", b"/sparql", chunked, b"%x\r\n%s\r\n" % (len(query), query), True, True),
        "both": ("POST", b"/sparql", chunked + [(b"Content-Length", b"5")], b"%x\r\n%s\r\n0\r\n\r\n" % (len(query), query),
                 False, True),
        "negative-length": ("POST", b"/sparql", base + [(b"Content-Length", b"-5")], query, False, True),
        "text-length": ("POST", b"/sparql", base + [(b"Content-Length", b"ten")], query, False, True),
        "two-lengths": ("POST", b"/sparql", length + [(b"Content-Length", b"4")], query, False, True),
        "chunk-extension": ("POST", b"/sparql", chunked, b"%x;ext=\xff\r\n%s\r\n0\r\n\r\n" % (len(query), query), False,
                            True),
        "te-gzip": ("POST", b"/sparql", base + [(b"Transfer-Encoding", b"gzip")], query, False, True),
        "header-nul": ("GET", b"/sparql?query=ASK%7B%7D", base + [(b"X-Odd", b"a\x00b")], b"", False, True),
        "header-fold": ("GET", b"/sparql?query=ASK%7B%7D", base + [(b"X-Odd", b"a\r\n b")], b"", False, True),
        "huge-header": ("GET", b"/sparql?query=ASK%7B%7D", base + [(b"X-Big", b"x" * 100_000)], b"", False, True),
        "no-host": ("GET", b"/sparql?query=ASK%7B%7D", [(b"Connection", b"close")], b"", False, True),
        "http10": ("GET", b"/sparql?query=ASK%7B%7D HTTP/1.0\r\nX-A: b", base, b"", False, True),
        "absolute-target": ("GET", b"http://example.org/sparql?query=ASK%7B%7D", base, b"", False, True),
        "asterisk": ("OPTIONS", b"*", base, b"", False, True),
        "bad-version": ("GET", b"/sparql HTTP/9.9\r\nX-A: b", base, b"", False, True),
        "garbage": ("\x16\x03\x01", b"\x00\xff", base, b"", False, True),
    }
    method, target, headers, body, half_close, malformed = cases[kind]
    return Request(f"framing-{kind}", method, target, headers, body, half_close, malformed)


REQUEST = st.one_of(sparql_request(), sparql_request(), sparql_request(), store_request(), page_request(),
                    page_request(), framing_request(), framing_request())


# --- the run -------------------------------------------------------------------------------------------

TRACEBACK_MARKS = (b"Traceback (most recent call last)", b'File "', b"site-packages")


def check(request: Request, answer: Answer) -> str:
    """The answer's class for the counts; AssertionError when the answer breaks a rule."""
    shown = request.raw()[:400]
    if answer.status is None:
        assert request.malformed, f"the connection closed without an answer to {shown!r}"
        return "closed"
    status, headers, body = answer.status, answer.headers, answer.body
    assert not any(mark in body for mark in TRACEBACK_MARKS), f"{status} with a traceback to {shown!r}: {body[:2000]!r}"
    if status >= 500:
        honest = status == 504 or (status == 503 and "retry-after" in headers)
        assert honest, f"{status} to {shown!r}: {headers} {body[:2000]!r}"
        return "5xx"
    if 400 <= status < 500:
        if "content-type" not in headers and not body:  # the HTTP layer's own refusal of what it cannot parse
            assert request.malformed and status in (400, 414, 431), f"a bare {status} to {shown!r}"
            return "4xx-bare"
        if request.method != "HEAD":
            assert body.strip(), f"{status} without a message to {shown!r}"
            if headers.get("content-type", "").startswith(("text/plain", "application/json")):
                assert len(body) < 20_000, f"a {status} message of {len(body)} bytes to {shown!r}"
    return f"{status // 100}xx"


@pytest.fixture(scope="module")
def fuzz_server(tmp_path_factory):
    root = tmp_path_factory.mktemp("fuzz")
    store_dir = build_web_store(root / "store")
    log = root / "serve.log"
    process, url = start_logged_server(store_dir.root, log, "--write-token", TOKEN, "--timeout", "3",
                                       "--workers", "2", "--body-timeout", "1", "--header-timeout", "1",
                                       "--max-client-requests", "64")
    try:
        yield process, url, log
    finally:
        stop_server(process)


def test_thousands_of_mutated_and_adversarial_requests_get_honest_answers(fuzz_server, request):
    process, url, log = fuzz_server
    port = int(url.rsplit(":", 1)[1])
    by_class: Counter[str] = Counter()
    by_family: Counter[str] = Counter()
    started = time.monotonic()

    @settings(max_examples=REQUESTS, derandomize=True, database=None, deadline=None, print_blob=False,
              phases=(Phase.explicit, Phase.generate, Phase.shrink),
              suppress_health_check=list(HealthCheck))
    @given(REQUEST)
    def one(fuzzed: Request) -> None:
        answer = send(port, fuzzed)
        by_class[check(fuzzed, answer)] += 1
        by_family[fuzzed.family.split("-")[0]] += 1

    try:
        with warnings.catch_warnings():  # a failing example with a 100 kB body is worth showing, repr and all
            warnings.simplefilter("ignore", HypothesisWarning)
            one()
    finally:
        sent = sum(by_class.values())
        report(request.config, f"fuzzer: {sent} requests in {time.monotonic() - started:.1f} s; by answer: "
                               f"{dict(sorted(by_class.items()))}; by kind: {dict(sorted(by_family.items()))}")
    assert sent >= AT_LEAST, by_class
    assert process.poll() is None, "the server ended"

    # a normal query still gets the right answer, and a normal write still lands
    answer = requests.get(url + "/sparql", timeout=10, headers={"Accept": "application/sparql-results+json"}, params={
        "query": "SELECT ?l WHERE { GRAPH <https://w3id.org/zgckg/graph/asserted> { <http://example.org/park> "
                 "<http://www.w3.org/2000/01/rdf-schema#label> ?l } } ORDER BY ?l"})
    assert answer.status_code == 200, answer.text
    assert [b["l"]["value"] for b in answer.json()["results"]["bindings"]] == ["Example park", "示例园区"]
    written = requests.post(url + "/update", timeout=10, data='INSERT DATA { GRAPH <http://example.org/after-fuzz> { '
                            '<http://example.org/s> <http://example.org/p> "after" } }',
                            headers={"Content-Type": "application/sparql-update", "Authorization": f"Bearer {TOKEN}"})
    assert written.status_code == 204, written.text
    ask = requests.get(url + "/sparql", params={"query": 'ASK { GRAPH ?g { ?s ?p "after" } }'}, timeout=10,
                       headers={"Accept": "application/sparql-results+json"})
    assert ask.json()["boolean"] is True

    text = log.read_text(errors="replace")
    assert "Traceback" not in text, text[text.index("Traceback") - 2000:text.index("Traceback") + 3000]
    lines = [json.loads(line) for line in text.splitlines() if line.startswith("{")]
    assert lines, "the server logged no request"
