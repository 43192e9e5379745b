"""Queries and writes run in worker processes that can be killed, so a time limit really stops the work.

pyoxigraph's ``Store.query`` takes no timeout and cannot be interrupted from another thread, so the only
way to stop a runaway query — and free the CPU and memory it holds — is to end the process running it.
A :class:`WorkerPool` keeps N reader processes, each with a read-only view of the store (any number of
processes may read one generation). :meth:`WorkerPool.run` sends a job down a pipe and waits up to the
time limit; past it, the worker is SIGKILLed and reaped, and a fresh one is started in the background.

A worker serialises the result itself with pyoxigraph's serialisers and hands back the *complete*
answer — small ones through the pipe, large ones as a spool file it wrote — so the caller decides the
HTTP status before sending a byte, and streams a spool file afterwards. Writers are a pool of one process
that applies updates to a new store generation (a checkpoint of the current one) and publishes it
atomically; killing it mid-write leaves the previous generation serving.

Workers are started with the 'forkserver' method: the web process may run threads, and forking a
threaded process is unsafe. Each worker also watches a pipe from its parent and exits when the parent
is gone, so no worker outlives the server, even one killed with SIGKILL.
"""

from __future__ import annotations

import dataclasses
import gzip
import itertools
import logging
import math
import multiprocessing
import os
import queue
import re
import select
import shutil
import signal
import tempfile
import threading
import time
import traceback
import zlib
from collections.abc import Callable, Iterable, Iterator
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import pyoxigraph as ox

from ..errors import DataError, ForbiddenOperation, QuerySyntaxError, QueryTimeout, StoreError, ZgckgError
from ..namespaces import PREFIXES
from . import guard
from .store import StoreDir

log = logging.getLogger(__name__)

INLINE_BYTES = 512 * 1024
"""Answers up to this size travel through the pipe; larger ones are written to a spool file."""
GZIP_MIN_BYTES = 512
"""Smaller bodies are sent uncompressed: gzip's header would eat the gain."""
GZIP_LEVEL = 3
"""Fast compression: the worker's CPU time is the query's latency."""


# --- errors a worker reports (beside the shared ones in zgckg.errors) ---------------------------------


@dataclass
class RowLimitExceeded(ZgckgError):
    """A result has more rows (or triples) than the limit; nothing of it is sent."""

    limit: int

    def __str__(self) -> str:
        return (
            f"the result has more than {self.limit} rows (or triples), the limit for one request; "
            "add LIMIT/OFFSET to page through it, or run it against a local store "
            "(zgckg serve --max-rows N, or zgckg query)"
        )


@dataclass
class NotAcceptable(ZgckgError):
    """The query's result kind ('solutions', 'boolean' or 'graph') has no format the client accepts."""

    kind: str

    def __str__(self) -> str:
        return f"no acceptable format for a {self.kind} result"


@dataclass
class QueryFailed(ZgckgError):
    """The query parsed but its evaluation failed (for instance an allowed SERVICE that did not answer)."""

    message: str

    def __str__(self) -> str:
        return f"the query could not be evaluated: {self.message}"


@dataclass
class GraphNotFound(ZgckgError):
    graph: str

    def __str__(self) -> str:
        return f"there is no graph <{self.graph}> in the store"


@dataclass
class WorkersBusy(ZgckgError):
    """No worker became free within the request's time limit."""

    workers: int
    waited_seconds: float

    def __str__(self) -> str:
        return f"all {self.workers} query workers stayed busy for {self.waited_seconds:g} s; try again shortly"


@dataclass
class WorkerLost(ZgckgError):
    """The worker running the job died (killed by the system, out of memory…)."""

    message: str = "the process running the request ended unexpectedly"

    def __str__(self) -> str:
        return self.message


class WorkerCrashed(RuntimeError):
    """A bug in the worker's own code: the caller logs the traceback, the client learns nothing internal."""


_REPORTABLE = {
    cls.__name__: cls
    for cls in (
        RowLimitExceeded, NotAcceptable, QueryFailed, GraphNotFound, QuerySyntaxError, ForbiddenOperation,
        DataError, StoreError, QueryTimeout,
    )
}


# --- jobs and answers --------------------------------------------------------------------------------


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
    text: str
    allowlist: tuple[str, ...] = ()
    base_iri: str | None = None


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


@dataclass(frozen=True)
class Written:
    version: str
    created: bool = False


# --- row counting while serialising ------------------------------------------------------------------


class _Patterns:
    """Counts byte patterns in a stream of chunks, also where a pattern straddles two chunks."""

    def __init__(self, *patterns: bytes):
        self.patterns = patterns
        self.counts = [0] * len(patterns)
        self._keep = max(map(len, patterns)) - 1
        self._tail = b""

    def feed(self, chunk: bytes) -> None:
        joined = self._tail + chunk
        for i, pattern in enumerate(self.patterns):
            self.counts[i] += joined.count(pattern) - self._tail.count(pattern)
        self._tail = joined[-self._keep :] if self._keep else b""


class RowCounter:
    """Bounds on the rows written so far, from the serialised bytes, without parsing them.

    TSV escapes newlines and XML escapes ``<``, so a newline or ``<result>`` counts rows exactly. In JSON a
    ``"`` inside a string is always escaped, so ``,{"`` and ``[{"`` start a non-empty row and nothing else;
    rows with no binding (``{}``) are only bounded. CSV quotes values with line breaks, so row ends are
    counted outside quotes.
    """

    def __init__(self, fmt: str):
        self.fmt = fmt
        self.lower = self.upper = 0
        self._patterns = {
            "TSV": _Patterns(b"\n"),
            "XML": _Patterns(b"<result>"),
            "JSON": _Patterns(b',{"', b'[{"', b"{}"),
        }.get(fmt)
        self._in_quotes = False
        self._cr_pending = False
        self._crlf = 0

    def feed(self, chunk: bytes) -> None:
        if self.fmt == "CSV":
            self._feed_csv(chunk)
            self.lower = self.upper = max(0, self._crlf - 1)  # minus the header line
            return
        self._patterns.feed(chunk)
        counts = self._patterns.counts
        if self.fmt == "TSV":
            self.lower = self.upper = max(0, counts[0] - 1)
        elif self.fmt == "XML":
            self.lower = self.upper = counts[0]
        else:
            self.lower = counts[0] + counts[1]
            self.upper = self.lower + counts[2]

    def _feed_csv(self, chunk: bytes) -> None:
        for i, part in enumerate(chunk.split(b'"')):
            if i:
                self._in_quotes = not self._in_quotes
                self._cr_pending = False
            if self._in_quotes or not part:
                continue
            if self._cr_pending and part.startswith(b"\n"):
                self._crlf += 1
            self._crlf += part.count(b"\r\n")
            self._cr_pending = part.endswith(b"\r")


class Sink:
    """A binary writer for pyoxigraph's serialisers: memory first, a spool file past INLINE_BYTES,
    gzip on request, and a row count checked against the limit as the bytes go by."""

    def __init__(self, spool: str, *, compress: bool, counter: RowCounter | None = None, max_rows: int = 0):
        self.spool = spool
        self.compress = compress
        self.counter = counter
        self.max_rows = max_rows
        self.raw_size = 0
        self._chunks: list[bytes] = []
        self._file = None
        self._zip = None

    def write(self, chunk: bytes) -> int:
        chunk = bytes(chunk)
        if self.counter is not None:
            self.counter.feed(chunk)
            if self.counter.lower > self.max_rows:
                raise RowLimitExceeded(self.max_rows)
        self.raw_size += len(chunk)
        if self._file is not None:
            self._file.write(self._zip.compress(chunk) if self._zip else chunk)
        else:
            self._chunks.append(chunk)
            if self.raw_size > INLINE_BYTES:
                self._spill()
        return len(chunk)

    def flush(self) -> None:
        pass

    def _spill(self) -> None:
        self._file = open(self.spool, "wb")
        if self.compress:
            self._zip = zlib.compressobj(GZIP_LEVEL, zlib.DEFLATED, 31)
        for chunk in self._chunks:
            self._file.write(self._zip.compress(chunk) if self._zip else chunk)
        self._chunks = []

    def finish(self) -> tuple[bytes | None, str | None, int, str | None]:
        """(body, spool path, size, encoding) of what was written."""
        if self._file is not None:
            if self._zip:
                self._file.write(self._zip.flush())
            self._file.close()
            return None, self.spool, os.path.getsize(self.spool), "gzip" if self._zip else None
        body = b"".join(self._chunks)
        if self.compress and len(body) >= GZIP_MIN_BYTES:
            packer = zlib.compressobj(GZIP_LEVEL, zlib.DEFLATED, 31)
            return (packed := packer.compress(body) + packer.flush()), None, len(packed), "gzip"
        return body, None, len(body), None

    def discard(self) -> None:
        if self._file is not None:
            self._file.close()
        Path(self.spool).unlink(missing_ok=True)


def exact_rows(body: bytes | None, spool: str | None, fmt: str, encoding: str | None) -> int:
    """Count rows by parsing the serialised result back (only needed when the cheap bounds disagree)."""
    opened = (gzip.open if encoding else open)(spool, "rb") if spool else None
    try:
        source = opened if opened is not None else (gzip.decompress(body) if encoding else body)
        results = ox.parse_query_results(source, getattr(ox.QueryResultsFormat, fmt))
        return sum(1 for _ in results)
    finally:
        if opened is not None:
            opened.close()


# --- executing jobs inside a worker ------------------------------------------------------------------

_POSITION = re.compile(r"error at (\d+):(\d+)")
_QUAD_FORMATS = {"N_QUADS", "TRIG"}
_PREFIXED_FORMATS = {"TURTLE", "TRIG", "RDF_XML", "N3"}


def syntax_error(exc: SyntaxError) -> QuerySyntaxError:
    message = str(exc.msg if exc.msg else exc)
    found = _POSITION.search(message)
    if found:
        return QuerySyntaxError(message, int(found.group(1)), int(found.group(2)))
    return QuerySyntaxError(message, exc.lineno, exc.offset)


def dataset_arguments(job: QueryJob, has_dataset_clause: bool) -> dict[str, Any]:
    """pyoxigraph arguments for the query's dataset.

    A protocol dataset (default-graph-uri / named-graph-uri) replaces the query's FROM clauses, and
    what it leaves out is empty. The union default graph applies only when neither the request nor the
    query names a dataset: pyoxigraph's union flag would otherwise silently override FROM.
    """
    if job.default_graphs is not None or job.named_graphs is not None:
        return {
            "default_graph": [ox.NamedNode(g) for g in job.default_graphs or ()],
            "named_graphs": [ox.NamedNode(g) for g in job.named_graphs or ()],
        }
    if job.union and not has_dataset_clause:
        return {"use_default_graph_as_union": True}
    return {}


def run_query(store: ox.Store, job: QueryJob):
    found = guard.scan(job.text)
    # LOAD cannot occur in a query (the parser rejects it); only SERVICE reaches the network here
    guard.check_scan(guard.Scan(services=found.services), job.allowlist)
    try:
        return store.query(job.text, **dataset_arguments(job, found.has_dataset_clause))
    except SyntaxError as exc:
        raise syntax_error(exc) from None


def answer_query(store: ox.Store, job: QueryJob, version: str) -> Answer:
    result = run_query(store, job)
    try:
        if isinstance(result, ox.QueryTriples):
            return _answer_graph(result, job, version)
        return _answer_solutions(result, job, version)
    except (OSError, RuntimeError, ValueError, TypeError) as exc:
        raise QueryFailed(str(exc)) from None


def _answer_solutions(result, job: QueryJob, version: str) -> Answer:
    kind = "boolean" if isinstance(result, ox.QueryBoolean) else "solutions"
    fmt = job.solutions_format
    if fmt is None:
        raise NotAcceptable(kind)
    counter = RowCounter(fmt) if kind == "solutions" else None
    sink = Sink(job.spool, compress=job.gzip, counter=counter, max_rows=job.max_rows)
    try:
        result.serialize(sink, getattr(ox.QueryResultsFormat, fmt))
        body, spool, size, encoding = sink.finish()
    except BaseException:
        sink.discard()
        raise
    rows = None
    if counter is not None:
        rows = counter.lower
        if counter.upper > job.max_rows:
            rows = exact_rows(body, spool, fmt, encoding)
            if rows > job.max_rows:
                sink.discard()
                raise RowLimitExceeded(job.max_rows)
    return Answer(kind, fmt, body, spool, size, rows, encoding, version)


def _answer_graph(triples: Iterable[ox.Triple], job: QueryJob, version: str) -> Answer:
    if job.graph_format is None:
        raise NotAcceptable("graph")
    counted = _Capped(triples, job.max_rows)
    sink = Sink(job.spool, compress=job.gzip)
    try:
        _serialize_triples(counted, sink, job.graph_format)
        body, spool, size, encoding = sink.finish()
    except BaseException:
        sink.discard()
        raise
    return Answer("graph", job.graph_format, body, spool, size, counted.count, encoding, version)


class _Capped:
    """Triples passed through with a count; past the limit, serialisation stops with RowLimitExceeded."""

    def __init__(self, triples: Iterable[ox.Triple], limit: int | None):
        self.triples = triples
        self.limit = limit
        self.count = 0

    def __iter__(self) -> Iterator[ox.Triple]:
        for triple in self.triples:
            self.count += 1
            if self.limit is not None and self.count > self.limit:
                raise RowLimitExceeded(self.limit)
            yield triple


def _serialize_triples(triples: Iterable[ox.Triple], sink: Sink, fmt: str) -> None:
    if fmt in _QUAD_FORMATS:  # quad syntaxes want quads: the triples are the default graph
        triples = (ox.Quad(t.subject, t.predicate, t.object) for t in triples)
    prefixes = PREFIXES if fmt in _PREFIXED_FORMATS else None
    ox.serialize(triples, sink, getattr(ox.RdfFormat, fmt), prefixes=prefixes)


def answer_graph_read(store: ox.Store, job: GraphReadJob, version: str) -> Answer:
    node = _graph_node(job.graph)
    if job.graph is not None and not store.contains_named_graph(node):
        raise GraphNotFound(job.graph)
    counted = _Capped((q.triple for q in store.quads_for_pattern(None, None, None, node)), None)
    sink = Sink(job.spool, compress=job.gzip)
    try:
        _serialize_triples(counted, sink, job.format)
        body, spool, size, encoding = sink.finish()
    except BaseException:
        sink.discard()
        raise
    return Answer("graph", job.format, body, spool, size, counted.count, encoding, version)


def _graph_node(graph: str | None):
    return ox.DefaultGraph() if graph is None else ox.NamedNode(graph)


def apply_update(store_dir: StoreDir, job: UpdateJob) -> Written:
    found = guard.scan(job.text)
    guard.check_scan(found, job.allowlist)  # before any work: refused targets are never contacted

    def change(store: ox.Store) -> None:
        try:
            if found.loads:
                _apply_operations(store, job)
            else:
                store.update(job.text, base_iri=job.base_iri)
        except SyntaxError as exc:
            raise syntax_error(exc) from None
        except (OSError, RuntimeError, ValueError) as exc:
            raise QueryFailed(str(exc)) from None

    in_new_generation(store_dir, change)
    return Written(store_dir.version())


def in_new_generation(store_dir: StoreDir, change: Callable[[ox.Store], Any]) -> Any:
    """Apply ``change`` to a checkpoint of the current generation and publish it.

    The store must be closed before the generation is renamed into place: RocksDB closing a database
    whose directory has moved can stall for a second. So no reference to it may outlive ``change``.
    """
    with store_dir.new_generation(copy_current=True) as store:
        result = change(store)
        del store
    return result


def _apply_operations(store: ox.Store, job: UpdateJob) -> None:
    """An update with LOAD: LOADs fetched here (checked, pinned, capped), the rest run by pyoxigraph."""
    for operation in guard.split_update(job.text):
        if operation.load is None:
            store.update(operation.text, base_iri=job.base_iri)
        else:
            _load(store, operation.load, job.allowlist)


def _load(store: ox.Store, request: guard.LoadRequest, allowlist: tuple[str, ...]) -> None:
    guard.check_target("LOAD", request.source, allowlist)
    try:
        fetched = guard.fetch(request.source, allowlist)
        fmt = _rdf_format(fetched.content_type, fetched.url)
        store.load(fetched.body, fmt, base_iri=fetched.url, to_graph=_graph_node(request.graph))
    except (ForbiddenOperation, SyntaxError, ValueError) as exc:
        if not request.silent:
            raise QueryFailed(f"LOAD <{request.source}>: {exc}") from None


def _rdf_format(content_type: str | None, url: str) -> ox.RdfFormat:
    media = (content_type or "").split(";")[0].strip()
    found = ox.RdfFormat.from_media_type(media) if media else None
    if found is None and "." in url.rsplit("/", 1)[-1]:
        found = ox.RdfFormat.from_extension(url.rsplit(".", 1)[-1])
    if found is None:
        raise ValueError(f"unknown RDF format (Content-Type {media or 'missing'})")
    return found


def write_graph(store_dir: StoreDir, job: GraphWriteJob) -> Written:
    node = _graph_node(job.graph)

    def change(store: ox.Store) -> bool:
        existed = job.graph is None or store.contains_named_graph(node)
        if job.method == "DELETE":
            if not existed:
                raise GraphNotFound(job.graph)
            store.remove_graph(node) if job.graph is not None else store.clear_graph(node)
            return False
        if job.method == "PUT" and existed:
            store.clear_graph(node)
        if job.graph is not None:
            store.add_graph(node)
        try:
            store.load(job.data, getattr(ox.RdfFormat, job.format), base_iri=job.base_iri, to_graph=node)
        except SyntaxError as exc:
            raise DataError("request body", exc.lineno, str(exc.msg or exc)) from None
        return not existed

    created = in_new_generation(store_dir, change)
    return Written(store_dir.version(), created=created)


class _Reader:
    """A worker's read-only store, reopened when the caller asks for a newer generation."""

    def __init__(self, store_dir: StoreDir):
        self.store_dir = store_dir
        self.version: str | None = None
        self.store: ox.Store | None = None

    def open(self, version: str) -> tuple[ox.Store, str]:
        if self.store is None or version != self.version:
            self.store = None  # close the old generation before opening the next
            try:
                self.store = ox.Store.read_only(str(self.store_dir.generations / version))
                self.version = version
            except OSError:  # pruned meanwhile: serve whatever is current now
                self.store = self.store_dir.open_read()
                self.version = self.store_dir.version()
        return self.store, self.version


def handle(job: Any, reader: _Reader, store_dir: StoreDir) -> Any:
    if isinstance(job, QueryJob):
        store, version = reader.open(job.version)
        return answer_query(store, job, version)
    if isinstance(job, GraphReadJob):
        store, version = reader.open(job.version)
        return answer_graph_read(store, job, version)
    if isinstance(job, UpdateJob):
        return apply_update(store_dir, job)
    if isinstance(job, GraphWriteJob):
        return write_graph(store_dir, job)
    raise TypeError(f"unknown job {type(job).__name__}")


def worker_main(conn, parent_alive, store_root: str) -> None:
    """A worker's life: report ready, then answer jobs until the pipe closes."""
    signal.signal(signal.SIGINT, signal.SIG_IGN)  # Ctrl-C reaches the whole group; the parent stops us
    threading.Thread(target=_exit_with_parent, args=(parent_alive,), daemon=True).start()
    store_dir = StoreDir(Path(store_root))
    reader = _Reader(store_dir)
    conn.send(("ready", os.getpid()))
    while True:
        try:
            job = conn.recv()
        except (EOFError, OSError):
            return
        if job is None:
            return
        conn.send(_reply(job, reader, store_dir))


def _reply(job: Any, reader: _Reader, store_dir: StoreDir) -> tuple:
    try:
        return ("ok", handle(job, reader, store_dir))
    except tuple(_REPORTABLE.values()) as exc:
        return ("error", type(exc).__name__, dataclasses.asdict(exc))
    except Exception:
        return ("crash", traceback.format_exc())


def _exit_with_parent(parent_alive) -> None:
    # pyoxigraph releases the GIL while it evaluates, so this thread runs even during a long query
    try:
        parent_alive.recv()
    except (EOFError, OSError):
        pass
    os._exit(0)


# --- the pool, in the web process ---------------------------------------------------------------------


class _Worker:
    def __init__(self, ctx, store_root: str):
        self.conn, child = ctx.Pipe()
        alive_child, self._alive = ctx.Pipe(duplex=False)
        self.process = ctx.Process(target=worker_main, args=(child, alive_child, store_root), daemon=True)
        self.process.start()
        child.close()
        alive_child.close()
        self._poller = None

    @property
    def pid(self) -> int:
        return self.process.pid

    def wait_reply(self, timeout: float) -> bool:
        """True once a reply can be read, False after ``timeout`` seconds without one.

        One poll object per worker, made once: Connection.poll builds a selector on every call, which
        costs more than the rest of a small query's round trip.
        """
        if self._poller is None:
            self._poller = select.poll()
            self._poller.register(self.conn.fileno(), select.POLLIN)
        return bool(self._poller.poll(max(0, math.ceil(timeout * 1000))))

    def wait_ready(self, timeout: float) -> bool:
        if not self.wait_reply(timeout):
            return False
        try:
            return self.conn.recv()[0] == "ready"
        except (EOFError, OSError):
            return False

    def kill(self) -> None:
        self.process.kill()
        self.process.join(5)
        self.close()

    def stop(self, grace: float = 2.0) -> None:
        if self.process.is_alive():
            self.process.terminate()
            self.process.join(grace)
        if self.process.is_alive():
            self.process.kill()
            self.process.join(5)
        self.close()

    def close(self) -> None:
        self.conn.close()
        self._alive.close()


def _context():
    ctx = multiprocessing.get_context("forkserver")
    ctx.set_forkserver_preload([__name__])  # workers start in milliseconds with pyoxigraph imported
    return ctx


class WorkerPool:
    """``size`` worker processes over one store directory; ``run`` gives a job to a free one."""

    START_TIMEOUT = 60.0

    def __init__(self, store_root: Path, size: int, *, name: str = "reader"):
        self.store_root = str(store_root)
        self.size = max(1, size)
        self.name = name
        self.spool_dir = Path(tempfile.mkdtemp(prefix=f"zgckg-{name}-spool-"))
        self._spool_prefix = f"{self.spool_dir}{os.sep}{os.getpid()}-"
        self._ctx = _context()
        self._idle: queue.LifoQueue[_Worker] = queue.LifoQueue()  # the last used worker has the warmest caches
        self._all: set[_Worker] = set()
        self._lock = threading.Lock()
        self._closed = False
        self._ids = itertools.count()
        self._starters: list[threading.Thread] = []
        self.killed: list[int] = []
        """PIDs of workers ended for overrunning their limit (kept for inspection)."""

    def start(self, wait: bool = True) -> "WorkerPool":
        """Start the workers in parallel; with ``wait``, return once they are ready."""
        self._starters = [threading.Thread(target=self._add_worker, daemon=True) for _ in range(self.size)]
        for starter in self._starters:
            starter.start()
        if wait:
            self.wait_started()
        return self

    def wait_started(self) -> None:
        for starter in self._starters:
            starter.join()

    def pids(self) -> list[int]:
        with self._lock:
            return sorted(w.pid for w in self._all)

    def spool_path(self) -> str:
        """A fresh file name in the spool directory, for a job whose answer may be large."""
        return f"{self._spool_prefix}{next(self._ids)}"

    def run(self, job: Any, timeout: float) -> Any:
        """The job's result, or the domain error it raised; QueryTimeout when it overruns ``timeout``."""
        deadline = time.monotonic() + timeout
        try:
            worker = self._idle.get(timeout=timeout)
        except queue.Empty:
            raise WorkersBusy(self.size, timeout) from None
        try:
            worker.conn.send(job)
            if not worker.wait_reply(deadline - time.monotonic()):
                self._replace(worker, killed=True)
                _remove_spool(job)
                raise QueryTimeout(timeout)
            reply = worker.conn.recv()
        except (EOFError, OSError):
            self._replace(worker)
            _remove_spool(job)
            raise WorkerLost() from None
        self._idle.put(worker)
        return _unpack(reply)

    def close(self) -> None:
        with self._lock:
            self._closed = True
            workers = list(self._all)
            self._all.clear()
        for worker in workers:
            worker.stop()
        shutil.rmtree(self.spool_dir, ignore_errors=True)

    def _add_worker(self) -> None:
        worker = _Worker(self._ctx, self.store_root)
        if not worker.wait_ready(self.START_TIMEOUT):
            log.error("a %s worker (pid %s) did not start", self.name, worker.pid)
            worker.kill()
            return
        with self._lock:
            if self._closed:
                worker.stop()
                return
            self._all.add(worker)
        self._idle.put(worker)

    def _replace(self, worker: _Worker, *, killed: bool = False) -> None:
        """End a worker for good (SIGKILL, reaped before returning) and start its successor."""
        with self._lock:
            self._all.discard(worker)
            closed = self._closed
        worker.kill()
        if killed:
            self.killed.append(worker.pid)
        if not closed:
            threading.Thread(target=self._add_worker, daemon=True).start()


def _remove_spool(job: Any) -> None:
    spool = getattr(job, "spool", "")
    if spool:
        Path(spool).unlink(missing_ok=True)


def _unpack(reply: tuple) -> Any:
    if reply[0] == "ok":
        return reply[1]
    if reply[0] == "error":
        raise _REPORTABLE[reply[1]](**reply[2])
    raise WorkerCrashed(reply[1])
