"""What ``zgckg query`` prints: results asked of an engine in a standard format, or a terminal table."""

import json
import socket

import pyoxigraph as ox
import pytest

from conftest import SparqlEndpoint, remote_network
from zgckg.config import Config
from zgckg.errors import ForbiddenOperation, QuerySyntaxError
from zgckg.kg.engine.inprocess import InProcessEngine
from zgckg.kg.results import FormatMismatch, cell, display_width, json_term, render_table, run_query
from zgckg.kg.store import StoreDir

EX = "http://example.org/"
ZG = "https://w3id.org/zgckg/id/"


@pytest.fixture(scope="module")
def store_dir(tmp_path_factory) -> StoreDir:
    def fill(store: ox.Store) -> None:
        graph = ox.NamedNode("https://w3id.org/zgckg/graph/asserted")
        label = ox.NamedNode("http://www.w3.org/2000/01/rdf-schema#label")
        for slug, name in [("haidian-park", "海淀园"), ("baidu", "百度"), ("xiaomi", "Xiaomi")]:
            store.add(ox.Quad(ox.NamedNode(ZG + slug), label, ox.Literal(name, language="zh"), graph))

    store_dir = StoreDir(tmp_path_factory.mktemp("results") / "store")
    store_dir.write(fill, copy_current=False)
    return store_dir


def engine_over(store_dir: StoreDir, network=None, **settings) -> InProcessEngine:
    extra = {"network": network} if network else {}
    return InProcessEngine(Config(store=store_dir.root, **settings), store_dir, **extra)


@pytest.fixture(scope="module")
def store(store_dir):
    """The engine ``zgckg query`` uses, with the default configuration (union default graph)."""
    engine = engine_over(store_dir)
    yield engine
    engine.close()


LABELS = "SELECT ?x ?l WHERE { ?x <http://www.w3.org/2000/01/rdf-schema#label> ?l } ORDER BY ?l"
"""Ordered by code point: Xiaomi, 海淀园 (U+6D77), 百度 (U+767E)."""


def output(engine, query: str, fmt: str) -> bytes:
    return run_query(engine, query, fmt)


def table(engine, query: str) -> str:
    return run_query(engine, query).decode("utf-8")


def boolean(engine, query: str) -> bool:
    return json.loads(run_query(engine, query, "json"))["boolean"]


def rows(engine, query: str) -> list[dict]:
    return json.loads(run_query(engine, query, "json"))["results"]["bindings"]


@pytest.mark.parametrize(
    "text, width",
    [("abc", 3), ("海淀园", 6), ("海淀 Park", 9), ("", 0), ("e\u0301", 1)],
    ids=["ascii", "chinese", "mixed", "empty", "combining-accent"],
)
def test_display_width_counts_terminal_columns(text, width):
    assert display_width(text) == width


def test_table_columns_line_up_with_chinese_text():
    rendered = render_table(["name", "n"], [["海淀园", "1"], ["Xiaomi", "22"], ["中关村科技园区", "3"]])
    lines = rendered.splitlines()
    # the second column starts at the same terminal column on every line, however wide the first column's text
    starts = [display_width(line[: line.rindex(" ") + 1]) for line in lines[:1] + lines[2:5]]
    assert starts == [16, 16, 16, 16]
    assert lines[-1] == "(3 rows)"


def test_table_of_a_select_shortens_iris_and_keeps_language_tags(store):
    rendered = table(store, LABELS)
    assert rendered.splitlines()[2].split() == ["zg:xiaomi", "Xiaomi@zh"]
    assert "zg:haidian-park" in rendered and "海淀园@zh" in rendered


TERMS = [
    (None, ""),
    (ox.NamedNode(ZG + "baidu"), "zg:baidu"),
    (ox.NamedNode(EX + "thing"), f"<{EX}thing>"),
    (ox.Literal("7578", datatype=ox.NamedNode("http://www.w3.org/2001/XMLSchema#integer")), "7578"),
    (ox.Literal("一\n二\t三"), "一↵二 三"),
    (ox.BlankNode("b1"), "_:b1"),
]


@pytest.mark.parametrize("term, text", TERMS, ids=["unbound", "prefixed", "unprefixed", "number", "newline-tab", "bnode"])
def test_cells(term, text):
    assert cell(None if term is None else json_term(term)) == text


def test_a_cell_of_a_json_literal_keeps_its_language_tag():
    assert cell({"type": "literal", "value": "海淀园", "xml:lang": "zh"}) == "海淀园@zh"


def test_ask_table_is_the_answer(store):
    assert table(store, "ASK { ?s ?p ?o }") == "true\n"


def test_construct_table_has_subject_predicate_object(store):
    rendered = table(store, f"CONSTRUCT {{ ?s ?p ?o }} WHERE {{ BIND(<{ZG}baidu> AS ?s) ?s ?p ?o }}")
    assert rendered.splitlines()[0].split() == ["subject", "predicate", "object"]
    assert rendered.splitlines()[2].split() == ["zg:baidu", "rdfs:label", "百度@zh"]
    assert rendered.splitlines()[-1] == "(1 row)"


def test_csv_is_the_w3c_format_with_crlf_and_bare_values(store):
    assert output(store, LABELS, "csv") == (
        "x,l\r\n"
        f"{ZG}xiaomi,Xiaomi\r\n"
        f"{ZG}haidian-park,海淀园\r\n"
        f"{ZG}baidu,百度\r\n"
    ).encode("utf-8")


def test_tsv_keeps_terms_in_their_rdf_syntax(store):
    assert output(store, LABELS, "tsv").decode("utf-8").splitlines() == [
        "?x\t?l",
        f'<{ZG}xiaomi>\t"Xiaomi"@zh',
        f'<{ZG}haidian-park>\t"海淀园"@zh',
        f'<{ZG}baidu>\t"百度"@zh',
    ]


def test_json_is_sparql_results_json(store):
    parsed = json.loads(output(store, LABELS, "json"))
    assert parsed["head"]["vars"] == ["x", "l"]
    assert parsed["results"]["bindings"][2]["l"] == {"type": "literal", "value": "百度", "xml:lang": "zh"}


def test_turtle_of_a_construct_uses_the_project_prefixes(store):
    text = output(store, "CONSTRUCT { ?s ?p ?o } WHERE { ?s ?p ?o }", "ttl").decode("utf-8")
    assert "@prefix zg: <https://w3id.org/zgckg/id/> ." in text
    assert 'zg:baidu rdfs:label "百度"@zh' in text


@pytest.mark.parametrize("fmt, prefixed", [("ttl", True), ("trig", True), ("n3", True), ("xml", True),
                                            ("nt", False), ("nq", False), ("jsonld", False)])
def test_every_rdf_format_of_a_construct_has_the_project_prefixes_if_its_syntax_has_prefixes(store, fmt, prefixed):
    text = output(store, f"CONSTRUCT {{ <{ZG}baidu> ?p ?o }} WHERE {{ <{ZG}baidu> ?p ?o }}", fmt).decode()
    declared = f"<{ZG}>" in text or f'"{ZG}"' in text  # @prefix zg: <…> or xmlns:zg="…"
    assert "百度" in text and declared == prefixed


def test_ntriples_of_a_construct(store):
    text = output(store, f"CONSTRUCT {{ <{ZG}baidu> ?p ?o }} WHERE {{ <{ZG}baidu> ?p ?o }}", "nt")
    assert text.decode("utf-8") == f'<{ZG}baidu> <http://www.w3.org/2000/01/rdf-schema#label> "百度"@zh .\n'


@pytest.mark.parametrize(
    "query, fmt",
    [(LABELS, "ttl"), ("ASK {}", "nt"), ("CONSTRUCT { ?s ?p ?o } WHERE { ?s ?p ?o }", "csv")],
    ids=["select-as-turtle", "ask-as-ntriples", "construct-as-csv"],
)
def test_a_format_that_does_not_fit_the_query_is_refused(store, query, fmt):
    with pytest.raises(FormatMismatch):
        output(store, query, fmt)


def test_default_graph_is_the_union_unless_asked_otherwise(store, store_dir):
    assert boolean(store, "ASK { ?s ?p ?o }")
    without_union = engine_over(store_dir, union_default_graph=False)
    try:
        assert not boolean(without_union, "ASK { ?s ?p ?o }")
    finally:
        without_union.close()


def test_from_chooses_the_default_graph_even_when_union_is_on(store):
    assert not boolean(store, "ASK FROM <http://example.org/nothing> { ?s ?p ?o }")
    assert boolean(store, "ASK FROM <https://w3id.org/zgckg/graph/asserted> { ?s ?p ?o }")


def test_syntax_error_carries_line_and_column(store):
    with pytest.raises(QuerySyntaxError) as caught:
        run_query(store, "SELECT ?x\nWHERE { ?x ?y }")
    assert caught.value.line == 2 and caught.value.column > 1
    assert "2:" in str(caught.value)


def test_shared_prefixes_are_predeclared_and_a_query_may_redeclare_them(store):
    assert boolean(store, "ASK { zg:baidu rdfs:label ?l }")
    assert not boolean(store, "PREFIX zg: <http://example.org/other/> ASK { zg:baidu rdfs:label ?l }")


# --- SERVICE from the command line: the endpoint's guard and federation, not pyoxigraph's client ---------


@pytest.fixture
def listener():
    """A loopback port that would accept a connection, to show that none is made."""
    sock = socket.socket()
    sock.bind(("127.0.0.1", 0))
    sock.listen(1)
    sock.settimeout(0.3)
    yield sock
    sock.close()


def connected(sock: socket.socket) -> bool:
    try:
        sock.accept()[0].close()
        return True
    except TimeoutError:
        return False


@pytest.mark.parametrize("allow", [(), ("127.0.0.1",)], ids=["not-allowed", "allowed-but-loopback"])
def test_service_to_a_loopback_port_is_refused_without_a_connection(store_dir, listener, allow):
    port = listener.getsockname()[1]
    engine = engine_over(store_dir, service_allowlist=allow)
    try:
        with pytest.raises(ForbiddenOperation, match="refused"):
            run_query(engine, f"SELECT * WHERE {{ SERVICE <http://127.0.0.1:{port}/> {{ ?s ?p ?o }} }}")
    finally:
        engine.close()
    assert not connected(listener)


def test_a_refused_silent_service_is_one_empty_solution(store, listener):
    port = listener.getsockname()[1]
    found = rows(store, f"SELECT * WHERE {{ SERVICE SILENT <http://127.0.0.1:{port}/> {{ ?s ?p ?o }} }}")
    assert len(found) == 1 and not connected(listener)


def test_an_allowed_service_is_asked_with_the_predeclared_prefixes_and_joined(store_dir):
    remote = SparqlEndpoint(f'<{ZG}baidu> <http://www.w3.org/2000/01/rdf-schema#label> "Baidu"@en .')
    engine = engine_over(store_dir, service_allowlist=("remote.example",),
                         network=remote_network(("remote.example", remote.port)))
    try:
        query = ("SELECT ?zh ?en WHERE { zg:baidu rdfs:label ?zh "
                 "SERVICE <http://remote.example/sparql> { zg:baidu rdfs:label ?en } }")
        found = [(row["zh"]["value"], row["en"]["value"]) for row in rows(engine, query)]
    finally:
        engine.close()
        remote.close()
    assert found == [("百度", "Baidu")]
    assert "PREFIX rdfs: <http://www.w3.org/2000/01/rdf-schema#>" in remote.requests[0]["form"]["query"]
