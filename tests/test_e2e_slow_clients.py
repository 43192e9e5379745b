"""End to end: hostile clients against the real `zgckg serve` — bodies and headers that never finish,
too many requests from one address, oversized bodies, the app process killed — while others are served."""

import http.client
import os
import resource
import signal
import socket
import threading
import time
from pathlib import Path

import pytest
import requests

from conftest import build_web_store
from test_e2e_serve import descendants, start_server, stop, wait_gone
from zgckg.web.bodies import too_large

TOKEN = "slow-clients-token"
ASK = {"query": "ASK { ?s ?p ?o }"}


@pytest.fixture(scope="module")
def server(tmp_path_factory):
    """Two-second body and header deadlines, so the tests need not wait the default five; a store of its
    own, since a test writes to it."""
    store_dir = build_web_store(tmp_path_factory.mktemp("slow-clients-store"))
    process, url = start_server(store_dir.root, "--body-timeout", "2", "--header-timeout", "2",
                                "--write-token", TOKEN)
    yield url
    stop(process)


def port_of(url: str) -> int:
    return int(url.rsplit(":", 1)[1])


def connect(url: str, data: bytes) -> socket.socket:
    sock = socket.create_connection(("127.0.0.1", port_of(url)))
    sock.sendall(data)
    return sock


def response_of(sock: socket.socket, timeout: float = 10) -> tuple[int, dict[str, str], str]:
    """Status, headers and body of the answer on ``sock``, read until the server closes it."""
    sock.settimeout(timeout)
    raw = b""
    while chunk := sock.recv(65536):
        raw += chunk
    sock.close()
    head, _, body = raw.partition(b"\r\n\r\n")
    status_line, *lines = head.decode("latin-1").split("\r\n")
    headers = {name.lower(): value.strip() for name, _, value in (line.partition(":") for line in lines)}
    return int(status_line.split()[1]), headers, body.decode("utf-8")


def answered_in(url: str) -> float:
    """Seconds another client waits for an ASK, which must succeed."""
    started = time.monotonic()
    response = requests.get(url + "/sparql", params=ASK, timeout=10)
    assert response.status_code == 200 and response.json()["boolean"] is True
    return time.monotonic() - started


def test_the_app_gets_each_request_as_it_was_sent(server):
    query = 'ASK { ?s ?p "示例园区"@zh }'
    get = requests.get(server + "/sparql", params={"query": query})
    form = requests.post(server + "/sparql", data={"query": query})
    chunked = requests.post(server + "/sparql", data=iter([query.encode()]),
                            headers={"Content-Type": "application/sparql-query"})
    assert chunked.request.headers["Transfer-Encoding"] == "chunked"
    assert [r.json()["boolean"] for r in (get, form, chunked)] == [True, True, True]
    encoded = http.client.HTTPConnection("127.0.0.1", port_of(server), timeout=5)
    encoded.request("GET", "/%73parql?query=ASK%20%7B%7D")  # the app routes on the decoded path
    assert encoded.getresponse().status == 200
    encoded.close()


HOLD_LENGTH = (b"POST /sparql HTTP/1.1\r\nHost: x\r\nContent-Type: application/sparql-query\r\n"
               b"Content-Length: 1000\r\n\r\nASK")
HOLD_CHUNKED = (b"POST /sparql HTTP/1.1\r\nHost: x\r\nContent-Type: application/sparql-query\r\n"
                b"Transfer-Encoding: chunked\r\n\r\n3\r\nASK\r\n")


@pytest.mark.parametrize("request_head", [HOLD_LENGTH, HOLD_CHUNKED], ids=["content-length", "chunked"])
def test_unfinished_bodies_hold_no_thread_and_end_in_408(server, request_head):
    sent = time.monotonic()
    slow = [connect(server, request_head) for _ in range(8)]  # as many as the server has threads
    time.sleep(0.3)
    assert answered_in(server) < 1.0
    for sock in slow:
        status, headers, body = response_of(sock)
        waited = time.monotonic() - sent
        assert status == 408 and 1.9 < waited < 4.0
        assert "limit of 2 s" in body and "ZGCKG_BODY_TIMEOUT" in body
        assert headers["content-type"] == "text/plain; charset=utf-8"


def test_a_thousand_unfinished_header_blocks_starve_no_one(server):
    soft, hard = resource.getrlimit(resource.RLIMIT_NOFILE)
    if soft < 2048:
        resource.setrlimit(resource.RLIMIT_NOFILE, (min(2048, hard), hard))
    stuck = []
    try:
        for _ in range(1024):
            stuck.append(connect(server, b"GET /sparql HTTP/1.1\r\nHost: x\r\n"))
        opened = time.monotonic()
        time.sleep(0.3)
        assert answered_in(server) < 1.0
        stuck[0].settimeout(10)
        assert stuck[0].recv(1024) == b""  # closed by the server at the header deadline (2 s)
        assert time.monotonic() - opened < 4.0
    finally:
        for sock in stuck:
            sock.close()


def front_refusals(url: str, status: int) -> float:
    from prometheus_client.parser import text_string_to_metric_families

    text = requests.get(url + "/metrics").text
    return sum(sample.value for family in text_string_to_metric_families(text) for sample in family.samples
               if sample.name == "zgckg_front_refusals_total" and sample.labels == {"status": str(status)})


def test_a_body_over_the_limit_is_413_before_it_is_sent(server):
    refused_before = front_refusals(server, 413)
    sent = time.monotonic()
    sock = connect(server, b"POST /sparql HTTP/1.1\r\nHost: x\r\nContent-Type: application/sparql-query\r\n"
                           b"Content-Length: 2000000\r\n\r\nASK")
    status, _, body = response_of(sock)
    assert status == 413 and time.monotonic() - sent < 1.0
    assert body == too_large(1_000_000, "ZGCKG_MAX_BODY_BYTES").message + "\n"
    assert front_refusals(server, 413) == refused_before + 1  # counted in /metrics


def test_a_chunked_body_is_413_as_soon_as_it_passes_the_limit(server):
    sent = time.monotonic()
    chunk = b"#" * 1_000_001
    sock = connect(server, b"POST /sparql HTTP/1.1\r\nHost: x\r\nContent-Type: application/sparql-query\r\n"
                           b"Transfer-Encoding: chunked\r\n\r\n" + b"%x\r\n" % len(chunk) + chunk + b"\r\n")
    status, _, body = response_of(sock)  # the body is never finished: only the limit can end it
    assert status == 413 and time.monotonic() - sent < 1.0
    assert body == too_large(1_000_000, "ZGCKG_MAX_BODY_BYTES").message + "\n"


def test_only_a_writer_may_send_an_upload_over_the_body_limit(server):
    graph = b"<http://example.org/big> <http://example.org/p> \"" + b"x" * 1_200_000 + b"\" ."
    params, kind = {"graph": "http://example.org/big"}, {"Content-Type": "application/n-triples"}
    anonymous = requests.post(server + "/store", params=params, data=graph, headers=kind)
    assert anonymous.status_code == 413 and "ZGCKG_MAX_BODY_BYTES" in anonymous.text
    writer = requests.post(server + "/store", params=params, data=graph,
                           headers={**kind, "Authorization": f"Bearer {TOKEN}"})
    assert writer.status_code == 201


@pytest.fixture
def strict_server(web_store):
    process, url = start_server(web_store.root, "--max-client-requests", "2", "--body-timeout", "2")
    yield url
    stop(process)


def test_one_address_gets_429_over_its_limit_and_another_address_is_served(strict_server):
    held = [connect(strict_server, HOLD_LENGTH) for _ in range(2)]
    time.sleep(0.3)
    refused = requests.get(strict_server + "/sparql", params=ASK, headers={"Accept": "application/json"})
    assert refused.status_code == 429 and refused.headers["Retry-After"] == "1"
    assert refused.headers["Access-Control-Allow-Origin"] == "*"  # a page can read why
    assert refused.json()["status"] == 429 and "ZGCKG_MAX_CLIENT_REQUESTS" in refused.json()["message"]

    other = http.client.HTTPConnection("127.0.0.1", port_of(strict_server), timeout=5,
                                       source_address=("127.0.0.2", 0))
    other.request("GET", "/sparql?query=ASK%20%7B%7D")
    assert other.getresponse().status == 200
    other.close()

    for sock in held:
        sock.close()
    deadline = time.monotonic() + 2
    while requests.get(strict_server + "/sparql", params=ASK).status_code == 429:
        assert time.monotonic() < deadline, "the held requests' slots were not given back"
        time.sleep(0.05)


def app_process(server_pid: int) -> int:
    """Granian's child process, the one that runs the app."""
    children = [int(pid) for path in Path(f"/proc/{server_pid}/task").glob("*/children")
                for pid in path.read_text().split()]
    assert len(children) == 1, children
    return children[0]


def test_a_killed_app_process_is_replaced_within_two_seconds(web_store):
    process, url = start_server(web_store.root, "--workers", "2")
    try:
        app = app_process(process.pid)
        old_workers = descendants(app)
        assert len(old_workers) >= 2
        os.kill(app, signal.SIGKILL)
        killed = time.monotonic()
        while True:
            try:
                if requests.get(url + "/sparql", params=ASK, timeout=0.5).status_code == 200:
                    break
            except requests.RequestException:
                pass
            assert time.monotonic() - killed < 2.0, "no answer within 2 s of the app process being killed"
            time.sleep(0.02)
        respawned = time.monotonic() - killed
        print(f"answered again {respawned:.3f} s after the app process was killed")
        assert process.poll() is None and app_process(process.pid) != app
        assert not wait_gone(old_workers)  # the dead app's query workers do not linger

        workers = descendants(process.pid)
        process.kill()  # the new app process still stops with granian's main process
        process.wait()
        assert not wait_gone(workers)
    finally:
        stop(process)


@pytest.fixture
def one_worker_server(web_store):
    process, url = start_server(web_store.root, "--workers", "1", "--timeout", "4", "--client-header", "X-Client")
    yield url
    stop(process)


def test_health_and_metrics_answer_while_every_thread_waits_on_a_query(one_worker_server):
    url = one_worker_server
    assert requests.get(url + "/metrics", timeout=30).status_code == 200  # the graphs counted for this version
    hundred = " ".join(map(str, range(100)))  # 10^8 rows to filter: far past the 4 s limit
    endless = "SELECT * { " + " ".join(f"VALUES ?{v} {{ {hundred} }}" for v in "abcd") + " FILTER(?a + ?b + ?c + ?d < 0) }"
    statuses = []

    def ask(number: int) -> None:
        statuses.append(requests.post(url + "/sparql", data={"query": f"{endless} # {number}"},
                                      headers={"X-Client": f"client-{number}"}, timeout=30).status_code)

    threads = [threading.Thread(target=ask, args=(k,)) for k in range(8)]  # as many as the server has threads
    for thread in threads:
        thread.start()
    time.sleep(1.0)
    for path in ("/healthz", "/metrics"):
        started = time.monotonic()
        assert requests.get(url + path, timeout=10).status_code == 200
        assert time.monotonic() - started < 1.0, path
    for thread in threads:
        thread.join()
    assert len(statuses) == 8 and set(statuses) <= {503}  # each query cut at the limit, or no worker freed in time
