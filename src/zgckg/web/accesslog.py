"""One structured log line per request: what was asked, how it ended, how long it took.

The view fills ``g.access`` as it learns things (result kind, rows, cache hit); the line is written when
the response is ready, so every outcome, errors included, is logged exactly once.
"""

from __future__ import annotations

import json
import logging
import time

from flask import Blueprint, Response, g, request

log = logging.getLogger("zgckg.web.access")


def log_requests_of(bp: Blueprint) -> None:
    """One access-log line for every request the blueprint handles."""
    bp.before_request(start)
    bp.after_request(finish)


def start() -> None:
    g.access_started = time.perf_counter()
    g.access = {}


def note(**fields) -> None:
    g.setdefault("access", {}).update(fields)


def finish(response: Response) -> Response:
    started = g.get("access_started")
    if started is None:
        return response
    line = {
        "event": request.endpoint or "unknown",
        "method": request.method,
        "path": request.path,
        "status": response.status_code,
        "ms": round((time.perf_counter() - started) * 1000, 2),
        "bytes": response.content_length,
        "client": request.remote_addr,
        **g.get("access", {}),
    }
    if "error" in g:
        line["error"] = g.error
    log.info(json.dumps(line, ensure_ascii=False, default=str))
    return response
