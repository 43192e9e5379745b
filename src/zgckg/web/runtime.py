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

from flask import current_app

from ..config import Config
from ..kg.executor import WorkerPool
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
        readers = WorkerPool(store_dir.root, config.workers, name="reader", memory_bytes=config.reader_memory_bytes)
        writer = WorkerPool(store_dir.root, 1, name="writer") if config.write_token else None
        for pool in filter(None, (readers, writer)):
            pool.start(wait=False)
        for pool in filter(None, (readers, writer)):
            pool.wait_started()
        return cls(config, store_dir, readers, writer, AnswerCache(config.cache_entries, config.cache_bytes))

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
