"""End to end: SERVICE and LOAD never open a connection to a loopback listener, allow-listed or not; an
allowed SERVICE is answered by the server itself, within its connect and read timeouts. Against the real
`zgckg serve` with writes on: the texts that got past the old regex lexer, and thousands of generated
variants (tests/sparql_variants.py), reach no canary, leak nothing of its answer, and get 4xx, never 500."""

import os
import select
import socket
import subprocess
import sys
import time
import uuid
from collections import Counter
from dataclasses import dataclass
from pathlib import Path

import pytest
import requests

from conftest import WEB_TOKEN, LiveServer, SparqlEndpoint, build_web_store, free_port, remote_network
from sparql_variants import Canary, interleaved, known_bypasses, known_load_bypasses, variants
from zgckg.errors import QuerySyntaxError, QueryTooComplex
from zgckg.kg.sparql import parse_query, parse_update
from zgckg.namespaces import PREFIXES


def open_listener() -> socket.socket:
    sock = socket.socket()
    sock.bind(("127.0.0.1", 0))
    sock.listen(16)
    return sock


def was_contacted(sock: socket.socket) -> bool:
    # a connection attempt completes its handshake in the kernel at once, so by the time the server
    # has answered, any connection it made is already waiting in the backlog
    readable, _, _ = select.select([sock], [], [], 0.05)
    return bool(readable)


@pytest.fixture
def listener():
    """A TCP listener on a free loopback port; the test fails if anything connects to it."""
    sock = open_listener()
    yield sock.getsockname()[1]
    contacted = was_contacted(sock)
    sock.close()
    assert not contacted, "the server connected to the listener"


def test_the_listener_notices_a_connection():
    sock = open_listener()
    with socket.create_connection(sock.getsockname()):
        assert was_contacted(sock)
    sock.close()


def queries(port):
    target = f"http://127.0.0.1:{port}/"
    return {
        "plain": f"SELECT * WHERE {{ SERVICE <{target}> {{ ?s ?p ?o }} }}",
        "silent": f"SELECT * WHERE {{ SERVICE SILENT <{target}> {{ ?s ?p ?o }} }}",
        "subquery": f"SELECT * WHERE {{ {{ SELECT * WHERE {{ SERVICE <{target}> {{ ?s ?p ?o }} }} }} }}",
        "filter-exists": f"SELECT * WHERE {{ ?s ?p ?o FILTER EXISTS {{ SERVICE <{target}> {{ ?s ?p ?o }} }} }}",
        "prefixed": f"PREFIX t: <{target}> SELECT * WHERE {{ SERVICE t:sparql {{ ?s ?p ?o }} }}",
        "variable": f"SELECT * WHERE {{ VALUES ?e {{ <{target}> }} SERVICE ?e {{ ?s ?p ?o }} }}",
        "localhost-name": f"SELECT * WHERE {{ SERVICE <http://localhost:{port}/> {{ ?s ?p ?o }} }}",
        "ipv6-loopback": f"SELECT * WHERE {{ SERVICE <http://[::1]:{port}/> {{ ?s ?p ?o }} }}",
    }


CASES = list(queries(0))


def expected_status(case: str) -> int:
    # SERVICE SILENT turns the refusal into what SPARQL specifies for a failed silent call (one empty
    # solution): the query succeeds, and still nothing connects
    return 200 if case == "silent" else 403


@pytest.mark.parametrize("case", CASES)
def test_service_never_reaches_a_loopback_listener(live_server, listener, case):
    response = requests.post(live_server + "/sparql", data={"query": queries(listener)[case]})
    assert response.status_code == expected_status(case), response.text


@pytest.mark.parametrize("case", CASES)
def test_service_to_allow_listed_loopback_names_is_still_refused(write_server, listener, case):
    # this server allow-lists "localhost" and "127.0.0.1"; both resolve to loopback, so both stay refused
    response = requests.post(write_server + "/sparql", data={"query": queries(listener)[case]})
    assert response.status_code == expected_status(case), response.text


def test_refused_silent_service_gives_one_empty_solution(live_server, listener):
    response = requests.post(live_server + "/sparql", data={"query": queries(listener)["silent"]})
    assert response.json()["results"]["bindings"] == [{}]


def update(server: str, text: str) -> requests.Response:
    return requests.post(server + "/update", data=text.encode(), headers={
        "Content-Type": "application/sparql-update", "Authorization": f"Bearer {WEB_TOKEN}"})


@pytest.mark.parametrize(
    "text",
    [
        "LOAD <http://127.0.0.1:{port}/x>",
        "LOAD <http://localhost:{port}/x>",
        "CLEAR SILENT GRAPH <http://example.org/none> ; LOAD <http://127.0.0.1:{port}/x>",
        "INSERT { ?s ?p ?o } WHERE { SERVICE <http://127.0.0.1:{port}/> { ?s ?p ?o } }",
    ],
    ids=["load", "load-localhost", "second-operation", "service-in-update"],
)
def test_load_never_reaches_a_loopback_listener(write_server, listener, text):
    response = update(write_server, text.replace("{port}", str(listener)))
    assert response.status_code == 403, response.text
    assert "refused" in response.text


def test_refused_load_silent_succeeds_without_loading_or_connecting(write_server, listener):
    graph = "http://example.org/silently-loaded"
    response = update(write_server, f"LOAD SILENT <http://127.0.0.1:{listener}/x> INTO GRAPH <{graph}>")
    assert response.status_code == 204, response.text
    ask = requests.get(write_server + "/sparql", params={"query": f"ASK {{ GRAPH <{graph}> {{ ?s ?p ?o }} }}"})
    assert ask.json()["boolean"] is False


@pytest.mark.parametrize(
    "text",
    ["LOAD <http://127.0.0.1:{port}/x> ;;", "LOAD ;", "LOAD <http://127.0.0.1:{port}/x> CLEAR ALL"],
    ids=["double-semicolon", "no-target", "missing-separator"],
)
def test_malformed_update_with_a_refused_load_is_a_syntax_error(write_server, listener, text):
    response = update(write_server, text.replace("{port}", str(listener)))
    assert response.status_code == 400, response.text
    assert response.text.startswith("SPARQL syntax error")


def test_malformed_query_with_a_refused_service_is_a_syntax_error(live_server, listener):
    query = f"SELECT * WHERE {{ SERVICE <http://127.0.0.1:{listener}/> {{ ?s ?p }} }}"
    response = requests.get(live_server + "/sparql", params={"query": query})
    assert response.status_code == 400 and response.text.startswith("SPARQL syntax error")


# --- allowed SERVICE: answered by the server itself, with timeouts --------------------------------------

REMOTE_DATA = """
@prefix ex: <http://example.org/> .
ex:park ex:city "Beijing" ; ex:founded "1988"^^<http://www.w3.org/2001/XMLSchema#gYear> .
ex:elsewhere ex:city "Shanghai" .
"""
EX = "PREFIX ex: <http://example.org/>\n"
REMOTE = "http://remote.example/sparql"
MUTE = "http://mute.example/sparql"


@pytest.fixture(scope="module")
def remote_endpoint():
    served = SparqlEndpoint(REMOTE_DATA)
    yield served
    served.close()


@pytest.fixture(scope="module")
def mute_port():
    """A port that accepts connections (the kernel completes them) and never answers."""
    sock = open_listener()
    yield sock.getsockname()[1]
    sock.close()


@pytest.fixture(scope="module")
def federating_server(tmp_path_factory, remote_endpoint, mute_port):
    """A server allowing remote.example (a real endpoint) and mute.example (never answers), both public
    hosts as far as the guard can tell; a 1 s read timeout under a 20 s query time limit."""
    from zgckg.app import close_app, create_app
    from zgckg.config import Config
    from zgckg.kg.engine.local import LocalEngine

    store_dir = build_web_store(tmp_path_factory.mktemp("federating-store"))
    network = remote_network(("remote.example", remote_endpoint.port), ("mute.example", mute_port))
    config = Config(store=store_dir.root, workers=1, timeout=20.0, write_token=WEB_TOKEN,
                    service_allowlist=("remote.example", "mute.example"), service_connect_timeout=2.0,
                    service_read_timeout=1.0)
    app = create_app(config, engine=LocalEngine(config, store_dir, network=network))
    server = LiveServer(app)
    yield server.url
    server.close()
    close_app(app)


def timed_query(server: str, query: str) -> tuple[requests.Response, float]:
    started = time.monotonic()
    response = requests.post(server + "/sparql", data={"query": query}, headers={"Accept": "application/sparql-results+json"})
    return response, time.monotonic() - started


def test_service_to_a_host_that_never_answers_fails_after_the_read_timeout(federating_server):
    response, seconds = timed_query(federating_server, f"SELECT * WHERE {{ SERVICE <{MUTE}> {{ ?s ?p ?o }} }}")
    assert response.status_code == 400, response.text
    assert f"SERVICE <{MUTE}> failed: no answer within the read timeout of 1 s" in response.text
    assert "--service-read-timeout" in response.text
    assert 1 <= seconds < 5  # the read timeout, far below the 20 s query time limit


def test_silent_service_to_a_host_that_never_answers_is_one_empty_solution(federating_server):
    response, seconds = timed_query(federating_server, f"SELECT * WHERE {{ SERVICE SILENT <{MUTE}> {{ ?s ?p ?o }} }}")
    assert response.status_code == 200, response.text
    assert response.json()["results"]["bindings"] == [{}]
    assert seconds < 5


def test_a_federated_query_joins_remote_rows_with_local_data(federating_server, remote_endpoint):
    query = EX + f"SELECT ?label ?city WHERE {{ ?thing a ex:Park ; rdfs:label ?label . " \
                 f"SERVICE <{REMOTE}> {{ ?thing ex:city ?city }} FILTER(lang(?label) = 'en') }}"
    response, _ = timed_query(federating_server, "PREFIX rdfs: <http://www.w3.org/2000/01/rdf-schema#>\n" + query)
    assert response.status_code == 200, response.text
    rows = [{k: v["value"] for k, v in row.items()} for row in response.json()["results"]["bindings"]]
    assert rows == [{"label": "Example park", "city": "Beijing"}]
    assert "?thing ex:city ?city" in remote_endpoint.requests[-1]["form"]["query"]


def test_a_federated_answer_is_asked_afresh_and_never_revalidated(federating_server, remote_endpoint):
    import pyoxigraph as ox

    query = f"SELECT ?o WHERE {{ SERVICE <{REMOTE}> {{ <http://example.org/changing> <http://example.org/v> ?o }} }}"
    first, _ = timed_query(federating_server, query)
    remote_endpoint.store.add(ox.Quad(ox.NamedNode("http://example.org/changing"), ox.NamedNode("http://example.org/v"),
                                      ox.Literal("new")))
    second, _ = timed_query(federating_server, query)
    assert first.json()["results"]["bindings"] == []
    assert [row["o"]["value"] for row in second.json()["results"]["bindings"]] == ["new"]
    assert "ETag" not in second.headers and second.headers["Cache-Control"] == "no-store"


def test_an_update_inserts_what_an_allowed_service_answers(federating_server):
    graph = "http://example.org/from-remote"
    response = update(federating_server, EX + f"INSERT {{ GRAPH <{graph}> {{ ?s ex:founded ?year }} }} "
                                              f"WHERE {{ SERVICE <{REMOTE}> {{ ?s ex:founded ?year }} }}")
    assert response.status_code == 204, response.text
    response, _ = timed_query(federating_server, f"SELECT ?s ?year WHERE {{ GRAPH <{graph}> {{ ?s ?p ?year }} }}")
    (row,) = response.json()["results"]["bindings"]
    assert row["s"]["value"] == "http://example.org/park"
    assert row["year"] == {"type": "literal", "value": "1988", "datatype": "http://www.w3.org/2001/XMLSchema#gYear"}


def test_an_update_whose_service_never_answers_changes_nothing(federating_server):
    graph = "http://example.org/never-filled"
    started = time.monotonic()
    response = update(federating_server, f"INSERT {{ GRAPH <{graph}> {{ ?s ?p ?o }} }} WHERE {{ SERVICE <{MUTE}> {{ ?s ?p ?o }} }}")
    assert response.status_code == 409, response.text
    assert "read timeout of 1 s" in response.text and time.monotonic() - started < 5
    ask, _ = timed_query(federating_server, f"ASK {{ GRAPH <{graph}> {{ ?s ?p ?o }} }}")
    assert ask.json()["boolean"] is False


# --- the real `zgckg serve` with writes on, against the known bypasses and generated variants --------------
#
# The old server found SERVICE and LOAD with a regex lexer that read some texts differently from the engine;
# what it missed, the engine's own HTTP client fetched, and the remote's answer came back in the error. Here
# the canaries answer with a secret (status 200 from one, 500 from the other): no request may reach them,
# and the secret may appear in no response and no line the server logs.

SERVE_TOKEN = "ssrf-serve-token"
SECRET = f"SECRET-{uuid.uuid4()}"
E2E_VARIANTS = 2400  # all the differential test's variants: about 10 s over one keep-alive connection
GET_LIMIT = 2000  # longer texts go by POST only, so a GET is never refused for its URL's length


@pytest.fixture(scope="module")
def secret_canaries():
    canaries = (Canary(body=SECRET.encode(), status=200), Canary(body=SECRET.encode(), status=500))
    yield canaries
    for canary in canaries:
        canary.close()


@dataclass
class Served:
    url: str
    process: subprocess.Popen
    stdout: Path
    stderr: Path

    def logs(self) -> str:
        return self.stdout.read_text(errors="replace") + self.stderr.read_text(errors="replace")


@pytest.fixture(scope="module")
def served(tmp_path_factory):
    """`zgckg serve` in a subprocess with a write token and the loopback names on the allow-list (they must
    stay refused: they resolve to loopback addresses); its stdout and stderr go to files."""
    root = tmp_path_factory.mktemp("ssrf-served")
    store_dir = build_web_store(root / "store")
    port = free_port()
    command = [str(Path(sys.executable).parent / "zgckg"), "serve", "--store", str(store_dir.root),
               "--port", str(port), "--write-token", SERVE_TOKEN, "--workers", "2", "--timeout", "10",
               "--service-allow", "127.0.0.1", "--service-allow", "localhost",
               "--service-connect-timeout", "1", "--service-read-timeout", "1"]
    env = {k: v for k, v in os.environ.items() if not k.startswith("ZGCKG_")}
    stdout, stderr = root / "stdout.log", root / "stderr.log"
    with stdout.open("wb") as out, stderr.open("wb") as err:
        process = subprocess.Popen(command, stdout=out, stderr=err, env=env)
    server = Served(f"http://127.0.0.1:{port}", process, stdout, stderr)
    deadline = time.monotonic() + 30
    try:
        while True:
            try:
                requests.get(server.url + "/sparql", params={"query": "ASK {}"}, timeout=1)
                break
            except requests.ConnectionError:
                assert process.poll() is None, server.logs()
                assert time.monotonic() < deadline, "the server did not start: " + server.logs()
                time.sleep(0.1)
        yield server
    finally:
        process.terminate()
        try:
            process.wait(timeout=15)
        except subprocess.TimeoutExpired:
            process.kill()
            process.wait()


QUERY_METHODS = ("get", "form", "body")


def send_query(session: requests.Session, url: str, text: str, method: str) -> requests.Response:
    if method == "get":
        return session.get(url + "/sparql", params={"query": text}, timeout=30)
    if method == "form":
        return session.post(url + "/sparql", data={"query": text}, timeout=30)
    return session.post(url + "/sparql", data=text.encode(), timeout=30,
                        headers={"Content-Type": "application/sparql-query"})


def send_update(session: requests.Session, url: str, text: str, method: str) -> requests.Response:
    auth = {"Authorization": f"Bearer {SERVE_TOKEN}"}
    if method == "form":
        return session.post(url + "/update", data={"update": text}, headers=auth, timeout=30)
    return session.post(url + "/update", data=text.encode(), timeout=30,
                        headers={**auth, "Content-Type": "application/sparql-update"})


def expected_statuses(kind: str, text: str) -> tuple[str, set[int]]:
    """How the server should answer, from the parser's reading (the server's own): a syntax error or a
    limit is 400; a SERVICE or LOAD that is not SILENT (or nested, or with a variable target) is refused,
    403, as every target here is a loopback one; what is left runs (or the engine refuses it, 400)."""
    try:
        reading = parse_query(text, prefixes=PREFIXES) if kind == "query" else parse_update(text)
    except (QuerySyntaxError, QueryTooComplex):
        return "invalid", {400}
    except Exception as exc:  # the parser itself failed: still a client's error, never a 500
        return f"parser failed ({type(exc).__name__})", {400}
    if any(s.inner or not s.silent or s.iri is None for s in reading.services):
        return "refused service", {403}
    if any(not load.silent for load in reading.loads):
        return "refused load", {403}
    return "runs", ({200, 400} if kind == "query" else {204, 400})


@dataclass
class Exchange:
    label: str
    kind: str
    method: str
    text: str
    status: int
    body: str
    why: str
    allowed: set[int]
    hits: list

    def show(self) -> str:
        return (f"{self.label} {self.kind} via {self.method}: status {self.status} ({self.why}: expected "
                f"{sorted(self.allowed)}), canary hits {[h.path for h in self.hits]}\n  text: {self.text!r}\n"
                f"  body: {self.body[:300]!r}")


def exchange(session, server: Served, canaries, label: str, kind: str, text: str, method: str) -> Exchange:
    send = send_query if kind == "query" else send_update
    response = send(session, server.url, text, method)
    hits = [hit for canary in canaries for hit in canary.take()]
    why, allowed = expected_statuses(kind, text)
    return Exchange(label, kind, method, text, response.status_code, response.text, why, allowed, hits)


def problems(exchanges: list[Exchange]) -> list[str]:
    found = []
    for ex in exchanges:
        if ex.hits:
            found.append("reached a canary: " + ex.show())
        elif SECRET in ex.body:
            found.append("the canary's answer is in the response: " + ex.show())
        elif ex.status >= 500 or ex.status not in ex.allowed:
            found.append("unexpected status: " + ex.show())
    return found


@pytest.mark.parametrize("method", QUERY_METHODS)
@pytest.mark.parametrize("name", list(known_bypasses("http://h")))
def test_the_known_bypasses_reach_no_canary(served, secret_canaries, name, method):
    with requests.Session() as session:
        exchanges = [exchange(session, served, secret_canaries, name, "query", known_bypasses(c.base)[name], method)
                     for c in secret_canaries]
    assert not problems(exchanges), "\n".join(problems(exchanges))
    assert {ex.status for ex in exchanges} == {403}
    assert all("refused" in ex.body for ex in exchanges)


@pytest.mark.parametrize("method", ("body", "form"))
@pytest.mark.parametrize("name", list(known_load_bypasses("http://h")))
def test_the_known_tricks_around_load_reach_no_canary_with_the_write_token(served, secret_canaries, name, method):
    with requests.Session() as session:
        exchanges = [exchange(session, served, secret_canaries, name, "update",
                              known_load_bypasses(c.base)[name], method) for c in secret_canaries]
    assert not problems(exchanges), "\n".join(problems(exchanges))
    assert {ex.status for ex in exchanges} == {403}


@pytest.fixture(scope="module")
def variant_exchanges(served, secret_canaries) -> tuple[list[Exchange], float]:
    """The first E2E_VARIANTS generated variants (by turns on the canary answering 200 and the one
    answering 500), queries by GET, form POST and sparql-query POST in turn, updates with the token."""
    lists = [variants(c.base, E2E_VARIANTS) for c in secret_canaries]
    started = time.monotonic()
    exchanges = []
    with requests.Session() as session:
        for i, variant in enumerate(interleaved(lists)):
            if variant.kind == "query":
                methods = QUERY_METHODS if len(variant.text) < GET_LIMIT else QUERY_METHODS[1:]
            else:
                methods = ("body", "form")
            exchanges.append(exchange(session, served, secret_canaries, f"#{variant.number}", variant.kind,
                                      variant.text, methods[i % len(methods)]))
    return exchanges, time.monotonic() - started


def test_generated_variants_reach_no_canary_and_get_4xx_when_refused(variant_exchanges, capsys):
    exchanges, seconds = variant_exchanges
    statuses = Counter((ex.kind, ex.status) for ex in exchanges)
    reasons = Counter(ex.why for ex in exchanges)
    with capsys.disabled():
        print(f"\nSSRF end to end: {len(exchanges)} variants in {seconds:.1f} s; statuses "
              + ", ".join(f"{kind} {status}: {n}" for (kind, status), n in sorted(statuses.items()))
              + "; " + ", ".join(f"{why}: {n}" for why, n in sorted(reasons.items())))
    assert len(exchanges) >= 1000
    assert sum(ex.status == 403 for ex in exchanges) > 300  # refusals are what is tested, not parse errors
    found = problems(exchanges)
    shown = "\n".join(found[:25]) + (f"\n… and {len(found) - 25} more" if len(found) > 25 else "")
    assert not found, f"{len(found)} of {len(exchanges)} variants:\n{shown}"


def test_the_secret_is_in_no_line_the_server_logged(served, variant_exchanges):
    logs = served.logs()
    assert '"path": "/update"' in logs, "the server logged no request: the log capture is broken"
    assert SECRET not in logs


MALFORMED_AUTHORITY = [
    ("query", "SELECT * WHERE {{ SERVICE <http://[::1/{path}> {{ }} }}", {400, 403}),
    ("query", "SELECT * WHERE {{ SERVICE SILENT <http://127.0.0.1]:{port}/{path}> {{ }} }}", {200, 400}),
    ("query", "BASE <http://a.example/> SELECT * WHERE {{ SERVICE <http://[::1/{path}> {{ }} }}", {400, 403}),
    ("query", "BASE <http://a.example/> SELECT * WHERE {{ ?s ?p <http://[::1/{path}> }}", {400}),
    ("update", "LOAD <http://[::1/{path}>", {400, 403}),
    ("update", "LOAD SILENT <http://127.0.0.1]:{port}/{path}>", {204, 400}),
    ("update", "INSERT {{ ?s ?p ?o }} WHERE {{ SERVICE <http://[::1/{path}> {{ ?s ?p ?o }} }}", {400, 403}),
]


@pytest.mark.parametrize(("kind", "template", "statuses"), MALFORMED_AUTHORITY)
def test_a_target_whose_authority_python_cannot_split_is_a_client_error(served, secret_canaries, kind, template,
                                                                        statuses):
    # the engine refuses these IRIs; the server must refuse them too (or, SILENT, skip them), never answer
    # "internal error", and connect nowhere
    canary = secret_canaries[0]
    text = template.format(port=canary.port, path="malformed")
    with requests.Session() as session:
        ex = exchange(session, served, secret_canaries, "malformed-authority", kind, text, "body")
    assert not ex.hits
    assert ex.status in statuses, ex.show()
