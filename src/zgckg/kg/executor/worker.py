"""A worker process's life: drop the network, report ready, answer jobs from the pipe, exit with the parent."""

from __future__ import annotations

import os
import signal
import threading
import traceback
from pathlib import Path

import pyoxigraph as ox

from ...errors import EngineFailed, SandboxUnavailable, StoreError, ZgckgError, error_fields, error_name
from ..store import LOCK_WAIT, StoreDir, open_for_reading
from .jobs import Job
from .sandbox import drop_network


class _Site:
    """Where a worker's jobs run (see ``jobs.Site``): its view of one generation (a copy in memory when
    small), replaced when a newer one is asked for, and the store directory writes go to."""

    def __init__(self, store_dir: StoreDir, memory_bytes: int):
        self.store_dir = store_dir
        self.memory_bytes = memory_bytes
        self.version: str | None = None
        self.store: ox.Store | None = None

    def read(self, version: str) -> tuple[ox.Store, str]:
        if self.store is None or version != self.version:
            self.store = None  # close the old generation before opening the next
            try:
                self.store = open_for_reading(self.store_dir.generations / version, self.memory_bytes)
                self.version = version
            except OSError:  # pruned meanwhile: serve whatever is current now
                self.version = self.store_dir.version()
                self.store = open_for_reading(self.store_dir.generations / self.version, self.memory_bytes)
        return self.store, self.version

    def warm(self) -> None:
        """Open the current generation before the first job, so no query waits for the copy."""
        try:
            self.read(self.store_dir.version())
        except (StoreError, OSError):
            pass  # no store yet, or it moved: the first job opens what is there then


def worker_main(conn, parent_alive, store_root: str, memory_bytes: int, no_network: bool = True,
                lock_wait: float = LOCK_WAIT) -> None:
    """A worker's life: drop the network, report ready, then answer jobs until the pipe closes.

    With ``no_network`` (the default) nothing else runs before the sandbox is in place; a worker that
    cannot install it reports ``("failed", reason)`` instead of ready, and ends.
    """
    if no_network:
        try:
            drop_network()
        except SandboxUnavailable as exc:
            conn.send(("failed", str(exc)))
            return
    signal.signal(signal.SIGINT, signal.SIG_IGN)  # Ctrl-C reaches the whole group; the parent stops us
    threading.Thread(target=_exit_with_parent, args=(parent_alive,), daemon=True).start()
    site = _Site(StoreDir(Path(store_root), lock_wait), memory_bytes)
    site.warm()
    conn.send(("ready", os.getpid()))
    while True:
        try:
            job = conn.recv()
        except (EOFError, OSError):
            return
        if job is None:
            return
        conn.send(_reply(job, site))


def _reply(job: Job, site: _Site) -> tuple:
    """("ok", answer); ("error", class name, fields) for any domain error, which the pool raises again;
    ("crash", traceback) for anything else, a bug.

    An OSError that reaches here came from the store outside the engine's evaluation (a generation that
    cannot be opened or copied): the store is unavailable, which is no bug and not the client's fault.
    """
    try:
        return ("ok", job.run(site))
    except ZgckgError as exc:
        return ("error", error_name(type(exc)), error_fields(exc))
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
