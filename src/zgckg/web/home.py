"""/: a short page saying what this service is and where to send queries."""

from __future__ import annotations

from html import escape
from urllib.parse import quote

from flask import Blueprint, Response, request

from ..namespaces import PREFIXES
from .runtime import runtime

bp = Blueprint("home", __name__)

PAGE = """<!doctype html>
<html lang="zh-Hans">
<head><meta charset="utf-8"><title>中关村科技园区海淀园知识图谱 · Zhongguancun Haidian Park knowledge graph</title></head>
<body>
<h1>中关村科技园区海淀园知识图谱</h1>
<p>Zhongguancun Science Park Haidian Park knowledge graph: the report on the park as RDF, every fact traceable
to the sentence it came from.</p>
<h2>SPARQL</h2>
<p>Send SPARQL 1.1 queries to <a href="{endpoint}"><code>{endpoint}</code></a> (GET with <code>query</code>, or POST).
Without a query it answers with its service description.</p>
<ul>
<li>Results: SPARQL JSON, XML, CSV, TSV; Turtle, N-Triples, RDF/XML, JSON-LD, N-Quads, TriG — by
<code>Accept</code> or <code>format=</code>.</li>
<li>Limits: {timeout:g} s per query and {max_rows} rows per result; a request may lower them with
<code>timeout=</code> and <code>max-rows=</code>. A query over its time limit is stopped (503); a result
over the row limit is refused whole (400), never cut short.</li>
<li><code>SERVICE</code> reaches only hosts the operator allowed: {federation}. Such a host has
{connect:g} s to accept the connection and may stay silent {read:g} s at most while answering.</li>
<li>Default graph: {default_graph}.</li>
<li>Predeclared prefixes (a query's own <code>PREFIX</code> wins): {prefixes}.</li>
<li>Before a query runs: at most {max_length} characters, {max_depth} nested brackets and {max_patterns}
triple patterns (400 above them, naming the limit).</li>
<li>Updates (<code>/update</code>, <code>/store</code>): {writes}.</li>
</ul>
<p>Example: <a href="{example_url}"><code>{example}</code></a></p>
</body>
</html>
"""

EXAMPLE = "SELECT ?g (COUNT(*) AS ?triples) WHERE { GRAPH ?g { ?s ?p ?o } } GROUP BY ?g"


@bp.route("/")
def home() -> Response:
    config = runtime().config
    endpoint = request.host_url.rstrip("/") + "/sparql"
    page = PAGE.format(
        endpoint=escape(endpoint),
        timeout=config.timeout,
        max_rows=config.max_rows,
        default_graph="the union of all graphs (asserted and inferred)" if config.union_default_graph
        else "the store's default graph only",
        writes="enabled with a bearer token" if config.write_token else "disabled",
        federation=escape(", ".join(config.service_allowlist)) if config.service_allowlist else "none",
        connect=config.service_connect_timeout,
        read=config.service_read_timeout,
        prefixes=", ".join(f"<code>{escape(name)}:</code> &lt;{escape(iri)}&gt;" for name, iri in PREFIXES.items()),
        max_length=config.max_query_length, max_depth=config.max_query_depth, max_patterns=config.max_triple_patterns,
        example=escape(EXAMPLE),
        example_url=escape(endpoint + "?query=" + quote(EXAMPLE)),
    )
    return Response(page, content_type="text/html; charset=utf-8")
