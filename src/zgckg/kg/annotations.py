"""Web Annotations over the evidence records, so a generic annotation client can read the graph's provenance.

An evidence record is already a Web Annotation specific resource (the report's normalised text as
``oa:hasSource``, a quote selector and a position selector). What a client still needs is the annotation
that ties the words to what they support. Each record gets up to two ``oa:Annotation``s, each targeting the
record: ``<record>/describing``, whose bodies are the statements and observations citing it
(``zgo:evidence``; the fact is a reading of the words), and ``<record>/identifying``, whose bodies are the
entities it names (``zgo:mentionedAt``). One motivation per annotation, so no client has to guess which
body goes with which. They are derived from the data at build time, so a
curator writes each use once, where the fact is.
"""

from __future__ import annotations

import rdflib
from rdflib import RDF, URIRef

from .. import namespaces

ZGO = rdflib.Namespace(namespaces.ONTOLOGY)
OA = rdflib.Namespace(namespaces.OA)

MOTIVATIONS = {ZGO.evidence: OA.describing, ZGO.mentionedAt: OA.identifying}
"""How a use of a record reads as an annotation's motivation."""


def annotations(data: rdflib.Graph) -> rdflib.Graph:
    """One annotation per cited evidence record in ``data``, as a fresh graph."""
    graph = rdflib.Graph()
    for use, motivation in MOTIVATIONS.items():
        for body, record in data.subject_objects(use):
            annotation = URIRef(f"{record}/{motivation[len(OA):]}")
            graph.add((annotation, RDF.type, OA.Annotation))
            graph.add((annotation, OA.hasTarget, record))
            graph.add((annotation, OA.hasBody, body))
            graph.add((annotation, OA.motivatedBy, motivation))
    return graph
