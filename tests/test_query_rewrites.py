"""Rewritten analyst queries answer exactly as their former shapes did.

Some queries of ``queries/`` were rewritten into shapes the engine evaluates faster (timings in
docs/benchmarks.md, "Analyst queries: slow shapes rewritten"). Each former text is kept here, and only here,
as ``FORMER_…``; every test runs the former and the current text on the store built from the project's own
data, with the same parameter bindings, and asks for the same columns and the same rows in the same order.
Speed itself is never asserted.
"""

from __future__ import annotations

import json
import sys
from pathlib import Path

import pyoxigraph as ox
import pytest

from zgckg.kg.engine import Query
from zgckg.kg.engine.inprocess import InProcessEngine
from zgckg.kg.formats import SOLUTIONS
from zgckg.kg.queries import bindings, load_queries
from zgckg.kg.store import StoreDir, open_for_reading
from zgckg.namespaces import PREFIXES

ROOT = Path(__file__).resolve().parents[1]
QUERIES = load_queries(ROOT / "queries")


# --- the former shapes -----------------------------------------------------------------------------------

# connections-to-park: every hop followed rdf:predicate/rdfs:subPropertyOf+ from each statement, and a path
# of two or three steps was walked forwards from ?entity only, so a well-connected entity fanned out over
# every statement of its neighbours and of theirs before the park was reached.
FORMER_CONNECTIONS_TO_PARK = r'''# title@zh: 某一实体与海淀园之间的关联路径
# title@en: How an entity is connected to the park
# question@zh: 某个机构、平台、企业或地区经由哪些关系（最多三步）与海淀园相连？每一步的原文依据是什么？
# question@en: Through which relations (at most three steps) is a given organisation, platform, enterprise or place connected to Haidian Park, and what does the report say for each step?
# param: entity = zg:tsinghua-university
# param: park = zg:haidian-park
#
# One row per step of each path from ?entity to ?park, shortest paths first. A step is a relation the data
# states (a reified rdf:Statement whose predicate is a sub-property of zgo:relatedTo), followed either way
# round; ?from ?relation ?to always reads as stated, whichever way the path runs. ?path spells the path
# in zh labels; ?steps is its length and ?step the position of this row in it. ?quote holds the report's
# words for the step, or ?curated is true and ?reason says why a curator added it.
# Set ?park to another entity to ask how any two entities are connected.
PREFIX zgo: <https://w3id.org/zgckg/ontology#>
PREFIX zg: <https://w3id.org/zgckg/id/>
PREFIX rdf: <http://www.w3.org/1999/02/22-rdf-syntax-ns#>
PREFIX rdfs: <http://www.w3.org/2000/01/rdf-schema#>
PREFIX oa: <http://www.w3.org/ns/oa#>

SELECT ?entity ?park ?steps ?path ?step ?from ?fromZh ?relation ?relationZh ?relationEn ?to ?toZh ?curated ?reason
       (GROUP_CONCAT(DISTINCT ?oneQuote; separator=" … ") AS ?quote)
WHERE {
  {
  {
    # Paths entity – n1 – n2 – park through statements s1, s2, s3; a shorter path leaves the tail unbound.
    SELECT DISTINCT ?entity ?park ?steps ?s1 ?s2 ?s3 ?n1 ?n2
    WHERE {
      {
        ?entity ^rdf:subject|^rdf:object ?s1 .
        ?s1 rdf:predicate/rdfs:subPropertyOf+ zgo:relatedTo ; rdf:subject|rdf:object ?park .
        FILTER(?park != ?entity)
        BIND(?park AS ?n1)
        BIND(?park AS ?n2)
        BIND(1 AS ?steps)
      } UNION {
        ?entity ^rdf:subject|^rdf:object ?s1 .
        ?s1 rdf:predicate/rdfs:subPropertyOf+ zgo:relatedTo ; rdf:subject|rdf:object ?n1 .
        ?n1 ^rdf:subject|^rdf:object ?s2 .
        ?s2 rdf:predicate/rdfs:subPropertyOf+ zgo:relatedTo ; rdf:subject|rdf:object ?park .
        FILTER(?n1 NOT IN (?entity, ?park) && ?park != ?entity)
        BIND(?park AS ?n2)
        BIND(2 AS ?steps)
      } UNION {
        ?entity ^rdf:subject|^rdf:object ?s1 .
        ?s1 rdf:predicate/rdfs:subPropertyOf+ zgo:relatedTo ; rdf:subject|rdf:object ?n1 .
        ?n1 ^rdf:subject|^rdf:object ?s2 .
        ?s2 rdf:predicate/rdfs:subPropertyOf+ zgo:relatedTo ; rdf:subject|rdf:object ?n2 .
        ?n2 ^rdf:subject|^rdf:object ?s3 .
        ?s3 rdf:predicate/rdfs:subPropertyOf+ zgo:relatedTo ; rdf:subject|rdf:object ?park .
        FILTER(?n1 NOT IN (?entity, ?park) && ?n2 NOT IN (?entity, ?n1, ?park) && ?park != ?entity)
        BIND(3 AS ?steps)
      }
    }
  }
  # One row per step: the path's statements one by one (the filter drops the steps a short path lacks).
  VALUES ?step { 1 2 3 }
  BIND(IF(?step = 1, ?s1, IF(?step = 2, ?s2, ?s3)) AS ?statement)
  FILTER(BOUND(?statement))
  }
  ?statement rdf:subject ?from ; rdf:predicate ?relation ; rdf:object ?to .
  OPTIONAL { ?statement zgo:evidence/oa:hasSelector/oa:exact ?oneQuote }
  OPTIONAL { ?statement zgo:curated ?isCurated }
  BIND(COALESCE(?isCurated, false) AS ?curated)
  OPTIONAL { ?statement rdfs:comment ?comment FILTER(lang(?comment) = "en") }
  BIND(IF(?curated, ?comment, ?none) AS ?reason)
  OPTIONAL { ?from rdfs:label ?fromZh FILTER(lang(?fromZh) = "zh") }
  OPTIONAL { ?to rdfs:label ?toZh FILTER(lang(?toZh) = "zh") }
  OPTIONAL { ?relation rdfs:label ?relationZh FILTER(lang(?relationZh) = "zh") }
  OPTIONAL { ?relation rdfs:label ?relationEn FILTER(lang(?relationEn) = "en") }
  OPTIONAL { ?entity rdfs:label ?entityZh FILTER(lang(?entityZh) = "zh") }
  OPTIONAL { ?n1 rdfs:label ?n1Zh FILTER(lang(?n1Zh) = "zh") }
  OPTIONAL { ?n2 rdfs:label ?n2Zh FILTER(lang(?n2Zh) = "zh") }
  OPTIONAL { ?park rdfs:label ?parkZh FILTER(lang(?parkZh) = "zh") }
  BIND(CONCAT(?entityZh, " — ", ?n1Zh, IF(?steps > 1, CONCAT(" — ", ?n2Zh), ""),
              IF(?steps > 2, CONCAT(" — ", ?parkZh), "")) AS ?path)
}
GROUP BY ?entity ?park ?steps ?path ?step ?from ?fromZh ?relation ?relationZh ?relationEn ?to ?toZh ?curated ?reason
ORDER BY ?steps ?path ?step ?relation
'''

# entities-per-class: the asserted typing was an OPTIONAL over every asserted instance of the class, kept by
# FILTER(?stated = ?instance), once for each instance of the class: a scan per row.
FORMER_ENTITIES_PER_CLASS = r'''# title@zh: 各类实体的数量（含推理）
# title@en: How many entities of each class, with and without reasoning
# question@zh: 图谱中每个类有多少实例？其中多少是数据直接声明的、多少要靠本体推理（子类）才算得上？
# question@en: How many instances does each class have, and how many of them are typed in the data itself versus only through the ontology's subclass reasoning?
#
# One row per class of the project's ontology that has instances, most instances first. ?total counts
# instances of every kind, typed directly or through a subclass (the union of the asserted and inferred
# graphs); ?asserted counts those the data types with this class itself (the asserted graph); ?inferred is
# the difference. Organisation (组织机构) shows the point: few organisations are typed as such, the rest are
# enterprises, universities, government bodies … that OWL 2 RL reasoning makes organisations.
PREFIX zgo: <https://w3id.org/zgckg/ontology#>
PREFIX owl: <http://www.w3.org/2002/07/owl#>
PREFIX rdfs: <http://www.w3.org/2000/01/rdf-schema#>

SELECT ?class ?classZh ?classEn ?total ?asserted ?inferred
WHERE {
  {
    SELECT ?class (COUNT(DISTINCT ?instance) AS ?total) (COUNT(DISTINCT ?stated) AS ?asserted)
    WHERE {
      ?class a owl:Class .
      FILTER(STRSTARTS(STR(?class), STR(zgo:)))
      ?instance a ?class .
      OPTIONAL {
        GRAPH <https://w3id.org/zgckg/graph/asserted> { ?stated a ?class }
        FILTER(?stated = ?instance)
      }
    }
    GROUP BY ?class
  }
  BIND(?total - ?asserted AS ?inferred)
  OPTIONAL { ?class rdfs:label ?classZh FILTER(lang(?classZh) = "zh") }
  OPTIONAL { ?class rdfs:label ?classEn FILTER(lang(?classEn) = "en") }
}
ORDER BY DESC(?total) ?class
'''

# the entity description (kg/linked/description.py): one GRAPH around the labels' UNION, whose last branch
# has two patterns, and the evidence records found in the same group that reads them; Virtuoso took 430 ms
# for it at 10M quads.
FORMER_DESCRIPTION = """
SELECT DISTINCT ?g ?s ?p ?o WHERE {{
  {{ GRAPH ?g {{ {r} ?p ?o }} BIND({r} AS ?s) }}
  UNION {{ GRAPH ?g {{ ?s ?p {r} }} BIND({r} AS ?o) }}
  UNION {{ GRAPH ?h {{ ?s rdf:subject|rdf:object|zgo:about {r} }} GRAPH ?g {{ ?s ?p ?o }} }}
  UNION {{
    # the evidence records naming the resource or supporting its statements and figures: each record's
    # own triples, its selectors' and its sentence's text and offsets
    {{ GRAPH ?h {{ {r} zgo:evidence|zgo:mentionedAt ?e }} }}
    UNION {{ GRAPH ?h {{ ?x rdf:subject|rdf:object|zgo:about {r} }} GRAPH ?i {{ ?x zgo:evidence ?e }} }}
    {{ GRAPH ?g {{ ?e ?p ?o }} BIND(?e AS ?s) }}
    UNION {{ GRAPH ?j {{ ?e oa:hasSelector ?s }} GRAPH ?g {{ ?s ?p ?o }} }}
    UNION {{ GRAPH ?j {{ ?e zgo:sentence ?s }}
             GRAPH ?g {{ ?s ?p ?o }} FILTER(?p IN (zgo:text, zgo:sentenceId, oa:start, oa:end, rdf:type)) }}
  }}
  UNION {{ GRAPH ?h {{ {r} oa:hasSelector ?s }} GRAPH ?g {{ ?s ?p ?o }} }}
  UNION {{
    # the labels of what the triples above mention: properties, neighbours, the terms a figure uses
    {{ SELECT DISTINCT ?s WHERE {{ GRAPH ?h {{
      {{ {r} ?s ?y }} UNION {{ ?y ?s {r} }} UNION {{ {r} ?y ?s }} UNION {{ ?s ?y {r} }}
      UNION {{ ?x zgo:about {r} . ?x ?y ?s }}
    }} }} }}
    GRAPH ?g {{ ?s rdfs:label ?o }} BIND(rdfs:label AS ?p)
  }}
}}"""

FORMER = {
    "connections-to-park": FORMER_CONNECTIONS_TO_PARK,
    "entities-per-class": FORMER_ENTITIES_PER_CLASS,
}


# --- running both ----------------------------------------------------------------------------------------


@pytest.fixture(scope="module")
def engine(project_built):
    """The engine ``zgckg query`` runs analyst queries through."""
    engine = InProcessEngine(project_built)
    yield engine
    engine.close()


def answer(engine, text: str, bound: dict[str, str]) -> tuple[list[str], list[dict]]:
    """The columns and the rows, in order, of a query as SPARQL JSON results."""
    document = json.loads(engine.query(Query(text, SOLUTIONS[0], bindings=bound)).content())
    return document["head"]["vars"], document["results"]["bindings"]


def assert_same_answer(engine, name: str, **given: str) -> list[dict]:
    query = QUERIES[name]
    bound = bindings(query, given)
    former_columns, former_rows = answer(engine, FORMER[name], bound)
    columns, found = answer(engine, query.text, bound)
    assert columns == former_columns
    assert found == former_rows
    return found


def test_each_former_shape_belongs_to_a_current_query_with_the_same_header():
    for name, text in FORMER.items():
        header = [line for line in text.splitlines() if line.startswith("# ") and ": " in line
                  and line.split(":")[0][2:] in ("title@zh", "title@en", "question@zh", "question@en", "param")]
        current = QUERIES[name].text.splitlines()
        assert header and all(line in current for line in header), name


def test_entities_per_class_answers_as_before(engine):
    assert assert_same_answer(engine, "entities-per-class")


# Pairs (entity, park) with long answers, none, and the hubs whose neighbours the former shape walked through.
CONNECTIONS = [
    {},
    {"entity": "zg:xiaomi"},
    {"entity": "zg:baidu"},
    {"entity": "zg:beijing"},
    {"entity": "zg:haidian-district"},
    {"entity": "zg:haidian-park-administration"},
    {"entity": "zg:haidian-park"},  # the park itself: no path
    {"entity": "zg:no-such-entity"},
    {"entity": "zg:beijing-collaborative-innovation-institute", "park": "zg:collaborative-innovation-fund"},
    {"entity": "zg:haidian-park", "park": "zg:haidian-government"},
    {"entity": "zg:haidian-government", "park": "zg:haidian-district"},
]


@pytest.mark.parametrize("given", CONNECTIONS, ids=lambda g: ",".join(f"{k}={v}" for k, v in g.items()) or "defaults")
def test_connections_to_park_answers_as_before(engine, given):
    found = assert_same_answer(engine, "connections-to-park", **given)
    if given.get("entity") in (None, "zg:xiaomi", "zg:baidu", "zg:haidian-park-administration"):
        assert found


def test_connections_to_park_answers_as_before_for_every_linked_entity(project_built):
    """Every entity a stated relation links, as ?entity, with the park as the other end. Run on the in-memory
    copy of the store that query workers answer from, parameters bound as the engine binds them."""
    store = open_for_reading(StoreDir(project_built.store).current_path(), memory_bytes=sys.maxsize)
    query = QUERIES["connections-to-park"]
    park = ox.NamedNode(query.parameters[1].default_iri)

    def rows(text: str, entity: ox.NamedNode) -> tuple[list[str], list[tuple]]:
        found = store.query(text, prefixes=PREFIXES, use_default_graph_as_union=True,
                            substitutions={ox.Variable("entity"): entity, ox.Variable("park"): park})
        columns = [v.value for v in found.variables]
        return columns, [tuple(solution[c] for c in columns) for solution in found]

    linked = store.query("""
        SELECT DISTINCT ?node WHERE {
          ?statement rdf:predicate/rdfs:subPropertyOf+ zgo:relatedTo ; rdf:subject|rdf:object ?node
        }""", prefixes=PREFIXES, use_default_graph_as_union=True)
    entities = [solution["node"] for solution in linked]
    assert len(entities) > 50
    answered = 0
    for entity in entities:
        former = rows(FORMER_CONNECTIONS_TO_PARK, entity)
        assert rows(query.text, entity) == former, entity
        answered += bool(former[1])
    assert answered > len(entities) // 2


def test_the_entity_description_reads_as_before_for_every_entity(project_built):
    """Every IRI of the project's data the description is asked for, former and current text, the same rows."""
    from zgckg.kg.linked.description import _QUADS

    store = open_for_reading(StoreDir(project_built.store).current_path(), memory_bytes=sys.maxsize)

    def rows(text: str, iri: str) -> set[tuple]:
        found = store.query(text.format(r=f"<{iri}>"), prefixes=PREFIXES)
        return {tuple(solution[v] for v in ("g", "s", "p", "o")) for solution in found}

    subjects = store.query("SELECT DISTINCT ?s WHERE { GRAPH ?g { ?s ?p ?o } FILTER(isIRI(?s)) }")
    iris = [solution["s"].value for solution in subjects]
    assert len(iris) > 1000
    described = 0
    for iri in iris:
        former = rows(FORMER_DESCRIPTION, iri)
        assert rows(_QUADS, iri) == former, iri
        described += bool(former)
    assert described == len(iris)
