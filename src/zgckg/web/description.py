"""The SPARQL 1.1 Service Description, answered at GET /sparql without a query.

It says where the endpoint is, what it speaks (languages, result formats, features such as the union
default graph), and what dataset it serves: every named graph with its size. Graph sizes come from a
query run like any other (in a worker, under the time limit), once per store version.
"""

from __future__ import annotations


import pyoxigraph as ox

from ..kg.formats import serialize_triples
from ..namespaces import DCTERMS, RDF, SD, VOID, XSD
from .formats import GRAPHS, SOLUTIONS, Format
from .runtime import Runtime

RDF_TYPE = ox.NamedNode(RDF + "type")
TITLE = ox.NamedNode(DCTERMS + "title")


def named_graph_sizes(runtime: Runtime, version: str) -> list[tuple[str, int]]:
    """(graph IRI, triples) for every non-empty named graph, asked once per store version."""
    known = runtime.graph_sizes
    if version not in known:
        runtime.graph_sizes = known = {version: runtime.engine.graph_sizes(timeout=runtime.config.timeout)}
    return known[version]


def description(endpoint: str, update_endpoint: str | None, union: bool, federated: bool,
                graphs: list[tuple[str, int]]) -> list[ox.Triple]:
    service = ox.NamedNode(endpoint)
    dataset = ox.NamedNode(endpoint + "#dataset")
    default = ox.NamedNode(endpoint + "#default-graph")
    triples = [
        ox.Triple(service, RDF_TYPE, _sd("Service")),
        ox.Triple(service, _sd("endpoint"), service),
        ox.Triple(service, TITLE, ox.Literal("中关村科技园区海淀园知识图谱 SPARQL endpoint", language="zh")),
        ox.Triple(service, TITLE, ox.Literal("Zhongguancun Haidian Park knowledge graph SPARQL endpoint", language="en")),
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
    if update_endpoint:
        updates = ox.NamedNode(update_endpoint)
        triples += [
            ox.Triple(updates, RDF_TYPE, _sd("Service")),
            ox.Triple(updates, _sd("endpoint"), updates),
            ox.Triple(updates, _sd("supportedLanguage"), _sd("SPARQL11Update")),
        ]
    return triples


def serialize(triples: list[ox.Triple], fmt: Format) -> bytes:
    return serialize_triples(triples, fmt, prefixes={"sd": SD, "void": VOID, "dcterms": DCTERMS})


def _sd(local: str) -> ox.NamedNode:
    return ox.NamedNode(SD + local)
