"""/dumps/: downloads of the store and of each named graph, gzip-compressed, one set per store version.

The files are made by the graph layer (:mod:`zgckg.kg.linked.dumps`) the first time a request needs them,
and then served from disk. A request waits for that build as long as its time limit allows, and is
answered 503 with ``Retry-After`` past it. Only names listed for the current version are served, so no
path a client sends ever reaches the file system.
"""

from __future__ import annotations

import time

from flask import Blueprint, Response, jsonify, request, send_file

from ..kg.linked.dumps import ALL, DumpFile, Dumps, DumpsPending, builder
from ..kg.linked.site import DATASET, site_facts
from .conditional import add_validators, etag_for, is_fresh, not_modified
from .errors import HttpError
from .pages import cached, render
from .public import public_url
from .runtime import arrived, runtime

bp = Blueprint("dumps", __name__)

FORMAT_LABELS = {"nquads": "N-Quads", "trig": "TriG", "turtle": "Turtle", "ntriples": "N-Triples",
                 "jsonld": "JSON-LD", "rdfxml": "RDF/XML"}


def current_dumps() -> Dumps:
    """The dumps of the version served now, waiting for their build within the request's time limit."""
    rt = runtime()
    left = rt.config.timeout - (time.monotonic() - arrived())
    try:
        return builder(rt.config.dumps_dir).dumps(rt.engine, wait=left)
    except DumpsPending as pending:
        raise HttpError(503, str(pending), {"Retry-After": str(pending.retry_after)}) from None


@bp.route("/dumps/")
def dumps_page() -> Response:
    return cached(("dumps",), lambda: _page(current_dumps()))


def _page(dumps: Dumps) -> Response:
    groups = []
    for graph in dict.fromkeys(f.graph for f in dumps.files):
        files = dumps.of_graph(graph)
        groups.append({"graph": graph, "name": files[0].graph_name, "files": [_row(f) for f in files]})
    return render("dumps.html", version=dumps.version, groups=groups, dataset=DATASET, all_name=ALL)


def _row(file: DumpFile) -> dict:
    return {"name": file.name, "url": "/dumps/" + file.name, "format": FORMAT_LABELS.get(file.format, file.format),
            "media_type": file.media_type, "bytes": file.bytes, "triples": file.triples, "sha256": file.sha256}


@bp.route("/dumps/index.json")
def dumps_index() -> Response:
    rt = runtime()
    version = rt.version()
    etag, modified = etag_for(version, ("dumps-index", public_url("/"))), rt.last_modified(version)
    if is_fresh(request, etag, modified):
        return not_modified(etag, modified)
    dumps = current_dumps()
    facts = site_facts(rt.engine)
    response = jsonify({
        "dataset": DATASET, "title": facts.title, "license": facts.licence,
        "source": facts.source, "source_title": facts.source_title, "version": dumps.version,
        "void": public_url("/.well-known/void"),
        "files": [{**_row(f), "url": public_url("/dumps/" + f.name), "graph": f.graph, "graph_name": f.graph_name,
                   "format": f.format} for f in dumps.files],
    })
    return add_validators(response, etag, modified)


@bp.route("/dumps/<path:name>")
def dump_file(name: str) -> Response:
    dumps = current_dumps()
    file = dumps.get(name)
    if file is None:
        raise HttpError(404, f"no download is called {name!r}; the current ones are listed at /dumps/")
    try:
        return send_file(dumps.path(file), mimetype="application/gzip", as_attachment=True, download_name=file.name,
                         conditional=True, etag=file.sha256, last_modified=runtime().last_modified(dumps.version))
    except FileNotFoundError:  # a newer version's build removed it since the list was read
        raise HttpError(404, f"{name!r} is no longer current; the current downloads are listed at /dumps/") from None
