"""The pool, in the web process: hand a job to a free worker, wait up to the limit, kill past it."""

from __future__ import annotations

import itertools
import logging
import math
import multiprocessing
import os
import queue
import select
import shutil
import tempfile
import threading
import time
from pathlib import Path
from typing import Any

from ...errors import QueryTimeout
from .failures import REPORTABLE, WorkerCrashed, WorkerLost, WorkersBusy
from .worker import worker_main

log = logging.getLogger(__name__)


class _Worker:
    def __init__(self, ctx, store_root: str, memory_bytes: int):
        self.conn, child = ctx.Pipe()
        alive_child, self._alive = ctx.Pipe(duplex=False)
        self.process = ctx.Process(target=worker_main, args=(child, alive_child, store_root, memory_bytes), daemon=True)
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
    ctx.set_forkserver_preload([worker_main.__module__])  # workers start in milliseconds, pyoxigraph imported
    return ctx


class WorkerPool:
    """``size`` worker processes over one store directory; ``run`` gives a job to a free one.

    Each worker answers reads from a copy in memory of a generation whose files take at most
    ``memory_bytes`` (see :func:`~zgckg.kg.store.open_for_reading`); 0 reads from disk.
    """

    START_TIMEOUT = 60.0

    def __init__(self, store_root: Path, size: int, *, name: str = "reader", memory_bytes: int = 0):
        self.store_root = str(store_root)
        self.memory_bytes = memory_bytes
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
        worker = _Worker(self._ctx, self.store_root, self.memory_bytes)
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
        raise REPORTABLE[reply[1]](**reply[2])
    raise WorkerCrashed(reply[1])
