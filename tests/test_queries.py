"""The analyst-query loader: headers, parameters, safe binding."""

import json

import pyoxigraph as ox
import pytest

from zgckg.config import Config
from zgckg.errors import QueryFailed
from zgckg.kg.engine import Query
from zgckg.kg.engine.inprocess import InProcessEngine
from zgckg.kg.formats import SOLUTIONS
from zgckg.kg.queries import bindings, expand, load_queries, read_query
from zgckg.kg.store import StoreDir
from zgckg.namespaces import INSTANCES

HEADER = """# title@zh: 标题
# title@en: Title
# question@zh: 问题？
# question@en: A question?
# param: entity = zg:a
"""


def write(tmp_path, name, text):
    path = tmp_path / f"{name}.rq"
    path.write_text(text, encoding="utf-8")
    return path


@pytest.fixture
def store(tmp_path):
    """An engine over a store of two labelled entities."""
    def fill(s: ox.Store) -> None:
        g = ox.NamedNode(INSTANCES + "graph")
        for slug, label in [("a", "甲"), ("b", "乙")]:
            s.add(ox.Quad(ox.NamedNode(INSTANCES + slug), ox.NamedNode("http://www.w3.org/2000/01/rdf-schema#label"),
                          ox.Literal(label, language="zh"), g))

    StoreDir(tmp_path / "store").write(fill, copy_current=False)
    engine = InProcessEngine(Config(store=tmp_path / "store"))
    yield engine
    engine.close()


def labels(engine, text: str, bound: dict[str, str]) -> list[str]:
    answer = engine.query(Query(text, SOLUTIONS[0], bindings=bound))
    return [row["l"]["value"] for row in json.loads(answer.content())["results"]["bindings"]]


def test_header_gives_titles_questions_and_parameter_defaults(tmp_path):
    q = read_query(write(tmp_path, "q", HEADER + "SELECT ?entity WHERE {}"))
    assert (q.title("zh"), q.title("en"), q.question("en")) == ("标题", "Title", "A question?")
    assert q.params == {"entity": "zg:a"}


def test_missing_header_line_is_named(tmp_path):
    with pytest.raises(ValueError, match="question@en"):
        read_query(write(tmp_path, "q", "# title@zh: 标\n# title@en: T\n# question@zh: 问\nASK {}"))


def test_queries_load_in_name_order(tmp_path):
    for name in ["b", "a"]:
        write(tmp_path, name, HEADER + "ASK {}")
    assert list(load_queries(tmp_path)) == ["a", "b"]


@pytest.mark.parametrize(
    "value, iri",
    [("zg:baidu", INSTANCES + "baidu"), ("<http://x/y>", "http://x/y"), ("http://x/y", "http://x/y")],
    ids=["prefixed", "bracketed", "plain"],
)
def test_expand(value, iri):
    assert expand(value) == iri


def test_parameter_default_and_override_select_different_rows(tmp_path, store):
    q = read_query(write(tmp_path, "q", HEADER + "PREFIX rdfs: <http://www.w3.org/2000/01/rdf-schema#>\nSELECT ?entity ?l WHERE { ?entity rdfs:label ?l }"))
    assert bindings(q) == {"entity": f"<{INSTANCES}a>"}
    assert labels(store, q.text, bindings(q)) == ["甲"]
    assert labels(store, q.text, bindings(q, {"entity": "zg:b"})) == ["乙"]


def test_a_parameter_value_cannot_inject_sparql(tmp_path, store):
    q = read_query(write(tmp_path, "q", HEADER + "PREFIX rdfs: <http://www.w3.org/2000/01/rdf-schema#>\nSELECT ?entity ?l WHERE { ?entity rdfs:label ?l }"))
    hostile = "<http://x> } UNION { ?entity ?p ?l"
    with pytest.raises(ValueError):
        bindings(q, {"entity": hostile})
    # and the engine reads a binding as data only, whoever wrote it
    with pytest.raises(QueryFailed):
        labels(store, q.text, {"entity": hostile})


def test_unknown_parameter_is_refused(tmp_path, store):
    q = read_query(write(tmp_path, "q", HEADER + "SELECT ?entity WHERE {}"))
    with pytest.raises(KeyError, match="nope"):
        bindings(q, {"nope": "zg:a"})
