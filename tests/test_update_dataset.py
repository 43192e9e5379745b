"""using-graph-uri / using-named-graph-uri written into an update as USING clauses, checked by running it."""

import re

import pyoxigraph as ox
import pytest

from zgckg.kg.update_dataset import DatasetConflict, add_using_clauses

E = "http://example.org/"
G1, G2 = f"{E}G1", f"{E}G2"

# The default graph holds a copy of G1's triple, so a DELETE template (which writes to the default graph)
# shows which graph its WHERE was matched in.
DATA = f"""
@prefix e: <{E}> .
e:d e:p "default" .
e:one e:p "one" .
e:G1 {{ e:one e:p "one" }}
e:G2 {{ e:two e:p "two" }}
"""

BEFORE = {'d p "default"', 'one p "one"', 'one p "one" G1', 'two p "two" G2'}


def run(update: str) -> set[str]:
    """The store's quads after the update, IRIs under E shortened to their local names."""
    store = ox.Store()
    store.load(DATA.encode(), ox.RdfFormat.TRIG)
    store.update(update)
    return {str(quad).replace(f"<{E}", "").replace(">", "") for quad in store}


COPY_ALL = f"INSERT {{ GRAPH <{E}out> {{ ?s ?p ?o }} }} WHERE {{ ?s ?p ?o }}"

# pyoxigraph 0.5.13 refuses a PREFIX after a ";" (the grammar allows it), so both are declared up front
SEVERAL = f"""PREFIX e: <{E}>
PREFIX x: <{E}>
INSERT DATA {{ GRAPH e:G2 {{ e:three e:p "three" }} }} ;
INSERT {{ GRAPH x:out {{ ?s ?p ?o }} }} WHERE {{ ?s ?p ?o }} ;
DELETE WHERE {{ GRAPH x:out {{ ?s x:p "two" }} }}"""

DECOYS = f"""# a WHERE in a comment
INSERT {{ GRAPH <{E}out> {{ ?s <{E}WHERE> "WHERE {{" }} }} # WHERE {{ here too
WHERE {{ ?s ?p ?o }}"""


@pytest.mark.parametrize(
    "update, default_graphs, named_graphs, changed",
    [
        (COPY_ALL, [G1], [], {"+": {'one p "one" out'}}),
        (COPY_ALL, [G1, G2], [], {"+": {'one p "one" out', 'two p "two" out'}}),
        (COPY_ALL, [], [G1], {}),  # USING NAMED alone leaves the default graph empty
        (f"INSERT {{ GRAPH <{E}out> {{ ?s <{E}in> ?g }} }} WHERE {{ GRAPH ?g {{ ?s ?p ?o }} }}", [], [G2],
         {"+": {"two in G2 out"}}),
        (f"DELETE {{ ?s ?p ?o }} INSERT {{ ?s <{E}was> ?o }} WHERE {{ ?s ?p ?o }}", [G1], [],
         {"-": {'one p "one"'}, "+": {'one was "one"'}}),
        (f"DELETE WHERE {{ ?s <{E}p> ?o }}", [G1], [], {"-": {'one p "one"'}}),
        ("DELETE WHERE { GRAPH ?g { ?s ?p ?o } }", [], [G2], {"-": {'two p "two" G2'}}),
        ("delete\nwhere\n{ graph ?g { ?s ?p ?o } }", [G1], [G2], {"-": {'two p "two" G2'}}),
        (SEVERAL, [G2], [], {"+": {'three p "three" G2', 'two p "two" out', 'three p "three" out'}}),
        (DECOYS, [G1], [], {"+": {'one WHERE "WHERE {" out'}}),
    ],
    ids=["insert-where-using", "two-using-graphs", "using-named-only-default-empty", "using-named-graph-pattern",
         "delete-insert-where", "delete-where-short-form", "delete-where-short-form-named",
         "delete-where-lowercase-multiline", "several-operations-with-prefixes",
         "where-in-strings-iris-comments"],
)
def test_rewritten_update_matches_only_the_given_graphs(update, default_graphs, named_graphs, changed):
    rewritten = add_using_clauses(update, default_graphs, named_graphs)
    after = run(rewritten)
    assert after - BEFORE == changed.get("+", set())
    assert BEFORE - after == changed.get("-", set())
    assert run(update) != after  # without the dataset the same update matches other triples


@pytest.mark.parametrize(
    "update",
    [
        f'INSERT DATA {{ <{E}a> <{E}p> "WHERE" }}',
        f'DELETE DATA {{ <{E}one> <{E}p> "one" }}',
        f"LOAD SILENT <urn:zgckg:refused> INTO GRAPH <{E}where>",
        f"CLEAR GRAPH <{E}G1>",
        f"CREATE GRAPH <{E}new>",
        f"DROP SILENT GRAPH <{E}G2>",
        f"COPY <{E}G1> TO <{E}G2>",
        f"MOVE <{E}G1> TO DEFAULT",
        f"ADD <{E}G2> TO <{E}G1>",
    ],
    ids=["insert-data", "delete-data", "load", "clear", "create", "drop", "copy", "move", "add"],
)
def test_operations_without_where_are_untouched(update):
    assert add_using_clauses(update, [G1], [G2]) == update
    run(update)  # and it is a valid update, so leaving it alone is right


@pytest.mark.parametrize(
    "update, clause, line, column",
    [
        (f"WITH <{E}G1> DELETE {{ ?s ?p ?o }} WHERE {{ ?s ?p ?o }}", "WITH", 1, 1),
        (f"INSERT {{ ?s ?p ?o }}\n  using <{E}G1> WHERE {{ ?s ?p ?o }}", "USING", 2, 3),
        (f"INSERT {{ ?s ?p ?o }} USING NAMED <{E}G2> WHERE {{ GRAPH ?g {{ ?s ?p ?o }} }}", "USING NAMED", 1, 21),
        (f"CLEAR DEFAULT ;\nDELETE {{ ?s ?p ?o }} USING <{E}G1> WHERE {{ ?s ?p ?o }}", "USING", 2, 21),
    ],
    ids=["with", "using-lowercase", "using-named", "in-a-later-operation"],
)
def test_a_dataset_clause_in_the_text_is_refused(update, clause, line, column):
    run(update)  # a valid update on its own
    with pytest.raises(DatasetConflict) as raised:
        add_using_clauses(update, [G1], [])
    assert (raised.value.clause, raised.value.line, raised.value.column) == (clause, line, column)
    assert "using-graph-uri" in str(raised.value) and clause in str(raised.value)


def test_dataset_keywords_in_names_and_strings_are_not_clauses():
    update = f'INSERT {{ GRAPH <{E}out> {{ ?with <{E}USING> "WITH" }} }} WHERE {{ ?with ?using ?o }}'
    assert run(add_using_clauses(update, [G1])) - BEFORE == {'one USING "WITH" out'}


def test_without_graphs_the_text_is_returned_as_it_is():
    update = f"WITH <{E}G1> DELETE {{ ?s ?p ?o }} WHERE {{ ?s ?p ?o }}"
    assert add_using_clauses(update) is update


@pytest.mark.parametrize("graph", ["relative", "", f"{E}a b", f"{E}a>b"], ids=["relative", "empty", "space", "angle"])
def test_a_graph_that_is_not_an_absolute_iri_is_refused(graph):
    with pytest.raises(ValueError):
        add_using_clauses(COPY_ALL, [graph])


def _error_line(update: str) -> int:
    with pytest.raises(SyntaxError) as raised:
        ox.Store().update(update)
    return int(re.search(r"error at (\d+):", str(raised.value)).group(1))


@pytest.mark.parametrize(
    "update",
    [
        "INSERT { ?s ?p ?o }\nWHERE {\n  ?s ?p ?o .\n  ?s ?p\n}",
        "DELETE WHERE {\n  ?s ?p ?o . # a comment\n  ?s ?p\n}",
    ],
    ids=["modify", "delete-where-short-form"],
)
def test_syntax_errors_keep_their_line_after_the_rewrite(update):
    assert _error_line(add_using_clauses(update, [G1])) == _error_line(update) > 1


def test_an_unclosed_delete_where_is_left_for_the_parser():
    update = "DELETE WHERE { ?s ?p ?o"
    assert add_using_clauses(update, [G1]) == update
