"""The embedded store at scale: the readers' copy in memory (decided, logged, made in the background), a pool
that always has a ready worker, and loads that report what they read and share the previous generation's files."""

import logging
import os
import signal
import time
from pathlib import Path

import pyoxigraph as ox
import pytest

from zgckg.config import Config
from zgckg.kg import build as build_module
from zgckg.kg.build import load_user_files
from zgckg.kg.executor import WorkerPool
from zgckg.kg.executor.jobs import QueryJob
from zgckg.kg.executor.worker import _Site
from zgckg.kg.store import COPY_FACTOR, StoreDir, generation_bytes, plan_reader_copy
from zgckg.namespaces import GRAPH_USER

EX = "http://example.org/scale/"
COUNT = "SELECT (COUNT(*) AS ?n) WHERE { GRAPH ?g { ?s ?p ?o } }"


def quads(n: int, graph: str = EX + "g", start: int = 0):
    p, g = ox.NamedNode(EX + "p"), ox.NamedNode(graph)
    return (ox.Quad(ox.NamedNode(f"{EX}s{i}"), p, ox.Literal(str(i)), g) for i in range(start, start + n))


@pytest.fixture(scope="module")
def big_store(tmp_path_factory) -> StoreDir:
    """A store whose copy into memory takes a few tenths of a second (more than the start timeout below)."""
    store_dir = StoreDir(tmp_path_factory.mktemp("scale") / "store")
    store_dir.write(lambda store: store.bulk_extend(quads(150_000)), copy_current=False)
    return store_dir


def count(pool: WorkerPool, store_dir: StoreDir) -> bytes:
    return pool.run(QueryJob(COUNT, store_dir.version(), solutions_format="CSV", spool=pool.spool_path()), 20).body


# --- the decision ------------------------------------------------------------------------------------


def test_a_copy_is_planned_only_when_it_fits_the_setting_the_cap_and_the_memory_available(big_store):
    generation = big_store.current_path()
    files = generation_bytes(generation)
    fits = plan_reader_copy(generation, memory_bytes=files * 2, memory_cap=0, workers=2, available=10**12)
    assert fits.copy and fits.copy_bytes == files * COPY_FACTOR
    assert fits.message.startswith(f"copying generation {generation.name} (") and "into each worker's memory" in fits.message

    def reason(**settings) -> str:
        plan = plan_reader_copy(generation, **{"memory_bytes": files * 2, "available": 10**12, **settings})
        assert not plan.copy and plan.message.startswith(f"reading {generation.name} from disk: its copy would take ~")
        return plan.message

    assert "--reader-memory allows generations of up to" in reason(memory_bytes=files // 2)
    assert "copies are off" in reason(memory_bytes=0)
    assert "half of --worker-memory" in reason(memory_cap=files * COPY_FACTOR)
    assert "available now, shared by 4 workers" in reason(available=files * COPY_FACTOR * 3, workers=4)


# --- the copy in a worker ----------------------------------------------------------------------------


def test_a_worker_answers_from_disk_at_once_and_from_its_copy_once_complete(big_store):
    site = _Site(big_store)
    version = big_store.version()
    site.warm()
    site.plan(version, True)
    store, seen = site.read(version)
    assert seen == version and len(store) == 150_000  # answered while the copy is being made
    assert site.wait_copied(20)
    copy, _ = site.read(version)
    assert copy is not store and len(copy) == 150_000
    copy.add(next(quads(1, start=10**6)))  # a writable store in memory, not the read-only view of the files
    assert len(big_store.open_read()) == 150_000


def test_a_copy_is_dropped_when_a_newer_generation_is_asked_for(tmp_path):
    store_dir = StoreDir(tmp_path / "store")
    store_dir.write(lambda store: store.bulk_extend(quads(50_000)), copy_current=False)
    first = store_dir.version()
    site = _Site(store_dir)
    site.plan(first, True)
    site.read(first)
    store_dir.write(lambda store: store.bulk_extend(quads(10, start=50_000)), copy_current=True)
    store, version = site.read(store_dir.version())  # no plan for it: from disk, the first copy abandoned
    assert version != first and len(store) == 50_010 and not site.wait_copied(20)


# --- the pool ----------------------------------------------------------------------------------------


def test_a_copy_longer_than_the_start_timeout_leaves_a_serving_pool(big_store, caplog):
    WorkerPool(big_store.root, 1).start().close()  # the fork server is up: a worker starts in milliseconds
    with caplog.at_level(logging.INFO, logger="zgckg"):
        started = time.monotonic()
        pool = WorkerPool(big_store.root, 2, memory_bytes=10**12, start_timeout=0.25).start()
    try:
        assert len(pool.pids()) == 2 and time.monotonic() - started < 5
        assert f"copying generation {big_store.version()}" in caplog.text
        assert b"150000" in count(pool, big_store)  # from disk while the copy is made
        time.sleep(1.5)
        assert b"150000" in count(pool, big_store) and len(pool.pids()) == 2  # from the copy
    finally:
        pool.close()


def test_a_worker_lost_while_copying_turns_the_copies_of_that_generation_off(big_store, caplog):
    with caplog.at_level(logging.INFO, logger="zgckg"):
        pool = WorkerPool(big_store.root, 1, memory_bytes=10**12).start()
        try:
            (pid,) = pool.pids()
            os.kill(pid, signal.SIGKILL)  # as the kernel's OOM killer ends a process
            time.sleep(0.2)
            assert b"150000" in count(pool, big_store)
            assert not pool.plan(big_store.version()).copy
        finally:
            pool.close()
    assert "a worker ended (exit code -9) while it held or made the copy" in caplog.text


# --- loads -------------------------------------------------------------------------------------------


def test_a_load_reports_the_quads_of_each_graph_and_its_progress(tmp_path, monkeypatch):
    monkeypatch.setattr(build_module, "PROGRESS_SECONDS", 0.0)
    config = Config(store=tmp_path / "store")
    nquads = tmp_path / "data.nq"
    with nquads.open("w") as out:
        for i in range(3000):
            out.write(f'<{EX}s{i}> <{EX}p> "{i}" <{EX}a> .\n<{EX}s{i}> <{EX}p> "{i}" <{EX}b> .\n')
        out.write(f"<{EX}s> <{EX}p> <{EX}o> .\n")  # in the default graph: goes to the file's graph
    said = []
    counts = load_user_files(config, [nquads], progress=said.append)
    assert counts == {GRAPH_USER + "data.nq": 1, EX + "a": 3000, EX + "b": 3000}
    assert said and all("data.nq: " in line and " MB read in " in line for line in said)
    triples = tmp_path / "data.nt"
    triples.write_text("".join(f'<{EX}t{i}> <{EX}p> "{i}" .\n' for i in range(2500)))
    assert load_user_files(config, [triples], graph=EX + "c") == {EX + "c": 2500}
    assert len(StoreDir(config.store).open_read()) == 8501


def test_a_load_shares_the_files_of_the_generation_it_starts_from(tmp_path):
    store_dir = StoreDir(tmp_path / "store")
    store_dir.write(lambda store: store.bulk_extend(quads(150_000)), copy_current=False)
    previous = store_dir.current_path()
    mine = tmp_path / "mine.nt"
    mine.write_text(f'<{EX}me> <{EX}p> "1" .\n')
    assert load_user_files(Config(store=store_dir.root), [mine]) == {GRAPH_USER + "mine.nt": 1}
    tables = [p for p in store_dir.current_path().iterdir() if p.suffix == ".sst"]
    shared = sum(p.stat().st_size for p in tables if (previous / p.name).exists()
                 and os.path.samefile(p, previous / p.name))
    assert shared >= 0.9 * generation_bytes(previous) - _not_tables(previous)


def _not_tables(generation: Path) -> int:
    return sum(p.stat().st_size for p in generation.iterdir() if p.is_file() and p.suffix != ".sst")
