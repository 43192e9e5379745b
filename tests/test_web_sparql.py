"""/sparql: the SPARQL 1.1 Protocol query operation and the service description, through the app."""

import json

import pyoxigraph as ox
import pytest

from zgckg.namespaces import GRAPH_ASSERTED, GRAPH_INFERRED

COUNT = "SELECT (COUNT(*) AS ?n) WHERE { ?s ?p ?o }"
SD = "http://www.w3.org/ns/sparql-service-description#"


def count(response) -> int:
    assert response.status_code == 200, response.get_data(as_text=True)
    return int(response.get_json(force=True)["results"]["bindings"][0]["n"]["value"])


def test_get_without_accept_returns_sparql_json(web_client):
    response = web_client.get("/sparql", query_string={"query": "ASK { ?s ?p ?o }"})
    assert response.status_code == 200
    assert response.mimetype == "application/sparql-results+json"
    assert response.get_json(force=True) == {"head": {}, "boolean": True}
    assert "Accept" in response.vary


def test_post_form_and_post_direct_give_the_same_answer(web_client):
    by_form = web_client.post("/sparql", data={"query": COUNT})
    direct = web_client.post("/sparql", data=COUNT.encode(), content_type="application/sparql-query")
    assert count(by_form) == count(direct) == 16  # the union of every graph, default graph included


@pytest.mark.parametrize("charset", ["utf-8", "UTF8", "u8", "utf_8"])
def test_post_direct_takes_utf8_under_any_of_its_names(web_client, charset):
    query = 'ASK { ?s ?p "示例园区"@zh }'
    response = web_client.post("/sparql", data=query.encode("utf-8"),
                               content_type=f"application/sparql-query; charset={charset}")
    assert response.get_json(force=True)["boolean"] is True


@pytest.mark.parametrize("charset", ["gb18030", "latin-1", "punycode", "undefined", "utf-16", "no-such-charset"])
@pytest.mark.parametrize("content_type", ["application/sparql-query", "application/x-www-form-urlencoded"],
                         ids=["direct", "form"])
def test_a_charset_other_than_utf8_is_a_415(web_client, charset, content_type):
    response = web_client.post("/sparql", data=b"query=ASK%7B%7D" if "form" in content_type else b"ASK {}",
                               content_type=f"{content_type}; charset={charset}")
    assert response.status_code == 415
    assert "send the request as UTF-8" in response.get_data(as_text=True)


@pytest.mark.parametrize(
    "send",
    [
        lambda c: c.get("/sparql?query=ASK%7B%22%FF%22%7D"),
        lambda c: c.post("/sparql", data=b"query=ASK%7B%22%FF%22%7D", content_type="application/x-www-form-urlencoded"),
        lambda c: c.post("/sparql", data=b'ASK {"\xff"}',
                         content_type="application/sparql-query"),
    ],
    ids=["get", "form-post", "direct-post"],
)
def test_invalid_utf8_is_a_400_in_every_form(web_client, send):
    response = send(web_client)
    assert response.status_code == 400
    assert "not valid UTF-8" in response.get_data(as_text=True)


@pytest.mark.parametrize(
    "params, expected",
    [
        ({"default-graph-uri": GRAPH_ASSERTED}, 13),
        ({"default-graph-uri": [GRAPH_ASSERTED, GRAPH_INFERRED]}, 15),
        ({"named-graph-uri": GRAPH_INFERRED}, 0),
    ],
    ids=["one-default-graph", "two-default-graphs", "named-only-leaves-default-empty"],
)
def test_protocol_dataset_defines_the_default_graph(web_client, params, expected):
    assert count(web_client.get("/sparql", query_string={"query": COUNT, **params})) == expected


def test_protocol_dataset_overrides_from_clauses(web_client):
    query = f"SELECT (COUNT(*) AS ?n) FROM <{GRAPH_INFERRED}> WHERE {{ ?s ?p ?o }}"
    assert count(web_client.get("/sparql", query_string={"query": query})) == 2
    assert count(web_client.get("/sparql", query_string={"query": query, "default-graph-uri": GRAPH_ASSERTED})) == 13


def test_named_graph_uri_limits_graph_patterns(web_client):
    query = "SELECT (COUNT(*) AS ?n) WHERE { GRAPH ?g { ?s ?p ?o } }"
    assert count(web_client.post("/sparql", data={"query": query, "named-graph-uri": GRAPH_INFERRED})) == 2


def test_dataset_parameters_in_the_url_of_a_direct_post(web_client):
    response = web_client.post(f"/sparql?default-graph-uri={GRAPH_INFERRED}", data=COUNT,
                               content_type="application/sparql-query")
    assert count(response) == 2


@pytest.mark.parametrize(
    "query, fmt, media_type",
    [
        ("SELECT * WHERE { ?s ?p ?o }", "xml", "application/sparql-results+xml"),
        ("SELECT * WHERE { ?s ?p ?o }", "csv", "text/csv"),
        ("SELECT * WHERE { ?s ?p ?o }", "tsv", "text/tab-separated-values"),
        ("ASK { ?s ?p ?o }", "xml", "application/sparql-results+xml"),
        ("CONSTRUCT WHERE { ?s ?p ?o }", "turtle", "text/turtle"),
        ("CONSTRUCT WHERE { ?s ?p ?o }", "ntriples", "application/n-triples"),
        ("CONSTRUCT WHERE { ?s ?p ?o }", "rdfxml", "application/rdf+xml"),
        ("CONSTRUCT WHERE { ?s ?p ?o }", "jsonld", "application/ld+json"),
        ("CONSTRUCT WHERE { ?s ?p ?o }", "nquads", "application/n-quads"),
        ("CONSTRUCT WHERE { ?s ?p ?o }", "trig", "application/trig"),
        ("DESCRIBE <http://example.org/park>", "turtle", "text/turtle"),
    ],
)
def test_format_parameter_chooses_the_serialisation(web_client, query, fmt, media_type):
    response = web_client.get("/sparql", query_string={"query": query, "format": fmt})
    assert response.status_code == 200
    assert response.mimetype == media_type


def test_text_formats_say_their_charset(web_client):
    response = web_client.get("/sparql", query_string={"query": "SELECT * { ?s ?p ?o }"}, headers={"Accept": "text/csv"})
    assert response.headers["Content-Type"] == "text/csv; charset=utf-8"


def test_construct_without_accept_is_turtle_with_the_data(web_client):
    response = web_client.get("/sparql", query_string={"query": "CONSTRUCT WHERE { ?s a ?t }"})
    assert response.mimetype == "text/turtle"
    triples = list(ox.parse(response.data, ox.RdfFormat.TURTLE))
    assert len(triples) == 4


def test_union_default_graph_includes_inferred_triples(web_client):
    query = "ASK { <http://example.org/lab> a <http://example.org/Organisation> }"
    assert web_client.get("/sparql", query_string={"query": query}).get_json(force=True)["boolean"] is True


def test_row_cap_lowered_by_the_client_fails_the_request(web_client):
    response = web_client.get("/sparql", query_string={"query": "SELECT * WHERE { ?s ?p ?o }", "max-rows": "3"})
    assert response.status_code == 400
    assert "more than 3 rows" in response.get_data(as_text=True)


def test_get_without_query_is_the_service_description(web_client):
    response = web_client.get("/sparql")
    assert response.mimetype == "text/turtle"
    graph = list(ox.parse(response.data, ox.RdfFormat.TURTLE))
    objects = {str(t.object.value) for t in graph}
    assert {SD + "Service", SD + "SPARQL11Query", SD + "UnionDefaultGraph", GRAPH_ASSERTED, GRAPH_INFERRED} <= objects
    assert "http://localhost/sparql" in {t.subject.value for t in graph}
    assert SD + "BasicFederatedQuery" not in objects  # nothing is on the SERVICE allow-list


def test_service_description_revalidates(web_client):
    first = web_client.get("/sparql")
    assert web_client.get("/sparql", headers={"If-None-Match": first.headers["ETag"]}).status_code == 304


def test_service_description_by_accept(web_client):
    response = web_client.get("/sparql", headers={"Accept": "application/ld+json"})
    assert response.mimetype == "application/ld+json"
    assert any(SD + "Service" in json.dumps(node) for node in response.get_json(force=True))


def test_service_description_lists_graph_sizes(web_client):
    response = web_client.get("/sparql", headers={"Accept": "application/n-triples"})
    sizes = [t.object.value for t in ox.parse(response.data, ox.RdfFormat.N_TRIPLES)
             if t.predicate.value == "http://rdfs.org/ns/void#triples"]
    assert sorted(sizes) == ["13", "2"]


def test_head_request_has_no_body(web_client):
    response = web_client.head("/sparql", query_string={"query": "ASK {}"})
    assert (response.status_code, response.data) == (200, b"")


def test_home_page_links_to_the_endpoint(web_client):
    response = web_client.get("/")
    assert response.mimetype == "text/html"
    assert 'href="http://localhost/sparql"' in response.get_data(as_text=True)


def test_home_page_states_the_service_limits_of_this_server(tmp_path):
    from conftest import build_web_store
    from zgckg.app import close_app, create_app
    from zgckg.config import Config

    store_dir = build_web_store(tmp_path / "store")
    app = create_app(Config(store=store_dir.root, workers=1, service_allowlist=("data.example",),
                            service_connect_timeout=2.5, service_read_timeout=7), store=store_dir)
    try:
        page = app.test_client().get("/").get_data(as_text=True)
    finally:
        close_app(app)
    assert "allowed: data.example. Such a host has\n2.5 s to accept the connection" in page
    assert "silent 7 s at most" in page


def test_home_page_lists_the_predeclared_prefixes_and_the_query_limits(web_client):
    page = web_client.get("/").get_data(as_text=True)
    assert "<code>zgo:</code> &lt;https://w3id.org/zgckg/ontology#&gt;" in page
    assert "at most 200000 characters, 64 nested brackets and 2000\ntriple patterns" in page


def test_the_project_prefixes_are_predeclared_and_a_query_prefix_wins(web_client):
    predeclared = web_client.get("/sparql", query_string={"query": "ASK { ?s a zgo:Nothing }"})
    assert predeclared.status_code == 200 and predeclared.get_json()["boolean"] is False
    own = web_client.get("/sparql", query_string={
        "query": "PREFIX zgo: <http://other.example/> SELECT (zgo:x AS ?x) {}"})
    assert own.get_json()["results"]["bindings"][0]["x"]["value"] == "http://other.example/x"


def test_service_description_declares_the_predeclared_prefixes(web_client):
    from zgckg.namespaces import PREFIXES

    sh, xsd_any_uri = "http://www.w3.org/ns/shacl#", "http://www.w3.org/2001/XMLSchema#anyURI"
    response = web_client.get("/sparql", headers={"Accept": "application/n-triples"})
    graph = list(ox.parse(response.data, ox.RdfFormat.N_TRIPLES))
    declarations = {t.object for t in graph
                    if t.subject.value == "http://localhost/sparql" and t.predicate.value == sh + "declare"}
    declared = {}
    for node in declarations:
        values = {t.predicate.value: t.object for t in graph if t.subject == node}
        assert values[sh + "namespace"].datatype.value == xsd_any_uri
        declared[values[sh + "prefix"].value] = values[sh + "namespace"].value
    assert declared == PREFIXES
    turtle = web_client.get("/sparql").get_data(as_text=True)
    assert "sh:declare" in turtle and 'sh:prefix "zgo"' in turtle
