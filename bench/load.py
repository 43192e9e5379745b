"""Load test: 10,000 requests from 32 concurrent clients on one ``zgckg serve``, one client over its budget.

1. Data: ``zgckg build --store TMP`` (as bench/endpoint.py builds it), served by one ``zgckg serve`` with
   ``--client-header X-Client`` (the server names each client by that header, as behind a proxy), its
   default query timeout, workers and per-client limits. Behind a proxy every client shares one address,
   so the front's per-address limit is raised (``--max-client-requests``, as the README says to).
2. Clients: threads, each on its own keep-alive connection, each with its own ``X-Client`` value. They take
   requests from one shared count until ``--requests`` are taken, spread over ``--seconds`` (75: request k
   is not sent before k/requests of them; a client that is behind sends at once). The over-budget client
   cannot use up its minute's budget before 30 s (two queries at once, each stopped at the 30 s timeout),
   and the others should be at work while it does; as fast as they go, 10,000 requests take about 20 s.
   - ``--clients`` - 1 well-behaved clients, one request at a time, each drawing from a weighted mix
     (fixed seed per client):
     - ``api query``: an analyst query (``queries/*.rq``) through ``/api/queries/<name>`` with its defaults;
       half of them with a distinct ``max-rows`` (so the answer cache cannot serve them), half identical;
     - ``sparql distinct``: an analyst query's text (its parameters bound to their defaults by a VALUES
       block, as bench/endpoint.py sends them) through ``/sparql``, a distinct trailing comment each time;
     - ``sparql identical``: the same texts without the comment (the answer cache serves most);
     - ``page`` and ``turtle``: ``/id/<slug>`` (HTML) and ``/id/<slug>.ttl`` of a random labelled entity;
     - ``search``: ``/api/search?q=`` with the start of a random label;
     - ``lookup``: ``ASK { <iri> rdfs:label ?l }`` or ``SELECT ?l { <iri> rdfs:label ?l }`` through ``/sparql``.
   - one over-budget client (``X-Client: over-budget``): three connections sending, back to back, a query
     no server can finish (a 4-way cross product, distinct comments), so that it hits its concurrency limit
     (2 queries at once) at once and its time budget (60 s of query time a minute) after its first two
     queries are stopped at the timeout. After a 429 it waits ``--heavy-pause`` seconds (0.5), whatever
     Retry-After says.
3. Recorded per request: client, kind, status, latency (first byte sent to last byte read). Reported:
   statuses, p50/p95/p99/max latency overall, per kind and per class of client, and the errors: anything
   but 2xx/304, the over-budget client's 429s and 503s (its runaways being stopped) aside, which are
   counted on their own. A request that fails because the server closed an idle keep-alive connection is
   sent once more on a new one (counted as a reconnection); any other failure to get an answer is an error.

Target: every request answered, 0 unexpected errors, p99 of the well-behaved clients under the timeout.

    .venv/bin/python bench/load.py                                   # prints a table, PASS or MISS
    .venv/bin/python bench/load.py --requests 1000 --clients 8       # a quick run
    .venv/bin/python bench/load.py --doc docs/benchmarks.md --json var/bench-load.json
"""

from __future__ import annotations

import argparse
import collections
import datetime
import http.client
import itertools
import json
import math
import os
import random
import shlex
import sys
import tempfile
import threading
import time
from dataclasses import asdict, dataclass
from pathlib import Path
from urllib.parse import quote, urlencode

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT / "scripts"))
sys.path.insert(0, str(ROOT / "bench"))

from endpoint import build_zgckg_store, load_queries, machine, _markdown, update_doc, versions  # noqa: E402
from sparql_servers import DEFAULT_PATHS, zgckg_server  # noqa: E402

from zgckg.config import Config  # noqa: E402
from zgckg.namespaces import INSTANCES, REPORT  # noqa: E402

CLIENT_HEADER = "X-Client"
OVER_BUDGET = "over-budget"
HEAVY_CONNECTIONS = 3
HEAVY_QUERY = "SELECT (COUNT(*) AS ?n) WHERE { ?a ?b ?c . ?d ?e ?f . ?g ?h ?i . ?j ?k ?l }"
SELECT_JSON = "application/sparql-results+json"
LABEL = "http://www.w3.org/2000/01/rdf-schema#label"

MIX = (  # kind, weight, what
    ("api query", 15, "`/api/queries/<name>` with its defaults; half with a distinct `max-rows` (not cached)"),
    ("sparql distinct", 20, "an analyst query's text through `/sparql`, a distinct trailing comment each time"),
    ("sparql identical", 15, "the same texts, identical (the answer cache serves most)"),
    ("page", 15, "`/id/<slug>`, HTML"),
    ("turtle", 10, "`/id/<slug>.ttl`"),
    ("search", 10, "`/api/search?q=` with the start of a label"),
    ("lookup", 15, "`ASK`/`SELECT` of an entity's `rdfs:label` through `/sparql`"),
)
HEAVY_KIND = ("heavy", "the over-budget client: a 4-way cross product, distinct comments, 3 at a time")


@dataclass
class Sample:
    client: str
    kind: str
    status: int  # 0: no answer (the connection failed)
    seconds: float
    started: float  # seconds since the load began
    path: str
    note: str = ""  # the start of the body of an error answer, or the exception


class Connection:
    """One keep-alive connection for one client (its X-Client header on every request)."""

    def __init__(self, port: int, name: str):
        self.port, self.name = port, name
        self.conn = http.client.HTTPConnection("127.0.0.1", port, timeout=300)
        self.reconnections = 0

    def send(self, method: str, path: str, headers: dict[str, str], body: bytes | None = None):
        """(status, headers, body, seconds); a request on a connection the server closed while it was idle is
        sent once more on a new one, and counted."""
        headers = {CLIENT_HEADER: self.name, **headers}
        start = time.perf_counter()
        for attempt in (1, 2):
            fresh = self.conn.sock is None
            try:
                self.conn.request(method, path, body, headers)
                response = self.conn.getresponse()
                data = response.read()
                return response.status, response.headers, data, time.perf_counter() - start
            except (http.client.RemoteDisconnected, BrokenPipeError, ConnectionResetError):
                self.conn.close()
                if fresh or attempt == 2:
                    raise
                self.reconnections += 1  # the server closed the kept-alive connection before this request
        raise AssertionError("unreachable")

    def close(self) -> None:
        self.conn.close()


# --- the mix ----------------------------------------------------------------------------------------


@dataclass
class Material:
    queries: list  # endpoint.Query: analyst queries, parameters bound to their defaults
    entities: list[str]  # labelled IRIs under INSTANCES
    terms: list[str]  # search terms


def material(port: int) -> Material:
    queries = load_queries(ROOT / "queries", minimum=0)
    if not queries:
        raise SystemExit("no analyst queries in queries/")
    conn = Connection(port, "setup")
    text = (f"SELECT ?e ?l WHERE {{ ?e <{LABEL}> ?l FILTER(STRSTARTS(STR(?e), \"{INSTANCES}\")) }} ORDER BY ?e ?l")
    status, _, body, _ = conn.send("POST", "/sparql", {"Content-Type": "application/x-www-form-urlencoded",
                                                       "Accept": SELECT_JSON}, urlencode({"query": text}).encode())
    conn.close()
    if status != 200:
        raise SystemExit(f"the SELECT of the entities answered {status}: {body[:300]!r}")
    rows = json.loads(body)["results"]["bindings"]
    entities = sorted({r["e"]["value"] for r in rows if r["e"]["value"] != REPORT
                       and not r["e"]["value"].startswith(REPORT + "/")})
    terms = set()
    for r in rows:
        label = r["l"]["value"].strip()
        if r["l"].get("xml:lang") == "en":
            word = label.split()[0] if label.split() else ""
            if len(word) >= 3:
                terms.add(word[:6])
        elif label:
            terms.add(label[:2])
    return Material(queries, entities, sorted(terms))


def form(text: str) -> bytes:
    return urlencode({"query": text}).encode("utf-8")


def next_request(kind: str, rng: random.Random, m: Material, number: int):
    """(method, path, headers, body) of one request of ``kind``."""
    if kind == "api query":
        q = rng.choice(m.queries)
        path = f"/api/queries/{quote(q.name)}"
        if rng.random() < 0.5:
            path += f"?max-rows={100_000 - number % 50_000}"
        return "GET", path, {"Accept": "application/json"}, None
    if kind in ("sparql distinct", "sparql identical"):
        q = rng.choice(m.queries)
        text = q.distinct(number) if kind == "sparql distinct" else q.text
        return "POST", "/sparql", {"Content-Type": "application/x-www-form-urlencoded", "Accept": q.accept}, form(text)
    iri = rng.choice(m.entities)
    slug = quote(iri[len(INSTANCES):], safe="/-._~")
    if kind == "page":
        return "GET", f"/id/{slug}", {"Accept": "text/html"}, None
    if kind == "turtle":
        return "GET", f"/id/{slug}.ttl", {"Accept": "text/turtle"}, None
    if kind == "search":
        return "GET", "/api/search?" + urlencode({"q": rng.choice(m.terms)}), {"Accept": "application/json"}, None
    if kind == "lookup":
        text = (f"ASK {{ <{iri}> <{LABEL}> ?l }}" if rng.random() < 0.5
                else f"SELECT ?l WHERE {{ <{iri}> <{LABEL}> ?l }}")
        return "POST", "/sparql", {"Content-Type": "application/x-www-form-urlencoded", "Accept": SELECT_JSON}, form(text)
    raise ValueError(kind)


# --- the load ---------------------------------------------------------------------------------------


class Load:
    def __init__(self, port: int, m: Material, requests: int, clients: int, seed: int, heavy_pause: float,
                 seconds: float):
        self.port, self.m, self.seed, self.heavy_pause, self.seconds = port, m, seed, heavy_pause, seconds
        self.tickets = itertools.count()
        self.limit = requests
        self.clients = clients
        self.samples: list[Sample] = []
        self.lock = threading.Lock()
        self.reconnections = 0
        self.began = 0.0
        self.numbers = itertools.count(1)

    def take(self) -> bool:
        """Whether a request may still be sent; it waits for its turn when the load is spread over ``seconds``."""
        ticket = next(self.tickets)
        if ticket >= self.limit:
            return False
        wait = self.began + ticket * self.seconds / self.limit - time.perf_counter()
        if wait > 0:
            time.sleep(wait)
        return True

    def record(self, sample: Sample) -> None:
        with self.lock:
            self.samples.append(sample)

    def request(self, conn: Connection, kind: str, method: str, path: str, headers: dict, body) -> Sample:
        started = time.perf_counter() - self.began
        try:
            status, got, data, seconds = conn.send(method, path, headers, body)
        except Exception as exc:  # no answer: an error, with what happened
            conn.close()
            return Sample(conn.name, kind, 0, time.perf_counter() - self.began - started, started, path,
                          f"{type(exc).__name__}: {exc}")
        note = ""
        if not (200 <= status < 300 or status == 304):
            note = data[:300].decode("utf-8", "replace").strip()
            if got.get("Retry-After"):
                note = f"[Retry-After {got['Retry-After']}] {note}"
        return Sample(conn.name, kind, status, seconds, started, path, note)

    def well_behaved(self, index: int, gate: threading.Barrier) -> None:
        rng = random.Random(self.seed * 1000 + index)
        kinds, weights = [k for k, _, _ in MIX], [w for _, w, _ in MIX]
        conn = Connection(self.port, f"client-{index:02d}")
        gate.wait()
        try:
            while self.take():
                kind = rng.choices(kinds, weights)[0]
                self.record(self.request(conn, kind, *next_request(kind, rng, self.m, next(self.numbers))))
        finally:
            with self.lock:
                self.reconnections += conn.reconnections
            conn.close()

    def over_budget(self, gate: threading.Barrier) -> None:
        conn = Connection(self.port, OVER_BUDGET)
        gate.wait()
        try:
            while self.take():
                text = f"{HEAVY_QUERY}\n# over budget {next(self.numbers)}\n"
                sample = self.request(conn, "heavy", "POST", "/sparql", {
                    "Content-Type": "application/x-www-form-urlencoded", "Accept": SELECT_JSON}, form(text))
                self.record(sample)
                if sample.status == 429:
                    time.sleep(self.heavy_pause)
        finally:
            with self.lock:
                self.reconnections += conn.reconnections
            conn.close()

    def run(self) -> float:
        gate = threading.Barrier(HEAVY_CONNECTIONS + self.clients - 1 + 1)
        threads = [threading.Thread(target=self.over_budget, args=(gate,)) for _ in range(HEAVY_CONNECTIONS)]
        threads += [threading.Thread(target=self.well_behaved, args=(i, gate)) for i in range(1, self.clients)]
        for t in threads:
            t.start()
        self.began = time.perf_counter()
        gate.wait()
        for t in threads:
            t.join()
        return time.perf_counter() - self.began


# --- statistics -------------------------------------------------------------------------------------


def percentile_ms(values: list[float], q: float) -> float:
    ordered = sorted(values)
    return ordered[max(0, math.ceil(q * len(ordered)) - 1)] * 1000 if ordered else float("nan")


def latency_row(samples: list[Sample]) -> dict:
    s = [x.seconds for x in samples]
    return {"n": len(s), "p50": percentile_ms(s, 0.50), "p95": percentile_ms(s, 0.95), "p99": percentile_ms(s, 0.99),
            "max": max(s) * 1000 if s else float("nan"),
            "statuses": dict(sorted(collections.Counter(x.status for x in samples).items()))}


def ok(status: int) -> bool:
    return 200 <= status < 300 or status == 304


def limit_of(sample: Sample) -> str:
    """Which limit a 429 names: the client's concurrency, its time budget, or the front's requests in flight."""
    if "queries running" in sample.note:
        return "concurrency"
    if "in the last minute" in sample.note:
        return "time"
    if "requests in flight" in sample.note:
        return "front"
    return "other"


def summarise(samples: list[Sample], timeout: float) -> dict:
    polite = [s for s in samples if s.client != OVER_BUDGET]
    heavy = [s for s in samples if s.client == OVER_BUDGET]
    errors = [s for s in polite if not ok(s.status)] + [s for s in heavy if not ok(s.status) and s.status not in (429, 503)]
    heavy_429 = collections.Counter(limit_of(s) for s in heavy if s.status == 429)
    summary = {
        "requests": len(samples),
        "statuses": dict(sorted(collections.Counter(s.status for s in samples).items())),
        "all": latency_row(samples),
        "well-behaved": latency_row(polite),
        "over-budget": latency_row(heavy),
        "kinds": {kind: latency_row([s for s in samples if s.kind == kind]) for kind in [k for k, _, _ in MIX] + ["heavy"]},
        "over_budget_429": dict(heavy_429),
        "over_budget_503": sum(1 for s in heavy if s.status == 503),
        "over_budget_answered": sum(1 for s in heavy if ok(s.status)),
        "errors": len(errors),
        "error_samples": [asdict(s) for s in errors[:50]],
        "error_kinds": dict(collections.Counter(f"{s.kind} {s.status}" for s in errors)),
    }
    p99 = summary["well-behaved"]["p99"]
    summary["target"] = {
        "requests": len(samples),
        "errors": len(errors),
        "p99_ms": p99,
        "timeout_s": timeout,
        "met": bool(samples) and len(errors) == 0 and p99 < timeout * 1000,
    }
    return summary


def fmt_ms(value: float) -> str:
    return "-" if math.isnan(value) else (f"{value:,.0f}" if value >= 100 else f"{value:.1f}")


def fmt_statuses(statuses: dict) -> str:
    return ", ".join(f"{'none' if code == 0 else code}: {n:,}" for code, n in statuses.items())


def table(summary: dict) -> str:
    head = ["requests", "n", "p50 ms", "p95 ms", "p99 ms", "max ms", "statuses", "what"]
    rows = []
    for kind, _, what in (*MIX, (*HEAVY_KIND[:1], 0, HEAVY_KIND[1])):
        r = summary["kinds"][kind]
        if r["n"]:
            rows.append([kind, f"{r['n']:,}", fmt_ms(r["p50"]), fmt_ms(r["p95"]), fmt_ms(r["p99"]), fmt_ms(r["max"]),
                         fmt_statuses(r["statuses"]), what])
    for name, what in (("well-behaved", "every client but the over-budget one"),
                       ("over-budget", "the over-budget client"), ("all", "every request")):
        r = summary[name]
        rows.append([f"**{name}**", f"{r['n']:,}", fmt_ms(r["p50"]), fmt_ms(r["p95"]), fmt_ms(r["p99"]),
                     fmt_ms(r["max"]), fmt_statuses(r["statuses"]), what])
    lines = _markdown(head, rows)
    refused = summary["over_budget_429"]
    t = summary["target"]
    lines += [
        "",
        f"Statuses of all {summary['requests']:,} requests: {fmt_statuses(summary['statuses'])}.",
        "",
        f"The over-budget client: {summary['over-budget']['n']:,} requests; 429 for its concurrency limit "
        f"{refused.get('concurrency', 0):,}, for its time budget {refused.get('time', 0):,}"
        + (f", other {sum(v for k, v in refused.items() if k not in ('concurrency', 'time')):,}"
           if set(refused) - {"concurrency", "time"} else "")
        + f"; 503 (its queries stopped at the timeout) {summary['over_budget_503']:,}; "
        f"answered {summary['over_budget_answered']:,}.",
        "",
        f"Unexpected errors (anything but 2xx/304, the over-budget client's 429s and 503s aside): "
        f"{summary['errors']:,}" + (f" ({', '.join(f'{k}: {v}' for k, v in summary['error_kinds'].items())})"
                                    if summary["errors"] else "") + ".",
        "",
        f"Target: {t['requests']:,} requests, 0 unexpected errors, p99 of the well-behaved clients under the "
        f"timeout ({t['timeout_s']:g} s): {t['errors']} errors, p99 {fmt_ms(t['p99_ms'])} ms, "
        + ("**met**" if t["met"] else "**missed**"),
    ]
    return "\n".join(lines)


# --- report -----------------------------------------------------------------------------------------

DOC_PREFIX = "## Load: "


def heading(requests: int, clients: int) -> str:
    return f"{DOC_PREFIX}{requests:,} requests from {clients} clients"


def document(summary: dict, meta: dict) -> str:
    return "\n".join([
        meta["heading"],
        "",
        f"Measured {meta['date']} on {meta['machine']}; {meta['versions']}.",
        f"Data: {meta['data']}.",
        "",
        f"Command: `{meta['command']}`",
        "",
        f"Settings: {meta['settings']}.",
        "",
        f"Clients: {meta['clients']}. The well-behaved clients' requests took {meta['polite_wall']:.0f} s "
        f"({meta['polite_rate']:.0f} requests/s); the whole load {meta['wall']:.0f} s"
        + (" (the over-budget client's last queries ran until they were stopped)"
           if meta["wall"] - meta["polite_wall"] > 1 else "")
        + (f"; {meta['reconnections']} requests sent again after the server closed an idle keep-alive connection"
           if meta["reconnections"] else "") + ".",
        "",
        table(summary),
        "",
    ])


EXPECTED_LOG = ("zgckg: serving ", "zgckg: stopped")


def server_problems(log: str) -> list[str]:
    """The server's log lines that are not access lines of an expected answer (2xx, 304, 429, and the
    over-budget client's 503 QueryTimeout): tracebacks, errors, other 4xx and 5xx."""
    found = []
    for line in log.splitlines():
        try:
            entry = json.loads(line)
        except ValueError:
            if line.strip() and not line.startswith(EXPECTED_LOG):
                found.append(line)
            continue
        status = entry.get("status") if isinstance(entry, dict) else None
        if status == 503 and entry.get("error") == "QueryTimeout":
            continue  # a runaway stopped at the time limit; the samples tell whose it was
        if not isinstance(status, int) or status >= 500 or (status >= 400 and status != 429):
            found.append(line)
    return found


# --- command line -----------------------------------------------------------------------------------


def arguments(argv=None) -> argparse.Namespace:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--requests", type=int, default=10_000, help="requests in all")
    parser.add_argument("--clients", type=int, default=32, help="concurrent clients, the over-budget one included")
    parser.add_argument("--store", type=Path, help="an existing zgckg store directory (default: build one)")
    parser.add_argument("--seed", type=int, default=0, help="of the clients' choices")
    parser.add_argument("--seconds", type=float, default=75.0,
                        help="spread the requests over at least this many seconds (request k is not sent before "
                             "k/requests of it): the over-budget client can use up its minute's budget only after "
                             "30 s, two queries at once stopped at the 30 s timeout; 0: as fast as the clients go")
    parser.add_argument("--heavy-pause", type=float, default=0.5,
                        help="seconds the over-budget client waits after a 429 (whatever Retry-After says)")
    parser.add_argument("--max-client-requests", type=int, default=64,
                        help="the front's limit of requests in flight per address (every client here shares one)")
    parser.add_argument("--zgckg-arg", action="append", default=[], help="extra argument for zgckg serve (repeatable)")
    parser.add_argument("--json", type=Path, help="write the raw samples and the summary here")
    parser.add_argument("--doc", type=Path, help="write the load section of this Markdown file")
    args = parser.parse_args(argv)
    if args.clients < 2:
        parser.error("--clients must be at least 2 (the over-budget client and one other)")
    return args


def main(argv=None) -> int:
    args = arguments(argv)
    config = Config.from_env()
    extra = ["--client-header", CLIENT_HEADER, "--max-client-requests", str(args.max_client_requests), *args.zgckg_arg]
    log = ""
    with tempfile.TemporaryDirectory(prefix="bench-load-") as tmp_name:
        tmp = Path(tmp_name)
        store = args.store or tmp / "zgckg"
        data = "the store given with --store" if args.store else build_zgckg_store(store)
        os.environ["ZGCKG_DUMPS_DIR"] = str(tmp / "dumps")  # whatever the server writes goes with the temporary store
        server = zgckg_server(store, DEFAULT_PATHS["zgckg"], token=None, union=True, extra=extra)
        try:
            with server:
                m = material(server.port)
                print(f"{len(m.queries)} analyst queries, {len(m.entities)} entities, {len(m.terms)} search terms; "
                      f"{args.requests:,} requests from {args.clients} clients ...", flush=True)
                load = Load(server.port, m, args.requests, args.clients, args.seed, args.heavy_pause, args.seconds)
                wall = load.run()
                time.sleep(2)  # what the server logs just after the load, before it is told to stop
                alive = server.process.poll() is None
                before_stop = server.output()
        finally:
            log = server.output()
    samples = sorted(load.samples, key=lambda s: s.started)
    summary = summarise(samples, config.timeout)
    polite_wall = max((s.started + s.seconds for s in samples if s.client != OVER_BUDGET), default=0.0)
    problems = server_problems(before_stop)
    at_stop = server_problems(log[len(before_stop):])
    if not alive:
        problems.insert(0, "the server had exited by the end of the load")
    settings = (f"one `zgckg serve` with `--client-header {CLIENT_HEADER} --max-client-requests "
                f"{args.max_client_requests}`{' ' + shlex.join(args.zgckg_arg) if args.zgckg_arg else ''}, "
                f"otherwise its defaults: timeout {config.timeout:g} s, {config.workers} workers (at most "
                f"{config.max_workers or 2 * config.workers}), {config.threads} threads, per client "
                f"{config.client_queries} queries at once and {config.client_query_seconds:g} s of query time a "
                f"minute; every client on 127.0.0.1, named by its `{CLIENT_HEADER}` header; the mix, per "
                f"well-behaved request: " + ", ".join(f"{k} {w}%" for k, w, _ in MIX)
                + f"; the over-budget client waits {args.heavy_pause:g} s after a 429; "
                + (f"request k not sent before k/{args.requests:,} of {args.seconds:g} s (at most "
                   f"{args.requests / args.seconds:.0f} requests/s)" if args.seconds else "no pacing")
                + f"; seed {args.seed}")
    meta = {
        "heading": heading(args.requests, args.clients),
        "date": datetime.date.today().isoformat(),
        "machine": machine(),
        "versions": versions(),
        "command": shlex.join([".venv/bin/python", "bench/load.py", *(argv if argv is not None else sys.argv[1:])]),
        "data": (f"{data}; {len(m.queries)} analyst queries, {len(m.entities)} labelled entities, "
                 f"{len(m.terms)} search terms from their labels"),
        "settings": settings,
        "clients": (f"{args.clients - 1} well-behaved, one request at a time each, and one over-budget client on "
                    f"{HEAVY_CONNECTIONS} connections: {args.clients - 1 + HEAVY_CONNECTIONS} connections in all"),
        "wall": wall,
        "rate": len(samples) / wall if wall else 0.0,
        "polite_wall": polite_wall,
        "polite_rate": summary["well-behaved"]["n"] / polite_wall if polite_wall else 0.0,
        "reconnections": load.reconnections,
    }
    print(table(summary))
    print(f"\n{len(samples):,} requests in {wall:.0f} s; the well-behaved clients' {summary['well-behaved']['n']:,} "
          f"in {polite_wall:.0f} s ({meta['polite_rate']:.0f}/s); "
          f"{load.reconnections} reconnections after an idle close")
    if summary["errors"]:
        print("\nUnexpected errors (first 20):")
        for s in summary["error_samples"][:20]:
            print(f"  t={s['started']:.1f}s {s['client']} {s['kind']} {s['status']} {s['path']} "
                  f"{s['seconds'] * 1000:.0f} ms: {s['note'][:200]}")
    for what, lines in (("during the load", problems), ("once told to stop", at_stop)):
        if lines:
            print(f"\nServer log {what}: {len(lines)} lines that are not access lines of an expected answer"
                  " (first 30):")
            for line in lines[:30]:
                print("  " + line[:400])
    print(("PASS" if summary["target"]["met"] else "MISS"),
          f"{summary['target']['requests']:,} requests, {summary['target']['errors']} unexpected errors, "
          f"p99 {fmt_ms(summary['target']['p99_ms'])} ms (timeout {config.timeout:g} s)")
    if args.json:
        args.json.parent.mkdir(parents=True, exist_ok=True)
        args.json.write_text(json.dumps({"meta": meta, "summary": summary, "server_log_problems": problems,
                                         "server_log_at_stop": at_stop,
                                         "raw": [asdict(s) for s in samples]}, indent=1, ensure_ascii=False))
    if args.doc:
        update_doc(args.doc, document(summary, meta), DOC_PREFIX)
    return 0 if summary["target"]["met"] else 1


if __name__ == "__main__":
    sys.exit(main())
