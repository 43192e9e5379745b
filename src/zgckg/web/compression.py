"""Content-Encoding: gzip for clients that accept it, decided and done here, never by an engine.

An answer in memory is compressed whole (and the compressed copy is what the answer cache keeps, so a
repeated request costs no compression). A spooled answer is compressed as it is streamed, chunk by chunk:
its compressed length is unknown in advance, so it travels chunked, and a client that loses the connection
midway still sees a short body (no final chunk), never one that parses as complete. zlib leaves the GIL
while it deflates, so compressing one large answer does not hold up the requests of others.
"""

from __future__ import annotations

import dataclasses
import zlib
from collections.abc import Iterator
from typing import BinaryIO

from flask import Request

from ..kg.engine import Answer

MIN_BYTES = 512
"""Smaller bodies are sent as they are: gzip's header would eat the gain."""
LEVEL = 3
"""Fast compression: the time it takes is the client's latency."""
CHUNK_BYTES = 64 * 1024


def accepts_gzip(request: Request) -> bool:
    return request.accept_encodings["gzip"] > 0


def worth_compressing(answer: Answer) -> bool:
    return answer.encoding is None and answer.size >= MIN_BYTES


def compressed(answer: Answer) -> Answer:
    """An answer in memory, gzip-compressed (an answer not worth it, or already encoded, as it is)."""
    if answer.body is None or not worth_compressing(answer):
        return answer
    packer = zlib.compressobj(LEVEL, zlib.DEFLATED, 31)  # wbits 31: the gzip container
    body = packer.compress(answer.body) + packer.flush()
    return dataclasses.replace(answer, body=body, size=len(body), encoding="gzip")


def gzip_stream(source: BinaryIO) -> Iterator[bytes]:
    """The bytes of ``source``, gzip-compressed as they are read; ``source`` is closed at the end."""
    packer = zlib.compressobj(LEVEL, zlib.DEFLATED, 31)
    try:
        while chunk := source.read(CHUNK_BYTES):
            if packed := packer.compress(chunk):
                yield packed
        yield packer.flush()
    finally:
        source.close()
