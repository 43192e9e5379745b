"""/query: the query workbench, a SPARQL editor and result views over this server's ``/sparql``.

The page is the editor (the vendored YASGUI's Yasqe and Yasr), the analyst queries of ``queries/*.rq`` as
examples (titled and asked in the reader's language), and three views of an answer: a table, a bar chart
(Chart.js) and a graph (Cytoscape.js). Everything it loads is served from here: the page works offline and
under the content policy every page carries (``security.PAGE_POLICY``), with no inline script or style.

What the script needs (the shared prefixes, the examples' texts and the defaults of their parameters) is
handed over in a JSON data block, which a browser never executes. A query given as ``/query?query=TEXT``
opens in the editor and runs, so a workbench state can be shared as a link; without script, the editor is a
plain form that posts to ``/sparql``.
"""

from __future__ import annotations

from functools import lru_cache
from pathlib import Path

from flask import Blueprint, Response, request

from ..kg.queries import AnalystQuery, expand, load_queries
from ..namespaces import PREFIXES
from .errors import HttpError
from .pages import cached, language, render
from .runtime import runtime

bp = Blueprint("workbench", __name__)


@bp.route("/query", methods=["GET", "HEAD"])
def workbench() -> Response:
    given = request.args.get("query")
    if given is None:
        return cached(("workbench",), lambda: _page(""))
    limit = runtime().config.max_query_length
    if len(given) > limit:
        raise HttpError(400, f"a query may have at most {limit} characters; this one has {len(given)}")
    return _page(given)  # not kept: every shared query would be a page of its own


def _page(query: str) -> Response:
    examples = examples_in(runtime().config.queries_dir)
    data = {
        "lang": language(),
        "endpoint": "/sparql",
        "iriBase": runtime().config.iri_base,
        "prefixes": PREFIXES,
        "query": query,
        "examples": {q.name: {"text": q.text, "params": _params(q)} for q in examples},
    }
    return render("workbench.html", examples=examples, sparql_text=query, data=data)


def _params(query: AnalystQuery) -> dict[str, str]:
    """Each parameter's default as a full IRI: what the engine binds when a query names none."""
    return {name: expand(value) for name, value in query.params.items() if value}


def examples_in(directory: Path) -> tuple[AnalystQuery, ...]:
    """The analyst queries of a directory, in name order (read once per directory and change of its files)."""
    files = tuple((p.name, p.stat().st_mtime_ns) for p in sorted(directory.glob("*.rq")))
    return _read(directory, files)


@lru_cache(maxsize=4)
def _read(directory: Path, files: tuple[tuple[str, int], ...]) -> tuple[AnalystQuery, ...]:
    return tuple(load_queries(directory).values())
