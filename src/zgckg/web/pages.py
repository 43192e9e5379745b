"""Server-rendered pages: the shared layout, the reader's language, and per-version caching.

Pages are Jinja2 templates (``web/templates``) with autoescaping on, and no inline script: the
Content-Security-Policy every HTML response carries forbids it (``security.PAGE_POLICY``). Every page is
cached by store version: its ETag comes from the version, the path and the language, so a revalidation
costs nothing and an unchanged page is rendered once per version.

The language (zh or en) comes from ``?lang=``, which is then remembered in a cookie, else from that
cookie, else Chinese: the report's language. It works without JavaScript: the switch is two links.
"""

from __future__ import annotations

from collections.abc import Callable, Hashable
from typing import Any
from urllib.parse import urlencode

from flask import Response, render_template, request

from ..kg.engine import Answer
from ..kg.linked.site import site_facts
from .conditional import add_validators, etag_for, is_fresh, not_modified
from ..namespaces import shorten
from . import fragments
from .paths import href
from .runtime import runtime

LANGUAGES = ("zh", "en")
COOKIE = "lang"
HTML = "text/html; charset=utf-8"
_YEAR = 365 * 24 * 3600


def language() -> str:
    asked = request.args.get("lang")
    if asked in LANGUAGES:
        return asked
    remembered = request.cookies.get(COOKIE)
    return remembered if remembered in LANGUAGES else LANGUAGES[0]


def pick(texts: dict[str, str] | None, lang: str | None = None) -> str:
    """The text in the reader's language, else in the other one, else any."""
    if not texts:
        return ""
    lang = lang or language()
    for tag in (lang, *LANGUAGES, ""):
        if tag in texts:
            return texts[tag]
    return next(iter(texts.values()))


def render(template: str, *, status: int = 200, **context: Any) -> Response:
    rt = runtime()
    lang = language()
    base = rt.config.iri_base

    page = render_template(
        template, lang=lang, site=site_facts(rt.engine), pick=lambda texts: pick(texts, lang),
        href=lambda iri: href(iri, base), curie=shorten, path=request.path, lang_url=_lang_url,
        link=lambda iri, labels=None: fragments.link(iri, pick(labels, lang), base),
        evidence=lambda ev: fragments.evidence(ev, lang), **context,
    )
    return finish(Response(page, status=status, content_type=HTML))


def _lang_url(lang: str) -> str:
    """This page in another language: the same path and parameters, ``lang`` replaced."""
    args = request.args.to_dict(flat=False)
    args["lang"] = [lang]
    return request.path + "?" + urlencode(args, doseq=True)


def finish(response: Response) -> Response:
    """Remember a language asked for with ``?lang=``, and say that pages differ by it."""
    asked = request.args.get("lang")
    if asked in LANGUAGES:
        response.set_cookie(COOKIE, asked, max_age=_YEAR, samesite="Lax", httponly=True)
    response.vary.add("Cookie")
    return response


def cached(key: Hashable, make: Callable[[], Response]) -> Response:
    """The response ``make`` gives for ``key`` in this store version and language: 304 when the client
    holds it, from memory when made before, else made now (and kept when it is small and a 200)."""
    rt = runtime()
    version = rt.version()
    lang = language()
    full_key = ("page", key, lang)
    etag = etag_for(version, full_key)
    modified = rt.last_modified(version)
    if is_fresh(request, etag, modified):
        return finish(not_modified(etag, modified))
    held = rt.cache.get(version, full_key)
    if held is not None:
        response = Response(held.body, content_type=held.format)
    else:
        response = make()
        if response.status_code == 200 and not response.direct_passthrough:
            body = response.get_data()
            rt.cache.put(full_key, Answer("page", response.content_type, body, None, len(body), None, None, version))
    if response.status_code == 200:
        add_validators(response, etag, modified)
    return finish(response)
