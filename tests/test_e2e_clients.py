"""End to end: a real server on a free port, driven by real SPARQL clients in every result format."""

import csv
import gzip
import io
import json

import pytest
import rdflib
import requests
from rdflib.plugins.stores.sparqlstore import SPARQLStore
from SPARQLWrapper import CSV, JSON, JSONLD, N3, POST, POSTDIRECTLY, TSV, TURTLE, XML, SPARQLWrapper

LABELS = "SELECT ?s ?label WHERE { ?s <http://www.w3.org/2000/01/rdf-schema#label> ?label } ORDER BY ?s ?label"
CONSTRUCT = "CONSTRUCT { ?s a ?type } WHERE { ?s a ?type }"
TYPES = {("http://example.org/park", "http://example.org/Park"), ("http://example.org/park", "http://example.org/Place"),
         ("http://example.org/lab", "http://example.org/Platform"),
         ("http://example.org/lab", "http://example.org/Organisation")}
# SPARQLWrapper and rdflib's N3 parser still build rdflib's deprecated ConjunctiveGraph internally
RDFLIB_INTERNALS = pytest.mark.filterwarnings(
    "ignore:ConjunctiveGraph is deprecated:DeprecationWarning",
    "ignore:Dataset.default_context is deprecated:DeprecationWarning",
)
BIG = "SELECT * WHERE { ?a ?b ?c . ?d ?e ?f . ?g ?h ?i }"  # 16³ rows: several MB, answered from a spool file


def wrapper(url, query, fmt, method=None):
    client = SPARQLWrapper(url + "/sparql")
    client.setQuery(query)
    client.setReturnFormat(fmt)
    if method == POSTDIRECTLY:
        client.setMethod(POST)
        client.setRequestMethod(POSTDIRECTLY)
    elif method:
        client.setMethod(method)
    return client.query().convert()


def type_pairs(graph):
    return {(str(s), str(o)) for s, _, o in graph}


@pytest.mark.parametrize("method", [None, POST, POSTDIRECTLY], ids=["get", "post-form", "post-direct"])
def test_sparqlwrapper_select_json(live_server, method):
    result = wrapper(live_server, LABELS, JSON, method)
    labels = [(b["s"]["value"], b["label"]["value"], b["label"].get("xml:lang")) for b in result["results"]["bindings"]]
    assert ("http://example.org/park", "示例园区", "zh") in labels
    assert len(labels) == 4


def test_sparqlwrapper_select_xml(live_server):
    document = wrapper(live_server, LABELS, XML)
    literals = [node.firstChild.data for node in document.getElementsByTagName("literal")]
    assert "示例实验室" in literals and len(literals) == 4


@pytest.mark.parametrize("fmt, delimiter", [(CSV, ","), (TSV, "\t")], ids=["csv", "tsv"])
def test_sparqlwrapper_select_csv_and_tsv(live_server, fmt, delimiter):
    rows = list(csv.reader(io.StringIO(wrapper(live_server, LABELS, fmt).decode("utf-8")), delimiter=delimiter))
    assert len(rows) == 5  # header and four labels
    assert any("示例园区" in cell for row in rows for cell in row)


@pytest.mark.parametrize("fmt", [JSON, XML], ids=["json", "xml"])
def test_sparqlwrapper_ask(live_server, fmt):
    result = wrapper(live_server, "ASK { <http://example.org/lab> <http://example.org/locatedIn> ?where }", fmt)
    if fmt == JSON:
        assert result["boolean"] is True
    else:
        assert result.getElementsByTagName("boolean")[0].firstChild.data == "true"


@RDFLIB_INTERNALS
@pytest.mark.parametrize("fmt", [TURTLE, N3, XML, JSONLD], ids=["turtle", "n3", "rdfxml", "jsonld"])
def test_sparqlwrapper_construct(live_server, fmt):
    result = wrapper(live_server, CONSTRUCT, fmt)
    graph = rdflib.Graph().parse(data=result, format="turtle" if fmt == TURTLE else "n3") if isinstance(result, bytes) else result
    assert type_pairs(graph) == TYPES


@RDFLIB_INTERNALS
def test_sparqlwrapper_describe(live_server):
    graph = wrapper(live_server, "DESCRIBE <http://example.org/lab>", XML)
    assert (rdflib.URIRef("http://example.org/lab"), rdflib.URIRef("http://example.org/locatedIn"),
            rdflib.URIRef("http://example.org/park")) in graph


@pytest.mark.parametrize("method", ["GET", "POST", "POST_FORM"])
@pytest.mark.parametrize("return_format", ["xml", "json", "csv", "tsv"])
def test_rdflib_sparqlstore_select(live_server, method, return_format):
    store = SPARQLStore(live_server + "/sparql", method=method, returnFormat=return_format)
    rows = {(str(r[0]), str(r[1])) for r in store.query(LABELS)}
    assert ("http://example.org/lab", "示例实验室") in rows and len(rows) == 4


def test_rdflib_sparqlstore_as_a_graph(live_server):
    graph = rdflib.Graph(SPARQLStore(live_server + "/sparql"))
    park = rdflib.URIRef("http://example.org/park")
    assert rdflib.Literal("Example park", lang="en") in set(graph.objects(park, rdflib.RDFS.label))
    assert len(graph) == 16


def test_rdflib_sparqlstore_construct(live_server):
    result = SPARQLStore(live_server + "/sparql").query(CONSTRUCT)
    assert type_pairs(result.graph) == TYPES


@RDFLIB_INTERNALS
@pytest.mark.parametrize(
    "accept, rdflib_format",
    [("application/n-triples", "nt"), ("application/n-quads", "nquads"), ("application/trig", "trig"),
     ("application/ld+json", "json-ld"), ("application/rdf+xml", "xml"), ("text/turtle", "turtle")],
)
def test_every_rdf_format_parses(live_server, accept, rdflib_format):
    response = requests.get(live_server + "/sparql", params={"query": CONSTRUCT}, headers={"Accept": accept})
    assert response.headers["Content-Type"].split(";")[0] == accept
    dataset = rdflib.Dataset().parse(data=response.content, format=rdflib_format)
    assert {(str(s), str(o)) for s, _, o, _ in dataset.quads()} == TYPES


def test_large_answer_streams_from_a_spool_file(live_server, web_app):
    response = requests.get(live_server + "/sparql", params={"query": BIG}, headers={"Accept-Encoding": "identity"})
    assert response.status_code == 200
    assert int(response.headers["Content-Length"]) == len(response.content) > 512 * 1024
    assert len(response.json()["results"]["bindings"]) == 16**3
    assert list(web_app.extensions["zgckg"].engine.readers.spool_dir.iterdir()) == []


def test_large_answer_gzip_streams_and_decompresses(live_server):
    response = requests.get(live_server + "/sparql", params={"query": BIG}, headers={"Accept": "text/csv"},
                            stream=True)
    assert response.headers["Content-Encoding"] == "gzip"
    raw = response.raw.read(decode_content=False)
    assert len(gzip.decompress(raw).decode("utf-8").splitlines()) > 16**3


def test_row_cap_on_a_large_answer(live_server):
    response = requests.get(live_server + "/sparql", params={"query": BIG, "max-rows": "4000"},
                            headers={"Accept": "application/json"})
    assert response.status_code == 400
    assert json.loads(response.text)["limit"] == 4000
