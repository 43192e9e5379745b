"""Run the W3C SPARQL 1.1 query and update evaluation tests through HTTP against zgckg and oxigraph, or
against Virtuoso and zgckg over Virtuoso.

Each server is started on an empty store. For every test: ``DROP ALL`` through the update endpoint, the
test's data POSTed through the Graph Store Protocol (as N-Triples, relative IRIs already resolved
against the file's IRI in the suite), then the query (with the Accept header matching the expected
results' format) or the update, then a comparison with the expected results or graph store. The query or
update is sent with a ``BASE`` declaration naming its file, as the suite's authors resolve relative IRIs.

    .venv/bin/python scripts/w3c_conformance.py                      # both servers, every runnable test
    .venv/bin/python scripts/w3c_conformance.py --server oxigraph --filter 'aggregates/'
    .venv/bin/python scripts/w3c_conformance.py --json var/conformance.json
    .venv/bin/python scripts/w3c_conformance.py --server remote-pair  # Virtuoso, and zgckg --engine Virtuoso

Over a remote store (``virtuoso``, ``zgckg-virtuoso``) every triple is in a named graph: a test's default
graph is loaded into ``DEFAULT_GRAPH`` and its named graphs under their own IRIs, and each query without
FROM or FROM NAMED is sent with that dataset in the protocol (``default-graph-uri``, ``named-graph-uri``).
See docs/conformance.md.
"""

from __future__ import annotations

import argparse
import datetime
import json
import os
import platform
import re
import secrets
import shlex
import sys
import tempfile
import time
from collections import Counter, defaultdict
from dataclasses import asdict, dataclass
from functools import lru_cache
from importlib import metadata
from pathlib import Path

import pyoxigraph
import requests

sys.path.insert(0, str(Path(__file__).resolve().parent))

from sparql_servers import (  # noqa: E402
    DEFAULT_PATHS,
    Endpoint,
    Paths,
    VirtuosoProcess,
    oxigraph_server,
    zgckg_remote_server,
    zgckg_server,
)
from w3c_manifest import Suite, W3CTest, is_ordered  # noqa: E402
from w3c_results import (  # noqa: E402
    MEDIA_TYPES,
    SUFFIX_FORMATS,
    Boolean,
    Iri,
    Solutions,
    compare_datasets,
    compare_graphs,
    compare_results,
    format_of_media_type,
    from_rdflib,
    parse_graph,
    parse_json,
    parse_results,
    read_expected,
    read_graph,
)

ROOT = Path(__file__).resolve().parents[1]
DEFAULT_SUITE = ROOT.parent / "shared" / "w3c-sparql11"
SERVERS = ("oxigraph", "zgckg", "virtuoso", "zgckg-virtuoso")
PAIRS = {"both": ("oxigraph", "zgckg"), "remote-pair": ("virtuoso", "zgckg-virtuoso")}
REMOTE = ("virtuoso", "zgckg-virtuoso")
"""Servers whose store is Virtuoso: the harness maps the test's default graph to ``DEFAULT_GRAPH``."""
GRAPH_BASE = "https://w3id.org/zgckg/graph/"
DEFAULT_GRAPH = GRAPH_BASE + "default"
"""A test's default graph over a remote store: the graph zgckg (--no-union-default-graph) reads as its default."""
NO_GRAPH = GRAPH_BASE + "none"
"""Named in ``named-graph-uri`` when a test has no named graph (Virtuoso reads an absent one as "every graph")."""
META = GRAPH_BASE + "meta"
"""zgckg's version graph in a remote store: not the test's, never read or dropped by the harness."""
GRAPHS_QUERY = "SELECT DISTINCT ?g WHERE { GRAPH ?g { ?s ?p ?o } }"
FROM_CLAUSE = re.compile(r"^\s*FROM\s+(NAMED\s+)?(<|[\w.-]*:)", re.IGNORECASE | re.MULTILINE)
DATASET_QUERY = "SELECT ?g ?s ?p ?o WHERE { { ?s ?p ?o } UNION { GRAPH ?g { ?s ?p ?o } } }"
GRAPH_ACCEPT = "text/turtle"
SYNTAX_ACCEPT = "application/sparql-results+json, text/turtle;q=0.9"


@dataclass
class Outcome:
    status: str  # "pass" or "fail"
    message: str = ""
    seconds: float = 0.0


class Failed(Exception):
    """A step of a test went wrong; the message says which and how."""


# --- one test against one server ----------------------------------------------------------------------


class Runner:
    def __init__(self, suite: Suite, method: str, values: bool = True, store: "RemoteStore | None" = None):
        self.suite = suite
        self.method = method
        self.values = values
        self.store = store
        """The Virtuoso behind the remote servers, read directly (anonymously) to list its graphs."""

    def run(self, test: W3CTest, endpoint: Endpoint) -> Outcome:
        start = time.perf_counter()
        try:
            self._reset(endpoint)
            self._load(test, endpoint)
            message = self._execute(test, endpoint)
        except Failed as exc:
            message = str(exc)
        except requests.RequestException as exc:
            message = f"HTTP request failed: {exc}"
        except Exception as exc:  # a response we cannot even parse is a failed test, not a crash
            message = f"{type(exc).__name__}: {exc}"
        seconds = time.perf_counter() - start
        return Outcome("fail" if message else "pass", message or "", seconds)

    def _execute(self, test: W3CTest, endpoint: Endpoint) -> str | None:
        if test.kind == "query":
            return self._query_test(test, endpoint)
        if test.kind == "update":
            return self._update_test(test, endpoint)
        return self._syntax_test(test, endpoint)

    def _reset(self, endpoint: Endpoint) -> None:
        if endpoint.name not in REMOTE:
            _expect_success(endpoint.update("DROP ALL"), "clearing the store (DROP ALL)")
            return
        # Virtuoso's DROP ALL drops nothing (and its own system graphs must stay): every graph the tests
        # made, dropped by name through the server under test
        graphs = self.store.graphs()
        if graphs:
            text = " ;\n".join(f"DROP SILENT GRAPH <{g}>" for g in graphs)
            _expect_success(endpoint.update(text, self._update_params(endpoint)), "clearing the store (DROP GRAPH)")
            left = self.store.graphs()
            if left:
                raise Failed(f"clearing the store: graphs left after DROP GRAPH: {', '.join(left)}")

    def _load(self, test: W3CTest, endpoint: Endpoint) -> None:
        for data in test.data:
            graph = data.graph or (DEFAULT_GRAPH if endpoint.name in REMOTE else None)
            response = endpoint.post_graph(self.ntriples(data.iri), "application/n-triples", graph)
            where = f"<{data.graph}>" if data.graph else "the default graph"
            _expect_success(response, f"loading {Path(data.iri).name} into {where} through the graph store")

    def request_text(self, iri: str) -> str:
        return f"BASE <{iri}>\n{self.suite.read(iri)}"

    def _query_test(self, test: W3CTest, endpoint: Endpoint) -> str | None:
        expected = self.expected(test.result)
        query = self.request_text(test.request)
        if isinstance(expected, (Solutions, Boolean)):
            fmt = SUFFIX_FORMATS.get(Path(test.result).suffix, "json")
            response = endpoint.query(query, MEDIA_TYPES[fmt], self.method, self._query_dataset(test, endpoint))
            _expect_success(response, "query")
            got = format_of_media_type(response.headers.get("Content-Type", ""))
            if got != fmt:
                raise Failed(f"asked for {MEDIA_TYPES[fmt]}, got Content-Type {response.headers.get('Content-Type')!r}")
            actual = parse_results(response.content.decode("utf-8"), fmt)
            ordered = is_ordered(self.suite.read(test.request))
            return compare_results(expected, actual, ordered=ordered, values=self.values)
        response = endpoint.query(query, GRAPH_ACCEPT, self.method, self._query_dataset(test, endpoint))
        _expect_success(response, "query")
        actual = parse_graph(response.content, response.headers.get("Content-Type", ""), test.request)
        return compare_graphs(expected, actual, values=self.values)

    def _update_test(self, test: W3CTest, endpoint: Endpoint) -> str | None:
        _expect_success(endpoint.update(self.request_text(test.request), self._update_params(endpoint)), "update")
        dataset = ()
        if endpoint.name in REMOTE:  # the whole store: DEFAULT_GRAPH as the default graph, every other as named
            named = [g for g in self.store.graphs() if g != DEFAULT_GRAPH] or [NO_GRAPH]
            dataset = [("default-graph-uri", DEFAULT_GRAPH)] + [("named-graph-uri", g) for g in named]
        response = endpoint.query(DATASET_QUERY, MEDIA_TYPES["json"], self.method, dataset)
        _expect_success(response, "reading the graph store back")
        state = parse_json(response.content.decode("utf-8"))
        actual = [(row.get("g"), row["s"], row["p"], row["o"]) for row in state.rows]
        return compare_datasets(self.expected_quads(tuple(test.expected_data)), actual, values=self.values)

    def _syntax_test(self, test: W3CTest, endpoint: Endpoint) -> str | None:
        """Positive: the server parses the request -- any answer but 400 (a valid update may still fail when
        run, e.g. on a graph that does not exist: 500). Negative: the server answers 400."""
        text = self.request_text(test.request)
        if "update" in test.kind:
            response = endpoint.update(text, self._update_params(endpoint))
        else:
            response = endpoint.query(text, SYNTAX_ACCEPT, self.method)
        if test.kind.startswith("negative"):
            if response.status_code != 400:
                return f"expected 400 for a syntax error, got {response.status_code}"
            return None
        if response.status_code == 400:
            return f"HTTP 400 for a valid request: {_snippet(response.text)}"
        return None

    def _query_dataset(self, test: W3CTest, endpoint: Endpoint) -> list[tuple[str, str]]:
        """Over a remote store, the test's dataset in the protocol (unless the query names its own): the
        default graph as loaded (``DEFAULT_GRAPH``), the named graphs under their IRIs."""
        if endpoint.name not in REMOTE or FROM_CLAUSE.search(self.suite.read(test.request)):
            return []
        named = sorted({d.graph for d in test.data if d.graph}) or [NO_GRAPH]
        return [("default-graph-uri", DEFAULT_GRAPH)] + [("named-graph-uri", g) for g in named]

    @staticmethod
    def _update_params(endpoint: Endpoint) -> list[tuple[str, str]]:
        """Virtuoso directly: ``default-graph-uri`` names the graph its updates read and write as the default
        graph (without one it refuses any update of the default graph). zgckg is sent the update alone."""
        return [("default-graph-uri", DEFAULT_GRAPH)] if endpoint.name == "virtuoso" else []

    @lru_cache(maxsize=None)
    def ntriples(self, iri: str) -> bytes:
        quads = pyoxigraph.parse(path=self.suite.path(iri), base_iri=iri)
        return pyoxigraph.serialize((q.triple for q in quads), format=pyoxigraph.RdfFormat.N_TRIPLES)

    @lru_cache(maxsize=None)
    def expected(self, iri: str):
        return read_expected(self.suite.path(iri), iri)

    @lru_cache(maxsize=None)
    def expected_quads(self, files: tuple) -> list[tuple]:
        quads = []
        for data in files:
            graph = Iri(data.graph) if data.graph else None
            for triple in read_graph(self.suite.path(data.iri), data.iri):
                quads.append((graph, *map(from_rdflib, triple)))
        return quads


class RemoteStore:
    """The Virtuoso behind the remote servers, asked directly (its anonymous query endpoint) which graphs the
    tests have made: every graph but those it had when it started (its own) and zgckg's version graph."""

    def __init__(self, endpoint: Endpoint):
        self.endpoint = endpoint
        self.own = set(self._all())

    def _all(self) -> list[str]:
        response = self.endpoint.query(GRAPHS_QUERY, MEDIA_TYPES["json"], "post-form")
        _expect_success(response, "listing the store's graphs")
        return [row["g"].value for row in parse_json(response.content.decode("utf-8")).rows]

    def graphs(self) -> list[str]:
        return sorted(g for g in self._all() if g not in self.own and g != META)


def _expect_success(response: requests.Response, step: str) -> None:
    if not response.ok:
        raise Failed(f"{step}: HTTP {response.status_code}: {_snippet(response.text)}")


def _snippet(text: str, limit: int = 300) -> str:
    text = " ".join(text.split())
    return text if len(text) <= limit else text[:limit] + "…"


# --- running the suite ------------------------------------------------------------------------------


def select(tests: list[W3CTest], pattern: str | None) -> list[W3CTest]:
    if not pattern:
        return tests
    regex = re.compile(pattern, re.IGNORECASE)
    return [t for t in tests if regex.search(t.label) or regex.search(t.name)]


def run_all(tests: list[W3CTest], endpoints: list[Endpoint], runner: Runner, verbose: bool) -> dict:
    """Each test on every server in turn (A B A B …), so both see the same machine."""
    outcomes: dict[str, dict[str, Outcome]] = {}
    runnable = [t for t in tests if not t.skip]
    for number, test in enumerate(runnable, 1):
        outcomes[test.iri] = {}
        for endpoint in endpoints:
            outcome = runner.run(test, endpoint)
            outcomes[test.iri][endpoint.name] = outcome
            if verbose and outcome.status != "pass":
                print(f"  [{number}/{len(runnable)}] {endpoint.name} FAIL {test.label}: {outcome.message}")
    return outcomes


# --- report -----------------------------------------------------------------------------------------


def report(tests: list[W3CTest], outcomes: dict, servers: list[str]) -> tuple[str, list[W3CTest]]:
    lines: list[str] = []
    run = [t for t in tests if t.iri in outcomes]
    groups = [("evaluation tests", [t for t in run if not t.is_syntax]), ("syntax tests", [t for t in run if t.is_syntax])]
    header = f"| {'suite':<20} | {'tests':>5} |" + "".join(f" {s + ' passed':>15} |" for s in servers)
    header += "\n|" + " --- |" * (2 + len(servers))
    for title, group in groups:
        if not group:
            continue
        lines += ["", f"## {title}", "", header]
        by_suite: dict[str, list[W3CTest]] = defaultdict(list)
        for t in group:
            by_suite[t.suite].append(t)
        for suite, members in by_suite.items():
            lines.append(_count_line(suite, members, outcomes, servers))
        lines.append(_count_line("total", group, outcomes, servers))
    if all(g for _, g in groups):
        lines += ["", header, _count_line("all run", run, outcomes, servers)]
    lines += ["", "## passed / failed", ""]
    lines.append(f"| {'tests':<20} | {'run':>5} |" + "".join(f" {s:>22} |" for s in servers))
    lines.append("|" + " --- |" * (2 + len(servers)))
    categories = [
        ("query evaluation", [t for t in run if t.kind == "query"]),
        ("update evaluation", [t for t in run if t.kind == "update"]),
        ("syntax", [t for t in run if t.is_syntax]),
        ("all run", run),
    ]
    for title, group in categories:
        if group:
            lines.append(f"| {title:<20} | {len(group):>5} |" + "".join(
                f" {_tally(outcomes, group, s):>22} |" for s in servers))
    skipped = Counter(t.skip for t in tests if t.skip)
    lines += ["", "## skipped, by reason", ""]
    lines += [f"{n:>5}  {reason}" for reason, n in skipped.most_common()]
    regressions = []
    for reference, ours in PAIRS.values():
        if reference in servers and ours in servers:
            found = [t for t in run if _status(outcomes, t, reference) == "pass" and _status(outcomes, t, ours) != "pass"]
            lines += ["", f"## {reference} passes, {ours} fails: {len(found)}", ""]
            lines += [f"- {t.label} ({t.name}): {outcomes[t.iri][ours].message}" for t in found]
            regressions += found
    for server in servers:
        failed = [t for t in run if _status(outcomes, t, server) == "fail"]
        lines += ["", f"## {server} failures: {len(failed)}", ""]
        lines += [f"- {t.label} ({t.name}): {outcomes[t.iri][server].message}" for t in failed]
    lines += ["", "## time", ""]
    for server in servers:
        seconds = sorted(outcomes[t.iri][server].seconds for t in run)
        if seconds:
            lines.append(
                f"{server}: {sum(seconds):.1f} s for {len(seconds)} tests, median {seconds[len(seconds) // 2] * 1000:.1f} ms, "
                f"slowest {seconds[-1] * 1000:.0f} ms"
            )
    return "\n".join(lines), regressions


def _status(outcomes, test, server) -> str:
    return outcomes[test.iri][server].status


def _tally(outcomes: dict, tests: list[W3CTest], server: str) -> str:
    counts = Counter(_status(outcomes, t, server) for t in tests)
    return f"{counts['pass']} / {counts['fail']}"


def _count_line(name: str, tests: list[W3CTest], outcomes: dict, servers: list[str]) -> str:
    cells = ""
    for server in servers:
        passed = sum(1 for t in tests if _status(outcomes, t, server) == "pass")
        cells += f" {passed:>15} |"
    return f"| {name:<20} | {len(tests):>5} |" + cells


def versions() -> dict[str, str]:
    found = {}
    for package in ("zgckg", "pyoxigraph", "oxigraph", "rdflib", "flask", "granian", "requests"):
        try:
            found[package] = metadata.version(package)
        except metadata.PackageNotFoundError:
            found[package] = "not installed"
    found["python"] = platform.python_version()
    return found


def machine() -> str:
    model = ""
    try:
        for line in Path("/proc/cpuinfo").read_text().splitlines():
            if line.startswith("model name"):
                model = line.split(":", 1)[1].strip()
                break
    except OSError:
        pass
    return f"{model or platform.processor() or platform.machine()}, {os.cpu_count()} cores, {platform.system()} {platform.release()}"


def write_json(path: Path, args, tests, outcomes, servers, regressions) -> None:
    doc = {
        "date": datetime.datetime.now(datetime.timezone.utc).isoformat(timespec="seconds"),
        "command": shlex.join(["scripts/w3c_conformance.py", *sys.argv[1:]]),
        "machine": machine(),
        "versions": versions(),
        "servers": servers,
        "summary": {
            s: {"run": len(outcomes), **{key: sum(1 for o in outcomes.values() if o[s].status == status)
                                        for key, status in (("passed", "pass"), ("failed", "fail"))}}
            for s in servers
        },
        "reference_passes_zgckg_fails": [t.label for t in regressions],
        "tests": [
            {
                "id": t.iri,
                "label": t.label,
                "name": t.name,
                "suite": t.suite,
                "kind": t.kind,
                "skipped": t.skip,
                "results": {s: asdict(o) for s, o in outcomes.get(t.iri, {}).items()},
            }
            for t in tests
        ],
    }
    path.parent.mkdir(parents=True, exist_ok=True)
    path.write_text(json.dumps(doc, ensure_ascii=False, indent=1), encoding="utf-8")


# --- command line -----------------------------------------------------------------------------------


def parse_paths(text: str) -> Paths:
    query, update, store = (p.strip() for p in text.split(","))
    return Paths(query, update, store)


def arguments(argv: list[str] | None = None) -> argparse.Namespace:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--server", choices=(*SERVERS, *PAIRS), default="both",
                        help="both: oxigraph and zgckg; remote-pair: a private Virtuoso directly and zgckg over it")
    parser.add_argument("--suite", type=Path, default=DEFAULT_SUITE, help="the W3C sparql11 test folder")
    parser.add_argument("--manifest", default="manifest-all.ttl", help="top manifest inside the suite folder")
    parser.add_argument("--filter", help="run only tests whose suite/name or title matches this regex")
    parser.add_argument("--json", type=Path, help="write every outcome to this file")
    parser.add_argument("--no-syntax", action="store_true", help="leave out the syntax tests")
    parser.add_argument("--method", choices=("post-form", "post-direct", "get"), default="post-form",
                        help="how queries are sent (SPARQL 1.1 Protocol: URL-encoded POST, direct POST or GET)")
    parser.add_argument("--zgckg-paths", type=parse_paths, default=DEFAULT_PATHS["zgckg"],
                        metavar="QUERY,UPDATE,STORE", help="default: /sparql,/update,/store")
    parser.add_argument("--oxigraph-paths", type=parse_paths, default=DEFAULT_PATHS["oxigraph"],
                        metavar="QUERY,UPDATE,STORE", help="default: /query,/update,/store")
    parser.add_argument("--zgckg-url", help="use this running zgckg server (its store is emptied!) instead of starting one")
    parser.add_argument("--oxigraph-url", help="use this running oxigraph server (its store is emptied!)")
    parser.add_argument("--token", help="write token of a server given by URL")
    parser.add_argument("--virtuoso-max-rows", type=int, default=10000, help="the private Virtuoso's ResultSetMaxRows")
    parser.add_argument("--strict-literals", action="store_true",
                        help="compare numbers and booleans by lexical form too (default: by value within a datatype)")
    parser.add_argument("--timeout", type=float, default=60.0, help="seconds per HTTP request")
    parser.add_argument("-v", "--verbose", action="store_true", help="print each failure as it happens")
    return parser.parse_args(argv)


def main(argv: list[str] | None = None) -> int:
    args = arguments(argv)
    if not (args.suite / args.manifest).exists():
        raise SystemExit(f"no {args.manifest} in {args.suite}; pass --suite DIR (the W3C sparql11 test folder)")
    suite = Suite(args.suite)
    tests = select(suite.tests(args.manifest, syntax=not args.no_syntax), args.filter)
    servers = list(PAIRS.get(args.server, (args.server,)))
    print(f"{len(tests)} tests, {sum(1 for t in tests if not t.skip)} to run on {', '.join(servers)}")
    with tempfile.TemporaryDirectory(prefix="w3c-") as tmp:
        processes, endpoints, store = [], [], None
        try:
            if any(name in REMOTE for name in servers):  # one private Virtuoso, shared by turns
                virtuoso = VirtuosoProcess(max_rows=args.virtuoso_max_rows, max_seconds=int(args.timeout))
                processes.append(virtuoso)
                virtuoso.__enter__()
                store = RemoteStore(virtuoso.endpoint(args.timeout))
            for name in servers:
                endpoint, process = _start(name, args, Path(tmp), virtuoso if store else None)
                endpoints.append(endpoint)
                processes += [process] if process else []
            started = time.perf_counter()
            runner = Runner(suite, args.method, values=not args.strict_literals, store=store)
            outcomes = run_all(tests, endpoints, runner, args.verbose)
            wall = time.perf_counter() - started
        finally:
            for process in reversed(processes):
                process.stop()
    text, regressions = report(tests, outcomes, servers)
    print(text)
    print(f"wall time {wall:.1f} s")
    if args.json:
        write_json(args.json, args, tests, outcomes, servers, regressions)
    return 1 if regressions else 0


def _start(name: str, args, tmp: Path, virtuoso: VirtuosoProcess | None = None):
    if name == "virtuoso":
        return virtuoso.endpoint(args.timeout), None
    if name == "zgckg-virtuoso":
        process = zgckg_remote_server(virtuoso.base_url + "/sparql", virtuoso.user, virtuoso.password,
                                      DEFAULT_PATHS[name], token=secrets.token_urlsafe(16), union=False)
        process.__enter__()
        return process.endpoint(args.timeout), process
    url = getattr(args, f"{name}_url")
    paths = getattr(args, f"{name}_paths")
    if url:
        return Endpoint(name, url.rstrip("/"), paths, args.token, args.timeout), None
    if name == "zgckg":
        process = zgckg_server(tmp / "zgckg-store", paths, token=secrets.token_urlsafe(16), union=False)
    else:
        process = oxigraph_server(tmp / "oxigraph-store", paths, union=False)
    process.__enter__()
    return process.endpoint(args.timeout), process


if __name__ == "__main__":
    sys.exit(main())
