"""What a running app holds: its configuration, the store directory, the worker pools, the answer cache.

Made once by ``create_app`` and kept in ``app.extensions["zgckg"]``; views reach it through
:func:`runtime`. ``close`` stops every worker process (the server calls it on SIGINT/SIGTERM).
"""

from __future__ import annotations

import os
import threading
import time
from dataclasses import dataclass, field
from datetime import datetime

from flask import current_app, request

from ..config import Config
from ..kg.executor import WorkerPool
from ..kg.federation import Outbound
from ..kg.prepared import PreparedQuery, PreparedUpdate, prepare_query, prepare_update
from ..namespaces import PREFIXES
from ..kg.store import StoreDir
from .cache import AnswerCache
from .conditional import mtime_to_datetime


@dataclass
class Runtime:
    config: Config
    store_dir: StoreDir
    readers: WorkerPool
    writer: WorkerPool | None
    cache: AnswerCache
    _modified: dict[str, datetime] = field(default_factory=dict)
    _closed: bool = False
    _lock: threading.Lock = field(default_factory=threading.Lock)

    @classmethod
    def start(cls, config: Config, store_dir: StoreDir) -> "Runtime":
        network = config.worker_network
        readers = WorkerPool(store_dir.root, config.workers, name="reader", memory_bytes=config.reader_memory_bytes,
                             network=network)
        writer = WorkerPool(store_dir.root, 1, name="writer", network=network) if config.write_token else None
        pools = list(filter(None, (readers, writer)))
        for pool in pools:
            pool.start(wait=False)
        try:
            for pool in pools:
                pool.wait_started()
        except BaseException:  # no worker of one pool started (ServeError): stop the others' too
            for pool in pools:
                pool.close()
            raise
        return cls(config, store_dir, readers, writer, AnswerCache(config.cache_entries, config.cache_bytes))

    def prepare_query(self, text: str) -> PreparedQuery:
        """The query read within the limits, SERVICE answered here (see ``zgckg.kg.prepared``)."""
        return prepare_query(text, self._outbound(prefixes=tuple(PREFIXES.items())), self.config.syntax_limits)

    def prepare_update(self, text: str) -> PreparedUpdate:
        return prepare_update(text, self._outbound(), self.config.syntax_limits)

    def _outbound(self, **values) -> Outbound:
        c = self.config
        return Outbound(c.service_allowlist, c.service_limits, c.max_rows, c.service_network, **values)

    def version(self) -> str:
        """The published generation (raises StoreError when there is none).

        Asked on every request, so read with one readlink instead of resolving the whole path.
        """
        try:
            return os.path.basename(os.readlink(self.store_dir.link))
        except OSError:
            return self.store_dir.version()

    def last_modified(self, version: str) -> datetime:
        known = self._modified
        if version in known:
            return known[version]
        try:
            stamp = (self.store_dir.generations / version).stat().st_mtime
        except OSError:  # pruned by a newer publication meanwhile
            stamp = time.time()
        modified = mtime_to_datetime(stamp)
        self._modified = {version: modified}  # only the newest generation is ever asked for again
        return modified

    def close(self) -> None:
        with self._lock:
            if self._closed:
                return
            self._closed = True
        for pool in filter(None, (self.readers, self.writer)):
            pool.close()


def runtime() -> Runtime:
    return current_app.extensions["zgckg"]


ARRIVED = "zgckg.arrived"
"""WSGI environ key: when the request was in (monotonic seconds), set by the server's front or on arrival."""


def note_arrival() -> None:
    request.environ.setdefault(ARRIVED, time.monotonic())


def arrived() -> float:
    """When the request came in (monotonic seconds): its time limit counts from there."""
    return request.environ.get(ARRIVED) or time.monotonic()
