"""The protocol over a real HTTP server backed by Virtuoso: the real clients, the error shapes, the write
token, the graph store, and no SERVICE or LOAD reaching anywhere: as over the embedded store."""

import json
import select
import socket

import pytest
import rdflib
import requests
from SPARQLWrapper import CSV, JSON, XML, SPARQLWrapper

from conftest import REMOTE_TOKEN

COUNT_PLATFORMS = "SELECT (COUNT(DISTINCT ?p) AS ?n) { ?p a zgo:InnovationPlatform }"


def platforms(project_client) -> int:
    return int(project_client.get("/sparql", query_string={"query": COUNT_PLATFORMS}).get_json()
               ["results"]["bindings"][0]["n"]["value"])


@pytest.mark.parametrize("fmt", [JSON, XML, CSV])
def test_sparqlwrapper_reads_every_results_format(remote_server, project_client, fmt):
    client = SPARQLWrapper(remote_server + "/sparql", returnFormat=fmt)
    client.setQuery("PREFIX zgo: <https://w3id.org/zgckg/ontology#> " + COUNT_PLATFORMS)
    result = client.queryAndConvert()
    if fmt == JSON:
        value = result["results"]["bindings"][0]["n"]["value"]
    elif fmt == XML:
        value = result.getElementsByTagName("literal")[0].firstChild.data
    else:
        value = result.decode().splitlines()[1]
    assert int(value) == platforms(project_client)


def test_json_results_are_standard_and_read_as_the_embedded_engine_writes_them(remote_server, project_client):
    """Virtuoso writes "typed-literal", booleans as 0/1 and plain strings typed xsd:string; through zgckg the
    same document as the embedded engine's."""
    query = ("SELECT ?b ?q ?s ?l ?i ?t { ?st zgo:interpreted ?b . ?ev oa:exact ?q . BIND(STR(?q) AS ?s) "
             "zg:xiaomi rdfs:label ?l . BIND(STRLEN(?q) AS ?i) BIND(\"z\"^^xsd:string AS ?t) } ORDER BY ?q ?l LIMIT 1")

    def row(status: int, kind: str, body: bytes) -> dict:
        assert status == 200 and kind.startswith("application/sparql-results+json")
        return json.loads(body)["results"]["bindings"][0]

    accept = {"Accept": "application/sparql-results+json"}
    answer = requests.get(remote_server + "/sparql", params={"query": query}, headers=accept, timeout=30)
    remote = row(answer.status_code, answer.headers["Content-Type"], answer.content)
    answer = project_client.get("/sparql", query_string={"query": query}, headers=accept)
    assert remote == row(answer.status_code, answer.headers["Content-Type"], answer.data)
    assert remote["b"] == {"type": "literal", "datatype": "http://www.w3.org/2001/XMLSchema#boolean", "value": "true"}
    assert remote["s"] == {"type": "literal", "value": remote["q"]["value"]}
    assert remote["t"] == {"type": "literal", "value": "z"}


@pytest.mark.parametrize("query, expected", [
    ("SELECT ?d { ?o zgo:periodDuration ?d }", ["P2Y", "P2Y"]),
    ('SELECT ?d { VALUES ?d { "P18M"^^xsd:duration "-P1Y"^^xsd:duration "P12M"^^xsd:duration '
     '"P1Y2M3DT4H"^^xsd:duration } }', ["-P1Y", "P1Y", "P1Y2M3DT4H", "P1Y6M"]),
])
def test_durations_read_as_the_embedded_engine_writes_them(remote_server, project_client, query, expected):
    """Virtuoso's JSON writes a duration of years and months as a count of months ("P2Y" as "24"). (Inside
    a query it is that count too: ORDER BY or STR() of such a duration sees "24"; see docs/virtuoso.md.)"""
    accept = {"Accept": "application/sparql-results+json"}

    def durations(document: dict) -> list[dict]:
        return sorted(document["results"]["bindings"], key=lambda row: row["d"]["value"])

    remote = requests.get(remote_server + "/sparql", params={"query": query}, headers=accept, timeout=30).json()
    embedded = project_client.get("/sparql", query_string={"query": query}, headers=accept).get_json()
    assert durations(remote) == durations(embedded)
    assert [row["d"]["value"] for row in durations(remote)] == expected


def test_rdflib_sparqlstore_reads_the_graph(remote_server, project_client):
    from rdflib.plugins.stores.sparqlstore import SPARQLStore

    store = SPARQLStore(remote_server + "/sparql")
    graph = rdflib.Graph(store)
    rows = list(graph.query("PREFIX zgo: <https://w3id.org/zgckg/ontology#> " + COUNT_PLATFORMS))
    assert int(rows[0][0]) == platforms(project_client)
    store.close()


@pytest.mark.parametrize("query, status, words", [
    ("SELECT * WHERE { ?s ?p }", 400, "syntax error"),
    ("SELECT * WHERE { ?s nope:p ?o }", 400, "nope:"),
    ("SELECT * WHERE { ?s ?p ?o } LIMIT", 400, "syntax error"),
    # valid SPARQL (an unknown function is an evaluation error), which Virtuoso refuses whole: not the
    # client's mistake, not a fault of ours
    ("SELECT (<http://example/function>(1) AS ?x) WHERE {}", 501, "cannot evaluate this valid query"),
    # a valid duration of days or hours (Virtuoso: "SQ200: No column P1DD")
    ('SELECT ?d WHERE { BIND("P1D"^^xsd:duration AS ?d) }', 501, "cannot evaluate this valid query"),
])
def test_errors_have_the_same_shape(remote_server, query, status, words):
    answer = requests.get(remote_server + "/sparql", params={"query": query}, headers={"Accept": "application/json"})
    assert answer.status_code == status
    assert words in answer.json()["message"]


def test_an_unacceptable_format_is_a_406(remote_server):
    answer = requests.get(remote_server + "/sparql", params={"query": "ASK {}"}, headers={"Accept": "image/png"})
    assert answer.status_code == 406


GRAPH = "https://w3id.org/zgckg/graph/user/protocol-test"


@pytest.mark.parametrize("headers, status", [({}, 401), ({"Authorization": "Bearer wrong"}, 403)])
def test_writes_need_the_token(remote_server, headers, status):
    answer = requests.post(remote_server + "/update", headers={**headers, "Content-Type": "application/sparql-update"},
                           data=f"INSERT DATA {{ GRAPH <{GRAPH}> {{ <http://e/a> <http://e/b> 'x' }} }}".encode())
    assert answer.status_code == status


def test_the_graph_store_puts_gets_and_deletes_through_zgckg(remote_server):
    auth = {"Authorization": f"Bearer {REMOTE_TOKEN}"}
    turtle = "<http://example.org/a> <http://example.org/b> \"小米\"@zh , 'two' ."
    put = requests.put(remote_server + "/store", params={"graph": GRAPH}, data=turtle.encode(),
                       headers={**auth, "Content-Type": "text/turtle"})
    assert put.status_code in (201, 204), put.text
    got = requests.get(remote_server + "/store", params={"graph": GRAPH},
                       headers={**auth, "Accept": "application/n-triples"})
    assert got.status_code == 200
    graph = rdflib.Graph().parse(data=got.text, format="nt")
    assert (rdflib.URIRef("http://example.org/a"), rdflib.URIRef("http://example.org/b"),
            rdflib.Literal("小米", lang="zh")) in graph and len(graph) == 2
    deleted = requests.delete(remote_server + "/store", params={"graph": GRAPH}, headers=auth)
    assert deleted.status_code in (200, 204)
    assert requests.get(remote_server + "/store", params={"graph": GRAPH}, headers=auth).status_code == 404


@pytest.fixture
def listener():
    sock = socket.socket()
    sock.bind(("127.0.0.1", 0))
    sock.listen(16)
    yield sock.getsockname()[1]
    contacted = bool(select.select([sock], [], [], 0.05)[0])
    sock.close()
    assert not contacted, "something connected to the listener"


def test_service_and_load_reach_nothing(remote_server, listener):
    target = f"http://127.0.0.1:{listener}/"
    service = requests.post(remote_server + "/sparql", data={"query": f"SELECT * {{ SERVICE <{target}> {{ ?s ?p ?o }} }}"})
    assert service.status_code == 403
    load = requests.post(remote_server + "/update", data={"update": f"LOAD <{target}x.ttl> INTO GRAPH <{GRAPH}>"},
                         headers={"Authorization": f"Bearer {REMOTE_TOKEN}"})
    assert load.status_code == 403


def test_the_service_description_and_health_name_the_remote_engine(remote_server, virtuoso_published):
    health = requests.get(remote_server + "/healthz").json()
    assert health["status"] == "ok" and "remote" in health["engine"]
    assert requests.get(remote_server + "/readyz").status_code == 200


@pytest.fixture
def turtle_host():
    """A public-looking host name whose bytes come from a local server answering one Turtle document."""
    import threading
    from http.server import BaseHTTPRequestHandler, HTTPServer

    class Handler(BaseHTTPRequestHandler):
        def do_GET(self):
            body = '<http://example.org/loaded> <http://example.org/p> "从远处载入"@zh .'.encode()
            self.send_response(200)
            self.send_header("Content-Type", "text/turtle")
            self.send_header("Content-Length", str(len(body)))
            self.end_headers()
            self.wfile.write(body)

        def log_message(self, *args):
            pass

    server = HTTPServer(("127.0.0.1", 0), Handler)
    thread = threading.Thread(target=server.serve_forever, daemon=True)
    thread.start()
    yield server.server_port
    server.shutdown()
    server.server_close()


def test_load_from_an_allowed_host_is_fetched_by_zgckg_and_applied_whole(virtuoso_published, turtle_host, monkeypatch):
    from conftest import engine_credentials, remote_network
    from zgckg.app import close_app, create_app
    from zgckg.config import Config
    from zgckg.kg.engine.remote import RemoteEngine

    for name, value in engine_credentials(virtuoso_published).items():
        if name.startswith("ZGCKG_ENGINE_"):
            monkeypatch.setenv(name, value)
    config = Config(engine=virtuoso_published.sparql, write_token=REMOTE_TOKEN, service_allowlist=("data.example",))
    engine = RemoteEngine(config, network=remote_network(("data.example", turtle_host)))
    app = create_app(config, engine=engine)
    try:
        client = app.test_client()
        target = "https://w3id.org/zgckg/graph/user/loaded"
        done = client.post("/update", headers={"Authorization": f"Bearer {REMOTE_TOKEN}"}, data={
            "update": f"LOAD <http://data.example/x.ttl> INTO GRAPH <{target}> ; "
                      f"INSERT DATA {{ GRAPH <{target}> {{ <http://example.org/loaded> <http://example.org/q> 1 }} }}"})
        assert done.status_code == 204, done.get_data(as_text=True)
        rows = client.get("/sparql", query_string={"query": f"SELECT ?p ?o {{ GRAPH <{target}> {{ ?s ?p ?o }} }}"},
                          headers={"Accept": "application/json"}).get_json()["results"]["bindings"]
        assert sorted(r["o"]["value"] for r in rows) == ["1", "从远处载入"]
        # nothing is left under a staging name
        graphs = client.get("/sparql", query_string={"query": "SELECT DISTINCT ?g { GRAPH ?g { ?s ?p ?o } }"},
                            headers={"Accept": "application/json"}).get_json()["results"]["bindings"]
        assert not [g for g in graphs if "~load-" in g["g"]["value"]]
        failed = client.post("/update", headers={"Authorization": f"Bearer {REMOTE_TOKEN}"}, data={
            "update": f"LOAD <http://data.example/y.ttl> INTO GRAPH <{target}-2> ; CREATE GRAPH <{target}>"})
        assert failed.status_code in (400, 409)  # the store refuses the CREATE, and says so
        graphs = client.get("/sparql", query_string={"query": "SELECT DISTINCT ?g { GRAPH ?g { ?s ?p ?o } }"},
                            headers={"Accept": "application/json"}).get_json()["results"]["bindings"]
        assert not [g for g in graphs if "~load-" in g["g"]["value"]]  # nor after a failure
    finally:
        close_app(app)
