"""Loads at scale: what ``zgckg load`` costs in time and disk on a store of ``--scale`` copies of our graph
(bench/explore.py's synthetic graph; ``--scale 100`` ≈ 1M quads) when it adds a file of ``--quads`` quads.

1. A store: ``zgckg build`` into a temporary directory, then the synthetic graph (bench/explore.py,
   ``write_nquads``) bulk-loaded into a new generation of the same store.
2. A file of ``--quads`` N-Triples lines (distinct subjects, one predicate, a literal each).
3. The copy a load starts from, alone: a checkpoint of the current generation (``Store.backup``, what
   ``StoreDir.write(copy_current=True)`` makes: hard links to its immutable files), against a full copy
   of its files (``shutil.copytree``), each timed, with the disk it adds.
4. ``zgckg load FILE --store STORE`` (the command itself, in a subprocess), timed; disk measured with ``du``
   (which counts a file hard-linked from two generations once) over the store directory before and after,
   and over the new generation alone (its own bytes, the space it shares with the previous one included).

    .venv/bin/python bench/store_loads.py --scale 100 --quads 100000
"""

from __future__ import annotations

import argparse
import datetime
import shutil
import subprocess
import sys
import tempfile
import time
from pathlib import Path

import pyoxigraph as ox

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT / "scripts"))
sys.path.insert(0, str(ROOT / "bench"))

from endpoint import build_zgckg_store, machine, versions  # noqa: E402
from sparql_servers import venv_command  # noqa: E402
from explore import write_nquads  # noqa: E402

from zgckg.kg.store import StoreDir  # noqa: E402


def du(*paths: Path) -> int:
    """Bytes of disk the paths take together, a file linked from several of them counted once."""
    out = subprocess.run(["du", "-s", "-B1", "-c", *map(str, paths)], capture_output=True, text=True, check=True)
    return int(out.stdout.strip().splitlines()[-1].split()[0])


def main(argv=None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--scale", type=int, default=100)
    parser.add_argument("--quads", type=int, default=100_000)
    parser.add_argument("--seed", type=int, default=7)
    args = parser.parse_args(argv)
    with tempfile.TemporaryDirectory(prefix="zgckg-loads-") as tmp:
        store = Path(tmp) / "store"
        build_zgckg_store(store)
        store_dir = StoreDir(store)
        nquads = Path(tmp) / "synthetic.nq"
        quads = write_nquads(nquads, args.scale, args.seed, store_dir.open_read())
        store_dir.write(lambda s: s.bulk_load(path=str(nquads), format=ox.RdfFormat.N_QUADS), copy_current=True)
        nquads.unlink()
        user = Path(tmp) / "user.nt"
        with user.open("w") as out:
            out.writelines(f'<http://example.org/u/s{i}> <http://example.org/u/p> "{i}" .\n'
                           for i in range(args.quads))
        before_gen = store_dir.current_path()
        started = time.perf_counter()
        store_dir.open_read().backup(str(Path(tmp) / "checkpoint"))
        checkpoint_seconds = time.perf_counter() - started
        checkpoint_bytes = du(before_gen, Path(tmp) / "checkpoint") - du(before_gen)
        started = time.perf_counter()
        shutil.copytree(before_gen, Path(tmp) / "full-copy")
        copy_seconds = time.perf_counter() - started
        copy_bytes = du(Path(tmp) / "full-copy")
        shutil.rmtree(Path(tmp) / "full-copy")
        shutil.rmtree(Path(tmp) / "checkpoint")
        before = du(store)
        generation_before = du(before_gen)
        started = time.perf_counter()
        run = subprocess.run([venv_command("zgckg"), "load", str(user), "--store", str(store)],
                             capture_output=True, text=True)
        seconds = time.perf_counter() - started
        if run.returncode:
            print(run.stderr, file=sys.stderr)
            return 1
        after = du(store)
        new_gen = store_dir.current_path()
        print(f"date: {datetime.date.today()}\nmachine: {machine()}\nversions: {versions()}")
        print(f"store: {quads:,} synthetic quads + the built graphs; previous generation {generation_before / 1e6:.1f} MB")
        print(f"copy of the current generation: checkpoint (Store.backup, hard links) {checkpoint_seconds:.3f} s, "
              f"{checkpoint_bytes / 1e6:.1f} MB of new disk; a full file copy {copy_seconds:.2f} s, "
              f"{copy_bytes / 1e6:.1f} MB")
        print(f"zgckg load of {args.quads:,} quads: {seconds:.2f} s; output: {run.stdout.strip()!r}")
        print(f"store directory: {before / 1e6:.1f} MB before, {after / 1e6:.1f} MB after "
              f"(+{(after - before) / 1e6:.1f} MB); the new generation alone: {du(new_gen) / 1e6:.1f} MB")
    return 0


if __name__ == "__main__":
    sys.exit(main())
