"""/update: the SPARQL 1.1 Protocol update operation, only with the write token.

The update runs in the writer process on a new store generation (a checkpoint of the current one) that
is published only when the whole request succeeded, under the same time limit as queries: an update cut
at its limit leaves the store as it was. SERVICE and LOAD targets are checked like everywhere else; an
allowed LOAD is fetched by the writer itself with timeouts and a size cap.
"""

from __future__ import annotations

from flask import Blueprint, Response, g, request

from ..kg.executor import UpdateJob
from . import accesslog
from .protocol import read_update
from .responses import no_content
from .runtime import runtime
from .security import require_write_token

bp = Blueprint("update", __name__)
accesslog.log_requests_of(bp)


@bp.route("/update", methods=["POST"])
def update() -> Response:
    rt = runtime()
    require_write_token(request, rt.config)
    change = read_update(request, rt.config)
    g.sparql_text = change.text
    job = UpdateJob(
        change.text, rt.config.service_allowlist, max_rows=rt.config.max_rows,
        service_connect_timeout=rt.config.service_connect_timeout,
        service_read_timeout=rt.config.service_read_timeout, network=rt.config.service_network,
    )
    written = rt.writer.run(job, change.timeout)
    accesslog.note(version=written.version)
    return no_content()
