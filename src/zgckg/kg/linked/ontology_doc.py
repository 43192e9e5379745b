"""The ontology's documentation: its header and every class, property and individual it defines, read from
the store's ontology graph (so the page shows what the store holds, not a file that may have moved on).

The ontology graph is read as plain triples about ``zgo:`` terms and assembled here; subclasses, inverses
and alignments are found from the same triples. Instance and use counts are taken over the union of the
graphs, so a class counts the instances the reasoner found as well as the asserted ones.
"""

from __future__ import annotations

from collections import defaultdict
from dataclasses import dataclass, field
from typing import TYPE_CHECKING

from ...namespaces import GRAPH_ONTOLOGY, ONTOLOGY, PREFIXES
from .select import PerVersion, Row, select

if TYPE_CHECKING:
    from ..engine import Engine

OWL = PREFIXES["owl"]
RDF = PREFIXES["rdf"]
RDFS = PREFIXES["rdfs"]
SKOS = PREFIXES["skos"]
DCTERMS = PREFIXES["dcterms"]
DOCUMENT = ONTOLOGY.rstrip("#")
"""The ontology's own IRI (the document every term is defined in)."""

# The ontology declares these beside the project's shared prefixes; a page names external terms with them.
_EXTRA_PREFIXES = {
    "qudt": "http://qudt.org/schema/qudt/",
    "sdmx-dimension": "http://purl.org/linked-data/sdmx/2009/dimension#",
    "vann": "http://purl.org/vocab/vann/",
}
_NAMESPACES = sorted({**PREFIXES, **_EXTRA_PREFIXES}.items(), key=lambda kv: -len(kv[1]))

KINDS = (
    (OWL + "Class", "class"),
    (OWL + "ObjectProperty", "object"),
    (OWL + "DatatypeProperty", "datatype"),
    (OWL + "AnnotationProperty", "annotation"),
)
"""The OWL type of a term → its kind on the page, in the page's order; anything else is an individual."""
INDIVIDUAL = "individual"

CHARACTERISTICS = tuple(OWL + name for name in (
    "TransitiveProperty", "FunctionalProperty", "InverseFunctionalProperty", "SymmetricProperty",
    "AsymmetricProperty", "ReflexiveProperty", "IrreflexiveProperty",
))

# How a term is aligned to another vocabulary: the predicate, when its object lies outside zgo:.
ALIGNMENTS = (
    OWL + "equivalentClass", OWL + "equivalentProperty", RDFS + "subClassOf", RDFS + "subPropertyOf",
    SKOS + "exactMatch", SKOS + "closeMatch", SKOS + "broadMatch", SKOS + "narrowMatch", SKOS + "relatedMatch",
)
_SUPER = (RDFS + "subClassOf", RDFS + "subPropertyOf")


def prefixed(iri: str) -> str:
    """``schema:Place`` for an IRI in a known namespace, else the IRI itself."""
    for prefix, namespace in _NAMESPACES:
        if iri.startswith(namespace) and len(iri) > len(namespace):
            return f"{prefix}:{iri[len(namespace):]}"
    return iri


@dataclass(frozen=True)
class Ref:
    """A term a page links to: its IRI, its prefixed name, and its labels when it is one of ours."""

    iri: str
    name: str
    label: dict[str, str] = field(default_factory=dict)

    @property
    def ours(self) -> bool:
        return self.iri.startswith(ONTOLOGY)


@dataclass
class TermDoc:
    iri: str
    name: str
    """The local name: the section's id, so ``zgo:X`` (``…/ontology#X``) lands on it."""
    kind: str
    label: dict[str, str] = field(default_factory=dict)
    definition: dict[str, list[str]] = field(default_factory=dict)
    """Language tag → skos:definition and rdfs:comment texts, in that order."""
    supers: list[Ref] = field(default_factory=list)
    subs: list[Ref] = field(default_factory=list)
    domain: list[Ref] = field(default_factory=list)
    range: list[Ref] = field(default_factory=list)
    inverse: list[Ref] = field(default_factory=list)
    disjoint: list[Ref] = field(default_factory=list)
    characteristics: list[str] = field(default_factory=list)
    """Local names of the OWL property characteristics (TransitiveProperty …)."""
    types: list[Ref] = field(default_factory=list)
    """Other types: the Data Cube role of a component property, the class of an individual."""
    alignments: list[tuple[str, Ref]] = field(default_factory=list)
    """(prefixed name of the aligning predicate, the external term)."""
    count: int = 0
    """Instances of a class (asserted or inferred); triples using a property; uses of an individual."""


@dataclass(frozen=True)
class OntologyDoc:
    iri: str
    title: dict[str, str]
    description: dict[str, str]
    version: str | None
    version_iri: str | None
    created: str | None
    licence: str | None
    prefix: str | None
    changes: dict[str, str]
    """What this version changed (``skos:changeNote``), by language."""
    prior_version: str | None
    terms: tuple[TermDoc, ...]

    def of_kind(self, kind: str) -> list[TermDoc]:
        return [t for t in self.terms if t.kind == kind]


SKOS_CHANGE_NOTE = "http://www.w3.org/2004/02/skos/core#changeNote"

_MEMO: PerVersion[OntologyDoc] = PerVersion()

_HEADER = f"""
SELECT ?p ?o WHERE {{ GRAPH <{GRAPH_ONTOLOGY}> {{ <{DOCUMENT}> ?p ?o }} }}"""

_TRIPLES = f"""
SELECT ?s ?p ?o WHERE {{
  GRAPH <{GRAPH_ONTOLOGY}> {{ ?s ?p ?o FILTER(isIRI(?s) && STRSTARTS(STR(?s), "{ONTOLOGY}")) }}
}}"""

# Members of each owl:AllDisjointClasses list, pairwise; the lists are RDF collections.
_DISJOINT = f"""
SELECT DISTINCT ?a ?b WHERE {{
  GRAPH <{GRAPH_ONTOLOGY}> {{
    {{ ?set a owl:AllDisjointClasses ; owl:members/rdf:rest*/rdf:first ?a , ?b FILTER(?a != ?b) }}
    UNION {{ ?a owl:disjointWith ?b }} UNION {{ ?b owl:disjointWith ?a }}
  }}
  FILTER(isIRI(?a) && isIRI(?b))
}}"""

# Over the default graph, the union of all graphs; DISTINCT as a triple may sit in more than one graph.
_INSTANCES = f"""
SELECT ?term (COUNT(DISTINCT ?x) AS ?n) WHERE {{
  ?x a ?term FILTER(STRSTARTS(STR(?term), "{ONTOLOGY}"))
}} GROUP BY ?term"""

_USES = f"""
SELECT ?term (COUNT(*) AS ?n) WHERE {{
  SELECT DISTINCT ?s ?term ?o WHERE {{ ?s ?term ?o FILTER(STRSTARTS(STR(?term), "{ONTOLOGY}")) }}
}} GROUP BY ?term"""

_MENTIONS = f"""
SELECT ?term (COUNT(*) AS ?n) WHERE {{
  SELECT DISTINCT ?s ?p ?term WHERE {{
    ?s ?p ?term FILTER(isIRI(?term) && STRSTARTS(STR(?term), "{ONTOLOGY}") && ?p != rdf:type)
    FILTER NOT EXISTS {{ GRAPH <{GRAPH_ONTOLOGY}> {{ ?s ?p ?term }} }}
  }}
}} GROUP BY ?term"""
"""How often an individual (zgo:PercentagePoint) is used as a value in the data."""


def ontology_doc(engine: Engine) -> OntologyDoc:
    """The documentation of the ontology in the store now served (made once per store version)."""
    return _MEMO.get(engine, "ontology", lambda: _read(engine))


def _read(engine: Engine) -> OntologyDoc:
    header = _header(select(engine, _HEADER))
    by_term: dict[str, dict[str, list]] = defaultdict(lambda: defaultdict(list))
    for row in select(engine, _TRIPLES):
        if row["o"].kind != "bnode":
            by_term[row["s"].value][row["p"].value].append(row["o"])
    labels = {iri: _texts(facts.get(RDFS + "label", [])) for iri, facts in by_term.items()}
    ref = _referrer(labels)
    terms = {iri: _term(iri, facts, ref) for iri, facts in by_term.items() if _is_term(facts)}
    for term in terms.values():
        for sup in term.supers:
            if sup.iri in terms:
                terms[sup.iri].subs.append(ref(term.iri))
        for other in term.inverse:  # owl:inverseOf is stated once per pair; show it on both sides
            if other.iri in terms and all(r.iri != term.iri for r in terms[other.iri].inverse):
                terms[other.iri].inverse.append(ref(term.iri))
    for row in select(engine, _DISJOINT):
        a, b = row["a"].value, row["b"].value
        if a in terms and all(r.iri != b for r in terms[a].disjoint):
            terms[a].disjoint.append(ref(b))
    _count(engine, terms)
    order = {kind: i for i, (_, kind) in enumerate(KINDS)} | {INDIVIDUAL: len(KINDS)}
    ordered = sorted(terms.values(), key=lambda t: (order[t.kind], t.name.lower()))
    for term in ordered:
        for refs in (term.subs, term.inverse, term.disjoint):
            refs.sort(key=lambda r: r.name.lower())
    return OntologyDoc(DOCUMENT, *header, terms=tuple(ordered))


def _header(rows: list[Row]) -> tuple:
    facts: dict[str, list] = defaultdict(list)
    for row in rows:
        facts[row["p"].value].append(row["o"])

    def one(predicate: str) -> str | None:
        values = facts.get(predicate)
        return values[0].value if values else None

    title = _texts(facts.get(DCTERMS + "title", []) or facts.get(RDFS + "label", []))
    description = _texts(facts.get(DCTERMS + "description", []) or facts.get(RDFS + "comment", []))
    return (title, description, one(OWL + "versionInfo"), one(OWL + "versionIRI"), one(DCTERMS + "created"),
            one(DCTERMS + "license"), one("http://purl.org/vocab/vann/preferredNamespacePrefix"),
            _texts(facts.get(SKOS_CHANGE_NOTE, [])), one(OWL + "priorVersion"))


def _is_term(facts: dict[str, list]) -> bool:
    """A subject the ontology types or labels is one of its terms; one it names in an axiom only is not."""
    return bool(facts.get(RDF + "type")) or bool(facts.get(RDFS + "label"))


def _referrer(labels: dict[str, dict[str, str]]):
    def ref(iri: str) -> Ref:
        name = iri[len(ONTOLOGY):] if iri.startswith(ONTOLOGY) else prefixed(iri)
        return Ref(iri, name, labels.get(iri, {}))

    return ref


def _term(iri: str, facts: dict[str, list], ref) -> TermDoc:
    types = [t.value for t in facts.get(RDF + "type", [])]
    kind = next((k for owl_type, k in KINDS if owl_type in types), INDIVIDUAL)
    term = TermDoc(iri, iri[len(ONTOLOGY):], kind, label=_texts(facts.get(RDFS + "label", [])))
    for predicate in (SKOS + "definition", RDFS + "comment"):
        for text in facts.get(predicate, []):
            term.definition.setdefault(text.lang or "", []).append(text.value)
    owl_types = {t for t, _ in KINDS}
    term.characteristics = [t[len(OWL):] for t in CHARACTERISTICS if t in types]
    term.types = [ref(t) for t in types if t not in owl_types and t not in CHARACTERISTICS]
    for predicate in _SUPER:
        term.supers += [ref(o.value) for o in facts.get(predicate, []) if o.value.startswith(ONTOLOGY)]
    term.domain = [ref(o.value) for o in facts.get(RDFS + "domain", [])]
    term.range = [ref(o.value) for o in facts.get(RDFS + "range", [])]
    term.inverse = [ref(o.value) for o in facts.get(OWL + "inverseOf", [])]
    for predicate in ALIGNMENTS:
        term.alignments += [(prefixed(predicate), ref(o.value)) for o in facts.get(predicate, [])
                            if o.is_iri and not o.value.startswith(ONTOLOGY)]
    return term


def _count(engine: Engine, terms: dict[str, TermDoc]) -> None:
    counts = {
        "class": _counts(select(engine, _INSTANCES)),
        INDIVIDUAL: _counts(select(engine, _MENTIONS)),
    }
    uses = _counts(select(engine, _USES))
    for term in terms.values():
        term.count = counts.get(term.kind, uses).get(term.iri, 0)


def _counts(rows: list[Row]) -> dict[str, int]:
    return {row["term"].value: int(row["n"].value) for row in rows if "term" in row}


def _texts(terms: list) -> dict[str, str]:
    """Language tag → text, the first of each language."""
    texts: dict[str, str] = {}
    for term in terms:
        texts.setdefault(term.lang or "", term.value)
    return texts
