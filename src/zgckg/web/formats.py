"""The result formats the endpoint speaks: media types, names for ``?format=``, pyoxigraph serialisers.

Two families, because what a client may ask for depends on the query form: SELECT and ASK answer with
SPARQL results documents, CONSTRUCT and DESCRIBE with RDF. The first format of each family is the
default when the client states no preference.
"""

from __future__ import annotations

from dataclasses import dataclass


@dataclass(frozen=True)
class Format:
    name: str
    """Short name for the ``format`` parameter (also accepted: ``aliases``)."""
    media_type: str
    """The Content-Type sent."""
    serializer: str
    """pyoxigraph's name for it (``QueryResultsFormat.<x>`` or ``RdfFormat.<x>``)."""
    iri: str
    """The W3C format IRI (service descriptions list these)."""
    also_accepts: tuple[str, ...] = ()
    """Other media types a client may use to ask for it."""
    aliases: tuple[str, ...] = ()

    @property
    def media_types(self) -> tuple[str, ...]:
        return (self.media_type.split(";")[0], *self.also_accepts)

    @property
    def content_type(self) -> str:
        return f"{self.media_type}; charset=utf-8" if self.media_type.startswith("text/") else self.media_type


_W3C = "http://www.w3.org/ns/formats/"

SOLUTIONS: tuple[Format, ...] = (
    Format("json", "application/sparql-results+json", "JSON", _W3C + "SPARQL_Results_JSON",
           ("application/json", "text/javascript", "application/javascript")),
    Format("xml", "application/sparql-results+xml", "XML", _W3C + "SPARQL_Results_XML",
           ("application/xml", "text/xml")),
    Format("csv", "text/csv", "CSV", _W3C + "SPARQL_Results_CSV"),
    Format("tsv", "text/tab-separated-values", "TSV", _W3C + "SPARQL_Results_TSV"),
)
"""For SELECT and ASK, the default first."""

GRAPHS: tuple[Format, ...] = (
    Format("turtle", "text/turtle", "TURTLE", _W3C + "Turtle", ("application/turtle", "application/x-turtle"),
           ("ttl",)),
    Format("ntriples", "application/n-triples", "N_TRIPLES", _W3C + "N-Triples", ("text/plain",), ("nt", "n-triples")),
    Format("rdfxml", "application/rdf+xml", "RDF_XML", _W3C + "RDF_XML", ("application/xml", "text/xml"),
           ("rdf+xml", "xml", "rdf")),
    Format("jsonld", "application/ld+json", "JSON_LD", _W3C + "JSON-LD", ("application/x-json+ld", "application/json"),
           ("json-ld", "json")),
    Format("nquads", "application/n-quads", "N_QUADS", _W3C + "N-Quads", (), ("nq", "n-quads")),
    Format("trig", "application/trig", "TRIG", _W3C + "TriG"),
    Format("n3", "text/n3", "N3", _W3C + "N3", ("text/rdf+n3", "application/n3")),
)
"""For CONSTRUCT and DESCRIBE (and the graph store), the default first."""

RESULT_KINDS = {"solutions": SOLUTIONS, "boolean": SOLUTIONS, "graph": GRAPHS}


def by_serializer(kind: str, serializer: str) -> Format:
    return next(f for f in RESULT_KINDS[kind] if f.serializer == serializer)


def by_name(family: tuple[Format, ...], name: str) -> Format | None:
    name = name.strip().lower()
    return next((f for f in family if name == f.name or name in f.aliases), None)
