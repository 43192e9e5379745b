"""The OpenAPI 3.1 description of the JSON APIs: ``/api/queries`` and one path per analyst query (with its
own parameters), ``/api/search``, ``/api/paths`` and ``/api/neighbourhood``.

Built from the analyst queries the app read and from the limits it serves with; served at
``/api/openapi.json`` (:mod:`.api_queries`). The document is plain data, made once per app.
"""

from __future__ import annotations

from collections.abc import Iterable
from typing import Any

from .. import __version__
from ..config import Config
from ..kg.explore.paths import MAX_HOPS, MAX_LIMIT as MAX_PATHS
from ..kg.linked.search import MAX_QUERY
from ..kg.queries import AnalystQuery
from ..namespaces import INSTANCES
from . import search

OPENAPI_VERSION = "3.1.0"
_REF = "#/components/schemas/"
_ERRORS = "#/components/responses/"


def document(queries: Iterable[AnalystQuery], config: Config) -> dict[str, Any]:
    paths: dict[str, Any] = {"/api/queries": _listing_path()}
    for query in queries:
        paths[f"/api/queries/{query.name}"] = _query_path(query, config)
        paths[f"/api/queries/{query.name}.{{format}}"] = _query_path(query, config, suffix=True)
    paths["/api/search"] = _search_path()
    paths["/api/paths"] = _paths_path()
    paths["/api/neighbourhood"] = _neighbourhood_path()
    return {
        "openapi": OPENAPI_VERSION,
        "info": {
            "title": "zgckg: the Zhongguancun Haidian Park knowledge graph",
            "version": __version__,
            "summary": "Canned analyst queries, label search and graph exploration over the knowledge graph.",
            "description": (
                "Each analyst query (a SPARQL file with a title, a question and parameters) runs at "
                "/api/queries/{name}; its parameters are bound by the engine, never pasted into the query. "
                "A parameter value is an absolute IRI or a prefixed name with the project's prefixes "
                f"(zg: is {INSTANCES}). Errors answer with a plain-text message, or with a JSON object "
                "when the client prefers application/json. The SPARQL 1.1 endpoint itself is at /sparql."
            ),
        },
        "servers": [{"url": (config.public_base or "/").rstrip("/") or "/"}],
        "paths": paths,
        "components": {"schemas": _schemas(), "responses": _responses(), "parameters": _limit_parameters(config)},
    }


# --- /api/queries ------------------------------------------------------------------------------------

def _listing_path() -> dict[str, Any]:
    return {"get": {
        "operationId": "listQueries",
        "summary": "Every analyst query: titles, questions, parameters and the URLs that run it",
        "tags": ["queries"],
        "responses": {
            "200": {"description": "The queries, in name order",
                    "content": {"application/json": {"schema": {"type": "array", "items": {"$ref": _REF + "QueryInfo"}}}}},
            "304": {"description": "Not modified (If-None-Match)"},
        },
    }}


def _query_path(query: AnalystQuery, config: Config, *, suffix: bool = False) -> dict[str, Any]:
    parameters: list[dict[str, Any]] = [{
        "name": p.name, "in": "query", "required": False,
        "description": (f"An IRI: absolute, or a prefixed name such as {p.default or 'zg:haidian-park'}. "
                        f"Default: {p.default or '(unbound)'}" + (f" ({p.default_iri})." if p.default else ".")),
        "schema": {"type": "string", **({"default": p.default} if p.default else {})},
        **({"example": p.default} if p.default else {}),
    } for p in query.parameters]
    parameters += [{"$ref": "#/components/parameters/timeout"}, {"$ref": "#/components/parameters/max-rows"}]
    if suffix:
        parameters.insert(0, {"name": "format", "in": "path", "required": True,
                              "description": "The result format: json, csv or tsv",
                              "schema": {"type": "string", "enum": ["json", "csv", "tsv"]}, "example": "csv"})
    content = {
        "application/sparql-results+json": {"schema": {"$ref": _REF + "SparqlResults"}},
        "text/csv": {"schema": {"type": "string"}},
        "text/tab-separated-values": {"schema": {"type": "string"}},
    }
    how = ("The format named by the suffix." if suffix else
           "The format chosen by Accept (SPARQL JSON when it states no preference).")
    return {"get": {
        "operationId": f"query_{query.name.replace('-', '_')}" + ("_as" if suffix else ""),
        "summary": query.title("en"),
        "description": f"{query.question('en')}\n\n{query.title('zh')}：{query.question('zh')}\n\n{how}",
        "tags": ["queries"],
        "parameters": parameters,
        "responses": {
            "200": {"description": "The query's solutions", "content": content,
                    "headers": {"ETag": {"schema": {"type": "string"}}}},
            "304": {"description": "Not modified (If-None-Match, If-Modified-Since)"},
            "400": {"$ref": _ERRORS + "BadRequest"},
            "404": {"$ref": _ERRORS + "NotFound"},
            "406": {"$ref": _ERRORS + "NotAcceptable"},
            "503": {"$ref": _ERRORS + "Unavailable"},
        },
    }}


def _limit_parameters(config: Config) -> dict[str, Any]:
    return {
        "timeout": {"name": "timeout", "in": "query", "required": False,
                    "description": f"Seconds the query may run; only lowers the server's limit ({config.timeout:g}).",
                    "schema": {"type": "number", "exclusiveMinimum": 0}},
        "max-rows": {"name": "max-rows", "in": "query", "required": False,
                     "description": f"Most rows the answer may have (more is a 400, never a truncated answer); "
                                    f"only lowers the server's limit ({config.max_rows}).",
                     "schema": {"type": "integer", "minimum": 1}},
    }


# --- /api/search, /api/paths, /api/neighbourhood -----------------------------------------------------

def _search_path() -> dict[str, Any]:
    return {"get": {
        "operationId": "search",
        "summary": "Label search, Chinese or English, substring and prefix",
        "tags": ["exploration"],
        "parameters": [
            {"name": "q", "in": "query", "required": False, "description": "Any part of a name (empty: no results)",
             "schema": {"type": "string", "maxLength": MAX_QUERY}, "example": "清华"},
            {"name": "limit", "in": "query", "required": False, "description": "Most results",
             "schema": {"type": "integer", "minimum": 1, "maximum": search.MAX_LIMIT, "default": search.DEFAULT_LIMIT}},
            _lang_parameter(),
        ],
        "responses": {
            "200": {"description": "The matching resources, best first",
                    "content": {"application/json": {"schema": {"$ref": _REF + "SearchResults"}}}},
            "400": {"$ref": _ERRORS + "BadRequest"},
        },
    }}


def _paths_path() -> dict[str, Any]:
    return {"get": {
        "operationId": "paths",
        "summary": "Paths of relations between two resources, each edge with its evidence",
        "tags": ["exploration"],
        "parameters": [
            _iri_parameter("from", "Where the paths start", "zg:tsinghua-university"),
            _iri_parameter("to", "Where the paths end", "zg:haidian-park"),
            {"name": "max_hops", "in": "query", "required": False, "description": "Most edges a path may have",
             "schema": {"type": "integer", "minimum": 1, "maximum": MAX_HOPS, "default": 4}},
            {"name": "limit", "in": "query", "required": False, "description": "Most paths",
             "schema": {"type": "integer", "minimum": 1, "maximum": MAX_PATHS, "default": 5}},
            {"name": "exclude", "in": "query", "required": False, "style": "form", "explode": True,
             "description": "A resource no path may pass through: an IRI or a prefixed name (repeatable)",
             "schema": {"type": "array", "items": {"type": "string"}}},
            _inferred_parameter(),
        ],
        "responses": {
            "200": {"description": "The paths, shortest first",
                    "content": {"application/json": {"schema": {"$ref": _REF + "Paths"}}}},
            "400": {"$ref": _ERRORS + "BadRequest"},
            "404": {"$ref": _ERRORS + "NotFound"},
        },
    }}


def _neighbourhood_path() -> dict[str, Any]:
    return {"get": {
        "operationId": "neighbourhood",
        "summary": "A resource, its neighbours and the edges between them, for a graph view",
        "tags": ["exploration"],
        "parameters": [_iri_parameter("iri", "The resource at the centre", "zg:haidian-park"),
                       _inferred_parameter()],
        "responses": {
            "200": {"description": "Nodes and edges",
                    "content": {"application/json": {"schema": {"$ref": _REF + "Neighbourhood"}}}},
            "400": {"$ref": _ERRORS + "BadRequest"},
            "404": {"$ref": _ERRORS + "NotFound"},
        },
    }}


def _iri_parameter(name: str, description: str, example: str) -> dict[str, Any]:
    return {"name": name, "in": "query", "required": True,
            "description": f"{description}: an absolute IRI or a prefixed name ({example})",
            "schema": {"type": "string"}, "example": example}


def _inferred_parameter() -> dict[str, Any]:
    return {"name": "inferred", "in": "query", "required": False,
            "description": "Also follow what the OWL 2 RL reasoner inferred",
            "schema": {"type": "boolean", "default": False}}


def _lang_parameter() -> dict[str, Any]:
    return {"name": "lang", "in": "query", "required": False,
            "description": "The language of `label` (default: the reader's, else Chinese)",
            "schema": {"type": "string", "enum": ["zh", "en"]}}


# --- shared pieces -----------------------------------------------------------------------------------

def _labels() -> dict[str, Any]:
    return {"type": "object", "description": "Label by language tag (zh, en)",
            "additionalProperties": {"type": "string"}}


def _schemas() -> dict[str, Any]:
    string, iri = {"type": "string"}, {"type": "string", "format": "iri"}
    return {
        "QueryInfo": {"type": "object", "required": ["name", "title", "question", "parameters", "urls"], "properties": {
            "name": string,
            "title": {"type": "object", "properties": {"zh": string, "en": string}},
            "question": {"type": "object", "properties": {"zh": string, "en": string}},
            "parameters": {"type": "array", "items": {"type": "object", "properties": {
                "name": string, "default": string, "default_iri": {"type": ["string", "null"]},
                "kind": {"type": "string", "enum": ["IRI"]},
            }}},
            "urls": {"type": "object", "properties": {"run": string, "json": string, "csv": string, "tsv": string}},
        }},
        "SparqlResults": {
            "type": "object", "description": "SPARQL 1.1 Query Results JSON Format",
            "properties": {
                "head": {"type": "object", "properties": {"vars": {"type": "array", "items": string}}},
                "results": {"type": "object", "properties": {"bindings": {"type": "array", "items": {
                    "type": "object", "additionalProperties": {"type": "object", "properties": {
                        "type": {"type": "string", "enum": ["uri", "literal", "bnode", "triple"]},
                        "value": string, "xml:lang": string, "datatype": string,
                    }},
                }}}},
            },
        },
        "SearchResults": {"type": "object", "required": ["query", "results"], "properties": {
            "query": string,
            "results": {"type": "array", "items": {"type": "object", "properties": {
                "iri": iri, "path": {"type": ["string", "null"], "description": "Where this server shows it"},
                "label": string, "labels": _labels(), "matched": string, "type": string,
            }}},
        }},
        "Evidence": {"type": "object", "required": ["quote", "sentence", "start", "end"], "properties": {
            "quote": {"type": "string", "description": "The report's words, exactly"},
            "sentence": {"type": "string", "description": "The sentence's id in the report"},
            "start": {"type": "integer", "description": "Where the quote starts (code points, in the normalised report)"},
            "end": {"type": "integer", "description": "Where it ends (exclusive)"},
            "sentenceText": string, "sentenceStart": {"type": "integer"},
        }},
        "Edge": {"type": "object", "required": ["subject", "predicate", "object", "labels", "evidence", "curated",
                                                "inferred"], "properties": {
            "subject": iri, "predicate": iri, "object": iri,
            "labels": {"type": "object", "description": "Labels of the subject, predicate and object",
                       "properties": {"subject": _labels(), "predicate": _labels(), "object": _labels()}},
            "evidence": {"type": "array", "items": {"$ref": _REF + "Evidence"}},
            "curated": {"type": "boolean", "description": "Added by the curators rather than read in the report"},
            "notes": {**_labels(), "description": "The curators' note, by language"},
            "inferred": {"type": "boolean", "description": "Inferred by the OWL 2 RL reasoner"},
        }},
        "Step": {"allOf": [{"$ref": _REF + "Edge"}, {"type": "object", "required": ["direction"], "properties": {
            "direction": {"type": "string", "enum": ["forward", "backward"],
                          "description": "Whether the path walks the edge from subject to object, or back"},
        }}]},
        "Paths": {"type": "object", "required": ["paths"], "properties": {
            "paths": {"type": "array", "items": {"type": "object", "required": ["edges"], "properties": {
                "edges": {"type": "array", "items": {"$ref": _REF + "Step"}},
            }}},
        }},
        "Node": {"type": "object", "required": ["iri"], "properties": {
            "iri": iri, "path": {"type": ["string", "null"], "description": "Where this server shows it"},
            "labels": _labels(), "class": {"type": ["string", "null"]}, "classLabels": _labels(),
        }},
        "Neighbourhood": {"type": "object", "required": ["nodes", "edges"], "properties": {
            "nodes": {"type": "array", "items": {"$ref": _REF + "Node"}},
            "edges": {"type": "array", "items": {"$ref": _REF + "Edge"}},
        }},
        "Error": {"type": "object", "required": ["status", "error", "message"], "properties": {
            "status": {"type": "integer"}, "error": string, "message": string,
        }},
    }


def _responses() -> dict[str, Any]:
    def error(description: str) -> dict[str, Any]:
        return {"description": description, "content": {
            "text/plain": {"schema": {"type": "string"}},
            "application/json": {"schema": {"$ref": _REF + "Error"}},
        }}

    return {
        "BadRequest": error("A parameter refused; the message names it"),
        "NotFound": error("No such query or resource; for a query, the message lists the known names"),
        "NotAcceptable": error("None of the offered formats is acceptable"),
        "Unavailable": error("The query ran out of time, or the server is busy; try again"),
    }
