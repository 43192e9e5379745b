"""What a sitemap lists: every IRI in the URI space (``<iri_base>id/``) that has a label, i.e. every entity
with a page of its own. Read once per store version."""

from __future__ import annotations

from typing import TYPE_CHECKING

from .select import PerVersion, iri_ref, select

if TYPE_CHECKING:
    from ..engine import Engine

_QUERY = """SELECT DISTINCT ?s WHERE {{
  {{ ?s rdfs:label ?label }} UNION {{ GRAPH ?g {{ ?s rdfs:label ?label }} }}
  FILTER(isIRI(?s) && STRSTARTS(STR(?s), STR({space})))
}} ORDER BY ?s"""

_MEMO: PerVersion[tuple[str, ...]] = PerVersion()


def labelled_entities(engine: Engine, uri_space: str) -> tuple[str, ...]:
    """The IRIs under ``uri_space`` that have an ``rdfs:label``, sorted."""
    text = _QUERY.format(space=iri_ref(uri_space))
    return _MEMO.get(engine, uri_space,
                     lambda: tuple(row["s"].value for row in select(engine, text)))
