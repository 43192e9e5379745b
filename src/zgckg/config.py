"""Every setting, with its default and what it is for.

One ``Config`` object is made at start-up (from defaults, then ``ZGCKG_*`` environment variables, then
command-line flags or a test's mapping) and passed down; nothing reads the environment after that.
"""

from __future__ import annotations

import os
from dataclasses import dataclass, field, fields, replace
from pathlib import Path
from typing import Any, Mapping

from .kg.outbound import Limits
from .namespaces import BASE
from .kg.sparql import SyntaxLimits


GIB = 2**30


def default_worker_memory() -> int:
    """A quarter of physical memory, at least 1 GiB (an idle worker's address space must fit with room to
    spare) and at most 8 GiB; 0 (no cap) where the size of physical memory cannot be read."""
    try:
        physical = os.sysconf("SC_PHYS_PAGES") * os.sysconf("SC_PAGE_SIZE")
    except (ValueError, OSError, AttributeError):
        return 0
    return min(max(physical // 4, GIB), 8 * GIB) if physical > 0 else 0


def project_root() -> Path:
    """The checkout that holds ``ontology/`` and ``data/``: ``$ZGCKG_HOME``, else this package's checkout."""
    if home := os.environ.get("ZGCKG_HOME"):
        return Path(home).resolve()
    checkout = Path(__file__).resolve().parents[2]
    return checkout if (checkout / "ontology").is_dir() else Path.cwd()


@dataclass(frozen=True)
class Config:
    # --- data and store -------------------------------------------------------------------------------
    store: Path = field(default_factory=lambda: project_root() / "var" / "store")
    """The store directory (generations of an Oxigraph store and a `current` pointer)."""
    ontology_dir: Path = field(default_factory=lambda: project_root() / "ontology")
    """OWL ontology and SHACL shapes (*.ttl)."""
    data_dir: Path = field(default_factory=lambda: project_root() / "data" / "turtle")
    """Curated instance data (*.ttl), one file per topic."""
    source_file: Path = field(default_factory=lambda: project_root() / "data" / "source" / "haidian-park-report.txt")
    """The report text every quote and offset refers to."""
    dumps_dir: Path = field(default_factory=lambda: project_root() / "var" / "dumps")
    """Downloads of the store (gzip-compressed dumps), made once per store version; only the current
    version's files are kept."""
    queries_dir: Path = field(default_factory=lambda: project_root() / "queries")
    """The analyst queries (``*.rq`` with a title, question and parameter header) that ``/api/queries``
    serves and ``/queries`` lists; read once when the app first needs them."""

    engine: str | None = None
    """The SPARQL query endpoint of a remote store to serve instead of the embedded one (e.g. Virtuoso's
    ``http://127.0.0.1:8890/sparql``); credentials for its writes come from ZGCKG_ENGINE_USER/PASSWORD."""
    engine_kind: str = "virtuoso"
    """The remote store's kind (``virtuoso`` or ``generic``): where its other endpoints are, and its quirks."""
    engine_update: str | None = None
    """The remote store's SPARQL Update endpoint, when it cannot be inferred from the kind."""
    engine_store: str | None = None
    """The remote store's Graph Store Protocol endpoint, when it cannot be inferred from the kind."""

    # --- web service ----------------------------------------------------------------------------------
    host: str = "127.0.0.1"
    """Interface to listen on; loopback unless told otherwise."""
    port: int = 7878
    """TCP port of the web service."""
    workers: int = 2
    """Query worker processes (each holds a read-only view of the store)."""
    reader_memory_bytes: int = 64_000_000
    """A query worker copies the store into memory when its files take at most this many bytes on disk
    (queries run faster, and each worker holds a multiple of that in RAM: see docs/benchmarks.md);
    0 always reads from disk."""
    worker_memory_bytes: int = field(default_factory=lambda: default_worker_memory())
    """Address space each query and update worker may use (RLIMIT_AS; 0: no cap). A query that needs more
    fails alone with a 400 naming this setting, and its worker is replaced: one client's ORDER BY over a
    cross product cannot take the machine's memory from the others. It caps address space, not resident
    memory: an idle worker maps about 0.2–0.4 GB of it (libraries, the store's threads), so below 512 MB
    workers may not start. Default: a quarter of physical memory, at least 1 GiB and at most 8 GiB."""
    max_answer_bytes: int = 512_000_000
    """Largest serialised answer to a query (SELECT, ASK, CONSTRUCT, DESCRIBE), counted before gzip; a larger
    one is refused whole (400), never cut short (0: no cap). Each answer is complete, spooled to a temporary
    file, before it is sent, and the temporary directory may be memory (tmpfs): this bounds what one query
    may put there. 512 MB is far above what ``max_rows`` rows of ordinary values take. Dumps and Graph Store
    reads of a whole graph are not held to it."""
    threads: int = 8
    """Threads that run the app (the web front hands each complete request to one of them)."""
    timeout: float = 30.0
    """Seconds a query may run before it is stopped; a request may lower it, never raise it."""
    max_rows: int = 100_000
    """Most rows (or triples) a query returns; a request may lower it, never raise it."""
    max_body_bytes: int = 1_000_000
    """Largest request body accepted (413 above it)."""
    body_timeout: float = 5.0
    """Seconds a request's body has to arrive in full once its headers are in (408 after that)."""
    header_timeout: float = 5.0
    """Seconds a connection has to send a request's headers in full before it is closed."""
    max_client_requests: int = 16
    """Requests one client address may have in flight at once (429 above it)."""
    client_queries: int = 2
    """Queries one client may have running at once (429 above it; 0: no limit)."""
    client_query_seconds: float = 60.0
    """Seconds of query time one client may use in a minute (429 above it; 0: no limit), as WDQS allows."""
    client_header: str | None = None
    """Behind a proxy: the header naming the client (its first value, e.g. X-Forwarded-For); else the address."""
    max_workers: int | None = None
    """Query workers the pool may grow to when all are busy (default: twice ``workers``), so that one client's
    runaways never leave the others without a worker."""
    write_lock_wait: float = 60.0
    """Seconds a write (build, load, update, graph store) waits for the one in progress before it fails."""
    max_query_length: int = SyntaxLimits.max_length
    """Characters a query or update may have (400 above it); bulk data goes to /store."""
    max_query_depth: int = SyntaxLimits.max_depth
    """Brackets ( { [ << a query or update may nest (400 above it): deep nesting overflows the engine's stack."""
    max_triple_patterns: int = SyntaxLimits.max_triple_patterns
    """Triple patterns a query or update may have (400 above it); INSERT DATA / DELETE DATA not counted."""
    union_default_graph: bool = True
    """Queries without FROM/GRAPH see the union of every graph (asserted + inferred + ontology + loaded)."""
    write_token: str | None = None
    """Bearer token for /update and /store; with none, both are off."""
    service_allowlist: tuple[str, ...] = ()
    """Host names SERVICE and LOAD may contact; empty means no outgoing connection at all."""
    service_connect_timeout: float = Limits.connect_timeout
    """Seconds a SERVICE or LOAD host has to accept the connection (5)."""
    service_read_timeout: float = Limits.read_timeout
    """Seconds a SERVICE or LOAD host may stay silent while answering (10); the query time limit bounds the whole."""
    worker_network: bool = False
    """Let query and update workers open network sockets; only for platforms without seccomp: SERVICE and LOAD are made by the server itself either way."""
    cors_origins: str = "*"
    """Access-Control-Allow-Origin for the query endpoint."""
    cache_entries: int = 256
    """Answers kept in memory for identical queries on an unchanged store."""
    public_base: str | None = None
    """Public URL prefix the service is reached at, when it differs from the IRIs' base."""
    iri_base: str = BASE
    """The base of the IRIs this server dereferences: ``<iri_base>id/<slug>`` is served at ``/id/<slug>``."""
    max_upload_bytes: int = 100_000_000
    """Largest body /store accepts (a graph upload); every other request is held to max_body_bytes."""
    cache_bytes: int = 64_000_000
    """Total size of the answers kept in memory for identical queries (cache_entries bounds their number).
    The front's replays of identical requests (``web/replay.py``) are bounded the same way; they mostly hold
    the very bytes the answer cache holds."""

    @classmethod
    def from_env(cls, environ: Mapping[str, str] | None = None, **overrides: Any) -> "Config":
        """Defaults, then ``ZGCKG_<NAME>`` variables, then explicit overrides (None means "not given")."""
        environ = os.environ if environ is None else environ
        values: dict[str, Any] = {}
        for f in fields(cls):
            raw = environ.get(f"ZGCKG_{f.name.upper()}")
            if raw is not None:
                values[f.name] = _coerce(f.name, raw)
        values.update({k: v for k, v in overrides.items() if v is not None})
        return cls().with_values(values)

    def with_values(self, values: Mapping[str, Any]) -> "Config":
        return replace(self, **{k: _coerce(k, v) for k, v in values.items()})

    @property
    def shapes_file(self) -> Path:
        """The SHACL shapes (``shapes.ttl`` in ``ontology_dir``); not part of the ontology itself."""
        return self.ontology_dir / "shapes.ttl"

    @property
    def syntax_limits(self) -> SyntaxLimits:
        return SyntaxLimits(self.max_query_length, self.max_query_depth, self.max_triple_patterns)

    @property
    def service_limits(self) -> Limits:
        return Limits(self.service_connect_timeout, self.service_read_timeout)


_TYPES = {f.name: f.type for f in fields(Config)}


def _coerce(name: str, value: Any) -> Any:
    kind = _TYPES[name]
    if name in {"store", "ontology_dir", "data_dir", "source_file", "dumps_dir", "queries_dir"}:
        return Path(value).expanduser().resolve()
    if name == "iri_base" and isinstance(value, str) and not value.endswith("/"):
        return value + "/"  # <base>id/<slug> must stay a path below the base
    if not isinstance(value, str):
        return tuple(value) if name == "service_allowlist" else value
    if kind == "bool":
        return value.strip().lower() in {"1", "true", "yes", "on"}
    if kind in ("int", "int | None"):
        return int(value)
    if kind == "float":
        return float(value)
    if name == "service_allowlist":
        return tuple(h.strip() for h in value.split(",") if h.strip())
    return value
