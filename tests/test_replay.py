"""The front's replays (web/replay.py) on the real `zgckg serve`: only the same request on the same store
version is answered again without the app, and a replay says and counts itself as the app would."""

import gzip
import json
import threading
import time

import pytest
import requests

from conftest import build_web_store
from test_e2e_serve import start_server, stop
from zgckg.web.replay import request_key

TOKEN = "replay-test-token"
QUERY = "SELECT (COUNT(*) AS ?n) WHERE { GRAPH ?g { ?s ?p ?o } }"
JSON_RESULTS = "application/sparql-results+json"


class Served:
    """A server and every JSON line it has logged so far."""

    def __init__(self, store_root):
        self.process, self.url = start_server(store_root, "--write-token", TOKEN, "--workers", "1")
        self.lines: list[dict] = []
        threading.Thread(target=self._read, daemon=True).start()

    def _read(self) -> None:
        for raw in self.process.stdout:
            try:
                self.lines.append(json.loads(raw))
            except ValueError:
                pass

    def sparql_lines(self) -> list[dict]:
        return [line for line in self.lines if line.get("path") == "/sparql"]

    def mark(self) -> int:
        time.sleep(0.2)  # lines of earlier requests still on their way
        return len(self.sparql_lines())

    def since(self, mark: int, count: int) -> list[dict]:
        """The log lines of the ``count`` requests to /sparql made after ``mark`` (waiting for them)."""
        deadline = time.monotonic() + 5
        while time.monotonic() < deadline:
            lines = self.sparql_lines()[mark:]
            if len(lines) >= count:
                assert len(lines) == count, lines
                return lines
            time.sleep(0.02)
        raise AssertionError(f"fewer than {count} log lines for /sparql: {self.lines[-5:]}")

    def get(self, text: str = QUERY, **headers) -> requests.Response:
        return requests.get(self.url + "/sparql", params={"query": text}, headers={"Accept": JSON_RESULTS, **headers},
                            timeout=10)


@pytest.fixture(scope="module")
def served(tmp_path_factory):
    server = Served(build_web_store(tmp_path_factory.mktemp("replay-store")).root)
    yield server
    stop(server.process)


def replayed_route_count(url: str) -> float:
    metrics = requests.get(url + "/metrics", timeout=10).text
    line = next(line for line in metrics.splitlines() if line.startswith('zgckg_requests_total{route="/sparql",status="200"}'))
    return float(line.rsplit(" ", 1)[1])


def test_the_same_request_again_is_replayed_whole(served):
    text = QUERY + " # first"
    before, mark = replayed_route_count(served.url), served.mark()
    first, second = served.get(text), served.get(text)
    assert [line.get("cache") for line in served.since(mark, 2)] == ["miss", "replayed"]
    assert second.status_code == 200 and second.content == first.content
    for header in ("Content-Type", "ETag", "Last-Modified", "Vary", "Access-Control-Allow-Origin"):
        assert second.headers[header] == first.headers[header]
    replay = served.since(mark, 2)[1]
    assert (replay["kind"], replay["format"], replay["rows"]) == ("solutions", "JSON", 1)
    assert replayed_route_count(served.url) == before + 2  # counted in /metrics as the app counts


def test_a_request_differing_in_a_header_the_answer_depends_on_is_not_replayed(served):
    text = QUERY + " # headers"
    mark = served.mark()
    plain = served.get(text, **{"Accept-Encoding": "identity"})
    xml = served.get(text, Accept="application/sparql-results+xml", **{"Accept-Encoding": "identity"})
    packed = requests.get(served.url + "/sparql", params={"query": text}, stream=True, timeout=10,
                          headers={"Accept": JSON_RESULTS, "Accept-Encoding": "gzip"})
    assert plain.headers["Content-Type"].startswith(JSON_RESULTS)
    assert xml.headers["Content-Type"].startswith("application/sparql-results+xml")
    body = packed.raw.read()
    if packed.headers.get("Content-Encoding") == "gzip":
        body = gzip.decompress(body)
    assert json.loads(body) == plain.json()
    assert "replayed" not in [line.get("cache") for line in served.since(mark, 3)]
    # but the same client asking again through a proxy (another address header) is the same request
    again = served.get(text, **{"Accept-Encoding": "identity", "X-Forwarded-For": "192.0.2.7"})
    assert again.content == plain.content and served.since(mark, 4)[3]["cache"] == "replayed"


def test_a_write_ends_the_replays_of_the_version_before(served):
    text = QUERY + " # versions"
    mark = served.mark()
    count = int(served.get(text).json()["results"]["bindings"][0]["n"]["value"])
    served.get(text)
    written = requests.post(served.url + "/update", data={"update": "INSERT DATA { GRAPH <urn:replay> { <urn:a> <urn:b> 1 } }"},
                            headers={"Authorization": f"Bearer {TOKEN}"}, timeout=10)
    assert written.status_code in (200, 204), written.text
    after = served.get(text)
    assert int(after.json()["results"]["bindings"][0]["n"]["value"]) == count + 1
    assert [line.get("cache") for line in served.since(mark, 3)] == ["miss", "replayed", "miss"]


def test_conditional_requests_and_errors_go_to_the_app(served):
    text = QUERY + " # conditional"
    mark = served.mark()
    etag = served.get(text).headers["ETag"]
    assert served.get(text, **{"If-None-Match": etag}).status_code == 304
    assert served.get(text, **{"If-None-Match": etag}).status_code == 304
    assert [line.get("cache") for line in served.since(mark, 3)] == ["miss", "revalidated", "revalidated"]
    mark = served.mark()
    broken = "SELECT * WHERE { ?s ?p }"
    assert [served.get(broken).status_code for _ in range(2)] == [400, 400]
    assert [(line["status"], line.get("cache")) for line in served.since(mark, 2)] == [(400, "miss"), (400, "miss")]


def scope(method="GET", path="/sparql", query=b"query=ASK%7B%7D", headers=()):
    return {"method": method, "path": path, "raw_path": path.encode(), "query_string": query,
            "headers": [(k.encode(), v.encode()) for k, v in headers]}


def test_the_key_is_the_request_as_received_less_what_cannot_change_the_answer():
    base = request_key(scope(headers=[("Accept", "text/csv"), ("Origin", "https://a.example")]), b"")
    assert base == request_key(scope(headers=[("Origin", "https://a.example"), ("Accept", "text/csv"),
                                              ("X-Forwarded-For", "192.0.2.1"), ("User-Agent", "x")]), b"")
    assert base != request_key(scope(headers=[("Accept", "text/csv"), ("Origin", "https://b.example")]), b"")
    assert base != request_key(scope(headers=[("Accept", "text/csv"), ("Origin", "https://a.example"),
                                              ("Authorization", "Bearer t")]), b"")
    assert request_key(scope(method="POST"), b"query=ASK%7B%7D") != request_key(scope(method="POST"), b"query=ASK%7B%20%7D")
    assert request_key(scope(method="DELETE"), b"") is None
    assert request_key(scope(headers=[("If-None-Match", 'W/"x"')]), b"") is None
    assert request_key(scope(headers=[("If-Modified-Since", "Sat, 05 Dec 2026 00:00:00 GMT")]), b"") is None
