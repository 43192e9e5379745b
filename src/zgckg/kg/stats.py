"""Counts that describe a store: triples per named graph, instances per class, uses per property."""

from __future__ import annotations

from dataclasses import dataclass

import pyoxigraph as ox

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
    """Triples in each named graph (and in the default graph, under ``""``, if it holds any)."""
    counts = {_iri(row["g"]): _int(row["n"]) for row in store.query(PER_GRAPH)}
    default = next(iter(store.query(_DEFAULT_GRAPH)))["n"]
    if _int(default):
        counts[DEFAULT_GRAPH] = _int(default)
    return counts


def instances_per_class(store: ox.Store) -> dict[str, int]:
    return _pairs(store, _PER_CLASS, "class")


def uses_per_property(store: ox.Store) -> dict[str, int]:
    return _pairs(store, _PER_PROPERTY, "property")


def collect(store: ox.Store) -> Stats:
    return Stats(triples_per_graph(store), instances_per_class(store), uses_per_property(store))


def _pairs(store: ox.Store, query: str, key: str) -> dict[str, int]:
    rows = store.query(query, use_default_graph_as_union=True)
    return {_iri(row[key]): _int(row["n"]) for row in rows if isinstance(row[key], ox.NamedNode)}


def _iri(term: ox.NamedNode) -> str:
    return term.value


def _int(term: ox.Literal) -> int:
    return int(term.value)
