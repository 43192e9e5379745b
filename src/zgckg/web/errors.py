"""Every error response, in one place: domain exception → status and one body shape.

The body is plain text (the message, then a newline) unless the client prefers JSON, then
``{"status": …, "error": …, "message": …}`` plus any fields the error carries (line, column, limit…).
Nothing internal is ever sent: an unexpected exception is logged with its traceback by Flask and the
client gets a bare 500.
"""

from __future__ import annotations

import json
import logging
from dataclasses import dataclass, field
from typing import Any

from flask import Flask, Response, g, request
from werkzeug.exceptions import HTTPException, InternalServerError

from ..errors import (
    DataError, ForbiddenOperation, QuerySyntaxError, QueryTimeout, QueryTooComplex, StoreError, ZgckgError,
)
from ..kg.executor import (
    GraphNotFound, NotAcceptable, QueryFailed, RowLimitExceeded, UpdateFailed, WorkerCrashed, WorkerLost,
    WorkersBusy,
)
from .formats import RESULT_KINDS
from .negotiation import offered

log = logging.getLogger(__name__)


@dataclass
class HttpError(ZgckgError):
    """An error the web layer itself finds (a bad parameter, a missing token…)."""

    status: int
    message: str
    headers: dict[str, str] = field(default_factory=dict)

    def __str__(self) -> str:
        return self.message


STATUS: dict[type, int] = {
    QuerySyntaxError: 400,
    QueryTooComplex: 400,  # names the limit and the setting that raises it
    DataError: 400,
    RowLimitExceeded: 400,  # documented: over the row cap the request fails, nothing is truncated
    QueryFailed: 400,
    ForbiddenOperation: 403,
    GraphNotFound: 404,
    NotAcceptable: 406,
    UpdateFailed: 409,  # well-formed, but not applicable to the store as it is; nothing changed
    QueryTimeout: 503,
    WorkersBusy: 503,
    WorkerLost: 503,
    StoreError: 503,
}


def register(app: Flask) -> None:
    app.register_error_handler(ZgckgError, _domain_error)
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


def _domain_error(error: ZgckgError) -> Response:
    if isinstance(error, HttpError):
        return error_response(error.status, error.message, headers=error.headers)
    status = next((s for cls, s in STATUS.items() if isinstance(error, cls)), 500)
    if status == 500:
        log.error("unmapped domain error: %r", error)
        return error_response(500, "internal error")
    message, extra = _describe(error)
    headers = {"Retry-After": "1"} if isinstance(error, WorkersBusy) else {}
    return error_response(status, message, {"error_type": type(error).__name__, **extra}, headers)


def _describe(error: ZgckgError) -> tuple[str, dict[str, Any]]:
    if isinstance(error, QuerySyntaxError):
        return syntax_message(error, getattr(g, "sparql_text", None)), {"line": error.line, "column": error.column}
    if isinstance(error, NotAcceptable):
        return (
            f"none of the formats a {error.kind} result can be sent in is acceptable "
            f"(Accept: {request.headers.get('Accept', '')!r}); offered: {offered(RESULT_KINDS[error.kind])}; "
            "or use the format parameter",
            {},
        )
    if isinstance(error, RowLimitExceeded):
        return str(error), {"limit": error.limit}
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
