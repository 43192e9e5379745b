"""zgckg over a real Virtuoso (started by scripts/virtuoso): published by `zgckg build --engine`, then the
same endpoint, pages, paths and canned queries as over the embedded store, never a truncated answer, and a
build killed mid-way leaving the graphs served as they were."""

import json
import signal
import subprocess
import sys
import time
from pathlib import Path

import pyoxigraph as ox
import pytest

from conftest import REMOTE_TOKEN
from zgckg.namespaces import BUILT_GRAPHS, GRAPH_BASE, INSTANCES

ZGCKG = str(Path(sys.executable).parent / "zgckg")
COMPARED = ("park-figures", "platform-institution-links", "funds", "unicorns", "industries-by-revenue",
            "policies-and-bodies")
"""Analyst queries compared over both engines (talent-programmes is not: Virtuoso 7.2 cannot compile it, SQ074)."""


def build(virtuoso) -> subprocess.Popen:
    from conftest import engine_credentials

    return subprocess.Popen([ZGCKG, "build", "--engine", virtuoso.sparql], env=engine_credentials(virtuoso),
                            stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True)


@pytest.fixture
def published(virtuoso_published):
    return virtuoso_published


@pytest.fixture
def remote(remote_app):
    return remote_app.test_client()


def graph_counts(client) -> dict[str, int]:
    rows = client.get("/sparql", query_string={
        "query": "SELECT ?g (COUNT(*) AS ?n) { GRAPH ?g { ?s ?p ?o } } GROUP BY ?g"}).get_json()["results"]["bindings"]
    return {r["g"]["value"]: int(r["n"]["value"]) for r in rows}


def test_the_build_publishes_the_three_graphs_whole(remote, project_client):
    counts = graph_counts(remote)
    built = {iri: n for iri, n in counts.items() if iri in BUILT_GRAPHS.values()}
    assert built == {iri: n for iri, n in graph_counts(project_client).items() if iri in BUILT_GRAPHS.values()}
    assert set(built) == set(BUILT_GRAPHS.values())
    assert all(iri.startswith(GRAPH_BASE) for iri in counts)  # the store's own graphs are not ours, and stay out


@pytest.mark.parametrize("name", COMPARED)
def test_canned_queries_find_the_same_things_as_over_the_embedded_store(remote, project_client, name):
    """The same rows about the same resources. Literal details may differ between the two engines where
    SPARQL leaves room (a GROUP_CONCAT keeps its language tag on Oxigraph, not on Virtuoso)."""
    def rows(client):
        answer = client.get(f"/api/queries/{name}.json")
        assert answer.status_code == 200, answer.get_data(as_text=True)
        return sorted(json.dumps({k: c["value"] for k, c in r.items() if c["type"] == "uri"}, sort_keys=True)
                      for r in answer.get_json()["results"]["bindings"])

    assert rows(remote) == rows(project_client)


def test_zgckg_load_adds_a_users_graph_to_the_remote_store(published, remote, tmp_path):
    from conftest import engine_credentials

    data = tmp_path / "my-notes.ttl"
    data.write_text('<https://example.org/n1> <http://www.w3.org/2000/01/rdf-schema#label> "笔记"@zh .\n'
                    '<https://example.org/n2> <http://www.w3.org/2000/01/rdf-schema#label> "notes"@en .\n',
                    encoding="utf-8")
    done = subprocess.run([ZGCKG, "load", "--engine", published.sparql, str(data)], env=engine_credentials(published),
                          capture_output=True, text=True, timeout=120)
    assert done.returncode == 0, done.stderr
    graph = GRAPH_BASE + "user/my-notes.ttl"
    assert done.stdout.split() == [graph, "2", "triples"]
    # the server trusts the version it read for RemoteEngine.VERSION_SECONDS, then sees the load's new one
    deadline = time.monotonic() + 10
    while graph not in graph_counts(remote) and time.monotonic() < deadline:
        time.sleep(0.2)
    assert graph_counts(remote)[graph] == 2


def test_chinese_text_in_a_query_reaches_the_store_unchanged(remote):
    found = remote.get("/sparql", query_string={"query": 'SELECT ?x { ?x rdfs:label "小米"@zh }'}).get_json()
    assert [r["x"]["value"] for r in found["results"]["bindings"]] == [INSTANCES + "xiaomi"]


def test_pages_paths_and_descriptions_over_the_remote_store(remote, report):
    page = remote.get("/id/baidu-deep-learning-lab").get_data(as_text=True)
    assert "、<mark>百度深度学习技术及应用国家工程实验室</mark>等一批重大原始创新平台落地海淀" in page
    turtle = {q.triple for q in ox.parse(remote.get("/id/xiaomi.ttl").get_data(), format=ox.RdfFormat.TURTLE)}
    assert ox.Triple(ox.NamedNode(INSTANCES + "xiaomi"), ox.NamedNode("http://www.w3.org/2000/01/rdf-schema#label"),
                     ox.Literal("小米", language="zh")) in turtle
    paths = remote.get("/api/paths", query_string={"from": "zg:tsinghua-university", "to": "zg:haidian-park"}).get_json()
    assert paths["paths"]
    # the source every evidence record's selectors count in, rebuilt from the remote store and checksummed
    source = remote.get("/id/report/haidian-park/text", headers={"Accept": "text/plain"})
    assert source.status_code == 200 and source.get_data(as_text=True) == report.text
    for edge in paths["paths"][0]["edges"]:
        for quote in edge["evidence"]:
            assert report.text[quote["start"]:quote["end"]] == quote["quote"]
    assert remote.get("/ontology").status_code == 200
    assert remote.get("/source/sentence/p04s06").status_code == 200


def test_a_dump_over_the_remote_store_holds_every_quad(remote):
    index = remote.get("/dumps/index.json").get_json()
    dump = next(f for f in index["files"] if f["graph"] is None and f["format"] == "nquads")
    response = remote.get("/dumps/" + dump["name"])
    body = response.get_data()
    response.close()
    import gzip

    quads = list(ox.parse(gzip.decompress(body), format=ox.RdfFormat.N_QUADS))
    assert len(quads) == dump["triples"] == sum(graph_counts(remote).values())


def test_more_rows_than_the_stores_cap_are_refused_never_cut(remote, published):
    digits = " ".join(str(n) for n in range(10))
    query = "SELECT * { " + " ".join(f"VALUES ?{v} {{ {digits} }}" for v in "abcd") + " VALUES ?e { 1 2 } }"
    answer = remote.get("/sparql", query_string={"query": query}, headers={"Accept": "application/json"})
    assert answer.status_code == 400  # 20,000 rows: the store would send 10,000 with a 200
    assert f"{published.max_rows}" in answer.get_json()["message"]
    exact = remote.get("/sparql", query_string={"query": query.replace("VALUES ?e { 1 2 }", "") + " LIMIT 9999"})
    assert len(exact.get_json()["results"]["bindings"]) == 9999


def test_writes_through_zgckg_reach_the_store_and_change_the_version(remote):
    before = remote.get("/id/xiaomi.ttl").headers["ETag"]
    written = remote.post("/update", headers={"Authorization": f"Bearer {REMOTE_TOKEN}"}, data={
        "update": "INSERT DATA { GRAPH <https://w3id.org/zgckg/graph/user/remote> { <https://w3id.org/zgckg/id/xiaomi> "
                  "<https://w3id.org/zgckg/ontology#characterisation> 'x' } }"})
    assert written.status_code == 204, written.get_data(as_text=True)
    time.sleep(1.1)  # the engine trusts a version it read for a second
    assert remote.get("/id/xiaomi.ttl").headers["ETag"] != before
    found = remote.get("/sparql", query_string={
        "query": "ASK { GRAPH <https://w3id.org/zgckg/graph/user/remote> { zg:xiaomi zgo:characterisation 'x' } }"})
    assert found.get_json()["boolean"] is True


def test_our_graphs_are_listed_largest_first_and_named_so_that_virtuoso_reads_the_largest_first(remote_app, remote):
    engine = remote_app.extensions["zgckg"].engine
    graphs, counts = engine.graphs(), graph_counts(remote)
    built = [g for g in graphs if g in BUILT_GRAPHS.values()]
    assert set(built) == set(BUILT_GRAPHS.values())
    assert built == sorted(built, key=lambda g: -counts[g])  # the sizes the build recorded
    # Virtuoso puts each dataset parameter in front of those before it: the last named is read first
    assert [g for name, g in engine._dataset() if name == "default-graph-uri"] == list(reversed(graphs))


def test_a_staged_graph_is_never_one_of_ours(remote_app, remote, published):
    import requests

    staged = BUILT_GRAPHS["asserted"] + "~left-by-a-killed-build"
    put = requests.put(published.store, params={"graph-uri": staged}, data=b"<urn:a> <urn:b> <urn:c> .\n",
                       headers={"Content-Type": "application/n-triples"}, auth=published.auth(), timeout=30)
    assert put.status_code < 300, put.text
    try:
        written = remote.post("/update", headers={"Authorization": f"Bearer {REMOTE_TOKEN}"}, data={
            "update": "INSERT DATA { GRAPH <https://w3id.org/zgckg/graph/user/staged-test> { <urn:x> <urn:y> 1 } }"})
        assert written.status_code == 204  # a new version: the graphs are listed again
        time.sleep(1.1)  # the engine trusts a version it read for a second
        assert staged not in remote_app.extensions["zgckg"].engine.graphs()
        assert staged not in graph_counts(remote)
    finally:
        requests.delete(published.store, params={"graph-uri": staged}, auth=published.auth(), timeout=30)


def test_service_is_refused_before_anything_reaches_the_store(remote):
    answer = remote.get("/sparql", query_string={"query": "SELECT * { SERVICE <http://127.0.0.1:9/x> { ?s ?p ?o } }"},
                        headers={"Accept": "application/json"})
    assert answer.status_code == 403


def test_a_build_killed_at_any_moment_leaves_whole_graphs_served(published, remote):
    whole = graph_counts(remote)
    for after in (0.5, 1.5, 2.5, 3.5):
        process = build(published)
        time.sleep(after)
        process.send_signal(signal.SIGKILL)
        process.communicate(timeout=30)
        built = {g: n for g, n in graph_counts(remote).items() if g in BUILT_GRAPHS.values()}
        assert built == {g: n for g, n in whole.items() if g in BUILT_GRAPHS.values()}, f"killed after {after} s"
    finished = build(published)
    finished.communicate(timeout=300)
    assert finished.returncode == 0


@pytest.fixture
def separate_default(published, monkeypatch):
    """The app over the published Virtuoso with --no-union-default-graph: its updates name the default graph
    (``…/graph/default``) to the store."""
    from conftest import engine_credentials
    from zgckg.app import close_app, create_app
    from zgckg.config import Config

    for name, value in engine_credentials(published).items():
        if name.startswith("ZGCKG_ENGINE_"):
            monkeypatch.setenv(name, value)
    app = create_app(Config(engine=published.sparql, write_token=REMOTE_TOKEN, union_default_graph=False))
    yield app.test_client()
    close_app(app)


def meta_versions(client) -> list[str]:
    meta = f"{GRAPH_BASE}meta"
    rows = client.get("/sparql", query_string={"query": f"SELECT ?v {{ GRAPH <{meta}> {{ ?m zgo:version ?v }} }}",
                                               "named-graph-uri": meta}).get_json()
    return [r["v"]["value"] for r in rows["results"]["bindings"]]


@pytest.mark.parametrize("first", ["CLEAR SILENT DEFAULT", "INSERT DATA { <urn:a> <urn:b> 1 }"])
def test_every_update_gives_exactly_one_new_version(separate_default, first):
    """An update's dataset (default-graph-uri) hid the meta graph from the version's own DELETE WHERE on
    Virtuoso: the old token stayed beside the new, the version read back was either, and a cached answer of
    the old data could be served after a write."""
    client, auth = separate_default, {"Authorization": f"Bearer {REMOTE_TOKEN}"}
    ask = {"query": "ASK { <urn:a> <urn:b> 1 }"}
    for text in (first, "DELETE DATA { <urn:a> <urn:b> 1 }", "INSERT DATA { <urn:a> <urn:b> 1 }"):
        before = meta_versions(client)
        answered = client.get("/sparql", query_string=ask).get_json()["boolean"]
        written = client.post("/update", headers=auth, data={"update": text})
        assert written.status_code == 204, written.get_data(as_text=True)
        after = meta_versions(client)
        assert len(after) == 1 and after != before, (text, before, after)
        now = client.get("/sparql", query_string=ask).get_json()["boolean"]
        assert now is ("INSERT" in text or (answered and "CLEAR" not in text and "DELETE" not in text))


def test_an_update_reads_the_named_graphs_as_over_the_embedded_store(separate_default):
    client, auth = separate_default, {"Authorization": f"Bearer {REMOTE_TOKEN}"}
    graph = f"{GRAPH_BASE}user/delete-where"
    for text in (f"INSERT DATA {{ GRAPH <{graph}> {{ <urn:s> <urn:p> 1 }} }}",
                 f"DELETE WHERE {{ GRAPH <{graph}> {{ <urn:s> ?p ?o }} }}"):
        assert client.post("/update", headers=auth, data={"update": text}).status_code == 204
    # (not ASK: Virtuoso answers true for GRAPH <g> of a graph outside the dataset, see docs/virtuoso.md)
    rows = client.get("/sparql", query_string={"query": f"SELECT * {{ GRAPH <{graph}> {{ ?s ?p ?o }} }}"}).get_json()
    assert rows["results"]["bindings"] == []


def test_an_update_reads_our_graphs_only(remote):
    """Its WHERE sees what a query sees: without a dataset it read Virtuoso's own graphs too, which a
    DELETE WHERE { GRAPH ?g { … } } would have deleted."""
    auth, copy = {"Authorization": f"Bearer {REMOTE_TOKEN}"}, f"{GRAPH_BASE}user/graphs-seen"
    written = remote.post("/update", headers=auth, data={"update": (
        f"INSERT {{ GRAPH <{copy}> {{ ?g <urn:seen> 1 }} }} WHERE {{ GRAPH ?g {{ ?s ?p ?o }} }}")})
    assert written.status_code == 204, written.get_data(as_text=True)
    time.sleep(1.1)  # the engine trusts a version it read for a second
    seen = {r["g"]["value"] for r in remote.get("/sparql", query_string={
        "query": f"SELECT ?g {{ GRAPH <{copy}> {{ ?g <urn:seen> 1 }} }}"}).get_json()["results"]["bindings"]}
    remote.post("/update", headers=auth, data={"update": f"DROP SILENT GRAPH <{copy}>"})
    assert seen and all(g.startswith(GRAPH_BASE) for g in seen), seen


def test_a_write_to_the_union_default_graph_is_refused_with_what_to_do(remote):
    refused = remote.post("/update", headers={"Authorization": f"Bearer {REMOTE_TOKEN}", "Accept": "application/json"},
                          data={"update": "INSERT DATA { <urn:a> <urn:b> 1 }"})
    assert refused.status_code == 403
    assert "name one (INSERT DATA { GRAPH <" in refused.get_json()["message"]


def test_the_graph_layers_rows_are_the_answer_it_would_have_read_back(remote_app):
    """``rows`` skips writing the answer out and reading it again: the same rows either way."""
    import json as json_module

    from zgckg.kg.engine import Query
    from zgckg.kg.formats import SOLUTIONS

    engine = remote_app.extensions["zgckg"].engine
    query = Query("SELECT ?s ?p ?o WHERE { ?s ?p ?o FILTER(?p IN (zgo:periodDuration, zgo:interpreted, rdfs:label)) }",
                  SOLUTIONS[0], own=True)
    rows = engine.rows(query)
    assert rows == json_module.loads(engine.query(query).content())["results"]["bindings"]
    assert {cell.get("datatype") for row in rows for cell in row.values()} >= {
        "http://www.w3.org/2001/XMLSchema#duration", "http://www.w3.org/2001/XMLSchema#boolean"}


VIRTRDF = "http://www.openlinksw.com/schemas/virtrdf#"


@pytest.mark.parametrize("update", [
    f"WITH <{VIRTRDF}> DELETE {{ ?s ?p ?o }} WHERE {{ ?s a <{VIRTRDF}QuadMap> ; ?p ?o }}",
    "BASE <http://www.openlinksw.com/schemas/> CLEAR GRAPH <virtrdf#>",  # named relative to a BASE
    f"DELETE {{ GRAPH <{VIRTRDF}> {{ ?s ?p ?o }} }} USING NAMED <{VIRTRDF}> WHERE {{ GRAPH ?g {{ ?s ?p ?o }} }}",
])
def test_the_stores_own_graphs_are_never_written(remote, published, update):
    """Named outright, Virtuoso's own graphs were within reach of a writer: WITH <…virtrdf#> DELETE deleted
    its quad maps."""
    import requests

    def own() -> int:
        count = f"SELECT (COUNT(*) AS ?n) {{ GRAPH <{VIRTRDF}> {{ ?s ?p ?o }} }}"
        answer = requests.post(published.sparql, data={"query": count}, timeout=30,
                               headers={"Accept": "application/sparql-results+json"})
        return int(answer.json()["results"]["bindings"][0]["n"]["value"])

    before = own()
    auth = {"Authorization": f"Bearer {REMOTE_TOKEN}", "Accept": "application/json"}
    refused = remote.post("/update", headers=auth, data={"update": update})
    assert refused.status_code == 403 and "own graphs" in refused.get_json()["message"]
    put = remote.put("/store", query_string={"graph": VIRTRDF}, data=b"<urn:a> <urn:b> <urn:c> .",
                     headers={**auth, "Content-Type": "application/n-triples"})
    assert put.status_code == 403
    assert own() == before > 0
