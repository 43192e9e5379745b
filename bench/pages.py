"""Linked-data benchmark: entity pages, their Turtle and the dumps against SPARQL DESCRIBE, on one ``zgckg serve``.

1. Data: ``zgckg build --store TMP`` (as bench/endpoint.py builds it), served by one ``zgckg serve`` with its
   dumps written to a temporary directory.
2. Entities: every IRI under ``<base>id/`` with an ``rdfs:label`` (one SELECT through ``/sparql``), the
   report's own IRIs aside (their HTML pages are redirects). They are shuffled (fixed seed); a few serve
   as warm-up and the rest are split in two halves, so that every "cold" request is the first one for its
   entity:
   - half A: ``DESCRIBE <iri>`` through ``/sparql`` (Accept text/turtle) and the HTML page ``/id/<slug>``,
     the two taking turns which goes first ("describe cold", "page cold"); then the same requests again
     ("describe repeated", from the answer cache; "page cached", from the page cache) and the page with
     ``If-None-Match`` ("page 304");
   - half B: the Turtle ``/id/<slug>.ttl``, cold and cached (on other entities than the pages, since a
     page leaves the entity's description in a per-version memo the Turtle would then be made from).
   Entities of the two halves alternate, so noise of the machine falls on both.
3. Dumps: ``/dumps/index.json`` makes the dumps of the store version on its first request (timed once,
   "dumps made"); then the whole store as gzipped N-Quads, ``GET /dumps/<file>``, is downloaded again and
   again, reading the whole body.

Every request is sequential, on keep-alive connections, after the warm-up.

    .venv/bin/python bench/pages.py                        # prints a table
    .venv/bin/python bench/pages.py --doc docs/benchmarks.md --json var/bench-pages.json
"""

from __future__ import annotations

import argparse
import datetime
import http.client
import json
import os
import random
import shlex
import sys
import tempfile
import time
from pathlib import Path
from urllib.parse import quote

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT / "scripts"))
sys.path.insert(0, str(ROOT / "bench"))

from endpoint import build_zgckg_store, Client, machine, _markdown, median_ms, p95_ms, update_doc, versions  # noqa: E402
from sparql_servers import DEFAULT_PATHS, zgckg_server  # noqa: E402

from zgckg.namespaces import INSTANCES, REPORT  # noqa: E402

TURTLE = "text/turtle"
HTML = "text/html"
SELECT_ACCEPT = "application/sparql-results+json"
ROWS = (
    ("describe cold", "`DESCRIBE <iri>` through `/sparql`, Accept text/turtle, first time for the entity"),
    ("describe repeated", "the same request again (answer cache)"),
    ("page cold", "`/id/<slug>`, Accept text/html, first time for the entity in this store version"),
    ("page cached", "the same request again (page cache)"),
    ("page 304", "the same request with `If-None-Match` (304, no body)"),
    ("turtle cold", "`/id/<slug>.ttl`, first time for the entity (other entities than the pages)"),
    ("turtle cached", "the same request again"),
    ("dump download", "`GET /dumps/<file>`: the whole store as gzipped N-Quads, the body read in full"),
)
TARGETS = {
    "page-cold": "page cold / describe cold at most 2",
    "page-cached": "page cached faster than describe repeated and than describe cold",
}


class Failed(Exception):
    pass


class Http(Client):
    """bench/endpoint.py's keep-alive client (POSTed queries), and GET."""

    def get(self, path: str, headers: dict[str, str]) -> tuple[int, dict[str, str], bytes, float]:
        for attempt in (1, 2):
            start = time.perf_counter()
            try:
                self.conn.request("GET", path, headers=headers)
                response = self.conn.getresponse()
                data = response.read()
                return response.status, {k.lower(): v for k, v in response.getheaders()}, data, time.perf_counter() - start
            except (http.client.HTTPException, ConnectionError):
                self.conn.close()  # the server closed the idle connection: reconnect once
                self.conn = http.client.HTTPConnection("127.0.0.1", self.port, timeout=300)
                if attempt == 2:
                    raise
        raise AssertionError("unreachable")


def expect(status: int, wanted: int, what: str, body: bytes) -> None:
    if status != wanted:
        raise Failed(f"{what} answered {status}, not {wanted}: {body[:300].decode('utf-8', 'replace')}")


# --- requests ---------------------------------------------------------------------------------------


def describe(http: Http, iri: str) -> float:
    status, body, seconds = http.query(f"DESCRIBE <{iri}>", TURTLE)
    expect(status, 200, f"DESCRIBE <{iri}>", body)
    return seconds


def page_path(slug: str, suffix: str = "") -> str:
    return "/id/" + quote(slug, safe="/-._~") + suffix


def page(http: Http, slug: str, etag: str | None = None) -> tuple[float, str | None]:
    headers = {"Accept": HTML} | ({"If-None-Match": etag} if etag else {})
    status, found, body, seconds = http.get(page_path(slug), headers)
    expect(status, 304 if etag else 200, f"the page of {slug}", body)
    return seconds, found.get("etag")


def turtle(http: Http, slug: str) -> float:
    status, _, body, seconds = http.get(page_path(slug, ".ttl"), {"Accept": TURTLE})
    expect(status, 200, f"the Turtle of {slug}", body)
    return seconds


def entities(http: Http) -> list[str]:
    """Every labelled IRI under <base>id/, but the report's own (their pages redirect to /source)."""
    text = (f'SELECT DISTINCT ?e WHERE {{ ?e <http://www.w3.org/2000/01/rdf-schema#label> ?l '
            f'FILTER(STRSTARTS(STR(?e), "{INSTANCES}")) }} ORDER BY ?e')
    status, body, _ = http.query(text, SELECT_ACCEPT)
    expect(status, 200, "the SELECT of the entities", body)
    found = [row["e"]["value"] for row in json.loads(body)["results"]["bindings"]]
    return [iri for iri in found if iri != REPORT and not iri.startswith(REPORT + "/")]


# --- measurements -----------------------------------------------------------------------------------


def measure_entities(http: Http, half_a: list[str], half_b: list[str], repeats: int, samples: dict) -> None:
    """Half A: DESCRIBE and page cold (taking turns), then repeated, cached and 304; half B: Turtle."""
    for index in range(max(len(half_a), len(half_b))):
        if index < len(half_a):
            iri = half_a[index]
            slug = iri[len(INSTANCES):]
            if index % 2 == 0:
                samples["describe cold"].append(describe(http, iri))
                seconds, etag = page(http, slug)
            else:
                seconds, etag = page(http, slug)
                samples["describe cold"].append(describe(http, iri))
            samples["page cold"].append(seconds)
            for r in range(repeats):
                for kind in (("describe", "page") if (index + r) % 2 == 0 else ("page", "describe")):
                    if kind == "describe":
                        samples["describe repeated"].append(describe(http, iri))
                    else:
                        samples["page cached"].append(page(http, slug)[0])
                samples["page 304"].append(page(http, slug, etag)[0])
        if index < len(half_b):
            slug = half_b[index][len(INSTANCES):]
            samples["turtle cold"].append(turtle(http, slug))
            for _ in range(repeats):
                samples["turtle cached"].append(turtle(http, slug))


def measure_dumps(http: Http, downloads: int, warmup: int, samples: dict) -> dict:
    """Make the dumps (timed once), then download the whole store's N-Quads again and again."""
    started = time.perf_counter()
    while True:
        status, headers, body, _ = http.get("/dumps/index.json", {"Accept": "application/json"})
        if status != 503:
            break
        time.sleep(min(float(headers.get("retry-after", "1")), 1.0))  # still being made: ask again
    made = time.perf_counter() - started
    if status != 200:
        return {"skipped": f"/dumps/index.json answered {status}: {body[:200].decode('utf-8', 'replace').strip()}"}
    files = json.loads(body)["files"]
    whole = [f for f in files if f.get("format") == "nquads" and (f.get("graph") is None or f["name"].startswith("all."))]
    if not whole:
        return {"skipped": "/dumps/index.json lists no N-Quads dump of the whole store"}
    file = whole[0]
    path = "/dumps/" + quote(file["name"])
    for n in range(warmup + downloads):
        status, _, body, seconds = http.get(path, {"Accept": "*/*"})
        expect(status, 200, path, body)
        if len(body) != file["bytes"]:
            raise Failed(f"{path}: {len(body)} bytes read, {file['bytes']} listed")
        if n >= warmup:
            samples["dump download"].append(seconds)
    return {"made_seconds": made, "name": file["name"], "bytes": file["bytes"], "triples": file.get("triples")}


# --- report -----------------------------------------------------------------------------------------


def summarise(samples: dict) -> dict:
    return {name: {"median": median_ms(v), "p95": p95_ms(v), "n": len(v)} for name, v in samples.items() if v}


def verdicts(summary: dict) -> dict:
    m = {name: row["median"] for name, row in summary.items()}
    return {
        "page-cold": {"ratio": m["page cold"] / m["describe cold"], "met": m["page cold"] <= 2 * m["describe cold"]},
        "page-cached": {"vs repeated": m["page cached"] / m["describe repeated"],
                        "vs cold": m["page cached"] / m["describe cold"],
                        "met": m["page cached"] < m["describe repeated"] and m["page cached"] < m["describe cold"]},
    }


def table(summary: dict, dumps: dict, verdict: dict) -> str:
    lines = ["### Latency (ms, sequential, keep-alive)", ""]
    rows = [[name, f"{summary[name]['median']:.2f}", f"{summary[name]['p95']:.2f}", str(summary[name]["n"]), what]
            for name, what in ROWS if name in summary]
    lines += _markdown(["request", "median", "p95", "n", "what"], rows)
    lines.append("")
    if "skipped" in dumps:
        lines.append(f"Dumps: not measured ({dumps['skipped']}).")
    else:
        lines.append(f"Dumps made (all files of the store version, on the first request of `/dumps/index.json`): "
                     f"{dumps['made_seconds'] * 1000:.0f} ms, once. The whole store as N-Quads, "
                     f"`{dumps['name']}`: {dumps['bytes']:,} bytes gzipped"
                     + (f", {dumps['triples']:,} quads" if dumps.get("triples") is not None else "") + ".")
    pc, cached = verdict["page-cold"], verdict["page-cached"]
    lines += [
        "",
        "### Targets",
        "",
        f"- {TARGETS['page-cold']}: {pc['ratio']:.2f}x, " + ("**met**" if pc["met"] else "**missed**"),
        f"- {TARGETS['page-cached']}: {cached['vs repeated']:.2f}x describe repeated, "
        f"{cached['vs cold']:.2f}x describe cold, " + ("**met**" if cached["met"] else "**missed**"),
    ]
    return "\n".join(lines)


DOC_HEADING = "## Linked-data pages: entity pages and dumps against SPARQL DESCRIBE"


def document(summary: dict, dumps: dict, verdict: dict, meta: dict) -> str:
    return "\n".join([
        DOC_HEADING,
        "",
        f"Measured {meta['date']} on {meta['machine']}; {meta['versions']}.",
        f"Data: {meta['data']}. Entities: {meta['entities']}.",
        "",
        f"Command: `{meta['command']}`",
        "",
        f"Settings: {meta['settings']}.",
        "",
        table(summary, dumps, verdict),
        "",
    ])


# --- command line -----------------------------------------------------------------------------------


def arguments(argv=None) -> argparse.Namespace:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--store", type=Path, help="an existing zgckg store directory (default: build one)")
    parser.add_argument("--warmup", type=int, default=6, help="entities used only to warm up")
    parser.add_argument("--limit", type=int, help="at most this many measured entities")
    parser.add_argument("--repeats", type=int, default=3, help="repeated requests per entity and kind")
    parser.add_argument("--downloads", type=int, default=50, help="measured downloads of the dump")
    parser.add_argument("--seed", type=int, default=0, help="of the shuffle of the entities")
    parser.add_argument("--zgckg-arg", action="append", default=[], help="extra argument for zgckg serve (repeatable)")
    parser.add_argument("--json", type=Path, help="write raw samples and the summary here")
    parser.add_argument("--doc", type=Path, help="write the linked-data section of this Markdown file")
    return parser.parse_args(argv)


def main(argv=None) -> int:
    args = arguments(argv)
    samples: dict[str, list[float]] = {name: [] for name, _ in ROWS}
    with tempfile.TemporaryDirectory(prefix="bench-pages-") as tmp_name:
        tmp = Path(tmp_name)
        store = args.store or tmp / "zgckg"
        data = "the store given with --store" if args.store else build_zgckg_store(store)
        os.environ["ZGCKG_DUMPS_DIR"] = str(tmp / "dumps")  # the server's dumps go with the temporary store
        with zgckg_server(store, DEFAULT_PATHS["zgckg"], token=None, union=True, extra=args.zgckg_arg) as server:
            http = Http(server.port, server.paths.query)
            found = entities(http)
            shuffled = random.Random(args.seed).sample(found, len(found))
            warm, measured = shuffled[: args.warmup], shuffled[args.warmup:][: args.limit]
            half_a, half_b = measured[0::2], measured[1::2]
            print(f"{len(found)} entities: {len(warm)} for warm-up, {len(half_a)} for DESCRIBE and pages, "
                  f"{len(half_b)} for Turtle")
            started = time.perf_counter()
            measure_entities(http, warm[0::2], warm[1::2], args.repeats, {name: [] for name, _ in ROWS})
            measure_entities(http, half_a, half_b, args.repeats, samples)
            dumps = measure_dumps(http, args.downloads, 3, samples)
            if "skipped" not in dumps and not any((tmp / "dumps").iterdir()):
                print("WARNING the server wrote its dumps elsewhere than the temporary directory", file=sys.stderr)
            wall = time.perf_counter() - started
            http.close()
    if "skipped" in dumps:
        print(f"NOTE dumps not measured: {dumps['skipped']}")
    summary = summarise(samples)
    verdict = verdicts(summary)
    meta = {
        "date": datetime.date.today().isoformat(),
        "machine": machine(),
        "versions": versions(),
        "command": shlex.join([".venv/bin/python", "bench/pages.py", *(argv if argv is not None else sys.argv[1:])]),
        "data": (f"{dumps['triples']} quads from {data}" if dumps.get("triples") is not None else data),
        "entities": (f"{len(found)} labelled IRIs under `{INSTANCES}`: {len(warm)} for warm-up, {len(half_a)} for "
                     f"DESCRIBE and pages, {len(half_b)} for Turtle"),
        "settings": (f"one `zgckg serve` with its defaults{' ' + shlex.join(args.zgckg_arg) if args.zgckg_arg else ''}, "
                     f"one keep-alive client, sequential requests; {args.repeats} repeated requests per entity and kind; "
                     f"3 warm-up + {args.downloads} measured downloads; pages in the default language (zh)"),
    }
    print(table(summary, dumps, verdict))
    print(f"\nmeasured in {wall:.0f} s")
    for key, text in TARGETS.items():
        print(("PASS" if verdict[key]["met"] else "MISS"), text)
    if args.json:
        args.json.parent.mkdir(parents=True, exist_ok=True)
        args.json.write_text(json.dumps({"meta": meta, "summary": summary, "verdicts": verdict, "dumps": dumps,
                                         "raw": samples}, indent=1, ensure_ascii=False))
    if args.doc:
        update_doc(args.doc, document(summary, dumps, verdict, meta), DOC_HEADING)
    return 0


if __name__ == "__main__":
    sys.exit(main())
