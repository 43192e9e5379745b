"""Where a worker writes an answer: memory first, a spool file when large, rows and bytes counted. Workers
never compress: Content-Encoding is the web layer's business.

pyoxigraph's serialisers write to any object with ``write``; :class:`Sink` is that object. Counting rows
from the bytes as they go by lets a result over the row limit stop early, without parsing it; counting the
bytes stops one over the answer byte limit as early.
"""

from __future__ import annotations

import os
from pathlib import Path

import pyoxigraph as ox

from ...errors import AnswerTooLarge, RowLimitExceeded

INLINE_BYTES = 512 * 1024
"""Answers up to this size travel through the pipe; larger ones are written to a spool file."""


class _Patterns:
    """Counts byte patterns in a stream of chunks, also where a pattern straddles two chunks."""

    def __init__(self, *patterns: bytes):
        self.patterns = patterns
        self.counts = [0] * len(patterns)
        self._keep = max(map(len, patterns)) - 1
        self._tail = b""

    def feed(self, chunk: bytes) -> None:
        joined = self._tail + chunk
        for i, pattern in enumerate(self.patterns):
            self.counts[i] += joined.count(pattern) - self._tail.count(pattern)
        self._tail = joined[-self._keep :] if self._keep else b""


class RowCounter:
    """Bounds on the rows written so far, from the serialised bytes, without parsing them.

    TSV escapes newlines and XML escapes ``<``, so a newline or ``<result>`` counts rows exactly. In JSON a
    ``"`` inside a string is always escaped, so ``,{"`` and ``[{"`` start a non-empty row and nothing else;
    rows with no binding (``{}``) are only bounded. CSV quotes values with line breaks, so row ends are
    counted outside quotes.
    """

    def __init__(self, fmt: str):
        self.fmt = fmt
        self.lower = self.upper = 0
        self._patterns = {
            "TSV": _Patterns(b"\n"),
            "XML": _Patterns(b"<result>"),
            "JSON": _Patterns(b',{"', b'[{"', b"{}"),
        }.get(fmt)
        self._in_quotes = False
        self._cr_pending = False
        self._crlf = 0

    def feed(self, chunk: bytes) -> None:
        if self.fmt == "CSV":
            self._feed_csv(chunk)
            self.lower = self.upper = max(0, self._crlf - 1)  # minus the header line
            return
        self._patterns.feed(chunk)
        counts = self._patterns.counts
        if self.fmt == "TSV":
            self.lower = self.upper = max(0, counts[0] - 1)
        elif self.fmt == "XML":
            self.lower = self.upper = counts[0]
        else:
            self.lower = counts[0] + counts[1]
            self.upper = self.lower + counts[2]

    def _feed_csv(self, chunk: bytes) -> None:
        for i, part in enumerate(chunk.split(b'"')):
            if i:
                self._in_quotes = not self._in_quotes
                self._cr_pending = False
            if self._in_quotes or not part:
                continue
            if self._cr_pending and part.startswith(b"\n"):
                self._crlf += 1
            self._crlf += part.count(b"\r\n")
            self._cr_pending = part.endswith(b"\r")


class Sink:
    """A binary writer for pyoxigraph's serialisers: memory first, a spool file past INLINE_BYTES, and a row
    count and the size (``max_bytes`` 0: any) checked against the limits as the bytes go by. Whoever stops
    on a limit calls :meth:`discard`."""

    def __init__(self, spool: str, *, counter: RowCounter | None = None, max_rows: int = 0, max_bytes: int = 0):
        self.spool = spool
        self.counter = counter
        self.max_rows = max_rows
        self.max_bytes = max_bytes
        self.raw_size = 0
        self._chunks: list[bytes] = []
        self._file = None

    def write(self, chunk: bytes) -> int:
        chunk = bytes(chunk)
        if self.max_bytes and self.raw_size + len(chunk) > self.max_bytes:
            raise AnswerTooLarge(self.max_bytes)
        if self.counter is not None:
            self.counter.feed(chunk)
            if self.counter.lower > self.max_rows:
                raise RowLimitExceeded(self.max_rows)
        self.raw_size += len(chunk)
        if self._file is not None:
            self._file.write(chunk)
        else:
            self._chunks.append(chunk)
            if self.raw_size > INLINE_BYTES:
                self._spill()
        return len(chunk)

    def flush(self) -> None:
        pass

    def _spill(self) -> None:
        self._file = open(self.spool, "wb")
        for chunk in self._chunks:
            self._file.write(chunk)
        self._chunks = []

    def finish(self) -> tuple[bytes | None, str | None, int]:
        """(body, spool path, size) of what was written."""
        if self._file is not None:
            self._file.close()
            return None, self.spool, os.path.getsize(self.spool)
        body = b"".join(self._chunks)
        return body, None, len(body)

    def discard(self) -> None:
        if self._file is not None:
            self._file.close()
        Path(self.spool).unlink(missing_ok=True)


def exact_rows(body: bytes | None, spool: str | None, fmt: str) -> int:
    """Count rows by parsing the serialised result back (only needed when the cheap bounds disagree)."""
    opened = open(spool, "rb") if spool else None
    try:
        source = opened if opened is not None else body
        results = ox.parse_query_results(source, getattr(ox.QueryResultsFormat, fmt))
        return sum(1 for _ in results)
    finally:
        if opened is not None:
            opened.close()
