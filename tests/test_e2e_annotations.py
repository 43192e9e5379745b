"""Provenance as Web Annotation: a generic reader (``annotation_reader``) finds every evidence record's words
in the report's text by dereferencing IRIs over real HTTP, knowing nothing of this project."""

from __future__ import annotations

import hashlib

import pytest
import requests

from annotation_reader import Reader
from zgckg.namespaces import BASE, REPORT_TEXT

from test_e2e_linked_data import sparql


@pytest.fixture(scope="module")
def reader(project_server):
    with requests.Session() as session:
        yield Reader(session, rewrite=lambda iri: project_server + "/" + iri[len(BASE):])


@pytest.fixture(scope="module")
def uses(project_server) -> dict[str, dict]:
    """Evidence record → its quote (as stored), sentence text, and the annotations the store says use it."""
    found: dict[str, dict] = {}
    for row in sparql(project_server, """
        SELECT ?ev ?exact ?sentence ?annotation WHERE {
          ?ev a zgo:Evidence ; oa:hasSelector/oa:exact ?exact ; zgo:sentence/zgo:text ?sentence .
          OPTIONAL { ?annotation oa:hasTarget ?ev }
        }"""):
        record = found.setdefault(row["ev"]["value"], {"exact": row["exact"]["value"], "sentence": row["sentence"]["value"],
                                                       "annotations": set()})
        if "annotation" in row:
            record["annotations"].add(row["annotation"]["value"])
    return found


def test_every_evidence_record_is_the_target_of_an_annotation(uses):
    assert len(uses) > 200
    assert [ev for ev, record in uses.items() if not record["annotations"]] == []


def test_every_annotation_leads_a_generic_reader_to_the_exact_words(reader, uses):
    checked = 0
    for ev, record in uses.items():
        for annotation in record["annotations"]:
            segments = reader.segments(annotation)
            assert {s.kind for s in segments} == {"quote", "position"}, annotation
            # both selectors pick the same words, the words the record quotes, inside its sentence
            assert {s.text for s in segments} == {record["exact"]}, annotation
            assert record["exact"] in record["sentence"]
            checked += 1
    assert checked == sum(len(r["annotations"]) for r in uses.values()) > 250


def test_the_source_is_the_normalised_text_with_the_checksum_the_graph_states(project_server, report):
    answer = requests.get(project_server + "/" + REPORT_TEXT[len(BASE):], headers={"Accept": "*/*"})
    assert answer.status_code == 200 and answer.headers["Content-Type"] == "text/plain; charset=utf-8"
    assert answer.content.decode("utf-8") == report.text
    (row,) = sparql(project_server, f"""
        SELECT ?sha WHERE {{ <{REPORT_TEXT}> <http://spdx.org/rdf/terms#checksum> ?c .
          ?c <http://spdx.org/rdf/terms#algorithm> <http://spdx.org/rdf/terms#checksumAlgorithm_sha256> ;
             <http://spdx.org/rdf/terms#checksumValue> ?sha }}""")
    assert row["sha"]["value"] == hashlib.sha256(answer.content).hexdigest()


def test_the_bodies_are_exactly_the_facts_and_entities_citing_the_record(project_server):
    unannotated = sparql(project_server, """
        SELECT ?x ?use ?ev WHERE {
          ?x ?use ?ev VALUES ?use { zgo:evidence zgo:mentionedAt }
          FILTER NOT EXISTS { ?a oa:hasTarget ?ev ; oa:hasBody ?x }
        }""")
    assert unannotated == []
    stray = sparql(project_server, """
        SELECT ?a ?x WHERE {
          ?a a oa:Annotation ; oa:hasTarget ?ev ; oa:hasBody ?x ; oa:motivatedBy ?m .
          FILTER NOT EXISTS { ?x zgo:evidence ?ev FILTER(?m = oa:describing) }
          FILTER NOT EXISTS { ?x zgo:mentionedAt ?ev FILTER(?m = oa:identifying) }
        }""")
    assert stray == []


def test_the_reader_refuses_words_that_are_not_in_the_source(reader, uses):
    """The reader is not a rubber stamp: a selector whose words are not in the text is an error."""
    from annotation_reader import AnnotationError, OA
    import rdflib

    ev = next(iter(uses))
    quote = rdflib.URIRef(ev + "/quote")
    reader.graph(ev)  # read the record (with its selectors) as a client would, then tamper with the copy
    graph = reader._graphs[ev]
    (exact,) = graph.objects(quote, OA.exact)
    graph.set((quote, OA.exact, rdflib.Literal(str(exact) + "不在原文")))
    with pytest.raises(AnnotationError, match="occurs 0 times"):
        reader._select(ev, REPORT_TEXT, str(quote), reader.text(REPORT_TEXT))
