"""Parse the ontology and the curated data, one file at a time, so every error can name its file and line.

Each file is parsed twice on purpose: rdflib builds the graph the validator and the reasoner work on, and
Oxigraph's stricter parser then checks the same bytes, so anything the store would later refuse (an invalid
IRI, a bad language tag) is reported here as ``file:line: message`` instead of failing half-way through a
load.
"""

from __future__ import annotations

import re
import warnings
import xml.sax
from collections.abc import Iterable, Iterator, Mapping
from dataclasses import dataclass, field
from pathlib import Path

import pyoxigraph as ox
import rdflib
from rdflib.exceptions import ParserError
from rdflib.graph import DATASET_DEFAULT_GRAPH_ID
from rdflib.plugins.parsers.notation3 import BadSyntax
from rdflib.util import guess_format

from ..config import Config
from ..errors import DataError

# Oxigraph prefixes its messages with the location and appends "(file, line N)"; we print our own.
_OX_LOCATION = re.compile(r"^Parser error (?:at|between) [^:]*: ")
_OX_SUFFIX = re.compile(r" \([^()]*, line \d+\)$")


VOCABULARIES = "vocabularies"
"""The folder, inside the ontology folder, of excerpts of the vocabularies the ontology aligns to."""


@dataclass(frozen=True)
class Sources:
    """The parsed input of a build: ontology files, data files and the SHACL shapes file, each by path, and
    the excerpts of other vocabularies the reasoner needs."""

    ontology_files: Mapping[Path, rdflib.Graph]
    data_files: Mapping[Path, rdflib.Graph]
    shapes_file: Path | None
    vocabulary_files: Mapping[Path, rdflib.Graph] = field(default_factory=dict)

    def ontology(self) -> rdflib.Graph:
        """The union of the ontology files (the shapes are not part of it, nor the vocabulary excerpts)."""
        return union(self.ontology_files.values())

    def for_reasoning(self) -> rdflib.Graph:
        """The ontology plus the excerpts of the vocabularies it aligns to (ORG's transitive
        sub-organisation …): what the reasoner reads. The excerpts are other vocabularies' axioms, so they
        are not published as part of our ontology."""
        return union([*self.ontology_files.values(), *self.vocabulary_files.values()])

    def data(self) -> rdflib.Graph:
        """The union of the data files."""
        return union(self.data_files.values())


def load_sources(config: Config) -> Sources:
    """Parse ``ontology/*.ttl`` (except the shapes), ``ontology/vocabularies/*.ttl`` and ``data/turtle/*.ttl``;
    the first syntax error stops it."""
    shapes = config.shapes_file
    ontology_paths = [p for p in turtle_files(config.ontology_dir) if p != shapes]
    return Sources(
        ontology_files={p: parse_file(p) for p in ontology_paths},
        data_files={p: parse_file(p) for p in turtle_files(config.data_dir)},
        shapes_file=shapes if shapes.is_file() else None,
        vocabulary_files={p: parse_file(p) for p in turtle_files(config.ontology_dir / VOCABULARIES)},
    )


def turtle_files(directory: Path) -> list[Path]:
    """The ``*.ttl`` files of a directory in name order (none if it does not exist)."""
    return sorted(directory.glob("*.ttl")) if directory.is_dir() else []


def union(graphs: Iterable[rdflib.Graph]) -> rdflib.Graph:
    merged = rdflib.Graph()
    for graph in graphs:
        merged += graph
        for prefix, namespace in graph.namespaces():
            merged.bind(prefix, namespace, override=False)
    return merged


def parse_file(path: Path, rdf_format: str | None = None) -> rdflib.Graph:
    """One RDF file as an rdflib graph, or a :class:`DataError` naming the file and the line."""
    graph = rdflib.Graph()
    _parse_into(graph, path, rdf_format)
    check_strictly(path)
    return graph


def parse_dataset(path: Path, rdf_format: str | None = None) -> rdflib.Dataset:
    """One RDF file of any syntax rdflib reads, graph names kept (TriX, TriG …), or a :class:`DataError`."""
    dataset = rdflib.Dataset()
    with warnings.catch_warnings():
        # rdflib 7.6's Dataset.parse calls its own deprecated Dataset.default_context
        warnings.simplefilter("ignore", DeprecationWarning)
        _parse_into(dataset, path, rdf_format)
    return dataset


def _parse_into(target: rdflib.Graph, path: Path, rdf_format: str | None) -> None:
    try:
        target.parse(path, format=rdf_format or guess_format(str(path)) or "turtle")
    except (BadSyntax, ParserError, xml.sax.SAXParseException, ValueError) as exc:
        raise _data_error(path, exc) from None
    except OSError as exc:
        raise DataError(display_path(path), None, exc.strerror or str(exc)) from None


def check_strictly(path: Path) -> None:
    """Parse with Oxigraph too, when it reads the syntax, so the store will accept every term."""
    try:
        rdf_format = ox.RdfFormat.from_extension(path.suffix.lstrip("."))
    except ValueError:
        return
    if rdf_format is None:
        return
    try:
        for _ in ox.parse(path=path, format=rdf_format, base_iri=path.resolve().as_uri()):
            pass
    except SyntaxError as exc:
        raise DataError(display_path(path), exc.lineno, oxigraph_message(exc)) from None


def oxigraph_message(exc: SyntaxError) -> str:
    """Oxigraph's message without the location it embeds (we print ``file:line:`` ourselves)."""
    return _OX_SUFFIX.sub("", _OX_LOCATION.sub("", exc.msg or str(exc)))


def _data_error(path: Path, exc: Exception) -> DataError:
    line, message = _line_and_message(exc)
    if line is None:
        # rdflib's N-Triples and some other parsers lose the position; Oxigraph's parser knows it.
        line, message = _oxigraph_position(path) or (None, message)
    return DataError(display_path(path), line, message)


def _line_and_message(exc: Exception) -> tuple[int | None, str]:
    if isinstance(exc, BadSyntax):
        # BadSyntax counts the newlines before the failing statement: lines are 0-based there.
        return exc.lines + 1, exc._why
    if isinstance(exc, xml.sax.SAXParseException):
        return exc.getLineNumber(), exc.getMessage()
    return None, str(exc)


def _oxigraph_position(path: Path) -> tuple[int, str] | None:
    try:
        check_strictly(path)
    except DataError as error:
        return (error.line, error.message) if error.line else None
    return None


def display_path(path: Path) -> str:
    """The path relative to the working directory when it lies below it, else as given."""
    try:
        return str(Path(path).resolve().relative_to(Path.cwd()))
    except ValueError:
        return str(path)


def ill_typed_literals(graph: rdflib.Graph) -> Iterator[tuple]:
    """Triples whose literal does not fit its datatype ("abc"^^xsd:integer): rdflib reads them, the
    reasoner would stop on them, and a query comparing values would silently skip them."""
    return ((s, p, o) for s, p, o in graph if isinstance(o, rdflib.Literal) and o.ill_typed)


def ill_typed_message(literal: rdflib.Literal) -> str:
    return f"{literal.n3()} is not a valid value of its datatype"


def quads_of(graph: rdflib.Graph, graph_name: str) -> Iterator[ox.Quad]:
    """An rdflib graph's triples as Oxigraph quads in the named graph ``graph_name``."""
    name = ox.NamedNode(graph_name)
    for s, p, o in graph:
        yield ox.Quad(to_oxigraph(s), to_oxigraph(p), to_oxigraph(o), name)


def quads_of_dataset(dataset: rdflib.Dataset, default_graph: str) -> Iterator[ox.Quad]:
    """A dataset's quads; triples outside a named graph (or in an unnamed one) go to ``default_graph``."""
    fallback = ox.NamedNode(default_graph)
    for s, p, o, context in dataset.quads():
        named = isinstance(context, rdflib.URIRef) and context != DATASET_DEFAULT_GRAPH_ID
        yield ox.Quad(to_oxigraph(s), to_oxigraph(p), to_oxigraph(o), ox.NamedNode(str(context)) if named else fallback)


def to_oxigraph(term: rdflib.term.Node):
    """An rdflib term as the equal Oxigraph term (blank node ids are kept, so graphs can share them)."""
    if isinstance(term, rdflib.URIRef):
        return ox.NamedNode(str(term))
    if isinstance(term, rdflib.BNode):
        return ox.BlankNode(str(term))
    if isinstance(term, rdflib.Literal):
        if term.language:
            return ox.Literal(str(term), language=term.language)
        if term.datatype:
            return ox.Literal(str(term), datatype=ox.NamedNode(str(term.datatype)))
        return ox.Literal(str(term))
    raise TypeError(f"cannot store {term!r}")
