"""The one interface between the front ends (web, command line, benchmarks) and the store behind them.

An :class:`Engine` runs a query into a requested format within limits, applies an update, reads and
replaces a graph, and says which version of the data it serves (what answer caches and ETags are derived
from). Nothing in it is a pyoxigraph type: formats are :class:`zgckg.kg.formats.Format` entries (a media
type and a name), terms in bindings are written in SPARQL syntax, answers are bytes. So a store reached
over the SPARQL 1.1 Protocol and the Graph Store Protocol alone can implement it too.

Every engine prepares what it is given the same way (:mod:`zgckg.kg.prepared`: the parser, the limits,
the outbound policy, SERVICE answered and LOAD fetched by this process, the project's prefixes
predeclared), so a query means the same whoever sends it and whichever engine answers.

    local.py      the served store: generations on disk, killable worker processes (``zgckg serve``)
    inprocess.py  the same store read and written in this process (the command line, tests)
"""

from __future__ import annotations

import json
from abc import ABC, abstractmethod
from collections.abc import Callable, Iterable, Mapping
from dataclasses import dataclass, field
from pathlib import Path

from ...config import Config
from ...namespaces import PREFIXES
from ..executor.jobs import Answer, QueryJob, Written
from ..federation import Outbound
from ..outbound import SYSTEM, Network
from ..formats import SOLUTIONS, Format
from ..stats import PER_GRAPH
from ..prepared import PreparedQuery, PreparedUpdate, prepare_query, prepare_update

__all__ = ["Answer", "Engine", "EngineInfo", "GraphWrite", "PreparedQuery", "Query", "Written"]


@dataclass(frozen=True)
class Query:
    """A query as a front end hands it over: the text, the formats the client accepts, the dataset, the
    bindings of its parameters and the limits of this request."""

    text: str
    solutions_format: Format | None = None
    """Format for SELECT and ASK; None when the client accepts none (a SELECT is then refused)."""
    graph_format: Format | None = None
    """Format for CONSTRUCT and DESCRIBE; None when the client accepts none."""
    default_graphs: tuple[str, ...] | None = None
    named_graphs: tuple[str, ...] | None = None
    """The protocol's dataset (default-graph-uri, named-graph-uri); None when the request names none."""
    bindings: Mapping[str, str] = field(default_factory=dict)
    """Variable name (without ``?``) → term in SPARQL syntax (``<iri>``, ``"text"@zh``, ``12``)."""
    timeout: float = 30.0
    max_rows: int = 100_000
    started: float | None = None
    """When the request began (monotonic seconds): time spent before counts toward ``timeout``."""
    own: bool = False
    """The text is the graph layer's own (constant, with only IRIs it checked spliced in): it is sent as it
    is, without reading it for SERVICE, FROM and the limits, which are there for texts clients send."""


@dataclass(frozen=True)
class GraphWrite:
    """A Graph Store write: PUT (replace), POST (merge) or DELETE one graph (None: the default graph)."""

    method: str
    graph: str | None
    data: bytes = b""
    format: Format | None = None
    base_iri: str | None = None


@dataclass(frozen=True)
class EngineInfo:
    """What an engine is, for the service description and health checks."""

    kind: str
    location: str
    version: str
    details: tuple[tuple[str, str], ...] = ()


class Engine(ABC):
    """See the module. Engines are made from the configuration and closed when done."""

    def __init__(self, config: Config, *, network: Network = SYSTEM):
        self.config = config
        self.network = network
        """How SERVICE and LOAD look up names and connect: the machine's, unless code (a test standing a
        local server in for a public host) passes another; no setting or variable reaches it."""

    # --- what every engine must do -------------------------------------------------------------------

    @abstractmethod
    def version(self) -> str:
        """The version of the data now served; another version means other answers may differ."""

    @abstractmethod
    def modified(self, version: str) -> float:
        """When ``version`` was published (seconds since the epoch), for Last-Modified."""

    @abstractmethod
    def run_query(self, prepared: PreparedQuery, query: Query, version: str) -> Answer:
        """Answer a prepared query (one that names no remote)."""

    @abstractmethod
    def run_update(self, prepared: PreparedUpdate, timeout: float, started: float | None) -> Written:
        """Apply a prepared update as one change: all of it or nothing."""

    @abstractmethod
    def read_graph(self, graph: str | None, fmt: Format, *, timeout: float) -> Answer:
        """One graph (None: the default graph) serialised in ``fmt``; GraphNotFound when there is none."""

    @abstractmethod
    def read_dataset(self, fmt: Format, *, graph: str | None = None, timeout: float) -> Answer:
        """Every graph (or only the named graph ``graph``) serialised in ``fmt``: quads with their graph
        names in a dataset syntax (N-Quads, TriG, JSON-LD), the union of the triples, each once, otherwise."""

    @abstractmethod
    def write_graph(self, write: GraphWrite, *, timeout: float) -> Written:
        """Replace, merge into or delete one graph, as one change."""

    @abstractmethod
    def load_files(self, files: Iterable[Path], *, graph: str | None = None,
                   progress: Callable[[str], None] = lambda message: None) -> dict[str, int]:
        """Add RDF files to the store, each into its own user graph (or all into ``graph``), as one change;
        the quads read into each graph."""

    @abstractmethod
    def describe(self) -> EngineInfo: ...

    def version_at_hand(self) -> str | None:
        """The version served when it can be told at once, without asking a store over the network (the
        web front checks it on its event loop); None when only :meth:`version` can tell."""
        return None

    def workload(self) -> dict[str, int]:
        """Gauges of what the engine is doing now (``workers``, ``busy``, ``waiting`` jobs), where it knows."""
        return {}

    def close(self) -> None:
        """Free what the engine holds (processes, open stores); safe to call twice."""

    # --- the same for every engine -------------------------------------------------------------------

    def prepare(self, query: Query) -> PreparedQuery:
        """The query made ready to run (see ``zgckg.kg.prepared``): read within the limits, SERVICE
        answered; its ``kind`` says which of the query's formats the answer needs."""
        if query.own:
            return PreparedQuery(query.text, has_dataset_clause=False, remote=False)
        return prepare_query(query.text, self.outbound(prefixes=tuple(PREFIXES.items())), self.config.syntax_limits)

    def query(self, query: Query, prepared: PreparedQuery | None = None) -> Answer:
        """Answer the query (prepared here unless ``prepared`` is given); ``Answer.remote`` says whether
        remote endpoints took part (then it must not be cached)."""
        prepared = prepared or self.prepare(query)
        answer = self.run_query(prepared, query, self.version())
        return answer.with_remote(prepared.remote)

    def rows(self, query: Query) -> list[dict[str, dict]]:
        """The solutions of one of the graph layer's own SELECTs (``query.own``), as SPARQL JSON writes
        each row; an engine that reads JSON itself gives them without writing the answer out first."""
        return json.loads(self.query(query).content())["results"]["bindings"]

    def update(self, text: str, *, timeout: float | None = None, started: float | None = None) -> Written:
        prepared = prepare_update(text, self.outbound(), self.config.syntax_limits)
        return self.run_update(prepared, self.config.timeout if timeout is None else timeout, started)

    def query_job(self, prepared: PreparedQuery, query: Query, version: str, spool: str) -> QueryJob:
        """What a worker (or this process) is asked to answer for a prepared query."""
        return QueryJob(
            prepared.text, version, has_dataset_clause=prepared.has_dataset_clause,
            solutions_format=query.solutions_format.serializer if query.solutions_format else None,
            graph_format=query.graph_format.serializer if query.graph_format else None,
            default_graphs=query.default_graphs, named_graphs=query.named_graphs,
            union=self.config.union_default_graph, max_rows=query.max_rows,
            spool=spool, bindings=tuple(query.bindings.items()), max_bytes=self.config.max_answer_bytes,
        )

    def ready(self, *, timeout: float) -> str:
        """The version served, once a trivial query has been answered on it (a worker is up and the store
        reads); the query's own error otherwise."""
        return self.query(Query("ASK {}", SOLUTIONS[0], timeout=timeout)).version

    def graph_sizes(self, *, timeout: float | None = None) -> list[tuple[str, int]]:
        """(graph IRI, triples) for every non-empty named graph."""
        answer = self.query(Query(PER_GRAPH, SOLUTIONS[0], timeout=self.config.timeout if timeout is None else timeout))
        rows = json.loads(answer.content())["results"]["bindings"]
        return [(row["g"]["value"], int(row["n"]["value"])) for row in rows]

    def outbound(self, **values) -> Outbound:
        """Where SERVICE and LOAD may connect, from the configuration."""
        c = self.config
        return Outbound(c.service_allowlist, c.service_limits, c.max_rows, self.network, **values)
