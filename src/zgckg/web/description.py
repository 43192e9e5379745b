"""The SPARQL 1.1 Service Description, answered at GET /sparql without a query: the HTTP side.

The graph layer builds and serialises it (:mod:`zgckg.kg.service_description`); here are the values only
the web layer knows: its public URLs, whether writes are on, and the graph sizes, which come from a query
run like any other (by the engine, under the time limit), once per store version.
"""

from __future__ import annotations

from dataclasses import dataclass

from ..kg.service_description import service_description
from ..namespaces import PREFIXES
from .formats import Format
from .runtime import Runtime


@dataclass(frozen=True)
class Description:
    """What the service says about itself, as plain values."""

    endpoint: str
    update_endpoint: str | None
    union: bool
    federated: bool
    graphs: tuple[tuple[str, int], ...]
    prefixes: tuple[tuple[str, str], ...] = tuple(PREFIXES.items())


def named_graph_sizes(runtime: Runtime, version: str) -> list[tuple[str, int]]:
    """(graph IRI, triples) for every non-empty named graph, asked once per store version."""
    known = runtime.graph_sizes
    if version not in known:
        runtime.graph_sizes = known = {version: runtime.engine.graph_sizes(timeout=runtime.config.timeout)}
    return known[version]


def description(endpoint: str, update_endpoint: str | None, union: bool, federated: bool,
                graphs: list[tuple[str, int]]) -> Description:
    return Description(endpoint, update_endpoint, union, federated, tuple(graphs))


def serialize(described: Description, fmt: Format) -> bytes:
    return service_description(described.endpoint, described.update_endpoint, described.union,
                               described.federated, described.graphs, described.prefixes, fmt)
