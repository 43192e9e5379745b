"""Scale benchmark: the synthetic park graph at about 1M and 10M quads, loaded into and queried on the embedded
store, Virtuoso directly, and zgckg over Virtuoso, in one run.

Per size (a target number of quads; the scale factor of ``bench/explore.py``'s generator is chosen to come
close to it):

1. Data: ``bench/explore.py``'s synthetic graph (same generator, same seed), plus one revenue observation per
   enterprise (RDF Data Cube, as the report's figures are modelled: ``zgo:about``, ``zgo:measure``,
   ``zgo:industry``, ``sdmx-measure:obsValue``, ``sdmx-attribute:unitMult``, ``zgo:refPeriod``) over 20
   synthetic industries, so that an aggregate over observations has something to add up. Streamed to one
   N-Quads file.
2. Load rate: Oxigraph's bulk loader on the whole file (``Store.bulk_load`` into a new store generation,
   as ``bench/explore.py`` does: one parsing thread); ``zgckg load FILE`` into an empty store (the file in
   parts loaded side by side, ``kg/bulk_load.py``), up to ``--zgckg-load-max`` quads; Virtuoso's bulk loader (``ld_dir`` + ``rdf_loader_run`` through ``isql-vt``,
   the file split in one part per loader, then a checkpoint).
3. Queries, each on four targets: the embedded engine (a real ``zgckg serve --store``, reading from disk,
   ``--reader-memory 0``), Virtuoso directly (its ``/sparql``, the same text with non-ASCII letters written as
   ``\\u`` escapes, as any client must) over its whole store and over our graphs (the dataset parameters
   zgckg sends: the same answer as zgckg's, without Virtuoso's own graphs), and zgckg over Virtuoso (a real
   ``zgckg serve --engine``). Both zgckg
   servers run with their answer cache off (``ZGCKG_CACHE_ENTRIES=0``), so every request runs its query.
   Six SPARQL shapes (label lookup, platform–institution join, revenue by industry, a ``partOf``/``locatedIn``
   path, reified evidence of one entity, ``COUNT(*)``), each asked ``--runs`` times with the same text: the
   first is "cold", the rest "warm". The page (``describe``: ``GET /id/…``) and path search (``find_paths``:
   ``GET /api/paths``) each run on a different entity or pair every time. On Virtuoso directly, a page or a
   path search is the same SPARQL requests ``describe``/``find_paths`` send (recorded from an in-process
   ``RemoteEngine``: the time of its HTTP requests to Virtuoso, on entities not asked of the server).
4. Concurrency: ``--clients`` threads sending the join for ``--duration`` seconds against each target:
   answers, errors by status, throughput; for the embedded engine the query workers (``/metrics``) are
   sampled, to show they never fall to zero.

    .venv/bin/python bench/scale.py --sizes 100000                        # quick
    .venv/bin/python bench/scale.py --doc docs/benchmarks.md              # 1M and 10M quads
"""

from __future__ import annotations

import argparse
import collections
import datetime
import http.client
import json
import os
import random
import re
import secrets
import shlex
import shutil
import socket
import subprocess
import sys
import tempfile
import threading
import time
from dataclasses import dataclass, field
from pathlib import Path
from urllib.parse import quote, urlencode, urlsplit

import pyoxigraph as ox
import requests

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT / "scripts"))
sys.path.insert(0, str(ROOT / "bench"))

from endpoint import Client, _markdown, build_zgckg_store, machine, median_ms, p95_ms, versions  # noqa: E402
from endpoint import update_doc as write_section  # noqa: E402
from explore import HUBS, INSTANCES, ONTOLOGY, structure, syn, write_nquads  # noqa: E402
from sparql_servers import DEFAULT_PATHS, ServerProcess, free_port, venv_command  # noqa: E402

from zgckg.kg.store import StoreDir  # noqa: E402
from zgckg.namespaces import GRAPH_ASSERTED  # noqa: E402

CACHE = ROOT / "var" / "bench"
QUADS_PER_UNIT = 10_400
"""Quads per unit of scale of the generator with the observations added (about 9,560 + 840)."""
SCRIPT = ROOT / "scripts" / "virtuoso"
ISQL = "/usr/bin/isql-vt"
JSON_ACCEPT = "application/sparql-results+json"
HTML = "text/html"
INDUSTRIES = 20
TIMEOUT = 30.0
MAX_ROWS = 100_000
JOIN_TARGET = 1.5
RATIO_TARGET = 1.2
LOAD_TARGET = 150_000
PAGE_TARGET = 0.2

PREFIXES = """PREFIX zgo: <https://w3id.org/zgckg/ontology#>
PREFIX rdf: <http://www.w3.org/1999/02/22-rdf-syntax-ns#>
PREFIX rdfs: <http://www.w3.org/2000/01/rdf-schema#>
PREFIX oa: <http://www.w3.org/ns/oa#>
PREFIX measure: <https://w3id.org/zgckg/id/measure/>
PREFIX sdmx-measure: <http://purl.org/linked-data/sdmx/2009/measure#>
PREFIX sdmx-attribute: <http://purl.org/linked-data/sdmx/2009/attribute#>
"""


def log(text: str) -> None:
    print(f"[{time.strftime('%H:%M:%S')}] {text}", file=sys.stderr, flush=True)


# --- data -------------------------------------------------------------------------------------------


def write_observations(path: Path, scale: int, seed: int) -> int:
    """One total-revenue observation per synthetic enterprise, over 20 industries, appended to ``path``."""
    rng = random.Random(seed + 1)
    a, g = "<http://www.w3.org/1999/02/22-rdf-syntax-ns#type>", f"<{GRAPH_ASSERTED}>"
    label = "<http://www.w3.org/2000/01/rdf-schema#label>"
    lines = []
    for k in range(INDUSTRIES):
        ind = f"<{INSTANCES}industry/syn-{k}>"
        lines += [f"{ind} {a} <http://www.w3.org/2004/02/skos/core#Concept> {g} .\n",
                  f'{ind} {label} "合成产业{k}"@zh {g} .\n', f'{ind} {label} "Synthetic industry {k}"@en {g} .\n']
    count = len(lines)
    with path.open("a", encoding="utf-8", buffering=1 << 20) as out:
        out.writelines(lines)
        batch = []
        for n in range(105 * scale):  # the generator's enterprises: Kind("enterprise", …, 105, …)
            obs = f"<{INSTANCES}obs/syn/{n}>"
            batch += [f"{obs} {a} <http://purl.org/linked-data/cube#Observation> {g} .\n",
                      f"{obs} <{ONTOLOGY}about> <{syn(f'enterprise-{n}')}> {g} .\n",
                      f"{obs} <{ONTOLOGY}measure> <{INSTANCES}measure/total-revenue> {g} .\n",
                      f"{obs} <{ONTOLOGY}industry> <{INSTANCES}industry/syn-{rng.randrange(INDUSTRIES)}> {g} .\n",
                      f'{obs} <http://purl.org/linked-data/sdmx/2009/measure#obsValue> '
                      f'"{rng.randint(1, 50000)}"^^<http://www.w3.org/2001/XMLSchema#integer> {g} .\n',
                      f'{obs} <http://purl.org/linked-data/sdmx/2009/attribute#unitMult> '
                      f'"4"^^<http://www.w3.org/2001/XMLSchema#integer> {g} .\n',
                      f'{obs} <{ONTOLOGY}refPeriod> "2016"^^<http://www.w3.org/2001/XMLSchema#gYear> {g} .\n']
            if len(batch) > 50_000:
                count += len(batch)
                out.writelines(batch)
                batch = []
        count += len(batch)
        out.writelines(batch)
    return count


@dataclass
class Picks:
    label: str
    join_entity: str
    path_entity: str
    evidence_entity: str
    pages: list[str]
    pairs: list[tuple[str, str]]


def picks(scale: int, seed: int, runs: int) -> Picks:
    """The entities the queries name, drawn with a fixed seed from the generator's structure."""
    entities, edges = structure(scale, seed)
    rng = random.Random(seed + 2)
    hubs = {syn(h[0]) for h in HUBS}
    platforms = [e for e in entities if e[1] == "InnovationPlatform"]
    label_iri, _, label_zh, _ = platforms[len(platforms) // 3]
    out = collections.defaultdict(list)
    for s, _, o in edges:
        out[s].append(o)
    located = [s for s, p, o in edges if p == "locatedIn" and "enterprise" in s and o not in hubs]
    evidence = [s for s in out if "platform" in s and len(out[s]) >= 3]
    needed = 3 * runs + 4  # three disjoint sets: embedded, zgckg over Virtuoso, Virtuoso direct (recorded)
    pages = rng.sample([e[0] for e in platforms], min(len(platforms), needed))
    pairs, starts = [], [s for s in out if "platform" in s]
    while len(pairs) < needed:
        s = rng.choice(starts)
        middle = rng.choice(out[s])
        if middle in hubs or not out.get(middle):
            continue
        end = rng.choice(out[middle])
        if end not in hubs and end != s:
            pairs.append((s, end))
    return Picks(label_zh, label_iri, rng.choice(located), rng.choice(evidence), pages, pairs)


def shapes(p: Picks) -> dict[str, str]:
    return {
        "label lookup": PREFIXES + f'SELECT ?e ?type WHERE {{ ?e rdfs:label "{p.label}"@zh ; a ?type }}',
        "platform–institution join": PREFIXES + """SELECT ?platform ?platformZh ?relation ?institution ?institutionZh WHERE {
  VALUES ?relation { zgo:coBuiltBy zgo:hostedBy }
  ?platform a zgo:InnovationPlatform ; ?relation ?institution ; rdfs:label ?platformZh .
  ?institution rdfs:label ?institutionZh .
  FILTER(lang(?platformZh) = "zh" && lang(?institutionZh) = "zh")
} ORDER BY ?platformZh ?institutionZh LIMIT 1000""",
        "revenue by industry": PREFIXES + """SELECT ?industry ?industryZh (SUM(?v) AS ?revenue) (COUNT(?o) AS ?n) WHERE {
  ?o zgo:measure measure:total-revenue ; zgo:industry ?industry ; sdmx-measure:obsValue ?v .
  OPTIONAL { ?industry rdfs:label ?industryZh FILTER(lang(?industryZh) = "zh") }
} GROUP BY ?industry ?industryZh ORDER BY DESC(?revenue)""",
        "partOf/locatedIn path": PREFIXES + f"""SELECT DISTINCT ?place ?placeZh WHERE {{
  <{p.path_entity}> (zgo:partOf|zgo:locatedIn)+ ?place .
  OPTIONAL {{ ?place rdfs:label ?placeZh FILTER(lang(?placeZh) = "zh") }}
}}""",
        "evidence of one entity": PREFIXES + f"""SELECT ?statement ?property ?other ?quote ?sentence WHERE {{
  {{ ?statement rdf:subject <{p.evidence_entity}> ; rdf:object ?other }}
  UNION {{ ?statement rdf:object <{p.evidence_entity}> ; rdf:subject ?other }}
  ?statement rdf:predicate ?property ; zgo:evidence ?evidence .
  ?evidence oa:exact ?quote ; zgo:sentence ?s .
  ?s zgo:text ?sentence .
}}""",
        "COUNT(*)": "SELECT (COUNT(*) AS ?n) WHERE { ?s ?p ?o }",
    }


def escaped(text: str) -> str:
    """Non-ASCII letters as \\u escapes: Virtuoso reads them raw as '?'."""
    return "".join(c if ord(c) < 128 else f"\\u{ord(c):04X}" if ord(c) <= 0xFFFF else f"\\U{ord(c):08X}" for c in text)


# --- Virtuoso ---------------------------------------------------------------------------------------


class Virtuoso:
    def __init__(self, directory: Path, buffers: int):
        self.dir, self.buffers = directory, buffers
        self.password = secrets.token_hex(12)
        self.http_port, self.sql_port = free_port(), free_port()
        self.sparql = f"http://127.0.0.1:{self.http_port}/sparql"
        self.started = False

    def start(self) -> None:
        self.started = True
        result = subprocess.run([str(SCRIPT), "start", str(self.dir), "--http-port", str(self.http_port), "--sql-port",
                                 str(self.sql_port), "--max-rows", str(MAX_ROWS), "--max-seconds", str(int(TIMEOUT)),
                                 "--password", self.password, "--buffers", str(self.buffers)],
                                capture_output=True, text=True, timeout=180)
        if result.returncode:
            raise RuntimeError(f"scripts/virtuoso start failed: {result.stdout}{result.stderr}")

    def stop(self) -> None:
        if self.started:
            subprocess.run([str(SCRIPT), "stop", str(self.dir)], capture_output=True, timeout=120)
            self.started = False

    def isql(self, sql: str, timeout: float = 7200) -> str:
        result = subprocess.run([ISQL, f"127.0.0.1:{self.sql_port}", "dba", self.password, "VERBOSE=OFF", "BANNER=OFF",
                                 "PROMPT=OFF", "ERRORS=STDOUT"], input=sql, capture_output=True, text=True, timeout=timeout)
        out = result.stdout + result.stderr
        if result.returncode or re.search(r"\*\*\* Error|SQLState", out):
            raise RuntimeError(f"isql failed: {out[-2000:]}")
        return out

    def bulk_load(self, files: list[Path]) -> float:
        """ld_dir every part, one rdf_loader_run per part in parallel, then a checkpoint: seconds."""
        started = time.perf_counter()
        for f in files:
            self.isql(f"ld_dir('{self.dir}', '{f.name}', '{GRAPH_ASSERTED}');\n")
        loaders = [subprocess.Popen([ISQL, f"127.0.0.1:{self.sql_port}", "dba", self.password, "VERBOSE=OFF",
                                     "BANNER=OFF", "PROMPT=OFF", "ERRORS=STDOUT"], stdin=subprocess.PIPE,
                                    stdout=subprocess.PIPE, stderr=subprocess.STDOUT, text=True) for _ in files]
        outputs = [p.communicate("rdf_loader_run();\n", timeout=7200)[0] for p in loaders]
        for out in outputs:
            if re.search(r"\*\*\* Error|SQLState", out):
                raise RuntimeError(f"rdf_loader_run failed: {out[-2000:]}")
        self.isql("checkpoint;\n")
        seconds = time.perf_counter() - started
        errors = self.isql("SELECT ll_file, ll_error FROM DB.DBA.LOAD_LIST WHERE ll_error IS NOT NULL;\n")
        if "0 Rows" not in errors and errors.strip():
            raise RuntimeError(f"the bulk loader reported errors: {errors[-2000:]}")
        return seconds

    def size(self) -> int:
        return sum(p.stat().st_size for p in self.dir.glob("virtuoso*.db"))


# --- measuring --------------------------------------------------------------------------------------


@dataclass
class Sample:
    seconds: float
    ok: bool
    rows: int | None = None
    detail: str = ""


@dataclass
class Series:
    samples: list[Sample] = field(default_factory=list)

    def row(self) -> dict:
        ok = [s for s in self.samples if s.ok]
        warm = [s.seconds for s in self.samples[1:] if s.ok]
        first = self.samples[0] if self.samples else None
        return {"cold": first.seconds * 1000 if first and first.ok else None,
                "median": median_ms(warm) if warm else None, "p95": p95_ms(warm) if warm else None,
                "rows": next((s.rows for s in ok if s.rows is not None), None),
                "errors": len(self.samples) - len(ok),
                "detail": next((s.detail for s in self.samples if not s.ok), "")}


class KeepAlive(Client):
    """``endpoint.Client``'s keep-alive connection for any request: every target is timed through the same
    client (http.client), so that no target's numbers carry another client's costs. Like zgckg's remote
    engine (``kg/engine/store_http.py``) it asks for quick acknowledgements once a request is sent: Virtuoso
    writes answers in pieces with Nagle's algorithm on, and without them some answers wait 40 ms for a
    delayed acknowledgement, which is the client's cost, not the store's."""

    def _send(self, method: str, path: str, body: bytes | None, headers: dict,
              answer: list | None = None) -> tuple[int, bytes, float]:
        for attempt in (1, 2):
            start = time.perf_counter()
            try:
                self.conn.request(method, path, body, headers)
                self.conn.sock.setsockopt(socket.IPPROTO_TCP, socket.TCP_QUICKACK, 1)
                response = self.conn.getresponse()
                data = response.read()
                if answer is not None:
                    answer.append(response)
                return response.status, data, time.perf_counter() - start
            except (http.client.HTTPException, ConnectionError):
                self.conn.close()
                self.conn = http.client.HTTPConnection("127.0.0.1", self.port, timeout=300)
                if attempt == 2:
                    raise
        raise AssertionError("unreachable")


class ZgckgHttp(KeepAlive):
    """A keep-alive client of a zgckg server: POSTed SPARQL and GETs, naming itself in ``X-Bench-Client`` (the
    servers run with ``--client-header X-Bench-Client``, so that each benchmark client has the per-client
    limits a client of its own address would have, though all come from one loopback address)."""

    def __init__(self, port: int, path: str, name: str | None = None):
        super().__init__(port, path)
        self.fixed = name
        self.count = 0

    @property
    def name(self) -> str:
        """The sequential measurements name a new client each request: they time the query, not the
        per-client budget (60 s of query time a minute), which a slow shape asked 8 times in a row exhausts."""
        if self.fixed:
            return self.fixed
        self.count += 1
        return f"sequential-{self.count}"

    def query(self, text: str, accept: str) -> tuple[int, bytes, float]:
        body = urlencode({"query": text}).encode("utf-8")
        headers = {"Content-Type": "application/x-www-form-urlencoded", "Accept": accept, "X-Bench-Client": self.name}
        return self._send("POST", "/sparql", body, headers)

    def get(self, path: str, accept: str) -> tuple[int, bytes, float]:
        return self._send("GET", path, None, {"Accept": accept, "X-Bench-Client": self.name})

    def sparql(self, text: str) -> Sample:
        status, body, seconds = self.query(text, JSON_ACCEPT)
        if status != 200:
            return Sample(seconds, False, detail=f"{status}: {body[:200].decode('utf-8', 'replace')}")
        return Sample(seconds, True, len(json.loads(body)["results"]["bindings"]))

    def page(self, iri: str) -> Sample:
        status, body, seconds = self.get("/id/" + quote(iri[len(INSTANCES):], safe="/-._~"), HTML)
        return Sample(seconds, status == 200, None, "" if status == 200 else f"{status}: {body[:200]!r}")

    def paths(self, source: str, target: str) -> Sample:
        status, body, seconds = self.get("/api/paths?" + urlencode({"from": source, "to": target, "max_hops": 4,
                                                                    "limit": 5}), "application/json")
        if status != 200:
            return Sample(seconds, False, detail=f"{status}: {body[:200].decode('utf-8', 'replace')}")
        return Sample(seconds, True, len(json.loads(body)["paths"]))


class VirtuosoHttp(KeepAlive):
    """Virtuoso's own endpoint: over its whole store, or over ``dataset`` (protocol parameters)."""

    def __init__(self, url: str, dataset: tuple[tuple[str, str], ...] = ()):
        where = urlsplit(url)
        super().__init__(where.port, where.path)
        self.dataset = dataset

    def sparql(self, text: str) -> Sample:
        body = urlencode([("query", escaped(text)), *self.dataset]).encode("ascii")
        answer: list = []
        try:
            status, data, seconds = self._send("POST", self.path, body, {
                "Accept": JSON_ACCEPT, "Content-Type": "application/x-www-form-urlencoded; charset=utf-8"}, answer)
        except (http.client.HTTPException, OSError) as exc:
            return Sample(0.0, False, detail=type(exc).__name__)
        if status != 200:
            return Sample(seconds, False, detail=f"{status}: {data[:200].decode('utf-8', 'replace')}")
        if answer[0].getheader("X-SPARQL-MaxRows"):
            return Sample(seconds, False, detail=f"cut at {answer[0].getheader('X-SPARQL-MaxRows')} rows")
        return Sample(seconds, True, len(json.loads(data)["results"]["bindings"]))


class Recorder:
    """An in-process RemoteEngine whose HTTP requests to Virtuoso are timed: what ``describe`` and
    ``find_paths`` cost on Virtuoso itself (the engine's own version and graph-list reads left out)."""

    def __init__(self, url: str):
        from zgckg.config import Config
        from zgckg.kg.engine.remote import RemoteEngine

        self.engine = RemoteEngine(Config().with_values({"engine": url, "timeout": TIMEOUT, "max_rows": MAX_ROWS}))
        self.spent, self.requests = 0.0, 0
        self.whole: list[float] = []
        """Each call's whole time in this process: the requests and the work on their answers."""
        send = self.engine._send

        def timed(url, form, *args, **kwargs):
            start = time.perf_counter()
            try:
                return send(url, form, *args, **kwargs)
            finally:
                text = dict(form).get("query", "")
                if not text.startswith(("SELECT ?v ?m WHERE { GRAPH <", "SELECT DISTINCT ?g WHERE { GRAPH ?g")):
                    self.spent += time.perf_counter() - start
                    self.requests += 1

        self.engine._send = timed
        self.engine.graphs()

    def run(self, call) -> Sample:
        self.spent, self.requests = 0.0, 0
        started = time.perf_counter()
        try:
            found = call(self.engine)
        except Exception as exc:  # reported as the sample's failure
            return Sample(self.spent, False, detail=f"{type(exc).__name__}: {str(exc)[:150]}")
        finally:
            self.whole.append(time.perf_counter() - started)
        return Sample(self.spent, True, found, detail=f"{self.requests} requests")

    def close(self) -> None:
        self.engine.close()


def measure_queries(target, texts: dict[str, str], runs: int) -> dict[str, Series]:
    found = {}
    for name, text in texts.items():
        series = Series()
        for _ in range(runs):
            series.samples.append(target.sparql(text))
        found[name] = series
        log(f"  {name}: {series.row()}")
    return found


def measure_pages_paths(page, path, pages: list[str], pairs: list[tuple[str, str]]) -> dict[str, Series]:
    found = {"page (describe)": Series(), "path search (find_paths)": Series()}
    for iri in pages:
        found["page (describe)"].samples.append(page(iri))
    for s, t in pairs:
        found["path search (find_paths)"].samples.append(path(s, t))
    for name, series in found.items():
        log(f"  {name}: {series.row()}")
    return found


def concurrency(make_client, text: str, clients: int, duration: float, metrics_port: int | None) -> dict:
    stop = time.monotonic() + duration
    statuses, times, details = collections.Counter(), [], collections.Counter()
    lock = threading.Lock()
    workers_seen: list[int] = []

    def work(number: int) -> None:
        client = make_client(number)
        while time.monotonic() < stop:
            sample = client.sparql(text)
            with lock:
                if sample.ok:
                    statuses["answered"] += 1
                    times.append(sample.seconds)
                else:
                    key = sample.detail.split(":")[0]
                    statuses[key] += 1
                    details[re.sub(r"[0-9.]+ s", "N s", sample.detail[:160]).strip()] += 1
            if not sample.ok:
                time.sleep(1.0)  # a refused client waits before asking again, as a polite one would

    def watch() -> None:
        while time.monotonic() < stop:
            try:
                body = requests.get(f"http://127.0.0.1:{metrics_port}/metrics", timeout=30).text
                m = re.search(r"^zgckg_workers(?:\{[^}]*\})? (\d+(?:\.\d+)?)", body, re.M)
                if m:
                    workers_seen.append(int(float(m.group(1))))
            except requests.RequestException:
                pass
            time.sleep(0.5)

    if metrics_port:  # the first scrape of a version counts the graphs (with a worker): done before the clients
        requests.get(f"http://127.0.0.1:{metrics_port}/metrics", timeout=60)
    stop = time.monotonic() + duration
    started = time.monotonic()
    threads = [threading.Thread(target=work, args=(k,)) for k in range(clients)]
    if metrics_port:
        threads.append(threading.Thread(target=watch))
    for t in threads:
        t.start()
    for t in threads:
        t.join()
    wall = time.monotonic() - started
    return {"clients": clients, "answered": statuses["answered"], "errors": {k: v for k, v in statuses.items() if k != "answered"},
            "details": dict(details), "throughput": statuses["answered"] / wall, "wall": wall,
            "median": median_ms(times) if times else None, "p95": p95_ms(times) if times else None,
            "min workers": min(workers_seen) if workers_seen else None,
            "max workers": max(workers_seen) if workers_seen else None}


class Served(ServerProcess):
    """A server process that may take a while to answer its first request (over a large remote store the
    engine lists the store's graphs first): waits up to 5 minutes, and is stopped if it never answers."""

    def __enter__(self) -> "Served":
        self.process = subprocess.Popen(self.argv, stdout=self.log, stderr=subprocess.STDOUT)
        deadline = time.monotonic() + 300
        while True:
            if self.process.poll() is not None:
                raise RuntimeError(f"zgckg serve exited with {self.process.returncode}:\n{self.output()[-3000:]}")
            started = time.monotonic()
            try:
                requests.get(self.base_url + "/sparql", params={"query": "ASK {}"}, timeout=60)
                self.first_answer = time.monotonic() - started
                return self
            except requests.RequestException:
                if time.monotonic() > deadline:
                    self.stop()
                    raise RuntimeError(f"zgckg serve did not answer within 300 s:\n{self.output()[-3000:]}") from None
                time.sleep(0.2)


def serve(argv: list[str], clients: int) -> ServerProcess:
    """``zgckg serve`` with its defaults, but for the header that tells the benchmark's clients apart."""
    port = free_port()
    return Served("zgckg", [venv_command("zgckg"), "serve", "--port", str(port), "--timeout", str(TIMEOUT),
                                   "--max-rows", str(MAX_ROWS), "--client-header", "X-Bench-Client", *argv], port,
                         DEFAULT_PATHS["zgckg"])


# --- one size ---------------------------------------------------------------------------------------


def one_size(size: int, args, ontology_store: Path, work: Path) -> dict:
    scale = max(1, round(size / QUADS_PER_UNIT))
    result: dict = {"size": size, "scale": scale, "queries": {}, "concurrency": {}, "load": {}}
    vdir = work / "virtuoso"
    vdir.mkdir(parents=True)
    nq = vdir / "synthetic.nq"
    log(f"size {size:,}: scale {scale}, writing N-Quads …")
    started = time.perf_counter()
    ontology = ox.Store.read_only(str(StoreDir(ontology_store).current_path()))
    quads = write_nquads(nq, scale, args.seed, ontology) + write_observations(nq, scale, args.seed)
    del ontology
    result.update(quads=quads, generate_seconds=time.perf_counter() - started, nq_bytes=nq.stat().st_size)
    log(f"  {quads:,} quads, {nq.stat().st_size / 1e9:.2f} GB in {result['generate_seconds']:.0f} s")
    p = picks(scale, args.seed, args.runs)
    texts = shapes(p)
    n = args.runs

    # load: embedded bulk path
    store = work / "store"
    started = time.perf_counter()
    StoreDir(store).write(lambda s: s.bulk_load(path=str(nq), format=ox.RdfFormat.N_QUADS), copy_current=False)
    seconds = time.perf_counter() - started
    result["load"]["embedded bulk load"] = {"seconds": seconds, "rate": quads / seconds,
                                            "bytes": sum(f.stat().st_size for f in store.rglob("*") if f.is_file())}
    log(f"  embedded bulk load {seconds:.0f} s, {quads / seconds:,.0f} quads/s")

    # load: zgckg load
    if quads <= args.zgckg_load_max:
        other = work / "load-store"
        started = time.perf_counter()
        run = subprocess.run([venv_command("zgckg"), "load", "--store", str(other), str(nq)], capture_output=True,
                             text=True, timeout=3600)
        seconds = time.perf_counter() - started
        result["load"]["zgckg load"] = {"seconds": seconds, "rate": quads / seconds, "ok": run.returncode == 0,
                                        "detail": (run.stdout + run.stderr)[-300:]}
        log(f"  zgckg load {seconds:.0f} s (exit {run.returncode}) {(run.stdout + run.stderr)[-200:]!r}")
        shutil.rmtree(other, ignore_errors=True)
    else:
        result["load"]["zgckg load"] = {"skipped": f"over --zgckg-load-max {args.zgckg_load_max:,}"}

    # embedded engine
    os.environ["ZGCKG_CACHE_ENTRIES"] = "0"
    log("  embedded: zgckg serve --reader-memory 0")
    with serve(["--store", str(store), "--reader-memory", "0"], args.clients) as server:
        client = ZgckgHttp(server.port, "/sparql")
        queries = measure_queries(client, texts, n)
        queries |= measure_pages_paths(client.page, client.paths, p.pages[:n], p.pairs[:n])
        result["queries"]["embedded"] = {k: v.row() for k, v in queries.items()}
        result["concurrency"]["embedded"] = concurrency(lambda k: ZgckgHttp(server.port, "/sparql", f"client-{k}"),
                                                        texts["platform–institution join"], args.clients,
                                                        args.duration, server.port)
        log(f"  8 clients: {result['concurrency']['embedded']}")
        client.close()
    shutil.rmtree(store)

    # Virtuoso
    virtuoso = Virtuoso(vdir, max(10_000, quads // 30))
    try:
        virtuoso.start()
        parts = split(nq, args.loaders)
        log(f"  Virtuoso ({virtuoso.buffers:,} buffers): bulk loader, {len(parts)} parts …")
        seconds = virtuoso.bulk_load(parts)
        for part in parts:
            part.unlink(missing_ok=True)
        nq.unlink(missing_ok=True)
        result["load"]["Virtuoso bulk loader"] = {"seconds": seconds, "rate": quads / seconds, "bytes": virtuoso.size(),
                                                  "loaders": len(parts), "buffers": virtuoso.buffers}
        log(f"  Virtuoso bulk load {seconds:.0f} s, {quads / seconds:,.0f} quads/s")
        direct = VirtuosoHttp(virtuoso.sparql)
        r = requests.post(virtuoso.sparql, data={"query": "SELECT (COUNT(*) AS ?n) WHERE { GRAPH ?g { ?s ?p ?o } "
                          "FILTER(STRSTARTS(STR(?g), 'https://w3id.org/zgckg/graph/')) }"},
                          headers={"Accept": JSON_ACCEPT}, timeout=600)
        result["virtuoso_quads"] = int(r.json()["results"]["bindings"][0]["n"]["value"])
        log(f"  Virtuoso holds {result['virtuoso_quads']:,} quads in our graphs")
        log("  Virtuoso direct, its whole store")
        result["queries"]["Virtuoso direct"] = {k: v.row() for k, v in measure_queries(direct, texts, n).items()}
        recorder = Recorder(virtuoso.sparql)
        ours = VirtuosoHttp(virtuoso.sparql, tuple(recorder.engine._dataset()))
        log(f"  Virtuoso direct, our graphs ({len(ours.dataset)} dataset parameters, as zgckg sends them)")
        queries = measure_queries(ours, texts, n)
        from zgckg.kg.explore.paths import Bounds, find_paths
        from zgckg.kg.linked.description import describe

        bounds = Bounds(max_hops=4, limit=5, seconds=TIMEOUT)
        pages, pairs = p.pages[2 * n:3 * n], p.pairs[2 * n:3 * n]
        queries |= measure_pages_paths(
            lambda iri: recorder.run(lambda e: len(describe(e, iri, timeout=TIMEOUT).quads)),
            lambda s, t: recorder.run(lambda e: len(find_paths(e, s, t, bounds=bounds))),
            pages, pairs)
        result["in_process"] = {"page (describe)": median_ms(recorder.whole[1:len(pages)]),
                                "path search (find_paths)": median_ms(recorder.whole[len(pages) + 1:])}
        recorder.close()
        result["queries"][OURS] = {k: v.row() for k, v in queries.items()}
        log("  zgckg over Virtuoso: zgckg serve --engine")
        with serve(["--engine", virtuoso.sparql], args.clients) as server:
            result["remote_first_answer"] = server.first_answer
            log(f"  its first answer (ASK {{}}) took {server.first_answer:.1f} s")
            client = ZgckgHttp(server.port, "/sparql")
            queries = measure_queries(client, texts, n)
            queries |= measure_pages_paths(client.page, client.paths, p.pages[n:2 * n], p.pairs[n:2 * n])
            result["queries"]["zgckg over Virtuoso"] = {k: v.row() for k, v in queries.items()}
            result["concurrency"]["zgckg over Virtuoso"] = concurrency(
                lambda k: ZgckgHttp(server.port, "/sparql", f"client-{k}"), texts["platform–institution join"], args.clients,
                args.duration, server.port)
            log(f"  8 clients: {result['concurrency']['zgckg over Virtuoso']}")
            client.close()
        result["concurrency"]["Virtuoso direct"] = concurrency(lambda k: VirtuosoHttp(virtuoso.sparql),
                                                               texts["platform–institution join"], args.clients,
                                                               args.duration, None)
        log(f"  8 clients: {result['concurrency']['Virtuoso direct']}")
    finally:
        virtuoso.stop()
    result["texts"] = texts
    return result


def split(nq: Path, parts: int) -> list[Path]:
    """The file in ``parts`` pieces of whole lines (one per bulk loader)."""
    if parts <= 1:
        return [nq]
    total = nq.stat().st_size
    paths = [nq.with_name(f"part{k}.nq") for k in range(parts)]
    with nq.open("rb") as source:
        for k, path in enumerate(paths):
            with path.open("wb") as out:
                limit = total * (k + 1) // parts
                while source.tell() < limit or k == parts - 1:
                    chunk = source.readlines(1 << 22)
                    if not chunk:
                        break
                    out.writelines(chunk)
    nq.unlink()
    return paths


# --- report -----------------------------------------------------------------------------------------

OURS = "Virtuoso direct, our graphs"
TARGETS = ("embedded", "Virtuoso direct", OURS, "zgckg over Virtuoso")
"""Virtuoso direct asks over its whole store, its own graphs included (what a client of Virtuoso gets without
a dataset); over our graphs, with the dataset zgckg sends (the same answer as zgckg's, and the time Virtuoso
takes to give it). A page or a path search is measured over our graphs only."""


def _ms(value) -> str:
    return "–" if value is None else f"{value:,.0f}" if value >= 100 else f"{value:.1f}"


def _size(quads: int) -> str:
    return f"{quads / 1e6:.1f}M" if quads >= 1e6 else f"{quads / 1e3:.0f}k"


def load_table(results: list[dict]) -> str:
    head = ["quads", "N-Quads written", "embedded bulk load", "`zgckg load`", "Virtuoso bulk loader",
            "on disk: embedded / Virtuoso"]
    rows = []
    for r in results:
        load = r["load"]

        def cell(key):
            v = load.get(key, {})
            if "seconds" not in v:
                return v.get("skipped", "not run")
            return f"{v['seconds']:,.0f} s, **{v['rate']:,.0f} quads/s**" + ("" if v.get("ok", True) else " (failed)")

        rows.append([f"{r['quads']:,}", f"{r['generate_seconds']:.0f} s ({r['nq_bytes'] / 1e9:.2f} GB)",
                     cell("embedded bulk load"), cell("zgckg load"), cell("Virtuoso bulk loader"),
                     f"{load.get('embedded bulk load', {}).get('bytes', 0) / 1e9:.2f} GB / "
                     f"{load.get('Virtuoso bulk loader', {}).get('bytes', 0) / 1e9:.2f} GB"])
    return "\n".join(_markdown(head, rows))


def query_table(r: dict) -> str:
    head = ["query", "rows"] + [f"{t}: cold / median / p95 ms" for t in TARGETS] + [
        "zgckg over Virtuoso ÷ direct, our graphs (÷ whole store), median"]
    rows = []
    names = list(r["queries"].get("embedded", {}))
    for name in names:
        cells, found = [], {}
        for t in TARGETS:
            row = r["queries"].get(t, {}).get(name)
            found[t] = row
            if row is None:
                cells.append("–")
                continue
            text = f"{_ms(row['cold'])} / {_ms(row['median'])} / {_ms(row['p95'])}"
            if row["errors"]:
                text += f" ({row['errors']} failed: {row['detail'][:80]})"
            cells.append(text)
        ratio = ratio_of(found.get("zgckg over Virtuoso"), found.get(OURS))
        whole = ratio_of(found.get("zgckg over Virtuoso"), found.get("Virtuoso direct"))
        rows_found = [str(found[t]["rows"]) for t in TARGETS if found.get(t) and found[t]["rows"] is not None]
        rows.append([name, " / ".join(dict.fromkeys(rows_found)) or "–"] + cells
                    + [("–" if ratio is None else f"{ratio:.2f}") + ("" if whole is None else f" ({whole:.2f})")])
    return "\n".join(_markdown(head, rows))


def ratio_of(zgckg, direct) -> float | None:
    if not zgckg or not direct or not zgckg["median"] or not direct["median"]:
        return None
    return zgckg["median"] / direct["median"]


def concurrency_table(results: list[dict], clients: int, duration: float) -> str:
    head = ["quads", "target", "answered", "errors", "answers/s", "median ms", "p95 ms", "query workers (min–max)"]
    rows = []
    for r in results:
        for t in TARGETS:
            c = r["concurrency"].get(t)
            if not c:
                continue
            errors = ", ".join(f"{v}× {k}" for k, v in c["errors"].items()) or "0"
            workers = "–" if c["min workers"] is None else f"{c['min workers']}–{c['max workers']}"
            rows.append([_size(r["quads"]), t, str(c["answered"]), errors, f"{c['throughput']:.2f}", _ms(c["median"]),
                         _ms(c["p95"]), workers])
    notes = [f"- {_size(r['quads'])}, {t}: " + "; ".join(f"{n}× `{d}`" for d, n in c["details"].items())
             for r in results for t, c in r["concurrency"].items() if c["details"]]
    return "\n".join(_markdown(head, rows) + ([""] + notes if notes else []))


def verdicts(results: list[dict]) -> list[tuple[str, bool | None, str]]:
    big = max(results, key=lambda r: r["quads"])
    label = _size(big["quads"])
    found = []
    over = big["queries"].get("zgckg over Virtuoso", {})
    for target in (OURS, "Virtuoso direct"):
        direct = big["queries"].get(target, {})
        ratios = {name: ratio_of(over.get(name), direct.get(name)) for name in direct}
        worst = [f"{k} {v:.2f}×" for k, v in ratios.items() if v is not None and v > RATIO_TARGET]
        found.append((f"{label}: zgckg over Virtuoso within {RATIO_TARGET}× of {target} on every query (median)",
                      (not worst and all(v is not None for v in ratios.values())) if ratios else None,
                      ", ".join(worst) or ", ".join(f"{k} {v:.2f}×" for k, v in ratios.items() if v is not None)))
    join = over.get("platform–institution join")
    found.append((f"{label}: zgckg over Virtuoso, the join under {JOIN_TARGET} s (median)",
                  None if not join or join["median"] is None else join["median"] < JOIN_TARGET * 1000,
                  "" if not join else f"median {_ms(join['median'])} ms, p95 {_ms(join['p95'])} ms"))
    for r in results:
        c = r["concurrency"].get("embedded")
        if not c:
            continue
        clean = all(k in ("400", "429", "503") for k in c["errors"])
        zero = c["min workers"] == 0
        found.append((f"{_size(r['quads'])}: the embedded engine with {c['clients']} clients answers or cuts "
                      f"cleanly (400/503, or 429 for a client's own budget, with a message), never zero workers",
                      clean and not zero and (c["answered"] > 0 or bool(c["errors"])),
                      f"{c['answered']} answered, errors {c['errors'] or 0}, "
                      + (f"workers {c['min workers']}–{c['max workers']}" if c["min workers"] is not None else
                         "workers not sampled (no /metrics scrape answered within its timeout)")))
    for key in ("embedded bulk load", "Virtuoso bulk loader", "zgckg load"):
        v = big["load"].get(key, {})
        if "rate" in v:
            found.append((f"{label}: load ≥ {LOAD_TARGET:,} quads/s, {key}", v["rate"] >= LOAD_TARGET,
                          f"{v['rate']:,.0f} quads/s"))
    return found


DOC_HEADING = "## Scale: 1M and 10M quads, embedded and Virtuoso"


def document(results: list[dict], meta: dict) -> str:
    lines = [DOC_HEADING, "", f"Measured {meta['date']} on {meta['machine']}; {meta['versions']}; {meta['virtuoso']}.",
             "", f"Command: `{meta['command']}` ({meta['wall'] / 60:.0f} minutes).", "",
             "Data: `bench/explore.py`'s synthetic park graph (seed 7; entities, relations each reified with an "
             "evidence record and its sentence, zh/en labels, the ontology, the cheap part of the inferred graph) "
             "plus one total-revenue observation per enterprise over 20 industries; scale "
             + ", ".join(f"{r['scale']} ({r['quads']:,} quads)" for r in results) + ".", "",
             "Settings: " + meta["settings"], "",
             "What these numbers mean for running the service: [scaling.md](scaling.md).", "",
             "### Load", "", load_table(results), ""]
    for r in results:
        lines += [f"### Queries at {r['quads']:,} quads", "", query_table(r), ""]
        if r.get("in_process"):
            lines += ["The same `describe` and `find_paths` calls in this process over Virtuoso, no HTTP server: "
                      "the requests and the work on their answers (median ms): "
                      + ", ".join(f"{k} {_ms(v)}" for k, v in r["in_process"].items()) + ".", ""]
    lines += ["Cold is the first request of its kind after the server started; median and p95 are over the "
              "other runs. A page or a path search names a different entity or pair every run (so each is "
              "cold for Virtuoso's compiled-query cache); \"rows\" is the row count of the SPARQL answer "
              "(the number of paths found for the path search).", "",
              f"### {meta['clients']} concurrent clients, the join, {meta['duration']:g} s each", "",
              concurrency_table(results, meta["clients"], meta["duration"]), "", "### Targets", ""]
    for text, ok, detail in verdicts(results):
        lines.append(f"- {text}: {detail}, " + ("**met**" if ok else "**not measured**" if ok is None else "**missed**"))
    if meta.get("unfinished"):
        lines += ["", f"Not finished: {meta['unfinished']}."]
    return "\n".join(lines + [""])


def update_doc(path: Path, section: str) -> None:
    """Replace this benchmark's section of ``path`` (or append it), as the other benchmarks do."""
    write_section(path, section, DOC_HEADING)


def _measuring(argv: list[str]) -> list[str]:
    """The arguments that shape the measurement: where the raw numbers were written is left out."""
    kept, skip = [], False
    for arg in argv:
        if skip or arg.startswith("--json="):
            skip = False
            continue
        skip = arg == "--json"
        if not skip:
            kept.append(arg)
    return kept


def virtuoso_version() -> str:
    try:
        out = subprocess.run(["/usr/bin/virtuoso-t", "-?"], capture_output=True, text=True, timeout=10)
        m = re.search(r"Version (\S+)", out.stdout + out.stderr)
        return f"Virtuoso Open Source {m.group(1)}" if m else "Virtuoso Open Source 7"
    except (OSError, subprocess.SubprocessError):
        return "Virtuoso Open Source 7"


# --- command line -----------------------------------------------------------------------------------


def arguments(argv=None) -> argparse.Namespace:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--sizes", default="1000000,10000000", help="target numbers of quads, comma-separated")
    parser.add_argument("--seed", type=int, default=7)
    parser.add_argument("--runs", type=int, default=8, help="requests per query and target (the first is cold)")
    parser.add_argument("--clients", type=int, default=8)
    parser.add_argument("--duration", type=float, default=20.0, help="seconds of the concurrent run, per target")
    parser.add_argument("--loaders", type=int, default=2, help="Virtuoso bulk loaders in parallel (file parts)")
    parser.add_argument("--zgckg-load-max", type=int, default=20_000_000,
                        help="run `zgckg load` up to this many quads")
    parser.add_argument("--json", type=Path, help="write the raw numbers here")
    parser.add_argument("--doc", type=Path, help="write the scale section of this Markdown file")
    return parser.parse_args(argv)


def main(argv=None) -> int:
    args = arguments(argv)
    sizes = [int(s.replace("_", "")) for s in args.sizes.split(",") if s.strip()]
    started = time.perf_counter()
    results, unfinished = [], ""
    CACHE.mkdir(parents=True, exist_ok=True)
    with tempfile.TemporaryDirectory(prefix="bench-scale-", dir=CACHE) as tmp:
        ontology_store = Path(tmp) / "zgckg"
        build_zgckg_store(ontology_store)
        for size in sizes:
            work = Path(tmp) / f"size-{size}"
            try:
                results.append(one_size(size, args, ontology_store, work))
            except (Exception, KeyboardInterrupt) as exc:
                unfinished = f"the {size:,}-quad run stopped: {type(exc).__name__}: {str(exc)[:300]}"
                log(unfinished)
                break
            finally:
                shutil.rmtree(work, ignore_errors=True)
    wall = time.perf_counter() - started
    if not results:
        return 1
    meta = {"date": datetime.date.today().isoformat(), "machine": machine(), "versions": versions(),
            "virtuoso": virtuoso_version(), "wall": wall, "clients": args.clients, "duration": args.duration,
            "unfinished": unfinished,
            "command": shlex.join([".venv/bin/python", "bench/scale.py", *_measuring(argv if argv is not None else sys.argv[1:])]),
            "settings": (f"every target over HTTP on loopback, one client unless said otherwise. Embedded: `zgckg serve "
                         f"--store … --reader-memory 0` (2 query workers, growing to 4 when all are busy; read from disk, as served at this size), "
                         f"timeout {TIMEOUT:g} s, max rows {MAX_ROWS:,}. Virtuoso: `scripts/virtuoso` (the ini of "
                         f"docs/virtuoso.md; `--buffers` = quads ÷ 30 pages of 8 KB, MaxDirtyBuffers 60 % of them; "
                         f"`--max-rows {MAX_ROWS}`, `--max-seconds {TIMEOUT:g}`), loaded with {args.loaders} bulk "
                         f"loaders. Virtuoso direct: its own `/sparql`, over its whole store (its own graphs "
                         f"included) and over our graphs (the dataset parameters zgckg sends, so the same answer as "
                         f"zgckg's; pages and path searches only so). "
                         f"zgckg over Virtuoso: `zgckg serve --engine …/sparql`, same limits. Both zgckg "
                         f"servers with the answer cache off (`ZGCKG_CACHE_ENTRIES=0`) and `--client-header X-Bench-Client`: "
                         f"each benchmark client names itself, so each gets the per-client limits (2 queries at once, "
                         f"60 s of query time a minute) a client of its own address would, though all share one "
                         f"loopback address. A client refused (429, 503) waits 1 s before asking again. {args.runs} requests per query and target.")}
    for r in results:
        print(f"\n{r['quads']:,} quads")
        print(query_table(r))
    print()
    print(load_table(results))
    print()
    print(concurrency_table(results, args.clients, args.duration))
    print(f"\nmeasured in {wall:.0f} s" + (f"; {unfinished}" if unfinished else ""))
    for text, ok, detail in verdicts(results):
        print("PASS" if ok else "MISS" if ok is not None else "----", text, "-", detail)
    if args.json:
        args.json.parent.mkdir(parents=True, exist_ok=True)
        args.json.write_text(json.dumps({"meta": meta, "results": results}, indent=1, ensure_ascii=False))
    if args.doc:
        update_doc(args.doc, document(results, meta))
    return 0


if __name__ == "__main__":
    sys.exit(main())
