"""SERVICE answered by the server itself: asking a real endpoint, writing VALUES back where the clause stood.

Where each SERVICE and its group are is the parser's business (tests/test_sparql_parser.py)."""

import gc
import socket

import pyoxigraph as ox
import pytest

from conftest import SparqlEndpoint, remote_network
from zgckg.errors import ForbiddenOperation
from zgckg.kg import federation, outbound
from zgckg.kg.sparql import parse_query

EX = "http://example.org/"
REMOTE = "http://remote.example/sparql"

REMOTE_DATA = """
@prefix ex: <http://example.org/> .
ex:park ex:name "示例园区"@zh , "Example park"@en ;
    ex:note "say \\"hi\\"\\nsecond line\\\\ and a } brace" , "7578"^^<http://www.w3.org/2001/XMLSchema#integer> .
ex:lab ex:name "Lab" ; ex:age 3 .
ex:other ex:name "Other" .
"""

LOCAL_DATA = """
@prefix ex: <http://example.org/> .
ex:park a ex:Park .
ex:lab a ex:Platform .
ex:lonely a ex:Park .
"""


@pytest.fixture(scope="module")
def endpoint():
    served = SparqlEndpoint(REMOTE_DATA)
    yield served
    served.close()


@pytest.fixture(autouse=True)
def fresh_endpoint(endpoint):
    endpoint.requests.clear()
    endpoint.reply = None
    endpoint.results_format = "JSON"
    yield
    # pyoxigraph's results must be dropped on the thread that made them; a failure's traceback can hold
    # some in a reference cycle, which a collection triggered on a stand-in server's thread would drop there
    gc.collect()


@pytest.fixture
def silent_port():
    """A loopback port that accepts connections (the kernel completes them) and never says a word."""
    sock = socket.socket()
    sock.bind(("127.0.0.1", 0))
    sock.listen(8)
    yield sock.getsockname()[1]
    sock.close()


def policy(endpoint, *, silent_port=None, read_timeout=5.0, max_rows=1000, allow=("remote.example",), also=()):
    """remote.example stands for the endpoint, silent.example for a port that never answers; ``also``: more
    allowed names, each standing for the endpoint too."""
    stand_ins = [("remote.example", endpoint.port)] + ([("silent.example", silent_port)] if silent_port else [])
    stand_ins += [(name, endpoint.port) for name in also]
    return federation.Outbound(
        allowlist=allow + (("silent.example",) if silent_port else ()) + tuple(also),
        limits=outbound.Limits(connect_timeout=2.0, read_timeout=read_timeout),
        max_rows=max_rows, network=remote_network(*stand_ins))


def inline(query: str, out: federation.Outbound) -> str:
    """The query read by the parser (with the policy's predeclared prefixes), then its SERVICE clauses answered."""
    return federation.inline_services(parse_query(query, prefixes=dict(out.prefixes)), out)


def local_store() -> ox.Store:
    store = ox.Store()
    store.load(LOCAL_DATA.encode(), ox.RdfFormat.TURTLE)
    return store


def run(query: str, out: federation.Outbound) -> list[dict]:
    """Rewrite, then evaluate on the local store: each row as {variable name: N-Triples term}."""
    results = local_store().query(inline(query, out))
    return [{v.value: str(row[v]) for v in results.variables if row[v] is not None} for row in results]


def sorted_rows(rows: list[dict]) -> list[dict]:
    return sorted(rows, key=lambda r: sorted(r.items()))


# --- VALUES blocks ----------------------------------------------------------------------------------

XSD = "http://www.w3.org/2001/XMLSchema#"
TERMS = [
    ox.NamedNode("http://example.org/a?b=c#d"),
    ox.NamedNode("http://例子.example/路径"),
    ox.Literal("plain"),
    ox.Literal('quote " backslash \\ newline \n tab \t cr \r'),
    ox.Literal("} ) UNDEF ."),
    ox.Literal("文字", language="zh"),
    ox.Literal("colour", language="en-GB"),
    ox.Literal("مرحبا", language="ar", direction=ox.BaseDirection.RTL),
    ox.Literal("7578", datatype=ox.NamedNode(XSD + "integer")),
    ox.Literal("47.4", datatype=ox.NamedNode(XSD + "decimal")),
    ox.Literal("NaN", datatype=ox.NamedNode(XSD + "double")),
    ox.Literal("2016", datatype=ox.NamedNode(XSD + "gYear")),
    ox.Literal("x", datatype=ox.NamedNode("http://example.org/my-type")),
    ox.Triple(ox.NamedNode(EX + "s"), ox.NamedNode(EX + "p"), ox.Literal("o", language="en")),
]
TERM_IDS = ["iri", "iri-unicode", "plain", "escapes", "syntax-in-literal", "lang", "lang-region", "lang-direction",
            "integer", "decimal", "double-nan", "gyear", "custom-datatype", "triple-term"]


@pytest.mark.parametrize("term", TERMS, ids=TERM_IDS)
def test_values_terms_round_trip_through_the_sparql_parser(term):
    x, y = ox.Variable("x"), ox.Variable("y")
    block = federation.values_block(REMOTE, [x, y], [[term, None], [None, term]])
    rows = list(ox.Store().query(f"SELECT ?x ?y WHERE {block}"))
    assert [(row["x"], row["y"]) for row in rows] == [(term, None), (None, term)]


@pytest.mark.parametrize(
    "variables, rows, expected",
    [([], [[]], 1), ([], [], 0), ([ox.Variable("x")], [], 0)],
    ids=["no-variables-one-solution", "no-variables-no-solution", "no-rows"],
)
def test_values_blocks_without_variables_or_rows_keep_their_solution_count(variables, rows, expected):
    block = federation.values_block(REMOTE, variables, rows)
    assert len(list(ox.Store().query(f"SELECT * WHERE {block}"))) == expected


def test_a_blank_node_cannot_go_into_values():
    with pytest.raises(outbound.RemoteFailed, match=r"binds \?x to a blank node"):
        federation.values_block(REMOTE, [ox.Variable("x")], [[ox.BlankNode("b0")]])


# --- SERVICE answered from a real endpoint ----------------------------------------------------------


@pytest.mark.parametrize("results_format", ["JSON", "XML", "TSV"])
def test_remote_terms_arrive_unchanged(endpoint, results_format):
    endpoint.results_format = results_format
    rows = run(f"SELECT * WHERE {{ SERVICE <{REMOTE}> {{ ?s ?p ?o }} }}", policy(endpoint))
    expected = [{"s": str(q.subject), "p": str(q.predicate), "o": str(q.object)} for q in endpoint.store]
    assert sorted_rows(rows) == sorted_rows(expected) and len(rows) == len(endpoint.store) == 7


def test_the_remote_gets_the_group_as_a_protocol_post_with_the_query_prologue(endpoint):
    query = (f"BASE <{EX}>\nPREFIX ex: <http://example.org/>\nPREFIX : <http://unused.example/>\n"
             f"SELECT ?name WHERE {{ <park> a ex:Park . SERVICE <{REMOTE}> {{ <park> ex:name ?name }} }}")
    rows = run(query, policy(endpoint))
    assert sorted(r["name"] for r in rows) == ['"Example park"@en', '"示例园区"@zh']
    (sent,) = endpoint.requests
    assert sent["path"] == "/sparql"
    assert sent["headers"]["Content-Type"] == "application/x-www-form-urlencoded"
    assert sent["headers"]["Accept"] == federation.ACCEPT
    assert sent["headers"]["Host"] == "remote.example"
    assert sent["form"]["query"] == (f"BASE <{EX}>\nPREFIX ex: <http://example.org/>\nPREFIX : <http://unused.example/>\n"
                                     "SELECT * WHERE { <park> ex:name ?name }")


def test_a_federated_query_joins_remote_rows_with_local_data(endpoint):
    query = (f"PREFIX ex: <{EX}> SELECT ?thing ?name WHERE {{ ?thing a ex:Park . "
             f"SERVICE <{REMOTE}> {{ ?thing ex:name ?name FILTER(lang(?name) = 'en') }} }}")
    assert run(query, policy(endpoint)) == [{"thing": f"<{EX}park>", "name": '"Example park"@en'}]


@pytest.mark.parametrize(
    "where, expected",
    [
        (f"?t a ex:Park OPTIONAL {{ SERVICE <{REMOTE}> {{ ?t ex:name ?n FILTER(lang(?n) = 'en') }} }}",
         [{"t": "lonely"}, {"t": "park", "n": "Example park"}]),
        (f"{{ ?t a ex:Platform }} UNION {{ SERVICE <{REMOTE}> {{ ?t ex:name \"Other\" }} }}",
         [{"t": "lab"}, {"t": "other"}]),
        (f"?t a ex:Platform {{ SELECT ?t ?a WHERE {{ SERVICE <{REMOTE}> {{ ?t ex:age ?a }} }} }}",
         [{"t": "lab", "a": "3"}]),
        (f"?t a ?type FILTER EXISTS {{ SERVICE <{REMOTE}> {{ ?t ex:age ?a }} }}",
         [{"t": "lab", "type": "Platform"}]),
        (f"VALUES ?t {{ ex:lab ex:other }} SERVICE <{REMOTE}> {{ ?t ex:name ?n OPTIONAL {{ ?t ex:age ?a }} }}",
         [{"t": "lab", "n": "Lab", "a": "3"}, {"t": "other", "n": "Other"}]),
        (f"?t a ex:Park SERVICE <{REMOTE}> {{ SELECT ?t (COUNT(*) AS ?n) WHERE {{ ?t ex:name ?x }} GROUP BY ?t }}",
         [{"t": "park", "n": "2"}]),
    ],
    ids=["inside-optional", "one-side-of-union", "inside-a-subquery", "inside-filter-exists", "unbound-is-undef",
         "group-is-a-subquery"],
)
def test_service_keeps_its_meaning_where_it_stands(endpoint, where, expected):
    results = local_store().query(inline(f"PREFIX ex: <{EX}> SELECT * WHERE {{ {where} }}", policy(endpoint)))
    rows = [{v.value: row[v].value.removeprefix(EX) for v in results.variables if row[v] is not None} for row in results]
    assert sorted_rows(rows) == sorted_rows(expected)


@pytest.mark.parametrize("triple, expected", [("ex:lab ex:age 3", 1), ("ex:lab ex:age 4", 0)],
                         ids=["matches", "does-not-match"])
def test_a_service_pattern_without_variables_is_one_empty_solution_or_none(endpoint, triple, expected):
    query = f"PREFIX ex: <{EX}> SELECT ?k WHERE {{ VALUES ?k {{ 1 }} SERVICE <{REMOTE}> {{ {triple} }} }}"
    assert len(run(query, policy(endpoint))) == expected


def test_two_services_are_each_answered_and_joined(endpoint):
    query = (f"PREFIX ex: <{EX}> SELECT ?t ?a ?n WHERE {{ SERVICE <{REMOTE}> {{ ?t ex:age ?a }} "
             f"SERVICE <{REMOTE}> {{ ?t ex:name ?n }} }}")
    assert run(query, policy(endpoint)) == [{"t": f"<{EX}lab>", "a": str(ox.Literal("3", datatype=ox.NamedNode(XSD + "integer"))),
                                             "n": '"Lab"'}]
    assert len(endpoint.requests) == 2


def test_a_nested_service_is_sent_along_to_the_remote(endpoint):
    # its target is checked like every other (it must be allowed), but it is the remote that asks it
    endpoint.reply = (200, {"Content-Type": "application/sparql-results+json"},
                      b'{"head":{"vars":["o"]},"results":{"bindings":[{"o":{"type":"literal","value":"far"}}]}}')
    inner = "SERVICE <http://further.example/sparql> { ?s ?p ?o }"
    query = f"SELECT ?o WHERE {{ SERVICE <{REMOTE}> {{ {inner} }} }}"
    rewritten = inline(query, policy(endpoint, also=("further.example",)))
    assert len(endpoint.requests) == 1
    assert endpoint.requests[0]["form"]["query"] == f"SELECT * WHERE {{ {inner} }}"
    assert "further.example" not in rewritten and parse_query(rewritten).services == ()
    assert [row["o"] for row in ox.Store().query(rewritten)] == [ox.Literal("far")]


@pytest.mark.parametrize("inner", ["SERVICE <http://further.example/sparql>", "SERVICE SILENT <http://127.0.0.1:9/>",
                                   "SERVICE ?somewhere"], ids=["off-the-allow-list", "silent-loopback", "variable"])
def test_a_nested_refused_target_refuses_the_request_before_any_connection(endpoint, inner):
    query = f"SELECT ?o WHERE {{ SERVICE SILENT <{REMOTE}> {{ {inner} {{ ?s ?p ?o }} }} }}"
    with pytest.raises(ForbiddenOperation, match="refused"):
        inline(query, policy(endpoint, allow=("remote.example", "127.0.0.1")))
    assert endpoint.requests == []


@pytest.mark.parametrize("target", ["http://not-allowed.example/", "http://127.0.0.1:9/", "file:///etc/passwd"],
                         ids=["off-the-allow-list", "loopback", "file"])
def test_a_refused_silent_service_is_one_empty_solution_without_a_connection(endpoint, target):
    query = f"SELECT * WHERE {{ SERVICE SILENT <{target}> {{ ?s ?p ?o }} }}"
    assert inline(query, policy(endpoint, allow=("remote.example", "127.0.0.1"))) == "SELECT * WHERE { {} }"
    assert endpoint.requests == []


def test_a_refused_service_without_silent_refuses_the_request_before_the_allowed_one_is_asked(endpoint):
    query = f"SELECT * WHERE {{ SERVICE <{REMOTE}> {{ ?s ?p ?o }} SERVICE <http://not-allowed.example/> {{ ?s ?p ?o }} }}"
    with pytest.raises(ForbiddenOperation, match="not-allowed.example is not on the allow-list"):
        inline(query, policy(endpoint))
    assert endpoint.requests == []


def test_a_refused_silent_service_beside_an_allowed_one_leaves_the_allowed_one_answered(endpoint):
    query = (f"PREFIX ex: <{EX}> SELECT ?a WHERE {{ SERVICE SILENT <http://not-allowed.example/> {{ ?s ?p ?o }} "
             f"SERVICE <{REMOTE}> {{ ex:lab ex:age ?a }} }}")
    rewritten = inline(query, policy(endpoint))
    assert rewritten.startswith(f"PREFIX ex: <{EX}> SELECT ?a WHERE {{ {{}} {{ VALUES (?a) ")
    assert len(endpoint.requests) == 1


def test_a_redirect_to_an_allowed_host_is_followed_with_the_same_post(endpoint):
    second = SparqlEndpoint(REMOTE_DATA)
    try:
        out = federation.Outbound(
            ("remote.example", "mirror.example"), outbound.Limits(2.0, 5.0), 100,
            remote_network(("remote.example", endpoint.port), ("mirror.example", second.port)))
        endpoint.reply = (307, {"Location": "http://mirror.example/moved"}, b"")
        rows = run(f"PREFIX ex: <{EX}> SELECT ?a WHERE {{ SERVICE <{REMOTE}> {{ ex:lab ex:age ?a }} }}", out)
        assert [r["a"] for r in rows] == [str(ox.Literal("3", datatype=ox.NamedNode(XSD + "integer")))]
        assert second.requests[0]["path"] == "/moved" and second.requests[0]["method"] == "POST"
        assert "ex:lab ex:age ?a" in second.requests[0]["form"]["query"]
    finally:
        second.close()


def test_a_redirect_to_a_host_off_the_allow_list_is_refused(endpoint):
    endpoint.reply = (302, {"Location": "http://elsewhere.example/"}, b"")
    with pytest.raises(ForbiddenOperation, match="elsewhere.example is not on the allow-list"):
        inline(f"SELECT * WHERE {{ SERVICE <{REMOTE}> {{ ?s ?p ?o }} }}", policy(endpoint))


# --- failures: errors without SILENT, one empty solution with it ------------------------------------

FAILURES = {
    "server-error": ((500, {"Content-Type": "text/plain"}, b"SECRET internal detail"), "answered HTTP 500"),
    "not-results": ((200, {"Content-Type": "text/html"}, b"<html>SECRET</html>"), "not SPARQL results"),
    "broken-json": ((200, {"Content-Type": "application/sparql-results+json"}, b'{"head": SECRET'),
                    "could not be read as SPARQL Results in JSON"),
    "boolean": ((200, {"Content-Type": "application/sparql-results+json"}, b'{"head":{},"boolean":true}'),
                "could not be read"),
    "blank-node": ((200, {"Content-Type": "application/sparql-results+json"},
                    b'{"head":{"vars":["s"]},"results":{"bindings":[{"s":{"type":"bnode","value":"SECRET"}}]}}'),
                   "blank node"),
}


@pytest.mark.parametrize("case", list(FAILURES))
def test_a_failing_service_is_an_error_naming_the_service_without_the_remote_body(endpoint, case):
    endpoint.reply, expected = FAILURES[case]
    with pytest.raises(outbound.RemoteFailed) as failed:
        inline(f"SELECT * WHERE {{ SERVICE <{REMOTE}> {{ ?s ?p ?o }} }}", policy(endpoint))
    assert str(failed.value).startswith(f"SERVICE <{REMOTE}> failed: ") and expected in str(failed.value)
    assert "SECRET" not in str(failed.value)


@pytest.mark.parametrize("case", list(FAILURES))
def test_a_failing_silent_service_is_one_empty_solution(endpoint, case):
    endpoint.reply = FAILURES[case][0]
    rows = run(f"SELECT * WHERE {{ ?s a ?t SERVICE SILENT <{REMOTE}> {{ ?s ?p ?o }} }}", policy(endpoint))
    assert len(rows) == 3 and all(set(r) == {"s", "t"} for r in rows)


def test_a_silent_host_fails_after_the_read_timeout(endpoint, silent_port):
    out = policy(endpoint, silent_port=silent_port, read_timeout=0.3)
    with pytest.raises(outbound.RemoteFailed, match=r"no answer within the read timeout of 0.3 s .*--service-read-timeout"):
        inline("SELECT * WHERE { SERVICE <http://silent.example/> { ?s ?p ?o } }", out)
    silent = "SELECT * WHERE { SERVICE SILENT <http://silent.example/> { ?s ?p ?o } }"
    assert inline(silent, out) == "SELECT * WHERE { {} }"


def test_a_refused_connection_is_an_error_saying_so():
    closed = socket.socket()
    closed.bind(("127.0.0.1", 0))
    port = closed.getsockname()[1]
    closed.close()  # nothing listens there now
    out = federation.Outbound(("closed.example",), outbound.Limits(2.0, 2.0), 10, remote_network(("closed.example", port)))
    with pytest.raises(outbound.RemoteFailed, match="could not connect to closed.example"):
        inline("SELECT * WHERE { SERVICE <http://closed.example/> { ?s ?p ?o } }", out)


@pytest.mark.parametrize("silent", ["", "SILENT"], ids=["plain", "silent"])
def test_more_rows_than_the_limit_fail_even_with_silent(endpoint, silent):
    with pytest.raises(outbound.RemoteFailed, match="more than 3 rows, the limit for one request") as failed:
        inline(f"SELECT * WHERE {{ SERVICE {silent} <{REMOTE}> {{ ?s ?p ?o }} }}",
                                   policy(endpoint, max_rows=3))
    assert failed.value.over_limit


def test_exactly_the_row_limit_passes(endpoint):
    rows = run(f"SELECT * WHERE {{ SERVICE <{REMOTE}> {{ ?s ?p ?o }} }}", policy(endpoint, max_rows=7))
    assert len(rows) == 7


def test_a_target_the_network_resolves_to_loopback_is_refused_before_any_connection(endpoint):
    # the stand-in network answers with a loopback address: the outbound check still applies to it
    out = federation.Outbound(("loop.example",), outbound.Limits(), 10,
                              outbound.Network(hosts=(("loop.example", ("127.0.0.1",)),)))
    with pytest.raises(ForbiddenOperation, match="non-public address"):
        inline("SELECT * WHERE { SERVICE <http://loop.example/> { ?s ?p ?o } }", out)
