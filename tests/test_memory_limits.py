"""Memory caps on workers and the answer byte cap: over either, a query is refused whole with a 400 that
names the setting; the dead worker is replaced, and the server and its other requests are unaffected."""

import logging
import time

import pytest

from zgckg.config import GIB, Config, default_worker_memory
from zgckg.errors import AnswerTooLarge, QueryOutOfMemory, ServeError
from zgckg.kg.engine.local import reader_copy_bytes
from zgckg.kg.executor import QueryJob, UpdateJob, WorkerPool

SORTED_CROSS_PRODUCT = "SELECT * { ?a ?b ?c . ?d ?e ?f . ?g ?h ?i . ?j ?k ?l . ?m ?n ?o . ?p ?q ?r } ORDER BY ?a ?d ?g"
"""16 triples in the union of the test store, six times over: 16.7 million rows of 18 terms to sort, which
take gigabytes; under a cap a few hundred megabytes above an idle worker's, it fails within a second."""
JSON = {"Accept": "application/json"}


def address_space_peak(pid: int) -> int:
    with open(f"/proc/{pid}/status") as status:
        for line in status:
            if line.startswith("VmPeak:"):
                return int(line.split()[1]) * 1024
    raise AssertionError("no VmPeak")


@pytest.fixture(scope="module")
def idle_worker_bytes(web_store) -> int:
    """The most address space a worker has mapped once it has answered a trivial query, capped as
    ``zgckg serve`` caps it (some 0.3 to 0.4 GB: libraries, the store's threads, the copy in memory)."""
    pool = WorkerPool(web_store.root, 1, memory_bytes=64_000_000, memory_cap=8 * GIB).start()
    try:
        pool.run(QueryJob("ASK {}", web_store.version(), spool=pool.spool_path()), 10)
        (pid,) = pool.pids()
        return address_space_peak(pid)
    finally:
        pool.close()


@pytest.fixture(scope="module")
def capped_app(web_store, idle_worker_bytes):
    """One worker with room for about 256 MB beyond an idle one, and answers of at most 1,000 bytes."""
    from zgckg.app import close_app, create_app

    config = Config(store=web_store.root, workers=1, timeout=20.0, max_workers=1,
                    worker_memory_bytes=idle_worker_bytes + 256 * 2**20, max_answer_bytes=1000)
    app = create_app(config, store=web_store)
    yield app
    close_app(app)


def readers(app) -> WorkerPool:
    return app.extensions["zgckg"].engine.readers


def wait_for_workers(pool: WorkerPool, count: int) -> list[int]:
    deadline = time.monotonic() + 10
    while len(pool.pids()) != count and time.monotonic() < deadline:
        time.sleep(0.02)
    return pool.pids()


def test_a_query_over_the_memory_cap_is_a_400_naming_it_and_the_worker_is_replaced(capped_app):
    client, pool = capped_app.test_client(), readers(capped_app)
    (before,) = wait_for_workers(pool, 1)
    cap = pool.memory_cap
    started = time.monotonic()
    refused = client.get("/sparql", query_string={"query": SORTED_CROSS_PRODUCT}, headers=JSON)
    assert refused.status_code == 400, refused.text
    assert time.monotonic() - started < 5
    body = refused.get_json()
    assert body["error_type"] == "QueryOutOfMemory" and body["limit_bytes"] == cap
    assert "more memory than a worker may use" in body["message"] and "--worker-memory" in body["message"]

    answer = client.get("/sparql", query_string={"query": "ASK { ?s ?p ?o }"}, headers=JSON)
    assert answer.status_code == 200 and answer.get_json()["boolean"] is True
    (after,) = wait_for_workers(pool, 1)
    assert after != before
    assert list(pool.spool_dir.iterdir()) == []

    # the same text again: the same clear answer at once, and no other worker dies for it
    started = time.monotonic()
    again = client.get("/sparql", query_string={"query": SORTED_CROSS_PRODUCT})
    assert again.status_code == 400 and "--worker-memory" in again.text
    assert time.monotonic() - started < 0.5
    assert pool.pids() == [after]


def test_an_answer_over_the_byte_cap_is_a_400_naming_it_and_nothing_is_sent(capped_app):
    client, pool = capped_app.test_client(), readers(capped_app)
    for query in ("SELECT * WHERE { ?s ?p ?o }", "CONSTRUCT WHERE { ?s ?p ?o }"):
        refused = client.get("/sparql", query_string={"query": query}, headers=JSON)
        assert refused.status_code == 400, refused.text
        body = refused.get_json()
        assert (body["error_type"], body["limit_bytes"]) == ("AnswerTooLarge", 1000)
        assert "--max-answer-bytes" in body["message"] and "results" not in body
    assert client.get("/sparql", query_string={"query": "SELECT * WHERE { ?s ?p ?o } LIMIT 2"}).status_code == 200
    assert list(pool.spool_dir.iterdir()) == []


def test_a_graph_read_is_not_held_to_the_answer_byte_cap(capped_app):
    response = capped_app.test_client().get("/graph/asserted", query_string={"format": "ntriples"})
    assert response.status_code == 200 and len(response.data) > 1000


def big_rows(rows: int, value_bytes: int = 300_000) -> str:
    """``rows`` solutions, each a string of ``value_bytes`` characters made by the engine."""
    binds = ['BIND("0123456789" AS ?v0)']
    size, level = 10, 0
    while size * 10 <= value_bytes:
        binds.append(f"BIND(CONCAT({', '.join([f'?v{level}'] * 10)}) AS ?v{level + 1})")
        size, level = size * 10, level + 1
    binds.append(f"BIND(CONCAT({', '.join([f'?v{level}'] * (value_bytes // size))}) AS ?big)")
    values = " ".join(str(i) for i in range(rows))
    return f"SELECT ?i ?big WHERE {{ VALUES ?i {{ {values} }} {' '.join(binds)} }}"


@pytest.fixture(scope="module")
def pool(web_store):
    pool = WorkerPool(web_store.root, 1).start()
    yield pool
    pool.close()


def test_a_spooled_answer_over_the_byte_cap_is_refused_and_its_spool_file_removed(pool, web_store):
    def job(text: str, **fields) -> QueryJob:
        return QueryJob(text, web_store.version(), spool=pool.spool_path(), solutions_format="TSV",
                        max_bytes=1_000_000, **fields)

    answer = pool.run(job(big_rows(2)), 10)  # 600 kB: past the pipe's share, spooled, under the cap
    assert answer.spool is not None and answer.rows == 2 and 600_000 < answer.size < 1_000_000
    assert len(answer.content()) == answer.size
    with pytest.raises(AnswerTooLarge) as refused:
        pool.run(job(big_rows(4)), 10)  # 1.2 MB
    assert refused.value.limit_bytes == 1_000_000
    assert list(pool.spool_dir.iterdir()) == []


def test_an_update_over_the_memory_cap_fails_alone_and_changes_nothing(fresh_web_store, idle_worker_bytes):
    cap = idle_worker_bytes + 256 * 2**20
    writer = WorkerPool(fresh_web_store.root, 1, name="writer", memory_cap=cap).start()
    try:
        before = fresh_web_store.version()
        patterns = " ".join(f"GRAPH ?g{i} {{ ?s{i} ?p{i} ?o{i} }}" for i in range(6))
        heavy = (f"INSERT {{ <http://x.example/s> <http://x.example/p> ?s0 }} WHERE {{ SELECT * WHERE {{ {patterns} }} "
                 "ORDER BY ?s0 ?s1 ?s2 }")
        with pytest.raises(QueryOutOfMemory) as refused:
            writer.run(UpdateJob(heavy), 20)
        assert (refused.value.limit_bytes, refused.value.operation) == (cap, "update")
        assert "the update needed more memory" in str(refused.value)
        assert fresh_web_store.version() == before
        assert writer.run(UpdateJob("CLEAR DEFAULT"), 10).version != before  # its successor writes
    finally:
        writer.close()


def test_a_cap_too_small_for_an_idle_worker_is_refused_at_start_naming_the_setting(web_store):
    with pytest.raises(ServeError, match="--worker-memory"):
        WorkerPool(web_store.root, 1, memory_cap=128 * 2**20).start()


def test_a_copy_in_memory_that_would_not_fit_under_the_cap_is_not_made(caplog):
    config = Config(reader_memory_bytes=64_000_000, worker_memory_bytes=512_000_000)
    with caplog.at_level(logging.WARNING):
        assert reader_copy_bytes(config) == 51_200_000  # half the cap, at five bytes per byte on disk
    assert "--reader-memory" in caplog.text and "--worker-memory" in caplog.text
    assert reader_copy_bytes(Config(reader_memory_bytes=64_000_000, worker_memory_bytes=0)) == 64_000_000
    assert reader_copy_bytes(Config(reader_memory_bytes=64_000_000, worker_memory_bytes=8 * GIB)) == 64_000_000


def test_the_caps_are_settings_of_serve_and_of_the_environment(monkeypatch):
    from click.testing import CliRunner

    from zgckg.cli import main, make_config, serve

    assert GIB <= default_worker_memory() <= 8 * GIB and Config().max_answer_bytes == 512_000_000
    params = serve.make_context("serve", ["--worker-memory", "0", "--max-answer-bytes", "2000"]).params
    config = make_config(worker_memory_bytes=params["worker_memory_bytes"], max_answer_bytes=params["max_answer_bytes"])
    assert (config.worker_memory_bytes, config.max_answer_bytes) == (0, 2000)
    monkeypatch.setenv("ZGCKG_WORKER_MEMORY_BYTES", "3000000000")
    monkeypatch.setenv("ZGCKG_MAX_ANSWER_BYTES", "7")
    assert (make_config().worker_memory_bytes, make_config().max_answer_bytes) == (3_000_000_000, 7)
    for flag in ("--worker-memory", "--max-answer-bytes"):
        result = CliRunner().invoke(main, ["serve", flag, "-1"])
        assert result.exit_code == 2 and flag in result.output
