"""Oxigraph's two stores side by side, in one process: the published RocksDB generation against the copy in
memory that query workers answer from (``zgckg serve --reader-memory``).

Every query of ``queries/`` runs on both, taking turns, each request a distinct text; the time includes
serialising the answer as SPARQL JSON (or N-Triples), as the endpoint does.

    .venv/bin/python bench/engine.py                 # builds a store first
    .venv/bin/python bench/engine.py --store var/store --rounds 30
"""

from __future__ import annotations

import argparse
import statistics
import sys
import tempfile
import time
from pathlib import Path

import pyoxigraph as ox

sys.path.insert(0, str(Path(__file__).resolve().parent))

from endpoint import ROOT, build_zgckg_store, load_queries  # noqa: E402

from zgckg.kg.store import StoreDir, open_for_reading  # noqa: E402


def answer(store: ox.Store, text: str) -> None:
    result = store.query(text, use_default_graph_as_union=True)
    if isinstance(result, ox.QueryTriples):
        ox.serialize(result, format=ox.RdfFormat.N_TRIPLES)
    else:
        result.serialize(format=ox.QueryResultsFormat.JSON)


def measure(stores: dict[str, ox.Store], text: str, rounds: int, warmup: int) -> dict[str, float]:
    samples: dict[str, list[float]] = {name: [] for name in stores}
    for number in range(warmup + rounds):
        for name, store in stores.items():
            started = time.perf_counter()
            answer(store, f"{text}\n# {number} {name}")
            if number >= warmup:
                samples[name].append(time.perf_counter() - started)
    return {name: statistics.median(times) * 1000 for name, times in samples.items()}


def main(argv=None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--store", type=Path, help="an existing zgckg store directory (default: build one)")
    parser.add_argument("--queries", type=Path, default=ROOT / "queries")
    parser.add_argument("--rounds", type=int, default=20)
    parser.add_argument("--warmup", type=int, default=3)
    args = parser.parse_args(argv)
    with tempfile.TemporaryDirectory(prefix="bench-engine-") as tmp:
        store_dir = StoreDir(args.store or Path(tmp) / "store")
        if args.store is None:
            build_zgckg_store(store_dir.root)
        generation = store_dir.current_path()
        started = time.perf_counter()
        memory = open_for_reading(generation, memory_bytes=sys.maxsize)
        copy_ms = (time.perf_counter() - started) * 1000
        stores = {"RocksDB": open_for_reading(generation, memory_bytes=0), "in memory": memory}
        print(f"{len(memory)} quads; opening and copying into memory took {copy_ms:.0f} ms\n")
        print("| query | RocksDB, ms | in memory, ms | memory / RocksDB |\n| --- | ---: | ---: | ---: |")
        for query in load_queries(args.queries):
            times = measure(stores, query.text, args.rounds, args.warmup)
            disk, mem = times["RocksDB"], times["in memory"]
            print(f"| {query.name} | {disk:.2f} | {mem:.2f} | {mem / disk:.2f}x |", flush=True)
    return 0


if __name__ == "__main__":
    sys.exit(main())
