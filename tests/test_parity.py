"""One query, one answer: ``zgckg query``, the endpoint's /sparql and the engine in this process give the
same rows, or refuse with the same kind of error and the same message, for the same query text.

All three read the same store (tests/data/web/dataset.trig), each with the union default graph.
"""

from __future__ import annotations

import json
from dataclasses import dataclass, field

import pytest
from click.testing import CliRunner

from zgckg.cli import main
from zgckg.config import Config
from zgckg.errors import ForbiddenOperation, QuerySyntaxError, QueryTooComplex, ZgckgError
from zgckg.kg.engine import Query
from zgckg.kg.engine.inprocess import InProcessEngine
from zgckg.kg.formats import GRAPHS, SOLUTIONS

EX = "http://example.org/"
ASSERTED = "https://w3id.org/zgckg/graph/asserted"
LABEL = "http://www.w3.org/2000/01/rdf-schema#label"
ACCEPT = "application/sparql-results+json, application/json;q=0.9, text/plain;q=0.5"


def iri(value: str) -> tuple[str, str, str | None]:
    return ("uri", value, None)


def text(value: str, lang: str | None = None) -> tuple[str, str, str | None]:
    return ("literal", value, lang)


@dataclass(frozen=True)
class Rows:
    """The answer every front end must give: these rows (each a tuple in the order of the SELECT)."""

    rows: frozenset


@dataclass(frozen=True)
class Refused:
    """The refusal every front end must give: the endpoint's status, the engine's exception class, a
    fragment of the message all three show, and the fields the error carries (a syntax error's position:
    attributes of the engine's exception, fields of the endpoint's JSON, ``line:column`` on the command
    line)."""

    status: int
    error: type[ZgckgError]
    says: str
    fields: dict = field(default_factory=dict)


@dataclass(frozen=True)
class Case:
    id: str
    text: str
    expected: Rows | Refused
    bindings: dict = field(default_factory=dict)
    """Engine bindings (variable → term in SPARQL syntax); the endpoint has no such parameter."""


CASES = [
    Case("predeclared-prefix",
         "SELECT ?x WHERE { BIND(zgo:Park AS ?x) }",
         Rows(frozenset({(iri("https://w3id.org/zgckg/ontology#Park"),)}))),
    Case("own-prefix-overrides-predeclared",
         "PREFIX zgo: <http://other.example/> SELECT ?x WHERE { BIND(zgo:Park AS ?x) }",
         Rows(frozenset({(iri("http://other.example/Park"),)}))),
    Case("from-restricts-the-dataset",
         f"SELECT ?s ?t FROM <{ASSERTED}> WHERE {{ ?s a ?t }}",
         Rows(frozenset({(iri(EX + "park"), iri(EX + "Park")), (iri(EX + "lab"), iri(EX + "Platform"))}))),
    Case("union-default-graph",
         "SELECT ?s ?t WHERE { ?s a ?t }",
         Rows(frozenset({(iri(EX + "park"), iri(EX + "Park")), (iri(EX + "lab"), iri(EX + "Platform")),
                         (iri(EX + "lab"), iri(EX + "Organisation")), (iri(EX + "park"), iri(EX + "Place"))}))),
    Case("labels-across-graphs",
         f"SELECT ?l WHERE {{ ?s <{LABEL}> ?l }}",
         Rows(frozenset({(text("test dataset", "en"),), (text("Example park", "en"),), (text("示例园区", "zh"),),
                         (text("示例实验室", "zh"),)}))),
    Case("service-off-the-allow-list",
         "SELECT * WHERE { SERVICE <http://data.example.com/sparql> { ?s ?p ?o } }",
         Refused(403, ForbiddenOperation, "host data.example.com is not on the allow-list")),
    Case("syntax-error",
         "SELECT ?s WHERE {\n  ?s ?p\n}",
         Refused(400, QuerySyntaxError, "expected an RDF term", {"line": 3, "column": 1})),
    Case("nesting-over-the-limit",
         "SELECT * " + "{" * 70 + "}" * 70,
         Refused(400, QueryTooComplex, "more nested brackets than this server's limit of 64")),
]


# --- the three front ends --------------------------------------------------------------------------------

def rows_of(document: bytes | str) -> frozenset:
    answer = json.loads(document)
    names = answer["head"]["vars"]
    return frozenset(
        tuple(_term(row.get(name)) for name in names) for row in answer["results"]["bindings"]
    )


def _term(term: dict | None):
    if term is None:
        return None
    return (term["type"], term["value"], term.get("xml:lang") or term.get("datatype"))


@dataclass
class Outcome:
    rows: frozenset | None = None
    error: str | None = None
    """What the front end said when it refused."""


@pytest.fixture(scope="module")
def engine(web_store):
    engine = InProcessEngine(Config(store=web_store.root), web_store)
    yield engine
    engine.close()


def from_engine(engine, case: Case) -> Outcome:
    try:
        answer = engine.query(Query(case.text, SOLUTIONS[0], GRAPHS[0], bindings=case.bindings))
    except ZgckgError as error:
        return Outcome(error=str(error))
    return Outcome(rows=rows_of(answer.content()))


def from_endpoint(client, case: Case) -> tuple[int, Outcome, dict]:
    response = client.get("/sparql", query_string={"query": case.text}, headers={"Accept": ACCEPT})
    if response.status_code == 200:
        return 200, Outcome(rows=rows_of(response.data)), {}
    body = response.get_json(force=True)
    return response.status_code, Outcome(error=body["message"]), body


def from_cli(store_root, case: Case, *args: str) -> tuple[int, Outcome]:
    result = CliRunner().invoke(main, ["query", "--store", str(store_root), "--format", "json", *args, case.text])
    if result.exit_code == 0:
        return 0, Outcome(rows=rows_of(result.stdout))
    assert result.exception is None or isinstance(result.exception, SystemExit), result.exception
    return result.exit_code, Outcome(error=result.stderr)


def core(message: str, expected: Refused) -> str:
    """What every front end must repeat of the engine's message: its first line; for a syntax error the
    parser's words after the position, which each front end words its own way."""
    first = message.splitlines()[0]
    return first.split(": ", 1)[1] if expected.error is QuerySyntaxError else first


# --- the table -------------------------------------------------------------------------------------------

@pytest.mark.parametrize("case", CASES, ids=[c.id for c in CASES])
def test_engine(engine, case):
    expected = case.expected
    if isinstance(expected, Rows):
        assert from_engine(engine, case).rows == expected.rows
    else:
        with pytest.raises(expected.error) as raised:
            engine.query(Query(case.text, SOLUTIONS[0], GRAPHS[0]))
        assert expected.says in str(raised.value)
        for name, value in expected.fields.items():
            assert getattr(raised.value, name) == value


@pytest.mark.parametrize("case", CASES, ids=[c.id for c in CASES])
def test_endpoint_answers_as_the_engine(engine, web_client, case):
    status, outcome, body = from_endpoint(web_client, case)
    expected, direct = case.expected, from_engine(engine, case)
    if isinstance(expected, Rows):
        assert (status, outcome.rows) == (200, direct.rows)
    else:
        assert status == expected.status
        assert expected.says in outcome.error
        assert core(direct.error, expected) in outcome.error
        for name, value in expected.fields.items():
            assert body[name] == value


@pytest.mark.parametrize("case", CASES, ids=[c.id for c in CASES])
def test_command_line_answers_as_the_engine(engine, web_store, case):
    code, outcome = from_cli(web_store.root, case)
    expected, direct = case.expected, from_engine(engine, case)
    if isinstance(expected, Rows):
        assert (code, outcome.rows) == (0, direct.rows)
    else:
        assert code != 0
        assert expected.says in outcome.error
        assert core(direct.error, expected) in outcome.error
        if expected.fields:
            assert f"{expected.fields['line']}:{expected.fields['column']}" in outcome.error


# --- bindings: the engine's, and the command line's --param (analyst query files only) --------------------

ANALYST = """\
# title@zh: 标签
# title@en: Labels
# question@zh: 某实体的标签是什么？
# question@en: What are the labels of an entity?
# param: entity = <http://example.org/park>
SELECT ?entity ?label WHERE { ?entity <http://www.w3.org/2000/01/rdf-schema#label> ?label }
"""


@pytest.mark.parametrize("entity, labels", [
    (EX + "park", {text("Example park", "en"), text("示例园区", "zh")}),
    (EX + "lab", {text("示例实验室", "zh")}),
    (EX + "nothing", set()),
], ids=["park", "lab", "unknown"])
def test_bindings_give_the_same_rows_from_the_engine_and_the_command_line(engine, web_store, tmp_path,
                                                                           entity, labels):
    query = tmp_path / "labels.rq"
    query.write_text(ANALYST, encoding="utf-8")
    case = Case("bound", ANALYST, Rows(frozenset()), bindings={"entity": f"<{entity}>"})
    direct = from_engine(engine, case)
    assert direct.rows == frozenset((iri(entity), label) for label in labels)
    code, outcome = from_cli(web_store.root, Case("bound", str(query), Rows(frozenset())), "--param", f"entity=<{entity}>")
    assert (code, outcome.rows) == (0, direct.rows)
