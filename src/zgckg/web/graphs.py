"""/graph/<name>: a named graph's IRI (``<iri_base>graph/<name>``) dereferenced.

A browser gets a page naming the graph, its size and its downloads; an RDF client gets the graph itself,
by ``Accept`` or ``?format=``, streamed from the engine. A name that is not a non-empty graph of the
store is 404, whatever it holds (``..`` included): it is only ever compared with the store's graph IRIs.
"""

from __future__ import annotations

from flask import Blueprint, Response, request

from .conditional import add_validators, etag_for, is_fresh, not_modified
from .description import named_graph_sizes
from .dumps import FORMAT_LABELS, current_dumps
from .errors import HttpError
from .formats import GRAPHS, PAGE, Format, offered
from .negotiation import asked
from .pages import cached, render
from .paths import iri_for
from .responses import answer_response
from .runtime import runtime

bp = Blueprint("graphs", __name__)

"""The page, offered first so that a browser (and a client that accepts anything) gets it."""
OFFERS = (PAGE, *GRAPHS)


@bp.route("/graph/<path:name>")
def graph(name: str) -> Response:
    rt = runtime()
    iri = iri_for("graph/" + name, rt.config.iri_base)
    sizes = dict(named_graph_sizes(rt, rt.version()))
    if iri not in sizes:
        raise HttpError(404, f"there is no graph <{iri}> in the store")
    fmt = asked(request.args.getlist("format"), request.headers.get("Accept"), OFFERS,
                f"none of the offered formats is acceptable; offered: {offered(OFFERS)}; "
                "or use ?format=turtle (or ntriples, rdfxml, jsonld, nquads, trig, n3, html)")
    if fmt is PAGE:
        response = cached(("graph", iri), lambda: _page(iri, name, sizes[iri]))
    else:
        response = _content(iri, fmt)
    response.vary.add("Accept")
    return response


def _page(iri: str, name: str, triples: int) -> Response:
    files = current_dumps().of_graph(iri)
    rdf = [(f.name, f"?format={f.name}") for f in GRAPHS]
    downloads = [{"name": f.name, "url": "/dumps/" + f.name, "format": FORMAT_LABELS.get(f.format, f.format),
                  "bytes": f.bytes} for f in files]
    return render("graph.html", iri=iri, name=name, triples=triples, downloads=downloads, rdf=rdf)


def _content(iri: str, fmt: Format) -> Response:
    rt = runtime()
    version = rt.version()
    etag, modified = etag_for(version, ("graph", iri, fmt.name)), rt.last_modified(version)
    if is_fresh(request, etag, modified):
        return not_modified(etag, modified)
    answer = rt.engine.read_graph(iri, fmt, timeout=rt.config.timeout)
    return add_validators(answer_response(answer, request), etag, modified)
