"""A resource's description as RDF, in every syntax of :data:`zgckg.kg.formats.GRAPHS`.

Inferred facts are never mixed up with asserted ones. The dataset syntaxes (TriG, N-Quads) keep every
quad with its graph, so ``…/graph/inferred`` says which facts OWL 2 RL added. The triple syntaxes
(Turtle, N-Triples, RDF/XML, N3, JSON-LD) carry what is asserted (the report's facts with their evidence,
the curators' additions, the ontology) and leave the inferred graph out, since a triple there could not be
told apart. JSON-LD is compacted with the project's context (:data:`CONTEXT`, also served on its own), so
its keys read as ``rdfs:label`` and ``zgo:hostedBy`` rather than full IRIs.
"""

from __future__ import annotations

import json

from ...namespaces import GRAPH_INFERRED, PREFIXES
from ..formats import Format
from .description import SCHEMA, SKOS, Description, Quad
from .select import BLANK, IRI, Term

CONTEXT = {"@context": {**PREFIXES, "@version": 1.1}}
"""The JSON-LD context of every JSON-LD document the server writes: the project's prefixes."""


def description_rdf(description: Description, fmt: Format) -> bytes:
    if fmt.quads:
        return _serialize(description.quads, fmt)
    asserted = [q for q in description.quads if q.graph != GRAPH_INFERRED]
    if fmt.serializer == "JSON_LD":
        return _jsonld(asserted)
    return _serialize(asserted, fmt)


def schema_org(description: Description, url: str) -> dict:
    """What a page embeds for search engines and schema.org readers: the resource under its own IRI,
    its schema.org types (the ontology aligns ours to them; the reasoner adds them), names in both
    languages, and the links the report states."""
    iri = description.iri
    types = [t[len(SCHEMA):] for t in (*description.types, *description.inferred_types) if t.startswith(SCHEMA)]
    names = [{"@value": text, "@language": lang} for lang, text in sorted(description.labels.get(iri, {}).items())]
    alternates = [{"@value": text, "@language": lang} for lang, texts in sorted(description.alt_labels.items())
                  for text in texts]
    same = [f.other.value for f in description.facts if f.predicate == SKOS + "exactMatch" and f.other.is_iri]
    document = {"@context": "https://schema.org/", "@id": iri, "@type": types or "Thing", "name": names, "url": url}
    if alternates:
        document["alternateName"] = alternates
    if description.comments:
        document["description"] = [{"@value": t, "@language": lang} for lang, t in sorted(description.comments.items())]
    if same:
        document["sameAs"] = same
    return document


def _serialize(quads: list[Quad], fmt: Format) -> bytes:
    import pyoxigraph as ox

    def term(t: Term):
        if t.kind == IRI:
            return ox.NamedNode(t.value)
        if t.kind == BLANK:
            return ox.BlankNode(t.value)
        if t.lang:
            return ox.Literal(t.value, language=t.lang)
        return ox.Literal(t.value, datatype=ox.NamedNode(t.datatype) if t.datatype else None)

    if fmt.quads:
        items = {ox.Quad(term(q.subject), ox.NamedNode(q.predicate), term(q.object),
                         ox.NamedNode(q.graph) if q.graph else ox.DefaultGraph()) for q in quads}
    else:
        items = {ox.Triple(term(q.subject), ox.NamedNode(q.predicate), term(q.object)) for q in quads}
    ordered = sorted(items, key=str)  # the same description always reads the same
    return ox.serialize(ordered, format=fmt.ox_format, prefixes=dict(PREFIXES) if fmt.prefixed else None)


def _jsonld(quads: list[Quad]) -> bytes:
    import rdflib

    graph = rdflib.Graph()
    for q in quads:
        graph.add((_rdflib_term(q.subject), rdflib.URIRef(q.predicate), _rdflib_term(q.object)))
    text = graph.serialize(format="json-ld", context=CONTEXT["@context"], auto_compact=True)
    return json.dumps(json.loads(text), ensure_ascii=False, indent=1).encode("utf-8")


def _rdflib_term(t: Term):
    import rdflib

    if t.kind == IRI:
        return rdflib.URIRef(t.value)
    if t.kind == BLANK:
        return rdflib.BNode(t.value)
    return rdflib.Literal(t.value, lang=t.lang, datatype=None if t.lang else (t.datatype and rdflib.URIRef(t.datatype)))
