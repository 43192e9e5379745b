"""The SPARQL 1.1 Service Description, answered at GET /sparql without a query.

It says where the endpoint is, what it speaks (languages, result formats, features such as the union
default graph), and what dataset it serves: every named graph with its size. Graph sizes come from a
query run like any other (in a worker, under the time limit), once per store version.
"""

from __future__ import annotations

import os

import pyoxigraph as ox

from ..kg.executor import QueryJob
from ..kg.formats import serialize_triples
from ..kg.stats import PER_GRAPH
from ..namespaces import DCTERMS, RDF, SD, VOID, XSD
from .formats import GRAPHS, SOLUTIONS, Format
from .runtime import Runtime

RDF_TYPE = ox.NamedNode(RDF + "type")
TITLE = ox.NamedNode(DCTERMS + "title")


def named_graph_sizes(runtime: Runtime, version: str) -> list[tuple[str, int]]:
    """(graph IRI, triples) for every non-empty named graph; cached with the answers of this version."""
    answer = runtime.cache.get(version, PER_GRAPH)
    if answer is None:
        job = QueryJob(PER_GRAPH, version, solutions_format="TSV", union=False, max_rows=100_000,
                       spool=runtime.readers.spool_path())
        answer = runtime.readers.run(job, runtime.config.timeout)
        runtime.cache.put(PER_GRAPH, answer)
    body = answer.body if answer.body is not None else _read_and_remove(answer.spool)
    return [(row["g"].value, int(row["n"].value)) for row in ox.parse_query_results(body, ox.QueryResultsFormat.TSV)]


def _read_and_remove(path: str) -> bytes:
    with open(path, "rb") as spool:
        data = spool.read()
    os.unlink(path)
    return data


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
