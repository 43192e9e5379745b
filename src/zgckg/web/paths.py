"""Where an IRI of ours is served on this server, and which IRI a path of this server stands for.

Every IRI under the configured base (``Config.iri_base``, by default ``https://w3id.org/zgckg/``) maps to
the same path here: ``…/id/baidu`` is ``/id/baidu``, ``…/ontology#Term`` is ``/ontology#Term``,
``…/graph/asserted`` is ``/graph/asserted``. A deployment's redirect service maps the base onto the
server (docs/linked-data.md), so the data never changes with the host. Pages link to local paths, so they
work on whatever host serves them; an IRI outside the base is linked as it is.
"""

from __future__ import annotations

from urllib.parse import quote


def local_path(iri: str, base: str) -> str | None:
    """The path (with fragment) serving ``iri``; None when the IRI is not one of ours."""
    if not iri.startswith(base) or len(iri) == len(base):
        return None
    return "/" + quote(iri[len(base):], safe="/#-._~:@!$&'()*+,;=")


def iri_for(path: str, base: str) -> str:
    """The IRI a local path (without leading slash) stands for."""
    return base + path.lstrip("/")


def href(iri: str, base: str) -> str:
    """Where a page links for ``iri``: its local path when it is ours, else the IRI itself."""
    return local_path(iri, base) or iri
