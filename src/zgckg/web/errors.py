"""Every error response, in one place: domain exception → status and one body shape.

The body is plain text (the message, then a newline) unless the client prefers JSON, then
``{"status": …, "error": …, "message": …}`` plus any fields the error carries (line, column, limit…).
Nothing internal is ever sent: an unexpected exception is logged with its traceback by Flask and the
client gets a bare 500; so is a domain error :data:`STATUS` has no entry for. The server's own faults
(:class:`EngineFailed`, :class:`StoreError`) are logged with what the engine said, and the client learns
only that the server failed and that it was logged.
"""

from __future__ import annotations

import json
import logging
from dataclasses import dataclass, field
from typing import Any

from flask import Flask, Response, g, request
from werkzeug.exceptions import HTTPException, InternalServerError

from ..errors import (
    AnswerTooLarge, BuiltGraphChanged, DataError, DatasetConflict, EngineFailed, ExplorationTooBroad, ForbiddenOperation,
    GraphNotFound, NotAcceptable, NotSupportedByEngine, QueryFailed, QueryOutOfMemory, QuerySyntaxError, QueryTimeout,
    QueryTooComplex, RemoteFailed, ResourceNotFound, RowLimitExceeded, StoreError, UpdateFailed, WorkerCrashed,
    WorkerLost, WorkersBusy, ZgckgError,
)
from .formats import RESULT_KINDS, offered

log = logging.getLogger(__name__)


@dataclass
class HttpError(Exception):
    """An error the web layer itself finds (a bad parameter, a missing token…), with its status.

    Not a :class:`ZgckgError`: it belongs to the web layer, so nothing outside it (the command line's
    error reporter, a worker) can mistake it for a domain error.
    """

    status: int
    message: str
    headers: dict[str, str] = field(default_factory=dict)

    def __str__(self) -> str:
        return self.message


STATUS: dict[type[ZgckgError], int] = {
    QuerySyntaxError: 400,
    QueryTooComplex: 400,
    BuiltGraphChanged: 409,  # well-formed, but the graph belongs to the build  # names the limit and the setting that raises it
    DataError: 400,
    DatasetConflict: 400,  # the protocol's dataset and a USING/WITH clause together
    RowLimitExceeded: 400,  # documented: over the row cap the request fails, nothing is truncated
    AnswerTooLarge: 400,  # likewise over the answer byte cap: refused whole, never cut short
    QueryOutOfMemory: 400,  # the query's own demand, over the worker's memory cap; names the setting
    QueryFailed: 400,  # the query's own doing (a remote that failed, an argument refused); no engine text
    ForbiddenOperation: 403,
    GraphNotFound: 404,
    ResourceNotFound: 404,
    ExplorationTooBroad: 400,  # names the limit and how to narrow the question
    NotAcceptable: 406,
    UpdateFailed: 409,  # well-formed, but not applicable to the store as it is; nothing changed
    RemoteFailed: 502,  # an allowed SERVICE or LOAD whose server failed (when not already a Query/UpdateFailed)
    QueryTimeout: 503,
    WorkersBusy: 503,
    WorkerLost: 503,
    StoreError: 503,  # missing, locked or unreadable store: the server's state, worth a retry
    EngineFailed: 500,  # 503 when the store could not be read: see _status
    NotSupportedByEngine: 501,
}
"""The one table from domain error to status; a class matches its nearest listed ancestor. A domain
error with no entry is a 500, logged as a bug."""


def register(app: Flask) -> None:
    app.register_error_handler(ZgckgError, _domain_error)
    app.register_error_handler(HttpError, _web_error)
    app.register_error_handler(WorkerCrashed, _worker_crash)
    app.register_error_handler(HTTPException, _http_error)


def error_response(status: int, message: str, extra: dict[str, Any] | None = None,
                   headers: dict[str, str] | None = None) -> Response:
    extra = extra or {}
    if _wants_json():
        body = json.dumps({"status": status, "error": _reason(status), "message": message, **extra}, ensure_ascii=False)
        response = Response(body + "\n", status, content_type="application/json")
    else:
        response = Response(message.rstrip("\n") + "\n", status, content_type="text/plain; charset=utf-8")
    response.headers.update(headers or {})
    g.error = extra.get("error_type") or _reason(status)
    return response


def _web_error(error: HttpError) -> Response:
    return error_response(error.status, error.message, headers=error.headers)


def _domain_error(error: ZgckgError) -> Response:
    status = _status(error)
    if status is None:
        log.error("a domain error with no status (add it to web.errors.STATUS): %r", error)
        return error_response(500, "internal error")
    if isinstance(error, (EngineFailed, StoreError)):
        return _server_fault(error, status)
    message, extra = _describe(error)
    headers = {"Retry-After": "1"} if isinstance(error, WorkersBusy) else {}
    return error_response(status, message, {"error_type": type(error).__name__, **extra}, headers)


def _status(error: ZgckgError) -> int | None:
    """The status of the nearest class in ``error``'s ancestry that STATUS lists, None if none is."""
    for cls in type(error).__mro__:
        if cls in STATUS:
            if cls is EngineFailed and error.unavailable:
                return 503
            return STATUS[cls]
    return None


def _server_fault(error: EngineFailed | StoreError, status: int) -> Response:
    """The server's own failure: everything the engine said goes to the log, none of it to the client
    (it may name files or quote data)."""
    if isinstance(error, EngineFailed):
        log.error("the engine failed during a %s (%s):\n%s", error.operation, status, error.detail)
        what = "the store could not be read" if error.unavailable else "the server failed"
        message = f"{what} while running the {error.operation}; the cause is in the server's log"
    else:
        log.error("the store is not available: %s", error)
        # a StoreError's message says what is wrong before its first colon; after it, the engine's words
        message = f"the store is not available: {error.message.split(':', 1)[0]}; the cause is in the server's log"
    if status == 503:
        message += "; try again shortly"
    return error_response(status, message, {"error_type": type(error).__name__})


def not_acceptable(kind: str) -> str:
    """Why a query whose result is of ``kind`` (solutions, boolean, graph) gets a 406, and what would do."""
    return (f"none of the formats a {kind} result can be sent in is acceptable "
            f"(Accept: {request.headers.get('Accept', '')!r}); offered: {offered(RESULT_KINDS[kind])}; "
            "or use the format parameter")


def _describe(error: ZgckgError) -> tuple[str, dict[str, Any]]:
    if isinstance(error, QuerySyntaxError):
        return syntax_message(error, error.text), {"line": error.line, "column": error.column}
    if isinstance(error, NotAcceptable):
        return not_acceptable(error.kind), {}
    if isinstance(error, RowLimitExceeded):
        return str(error), {"limit": error.limit}
    if isinstance(error, (AnswerTooLarge, QueryOutOfMemory)):
        return str(error), {"limit_bytes": error.limit_bytes}
    if isinstance(error, QueryTimeout):
        return str(error), {"limit_seconds": error.limit_seconds}
    return str(error), {}


def syntax_message(error: QuerySyntaxError, text: str | None) -> str:
    """The parser's message with its position, and the offending line with a caret under the column."""
    if error.line is None:
        return f"SPARQL syntax error: {error.message}"
    detail = error.message.split(": ", 1)[-1] if error.message.startswith("error at") else error.message
    message = f"SPARQL syntax error at line {error.line}, column {error.column}: {detail}"
    lines = (text or "").splitlines()
    if 1 <= error.line <= len(lines) and error.column is not None:
        shown, caret = _around(lines[error.line - 1], max(0, error.column - 1))
        message += f"\n\n{shown}\n{' ' * caret}^"
    return message


def _around(line: str, at: int, width: int = 60) -> tuple[str, int]:
    """At most ``width`` characters each side of ``at``, so a huge one-line query is not echoed whole."""
    start = max(0, at - width)
    shown = line[start : at + width]
    prefix = "…" if start else ""
    return prefix + shown + ("…" if at + width < len(line) else ""), len(prefix) + at - start


def _worker_crash(error: WorkerCrashed) -> Response:
    log.error("a worker failed while running a request:\n%s", error)
    return error_response(500, "internal error")


def _http_error(error: HTTPException) -> Response:
    if isinstance(error, InternalServerError):
        return error_response(500, "internal error")
    message = error.description or error.name
    response = error_response(error.code or 500, message)
    if error.code == 405 and error.valid_methods:
        response.headers["Allow"] = ", ".join(error.valid_methods)
    return response


def _wants_json() -> bool:
    """JSON only when the client ranks it above plain text (``*/*`` ranks them equal: plain text)."""
    accept = request.accept_mimetypes
    return accept.provided and accept.quality("application/json") > accept.quality("text/plain")


def _reason(status: int) -> str:
    from http import HTTPStatus

    try:
        return HTTPStatus(status).phrase
    except ValueError:
        return "Error"
