from pathlib import Path

import pyoxigraph as ox
import pytest
import rdflib

from zgckg.config import Config
from zgckg.errors import DataError
from zgckg.kg.inputs import display_path, ill_typed_literals, load_sources, parse_file, to_oxigraph

MINI = Path(__file__).parent / "data" / "mini"
PREFIX = "@prefix ex: <http://example.org/> .\n"

BROKEN = [
    # (file name, content, line of the error, words the message must contain)
    ("string.ttl", PREFIX + 'ex:a ex:p ex:b .\n\nex:c ex:p "unterminated .\nex:d ex:p ex:e .\n', 4, "string"),
    ("prefix.ttl", PREFIX + "ex:a ex:p ex:b .\nfoo:c ex:p ex:d .\n", 3, "foo"),
    ("object.ttl", PREFIX + "ex:a ex:p ex:b .\nex:c ex:p ex:d ;\n   ex:q .\n", 4, "object"),
    # rdflib reads this IRI; the store would not, so the strict check must catch it at its line
    ("iri.ttl", PREFIX + "ex:a ex:p ex:b .\n\nex:a ex:p <http://example.org/a b> .\n", 4, "IRI"),
    # rdflib's N-Triples parser loses the line; Oxigraph's parser supplies it
    ("triples.nt", "<http://e/a> <http://e/p> <http://e/b> .\n<http://e/a> <http://e/p> .\n", 2, "object"),
    ("doc.rdf", '<?xml version="1.0"?>\n<rdf:RDF xmlns:rdf="http://www.w3.org/1999/02/22-rdf-syntax-ns#">\n'
                '<rdf:Description rdf:about="http://e/a">\n<x\n</rdf:RDF>\n', 5, "well-formed"),
]


@pytest.mark.parametrize("name, content, line, words", BROKEN, ids=[b[0] for b in BROKEN])
def test_syntax_error_names_file_and_line(tmp_path, monkeypatch, name, content, line, words):
    monkeypatch.chdir(tmp_path)
    Path(name).write_text(content, encoding="utf-8")
    with pytest.raises(DataError) as caught:
        parse_file(Path(name))
    assert (caught.value.file, caught.value.line) == (name, line)
    assert words.lower() in caught.value.message.lower()
    assert str(caught.value).startswith(f"{name}:{line}: ")


def test_fixture_with_missing_dot_fails_on_the_line_after_the_statement():
    with pytest.raises(DataError) as caught:
        parse_file(MINI / "broken" / "broken.ttl")
    # the statement on line 7 lacks its final dot: the parser notices at the next subject, on line 8
    assert caught.value.line == 8
    assert caught.value.file.endswith("broken.ttl")


def test_display_path_is_relative_below_the_working_directory(tmp_path, monkeypatch):
    (tmp_path / "data").mkdir()
    monkeypatch.chdir(tmp_path)
    assert display_path(tmp_path / "data" / "x.ttl") == "data/x.ttl"
    assert display_path(Path("/elsewhere/x.ttl")) == "/elsewhere/x.ttl"


def test_sources_keep_each_file_apart_and_leave_the_shapes_out_of_the_ontology(tmp_path):
    config = Config(store=tmp_path, ontology_dir=MINI / "ontology", data_dir=MINI / "data")
    sources = load_sources(config)
    assert [p.name for p in sources.ontology_files] == ["mini.ttl"]
    assert sources.shapes_file == MINI / "ontology" / "shapes.ttl"
    assert [p.name for p in sources.data_files] == ["organisations.ttl", "places.ttl"]
    shacl = rdflib.URIRef("http://www.w3.org/ns/shacl#NodeShape")
    assert (None, rdflib.RDF.type, shacl) not in sources.ontology()
    assert len(sources.data()) == sum(len(g) for g in sources.data_files.values())


def test_missing_directories_give_no_files(tmp_path):
    config = Config(store=tmp_path, ontology_dir=tmp_path / "none", data_dir=tmp_path / "none")
    sources = load_sources(config)
    assert (dict(sources.ontology_files), dict(sources.data_files), sources.shapes_file) == ({}, {}, None)


TERMS = [
    (rdflib.URIRef("http://e/a"), ox.NamedNode("http://e/a")),
    (rdflib.BNode("b0"), ox.BlankNode("b0")),
    (rdflib.Literal("海淀园", lang="zh"), ox.Literal("海淀园", language="zh")),
    (rdflib.Literal("7578", datatype=rdflib.XSD.integer), ox.Literal("7578", datatype=ox.NamedNode(str(rdflib.XSD.integer)))),
    (rdflib.Literal("plain"), ox.Literal("plain")),
]


@pytest.mark.parametrize("term, expected", TERMS, ids=["iri", "blank-node-id-kept", "language", "typed", "plain"])
def test_terms_convert_to_equal_oxigraph_terms(term, expected):
    assert to_oxigraph(term) == expected


def test_ill_typed_literals_are_found():
    graph = rdflib.Graph().parse(data=PREFIX + 'ex:a ex:n "7578"^^<http://www.w3.org/2001/XMLSchema#integer> ; '
                                 'ex:m "many"^^<http://www.w3.org/2001/XMLSchema#integer> .', format="turtle")
    assert [str(o) for _, _, o in ill_typed_literals(graph)] == ["many"]
