"""/update: the SPARQL 1.1 Protocol update operation, only with the write token.

The update runs in the writer process on a new store generation (a checkpoint of the current one) that
is published only when the whole request succeeded, under the same time limit as queries: an update cut
at its limit leaves the store as it was. SERVICE and LOAD targets are checked like everywhere else; an
allowed LOAD is fetched by this process (with timeouts and a size cap) before the writer, which has no
network, applies the update.
"""

from __future__ import annotations

from flask import Blueprint, Response, request

from . import accesslog
from .protocol import read_update
from .responses import no_content
from .runtime import arrived, runtime
from .security import WRITE_HEADERS, add_cors, preflight, require_write_token

bp = Blueprint("update", __name__)
accesslog.log_requests_of(bp)


@bp.after_request
def _cors(response: Response) -> Response:
    return add_cors(response, runtime().config)


@bp.route("/update", methods=["POST", "OPTIONS"])
def update() -> Response:
    rt = runtime()
    if request.method == "OPTIONS":
        return preflight(rt.config, "POST, OPTIONS", WRITE_HEADERS)
    require_write_token(request, rt.config)
    change = read_update(request, rt.config)
    written = rt.engine.update(change.text, timeout=change.timeout, started=arrived())
    accesslog.note(version=written.version)
    return no_content()
