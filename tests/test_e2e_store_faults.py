"""End to end: a store that cannot be read under the real `zgckg serve` is the server's failure (5xx), says
nothing internal to the client, is logged, and the server answers normally again once the store is back."""

import os

import requests

from conftest import build_web_store
from test_e2e_serve import start_server

TOKEN = "store-faults-token"
UPDATE = {"Content-Type": "application/sparql-update", "Authorization": f"Bearer {TOKEN}"}
ASK = {"query": "ASK { <http://example.org/fault> ?p ?o }"}
JSON = {"Accept": "application/sparql-results+json"}

# what the engine and the store would say: none of it may reach the client
INTERNAL = ("IO error", "No such file", "CURRENT", "generations", "Traceback", "pyoxigraph", "rocksdb")


def assert_nothing_internal(response, store_root) -> None:
    body = response.text
    assert str(store_root) not in body and "/tmp" not in body, body
    for word in INTERNAL:
        assert word.lower() not in body.lower(), body


def test_an_unreadable_generation_is_a_5xx_with_nothing_internal_and_the_server_recovers(tmp_path):
    store_dir = build_web_store(tmp_path / "store")
    # readers read from disk (no copy in memory), so a new generation is opened only when a query asks
    process, url = start_server(store_dir.root, "--reader-memory", "0", "--write-token", TOKEN,
                                "--workers", "2", "--timeout", "10")
    try:
        inserted = requests.post(url + "/update", data="INSERT DATA { <http://example.org/fault> <http://example.org/p> 1 }",
                                 headers=UPDATE, timeout=30)
        assert inserted.status_code == 204, inserted.text
        generation = store_dir.link.resolve()
        away = generation.with_name(generation.name + "-away")

        os.rename(generation, away)  # the generation's files are gone; an empty directory stands in for them
        generation.mkdir()
        try:
            query = requests.get(url + "/sparql", params=ASK, headers=JSON, timeout=30)
            assert query.status_code == 503, query.text
            assert "could not be read" in query.text and "server's log" in query.text
            assert_nothing_internal(query, store_dir.root)

            update = requests.post(url + "/update", data="INSERT DATA { <http://example.org/x> <http://example.org/p> 2 }",
                                   headers=UPDATE, timeout=30)
            assert update.status_code == 503, update.text
            assert_nothing_internal(update, store_dir.root)
        finally:
            generation.rmdir()
            os.rename(away, generation)

        again = requests.get(url + "/sparql", params=ASK, headers=JSON, timeout=30)
        assert again.status_code == 200 and again.json()["boolean"] is True, again.text
        written = requests.post(url + "/update", data="INSERT DATA { <http://example.org/y> <http://example.org/p> 3 }",
                                headers=UPDATE, timeout=30)
        assert written.status_code == 204, written.text
    finally:
        process.kill()
        process.wait()
        log = process.stdout.read().decode()
        process.stdout.close()
    # the operator learns what happened: the engine's own words are in the server's log
    assert "the engine failed during a query (503)" in log and "No such file or directory" in log
    assert "the store is not available" in log
