"""Exploration benchmark: path search and neighbourhood expansion on this graph and on a synthetic one
``--scale`` times larger (1000× by default), through the engine ``zgckg serve`` uses.

1. This graph: ``zgckg build`` into a temporary store.
2. The synthetic graph, deterministic for a scale and a seed, in the same shape as ours: a few hubs (science
   parks, zones, districts, the district government and a municipal commission) and, per unit of scale,
   some 290 enterprises, institutes, platforms, policies, funds, government bodies and communities, linked
   by the ontology's relation properties (coBuiltBy, hostedBy, initiatedBy, landedIn, locatedIn, issuedBy,
   implementedBy, appliesTo, componentOf, partOf, subOrganizationOf, supports); every edge reified
   (``rdf:Statement``) with an evidence record quoting a synthetic sentence (``oa:exact/start/end``,
   ``zgo:sentence`` with its ``zgo:sentenceId``, ``zgo:text`` and ``oa:start``), labels in zh and en; one
   percent of the entities in small islands that nothing else links to. The real ontology graph is loaded
   as built, so the relation properties are the project's own. The inferred graph is not reasoned: it holds
   what the rules would add cheaply (the inverse of every edge whose property has one, and the superclass
   types), about the same share of the store as in ours. The quads are streamed to an N-Quads file and
   bulk-loaded (``Store.bulk_load``) into a new store generation, published like any other; the store is
   kept under ``var/bench/`` keyed by scale, seed, generator version and ontology, and reused.
3. Questions, drawn with a fixed seed from the relation edges read back from each store: pairs at a known
   distance of 1 to 4 hops (a breadth-first walk over the edges from the source), pairs with no path within
   4 hops, each asked with ``max_hops`` 4 and ``limit`` 5, once as they are and once excluding the hubs;
   the neighbourhood of random entities, and of each hub separately (a hub's neighbourhood is huge by
   nature). A few unmeasured requests come first (warm-up: the label index and relation properties are
   read once per store version); their times are reported.
4. Engine: the local engine (worker processes, as served), with its default memory copy for our graph and
   ``reader_memory_bytes=0`` (read from disk) for the synthetic one; query timeout 30 s. Path searches get
   the bounds the web front passes (``Bounds.seconds`` = the query timeout); a neighbourhood's budget is the
   query timeout too, which is all the bound it has.

Per case: median, p95 and max time, how many requests answered, how many failed with
``ExplorationTooBroad`` (the bound working: bounded, not an error), how many failed otherwise.

    .venv/bin/python bench/explore.py                                  # prints the table
    .venv/bin/python bench/explore.py --scale 10                       # quick
    .venv/bin/python bench/explore.py --doc docs/benchmarks.md --json var/bench-explore.json
"""

from __future__ import annotations

import argparse
import collections
import datetime
import hashlib
import json
import random
import shlex
import shutil
import sys
import tempfile
import threading
import time
from dataclasses import dataclass, field
from pathlib import Path

import pyoxigraph as ox

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT / "scripts"))
sys.path.insert(0, str(ROOT / "bench"))

from endpoint import build_zgckg_store, machine, _markdown, median_ms, p95_ms, update_doc, versions  # noqa: E402

from zgckg.config import Config  # noqa: E402
from zgckg.errors import ExplorationTooBroad  # noqa: E402
from zgckg.kg.explore.neighbourhood import MAX_EDGES, neighbourhood  # noqa: E402
from zgckg.kg.explore.paths import Bounds, find_paths  # noqa: E402
from zgckg.kg.store import StoreDir  # noqa: E402
from zgckg.namespaces import GRAPH_ASSERTED, GRAPH_INFERRED, GRAPH_ONTOLOGY, INSTANCES, ONTOLOGY  # noqa: E402

GENERATOR_VERSION = 1
CACHE = ROOT / "var" / "bench"
RDF = "http://www.w3.org/1999/02/22-rdf-syntax-ns#"
RDFS = "http://www.w3.org/2000/01/rdf-schema#"
OWL = "http://www.w3.org/2002/07/owl#"
OA = "http://www.w3.org/ns/oa#"
XSD_INT = "http://www.w3.org/2001/XMLSchema#integer"
TARGETS = {
    "paths-small": "paths on this graph: p95 < 200 ms",
    "bounded-large": "{scale}× graph: every request finished within its budget (+1 s)",
}
MARGIN = 1.0
HUNG = 300.0
"""Seconds after which the benchmark stops waiting for one request (it is reported as never finishing)."""


# --- the synthetic graph ----------------------------------------------------------------------------


@dataclass(frozen=True)
class Kind:
    name: str
    cls: str
    per_unit: int
    zh: str
    en: str


KINDS = (
    Kind("enterprise", "Enterprise", 105, "企业", "enterprise"),
    Kind("institute", "ResearchInstitute", 35, "研究院", "research institute"),
    Kind("platform", "InnovationPlatform", 47, "创新平台", "innovation platform"),
    Kind("policy", "Policy", 47, "政策", "policy"),
    Kind("fund", "Fund", 24, "基金", "fund"),
    Kind("gov", "GovernmentBody", 10, "管理机构", "government body"),
    Kind("community", "Community", 12, "创新社区", "innovation community"),
)
HUBS = (  # (slug, class, zh, en)
    ("park-1", "SciencePark", "合成科学园一", "Synthetic Science Park 1"),
    ("park-2", "SciencePark", "合成科学园二", "Synthetic Science Park 2"),
    ("park-3", "SciencePark", "合成科学园三", "Synthetic Science Park 3"),
    ("zone-1", "HighTechZone", "合成高新区", "Synthetic High-Tech Zone"),
    ("zone-2", "DemonstrationZone", "合成示范区", "Synthetic Demonstration Zone"),
    ("district-1", "AdministrativeArea", "合成区", "Synthetic District"),
    ("district-2", "AdministrativeArea", "合成市", "Synthetic City"),
    ("government", "GovernmentBody", "合成区政府", "Synthetic District Government"),
    ("commission", "GovernmentBody", "合成市科委", "Synthetic Municipal Science Commission"),
)
PLACE_HUBS = tuple(h[0] for h in HUBS[:7])
GOV_HUBS = ("government", "commission")
VERBS = {"coBuiltBy": "共建", "hostedBy": "依托", "initiatedBy": "发起", "landedIn": "落地于", "locatedIn": "位于",
         "issuedBy": "发布", "implementedBy": "实施", "appliesTo": "适用于", "componentOf": "组成",
         "partOf": "属于", "subOrganizationOf": "隶属", "supports": "支持"}


def syn(slug: str) -> str:
    return f"{INSTANCES}syn/{slug}"


def structure(scale: int, seed: int) -> tuple[list[tuple[str, str, str, str]], list[tuple[str, str, str]]]:
    """Entities (iri, class, zh, en) and edges (subject, property local name, object): fixed by scale and seed."""
    rng = random.Random(seed)
    entities = [(syn(slug), cls, zh, en) for slug, cls, zh, en in HUBS]
    ids: dict[str, list[str]] = {}
    for kind in KINDS:
        ids[kind.name] = [syn(f"{kind.name}-{n}") for n in range(kind.per_unit * scale)]
        entities += [(iri, kind.cls, f"合成{kind.zh}{n}号", f"Synthetic {kind.en} {n}")
                     for n, iri in enumerate(ids[kind.name])]
    edges: list[tuple[str, str, str]] = [
        (syn("park-1"), "partOf", syn("zone-1")), (syn("park-2"), "partOf", syn("zone-1")),
        (syn("park-3"), "partOf", syn("zone-2")), (syn("zone-1"), "locatedIn", syn("district-1")),
        (syn("zone-2"), "locatedIn", syn("district-2")), (syn("district-1"), "partOf", syn("district-2")),
        (syn("government"), "locatedIn", syn("district-1")), (syn("commission"), "locatedIn", syn("district-2")),
    ]
    places, govs = ids["community"], ids["gov"]

    def pick(items: list[str], hubs: tuple[str, ...] = (), hub_share: float = 0.0) -> str:
        return syn(rng.choice(hubs)) if hubs and rng.random() < hub_share else rng.choice(items)

    def add(s: str, p: str, o: str, chance: float = 1.0) -> None:
        if s != o and rng.random() < chance:
            edges.append((s, p, o))

    for c in places:
        add(c, "partOf", syn(rng.choice(PLACE_HUBS[:5])))
    for g in govs:
        add(g, "locatedIn", syn(rng.choice(PLACE_HUBS[5:])))
        add(g, "subOrganizationOf", syn(rng.choice(GOV_HUBS)), 0.5)
    for e in ids["enterprise"]:
        add(e, "locatedIn", pick(places, PLACE_HUBS, 0.25))
        add(e, "subOrganizationOf", rng.choice(ids["enterprise"]), 0.15)
    for i in ids["institute"]:
        add(i, "locatedIn", pick(places, PLACE_HUBS, 0.25))
        add(i, "subOrganizationOf", rng.choice(ids["institute"]), 0.1)
    for p in ids["platform"]:
        for _ in range(rng.choice((1, 2))):
            add(p, "coBuiltBy", rng.choice(ids["enterprise"] if rng.random() < 0.75 else ids["institute"]))
        add(p, "hostedBy", rng.choice(ids["institute"]), 0.6)
        add(p, "landedIn", pick(places, PLACE_HUBS, 0.3))
        add(p, "initiatedBy", pick(govs, GOV_HUBS, 0.5), 0.3)
    for p in ids["policy"]:
        add(p, "issuedBy", pick(govs, GOV_HUBS, 0.5))
        add(p, "implementedBy", pick(govs, GOV_HUBS, 0.5), 0.5)
        add(p, "appliesTo", pick(places, PLACE_HUBS, 0.4), 0.5)
        add(p, "componentOf", rng.choice(ids["policy"]), 0.2)
    for f in ids["fund"]:
        add(f, "initiatedBy", pick(govs, GOV_HUBS, 0.5) if rng.random() < 0.6 else rng.choice(ids["enterprise"]))
        add(f, "supports", rng.choice(ids["enterprise"] if rng.random() < 0.5 else ids["platform"]))
    for n in range(3 * scale):  # islands: a fund, an enterprise and its parent that nothing else links to
        fund, firm, parent = syn(f"island-fund-{n}"), syn(f"island-enterprise-{n}"), syn(f"island-group-{n}")
        entities += [(fund, "Fund", f"孤立基金{n}号", f"Island fund {n}"),
                     (firm, "Enterprise", f"孤立企业{n}号", f"Island enterprise {n}"),
                     (parent, "Enterprise", f"孤立集团{n}号", f"Island group {n}")]
        edges += [(fund, "initiatedBy", firm), (firm, "subOrganizationOf", parent)]
    return entities, edges


def _lit(text: str, lang: str | None = None) -> str:
    escaped = text.replace("\\", "\\\\").replace('"', '\\"')
    return f'"{escaped}"@{lang}' if lang else f'"{escaped}"'


def _int(value: int) -> str:
    return f'"{value}"^^<{XSD_INT}>'


def ontology_facts(store: ox.Store) -> tuple[list[str], dict[str, str], dict[str, list[str]]]:
    """The ontology graph as N-Quads lines, each property's inverse, each class's superclasses."""
    graph = ox.NamedNode(GRAPH_ONTOLOGY)
    lines = [str(q) + " .\n" for q in store.quads_for_pattern(None, None, None, graph)]
    inverse: dict[str, str] = {}
    for q in store.quads_for_pattern(None, ox.NamedNode(OWL + "inverseOf"), None, graph):
        if isinstance(q.subject, ox.NamedNode) and isinstance(q.object, ox.NamedNode):
            inverse[q.subject.value] = q.object.value
            inverse.setdefault(q.object.value, q.subject.value)
    supers: dict[str, list[str]] = collections.defaultdict(list)
    text = f"SELECT ?c ?s WHERE {{ GRAPH <{GRAPH_ONTOLOGY}> {{ ?c <{RDFS}subClassOf>+ ?s }} FILTER(isIRI(?s) && isIRI(?c)) }}"
    for row in store.query(text):
        supers[row["c"].value].append(row["s"].value)
    return lines, inverse, supers


def write_nquads(path: Path, scale: int, seed: int, ontology: ox.Store) -> int:
    """The synthetic graph as N-Quads, streamed: returns the number of quads."""
    onto_lines, inverse, supers = ontology_facts(ontology)
    entities, edges = structure(scale, seed)
    a, asserted, inferred = f"<{RDF}type>", f"<{GRAPH_ASSERTED}>", f"<{GRAPH_INFERRED}>"
    label, zgo = f"<{RDFS}label>", ONTOLOGY
    names = {iri: zh for iri, _, zh, _ in entities}
    report = f"<{INSTANCES}report/syn>"
    count = 0
    with path.open("w", encoding="utf-8", buffering=1 << 20) as out:
        out.writelines(onto_lines)
        count += len(onto_lines)
        out.write(f"{report} {a} <{zgo}SourceDocument> {asserted} .\n")
        count += 1
        batch: list[str] = []
        for iri, cls, zh, en in entities:
            batch += [f"<{iri}> {a} <{zgo}{cls}> {asserted} .\n", f"<{iri}> {label} {_lit(zh, 'zh')} {asserted} .\n",
                      f"<{iri}> {label} {_lit(en, 'en')} {asserted} .\n"]
            batch += [f"<{iri}> {a} <{s}> {inferred} .\n" for s in supers.get(zgo + cls, ())]
            if len(batch) > 50_000:
                count += len(batch)
                out.writelines(batch)
                batch = []
        offset, sentence, sentence_text, sentence_iri = 0, -1, "", ""
        for n, (s, p, o) in enumerate(edges):
            if n % 2 == 0:  # a sentence for every two edges, as the report's sentences carry a few relations
                offset += len(sentence_text)
                sentence += 1
                pair = edges[n: n + 2]
                sentence_text = "；".join(f"{names[x]}{VERBS[q]}{names[y]}" for x, q, y in pair) + "。"
                sentence_iri = f"<{INSTANCES}report/syn/s{sentence}>"
                sid = f"s{sentence:07d}"
                batch += [f"{sentence_iri} {a} <{zgo}Sentence> {asserted} .\n",
                          f"{sentence_iri} <{zgo}sentenceId> {_lit(sid)} {asserted} .\n",
                          f"{sentence_iri} <{zgo}text> {_lit(sentence_text)} {asserted} .\n",
                          f"{sentence_iri} <{OA}start> {_int(offset)} {asserted} .\n",
                          f"{sentence_iri} <{OA}end> {_int(offset + len(sentence_text))} {asserted} .\n",
                          f"{sentence_iri} <http://purl.org/dc/terms/isPartOf> {report} {asserted} .\n"]
            quote = f"{names[s]}{VERBS[p]}{names[o]}"
            at = offset + sentence_text.index(quote)
            st, ev, pred = f"<{INSTANCES}st/syn/{n}>", f"<{INSTANCES}ev/syn/{n}>", f"<{zgo}{p}>"
            batch += [f"<{s}> {pred} <{o}> {asserted} .\n",
                      f"{st} {a} <{RDF}Statement> {asserted} .\n", f"{st} <{RDF}subject> <{s}> {asserted} .\n",
                      f"{st} <{RDF}predicate> {pred} {asserted} .\n", f"{st} <{RDF}object> <{o}> {asserted} .\n",
                      f"{st} <{zgo}evidence> {ev} {asserted} .\n",
                      f"{ev} {a} <{zgo}Evidence> {asserted} .\n", f"{ev} <{zgo}source> {report} {asserted} .\n",
                      f"{ev} <{zgo}sentence> {sentence_iri} {asserted} .\n",
                      f"{ev} <{OA}exact> {_lit(quote)} {asserted} .\n",
                      f"{ev} <{OA}start> {_int(at)} {asserted} .\n",
                      f"{ev} <{OA}end> {_int(at + len(quote))} {asserted} .\n"]
            if (inv := inverse.get(zgo + p)) is not None:
                batch.append(f"<{o}> <{inv}> <{s}> {inferred} .\n")
            if len(batch) > 50_000:
                count += len(batch)
                out.writelines(batch)
                batch = []
        count += len(batch)
        out.writelines(batch)
    return count


@dataclass
class Synthetic:
    store: Path
    hubs: list[str]
    meta: dict


def synthetic_store(scale: int, seed: int, ontology_store: Path) -> Synthetic:
    """The synthetic graph's store, generated and bulk-loaded once, then reused from the cache."""
    ontology = ox.Store.read_only(str(StoreDir(ontology_store).current_path()))
    files = sorted(p for p in (ROOT / "ontology").glob("*.ttl") if p.name != "shapes.ttl")
    digest = hashlib.sha256(b"".join(p.read_bytes() for p in files)).hexdigest()[:10]
    root = CACHE / f"explore-s{scale}-seed{seed}-v{GENERATOR_VERSION}-onto{digest}"
    hubs = [syn(h[0]) for h in HUBS]
    meta_file = root / "meta.json"
    if meta_file.exists() and StoreDir(root / "store").exists():
        meta = json.loads(meta_file.read_text())
        meta["reused"] = True
        print(f"reusing the synthetic store {root.name} ({meta['quads']:,} quads)", file=sys.stderr)
        return Synthetic(root / "store", hubs, meta)
    shutil.rmtree(root, ignore_errors=True)
    root.mkdir(parents=True)
    print(f"generating the synthetic graph, scale {scale} …", file=sys.stderr, flush=True)
    nquads = root / "synthetic.nq"
    started = time.perf_counter()
    quads = write_nquads(nquads, scale, seed, ontology)
    generated = time.perf_counter() - started
    print(f"  {quads:,} quads written in {generated:.0f} s ({nquads.stat().st_size / 1e9:.2f} GB); loading …",
          file=sys.stderr, flush=True)
    started = time.perf_counter()
    StoreDir(root / "store").write(lambda store: store.bulk_load(path=str(nquads), format=ox.RdfFormat.N_QUADS),
                                   copy_current=False)
    loaded = time.perf_counter() - started
    nquads.unlink()
    size = sum(p.stat().st_size for p in (root / "store").rglob("*") if p.is_file())
    meta = {"scale": scale, "seed": seed, "generator": GENERATOR_VERSION, "quads": quads,
            "generate_seconds": generated, "load_seconds": loaded, "store_bytes": size}
    print(f"  loaded in {loaded:.0f} s; the store takes {size / 1e9:.2f} GB", file=sys.stderr, flush=True)
    meta_file.write_text(json.dumps(meta, indent=1))
    meta["reused"] = False
    return Synthetic(root / "store", hubs, meta)


# --- questions --------------------------------------------------------------------------------------


def relation_edges(store_root: Path) -> tuple[dict[str, set[str]], int]:
    """The asserted relation edges of a store as an undirected adjacency (what a path may walk), read
    directly from the generation; and how many quads it holds."""
    store = ox.Store.read_only(str(StoreDir(store_root).current_path()))
    text = f"""PREFIX zgo: <{ONTOLOGY}> PREFIX skos: <http://www.w3.org/2004/02/skos/core#>
SELECT ?s ?o WHERE {{
  {{ SELECT DISTINCT ?p WHERE {{
      {{ GRAPH <{GRAPH_ONTOLOGY}> {{ ?p <{RDFS}subPropertyOf>+ zgo:relatedTo }} }}
      UNION {{ VALUES ?p {{ skos:broader skos:related }} }} FILTER(?p != zgo:relatedTo) }} }}
  GRAPH ?g {{ ?s ?p ?o }} FILTER(isIRI(?s) && isIRI(?o) && ?g != <{GRAPH_INFERRED}>)
}}"""
    adjacency: dict[str, set[str]] = collections.defaultdict(set)
    for row in store.query(text, use_default_graph_as_union=True):
        s, o = row["s"].value, row["o"].value
        if s != o:
            adjacency[s].add(o)
            adjacency[o].add(s)
    return adjacency, len(store)


def distances(adjacency: dict[str, set[str]], source: str, depth: int) -> dict[str, int]:
    seen, frontier = {source: 0}, [source]
    for level in range(1, depth + 1):
        nxt = []
        for node in frontier:
            for other in adjacency[node]:
                if other not in seen:
                    seen[other] = level
                    nxt.append(other)
        frontier = nxt
    return seen


def components(adjacency: dict[str, set[str]]) -> dict[str, int]:
    """Each node's connected component (a number)."""
    found: dict[str, int] = {}
    for start in adjacency:
        if start in found:
            continue
        number = len(found)
        found[start] = number
        stack = [start]
        while stack:
            for other in adjacency[stack.pop()]:
                if other not in found:
                    found[other] = number
                    stack.append(other)
    return found


def top_hubs(adjacency: dict[str, set[str]]) -> list[str]:
    """Our graph's hubs: the nodes with at least half the highest degree (the park, the district,
    its government)."""
    highest = max(len(v) for v in adjacency.values())
    return sorted(n for n, v in adjacency.items() if len(v) * 2 >= highest)


@dataclass
class Questions:
    pairs: list[tuple[str, str, int | None]]
    """(source, target, hops between them, None when more than 4)."""
    entities: list[str]
    hubs: list[str]
    warmup_pairs: list[tuple[str, str, int | None]]
    warmup_entities: list[str]


def questions(adjacency: dict[str, set[str]], hubs: list[str], seed: int, connected: int, unconnected: int,
              entities: int, max_hops: int) -> Questions:
    rng = random.Random(seed)
    hub_set = set(hubs)
    nodes = sorted(n for n in adjacency if n not in hub_set and n.startswith(INSTANCES))
    pairs: list[tuple[str, str, int | None]] = []
    want = [1 + i % max_hops for i in range(connected + 2)]
    misses = 0
    while want and misses < 1000:
        hops = want[0]
        source = rng.choice(nodes)
        found = distances(adjacency, source, hops)
        at = sorted(n for n, d in found.items() if d == hops and n not in hub_set and n.startswith(INSTANCES))
        if not at:
            misses += 1
            continue
        pairs.append((source, rng.choice(at), hops))
        want.pop(0)
    component = components(adjacency)
    sizes = collections.Counter(component.values())
    largest = sizes.most_common(1)[0][0]
    outside = [n for n in nodes if component[n] != largest] or nodes
    far: list[tuple[str, str, int | None]] = []
    misses = 0
    while len(far) < unconnected + 1 and misses < 1000:
        source, target = rng.choice(outside), rng.choice(nodes)
        if source == target or (component[source] == component[target]
                                and target in distances(adjacency, source, max_hops)):
            misses += 1
            continue
        far.append((source, target, None))
    picked = rng.sample(nodes, min(len(nodes), entities + 2))
    return Questions(pairs[:-2] + far[:-1], picked[:-2], hubs, pairs[-2:] + far[-1:], picked[-2:])


# --- measurements -----------------------------------------------------------------------------------


@dataclass
class Outcome:
    seconds: float
    result: str
    """'answered', 'too broad', 'error', or 'unfinished' (still running after HUNG seconds)."""
    detail: str = ""
    found: int = 0


def timed(call) -> Outcome:
    """Run ``call`` in a thread, so that a request that never returns cannot stop the benchmark."""
    box: dict = {}

    def run() -> None:
        started = time.perf_counter()
        try:
            box["found"] = call()
            box["result"] = "answered"
        except ExplorationTooBroad as exc:
            box["result"], box["detail"] = "too broad", str(exc).split(";")[0]
        except Exception as exc:  # any other failure is what the benchmark reports
            box["result"], box["detail"] = "error", f"{type(exc).__name__}: {str(exc)[:200]}"
        box["seconds"] = time.perf_counter() - started

    started = time.perf_counter()
    thread = threading.Thread(target=run, daemon=True)
    thread.start()
    thread.join(HUNG)
    if thread.is_alive():
        return Outcome(time.perf_counter() - started, "unfinished", f"still running after {HUNG:g} s")
    return Outcome(box["seconds"], box["result"], box.get("detail", ""), box.get("found") or 0)


@dataclass
class Case:
    graph: str
    name: str
    budget: float
    outcomes: list[Outcome] = field(default_factory=list)

    def row(self) -> dict:
        times = [o.seconds for o in self.outcomes]
        count = collections.Counter(o.result for o in self.outcomes)
        details = collections.Counter(o.detail for o in self.outcomes if o.result in ("error", "unfinished", "too broad"))
        return {"graph": self.graph, "case": self.name, "n": len(times),
                "median": median_ms(times) if times else None, "p95": p95_ms(times) if times else None,
                "max": max(times) * 1000 if times else None,
                "answered": count["answered"], "with result": sum(1 for o in self.outcomes if o.found),
                "too broad": count["too broad"], "errors": count["error"] + count["unfinished"],
                "over budget": sum(1 for t in times if t > self.budget + MARGIN), "budget": self.budget,
                "details": dict(details)}


def path_call(engine, source: str, target: str, bounds: Bounds, exclude: frozenset[str]):
    return lambda: len(find_paths(engine, source, target, bounds=bounds, exclude=exclude))


def neighbourhood_call(engine, iri: str):
    return lambda: len(neighbourhood(engine, iri).edges)


def measure(graph: str, engine, asked: Questions, bounds: Bounds, timeout: float, log) -> tuple[list[Case], dict]:
    hubs = frozenset(asked.hubs)
    warm = {}
    for number, (s, t, _) in enumerate(asked.warmup_pairs):
        warm[f"path {number + 1}"] = timed(path_call(engine, s, t, bounds, frozenset())).seconds
    for number, iri in enumerate(asked.warmup_entities):
        warm[f"neighbourhood {number + 1}"] = timed(neighbourhood_call(engine, iri)).seconds
    log(f"{graph}: warm-up " + ", ".join(f"{k} {v * 1000:.0f} ms" for k, v in warm.items()))
    cases = {key: Case(graph, name, budget) for key, name, budget in (
        ("near", "paths, 1–4 hops apart", bounds.seconds),
        ("near-x", "paths, 1–4 hops apart, hubs excluded", bounds.seconds),
        ("far", "paths, none within 4 hops", bounds.seconds),
        ("far-x", "paths, none within 4 hops, hubs excluded", bounds.seconds),
        ("nb", "neighbourhood, random entities", timeout),
        ("nb-hub", "neighbourhood, hubs", timeout))}
    for index, (s, t, hops) in enumerate(asked.pairs):
        for exclude in ((frozenset(), hubs) if index % 2 == 0 else (hubs, frozenset())):
            key = ("near" if hops else "far") + ("-x" if exclude else "")
            outcome = timed(path_call(engine, s, t, bounds, exclude))
            cases[key].outcomes.append(outcome)
            log(f"{graph}: {key} {hops or '>4'} hops {outcome.result} {outcome.found} paths "
                f"{outcome.seconds * 1000:.0f} ms {outcome.detail}")
    for iri in asked.entities:
        outcome = timed(neighbourhood_call(engine, iri))
        cases["nb"].outcomes.append(outcome)
        log(f"{graph}: neighbourhood {outcome.result} {outcome.found} edges {outcome.seconds * 1000:.0f} ms {outcome.detail}")
    for iri in asked.hubs:
        outcome = timed(neighbourhood_call(engine, iri))
        cases["nb-hub"].outcomes.append(outcome)
        log(f"{graph}: hub {iri.rsplit('/', 1)[-1]} {outcome.result} {outcome.found} edges "
            f"{outcome.seconds * 1000:.0f} ms {outcome.detail}")
    return list(cases.values()), warm


def local_engine(store: Path, timeout: float, memory_bytes: int | None):
    from zgckg.kg.engine.local import LocalEngine

    values = {"store": store, "timeout": timeout}
    if memory_bytes is not None:
        values["reader_memory_bytes"] = memory_bytes
    return LocalEngine(Config().with_values(values))


# --- report -----------------------------------------------------------------------------------------


def _ms(value: float | None) -> str:
    return "–" if value is None else f"{value:,.0f}" if value >= 100 else f"{value:.1f}"


def table(rows: list[dict]) -> str:
    head = ["graph", "case", "n", "median ms", "p95 ms", "max ms", "answered (with a result)", "too broad",
            "other errors", "over budget"]
    body = [[r["graph"], r["case"], str(r["n"]), _ms(r["median"]), _ms(r["p95"]), _ms(r["max"]),
             f"{r['answered']} ({r['with result']})", str(r["too broad"]), str(r["errors"]),
             f"{r['over budget']} (budget {r['budget']:g} s)"] for r in rows]
    lines = _markdown(head, body)
    notes = [f"- {r['graph']}, {r['case']}: " + "; ".join(f"{n}× {d}" for d, n in r["details"].items())
             for r in rows if r["details"]]
    return "\n".join(lines + ([""] + notes if notes else []))


def verdicts(rows: list[dict], large: str | None) -> dict:
    small = [r for r in rows if r["graph"] == "this graph" and r["case"].startswith("paths")]
    p95 = max((r["p95"] for r in small if r["p95"] is not None), default=None)
    found = {"paths-small": {"p95 ms": p95, "met": p95 is not None and p95 < 200}}
    if large:
        big = [r for r in rows if r["graph"] == large]
        found["bounded-large"] = {"over budget": sum(r["over budget"] for r in big),
                                  "errors": sum(r["errors"] for r in big),
                                  "met": all(r["over budget"] == 0 and r["errors"] == 0 for r in big)}
    return found


DOC_HEADING = "## Exploration: path search and neighbourhoods, this graph and 1000× larger"


def document(rows: list[dict], verdict: dict, meta: dict) -> str:
    lines = [
        DOC_HEADING,
        "",
        f"Measured {meta['date']} on {meta['machine']}; {meta['versions']}.",
        "",
        f"Command: `{meta['command']}`",
        "",
        f"Data: this graph, {meta['small_quads']:,} quads from `zgckg build`; {meta['synthetic']}",
        "",
        f"Settings: {meta['settings']}.",
        "",
        f"Questions: {meta['questions']}.",
        "",
        f"Warm-up (not counted): {meta['warmup']}.",
        "",
        table(rows),
        "",
        "### Targets",
        "",
    ]
    for key, text in TARGETS.items():
        if key in verdict:
            v = verdict[key]
            extra = (f"p95 {v['p95 ms']:.0f} ms" if key == "paths-small" and v["p95 ms"] is not None
                     else f"{v.get('over budget', 0)} over budget, {v.get('errors', 0)} other errors"
                     if key == "bounded-large" else "")
            lines.append(f"- {text.format(scale=meta['scale'])}: {extra}, " + ("**met**" if v["met"] else "**missed**"))
    return "\n".join(lines + [""])


# --- command line -----------------------------------------------------------------------------------


def arguments(argv=None) -> argparse.Namespace:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--scale", type=int, default=1000, help="size of the synthetic graph, in copies of ours (1000)")
    parser.add_argument("--seed", type=int, default=7, help="of the synthetic graph and of the questions")
    parser.add_argument("--pairs", type=int, default=30, help="pairs at a known distance of 1 to 4 hops")
    parser.add_argument("--unconnected", type=int, default=10, help="pairs with no path within 4 hops")
    parser.add_argument("--entities", type=int, default=50, help="random entities whose neighbourhood is asked")
    parser.add_argument("--timeout", type=float, default=30.0, help="query timeout of the engine, seconds (30)")
    parser.add_argument("--seconds", type=float, help="Bounds.seconds of a path search (default: the timeout, "
                                                      "as the web front passes it)")
    parser.add_argument("--skip-synthetic", action="store_true", help="measure this graph only")
    parser.add_argument("--json", type=Path, help="write the raw numbers here")
    parser.add_argument("--doc", type=Path, help="write the exploration section of this Markdown file")
    return parser.parse_args(argv)


def log(text: str) -> None:
    print(text, file=sys.stderr, flush=True)


def main(argv=None) -> int:
    args = arguments(argv)
    bounds = Bounds(max_hops=4, limit=5, seconds=args.seconds or args.timeout)
    rows, warmups, raw, metas = [], {}, {}, {}
    large = None if args.skip_synthetic else f"{args.scale}× synthetic"
    started = time.perf_counter()
    with tempfile.TemporaryDirectory(prefix="bench-explore-") as tmp:
        small = Path(tmp) / "zgckg"
        build_zgckg_store(small)
        graphs = [("this graph", small, None, None)]
        if large:
            synthetic = synthetic_store(args.scale, args.seed, small)
            metas = synthetic.meta
            graphs.append((large, synthetic.store, synthetic.hubs, 0))
        quads = {}
        for name, store, hubs, memory in graphs:
            adjacency, quads[name] = relation_edges(store)
            hubs = hubs or top_hubs(adjacency)
            asked = questions(adjacency, hubs, args.seed, args.pairs, args.unconnected, args.entities, bounds.max_hops)
            edges = sum(len(v) for v in adjacency.values()) // 2
            log(f"{name}: {quads[name]:,} quads, {len(adjacency):,} related resources, {edges:,} relation pairs; "
                f"hubs {', '.join(h.rsplit('/', 1)[-1] + f' ({len(adjacency[h])})' for h in hubs)}")
            del adjacency
            engine = local_engine(store, args.timeout, memory)
            try:
                cases, warmups[name] = measure(name, engine, asked, bounds, args.timeout, log)
            finally:
                engine.close()
            rows += [c.row() for c in cases]
            raw[name] = {"hubs": hubs, "cases": {c.name: [o.__dict__ for o in c.outcomes] for c in cases},
                         "pairs": asked.pairs, "entities": asked.entities}
    wall = time.perf_counter() - started
    verdict = verdicts(rows, large)
    if large:
        load = metas
        made = ("reused from an earlier run, made" if load.get("reused") else "made") + (
            f" in {load['generate_seconds']:.0f} s (N-Quads written) + {load['load_seconds']:.0f} s (bulk load), "
            f"{load['store_bytes'] / 1e9:.1f} GB on disk")
        synthetic_text = (f"synthetic {args.scale}×, {quads[large]:,} quads (seed {args.seed}; see `bench/explore.py` "
                          f"for its shape), {made}. Its inferred graph is not reasoned: it holds the inverse of each "
                          f"edge whose property has one and the superclass types, as the rules would add.")
    else:
        synthetic_text = "no synthetic graph (--skip-synthetic)."
    meta = {
        "date": datetime.date.today().isoformat(), "machine": machine(), "versions": versions(), "scale": args.scale,
        "command": shlex.join([".venv/bin/python", "bench/explore.py", *(argv if argv is not None else sys.argv[1:])]),
        "small_quads": quads["this graph"], "synthetic": synthetic_text,
        "settings": (f"the local engine (2 worker processes, as `zgckg serve` runs them), query timeout "
                     f"{args.timeout:g} s; this graph copied into the workers' memory (the default), the synthetic "
                     f"one read from disk (`reader_memory_bytes=0`); `find_paths` with max_hops {bounds.max_hops}, "
                     f"limit {bounds.limit}, max_edges {bounds.max_edges:,}, seconds {bounds.seconds:g} (what the "
                     f"web front passes), asserted edges only; `neighbourhood` with its bounds ({MAX_EDGES:,} "
                     f"relations, one {args.timeout:g} s deadline for all its queries); sequential requests from one "
                     f"client thread"),
        "questions": (f"per graph, {args.pairs} pairs at a distance of 1 to 4 hops (found by a breadth-first walk "
                      f"over the asserted relation edges) and {args.unconnected} with no path within 4 hops, "
                      f"each asked without and with the hubs excluded (in alternating order); the neighbourhoods "
                      f"of {args.entities} random entities and of each hub. Hubs: our graph's nodes with at least "
                      f"half the highest degree, the synthetic graph's {len(HUBS)} parks, zones, districts "
                      f"and government bodies. \"Too broad\" is `ExplorationTooBroad`, the bound working; "
                      f"\"over budget\" counts requests that took longer than their budget + {MARGIN:g} s"),
        "warmup": "; ".join(f"{g}: " + ", ".join(f"{k} {v * 1000:,.0f} ms" for k, v in w.items())
                            for g, w in warmups.items()),
        "wall_seconds": wall, "synthetic_store": metas,
    }
    print(table(rows))
    print(f"\nmeasured in {wall:.0f} s")
    for key, text in TARGETS.items():
        if key in verdict:
            print(("PASS" if verdict[key]["met"] else "MISS"), text.format(scale=args.scale))
    if args.json:
        args.json.parent.mkdir(parents=True, exist_ok=True)
        args.json.write_text(json.dumps({"meta": meta, "rows": rows, "verdicts": verdict, "raw": raw}, indent=1,
                                        ensure_ascii=False))
    if args.doc:
        update_doc(args.doc, document(rows, verdict, meta), DOC_HEADING)
    return 0


if __name__ == "__main__":
    sys.exit(main())
