"""Edges between entities, and why each holds.

A relation is a property the ontology makes a sub-property of ``zgo:relatedTo`` (co-built by, landed in,
hosts, issued by …), or ``skos:broader``/``skos:related`` between concepts; ``zgo:relatedTo`` itself is
left out (it only repeats the others). Types, labels, evidence records, reified statements and the
figures' Data Cube plumbing are never edges.

An edge is asserted when the asserted graph (or any graph but the inferred one) holds it, inferred when
only the inferred graph does. An inferred edge between two resources that an asserted edge already links
(the inverse ``hosts`` of an asserted ``hostedBy``) adds no connection and is dropped.
"""

from __future__ import annotations

import time
from collections.abc import Iterable
from dataclasses import dataclass, field
from typing import TYPE_CHECKING

from ...errors import ExplorationTooBroad
from ...namespaces import GRAPH_ASSERTED, GRAPH_INFERRED, GRAPH_ONTOLOGY, ONTOLOGY, PREFIXES
from ..linked.select import PerVersion, bindings, iri_ref

if TYPE_CHECKING:
    from ..engine import Engine

CHUNK = 400
"""Resources per query: a VALUES block of this many IRIs keeps each query text well under the length limit."""


@dataclass(frozen=True)
class Edge:
    subject: str
    predicate: str
    object: str
    inferred: bool

    @property
    def triple(self) -> tuple[str, str, str]:
        return self.subject, self.predicate, self.object


@dataclass(frozen=True)
class Quote:
    quote: str
    sentence: str
    """The sentence's id (``p04s06``)."""
    start: int
    end: int
    text: str
    """The whole sentence, so the quote can be shown inside it."""
    offset: int
    """Where the sentence starts in the normalised text (``start - offset`` is the quote's place in ``text``)."""


@dataclass
class Why:
    """What stands behind an edge: the report's quotes, or the curators' note."""

    evidence: list[Quote] = field(default_factory=list)
    curated: bool = False
    notes: dict[str, str] = field(default_factory=dict)


_SUB_PROPERTIES = f"""
SELECT ?p ?super WHERE {{ GRAPH <{GRAPH_ONTOLOGY}> {{ ?p rdfs:subPropertyOf ?super }} FILTER(isIRI(?p) && isIRI(?super)) }}"""
"""The ontology's property hierarchy, closed here rather than with a path (some stores cannot run an
unbounded path from an unbound start)."""

_MEMO: PerVersion[frozenset[str]] = PerVersion()
RELATED_TO = ONTOLOGY + "relatedTo"
CONCEPT_RELATIONS = frozenset({PREFIXES["skos"] + "broader", PREFIXES["skos"] + "related"})


def relation_predicates(engine: Engine) -> frozenset[str]:
    return _MEMO.get(engine, "relations", lambda: _relations(engine))


def _relations(engine: Engine) -> frozenset[str]:
    below: dict[str, set[str]] = {}
    for row in bindings(engine, _SUB_PROPERTIES):
        below.setdefault(row["super"]["value"], set()).add(row["p"]["value"])
    found, todo = set(), [RELATED_TO]
    while todo:
        for sub in below.get(todo.pop(), ()):
            if sub not in found:
                found.add(sub)
                todo.append(sub)
    return frozenset((found | CONCEPT_RELATIONS) - {RELATED_TO})


_EDGES = """
SELECT DISTINCT ?g ?s ?p ?o WHERE {{
  VALUES ?n {{ {nodes} }}
  VALUES ?p {{ {predicates} }}
  {{ GRAPH ?g {{ ?n ?p ?o }} BIND(?n AS ?s) }} UNION {{ GRAPH ?g {{ ?s ?p ?n }} BIND(?n AS ?o) }}
  FILTER(isIRI(?s) && isIRI(?o) {only_asserted})
}}"""


def left(deadline: float, what: str) -> float:
    """Seconds left before ``deadline`` (monotonic) for the next query; ExplorationTooBroad past it."""
    remaining = deadline - time.monotonic()
    if remaining <= 0:
        raise ExplorationTooBroad(what, "its time limit")
    return remaining


def edges_around(engine: Engine, nodes: Iterable[str], *, inferred: bool = False, deadline: float,
                 what: str = "the exploration") -> list[Edge]:
    """Every relation edge touching one of ``nodes``, in either direction; all queries end by ``deadline``."""
    predicates = " ".join(iri_ref(p) for p in sorted(relation_predicates(engine)))
    nodes = sorted(set(nodes))
    found: dict[tuple[str, str, str], bool] = {}
    for start in range(0, len(nodes), CHUNK):
        text = _EDGES.format(nodes=" ".join(iri_ref(n) for n in nodes[start:start + CHUNK]), predicates=predicates,
                             only_asserted="" if inferred else f"&& ?g != <{GRAPH_INFERRED}>")
        for row in bindings(engine, text, timeout=left(deadline, what)):
            key = (row["s"]["value"], row["p"]["value"], row["o"]["value"])
            found[key] = found.get(key, True) and row["g"]["value"] == GRAPH_INFERRED
    asserted_pairs = {frozenset((s, o)) for (s, _, o), only_inferred in found.items() if not only_inferred}
    return [Edge(s, p, o, only_inferred) for (s, p, o), only_inferred in sorted(found.items())
            if not (only_inferred and frozenset((s, o)) in asserted_pairs)]


_WHY = """
SELECT ?s ?p ?o ?curated ?note ?quote ?start ?end ?sentence ?text ?offset WHERE {{
  VALUES (?s ?p ?o) {{ {rows} }}
  GRAPH ?h {{ ?st rdf:subject ?s ; rdf:predicate ?p ; rdf:object ?o }}
  {{ GRAPH ?i {{ ?st zgo:curated ?curated }} }}
  UNION {{ GRAPH ?i {{ ?st rdfs:comment ?note }} }}
  UNION {{ GRAPH ?i {{ ?st zgo:evidence ?ev }}
          GRAPH ?j {{ ?ev zgo:sentence ?sn ; oa:hasSelector ?quoteSelector , ?positionSelector .
                      ?quoteSelector oa:exact ?quote . ?positionSelector oa:start ?start ; oa:end ?end }}
          GRAPH ?k {{ ?sn zgo:sentenceId ?sentence ; zgo:text ?text ; oa:start ?offset }} }}
}}"""


def why(engine: Engine, edges: Iterable[Edge], *, deadline: float,
        what: str = "the exploration") -> dict[tuple[str, str, str], Why]:
    """Each asserted edge's evidence and curation note (inferred edges have none: the reasoner added them)."""
    triples = sorted({e.triple for e in edges if not e.inferred})
    found: dict[tuple[str, str, str], Why] = {t: Why() for t in triples}
    for start in range(0, len(triples), CHUNK):
        rows = " ".join(f"({iri_ref(s)} {iri_ref(p)} {iri_ref(o)})" for s, p, o in triples[start:start + CHUNK])
        for row in bindings(engine, _WHY.format(rows=rows), timeout=left(deadline, what)):
            reason = found[row["s"]["value"], row["p"]["value"], row["o"]["value"]]
            if "curated" in row:
                reason.curated = reason.curated or row["curated"]["value"] in ("true", "1")
            if "note" in row:
                reason.notes.setdefault(row["note"].get("xml:lang", ""), row["note"]["value"])
            if "quote" in row:
                quote = Quote(row["quote"]["value"], row["sentence"]["value"], int(row["start"]["value"]),
                              int(row["end"]["value"]), row["text"]["value"], int(row["offset"]["value"]))
                if quote not in reason.evidence:
                    reason.evidence.append(quote)
    for reason in found.values():
        reason.evidence.sort(key=lambda q: q.start)
    return found


@dataclass(frozen=True)
class Names:
    """Labels and asserted class of a resource (and the class's labels), for drawing it."""

    labels: dict[str, str]
    kind: str | None = None
    kind_labels: dict[str, str] = field(default_factory=dict)


_NAMES = f"""
SELECT ?x ?label ?class ?classLabel WHERE {{{{
  VALUES ?x {{{{ {{iris}} }}}}
  {{{{ GRAPH ?g {{{{ ?x rdfs:label ?label }}}} }}}}
  UNION {{{{ GRAPH <{GRAPH_ASSERTED}> {{{{ ?x a ?class }}}} OPTIONAL {{{{ GRAPH ?h {{{{ ?class rdfs:label ?classLabel }}}} }}}} }}}}
}}}}"""


def names(engine: Engine, iris: Iterable[str], *, deadline: float, what: str = "the exploration") -> dict[str, Names]:
    """The labels and class of each IRI (only those asked for: a label index of a large store would not fit)."""
    wanted = sorted(set(iris))
    labels: dict[str, dict[str, str]] = {iri: {} for iri in wanted}
    kinds: dict[str, str] = {}
    kind_labels: dict[str, dict[str, str]] = {}
    for start in range(0, len(wanted), CHUNK):
        text = _NAMES.format(iris=" ".join(iri_ref(i) for i in wanted[start:start + CHUNK]))
        for row in bindings(engine, text, timeout=left(deadline, what)):
            iri = row["x"]["value"]
            if "label" in row:
                labels[iri].setdefault(row["label"].get("xml:lang", ""), row["label"]["value"])
            if "class" in row:
                kinds.setdefault(iri, row["class"]["value"])
                if "classLabel" in row:
                    kind_labels.setdefault(row["class"]["value"], {}).setdefault(
                        row["classLabel"].get("xml:lang", ""), row["classLabel"]["value"])
    return {iri: Names(labels[iri], kinds.get(iri), kind_labels.get(kinds.get(iri), {})) for iri in wanted}
