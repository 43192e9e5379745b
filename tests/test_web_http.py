"""HTTP manners of /sparql: CORS, validators and 304, gzip, the answer cache, one log line per query."""

import gzip
import json
import logging

import pytest

QUERY = {"query": "SELECT ?s ?label WHERE { ?s <http://www.w3.org/2000/01/rdf-schema#label> ?label }"}


def test_cors_preflight(web_client):
    response = web_client.options("/sparql", headers={
        "Origin": "https://analyst.example", "Access-Control-Request-Method": "POST",
        "Access-Control-Request-Headers": "Content-Type"})
    assert response.status_code == 204
    assert response.headers["Access-Control-Allow-Origin"] == "*"
    assert "POST" in response.headers["Access-Control-Allow-Methods"]
    assert "Content-Type" in response.headers["Access-Control-Allow-Headers"]


@pytest.mark.parametrize("path_query", [QUERY, {"query": "SELECT * {"}], ids=["answer", "error"])
def test_cors_header_on_answers_and_errors(web_client, path_query):
    response = web_client.get("/sparql", query_string=path_query, headers={"Origin": "https://analyst.example"})
    assert response.headers["Access-Control-Allow-Origin"] == "*"
    assert "ETag" in response.headers["Access-Control-Expose-Headers"]


def test_revalidation_with_the_etag_is_304_without_a_body(web_client):
    first = web_client.get("/sparql", query_string=QUERY)
    assert first.status_code == 200 and first.headers["ETag"].startswith('W/"')
    again = web_client.get("/sparql", query_string=QUERY, headers={"If-None-Match": first.headers["ETag"]})
    assert (again.status_code, again.data) == (304, b"")
    assert again.headers["ETag"] == first.headers["ETag"]


def test_revalidation_with_last_modified_is_304(web_client):
    first = web_client.get("/sparql", query_string=QUERY)
    again = web_client.get("/sparql", query_string=QUERY, headers={"If-Modified-Since": first.headers["Last-Modified"]})
    assert again.status_code == 304


def test_a_different_request_does_not_match_the_etag(web_client):
    first = web_client.get("/sparql", query_string=QUERY)
    other = web_client.get("/sparql", query_string=QUERY, headers={
        "If-None-Match": first.headers["ETag"], "Accept": "text/csv"})
    assert other.status_code == 200 and other.headers["ETag"] != first.headers["ETag"]


def test_answers_must_be_revalidated(web_client):
    assert web_client.get("/sparql", query_string=QUERY).headers["Cache-Control"] == "no-cache"


def test_gzip_when_asked_for_a_body_worth_compressing(web_client):
    query = {"query": "SELECT * WHERE { GRAPH ?g { ?s ?p ?o } }"}
    plain = web_client.get("/sparql", query_string=query)
    packed = web_client.get("/sparql", query_string=query, headers={"Accept-Encoding": "gzip"})
    assert "Content-Encoding" not in plain.headers
    assert packed.headers["Content-Encoding"] == "gzip"
    assert gzip.decompress(packed.data) == plain.data
    assert "Accept-Encoding" in packed.vary


def test_tiny_bodies_are_not_compressed(web_client):
    response = web_client.get("/sparql", query_string={"query": "ASK {}"}, headers={"Accept-Encoding": "gzip"})
    assert "Content-Encoding" not in response.headers


def test_identical_query_is_answered_from_the_cache(web_app, web_client):
    cache = web_app.extensions["zgckg"].cache
    query = {"query": "SELECT (COUNT(*) AS ?n) WHERE { ?s ?p ?o . FILTER(isLiteral(?o)) }"}
    hits = cache.hits
    first = web_client.get("/sparql", query_string=query)
    second = web_client.get("/sparql", query_string=query)
    assert cache.hits == hits + 1
    assert first.data == second.data


def test_one_json_log_line_per_query(web_client, caplog):
    with caplog.at_level(logging.INFO, logger="zgckg.web.access"):
        web_client.get("/sparql", query_string={"query": "SELECT * WHERE { ?s a ?type }"})
        web_client.get("/sparql", query_string={"query": "SELECT * WHERE {"})
    lines = [json.loads(r.getMessage()) for r in caplog.records if r.name == "zgckg.web.access"]
    assert [(line["status"], line["path"]) for line in lines] == [(200, "/sparql"), (400, "/sparql")]
    assert lines[0]["rows"] == 4 and lines[0]["cache"] in ("hit", "miss") and lines[0]["ms"] >= 0
    assert lines[0]["kind"] == "solutions" and lines[0]["bytes"] > 0
    assert lines[1]["error"] == "QuerySyntaxError"
