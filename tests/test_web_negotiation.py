"""Content negotiation: Accept with q-values and wildcards, the format parameter, defaults, refusals."""

import pytest

from zgckg.web.negotiation import best, choose, parse_accept
from zgckg.web.formats import GRAPHS, SOLUTIONS


def names(choice):
    return (choice.solutions.name if choice.solutions else None, choice.graph.name if choice.graph else None)


@pytest.mark.parametrize(
    "accept, expected",
    [
        (None, ("json", "turtle")),
        ("", ("json", "turtle")),
        ("*/*", ("json", "turtle")),
        ("application/sparql-results+xml", ("xml", None)),
        ("text/csv", ("csv", None)),
        ("text/tab-separated-values", ("tsv", None)),
        ("application/json", ("json", "jsonld")),
        ("application/sparql-results+json, text/turtle", ("json", "turtle")),
        ("application/n-triples", (None, "ntriples")),
        ("application/rdf+xml", (None, "rdfxml")),
        ("application/ld+json;profile=\"http://www.w3.org/ns/json-ld#compacted\"", (None, "jsonld")),
        ("application/n-quads", (None, "nquads")),
        ("application/trig", (None, "trig")),
        ("text/*", ("csv", "turtle")),
        ("text/csv;q=0.5, application/sparql-results+xml;q=0.9", ("xml", None)),
        ("*/*;q=0.1, text/tab-separated-values", ("tsv", "turtle")),
        ("text/csv, text/tab-separated-values", ("csv", None)),
        ("text/tab-separated-values, text/csv", ("tsv", None)),
        ("*/*, application/sparql-results+json;q=0", ("xml", "turtle")),
        ("text/html", (None, None)),
        ("image/png, text/html;q=0.9", (None, None)),
        ("garbage", ("json", "turtle")),
        ("text/turtle;q=abc, application/rdf+xml", (None, "rdfxml")),
        ("TEXT/CSV", ("csv", None)),
    ],
    ids=[
        "no-header", "empty-header", "any", "sparql-xml", "csv", "tsv", "plain-json", "json-and-turtle",
        "n-triples", "rdf-xml", "json-ld-with-profile", "n-quads", "trig", "text-wildcard", "q-values",
        "explicit-beats-wildcard", "equal-q-client-order-csv", "equal-q-client-order-tsv", "q-zero-refuses",
        "html-only", "nothing-offered", "no-media-range", "bad-q-is-zero", "case-insensitive",
    ],
)
def test_accept_header(accept, expected):
    assert names(choose(accept)) == expected


@pytest.mark.parametrize(
    "values, expected",
    [
        (("json",), ("json", "jsonld")),
        (("xml",), ("xml", "rdfxml")),
        (("csv",), ("csv", None)),
        (("tsv", "text/tab-separated-values"), ("tsv", None)),
        (("turtle",), (None, "turtle")),
        (("json-ld", "application/ld+json"), (None, "jsonld")),
        (("rdf+xml", "application/rdf+xml"), (None, "rdfxml")),
        (("n3",), (None, "n3")),
        (("application/sparql-results+xml",), ("xml", None)),
        (("html",), (None, None)),
        (("html", "csv"), ("csv", None)),
    ],
    ids=["json", "xml", "csv", "sparqlwrapper-tsv", "turtle", "sparqlwrapper-jsonld", "sparqlwrapper-rdfxml",
         "n3", "media-type", "unknown", "first-that-fits"],
)
def test_format_parameter_overrides_accept(values, expected):
    assert names(choose("text/csv", values)) == expected


def test_q_value_of_the_most_specific_range_applies():
    # text/csv is refused explicitly even though text/* would accept it
    assert best("text/*;q=1, text/csv;q=0", SOLUTIONS).name == "tsv"


def test_accept_parsing_clamps_q():
    assert [r.q for r in parse_accept("a/b;q=2, c/d;q=-1, e/f")] == [1.0, 0.0, 1.0]


def test_defaults_are_sparql_json_and_turtle():
    assert (SOLUTIONS[0].media_type, GRAPHS[0].media_type) == ("application/sparql-results+json", "text/turtle")
