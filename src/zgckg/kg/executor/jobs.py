"""The messages between the web process and a worker: jobs going in, answers coming back.

Formats are pyoxigraph's names (``JSON``, ``TURTLE``…), so a worker needs no knowledge of media types.
"""

from __future__ import annotations

from dataclasses import dataclass

from ..guard import SYSTEM, Limits, Network

_LIMITS = Limits()


@dataclass(frozen=True)
class QueryJob:
    """A SPARQL query and how to answer it. Formats are pyoxigraph format names, None if none is acceptable."""

    text: str
    version: str
    solutions_format: str | None = "JSON"
    graph_format: str | None = "TURTLE"
    default_graphs: tuple[str, ...] | None = None
    named_graphs: tuple[str, ...] | None = None
    union: bool = True
    max_rows: int = 100_000
    gzip: bool = False
    allowlist: tuple[str, ...] = ()
    spool: str = ""
    service_connect_timeout: float = _LIMITS.connect_timeout
    service_read_timeout: float = _LIMITS.read_timeout
    network: Network = SYSTEM


@dataclass(frozen=True)
class GraphReadJob:
    """Graph Store GET: one graph (None: the default graph) in an RDF format."""

    graph: str | None
    version: str
    format: str = "TURTLE"
    gzip: bool = False
    spool: str = ""


@dataclass(frozen=True)
class UpdateJob:
    """A SPARQL update; SERVICE in its WHERE clauses and LOAD reach out under the same limits as queries."""

    text: str
    allowlist: tuple[str, ...] = ()
    base_iri: str | None = None
    max_rows: int = 100_000
    service_connect_timeout: float = _LIMITS.connect_timeout
    service_read_timeout: float = _LIMITS.read_timeout
    network: Network = SYSTEM


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
    cacheable: bool = True
    """False when the answer holds what remote endpoints said (SERVICE): it can change without the store."""


@dataclass(frozen=True)
class Written:
    version: str
    created: bool = False
