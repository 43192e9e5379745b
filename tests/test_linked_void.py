"""The dataset description (/.well-known/void: VoID and DCAT), robots.txt and the sitemap, over the project's
own store: every count equals a COUNT query sent to /sparql, every dump is a distribution with its size and
checksum, and content negotiation never answers 500."""

import re
import warnings

import pytest
import rdflib
from rdflib.compare import isomorphic
from rdflib import RDF, Literal, Namespace, URIRef
from conftest import sparql_rows as ask

VOID = Namespace("http://rdfs.org/ns/void#")
DCAT = Namespace("http://www.w3.org/ns/dcat#")
DCT = Namespace("http://purl.org/dc/terms/")
SPDX = Namespace("http://spdx.org/rdf/terms#")
SKOS = Namespace("http://www.w3.org/2004/02/skos/core#")
DATASET = URIRef("https://w3id.org/zgckg/id/dataset")
LICENCE = URIRef("https://creativecommons.org/licenses/by/4.0/")
SOURCE = URIRef("https://w3id.org/zgckg/id/report/haidian-park")
ALL = "{ SELECT DISTINCT ?s ?p ?o WHERE { GRAPH ?g { ?s ?p ?o } } }"
"""Every triple of the store once (the project's store holds nothing in its default graph)."""


@pytest.fixture(scope="module")
def void(project_app) -> rdflib.Graph:
    response = project_app.test_client().get("/.well-known/void")
    assert response.status_code == 200, response.get_data(as_text=True)
    assert response.mimetype == "text/turtle"
    return rdflib.Graph().parse(data=response.get_data(as_text=True), format="turtle")


@pytest.fixture(scope="module")
def index(project_app) -> dict:
    return project_app.test_client().get("/dumps/index.json").get_json()


def count(project_client, text: str) -> int:
    return int(ask(project_client, text)[0]["n"]["value"])


def number(graph: rdflib.Graph, subject, predicate) -> int:
    return int(graph.value(subject, predicate))


def test_the_dataset_is_described_with_what_the_data_says_of_it(void):
    assert (DATASET, RDF.type, VOID.Dataset) in void and (DATASET, RDF.type, DCAT.Dataset) in void
    assert (DATASET, DCT.license, LICENCE) in void
    assert (DATASET, DCT.source, SOURCE) in void
    assert (DATASET, DCT.title, Literal("中关村科技园区海淀园知识图谱", lang="zh")) in void
    assert {str(o) for o in void.objects(DATASET, DCT.language)} == {
        "http://id.loc.gov/vocabulary/iso639-1/zh", "http://id.loc.gov/vocabulary/iso639-1/en"}
    assert len(set(void.objects(DATASET, DCT.description))) == 2
    assert void.value(DATASET, VOID.uriSpace) == Literal("https://w3id.org/zgckg/id/")
    assert void.value(DATASET, VOID.sparqlEndpoint) == URIRef("http://localhost/sparql")


def test_the_counts_equal_count_queries(project_client, void):
    assert number(void, DATASET, VOID.triples) == count(project_client, f"SELECT (COUNT(*) AS ?n) WHERE {ALL}")
    assert number(void, DATASET, VOID.distinctSubjects) == count(project_client, f"SELECT (COUNT(DISTINCT ?s) AS ?n) WHERE {ALL}")
    assert number(void, DATASET, VOID.distinctObjects) == count(project_client, f"SELECT (COUNT(DISTINCT ?o) AS ?n) WHERE {ALL}")
    assert number(void, DATASET, VOID.properties) == count(project_client, f"SELECT (COUNT(DISTINCT ?p) AS ?n) WHERE {ALL}")
    assert number(void, DATASET, VOID.classes) == count(
        project_client, "SELECT (COUNT(DISTINCT ?c) AS ?n) WHERE { GRAPH ?g { ?x a ?c } }")
    assert number(void, DATASET, VOID.entities) == count(project_client, """SELECT (COUNT(DISTINCT ?s) AS ?n) WHERE {
        GRAPH ?g { ?s ?p ?o } FILTER(isIRI(?s) && STRSTARTS(STR(?s), "https://w3id.org/zgckg/id/")) }""")
    assert number(void, DATASET, VOID.entities) > 100


def test_every_class_and_property_partition_equals_its_count(project_client, void):
    classes = {row["c"]["value"]: int(row["n"]["value"]) for row in ask(
        project_client, "SELECT ?c (COUNT(DISTINCT ?x) AS ?n) WHERE { GRAPH ?g { ?x a ?c } FILTER(isIRI(?c)) } GROUP BY ?c")}
    described = {str(void.value(part, VOID["class"])): number(void, part, VOID.entities)
                 for part in void.objects(DATASET, VOID.classPartition)}
    assert described == classes
    properties = {row["p"]["value"]: int(row["n"]["value"]) for row in ask(
        project_client, f"SELECT ?p (COUNT(*) AS ?n) WHERE {ALL} GROUP BY ?p")}
    described = {str(void.value(part, VOID.property)): number(void, part, VOID.triples)
                 for part in void.objects(DATASET, VOID.propertyPartition)}
    assert described == properties


def test_vocabularies_are_the_namespaces_of_the_terms_used(void):
    vocabularies = {str(v) for v in void.objects(DATASET, VOID.vocabulary)}
    assert {"https://w3id.org/zgckg/ontology#", "http://www.w3.org/2000/01/rdf-schema#",
            "http://www.w3.org/2004/02/skos/core#", "http://purl.org/linked-data/cube#"} <= vocabularies
    used = {str(p) for part in void.objects(DATASET, VOID.propertyPartition) for p in void.objects(part, VOID.property)}
    assert all(any(p.startswith(v) for v in vocabularies) for p in used)


def test_each_named_graph_is_a_subset_with_its_own_count_and_dumps(project_client, void, index):
    sizes = {row["g"]["value"]: int(row["n"]["value"]) for row in ask(
        project_client, "SELECT ?g (COUNT(*) AS ?n) WHERE { GRAPH ?g { ?s ?p ?o } } GROUP BY ?g")}
    subsets = {str(s): number(void, s, VOID.triples) for s in void.objects(DATASET, VOID.subset)
               if (s, RDF.type, VOID.Linkset) not in void}
    assert subsets == sizes
    dumps = {str(o) for s in [DATASET, *map(URIRef, sizes)] for o in void.objects(s, VOID.dataDump)}
    assert dumps == {f["url"] for f in index["files"]}


def test_links_to_wikidata_are_a_linkset_with_their_count(project_client, void):
    (linkset,) = void.subjects(RDF.type, VOID.Linkset)
    assert (DATASET, VOID.subset, linkset) in void
    assert void.value(linkset, VOID.linkPredicate) == SKOS.exactMatch
    assert void.value(linkset, VOID.subjectsTarget) == DATASET
    target = void.value(linkset, VOID.objectsTarget)
    assert void.value(target, VOID.uriSpace) == Literal("http://www.wikidata.org/entity/")
    links = count(project_client, """SELECT (COUNT(*) AS ?n) WHERE { SELECT DISTINCT ?s ?o WHERE {
        GRAPH ?g { ?s skos:exactMatch ?o } FILTER(STRSTARTS(STR(?o), "http://www.wikidata.org/entity/")) } }""")
    assert links > 0 and number(void, linkset, VOID.triples) == links


def test_dcat_lists_every_dump_as_a_distribution_with_size_and_checksum(void, index):
    (catalog,) = void.subjects(RDF.type, DCAT.Catalog)
    assert (catalog, DCAT.dataset, DATASET) in void
    by_url = {}
    for distribution in void.objects(DATASET, DCAT.distribution):
        assert (distribution, RDF.type, DCAT.Distribution) in void
        url = void.value(distribution, DCAT.downloadURL)
        if url is not None:
            by_url[str(url)] = distribution
    assert set(by_url) == {f["url"] for f in index["files"]}
    for file in index["files"]:
        distribution = by_url[file["url"]]
        assert number(void, distribution, DCAT.byteSize) == file["bytes"]
        assert void.value(distribution, DCAT.mediaType) == URIRef(
            "https://www.iana.org/assignments/media-types/" + file["media_type"])
        assert void.value(distribution, DCAT.compressFormat) == URIRef(
            "https://www.iana.org/assignments/media-types/application/gzip")
        checksum = void.value(distribution, SPDX.checksum)
        assert (checksum, RDF.type, SPDX.Checksum) in void
        assert void.value(checksum, SPDX.algorithm) == SPDX.checksumAlgorithm_sha256
        assert str(void.value(checksum, SPDX.checksumValue)) == file["sha256"]


def test_the_endpoint_is_a_data_service_and_licence_and_source_are_everywhere(void):
    endpoint = URIRef("http://localhost/sparql")
    assert (endpoint, RDF.type, DCAT.DataService) in void
    assert void.value(endpoint, DCAT.endpointURL) == endpoint
    (access,) = void.subjects(DCAT.accessService, endpoint)
    assert (DATASET, DCAT.distribution, access) in void
    (catalog,) = void.subjects(RDF.type, DCAT.Catalog)
    for thing in [catalog, DATASET, endpoint, *void.objects(DATASET, DCAT.distribution)]:
        assert (thing, DCT.license, LICENCE) in void, thing
        assert (thing, DCT.source, SOURCE) in void, thing


@pytest.mark.parametrize("ask_for, media_type, syntax", [
    ({"headers": {"Accept": "application/n-triples"}}, "application/n-triples", "nt"),
    ({"headers": {"Accept": "application/rdf+xml"}}, "application/rdf+xml", "xml"),
    ({"headers": {"Accept": "application/ld+json"}}, "application/ld+json", "json-ld"),
    ({"headers": {"Accept": "application/trig"}}, "application/trig", "trig"),
    ({"query_string": {"format": "nquads"}}, "application/n-quads", "nquads"),
    ({"query_string": {"format": "jsonld"}, "headers": {"Accept": "text/turtle"}}, "application/ld+json", "json-ld"),
    ({"headers": {"Accept": "text/html, */*;q=0.1"}}, "text/turtle", "turtle"),
])
def test_every_syntax_says_the_same(project_client, void, ask_for, media_type, syntax):
    response = project_client.get("/.well-known/void", **ask_for)
    assert response.status_code == 200 and response.mimetype == media_type
    assert "Accept" in response.headers["Vary"]
    quads = syntax in ("trig", "nquads", "json-ld")  # rdflib reads JSON-LD as a dataset
    parsed = rdflib.Dataset() if quads else rdflib.Graph()
    with warnings.catch_warnings():  # rdflib's dataset parsers call its own deprecated API
        warnings.simplefilter("ignore", DeprecationWarning)
        parsed.parse(data=response.get_data(as_text=True), format=syntax)
    triples = parsed.triples((None, None, None)) if not quads else (
        (s, p, o) for s, p, o, _ in parsed.quads((None, None, None, None)))
    assert isomorphic(_graph(triples), void)


def _graph(triples) -> rdflib.Graph:
    graph = rdflib.Graph()
    for triple in triples:
        graph.add(triple)
    return graph


@pytest.mark.parametrize("ask_for", [
    {"headers": {"Accept": "image/png"}}, {"headers": {"Accept": "application/x-absurd; q=1, text/turtle;q=0"}},
    {"headers": {"Accept": "*/*;q=0"}}, {"query_string": {"format": "n3"}}, {"query_string": {"format": "../../etc"}},
    {"query_string": {"format": "text/html"}},
])
def test_an_unacceptable_syntax_is_406_with_the_list(project_client, ask_for):
    response = project_client.get("/.well-known/void", **ask_for)
    assert response.status_code == 406
    assert "text/turtle" in response.get_data(as_text=True) and "application/ld+json" in response.get_data(as_text=True)


@pytest.mark.parametrize("accept", ["", ";;;,,,", "text/turtle;q=abc", "*/" + "x" * 5000, "a/b;q=" + "9" * 400])
def test_a_malformed_accept_header_is_never_a_server_error(project_client, accept):
    assert project_client.get("/.well-known/void", headers={"Accept": accept}).status_code in (200, 406)


def test_revalidation_answers_304(project_client):
    first = project_client.get("/.well-known/void")
    again = project_client.get("/.well-known/void", headers={"If-None-Match": first.headers["ETag"]})
    assert again.status_code == 304
    assert project_client.get("/.well-known/void", headers={"If-Modified-Since": first.headers["Last-Modified"]}).status_code == 304


def test_public_base_makes_every_url_absolute_on_it(project_built, tmp_path):
    from zgckg.kg.linked.void import Urls, document
    from zgckg.kg.linked.dumps import builder
    from zgckg.kg.engine.inprocess import InProcessEngine
    from zgckg.kg.formats import GRAPHS

    config = project_built.with_values({"dumps_dir": tmp_path})
    engine = InProcessEngine(config)
    try:
        dumps = builder(tmp_path).dumps(engine, wait=60)
        base = "https://data.example.org/zgckg"
        text = document(engine, dumps, Urls(base + "/.well-known/void", base + "/sparql", base + "/dumps/"),
                        config.iri_base + "id/", GRAPHS[0]).decode()
    finally:
        engine.close()
    graph = rdflib.Graph().parse(data=text, format="turtle")
    urls = {str(o) for o in graph.objects(None, DCAT.downloadURL)}
    assert urls and all(u.startswith(base + "/dumps/zgckg-") for u in urls)
    assert graph.value(DATASET, VOID.sparqlEndpoint) == URIRef(base + "/sparql")


# --- robots.txt and the sitemap -----------------------------------------------------------------------


def test_robots_allows_pages_and_names_the_sitemap(project_client):
    text = project_client.get("/robots.txt").get_data(as_text=True)
    lines = text.splitlines()
    assert "User-agent: *" in lines and "Allow: /" in lines
    assert {"Disallow: /sparql", "Disallow: /update", "Disallow: /store"} <= set(lines)
    assert "Sitemap: http://localhost/sitemap.xml" in lines


def test_the_sitemap_lists_every_labelled_entity_and_the_site_pages(project_client):
    response = project_client.get("/sitemap.xml")
    assert response.status_code == 200 and response.mimetype == "application/xml"
    from xml.etree import ElementTree

    root = ElementTree.fromstring(response.get_data())
    locations = [e.text for e in root.iter("{http://www.sitemaps.org/schemas/sitemap/0.9}loc")]
    labelled = {row["s"]["value"] for row in ask(project_client, """SELECT DISTINCT ?s WHERE { GRAPH ?g { ?s rdfs:label ?l }
        FILTER(isIRI(?s) && STRSTARTS(STR(?s), "https://w3id.org/zgckg/id/")) }""")}
    pages = ("/", "/ontology", "/source", "/dumps/", "/figures", "/paths", "/explore/platforms", "/explore/policies",
             "/query", "/queries")
    expected = {"http://localhost" + p for p in pages}
    for page in pages:
        assert project_client.get(page).status_code == 200, page
    expected |= {"http://localhost/" + iri.removeprefix("https://w3id.org/zgckg/") for iri in labelled}
    assert set(locations) == expected and len(locations) == len(expected)
    assert "http://localhost/id/baidu" in locations
    assert all(re.fullmatch(r"http://localhost/\S*", u) for u in locations)
    again = project_client.get("/sitemap.xml", headers={"If-None-Match": response.headers["ETag"]})
    assert again.status_code == 304
