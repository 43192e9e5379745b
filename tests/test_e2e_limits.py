"""End to end: a query over its time limit is stopped and its worker freed, while others are answered."""

import os
import statistics
import threading
import time

import pytest
import requests

from conftest import LiveServer

CROSS_PRODUCT = "SELECT (COUNT(*) AS ?n) WHERE { " + " ".join(f"?s{i} ?p{i} ?o{i} ." for i in range(8)) + " }"


def test_cross_product_is_cut_at_the_limit_while_another_client_keeps_being_answered(live_server, web_app):
    readers = web_app.extensions["zgckg"].engine.readers
    killed_before = len(readers.killed)
    outcome = {}

    def heavy():
        started = time.monotonic()
        response = requests.get(live_server + "/sparql", params={"query": CROSS_PRODUCT, "timeout": "1"})
        outcome.update(status=response.status_code, text=response.text, seconds=time.monotonic() - started)

    thread = threading.Thread(target=heavy)
    thread.start()
    time.sleep(0.1)
    latencies = []
    with requests.Session() as other_client:
        while thread.is_alive():
            started = time.monotonic()
            answer = other_client.get(live_server + "/sparql", params={"query": f"ASK {{ ?s ?p {len(latencies)} }}"})
            latencies.append(time.monotonic() - started)
            assert answer.status_code == 200
    thread.join()

    assert outcome["status"] == 503
    assert "time limit of 1 s" in outcome["text"] and "--timeout" in outcome["text"]
    assert 0.9 < outcome["seconds"] < 2.0
    assert len(latencies) >= 3 and max(latencies) < 1.0 and statistics.median(latencies) < 0.1
    (killed,) = readers.killed[killed_before:]
    assert not os.path.exists(f"/proc/{killed}")  # CPU and memory are really given back


@pytest.fixture(scope="module")
def strict_server(tmp_path_factory):
    """A server whose own limits are low: half a second and 5 rows."""
    from conftest import build_web_store
    from zgckg.app import close_app, create_app
    from zgckg.config import Config

    store_dir = build_web_store(tmp_path_factory.mktemp("strict-store"))
    app = create_app(Config(store=store_dir.root, workers=1, timeout=0.5, max_rows=5), store=store_dir)
    server = LiveServer(app)
    yield server.url
    server.close()
    close_app(app)


def test_a_client_cannot_raise_the_time_limit(strict_server):
    started = time.monotonic()
    response = requests.get(strict_server + "/sparql", params={"query": CROSS_PRODUCT, "timeout": "60"})
    assert response.status_code == 503 and time.monotonic() - started < 1.5
    assert "time limit of 0.5 s" in response.text


def test_a_client_cannot_raise_the_row_limit(strict_server):
    response = requests.get(strict_server + "/sparql", params={"query": "SELECT * { ?s ?p ?o }", "max-rows": "1000"})
    assert response.status_code == 400 and "more than 5 rows" in response.text


def test_the_server_answers_after_a_stopped_query(strict_server):
    requests.get(strict_server + "/sparql", params={"query": CROSS_PRODUCT})
    deadline = time.monotonic() + 10
    while True:  # the only worker was killed: its successor takes over within moments
        response = requests.get(strict_server + "/sparql", params={"query": "ASK {}"})
        if response.status_code == 200 or time.monotonic() > deadline:
            break
    assert response.status_code == 200
