"""Query execution in killable worker processes: answers, limits, datasets, and writes."""

import dataclasses
import os
import signal
import threading
import time

import pyoxigraph as ox
import pytest

from zgckg.errors import QuerySyntaxError, QueryTimeout
from zgckg.kg.executor.jobs import Job
from zgckg.kg.executor import (
    EngineFailed, GraphNotFound, GraphReadJob, GraphWriteJob, NotAcceptable, QueryFailed, QueryJob, RowCounter,
    RowLimitExceeded, Sink, UpdateFailed, UpdateJob, WorkerLost, WorkerPool, WorkersBusy, answer_query,
    dataset_arguments, writes,
)
from zgckg.namespaces import GRAPH_ASSERTED

CROSS_PRODUCT = "SELECT (COUNT(*) AS ?n) WHERE { " + " ".join(f"?s{i} ?p{i} ?o{i} ." for i in range(8)) + " }"
ALL_ROWS = "SELECT * WHERE { GRAPH ?g { ?s ?p ?o } }"


@pytest.fixture(scope="module")
def memory_store():
    store = ox.Store()
    store.load(path="tests/data/web/dataset.trig", format=ox.RdfFormat.TRIG)
    return store


@pytest.mark.parametrize("fmt", ["JSON", "XML", "CSV", "TSV"])
@pytest.mark.parametrize("chunk", [1, 3, 4096], ids=["bytewise", "3-bytes", "whole"])
def test_row_counter_brackets_the_true_count_across_chunk_boundaries(memory_store, fmt, chunk):
    truth = len(list(memory_store.query(ALL_ROWS)))
    data = memory_store.query(ALL_ROWS).serialize(format=getattr(ox.QueryResultsFormat, fmt))
    counter = RowCounter(fmt)
    for i in range(0, len(data), chunk):
        counter.feed(data[i : i + chunk])
    assert counter.lower <= truth <= counter.upper
    if fmt != "JSON":  # TSV, XML and CSV are counted exactly; JSON only bounds rows without bindings
        assert counter.lower == truth


def test_row_counter_counts_json_rows_without_bindings_in_the_upper_bound(memory_store):
    data = memory_store.query("SELECT * WHERE { VALUES ?x { UNDEF UNDEF 1 } }").serialize(format=ox.QueryResultsFormat.JSON)
    counter = RowCounter("JSON")
    counter.feed(data)
    assert (counter.lower, counter.upper) == (1, 3)


def test_sink_spills_large_answers_to_a_spool_file(tmp_path):
    spool = tmp_path / "answer"
    sink = Sink(str(spool))
    payload = b"x" * (600 * 1024)
    sink.write(payload)
    body, path, size = sink.finish()
    assert (body, path) == (None, str(spool))
    assert size == spool.stat().st_size == len(payload) and spool.read_bytes() == payload


def test_sink_keeps_small_answers_in_memory(tmp_path):
    sink = Sink(str(tmp_path / "unused"))
    sink.write(b'{"boolean":true}')
    assert sink.finish() == (b'{"boolean":true}', None, 16)
    assert not (tmp_path / "unused").exists()


@pytest.mark.parametrize(
    "job, has_from, expected",
    [
        (QueryJob("q", "v", union=True), False, {"use_default_graph_as_union": True}),
        (QueryJob("q", "v", union=True), True, {}),
        (QueryJob("q", "v", union=False), False, {}),
        (QueryJob("q", "v", default_graphs=("http://g.example/",)), False,
         {"default_graph": [ox.NamedNode("http://g.example/")], "named_graphs": []}),
        (QueryJob("q", "v", named_graphs=("http://g.example/",)), False,
         {"default_graph": [], "named_graphs": [ox.NamedNode("http://g.example/")]}),
    ],
    ids=["union", "union-but-query-has-FROM", "no-union", "protocol-default-graph", "protocol-named-graph-only"],
)
def test_dataset_arguments(job, has_from, expected):
    assert dataset_arguments(dataclasses.replace(job, has_dataset_clause=has_from)) == expected


@pytest.fixture(scope="module")
def pool(web_store):
    pool = WorkerPool(web_store.root, 2).start()
    yield pool
    pool.close()


def job(pool, text, store_dir, **fields):
    return QueryJob(text, store_dir.version(), spool=pool.spool_path(), **fields)


def test_select_is_answered_in_the_chosen_format(pool, web_store):
    answer = pool.run(job(pool, ALL_ROWS, web_store, solutions_format="TSV"), 10)
    assert (answer.kind, answer.format, answer.rows, answer.version) == ("solutions", "TSV", 15, web_store.version())
    assert answer.body.startswith(b"?g\t")


def test_union_default_graph_sees_every_graph_and_from_still_restricts(pool, web_store):
    count = "SELECT (COUNT(*) AS ?n) {FROM} WHERE { ?s ?p ?o }"
    union = pool.run(job(pool, count.replace("{FROM}", ""), web_store, solutions_format="CSV"), 10)
    only_asserted = pool.run(job(pool, count.replace("{FROM}", f"FROM <{GRAPH_ASSERTED}>"), web_store,
                                 solutions_format="CSV", has_dataset_clause=True), 10)
    assert (union.body, only_asserted.body) == (b"n\r\n16\r\n", b"n\r\n13\r\n")


def test_construct_in_a_quad_format(pool, web_store):
    answer = pool.run(job(pool, "CONSTRUCT WHERE { ?s a ?t }", web_store, graph_format="N_QUADS"), 10)
    assert (answer.kind, answer.rows) == ("graph", 4)
    assert len(list(ox.parse(answer.body, ox.RdfFormat.N_QUADS))) == 4


def test_result_kind_without_an_acceptable_format(pool, web_store):
    with pytest.raises(NotAcceptable) as refused:
        pool.run(job(pool, "ASK { ?s ?p ?o }", web_store, solutions_format=None), 10)
    assert refused.value.kind == "boolean"


@pytest.mark.parametrize("fmt", ["JSON", "XML", "CSV", "TSV"])
def test_row_limit_fails_the_whole_answer(pool, web_store, fmt):
    with pytest.raises(RowLimitExceeded) as refused:
        pool.run(job(pool, ALL_ROWS, web_store, solutions_format=fmt, max_rows=14), 10)
    assert refused.value.limit == 14
    assert pool.run(job(pool, ALL_ROWS, web_store, solutions_format=fmt, max_rows=15), 10).rows == 15


def test_row_limit_counts_triples_of_a_construct(pool, web_store):
    with pytest.raises(RowLimitExceeded):
        pool.run(job(pool, "CONSTRUCT WHERE { ?s ?p ?o }", web_store, max_rows=3), 10)


def test_syntax_error_carries_line_and_column(pool, web_store):
    with pytest.raises(QuerySyntaxError) as failed:
        pool.run(job(pool, "SELECT *\nWHERE { ?s ?p }", web_store), 10)
    # the engine refused it, and our parser says where: at the '}' that came instead of an object
    assert (failed.value.line, failed.value.column) == (2, len("WHERE { ?s ?p }"))
    assert "expected an RDF term, found '}'" in failed.value.message


def test_overrunning_query_is_killed_and_its_process_is_gone(pool, web_store):
    started = time.monotonic()
    with pytest.raises(QueryTimeout) as stopped:
        pool.run(job(pool, CROSS_PRODUCT, web_store), 0.5)
    assert time.monotonic() - started < 1.5
    assert stopped.value.limit_seconds == 0.5
    killed = pool.killed[-1]
    assert not os.path.exists(f"/proc/{killed}")
    assert pool.run(job(pool, "ASK {}", web_store), 10).body == b'{"head":{},"boolean":true}'
    deadline = time.monotonic() + 10
    while len(pool.pids()) < 2 and time.monotonic() < deadline:
        time.sleep(0.05)
    assert len(pool.pids()) == 2 and killed not in pool.pids()


def test_no_free_worker_within_the_limit_is_reported_as_busy(web_store):
    pool = WorkerPool(web_store.root, 1).start()
    try:
        heavy = threading.Thread(target=lambda: pytest.raises(QueryTimeout, pool.run, job(pool, CROSS_PRODUCT, web_store), 1.5))
        heavy.start()
        time.sleep(0.2)
        with pytest.raises(WorkersBusy) as busy:
            pool.run(job(pool, "ASK {}", web_store), 0.3)
        assert (busy.value.workers, busy.value.waited_seconds) == (1, 0.3)
        heavy.join()
    finally:
        pool.close()


def test_a_worker_that_died_while_idle_is_replaced_and_the_job_runs_on_a_fresh_one(web_store):
    pool = WorkerPool(web_store.root, 1).start()
    try:
        (victim,) = pool.pids()
        os.kill(victim, signal.SIGKILL)
        while os.path.exists(f"/proc/{victim}"):  # reaped by the fork server, which then reports the exit
            time.sleep(0.01)
        time.sleep(0.1)
        assert pool.run(job(pool, "ASK {}", web_store), 10).body.endswith(b"true}")
        assert victim not in pool.pids()
    finally:
        pool.close()


def test_a_job_that_crashes_its_worker_is_503_and_never_run_again(web_store):
    pool = WorkerPool(web_store.root, 1).start()
    try:
        (victim,) = pool.pids()
        # a crash in the engine shows as the worker ending on a signal mid-job: stand one in with SIGSEGV
        threading.Timer(0.3, os.kill, (victim, signal.SIGSEGV)).start()
        with pytest.raises(WorkerLost):
            pool.run(job(pool, CROSS_PRODUCT, web_store), 10)
        started = time.monotonic()
        with pytest.raises(WorkerLost, match="not run again"):
            pool.run(job(pool, CROSS_PRODUCT, web_store), 10)
        assert time.monotonic() - started < 0.1
        assert pool.run(job(pool, "ASK {}", web_store), 10).body.endswith(b"true}")
        assert victim not in pool.pids()
    finally:
        pool.close()


def test_a_job_whose_worker_is_killed_from_outside_may_run_again(web_store):
    pool = WorkerPool(web_store.root, 1).start()
    try:
        (victim,) = pool.pids()
        threading.Timer(0.3, os.kill, (victim, signal.SIGKILL)).start()
        with pytest.raises(WorkerLost):
            pool.run(job(pool, CROSS_PRODUCT, web_store), 10)
        with pytest.raises(QueryTimeout):  # run again, to its time limit: not refused as a crash
            pool.run(job(pool, CROSS_PRODUCT, web_store), 0.5)
    finally:
        pool.close()


def test_close_stops_every_worker(web_store):
    pool = WorkerPool(web_store.root, 2).start()
    pids = pool.pids()
    pool.close()
    assert pids and not any(os.path.exists(f"/proc/{pid}") for pid in pids)


@pytest.fixture
def writer(fresh_web_store):
    pool = WorkerPool(fresh_web_store.root, 1, name="writer").start()
    yield pool
    pool.close()


def test_update_publishes_a_new_generation_that_readers_see(writer, fresh_web_store):
    before = fresh_web_store.version()
    written = writer.run(UpdateJob('INSERT DATA { <http://x.example/a> <http://x.example/b> "new" }'), 10)
    assert written.version != before == "g000001"
    answer = writer.run(GraphReadJob(None, written.version, "N_TRIPLES"), 10)
    assert b'"new"' in answer.body


def test_readers_with_a_copy_in_memory_answer_as_from_disk_and_follow_new_generations(writer, fresh_web_store):
    count = "SELECT (COUNT(*) AS ?n) WHERE { GRAPH ?g { ?s ?p ?o } }"
    pools = [WorkerPool(fresh_web_store.root, 1, memory_bytes=limit).start() for limit in (10**9, 0)]
    try:
        before = [p.run(job(p, count, fresh_web_store), 10).body for p in pools]
        writer.run(UpdateJob('INSERT DATA { GRAPH <http://x.example/g> { <http://x.example/a> <http://x.example/b> "new" } }'), 10)
        after = [p.run(job(p, count, fresh_web_store), 10).body for p in pools]
    finally:
        for p in pools:
            p.close()
    assert before[0] == before[1] and after[0] == after[1] and after[0] != before[0]


def test_failed_update_leaves_the_store_as_it_was(writer, fresh_web_store):
    before = fresh_web_store.version()
    with pytest.raises(QuerySyntaxError):
        writer.run(UpdateJob("INSERT DATA { <http://x.example/a> }"), 10)
    assert fresh_web_store.version() == before


def test_update_cut_at_its_limit_leaves_the_store_as_it_was(writer, fresh_web_store):
    before = fresh_web_store.version()
    patterns = " ".join(f"GRAPH ?g{i} {{ ?s{i} ?p{i} ?o{i} }}" for i in range(8))
    heavy = f"INSERT {{ <http://x.example/s> <http://x.example/n> ?n }} WHERE {{ SELECT (COUNT(*) AS ?n) WHERE {{ {patterns} }} }}"
    with pytest.raises(QueryTimeout):
        writer.run(UpdateJob(heavy), 0.5)
    assert fresh_web_store.version() == before
    assert writer.run(UpdateJob("CLEAR DEFAULT"), 10).version != before  # the successor worker writes again


def test_graph_store_put_post_delete(writer, fresh_web_store):
    g = "http://x.example/graph"
    created = writer.run(GraphWriteJob("PUT", g, b'<http://x.example/a> <http://x.example/b> "1" .', "N_TRIPLES"), 10)
    merged = writer.run(GraphWriteJob("POST", g, b'<http://x.example/a> <http://x.example/b> "2" .', "N_TRIPLES"), 10)
    assert (created.created, merged.created) == (True, False)
    assert writer.run(GraphReadJob(g, merged.version, "N_TRIPLES"), 10).rows == 2
    writer.run(GraphWriteJob("DELETE", g), 10)
    with pytest.raises(GraphNotFound):
        writer.run(GraphWriteJob("DELETE", g), 10)


# --- engine faults: whose fault it is decides the error ----------------------------------------------

class FailingStore:
    """Stands in for a store whose engine raises ``error`` on every query or update."""

    def __init__(self, error: BaseException):
        self.error = error

    def query(self, *args, **kwargs):
        raise self.error

    def update(self, *args, **kwargs):
        raise self.error


ENGINE_WORDS = "IO error: /srv/store/generations/g000007/000012.sst: Input/output error"


@pytest.mark.parametrize("raised, unavailable", [(OSError(ENGINE_WORDS), True), (RuntimeError(ENGINE_WORDS), False),
                                                 (TypeError(ENGINE_WORDS), False)],
                         ids=["os-error", "runtime-error", "type-error"])
def test_an_engine_fault_during_a_query_is_the_servers_not_the_clients(raised, unavailable):
    with pytest.raises(EngineFailed) as failed:
        answer_query(FailingStore(raised), QueryJob("ASK {}", "g1"), "g1")
    assert failed.value.unavailable is unavailable and ENGINE_WORDS in failed.value.detail


def test_an_argument_the_engine_refuses_is_the_querys_without_the_engines_words():
    with pytest.raises(QueryFailed) as failed:
        answer_query(FailingStore(ValueError(ENGINE_WORDS)), QueryJob("ASK {}", "g1"), "g1")
    assert "/srv" not in str(failed.value)


def test_an_engine_syntax_error_carries_the_query_text():
    with pytest.raises(QuerySyntaxError) as failed:
        answer_query(FailingStore(SyntaxError("error at 1:5: expected [_]")), QueryJob("ASK {}", "g1"), "g1")
    assert (failed.value.line, failed.value.column, failed.value.text) == (1, 5, "ASK {}")


@pytest.mark.parametrize("message", ["The graph <http://x.example/g> does not exist",
                                     "The graph <http://x.example/g> already exists"])
def test_an_update_on_a_graph_that_is_not_as_it_expects_is_the_clients(message):
    with pytest.raises(UpdateFailed, match="The graph <http://x.example/g>"):
        writes._update(FailingStore(RuntimeError(message)), "DROP GRAPH <http://x.example/g>", None)


@pytest.mark.parametrize("raised, unavailable", [(OSError(ENGINE_WORDS), True), (RuntimeError(ENGINE_WORDS), False)],
                         ids=["os-error", "runtime-error"])
def test_an_engine_fault_during_an_update_is_the_servers(raised, unavailable):
    with pytest.raises(EngineFailed) as failed:
        writes._update(FailingStore(raised), "CLEAR ALL", None)
    assert failed.value.unavailable is unavailable and failed.value.operation == "update"


def test_an_update_argument_the_engine_refuses_is_409_without_the_engines_words():
    with pytest.raises(UpdateFailed) as failed:
        writes._update(FailingStore(ValueError(ENGINE_WORDS)), "CLEAR ALL", None)
    assert "/srv" not in str(failed.value)


def test_dropping_a_missing_graph_is_still_update_failed(writer, fresh_web_store):
    with pytest.raises(UpdateFailed, match="does not exist"):
        writer.run(UpdateJob("DROP GRAPH <http://x.example/missing>"), 10)


@dataclasses.dataclass(frozen=True)
class TriplesInTheStore(Job):
    """A kind of work the executor has never heard of: one class, nothing to register."""

    version: str

    def run(self, site) -> int:
        store, _ = site.read(self.version)
        return len(store)


def test_a_new_kind_of_work_is_one_job_class(pool, web_store):
    assert pool.run(TriplesInTheStore(web_store.version()), 10) == 16
