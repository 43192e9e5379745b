"""/sparql: the SPARQL 1.1 Protocol query operation, and the service description when there is no query.

A query never runs in the web process: it goes to a reader worker (see ``zgckg.kg.executor``), which
returns the complete answer or a domain error, so the status is known before the body is sent. Identical
requests on an unchanged store come from the answer cache; a client revalidating with If-None-Match or
If-Modified-Since gets a 304 without any query running.
"""

from __future__ import annotations

from flask import Blueprint, Response, request

from ..kg.engine import Query
from . import accesslog, description
from .conditional import add_validators, etag_for, is_fresh, not_modified
from .errors import HttpError
from .formats import GRAPHS, SOLUTIONS
from .formats import offered
from .negotiation import best, choose
from .protocol import QueryRequest, read_query
from .public import public_url
from .responses import VARY, cached_answer
from .runtime import Runtime, arrived, runtime
from .security import add_cors, preflight

bp = Blueprint("sparql", __name__)
accesslog.log_requests_of(bp)


@bp.after_request
def _cors(response: Response) -> Response:
    return add_cors(response, runtime().config)


@bp.route("/sparql", methods=["GET", "POST", "OPTIONS"])
def sparql() -> Response:
    rt = runtime()
    if request.method == "OPTIONS":
        return preflight(rt.config)
    query = read_query(request, rt.config)
    if query is None:
        return service_description(rt)
    return answer(rt, query)


def answer(rt: Runtime, query: QueryRequest) -> Response:
    choice = choose(request.headers.get("Accept"), query.format_values)
    if not choice.acceptable:
        raise HttpError(406, f"no acceptable result format; offered for SELECT/ASK: {offered(SOLUTIONS)}; "
                             f"for CONSTRUCT/DESCRIBE: {offered(GRAPHS)}; or use the format parameter")
    key = (
        query.text, query.default_graphs, query.named_graphs, query.max_rows,
        choice.solutions.name if choice.solutions else None, choice.graph.name if choice.graph else None,
    )
    return cached_answer(key, lambda: Query(
        query.text, choice.solutions, choice.graph, query.default_graphs, query.named_graphs,
        timeout=query.timeout, max_rows=query.max_rows, started=arrived(),
    ))


def service_description(rt: Runtime) -> Response:
    fmt = best(request.headers.get("Accept"), GRAPHS) or GRAPHS[0]  # a browser asking for HTML gets Turtle
    version = rt.version()
    endpoint = public_url("/sparql")
    update = public_url("/update") if rt.config.write_token else None
    etag, modified = etag_for(version, ("sd", endpoint, update, fmt.name)), rt.last_modified(version)
    if is_fresh(request, etag, modified):
        return _vary(not_modified(etag, modified))
    body = description.serialize(
        description.description(
            endpoint, update, rt.config.union_default_graph, bool(rt.config.service_allowlist),
            description.named_graph_sizes(rt, version),
        ),
        fmt,
    )
    accesslog.note(kind="service-description", format=fmt.serializer)
    response = Response(body, content_type=fmt.content_type)
    return _vary(add_validators(response, etag, modified))


def _vary(response: Response) -> Response:
    response.headers["Vary"] = VARY
    return response
