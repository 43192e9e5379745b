"""Reading a request body within a size limit, whether the client sent a Content-Length or not.

werkzeug enforces a limit on a streamed (chunked) body only by cutting it at the limit, which would hand
a truncated query to the parser. Here a body over the limit is always a 413 that says what the limit is.
"""

from __future__ import annotations

from flask import Request

from .errors import HttpError

_CHUNK = 64 * 1024


def read_body(request: Request, limit: int, setting: str) -> bytes:
    """The whole body, or a 413 naming ``setting``, the configuration that raises ``limit``."""
    length = request.content_length
    if length is not None:
        if length > limit:
            raise too_large(limit, setting)
        return request.get_data(cache=False)
    if not request.environ.get("wsgi.input_terminated"):
        return b""  # a server that does not end chunked bodies itself: reading could block forever
    stream, parts, size = request.environ["wsgi.input"], [], 0
    while chunk := stream.read(min(_CHUNK, limit + 1 - size)):
        parts.append(chunk)
        size += len(chunk)
        if size > limit:
            raise too_large(limit, setting)
    return b"".join(parts)


def too_large(limit: int, setting: str) -> HttpError:
    return HttpError(413, f"the request body is larger than this server's limit of {limit:,} bytes; "
                          f"send less (the server's operator sets the limit with {setting})")
