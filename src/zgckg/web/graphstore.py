"""/store: the SPARQL 1.1 Graph Store HTTP Protocol, only with the write token.

``?graph=IRI`` names a graph, ``?default`` the default graph. GET/HEAD read it (negotiated like CONSTRUCT
results), PUT replaces it, POST merges into it, DELETE removes it; the body's Content-Type says its
syntax. Writes go through the writer process like /update: all or nothing, under the time limit.
PUT and POST answer 201 when they created the graph, else 204; a missing graph is 404.
"""

from __future__ import annotations

from flask import Blueprint, Response, request

from ..kg.engine import GraphWrite
from ..namespaces import is_absolute_iri
from . import accesslog
from .bodies import read_body
from .errors import HttpError
from .formats import GRAPHS, Format
from .formats import offered
from .negotiation import best
from .responses import answer_response, no_content
from .runtime import runtime
from .security import WRITE_HEADERS, add_cors, preflight, require_write_token

bp = Blueprint("graphstore", __name__)
accesslog.log_requests_of(bp)


@bp.after_request
def _cors(response: Response) -> Response:
    return add_cors(response, runtime().config)


@bp.route("/store", methods=["GET", "PUT", "POST", "DELETE", "OPTIONS"])
def graph_store() -> Response:
    rt = runtime()
    if request.method == "OPTIONS":
        return preflight(rt.config, "GET, HEAD, PUT, POST, DELETE, OPTIONS", WRITE_HEADERS)
    require_write_token(request, rt.config)
    graph = target_graph()
    accesslog.note(graph=graph or "default")
    if request.method in ("GET", "HEAD"):
        fmt = best(request.headers.get("Accept"), GRAPHS)
        if fmt is None:
            raise HttpError(406, f"no acceptable RDF format; offered: {offered(GRAPHS)}")
        answer = rt.engine.read_graph(graph, fmt, timeout=rt.config.timeout)
        return answer_response(answer, request)
    if request.method == "DELETE":
        rt.engine.write_graph(GraphWrite("DELETE", graph), timeout=rt.config.timeout)
        return no_content()
    request.max_content_length = rt.config.max_upload_bytes
    fmt = body_format()
    data = read_body(request, rt.config.max_upload_bytes, "ZGCKG_MAX_UPLOAD_BYTES")
    written = rt.engine.write_graph(GraphWrite(request.method, graph, data, fmt), timeout=rt.config.timeout)
    return no_content(201 if written.created else 204)


def target_graph() -> str | None:
    """The graph IRI of ``?graph=``, or None for ``?default``; exactly one of the two."""
    has_default, graphs = "default" in request.args, request.args.getlist("graph")
    if has_default == bool(graphs) or len(graphs) > 1:
        raise HttpError(400, "name exactly one graph: ?graph=IRI or ?default")
    if has_default:
        return None
    if not is_absolute_iri(graphs[0]):
        raise HttpError(400, f"not an absolute IRI: {graphs[0]!r}")
    return graphs[0]


def body_format() -> Format:
    found = next((f for f in GRAPHS if request.mimetype in f.media_types), None)
    if found is None:
        raise HttpError(415, f"unsupported Content-Type {request.mimetype or '(none)'!r}; send one of: {offered(GRAPHS)}")
    return found
