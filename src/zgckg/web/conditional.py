"""HTTP caching of answers: an ETag from the store version and the request, Last-Modified from the
generation's publication time, and 304 when a client revalidates an answer that has not changed.

Both validators are known before the query runs, so a revalidation costs no query at all. The ETag is weak
because the same answer may travel gzip-compressed or not. ``Cache-Control: no-cache`` makes clients
revalidate every time instead of guessing a freshness lifetime from Last-Modified, since an update can
change the answer at any moment.
"""

from __future__ import annotations

import functools
import hashlib
from collections.abc import Hashable
from datetime import datetime, timezone

from flask import Request, Response
from werkzeug.http import http_date, is_resource_modified


def etag_for(version: str, key: Hashable) -> str:
    digest = hashlib.blake2b(repr(key).encode("utf-8", "surrogatepass"), digest_size=12).hexdigest()
    return f"{version}-{digest}"


def mtime_to_datetime(seconds: float) -> datetime:
    return datetime.fromtimestamp(int(seconds), timezone.utc)


def is_fresh(request: Request, etag: str, modified: datetime) -> bool:
    """True when a GET/HEAD carries validators that still match: the answer would be the same."""
    if request.method not in ("GET", "HEAD"):
        return False
    if not (request.if_none_match or request.if_modified_since):
        return False
    return not is_resource_modified(request.environ, etag=etag, last_modified=modified)


def add_validators(response: Response, etag: str, modified: datetime) -> Response:
    headers = response.headers
    headers["ETag"] = f'W/"{etag}"'
    headers["Last-Modified"] = _http_date(modified)
    headers["Cache-Control"] = "no-cache"
    return response


@functools.lru_cache(maxsize=8)  # one date per store version, formatted once
def _http_date(moment: datetime) -> str:
    return http_date(moment)


def not_modified(etag: str, modified: datetime) -> Response:
    return add_validators(Response(status=304), etag, modified)
