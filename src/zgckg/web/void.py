"""/.well-known/void: the dataset's VoID and DCAT description (RFC 8615 names the path), in the RDF syntax
the client asks for by ``Accept`` or ``?format=``; Turtle when it states no preference.

The description is made by the graph layer (:mod:`zgckg.kg.linked.void`) from the store, with this
server's public URLs and the current downloads (whose sizes and checksums it lists, so it waits for them).
"""

from __future__ import annotations

from flask import Blueprint, Response, request

from ..kg.linked.void import Urls, document
from .conditional import add_validators, etag_for, is_fresh, not_modified
from .dumps import current_dumps
from .formats import GRAPHS, Format, offered
from .negotiation import asked
from .public import per_host, public_url
from .runtime import runtime

bp = Blueprint("void", __name__)

OFFERS: tuple[Format, ...] = tuple(f for f in GRAPHS if f.name != "n3")
"""Turtle first (the default), then N-Triples, RDF/XML, JSON-LD, N-Quads and TriG."""


@bp.route("/.well-known/void")
def void() -> Response:
    rt = runtime()
    fmt = asked(request.args.getlist("format"), request.headers.get("Accept"), OFFERS,
                f"the dataset description is offered as {offered(OFFERS)} "
                "(or ?format=turtle, ntriples, rdfxml, jsonld, nquads, trig)")
    urls = Urls(public_url("/.well-known/void"), public_url("/sparql"), public_url("/dumps/"))
    version = rt.version()
    etag, modified = etag_for(version, ("void", urls, fmt.name)), rt.last_modified(version)
    if is_fresh(request, etag, modified):
        response = not_modified(etag, modified)
    else:
        body = per_host(("void", fmt.name), fmt.content_type, lambda: document(
            rt.engine, current_dumps(), urls, rt.config.iri_base + "id/", fmt))
        response = add_validators(Response(body, content_type=fmt.content_type), etag, modified)
    response.vary.add("Accept")
    return response
