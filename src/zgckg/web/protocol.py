"""Reading SPARQL 1.1 Protocol requests: where the query or update is, its dataset, and its limits.

Query operation: GET with ``query``; POST ``application/x-www-form-urlencoded`` with ``query`` in the body;
POST ``application/sparql-query`` with the query as the body. ``default-graph-uri`` and
``named-graph-uri`` (repeatable) name the dataset. Update operation: POST with ``update`` in a form, or
``application/sparql-update``; ``using-graph-uri`` and ``using-named-graph-uri`` (repeatable, in the URL or
the form) name the dataset of every DELETE/INSERT … WHERE, written into the update as USING clauses.
Anything else is refused with the status the protocol asks for.

Two extensions, both of which can only tighten the server's limits: ``timeout`` (seconds) and
``max-rows``.
"""

from __future__ import annotations

import codecs
from dataclasses import dataclass

from flask import Request
from werkzeug.datastructures import MultiDict

from ..config import Config
from ..errors import DatasetConflict
from ..kg.update_dataset import add_using_clauses
from ..namespaces import is_absolute_iri
from .bodies import read_body
from .errors import HttpError
from .forms import parse_form

FORM = "application/x-www-form-urlencoded"
QUERY_BODY = "application/sparql-query"
UPDATE_BODY = "application/sparql-update"


@dataclass(frozen=True)
class QueryRequest:
    text: str
    default_graphs: tuple[str, ...] | None
    named_graphs: tuple[str, ...] | None
    timeout: float
    max_rows: int
    format_values: tuple[str, ...]


@dataclass(frozen=True)
class UpdateRequest:
    text: str
    timeout: float


def read_query(request: Request, config: Config) -> QueryRequest | None:
    """The query a request carries, or None for a GET without one (a service description request)."""
    params = _url_params(request)
    if request.method in ("GET", "HEAD"):
        if "query" not in params:
            return None
        text = _single(params, "query")
    elif request.mimetype == FORM:
        params = _merged(params, _form(request, config))
        text = _form_field(params, "query")
    elif request.mimetype == QUERY_BODY:
        if "query" in params:
            raise HttpError(400, "a query sent as the request body must not also be in the URL")
        text = _body_text(request, config)
    elif request.mimetype == UPDATE_BODY:
        raise HttpError(415, "this is the query endpoint; send updates to /update")
    else:
        raise HttpError(
            415,
            f"unsupported Content-Type {request.mimetype or '(none)'!r} for a query; "
            f"use {FORM} with a `query` field, or {QUERY_BODY}",
        )
    return QueryRequest(
        text,
        _graphs(params, "default-graph-uri"),
        _graphs(params, "named-graph-uri"),
        lowered(params, "timeout", config.timeout, float),
        lowered(params, "max-rows", config.max_rows, int),
        tuple(params.getlist("format")),
    )


_ENDPOINTS = {"query": ("queries", "/sparql"), "update": ("updates", "/update")}


def _form_field(params, field: str) -> str:
    """The form's ``query`` or ``update`` text; 400 when it has the other one's field, or neither."""
    other = "update" if field == "query" else "query"
    if other in params:
        plural, where = _ENDPOINTS[other]
        raise HttpError(400, f"this is the {field} endpoint; send {plural} to {where}")
    if field not in params:
        raise HttpError(400, f"the form has no `{field}` field")
    return _single(params, field)


def read_update(request: Request, config: Config) -> UpdateRequest:
    params = _url_params(request)
    if request.mimetype == FORM:
        params = _merged(params, _form(request, config))
        text = _form_field(params, "update")
    elif request.mimetype == UPDATE_BODY:
        text = _body_text(request, config)
    else:
        raise HttpError(
            415,
            f"unsupported Content-Type {request.mimetype or '(none)'!r} for an update; "
            f"use {FORM} with an `update` field, or {UPDATE_BODY}",
        )
    return UpdateRequest(_with_update_dataset(text, params), lowered(params, "timeout", config.timeout, float))


def _with_update_dataset(text: str, params: MultiDict) -> str:
    """The update with the protocol's using-graph-uri / using-named-graph-uri as USING clauses."""
    default_graphs = _graphs(params, "using-graph-uri") or ()
    named_graphs = _graphs(params, "using-named-graph-uri") or ()
    try:
        return add_using_clauses(text, default_graphs, named_graphs)
    except DatasetConflict as conflict:
        raise HttpError(400, str(conflict)) from None


def _merged(*sources: MultiDict) -> MultiDict:
    present = [source for source in sources if source]
    if len(present) <= 1:  # the usual case: parameters only in the body (or only in the URL)
        return present[0] if present else MultiDict()
    merged: MultiDict = MultiDict()
    for source in sources:
        for key, value in source.items(multi=True):
            merged.add(key, value)
    return merged


def _url_params(request: Request) -> MultiDict:
    """The URL's parameters, decoded strictly: invalid UTF-8 is a 400 here as in a body (Werkzeug's own
    parsing would replace it silently)."""
    return parse_form(request.query_string, "the URL's query string")


def _form(request: Request, config: Config) -> MultiDict:
    _utf8_only(request)
    return parse_form(_body(request, config), "the form")


def _body(request: Request, config: Config) -> bytes:
    return read_body(request, config.max_body_bytes, "ZGCKG_MAX_BODY_BYTES")


def _single(params: MultiDict, name: str) -> str:
    values = params.getlist(name)
    if len(values) != 1:
        raise HttpError(400, f"exactly one `{name}` parameter is expected, got {len(values)}")
    return values[0]


def _body_text(request: Request, config: Config) -> str:
    _utf8_only(request)
    body = _body(request, config)
    try:
        return body.decode("utf-8")
    except UnicodeDecodeError as exc:
        raise HttpError(400, f"the request body is not valid UTF-8: {exc.reason} at byte {exc.start}") from None


def _utf8_only(request: Request) -> None:
    """SPARQL is UTF-8 (SPARQL 1.1 Protocol §2.1): any other charset is a 415, whatever Python could decode."""
    charset = request.mimetype_params.get("charset")
    if charset is None:
        return
    try:
        utf8 = codecs.lookup(charset).name == "utf-8"
    except LookupError:
        utf8 = False
    if not utf8:
        raise HttpError(415, f"charset {charset[:40]!r} is not accepted; send the request as UTF-8 (charset=utf-8)")


def _graphs(params: MultiDict, name: str) -> tuple[str, ...] | None:
    values = params.getlist(name)
    for value in values:
        if not is_absolute_iri(value):
            raise HttpError(400, f"`{name}` must be an absolute IRI, got {value!r}")
    return tuple(values) if values else None


def lowered(params: MultiDict, name: str, limit, kind):
    """A per-request limit: the server's, or a lower one the client asks for, never a higher one."""
    raw = params.get(name)
    if raw is None or raw == "":
        return limit
    try:
        value = kind(raw)
    except ValueError:
        raise HttpError(400, f"`{name}` must be a positive number, got {raw!r}") from None
    if not value > 0:
        raise HttpError(400, f"`{name}` must be a positive number, got {raw!r}")
    return min(value, limit)
