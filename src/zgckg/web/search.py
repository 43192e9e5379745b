"""Label search: ``/search?q=`` (a page) and ``/api/search?q=`` (JSON, for autocomplete and the
exploration views). Chinese and English, substring and prefix (``kg.linked.search``)."""

from __future__ import annotations

from flask import Blueprint, Response, jsonify, request

from ..kg.linked.search import MAX_QUERY, label_index
from .errors import HttpError
from .pages import finish, language, render
from .paths import local_path
from .runtime import runtime

bp = Blueprint("search", __name__)

DEFAULT_LIMIT, MAX_LIMIT = 20, 100


@bp.route("/api/search", methods=["GET", "HEAD"])
def api() -> Response:
    query = _query()
    limit = _limit()
    rt = runtime()
    lang = language()
    hits = label_index(rt.engine).search(query, limit) if query else []
    results = [{
        "iri": h.iri, "path": local_path(h.iri, rt.config.iri_base), "label": h.label(lang),
        "labels": dict(h.labels), "matched": h.matched, "type": h.kind,
    } for h in hits]
    return finish(jsonify({"query": query, "results": results}))


@bp.route("/search", methods=["GET", "HEAD"])
def page() -> Response:
    query = _query()
    hits = label_index(runtime().engine).search(query, MAX_LIMIT) if query else []
    return render("search.html", query=query, hits=hits)


def _query() -> str:
    query = request.args.get("q", "").strip()
    if len(query) > MAX_QUERY:
        raise HttpError(400, f"a search may have at most {MAX_QUERY} characters; this one has {len(query)}")
    return query


def _limit() -> int:
    raw = request.args.get("limit", str(DEFAULT_LIMIT))
    if not raw.isdigit() or not 1 <= int(raw) <= MAX_LIMIT:
        raise HttpError(400, f"limit must be a whole number from 1 to {MAX_LIMIT}, not {raw[:20]!r}")
    return int(raw)
