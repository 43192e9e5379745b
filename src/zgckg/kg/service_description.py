"""The SPARQL 1.1 Service Description of the endpoint, built and serialised from plain values.

It says where the endpoint is, what it speaks (languages, result formats, features such as the union
default graph), what dataset it serves (every named graph with its size) and which prefixes every query
may use without declaring them.

The predeclared prefixes are written with SHACL's prefix declarations (``sh:declare [ sh:prefix "zgo";
sh:namespace "…"^^xsd:anyURI ]``) on the service: that vocabulary is the W3C's for exactly this pairing of a
prefix with its namespace, a client can read both back and build the same prologue, and the pairs belong
to the service (it is the query processor that predeclares them), not to the data. ``void:vocabulary``
would keep only the namespaces, lose the prefix names and claim the dataset uses every vocabulary listed.

The web layer decides the values (its public URLs, whether writes are on) and sends the bytes.
"""

from __future__ import annotations

from collections.abc import Iterable

import pyoxigraph as ox

from ..namespaces import DCTERMS, RDF, SD, VOID, XSD
from .formats import GRAPHS, SOLUTIONS, Format, serialize_triples

SH = "http://www.w3.org/ns/shacl#"

RDF_TYPE = ox.NamedNode(RDF + "type")
TITLE = ox.NamedNode(DCTERMS + "title")
TITLES = (
    ("中关村科技园区海淀园知识图谱 SPARQL endpoint", "zh"),
    ("Zhongguancun Haidian Park knowledge graph SPARQL endpoint", "en"),
)
WRITTEN_PREFIXES = {"sd": SD, "void": VOID, "dcterms": DCTERMS, "sh": SH, "xsd": XSD}
"""The prefixes the description itself is written with, in the syntaxes that have prefixes."""


def service_description(endpoint: str, update_endpoint: str | None, union: bool, federated: bool,
                        graphs: Iterable[tuple[str, int]], prefixes: Iterable[tuple[str, str]],
                        fmt: Format) -> bytes:
    """The description serialised in ``fmt`` (an RDF syntax). ``graphs`` is (graph IRI, triples) for every
    named graph; ``prefixes`` is (prefix, namespace) for every prefix a query may use undeclared."""
    return serialize_triples(description_triples(endpoint, update_endpoint, union, federated, graphs, prefixes),
                             fmt, prefixes=WRITTEN_PREFIXES)


def description_triples(endpoint: str, update_endpoint: str | None, union: bool, federated: bool,
                        graphs: Iterable[tuple[str, int]], prefixes: Iterable[tuple[str, str]]) -> list[ox.Triple]:
    service = ox.NamedNode(endpoint)
    dataset = ox.NamedNode(endpoint + "#dataset")
    default = ox.NamedNode(endpoint + "#default-graph")
    triples = [
        ox.Triple(service, RDF_TYPE, _sd("Service")),
        ox.Triple(service, _sd("endpoint"), service),
        *(ox.Triple(service, TITLE, ox.Literal(title, language=language)) for title, language in TITLES),
        ox.Triple(service, _sd("supportedLanguage"), _sd("SPARQL11Query")),
        ox.Triple(service, _sd("defaultDataset"), dataset),
        ox.Triple(dataset, RDF_TYPE, _sd("Dataset")),
        ox.Triple(dataset, _sd("defaultGraph"), default),
        ox.Triple(default, RDF_TYPE, _sd("Graph")),
    ]
    triples += [ox.Triple(service, _sd("resultFormat"), ox.NamedNode(f.iri)) for f in (*SOLUTIONS, *GRAPHS)]
    if union:
        triples.append(ox.Triple(service, _sd("feature"), _sd("UnionDefaultGraph")))
    if federated:
        triples.append(ox.Triple(service, _sd("feature"), _sd("BasicFederatedQuery")))
    for i, (name, size) in enumerate(graphs):
        entry = ox.NamedNode(f"{endpoint}#named-graph-{i + 1}")
        graph = ox.NamedNode(f"{endpoint}#graph-{i + 1}")
        triples += [
            ox.Triple(dataset, _sd("namedGraph"), entry),
            ox.Triple(entry, RDF_TYPE, _sd("NamedGraph")),
            ox.Triple(entry, _sd("name"), ox.NamedNode(name)),
            ox.Triple(entry, _sd("graph"), graph),
            ox.Triple(graph, RDF_TYPE, _sd("Graph")),
            ox.Triple(graph, ox.NamedNode(VOID + "triples"), ox.Literal(str(size), datatype=ox.NamedNode(XSD + "integer"))),
        ]
    for prefix, namespace in prefixes:
        declaration = ox.NamedNode(f"{endpoint}#prefix-{prefix}")
        triples += [
            ox.Triple(service, ox.NamedNode(SH + "declare"), declaration),
            ox.Triple(declaration, RDF_TYPE, ox.NamedNode(SH + "PrefixDeclaration")),
            ox.Triple(declaration, ox.NamedNode(SH + "prefix"), ox.Literal(prefix)),
            ox.Triple(declaration, ox.NamedNode(SH + "namespace"),
                      ox.Literal(namespace, datatype=ox.NamedNode(XSD + "anyURI"))),
        ]
    if update_endpoint:
        updates = ox.NamedNode(update_endpoint)
        triples += [
            ox.Triple(updates, RDF_TYPE, _sd("Service")),
            ox.Triple(updates, _sd("endpoint"), updates),
            ox.Triple(updates, _sd("supportedLanguage"), _sd("SPARQL11Update")),
        ]
    return triples


def _sd(local: str) -> ox.NamedNode:
    return ox.NamedNode(SD + local)
