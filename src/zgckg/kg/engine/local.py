"""The served store: Oxigraph generations on disk, answered by worker processes that can be killed.

Queries go to a pool of reader processes, each with a read-only view of the published generation (and a copy
in memory, made in the background, when it fits); updates and graph writes go to one writer process, which
publishes a new generation whole or not at all. A job past its time limit is stopped by killing its
process, which frees its CPU and memory; the answer is complete (in memory or spooled) before anything is
sent. See ``zgckg.kg.executor``.
"""

from __future__ import annotations

import logging
import os
import time
from collections.abc import Callable, Iterable
from pathlib import Path

from ...config import Config
from ...errors import ForbiddenOperation, ServeError
from ..executor import GraphReadJob, GraphWriteJob, UpdateJob, WorkerPool
from ..executor.jobs import DatasetReadJob
from ..executor.sandbox import sandbox_problem
from ..executor.worker import copy_limit
from ..formats import Format
from ..outbound import SYSTEM, Network
from ..prepared import PreparedQuery, PreparedUpdate
from ..store import StoreDir
from . import Answer, Engine, EngineInfo, GraphWrite, Query, Written

log = logging.getLogger(__name__)


def check_workers_can_start(config: Config) -> None:
    """ServeError, in one line, when the workers could not drop the network here: said before a server
    starts, rather than from inside its app process."""
    if not config.worker_network and (problem := sandbox_problem()):
        raise ServeError(problem)


def reader_copy_bytes(config: Config) -> int:
    """The largest generation a reader may copy into memory: ``reader_memory_bytes``, unless the copy would not
    fit in half of ``worker_memory_bytes`` (said in the log): larger generations are then read from disk.

    The pool decides per generation (:func:`~zgckg.kg.store.plan_reader_copy`, which also weighs the memory
    available now and the number of workers) and logs each decision; this is the bound alone."""
    limit = copy_limit(config.reader_memory_bytes, config.worker_memory_bytes)
    if limit < config.reader_memory_bytes:
        log.warning("readers copy a store into memory only up to %d bytes on disk, not %d (--reader-memory): a "
                    "larger copy would take more than half of --worker-memory (%d bytes); larger stores are read "
                    "from disk", limit, config.reader_memory_bytes, config.worker_memory_bytes)
    return limit


class LocalEngine(Engine):
    def __init__(self, config: Config, store_dir: StoreDir | None = None, *, network: Network = SYSTEM):
        super().__init__(config, network=network)
        self.store_dir = store_dir or StoreDir(config.store, config.write_lock_wait)
        network = config.worker_network
        cap = config.worker_memory_bytes
        self.readers = WorkerPool(self.store_dir.root, config.workers, name="reader",
                                  memory_bytes=config.reader_memory_bytes, network=network,
                                  max_size=config.max_workers or 2 * config.workers, memory_cap=cap)
        self.writer = WorkerPool(self.store_dir.root, 1, name="writer", network=network,
                                 lock_wait=config.write_lock_wait, memory_cap=cap) if config.write_token else None
        pools = [p for p in (self.readers, self.writer) if p is not None]
        for pool in pools:
            pool.start(wait=False)
        try:
            for pool in pools:
                pool.wait_started()
        except BaseException:  # no worker of one pool started (ServeError): stop the others' too
            self.close()
            raise

    def version(self) -> str:
        """The published generation; asked on every request, so read with one readlink."""
        try:
            return os.path.basename(os.readlink(self.store_dir.link))
        except OSError:
            return self.store_dir.version()

    def version_at_hand(self) -> str | None:
        return self.version()  # one readlink

    def modified(self, version: str) -> float:
        try:
            return (self.store_dir.generations / version).stat().st_mtime
        except OSError:  # pruned by a newer publication meanwhile
            return time.time()

    def run_query(self, prepared: PreparedQuery, query: Query, version: str) -> Answer:
        job = self.query_job(prepared, query, version, self.readers.spool_path())
        return self.readers.run(job, query.timeout, started=query.started)

    def run_update(self, prepared: PreparedUpdate, timeout: float, started: float | None) -> Written:
        return self._writer().run(UpdateJob(prepared.text, steps=prepared.steps), timeout, started=started)

    def read_graph(self, graph: str | None, fmt: Format, *, timeout: float) -> Answer:
        job = GraphReadJob(graph, self.version(), fmt.serializer, self.readers.spool_path())
        return self.readers.run(job, timeout)

    def read_dataset(self, fmt: Format, *, graph: str | None = None, timeout: float) -> Answer:
        job = DatasetReadJob(self.version(), fmt.serializer, graph, self.readers.spool_path())
        return self.readers.run(job, timeout)

    def load_files(self, files: Iterable[Path], *, graph: str | None = None,
                   progress: Callable[[str], None] = lambda message: None) -> dict[str, int]:
        from ..build import load_user_files  # a new generation, published atomically; readers move to it

        return load_user_files(self.config, files, graph=graph, progress=progress)

    def write_graph(self, write: GraphWrite, *, timeout: float) -> Written:
        fmt = write.format.serializer if write.format else "TURTLE"
        return self._writer().run(GraphWriteJob(write.method, write.graph, write.data, fmt, write.base_iri), timeout)

    def describe(self) -> EngineInfo:
        return EngineInfo("local", str(self.store_dir.root), self.version(), (
            ("readers", str(len(self.readers.pids()))), ("writer", "yes" if self.writer else "no")))

    def workload(self) -> dict[str, int]:
        pool = self.readers
        return {"workers": len(pool.pids()), "busy": pool.busy(), "waiting": pool.waiting}

    def close(self) -> None:
        for pool in (self.readers, self.writer):
            if pool is not None:
                pool.close()

    def _writer(self) -> WorkerPool:
        if self.writer is None:
            raise ForbiddenOperation("this server is read-only: writes need a write token (zgckg serve --write-token)")
        return self.writer
