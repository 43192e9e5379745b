"""/robots.txt and /sitemap.xml: crawlers may read every page, not the query and write endpoints, and
find every entity page (each labelled IRI of the URI space) in the sitemap, kept per store version."""

from __future__ import annotations

from xml.sax.saxutils import escape

from flask import Blueprint, Response, request

from ..kg.linked.sitemap import labelled_entities
from .conditional import add_validators, etag_for, is_fresh, not_modified
from .paths import local_path
from .public import per_host, public_url
from .runtime import Runtime, runtime

bp = Blueprint("sitemap", __name__)

XML = "application/xml; charset=utf-8"

PAGES = ("/", "/ontology", "/source", "/dumps/", "/figures", "/paths", "/explore/platforms", "/explore/policies", "/query",
         "/queries")
"""The site's own pages, listed before the entities."""
DISALLOWED = ("/sparql", "/update", "/store")
"""Endpoints, not pages: a crawler following their links would only run queries."""

@bp.route("/robots.txt")
def robots() -> Response:
    lines = ["User-agent: *", "Allow: /", *(f"Disallow: {path}" for path in DISALLOWED),
             f"Sitemap: {public_url('/sitemap.xml')}"]
    return Response("\n".join(lines) + "\n", content_type="text/plain; charset=utf-8")


@bp.route("/sitemap.xml")
def sitemap() -> Response:
    rt = runtime()
    version = rt.version()
    base = public_url("/")
    etag, modified = etag_for(version, ("sitemap", base)), rt.last_modified(version)
    if is_fresh(request, etag, modified):
        return not_modified(etag, modified)
    body = per_host("sitemap", XML, lambda: _sitemap(rt))
    return add_validators(Response(body, content_type=XML), etag, modified)


def _sitemap(rt: Runtime) -> bytes:
    space = rt.config.iri_base + "id/"
    paths = [*PAGES, *(local_path(iri, rt.config.iri_base) for iri in labelled_entities(rt.engine, space))]
    entries = "".join(f"<url><loc>{escape(public_url(path))}</loc></url>\n" for path in paths if path)
    return ('<?xml version="1.0" encoding="UTF-8"?>\n'
            '<urlset xmlns="http://www.sitemaps.org/schemas/sitemap/0.9">\n' + entries + "</urlset>\n").encode()
