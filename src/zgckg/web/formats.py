"""The result formats the endpoint speaks: the graph layer's table (:mod:`zgckg.kg.formats`), by family.

What a client may ask for depends on the query form: SELECT and ASK answer with SPARQL results documents
(``SOLUTIONS``), CONSTRUCT and DESCRIBE with RDF (``GRAPHS``). The first format of each family is the
default when the client states no preference.
"""

from __future__ import annotations

from collections.abc import Sequence

from ..kg.formats import GRAPHS, RESULT_KINDS, SOLUTIONS, Format, by_name, by_serializer

PAGE = Format("html", "html", "page", "text/html", "", "", ("application/xhtml+xml",))
"""A page for people, offered first by every URL that also answers RDF: a browser's Accept prefers it, and
so does a bare ``*/*``."""

__all__ = ["GRAPHS", "PAGE", "RESULT_KINDS", "SOLUTIONS", "Format", "by_name", "by_serializer", "offered"]


def offered(family: Sequence[Format]) -> str:
    """The media types of ``family``, for a 406's message."""
    return ", ".join(f.media_type for f in family)
