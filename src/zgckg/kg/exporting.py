"""Dumps of the store: one graph or all of them, in any RDF syntax Oxigraph writes.

Dataset syntaxes (N-Quads, TriG, JSON-LD) keep each triple's graph. Graph syntaxes (Turtle, N-Triples,
RDF/XML, N3) hold triples only: for ``all`` they get the union of every graph, each triple once. The
syntaxes are those of :data:`zgckg.kg.formats.GRAPHS`, prefixes included where they have any.
"""

from __future__ import annotations

from collections.abc import Iterator
from typing import IO

import pyoxigraph as ox

from ..namespaces import BUILT_GRAPHS, PREFIXES
from .formats import GRAPHS, by_short

EXPORT_FORMATS = by_short(GRAPHS)
"""RDF syntaxes, by command-line name."""
GRAPH_CHOICES = (*BUILT_GRAPHS, "all")


def graph_iri(name: str) -> str | None:
    """The IRI of a graph given by name (ontology, asserted, inferred) or by IRI; None for ``all``."""
    if name == "all":
        return None
    return BUILT_GRAPHS.get(name, name)


def export(store: ox.Store, fmt: str, graph: str, out: IO[bytes]) -> None:
    """Write ``graph`` (a name from GRAPH_CHOICES or a graph IRI) of ``store`` to ``out`` as ``fmt``."""
    syntax = EXPORT_FORMATS[fmt]
    rdf_format = syntax.ox_format
    prefixes = PREFIXES if syntax.prefixed else None
    iri = graph_iri(graph)
    if iri is not None:
        quads = store.quads_for_pattern(None, None, None, ox.NamedNode(iri))
        triples_or_quads = (q.triple for q in quads) if not rdf_format.supports_datasets else quads
        ox.serialize(triples_or_quads, out, rdf_format, prefixes=prefixes)
    elif rdf_format.supports_datasets:
        store.dump(out, rdf_format, prefixes=prefixes)
    else:
        ox.serialize(union_triples(store), out, rdf_format, prefixes=prefixes)


def union_triples(store: ox.Store) -> Iterator[ox.Triple]:
    """Every triple of every graph, each once (a triple may be in a user's graph and in ours)."""
    seen: set[ox.Triple] = set()
    for quad in store:
        if quad.triple not in seen:
            seen.add(quad.triple)
            yield quad.triple
