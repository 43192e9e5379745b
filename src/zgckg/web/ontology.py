"""/ontology: the ontology document. A browser gets its documentation (one section per term, its id the
term's local name, so ``…/ontology#Enterprise`` lands there); an RDF client gets the ontology graph, by
``Accept`` at /ontology or by suffix (/ontology.ttl, .rdf, .jsonld, .nt)."""

from __future__ import annotations

from flask import Blueprint, Response, request

from ..kg.linked.ontology_doc import ontology_doc
from ..namespaces import GRAPH_ONTOLOGY
from .errors import HttpError
from .formats import GRAPHS, PAGE, Format, by_name
from .negotiation import best
from .pages import cached, render
from .responses import answer_response
from .runtime import runtime

bp = Blueprint("ontology", __name__)

SUFFIXES = {"ttl": "turtle", "rdf": "rdfxml", "jsonld": "jsonld", "nt": "ntriples"}
"""/ontology.<suffix> → the format it serves."""

RDF_FORMATS: tuple[Format, ...] = tuple(by_name(GRAPHS, name) for name in
                                        ("turtle", "rdfxml", "jsonld", "ntriples", "trig", "nquads"))
OFFERS = (PAGE, *RDF_FORMATS)
"""The documentation page first: a client that states no preference (or ``*/*``) is a reader."""

KIND_TITLES = {
    "class": {"zh": "类", "en": "Classes"},
    "object": {"zh": "对象属性", "en": "Object properties"},
    "datatype": {"zh": "数据属性", "en": "Datatype properties"},
    "annotation": {"zh": "注释属性", "en": "Annotation properties"},
    "individual": {"zh": "个体", "en": "Individuals"},
}


@bp.route("/ontology")
def ontology() -> Response:
    chosen = best(request.headers.get("Accept"), OFFERS)
    if chosen is None:
        raise HttpError(406, "none of the formats /ontology is offered in is acceptable; offered: "
                             + ", ".join(f.media_type for f in OFFERS))
    response = _page() if chosen is PAGE else _graph(chosen)
    response.vary.add("Accept")
    return response


@bp.route("/ontology.<suffix>")
def ontology_file(suffix: str) -> Response:
    name = SUFFIXES.get(suffix)
    if name is None:
        raise HttpError(404, f"no such file; the ontology is offered as /ontology.{', /ontology.'.join(SUFFIXES)}")
    return _graph(by_name(GRAPHS, name))


def _page() -> Response:
    def make() -> Response:
        doc = ontology_doc(runtime().engine)
        return render("ontology.html", doc=doc, kinds=[(k, t, doc.of_kind(k)) for k, t in KIND_TITLES.items()],
                      alternates=[(f"/ontology.{s}", by_name(GRAPHS, n)) for s, n in SUFFIXES.items()])

    return cached(("ontology", PAGE.name), make)


def _graph(fmt: Format) -> Response:
    def make() -> Response:
        rt = runtime()
        # never gzipped here: the page cache keeps the body without its Content-Encoding
        return answer_response(rt.engine.read_graph(GRAPH_ONTOLOGY, fmt, timeout=rt.config.timeout), request)

    return cached(("ontology", fmt.name), make)
