"""/healthz and /readyz: whether the endpoint can answer, for load balancers and monitors.

/healthz: 200 with ``{"status": "ok", "engine": kind, "version": …, "writes": bool}`` when the engine can
say which version of the data it serves; 503 with a plain message when it cannot (no store, or an
unreadable one). /readyz goes one step further: a worker answers a trivial query on the current version
within a few seconds (200 ``{"status": "ready", …}``), or 503. Where the store lives is never shown.
"""

from __future__ import annotations

import time

from flask import Blueprint, Response, jsonify

from ..errors import ZgckgError
from .runtime import runtime

bp = Blueprint("health", __name__)


@bp.route("/healthz", methods=["GET"])
def healthz() -> Response:
    rt = runtime()
    try:
        info = rt.engine.describe()
    except (ZgckgError, OSError):
        response = Response("unavailable: the engine cannot say which data it serves\n", 503,
                            content_type="text/plain; charset=utf-8")
    else:
        response = jsonify(status="ok", engine=info.kind, version=info.version, writes=bool(rt.config.write_token))
    return _uncached(response)


READY_WITHIN = 5.0
"""Seconds a worker has to answer the readiness query."""


@bp.route("/readyz", methods=["GET"])
def readyz() -> Response:
    rt = runtime()
    started = time.monotonic()
    try:
        version = rt.engine.ready(timeout=READY_WITHIN)
    except (ZgckgError, OSError) as exc:
        response = Response(f"not ready: {type(exc).__name__}, no answer to a trivial query\n", 503,
                            content_type="text/plain; charset=utf-8")
        response.headers["Retry-After"] = "1"
    else:
        response = jsonify(status="ready", version=version,
                           seconds=round(time.monotonic() - started, 4))
    return _uncached(response)


def _uncached(response: Response) -> Response:
    response.headers["Cache-Control"] = "no-store"
    return response
