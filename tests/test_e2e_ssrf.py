"""End to end: SERVICE and LOAD never open a connection to a loopback listener, allow-listed or not."""

import select
import socket

import pytest
import requests

from conftest import WEB_TOKEN


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
