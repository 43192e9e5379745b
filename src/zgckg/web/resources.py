"""Every IRI under ``<iri_base>id/`` dereferences here, at ``/id/<slug>``.

One URL per resource, answered by content negotiation (200 with ``Vary: Accept``, no redirect, so a
client needs one round trip): ``text/html`` gets the page, an RDF media type the resource's description
in that syntax (``kg.linked.rdf_out``). A suffix names the syntax outright and is never negotiated:
``/id/baidu.ttl``, ``.nt``, ``.rdf``, ``.jsonld``, ``.nq``, ``.trig``, ``.n3``, ``.html``. The report's
own IRIs (the document and its sentences) have their pages under ``/source``; asking for them as HTML
redirects there (303), their RDF is answered here like any other resource's. The report's normalised text
(``…/report/haidian-park/text``, the source every evidence record's selectors count in) answers with the text
itself first (``text/plain``, also ``.txt``), so an annotation client that fetches a source gets the words.

An unknown slug is a 404: a page with "did you mean" suggestions for people, a line of text for RDF clients.
"""

from __future__ import annotations

import functools
import json

from flask import Blueprint, Response, redirect, request
from markupsafe import Markup

from ..kg.formats import GRAPHS, Format
from .formats import PAGE
from ..kg.linked.description import describe
from ..kg.linked.rdf_out import CONTEXT, description_rdf, schema_org
from ..kg.linked.search import label_index
from ..kg.linked.select import iri_ref
from ..kg.linked.source_text import normalised_text
from ..namespaces import BASE, REPORT, REPORT_TEXT
from .errors import HttpError
from .formats import offered
from .negotiation import best
from .pages import cached, render
from .paths import iri_for, local_path
from .runtime import runtime

bp = Blueprint("resources", __name__)
_TEXT_SLUG = REPORT_TEXT[len(BASE) + len("id/"):]

OFFERS = (PAGE, *GRAPHS)
SUFFIXES = {f.short: f for f in OFFERS} | {"rdf": next(f for f in GRAPHS if f.serializer == "RDF_XML")}
SUFFIXES.pop("xml")  # .rdf is the RDF/XML suffix; .xml would say nothing about the vocabulary
TEXT = Format("text", "txt", "text", "text/plain; charset=utf-8", "", "", ("text/plain",))
TEXT_OFFERS = (TEXT, *OFFERS)


@bp.route("/id/<path:slug>", methods=["GET", "HEAD"])
def resource(slug: str) -> Response:
    config = runtime().config
    is_text = slug.split(".")[0] == _TEXT_SLUG
    slug, fmt = _split_suffix(slug, {**SUFFIXES, TEXT.short: TEXT} if is_text else SUFFIXES)
    negotiated = fmt is None
    if negotiated:
        offers = TEXT_OFFERS if is_text else OFFERS
        fmt = _negotiated(request.headers.get("Accept"), offers)
        if fmt is None:
            raise HttpError(406, f"this resource is offered as: {offered(offers)}")
    iri = iri_for("id/" + slug, config.iri_base)
    if not _is_slug(slug) or not _valid(iri):
        return _not_found(slug, fmt)
    if fmt is TEXT:
        response = cached(("text",), _text)
    else:
        source_page = _source_page(iri, config.iri_base)
        if fmt is PAGE and source_page:
            return redirect(source_page, 303)
        response = cached(("resource", iri, fmt.name), lambda: _answer(iri, slug, fmt))
    if negotiated:
        response.vary.add("Accept")
    return response


@bp.route("/context.jsonld", methods=["GET", "HEAD"])
def context() -> Response:
    """The JSON-LD context every JSON-LD answer of this server uses (and embeds)."""
    return Response(json.dumps(CONTEXT, ensure_ascii=False, indent=1), content_type="application/ld+json")


def _answer(iri: str, slug: str, fmt: Format) -> Response:
    rt = runtime()
    description = describe(rt.engine, iri, timeout=rt.config.timeout)
    if description is None:
        return _not_found(slug, fmt)
    if fmt is not PAGE:
        return Response(description_rdf(description, fmt), content_type=fmt.content_type)
    path = local_path(iri, rt.config.iri_base)
    alternates = [(f, f"{path}.{_suffix(f)}") for f in GRAPHS]
    data = json.dumps(schema_org(description, request.host_url.rstrip("/") + path), ensure_ascii=False)
    # In a <script> block only "</" could end it early; escaping < and > keeps the JSON the same JSON.
    data = data.replace("<", "\\u003c").replace(">", "\\u003e").replace("&", "\\u0026")
    return render("resource.html", d=description, alternates=alternates, jsonld=Markup(data))


@functools.lru_cache(maxsize=256)  # browsers and clients repeat a few Accept headers
def _negotiated(accept: str | None, offers: tuple[Format, ...]) -> Format | None:
    return best(accept, offers)


def _text() -> Response:
    found = normalised_text(runtime().engine)
    if found is None:
        raise HttpError(404, "this store holds no report text; build it with `zgckg build`")
    return Response(found.text, content_type=TEXT.media_type)


def _not_found(slug: str, fmt: Format) -> Response:
    if fmt is not PAGE:
        return Response(f"no resource {slug!r} in this dataset; search at /search?q=\n", status=404,
                        content_type="text/plain; charset=utf-8")
    hits = label_index(runtime().engine).suggest(slug[-200:])
    return render("not_found.html", status=404, slug=slug, hits=hits)


def _split_suffix(slug: str, suffixes: dict[str, Format]) -> tuple[str, Format | None]:
    stem, dot, suffix = slug.rpartition(".")
    if dot and "/" not in suffix and suffix in suffixes:
        return stem, suffixes[suffix]
    return slug, None


def _suffix(fmt: Format) -> str:
    return next(s for s, f in SUFFIXES.items() if f is fmt)


def _is_slug(slug: str) -> bool:
    return bool(slug) and all(part not in ("", ".", "..") for part in slug.split("/"))


def _valid(iri: str) -> bool:
    try:
        iri_ref(iri)
    except ValueError:
        return False
    return True


def _source_page(iri: str, base: str) -> str | None:
    """Where the report's own IRIs have their pages: the document and its text at /source, a section at its
    first sentence there, a sentence at its own page."""
    report = base + REPORT[len(BASE):]
    if iri in (report, base + REPORT_TEXT[len(BASE):]):
        return "/source"
    rest = iri[len(report) + 1:] if iri.startswith(report + "/") else None
    if rest is not None and rest.startswith("section/"):
        return "/source#" + rest[len("section/"):]  # a section is named after its first sentence
    if rest is not None:
        return "/source/sentence/" + rest
    return None
