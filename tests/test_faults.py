"""Faults under the real `zgckg serve`, `zgckg build` and `zgckg load`: a worker killed mid-query, a build or a
load killed at several points, twenty concurrent writes then a restart, and a full disk during a build.

Each test is bounded by timeouts, kills every process it starts, and reports what it did in pytest's summary.
"""

from __future__ import annotations

import os
import resource
import signal
import subprocess
import sys
import threading
import time
from concurrent.futures import ThreadPoolExecutor
from pathlib import Path

import pyoxigraph as ox
import requests

from conftest import build_web_store
from test_e2e_serve import descendants
from test_fuzz_protocol import report, start_logged_server, stop_server

TOKEN = "faults-write-token"
JSON = {"Accept": "application/sparql-results+json"}
ZGCKG = str(Path(sys.executable).parent / "zgckg")
PARK_LABELS = ("SELECT ?l WHERE { GRAPH <https://w3id.org/zgckg/graph/asserted> { <http://example.org/park> "
               "<http://www.w3.org/2000/01/rdf-schema#label> ?l } } ORDER BY ?l")
HAIDIAN = "ASK { <https://w3id.org/zgckg/id/haidian-park> ?p ?o }"


def env() -> dict[str, str]:
    return {k: v for k, v in os.environ.items() if not k.startswith("ZGCKG_")}


def ask(url: str, query: str) -> bool:
    response = requests.get(url + "/sparql", params={"query": query}, headers=JSON, timeout=15)
    assert response.status_code == 200, response.text
    return response.json()["boolean"]


def park_labels(url: str) -> list[str]:
    response = requests.get(url + "/sparql", params={"query": PARK_LABELS}, headers=JSON, timeout=15)
    assert response.status_code == 200, response.text
    return [b["l"]["value"] for b in response.json()["results"]["bindings"]]


def cpu_ticks(pid: int) -> int:
    try:
        fields = Path(f"/proc/{pid}/stat").read_text().rsplit(")", 1)[1].split()
    except OSError:
        return 0
    return int(fields[11]) + int(fields[12])  # utime + stime


def query_workers(server_pid: int) -> list[int]:
    """The worker processes: children of the multiprocessing fork server below the server."""
    found = []
    for pid in descendants(server_pid):
        try:
            parent = int(Path(f"/proc/{pid}/stat").read_text().rsplit(")", 1)[1].split()[1])
            parent_cmd = Path(f"/proc/{parent}/cmdline").read_bytes()
        except (OSError, ValueError):
            continue
        if b"forkserver" in parent_cmd:
            found.append(pid)
    return found


def assert_complete_current(store_root: Path) -> str:
    """``current`` names a published generation that opens and holds the web store's data."""
    link = store_root / "current"
    target = link.resolve()
    assert link.is_symlink() and target.parent == (store_root / "generations").resolve(), target
    assert target.name.startswith("g") and target.name[1:].isdigit(), target
    store = ox.Store.read_only(str(target))
    assert len(list(store.quads_for_pattern(ox.NamedNode("http://example.org/dataset"), None, None))) == 1
    del store
    return target.name


def no_traceback(log: Path) -> None:
    text = log.read_text(errors="replace")
    assert "Traceback" not in text, text[-5000:]


# --- a worker killed mid-query ---------------------------------------------------------------------------

LONG = ("SELECT (COUNT(*) AS ?n) WHERE { GRAPH ?g1 {?a ?b ?c} GRAPH ?g2 {?d ?e ?f} GRAPH ?g3 {?g ?h ?i} "
        "GRAPH ?g4 {?j ?k ?l} GRAPH ?g5 {?m ?n0 ?o} GRAPH ?g6 {?p ?q ?r} GRAPH ?g7 {?s ?t ?u} }")


def test_a_worker_killed_mid_query_fails_that_request_cleanly_and_the_next_query_succeeds(tmp_path, request):
    store_dir = build_web_store(tmp_path / "store")
    log = tmp_path / "serve.log"
    process, url = start_logged_server(store_dir.root, log, "--workers", "2", "--timeout", "30")
    try:
        workers = query_workers(process.pid)
        assert len(workers) >= 2, workers
        before = {pid: cpu_ticks(pid) for pid in workers}
        answers: list[requests.Response] = []
        asker = threading.Thread(target=lambda: answers.append(requests.get(
            url + "/sparql", params={"query": LONG}, headers=JSON, timeout=40)))
        asker.start()
        victim, deadline = None, time.monotonic() + 10
        while victim is None and time.monotonic() < deadline:  # the worker burning CPU runs the long query
            time.sleep(0.1)
            busy = {pid: cpu_ticks(pid) - ticks for pid, ticks in before.items()}
            pid, used = max(busy.items(), key=lambda item: item[1])
            if used >= 20:  # 0.2 s of CPU at the usual 100 ticks a second
                victim = pid
        assert victim is not None, "no worker took up the long query"
        killed = time.monotonic()
        os.kill(victim, signal.SIGKILL)
        asker.join(timeout=20)
        assert not asker.is_alive(), "the request whose worker was killed never got an answer"
        waited = time.monotonic() - killed
        failed = answers[0]
        assert failed.status_code == 503, failed.text
        assert "ended unexpectedly" in failed.text and "Traceback" not in failed.text, failed.text
        assert waited < 5, waited
        assert ask(url, "ASK { ?s ?p ?o }") is True
        assert park_labels(url) == ["Example park", "示例园区"]
        report(request.config, f"worker kill: SIGKILLed worker {victim} mid-query; the request got 503 in "
                               f"{waited:.2f} s (Retry-After: {failed.headers.get('Retry-After', 'none')}); "
                               "the next query answered")
    finally:
        stop_server(process)
    no_traceback(log)


# --- a build or a load killed part-way --------------------------------------------------------------------


def kill_at(command: list[str], point: float | str, generations: Path) -> str:
    """Run ``command`` and SIGKILL it after ``point`` seconds, or (``"writing"``) once its new generation is
    on disk; what happened."""
    process = subprocess.Popen(command, stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL, env=env())
    try:
        if point == "writing":
            deadline = time.monotonic() + 30
            while not any(generations.glob(".tmp-*")) and process.poll() is None and time.monotonic() < deadline:
                time.sleep(0.002)
        else:
            time.sleep(point)
        if process.poll() is not None:
            return f"finished before {point}"
        process.kill()
        return f"killed at {point}"
    finally:
        process.kill()
        process.wait(timeout=30)


def survive_kills(command: list[str], store_root: Path, url: str) -> list[str]:
    outcomes = []
    before = assert_complete_current(store_root)
    for point in (0.2, 0.5, 1.0, "writing"):
        outcomes.append(kill_at(command, point, store_root / "generations"))
        now = assert_complete_current(store_root)  # whatever moment the kill came, `current` is whole
        if now != before:  # the kill came after the switch (the process was about to exit): a whole new one
            outcomes[-1] += " (after publishing)"
            before = now
        assert park_labels(url) == ["Example park", "示例园区"] or ask(url, HAIDIAN)  # still served
    return outcomes


def test_a_build_killed_part_way_leaves_the_old_generation_serving_and_the_next_build_succeeds(tmp_path, request):
    store_dir = build_web_store(tmp_path / "store")
    log = tmp_path / "serve.log"
    process, url = start_logged_server(store_dir.root, log, "--workers", "1", "--timeout", "10")
    try:
        build = [ZGCKG, "build", "--store", str(store_dir.root)]
        outcomes = survive_kills(build, store_dir.root, url)
        assert park_labels(url) == ["Example park", "示例园区"]
        done = subprocess.run(build, capture_output=True, text=True, timeout=120, env=env())
        assert done.returncode == 0, done.stderr
        assert not any((store_dir.root / "generations").glob(".tmp-*"))  # what the killed builds left is gone
        assert_complete_current(store_dir.root)
        assert ask(url, HAIDIAN) is True and park_labels(url) == []
        report(request.config, f"build kills: {', '.join(outcomes)}; old generation served throughout; next build ok")
    finally:
        stop_server(process)
    no_traceback(log)


def test_a_load_killed_part_way_leaves_the_old_generation_serving_and_the_next_load_succeeds(tmp_path, request):
    store_dir = build_web_store(tmp_path / "store")
    big = tmp_path / "big.nt"
    triples = 150_000
    with open(big, "w") as out:
        for i in range(triples):
            out.write(f'<http://example.org/big/s{i}> <http://example.org/big/p{i % 7}> "value {i}" .\n')
    log = tmp_path / "serve.log"
    process, url = start_logged_server(store_dir.root, log, "--workers", "1", "--timeout", "10")
    try:
        load = [ZGCKG, "load", str(big), "--store", str(store_dir.root)]
        outcomes = survive_kills(load, store_dir.root, url)
        if not any(outcome.endswith("(after publishing)") for outcome in outcomes):  # else the data is in, whole
            assert not ask(url, "ASK { GRAPH ?g { <http://example.org/big/s0> ?p ?o } }")
        done = subprocess.run(load, capture_output=True, text=True, timeout=120, env=env())
        assert done.returncode == 0, done.stderr
        assert f"{triples} triples" in done.stdout
        assert_complete_current(store_dir.root)
        count = requests.get(url + "/sparql", headers=JSON, timeout=30, params={
            "query": "SELECT (COUNT(*) AS ?n) WHERE { GRAPH <https://w3id.org/zgckg/graph/user/big.nt> { ?s ?p ?o } }"})
        assert int(count.json()["results"]["bindings"][0]["n"]["value"]) == triples
        assert park_labels(url) == ["Example park", "示例园区"]
        report(request.config, f"load kills ({triples:,} triples, {big.stat().st_size / 1e6:.0f} MB): "
                               f"{', '.join(outcomes)}; old generation served throughout; next load ok")
    finally:
        stop_server(process)
    no_traceback(log)


# --- concurrent writes, then a restart --------------------------------------------------------------------


def test_every_acknowledged_concurrent_write_is_there_and_survives_a_restart(tmp_path, request):
    store_dir = build_web_store(tmp_path / "store")
    log = tmp_path / "serve.log"
    flags = ("--write-token", TOKEN, "--workers", "2", "--timeout", "30", "--max-client-requests", "32")
    process, url = start_logged_server(store_dir.root, log, *flags)
    writes = 20

    def write(i: int) -> int:
        update = (f'INSERT DATA {{ GRAPH <http://example.org/user/c{i}> {{ <http://example.org/s{i}> '
                  f'<http://example.org/p> "value {i}" }} }}')
        return requests.post(url + "/update", data=update, timeout=60, headers={
            "Content-Type": "application/sparql-update", "Authorization": f"Bearer {TOKEN}"}).status_code

    def present(base: str, i: int) -> bool:
        return ask(base, f'ASK {{ GRAPH <http://example.org/user/c{i}> {{ <http://example.org/s{i}> ?p "value {i}" }} }}')

    try:
        started = time.monotonic()
        with ThreadPoolExecutor(writes) as threads:
            statuses = list(threads.map(write, range(writes)))
        took = time.monotonic() - started
        acknowledged = [i for i, status in enumerate(statuses) if 200 <= status < 300]
        assert all(status < 500 or status == 503 for status in statuses), statuses
        assert len(acknowledged) == writes, statuses  # generous limits: each one waits its turn
        assert all(present(url, i) for i in acknowledged)
    finally:
        stop_server(process)  # SIGKILL: no shutdown handler runs
    process, url = start_logged_server(store_dir.root, log, *flags)
    try:
        assert [i for i in acknowledged if not present(url, i)] == []
        assert park_labels(url) == ["Example park", "示例园区"]
    finally:
        stop_server(process)
    no_traceback(log)
    report(request.config, f"concurrent writes: {writes} at once, statuses {sorted(set(statuses))}, "
                           f"{len(acknowledged)} acknowledged in {took:.1f} s, all present, and after a restart")


# --- a full disk during a build ---------------------------------------------------------------------------


def _mount_small_tmpfs(where: Path, size: str) -> bool:
    where.mkdir()
    done = subprocess.run(["mount", "-t", "tmpfs", "-o", f"size={size}", "tmpfs", str(where)],
                          capture_output=True, timeout=30)
    return done.returncode == 0


def _limit_file_size() -> None:  # in the child, before exec: writes past 1 MB fail with EFBIG
    signal.signal(signal.SIGXFSZ, signal.SIG_IGN)
    resource.setrlimit(resource.RLIMIT_FSIZE, (1_000_000, 1_000_000))


def test_a_build_on_a_full_disk_fails_clearly_and_the_old_generation_keeps_serving(tmp_path, request):
    """The disk fills up for real where the system allows it: the store lives on a 1.5 MB tmpfs (the web
    store's generation takes about 0.3 MB, a build's about 2.8 MB), mounted for the test, grown with
    ``remount`` for the build that must succeed, and unmounted at the end. Where mounting is not allowed
    (no privilege), the build runs under RLIMIT_FSIZE with SIGXFSZ ignored, so that its writes past 1 MB
    fail with EFBIG as a full disk's fail with ENOSPC, and the next build runs without the limit."""
    disk = tmp_path / "disk"
    mounted = _mount_small_tmpfs(disk, "1500k")
    process = None
    try:
        store_dir = build_web_store(disk / "store")
        log = tmp_path / "serve.log"
        process, url = start_logged_server(store_dir.root, log, "--workers", "1", "--timeout", "10")
        before = assert_complete_current(store_dir.root)
        build = [ZGCKG, "build", "--store", str(store_dir.root)]
        failed = subprocess.run(build, capture_output=True, text=True, timeout=120, env=env(),
                                preexec_fn=None if mounted else _limit_file_size)
        assert failed.returncode == 1, (failed.returncode, failed.stderr)
        assert "Traceback" not in failed.stderr, failed.stderr
        error = failed.stderr.strip()
        assert "could not write the new generation" in error and len(error.splitlines()) == 1, error
        assert ("No space left on device" if mounted else "File too large") in error, error
        assert assert_complete_current(store_dir.root) == before
        assert not any((store_dir.root / "generations").glob(".tmp-*"))
        assert park_labels(url) == ["Example park", "示例园区"]

        if mounted:
            subprocess.run(["mount", "-o", "remount,size=64m", str(disk)], check=True, timeout=30)
        done = subprocess.run(build, capture_output=True, text=True, timeout=120, env=env())
        assert done.returncode == 0, done.stderr
        assert ask(url, HAIDIAN) is True
        report(request.config, f"full disk ({'a 1.5 MB tmpfs' if mounted else 'RLIMIT_FSIZE 1 MB'}): build exit "
                               f"{failed.returncode}, {error[:90]!r}…; old generation served; next build ok")
    finally:
        if process is not None:
            stop_server(process)
        if mounted:
            if subprocess.run(["umount", str(disk)], capture_output=True, timeout=30).returncode:
                subprocess.run(["umount", "-l", str(disk)], capture_output=True, timeout=30)
    no_traceback(log)
