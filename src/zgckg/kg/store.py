"""A store directory: immutable Oxigraph generations behind an atomically swapped ``current`` link.

    STORE/
      current -> generations/g000003     relative symlink, replaced with os.replace (atomic)
      generations/g000001 …              complete Oxigraph stores, never written after publication
      generations/.tmp-…                 a generation under construction (removed if its writer died)
      write.lock                         flock held by the one writer at a time

Readers open ``current`` read-only, so any number of processes can serve it; a generation is also
copied into memory by each reader when it fits (:func:`plan_reader_copy`). A writer (build, load, an
update) builds a new generation — from scratch or from a checkpoint of the current one — and publishes it
by swapping the link. A writer that fails or is killed never touches ``current``: the previous
generation keeps serving.
"""

from __future__ import annotations

import fcntl
import gc
import os
import shutil
import tempfile
import time
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from dataclasses import dataclass
from pathlib import Path
from typing import TypeVar

import pyoxigraph as ox

from ..errors import StoreError

KEEP_GENERATIONS = 3
LOCK_WAIT = 60.0
"""Seconds a write waits for the one before it (a build behind a stream of updates, an update behind a
build) before it gives up, unless told otherwise (``Config.write_lock_wait``); an update is bounded by its
own time limit first."""
T = TypeVar("T")


class StoreDir:
    def __init__(self, root: Path, lock_wait: float = LOCK_WAIT):
        self.root = Path(root)
        self.lock_wait = lock_wait
        self.generations = self.root / "generations"
        self.link = self.root / "current"

    def exists(self) -> bool:
        return self.link.is_symlink() and self.link.resolve().is_dir()

    def current_path(self) -> Path:
        if not self.exists():
            raise StoreError(str(self.root), "no store here yet; run `zgckg build --store DIR` first")
        return self.link.resolve()

    def version(self) -> str:
        """The published generation's name; changes whenever the store's content changes."""
        return self.current_path().name

    def open_read(self) -> ox.Store:
        """A read-only view of the current generation (safe beside any number of other readers)."""
        try:
            return ox.Store.read_only(str(self.current_path()))
        except OSError as exc:
            raise StoreError(str(self.root), f"cannot open the store: {exc}") from exc

    def ensure(self) -> None:
        """Create an empty store if there is none."""
        if not self.exists():
            self.write(lambda store: None, copy_current=False)

    def write(self, fill: Callable[[ox.Store], T], *, copy_current: bool) -> T:
        """Run ``fill`` on a new writable generation and publish it when ``fill`` returns.

        The writable store never leaves this method: RocksDB must be closed before the generation is
        published (readers may open it read-only only once no writer has it open), and a caller holding
        on to it would keep it open. ``fill`` must not keep a reference to the store either.
        """
        with self._write_lock():
            self._remove_unfinished()
            tmp = Path(tempfile.mkdtemp(prefix=".tmp-", dir=self.generations))
            try:
                result = self._fill_and_close(tmp, fill, copy_current)
                self._publish(tmp)
            except BaseException:
                shutil.rmtree(tmp, ignore_errors=True)
                raise
            self._prune()
        return result

    def _fill_and_close(self, tmp: Path, fill: Callable[[ox.Store], T], copy_current: bool) -> T:
        store = self._start(tmp, copy_current)
        try:
            result = fill(store)
            store.flush()
        finally:
            del store
            gc.collect()  # pyoxigraph has no close(): dropping the last reference shuts RocksDB down
        return result

    def _start(self, tmp: Path, copy_current: bool) -> ox.Store:
        if copy_current and self.exists():
            tmp.rmdir()  # backup() wants to create the directory itself
            self.open_read().backup(str(tmp))
        return ox.Store(str(tmp))

    def _publish(self, tmp: Path) -> None:
        final = self.generations / f"g{self._next_number():06d}"
        os.rename(tmp, final)
        pointer = self.root / f".current-{os.getpid()}"
        pointer.unlink(missing_ok=True)
        pointer.symlink_to(final.relative_to(self.root))
        os.replace(pointer, self.link)
        _fsync_dir(self.root)

    def _next_number(self) -> int:
        numbers = [int(p.name[1:]) for p in self.generations.glob("g[0-9]*") if p.name[1:].isdigit()]
        return max(numbers, default=0) + 1

    def _prune(self) -> None:
        current = self.link.resolve().name
        done = sorted(p for p in self.generations.glob("g[0-9]*") if p.name != current)
        for old in done[: max(0, len(done) - (KEEP_GENERATIONS - 1))]:
            shutil.rmtree(old, ignore_errors=True)

    def _remove_unfinished(self) -> None:
        # Only the lock holder writes, so any .tmp-* left now belongs to a writer that died.
        for stale in self.generations.glob(".tmp-*"):
            shutil.rmtree(stale, ignore_errors=True)

    @contextmanager
    def _write_lock(self) -> Iterator[None]:
        self.generations.mkdir(parents=True, exist_ok=True)
        with open(self.root / "write.lock", "w") as lock:
            deadline = time.monotonic() + self.lock_wait
            while True:
                try:
                    fcntl.flock(lock, fcntl.LOCK_EX | fcntl.LOCK_NB)
                    break
                except BlockingIOError:
                    if time.monotonic() >= deadline:
                        raise StoreError(str(self.root), f"another build, load or update has been writing this "
                                                         f"store for over {self.lock_wait:g} s; try again") from None
                    time.sleep(0.05)
            try:
                yield
            finally:
                fcntl.flock(lock, fcntl.LOCK_UN)


def open_for_reading(generation: Path, memory_bytes: int) -> ox.Store:
    """A generation to answer queries from: an in-memory copy when its files take at most ``memory_bytes``.

    Oxigraph evaluates our queries faster on its in-memory store than on RocksDB (measured by
    ``bench/engine.py``, figures in docs/benchmarks.md), and a generation never changes after
    publication, so a copy stays exact.
    Larger generations are read from disk, where memory does not bound them.
    """
    disk = ox.Store.read_only(str(generation))
    if memory_bytes <= 0 or _files_bytes(generation) > memory_bytes:
        return disk
    copy = ox.Store()
    copy.bulk_extend(disk)
    return copy


COPY_FACTOR = 5
"""Memory an in-memory copy of a generation takes while it is made, per byte of the generation's files
(measured: about four times once made, five at the peak of making it)."""


@dataclass(frozen=True)
class CopyPlan:
    """Whether readers copy one generation into memory, and why (said in one line by :attr:`message`)."""

    version: str
    copy: bool
    files_bytes: int
    copy_bytes: int
    """The memory the copy would take, estimated from the files (``COPY_FACTOR`` bytes per byte)."""
    message: str


def plan_reader_copy(generation: Path, *, memory_bytes: int, memory_cap: int = 0, workers: int = 1,
                     available: int | None = -1) -> CopyPlan:
    """Whether ``workers`` readers, each under ``memory_cap`` bytes (0: none), copy ``generation`` into memory.

    A copy is made only when its estimated size fits all of: ``memory_bytes`` (``--reader-memory``, bytes of
    files on disk, 0: no copies) times ``COPY_FACTOR``; half the worker's cap (queries keep the other half);
    and the memory the system has available now (``MemAvailable``, or ``available`` if given; None:
    unknown) shared by the workers that would each hold a copy.
    """
    version = generation.name
    files = generation_bytes(generation)
    estimate = files * COPY_FACTOR
    if available == -1:
        available = memory_available()
    limits = [(memory_bytes * COPY_FACTOR,
               "--reader-memory: copies are off" if memory_bytes <= 0 else
               f"--reader-memory allows generations of up to {_mb(memory_bytes)} on disk")]
    if memory_cap > 0:
        limits.append((memory_cap // 2, f"half of --worker-memory ({_mb(memory_cap)})"))
    if available is not None:
        limits.append((available // max(1, workers),
                       f"the {_mb(available)} of memory available now, shared by {max(1, workers)} workers"))
    limit, reason = min(limits, key=lambda item: item[0])
    if memory_bytes > 0 and estimate <= limit:
        return CopyPlan(version, True, files, estimate,
                        f"copying generation {version} ({_mb(files)} on disk, ~{_mb(estimate)} in memory) into each "
                        f"worker's memory, in the background; it is read from disk until the copy is complete")
    return CopyPlan(version, False, files, estimate,
                    f"reading {version} from disk: its copy would take ~{_mb(estimate)}, more than {_mb(limit)} "
                    f"({reason})")


def memory_available() -> int | None:
    """``MemAvailable`` of /proc/meminfo in bytes; None where there is no such file."""
    try:
        with open("/proc/meminfo") as meminfo:
            for line in meminfo:
                if line.startswith("MemAvailable:"):
                    return int(line.split()[1]) * 1024
    except (OSError, ValueError, IndexError):
        pass
    return None


def _mb(size: int) -> str:
    return f"{size / 1e6:,.0f} MB" if size >= 10_000_000 else f"{size / 1e6:.1f} MB"


def generation_bytes(generation: Path) -> int:
    """Bytes of the files of a generation on disk."""
    return _files_bytes(generation)


def _files_bytes(directory: Path) -> int:
    return sum(entry.stat().st_size for entry in os.scandir(directory) if entry.is_file())


def _fsync_dir(path: Path) -> None:
    fd = os.open(path, os.O_RDONLY)
    try:
        os.fsync(fd)
    finally:
        os.close(fd)
