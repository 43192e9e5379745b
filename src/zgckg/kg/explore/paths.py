"""The shortest paths connecting two resources, following relations in either direction.

How: a breadth-first search from each end, one query per level of each side (``relations.edges_around``
for the whole frontier at once). A path of at most ``max_hops`` edges has every node within
``ceil(max_hops/2)`` hops of the source or ``floor(max_hops/2)`` of the target, and each of its edges
touches a node expanded from one side; so growing the source's ball to that radius minus one and the
target's likewise collects every edge such a path can use. On the edges found, Yen's algorithm
(networkx's ``shortest_simple_paths``) lists simple paths shortest first. Two relations between the same
pair (co-built by and initiated by) make two paths.

Bounded on a large graph: each side stops growing past ``max_edges`` edges, every query of the search
shares one deadline (``Bounds.seconds`` from the start), and past either the search fails with
``ExplorationTooBroad`` naming the limit rather than running on. Hubs (the park, the
district) are in almost every short path; ``exclude`` keeps them out (they are neither expanded nor
passed through).
"""

from __future__ import annotations

import itertools
import time
from dataclasses import dataclass
from typing import TYPE_CHECKING

from ...errors import ExplorationTooBroad, ResourceNotFound
from ..linked.select import bindings, iri_ref
from .relations import Edge, Why, edges_around, left, why

if TYPE_CHECKING:
    from ..engine import Engine

MAX_HOPS = 6
"""The most hops a path search may be asked for: beyond it nearly everything connects to everything."""
MAX_LIMIT = 50
WHAT = "the path search"


@dataclass(frozen=True)
class Step:
    """One edge of a path, in the direction the path walks it."""

    edge: Edge
    forward: bool
    """True when the path goes from the edge's subject to its object."""
    why: Why


@dataclass(frozen=True)
class Bounds:
    max_hops: int = 4
    limit: int = 5
    max_edges: int = 20_000
    seconds: float = 5.0


_EXISTS = "SELECT ?x WHERE {{ {{ {r} ?p ?x }} UNION {{ ?x ?p {r} }} }} LIMIT 1"


def exists(engine: Engine, iri: str, *, deadline: float, what: str = "the exploration") -> bool:
    return bool(bindings(engine, _EXISTS.format(r=iri_ref(iri)), timeout=left(deadline, what)))


def find_paths(engine: Engine, source: str, target: str, *, bounds: Bounds = Bounds(), exclude: frozenset[str] = frozenset(),
               inferred: bool = False) -> list[list[Step]]:
    """Up to ``bounds.limit`` paths of at most ``bounds.max_hops`` edges, shortest first; [] when none."""
    import networkx as nx

    deadline = time.monotonic() + bounds.seconds
    for end in (source, target):
        if not exists(engine, end, deadline=deadline, what=WHAT):
            raise ResourceNotFound(end)
    if source == target:
        return []
    edges: dict[tuple[str, str, str], Edge] = {}
    radius_source = (bounds.max_hops + 1) // 2
    for start, radius in ((source, radius_source), (target, bounds.max_hops - radius_source)):
        _grow(engine, start, radius, exclude, inferred, edges, bounds, deadline)
    graph = nx.Graph()
    for edge in edges.values():
        if (edge.subject in exclude and edge.subject not in (source, target)) or (
                edge.object in exclude and edge.object not in (source, target)):
            continue
        if graph.has_edge(edge.subject, edge.object):
            graph[edge.subject][edge.object]["edges"].append(edge)
        else:
            graph.add_edge(edge.subject, edge.object, edges=[edge])
    if source not in graph or target not in graph:
        return []
    walks: list[list[tuple[str, str, Edge]]] = []
    try:
        for nodes in nx.shortest_simple_paths(graph, source, target):
            if len(nodes) - 1 > bounds.max_hops or len(walks) >= bounds.limit:
                break
            hops = [sorted(graph[a][b]["edges"], key=lambda e: (e.inferred, e.predicate)) for a, b in zip(nodes, nodes[1:])]
            for choice in itertools.product(*hops):
                walks.append([(a, b, e) for (a, b), e in zip(zip(nodes, nodes[1:]), choice)])
                if len(walks) >= bounds.limit:
                    break
            left(deadline, WHAT)
    except nx.NetworkXNoPath:
        return []
    reasons = why(engine, {e for walk in walks for _, _, e in walk}, deadline=deadline, what=WHAT)
    return [[Step(e, e.subject == a, reasons.get(e.triple, Why())) for a, _, e in walk] for walk in walks]


def _grow(engine: Engine, start: str, radius: int, exclude: frozenset[str], inferred: bool,
          edges: dict[tuple[str, str, str], Edge], bounds: Bounds, deadline: float) -> None:
    """Add every edge touching a node within ``radius - 1`` hops of ``start`` (so edges reach ``radius``)."""
    seen, frontier = {start}, {start}
    for _ in range(radius):
        if not frontier:
            return
        found = edges_around(engine, frontier, inferred=inferred, deadline=deadline, what=WHAT)
        nxt = set()
        for edge in found:
            edges.setdefault(edge.triple, edge)
            for node in (edge.subject, edge.object):
                if node not in seen and node not in exclude:
                    seen.add(node)
                    nxt.add(node)
        if len(edges) > bounds.max_edges:
            raise ExplorationTooBroad(WHAT, f"{bounds.max_edges} relations")
        frontier = nxt
