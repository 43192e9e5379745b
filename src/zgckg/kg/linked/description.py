"""One resource as a linked-data client or a reader sees it: what it says, what points at it, and why.

``describe(engine, iri)`` reads, in one query through the engine, every quad of the resource's bounded
description:

- the resource's own quads, and the quads pointing at it, in every graph;
- the reified statements about it (``rdf:subject``/``rdf:object`` it), which carry a fact's evidence or its
  curation note, and the observations about it (``zgo:about`` it): the figures;
- the evidence records naming the resource (``zgo:mentionedAt``) or supporting those statements and
  observations, with their selectors (quote and offsets), and the sentence each quotes (its text and
  offsets, so the quote can be shown inside it); an evidence record's own description includes its
  selectors, as a bounded description includes what only the resource points at;
- the labels of every IRI mentioned.

From those quads it sorts out what a page shows: relations grouped by property and direction, each with
its evidence or curation note, inferred facts (those found only in the inferred graph) kept apart, and the
figures. ``quads`` keeps them all for the RDF answers (``rdf_out``).
"""

from __future__ import annotations

from collections import defaultdict
from dataclasses import dataclass, field
from decimal import Decimal, InvalidOperation
from typing import TYPE_CHECKING

from ...namespaces import GRAPH_INFERRED, INSTANCES, OA, ONTOLOGY, PREFIXES, RDF, RDFS, shorten
from .select import PerVersion, Term, bindings, iri_ref

if TYPE_CHECKING:
    from ..engine import Engine

SKOS = PREFIXES["skos"]
SDMX_MEASURE = PREFIXES["sdmx-measure"]
SDMX_ATTRIBUTE = PREFIXES["sdmx-attribute"]
SCHEMA = PREFIXES["schema"]
LABEL, ALT_LABEL, PREF_LABEL, COMMENT, TYPE = RDFS + "label", SKOS + "altLabel", SKOS + "prefLabel", RDFS + "comment", RDF + "type"
EVIDENCE, CURATED, ABOUT, SENTENCE = ONTOLOGY + "evidence", ONTOLOGY + "curated", ONTOLOGY + "about", ONTOLOGY + "sentence"
INTERPRETED = ONTOLOGY + "interpreted"
MENTIONED_AT, SELECTOR = ONTOLOGY + "mentionedAt", OA + "hasSelector"
CODES = INSTANCES + "code/"
"""The Data Cube's codes for a dimension that does not apply (not a share, no industry …)."""
STATEMENT_PARTS = {RDF + "subject", RDF + "predicate", RDF + "object"}

# Shown on their own (names, types, notes, evidence) rather than as relations.
_OWN = {LABEL, ALT_LABEL, PREF_LABEL, TYPE, COMMENT, EVIDENCE, MENTIONED_AT}
# A fact pointing at the resource that is plumbing, not a relation: statements and observations about it.
_PLUMBING_IN = STATEMENT_PARTS | {ABOUT, SENTENCE, OA + "hasBody"}


@dataclass(frozen=True)
class Quad:
    subject: Term
    predicate: str
    object: Term
    graph: str | None


@dataclass(frozen=True)
class Evidence:
    """A quote from the report, in its sentence."""

    iri: str
    quote: str
    start: int | None
    end: int | None
    sentence: str | None
    sentence_id: str | None
    before: str = ""
    after: str = ""
    """The sentence's text around the quote (empty when the sentence is unknown)."""


@dataclass
class Fact:
    """One triple about the resource, seen from it: ``other`` is the object (out) or the subject (in)."""

    predicate: str
    other: Term
    direction: str  # "out" | "in"
    inferred: bool
    evidence: list[Evidence] = field(default_factory=list)
    curated: bool = False
    interpreted: bool = False
    """Read from the quoted words by interpretation (zgo:interpreted): ``notes`` says how."""
    notes: dict[str, str] = field(default_factory=dict)
    """The statement's rdfs:comment by language: a curator's reason, or how the report was read."""
    statement: str | None = None


_UNIT = PREFIXES["unit"]
_CUR = PREFIXES["cur"]
_UNIT_WORDS = {
    (_CUR + "CNY", 8): ("亿元", "100 million yuan"), (_CUR + "CNY", 12): ("万亿元", "trillion yuan"),
    (_CUR + "CNY", 4): ("万元", "10,000 yuan"), (_CUR + "CNY", 0): ("元", "yuan"),
    (_CUR + "USD", 8): ("亿美元", "100 million US dollars"), (_UNIT + "NUM", 4): ("万", "ten thousand"),
    (_UNIT + "NUM", 8): ("亿", "100 million"), (_UNIT + "NUM", 0): ("", ""), (_UNIT + "PERCENT", 0): ("%", "%"),
    (_UNIT + "KiloM2", 0): ("平方公里", "km²"), (_UNIT + "YR", 0): ("年", "years"),
    (ONTOLOGY + "PercentagePoint", 0): ("个百分点", "percentage points"),
}
"""The units and multipliers the report writes, as it writes them (and in English)."""


@dataclass
class Figure:
    """An observation about the resource (RDF Data Cube), as the report writes it."""

    iri: str
    labels: dict[str, str]
    value: str | None
    unit: str | None
    multiplier: int
    qualifier: str | None
    period: str | None
    share_of: str | None
    measure: str | None
    evidence: list[Evidence]

    def unit_words(self, lang: str) -> str:
        """Unit and written multiplier as the report writes them (亿元, 万, %), or as IRIs when unknown."""
        words = _UNIT_WORDS.get((self.unit or "", self.multiplier))
        if words is not None:
            return words[0 if lang == "zh" else 1]
        unit = shorten(self.unit) if self.unit else ""
        return f"× 10^{self.multiplier} {unit}" if self.multiplier else unit

    @property
    def base_value(self) -> str | None:
        """The value in base units (the written multiplier applied): 1.84 万亿 → 1840000000000."""
        try:
            number = Decimal(self.value) * (Decimal(10) ** self.multiplier)
        except (InvalidOperation, TypeError):
            return None
        return format(number.normalize(), "f")


@dataclass
class Description:
    iri: str
    quads: list[Quad]
    labels: dict[str, dict[str, str]]
    """IRI → language → label, for the resource and everything it mentions."""
    alt_labels: dict[str, list[str]]
    types: list[str]
    inferred_types: list[str]
    comments: dict[str, str]
    evidence: list[Evidence]
    """The quotes that name the resource itself."""
    facts: list[Fact]
    figures: list[Figure]
    attributes: list[Fact]
    """Facts whose value is a literal (a characterisation, a count, a date)."""

    def grouped(self, *, inferred: bool) -> list[tuple[str, str, list[Fact]]]:
        """(direction, property, facts) for the asserted or the inferred relations, outgoing first."""
        groups: dict[tuple[str, str], list[Fact]] = defaultdict(list)
        for fact in self.facts:
            if fact.inferred == inferred:
                groups[fact.direction, fact.predicate].append(fact)
        order = sorted(groups, key=lambda k: (k[0] != "out", k[1]))
        return [(d, p, groups[d, p]) for d, p in order]

    def attributes_in(self, lang: str) -> list[Fact]:
        """The asserted literal facts, for each property in ``lang`` when it has any, else all of them."""
        by_property: dict[str, list[Fact]] = defaultdict(list)
        for fact in self.attributes:
            if not fact.inferred:
                by_property[fact.predicate].append(fact)
        chosen = []
        for facts in by_property.values():
            in_lang = [f for f in facts if f.other.lang == lang]
            chosen.extend(in_lang or facts)
        return chosen

    def label(self, iri: str) -> dict[str, str]:
        return self.labels.get(iri, {})


_QUADS = """
SELECT DISTINCT ?g ?s ?p ?o WHERE {{
  {{ GRAPH ?g {{ {r} ?p ?o }} BIND({r} AS ?s) }}
  UNION {{ GRAPH ?g {{ ?s ?p {r} }} BIND({r} AS ?o) }}
  UNION {{ GRAPH ?h {{ ?s rdf:subject|rdf:object|zgo:about {r} }} GRAPH ?g {{ ?s ?p ?o }} }}
  UNION {{
    # the evidence records naming the resource or supporting its statements and figures: each record's
    # own triples, its selectors' and its sentence's text and offsets
    {{ SELECT DISTINCT ?e WHERE {{
      {{ GRAPH ?h {{ {r} zgo:evidence|zgo:mentionedAt ?e }} }}
      UNION {{ GRAPH ?h {{ ?x rdf:subject|rdf:object|zgo:about {r} }} GRAPH ?i {{ ?x zgo:evidence ?e }} }}
    }} }}
    {{ GRAPH ?g {{ ?e ?p ?o }} BIND(?e AS ?s) }}
    UNION {{ GRAPH ?j {{ ?e oa:hasSelector ?s }} GRAPH ?g {{ ?s ?p ?o }} }}
    UNION {{ GRAPH ?j {{ ?e zgo:sentence ?s }}
             GRAPH ?g {{ ?s ?p ?o }} FILTER(?p IN (zgo:text, zgo:sentenceId, oa:start, oa:end, rdf:type)) }}
  }}
  UNION {{ GRAPH ?h {{ {r} oa:hasSelector ?s }} GRAPH ?g {{ ?s ?p ?o }} }}
  UNION {{
    # the labels of what the triples above mention: properties, neighbours, the terms a figure uses
    {{ SELECT DISTINCT ?s WHERE {{
      {{ GRAPH ?h {{ {r} ?s ?y }} }} UNION {{ GRAPH ?h {{ ?y ?s {r} }} }}
      UNION {{ GRAPH ?h {{ {r} ?y ?s }} }} UNION {{ GRAPH ?h {{ ?s ?y {r} }} }}
      UNION {{ GRAPH ?h {{ ?x zgo:about {r} . ?x ?y ?s }} }}
    }} }}
    GRAPH ?g {{ ?s rdfs:label ?o }} BIND(rdfs:label AS ?p)
  }}
}}"""
"""One query, one trip to a worker: the bounded description and the labels it needs. Shaped for Virtuoso's
planner as well as Oxigraph's (the same rows either way): each alternative of the labels' subquery in its
own GRAPH (one GRAPH around a UNION with a two-pattern branch took 430 ms at 10M quads, against 2 ms), and
the evidence records found first in a subquery of their own (Virtuoso does not carry them from one group
into the next: 70 ms at 1M quads, against 8 ms)."""


_MEMO: PerVersion[Description | None] = PerVersion(maxsize=1024)
"""Descriptions asked for again (a page, then its Turtle) in the same store version are not read again."""


def describe(engine: Engine, iri: str, *, timeout: float | None = None) -> Description | None:
    """The resource's description; None when the store holds no triple with it as subject or object."""
    iri_ref(iri)  # refuse what is not an IRI before anything is remembered under it
    return _MEMO.get(engine, iri, lambda: _read(engine, iri, timeout))


def _read(engine: Engine, iri: str, timeout: float | None) -> Description | None:
    term = Term.from_json
    quads = [
        Quad(term(row["s"]), row["p"]["value"], term(row["o"]), row["g"]["value"] if "g" in row else None)
        for row in bindings(engine, _QUADS.format(r=iri_ref(iri)), timeout=timeout)
    ]
    if not quads:
        return None
    labels: dict[str, dict[str, str]] = defaultdict(dict)
    for q in quads:
        if q.predicate == LABEL and q.subject.value != iri:
            labels[q.subject.value].setdefault(q.object.lang or "", q.object.value)
    return _assemble(iri, quads, labels)


def _assemble(iri: str, quads: list[Quad], labels: dict[str, dict[str, str]]) -> Description:
    by_subject: dict[str, list[Quad]] = defaultdict(list)
    asserted_triples = set()
    for q in quads:
        by_subject[q.subject.value].append(q)
        if q.graph != GRAPH_INFERRED:
            asserted_triples.add((q.subject, q.predicate, q.object))

    def values(node: str, predicate: str) -> list[Term]:
        return [q.object for q in by_subject.get(node, ()) if q.predicate == predicate]

    def first(node: str, predicate: str) -> Term | None:
        found = values(node, predicate)
        return found[0] if found else None

    sentences: dict[str, tuple[str, int]] = {}
    for node, node_quads in by_subject.items():
        text, start = first(node, ONTOLOGY + "text"), first(node, OA + "start")
        if text is not None and start is not None and any(
                q.predicate == TYPE and q.object.value == ONTOLOGY + "Sentence" for q in node_quads):
            sentences[node] = (text.value, int(start.value))

    def evidence_of(node: str) -> list[Evidence]:
        records = values(node, EVIDENCE) + values(node, MENTIONED_AT)
        found = [_evidence(e.value, _with_selectors(e.value, by_subject), sentences) for e in records]
        return sorted({e.iri: e for e in found}.values(), key=lambda e: (e.start is None, e.start or 0, e.iri))

    own_labels: dict[str, str] = {}
    for term in values(iri, LABEL):
        own_labels.setdefault(term.lang or "", term.value)
    labels = dict(labels)
    labels[iri] = own_labels

    alt: dict[str, list[str]] = defaultdict(list)
    for term in values(iri, ALT_LABEL):
        alt[term.lang or ""].append(term.value)

    types, inferred_types = [], []
    for q in by_subject.get(iri, ()):
        if q.predicate == TYPE and q.object.is_iri:
            asserted = (q.subject, q.predicate, q.object) in asserted_triples
            target = types if asserted else inferred_types
            if q.object.value not in target:
                target.append(q.object.value)
    inferred_types = [t for t in inferred_types if t not in types]

    # The statements that reify a triple of the resource: (s, p, o) → statement IRIs.
    statements: dict[tuple[str, str, str], list[str]] = defaultdict(list)
    for node in by_subject:
        s, p, o = first(node, RDF + "subject"), first(node, RDF + "predicate"), first(node, RDF + "object")
        if s is not None and p is not None and o is not None:
            statements[s.value, p.value, o.value].append(node)

    facts, attributes = [], []
    seen = set()
    for q in quads:
        if q.subject.value == iri and q.object.value == iri and q.subject == q.object:
            direction = "out"
        elif q.subject.value == iri and q.subject.is_iri:
            direction = "out"
        elif q.object.value == iri and q.object.is_iri:
            direction = "in"
        else:
            continue
        if direction == "out" and q.predicate in _OWN:
            continue
        if direction == "in" and q.predicate in _PLUMBING_IN:
            continue
        key = (q.subject, q.predicate, q.object)
        if key in seen:
            continue
        seen.add(key)
        inferred = key not in asserted_triples
        other = q.object if direction == "out" else q.subject
        fact = Fact(q.predicate, other, direction, inferred)
        for statement in statements.get((q.subject.value, q.predicate, q.object.value), ()):
            fact.statement = statement
            fact.evidence.extend(evidence_of(statement))
            fact.curated = fact.curated or _true(first(statement, CURATED))
            fact.interpreted = fact.interpreted or _true(first(statement, INTERPRETED))
            for note in values(statement, COMMENT):
                fact.notes.setdefault(note.lang or "", note.value)
        (attributes if other.kind == "literal" else facts).append(fact)

    comments: dict[str, str] = {}
    for term in values(iri, COMMENT):
        comments.setdefault(term.lang or "", term.value)

    figures = [_figure(node, values, first, evidence_of, labels) for node in by_subject
               if any(t.value == iri for t in values(node, ABOUT))]
    figures.sort(key=lambda f: (f.evidence[0].start if f.evidence and f.evidence[0].start is not None else 1 << 30, f.iri))
    return Description(iri, quads, labels, dict(alt), types, inferred_types, comments, evidence_of(iri), facts,
                       figures, attributes)


def _with_selectors(record: str, by_subject: dict[str, list[Quad]]) -> list[Quad]:
    """The record's own quads and its selectors' (quote, offsets), which a reader of the record needs as one."""
    own = by_subject.get(record, [])
    return own + [q for s in own if s.predicate == SELECTOR for q in by_subject.get(s.object.value, ())]


def _evidence(iri: str, node_quads, sentences: dict[str, tuple[str, int]]) -> Evidence:
    props = {q.predicate: q.object.value for q in node_quads}
    quote = props.get(OA + "exact", "")
    start = _int(props.get(OA + "start"))
    end = _int(props.get(OA + "end"))
    sentence = props.get(SENTENCE)
    sentence_id = sentence.rsplit("/", 1)[-1] if sentence else None
    before = after = ""
    if sentence in sentences:
        text, offset = sentences[sentence]
        at = start - offset if start is not None else -1
        if not (0 <= at and text[at:at + len(quote)] == quote):
            at = text.find(quote)  # offsets from another normalisation: find the words instead
        if at >= 0:
            before, after = text[:at], text[at + len(quote):]
    return Evidence(iri, quote, start, end, sentence, sentence_id, before, after)


def _true(term: Term | None) -> bool:
    return term is not None and term.value in ("true", "1")


def _int(value: str | None) -> int | None:
    try:
        return int(value) if value is not None else None
    except ValueError:
        return None


def _figure(node, values, first, evidence_of, labels) -> Figure:
    def one(predicate: str) -> str | None:
        term = first(node, predicate)
        return term.value if term is not None else None

    mult = _int(one(SDMX_ATTRIBUTE + "unitMult")) or 0
    own = {}
    for term in values(node, LABEL):
        own.setdefault(term.lang or "", term.value)
    labels.setdefault(node, own)
    share_of = one(ONTOLOGY + "shareOf")
    if share_of is not None and share_of.startswith(CODES):  # "not a share" is a code, not a whole
        share_of = None
    # a stock figure (截至 2016 年底) is shown as of its date; its period, the year, is the cube's key
    period = one(ONTOLOGY + "asOfDate") or one(ONTOLOGY + "refPeriod")
    return Figure(node, own, one(SDMX_MEASURE + "obsValue"), one(SDMX_ATTRIBUTE + "unitMeasure"), mult,
                  one(ONTOLOGY + "qualifier"), period, share_of, one(ONTOLOGY + "measure"), evidence_of(node))
