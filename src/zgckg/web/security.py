"""Who may do what: the bearer token that guards writes, and CORS for the query endpoint.

Writes (/update, /store) are off unless the server was started with a write token; then every request
must carry ``Authorization: Bearer TOKEN``: none → 401 with a ``WWW-Authenticate`` challenge, a wrong one
→ 403. Tokens are compared in constant time. The query endpoint is open to any origin (configurable):
it is read-only, and it takes no credentials, so ``*`` exposes nothing a plain request would not.
"""

from __future__ import annotations

import hmac

from flask import Request, Response

from ..config import Config
from .errors import HttpError

CHALLENGE = {"WWW-Authenticate": 'Bearer realm="zgckg writes"'}


def require_write_token(request: Request, config: Config) -> None:
    if not config.write_token:
        raise HttpError(403, "writes are disabled on this server; start it with --write-token TOKEN "
                             "(or ZGCKG_WRITE_TOKEN) to enable /update and /store")
    scheme, _, given = request.headers.get("Authorization", "").partition(" ")
    if scheme.lower() != "bearer" or not given.strip():
        raise HttpError(401, "this endpoint needs `Authorization: Bearer TOKEN`", dict(CHALLENGE))
    if not hmac.compare_digest(given.strip().encode(), config.write_token.encode()):
        raise HttpError(403, "the bearer token is not the server's write token")


PAGE_POLICY = (
    "default-src 'none'; script-src 'self'; style-src 'self'; img-src 'self' data:; font-src 'self'; "
    "connect-src 'self'; form-action 'self'; base-uri 'none'; frame-ancestors 'none'"
)
"""Pages load scripts, styles and images from this server only, and run no inline script at all."""


def add_page_headers(response: Response) -> Response:
    """Every HTML answer: the content policy, no MIME sniffing, no framing by other sites."""
    if response.mimetype == "text/html":
        response.headers.setdefault("Content-Security-Policy", PAGE_POLICY)
        response.headers.setdefault("X-Content-Type-Options", "nosniff")
        response.headers.setdefault("Referrer-Policy", "same-origin")
    return response


QUERY_METHODS = "GET, HEAD, POST, OPTIONS"
REQUEST_HEADERS = "Accept, Content-Type, If-None-Match, If-Modified-Since"
WRITE_HEADERS = REQUEST_HEADERS + ", Authorization"
"""A page's script may send the bearer token to /update and /store (not a cookie: no credentials mode)."""
EXPOSED_HEADERS = "ETag, Last-Modified, Content-Length, Content-Encoding, Retry-After"


def add_cors(response: Response, config: Config) -> Response:
    response.headers["Access-Control-Allow-Origin"] = config.cors_origins
    response.headers["Access-Control-Expose-Headers"] = EXPOSED_HEADERS
    if config.cors_origins != "*":
        response.vary.add("Origin")
    return response


def preflight(config: Config, methods: str = QUERY_METHODS, headers: str = REQUEST_HEADERS) -> Response:
    """The answer to a browser's CORS preflight; it carries no credentials, so it needs no token."""
    response = Response(status=204)
    response.headers["Access-Control-Allow-Methods"] = methods
    response.headers["Access-Control-Allow-Headers"] = headers
    response.headers["Access-Control-Max-Age"] = "86400"
    response.headers["Allow"] = methods
    return add_cors(response, config)
