"""The same store, read and written in this process: for the command line and tests.

It prepares and answers exactly as :class:`~zgckg.kg.engine.local.LocalEngine` does (it runs the same jobs
a worker runs, being their site itself), so a query gives the same rows and the same errors from ``zgckg query`` as from the endpoint.
What it cannot do is stop a query at its time limit: pyoxigraph cannot be interrupted inside the process
that runs it, so the limit is the caller's to keep (a person at a terminal presses Ctrl-C).
"""

from __future__ import annotations

import itertools
from collections.abc import Callable, Iterable
import tempfile
from pathlib import Path

import pyoxigraph as ox

from ...config import Config
from ..executor.jobs import DatasetReadJob, GraphReadJob, GraphWriteJob, UpdateJob
from ..formats import Format
from ..outbound import SYSTEM, Network
from ..prepared import PreparedQuery, PreparedUpdate
from ..store import StoreDir, open_for_reading
from . import Answer, Engine, EngineInfo, GraphWrite, Query, Written


class InProcessEngine(Engine):
    def __init__(self, config: Config, store_dir: StoreDir | None = None, *, network: Network = SYSTEM):
        super().__init__(config, network=network)
        self.store_dir = store_dir or StoreDir(config.store, config.write_lock_wait)
        self.spool_dir = Path(tempfile.mkdtemp(prefix="zgckg-spool-"))
        self._store: ox.Store | None = None
        self._version: str | None = None
        self._ids = itertools.count()

    def version(self) -> str:
        return self.store_dir.version()

    def modified(self, version: str) -> float:
        return (self.store_dir.generations / version).stat().st_mtime

    def run_query(self, prepared: PreparedQuery, query: Query, version: str) -> Answer:
        return self.query_job(prepared, query, version, self._spool()).run(self)

    def run_update(self, prepared: PreparedUpdate, timeout: float, started: float | None) -> Written:
        self._store = None  # a new generation is published: read it afresh
        return UpdateJob(prepared.text, steps=prepared.steps).run(self)

    def read_graph(self, graph: str | None, fmt: Format, *, timeout: float) -> Answer:
        return GraphReadJob(graph, self.version(), fmt.serializer, self._spool()).run(self)

    def read_dataset(self, fmt: Format, *, graph: str | None = None, timeout: float) -> Answer:
        return DatasetReadJob(self.version(), fmt.serializer, graph, self._spool()).run(self)

    def load_files(self, files: Iterable[Path], *, graph: str | None = None,
                   progress: Callable[[str], None] = lambda message: None) -> dict[str, int]:
        from ..build import load_user_files  # a new generation, published atomically; readers move to it

        return load_user_files(self.config, files, graph=graph, progress=progress)

    def write_graph(self, write: GraphWrite, *, timeout: float) -> Written:
        self._store = None
        fmt = write.format.serializer if write.format else "TURTLE"
        return GraphWriteJob(write.method, write.graph, write.data, fmt, write.base_iri).run(self)

    def describe(self) -> EngineInfo:
        return EngineInfo("in-process", str(self.store_dir.root), self.version())

    def close(self) -> None:
        self._store = None
        for leftover in self.spool_dir.glob("*"):
            leftover.unlink(missing_ok=True)
        self.spool_dir.rmdir()

    def read(self, version: str) -> tuple[ox.Store, str]:
        """The generation to read (see ``executor.jobs.Site``): this engine is where its jobs run."""
        if self._store is None or version != self._version:
            # one process, often one query: reading from disk beats copying the store into memory first
            self._store = open_for_reading(self.store_dir.generations / version, 0)
            self._version = version
        return self._store, version

    def _spool(self) -> str:
        return str(self.spool_dir / str(next(self._ids)))
