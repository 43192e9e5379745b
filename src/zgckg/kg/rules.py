"""OWL 2 RL as SPARQL ``INSERT … WHERE`` rules run to a fixpoint inside an in-memory Oxigraph store.

The same entailments as owlrl (the rule names are those of the OWL 2 RL profile, section 4.3), computed
by Oxigraph's query engine instead of Python loops: many times faster on our data. It is only used in
place of owlrl because a test shows both give the same triples once noise is filtered
(``tests/test_reasoning.py``).

To give exactly owlrl's results, the rules also derive the reflexive bookkeeping owlrl derives
(``C rdfs:subClassOf C``, ``C rdfs:subClassOf owl:Thing``, ``p rdfs:subPropertyOf p`` …): other rules
build on it (an instance of a declared class is an ``owl:Thing``; ``scm-hv`` needs ``p rdfs:subPropertyOf p``).
It is noise, and filtered at the end like owlrl's. What owlrl derives about literals (literal subjects,
``owl:sameAs`` on every term) never reaches a store, so the rules skip it (owlrl does not use it either: a
someValuesFrom restriction on a datatype does not match a literal there).

Axioms over RDF lists that SPARQL cannot walk pairwise (property chains, keys, all-disjoint sets) are read
from the graph in Python and turned into one generated rule each.
"""

from __future__ import annotations

from collections.abc import Iterable, Iterator

import pyoxigraph as ox
import rdflib
from rdflib import OWL, RDF
from rdflib.collection import Collection

from ..errors import ValidationFailed, Violation
from ..namespaces import shorten
from .inputs import ill_typed_literals, ill_typed_message, to_oxigraph
from .reasoning import is_noise

_PROLOGUE = """PREFIX rdf: <http://www.w3.org/1999/02/22-rdf-syntax-ns#>
PREFIX rdfs: <http://www.w3.org/2000/01/rdf-schema#>
PREFIX owl: <http://www.w3.org/2002/07/owl#>
"""
_MEMBER = "rdf:rest*/rdf:first"

# name → (template, pattern). Each rule is run as INSERT { template } WHERE { pattern }.
RULES: dict[str, tuple[str, str]] = {
    # Properties
    "prp-dom": ("?x a ?c", "?p rdfs:domain ?c . ?x ?p ?y"),
    "prp-rng": ("?y a ?c", "?p rdfs:range ?c . ?x ?p ?y FILTER(!isLiteral(?y))"),
    "prp-fp": ("?y1 owl:sameAs ?y2",
               "?p a owl:FunctionalProperty . ?x ?p ?y1 , ?y2 FILTER(?y1 != ?y2 && !isLiteral(?y1) && !isLiteral(?y2))"),
    "prp-ifp": ("?x1 owl:sameAs ?x2", "?p a owl:InverseFunctionalProperty . ?x1 ?p ?y . ?x2 ?p ?y FILTER(?x1 != ?x2)"),
    "prp-symp": ("?y ?p ?x", "?p a owl:SymmetricProperty . ?x ?p ?y FILTER(!isLiteral(?y))"),
    "prp-trp": ("?x ?p ?z", "?p a owl:TransitiveProperty . ?x ?p ?y . ?y ?p ?z"),
    "prp-spo1": ("?x ?p2 ?y", "?p1 rdfs:subPropertyOf ?p2 FILTER(?p1 != ?p2) ?x ?p1 ?y"),
    "prp-eqp1": ("?x ?p2 ?y", "?p1 owl:equivalentProperty ?p2 FILTER(?p1 != ?p2) ?x ?p1 ?y"),
    "prp-eqp2": ("?x ?p1 ?y", "?p1 owl:equivalentProperty ?p2 FILTER(?p1 != ?p2) ?x ?p2 ?y"),
    "prp-inv1": ("?y ?p2 ?x", "?p1 owl:inverseOf ?p2 . ?x ?p1 ?y FILTER(!isLiteral(?y))"),
    "prp-inv2": ("?y ?p1 ?x", "?p1 owl:inverseOf ?p2 . ?x ?p2 ?y FILTER(!isLiteral(?y))"),
    # Equality (only ever non-reflexive here: owlrl's x owl:sameAs x is noise)
    "eq-sym": ("?y owl:sameAs ?x", "?x owl:sameAs ?y"),
    "eq-trans": ("?x owl:sameAs ?z", "?x owl:sameAs ?y . ?y owl:sameAs ?z FILTER(?x != ?z)"),
    "eq-rep-s": ("?s2 ?p ?o", "?s owl:sameAs ?s2 FILTER(?s != ?s2) ?s ?p ?o"),
    "eq-rep-p": ("?s ?p2 ?o", "?p owl:sameAs ?p2 FILTER(?p != ?p2) ?s ?p ?o"),
    "eq-rep-o": ("?s ?p ?o2", "?o owl:sameAs ?o2 FILTER(?o != ?o2) ?s ?p ?o"),
    # Classes
    "cls-thing": ("owl:Thing a owl:Class", ""),
    "cls-nothing1": ("owl:Nothing a owl:Class", ""),
    "cls-int1": ("?y a ?c", f"""?c owl:intersectionOf ?l . ?l rdf:first ?c1 . ?y a ?c1
                 FILTER NOT EXISTS {{ ?l {_MEMBER} ?ci FILTER NOT EXISTS {{ ?y a ?ci }} }}"""),
    "cls-int2": ("?y a ?ci", f"?c owl:intersectionOf ?l . ?l {_MEMBER} ?ci . ?y a ?c"),
    "cls-uni": ("?y a ?c", f"?c owl:unionOf ?l . ?l {_MEMBER} ?ci . ?y a ?ci"),
    "cls-svf1": ("?u a ?x", "?x owl:someValuesFrom ?y ; owl:onProperty ?p . ?u ?p ?v . ?v a ?y"),
    "cls-svf2": ("?u a ?x", "?x owl:someValuesFrom owl:Thing ; owl:onProperty ?p . ?u ?p ?v"),
    "cls-avf": ("?v a ?y", "?x owl:allValuesFrom ?y ; owl:onProperty ?p . ?u a ?x ; ?p ?v FILTER(!isLiteral(?v))"),
    "cls-hv1": ("?u ?p ?y", "?x owl:hasValue ?y ; owl:onProperty ?p . ?u a ?x"),
    "cls-hv2": ("?u a ?x", "?x owl:hasValue ?y ; owl:onProperty ?p . ?u ?p ?y"),
    "cls-maxc2": ("?y1 owl:sameAs ?y2", """?x owl:maxCardinality ?n ; owl:onProperty ?p FILTER(?n = 1)
                  ?u a ?x ; ?p ?y1 , ?y2 FILTER(?y1 != ?y2 && !isLiteral(?y1) && !isLiteral(?y2))"""),
    "cls-maxqc3": ("?y1 owl:sameAs ?y2", """?x owl:maxQualifiedCardinality ?n ; owl:onProperty ?p ;
                   owl:onClass ?c FILTER(?n = 1) ?u a ?x ; ?p ?y1 , ?y2 . ?y1 a ?c . ?y2 a ?c
                   FILTER(?y1 != ?y2 && !isLiteral(?y1) && !isLiteral(?y2))"""),
    "cls-maxqc4": ("?y1 owl:sameAs ?y2", """?x owl:maxQualifiedCardinality ?n ; owl:onProperty ?p ;
                   owl:onClass owl:Thing FILTER(?n = 1) ?u a ?x ; ?p ?y1 , ?y2
                   FILTER(?y1 != ?y2 && !isLiteral(?y1) && !isLiteral(?y2))"""),
    "cls-oo": ("?y a ?c", f"?c owl:oneOf ?l . ?l {_MEMBER} ?y"),
    # Class axioms
    "cax-sco": ("?x a ?c2", "?c1 rdfs:subClassOf ?c2 FILTER(?c1 != ?c2) ?x a ?c1"),
    "cax-eqc1": ("?x a ?c2", "?c1 owl:equivalentClass ?c2 FILTER(?c1 != ?c2) ?x a ?c1"),
    "cax-eqc2": ("?x a ?c1", "?c1 owl:equivalentClass ?c2 FILTER(?c1 != ?c2) ?x a ?c2"),
    # Schema vocabulary
    "scm-cls": ("?c rdfs:subClassOf ?c , owl:Thing ; owl:equivalentClass ?c . owl:Nothing rdfs:subClassOf ?c",
                "?c a owl:Class"),
    "scm-sco": ("?c1 rdfs:subClassOf ?c3",
                "?c1 rdfs:subClassOf ?c2 FILTER(?c1 != ?c2) ?c2 rdfs:subClassOf ?c3 FILTER(?c1 != ?c3)"),
    "scm-eqc1": ("?c1 rdfs:subClassOf ?c2 . ?c2 rdfs:subClassOf ?c1", "?c1 owl:equivalentClass ?c2 FILTER(?c1 != ?c2)"),
    "scm-eqc2": ("?c1 owl:equivalentClass ?c2", "?c1 rdfs:subClassOf ?c2 . ?c2 rdfs:subClassOf ?c1"),
    "scm-op": ("?p rdfs:subPropertyOf ?p ; owl:equivalentProperty ?p",
               "VALUES ?kind { owl:ObjectProperty owl:DatatypeProperty rdf:Property } ?p a ?kind"),
    "scm-spo": ("?p1 rdfs:subPropertyOf ?p3",
                "?p1 rdfs:subPropertyOf ?p2 FILTER(?p1 != ?p2) ?p2 rdfs:subPropertyOf ?p3 FILTER(?p1 != ?p3)"),
    "scm-eqp1": ("?p1 rdfs:subPropertyOf ?p2 . ?p2 rdfs:subPropertyOf ?p1",
                 "?p1 owl:equivalentProperty ?p2 FILTER(?p1 != ?p2)"),
    "scm-eqp2": ("?p1 owl:equivalentProperty ?p2",
                 "?p1 rdfs:subPropertyOf ?p2 FILTER(?p1 != ?p2) ?p2 rdfs:subPropertyOf ?p1"),
    "scm-dom1": ("?p rdfs:domain ?c2", "?p rdfs:domain ?c1 . ?c1 rdfs:subClassOf ?c2 FILTER(?c1 != ?c2)"),
    "scm-dom2": ("?p1 rdfs:domain ?c", "?p2 rdfs:domain ?c . ?p1 rdfs:subPropertyOf ?p2 FILTER(?p1 != ?p2)"),
    "scm-rng1": ("?p rdfs:range ?c2", "?p rdfs:range ?c1 . ?c1 rdfs:subClassOf ?c2 FILTER(?c1 != ?c2)"),
    "scm-rng2": ("?p1 rdfs:range ?c", "?p2 rdfs:range ?c . ?p1 rdfs:subPropertyOf ?p2 FILTER(?p1 != ?p2)"),
    "scm-hv": ("?c1 rdfs:subClassOf ?c2", """?c1 owl:hasValue ?i ; owl:onProperty ?p1 .
               ?c2 owl:hasValue ?i ; owl:onProperty ?p2 . ?p1 rdfs:subPropertyOf ?p2"""),
    "scm-svf1": ("?c1 rdfs:subClassOf ?c2", """?c1 owl:someValuesFrom ?y1 ; owl:onProperty ?p .
                 ?c2 owl:someValuesFrom ?y2 ; owl:onProperty ?p . ?y1 rdfs:subClassOf ?y2"""),
    "scm-svf2": ("?c1 rdfs:subClassOf ?c2", """?c1 owl:someValuesFrom ?y ; owl:onProperty ?p1 .
                 ?c2 owl:someValuesFrom ?y ; owl:onProperty ?p2 . ?p1 rdfs:subPropertyOf ?p2"""),
    "scm-avf1": ("?c1 rdfs:subClassOf ?c2", """?c1 owl:allValuesFrom ?y1 ; owl:onProperty ?p .
                 ?c2 owl:allValuesFrom ?y2 ; owl:onProperty ?p . ?y1 rdfs:subClassOf ?y2"""),
    "scm-avf2": ("?c2 rdfs:subClassOf ?c1", """?c1 owl:allValuesFrom ?y ; owl:onProperty ?p1 .
                 ?c2 owl:allValuesFrom ?y ; owl:onProperty ?p2 . ?p1 rdfs:subPropertyOf ?p2"""),
    "scm-int": ("?c rdfs:subClassOf ?ci", f"?c owl:intersectionOf ?l . ?l {_MEMBER} ?ci"),
    "scm-uni": ("?ci rdfs:subClassOf ?c", f"?c owl:unionOf ?l . ?l {_MEMBER} ?ci"),
}

# name → (SELECT of the offending nodes ?x ?a ?b, message). Checked once the closure is complete.
CHECKS: dict[str, tuple[str, str]] = {
    "cls-nothing2": ("SELECT ?x ?a ?b WHERE { ?x a owl:Nothing BIND(owl:Nothing AS ?a) BIND(?x AS ?b) }",
                     "{x} is an instance of owl:Nothing"),
    "cax-dw": ("SELECT ?x ?a ?b WHERE { ?a owl:disjointWith ?b . ?x a ?a , ?b }",
               "{x} is an instance of the disjoint classes {a} and {b}"),
    "cls-com": ("SELECT ?x ?a ?b WHERE { ?a owl:complementOf ?b . ?x a ?a , ?b }",
                "{x} is an instance of the complementary classes {a} and {b}"),
    "prp-irp": ("SELECT ?x ?a ?b WHERE { ?a a owl:IrreflexiveProperty . ?x ?a ?x BIND(?x AS ?b) }",
                "{x} is related to itself by the irreflexive property {a}"),
    "prp-asyp": ("SELECT ?x ?a ?b WHERE { ?a a owl:AsymmetricProperty . ?x ?a ?b . ?b ?a ?x }",
                 "{x} and {b} are related both ways by the asymmetric property {a}"),
    "prp-pdw": ("SELECT ?x ?a ?b WHERE { ?a owl:propertyDisjointWith ?b . ?x ?a ?y . ?x ?b ?y }",
                "{x} uses the disjoint properties {a} and {b} with the same value"),
    "eq-diff1": ("SELECT ?x ?a ?b WHERE { ?x owl:sameAs ?a . ?x owl:differentFrom ?a BIND(?a AS ?b) }",
                 "{x} is both the same as and different from {a}"),
    "cls-maxc1": ("""SELECT ?x ?a ?b WHERE { ?r owl:maxCardinality ?n ; owl:onProperty ?a FILTER(?n = 0)
                     ?x a ?r ; ?a ?b }""", "{x} has a value {b} for {a}, whose maximum cardinality is 0"),
    "prp-fp-literal": ("""SELECT ?x ?a ?b WHERE { ?a a owl:FunctionalProperty . ?x ?a ?b , ?c
                          FILTER(isLiteral(?b) && isLiteral(?c) && ?b != ?c) }""",
                       "{x} has more than one value for the functional property {a}, among them {b}"),
}


def infer_with_rules(ontology: rdflib.Graph, asserted: rdflib.Graph) -> rdflib.Graph:
    """The same triples as :func:`zgckg.kg.reasoning.infer`, computed by SPARQL rules in Oxigraph."""
    given = rdflib.Graph()
    given += ontology
    given += asserted
    store = ox.Store()
    store.bulk_extend(ox.Quad(*map(to_oxigraph, t), ox.DefaultGraph()) for t in given)
    before = set(store)
    run_to_fixpoint(store, [*_compiled(RULES), *_list_rules(given)])
    raise_if_inconsistent(store, given)
    inferred = rdflib.Graph()
    for quad in store:
        if quad not in before:
            triple = (_rdflib(quad.subject), _rdflib(quad.predicate), _rdflib(quad.object))
            if not is_noise(triple):
                inferred.add(triple)
    return inferred


def run_to_fixpoint(store: ox.Store, updates: list[str]) -> int:
    """Apply every rule until a full round adds nothing; the number of rounds."""
    rounds, size = 0, -1
    while len(store) != size:
        size = len(store)
        rounds += 1
        for update in updates:
            store.update(update)
    return rounds


def raise_if_inconsistent(store: ox.Store, given: rdflib.Graph) -> None:
    violations = [*_ill_typed(given), *_check_violations(store, given)]
    if violations:
        raise ValidationFailed(sorted(violations, key=lambda v: (v.focus, v.message)))


def _compiled(rules: dict[str, tuple[str, str]]) -> list[str]:
    return [f"{_PROLOGUE}INSERT {{ {template} }} WHERE {{ {pattern} }}" for template, pattern in rules.values()]


def _list_rules(graph: rdflib.Graph) -> list[str]:
    """Rules for axioms whose operands are RDF lists: one generated rule per axiom."""
    rules = {}
    for prop, chain in graph.subject_objects(OWL.propertyChainAxiom):
        steps = [_n3(p) for p in Collection(graph, chain)]
        path = " . ".join(f"?u{i} {p} ?u{i + 1}" for i, p in enumerate(steps))
        rules[f"prp-spo2 {prop}"] = (f"?u0 {_n3(prop)} ?u{len(steps)}", path)
    for cls, key in graph.subject_objects(OWL.hasKey):
        props = [_n3(p) for p in Collection(graph, key)]
        same_values = " . ".join(f"?x {p} ?z{i} . ?y {p} ?z{i}" for i, p in enumerate(props))
        rules[f"prp-key {cls}"] = ("?x owl:sameAs ?y", f"?x a {_n3(cls)} . ?y a {_n3(cls)} . {same_values} FILTER(?x != ?y)")
    return _compiled(rules)


def _list_checks(graph: rdflib.Graph) -> Iterator[tuple[str, str]]:
    """Checks for all-disjoint classes and properties, pair by pair."""
    for axiom in graph.subjects(RDF.type, OWL.AllDisjointClasses):
        for a, b in _pairs(graph, graph.value(axiom, OWL.members)):
            yield (f"SELECT ?x ?a ?b WHERE {{ ?x a {_n3(a)} , {_n3(b)} BIND({_n3(a)} AS ?a) BIND({_n3(b)} AS ?b) }}",
                   "{x} is an instance of the disjoint classes {a} and {b}")
    for axiom in graph.subjects(RDF.type, OWL.AllDisjointProperties):
        for a, b in _pairs(graph, graph.value(axiom, OWL.members)):
            yield (f"SELECT ?x ?a ?b WHERE {{ ?x {_n3(a)} ?y . ?x {_n3(b)} ?y BIND({_n3(a)} AS ?a) BIND({_n3(b)} AS ?b) }}",
                   "{x} uses the disjoint properties {a} and {b} with the same value")


def _check_violations(store: ox.Store, given: rdflib.Graph) -> Iterator[Violation]:
    for select, message in [*CHECKS.values(), *_list_checks(given)]:
        for row in store.query(_PROLOGUE + select):
            names = {name: _show(_rdflib(row[name])) for name in ("x", "a", "b")}
            yield Violation(file=None, focus=names["x"], message=message.format(**names))


def _pairs(graph: rdflib.Graph, members) -> Iterable[tuple]:
    items = list(Collection(graph, members)) if members is not None else []
    return [(a, b) for i, a in enumerate(items) for b in items[i + 1 :]]


def _ill_typed(graph: rdflib.Graph) -> Iterator[Violation]:
    """Literals whose text does not fit their datatype: owlrl's rule dt-not-type."""
    for s, p, o in ill_typed_literals(graph):
        yield Violation(file=None, focus=_show(s), path=_show(p), message=ill_typed_message(o))


_XSD_STRING = "http://www.w3.org/2001/XMLSchema#string"


def _rdflib(term) -> rdflib.term.Node:
    if isinstance(term, ox.NamedNode):
        return rdflib.URIRef(term.value)
    if isinstance(term, ox.BlankNode):
        return rdflib.BNode(term.value)
    if term.language:
        return rdflib.Literal(term.value, lang=term.language)
    if term.datatype.value == _XSD_STRING:
        return rdflib.Literal(term.value)
    return rdflib.Literal(term.value, datatype=rdflib.URIRef(term.datatype.value))


def _n3(term) -> str:
    return term.n3()


def _show(term) -> str:
    return shorten(str(term)) if isinstance(term, rdflib.URIRef) else term.n3()
