"""/healthz: whether the endpoint can answer, for load balancers and monitors.

200 with ``{"status": "ok", "engine": kind, "version": …, "writes": bool}`` when the engine can say which
version of the data it serves; 503 with a plain message when it cannot (no store, or an unreadable one).
Where the store lives is never shown.
"""

from __future__ import annotations

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
    response.headers["Cache-Control"] = "no-store"
    return response
