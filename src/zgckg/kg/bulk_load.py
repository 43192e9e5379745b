"""Reading an RDF file into a store as fast as the machine allows, saying how far it is.

Oxigraph's bulk loader parses a file on one thread: about 135,000 quads/s on one core of the benchmark
machine. A line-based file (N-Triples, N-Quads) is cut into parts at line ends, one per core, which load
side by side (the loader leaves the GIL), about twice as fast on two cores (docs/benchmarks.md). The loader
gives each document blank nodes of its own, so a cut must never separate two lines that share a blank node
label: the lines from the first ``_:`` of the file to its last stay in one part.

Progress is the bytes the loader has read, said every ``every`` seconds.
"""

from __future__ import annotations

import mmap
import os
import time
from collections.abc import Callable
from concurrent.futures import ThreadPoolExecutor
from dataclasses import dataclass
from pathlib import Path

import pyoxigraph as ox

PART_BYTES = 32 * 2**20
"""Parts are no smaller than this: a smaller file loads in one piece."""
_LINE_BASED = (ox.RdfFormat.N_TRIPLES, ox.RdfFormat.N_QUADS)


@dataclass(frozen=True)
class Part:
    start: int
    end: int


def parts(path: Path, fmt: ox.RdfFormat, workers: int | None = None) -> list[Part]:
    """Where to cut the file: one part, or as many as ``workers`` (default: the cores) for a large
    line-based file, each cut at a line end outside the stretch of lines that name blank nodes."""
    size = path.stat().st_size
    count = min(workers or os.cpu_count() or 1, size // PART_BYTES)
    if fmt not in _LINE_BASED or count <= 1:
        return [Part(0, size)]
    with path.open("rb") as file, mmap.mmap(file.fileno(), 0, access=mmap.ACCESS_READ) as data:
        first, last = data.find(b"_:"), data.rfind(b"_:")
        cuts = []
        for k in range(1, count):
            at = data.find(b"\n", size * k // count) + 1
            if first >= 0 and first <= at <= last:  # inside the blank nodes' stretch: cut after it instead
                at = data.find(b"\n", last) + 1
            if 0 < at < size and (not cuts or at > cuts[-1]):
                cuts.append(at)
    bounds = [0, *cuts, size]
    return [Part(start, end) for start, end in zip(bounds, bounds[1:])]


def first_line(path: Path, part: Part) -> int:
    """The file's line number (from 1) of the part's first line (read when an error needs it)."""
    lines, left = 1, part.start
    with path.open("rb") as file:
        while left and (chunk := file.read(min(left, 2**24))):
            lines += chunk.count(b"\n")
            left -= len(chunk)
    return lines


class _Reading:
    """The bytes of one part, handed to the loader as a binary stream, counted toward the file's progress."""

    def __init__(self, path: Path, part: Part, progress: "_Progress"):
        self.file = path.open("rb")
        self.file.seek(part.start)
        self.left = part.end - part.start
        self.progress = progress

    def read(self, size: int = -1) -> bytes:
        size = self.left if size is None or size < 0 else min(size, self.left)
        data = self.file.read(size)
        self.left -= len(data)
        self.progress.advance(len(data))
        return data

    def readable(self) -> bool:
        return True

    def close(self) -> None:
        self.file.close()


class _Progress:
    def __init__(self, total: int, say: Callable[[int, int, float], None], every: float):
        self.total, self.say, self.every = total, say, every
        self.read = 0
        self.started = self.last = time.monotonic()

    def advance(self, size: int) -> None:
        self.read += size  # called from the loaders' threads, each holding the GIL while it reads
        now = time.monotonic()
        if now - self.last >= self.every:
            self.last = now
            self.say(self.read, self.total, now - self.started)


class PartFailed(Exception):
    """A part did not load: ``error``; a SyntaxError's line counts from the part's first line, ``line``."""

    def __init__(self, error: Exception, line: int):
        super().__init__(str(error))
        self.error, self.line = error, line


def load(store: ox.Store, path: Path, fmt: ox.RdfFormat, *, base_iri: str, graph: ox.NamedNode,
         say: Callable[[int, int, float], None] = lambda read, total, seconds: None, every: float = 5.0,
         workers: int | None = None) -> None:
    """Load ``path`` into ``store``: triples into ``graph``, and a dataset's default-graph quads too (named
    graphs stay named). ``say(bytes read, bytes in all, seconds)`` every ``every`` seconds. A part that
    fails raises :class:`PartFailed` once every part has stopped (the store then holds part of the file:
    the caller publishes nothing)."""
    cut = parts(path, fmt, workers)
    progress = _Progress(path.stat().st_size, say, every)

    def one(part: Part) -> None:
        reading = _Reading(path, part, progress)
        try:
            store.bulk_load(input=reading, format=fmt, base_iri=base_iri, to_graph=graph)
        except (SyntaxError, OSError) as error:
            raise PartFailed(error, first_line(path, part)) from None
        finally:
            reading.close()

    if len(cut) == 1:
        one(cut[0])
        return
    with ThreadPoolExecutor(len(cut), thread_name_prefix="zgckg-load") as pool:
        results = [pool.submit(one, part) for part in cut]
    for result in results:  # the first failure in the file's order
        result.result()
