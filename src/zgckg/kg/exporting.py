"""Dumps of the store through an engine: one graph or all of them, in any RDF syntax the engine writes.

Dataset syntaxes (N-Quads, TriG, JSON-LD) keep each triple's graph. Graph syntaxes (Turtle, N-Triples,
RDF/XML, N3) hold triples only: for ``all`` they get the union of every graph, each triple once. The
syntaxes are those of :data:`zgckg.kg.formats.GRAPHS`, prefixes included where they have any.
"""

from __future__ import annotations

import os
import shutil
from typing import IO, TYPE_CHECKING

from ..errors import GraphNotFound
from ..namespaces import BUILT_GRAPHS
from .formats import GRAPHS, by_short

if TYPE_CHECKING:
    from .engine import Answer, Engine

EXPORT_FORMATS = by_short(GRAPHS)
"""RDF syntaxes, by command-line name."""
GRAPH_CHOICES = (*BUILT_GRAPHS, "all")


def graph_iri(name: str) -> str | None:
    """The IRI of a graph given by name (ontology, asserted, inferred) or by IRI; None for ``all``."""
    if name == "all":
        return None
    return BUILT_GRAPHS.get(name, name)


def export(engine: Engine, fmt: str, graph: str, out: IO[bytes], *, timeout: float | None = None) -> None:
    """Write ``graph`` (a name from GRAPH_CHOICES or a graph IRI) of the engine's store to ``out`` as ``fmt``;
    GraphNotFound for a named graph the store holds no triple of (a typo would otherwise write nothing)."""
    iri = held_graph(engine, graph, timeout=timeout)
    answer = engine.read_dataset(EXPORT_FORMATS[fmt], graph=iri,
                                 timeout=engine.config.timeout if timeout is None else timeout)
    write_answer(answer, out)


def held_graph(engine: Engine, graph: str, *, timeout: float | None = None) -> str | None:
    """The IRI of ``graph`` (None: all of them), once the store is known to hold triples in it."""
    iri = graph_iri(graph)
    if iri is not None and iri not in dict(engine.graph_sizes(timeout=timeout)):
        raise GraphNotFound(iri)
    return iri


def write_answer(answer: Answer, out: IO[bytes]) -> None:
    """An answer's bytes to ``out``; a spooled answer is copied from its file, which is then removed."""
    if answer.body is not None:
        out.write(answer.body)
        return
    try:
        with open(answer.spool, "rb") as spool:
            shutil.copyfileobj(spool, out)
    finally:
        os.unlink(answer.spool)
