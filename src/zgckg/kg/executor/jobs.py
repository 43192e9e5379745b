"""The messages between the web process and a worker: jobs going in, answers coming back.

A job is a frozen dataclass (it crosses a pipe) that knows how to do itself: the worker calls
``job.run(site)``, where the site gives it the store to read or the store directory to write. A new kind of
work is one new :class:`Job` subclass and the function it runs; nothing dispatches on the type, and what
it may fail with is any domain error (see ``zgckg.errors.reportable``). The functions are imported when a
job runs, since they need the job classes themselves.

Formats are pyoxigraph's names (``JSON``, ``TURTLE``…), so a worker needs no knowledge of media types.
"""

from __future__ import annotations

import dataclasses
import os
from dataclasses import dataclass
from typing import TYPE_CHECKING, Any, ClassVar, Protocol

from ..outbound import Fetched

if TYPE_CHECKING:
    import pyoxigraph as ox

    from ..store import StoreDir


class Site(Protocol):
    """Where a job runs: a worker process, or the in-process engine."""

    store_dir: StoreDir

    def read(self, version: str) -> tuple[ox.Store, str]:
        """The generation ``version`` for reading (or the current one, if it was pruned), and its version."""


class Job:
    operation: ClassVar[str] = "request"
    """What the job does, in words, for an error that names it."""

    def run(self, site: Site) -> Any:
        raise NotImplementedError


@dataclass(frozen=True)
class QueryJob(Job):
    """A prepared SPARQL query (it names no remote) and how to answer it. Formats are pyoxigraph format
    names, None if none is acceptable."""

    operation: ClassVar[str] = "query"

    text: str
    version: str
    has_dataset_clause: bool = False
    solutions_format: str | None = "JSON"
    graph_format: str | None = "TURTLE"
    default_graphs: tuple[str, ...] | None = None
    named_graphs: tuple[str, ...] | None = None
    union: bool = True
    max_rows: int = 100_000
    spool: str = ""
    bindings: tuple[tuple[str, str], ...] = ()
    """(variable name, term in SPARQL syntax): the query's parameters, bound as pyoxigraph substitutions."""
    max_bytes: int = 0
    """Largest answer, serialised (0: any); a larger one is refused whole (AnswerTooLarge)."""

    def run(self, site: Site) -> Answer:
        from .reads import answer_query

        store, version = site.read(self.version)
        return answer_query(store, self, version)


@dataclass(frozen=True)
class GraphReadJob(Job):
    """Graph Store GET: one graph (None: the default graph) in an RDF format."""

    operation: ClassVar[str] = "graph read"

    graph: str | None
    version: str
    format: str = "TURTLE"
    spool: str = ""

    def run(self, site: Site) -> Answer:
        from .reads import answer_graph_read

        store, version = site.read(self.version)
        return answer_graph_read(store, self, version)


@dataclass(frozen=True)
class DatasetReadJob(Job):
    """Every graph of the store (or only ``graph``, keeping its name) in an RDF format: quads with their
    graph names in a dataset syntax, the union of the triples, each once, in a graph syntax."""

    operation: ClassVar[str] = "dataset read"

    version: str
    format: str = "N_QUADS"
    graph: str | None = None
    spool: str = ""

    def run(self, site: Site) -> Answer:
        from .reads import answer_dataset_read

        store, version = site.read(self.version)
        return answer_dataset_read(store, self, version)


@dataclass(frozen=True)
class UpdateStep:
    """One operation of an update that loads: an operation's text (with the declarations in force before
    it) for the engine, or data fetched for a LOAD, or neither (a SILENT LOAD that failed)."""

    text: str | None = None
    load: Fetched | None = None
    graph: str | None = None
    silent: bool = False


@dataclass(frozen=True)
class UpdateJob(Job):
    """A prepared SPARQL update: SERVICE already answered, LOAD sources already fetched (see ``prepared``)."""

    operation: ClassVar[str] = "update"

    text: str
    base_iri: str | None = None
    steps: tuple[UpdateStep, ...] = ()

    def run(self, site: Site) -> Written:
        from .writes import apply_update

        return apply_update(site.store_dir, self)


@dataclass(frozen=True)
class GraphWriteJob(Job):
    """Graph Store PUT (replace), POST (merge) or DELETE of one graph (None: the default graph)."""

    operation: ClassVar[str] = "graph write"

    method: str
    graph: str | None
    data: bytes = b""
    format: str = "TURTLE"
    base_iri: str | None = None

    def run(self, site: Site) -> Written:
        from .writes import write_graph

        return write_graph(site.store_dir, self)


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
    """Content-Encoding of ``body``: None from an engine; the web layer sets it on the copy it compresses."""
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
