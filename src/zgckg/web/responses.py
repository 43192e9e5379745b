"""An answer from a worker as an HTTP response: bytes from memory, or a spool file streamed in chunks,
gzip-compressed here when the client accepts it (:mod:`compression`).

The answer is complete before this runs, so the status is already certain. A spool file is unlinked as
soon as it is opened: the open handle keeps its data readable, and nothing is left behind if the client
goes away or the response is never read. Sent as it is, its length is known; compressed, it is chunked:
either way a client that loses the connection midway sees a short body, never one that parses as complete.
"""

from __future__ import annotations

import os
from collections.abc import Callable

from flask import Request, Response, request
from werkzeug.wsgi import wrap_file

from ..kg.engine import Answer, PreparedQuery, Query
from . import accesslog, replay
from .compression import CHUNK_BYTES, accepts_gzip, compressed, gzip_stream, worth_compressing
from .conditional import add_validators, etag_for, is_fresh, not_modified
from .errors import HttpError, not_acceptable
from .formats import by_serializer
from .runtime import runtime


def answer_response(answer: Answer, request: Request) -> Response:
    fmt = by_serializer(answer.kind, answer.format)
    compress = accepts_gzip(request) and worth_compressing(answer)
    if answer.body is not None:
        answer = compressed(answer) if compress else answer
        response = Response(answer.body, content_type=fmt.content_type)
        encoding = answer.encoding
    else:
        spool = open(answer.spool, "rb")
        os.unlink(answer.spool)
        if compress:
            response = Response(gzip_stream(spool), content_type=fmt.content_type, direct_passthrough=True)
            encoding = "gzip"
        else:
            response = Response(wrap_file(request.environ, spool, CHUNK_BYTES), content_type=fmt.content_type,
                                direct_passthrough=True)
            response.content_length = answer.size
            encoding = None
    if encoding:
        response.headers["Content-Encoding"] = encoding
    response.headers["Vary"] = VARY
    return response


VARY = "Accept, Accept-Encoding"


def cached_answer(key: tuple, make: Callable[[], Query], **note) -> Response:
    """The answer to a query that ``key`` identifies in this store version, with validators: 304 when the
    client holds it, from the answer cache when it is there, else asked of the engine (``make()`` gives
    the query) and kept (compressed, for a client that accepts gzip), unless remote endpoints took part
    (their answers may change while the store does not: never kept, no validators). ``note`` goes to the
    access log."""
    rt = runtime()
    version = rt.version()
    compress = accepts_gzip(request)
    cache_key = (*key, compress)
    found = rt.cache.get(version, cache_key)  # only answers without SERVICE are ever kept
    etag, modified = etag_for(version, key), rt.last_modified(version)
    if found is not None and is_fresh(request, etag, modified):
        accesslog.note(cache="revalidated", **note)
        response = not_modified(etag, modified)
        response.headers["Vary"] = VARY
        return response
    accesslog.note(cache="hit" if found else "miss", **note)
    if found is None:
        with rt.limits.running(rt.limits.client_of(request)):  # 429 when the client is over a limit
            query = make()
            prepared = rt.engine.prepare(query)
            _refuse_if_not_acceptable(prepared, query)
            found = rt.engine.query(query, prepared)
        if found.remote:
            accesslog.note(kind=found.kind, format=found.format, rows=found.rows, version=found.version,
                           cache="bypass")
            response = answer_response(found, request)
            response.headers["Cache-Control"] = "no-store"
            return response
        if compress:
            found = compressed(found)
        rt.cache.put(cache_key, found)
    if found.version != version:  # the engine found a newer generation: validators follow the answer
        etag, modified = etag_for(found.version, key), rt.last_modified(found.version)
    logged = dict(kind=found.kind, format=found.format, rows=found.rows, version=found.version)
    accesslog.note(**logged)
    if found.body is not None:
        replay.allow(found.version, **note, **logged)
    return add_validators(answer_response(found, request), etag, modified)


def _refuse_if_not_acceptable(prepared: PreparedQuery, query: Query) -> None:
    """406 before the query runs when the client accepts no format for the kind of result it gives."""
    wanted = query.graph_format if prepared.kind == "graph" else query.solutions_format
    if prepared.kind is not None and wanted is None:
        raise HttpError(406, not_acceptable(prepared.kind))


def no_content(status: int = 204) -> Response:
    """A success without a body (and so without a Content-Type)."""
    response = Response(status=status)
    del response.headers["Content-Type"]
    return response
