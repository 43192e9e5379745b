"""/source: the report the graph encodes. /source shows its text paragraph by paragraph, each sentence
linked to its page; /source/raw serves the original file byte for byte; /source/sentence/<id> shows one
sentence and every fact drawn from it, the quote marked inside the sentence."""

from __future__ import annotations

from flask import Blueprint, Response, request

from ..kg.linked.source_text import normalised_text, raw_file, sentence_page, source_text
from .errors import HttpError
from .pages import cached, render
from .runtime import runtime

bp = Blueprint("source", __name__)

_SHOWN_ID = 80
"""At most this many characters of an unknown id are repeated on the 404 page."""


@bp.route("/source")
def source() -> Response:
    def make() -> Response:
        rt = runtime()
        return render("source.html", text=source_text(rt.engine), raw=raw_file(rt.config.source_file),
                      normalised=normalised_text(rt.engine))

    return cached(("source",), make)


@bp.route("/source/raw")
def raw() -> Response:
    found = raw_file(runtime().config.source_file)
    if found is None:
        raise HttpError(404, "the report file is not on this server")
    response = Response(found.data, content_type="text/plain; charset=utf-8")
    response.set_etag(found.sha256)
    return response.make_conditional(request)


@bp.route("/source/sentence/<path:sentence_id>")
def sentence(sentence_id: str) -> Response:
    engine = runtime().engine
    if sentence_page(engine, sentence_id) is None:
        # not cached: the key would be whatever a client sent
        return render("sentence.html", page=None, asked=sentence_id[:_SHOWN_ID], status=404)
    return cached(("sentence", sentence_id), lambda: render("sentence.html", page=sentence_page(engine, sentence_id)))
