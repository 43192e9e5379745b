"""Every result and RDF format the project writes, in one table: the endpoint, the CLI and exports use it.

Two families, because what fits depends on the query form: SELECT and ASK answer with SPARQL results
documents (``SOLUTIONS``), CONSTRUCT and DESCRIBE, graph reads and exports with RDF (``GRAPHS``). The
first format of each family is the endpoint's default when a client states no preference.

The project's prefixes are written into exactly the syntaxes that have prefixes (Turtle, TriG, N3,
RDF/XML: ``Format.prefixed``); the others spell every IRI in full. pyoxigraph is imported only when a
format's serialiser is needed, so the CLI can list the formats without loading it.
"""

from __future__ import annotations

from collections.abc import Iterable, Mapping
from dataclasses import dataclass
from typing import IO

from ..namespaces import PREFIXES

RESULTS = "results"
"""Kind of a SPARQL results format (SELECT, ASK)."""
RDF = "rdf"
"""Kind of an RDF syntax (CONSTRUCT, DESCRIBE, graphs)."""

_PREFIXED = {"TURTLE", "TRIG", "N3", "RDF_XML"}
_QUADS = {"N_QUADS", "TRIG"}


@dataclass(frozen=True)
class Format:
    name: str
    """Name for the endpoint's ``format`` parameter (also accepted: ``aliases``)."""
    short: str
    """Name on the command line (``--format``), the usual file extension for RDF syntaxes."""
    kind: str
    """``RESULTS`` or ``RDF``."""
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
    def prefixed(self) -> bool:
        """Whether the syntax has prefixes, so the project's are written into it."""
        return self.serializer in _PREFIXED

    @property
    def quads(self) -> bool:
        """Whether the syntax writes quads only (triples are written as quads of the default graph)."""
        return self.serializer in _QUADS

    @property
    def ox_format(self):
        """The pyoxigraph ``QueryResultsFormat`` or ``RdfFormat``."""
        import pyoxigraph as ox

        enum = ox.QueryResultsFormat if self.kind == RESULTS else ox.RdfFormat
        return getattr(enum, self.serializer)

    @property
    def media_types(self) -> tuple[str, ...]:
        return (self.media_type.split(";")[0], *self.also_accepts)

    @property
    def content_type(self) -> str:
        return f"{self.media_type}; charset=utf-8" if self.media_type.startswith("text/") else self.media_type


_W3C = "http://www.w3.org/ns/formats/"

SOLUTIONS: tuple[Format, ...] = (
    Format("json", "json", RESULTS, "application/sparql-results+json", "JSON", _W3C + "SPARQL_Results_JSON",
           ("application/json", "text/javascript", "application/javascript")),
    Format("xml", "xml", RESULTS, "application/sparql-results+xml", "XML", _W3C + "SPARQL_Results_XML",
           ("application/xml", "text/xml")),
    Format("csv", "csv", RESULTS, "text/csv", "CSV", _W3C + "SPARQL_Results_CSV"),
    Format("tsv", "tsv", RESULTS, "text/tab-separated-values", "TSV", _W3C + "SPARQL_Results_TSV"),
)
"""For SELECT and ASK, the default first."""

GRAPHS: tuple[Format, ...] = (
    Format("turtle", "ttl", RDF, "text/turtle", "TURTLE", _W3C + "Turtle",
           ("application/turtle", "application/x-turtle"), ("ttl",)),
    Format("ntriples", "nt", RDF, "application/n-triples", "N_TRIPLES", _W3C + "N-Triples", ("text/plain",),
           ("nt", "n-triples")),
    Format("rdfxml", "xml", RDF, "application/rdf+xml", "RDF_XML", _W3C + "RDF_XML", ("application/xml", "text/xml"),
           ("rdf+xml", "xml", "rdf")),
    Format("jsonld", "jsonld", RDF, "application/ld+json", "JSON_LD", _W3C + "JSON-LD",
           ("application/x-json+ld", "application/json"), ("json-ld", "json")),
    Format("nquads", "nq", RDF, "application/n-quads", "N_QUADS", _W3C + "N-Quads", (), ("nq", "n-quads")),
    Format("trig", "trig", RDF, "application/trig", "TRIG", _W3C + "TriG"),
    Format("n3", "n3", RDF, "text/n3", "N3", _W3C + "N3", ("text/rdf+n3", "application/n3")),
)
"""For CONSTRUCT and DESCRIBE (and the graph store), the default first."""

RESULT_KINDS = {"solutions": SOLUTIONS, "boolean": SOLUTIONS, "graph": GRAPHS}
"""The family of formats for each kind of query result."""


def by_short(family: Iterable[Format]) -> dict[str, Format]:
    """A family keyed by command-line name."""
    return {f.short: f for f in family}


def by_serializer(kind: str, serializer: str) -> Format:
    return next(f for f in RESULT_KINDS[kind] if f.serializer == serializer)


def by_name(family: tuple[Format, ...], name: str) -> Format | None:
    name = name.strip().lower()
    return next((f for f in family if name == f.name or name in f.aliases), None)


def serialize_triples(triples: Iterable, fmt: Format, out: IO[bytes] | None = None,
                      prefixes: Mapping[str, str] = PREFIXES) -> bytes | None:
    """Triples in an RDF syntax (as default-graph quads for a quad syntax), with ``prefixes`` where it has any."""
    import pyoxigraph as ox

    items = (ox.Quad(t.subject, t.predicate, t.object) for t in triples) if fmt.quads else triples
    return ox.serialize(items, out, fmt.ox_format, prefixes=dict(prefixes) if fmt.prefixed else None)
