"""Absolute URLs of this server's pages, for documents read elsewhere (VoID, sitemaps, dump lists): the
configured public base when the service sits behind a proxy, else the host the request came to.

Such a document differs by host, and a client chooses its Host header: so one is kept in the bounded
answer cache, never in a table a stream of made-up host names could grow.
"""

from __future__ import annotations

from collections.abc import Callable, Hashable

from flask import request

from ..kg.engine import Answer
from .runtime import runtime


def public_url(path: str) -> str:
    """The absolute URL of ``path`` (which starts with ``/``) on this server."""
    base = runtime().config.public_base or request.host_url
    return base.rstrip("/") + path


def per_host(key: Hashable, content_type: str, make: Callable[[], bytes]) -> bytes:
    """The document ``make`` gives for ``key`` on this host and store version: from the answer cache if it
    is there, else made now and kept."""
    rt = runtime()
    version = rt.version()
    full_key = ("per-host", public_url("/"), key)
    held = rt.cache.get(version, full_key)
    if held is not None:
        return held.body
    body = make()
    rt.cache.put(full_key, Answer("document", content_type, body, None, len(body), None, None, version))
    return body
