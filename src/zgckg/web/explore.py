"""Relationship exploration over HTTP: paths between two resources, neighbourhoods, ready-made views.

    /api/paths?from=IRI&to=IRI[&max_hops=4&limit=5&exclude=IRI…&inferred=true]   JSON (shape below)
    /paths?from=…&to=…                                                         the same as a page
    /api/neighbourhood?iri=IRI[&inferred=true]                                 nodes and edges, JSON
    /api/views/<name>                                                          a ready-made view, JSON
    /explore?iri=IRI, /explore/<view>                                          the graph view (Cytoscape.js)

A resource may be named by its IRI, by a prefixed name (``zg:baidu``) or, on the pages, by a name (the
label search's best match). Every edge carries its property's labels, whether the path walks it forwards,
and its evidence (quote, sentence id, offsets) or its curation note; inferred edges only when asked for.
"""

from __future__ import annotations

import json
import time

from flask import Blueprint, Response, jsonify, request
from markupsafe import Markup

from ..kg.explore.neighbourhood import VIEWS, Subgraph, neighbourhood, view
from ..kg.explore.paths import MAX_HOPS, MAX_LIMIT, Bounds, Step, find_paths
from ..kg.explore.relations import Edge, Why, names
from ..kg.linked.search import label_index
from ..namespaces import PREFIXES, is_absolute_iri
from .errors import HttpError
from .pages import cached, language, render
from .paths import local_path
from .runtime import runtime

bp = Blueprint("explore", __name__)


@bp.route("/api/paths", methods=["GET", "HEAD"])
def api_paths() -> Response:
    source, target = _iri("from"), _iri("to")
    bounds, exclude, inferred = _bounds(), _excluded(), _flag("inferred")

    def answer() -> Response:
        found = find_paths(runtime().engine, source, target, bounds=bounds, exclude=exclude, inferred=inferred)
        labels = _labels(found, bounds)
        return jsonify({"paths": [{"edges": [_step_json(step, labels) for step in path]} for path in found]})

    return cached(("paths", source, target, bounds, exclude, inferred), answer)


@bp.route("/paths", methods=["GET", "HEAD"])
def paths_page() -> Response:
    given = {name: request.args.get(name, "").strip() for name in ("from", "to")}
    if not all(given.values()):
        return render("paths.html", given=given, found=None, examples=EXAMPLES)
    source, target = _iri("from", names=True), _iri("to", names=True)
    bounds, exclude, inferred = _bounds(), _excluded(), _flag("inferred")
    found = find_paths(runtime().engine, source, target, bounds=bounds, exclude=exclude, inferred=inferred)
    labels = _labels(found, bounds, {source, target})
    return render("paths.html", given=given, found=found, source=source, target=target, labels=labels,
                  examples=EXAMPLES, max_hops=bounds.max_hops)


@bp.route("/api/neighbourhood", methods=["GET", "HEAD"])
def api_neighbourhood() -> Response:
    iri, inferred = _iri("iri"), _flag("inferred")
    seconds = runtime().config.timeout
    return cached(("neighbourhood", iri, inferred),
                  lambda: jsonify(_subgraph_json(neighbourhood(runtime().engine, iri, inferred=inferred, seconds=seconds))))


@bp.route("/api/views/<name>", methods=["GET", "HEAD"])
def api_view(name: str) -> Response:
    if name not in VIEWS:
        raise HttpError(404, f"no view {name[:80]!r}; the views are: {', '.join(VIEWS)}")
    seconds = runtime().config.timeout
    return cached(("view", name), lambda: jsonify(_subgraph_json(view(runtime().engine, name, seconds=seconds))))


@bp.route("/explore", methods=["GET", "HEAD"])
def explore_page() -> Response:
    iri = _iri("iri", names=True) if request.args.get("iri") else None
    labels = {}
    if iri:
        labels = {iri: names(runtime().engine, [iri], deadline=time.monotonic() + runtime().config.timeout)[iri].labels}
    return render("explore.html", start=iri, view_name=None, labels=labels, views=VIEWS,
                  config_json=_config_json({"iri": iri}))


@bp.route("/explore/<name>", methods=["GET", "HEAD"])
def explore_view(name: str) -> Response:
    if name not in VIEWS:
        raise HttpError(404, f"no view {name[:80]!r}; the views are: {', '.join(VIEWS)}")
    return render("explore.html", start=None, view_name=name, labels={}, views=VIEWS,
                  config_json=_config_json({"view": name}))


EXAMPLES = (
    ("zg:baidu-deep-learning-lab", "zg:haidian-park"),
    ("zg:tsinghua-university", "zg:haidian-park"),
    ("zg:collaborative-innovation-fund", "zg:capital-universities-institutes"),
    ("zg:beijing-collaborative-innovation-institute", "zg:peking-university"),
)
"""Questions the paths page offers as a first try."""


# --- the JSON shapes ---------------------------------------------------------------------------------


def _labels(paths: list[list[Step]], bounds: Bounds, also: set[str] = frozenset()) -> dict[str, dict[str, str]]:
    """Labels of the resources and properties the paths name (only those: a large store has too many)."""
    iris = set(also) | {i for path in paths for s in path for i in (s.edge.subject, s.edge.predicate, s.edge.object)}
    found = names(runtime().engine, iris, deadline=time.monotonic() + bounds.seconds)
    return {iri: n.labels for iri, n in found.items()}


def _step_json(step: Step, labels: dict) -> dict:
    edge = step.edge
    return {**_edge_json(edge, step.why, labels), "direction": "forward" if step.forward else "backward"}


def _edge_json(edge: Edge, why: Why, labels: dict) -> dict:
    return {
        "subject": edge.subject, "predicate": edge.predicate, "object": edge.object,
        "labels": {"subject": labels.get(edge.subject, {}), "predicate": labels.get(edge.predicate, {}),
                   "object": labels.get(edge.object, {})},
        "evidence": [{"quote": q.quote, "sentence": q.sentence, "start": q.start, "end": q.end,
                      "sentenceText": q.text, "sentenceStart": q.offset} for q in why.evidence],
        "curated": why.curated, "notes": why.notes, "inferred": edge.inferred,
    }


def _subgraph_json(graph: Subgraph) -> dict:
    labels = {n.iri: n.labels for n in graph.nodes}
    labels.update({n.kind: n.kind_labels for n in graph.nodes if n.kind})
    predicates = {e.predicate for e, _ in graph.edges} - labels.keys()
    if predicates:
        found = names(runtime().engine, predicates, deadline=time.monotonic() + runtime().config.timeout)
        labels.update({iri: n.labels for iri, n in found.items()})
    base = runtime().config.iri_base
    return {
        "nodes": [{"iri": n.iri, "path": local_path(n.iri, base), "labels": n.labels, "class": n.kind,
                   "classLabels": n.kind_labels} for n in graph.nodes],
        "edges": [_edge_json(edge, why, labels) for edge, why in graph.edges],
    }


def _config_json(values: dict) -> Markup:
    """Settings for the page's script, as a JSON data block (``<`` escaped so no value can end the block)."""
    text = json.dumps({**values, "lang": language()}, ensure_ascii=False)
    return Markup(text.replace("<", "\\u003c").replace(">", "\\u003e").replace("&", "\\u0026"))


# --- parameters ----------------------------------------------------------------------------------------


def _iri(name: str, *, names: bool = False) -> str:
    """A resource named by a parameter: an absolute IRI, a prefixed name, or (``names``) a label."""
    value = request.args.get(name, "").strip()
    if not value:
        raise HttpError(400, f"give the parameter {name}= (an IRI such as https://w3id.org/zgckg/id/baidu, "
                             "or a prefixed name such as zg:baidu)")
    if len(value) > 2000:
        raise HttpError(400, f"{name}= is {len(value)} characters long; an IRI here has at most 2000")
    value = _expanded(value)
    if is_absolute_iri(value) and not any(c in value for c in '<>"{}|^`\\ '):
        return value
    if names:
        hits = label_index(runtime().engine).search(value, 1)
        if hits:
            return hits[0].iri
        raise HttpError(404, f"nothing in this dataset is named {value!r} ({name}=)")
    raise HttpError(400, f"{name}= must be an absolute IRI or a prefixed name with one of the prefixes "
                         f"{', '.join(PREFIXES)}; {value[:100]!r} is neither")


def _expanded(value: str) -> str:
    """A prefixed name with one of the project's prefixes as its IRI; anything else as it is."""
    prefix, colon, local = value.partition(":")
    return PREFIXES[prefix] + local if colon and prefix in PREFIXES and not local.startswith("//") else value


def _bounds() -> Bounds:
    return Bounds(max_hops=_number("max_hops", 4, 1, MAX_HOPS), limit=_number("limit", 5, 1, MAX_LIMIT),
                  seconds=runtime().config.timeout)


def _number(name: str, default: int, low: int, high: int) -> int:
    raw = request.args.get(name)
    if raw is None or raw == "":
        return default
    if not raw.isdigit() or not low <= int(raw) <= high:
        raise HttpError(400, f"{name} must be a whole number from {low} to {high}, not {raw[:20]!r}")
    return int(raw)


def _excluded() -> frozenset[str]:
    values = request.args.getlist("exclude")
    if len(values) > 50:
        raise HttpError(400, "exclude= may be given at most 50 times")
    found = set()
    for value in values:
        iri = _expanded(value.strip())
        if not is_absolute_iri(iri):
            raise HttpError(400, f"exclude= must be an IRI or a prefixed name; {value[:100]!r} is neither")
        found.add(iri)
    return frozenset(found)


def _flag(name: str) -> bool:
    raw = request.args.get(name, "false").strip().lower()
    if raw not in ("true", "false", "1", "0", "yes", "no", ""):
        raise HttpError(400, f"{name} must be true or false, not {raw[:20]!r}")
    return raw in ("true", "1", "yes")

