"""The engine over a remote SPARQL 1.1 store, reached with the SPARQL 1.1 Protocol and the Graph Store
Protocol only; what differs between store kinds is in one small adapter each (``ADAPTERS``).

Guarantees kept as on the embedded store:

- **Never a truncated answer.** A store may cut results at its own row cap with a 200 and no warning
  (Virtuoso's ``ResultSetMaxRows``); the adapter recognises a cut answer and the request is refused whole,
  naming the cap. A graph read is checked against a count of the graph.
- **Standard formats.** Results are read from the store in one format (SPARQL JSON, Turtle) and written
  by pyoxigraph in the format the client asked for; Virtuoso's ``typed-literal`` is read as a literal.
- **Our graphs only.** Without FROM/FROM NAMED, queries see the graphs under ``…/graph/`` (the default
  graph is their union when ``union_default_graph`` is on), never the store's own system graphs.
- **Time limits.** The request is abandoned at the query's limit (QueryTimeout); the store's own
  per-query limit (Virtuoso's ``MaxQueryExecutionTime``) stops the work there.
- **No outbound requests by the store.** SERVICE and LOAD are answered and fetched by this process under
  our policy before anything is sent (see ``kg.prepared``); the store's own federation stays off
  (``scripts/virtuoso`` configures that).
- **A version.** A remote store has no generations: the version is a token in the meta graph
  (``…/graph/meta``), changed by every write made through zgckg (build, load, update, graph store), so
  caches and ETags follow it. Writes made to the store by other means are not seen until the next one.
"""

from __future__ import annotations

import json
import os
import re
import time
import uuid
from collections.abc import Callable, Iterable
from dataclasses import dataclass
from datetime import datetime, timezone
from pathlib import Path
from typing import TYPE_CHECKING
from urllib.parse import urlencode, urlsplit

from ...config import Config
from ...errors import (
    EngineFailed, ForbiddenOperation, GraphNotFound, NotAcceptable, NotSupportedByEngine, QueryFailed,
    QuerySyntaxError, QueryTimeout, RowLimitExceeded, UpdateFailed,
)
from ...namespaces import GRAPH_BASE, PREFIXES, sparql_prologue
from ..formats import GRAPHS, Format, serialize_triples
from ..outbound import SYSTEM, Network
from ..prepared import PreparedQuery, PreparedUpdate
from . import Answer, Engine, EngineInfo, GraphWrite, Query, Written

if TYPE_CHECKING:
    from collections.abc import Mapping

META = GRAPH_BASE + "meta"
"""Where a remote store keeps the version token zgckg writes (not one of the graphs queries see)."""
_VERSION = PREFIXES["zgo"] + "version"
_MODIFIED = PREFIXES["dcterms"] + "modified"
_TRIPLES = PREFIXES["void"] + "triples"
"""In the meta graph: a graph's size when it was published (``<graph> void:triples n``)."""
STAGED = "~"
"""Marks a graph name as staged (``<graph>~<token>``): uploaded, not yet moved into place, never queried."""
_BOOLEAN = "http://www.w3.org/2001/XMLSchema#boolean"
_STRING = "http://www.w3.org/2001/XMLSchema#string"
_DURATION = "http://www.w3.org/2001/XMLSchema#duration"
_MONTHS = re.compile(r"-?[0-9]+")
_BNODE_UNSAFE = re.compile(r"[^A-Za-z0-9_]")
USER_ENV, PASSWORD_ENV = "ZGCKG_ENGINE_USER", "ZGCKG_ENGINE_PASSWORD"
"""Credentials for the store's authenticated endpoints come from the environment, never from a flag."""


@dataclass(frozen=True)
class Adapter:
    """What one kind of store does its own way."""

    kind: str
    row_cap_header: str | None = None
    """A response header the store sets when it cut an answer at its row cap."""
    digest_auth: bool = True
    update_default_graph: str | None = None
    """The update endpoint's parameter naming a graph an update reads and writes as its default graph."""
    update_named_graph: str | None = None
    """Its parameter naming a graph an update's WHERE may read with GRAPH."""


    def results_json(self, body: bytes) -> dict:
        document = json.loads(body)
        for row in document.get("results", {}).get("bindings", ()):
            for cell in row.values():
                kind = cell.get("type")
                if kind == "uri":  # most cells: nothing to mend
                    continue
                if kind == "bnode":  # Virtuoso's "nodeID://b10006" is no blank node label
                    cell["value"] = _BNODE_UNSAFE.sub("_", cell["value"].removeprefix("nodeID://"))
                    continue
                if kind == "typed-literal":  # the 2008 draft's name, still written by some stores
                    cell["type"] = "literal"
                datatype = cell.get("datatype")
                if datatype == _BOOLEAN and cell["value"] in ("0", "1"):  # Virtuoso's booleans
                    cell["value"] = "true" if cell["value"] == "1" else "false"
                elif datatype == _STRING:  # RDF 1.1: the same literal as a simple one, which is how the
                    del cell["datatype"]  # other engines (and our other formats) write it
                elif datatype == _DURATION and _MONTHS.fullmatch(cell["value"]):
                    cell["value"] = _months(int(cell["value"]))  # Virtuoso writes "P2Y" as "24" in JSON
        return document

    dataset_reversed: bool = False
    """The store reads the dataset's graphs in the reverse order of the parameters naming them."""

    def dataset(self, graphs: tuple[str, ...]) -> tuple[str, ...]:
        """``graphs`` (largest first) in the order to name them, so that the store reads the largest first."""
        return graphs[::-1] if self.dataset_reversed else graphs

    def cut(self, response: Reply) -> bool:
        return bool(self.row_cap_header and self.row_cap_header in response.headers)

    client_errors: tuple[str, ...] = ()
    """Beginnings of error messages the store sends with a 5xx that are about the request, not the store."""
    unsupported: tuple[str, ...] = ()
    """Error codes in messages that say a valid request asks for something the store does not implement."""
    own_graphs: tuple[str, ...] = ()
    """Beginnings of the IRIs of graphs the store keeps for itself (Virtuoso's quad maps among them): zgckg
    never writes them, whoever asks."""
    own_graphs_at_host: bool = False
    """Its own graphs also include some named after the endpoint's host (Virtuoso: ``/DAV/``, ``/sparql``)."""
    no_default_graph: tuple[str, ...] = ()
    """Parts of messages that say an update wrote to a default graph the request's dataset cannot give (our
    union of graphs is no graph to write to)."""

    def clients_fault(self, message: str) -> bool:
        return message.startswith(self.client_errors)

    def message(self, response: Reply) -> str:
        """The store's error in one line, without the query it echoes (it may be long, and rewritten)."""
        text = response.text.strip().splitlines()
        return (text[0] if text else response.reason)[:300]


ADAPTERS = {
    # Virtuoso answers 500 for queries it compiles but will not run: SQL states of class 37000 (the query),
    # 22023 (an argument), 42 (a permission), S1T00 (its own time limit)
    "virtuoso": Adapter("virtuoso", row_cap_header="X-SPARQL-MaxRows", update_default_graph="default-graph-uri",
                        update_named_graph="named-graph-uri",
                        # it puts each dataset parameter in front of the query as it reads them, so the last
                        # comes first; and it evaluates a dataset faster when the largest graph comes first
                        # (COUNT(*) over 10M quads: 111 ms, 178 ms when it came last)
                        dataset_reversed=True,
                        client_errors=("Virtuoso 37000", "Virtuoso 22023", "Virtuoso 42", "Virtuoso S1T00"),
                        # SR185: a function IRI the store has no procedure for (SPARQL makes it an
                        # evaluation error, an unbound value; Virtuoso refuses the whole query); SQ200: what
                        # it cannot translate, such as a duration of days ("No column P1DD")
                        unsupported=("SR185", "SQ200"), no_default_graph=("without GRAPH {",),
                        own_graphs=("http://www.openlinksw.com/", "http://www.w3.org/ns/ldp#"),
                        own_graphs_at_host=True),
    "generic": Adapter("generic", digest_auth=False),
}


@dataclass(frozen=True)
class Reply:
    """The store's answer to one request, whichever HTTP client fetched it."""

    status_code: int
    reason: str
    headers: Mapping[str, str]
    """Case-insensitive, as both clients give them."""
    content: bytes

    @property
    def text(self) -> str:
        return self.content.decode("utf-8", "replace")


@dataclass(frozen=True)
class Remote:
    """Where the store is: its query endpoint, and for writes its update and graph store endpoints."""

    query: str
    update: str | None = None
    store: str | None = None
    """The graph store for writes (and for reads, with credentials)."""
    read_store: str | None = None
    """The graph store for reads without credentials, where the store has one."""
    kind: str = "virtuoso"

    @classmethod
    def from_config(cls, config: Config) -> "Remote":
        query = config.engine.rstrip("/")
        base = query.rsplit("/", 1)[0]
        if config.engine_kind == "virtuoso":  # its endpoints sit beside /sparql; the -auth ones take digest auth
            return cls(query, config.engine_update or base + "/sparql-auth",
                       config.engine_store or base + "/sparql-graph-crud-auth", base + "/sparql-graph-crud", "virtuoso")
        return cls(query, config.engine_update, config.engine_store, config.engine_store, config.engine_kind)


class RemoteEngine(Engine):
    VERSION_SECONDS = 1.0
    """How long a version read from the store is trusted: pages ask for it several times a request."""

    def __init__(self, config: Config, remote: Remote | None = None, *, network: Network = SYSTEM):
        import requests

        from .store_http import store_pool

        super().__init__(config, network=network)
        self.remote = remote or Remote.from_config(config)
        self.adapter = ADAPTERS[self.remote.kind]
        host = urlsplit(self.remote.query)
        at_host = (f"{host.scheme}://{host.netloc}/",) if self.adapter.own_graphs_at_host else ()
        self.own_graphs = self.adapter.own_graphs + at_host
        # reads go through urllib3's pool (store_http): requests cost 0.35 ms more per request, as much as a
        # small query takes the store; requests (for its digest authentication) only sends what needs
        # credentials. Both reach the store at the URL configured, not through the environment's proxies.
        self.pool = store_pool(max(4, config.threads))
        self.session = requests.Session()
        self.session.trust_env = False
        user, password = os.environ.get(USER_ENV), os.environ.get(PASSWORD_ENV)
        self.auth = None
        if user and password:
            self.auth = requests.auth.HTTPDigestAuth(user, password) if self.adapter.digest_auth else (user, password)
        self._version: tuple[float, str, float] | None = None  # (read at, version, modified)
        self._graphs: tuple[str, tuple[str, ...]] | None = None

    # --- version -----------------------------------------------------------------------------------------

    def version(self) -> str:
        return self._meta()[0]

    def version_at_hand(self) -> str | None:
        held = self._held()
        return held[1] if held else None

    def modified(self, version: str) -> float:
        found, modified = self._meta()
        return modified if found == version else time.time()

    def _held(self) -> tuple[float, str, float] | None:
        """The version last read, while it is trusted."""
        held = self._version
        return held if held is not None and time.monotonic() - held[0] < self.VERSION_SECONDS else None

    def _meta(self) -> tuple[str, float]:
        if held := self._held():
            return held[1], held[2]
        rows = self._select(f"SELECT ?v ?m WHERE {{ GRAPH <{META}> {{ <{META}> <{_VERSION}> ?v ; <{_MODIFIED}> ?m }} }}",
                            timeout=self.config.timeout, dataset=False)
        version, modified = "v0", 0.0
        if rows:
            version = rows[0]["v"]["value"]
            try:
                modified = datetime.fromisoformat(rows[0]["m"]["value"].replace("Z", "+00:00")).timestamp()
            except ValueError:
                pass
        self._version = (time.monotonic(), version, modified)
        return version, modified

    def _write(self, text: str, timeout: float, deadline: float,
               dataset: Iterable[tuple[str, str]] = ()) -> None:
        """Send the update ``text`` and, in the same request, a new version; the version held afterwards is
        that one (read again after a failure, which may or may not have been applied)."""
        token, now = f"r-{uuid.uuid4().hex[:16]}", datetime.now(timezone.utc).replace(microsecond=0)
        # ";" only between operations: an update of no operation (a prologue, comments) takes none before ours
        separator = "\n;\n" if _first_keyword(text) not in ("", "BASE", "PREFIX") else "\n"
        bump = (f"{_delete_in_meta(META, '?p', '?o')} ;\n"
                f"INSERT DATA {{ GRAPH <{META}> {{ <{META}> <{_VERSION}> \"{token}\" ; "
                f"<{_MODIFIED}> \"{now.isoformat()}\"^^<http://www.w3.org/2001/XMLSchema#dateTime> }} }}")
        self._version = None
        response = self._send(self.remote.update, [("update", f"{text}{separator}{bump}"), *dataset], timeout,
                              deadline, "*/*", auth=True)
        if response.status_code not in (200, 204):
            raise self._failure(response, UpdateFailed)
        self._version = (time.monotonic(), token, now.timestamp())

    def graphs(self) -> tuple[str, ...]:
        """The store's graphs that are ours (under ``…/graph/``; neither the meta graph nor a staged one),
        largest first by the sizes recorded when they were published (others after them), once per version.

        The store lists all its graphs and they are sorted out here: a filter on the graph's name inside the
        query is applied to every quad (10 s over 10M quads on Virtuoso, against 14 ms for the whole list).
        """
        version = self.version()
        if self._graphs is None or self._graphs[0] != version:
            timeout = self.config.timeout
            names = (r["g"]["value"] for r in self._select("SELECT DISTINCT ?g WHERE { GRAPH ?g { ?s ?p ?o } }",
                                                           timeout=timeout, dataset=False))
            ours = [g for g in names if g.startswith(GRAPH_BASE) and g != META and STAGED not in g]
            sizes = {r["g"]["value"]: int(r["n"]["value"]) for r in self._select(
                f"SELECT ?g ?n WHERE {{ GRAPH <{META}> {{ ?g <{_TRIPLES}> ?n }} }}", timeout=timeout, dataset=False)}
            self._graphs = (version, tuple(sorted(ours, key=lambda g: (-sizes.get(g, 0), g))))
        return self._graphs[1]

    # --- queries -----------------------------------------------------------------------------------------

    def run_query(self, prepared: PreparedQuery, query: Query, version: str) -> Answer:
        response = self._fetch(prepared, query)
        media = response.headers.get("Content-Type", "").split(";")[0].strip()
        if media in ("application/sparql-results+json", "application/json"):
            return self._solutions(response.content, query, version)
        return self._graph(response.content, media, query, version)

    def rows(self, query: Query) -> list[dict[str, dict]]:
        # read once, never written out and read again: that took a third of a path search's own time (besides
        # its requests) at 10M quads
        document = self._document(self._fetch(self.prepare(query), query).content, query)
        return document["results"]["bindings"]

    def _fetch(self, prepared: PreparedQuery, query: Query) -> Reply:
        """The store's whole, uncut answer to the query: SPARQL JSON, or Turtle for a graph."""
        text = _ascii(_with_prologue(prepared.text + _values(query.bindings)))
        params = [("query", text)]
        if query.default_graphs is not None or query.named_graphs is not None:
            params += [("default-graph-uri", g) for g in query.default_graphs or ()]
            params += [("named-graph-uri", g) for g in query.named_graphs or ()]
        elif not prepared.has_dataset_clause:
            params += self._dataset()
        deadline = (query.started or time.monotonic()) + query.timeout
        # a graph in Turtle: asked for JSON, Virtuoso sends a CONSTRUCT's triples as ?s ?p ?o solutions
        accept = "text/turtle" if _graph_form(prepared.text) else "application/sparql-results+json"
        response = self._send(self.remote.query, params, query.timeout, deadline, accept)
        if response.status_code != 200:
            failure = self._failure(response, QueryFailed)
            if isinstance(failure, QueryFailed):
                _explain(prepared.text, self.config)  # our parser's message, where it refuses the text too
            raise failure
        if self.adapter.cut(response):
            raise RowLimitExceeded(_cap(response, self.adapter))
        return response

    def _document(self, body: bytes, query: Query) -> dict:
        """SPARQL JSON results made standard, within the query's row limit."""
        document = self.adapter.results_json(body)
        if "boolean" not in document and len(document["results"]["bindings"]) > query.max_rows:
            raise RowLimitExceeded(query.max_rows)
        return document

    def _solutions(self, body: bytes, query: Query, version: str) -> Answer:
        import pyoxigraph as ox

        document = self._document(body, query)
        boolean = "boolean" in document
        rows = None if boolean else len(document["results"]["bindings"])
        fmt = query.solutions_format
        if fmt is None:
            raise NotAcceptable("boolean" if boolean else "solutions")
        standard = json.dumps(document, ensure_ascii=False, separators=(",", ":")).encode()
        if fmt.name == "json":  # the document is standard now: read again and rewritten, it would only cost time
            text = standard
        else:
            text = ox.parse_query_results(standard, format=ox.QueryResultsFormat.JSON).serialize(format=fmt.ox_format)
        return _answer("boolean" if boolean else "solutions", fmt, text, rows, version)

    def _graph(self, body: bytes, media: str, query: Query, version: str) -> Answer:
        import pyoxigraph as ox

        source = next((f for f in GRAPHS if media in f.media_types), None)
        if source is None:
            raise EngineFailed("query", f"the remote store answered {media or 'without a type'}")
        triples = [q.triple if isinstance(q, ox.Quad) else q for q in ox.parse(body, format=source.ox_format)]
        if len(triples) > query.max_rows:
            raise RowLimitExceeded(query.max_rows)
        fmt = query.graph_format
        if fmt is None:
            raise NotAcceptable("graph")
        return _answer("graph", fmt, serialize_triples(triples, fmt), len(triples), version)

    # --- writes ------------------------------------------------------------------------------------------

    def run_update(self, prepared: PreparedUpdate, timeout: float, started: float | None) -> Written:
        self._writable("update")
        self._not_the_stores_own(prepared.graphs)
        deadline = (started or time.monotonic()) + timeout
        staged: list[str] = []
        try:
            text = self._with_loads(prepared, staged, timeout) if prepared.steps else prepared.text
            self._apply(text, timeout, deadline)
        finally:
            for name in staged:  # moved into place by the update, or left by a failure: never served
                self._drop_quietly(name, timeout)
        return Written(self.version())

    def _with_loads(self, prepared: PreparedUpdate, staged: list[str], timeout: float) -> str:
        """The update as one text, each LOAD's data (fetched by us, under our policy) uploaded first under a
        fresh graph name and added to its target by the update itself, in the operations' order. (Virtuoso
        applies the operations of one request one after the other, each committed: an operation that fails
        does not undo those before it; see docs/virtuoso.md.)"""
        operations = []
        for step in prepared.steps:
            if step.text is not None:
                operations.append(step.text)
            elif step.load is not None:
                if step.graph is None:
                    raise ForbiddenOperation("LOAD into a remote store's default graph is not possible: "
                                             "LOAD <…> INTO GRAPH <…>")
                name = f"{step.graph}{STAGED}load-{uuid.uuid4().hex[:12]}"
                staged.append(name)
                response = self._request("POST", self.remote.store, timeout, params={"graph-uri": name},
                                         data=step.load.body, auth=True,
                                         headers={"Content-Type": step.load.content_type or "text/turtle"})
                if response.status_code >= 300:
                    if step.silent:
                        continue
                    raise UpdateFailed(f"the remote store refused the data of LOAD <{step.load.url}>: "
                                       f"{self.adapter.message(response)}")
                operations.append(f"ADD SILENT GRAPH <{name}> TO GRAPH <{step.graph}>")
        return " ;\n".join(operations)

    def _drop_quietly(self, graph: str, timeout: float) -> None:
        try:
            self._send(self.remote.update, [("update", f"DROP SILENT GRAPH <{graph}>")], timeout,
                       time.monotonic() + timeout, "*/*", auth=True)
        except Exception:  # what is left under a staging name is never one of the graphs queries see
            pass

    def _apply(self, text: str, timeout: float, deadline: float) -> None:
        # the update reads what a query reads (our graphs, see _dataset). Without a dataset Virtuoso refuses
        # an update of the default graph, and an update's WHERE reads every graph in the store, its own
        # system graphs included (DELETE WHERE { GRAPH ?g { … } } would delete them); with the default graph
        # alone, a GRAPH <g> in the WHERE matches nothing
        dataset = []
        if self.adapter.update_default_graph and self.adapter.update_named_graph:
            dataset = self._dataset(self.adapter.update_default_graph, self.adapter.update_named_graph)
        self._write(text, timeout, deadline, dataset)

    def load_files(self, files: Iterable[Path], *, graph: str | None = None,
                   progress: Callable[[str], None] = lambda message: None) -> dict[str, int]:
        from ..publish import load_remote  # read locally, then staged graphs switched in one step

        return load_remote(self.config, files, graph=graph)

    def write_graph(self, write: GraphWrite, *, timeout: float) -> Written:
        self._writable("graph store")
        if write.graph is None:
            raise ForbiddenOperation("a remote store's default graph is not writable: name a graph (?graph=IRI)")
        self._not_the_stores_own((write.graph,))
        method = {"PUT": "PUT", "POST": "POST", "DELETE": "DELETE"}[write.method]
        headers = {"Content-Type": (write.format or GRAPHS[0]).media_type.split(";")[0]} if method != "DELETE" else {}
        response = self._request(method, self.remote.store, timeout, params={"graph-uri": write.graph},
                                 data=write.data if method != "DELETE" else None, headers=headers, auth=True)
        if response.status_code == 404 and method == "DELETE":
            raise GraphNotFound(write.graph)
        if response.status_code >= 300:
            raise self._failure(response, UpdateFailed)
        self._write("", timeout, time.monotonic() + timeout)
        return Written(self.version())

    def publish(self, graphs: dict[str, bytes], *, timeout: float) -> Written:
        """Replace whole graphs (graph IRI → N-Triples) so that no client sees them half-written: each is
        uploaded under a fresh name first, then one update moves them all into place (one transaction in the
        store); a failure before that leaves the graphs served as they were."""
        self._writable("publishing")
        token = uuid.uuid4().hex[:12]
        staged = {iri: f"{iri}{STAGED}{token}" for iri in graphs}
        try:
            for iri, data in graphs.items():
                response = self._request("PUT", self.remote.store, timeout, params={"graph-uri": staged[iri]},
                                         data=data, headers={"Content-Type": "application/n-triples"}, auth=True)
                if response.status_code >= 300:
                    raise self._failure(response, UpdateFailed)
            moves = " ;\n".join(f"MOVE SILENT GRAPH <{staged[iri]}> TO GRAPH <{iri}>" for iri in graphs)
            triples = {iri: data.count(b"\n") for iri, data in graphs.items()}  # N-Triples: a line a triple
            sizes = " ;\n".join(f"{_delete_in_meta(iri, f'<{_TRIPLES}>', '?n')} ;\n"
                                f"INSERT DATA {{ GRAPH <{META}> {{ <{iri}> <{_TRIPLES}> {n} }} }}"
                                for iri, n in triples.items())
            self._write(f"{moves} ;\n{sizes}", timeout, time.monotonic() + timeout)
        except BaseException:
            for name in staged.values():  # what was staged is not served; remove it when the store lets us
                self._drop_quietly(name, timeout)
            raise
        return Written(self.version())

    def _not_the_stores_own(self, graphs: Iterable[str]) -> None:
        """ForbiddenOperation for a write naming a graph the store keeps for itself. (Queries and updates read
        our graphs only; a graph named outright would reach past that: WITH <…virtrdf#> DELETE … deleted
        Virtuoso's own quad maps.)"""
        for graph in graphs:
            if graph.startswith(self.own_graphs):
                raise ForbiddenOperation(f"<{graph}> is one of the remote store's own graphs, which this server "
                                         "does not write")

    def _writable(self, what: str) -> None:
        if not self.config.write_token and what in ("update", "graph store"):
            raise ForbiddenOperation("this server is read-only: writes need a write token (zgckg serve --write-token)")
        if self.auth is None or not (self.remote.update and self.remote.store):
            raise ForbiddenOperation(f"{what} on the remote store needs its update and graph store endpoints and "
                                     f"credentials in {USER_ENV} and {PASSWORD_ENV}")

    # --- graph reads -------------------------------------------------------------------------------------

    def read_graph(self, graph: str | None, fmt: Format, *, timeout: float) -> Answer:
        version = self.version()
        if graph is None:  # a remote store keeps every triple in a named graph
            return _answer("graph", fmt, serialize_triples([], fmt), 0, version)
        if graph not in self.graphs():
            raise GraphNotFound(graph)
        triples = self._graph_triples(graph, timeout)
        return _answer("graph", fmt, serialize_triples(triples, fmt), len(triples), version)

    def read_dataset(self, fmt: Format, *, graph: str | None = None, timeout: float) -> Answer:
        import pyoxigraph as ox

        version = self.version()
        names = self.graphs() if graph is None else (graph,)
        if graph is not None and graph not in self.graphs():
            raise GraphNotFound(graph)
        quads = [ox.Quad(t.subject, t.predicate, t.object, ox.NamedNode(g))
                 for g in names for t in self._graph_triples(g, timeout)]
        if fmt.quads or fmt.serializer == "JSON_LD":
            body = ox.serialize(quads, format=fmt.ox_format, prefixes=dict(PREFIXES) if fmt.prefixed else None)
            return _answer("graph", fmt, body, len(quads), version)
        triples = list(dict.fromkeys(q.triple for q in quads))
        return _answer("graph", fmt, serialize_triples(triples, fmt), len(triples), version)

    def _graph_triples(self, graph: str, timeout: float) -> list:
        """Every triple of one graph, by the graph store, checked against a count so a cut read never passes."""
        import pyoxigraph as ox

        store = self.remote.store if self.auth else self.remote.read_store
        if store is None:
            raise ForbiddenOperation("reading whole graphs needs the remote store's graph store endpoint")
        response = self._request("GET", store, timeout, params={"graph-uri": graph}, headers={"Accept": "text/turtle"},
                                 auth=self.auth is not None)
        if response.status_code == 404:
            raise GraphNotFound(graph)
        if response.status_code != 200:
            raise self._failure(response, QueryFailed)
        triples = list(ox.parse(response.content, format=ox.RdfFormat.TURTLE))
        counted = self._select(f"SELECT (COUNT(*) AS ?n) WHERE {{ GRAPH <{graph}> {{ ?s ?p ?o }} }}",
                               timeout=timeout, dataset=False)
        if int(counted[0]["n"]["value"]) != len(triples):
            raise EngineFailed("graph read", f"the store sent {len(triples)} triples of <{graph}>, "
                                             f"which holds {counted[0]['n']['value']}")
        return triples

    def describe(self) -> EngineInfo:
        return EngineInfo(f"remote ({self.remote.kind})", self.remote.query, self.version(),
                          (("writes", "yes" if self.auth else "no"),))

    def close(self) -> None:
        self.pool.clear()
        self.session.close()

    # --- HTTP --------------------------------------------------------------------------------------------

    def _dataset(self, default_name: str = "default-graph-uri",
                 named_name: str = "named-graph-uri") -> list[tuple[str, str]]:
        """Our graphs as a request's dataset, in the parameters named so."""
        graphs = self.graphs() or (GRAPH_BASE + "none",)  # an empty store: restrict to nothing, not to everything
        default = graphs if self.config.union_default_graph else (GRAPH_BASE + "default",)
        return ([(default_name, g) for g in self.adapter.dataset(default)]
                + [(named_name, g) for g in self.adapter.dataset(graphs)])

    def _select(self, text: str, *, timeout: float, dataset: bool = True) -> list[dict]:
        params = [("query", text)] + (self._dataset() if dataset else [])
        response = self._send(self.remote.query, params, timeout, time.monotonic() + timeout,
                              "application/sparql-results+json")
        if response.status_code != 200:
            raise self._failure(response, QueryFailed)
        if self.adapter.cut(response):
            raise RowLimitExceeded(_cap(response, self.adapter))
        return self.adapter.results_json(response.content)["results"]["bindings"]

    def _send(self, url: str, form: list[tuple[str, str]], timeout: float, deadline: float, accept: str, *,
              auth: bool = False) -> Reply:
        """A form-encoded POST (every store takes it; Virtuoso never answers a POST of a bare query)."""
        left = deadline - time.monotonic()
        if left <= 0:
            raise QueryTimeout(timeout)
        # the charset said outright: without it Virtuoso reads non-ASCII letters in the query as "?"
        return self._request("POST", url, timeout, data=urlencode(form).encode("ascii"), auth=auth, seconds=left,
                             headers={"Accept": accept, "Content-Type": "application/x-www-form-urlencoded; charset=utf-8"})

    def _request(self, method: str, url: str, timeout: float, *, seconds: float | None = None, auth: bool = False,
                 params: dict[str, str] | None = None, data: bytes | None = None,
                 headers: dict[str, str] | None = None) -> Reply:
        """One request, abandoned ``seconds`` (else ``timeout``) from now: a read however the store sends its
        answer (``_read_by``), a write with credentials when the store stays silent that long."""
        import requests
        import urllib3

        limit = seconds or timeout
        if params:
            url = f"{url}?{urlencode(params)}"
        try:
            if auth and self.auth is not None:
                answer = self.session.request(method, url, data=data, headers=headers, auth=self.auth,
                                              timeout=(min(5.0, limit), limit))
                return Reply(answer.status_code, answer.reason or "", answer.headers, answer.content)
            deadline = time.monotonic() + limit
            reply = self.pool.request(method, url, body=data, headers=headers, redirect=False, preload_content=False,
                                      timeout=urllib3.Timeout(connect=min(5.0, limit), read=limit))
            return Reply(reply.status, reply.reason or "", reply.headers, _read_by(reply, deadline, timeout))
        except urllib3.exceptions.NewConnectionError as error:  # refused; urllib3 files it under its timeouts
            failed = error
        except (requests.Timeout, urllib3.exceptions.TimeoutError):
            raise QueryTimeout(timeout) from None
        except (requests.ConnectionError, urllib3.exceptions.HTTPError) as error:
            failed = error
        raise EngineFailed("the remote store", f"cannot reach {url}: {type(failed).__name__}", unavailable=True)

    def _failure(self, response: Reply, kind: type[QueryFailed] | type[UpdateFailed]) -> Exception:
        message = self.adapter.message(response)
        operation = "update" if kind is UpdateFailed else "query"
        if response.status_code in (401, 403):
            return EngineFailed(operation, f"the remote store refused our credentials ({response.status_code}): {message}")
        if kind is UpdateFailed and any(part in message for part in self.adapter.no_default_graph):
            return ForbiddenOperation("over a remote store the default graph is the union of the graphs, not a "
                                      "graph to write to: name one (INSERT DATA { GRAPH <…> { … } }, or WITH <…>)")
        if response.status_code == 400 and kind is UpdateFailed:  # an update the store cannot compile: malformed
            return QuerySyntaxError(f"the remote store refused it: {message}")
        if kind is QueryFailed and any(code in message for code in self.adapter.unsupported):
            return NotSupportedByEngine(f"the remote store says: {message}")
        if response.status_code >= 500 and not self.adapter.clients_fault(message):
            return EngineFailed(operation, f"the remote store failed ({response.status_code}): {message}")
        return kind(f"the remote store refused it: {message}")


_LEADING_BASE = re.compile(r"\A(?:\s|#[^\n]*)*BASE\s*<[^>]*>", re.IGNORECASE)
_FORM = re.compile(r"\A(?:\s|#[^\n]*(?:\n|\Z)|BASE\s*<[^>]*>|PREFIX\s*[^\s:]*:\s*<[^>]*>)*(\w+)", re.IGNORECASE)


def _first_keyword(text: str) -> str:
    """The first word after the prologue (SELECT, CONSTRUCT, INSERT…), upper case; BASE, PREFIX or "" when
    there is nothing after the prologue."""
    form = _FORM.match(text)
    return form.group(1).upper() if form else ""


def _graph_form(text: str) -> bool:
    """A CONSTRUCT or DESCRIBE query."""
    return _first_keyword(text) in ("CONSTRUCT", "DESCRIBE")


def _with_prologue(text: str) -> str:
    """The query after PREFIX lines for the project's prefixes it uses and does not declare itself (fewer
    lines for the store to read, and the text a client would send it directly), its own leading BASE kept
    first: SPARQL allows BASE and PREFIX in any order, Virtuoso refuses a BASE after a PREFIX (SP030)."""
    declared, at = set(), 0
    while (declaration := _DECLARATION.match(text, at)) and declaration.end() > at:
        if declaration.group(1) is not None:
            declared.add(declaration.group(1))
        at = declaration.end()
    prologue = sparql_prologue(text, declared)
    base = _LEADING_BASE.match(text)
    if base is None:
        return prologue + text
    return base.group(0) + "\n" + prologue + text[base.end():]


_DECLARATION = re.compile(r"\s+|#[^\n]*(?:\n|\Z)|BASE\s*<[^>]*>|PREFIX\s*([^\s:]*):\s*<[^>]*>", re.IGNORECASE)
"""One item of a query's prologue (the name of a prefix it declares in group 1), or what separates two."""


def _ascii(text: str) -> str:
    """The query with every non-ASCII letter written as a ``\\u`` escape, which SPARQL reads as the letter:
    Virtuoso reads letters outside ASCII in a query's strings as "?", whatever charset the request names."""
    return text if text.isascii() else _NON_ASCII.sub(_escaped, text)


_NON_ASCII = re.compile(r"[^\x00-\x7f]")


def _escaped(letter: re.Match) -> str:
    code = ord(letter.group())
    return f"\\u{code:04X}" if code <= 0xFFFF else f"\\U{code:08X}"


def _explain(text: str, config: Config) -> None:
    """Raise our parser's QuerySyntaxError when it refuses ``text`` too (a text the fast path let through
    unread): it says what was expected where, and names an undeclared prefix, which the store's message
    may not."""
    from ..sparql import parse_query

    parse_query(text, config.syntax_limits, dict(PREFIXES))


def _values(bindings) -> str:
    if not bindings:
        return ""
    names = " ".join(f"?{name}" for name in bindings)
    return f"\nVALUES ({names}) {{ ({' '.join(bindings.values())}) }}"


def _delete_in_meta(subject: str, predicate: str, value: str) -> str:
    """The update deleting ``subject``'s values in the meta graph, whatever dataset the request names: with
    ``WITH``, not ``GRAPH`` in a WHERE, which an update's default-graph-uri hides the meta graph from."""
    subject = subject if subject.startswith("<") else f"<{subject}>"
    return f"WITH <{META}> DELETE {{ {subject} {predicate} {value} }} WHERE {{ {subject} {predicate} {value} }}"


def _months(count: int) -> str:
    """A duration of ``count`` months in its canonical form ("P1Y6M"; "PT0S" for none, as Oxigraph writes it)."""
    years, months = divmod(abs(count), 12)
    text = (f"{years}Y" if years else "") + (f"{months}M" if months else "")
    return ("-" if count < 0 else "") + ("P" + text if text else "PT0S")


def _read_by(reply, deadline: float, timeout: float) -> bytes:
    """The body of an urllib3 response, read as it arrives until ``deadline``: each read waits at most the
    time left, so a store sending a long answer slowly is left at the limit as one that sends nothing."""
    parts = []
    try:
        while True:
            left = deadline - time.monotonic()
            if left <= 0:
                reply.close()  # the rest is never read: the connection cannot be used again
                raise QueryTimeout(timeout)
            if reply.connection is not None and reply.connection.sock is not None:
                reply.connection.sock.settimeout(left)
            part = reply.read1(1 << 16)
            if not part:
                return b"".join(parts)
            parts.append(part)
    finally:
        reply.release_conn()


def _cap(response: Reply, adapter: Adapter) -> int:
    try:
        return int(response.headers.get(adapter.row_cap_header or "", "0"))
    except ValueError:
        return 0


def _answer(kind: str, fmt: Format, body: bytes, rows: int | None, version: str) -> Answer:
    return Answer(kind, fmt.serializer, body, None, len(body), rows, None, version)
