"""The pool, in the web process: hand a job to a free worker, wait up to the limit, kill past it."""

from __future__ import annotations

import dataclasses
import hashlib
import itertools
import logging
import math
import multiprocessing
import os
import queue
import select
import shutil
import signal
import tempfile
import threading
import time
from pathlib import Path
from typing import Any

from ...errors import (
    QueryOutOfMemory, QueryTimeout, ServeError, WorkerCrashed, WorkerLost, WorkersBusy, ZgckgError, rebuild_error,
)
from ..store import LOCK_WAIT, CopyPlan, plan_reader_copy
from .worker import worker_main

log = logging.getLogger(__name__)


class _Worker:
    def __init__(self, ctx, store_root: str, memory_bytes: int, no_network: bool, lock_wait: float,
                 memory_cap: int = 0):
        self.conn, child = ctx.Pipe()
        alive_child, self._alive = ctx.Pipe(duplex=False)
        self.memory_cap = memory_cap
        self.process = ctx.Process(target=worker_main, args=(child, alive_child, store_root, memory_bytes, no_network, lock_wait,
                                                             memory_cap), daemon=True)
        self.process.start()
        child.close()
        alive_child.close()
        self._poller = self._ended = None
        self.told: dict[str, bool] = {}
        """The copy plan this worker was sent, per generation."""

    def tell(self, plan: CopyPlan) -> None:
        """Send the worker whether to copy ``plan.version`` into memory (no reply), once per generation."""
        if self.told.get(plan.version) != plan.copy:
            self.conn.send(("plan", plan.version, plan.copy))
            self.told[plan.version] = plan.copy

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

    def alive(self) -> bool:
        """Whether the process still runs. Its sentinel turns readable when it ends; one poll object, as
        for replies (``Process.is_alive`` builds a selector on every call)."""
        if self._ended is None:
            self._ended = select.poll()
            self._ended.register(self.process.sentinel, select.POLLIN)
        return not self._ended.poll(0)

    def wait_ready(self, timeout: float) -> str | None:
        """None once the worker reports ready; otherwise why it did not start (the reason it gave, if any)."""
        if not self.wait_reply(timeout):
            return f"it did not report ready within {timeout:g} s"
        try:
            reply = self.conn.recv()
        except (EOFError, OSError):
            self.process.join(1)
            if self.memory_cap and self.process.exitcode in _OUT_OF_MEMORY_CODES:  # a thread or a mapping refused
                return (f"it ran out of memory while opening the store: --worker-memory ({self.memory_cap} bytes) "
                        "is too small for an idle worker; give it at least 512000000")
            return "it ended before reporting ready"
        if reply[0] == "ready":
            return None
        return reply[1] if reply[0] == "failed" else f"its first message was {reply[0]!r}, not ready"

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

    Each worker reads a generation from disk at once and, when the pool decides so, also copies it into
    memory in the background and answers from the copy once it is complete. The pool decides once per
    generation, for all its workers (:func:`~zgckg.kg.store.plan_reader_copy`: the generation's files
    against ``memory_bytes`` (0: no copies), half of ``memory_cap``, and the memory available for
    ``max_size`` copies), and logs the decision either way. A worker that ends while a copy was planned
    (out of memory, most likely) turns the copies of that generation off: its successors read from disk.
    The copy is never part of a worker's start, so ``start_timeout`` does not depend on the store's size.

    Workers run without network sockets (see :mod:`.sandbox`) unless ``network`` is true, which is only
    for platforms without seccomp: a worker that cannot drop the network does not start. Each may use
    ``memory_cap`` bytes of address space (0: no cap, see :func:`.worker.cap_memory`); a job that needs more
    ends with :class:`~zgckg.errors.QueryOutOfMemory`, and its worker is replaced.
    """

    START_TIMEOUT = 60.0

    def __init__(self, store_root: Path, size: int, *, name: str = "reader", memory_bytes: int = 0,
                 network: bool = False, lock_wait: float = LOCK_WAIT, max_size: int | None = None,
                 memory_cap: int = 0, start_timeout: float | None = None):
        self.store_root = str(store_root)
        self.start_timeout = self.START_TIMEOUT if start_timeout is None else start_timeout
        self._plans: dict[str, CopyPlan] = {}
        self.memory_cap = memory_cap
        self.lock_wait = lock_wait
        self.memory_bytes = memory_bytes
        self.network = network
        self.size = max(1, size)
        self.max_size = max(self.size, max_size or self.size)
        """When every worker is busy, the pool starts more, up to this many, and lets the extra ones go once
        the rush is over: so long-running jobs of some clients do not leave the others waiting."""
        self._starting = 0
        self.waiting = 0
        """Jobs waiting for a worker now."""
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
        self._failures: list[str] = []  # why workers did not start, in the order they gave up
        self._crashed: dict[str, ZgckgError] = {}  # jobs that crashed a worker, oldest first: what to say again
        self.killed: list[int] = []
        """PIDs of workers ended for overrunning their limit (kept for inspection)."""

    def start(self, wait: bool = True) -> "WorkerPool":
        """Start the workers in parallel; with ``wait``, return once they are ready (see :meth:`wait_started`)."""
        self._starters = [threading.Thread(target=self._add_worker, daemon=True) for _ in range(self.size)]
        for starter in self._starters:
            starter.start()
        if wait:
            self.wait_started()
        return self

    def wait_started(self) -> None:
        """Return once each worker has started or given up; ServeError, the pool closed, if none started.

        A pool without a worker would only time out every job, so its failure is the server's: the error
        carries the reason the workers gave (which names the setting to change when it is the sandbox).
        """
        for starter in self._starters:
            starter.join()
        with self._lock:
            started = bool(self._all) or self._closed
            reasons = list(dict.fromkeys(self._failures))  # the same reason from each worker, said once
        if not started:
            self.close()
            raise ServeError(f"no {self.name} worker could start: {'; '.join(reasons) or 'no reason given'}")

    def pids(self) -> list[int]:
        with self._lock:
            return sorted(w.pid for w in self._all)

    def spool_path(self) -> str:
        """A fresh file name in the spool directory, for a job whose answer may be large."""
        return f"{self._spool_prefix}{next(self._ids)}"

    def run(self, job: Any, timeout: float, *, started: float | None = None) -> Any:
        """The job's result, or the domain error it raised; QueryTimeout when it overruns ``timeout``.

        ``started`` (monotonic seconds) is when the request began: time spent before, waiting for a thread
        or for a SERVICE answer, counts toward ``timeout`` as the wait for a worker does.
        """
        deadline = (time.monotonic() if started is None else started) + timeout
        key = _crash_key(job)
        if (crashed := self._crashed.get(key)) is not None:
            raise dataclasses.replace(crashed)
        worker = self._take(deadline, timeout)
        try:
            if (plan := self.plan(getattr(job, "version", None))) is not None:
                worker.tell(plan)
            worker.conn.send(job)
            if not worker.wait_reply(deadline - time.monotonic()):
                self._replace(worker, killed=True)
                _remove_spool(job)
                raise QueryTimeout(timeout)
            reply = worker.conn.recv()
        except (EOFError, OSError):
            self._replace(worker)
            _remove_spool(job)
            raise self._lost(worker, key, job) from None
        self._give_back(worker)
        return _unpack(reply)

    def plan(self, version: str | None) -> CopyPlan | None:
        """Whether this pool's workers copy ``version`` into memory: decided and logged once per generation;
        None when copies are off (``memory_bytes`` 0) or the generation is gone."""
        if not version or self.memory_bytes <= 0:
            return None
        with self._lock:
            if (plan := self._plans.get(version)) is not None:
                return plan
        try:
            plan = plan_reader_copy(Path(self.store_root) / "generations" / version, memory_bytes=self.memory_bytes,
                                    memory_cap=self.memory_cap, workers=self.max_size)
        except OSError:  # pruned meanwhile
            return None
        with self._lock:
            if version in self._plans:
                return self._plans[version]
            self._plans[version] = plan
            while len(self._plans) > 16:
                self._plans.pop(next(iter(self._plans)))
        (log.info if plan.copy else log.warning)("%s workers: %s", self.name, plan.message)
        return plan

    def _copies_failed(self, worker: _Worker) -> None:
        """A worker ended as one does out of memory while told to copy a generation: copies of that
        generation are off from now on, said once."""
        code = worker.process.exitcode
        if code not in _OUT_OF_MEMORY_CODES | {-signal.SIGKILL}:  # the kernel's OOM killer sends SIGKILL
            return
        with self._lock:
            failed = [v for v, copy in worker.told.items() if copy and self._plans.get(v, None) is not None
                      and self._plans[v].copy]
            for version in failed:
                old = self._plans[version]
                self._plans[version] = dataclasses.replace(old, copy=False, message=(
                    f"reading {version} from disk: a worker ended (exit code {code}) while it held or made the "
                    f"copy in memory (~{old.copy_bytes / 1e6:,.0f} MB); lower --reader-memory or raise "
                    f"--worker-memory"))
        for version in failed:
            log.warning("%s workers: %s", self.name, self._plans[version].message)

    def _current_version(self) -> str | None:
        try:
            return os.path.basename(os.readlink(os.path.join(self.store_root, "current")))
        except OSError:
            return None

    def busy(self) -> int:
        """Workers running a job now."""
        with self._lock:
            return max(0, len(self._all) - self._idle.qsize())

    def _give_back(self, worker: _Worker) -> None:
        """Back to the idle workers; an extra one (beyond ``size``) ends when enough others are idle."""
        with self._lock:
            surplus = len(self._all) > self.size and self._idle.qsize() >= self.size
            if surplus:
                self._all.discard(worker)
        if surplus:
            worker.stop()
        else:
            self._idle.put(worker)

    def _take(self, deadline: float, timeout: float) -> _Worker:
        """A free worker that is still alive (one that died while idle is replaced, not handed a job)."""
        while True:
            left = deadline - time.monotonic()
            if left <= 0:
                raise QueryTimeout(timeout)
            try:
                worker = self._idle.get_nowait()
            except queue.Empty:
                self._grow()
                with self._lock:
                    self.waiting += 1
                try:
                    worker = self._idle.get(timeout=left)
                except queue.Empty:
                    # those starting count: after a timeout the workers killed are being replaced, and
                    # "all 0 query workers" would say the pool is gone
                    raise WorkersBusy(len(self._all) + self._starting, timeout) from None
                finally:
                    with self._lock:
                        self.waiting -= 1
            if worker.alive():
                return worker
            self._replace(worker)

    def _grow(self) -> None:
        """Start one more worker when all are busy and the ceiling allows; it joins the idle ones when ready."""
        with self._lock:
            if self._closed or len(self._all) + self._starting >= self.max_size:
                return
            self._starting += 1
        threading.Thread(target=self._add_worker, kwargs={"counted": True}, daemon=True).start()

    def _lost(self, worker: _Worker, key: str | None, job: Any) -> ZgckgError:
        """The error for a job whose worker died under it (the worker is reaped by now).

        Under a memory cap, SIGABRT is the job running out of memory: Rust's allocator and C++'s
        ``std::terminate`` abort when an allocation or a thread is refused (and glibc's loader exits with
        127 when a new thread's thread-local data is). A job whose worker crashed (a signal such as SIGSEGV
        or SIGABRT, not a kill from outside) or ran out of memory is never run again: run again, it would
        only take down the next worker, and the next. It gets the same error again at once.
        """
        code = worker.process.exitcode
        out_of_memory = bool(self.memory_cap) and code in _OUT_OF_MEMORY_CODES
        if out_of_memory:
            error: ZgckgError = QueryOutOfMemory(self.memory_cap, getattr(job, "operation", "request"))
            again: ZgckgError = error
        else:
            error, again = WorkerLost(), WorkerLost(REPEATED_CRASH)
        if key is None or (code not in _CRASH_CODES and not out_of_memory):
            return error
        with self._lock:
            self._crashed[key] = again
            while len(self._crashed) > 1024:
                self._crashed.pop(next(iter(self._crashed)))
        how = "ran out of memory in" if out_of_memory else f"ended with signal {-code}"
        log.warning("a %s %s its %s worker; it will not be run again: %.200r", type(job).__name__, how, self.name,
                    getattr(job, "text", ""))
        return error

    def close(self) -> None:
        with self._lock:
            self._closed = True
            workers = list(self._all)
            self._all.clear()
        for worker in workers:
            worker.stop()
        shutil.rmtree(self.spool_dir, ignore_errors=True)

    def _add_worker(self, counted: bool = False) -> None:
        """Start a worker and make it idle; ``counted`` when it was already counted as starting."""
        worker = _Worker(self._ctx, self.store_root, self.memory_bytes, not self.network, self.lock_wait,
                         self.memory_cap)
        failure = worker.wait_ready(self.start_timeout)
        if failure is None and (plan := self.plan(self._current_version())) is not None:
            try:
                worker.tell(plan)  # the copy starts now, in the background: the worker is ready already
            except OSError:
                failure = "it ended as it started"
        with self._lock:
            if counted:
                self._starting -= 1
            if failure is not None:
                self._failures.append(failure)
            elif self._closed:
                failure = "the pool closed"
            else:
                self._all.add(worker)
        if failure is not None:
            if failure != "the pool closed":
                log.error("a %s worker (pid %s) did not start: %s", self.name, worker.pid, failure)
            worker.kill()
            return
        self._idle.put(worker)

    def _replace(self, worker: _Worker, *, killed: bool = False) -> None:
        """End a worker for good (SIGKILL, reaped before returning) and start its successor."""
        with self._lock:
            self._all.discard(worker)
            closed = self._closed
            if not closed:
                self._starting += 1  # counted at once, so the pool does not also grow in its place
        worker.kill()
        if killed:
            self.killed.append(worker.pid)
        elif not closed:
            self._copies_failed(worker)
        if not closed:
            threading.Thread(target=self._add_worker, kwargs={"counted": True}, daemon=True).start()


REPEATED_CRASH = "this request ended the process that ran it before, so it is not run again; simplify it"
_CRASH_CODES = {-signal.SIGSEGV, -signal.SIGABRT, -signal.SIGBUS, -signal.SIGILL, -signal.SIGFPE}
_OUT_OF_MEMORY_CODES = {-signal.SIGABRT, 127}
"""How a worker under a memory cap ends when an allocation is refused: abort() (Rust's allocator, C++'s
std::terminate, Python's fatal errors), or glibc's loader's exit status when it cannot allocate a thread's
thread-local data."""


def _crash_key(job: Any) -> str | None:
    text = getattr(job, "text", None)
    return None if text is None else hashlib.sha256(f"{type(job).__name__}\0{text}".encode()).hexdigest()


def _remove_spool(job: Any) -> None:
    spool = getattr(job, "spool", "")
    if spool:
        Path(spool).unlink(missing_ok=True)


def _unpack(reply: tuple) -> Any:
    """The answer, or the domain error the worker reported (by class name and fields), or WorkerCrashed."""
    if reply[0] == "ok":
        return reply[1]
    if reply[0] == "error":
        error = rebuild_error(reply[1], reply[2])
        if error is None:  # a class this process has not imported: still a failure, and it is logged
            raise WorkerCrashed(f"the worker reported {reply[1]} {reply[2]!r}, unknown here")
        raise error
    raise WorkerCrashed(reply[1])
