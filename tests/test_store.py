"""The store directory: immutable generations behind an atomically swapped `current` link."""

import os

import pyoxigraph as ox
import pytest

from zgckg.errors import StoreError
from zgckg.kg.store import KEEP_GENERATIONS, StoreDir, open_for_reading

EX = "http://example.org/"


def quad(n: int) -> ox.Quad:
    return ox.Quad(ox.NamedNode(EX + "s"), ox.NamedNode(EX + "p"), ox.Literal(str(n)))


def values(store_dir: StoreDir) -> set[str]:
    return {q.object.value for q in store_dir.open_read().quads_for_pattern(None, None, None)}


@pytest.fixture
def store_dir(tmp_path) -> StoreDir:
    return StoreDir(tmp_path / "store")


def test_a_missing_store_is_reported_with_what_to_do(store_dir):
    assert not store_dir.exists()
    with pytest.raises(StoreError, match="zgckg build"):
        store_dir.open_read()


def test_ensure_creates_an_empty_store_once(store_dir):
    store_dir.ensure()
    first = store_dir.version()
    store_dir.ensure()
    assert store_dir.version() == first and values(store_dir) == set()


def test_a_write_is_published_as_a_new_version(store_dir):
    store_dir.write(lambda s: s.add(quad(1)), copy_current=False)
    first = store_dir.version()
    store_dir.write(lambda s: s.add(quad(2)), copy_current=True)
    assert store_dir.version() != first
    assert values(store_dir) == {"1", "2"}


def test_a_fresh_generation_does_not_copy_the_current_one(store_dir):
    store_dir.write(lambda s: s.add(quad(1)), copy_current=False)
    store_dir.write(lambda s: s.add(quad(2)), copy_current=False)
    assert values(store_dir) == {"2"}


def test_write_returns_what_fill_returns(store_dir):
    assert store_dir.write(lambda s: len(s), copy_current=False) == 0


def test_a_failed_write_leaves_the_previous_version_and_no_debris(store_dir):
    store_dir.write(lambda s: s.add(quad(1)), copy_current=False)
    before = store_dir.version()

    def fail(store):
        store.add(quad(2))
        raise RuntimeError("boom")

    with pytest.raises(RuntimeError):
        store_dir.write(fail, copy_current=True)
    assert store_dir.version() == before and values(store_dir) == {"1"}
    assert not list(store_dir.generations.glob(".tmp-*"))


def test_a_reader_opened_before_a_write_keeps_its_snapshot(store_dir):
    store_dir.write(lambda s: s.add(quad(1)), copy_current=False)
    reader = store_dir.open_read()
    store_dir.write(lambda s: s.add(quad(2)), copy_current=True)
    assert len(reader) == 1 and len(store_dir.open_read()) == 2


def test_a_small_generation_is_read_from_a_copy_in_memory(store_dir):
    store_dir.write(lambda s: s.add(quad(1)), copy_current=False)
    copy = open_for_reading(store_dir.current_path(), memory_bytes=10**9)
    copy.add(quad(2))  # writable, so not the read-only RocksDB view; the generation is untouched
    assert {q.object.value for q in copy} == {"1", "2"} and values(store_dir) == {"1"}


@pytest.mark.parametrize("limit", [0, 1], ids=["copies-off", "over-the-limit"])
def test_a_generation_over_the_memory_limit_is_read_from_disk(store_dir, limit):
    store_dir.write(lambda s: s.add(quad(1)), copy_current=False)
    reader = open_for_reading(store_dir.current_path(), memory_bytes=limit)
    assert {q.object.value for q in reader} == {"1"}
    with pytest.raises(RuntimeError, match="read-write"):
        reader.add(quad(2))


def test_old_generations_are_pruned(store_dir):
    for n in range(KEEP_GENERATIONS + 3):
        store_dir.write(lambda s, n=n: s.add(quad(n)), copy_current=True)
    kept = sorted(p.name for p in store_dir.generations.glob("g*"))
    assert len(kept) == KEEP_GENERATIONS and kept[-1] == store_dir.version()


def test_an_unfinished_generation_of_a_dead_writer_is_removed_by_the_next_write(store_dir):
    store_dir.ensure()
    debris = store_dir.generations / ".tmp-dead"
    debris.mkdir()
    store_dir.write(lambda s: None, copy_current=True)
    assert not debris.exists()


def test_current_is_a_relative_link_so_the_directory_can_move(store_dir, tmp_path):
    store_dir.write(lambda s: s.add(quad(1)), copy_current=False)
    assert not os.readlink(store_dir.link).startswith("/")
    moved = StoreDir(store_dir.root.rename(tmp_path / "moved"))
    assert values(moved) == {"1"}


def test_a_second_writer_is_refused(store_dir):
    store_dir.ensure()

    def nested(store):
        with pytest.raises(StoreError, match="another"):
            store_dir.write(lambda s: None, copy_current=True)

    store_dir.write(nested, copy_current=True)
