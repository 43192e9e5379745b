"""The two engines: the served one (worker processes) and the one in this process (the command line) answer
the same request with the same bytes; bindings, dataset reads, and an update seen by the next query."""

import json

import pytest
from conftest import build_web_store

from zgckg.config import Config
from zgckg.errors import GraphNotFound, QueryFailed, QuerySyntaxError
from zgckg.kg.engine import GraphWrite, Query
from zgckg.kg.engine.inprocess import InProcessEngine
from zgckg.kg.engine.local import LocalEngine
from zgckg.kg.formats import GRAPHS, SOLUTIONS, by_short

EX = "http://example.org/"
ASSERTED = "https://w3id.org/zgckg/graph/asserted"
INFERRED = "https://w3id.org/zgckg/graph/inferred"
SOLUTION_FORMATS = by_short(SOLUTIONS)
GRAPH_FORMATS = by_short(GRAPHS)

TRIPLES = "SELECT ?s ?p ?o WHERE { ?s ?p ?o } ORDER BY ?s ?p ?o"
CONSTRUCT = "CONSTRUCT { ?s ?p ?o } WHERE { ?s ?p ?o }"


@pytest.fixture(scope="module")
def engines(tmp_path_factory):
    """Both engines over one store directory (read-only: the local engine has no writer), both reading it
    from disk: a copy in memory lists quads in another order, which changes the bytes, not the answer."""
    store_dir = build_web_store(tmp_path_factory.mktemp("engines") / "store")
    config = Config(store=store_dir.root, workers=1, timeout=20.0, reader_memory_bytes=0)
    local = LocalEngine(config, store_dir)
    inprocess = InProcessEngine(config, store_dir)
    yield local, inprocess
    local.close()
    inprocess.close()


def both(engines, ask):
    """What each engine answers, as bytes."""
    return [ask(engine).content() for engine in engines]


@pytest.mark.parametrize("fmt", list(SOLUTION_FORMATS))
def test_a_select_gives_the_same_bytes_from_both_engines(engines, fmt):
    local, inprocess = both(engines, lambda e: e.query(Query(TRIPLES, SOLUTION_FORMATS[fmt])))
    assert local == inprocess and b"example.org" in local


@pytest.mark.parametrize("query", ["ASK { ex:park a ex:Park }", "ASK FROM <http://example.org/none> { ?s ?p ?o }"])
def test_an_ask_with_the_projects_prefixes_gives_the_same_bytes(engines, query):
    text = f"PREFIX ex: <{EX}>\n{query}"
    local, inprocess = both(engines, lambda e: e.query(Query(text, SOLUTION_FORMATS["json"])))
    assert local == inprocess


@pytest.mark.parametrize("fmt", ["ttl", "nt", "nq", "xml"])
def test_a_construct_gives_the_same_bytes_from_both_engines(engines, fmt):
    local, inprocess = both(engines, lambda e: e.query(Query(CONSTRUCT, graph_format=GRAPH_FORMATS[fmt])))
    assert local == inprocess and local


def test_bindings_are_data_and_give_the_same_rows_from_both_engines(engines):
    query = Query("SELECT ?s ?o WHERE { ?s rdfs:label ?o } ORDER BY ?o", SOLUTION_FORMATS["json"],
                  bindings={"s": f"<{EX}lab>"})
    local, inprocess = both(engines, lambda e: e.query(query))
    assert local == inprocess
    rows = json.loads(local)["results"]["bindings"]
    assert [(r["s"]["value"], r["o"]["value"]) for r in rows] == [(EX + "lab", "示例实验室")]


def test_a_literal_binding_in_sparql_syntax(engines):
    query = Query("SELECT ?s ?l WHERE { ?s rdfs:label ?l }", SOLUTION_FORMATS["json"],
                  bindings={"l": '"Example park"@en'})
    local, inprocess = both(engines, lambda e: e.query(query))
    assert local == inprocess
    assert [r["s"]["value"] for r in json.loads(local)["results"]["bindings"]] == [EX + "park"]


def test_both_engines_refuse_a_syntax_error_alike(engines):
    errors = []
    for engine in engines:
        with pytest.raises(QuerySyntaxError) as caught:
            engine.query(Query("SELECT ?x WHERE { ?x ?y }", SOLUTION_FORMATS["json"]))
        errors.append(str(caught.value))
    assert errors[0] == errors[1]


@pytest.mark.parametrize("fmt", ["nq", "trig", "nt", "ttl"])
def test_a_dataset_read_gives_the_same_bytes_from_both_engines(engines, fmt):
    local, inprocess = both(engines, lambda e: e.read_dataset(GRAPH_FORMATS[fmt], timeout=20))
    assert local == inprocess


def test_a_dataset_read_keeps_graph_names_in_quads_and_merges_triples_otherwise(engines):
    _, inprocess = engines
    quads = inprocess.read_dataset(GRAPH_FORMATS["nq"], timeout=20).content().decode()
    assert f"<{ASSERTED}> ." in quads and f"<{INFERRED}> ." in quads
    triples = inprocess.read_dataset(GRAPH_FORMATS["nt"], timeout=20)
    lines = triples.content().decode().splitlines()
    assert len(lines) == len(set(lines)) == triples.rows
    one = inprocess.read_dataset(GRAPH_FORMATS["nq"], graph=INFERRED, timeout=20).content().decode().splitlines()
    assert len(one) == 2 and all(line.endswith(f"<{INFERRED}> .") for line in one)


def test_a_graph_read_gives_the_same_bytes_and_a_missing_graph_is_not_found(engines):
    local, inprocess = both(engines, lambda e: e.read_graph(ASSERTED, GRAPH_FORMATS["ttl"], timeout=20))
    assert local == inprocess and "示例园区" in local.decode()
    for engine in engines:
        with pytest.raises(GraphNotFound):
            engine.read_graph(EX + "no-such-graph", GRAPH_FORMATS["nt"], timeout=20)


def test_graph_sizes_agree(engines):
    local, inprocess = (engine.graph_sizes() for engine in engines)
    assert local == inprocess == [(ASSERTED, 13), (INFERRED, 2)]


def test_an_update_then_a_query_sees_it_in_process(tmp_path):
    store_dir = build_web_store(tmp_path / "store")
    engine = InProcessEngine(Config(store=store_dir.root), store_dir)
    try:
        before = engine.version()
        ask = Query(f"ASK {{ GRAPH <{EX}mine> {{ <{EX}me> rdfs:label \"我\"@zh }} }}", SOLUTION_FORMATS["json"])
        assert json.loads(engine.query(ask).content())["boolean"] is False
        label = "<http://www.w3.org/2000/01/rdf-schema#label>"  # an update has no predeclared prefixes
        written = engine.update(f'INSERT DATA {{ GRAPH <{EX}mine> {{ <{EX}me> {label} "我"@zh }} }}')
        assert written.version == engine.version() != before
        assert json.loads(engine.query(ask).content())["boolean"] is True
        engine.write_graph(GraphWrite("PUT", EX + "mine", f'<{EX}you> <{EX}p> "你" .'.encode(), GRAPH_FORMATS["nt"]),
                           timeout=20)
        assert json.loads(engine.query(ask).content())["boolean"] is False
        assert (EX + "mine", 1) in engine.graph_sizes()
    finally:
        engine.close()


def test_a_binding_of_a_variable_the_query_does_not_project_is_the_clients_error(tmp_path):
    store_dir = build_web_store(tmp_path / "store")
    engine = InProcessEngine(Config(store=store_dir.root), store_dir)
    try:
        with pytest.raises(QueryFailed, match=r"\?s: a bound variable must be in its SELECT projection"):
            engine.query(Query("SELECT ?o WHERE { ?s ?p ?o }", SOLUTIONS[0], bindings={"s": "<http://x.example/a>"}))
    finally:
        engine.close()
