"""Errors: the right status, one body shape (plain text or JSON), never a 500 or a traceback."""

import pytest


def assert_plain_error(response, status):
    assert response.status_code == status, response.get_data(as_text=True)
    assert response.mimetype == "text/plain"
    body = response.get_data(as_text=True)
    assert body.endswith("\n") and "Traceback" not in body
    return body


def test_syntax_error_is_400_with_line_column_and_the_offending_line(web_client):
    query = "SELECT ?s\nWHRE { ?s ?p ?o }"
    body = assert_plain_error(web_client.get("/sparql", query_string={"query": query}), 400)
    # the engine refused it; our parser says why in words, at the token it could not take
    assert body.startswith("SPARQL syntax error at line 2, column 1: expected WHERE or '{', found 'WHRE'")
    assert "\nWHRE { ?s ?p ?o }\n^\n" in body


def test_an_undeclared_prefix_is_named_with_the_prefixes_there_are(web_client):
    body = assert_plain_error(web_client.get("/sparql", query_string={"query": "SELECT * { ?s zz:p ?o }"}), 400)
    assert body.startswith("SPARQL syntax error at line 1, column 15: the prefix zz: is not declared; declare it "
                           "with PREFIX zz: <…> (declared here: ")
    assert " zgo:, " in body or " zgo:)" in body


def test_a_rule_beyond_the_grammar_keeps_the_engines_message(web_client):
    body = assert_plain_error(web_client.get("/sparql", query_string={
        "query": "SELECT * WHERE { ?s ?p ?o } GROUP BY ?s"}), 400)
    assert "SELECT * is not authorized with GROUP BY" in body


def test_a_syntax_error_in_a_query_with_service_comes_from_our_parser_with_line_and_column(web_client):
    query = "SELECT ?s\nWHRE { SERVICE <http://x.example/> { ?s ?p ?o } }"
    body = assert_plain_error(web_client.get("/sparql", query_string={"query": query}), 400)
    assert body.startswith("SPARQL syntax error at line 2, column 1: expected WHERE or '{', found 'WHRE'")
    assert "\nWHRE { SERVICE <http://x.example/> { ?s ?p ?o } }\n^\n" in body


def test_syntax_error_in_a_long_line_shows_only_the_text_around_the_column(web_client):
    query = "SELECT * WHERE { ?s ?p ?o " + "FILTER(?o != 1) " * 5000 + "?? " + "FILTER(?o != 2) " * 5000 + "}"
    body = assert_plain_error(web_client.get("/sparql", query_string={"query": query}), 400)
    column = int(body.split("column ", 1)[1].split(":", 1)[0])
    shown, caret = body.rstrip("\n").split("\n")[-2:]
    assert len(shown) < 200 and shown.startswith("…") and shown.endswith("…")
    # the caret still points at the character the parser stopped on
    assert shown[caret.index("^")] == query[column - 1]


def test_syntax_error_as_json_when_the_client_prefers_json(web_client):
    response = web_client.get("/sparql", query_string={"query": "SELECT * WHERE {"},
                              headers={"Accept": "application/json"})
    assert response.status_code == 400
    error = response.get_json()
    assert (error["status"], error["error"], error["error_type"], error["line"]) == (
        400, "Bad Request", "QuerySyntaxError", 1)
    assert error["message"].startswith("SPARQL syntax error at line 1")


def test_body_over_the_limit_is_413(web_app, web_client):
    limit = web_app.extensions["zgckg"].config.max_body_bytes
    query = "ASK {} #" + "x" * limit
    assert_plain_error(web_client.post("/sparql", data=query, content_type="application/sparql-query"), 413)
    assert_plain_error(web_client.post("/sparql", data={"query": query}), 413)


@pytest.mark.parametrize(
    "content_type",
    ["text/plain", "application/json", "multipart/form-data; boundary=x", None, "application/sparql-update"],
    ids=["text", "json", "multipart", "none", "update-body"],
)
def test_unknown_content_type_is_415(web_client, content_type):
    headers = {"Content-Type": content_type} if content_type else {}
    body = assert_plain_error(web_client.post("/sparql", data=b"ASK {}", headers=headers), 415)
    assert "application/sparql-query" in body or "/update" in body


def test_unknown_charset_is_415(web_client):
    response = web_client.post("/sparql", data=b"ASK {}", content_type="application/sparql-query; charset=klingon")
    assert_plain_error(response, 415)


def test_wrong_method_is_405_with_allow(web_client):
    response = web_client.put("/sparql", data="ASK {}")
    assert_plain_error(response, 405)
    assert set(response.headers["Allow"].replace(" ", "").split(",")) >= {"GET", "POST"}


def test_nothing_acceptable_is_406_listing_the_offers(web_client):
    response = web_client.get("/sparql", query_string={"query": "SELECT * {}"}, headers={"Accept": "image/png"})
    body = assert_plain_error(response, 406)
    assert "application/sparql-results+json" in body and "text/turtle" in body


def test_406_for_a_result_kind_the_client_cannot_take(web_client):
    response = web_client.get("/sparql", query_string={"query": "CONSTRUCT WHERE { ?s ?p ?o }"},
                              headers={"Accept": "text/csv"})
    body = assert_plain_error(response, 406)
    assert "graph result" in body and "text/turtle" in body


def test_406_is_decided_before_the_engine_runs_anything(web_app, web_client, monkeypatch):
    engine = web_app.extensions["zgckg"].engine

    def refuse(*args, **kwargs):
        raise AssertionError("the engine was asked to run a query whose answer nobody can take")

    monkeypatch.setattr(engine, "run_query", refuse)
    response = web_client.get("/sparql", query_string={"query": "ASK { ?s ?p ?o FILTER(?o = 'unseen 406') }"},
                              headers={"Accept": "text/turtle"})
    assert "boolean result" in assert_plain_error(response, 406)


@pytest.mark.parametrize(
    "request_args",
    [
        {"query_string": {"query": ["ASK {}", "ASK {}"]}},
        {"query_string": {"query": "ASK {}", "timeout": "soon"}},
        {"query_string": {"query": "ASK {}", "timeout": "-1"}},
        {"query_string": {"query": "ASK {}", "timeout": "nan"}},
        {"query_string": {"query": "ASK {}", "max-rows": "1.5"}},
        {"query_string": {"query": "ASK {}", "default-graph-uri": "not an iri"}},
        {"query_string": {"query": "INSERT DATA { <http://a.example/> <http://b.example/> 1 }"}},
        {"query_string": {"query": "LOAD <http://example.org/x>"}},
        {"method": "POST", "data": {"update": "CLEAR ALL"}},
        {"method": "POST", "data": {"other": "x"}},
        {"method": "POST", "data": b"\xff\xfe\x00", "content_type": "application/sparql-query"},
        {"method": "POST", "data": "ASK {}", "content_type": "application/sparql-query",
         "query_string": {"query": "ASK {}"}},
        {"query_string": {"query": "\x00\x01 binary"}},
        {"query_string": {"query": "SELECT * { ?s ?p ?o } LIMIT 99999999999999999999999"}},
        {"query_string": {"query": "SELECT * WHERE { BIND(<relative> AS ?x) }"}},
    ],
    ids=["two-queries", "timeout-word", "timeout-negative", "timeout-nan", "max-rows-fraction", "bad-graph-iri",
         "update-as-query", "load-as-query", "update-form", "form-without-query", "invalid-utf8",
         "query-in-url-and-body", "control-characters", "huge-limit", "relative-iri"],
)
def test_bad_requests_are_4xx_never_500(web_client, request_args):
    method = request_args.pop("method", "GET")
    response = web_client.open("/sparql", method=method, **request_args)
    assert 400 <= response.status_code < 500, response.get_data(as_text=True)
    assert "Traceback" not in response.get_data(as_text=True)


def test_forbidden_service_is_403_saying_how_to_allow(web_client):
    response = web_client.get("/sparql", query_string={"query": "SELECT * { SERVICE <http://127.0.0.1:9/> {} }"})
    body = assert_plain_error(response, 403)
    assert "--service-allow" in body


def test_unknown_path_is_404_in_the_same_shape(web_client):
    assert_plain_error(web_client.get("/no/such/page"), 404)


# --- one table from domain error to status; the server's own faults say nothing internal ----------------

import dataclasses
import logging

from flask import Flask

from zgckg.errors import EngineFailed, QuerySyntaxError, StoreError, ZgckgError
from zgckg.web import errors


@dataclasses.dataclass
class UnlistedError(ZgckgError):
    """A domain error nobody gave a status."""

    secret: str

    def __str__(self) -> str:
        return f"internal detail {self.secret}"


def raising(error: Exception):
    """A bare app with the error handlers, whose one page raises ``error``."""
    app = Flask(__name__)
    errors.register(app)

    @app.get("/")
    def page():
        raise error

    return app.test_client()


def test_a_domain_error_without_a_status_is_a_logged_500(caplog):
    with caplog.at_level(logging.ERROR, logger="zgckg.web.errors"):
        response = raising(UnlistedError("s3cr3t")).get("/")
    body = assert_plain_error(response, 500)
    assert body == "internal error\n"
    assert "UnlistedError" in caplog.text and "s3cr3t" in caplog.text


def test_a_subclass_takes_the_status_of_its_nearest_listed_ancestor():
    @dataclasses.dataclass
    class SharperSyntaxError(QuerySyntaxError):
        pass

    response = raising(SharperSyntaxError("error at 1:1: x", 1, 1, "WHAT")).get("/")
    assert assert_plain_error(response, 400).endswith("\n\nWHAT\n^\n")


@pytest.mark.parametrize("unavailable, status", [(False, 500), (True, 503)], ids=["engine", "store"])
def test_an_engine_failure_is_the_servers_logged_and_says_nothing_internal(caplog, unavailable, status):
    detail = "Traceback (most recent call last):\nOSError: IO error: /srv/store/generations/g000002/CURRENT"
    with caplog.at_level(logging.ERROR, logger="zgckg.web.errors"):
        response = raising(EngineFailed("query", detail, unavailable)).get("/", headers={"Accept": "application/json"})
    assert response.status_code == status
    error = response.get_json()
    assert error["error_type"] == "EngineFailed" and "server's log" in error["message"]
    assert "/srv" not in response.get_data(as_text=True) and "IO error" not in response.get_data(as_text=True)
    assert "/srv/store/generations/g000002/CURRENT" in caplog.text


def test_a_store_error_names_the_problem_but_neither_the_path_nor_the_engine_words(caplog):
    error = StoreError("/srv/store", "cannot open the store: IO error: /srv/store/generations/g1/CURRENT")
    with caplog.at_level(logging.ERROR, logger="zgckg.web.errors"):
        body = assert_plain_error(raising(error).get("/"), 503)
    assert "cannot open the store" in body and "/srv" not in body and "IO error" not in body
    assert "/srv/store/generations/g1/CURRENT" in caplog.text


def test_the_caret_comes_from_the_text_on_the_error_not_from_the_request():
    error = QuerySyntaxError("error at 2:3: expected WHERE", 2, 3, text="SELECT *\nWHRE {}")
    body = assert_plain_error(raising(error).get("/"), 400)
    assert body.endswith("\nWHRE {}\n  ^\n")


def test_a_syntax_error_only_the_engine_finds_shows_the_offending_line(web_client):
    query = "SELECT *\nWHERE { BIND(1 AS ?x) BIND(2 AS ?x) }"
    body = assert_plain_error(web_client.get("/sparql", query_string={"query": query}), 400)
    assert body.startswith("SPARQL syntax error at line 2")
    assert "\nWHERE { BIND(1 AS ?x) BIND(2 AS ?x) }\n" in body and body.endswith("^\n")


def test_an_update_syntax_error_only_the_engine_finds_shows_the_offending_line(write_app):
    from conftest import WEB_TOKEN

    update = "INSERT { ?x ?x ?x }\nWHERE { BIND(1 AS ?x) BIND(2 AS ?x) }"
    response = write_app.test_client().post("/update", data=update, headers={
        "Content-Type": "application/sparql-update", "Authorization": f"Bearer {WEB_TOKEN}"})
    body = assert_plain_error(response, 400)
    assert body.startswith("SPARQL syntax error at line 2")
    assert "\nWHERE { BIND(1 AS ?x) BIND(2 AS ?x) }\n" in body and body.endswith("^\n")
