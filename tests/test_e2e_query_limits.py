"""End to end: texts built to crash or stall the engine — deep nesting, huge bodies, endless FROM clauses —
meet a limit before the engine sees them, against the real `zgckg serve`; no worker or writer dies."""

import time

import pytest
import requests

from conftest import build_web_store
from test_e2e_serve import descendants, start_server, stop

TOKEN = "query-limits-token"
AUTH = {"Authorization": f"Bearer {TOKEN}"}
QUERY = {"Content-Type": "application/sparql-query"}
UPDATE = {"Content-Type": "application/sparql-update", **AUTH}


@pytest.fixture(scope="module")
def server(tmp_path_factory):
    store_dir = build_web_store(tmp_path_factory.mktemp("query-limits-store"))
    process, url = start_server(store_dir.root, "--write-token", TOKEN)
    yield url, process.pid
    stop(process)


def nested(levels: int) -> str:
    return "(" * levels + "1" + ")" * levels


@pytest.mark.parametrize("levels", [10_000, 100_000])
@pytest.mark.parametrize("kind", ["query", "update"])
def test_deep_nesting_is_a_400_naming_the_cap_and_no_worker_dies(server, levels, kind):
    url, pid = server
    workers = descendants(pid)
    if kind == "query":
        response = requests.post(url + "/sparql", data=f"ASK {{ FILTER({nested(levels)}) }}", headers=QUERY)
    else:
        text = f"INSERT {{ <http://x.example/a> <http://x.example/b> ?v }} WHERE {{ BIND({nested(levels)} AS ?v) }}"
        response = requests.post(url + "/update", data=text, headers=UPDATE)
    assert response.status_code == 400, response.text
    assert "this server's limit of" in response.text
    # 10,000 levels meet the depth cap; 100,000 levels are already longer than the length cap
    setting = "--max-query-depth" if levels == 10_000 else "--max-query-length"
    assert setting in response.text
    assert descendants(pid) == workers
    assert requests.get(url + "/sparql", params={"query": "ASK {}"}).json()["boolean"] is True


def test_nesting_within_the_cap_is_answered(server):
    url, _ = server
    response = requests.post(url + "/sparql", data=f"ASK {{ FILTER({nested(60)} = 1) }}", headers=QUERY)
    assert response.status_code == 200 and response.json()["boolean"] is True


def test_a_megabyte_query_with_from_is_refused_at_once(server):
    url, _ = server
    text = "SELECT * " + "FROM <http://x.example/g> " * 40_000 + "WHERE { ?s ?p ?o }"
    assert len(text) > 1_000_000
    started = time.monotonic()
    response = requests.post(url + "/sparql", data=text, headers=QUERY)
    assert response.status_code in (400, 413), response.text
    assert time.monotonic() - started < 1.0


def test_the_longest_allowed_query_with_from_is_read_in_well_under_a_second(server):
    url, _ = server
    text = "SELECT * " + "FROM <http://x.example/g> " * 7_000 + "WHERE { ?s ?p ?o }"
    assert 150_000 < len(text) < 200_000
    started = time.monotonic()
    response = requests.post(url + "/sparql", data=text, headers=QUERY)
    assert response.status_code == 200, response.text
    assert response.json()["results"]["bindings"] == []  # the graph named by FROM does not exist
    assert time.monotonic() - started < 1.0


def test_too_many_triple_patterns_is_a_400_naming_the_cap(server):
    url, _ = server
    text = "SELECT * WHERE { " + " . ".join(f"?s <http://x.example/p{i}> ?o{i}" for i in range(2_001)) + " }"
    response = requests.post(url + "/sparql", data=text, headers=QUERY)
    assert response.status_code == 400
    assert "triple patterns" in response.text and "--max-triple-patterns" in response.text


def test_insert_data_is_not_held_to_the_pattern_cap(server):
    url, _ = server
    triples = " ".join(f"<http://x.example/s{i}> <http://x.example/p> {i} ." for i in range(3_000))
    response = requests.post(url + "/update", data=f"INSERT DATA {{ {triples} }}", headers=UPDATE)
    assert response.status_code == 204, response.text
    count = requests.get(url + "/sparql", params={
        "query": "SELECT (COUNT(*) AS ?n) { ?s <http://x.example/p> ?o }"}).json()
    assert count["results"]["bindings"][0]["n"]["value"] == "3000"


def test_the_limits_are_settings_of_serve(tmp_path):
    store_dir = build_web_store(tmp_path / "store")
    process, url = start_server(store_dir.root, "--max-query-depth", "8", "--max-query-length", "300",
                                "--max-triple-patterns", "3")
    try:
        def status(text: str) -> tuple[int, str]:
            response = requests.post(url + "/sparql", data=text, headers=QUERY)
            return response.status_code, response.text

        assert status(f"ASK {{ FILTER({nested(6)} = 1) }}")[0] == 200
        assert "limit of 8" in status(f"ASK {{ FILTER({nested(9)} = 1) }}")[1]
        assert "limit of 300" in status("ASK { " + "FILTER(true) " * 30 + "}")[1]
        assert status("ASK { ?a ?b ?c . ?d ?e ?f . ?g ?h ?i }")[0] == 200
        assert "limit of 3" in status("ASK { ?a ?b ?c . ?d ?e ?f . ?g ?h ?i . ?j ?k ?l }")[1]
    finally:
        stop(process)


def test_under_overload_every_answer_comes_within_the_time_limit_plus_a_little(tmp_path):
    """Twelve runaway queries at once on one worker: time spent waiting for a thread or a worker counts
    toward each request's limit, so none is answered later than the limit plus a small constant. (The
    per-client limits are off and the pool may not grow: this is about one worker's queue.)"""
    from concurrent.futures import ThreadPoolExecutor

    store_dir = build_web_store(tmp_path / "store")
    process, url = start_server(store_dir.root, "--workers", "1", "--max-workers", "1", "--timeout", "1",
                                "--client-queries", "0")
    cross_product = "SELECT (COUNT(*) AS ?n) WHERE { " + " ".join(f"?s{i} ?p{i} ?o{i} ." for i in range(8)) + " }"

    def ask(_):
        started = time.monotonic()
        response = requests.post(url + "/sparql", data=cross_product, headers=QUERY)
        return response.status_code, time.monotonic() - started

    try:
        with ThreadPoolExecutor(12) as clients:
            outcomes = list(clients.map(ask, range(12)))
    finally:
        stop(process)
    assert {status for status, _ in outcomes} == {503}
    assert max(seconds for _, seconds in outcomes) < 1.0 + 0.8
