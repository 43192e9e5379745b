"""The messages between the web process and a worker: jobs going in, answers coming back.

Formats are pyoxigraph's names (``JSON``, ``TURTLE``…), so a worker needs no knowledge of media types.
"""

from __future__ import annotations

import dataclasses
import os
from dataclasses import dataclass

from ..outbound import Fetched


@dataclass(frozen=True)
class QueryJob:
    """A prepared SPARQL query (it names no remote) and how to answer it. Formats are pyoxigraph format
    names, None if none is acceptable."""

    text: str
    version: str
    has_dataset_clause: bool = False
    solutions_format: str | None = "JSON"
    graph_format: str | None = "TURTLE"
    default_graphs: tuple[str, ...] | None = None
    named_graphs: tuple[str, ...] | None = None
    union: bool = True
    max_rows: int = 100_000
    gzip: bool = False
    spool: str = ""
    bindings: tuple[tuple[str, str], ...] = ()
    """(variable name, term in SPARQL syntax): the query's parameters, bound as pyoxigraph substitutions."""


@dataclass(frozen=True)
class GraphReadJob:
    """Graph Store GET: one graph (None: the default graph) in an RDF format."""

    graph: str | None
    version: str
    format: str = "TURTLE"
    gzip: bool = False
    spool: str = ""


@dataclass(frozen=True)
class DatasetReadJob:
    """Every graph of the store (or only ``graph``, keeping its name) in an RDF format: quads with their
    graph names in a dataset syntax, the union of the triples, each once, in a graph syntax."""

    version: str
    format: str = "N_QUADS"
    graph: str | None = None
    gzip: bool = False
    spool: str = ""


@dataclass(frozen=True)
class UpdateStep:
    """One operation of an update that loads: an operation's text (with the declarations in force before
    it) for the engine, or data fetched for a LOAD, or neither (a SILENT LOAD that failed)."""

    text: str | None = None
    load: Fetched | None = None
    graph: str | None = None
    silent: bool = False


@dataclass(frozen=True)
class UpdateJob:
    """A prepared SPARQL update: SERVICE already answered, LOAD sources already fetched (see ``prepared``)."""

    text: str
    base_iri: str | None = None
    steps: tuple[UpdateStep, ...] = ()


@dataclass(frozen=True)
class GraphWriteJob:
    """Graph Store PUT (replace), POST (merge) or DELETE of one graph (None: the default graph)."""

    method: str
    graph: str | None
    data: bytes = b""
    format: str = "TURTLE"
    base_iri: str | None = None


@dataclass(frozen=True)
class Answer:
    """A complete, serialised result: ``body`` in memory or ``spool``, a file the caller deletes."""

    kind: str  # 'solutions' | 'boolean' | 'graph'
    format: str
    body: bytes | None
    spool: str | None
    size: int
    rows: int | None
    encoding: str | None
    version: str
    remote: bool = False
    """Remote endpoints took part (SERVICE): it may change while the store does not, so it is never cached."""

    def content(self) -> bytes:
        """The whole answer in memory (a spooled one is read and its file removed)."""
        if self.body is not None:
            return self.body
        try:
            with open(self.spool, "rb") as spool:
                return spool.read()
        finally:
            os.unlink(self.spool)

    def with_remote(self, remote: bool) -> "Answer":
        return dataclasses.replace(self, remote=remote) if remote else self


@dataclass(frozen=True)
class Written:
    version: str
    created: bool = False
