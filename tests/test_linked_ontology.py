"""/ontology: the documentation of every term of ontology/zgckg.ttl, and the ontology graph by content
negotiation and by suffix, read from the project's own built store."""

import html
import re
from pathlib import Path

import pytest
import rdflib
import requests
from rdflib import OWL, RDF, RDFS
from rdflib.compare import isomorphic

from zgckg.namespaces import GRAPH_ASSERTED, ONTOLOGY

ROOT = Path(__file__).resolve().parents[1]
BROWSER = "text/html,application/xhtml+xml,application/xml;q=0.9,*/*;q=0.8"
PROPERTY_TYPES = (OWL.ObjectProperty, OWL.DatatypeProperty, OWL.AnnotationProperty)
# rdflib's JSON-LD and quad parsers still use its own deprecated ConjunctiveGraph internally
RDFLIB_INTERNALS = pytest.mark.filterwarnings(
    "ignore:ConjunctiveGraph is deprecated:DeprecationWarning",
    "ignore:Dataset.default_context is deprecated:DeprecationWarning",
)


@pytest.fixture(scope="module")
def ontology() -> rdflib.Graph:
    return rdflib.Graph().parse(ROOT / "ontology" / "zgckg.ttl")


def ours(graph: rdflib.Graph, kinds) -> list[str]:
    return sorted({str(s) for kind in kinds for s in graph.subjects(RDF.type, kind) if str(s).startswith(ONTOLOGY)})


@pytest.fixture(scope="module")
def page(project_app) -> str:
    return project_app.test_client().get("/ontology?lang=zh", headers={"Accept": BROWSER}).get_data(as_text=True)


def section(page: str, name: str) -> str:
    """The HTML of the term section whose id is ``name`` (term sections hold no sections)."""
    start = page.index(f'<section class="term" id="{name}">')
    return page[start:page.index("</section>", start)]


def text_of(fragment: str) -> str:
    return html.unescape(re.sub(r"<[^>]+>", "", fragment))


def test_every_class_and_property_has_a_section_with_both_labels(ontology, page):
    terms = ours(ontology, (OWL.Class, *PROPERTY_TYPES))
    assert len(terms) > 80
    for iri in terms:
        shown = text_of(section(page, iri[len(ONTOLOGY):]))
        for label in ontology.objects(rdflib.URIRef(iri), RDFS.label):
            assert str(label) in shown, (iri, label.language)
        comment_zh = next(c for c in ontology.objects(rdflib.URIRef(iri), RDFS.comment) if c.language == "zh")
        assert str(comment_zh) in shown


def test_the_contents_link_every_term(ontology, page):
    contents = page[page.index('<nav id="contents"'):page.index("</nav>", page.index('<nav id="contents"'))]
    for iri in ours(ontology, (OWL.Class, *PROPERTY_TYPES)):
        assert f'href="#{iri[len(ONTOLOGY):]}"' in contents


def test_a_section_shows_hierarchy_domain_range_inverse_characteristics_and_alignment(page):
    part_of = section(page, "partOf")
    assert 'href="/ontology#locatedIn"' in part_of  # superproperty, an IRI of ours as a local link
    assert 'href="/ontology#coreAreaOf"' in part_of  # subproperty, found from the other side
    assert 'href="/ontology#hasPart"' in part_of  # inverse
    assert "owl:TransitiveProperty" in part_of
    assert text_of(part_of).count("zgo:Place") == 2  # domain and range
    assert '<a href="http://schema.org/containedInPlace"><code>schema:containedInPlace</code></a>' in part_of
    has_part = section(page, "hasPart")
    assert 'href="/ontology#partOf"' in has_part  # owl:inverseOf is stated once, shown on both sides
    enterprise = section(page, "Enterprise")
    assert 'href="/ontology#Organisation"' in enterprise
    assert "schema:Corporation" in enterprise
    assert 'href="/ontology#Enterprise"' in section(page, "Organisation")  # subclass
    evidence = section(page, "Evidence")
    assert "prov:Entity" in evidence and "oa:TextQuoteSelector" in evidence
    assert "qb:DimensionProperty" in section(page, "refPeriod")


def test_the_header_states_title_description_and_version(ontology, page):
    header = page[:page.index('<nav id="contents"')]
    doc = rdflib.URIRef(ONTOLOGY.rstrip("#"))
    for title in ontology.objects(doc, rdflib.namespace.DCTERMS.title):
        if title.language == "zh":
            assert str(title) in html.unescape(header)
    for description in ontology.objects(doc, rdflib.namespace.DCTERMS.description):
        assert str(description) in text_of(header)
    assert str(ontology.value(doc, OWL.versionInfo)) in header
    # what this version changed, and the version before it
    assert str(ontology.value(doc, OWL.priorVersion)) in header
    changes = {note.language: str(note) for note in ontology.objects(doc, rdflib.namespace.SKOS.changeNote)}
    assert changes["zh"] in html.unescape(header)


def test_definitions_come_in_the_readers_language_first(project_client):
    english = section(project_client.get("/ontology?lang=en").get_data(as_text=True), "Enterprise")
    chinese = section(project_client.get("/ontology?lang=zh").get_data(as_text=True), "Enterprise")
    assert english.index('<p lang="en">') < english.index('<p lang="zh">')
    assert chinese.index('<p lang="zh">') < chinese.index('<p lang="en">')


def count_shown(page: str, name: str) -> int:
    return int(re.search(r'<dd class="count">(\d+)', section(page, name)).group(1))


def sparql_count(client, query: str) -> int:
    response = client.get("/sparql", query_string={"query": query}, headers={"Accept": "application/sparql-results+json"})
    assert response.status_code == 200, response.get_data(as_text=True)
    return int(response.get_json()["results"]["bindings"][0]["n"]["value"])


def test_instance_counts_equal_count_queries(ontology, page, project_client):
    nonzero = 0
    for iri in ours(ontology, (OWL.Class,)):
        expected = sparql_count(project_client, f"SELECT (COUNT(DISTINCT ?x) AS ?n) WHERE {{ ?x a <{iri}> }}")
        assert count_shown(page, iri[len(ONTOLOGY):]) == expected, iri
        nonzero += expected > 0
    assert nonzero > 20
    # instances the reasoner found count too: organisations are asserted by their subclasses
    asserted = sparql_count(project_client, "SELECT (COUNT(DISTINCT ?x) AS ?n) WHERE { GRAPH <"
                            + GRAPH_ASSERTED + "> { ?x a zgo:Organisation } }")
    assert count_shown(page, "Organisation") > asserted


def test_property_counts_equal_count_queries(ontology, page, project_client):
    for iri in ours(ontology, PROPERTY_TYPES):
        expected = sparql_count(
            project_client, f"SELECT (COUNT(*) AS ?n) WHERE {{ SELECT DISTINCT ?s ?o WHERE {{ ?s <{iri}> ?o }} }}")
        assert count_shown(page, iri[len(ONTOLOGY):]) == expected, iri
    assert count_shown(page, "evidence") > 100


def served_triples(data: bytes, syntax: str) -> rdflib.Graph:
    """The triples of a served document, whatever graph a dataset syntax put them in."""
    if syntax in ("trig", "nquads", "json-ld"):
        dataset = rdflib.Dataset()
        dataset.parse(data=data, format=syntax)
        graph = rdflib.Graph()
        for s, p, o, _ in dataset.quads((None, None, None, None)):
            graph.add((s, p, o))
        return graph
    return rdflib.Graph().parse(data=data, format=syntax)


@RDFLIB_INTERNALS
@pytest.mark.parametrize(("path", "media_type", "syntax"), [
    ("/ontology.ttl", "text/turtle", "turtle"),
    ("/ontology.rdf", "application/rdf+xml", "xml"),
    ("/ontology.jsonld", "application/ld+json", "json-ld"),
    ("/ontology.nt", "application/n-triples", "nt"),
])
def test_each_suffix_serves_the_ontology_graph(project_client, ontology, path, media_type, syntax):
    response = project_client.get(path)
    assert response.status_code == 200
    assert response.mimetype == media_type
    assert isomorphic(served_triples(response.get_data(), syntax), ontology)


@RDFLIB_INTERNALS
@pytest.mark.parametrize(("accept", "media_type", "syntax"), [
    ("text/turtle", "text/turtle", "turtle"),
    ("application/rdf+xml", "application/rdf+xml", "xml"),
    ("application/ld+json", "application/ld+json", "json-ld"),
    ("application/n-triples", "application/n-triples", "nt"),
    ("application/trig", "application/trig", "trig"),
    ("application/n-quads", "application/n-quads", "nquads"),
    ("text/html;q=0.5, text/turtle", "text/turtle", "turtle"),
])
def test_ontology_negotiates_rdf_over_http(project_server, ontology, accept, media_type, syntax):
    response = requests.get(project_server + "/ontology", headers={"Accept": accept}, timeout=30)
    assert response.status_code == 200
    assert response.headers["Content-Type"].split(";")[0] == media_type
    assert "Accept" in response.headers["Vary"]
    assert isomorphic(served_triples(response.content, syntax), ontology)


@pytest.mark.parametrize("accept", [None, BROWSER, "*/*", "text/html"])
def test_browsers_get_the_documentation(project_server, accept):
    headers = {"Accept": accept} if accept else {}
    response = requests.get(project_server + "/ontology", headers=headers, timeout=30)
    assert response.status_code == 200
    assert response.headers["Content-Type"].startswith("text/html")
    assert "Accept" in response.headers["Vary"]
    for path, media_type in (("/ontology.ttl", "text/turtle"), ("/ontology.rdf", "application/rdf+xml"),
                             ("/ontology.jsonld", "application/ld+json"), ("/ontology.nt", "application/n-triples")):
        assert f'<link rel="alternate" type="{media_type}" href="{path}">' in response.text


def test_unacceptable_types_get_406_listing_the_offers(project_client):
    response = project_client.get("/ontology", headers={"Accept": "image/png"})
    assert response.status_code == 406
    message = response.get_data(as_text=True)
    for media_type in ("text/html", "text/turtle", "application/rdf+xml", "application/ld+json",
                       "application/n-triples", "application/trig", "application/n-quads"):
        assert media_type in message


def test_an_unknown_suffix_is_404(project_client):
    assert project_client.get("/ontology.exe").status_code == 404
    assert project_client.get("/ontology.").status_code == 404


def test_revalidation_answers_304(project_client):
    first = project_client.get("/ontology", headers={"Accept": "text/turtle"})
    again = project_client.get("/ontology", headers={"Accept": "text/turtle", "If-None-Match": first.headers["ETag"]})
    assert again.status_code == 304
    page = project_client.get("/ontology", headers={"Accept": BROWSER})
    assert page.headers["ETag"] != first.headers["ETag"]  # the page and the graph are different representations


def test_term_iris_map_to_fragments_of_the_page(page):
    assert 'href="/ontology#Organisation"' in page
    assert not [link for link in re.findall(r'href="([^"]+)"', page) if link.startswith(ONTOLOGY)]


def test_labels_are_escaped(project_app):
    """Text from the store goes through autoescaping: a label with markup is shown, never run."""
    from zgckg.kg.linked.ontology_doc import OntologyDoc, Ref, TermDoc
    from zgckg.web.pages import render

    evil = "<script>alert(1)</script>"
    term = TermDoc(ONTOLOGY + "Evil", "Evil", "class", label={"zh": evil, "en": evil}, definition={"en": [evil]},
                   supers=[Ref(ONTOLOGY + "Place", "Place", {"en": evil})])
    doc = OntologyDoc(ONTOLOGY.rstrip("#"), {"en": evil}, {"en": evil}, None, None, None, None, None, {"en": evil}, None,
                      (term,))
    with project_app.test_request_context("/ontology"):
        body = render("ontology.html", doc=doc, kinds=[("class", {"en": "Classes"}, [term])], alternates=[]).get_data(
            as_text=True)
    assert "<script" not in body
    assert "&lt;script&gt;" in body


def test_the_real_page_has_no_script(page):
    assert "<script" not in page.lower()
