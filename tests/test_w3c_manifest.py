"""The W3C conformance runner's own logic: manifest reading and result comparison, on tiny hand-made cases."""

import sys
from pathlib import Path

import pytest

sys.path.insert(0, str(Path(__file__).resolve().parents[1] / "scripts"))

from w3c_manifest import SUITE_BASE, GraphFile, Suite, is_ordered, loads_from_network  # noqa: E402
from w3c_results import (  # noqa: E402
    XSD,
    BNode,
    Boolean,
    Iri,
    Solutions,
    by_value,
    compare_datasets,
    compare_results,
    literal,
    parse_csv,
    parse_json,
    parse_tsv,
    parse_tsv_term,
    parse_xml,
)

A, B = Iri("http://ex/a"), Iri("http://ex/b")


def sols(*rows, variables=("x", "y")):
    return Solutions(tuple(variables), [dict(r) for r in rows])


# --- result sets ------------------------------------------------------------------------------------

COMPARISONS = {
    "renamed blank nodes are equal": (
        sols({"x": BNode("e1"), "y": A}, {"x": BNode("e2"), "y": B}),
        sols({"x": BNode("z9"), "y": B}, {"x": BNode("z8"), "y": A}),
        True,
    ),
    "one blank node twice is not two blank nodes": (
        sols({"x": BNode("e1"), "y": A}, {"x": BNode("e1"), "y": B}),
        sols({"x": BNode("z1"), "y": A}, {"x": BNode("z2"), "y": B}),
        False,
    ),
    "duplicates count": (
        sols({"x": A}, {"x": A}, {"x": B}),
        sols({"x": A}, {"x": B}, {"x": B}),
        False,
    ),
    "unbound is not bound": (sols({"x": A}), sols({"x": A, "y": B}), False),
    "variables must agree": (sols({"x": A}), sols({"x": A}, variables=("x",)), False),
    "row order is free without ORDER BY": (sols({"x": A}, {"x": B}), sols({"x": B}, {"x": A}), True),
    "booleans": (Boolean(True), Boolean(False), False),
    "a boolean is not a result set": (Boolean(True), sols(), False),
}


@pytest.mark.parametrize("expected, actual, equal", COMPARISONS.values(), ids=COMPARISONS.keys())
def test_compare_results(expected, actual, equal):
    assert (compare_results(expected, actual, ordered=False) is None) is equal


def test_ordered_comparison_checks_the_sequence():
    expected = sols({"x": A}, {"x": B})
    assert compare_results(expected, sols({"x": A}, {"x": B}), ordered=True) is None
    assert "different order" in compare_results(expected, sols({"x": B}, {"x": A}), ordered=True)


def test_ordered_comparison_maps_blank_nodes_by_position():
    expected = sols({"x": BNode("p"), "y": A}, {"x": BNode("q"), "y": A}, {"x": BNode("p"), "y": B})
    same = sols({"x": BNode("1"), "y": A}, {"x": BNode("2"), "y": A}, {"x": BNode("1"), "y": B})
    moved = sols({"x": BNode("1"), "y": A}, {"x": BNode("2"), "y": A}, {"x": BNode("2"), "y": B})
    assert compare_results(expected, same, ordered=True) is None
    assert compare_results(expected, moved, ordered=True) is not None


def test_difference_names_missing_and_unexpected_rows():
    message = compare_results(sols({"x": A}), sols({"x": B}), ordered=False)
    assert "missing: ?x=<http://ex/a>" in message and "unexpected: ?x=<http://ex/b>" in message


VALUES = {
    "decimal trailing zero": (literal("2.0", XSD + "decimal"), literal("2", XSD + "decimal"), True),
    "integer leading zero": (literal("01", XSD + "integer"), literal("1", XSD + "integer"), True),
    "double exponent": (literal("3.0E4", XSD + "double"), literal("30000", XSD + "double"), True),
    "float single precision": (literal("1.1", XSD + "float"), literal("1.10000002", XSD + "float"), True),
    "boolean digits": (literal("0", XSD + "boolean"), literal("false", XSD + "boolean"), True),
    "different datatypes stay apart": (literal("1", XSD + "integer"), literal("1", XSD + "decimal"), False),
    "strings never by value": (literal("1.0"), literal("1"), False),
    "ill-typed stays lexical": (literal("x1", XSD + "integer"), literal("1", XSD + "integer"), False),
}


@pytest.mark.parametrize("left, right, equal", VALUES.values(), ids=VALUES.keys())
def test_numbers_and_booleans_compare_by_value(left, right, equal):
    assert (by_value(left) == by_value(right)) is equal
    strict = compare_results(sols({"x": left}), sols({"x": right}), ordered=False, values=False)
    assert strict is not None  # every pair here differs lexically


def test_datasets_match_blank_nodes_across_graphs():
    g = Iri("http://ex/g")
    expected = [(None, BNode("b"), A, B), (g, BNode("b"), A, A)]
    shared = [(None, BNode("x"), A, B), (g, BNode("x"), A, A)]
    split = [(None, BNode("x"), A, B), (g, BNode("y"), A, A)]
    assert compare_datasets(expected, shared) is None
    assert compare_datasets(expected, split) is not None


# --- result formats ---------------------------------------------------------------------------------

XML = """<?xml version="1.0"?>
<sparql xmlns="http://www.w3.org/2005/sparql-results#">
  <head><variable name="x"/><variable name="y"/></head>
  <results>
    <result><binding name="x"><uri>http://ex/a</uri></binding>
            <binding name="y"><literal xml:lang="EN">hi</literal></binding></result>
    <result><binding name="x"><bnode>r1</bnode></binding>
            <binding name="y"><literal datatype="http://www.w3.org/2001/XMLSchema#integer">7</literal></binding></result>
    <result><binding name="y"><literal></literal></binding></result>
  </results>
</sparql>"""
JSON = """{"head": {"vars": ["x", "y"]}, "results": {"bindings": [
  {"x": {"type": "uri", "value": "http://ex/a"}, "y": {"type": "literal", "value": "hi", "xml:lang": "en"}},
  {"x": {"type": "bnode", "value": "q"}, "y": {"type": "typed-literal", "value": "7",
        "datatype": "http://www.w3.org/2001/XMLSchema#integer"}},
  {"y": {"type": "literal", "value": ""}}]}}"""
TSV = '?x\t?y\n<http://ex/a>\t"hi"@en\n_:z\t7\n\t""\n'


@pytest.mark.parametrize("parse, text", [(parse_xml, XML), (parse_json, JSON), (parse_tsv, TSV)], ids=["xml", "json", "tsv"])
def test_formats_read_the_same_solutions(parse, text):
    expected = sols(
        {"x": A, "y": literal("hi", language="en")},
        {"x": BNode("b"), "y": literal("7", XSD + "integer")},
        {"y": literal("")},
    )
    assert compare_results(expected, parse(text), ordered=True) is None


def test_csv_keeps_strings_and_blank_nodes():
    result = parse_csv('x,y\r\nhttp://ex/a,"a,b"\r\n_:n,\r\n')
    assert result.variables == ("x", "y")
    assert result.rows == [{"x": literal("http://ex/a"), "y": literal("a,b")}, {"x": BNode("n")}]


def test_json_boolean():
    assert parse_json('{"head": {}, "boolean": true}') == Boolean(True)


TSV_TERMS = {
    "iri": ("<http://ex/a>", A),
    "blank node": ("_:b1", BNode("b1")),
    "escaped string": (r'"a\tb\"c\u00e9"', literal('a\tb"cé')),
    "language": ('"chat"@fr', literal("chat", language="fr")),
    "datatype": ('"5,5"^^<http://ex/dt>', literal("5,5", "http://ex/dt")),
    "bare integer": ("-3", literal("-3", XSD + "integer")),
    "bare decimal": ("2.2", literal("2.2", XSD + "decimal")),
    "bare double": ("1.0e6", literal("1.0e6", XSD + "double")),
    "bare boolean": ("true", literal("true", XSD + "boolean")),
}


@pytest.mark.parametrize("cell, term", TSV_TERMS.values(), ids=TSV_TERMS.keys())
def test_tsv_terms(cell, term):
    assert parse_tsv_term(cell) == term


# --- manifests --------------------------------------------------------------------------------------

ORDERED = {
    "outer ORDER BY": ("SELECT * { ?s ?p ?o } ORDER BY ?s", True),
    "ORDER BY only in a subquery": ("SELECT * { { SELECT ?s { ?s ?p ?o } ORDER BY ?s LIMIT 1 } }", False),
    "ORDER BY before VALUES": ("SELECT * { ?s ?p ?o } ORDER BY ?o VALUES ?s { <a> }", True),
    "ORDER BY in a comment": ("SELECT * { ?s ?p ?o } # ORDER BY ?s", False),
}


@pytest.mark.parametrize("query, ordered", ORDERED.values(), ids=ORDERED.keys())
def test_is_ordered(query, ordered):
    assert is_ordered(query) is ordered


NETWORK = {
    "http": ("LOAD <http://example.org/faraway>", True),
    "relative resolves against http": ("CREATE GRAPH <g> ; LOAD <remote> INTO GRAPH <g>", True),
    "other scheme": ("LOAD SILENT <somescheme://x/> INTO GRAPH <http://ex/>", False),
    "no LOAD": ("INSERT DATA { <a> <b> <c> }", False),
}


@pytest.mark.parametrize("update, network", NETWORK.values(), ids=NETWORK.keys())
def test_loads_from_network(update, network):
    assert loads_from_network(update) is network


MANIFEST_ALL = """@prefix mf: <http://www.w3.org/2001/sw/DataAccess/tests/test-manifest#> .
<> a mf:Manifest ; mf:include ( <basic/manifest.ttl> <entailment/manifest.ttl> ) ."""
BASIC = """@prefix : <http://www.w3.org/2009/sparql/docs/tests/data-sparql11/basic/manifest#> .
@prefix rdfs: <http://www.w3.org/2000/01/rdf-schema#> .
@prefix mf: <http://www.w3.org/2001/sw/DataAccess/tests/test-manifest#> .
@prefix qt: <http://www.w3.org/2001/sw/DataAccess/tests/test-query#> .
@prefix ut: <http://www.w3.org/2009/sparql/tests/test-update#> .
<> a mf:Manifest ; mf:entries ( :q1 :u1 :s1 ) .
:q1 a mf:QueryEvaluationTest ; mf:name "query one" ;
    mf:action [ qt:query <q1.rq> ; qt:data <d.ttl> ; qt:graphData <g.ttl> ] ; mf:result <q1.srx> .
:u1 a mf:UpdateEvaluationTest ; mf:name "update one" ;
    mf:action [ ut:request <u1.ru> ; ut:graphData [ ut:graph <g.ttl> ; rdfs:label "http://ex/g1" ] ] ;
    mf:result [ ut:data <d.ttl> ] .
:s1 a mf:NegativeSyntaxTest11 ; mf:name "bad" ; mf:action <bad.rq> ."""
ENTAILMENT = """@prefix : <http://www.w3.org/2009/sparql/docs/tests/data-sparql11/entailment/manifest#> .
@prefix mf: <http://www.w3.org/2001/sw/DataAccess/tests/test-manifest#> .
@prefix qt: <http://www.w3.org/2001/sw/DataAccess/tests/test-query#> .
<> a mf:Manifest ; mf:entries ( :e1 ) .
:e1 a mf:QueryEvaluationTest ; mf:name "rdfs" ; mf:action [ qt:query <e1.rq> ] ; mf:result <e1.srx> ."""


@pytest.fixture
def suite(tmp_path):
    (tmp_path / "manifest-all.ttl").write_text(MANIFEST_ALL)
    for folder, text in (("basic", BASIC), ("entailment", ENTAILMENT)):
        (tmp_path / folder).mkdir()
        (tmp_path / folder / "manifest.ttl").write_text(text)
    (tmp_path / "basic" / "u1.ru").write_text("INSERT DATA { <a> <b> <c> }")
    return Suite(tmp_path)


def test_manifest_tests_in_order_with_data_and_graph_names(suite):
    tests = suite.tests()
    assert [t.label for t in tests] == ["basic/q1", "basic/u1", "basic/s1", "entailment/e1"]
    query, update, syntax, entailment = tests
    base = SUITE_BASE + "basic/"
    assert query.request == base + "q1.rq" and query.result == base + "q1.srx"
    assert query.data == [GraphFile(base + "d.ttl", None), GraphFile(base + "g.ttl", base + "g.ttl")]
    assert update.data == [GraphFile(base + "g.ttl", "http://ex/g1")]
    assert update.expected_data == [GraphFile(base + "d.ttl", None)]
    assert syntax.kind == "negative-syntax" and syntax.request == base + "bad.rq"
    assert [t.skip is None for t in tests] == [True, True, True, False]
    assert "entailment" in entailment.skip


def test_syntax_tests_can_be_left_out(suite):
    skipped = {t.label: t.skip for t in suite.tests(syntax=False)}
    assert skipped["basic/s1"] and skipped["basic/q1"] is None


def test_suite_maps_iris_back_to_files(suite):
    assert suite.path(SUITE_BASE + "basic/u1.ru").read_text().startswith("INSERT")
    with pytest.raises(ValueError):
        suite.path("http://elsewhere/u1.ru")
