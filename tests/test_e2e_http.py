"""End to end over real HTTP, as curl would do it: errors, auth, CORS, revalidation, compression."""

import gzip

import pytest
import requests

from conftest import WEB_TOKEN

ASK = {"query": "ASK { ?s ?p ?o }"}
LABELS = {"query": "SELECT * WHERE { ?s <http://www.w3.org/2000/01/rdf-schema#label> ?label }"}


@pytest.mark.parametrize(
    "method, kwargs, status",
    [
        ("GET", {"params": {"query": "SELECT * WHERE {"}}, 400),
        ("POST", {"data": b"ASK {}", "headers": {"Content-Type": "text/plain"}}, 415),
        ("GET", {"params": ASK, "headers": {"Accept": "image/png"}}, 406),
        ("PUT", {"data": b"ASK {}"}, 405),
        ("POST", {"data": {"query": "ASK {} #" + "x" * 1_100_000}}, 413),
        ("GET", {"params": {"query": "SELECT * { SERVICE <http://127.0.0.1:1/> {} }"}}, 403),
    ],
    ids=["syntax", "content-type", "not-acceptable", "method", "too-large", "service"],
)
def test_error_statuses_over_http(live_server, method, kwargs, status):
    response = requests.request(method, live_server + "/sparql", **kwargs)
    assert response.status_code == status
    assert response.headers["Content-Type"].startswith("text/plain")
    assert "Traceback" not in response.text


@pytest.mark.parametrize(
    "headers, status",
    [({}, 401), ({"Authorization": "Bearer not-the-token"}, 403), ({"Authorization": f"Bearer {WEB_TOKEN}"}, 204)],
    ids=["no-token", "wrong-token", "right-token"],
)
def test_update_auth_over_http(write_server, headers, status):
    response = requests.post(write_server + "/update", data=b"CLEAR SILENT GRAPH <http://example.org/none>",
                             headers={"Content-Type": "application/sparql-update", **headers})
    assert response.status_code == status


def test_cors_preflight_over_http(live_server):
    response = requests.options(live_server + "/sparql", headers={
        "Origin": "https://yasgui.example", "Access-Control-Request-Method": "POST",
        "Access-Control-Request-Headers": "content-type"})
    assert response.status_code == 204
    assert response.headers["Access-Control-Allow-Origin"] == "*"
    assert "POST" in response.headers["Access-Control-Allow-Methods"]


def test_revalidation_over_http(live_server):
    first = requests.get(live_server + "/sparql", params=LABELS)
    again = requests.get(live_server + "/sparql", params=LABELS, headers={"If-None-Match": first.headers["ETag"]})
    assert (first.status_code, again.status_code, again.content) == (200, 304, b"")


def test_gzip_over_http(live_server):
    response = requests.get(live_server + "/sparql", params={"query": "SELECT * { GRAPH ?g { ?s ?p ?o } }"},
                            headers={"Accept-Encoding": "gzip"}, stream=True)
    raw = response.raw.read(decode_content=False)
    assert response.headers["Content-Encoding"] == "gzip"
    assert len(gzip.decompress(raw).decode("utf-8")) > len(raw)
