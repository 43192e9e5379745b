"""Every IRI of the graph dereferences over real HTTP, as a page and in every RDF syntax."""

from concurrent.futures import ThreadPoolExecutor

import pytest
import rdflib
import requests

from zgckg.namespaces import INSTANCES, ONTOLOGY

# rdflib's own dataset and JSON-LD parsers use parts of its API it has deprecated; a filter set in one
# thread would not cover the parser threads, so it is set for the whole module.
pytestmark = [
    pytest.mark.filterwarnings("ignore:ConjunctiveGraph is deprecated:DeprecationWarning"),
    pytest.mark.filterwarnings("ignore:Dataset.default_context is deprecated:DeprecationWarning"),
]

SYNTAXES = {
    "text/turtle": "turtle", "application/n-triples": "nt", "application/rdf+xml": "xml",
    "application/ld+json": "json-ld", "application/trig": "trig", "application/n-quads": "nquads",
}


def sparql(server: str, query: str) -> list[dict]:
    answer = requests.post(server + "/sparql", data={"query": query}, headers={"Accept": "application/sparql-results+json"})
    answer.raise_for_status()
    return answer.json()["results"]["bindings"]


@pytest.fixture(scope="module")
def entities(project_server):
    """IRI → {"zh": label, "en": label, "quotes": {the evidence quotes of its asserted facts}}, by SPARQL."""
    found: dict[str, dict] = {}
    for row in sparql(project_server, f"""
        SELECT ?x ?l WHERE {{ ?x rdfs:label ?l FILTER(STRSTARTS(STR(?x), "{INSTANCES}")) }}"""):
        found.setdefault(row["x"]["value"], {"quotes": set()})[row["l"]["xml:lang"]] = row["l"]["value"]
    for row in sparql(project_server, f"""
        SELECT ?x ?quote WHERE {{
          {{ ?x zgo:mentionedAt/oa:hasSelector/oa:exact ?quote }}
          UNION {{ ?st rdf:subject|rdf:object ?x ; zgo:evidence/oa:hasSelector/oa:exact ?quote }}
          FILTER(STRSTARTS(STR(?x), "{INSTANCES}"))
        }}"""):
        if row["x"]["value"] in found:
            found[row["x"]["value"]]["quotes"].add(row["quote"]["value"])
    return found


def parse(body: bytes, syntax: str) -> set:
    """The triples of an answer, parsed by rdflib (quads' graph names dropped)."""
    if syntax in ("trig", "nquads"):
        dataset = rdflib.Dataset()
        dataset.parse(data=body, format=syntax)
        return {(s, p, o) for s, p, o, _ in dataset.quads()}
    return set(rdflib.Graph().parse(data=body, format=syntax))


def check_entity(server: str, iri: str, facts: dict) -> list[str]:
    problems = []
    path = iri[len("https://w3id.org/zgckg/"):]
    with requests.Session() as session:
        page = session.get(f"{server}/{path}", headers={"Accept": "text/html"}, allow_redirects=True)
        if page.status_code != 200 or facts.get("zh", "") not in page.text:
            problems.append(f"{iri} as HTML: {page.status_code}")
        for media_type, syntax in SYNTAXES.items():
            answer = session.get(f"{server}/{path}", headers={"Accept": media_type})
            if answer.status_code != 200 or answer.headers["Content-Type"].split(";")[0] != media_type:
                problems.append(f"{iri} as {media_type}: {answer.status_code} {answer.headers.get('Content-Type')}")
                continue
            triples = parse(answer.content, syntax)
            subject = rdflib.URIRef(iri)
            for lang in ("zh", "en"):
                if lang in facts and (subject, rdflib.RDFS.label, rdflib.Literal(facts[lang], lang=lang)) not in triples:
                    problems.append(f"{iri} as {media_type}: no @{lang} label")
            literals = {o.value if o.datatype is None else str(o) for _, _, o in triples if isinstance(o, rdflib.Literal)}
            missing = {q for q in facts["quotes"] if q not in literals}
            if missing:
                problems.append(f"{iri} as {media_type}: quotes missing: {sorted(missing)[:2]}")
    return problems


def test_every_entity_dereferences_as_a_page_and_in_every_rdf_syntax(project_server, entities):
    assert len(entities) > 250  # every entity, concept and figure with a name
    with ThreadPoolExecutor(4) as pool:
        problems = [p for found in pool.map(lambda item: check_entity(project_server, *item), entities.items())
                    for p in found]
    assert problems == []


def test_every_ontology_term_dereferences_to_its_documentation(project_server):
    terms = {row["t"]["value"]: row for row in sparql(project_server, f"""
        SELECT ?t ?zh ?en WHERE {{
          GRAPH <https://w3id.org/zgckg/graph/ontology> {{
            ?t a ?kind ; rdfs:label ?zh , ?en FILTER(lang(?zh) = "zh" && lang(?en) = "en")
          }}
          FILTER(STRSTARTS(STR(?t), "{ONTOLOGY}"))
          VALUES ?kind {{ owl:Class owl:ObjectProperty owl:DatatypeProperty owl:AnnotationProperty }}
        }}""")}
    assert len(terms) > 50
    page = requests.get(server_url := project_server + "/ontology", headers={"Accept": "text/html"})
    assert page.status_code == 200
    for iri in terms:
        assert f'id="{iri[len(ONTOLOGY):]}"' in page.text, iri
    for media_type, syntax in SYNTAXES.items():
        answer = requests.get(server_url, headers={"Accept": media_type})
        assert answer.status_code == 200, media_type
        triples = parse(answer.content, syntax)
        for iri, row in terms.items():
            for lang in ("zh", "en"):
                label = rdflib.Literal(row[lang]["value"], lang=lang)
                assert (rdflib.URIRef(iri), rdflib.RDFS.label, label) in triples, (iri, media_type)


def test_curl_dereferences_an_iri(project_server):
    import subprocess

    turtle = subprocess.run(["curl", "-sf", "-H", "Accept: text/turtle", project_server + "/id/xiaomi"],
                            capture_output=True, check=True).stdout
    assert '"小米"@zh' in turtle.decode()
