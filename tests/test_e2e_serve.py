"""End to end: the real `zgckg serve` (granian) in a subprocess, queried, written to, and stopped."""

import json
import os
import signal
import socket
import subprocess
import sys
import time
from pathlib import Path

import pytest
import requests
from SPARQLWrapper import JSON, SPARQLWrapper

from conftest import build_web_store, free_port

TOKEN = "serve-test-token"


def descendants(pid: int) -> set[int]:
    """Every live process below ``pid`` (worker processes and the fork server)."""
    parents = {}
    for entry in Path("/proc").iterdir():
        if entry.name.isdigit():
            try:
                stat = (entry / "stat").read_text()
            except OSError:
                continue
            parents[int(entry.name)] = int(stat.rsplit(")", 1)[1].split()[1])
    found, frontier = set(), {pid}
    while frontier:
        frontier = {child for child, parent in parents.items() if parent in frontier} - found
        found |= frontier
    return found


def start_server(store_root: Path, *flags: str) -> tuple[subprocess.Popen, str]:
    """`zgckg serve` on a free port, once it answers."""
    port = free_port()
    command = [str(Path(sys.executable).parent / "zgckg"), "serve", "--store", str(store_root),
               "--port", str(port), *flags]
    env = {k: v for k, v in os.environ.items() if not k.startswith("ZGCKG_")}
    process = subprocess.Popen(command, stdout=subprocess.PIPE, stderr=subprocess.STDOUT, env=env)
    url = f"http://127.0.0.1:{port}"
    deadline = time.monotonic() + 30
    while time.monotonic() < deadline:
        try:
            requests.get(url + "/sparql", params={"query": "ASK {}"}, timeout=1)
            break
        except requests.ConnectionError:
            assert process.poll() is None, process.stdout.read().decode()
            time.sleep(0.1)
    return process, url


def stop(process: subprocess.Popen) -> None:
    if process.poll() is None:
        process.kill()
        process.wait()
    process.stdout.close()


def wait_gone(pids: set[int], seconds: float = 5.0) -> list[int]:
    deadline = time.monotonic() + seconds
    while any(os.path.exists(f"/proc/{pid}") for pid in pids) and time.monotonic() < deadline:
        time.sleep(0.05)
    return [pid for pid in pids if os.path.exists(f"/proc/{pid}")]


@pytest.fixture(scope="module")
def served(tmp_path_factory):
    store_dir = build_web_store(tmp_path_factory.mktemp("served-store"))
    process, url = start_server(store_dir.root, "--no-union-default-graph", "--write-token", TOKEN,
                                "--workers", "2", "--timeout", "5")
    yield process, url
    stop(process)


def test_serve_answers_sparqlwrapper(served):
    _, url = served
    client = SPARQLWrapper(url + "/sparql")
    client.setQuery("SELECT (COUNT(*) AS ?n) WHERE { GRAPH ?g { ?s ?p ?o } }")
    client.setReturnFormat(JSON)
    assert client.query().convert()["results"]["bindings"][0]["n"]["value"] == "15"


def test_serve_without_union_sees_only_the_default_graph(served):
    _, url = served
    response = requests.get(url + "/sparql", params={"query": "SELECT (COUNT(*) AS ?n) { ?s ?p ?o }"},
                            headers={"Accept": "text/csv"})
    assert response.text.splitlines() == ["n", "1"]


def test_serve_takes_writes_with_the_token(served):
    _, url = served
    update = 'INSERT DATA { <http://example.org/served> <http://example.org/p> "yes" }'
    refused = requests.post(url + "/update", data=update, headers={"Content-Type": "application/sparql-update"})
    done = requests.post(url + "/update", data=update, headers={"Content-Type": "application/sparql-update",
                                                                "Authorization": f"Bearer {TOKEN}"})
    assert (refused.status_code, done.status_code) == (401, 204)
    stored = requests.post(url + "/store", params={"graph": "http://example.org/g"}, data=b"<http://a.example/> <http://b.example/> 1 .",
                           headers={"Content-Type": "text/turtle", "Authorization": f"Bearer {TOKEN}"})
    assert stored.status_code == 201
    ask = requests.get(url + "/sparql", params={"query": 'ASK { <http://example.org/served> ?p "yes" }'})
    assert ask.json()["boolean"] is True


def chunks(text: str, size: int = 1000):
    """A body requests sends with Transfer-Encoding: chunked, since its length is not known up front."""
    data = text.encode()
    for start in range(0, len(data), size):
        yield data[start:start + size]


def test_a_chunked_body_over_the_limit_is_413_not_a_truncated_query(served):
    _, url = served
    query = "ASK {} #" + "x" * 1_000_000  # over the default 1,000,000-byte limit by a few bytes
    response = requests.post(url + "/sparql", data=chunks(query, 64 * 1024),
                             headers={"Content-Type": "application/sparql-query"})
    assert response.status_code == 413
    assert "limit of 1,000,000 bytes" in response.text


def test_a_chunked_body_within_the_limit_is_answered(served):
    _, url = served
    response = requests.post(url + "/sparql", data=chunks("ASK { ?s ?p ?o } #" + "x" * 5000),
                             headers={"Content-Type": "application/sparql-query", "Accept": "application/sparql-results+json"})
    assert response.status_code == 200 and response.json()["boolean"] is True


def test_serve_logs_a_json_line_per_query_and_stops_its_workers_on_sigterm(served):
    process, url = served
    requests.get(url + "/sparql", params={"query": "ASK { ?s ?p 'logged' }"})
    workers = descendants(process.pid)
    assert len(workers) >= 2
    process.send_signal(signal.SIGTERM)
    assert process.wait(timeout=15) == 0
    output = process.stdout.read().decode()
    lines = [json.loads(line) for line in output.splitlines() if line.startswith("{")]
    assert {"path": "/sparql", "status": 200, "kind": "boolean"}.items() <= lines[-1].items()
    assert "ms" in lines[-1] and output.rstrip().endswith("zgckg: stopped")
    assert not wait_gone(workers)


def test_no_worker_outlives_a_server_killed_outright(web_store):
    process, url = start_server(web_store.root, "--workers", "2")
    try:
        workers = descendants(process.pid)
        assert len(workers) >= 2
        process.kill()  # SIGKILL: no handler runs, the workers notice their parent is gone
        process.wait()
        assert not wait_gone(workers)
    finally:
        stop(process)


def test_a_taken_port_is_reported_in_one_line_without_a_traceback(web_store):
    with socket.socket() as taken:
        taken.bind(("127.0.0.1", 0))
        taken.listen()
        port = taken.getsockname()[1]
        result = subprocess.run(
            [str(Path(sys.executable).parent / "zgckg"), "serve", "--store", str(web_store.root), "--port", str(port)],
            capture_output=True, text=True, timeout=60,
        )
    assert result.returncode != 0
    assert f"cannot listen on 127.0.0.1:{port}: Address already in use" in result.stderr
    assert "Traceback" not in result.stderr


def test_a_store_directory_that_does_not_exist_is_refused_unless_told_to_create_one(tmp_path):
    command = [str(Path(sys.executable).parent / "zgckg"), "serve", "--store", str(tmp_path / "typo"),
               "--port", str(free_port())]
    refused = subprocess.run(command, capture_output=True, text=True, timeout=60)
    assert refused.returncode == 2
    assert f"no store at {tmp_path / 'typo'}: build one there" in refused.stderr and "--create" in refused.stderr
    assert not (tmp_path / "typo").exists() and "Traceback" not in refused.stderr
    process, url = start_server(tmp_path / "typo", "--create")
    try:
        assert requests.get(url + "/healthz").json()["status"] == "ok"
    finally:
        process.terminate()
        said = process.communicate(timeout=30)[0].decode()
    assert f"no store at {tmp_path / 'typo'}: serving an empty one" in said
