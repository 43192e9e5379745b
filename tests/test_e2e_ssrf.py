"""End to end: SERVICE and LOAD never open a connection to a loopback listener, allow-listed or not; an
allowed SERVICE is answered by the server itself, within its connect and read timeouts."""

import select
import socket
import time

import pytest
import requests

from conftest import WEB_TOKEN, LiveServer, SparqlEndpoint, build_web_store, remote_network


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

    store_dir = build_web_store(tmp_path_factory.mktemp("federating-store"))
    network = remote_network(("remote.example", remote_endpoint.port), ("mute.example", mute_port))
    config = Config(store=store_dir.root, workers=1, timeout=20.0, write_token=WEB_TOKEN,
                    service_allowlist=("remote.example", "mute.example"), service_connect_timeout=2.0,
                    service_read_timeout=1.0, service_network=network)
    app = create_app(config, store=store_dir)
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
