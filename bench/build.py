"""Build benchmark: seconds per stage for the project's data and for a synthetic graph N× larger.

Each stage is the build's own code (``zgckg.kg.build`` and friends), timed one by one so that both
reasoners run on the same parsed input:

    parse      ontology/*.ttl and the data files with rdflib (plus Oxigraph's strict check)
    validate   SHACL shapes, evidence quotes, relations (``zgckg.kg.validate``)
    reason     owlrl's OWL 2 RL closure (``zgckg.kg.reasoning.infer``) and the SPARQL rules run in
               Oxigraph (``zgckg.kg.rules.infer_with_rules``), each with the noise filtered; the two
               results are compared, triple for triple
    load       the three graphs bulk-written into a fresh store generation, published atomically;
               for comparison, the same quads with the transactional ``Store.extend``

The synthetic graph replicates the asserted data (the data files) N times under renamed IRIs: every
``https://w3id.org/zgckg/id/…`` IRI gets a copy prefix (``…/id/c7/baidu``) and every blank node a suffix,
except the report and its sentences, which all copies quote, and the instances the ontology itself
defines (the data structure definition of the figures). The ontology stays as it is. The copies
are written as ``.ttl`` files (in the N-Triples subset of Turtle) and go through the same parse.

    .venv/bin/python bench/build.py                                  # our data and 100×, printed
    .venv/bin/python bench/build.py --doc docs/build-benchmarks.md   # … and written down
    .venv/bin/python bench/build.py --scale 10 --skip-owlrl-scaled   # quicker

owlrl at 100× takes many minutes and several GB of memory; run it in the background.
"""

from __future__ import annotations

import argparse
import datetime
import os
import platform
import sys
import tempfile
import time
from collections.abc import Callable
from dataclasses import dataclass, field
from importlib import metadata
from pathlib import Path

import pyoxigraph as ox
import rdflib

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT / "src"))

from zgckg.config import Config  # noqa: E402
from zgckg.kg.build import asserted_graph, check, write_quads  # noqa: E402
from zgckg.kg.reasoning import infer  # noqa: E402
from zgckg.kg.rules import infer_with_rules  # noqa: E402
from zgckg.kg.report import Report  # noqa: E402
from zgckg.kg.inputs import load_sources, parse_file, quads_of  # noqa: E402
from zgckg.kg.store import StoreDir  # noqa: E402
from zgckg.namespaces import GRAPH_ASSERTED, GRAPH_INFERRED, GRAPH_ONTOLOGY, INSTANCES, REPORT  # noqa: E402


@dataclass
class Run:
    """One dataset's timings (seconds per stage) and sizes (triples)."""

    name: str
    seconds: dict[str, float] = field(default_factory=dict)
    sizes: dict[str, int] = field(default_factory=dict)
    notes: list[str] = field(default_factory=list)

    def time(self, stage: str, action: Callable):
        started = time.perf_counter()
        result = action()
        self.seconds[stage] = time.perf_counter() - started
        print(f"  {self.name}: {stage} {self.seconds[stage]:.2f} s", file=sys.stderr, flush=True)
        return result


def bench(name: str, config: Config, *, owlrl: bool) -> Run:
    run = Run(name)
    print(f"{name} …", file=sys.stderr, flush=True)
    sources = run.time("parse", lambda: load_sources(config))
    report = Report.read(config.source_file)
    shapes = parse_file(sources.shapes_file) if sources.shapes_file else None
    ontology = sources.for_reasoning()
    asserted = asserted_graph(sources, report)
    run.sizes.update(ontology=len(ontology), asserted=len(asserted))
    violations = run.time("validate", lambda: check(sources, report, shapes))
    run.sizes["violations"] = len(violations)
    by_rules = run.time("reason: SPARQL rules", lambda: infer_with_rules(ontology, asserted))
    run.sizes["inferred"] = len(by_rules)
    if owlrl:
        by_owlrl = run.time("reason: owlrl", lambda: infer(ontology, asserted))
        same = set(by_owlrl) == set(by_rules)
        run.notes.append(f"owlrl and the SPARQL rules inferred {'the same' if same else 'DIFFERENT'} "
                         f"{len(by_owlrl)} triples" + ("" if same else f" (rules: {len(by_rules)})"))
    graphs = {GRAPH_ONTOLOGY: ontology, GRAPH_ASSERTED: asserted, GRAPH_INFERRED: by_rules}
    run.time("load: bulk (used)", lambda: load(config.store, graphs, bulk=True))
    run.time("load: transactional", lambda: load(config.store, graphs, bulk=False))
    return run


def load(store_path: Path, graphs: dict[str, rdflib.Graph], *, bulk: bool) -> None:
    def fill(store: ox.Store) -> None:
        for iri, graph in graphs.items():
            if bulk:
                write_quads(store, quads_of(graph, iri), lambda _: None, label=iri)
            else:
                store.extend(quads_of(graph, iri))

    StoreDir(store_path).write(fill, copy_current=False)


def synthetic_data(source: Config, copies: int, directory: Path) -> None:
    """The data files, each replicated ``copies`` times under renamed IRIs, as Turtle files."""
    sources = load_sources(source)
    shared = {str(s) for s in sources.ontology().subjects() if isinstance(s, rdflib.URIRef)}
    for path, graph in sources.data_files.items():
        with (directory / path.name).open("wb") as out:
            for copy in range(copies):
                ox.serialize((renamed(t, copy, shared) for t in graph), out, ox.RdfFormat.N_TRIPLES)


def renamed(triple, copy: int, shared: set[str]) -> ox.Triple:
    return ox.Triple(*(rename(term, copy, shared) for term in triple))


def rename(term, copy: int, shared: set[str]):
    """A copy's term: instance IRIs get a copy prefix, except the report's and those the ontology defines."""
    if isinstance(term, rdflib.URIRef):
        iri = str(term)
        if iri.startswith(INSTANCES) and not iri.startswith(REPORT) and iri not in shared:
            iri = f"{INSTANCES}c{copy}/{iri[len(INSTANCES):]}"
        return ox.NamedNode(iri)
    if isinstance(term, rdflib.BNode):
        return ox.BlankNode(f"{term}c{copy}")
    if term.language:
        return ox.Literal(str(term), language=term.language)
    if term.datatype:
        return ox.Literal(str(term), datatype=ox.NamedNode(str(term.datatype)))
    return ox.Literal(str(term))


def machine() -> str:
    cpu = next((line.split(":", 1)[1].strip() for line in _lines("/proc/cpuinfo") if line.startswith("model name")),
               platform.processor() or "unknown CPU")
    mem = next((int(line.split()[1]) for line in _lines("/proc/meminfo") if line.startswith("MemTotal")), 0)
    return f"{cpu}, {os.cpu_count()} cores, {mem / 1024 / 1024:.0f} GB RAM, Python {platform.python_version()}"


def _lines(path: str) -> list[str]:
    try:
        return Path(path).read_text().splitlines()
    except OSError:
        return []


def versions() -> str:
    return ", ".join(f"{p} {metadata.version(p)}" for p in ("pyoxigraph", "rdflib", "owlrl", "pyshacl"))


def table(runs: list[Run]) -> str:
    stages = list(dict.fromkeys(s for run in runs for s in run.seconds))
    sizes = list(dict.fromkeys(s for run in runs for s in run.sizes))
    header = "| | " + " | ".join(run.name for run in runs) + " |"
    lines = [header, "| --- |" + " --- |" * len(runs)]
    for size in sizes:
        lines.append(f"| {size} (triples)" if size != "violations" else "| validation violations")
        lines[-1] += " | " + " | ".join(f"{run.sizes[size]:,}" if size in run.sizes else "–" for run in runs) + " |"
    for stage in stages:
        cells = [f"{run.seconds[stage]:.2f}" if stage in run.seconds else "not run" for run in runs]
        lines.append(f"| {stage} (s) | " + " | ".join(cells) + " |")
    return "\n".join(lines)


def document(runs: list[Run], command: str) -> str:
    notes = [f"- {run.name}: {note}" for run in runs for note in run.notes]
    return "\n".join([
        "# Build benchmarks",
        "",
        f"Measured {datetime.date.today().isoformat()} on {machine()}; {versions()}.",
        f"Command: `{command}` (see `bench/build.py` for what each stage does and how the synthetic graph is made).",
        "",
        table(runs),
        "",
        *notes,
        "",
    ])


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--scale", type=int, default=100, help="copies of the data in the synthetic graph (100)")
    parser.add_argument("--skip-owlrl-scaled", action="store_true", help="run owlrl on our data only")
    parser.add_argument("--doc", type=Path, help="write the results as Markdown to this file")
    args = parser.parse_args()

    runs = []
    with tempfile.TemporaryDirectory(prefix="zgckg-bench-") as tmp:
        tmp = Path(tmp)
        ours = Config(store=tmp / "ours")
        runs.append(bench("our data", ours, owlrl=True))
        data = tmp / "data"
        data.mkdir()
        synthetic_data(ours, args.scale, data)
        scaled = Config(store=tmp / "scaled", data_dir=data)
        runs.append(bench(f"synthetic {args.scale}×", scaled, owlrl=not args.skip_owlrl_scaled))

    command = "python bench/build.py " + " ".join(sys.argv[1:])
    text = document(runs, command.strip())
    print(text)
    if args.doc:
        args.doc.write_text(text, encoding="utf-8")


if __name__ == "__main__":
    main()
