"""The same store, read and written in this process: for the command line and tests.

It prepares and answers exactly as :class:`~zgckg.kg.engine.local.LocalEngine` does (the same functions a
worker runs), so a query gives the same rows and the same errors from ``zgckg query`` as from the endpoint.
What it cannot do is stop a query at its time limit: pyoxigraph cannot be interrupted inside the process
that runs it, so the limit is the caller's to keep (a person at a terminal presses Ctrl-C).
"""

from __future__ import annotations

import itertools
import tempfile
from pathlib import Path

import pyoxigraph as ox

from ...config import Config
from ..executor.jobs import (
    DatasetReadJob,
    GraphReadJob,
    GraphWriteJob,
    QueryJob,
    UpdateJob,
)
from ..executor.reads import answer_dataset_read, answer_graph_read, answer_query
from ..executor.writes import apply_update, write_graph
from ..formats import Format
from ..prepared import PreparedQuery, PreparedUpdate
from ..store import StoreDir, open_for_reading
from . import Answer, Engine, EngineInfo, GraphWrite, Query, Written


class InProcessEngine(Engine):
    def __init__(self, config: Config, store_dir: StoreDir | None = None):
        super().__init__(config)
        self.store_dir = store_dir or StoreDir(config.store)
        self.spool_dir = Path(tempfile.mkdtemp(prefix="zgckg-spool-"))
        self._store: ox.Store | None = None
        self._version: str | None = None
        self._ids = itertools.count()

    def version(self) -> str:
        return self.store_dir.version()

    def modified(self, version: str) -> float:
        return (self.store_dir.generations / version).stat().st_mtime

    def run_query(self, prepared: PreparedQuery, query: Query, version: str) -> Answer:
        job = self.query_job(prepared, query, version, self._spool())
        return answer_query(self._read(version), job, version)

    def run_update(self, prepared: PreparedUpdate, timeout: float, started: float | None) -> Written:
        self._store = None  # a new generation is published: read it afresh
        return apply_update(self.store_dir, UpdateJob(prepared.text, steps=prepared.steps))

    def read_graph(self, graph: str | None, fmt: Format, *, timeout: float, gzip: bool = False) -> Answer:
        version = self.version()
        return answer_graph_read(self._read(version), GraphReadJob(graph, version, fmt.serializer, gzip, self._spool()),
                                 version)

    def read_dataset(self, fmt: Format, *, graph: str | None = None, timeout: float, gzip: bool = False) -> Answer:
        version = self.version()
        return answer_dataset_read(self._read(version), DatasetReadJob(version, fmt.serializer, graph, gzip,
                                                                       self._spool()), version)

    def write_graph(self, write: GraphWrite, *, timeout: float) -> Written:
        self._store = None
        fmt = write.format.serializer if write.format else "TURTLE"
        return write_graph(self.store_dir, GraphWriteJob(write.method, write.graph, write.data, fmt, write.base_iri))

    def describe(self) -> EngineInfo:
        return EngineInfo("in-process", str(self.store_dir.root), self.version())

    def close(self) -> None:
        self._store = None
        for leftover in self.spool_dir.glob("*"):
            leftover.unlink(missing_ok=True)
        self.spool_dir.rmdir()

    def _read(self, version: str) -> ox.Store:
        if self._store is None or version != self._version:
            # one process, often one query: reading from disk beats copying the store into memory first
            self._store = open_for_reading(self.store_dir.generations / version, 0)
            self._version = version
        return self._store

    def _spool(self) -> str:
        return str(self.spool_dir / str(next(self._ids)))
