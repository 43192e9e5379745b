"""The build: parse → validate → reason → load into a new store generation → publish.

Nothing is written to the store directory before the load stage, and the load writes a generation of
its own that becomes ``current`` only once it is complete (see :mod:`zgckg.kg.store`). So a syntax error,
a validation failure, an inconsistency, or a build killed half-way leaves the previous store serving.

The reasoner is :func:`zgckg.kg.rules.infer_with_rules`: owlrl's OWL 2 RL closure computed as SPARQL rules
inside Oxigraph, much faster (timings in docs/build-benchmarks.md) and tested to give exactly owlrl's
filtered triples on our data (``tests/test_reasoning.py``); ``reasoner=zgckg.kg.reasoning.infer`` runs
owlrl itself.

Graphs of a built store (IRIs in :mod:`zgckg.namespaces`): the ontology files in GRAPH_ONTOLOGY, the data
files and the report's sentences in GRAPH_ASSERTED, the reasoner's new triples in GRAPH_INFERRED. Graphs a
user added (``zgckg load``, /update, /store; the default graph too) are carried over from the previous
generation.
"""

from __future__ import annotations

import time
from collections.abc import Callable, Iterable, Iterator
from contextlib import contextmanager
from dataclasses import dataclass, field
from itertools import islice
from pathlib import Path
from typing import TypeVar
from urllib.parse import quote

import pyoxigraph as ox
import rdflib

from ..config import Config
from ..errors import DataError, StoreError, ValidationFailed, Violation
from ..namespaces import BUILT_GRAPHS, GRAPH_ASSERTED, GRAPH_INFERRED, GRAPH_ONTOLOGY, GRAPH_USER, shorten
from .cube import cube_violations
from .figure_inventory import inventory_violations
from .figure_values import with_figure_values
from .inputs import (
    Sources,
    display_path,
    ill_typed_literals,
    ill_typed_message,
    load_sources,
    oxigraph_message,
    parse_dataset,
    parse_file,
    quads_of,
    quads_of_dataset,
)
from .report import Report
from . import bulk_load
from .annotations import annotations
from .report_graph import report_graph
from .rules import infer_with_rules
from .stats import triples_per_graph
from .store import StoreDir

CHUNK = 50_000
"""Quads per bulk write; also how often a long load reports its progress."""

Progress = Callable[[str], None]
Reasoner = Callable[[rdflib.Graph, rdflib.Graph], rdflib.Graph]
T = TypeVar("T")


def _quiet(_: str) -> None:
    pass


@dataclass
class StageTimer:
    """Times named stages and reports each one's start and end through ``progress``."""

    progress: Progress = _quiet
    seconds: dict[str, float] = field(default_factory=dict)

    @contextmanager
    def stage(self, name: str) -> Iterator[None]:
        self.progress(f"{name} …")
        started = time.perf_counter()
        yield
        self.seconds[name] = time.perf_counter() - started
        self.progress(f"{name} done in {self.seconds[name]:.2f} s")


@dataclass(frozen=True)
class Built:
    """What a build produced: the generation it published, triples per graph, seconds per stage."""

    version: str
    triples: dict[str, int]
    seconds: dict[str, float]


@dataclass(frozen=True)
class Prepared:
    """The three graphs a build loads, complete before anything touches the store."""

    ontology: rdflib.Graph
    asserted: rdflib.Graph
    inferred: rdflib.Graph

    def graphs(self) -> dict[str, rdflib.Graph]:
        return {GRAPH_ONTOLOGY: self.ontology, GRAPH_ASSERTED: self.asserted, GRAPH_INFERRED: self.inferred}


def build(config: Config, *, progress: Progress = _quiet, reasoner: Reasoner = infer_with_rules) -> Built:
    """Build the store at ``config.store`` from the ontology, the data and the report; publish atomically."""
    timer = StageTimer(progress)
    prepared = prepare(config, timer, reasoner)
    store_dir = StoreDir(config.store, config.write_lock_wait)
    def fill(store: ox.Store) -> None:
        for graph_iri, graph in prepared.graphs().items():
            write_quads(store, quads_of(graph, graph_iri), progress, label=_short(graph_iri))
        carry_graphs_not_built(store_dir, store, progress)

    with timer.stage("load"):
        _write(store_dir, fill, copy_current=False)
    return Built(store_dir.version(), triples_per_graph(store_dir.open_read()), timer.seconds)


def prepare(config: Config, timer: StageTimer, reasoner: Reasoner = infer_with_rules) -> Prepared:
    """Parse, validate and reason: everything a build does before it writes."""
    with timer.stage("parse"):
        sources, report, shapes = parse_inputs(config)
        ontology = sources.ontology()
        asserted = asserted_graph(sources, report)
    with timer.stage("validate"):
        _raise_if_any(check(sources, report, shapes))
    with timer.stage("reason"):
        inferred = reasoner(sources.for_reasoning(), asserted)
    return Prepared(ontology, asserted, inferred)


def asserted_graph(sources: Sources, report: Report) -> rdflib.Graph:
    """What the asserted graph holds: the data files, the report's own graph (its text, sections and
    sentences), the figures' computed values and the annotations over the evidence records."""
    asserted = with_figure_values(sources.data() + report_graph(report))
    asserted += annotations(asserted)
    return asserted


def check(sources: Sources, report: Report, shapes: rdflib.Graph | None) -> list[Violation]:
    """SHACL shapes and provenance quotes, file by file; then what only the whole data can show: the figure
    inventory (every number of the report an observation, none invented) and the Data Cube integrity
    constraints."""
    from .validate import Locator, project_root, relative_name, validate  # pyshacl is heavy: validating pays

    found = [*validate(sources.ontology(), sources.data_files, report, shapes), *ill_typed(sources)]
    data = sources.data()
    locator = Locator(sources.data_files, project_root(report))
    found += inventory_violations(data, report, report_file=relative_name(report.path, project_root(report)),
                                  locate=lambda node: locator.file_of(rdflib.URIRef(node)))
    found += cube_violations(sources.ontology() + data, locate=lambda iri: locator.file_of(rdflib.URIRef(iri)))
    return found


def ill_typed(sources: Sources) -> Iterator[Violation]:
    """Ill-typed literals, by file (the reasoner would find them too, but could not say where)."""
    for path, graph in {**sources.ontology_files, **sources.data_files}.items():
        for s, p, o in ill_typed_literals(graph):
            yield Violation(display_path(path), shorten(str(s)), ill_typed_message(o), shorten(str(p)))


def validate_only(config: Config, *, progress: Progress = _quiet) -> list[Violation]:
    """Parse and validate without building: the violations, in the validator's order."""
    timer = StageTimer(progress)
    with timer.stage("parse"):
        sources, report, shapes = parse_inputs(config)
    with timer.stage("validate"):
        return check(sources, report, shapes)


def parse_inputs(config: Config) -> tuple[Sources, Report, rdflib.Graph | None]:
    """The parsed ontology and data files, the report, and the SHACL shapes (if there is a shapes file)."""
    sources = load_sources(config)
    shapes = parse_file(sources.shapes_file) if sources.shapes_file else None
    return sources, Report.read(config.source_file), shapes


def write_quads(store: ox.Store, quads: Iterable[ox.Quad], progress: Progress, *, label: str) -> int:
    """Bulk-write quads in chunks (the generation is private until published, so no transaction is needed)."""
    total = 0
    iterator = iter(quads)
    while chunk := list(islice(iterator, CHUNK)):
        store.bulk_extend(chunk)
        total += len(chunk)
        if total >= CHUNK:
            progress(f"  {label}: {total} quads written")
    return total


def carry_graphs_not_built(store_dir: StoreDir, store: ox.Store, progress: Progress) -> None:
    """Copy into the new generation every graph of the previous one that the build does not make: what
    ``zgckg load``, /update and /store added (the default graph included). Read under the write lock, so
    no acknowledged write can fall between this copy and the publication."""
    if not store_dir.exists():
        return
    previous = store_dir.open_read()
    built = set(BUILT_GRAPHS.values())
    graphs = [ox.DefaultGraph(), *(g for g in previous.named_graphs() if not (isinstance(g, ox.NamedNode)
                                                                             and g.value in built))]
    for graph in graphs:
        quads = previous.quads_for_pattern(None, None, None, graph)
        name = "the default graph" if isinstance(graph, ox.DefaultGraph) else graph.value
        count = write_quads(store, quads, progress, label=_short(name))
        if count:
            progress(f"  carried over {name} ({count} triples)")


def _write(store_dir: StoreDir, fill: Callable[[ox.Store], T], *, copy_current: bool) -> T:
    """``store_dir.write``, with the storage's own failure (a full disk, an I/O error) as a StoreError: the
    command line reports it in one line, and the new generation was thrown away."""
    try:
        return store_dir.write(fill, copy_current=copy_current)
    except OSError as exc:
        raise StoreError(str(store_dir.root), f"could not write the new generation, the previous one is still "
                                              f"current: {exc}") from None


def _raise_if_any(violations: list[Violation]) -> None:
    if violations:
        raise ValidationFailed(violations)


def _short(graph_iri: str) -> str:
    return graph_iri.rsplit("/", 1)[-1]


def user_graph_iri(path: Path) -> str:
    """Where ``zgckg load`` puts a file unless told otherwise: GRAPH_USER + the file's name."""
    return GRAPH_USER + quote(path.name)


PROGRESS_SECONDS = 5.0
"""How often a long load says how far it is."""


def load_user_files(config: Config, files: Iterable[Path], *, graph: str | None = None,
                    progress: Progress = _quiet) -> dict[str, int]:
    """Add RDF files to the store, each into its own graph (or all into ``graph``); publish atomically.

    The triples of a file go to its graph; a dataset file (TriG, N-Quads) keeps the graph names it gives
    (only its default graph's triples go to the file's graph). The graphs a build makes are off limits as
    targets: a rebuild would silently replace what was loaded there.
    Returns the triples each graph the load wrote to holds once it is published: the files' graphs first
    (each even if empty), then the other graphs whose size the load changed (those a dataset file names).
    A file loaded twice thus reports the same numbers twice. Says how far a long load is through
    ``progress``, every ``PROGRESS_SECONDS``.

    The new generation starts as a checkpoint of the current one (``StoreDir.write``): hard links to its
    immutable files, so the load itself costs the time and disk of the new data, not of the whole store.
    """
    if graph in BUILT_GRAPHS.values():
        raise StoreError(str(config.store), f"{graph} is rebuilt by `zgckg build`; load into another graph")
    targets = {Path(path): graph or user_graph_iri(Path(path)) for path in files}
    store_dir = StoreDir(config.store, config.write_lock_wait)
    counts = {target: 0 for target in targets.values()}

    def fill(store: ox.Store) -> None:
        before = triples_per_graph(store)
        started = time.monotonic()
        for path, target in targets.items():
            load_user_file(store, path, target, progress)
        after = triples_per_graph(store)
        counts.update((g, after.get(g, 0)) for g in counts)
        counts.update((g, n) for g, n in after.items() if n != before.get(g, 0))
        added = sum(after.values()) - sum(before.values())
        if added >= 10_000:
            seconds = time.monotonic() - started
            progress(f"  {added:,} quads added in {seconds:.1f} s ({added / max(seconds, 1e-9):,.0f} quads/s); "
                     "publishing the new generation")

    _write(store_dir, fill, copy_current=True)
    return counts


def load_user_file(store: ox.Store, path: Path, graph: str, progress: Progress = _quiet) -> None:
    """One file into ``graph``: read by Oxigraph's bulk loader when it knows the syntax (fast, in parts side
    by side for a large N-Triples or N-Quads file, exact errors; see :mod:`.bulk_load`), else by rdflib."""
    label = display_path(path)
    rdf_format = ox.RdfFormat.from_extension(path.suffix.lstrip(".")) if path.suffix else None
    if rdf_format is None:
        store.bulk_extend(quads_of_dataset(parse_dataset(path), graph))
        return

    def say(read: int, total: int, seconds: float) -> None:
        progress(f"  {label}: {read / 1e6:,.1f} of {total / 1e6:,.1f} MB read in {seconds:.0f} s")

    try:
        bulk_load.load(store, path, rdf_format, base_iri=path.resolve().as_uri(), graph=ox.NamedNode(graph),
                       say=say, every=PROGRESS_SECONDS)
    except bulk_load.PartFailed as failed:
        error = failed.error
        if isinstance(error, SyntaxError):
            line = None if error.lineno is None else error.lineno + failed.line - 1
            raise DataError(label, line, oxigraph_message(error)) from None
        raise DataError(label, None, getattr(error, "strerror", None) or str(error)) from None


