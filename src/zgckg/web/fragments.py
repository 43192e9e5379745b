"""Pieces of HTML a page repeats hundreds of times, written here rather than as Jinja macros: a macro call,
or ``Markup.format``, costs several times the markup it writes. Every value goes through ``escape``."""

from __future__ import annotations

from markupsafe import Markup, escape

from ..kg.linked.description import Evidence
from ..namespaces import shorten
from .paths import href


def link(iri: str, name: str | None, base: str) -> Markup:
    """A link to ``iri`` (its local path when it is ours), named ``name`` or else its short form."""
    return Markup(f'<a href="{escape(href(iri, base))}">{escape(name or shorten(iri))}</a>')


def evidence(ev: Evidence, lang: str) -> Markup:
    """A quote marked inside its whole sentence, with a link to the sentence's page and the offsets."""
    html = (f'<div class="evidence"><blockquote lang="zh">{escape(ev.before)}<mark>{escape(ev.quote)}</mark>'
            f'{escape(ev.after)}</blockquote>')
    if ev.sentence_id:
        words = "原句" if lang == "zh" else "sentence"
        html += f' <a href="/source/sentence/{escape(ev.sentence_id)}">{words} {escape(ev.sentence_id)}</a>'
    if ev.start is not None:
        html += f' <span class="muted">· {"位置" if lang == "zh" else "offsets"} {ev.start}–{ev.end}</span>'
    return Markup(html + "</div>")
