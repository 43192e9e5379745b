"""Downloads (/dumps/) and named graphs (/graph/<name>) over the project's own store: every dump downloads,
decompresses, parses and holds what its listing says; the whole-store dumps reload into the same quads;
the files are made once per version and only listed names are ever served."""

import gzip
import hashlib
import json
import re
import threading
from collections import Counter

import pyoxigraph as ox
import pytest

from zgckg.kg.linked import dumps as dumps_module
from zgckg.kg.linked.dumps import DumpBuilder, DumpsPending
from zgckg.namespaces import BUILT_GRAPHS
from conftest import sparql_rows as ask

SYNTAXES = {"application/n-quads": ox.RdfFormat.N_QUADS, "application/trig": ox.RdfFormat.TRIG,
            "text/turtle": ox.RdfFormat.TURTLE, "application/n-triples": ox.RdfFormat.N_TRIPLES,
            "application/ld+json": ox.RdfFormat.JSON_LD, "application/rdf+xml": ox.RdfFormat.RDF_XML}
DATASET_SYNTAXES = {"nquads", "trig", "jsonld"}


@pytest.fixture(scope="module")
def index(project_app):
    response = project_app.test_client().get("/dumps/index.json")
    assert response.status_code == 200, response.get_data(as_text=True)
    return response.get_json()


def download(project_client, name: str, **headers):
    response = project_client.get("/dumps/" + name, headers=headers)
    body = response.get_data()
    response.close()
    return response, body


def store_quads(project_client) -> Counter:
    """Every quad of the store, asked through /sparql (blank nodes written as one label, since a result
    names them afresh)."""
    rows = ask(project_client, "SELECT ?g ?s ?p ?o WHERE { GRAPH ?g { ?s ?p ?o } }")
    return Counter(tuple(_cell(row[v]) for v in "spog") for row in rows)


def _cell(cell: dict) -> str:
    if cell["type"] == "uri":
        return f"<{cell['value']}>"
    if cell["type"] == "bnode":
        return "_:b"
    return str(ox.Literal(cell["value"], language=cell.get("xml:lang"),
                          datatype=ox.NamedNode(cell["datatype"]) if "datatype" in cell else None))


def _term(term) -> str:
    return "_:b" if isinstance(term, ox.BlankNode) else str(term)


def count(project_client, text: str) -> int:
    return int(ask(project_client, text)[0]["n"]["value"])


def test_the_list_has_every_graph_in_every_syntax_with_the_version_in_the_names(index):
    version = index["version"]
    names = {f["name"] for f in index["files"]}
    for graph in ("all", *BUILT_GRAPHS):
        for ext in ("nq", "trig", "ttl", "nt", "jsonld", "rdf"):
            assert f"zgckg-{version}-{graph}.{ext}.gz" in names
    assert len(names) == len(index["files"]) == 4 * 6
    assert index["license"] == "https://creativecommons.org/licenses/by/4.0/"
    assert index["source"] == "https://w3id.org/zgckg/id/report/haidian-park"
    assert index["source_title"]["zh"] == "中关村科技园区海淀园事迹材料"
    assert all(f["url"].startswith("http://localhost/dumps/zgckg-") for f in index["files"])


def test_every_dump_downloads_decompresses_parses_and_matches_its_listing(project_client, index):
    sizes = _graph_sizes(project_client)
    for file in index["files"]:
        response, body = download(project_client, file["name"])
        assert response.status_code == 200
        assert response.headers["Content-Type"] == "application/gzip"
        assert "attachment" in response.headers["Content-Disposition"]
        assert file["name"] in response.headers["Content-Disposition"]
        assert len(body) == file["bytes"]
        assert hashlib.sha256(body).hexdigest() == file["sha256"]
        items = list(ox.parse(gzip.decompress(body), SYNTAXES[file["media_type"]]))
        assert len(items) == file["triples"], file["name"]
        if file["graph"] is not None:
            assert file["triples"] == sizes[file["graph"]]
            graphs = {q.graph_name for q in items}
            if file["format"] in DATASET_SYNTAXES:  # which keep the graph's name
                assert graphs == {ox.NamedNode(file["graph"])}
            else:
                assert graphs == {ox.DefaultGraph()}


def _graph_sizes(project_client) -> dict[str, int]:
    rows = ask(project_client, "SELECT ?g (COUNT(*) AS ?n) WHERE { GRAPH ?g { ?s ?p ?o } } GROUP BY ?g")
    return {row["g"]["value"]: int(row["n"]["value"]) for row in rows}


def test_the_whole_store_counts_quads_in_dataset_syntaxes_and_distinct_triples_in_the_others(project_client, index):
    quads = count(project_client, "SELECT (COUNT(*) AS ?n) WHERE { GRAPH ?g { ?s ?p ?o } }")
    triples = count(project_client, "SELECT (COUNT(*) AS ?n) WHERE { SELECT DISTINCT ?s ?p ?o WHERE { GRAPH ?g { ?s ?p ?o } } }")
    whole = {f["format"]: f["triples"] for f in index["files"] if f["graph"] is None}
    assert whole == {"nquads": quads, "trig": quads, "jsonld": quads,
                     "turtle": triples, "ntriples": triples, "rdfxml": triples}


@pytest.mark.parametrize("ext, fmt", [("nq", ox.RdfFormat.N_QUADS), ("trig", ox.RdfFormat.TRIG)])
def test_the_whole_store_dump_reloads_into_the_same_quads(project_client, index, ext, fmt):
    name = f"zgckg-{index['version']}-all.{ext}.gz"
    _, body = download(project_client, name)
    reloaded = ox.Store()
    reloaded.load(gzip.decompress(body), fmt)
    held = store_quads(project_client)
    assert len(reloaded) == sum(held.values())
    assert Counter((_term(q.subject), _term(q.predicate), _term(q.object), _term(q.graph_name)) for q in reloaded) == held


def test_revalidation_answers_304_by_etag_and_by_date(project_client, index):
    name = index["files"][0]["name"]
    first, _ = download(project_client, name)
    etag, modified = first.headers["ETag"], first.headers["Last-Modified"]
    assert etag == f'"{index["files"][0]["sha256"]}"'  # strong: the bytes themselves
    assert download(project_client, name, **{"If-None-Match": etag})[0].status_code == 304
    assert download(project_client, name, **{"If-Modified-Since": modified})[0].status_code == 304
    assert download(project_client, name, **{"If-None-Match": '"other"'})[0].status_code == 200
    listing = project_client.get("/dumps/index.json")
    assert project_client.get("/dumps/index.json", headers={"If-None-Match": listing.headers["ETag"]}).status_code == 304


@pytest.mark.parametrize("path", [
    "/dumps/nothing.nq.gz", "/dumps/../store", "/dumps/..%2F..%2Fetc%2Fpasswd", "/dumps/%2E%2E/metadata.json",
    "/dumps/metadata.json", "/dumps/.lock", "/dumps/zgckg-g999999-all.nq.gz",
])
def test_only_listed_names_are_served(project_client, path):
    response = project_client.get(path)
    assert response.status_code == 404
    response.close()


def test_the_page_lists_every_file_with_size_count_checksum_licence_and_source(project_client, index):
    page = project_client.get("/dumps/?lang=en")
    html = page.get_data(as_text=True)
    assert page.status_code == 200 and page.mimetype == "text/html"
    for file in index["files"]:
        assert f'href="/dumps/{file["name"]}"' in html
        assert file["sha256"] in html
        assert f"{file['bytes']:,}" in html and f"{file['triples']:,}" in html
    assert 'rel="license" href="https://creativecommons.org/licenses/by/4.0/"' in html
    assert "Zhongguancun Science Park Haidian Park: account of its achievements" in html
    assert "中关村科技园区海淀园事迹材料" in project_client.get("/dumps/?lang=zh").get_data(as_text=True)
    assert "style=" not in html and "<script" not in html


def test_the_files_are_made_once_per_version_and_reused_after_a_restart(project_app, index):
    from zgckg.kg.linked.dumps import builder

    engine, root = project_app.extensions["zgckg"].engine, project_app.extensions["zgckg"].config.dumps_dir
    served = builder(root).dumps(engine, wait=30)
    stale = served.directory.parent / "g000000"
    stale.mkdir()
    before = {f.name: served.path(f).stat().st_mtime_ns for f in served.files}
    restarted = DumpBuilder(root).dumps(engine, wait=30)  # a new process finds the metadata on disk
    assert restarted.files == served.files
    assert {f.name: restarted.path(f).stat().st_mtime_ns for f in restarted.files} == before
    assert not stale.exists()  # other versions' files are removed
    metadata = json.loads((served.directory / "metadata.json").read_text(encoding="utf-8"))
    assert metadata["version"] == index["version"] and len(metadata["files"]) == len(index["files"])


def test_a_build_slower_than_the_wait_is_pending_and_the_web_answers_503_with_retry_after(project_app, tmp_path, monkeypatch):
    engine = project_app.extensions["zgckg"].engine
    release = threading.Event()
    real = dumps_module._build

    def slow(*args):
        release.wait(10)
        return real(*args)

    monkeypatch.setattr(dumps_module, "_build", slow)
    slow_builder = DumpBuilder(tmp_path)
    with pytest.raises(DumpsPending):
        slow_builder.dumps(engine, wait=0.05)
    release.set()
    assert len(slow_builder.dumps(engine, wait=30).files) == 24

    class Pending:
        def dumps(self, engine, *, wait):
            raise DumpsPending(5)

    monkeypatch.setattr("zgckg.web.dumps.builder", lambda root: Pending())
    response = project_app.test_client().get("/dumps/index.json")
    assert response.status_code == 503 and response.headers["Retry-After"] == "5"


# --- /graph/<name> ------------------------------------------------------------------------------------


def test_a_graph_iri_answers_a_page_for_browsers(project_client, index):
    response = project_client.get("/graph/asserted?lang=en", headers={"Accept": "text/html,application/xhtml+xml,*/*;q=0.8"})
    html = response.get_data(as_text=True)
    assert response.status_code == 200 and response.mimetype == "text/html"
    assert "Accept" in response.headers["Vary"]
    assert f"{_graph_sizes(project_client)[BUILT_GRAPHS['asserted']]:,}" in html
    for file in index["files"]:
        assert (f'href="/dumps/{file["name"]}"' in html) == (file["graph_name"] == "asserted")


@pytest.mark.parametrize("accept, fmt", [
    ("text/turtle", ox.RdfFormat.TURTLE), ("application/n-triples", ox.RdfFormat.N_TRIPLES),
    ("application/rdf+xml", ox.RdfFormat.RDF_XML), ("application/ld+json", ox.RdfFormat.JSON_LD),
])
def test_a_graph_iri_answers_its_triples_to_rdf_clients(project_client, accept, fmt):
    response = project_client.get("/graph/ontology", headers={"Accept": accept})
    body = response.get_data()
    response.close()
    assert response.status_code == 200 and response.mimetype == accept
    assert "Accept" in response.headers["Vary"]
    assert len(list(ox.parse(body, fmt))) == _graph_sizes(project_client)[BUILT_GRAPHS["ontology"]]


def test_a_graph_in_a_dataset_syntax_by_the_format_parameter(project_client):
    response = project_client.get("/graph/inferred?format=nquads")
    quads = list(ox.parse(response.get_data(), ox.RdfFormat.N_QUADS))
    response.close()
    assert len(quads) == _graph_sizes(project_client)[BUILT_GRAPHS["inferred"]]


@pytest.mark.parametrize("path", ["/graph/nothing", "/graph/../id/baidu", "/graph/asserted/more", "/graph/%2E%2E/x"])
def test_an_unknown_graph_is_404(project_client, path):
    response = project_client.get(path)
    assert response.status_code == 404
    response.close()


@pytest.mark.parametrize("accept", ["image/png", "text/turtle;q=0, */*;q=0", "application/x-absurd+nonsense"])
def test_an_unacceptable_graph_format_is_406(project_client, accept):
    response = project_client.get("/graph/asserted", headers={"Accept": accept})
    assert response.status_code == 406
    assert "text/turtle" in response.get_data(as_text=True)
    assert project_client.get("/graph/asserted?format=pdf").status_code == 406


def test_other_graphs_get_safe_distinct_file_names():
    from zgckg.kg.linked.dumps import plan

    sizes = {"https://w3id.org/zgckg/graph/user/my data.ttl": 3, "http://example.org/g": 2,
             "https://w3id.org/zgckg/graph/user/my-data.ttl": 1, "https://w3id.org/zgckg/graph/asserted": 5,
             "https://w3id.org/zgckg/graph/../../etc": 1, "https://w3id.org/zgckg/graph/empty": 0}
    planned = plan("g000007", sizes)
    names = {p.graph: p.graph_name for p in planned}
    assert names[None] == "all" and names["https://w3id.org/zgckg/graph/asserted"] == "asserted"
    assert names["https://w3id.org/zgckg/graph/user/my data.ttl"] == "user-my-data.ttl"
    assert names["https://w3id.org/zgckg/graph/user/my-data.ttl"].startswith("user-my-data.ttl-")
    assert names["http://example.org/g"].startswith("graph-")
    assert "https://w3id.org/zgckg/graph/empty" not in names
    assert names["https://w3id.org/zgckg/graph/../../etc"] == "etc"  # never a path
    assert len(set(names.values())) == len(names) == 6
    assert all(re.fullmatch(r"zgckg-g000007-[A-Za-z0-9][A-Za-z0-9._-]*\.[a-z]+\.gz", p.name) for p in planned)
    assert len(planned) == 6 * 6
