"""Endpoint benchmark: ``zgckg serve`` against ``oxigraph serve`` on the same quads, interleaved.

1. Data: ``zgckg build --store TMP`` (or, if the build is not available, ontology/*.ttl and
   data/turtle/*.ttl loaded into a store directory); its quads dumped as N-Quads and loaded into an
   ``oxigraph serve`` store with ``oxigraph load``. Both serve the union of all graphs as the default graph.
2. Queries: ``queries/*.rq``, plus the representative queries below when there are fewer than five. A
   query's parameters are bound to their defaults by a VALUES block opening every WHERE group -- the
   text an analyst would send, and as fast as ``zgckg query``'s substitution (a trailing VALUES clause
   is joined only after the whole pattern ran: 5 s instead of 30 ms for connections-to-park). Before
   the servers start, every such text is checked to give the same answer as the substitution.
3. Measurements, the servers always taking turns (A B, then B A, …) so machine noise hits both:
   - latency per query, sequential, after warm-up; every request a distinct text (a trailing comment
     numbers it) so no answer cache can serve it;
   - throughput at 1 and 8 concurrent keep-alive clients over the same request mix, distinct texts;
     queries slower than ``--heavy-ms`` on oxigraph are left out of the mix (one 200 ms query among
     5 ms ones would make throughput a measure of that query alone);
   - repeated identical requests (what an answer cache serves).

    .venv/bin/python bench/endpoint.py                        # prints a table
    .venv/bin/python bench/endpoint.py --doc docs/benchmarks.md --json var/bench-endpoint.json
"""

from __future__ import annotations

import argparse
import contextlib
import datetime
import http.client
import itertools
import json
import math
import os
import platform
import re
import shlex
import statistics
import subprocess
import sys
import tempfile
import threading
import time
from dataclasses import dataclass, field
from importlib import metadata
from pathlib import Path
from urllib.parse import urlencode

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT / "scripts"))

from sparql_servers import DEFAULT_PATHS, Paths, ServerProcess, oxigraph_server, venv_command, zgckg_server  # noqa: E402

from zgckg.kg.formats import GRAPHS, SOLUTIONS, by_short  # noqa: E402
from zgckg.namespaces import sparql_prologue  # noqa: E402

SERVERS = ("zgckg", "oxigraph")
SELECT_ACCEPT = "application/sparql-results+json"
GRAPH_ACCEPT = "application/n-triples"
TARGETS = {
    "latency": "every query's median latency at most oxigraph's + 1 ms",
    "throughput": "throughput at 8 clients at least 0.8 x oxigraph's",
    "repeated": "repeated identical queries faster than oxigraph",
}

# Representative analyst questions, used when queries/ holds fewer than five: counts per graph, a
# class hierarchy walk, bilingual labels, figures with their evidence, reified relations with quotes,
# a substring search, a neighbourhood CONSTRUCT and a transitive path.
FALLBACK_QUERIES = {
    "triples-per-graph": "SELECT ?g (COUNT(*) AS ?n) WHERE { GRAPH ?g { ?s ?p ?o } } GROUP BY ?g ORDER BY ?g",
    "organisations-by-class": """SELECT ?class (COUNT(DISTINCT ?org) AS ?n) WHERE {
  ?class rdfs:subClassOf* zgo:Organisation . ?org a ?class } GROUP BY ?class ORDER BY DESC(?n)""",
    "labels-zh-en": """SELECT ?e ?zh ?en WHERE {
  ?e rdfs:label ?zh FILTER(LANG(?zh) = "zh")
  OPTIONAL { ?e rdfs:label ?en FILTER(LANG(?en) = "en") } } ORDER BY ?e LIMIT 500""",
    "figures-with-evidence": """SELECT ?obs ?measure ?value ?unit ?period ?quote WHERE {
  ?obs a zgo:Observation ; zgo:measure ?measure ; sdmx-measure:obsValue ?value .
  OPTIONAL { ?obs sdmx-attribute:unitMeasure ?unit }
  OPTIONAL { ?obs zgo:refPeriod ?period }
  OPTIONAL { ?obs zgo:evidence/oa:exact ?quote } } ORDER BY ?measure ?obs""",
    "relations-with-quotes": """SELECT ?s ?p ?o ?quote ?sentence WHERE {
  ?st a rdf:Statement ; rdf:subject ?s ; rdf:predicate ?p ; rdf:object ?o ; zgo:evidence ?ev .
  ?ev oa:exact ?quote . OPTIONAL { ?ev zgo:sentence ?sentence } }""",
    "label-search": """SELECT DISTINCT ?e ?label WHERE {
  ?e rdfs:label|skos:altLabel ?label FILTER(CONTAINS(STR(?label), "中关村")) } ORDER BY ?label""",
    "neighbourhood": """CONSTRUCT { zg:haidian-park ?p ?o . ?s ?q zg:haidian-park } WHERE {
  { zg:haidian-park ?p ?o } UNION { ?s ?q zg:haidian-park } }""",
    "transitive-parts": "SELECT ?part ?whole WHERE { ?part zgo:partOf+ ?whole } ORDER BY ?part ?whole",
}


@dataclass
class Query:
    name: str
    text: str
    accept: str
    analyst: object = None  # the AnalystQuery, when the query has parameters

    def distinct(self, number: int) -> str:
        """The same query, made a different request text (so no answer cache can serve it)."""
        return f"{self.text}\n# bench request {number}\n"


_FORM = re.compile(r"^\s*(SELECT|ASK|CONSTRUCT|DESCRIBE)\b", re.IGNORECASE | re.MULTILINE)


def accept_for(text: str) -> str:
    form = _FORM.search(re.sub(r"#[^\n]*", "", text))
    return GRAPH_ACCEPT if form and form[1].upper() in ("CONSTRUCT", "DESCRIBE") else SELECT_ACCEPT


def load_queries(directory: Path, minimum: int = 5) -> list[Query]:
    queries = []
    if directory.is_dir():
        from zgckg.kg.queries import read_query

        for path in sorted(directory.glob("*.rq")):
            analyst = read_query(path)
            text = bind_defaults(analyst) if analyst.params else analyst.text
            queries.append(Query(path.stem, text, accept_for(text), analyst if analyst.params else None))
    if len(queries) < minimum:
        prologue = sparql_prologue()
        queries += [Query(name, prologue + text, accept_for(text)) for name, text in FALLBACK_QUERIES.items()]
    return queries


_WHERE = re.compile(r"\bWHERE\s*\{", re.IGNORECASE)


def bind_defaults(analyst) -> str:
    """The query with its parameters bound to their defaults by a VALUES block opening each WHERE group."""
    from zgckg.kg.queries import expand

    names = " ".join(f"?{name}" for name in analyst.params)
    values = " ".join(f"<{expand(default)}>" for default in analyst.params.values())
    block = f"VALUES ({names}) {{ ({values}) }}"
    return _WHERE.sub(lambda m: f"WHERE {{\n  {block}\n", analyst.text)


def check_bindings(store: Path, queries: list[Query]) -> list[str]:
    """Each parameterised text must answer exactly as ``zgckg query`` does with the engine's bindings."""
    from zgckg.kg.engine import Query as EngineQuery
    from zgckg.kg.queries import bindings

    problems = []
    with in_process_engine(store) as engine:
        def rows(text: str, bound: dict[str, str]) -> list[str]:
            answer = engine.query(EngineQuery(text, by_short(SOLUTIONS)["json"], by_short(GRAPHS)["nt"], bindings=bound))
            if answer.kind == "graph":
                return sorted(answer.content().decode("utf-8").splitlines())
            found = json.loads(answer.content()).get("results", {}).get("bindings", [])
            return sorted(json.dumps(row, sort_keys=True, ensure_ascii=False) for row in found)

        for q in queries:
            if q.analyst is None:
                continue
            if rows(q.analyst.text, bindings(q.analyst)) != rows(q.text, {}):
                problems.append(f"{q.name}: the VALUES-bound text answers differently from the bindings")
    return problems


@contextlib.contextmanager
def in_process_engine(store: Path):
    """The engine ``zgckg query`` uses, over ``store`` (the union default graph, as both servers use)."""
    from zgckg.config import Config
    from zgckg.kg.engine.inprocess import InProcessEngine

    engine = InProcessEngine(Config(store=store, union_default_graph=True))
    try:
        yield engine
    finally:
        engine.close()


# --- HTTP -------------------------------------------------------------------------------------------


class Client:
    """One keep-alive connection sending URL-encoded POST queries (SPARQL 1.1 Protocol)."""

    def __init__(self, port: int, path: str):
        self.port, self.path = port, path
        self.conn = http.client.HTTPConnection("127.0.0.1", port, timeout=300)

    def query(self, text: str, accept: str) -> tuple[int, bytes, float]:
        body = urlencode({"query": text}).encode("utf-8")
        headers = {"Content-Type": "application/x-www-form-urlencoded", "Accept": accept}
        for attempt in (1, 2):
            start = time.perf_counter()
            try:
                self.conn.request("POST", self.path, body, headers)
                response = self.conn.getresponse()
                data = response.read()
                return response.status, data, time.perf_counter() - start
            except (http.client.HTTPException, ConnectionError):
                self.conn.close()  # the server closed the idle connection: reconnect once
                self.conn = http.client.HTTPConnection("127.0.0.1", self.port, timeout=300)
                if attempt == 2:
                    raise
        raise AssertionError("unreachable")

    def close(self) -> None:
        self.conn.close()


class Server:
    def __init__(self, name: str, process: ServerProcess):
        self.name = name
        self.process = process
        self.client = Client(process.port, process.paths.query)

    def new_client(self) -> Client:
        return Client(self.process.port, self.process.paths.query)


class RequestFailed(Exception):
    pass


def ask(client: Client, text: str, accept: str, server: str, name: str) -> float:
    status, body, seconds = client.query(text, accept)
    if status != 200:
        raise RequestFailed(f"{server} answered {status} to {name}: {body[:300].decode('utf-8', 'replace')}")
    return seconds


def result_size(body: bytes, accept: str) -> int:
    """Rows (SELECT), 0/1 (ASK) or triples (N-Triples): to check both servers answer alike."""
    if accept == GRAPH_ACCEPT:
        return sum(1 for line in body.decode("utf-8").splitlines() if line.strip() and not line.startswith("#"))
    doc = json.loads(body)
    return int(doc["boolean"]) if "boolean" in doc else len(doc["results"]["bindings"])


# --- measurements -----------------------------------------------------------------------------------

counter = itertools.count()


def turns(servers: list[Server], round_number: int) -> list[Server]:
    """A B in even rounds, B A in odd ones."""
    return servers if round_number % 2 == 0 else servers[::-1]


def check_same_answers(servers: list[Server], queries: list[Query]) -> list[str]:
    problems = []
    for q in queries:
        sizes = {}
        for s in servers:
            status, body, _ = s.client.query(q.text, q.accept)
            if status != 200:
                raise RequestFailed(f"{s.name} answered {status} to {q.name}: {body[:300].decode('utf-8', 'replace')}")
            sizes[s.name] = result_size(body, q.accept)
        if len(set(sizes.values())) > 1:
            problems.append(f"{q.name}: result sizes differ {sizes}")
    return problems


def latencies(servers: list[Server], queries: list[Query], rounds: int, warmup: int) -> dict:
    samples = {s.name: {q.name: [] for q in queries} for s in servers}
    for r in range(warmup + rounds):
        for q in queries:
            for s in turns(servers, r):
                seconds = ask(s.client, q.distinct(next(counter)), q.accept, s.name, q.name)
                if r >= warmup:
                    samples[s.name][q.name].append(seconds)
    return samples


def repeated(servers: list[Server], queries: list[Query], repeats: int) -> dict:
    samples = {s.name: {q.name: [] for q in queries} for s in servers}
    for q in queries:
        for s in servers:  # the first identical request fills a cache; it is not counted
            ask(s.client, q.text, q.accept, s.name, q.name)
        for r in range(repeats):
            for s in turns(servers, r):
                samples[s.name][q.name].append(ask(s.client, q.text, q.accept, s.name, q.name))
    return samples


def throughput(server: Server, queries: list[Query], clients: int, duration: float) -> dict:
    """Requests per second with ``clients`` threads, each on its own keep-alive connection."""
    done = [0] * clients
    errors: list[str] = []
    start_gate = threading.Barrier(clients + 1)
    stop_at = [0.0]

    def work(index: int) -> None:
        client = server.new_client()
        mix = itertools.cycle(queries[index % len(queries) :] + queries[: index % len(queries)])
        start_gate.wait()
        try:
            while time.perf_counter() < stop_at[0]:
                q = next(mix)
                status, body, _ = client.query(q.distinct(next(counter)), q.accept)
                if status == 200:
                    done[index] += 1
                else:
                    errors.append(f"{status} {q.name}: {body[:200]!r}")
        except Exception as exc:  # a dropped connection ends this client; it is reported, not hidden
            errors.append(f"{type(exc).__name__}: {exc}")
        finally:
            client.close()

    threads = [threading.Thread(target=work, args=(i,)) for i in range(clients)]
    for t in threads:
        t.start()
    stop_at[0] = time.perf_counter() + duration
    began = time.perf_counter()
    start_gate.wait()
    for t in threads:
        t.join()
    elapsed = time.perf_counter() - began
    return {"requests": sum(done), "seconds": elapsed, "per_second": sum(done) / elapsed, "errors": errors[:5]}


def heavy_queries(lat: dict, limit_ms: float) -> list[str]:
    """Queries whose median on oxigraph (else on any server) is above the limit."""
    reference = lat.get("oxigraph") or next(iter(lat.values()))
    return [name for name, samples in reference.items() if median_ms(samples) > limit_ms]


def throughputs(servers: list[Server], queries: list[Query], levels: list[int], duration: float, reps: int) -> dict:
    runs = {s.name: {c: [] for c in levels} for s in servers}
    for rep in range(reps):
        for clients in levels:
            for s in turns(servers, rep):
                runs[s.name][clients].append(throughput(s, queries, clients, duration))
    return runs


# --- statistics and report --------------------------------------------------------------------------


def median_ms(values: list[float]) -> float:
    return statistics.median(values) * 1000


def p95_ms(values: list[float]) -> float:
    ordered = sorted(values)
    return ordered[max(0, math.ceil(0.95 * len(ordered)) - 1)] * 1000


@dataclass
class Summary:
    queries: list[str]
    latency: dict = field(default_factory=dict)  # server -> query -> (median, p95)
    repeated: dict = field(default_factory=dict)  # server -> query -> median
    throughput: dict = field(default_factory=dict)  # server -> clients -> best-of requests/s
    verdicts: dict = field(default_factory=dict)


def summarise(queries, lat, rep, thr) -> Summary:
    summary = Summary([q.name for q in queries])
    for server, per_query in lat.items():
        summary.latency[server] = {q: (median_ms(v), p95_ms(v)) for q, v in per_query.items()}
    for server, per_query in rep.items():
        summary.repeated[server] = {q: median_ms(v) for q, v in per_query.items()}
    for server, levels in thr.items():
        summary.throughput[server] = {c: statistics.median(r["per_second"] for r in runs) for c, runs in levels.items()}
    if set(lat) == set(SERVERS):
        z, o = summary.latency["zgckg"], summary.latency["oxigraph"]
        summary.verdicts["latency"] = [q for q in summary.queries if z[q][0] > o[q][0] + 1.0]
        zr, orr = summary.repeated["zgckg"], summary.repeated["oxigraph"]
        summary.verdicts["repeated"] = [q for q in summary.queries if zr[q] >= orr[q]]
        zt, ot = summary.throughput["zgckg"], summary.throughput["oxigraph"]
        summary.verdicts["throughput"] = [f"{c} clients" for c in zt if c == 8 and zt[c] < 0.8 * ot[c]]
    return summary


def table(summary: Summary) -> str:
    servers = [s for s in SERVERS if s in summary.latency]
    both = len(servers) == 2
    lines = ["### Latency per query (ms, sequential, distinct request texts)", ""]
    head = ["query"] + [f"{s} {stat}" for s in servers for stat in ("median", "p95")]
    head += ["zgckg / oxigraph", "target"] if both else []
    rows = []
    for q in summary.queries:
        cells = [q] + [f"{v:.2f}" for s in servers for v in summary.latency[s][q]]
        if both:
            z, o = summary.latency["zgckg"][q][0], summary.latency["oxigraph"][q][0]
            cells += [f"{z / o:.2f}x", "met" if z <= o + 1.0 else "**missed**"]
        rows.append(cells)
    lines += _markdown(head, rows)
    lines += ["", "### Throughput (requests/s over the same mix of distinct request texts; median of runs)", ""]
    head = ["clients"] + servers + (["zgckg / oxigraph"] if both else [])
    rows = []
    for c in summary.throughput[servers[0]]:
        cells = [str(c)] + [f"{summary.throughput[s][c]:.1f}" for s in servers]
        if both:
            cells.append(f"{summary.throughput['zgckg'][c] / summary.throughput['oxigraph'][c]:.2f}x")
        rows.append(cells)
    lines += _markdown(head, rows)
    lines += ["", "### Repeated identical requests (median ms)", ""]
    head = ["query"] + servers + (["zgckg / oxigraph"] if both else [])
    rows = []
    for q in summary.queries:
        cells = [q] + [f"{summary.repeated[s][q]:.2f}" for s in servers]
        if both:
            cells.append(f"{summary.repeated['zgckg'][q] / summary.repeated['oxigraph'][q]:.2f}x")
        rows.append(cells)
    lines += _markdown(head, rows)
    if summary.verdicts:
        lines += ["", "### Targets", ""]
        for key, text in TARGETS.items():
            missed = summary.verdicts.get(key, [])
            lines.append(f"- {text}: " + ("**met**" if not missed else f"**missed** ({', '.join(missed)})"))
    return "\n".join(lines)


def _markdown(head: list[str], rows: list[list[str]]) -> list[str]:
    return ["| " + " | ".join(head) + " |", "|" + " --- |" * len(head)] + ["| " + " | ".join(r) + " |" for r in rows]


def machine() -> str:
    model = next(
        (l.split(":", 1)[1].strip() for l in Path("/proc/cpuinfo").read_text().splitlines() if l.startswith("model name")),
        platform.processor() or platform.machine(),
    )
    ram = ""
    try:
        kb = int(next(l.split()[1] for l in Path("/proc/meminfo").read_text().splitlines() if l.startswith("MemTotal")))
        ram = f", {kb / 1024 / 1024:.0f} GiB RAM"
    except (OSError, StopIteration):
        pass
    return f"{model}, {os.cpu_count()} cores{ram}, {platform.system()} {platform.release()}"


def versions() -> str:
    found = []
    for package in ("zgckg", "pyoxigraph", "oxigraph", "flask", "granian"):
        try:
            found.append(f"{package} {metadata.version(package)}")
        except metadata.PackageNotFoundError:
            pass
    return ", ".join(found + [f"Python {platform.python_version()}"])


DOC_HEADING = "## Endpoint: `zgckg serve` against `oxigraph serve`"


def document(summary: Summary, meta: dict) -> str:
    return "\n".join(
        [
            DOC_HEADING,
            "",
            f"Measured {meta['date']} on {meta['machine']}; {meta['versions']}.",
            f"Data: {meta['data']}. Queries: {meta['queries']}.",
            "",
            f"Command: `{meta['command']}`",
            "",
            f"Settings: {meta['settings']}.",
            "",
            f"Left out of the throughput mix (median over {meta['heavy_ms']:g} ms on oxigraph): "
            + (", ".join(meta["heavy"]) or "none") + ".",
            "",
            table(summary),
            "",
        ]
    )


def update_doc(path: Path, section: str, heading: str = DOC_HEADING) -> None:
    """Replace the section that starts with ``heading`` (up to the next level-2 heading), or append it:
    every benchmark writes its own section of docs/benchmarks.md this way."""
    text = path.read_text(encoding="utf-8") if path.exists() else "# Benchmarks\n"
    match = re.search(r"^" + re.escape(heading), text, re.MULTILINE)
    if match is None:
        text = text.rstrip("\n") + "\n\n" + section
    else:
        end = text.find("\n## ", match.start() + len(heading))
        text = text[:match.start()] + section + ("\n" + text[end + 1 :] if end >= 0 else "")
    path.write_text(text, encoding="utf-8")


# --- data -------------------------------------------------------------------------------------------


def build_zgckg_store(store: Path) -> str:
    run = subprocess.run([venv_command("zgckg"), "build", "--store", str(store)], capture_output=True, text=True)
    if run.returncode == 0:
        return "`zgckg build` (ontology, asserted and inferred graphs)"
    print(f"zgckg build failed ({run.stderr.strip()[-500:]}); loading the Turtle files instead", file=sys.stderr)
    from zgckg.kg.engine import GraphWrite
    from zgckg.kg.store import StoreDir
    from zgckg.namespaces import GRAPH_ASSERTED, GRAPH_ONTOLOGY

    StoreDir(store).ensure()
    with in_process_engine(store) as engine:
        for folder, graph in ((ROOT / "ontology", GRAPH_ONTOLOGY), (ROOT / "data" / "turtle", GRAPH_ASSERTED)):
            for path in sorted(folder.glob("*.ttl")):
                write = GraphWrite("POST", graph, path.read_bytes(), by_short(GRAPHS)["ttl"], path.resolve().as_uri())
                engine.write_graph(write, timeout=600)
    return "ontology/*.ttl and data/turtle/*.ttl loaded as they are (zgckg build failed)"


def dump_quads(store: Path, dump: Path) -> int:
    """Every quad of the store as N-Quads (what oxigraph is loaded with); returns how many."""
    from zgckg.kg.exporting import write_answer

    with in_process_engine(store) as engine, dump.open("wb") as out:
        answer = engine.read_dataset(by_short(GRAPHS)["nq"], timeout=600)
        write_answer(answer, out)
    return answer.rows


def load_into_oxigraph(dump: Path, location: Path) -> None:
    subprocess.run([venv_command("oxigraph"), "load", "--location", str(location), "--file", str(dump)], check=True,
                   capture_output=True)


def post_into_oxigraph(dump: Path, server: ServerProcess) -> None:
    """Load the quads into an in-memory ``oxigraph serve`` through its Graph Store endpoint."""
    reply = server.endpoint().session.post(server.base_url + server.paths.store, data=dump.read_bytes(),
                                           headers={"Content-Type": "application/n-quads"}, timeout=120)
    reply.raise_for_status()


# --- command line -----------------------------------------------------------------------------------


def storage(zgckg_args: list[str], oxigraph_in_memory: bool) -> str:
    ours = f"`zgckg serve {shlex.join(zgckg_args)}`" if zgckg_args else (
        "zgckg's workers answer from copies in memory of its on-disk store (default `--reader-memory`)")
    theirs = "oxigraph serve on an in-memory store" if oxigraph_in_memory else "oxigraph serve on its RocksDB store"
    return f"{ours}; {theirs}"


def parse_paths(text: str) -> Paths:
    query, update, store = (p.strip() for p in text.split(","))
    return Paths(query, update, store)


def arguments(argv=None) -> argparse.Namespace:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--queries", type=Path, default=ROOT / "queries")
    parser.add_argument("--store", type=Path, help="an existing zgckg store directory (default: build one)")
    parser.add_argument("--rounds", type=int, default=20, help="measured sequential rounds over all queries")
    parser.add_argument("--warmup", type=int, default=3, help="unmeasured rounds first")
    parser.add_argument("--repeats", type=int, default=20, help="identical requests per query and server")
    parser.add_argument("--clients", default="1,8", help="concurrency levels, comma-separated")
    parser.add_argument("--duration", type=float, default=5.0, help="seconds per throughput run")
    parser.add_argument("--reps", type=int, default=2, help="throughput runs per server and level")
    parser.add_argument("--heavy-ms", type=float, default=100.0,
                        help="queries slower than this (median on oxigraph) stay out of the throughput mix")
    parser.add_argument("--filter", help="only queries whose name matches this regex")
    parser.add_argument("--server", choices=("both", *SERVERS), default="both", help="measure one server alone")
    parser.add_argument("--zgckg-paths", type=parse_paths, default=DEFAULT_PATHS["zgckg"], metavar="QUERY,UPDATE,STORE")
    parser.add_argument("--oxigraph-paths", type=parse_paths, default=DEFAULT_PATHS["oxigraph"], metavar="QUERY,UPDATE,STORE")
    parser.add_argument("--oxigraph-in-memory", action="store_true",
                        help="run oxigraph serve on an in-memory store (loaded over HTTP) instead of on disk")
    parser.add_argument("--zgckg-arg", action="append", default=[], help="extra argument for zgckg serve (repeatable)")
    parser.add_argument("--json", type=Path, help="write raw samples and the summary here")
    parser.add_argument("--doc", type=Path, help="write the endpoint section of this Markdown file")
    return parser.parse_args(argv)


def main(argv=None) -> int:
    args = arguments(argv)
    queries = load_queries(args.queries)
    if args.filter:
        queries = [q for q in queries if re.search(args.filter, q.name)]
    levels = [int(c) for c in args.clients.split(",")]
    with tempfile.TemporaryDirectory(prefix="bench-") as tmp_name:
        tmp = Path(tmp_name)
        store = args.store or tmp / "zgckg"
        data = "the store given with --store" if args.store else build_zgckg_store(store)
        dump = tmp / "dump.nq"
        quads = dump_quads(store, dump)
        location = None if args.oxigraph_in_memory else tmp / "oxigraph"
        if location:
            load_into_oxigraph(dump, location)
        problems = check_bindings(store, queries)
        print(f"{quads} quads; {data}; {len(queries)} queries: {', '.join(q.name for q in queries)}")
        processes = {
            "zgckg": lambda: zgckg_server(store, args.zgckg_paths, token=None, union=True, extra=args.zgckg_arg),
            "oxigraph": lambda: oxigraph_server(location, args.oxigraph_paths, union=True),
        }
        with contextlib.ExitStack() as stack:
            servers = [
                Server(name, stack.enter_context(processes[name]()))
                for name in SERVERS
                if args.server in ("both", name)
            ]
            for server in servers:
                if server.name == "oxigraph" and location is None:
                    post_into_oxigraph(dump, server.process)
            problems += check_same_answers(servers, queries)
            for problem in problems:
                print("WARNING", problem)
            started = time.perf_counter()
            lat = latencies(servers, queries, args.rounds, args.warmup)
            rep = repeated(servers, queries, args.repeats)
            heavy = heavy_queries(lat, args.heavy_ms)
            mix = [q for q in queries if q.name not in heavy]
            thr = throughputs(servers, mix, levels, args.duration, args.reps)
            wall = time.perf_counter() - started
    summary = summarise(queries, lat, rep, thr)
    meta = {
        "date": datetime.date.today().isoformat(),
        "machine": machine(),
        "versions": versions(),
        "command": shlex.join([".venv/bin/python", "bench/endpoint.py", *(argv if argv is not None else sys.argv[1:])]),
        "data": f"{quads} quads from {data}; the same N-Quads "
        + ("POSTed to an in-memory `oxigraph serve`" if not location else "loaded into oxigraph with `oxigraph load`"),
        "queries": f"{len(queries)} ({', '.join(q.name for q in queries)})",
        "settings": (
            f"{args.warmup} warm-up + {args.rounds} measured rounds; {args.repeats} repeats; "
            f"{args.reps} x {args.duration:g} s per throughput level; both servers with the union default graph; "
            f"{storage(args.zgckg_arg, location is None)}"
        ),
        "heavy": heavy,
        "heavy_ms": args.heavy_ms,
    }
    print(table(summary))
    print(f"\nmeasured in {wall:.0f} s")
    for problem in problems:
        print("WARNING", problem)
    if args.json:
        args.json.parent.mkdir(parents=True, exist_ok=True)
        raw = {"latency": lat, "repeated": rep, "throughput": {s: {str(c): r for c, r in v.items()} for s, v in thr.items()}}
        args.json.write_text(json.dumps({"meta": meta, "summary": summary.__dict__, "raw": raw, "problems": problems},
                                        indent=1, ensure_ascii=False, default=str))
    if args.doc:
        update_doc(args.doc, document(summary, meta))
    return 0


if __name__ == "__main__":
    sys.exit(main())
