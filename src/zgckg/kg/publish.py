"""Publishing to a remote store: what `zgckg build` and `zgckg load` make, moved into place in one step.

The work itself (parsing, validation, reasoning, reading files) is done as for the embedded store, in a
temporary store directory; the graphs it yields are then handed to the remote engine's ``publish``, which
stages each under a fresh name and moves them all into place with one update. A build or a load killed or
failing at any point before that leaves the graphs the store serves as they were.
"""

from __future__ import annotations

import tempfile
from collections.abc import Callable, Iterable
from dataclasses import replace
from pathlib import Path

from ..config import Config
from ..namespaces import BUILT_GRAPHS
from .formats import GRAPHS, by_short

N_TRIPLES = by_short(GRAPHS)["nt"]
PUBLISH_SECONDS = 3600.0
"""How long a remote publication may take: far longer than a query, since it moves whole graphs."""


def build_remote(config: Config, *, progress: Callable[[str], None], reasoner: Callable):
    """Build into a temporary local store, then publish its three graphs to ``config.engine``."""
    from .build import build

    with tempfile.TemporaryDirectory(prefix="zgckg-build-") as tmp:
        local = replace(config, store=Path(tmp) / "store", engine=None)
        built = build(local, progress=progress, reasoner=reasoner)
        _publish(config, local, list(BUILT_GRAPHS.values()), progress)
    return built


def load_remote(config: Config, files: Iterable[Path], *, graph: str | None) -> dict[str, int]:
    """Read the files into a temporary local store, then publish the graphs they fill to ``config.engine``."""
    from .build import load_user_files

    with tempfile.TemporaryDirectory(prefix="zgckg-load-") as tmp:
        local = replace(config, store=Path(tmp) / "store", engine=None)
        counts = load_user_files(local, files, graph=graph)
        _publish(config, local, list(counts), lambda message: None)
    return counts


def _publish(config: Config, local: Config, graphs: list[str], progress: Callable[[str], None]) -> None:
    from .engine.inprocess import InProcessEngine
    from .engine.remote import RemoteEngine

    source = InProcessEngine(local)
    try:
        data = {iri: source.read_graph(iri, N_TRIPLES, timeout=PUBLISH_SECONDS).content() for iri in graphs}
    finally:
        source.close()
    progress(f"publishing {len(data)} graphs to {config.engine}")
    target = RemoteEngine(config)
    try:
        target.publish(data, timeout=PUBLISH_SECONDS)
    finally:
        target.close()
