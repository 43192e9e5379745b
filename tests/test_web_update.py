"""/update and /store: only with the write token, all-or-nothing, and seen by the next query."""

import uuid

import pyoxigraph as ox
import pytest

from conftest import WEB_TOKEN

AUTH = {"Authorization": f"Bearer {WEB_TOKEN}"}
GRAPH = "http://example.org/graph/uploaded"


@pytest.fixture
def client(write_app):
    return write_app.test_client()


def ask(client, query) -> bool:
    response = client.get("/sparql", query_string={"query": query})
    assert response.status_code == 200, response.get_data(as_text=True)
    return response.get_json(force=True)["boolean"]


def test_writes_are_off_without_a_configured_token(web_client):
    response = web_client.post("/update", data="CLEAR ALL", content_type="application/sparql-update", headers=AUTH)
    assert response.status_code == 403
    assert "--write-token" in response.get_data(as_text=True)
    assert web_client.get("/store?default", headers=AUTH).status_code == 403


@pytest.mark.parametrize(
    "headers, status",
    [({}, 401), ({"Authorization": "Bearer wrong"}, 403), ({"Authorization": f"Basic {WEB_TOKEN}"}, 401),
     ({"Authorization": "Bearer "}, 401)],
    ids=["none", "wrong-token", "wrong-scheme", "empty-token"],
)
def test_update_needs_the_bearer_token(client, headers, status):
    response = client.post("/update", data="CLEAR ALL", content_type="application/sparql-update", headers=headers)
    assert response.status_code == status
    if status == 401:
        assert response.headers["WWW-Authenticate"].startswith("Bearer")
    assert ask(client, "ASK { GRAPH ?g { ?s ?p ?o } }")  # nothing was cleared


def test_update_is_applied_and_the_next_query_sees_it(client):
    insert = 'INSERT DATA { <http://example.org/new> <http://example.org/p> "added" }'
    query = 'ASK { <http://example.org/new> <http://example.org/p> "added" }'
    assert not ask(client, query)
    response = client.post("/update", data=insert, content_type="application/sparql-update", headers=AUTH)
    assert response.status_code == 204
    assert ask(client, query)  # the cached "false" belonged to the previous store version


def test_update_by_form(client):
    response = client.post("/update", data={"update": "INSERT DATA { <http://example.org/f> <http://example.org/p> 1 }"},
                           headers=AUTH)
    assert response.status_code == 204
    assert ask(client, "ASK { <http://example.org/f> ?p 1 }")


def test_update_syntax_error_is_400_and_changes_nothing(client, write_app):
    before = write_app.extensions["zgckg"].version()
    response = client.post("/update", data="INSERT DATA { <http://example.org/a> }",
                           content_type="application/sparql-update", headers=AUTH)
    assert response.status_code == 400 and "line 1" in response.get_data(as_text=True)
    assert write_app.extensions["zgckg"].version() == before


def test_well_formed_update_that_cannot_apply_is_409_and_changes_nothing(client, write_app):
    before = write_app.extensions["zgckg"].version()
    response = client.post("/update", data="DROP GRAPH <http://example.org/not-there>",
                           content_type="application/sparql-update", headers=AUTH)
    assert response.status_code == 409
    assert "does not exist" in response.get_data(as_text=True)
    assert write_app.extensions["zgckg"].version() == before


def test_query_endpoint_never_runs_an_update(client):
    response = client.post("/sparql", data={"query": "CLEAR ALL"}, headers=AUTH)
    assert response.status_code == 400
    assert ask(client, "ASK { GRAPH ?g { ?s ?p ?o } }")


def test_update_endpoint_takes_only_post(client):
    assert client.get("/update", headers=AUTH).status_code == 405


def test_update_with_an_unknown_content_type_is_415(client):
    assert client.post("/update", data="CLEAR ALL", content_type="text/plain", headers=AUTH).status_code == 415


def test_graph_store_round_trip(client):
    turtle = b"<http://example.org/u> <http://example.org/p> 1, 2 ."
    created = client.put(f"/store?graph={GRAPH}", data=turtle, content_type="text/turtle", headers=AUTH)
    replaced = client.put(f"/store?graph={GRAPH}", data=turtle[:-5] + b" .", content_type="text/turtle", headers=AUTH)
    merged = client.post(f"/store?graph={GRAPH}", data=b'<http://example.org/u> <http://example.org/p> "3" .',
                         content_type="application/n-triples", headers=AUTH)
    assert (created.status_code, replaced.status_code, merged.status_code) == (201, 204, 204)
    read = client.get(f"/store?graph={GRAPH}", headers={**AUTH, "Accept": "application/n-triples"})
    assert read.mimetype == "application/n-triples"
    assert len(list(ox.parse(read.data, ox.RdfFormat.N_TRIPLES))) == 2
    assert client.delete(f"/store?graph={GRAPH}", headers=AUTH).status_code == 204
    assert client.get(f"/store?graph={GRAPH}", headers=AUTH).status_code == 404


def test_graph_store_default_graph(client):
    response = client.get("/store?default", headers=AUTH)
    assert response.status_code == 200 and response.mimetype == "text/turtle"


@pytest.mark.parametrize(
    "url, kwargs, status",
    [
        ("/store", {}, 400),
        (f"/store?default&graph={GRAPH}", {}, 400),
        ("/store?graph=relative", {}, 400),
        (f"/store?graph={GRAPH}", {"method": "PUT", "data": b"x", "content_type": "text/html"}, 415),
        (f"/store?graph={GRAPH}", {"method": "PUT", "data": b"<a> <b>", "content_type": "text/turtle"}, 400),
        ("/store?default", {"headers": {"Accept": "text/csv"}}, 406),
        ("/store?default", {"method": "PATCH"}, 405),
    ],
    ids=["no-graph", "both", "relative-iri", "unknown-syntax", "broken-turtle", "not-acceptable", "patch"],
)
def test_graph_store_refusals(client, url, kwargs, status):
    method = kwargs.pop("method", "GET")
    headers = {**AUTH, **kwargs.pop("headers", {})}
    assert client.open(url, method=method, headers=headers, **kwargs).status_code == status


def test_graph_store_needs_the_token(client):
    assert client.put(f"/store?graph={GRAPH}", data=b"", content_type="text/turtle").status_code == 401


def test_union_off_keeps_the_default_graph_apart(client):
    assert not ask(client, "ASK { <http://example.org/lab> a <http://example.org/Organisation> }")
    assert ask(client, "ASK { GRAPH ?g { <http://example.org/lab> a <http://example.org/Organisation> } }")


def test_graph_store_takes_uploads_larger_than_the_query_body_limit(client, write_app):
    limit = write_app.extensions["zgckg"].config.max_body_bytes
    lines = [f'<http://example.org/big/{i}> <http://example.org/p> "{"x" * 60}" .' for i in range(limit // 60)]
    body = "\n".join(lines).encode()
    assert len(body) > limit
    response = client.put("/store?graph=http://example.org/big", data=body, content_type="application/n-triples",
                          headers=AUTH)
    assert response.status_code == 201
    assert client.delete("/store?graph=http://example.org/big", headers=AUTH).status_code == 204


# --- the update dataset: using-graph-uri and using-named-graph-uri -----------------------------------

UPDATE_BODY = "application/sparql-update"


def post_update(client, text, how, params):
    """POST an update with protocol parameters, the three ways the protocol allows."""
    if how == "body":  # parameters in the URL, the update as the body
        return client.post("/update", query_string=params, data=text, content_type=UPDATE_BODY, headers=AUTH)
    if how == "form":
        return client.post("/update", data={"update": text, **params}, headers=AUTH)
    return client.post("/update", query_string=params, data={"update": text}, headers=AUTH)  # form-url


HOW = pytest.mark.parametrize("how", ["body", "form", "form-url"])


@pytest.fixture
def graphs(client, request):
    """Two fresh named graphs, one triple each, under a base of their own (the store is shared by the module)."""
    base = f"http://example.org/using/{uuid.uuid4().hex}/"
    data = (f'INSERT DATA {{ GRAPH <{base}g1> {{ <{base}one> <{base}p> "one" }} '
            f'GRAPH <{base}g2> {{ <{base}two> <{base}p> "two" }} }}')
    assert client.post("/update", data=data, content_type=UPDATE_BODY, headers=AUTH).status_code == 204
    return base


def select(client, query, variable) -> set[str]:
    response = client.get("/sparql", query_string={"query": query},
                          headers={"Accept": "application/sparql-results+json"})
    assert response.status_code == 200, response.get_data(as_text=True)
    return {row[variable]["value"] for row in response.get_json()["results"]["bindings"]}


@HOW
@pytest.mark.parametrize("using, copied", [(["g1"], {"one"}), (["g1", "g2"], {"one", "two"})],
                         ids=["one-graph", "two-graphs"])
def test_using_graph_uri_is_the_default_graph_of_the_where(client, graphs, how, using, copied):
    update = f"INSERT {{ GRAPH <{graphs}out> {{ ?s ?p ?o }} }} WHERE {{ ?s ?p ?o }}"
    response = post_update(client, update, how, {"using-graph-uri": [graphs + g for g in using]})
    assert response.status_code == 204, response.get_data(as_text=True)
    # without the parameter the WHERE would see the store's default graph ("test dataset") instead
    assert select(client, f"SELECT ?o {{ GRAPH <{graphs}out> {{ ?s ?p ?o }} }}", "o") == copied


@HOW
def test_using_named_graph_uri_is_exactly_what_graph_sees(client, graphs, how):
    update = f"INSERT {{ GRAPH <{graphs}out> {{ ?s <{graphs}in> ?g }} }} WHERE {{ GRAPH ?g {{ ?s ?p ?o }} }}"
    response = post_update(client, update, how, {"using-named-graph-uri": [graphs + "g1", graphs + "g2"]})
    assert response.status_code == 204, response.get_data(as_text=True)
    assert select(client, f"SELECT ?g {{ GRAPH <{graphs}out> {{ ?s ?p ?g }} }}", "g") == {graphs + "g1", graphs + "g2"}


@HOW
def test_delete_where_short_form_deletes_only_in_the_named_dataset(client, graphs, how):
    response = post_update(client, "DELETE WHERE { GRAPH ?g { ?s ?p ?o } }", how,
                           {"using-named-graph-uri": graphs + "g1"})
    assert response.status_code == 204, response.get_data(as_text=True)
    assert select(client, f"SELECT ?o {{ GRAPH ?g {{ ?s <{graphs}p> ?o }} }}", "o") == {"two"}
    assert ask(client, "ASK { GRAPH <https://w3id.org/zgckg/graph/asserted> { ?s ?p ?o } }")


@HOW
@pytest.mark.parametrize(
    "update, clause",
    [
        ("WITH <http://example.org/g> DELETE { ?s ?p ?o } WHERE { ?s ?p ?o }", "WITH"),
        ("DELETE { ?s ?p ?o } USING <http://example.org/g> WHERE { ?s ?p ?o }", "USING"),
        ("INSERT { ?s ?p ?o } USING NAMED <http://example.org/g> WHERE { GRAPH ?g { ?s ?p ?o } }", "USING NAMED"),
    ],
    ids=["with", "using", "using-named"],
)
def test_parameters_next_to_a_dataset_clause_are_400_and_change_nothing(client, write_app, how, update, clause):
    before = write_app.extensions["zgckg"].version()
    response = post_update(client, update, how, {"using-graph-uri": "http://example.org/g"})
    assert response.status_code == 400
    message = response.get_data(as_text=True)
    assert "using-graph-uri" in message and f"the {clause} clause" in message
    assert write_app.extensions["zgckg"].version() == before


@HOW
@pytest.mark.parametrize("name", ["using-graph-uri", "using-named-graph-uri"])
@pytest.mark.parametrize("value", ["relative/graph", "", "http://example.org/a graph"],
                         ids=["relative", "empty", "space"])
def test_a_parameter_that_is_not_an_absolute_iri_is_400_naming_it(client, write_app, how, name, value):
    before = write_app.extensions["zgckg"].version()
    response = post_update(client, "CLEAR DEFAULT", how, {name: value})
    assert response.status_code == 400
    assert f"`{name}` must be an absolute IRI" in response.get_data(as_text=True)
    assert write_app.extensions["zgckg"].version() == before


def test_parameters_leave_operations_without_where_alone(client, graphs):
    update = f'INSERT DATA {{ GRAPH <{graphs}g1> {{ <{graphs}new> <{graphs}p> "new" }} }}'
    response = post_update(client, update, "body", {"using-graph-uri": graphs + "g2"})
    assert response.status_code == 204, response.get_data(as_text=True)
    assert select(client, f"SELECT ?o {{ GRAPH <{graphs}g1> {{ ?s ?p ?o }} }}", "o") == {"one", "new"}


@pytest.mark.parametrize("charset", ["utf-16", "latin-1"])
def test_an_update_in_another_charset_is_a_415_and_changes_nothing(client, charset):
    response = client.post("/update", data='INSERT DATA { <http://x.example/c> <http://x.example/p> "é" }'.encode(charset),
                           content_type=f"application/sparql-update; charset={charset}", headers=AUTH)
    assert response.status_code == 415
    assert not ask(client, "ASK { <http://x.example/c> ?p ?o }")


def test_an_update_with_invalid_utf8_is_a_400(client):
    response = client.post("/update", data=b'INSERT DATA { <http://x.example/d> <http://x.example/p> "\xff" }',
                           content_type="application/sparql-update", headers=AUTH)
    assert response.status_code == 400 and "not valid UTF-8" in response.get_data(as_text=True)


@pytest.mark.parametrize("path, method", [("/update", "POST"), ("/store?default", "PUT")], ids=["update", "store"])
def test_a_browser_page_may_send_the_token_to_the_write_endpoints(client, path, method):
    preflight = client.options(path, headers={"Origin": "https://app.example", "Access-Control-Request-Method": method,
                                              "Access-Control-Request-Headers": "authorization, content-type"})
    assert preflight.status_code == 204
    assert "Authorization" in preflight.headers["Access-Control-Allow-Headers"]
    assert method in preflight.headers["Access-Control-Allow-Methods"]
    refused = client.post("/update", data="CLEAR DEFAULT", content_type="application/sparql-update",
                          headers={"Origin": "https://app.example"})
    assert refused.status_code == 401 and refused.headers["Access-Control-Allow-Origin"] == "*"


ASSERTED = "https://w3id.org/zgckg/graph/asserted"


@pytest.mark.parametrize(
    "update",
    [f'INSERT DATA {{ GRAPH <{ASSERTED}> {{ <http://x.example/a> <http://x.example/b> "c" }} }}',
     f"CLEAR GRAPH <{ASSERTED}>", "DROP ALL",
     "DELETE { GRAPH ?g { ?s ?p ?o } } WHERE { GRAPH ?g { ?s ?p ?o } }",
     f"MOVE <{ASSERTED}> TO <http://x.example/elsewhere>"],
    ids=["insert-data", "clear-graph", "drop-all", "delete-in-any-graph", "move-away"],
)
def test_an_update_that_would_change_a_built_graph_is_a_409_and_changes_nothing(client, update):
    before = select(client, f"SELECT (COUNT(*) AS ?n) {{ GRAPH <{ASSERTED}> {{ ?s ?p ?o }} }}", "n")
    response = client.post("/update", data=update, content_type="application/sparql-update", headers=AUTH)
    assert response.status_code == 409
    text = response.get_data(as_text=True)
    assert f"<{ASSERTED}>" in text and "made by `zgckg build`" in text and "graph/user/NAME" in text
    assert select(client, f"SELECT (COUNT(*) AS ?n) {{ GRAPH <{ASSERTED}> {{ ?s ?p ?o }} }}", "n") == before


@pytest.mark.parametrize("method", ["PUT", "POST", "DELETE"])
def test_a_graph_store_write_into_a_built_graph_is_a_409(client, method):
    response = client.open(f"/store?graph={ASSERTED}", method=method, data='<http://x.example/a> <http://x.example/b> "c" .',
                           content_type="application/n-triples", headers=AUTH)
    assert response.status_code == 409 and "zgckg build" in response.get_data(as_text=True)
