"""The analyst queries as an API, and a page that lists them.

``GET /api/queries``
    Every query of the configured queries directory (``Config.queries_dir``): name, title and question in
    Chinese and English, parameters (name, default, kind of term) and the URLs that run it.
``GET /api/queries/<name>`` (also ``<name>.json``, ``.csv``, ``.tsv``)
    Runs the query. Each parameter comes from the URL's query string (``?industry=zg:industry/cloud-computing``)
    and is bound by the engine, exactly as ``zgckg query --param`` binds it (``kg.queries.bindings``); a
    parameter not given takes its default. The answer is SPARQL JSON, CSV or TSV: a suffix names the
    format, otherwise ``Accept`` chooses (JSON when it states no preference). ``timeout`` and ``max-rows``
    may lower the server's limits, as on ``/sparql``; answers are cached per store version and carry an
    ETag, as ``/sparql``'s do.
``GET /api/openapi.json``
    The OpenAPI 3.1 description of these and of the other JSON APIs (:mod:`.openapi`).
``GET /queries``
    A page listing the queries, with links to run them and to open them in the SPARQL workbench.

The query files are read once per app, when first needed: they do not change while the server runs.
A file without the header is left out (and logged), so one broken file does not take the others down.
"""

from __future__ import annotations

import hashlib
import json
import logging
from collections.abc import Callable
from pathlib import Path
from typing import Any
from urllib.parse import quote

from flask import Blueprint, Response, current_app, request
from werkzeug.datastructures import MultiDict

from ..kg.engine import Query
from ..kg.queries import AnalystQuery, ParameterError, bindings, load_queries
from . import accesslog
from .errors import HttpError
from .formats import SOLUTIONS, Format, by_name
from .forms import parse_form
from .formats import offered
from .negotiation import best
from .pages import cached, render
from .protocol import lowered
from .responses import cached_answer
from .runtime import arrived, runtime
from .security import add_cors, preflight

log = logging.getLogger(__name__)

bp = Blueprint("api_queries", __name__)
accesslog.log_requests_of(bp)

FORMATS: tuple[Format, ...] = tuple(by_name(SOLUTIONS, name) for name in ("json", "csv", "tsv"))
"""What a query answers in, the default first; a suffix names one (``.csv``). SPARQL XML is left out on
purpose: browsers rank ``application/xml`` above ``*/*``, and they should get JSON."""
SUFFIXES = {f.name: f for f in FORMATS}
LIMITS = ("timeout", "max-rows")
"""URL parameters that are the request's limits, not query parameters (no query may declare these)."""
_EXTENSION_KEY = "zgckg.queries"
_JSON = "application/json"


@bp.after_request
def _cors(response: Response) -> Response:
    if request.path.startswith("/api/"):
        add_cors(response, runtime().config)
    return response


# --- the queries, read once per app ------------------------------------------------------------------

def catalogue() -> dict[str, AnalystQuery]:
    """The app's analyst queries by name, read on first use."""
    held = current_app.extensions.get(_EXTENSION_KEY)
    if held is None:
        directory = runtime().config.queries_dir
        held = current_app.extensions[_EXTENSION_KEY] = load_queries(directory, on_error=_skip) \
            if directory.is_dir() else {}
    return held


def _skip(path: Path, error: Exception) -> None:
    log.error("analyst query %s left out: %s", path.name, error)


def urls(name: str) -> dict[str, str]:
    """Where a query runs: negotiated, and in each format by suffix."""
    base = f"/api/queries/{quote(name)}"
    return {"run": base, **{f.name: f"{base}.{f.name}" for f in FORMATS}}


def workbench_url(query: AnalystQuery) -> str:
    """The SPARQL workbench with the query's text (spaces as %20, which every decoder reads as spaces)."""
    return "/query?query=" + quote(query.text, safe="")


def describe(query: AnalystQuery) -> dict[str, Any]:
    """One query as the listing gives it."""
    return {
        "name": query.name,
        "title": query.titles,
        "question": query.questions,
        "parameters": [{"name": p.name, "default": p.default, "default_iri": p.default_iri, "kind": p.kind}
                       for p in query.parameters],
        "urls": urls(query.name),
    }


# --- /api/queries ------------------------------------------------------------------------------------

@bp.route("/api/queries", methods=["GET", "HEAD"])
def listing() -> Response:
    return static_json(_EXTENSION_KEY + ".listing", lambda: [describe(q) for q in catalogue().values()])


def static_json(key: str, make: Callable[[], Any]) -> Response:
    """A JSON document that only depends on what the app read at start (files, settings): made once per
    app, with a strong ETag of its bytes, so a client can revalidate it."""
    held = current_app.extensions.get(key)
    if held is None:
        body = json.dumps(make(), ensure_ascii=False, indent=1).encode("utf-8") + b"\n"
        held = current_app.extensions[key] = (body, hashlib.blake2b(body, digest_size=12).hexdigest())
    body, etag = held
    response = Response(body, content_type=_JSON)
    response.set_etag(etag)
    response.headers["Cache-Control"] = "no-cache"
    return response.make_conditional(request)


# --- /api/queries/<name> -----------------------------------------------------------------------------

@bp.route("/api/queries/<name>", methods=["GET", "HEAD", "OPTIONS"])
def run(name: str) -> Response:
    rt = runtime()
    if request.method == "OPTIONS":
        return preflight(rt.config, methods="GET, HEAD, OPTIONS")
    query, fmt = _find(name)
    params = parse_form(request.query_string, "the URL's query string")
    bound = _bind(query, params)
    timeout = lowered(params, "timeout", rt.config.timeout, float)
    max_rows = lowered(params, "max-rows", rt.config.max_rows, int)
    if fmt is None:
        fmt = best(request.headers.get("Accept"), FORMATS)
        if fmt is None:
            raise HttpError(406, f"no acceptable result format; offered: {offered(FORMATS)}; "
                                 f"or add a suffix to the path: {', '.join('.' + s for s in SUFFIXES)}")

    key = ("api/queries", query.name, query.text, tuple(sorted(bound.items())), max_rows, fmt.name)
    return cached_answer(key, lambda: Query(query.text, fmt, bindings=bound, timeout=timeout, max_rows=max_rows,
                                            started=arrived()), query=query.name)


def _find(name: str) -> tuple[AnalystQuery, Format | None]:
    """The query a path names, and the format its suffix names (None: negotiate); 404 for no such query."""
    queries = catalogue()
    if name in queries:
        return queries[name], None
    stem, dot, suffix = name.rpartition(".")
    if dot and stem in queries and suffix in SUFFIXES:
        return queries[stem], SUFFIXES[suffix]
    known = ", ".join(queries) or "(none)"
    raise HttpError(404, f"no query named {name[:200]!r}; the queries are: {known} (listed at /api/queries)")


def _bind(query: AnalystQuery, params: MultiDict) -> dict[str, str]:
    """The engine's bindings from the URL's parameters (minus the limits), or a 400 naming the parameter."""
    given: dict[str, str] = {}
    for name in params:
        if name in LIMITS:
            continue
        values = params.getlist(name)
        if len(values) != 1:
            raise HttpError(400, f"parameter {name[:100]}: give it once, not {len(values)} times")
        given[name] = values[0]
    try:
        return bindings(query, given)
    except ParameterError as refused:
        raise HttpError(400, str(refused)) from None


# --- /api/openapi.json -------------------------------------------------------------------------------

@bp.route("/api/openapi.json", methods=["GET", "HEAD"])
def openapi_document() -> Response:
    from .openapi import document

    return static_json(_EXTENSION_KEY + ".openapi", lambda: document(catalogue().values(), runtime().config))


# --- /queries ----------------------------------------------------------------------------------------

@bp.route("/queries", methods=["GET", "HEAD"])
def page() -> Response:
    def make() -> Response:
        listed = [{**describe(q), "workbench": workbench_url(q)} for q in catalogue().values()]
        return render("queries.html", queries=listed)

    return cached(("queries",), make)
