"""A worker process's life: drop the network, cap its memory, report ready, answer jobs from the pipe, exit
with the parent."""

from __future__ import annotations

import ctypes
import os
import resource
import signal
import threading
import traceback
from itertools import islice
from pathlib import Path

import pyoxigraph as ox

from ...errors import (
    EngineFailed, QueryOutOfMemory, SandboxUnavailable, StoreError, ZgckgError, error_fields, error_name,
)
from ..store import COPY_FACTOR, LOCK_WAIT, StoreDir
from .jobs import Job
from .sandbox import drop_network


COPY_CHUNK = 20_000
"""Quads per step of a copy into memory: between steps, queries get the interpreter and a newer generation
stops the copy."""
_M_ARENA_MAX = -8  # mallopt's parameter (malloc.h)


def copy_limit(memory_bytes: int, memory_cap: int) -> int:
    """The largest generation (bytes of files on disk) a worker copies into memory: ``memory_bytes``, but
    under a memory cap no copy that would take more than half of it, so queries keep the other half."""
    if memory_cap <= 0:
        return memory_bytes
    return min(memory_bytes, memory_cap // 2 // COPY_FACTOR)


def cap_memory(memory_cap: int) -> None:
    """Hold this process to ``memory_cap`` bytes of address space (RLIMIT_AS), for good; 0: no cap.

    Past it, an allocation fails: Python raises MemoryError, and the engine (Rust, C++) aborts the process
    with SIGABRT, which the pool reports as :class:`~zgckg.errors.QueryOutOfMemory`. Two things make the cap
    measure memory rather than reservations: glibc reserves 64 MB of address space for each malloc arena it
    makes (up to eight per core, one per thread that allocates), so arenas are limited to two; and a worker
    that ends on the cap leaves no core file as large as the cap.
    """
    if memory_cap <= 0:
        return
    mallopt = getattr(ctypes.CDLL(None), "mallopt", None)  # glibc; other C libraries reserve less per thread
    if mallopt is not None:
        mallopt(_M_ARENA_MAX, 2)
    resource.setrlimit(resource.RLIMIT_CORE, (0, 0))
    resource.setrlimit(resource.RLIMIT_AS, (memory_cap, memory_cap))


class _Site:
    """Where a worker's jobs run (see ``jobs.Site``): its view of one generation, replaced when a newer one
    is asked for, and the store directory writes go to.

    A generation is opened from disk at once; when the pool has said to copy it into memory
    (:meth:`plan`), the copy is made by a thread of this worker while jobs are answered from disk, and
    answers come from the copy once it is complete. A generation never changes after publication, so the
    copy is exact and the switch changes no answer.
    """

    def __init__(self, store_dir: StoreDir, memory_cap: int = 0):
        self.store_dir = store_dir
        self.memory_cap = memory_cap
        self.version: str | None = None
        self.store: ox.Store | None = None
        self.in_memory = False
        self.copies: set[str] = set()
        """Generations the pool said to copy into memory."""
        self._lock = threading.Lock()
        self._cancel = threading.Event()
        self._copier: threading.Thread | None = None

    def plan(self, version: str, copy: bool) -> None:
        """Whether to copy ``version`` into memory (the pool decides, for all its workers at once)."""
        with self._lock:
            if copy:
                self.copies = {v for v in self.copies if v >= (self.version or "")} | {version}
            else:
                self.copies.discard(version)
            if copy and version == self.version and not self.in_memory:
                self._start_copy()

    def read(self, version: str) -> tuple[ox.Store, str]:
        with self._lock:
            if self.store is None or version != self.version:
                self._cancel.set()  # a copy of the old generation is of no use any more
                self.store, self.in_memory = None, False  # close the old generation before opening the next
                try:
                    self.store = ox.Store.read_only(str(self.store_dir.generations / version))
                    self.version = version
                except OSError:  # pruned meanwhile: serve whatever is current now
                    self.version = self.store_dir.version()
                    self.store = ox.Store.read_only(str(self.store_dir.generations / self.version))
                if self.version in self.copies:
                    self._start_copy()
            return self.store, self.version

    def wait_copied(self, timeout: float) -> bool:
        """True once the generation being read is in memory (for tests and benchmarks)."""
        copier = self._copier
        if copier is not None:
            copier.join(timeout)
        return self.in_memory

    def _start_copy(self) -> None:
        if self._copier is not None and self._copier.is_alive() and not self._cancel.is_set():
            return
        self._cancel = threading.Event()
        self._copier = threading.Thread(target=self._copy, args=(self.version, self.store, self._cancel), daemon=True)
        self._copier.start()

    def _copy(self, version: str, disk: ox.Store, cancel: threading.Event) -> None:
        copy = ox.Store()
        quads = iter(disk)
        try:
            while chunk := list(islice(quads, COPY_CHUNK)):
                if cancel.is_set():
                    return
                copy.bulk_extend(chunk)
        except (MemoryError, OSError):  # no room under the cap, or the generation went: stay on disk
            return
        with self._lock:
            if not cancel.is_set() and self.version == version:
                self.store, self.in_memory = copy, True

    def warm(self) -> None:
        """Open the current generation before the first job (from disk: a copy is made in the background)."""
        try:
            self.read(self.store_dir.version())
        except (StoreError, OSError):
            pass  # no store yet, or it moved: the first job opens what is there then


def worker_main(conn, parent_alive, store_root: str, memory_bytes: int, no_network: bool = True,
                lock_wait: float = LOCK_WAIT, memory_cap: int = 0) -> None:
    """A worker's life: drop the network, cap its memory, report ready, then answer jobs until the pipe closes.

    With ``no_network`` (the default) nothing else runs before the sandbox is in place; a worker that
    cannot install it reports ``("failed", reason)`` instead of ready, and ends. ``memory_cap`` (bytes of
    address space, 0: none) is in force before the store is opened; likewise a worker that cannot set it,
    or cannot open the store within it, reports why and ends. ``memory_bytes`` is not used here: whether a
    generation is copied into memory is the pool's decision, sent as ``("plan", version, copy)``, which
    gets no reply; the copy is made in the background (see :class:`_Site`), so it never delays ready.
    """
    if no_network:
        try:
            drop_network()
        except SandboxUnavailable as exc:
            conn.send(("failed", str(exc)))
            return
    try:
        cap_memory(memory_cap)
    except (ValueError, OSError) as exc:  # above the hard limit this process was given
        conn.send(("failed", f"its memory cannot be capped at {memory_cap} bytes (--worker-memory): {exc}"))
        return
    signal.signal(signal.SIGINT, signal.SIG_IGN)  # Ctrl-C reaches the whole group; the parent stops us
    threading.Thread(target=_exit_with_parent, args=(parent_alive,), daemon=True).start()
    site = _Site(StoreDir(Path(store_root), lock_wait), memory_cap)
    try:
        site.warm()
    except MemoryError:
        conn.send(("failed", f"the store does not open within {memory_cap} bytes (--worker-memory)"))
        return
    conn.send(("ready", os.getpid()))
    while True:
        try:
            job = conn.recv()
        except (EOFError, OSError):
            return
        if job is None:
            return
        if isinstance(job, tuple) and job[0] == "plan":  # ("plan", version, copy): no reply
            site.plan(job[1], job[2])
            continue
        conn.send(_reply(job, site))


def _reply(job: Job, site: _Site) -> tuple:
    """("ok", answer); ("error", class name, fields) for any domain error (and for MemoryError, which only a
    memory cap makes likely), which the pool raises again; ("crash", traceback) for anything else, a bug.

    An OSError that reaches here came from the store outside the engine's evaluation (a generation that
    cannot be opened or copied): the store is unavailable, which is no bug and not the client's fault.
    """
    try:
        return ("ok", job.run(site))
    except ZgckgError as exc:
        return ("error", error_name(type(exc)), error_fields(exc))
    except MemoryError:  # Python's side ran out under the cap; what it held is freed as the error unwinds
        failed = QueryOutOfMemory(site.memory_cap, job.operation)
        return ("error", error_name(QueryOutOfMemory), error_fields(failed))
    except OSError:
        failed = EngineFailed(job.operation, traceback.format_exc(), unavailable=True)
        return ("error", error_name(EngineFailed), error_fields(failed))
    except Exception:
        return ("crash", traceback.format_exc())


def _exit_with_parent(parent_alive) -> None:
    # pyoxigraph releases the GIL while it evaluates, so this thread runs even during a long query
    try:
        parent_alive.recv()
    except (EOFError, OSError):
        pass
    os._exit(0)
