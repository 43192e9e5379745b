"""/: what this service is, where to start reading, and where to send queries."""

from __future__ import annotations

from urllib.parse import quote

from flask import Blueprint, Response, request

from ..namespaces import INSTANCES, PREFIXES
from ..kg.explore.neighbourhood import VIEWS
from ..kg.linked.search import label_index
from ..kg.linked.site import holdings
from .pages import render
from .runtime import runtime

bp = Blueprint("home", __name__)

EXAMPLE = "SELECT ?g (COUNT(*) AS ?triples) WHERE { GRAPH ?g { ?s ?p ?o } } GROUP BY ?g"
STARTING_POINTS = ("haidian-park", "baidu-deep-learning-lab", "tsinghua-university", "xiaomi",
                   "collaborative-innovation-fund")
"""Entity pages the home page offers as a first click: the park, a platform, a university, an enterprise, a fund."""


@bp.route("/")
def home() -> Response:
    config = runtime().config
    endpoint = request.host_url.rstrip("/") + "/sparql"
    return render(
        "home.html", config=config, endpoint=endpoint, prefixes=PREFIXES, example=EXAMPLE,
        example_url=endpoint + "?query=" + quote(EXAMPLE),
        starting_points=[INSTANCES + slug for slug in STARTING_POINTS],
        labels=label_index(runtime().engine).labels, holdings=holdings(runtime().engine), views=VIEWS,
    )
