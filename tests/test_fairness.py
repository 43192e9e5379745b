"""Per-client limits: one client's runaway queries never hold up another client."""

import threading
import time

import pytest
import requests

from zgckg.config import Config
from zgckg.web.errors import HttpError
from zgckg.web.fairness import WINDOW, ClientLimits

RUNAWAY = "SELECT (COUNT(*) AS ?n) { ?a ?b ?c . ?d ?e ?f . ?g ?h ?i . ?j ?k ?l } # "


class Clock:
    def __init__(self):
        self.now = 1000.0

    def __call__(self):
        return self.now


def test_a_client_may_run_two_queries_at_once_and_a_third_is_a_429():
    limits = ClientLimits(Config(client_queries=2), clock=Clock())
    with limits.running("a"), limits.running("a"):
        with pytest.raises(HttpError) as refused:
            with limits.running("a"):
                pass
        assert refused.value.status == 429 and refused.value.headers["Retry-After"] == "1"
        assert "2 queries running" in refused.value.message and "--client-queries" in refused.value.message
        with limits.running("b"):  # another client is not held to a's count
            pass
    with limits.running("a"):  # a's slots are free again
        pass


def test_a_client_over_its_minute_of_query_time_waits_until_it_has_time_again():
    clock = Clock()
    limits = ClientLimits(Config(client_query_seconds=60), clock=clock)
    for seconds in (25, 25, 15):
        with limits.running("a"):
            clock.now += seconds
    with pytest.raises(HttpError) as refused:
        with limits.running("a"):
            pass
    # 65 s spent; once the first 25 s query (finished 40 s ago) leaves the window, 40 s remain: 20 s from now
    assert refused.value.status == 429 and refused.value.headers["Retry-After"] == "20"
    assert "65.0 s in the last minute" in refused.value.message and "--client-query-seconds" in refused.value.message
    with limits.running("b"):
        pass
    clock.now += 20
    with limits.running("a"):
        pass
    clock.now += WINDOW + 1
    with limits.running("a"):
        pass


def test_behind_a_proxy_the_configured_header_names_the_client():
    from flask import Flask, request

    limits = ClientLimits(Config(client_header="X-Forwarded-For"))
    with Flask(__name__).test_request_context("/", headers={"X-Forwarded-For": "203.0.113.7, 10.0.0.1"},
                                              environ_base={"REMOTE_ADDR": "10.0.0.1"}):
        assert limits.client_of(request) == "203.0.113.7"
    with Flask(__name__).test_request_context("/", environ_base={"REMOTE_ADDR": "10.0.0.1"}):
        assert limits.client_of(request) == "10.0.0.1"


@pytest.fixture(scope="module")
def fair_server(project_built):
    from conftest import LiveServer
    from zgckg.app import close_app, create_app

    app = create_app(project_built.with_values({"workers": 2, "timeout": 6.0, "client_header": "X-Client"}))
    server = LiveServer(app)
    yield server.url, app
    server.close()
    close_app(app)


def test_two_runaways_of_one_client_leave_the_others_answered(fair_server):
    url, app = fair_server
    pool = app.extensions["zgckg"].engine.readers
    results = []

    def runaway(n):
        answer = requests.get(url + "/sparql", params={"query": RUNAWAY + str(n)}, headers={"X-Client": "greedy"})
        results.append(answer.status_code)

    threads = [threading.Thread(target=runaway, args=(n,)) for n in range(2)]
    for thread in threads:
        thread.start()
    deadline = time.monotonic() + 5
    while pool.busy() < 2 and time.monotonic() < deadline:
        time.sleep(0.02)
    assert pool.busy() == 2  # both workers taken by the runaways
    started = time.monotonic()
    other = requests.get(url + "/sparql", params={"query": "ASK { ?s ?p ?o } # other client"},
                         headers={"X-Client": "patient"})
    waited = time.monotonic() - started
    assert other.status_code == 200 and other.json()["boolean"] is True
    assert waited < 1.0, f"the other client waited {waited:.2f} s"
    third = requests.get(url + "/sparql", params={"query": RUNAWAY + "3"}, headers={"X-Client": "greedy"})
    assert third.status_code == 429 and third.headers["Retry-After"]
    assert "--client-queries" in third.text
    for thread in threads:
        thread.join(15)
    assert results == [503, 503]  # stopped at their time limit
    metrics = requests.get(url + "/metrics").text
    assert 'zgckg_client_refusals_total{limit="concurrency"} 1.0' in metrics
