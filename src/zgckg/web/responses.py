"""An answer from a worker as an HTTP response: bytes from memory, or a spool file streamed in chunks.

The answer is complete before this runs, so the status is already certain. A spool file is unlinked as
soon as it is opened: the open handle keeps its data readable, and nothing is left behind if the client
goes away or the response is never read. Its length is known, so a client that loses the connection
midway sees a short body, never one that parses as complete.
"""

from __future__ import annotations

import os

from flask import Request, Response
from werkzeug.wsgi import wrap_file

from ..kg.engine import Answer
from .formats import by_serializer

CHUNK_BYTES = 64 * 1024


def answer_response(answer: Answer, request: Request) -> Response:
    fmt = by_serializer(answer.kind, answer.format)
    if answer.body is not None:
        response = Response(answer.body, content_type=fmt.content_type)
    else:
        spool = open(answer.spool, "rb")
        os.unlink(answer.spool)
        response = Response(
            wrap_file(request.environ, spool, CHUNK_BYTES), content_type=fmt.content_type, direct_passthrough=True
        )
        response.content_length = answer.size
    if answer.encoding:
        response.headers["Content-Encoding"] = answer.encoding
    response.headers["Vary"] = VARY
    return response


VARY = "Accept, Accept-Encoding"


def accepts_gzip(request: Request) -> bool:
    return request.accept_encodings["gzip"] > 0


def no_content(status: int = 204) -> Response:
    """A success without a body (and so without a Content-Type)."""
    response = Response(status=status)
    del response.headers["Content-Type"]
    return response
