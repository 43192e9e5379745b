"""OWL 2 RL closure with owlrl, reduced to the inferred triples a user of the store needs.

owlrl works on an in-memory rdflib graph (on a pyoxigraph-backed graph it fails as soon as a literal is
present), adds every entailed triple to it, and reports inconsistencies as extra "error message" nodes.
About 40 % of what it adds is noise for a store: ``x owl:sameAs x`` for every term and literal, literals
as subjects (which Oxigraph cannot store at all), ``rdf:type owl:Thing`` on everything, tautologies such as
``C rdfs:subClassOf C``, and axioms about RDF, RDFS, OWL and XSD themselves. ``is_noise`` names each kind;
everything else — superclass types, inverse and transitive relations, super-properties, inherited domains
and ranges — is kept.
"""

from __future__ import annotations

import re
from collections.abc import Iterable

import owlrl
import rdflib
from rdflib import OWL, RDF, RDFS, XSD

from ..errors import ValidationFailed, Violation
from ..namespaces import shorten

Triple = tuple[rdflib.term.Node, rdflib.term.Node, rdflib.term.Node]

BUILT_IN_NAMESPACES = tuple(str(ns) for ns in (RDF, RDFS, OWL, XSD))
"""Terms the reasoner knows axioms about; statements about them are the reasoner's bookkeeping."""

_TOP = {OWL.Thing, RDFS.Resource}
_REFLEXIVE_WHEN_SAME = {OWL.sameAs, RDFS.subClassOf, OWL.equivalentClass, RDFS.subPropertyOf, OWL.equivalentProperty}
_TRIVIAL_OBJECT = {RDF.type, RDFS.subClassOf, RDFS.domain, RDFS.range}
_ERROR = rdflib.Namespace("http://www.daml.org/2002/03/agents/agent-ont#")
_SCHEMA_KINDS = {OWL.Class, RDFS.Class, RDF.Property, OWL.ObjectProperty, OWL.DatatypeProperty,
                 OWL.AnnotationProperty, OWL.Restriction, RDFS.Datatype}
_IRI = re.compile(r"https?://[^\s,()]+")


def is_noise(triple: Triple) -> bool:
    """Whether an entailed triple says nothing a user of the store needs (see the module docstring)."""
    s, p, o = triple
    if isinstance(s, rdflib.Literal):
        return True  # datatype bookkeeping ("1988"^^xsd:gYear a xsd:gYear); not storable either
    if isinstance(s, rdflib.URIRef) and str(s).startswith(BUILT_IN_NAMESPACES):
        return True  # axioms about RDF/RDFS/OWL/XSD terms, owl:Nothing ⊑ every class, …
    if p in _REFLEXIVE_WHEN_SAME and s == o:
        return True
    return p in _TRIVIAL_OBJECT and o in _TOP


def infer(ontology: rdflib.Graph, asserted: rdflib.Graph) -> rdflib.Graph:
    """The OWL 2 RL consequences of ontology + asserted that are new and not noise.

    Raises :class:`ValidationFailed` when the closure finds the data inconsistent with the ontology
    (disjoint classes sharing a member, an ill-typed literal …): such a graph must not be published.
    """
    given = rdflib.Graph()
    given += ontology
    given += asserted
    closure = rdflib.Graph()
    closure += given
    owlrl.DeductiveClosure(owlrl.OWLRL_Semantics).expand(closure)
    raise_inconsistencies(closure)
    inferred = rdflib.Graph()
    for triple in closure:
        if triple not in given and not is_noise(triple):
            inferred.add(triple)
    return inferred


def raise_inconsistencies(closure: rdflib.Graph) -> None:
    messages = sorted(str(m) for node in _error_nodes(closure) for m in closure.objects(node, _ERROR.error))
    if messages:
        raise ValidationFailed([Violation(file=None, focus=_focus(m, closure), message=m) for m in messages])


def _error_nodes(closure: rdflib.Graph) -> Iterable[rdflib.term.Node]:
    return closure.subjects(RDF.type, _ERROR.ErrorMessage)


def _focus(message: str, closure: rdflib.Graph) -> str:
    """The individual an owlrl message is about: the first IRI in it that is not a class or a property."""
    iris = [rdflib.URIRef(iri) for iri in _IRI.findall(message)]
    individuals = [iri for iri in iris if not _is_schema_term(iri, closure)]
    return shorten(str((individuals or iris or ["-"])[0]))


def _is_schema_term(iri: rdflib.URIRef, closure: rdflib.Graph) -> bool:
    kinds = set(closure.objects(iri, RDF.type))
    return bool(kinds & _SCHEMA_KINDS) or (None, iri, None) in closure
