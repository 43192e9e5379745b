"""Counts that describe a store: triples per named graph, instances per class, uses per property."""

from __future__ import annotations

import json
import sys
from dataclasses import dataclass
from typing import TYPE_CHECKING

import pyoxigraph as ox

from .formats import GRAPHS, SOLUTIONS, by_short

if TYPE_CHECKING:
    from .engine import Engine

GRAPH_FORMATS = by_short(GRAPHS)

PER_GRAPH = "SELECT ?g (COUNT(*) AS ?n) WHERE { GRAPH ?g { ?s ?p ?o } } GROUP BY ?g ORDER BY ?g"
"""Triples in each named graph: rows of ?g and ?n (the endpoint's service description runs it too)."""
_DEFAULT_GRAPH = "SELECT (COUNT(*) AS ?n) WHERE { ?s ?p ?o }"
# Over the union of all graphs, so a class counts the instances the reasoner found as well as asserted ones;
# DISTINCT because a triple may be both in a loaded graph and in ours.
_PER_CLASS = """
SELECT ?class (COUNT(DISTINCT ?x) AS ?n) WHERE { ?x a ?class } GROUP BY ?class ORDER BY DESC(?n) ?class
"""
_PER_PROPERTY = """
SELECT ?property (COUNT(*) AS ?n) WHERE { SELECT DISTINCT ?s ?property ?o WHERE { ?s ?property ?o } }
GROUP BY ?property ORDER BY DESC(?n) ?property
"""

DEFAULT_GRAPH = ""
"""The key of the default graph in :func:`triples_per_graph` (the one triple not in a named graph)."""


@dataclass(frozen=True)
class Stats:
    graphs: dict[str, int]
    classes: dict[str, int]
    properties: dict[str, int]


def triples_per_graph(store: ox.Store) -> dict[str, int]:
    """Triples in each named graph of a pyoxigraph store (and in the default graph, under ``""``, if it
    holds any): what a build or a load reports of the generation it has just written."""
    counts = {row["g"].value: int(row["n"].value) for row in store.query(PER_GRAPH)}
    default = int(next(iter(store.query(_DEFAULT_GRAPH)))["n"].value)
    if default:
        counts[DEFAULT_GRAPH] = default
    return counts


def collect(engine: Engine, *, timeout: float | None = None) -> Stats:
    """The counts, by queries through ``engine``; classes and properties are counted over the union of all
    graphs, so the engine's configuration must make that the default graph (``union_default_graph``)."""
    timeout = engine.config.timeout if timeout is None else timeout
    graphs = dict(engine.graph_sizes(timeout=timeout))
    default = engine.read_graph(None, GRAPH_FORMATS["nt"], timeout=timeout)
    default.content()  # only its count matters; this also removes a spooled answer
    if default.rows:
        graphs[DEFAULT_GRAPH] = default.rows
    return Stats(graphs, _pairs(engine, _PER_CLASS, "class", timeout), _pairs(engine, _PER_PROPERTY, "property", timeout))


def _pairs(engine: Engine, query: str, key: str, timeout: float) -> dict[str, int]:
    from .engine import Query

    answer = engine.query(Query(query, SOLUTIONS[0], timeout=timeout, max_rows=sys.maxsize))
    rows = json.loads(answer.content())["results"]["bindings"]
    return {row[key]["value"]: int(row["n"]["value"]) for row in rows if row.get(key, {}).get("type") == "uri"}
