"""SPARQL results and RDF graphs, parsed independently of the engine under test, and compared.

Parsers for the four W3C result formats (XML, JSON, CSV, TSV) and for the test suite's Turtle result
sets (``rs:ResultSet``) use the standard library and rdflib, never pyoxigraph: a server built on
pyoxigraph must not be judged by pyoxigraph's own reading of its output.

Comparison is as the W3C suite intends: solutions as multisets (as sequences when the query orders
them), blank nodes matched by a consistent one-to-one renaming, literals by datatype, (case-insensitive)
language tag and lexical form -- except that numbers and booleans compare by value within one datatype
("2.0"^^xsd:decimal equals "2"^^xsd:decimal), unless ``values=False``. The suite's expected results
write canonical XSD forms; Oxigraph stores typed values and returns its own canonical forms, so lexical
comparison fails it on 18 more tests (460 of 490 instead of 478).
"""

from __future__ import annotations

import csv
import io
import json
import re
import struct
import xml.etree.ElementTree as ET
from collections import Counter
from dataclasses import dataclass, field
from decimal import Decimal, InvalidOperation
from pathlib import Path
from typing import Iterable, Sequence, Union

import rdflib
from rdflib.compare import isomorphic

# Keep literals exactly as written ("01"^^xsd:integer stays "01"): normalising both sides would hide
# a server that rewrites lexical forms.
rdflib.NORMALIZE_LITERALS = False

XSD = "http://www.w3.org/2001/XMLSchema#"
XSD_STRING = XSD + "string"
RDF_LANG_STRING = "http://www.w3.org/1999/02/22-rdf-syntax-ns#langString"
SRX = "{http://www.w3.org/2005/sparql-results#}"
XML_LANG = "{http://www.w3.org/XML/1998/namespace}lang"
RS = rdflib.Namespace("http://www.w3.org/2001/sw/DataAccess/tests/result-set#")


# --- terms ------------------------------------------------------------------------------------------


@dataclass(frozen=True, order=True)
class Iri:
    value: str

    def __str__(self) -> str:
        return f"<{self.value}>"


@dataclass(frozen=True, order=True)
class BNode:
    label: str

    def __str__(self) -> str:
        return f"_:{self.label}"


@dataclass(frozen=True, order=True)
class Literal:
    lexical: str
    datatype: str = XSD_STRING
    language: str | None = None

    def __str__(self) -> str:
        text = json.dumps(self.lexical, ensure_ascii=False)
        if self.language:
            return f"{text}@{self.language}"
        return text if self.datatype == XSD_STRING else f"{text}^^<{self.datatype}>"


Term = Union[Iri, BNode, Literal]


def literal(lexical: str, datatype: str | None = None, language: str | None = None) -> Literal:
    """RDF 1.1 literal: a simple literal is an xsd:string, a language tag compares case-insensitively."""
    if language:
        return Literal(lexical, RDF_LANG_STRING, language.lower())
    return Literal(lexical, datatype or XSD_STRING)


def from_rdflib(term: rdflib.term.Node) -> Term:
    if isinstance(term, rdflib.URIRef):
        return Iri(str(term))
    if isinstance(term, rdflib.BNode):
        return BNode(str(term))
    if isinstance(term, rdflib.Literal):
        return literal(str(term), str(term.datatype) if term.datatype else None, term.language)
    raise TypeError(f"not an RDF term: {term!r}")


_INTEGER_TYPES = {
    XSD + name
    for name in (
        "integer", "int", "long", "short", "byte", "nonNegativeInteger", "positiveInteger", "negativeInteger",
        "nonPositiveInteger", "unsignedLong", "unsignedInt", "unsignedShort", "unsignedByte",
    )
}
_INTEGER = re.compile(r"[+-]?\d+")
_DECIMAL = re.compile(r"[+-]?(\d+(\.\d*)?|\.\d+)")
_FLOAT = re.compile(r"[+-]?((\d+(\.\d*)?|\.\d+)([eE][+-]?\d+)?|INF)|NaN")


def by_value(term: Term | None) -> Term | None:
    """A numeric or boolean literal in one canonical form of its value; any other term unchanged."""
    if not isinstance(term, Literal) or term.language:
        return term
    lexical, datatype = term.lexical.strip(), term.datatype
    if datatype in _INTEGER_TYPES and _INTEGER.fullmatch(lexical):
        return Literal(str(int(lexical)), datatype)
    if datatype == XSD + "decimal" and _DECIMAL.fullmatch(lexical):
        try:
            value = Decimal(lexical)
        except InvalidOperation:
            return term
        return Literal("0" if value == 0 else format(value.normalize(), "f"), datatype)
    if datatype in (XSD + "double", XSD + "float") and _FLOAT.fullmatch(lexical):
        value = float(lexical.replace("INF", "inf"))
        if datatype == XSD + "float":  # single precision: "1.1"^^xsd:float is the nearest float32
            try:
                value = struct.unpack("f", struct.pack("f", value))[0]
            except OverflowError:
                return term
        return Literal(repr(value), datatype)
    if datatype == XSD + "boolean" and lexical in ("true", "false", "1", "0"):
        return Literal("true" if lexical in ("true", "1") else "false", datatype)
    return term


# --- results ----------------------------------------------------------------------------------------


@dataclass
class Solutions:
    variables: tuple[str, ...]
    rows: list[dict[str, Term]] = field(default_factory=list)


@dataclass
class Boolean:
    value: bool


Results = Union[Solutions, Boolean]

MEDIA_TYPES = {
    "xml": "application/sparql-results+xml",
    "json": "application/sparql-results+json",
    "csv": "text/csv",
    "tsv": "text/tab-separated-values",
}
SUFFIX_FORMATS = {".srx": "xml", ".srj": "json", ".csv": "csv", ".tsv": "tsv"}


def format_of_media_type(content_type: str) -> str | None:
    media = content_type.split(";")[0].strip().lower()
    return next((name for name, mt in MEDIA_TYPES.items() if mt == media), None)


def parse_results(text: str, fmt: str) -> Results:
    return {"xml": parse_xml, "json": parse_json, "csv": parse_csv, "tsv": parse_tsv}[fmt](text)


def parse_xml(text: str) -> Results:
    root = ET.fromstring(text.encode("utf-8"))
    boolean = root.find(f"{SRX}boolean")
    if boolean is not None:
        return Boolean(_parse_bool(boolean.text or ""))
    variables = tuple(v.get("name", "") for v in root.iterfind(f"{SRX}head/{SRX}variable"))
    rows = []
    for result in root.iterfind(f"{SRX}results/{SRX}result"):
        row = {}
        for binding in result.iterfind(f"{SRX}binding"):
            row[binding.get("name", "")] = _xml_term(binding[0])
        rows.append(row)
    return Solutions(variables, rows)


def _xml_term(elem: ET.Element) -> Term:
    tag = elem.tag.removeprefix(SRX)
    text = elem.text or ""
    if tag == "uri":
        return Iri(text)
    if tag == "bnode":
        return BNode(text)
    if tag == "literal":
        return literal(text, elem.get("datatype"), elem.get(XML_LANG))
    raise ValueError(f"unknown SPARQL XML term element <{tag}>")


def parse_json(text: str) -> Results:
    doc = json.loads(text)
    if "boolean" in doc:
        return Boolean(bool(doc["boolean"]))
    variables = tuple(doc.get("head", {}).get("vars", []))
    rows = [
        {name: _json_term(value) for name, value in binding.items()}
        for binding in doc.get("results", {}).get("bindings", [])
    ]
    return Solutions(variables, rows)


def _json_term(value: dict) -> Term:
    kind = value["type"]
    if kind == "uri":
        return Iri(value["value"])
    if kind == "bnode":
        return BNode(value["value"])
    if kind in ("literal", "typed-literal"):
        return literal(value["value"], value.get("datatype"), value.get("xml:lang"))
    raise ValueError(f"unknown SPARQL JSON term type {kind!r}")


def parse_csv(text: str) -> Results:
    """CSV keeps only strings: a cell is a blank node if it looks like one, else a plain string."""
    reader = csv.reader(io.StringIO(text))
    header = next(reader, [])
    rows = []
    for record in reader:
        row = {}
        for name, cell in zip(header, record):
            if cell == "":
                continue  # CSV cannot tell an unbound variable from an empty string
            row[name] = BNode(cell[2:]) if cell.startswith("_:") else literal(cell)
        rows.append(row)
    return Solutions(tuple(header), rows)


def parse_tsv(text: str) -> Results:
    lines = text.split("\n")
    if lines and lines[-1] == "":
        lines.pop()
    header = [v.strip().removeprefix("?").removeprefix("$") for v in lines[0].split("\t")] if lines else []
    rows = []
    for line in lines[1:]:
        cells = line.rstrip("\r").split("\t")
        rows.append({name: parse_tsv_term(cell) for name, cell in zip(header, cells) if cell != ""})
    return Solutions(tuple(header), rows)


_TSV_NUMBER = [
    (re.compile(r"[+-]?\d+"), XSD + "integer"),
    (re.compile(r"[+-]?\d*\.\d+"), XSD + "decimal"),
    (re.compile(r"[+-]?(\d+\.?\d*|\.\d+)[eE][+-]?\d+"), XSD + "double"),
]
_TSV_LITERAL = re.compile(r'"((?:[^"\\]|\\.)*)"(?:@([A-Za-z0-9-]+)|\^\^<([^>]*)>)?')
_ESCAPES = {"t": "\t", "b": "\b", "n": "\n", "r": "\r", "f": "\f", '"': '"', "'": "'", "\\": "\\"}


def parse_tsv_term(cell: str) -> Term:
    """One TSV cell: an RDF term in Turtle/N-Triples syntax (numbers and booleans may be bare)."""
    if cell.startswith("<") and cell.endswith(">"):
        return Iri(cell[1:-1])
    if cell.startswith("_:"):
        return BNode(cell[2:])
    if match := _TSV_LITERAL.fullmatch(cell):
        return literal(_unescape(match[1]), match[3], match[2])
    if cell in ("true", "false"):
        return literal(cell, XSD + "boolean")
    for pattern, datatype in _TSV_NUMBER:
        if pattern.fullmatch(cell):
            return literal(cell, datatype)
    raise ValueError(f"not an RDF term in TSV: {cell!r}")


def _unescape(text: str) -> str:
    def replace(m: re.Match) -> str:
        if m[1]:
            return _ESCAPES[m[1]]
        return chr(int(m[2] or m[3], 16))

    return re.sub(r'\\(?:([tbnrf"\'\\])|u([0-9A-Fa-f]{4})|U([0-9A-Fa-f]{8}))', replace, text)


def _parse_bool(text: str) -> bool:
    value = text.strip().lower()
    if value not in ("true", "false"):
        raise ValueError(f"not a boolean: {text!r}")
    return value == "true"


def result_set_from_graph(graph: rdflib.Graph) -> Results | None:
    """The test suite's Turtle encoding of results (``rs:ResultSet``); None if the graph holds none."""
    node = graph.value(None, rdflib.RDF.type, RS.ResultSet)
    if node is None:
        return None
    boolean = graph.value(node, RS.boolean)
    if boolean is not None:
        return Boolean(_parse_bool(str(boolean)))
    variables = tuple(sorted(str(v) for v in graph.objects(node, RS.resultVariable)))
    indexed = []
    for solution in graph.objects(node, RS.solution):
        row = {
            str(graph.value(b, RS.variable)): from_rdflib(graph.value(b, RS.value))
            for b in graph.objects(solution, RS.binding)
        }
        index = graph.value(solution, RS.index)
        indexed.append((int(index) if index is not None else 0, row))
    indexed.sort(key=lambda pair: pair[0])
    return Solutions(variables, [row for _, row in indexed])


def read_expected(path: Path, base: str) -> Results | rdflib.Graph:
    """An expected-result file: results by suffix, else an RDF file holding a result set or a graph."""
    fmt = SUFFIX_FORMATS.get(path.suffix)
    if fmt:
        return parse_results(path.read_text(encoding="utf-8"), fmt)
    graph = read_graph(path, base)
    return result_set_from_graph(graph) or graph


RDF_SUFFIXES = {".ttl": "turtle", ".nt": "nt", ".rdf": "xml", ".nq": "nquads", ".trig": "trig"}
RDF_MEDIA_TYPES = {
    "text/turtle": "turtle",
    "application/n-triples": "nt",
    "application/rdf+xml": "xml",
    "application/ld+json": "json-ld",
    "application/n-quads": "nquads",
    "application/trig": "trig",
}


def read_graph(path: Path, base: str) -> rdflib.Graph:
    graph = rdflib.Graph()
    graph.parse(data=path.read_bytes(), format=RDF_SUFFIXES[path.suffix], publicID=base)
    return graph


def parse_graph(body: bytes, content_type: str, base: str) -> rdflib.Graph:
    media = content_type.split(";")[0].strip().lower()
    if media not in RDF_MEDIA_TYPES:
        raise ValueError(f"not an RDF media type: {content_type!r}")
    graph = rdflib.Graph()
    graph.parse(data=body, format=RDF_MEDIA_TYPES[media], publicID=base)
    return graph


# --- comparison -------------------------------------------------------------------------------------

Row = tuple  # a tuple of terms, or of (name, term) pairs; None stands for "no value" (the default graph)


def compare_results(expected: Results, actual: Results, *, ordered: bool, values: bool = True) -> str | None:
    """None when equal, else a short explanation of the difference. ``values``: see ``by_value``."""
    if isinstance(expected, Boolean) or isinstance(actual, Boolean):
        if type(expected) is not type(actual):
            return f"expected {type(expected).__name__}, got {type(actual).__name__}"
        return None if expected.value == actual.value else f"expected {expected.value}, got {actual.value}"
    if set(expected.variables) != set(actual.variables):
        return f"variables differ: expected {sorted(expected.variables)}, got {sorted(actual.variables)}"
    norm = by_value if values else _same
    exp_rows = [tuple(sorted((k, norm(v)) for k, v in r.items())) for r in expected.rows]
    act_rows = [tuple(sorted((k, norm(v)) for k, v in r.items())) for r in actual.rows]
    if bnode_isomorphic(exp_rows, act_rows, ordered=ordered):
        return None
    return describe_difference(exp_rows, act_rows, ordered=ordered)


def compare_graphs(expected: rdflib.Graph, actual: rdflib.Graph, *, values: bool = True) -> str | None:
    if values:
        expected, actual = _graph_by_value(expected), _graph_by_value(actual)
    if isomorphic(expected, actual):
        return None
    exp = [tuple(from_rdflib(t) for t in triple) for triple in expected]
    act = [tuple(from_rdflib(t) for t in triple) for triple in actual]
    return describe_difference(exp, act, ordered=False)


def _graph_by_value(graph: rdflib.Graph) -> rdflib.Graph:
    result = rdflib.Graph()
    for s, p, o in graph:
        if isinstance(o, rdflib.Literal) and o.datatype is not None:
            canonical = by_value(from_rdflib(o))
            o = rdflib.Literal(canonical.lexical, datatype=o.datatype)
        result.add((s, p, o))
    return result


def compare_datasets(expected: Iterable[Row], actual: Iterable[Row], *, values: bool = True) -> str | None:
    """Quads (graph or None, s, p, o); blank nodes may be shared between graphs."""
    norm = by_value if values else _same
    exp = [tuple(map(norm, quad)) for quad in expected]
    act = [tuple(map(norm, quad)) for quad in actual]
    if bnode_isomorphic(exp, act, ordered=False):
        return None
    return describe_difference(exp, act, ordered=False)


def _same(term):
    return term


_BLANK = BNode("")  # stands for "some blank node" when blank nodes are erased


def _erase(row: Row) -> Row:
    return tuple(_erase_item(item) for item in row)


def _erase_item(item):
    if isinstance(item, BNode):
        return _BLANK
    if isinstance(item, tuple):
        return tuple(_erase_item(x) for x in item)
    return item


def _bnodes(row: Row) -> Iterable[BNode]:
    for item in row:
        if isinstance(item, BNode):
            yield item
        elif isinstance(item, tuple):
            yield from _bnodes(item)


def _rename(row: Row, mapping: dict[BNode, BNode]) -> Row:
    def item(x):
        if isinstance(x, BNode):
            return mapping.get(x, x)
        if isinstance(x, tuple):
            return tuple(item(y) for y in x)
        return x

    return tuple(item(x) for x in row)


def bnode_isomorphic(expected: Sequence[Row], actual: Sequence[Row], *, ordered: bool) -> bool:
    """True if some one-to-one renaming of expected's blank nodes makes it equal to actual.

    Equal as multisets, or as sequences when ``ordered``. Blank nodes are first coloured by their
    surroundings (a few rounds of colour refinement), so the search only tries same-coloured
    candidates; the W3C cases then need little or no backtracking.
    """
    if len(expected) != len(actual):
        return False
    exp_shapes = [_erase(r) for r in expected]
    act_shapes = [_erase(r) for r in actual]
    if ordered and exp_shapes != act_shapes:
        return False
    if Counter(exp_shapes) != Counter(act_shapes):
        return False
    exp_nodes = sorted({b for r in expected for b in _bnodes(r)})
    act_nodes = sorted({b for r in actual for b in _bnodes(r)})
    if len(exp_nodes) != len(act_nodes):
        return False
    if not exp_nodes:
        return ordered or Counter(expected) == Counter(actual)
    exp_colour = _colours(expected, ordered)
    act_colour = _colours(actual, ordered)
    if Counter(exp_colour.values()) != Counter(act_colour.values()):
        return False
    target = list(actual) if ordered else Counter(actual)
    order = sorted(exp_nodes, key=lambda b: sum(1 for c in exp_colour.values() if c == exp_colour[b]))
    return _search(order, 0, {}, set(), exp_colour, act_colour, act_nodes, expected, target, ordered)


def _colours(rows: Sequence[Row], ordered: bool, rounds: int = 4) -> dict[BNode, int]:
    colour = {b: 0 for r in rows for b in _bnodes(r)}
    for _ in range(rounds):
        signature: dict[BNode, list] = {b: [] for b in colour}
        for index, row in enumerate(rows):
            for b in set(_bnodes(row)):
                view = _rename_for(row, b, colour)
                signature[b].append((index, view) if ordered else view)
        refined = {b: hash(tuple(sorted(map(repr, sig)))) for b, sig in signature.items()}
        if len(set(refined.values())) == len(set(colour.values())):
            colour = refined
            break
        colour = refined
    return colour


def _rename_for(row: Row, me: BNode, colour: dict[BNode, int]):
    def item(x):
        if isinstance(x, BNode):
            return ("self",) if x == me else ("colour", colour[x])
        if isinstance(x, tuple):
            return tuple(item(y) for y in x)
        return x

    return tuple(item(x) for x in row)


def _search(order, i, mapping, used, exp_colour, act_colour, act_nodes, expected, target, ordered) -> bool:
    if i == len(order):
        renamed = [_rename(r, mapping) for r in expected]
        return renamed == target if ordered else Counter(renamed) == target
    node = order[i]
    for candidate in act_nodes:
        if candidate in used or act_colour[candidate] != exp_colour[node]:
            continue
        mapping[node] = candidate
        used.add(candidate)
        if _consistent(expected, mapping, target, ordered) and _search(
            order, i + 1, mapping, used, exp_colour, act_colour, act_nodes, expected, target, ordered
        ):
            return True
        del mapping[node]
        used.discard(candidate)
    return False


def _consistent(expected, mapping, target, ordered) -> bool:
    """Every expected row whose blank nodes are all mapped must occur in the target."""
    for index, row in enumerate(expected):
        if all(b in mapping for b in _bnodes(row)):
            renamed = _rename(row, mapping)
            if ordered:
                if target[index] != renamed:
                    return False
            elif target[renamed] == 0:
                return False
    return True


def describe_difference(expected: Sequence[Row], actual: Sequence[Row], *, ordered: bool, limit: int = 4) -> str:
    exp, act = Counter(map(_erase, expected)), Counter(map(_erase, actual))
    missing = list((exp - act).elements())
    extra = list((act - exp).elements())
    parts = [f"expected {len(expected)} rows, got {len(actual)}"]
    if missing:
        parts.append("missing: " + "; ".join(_show(r) for r in missing[:limit]))
    if extra:
        parts.append("unexpected: " + "; ".join(_show(r) for r in extra[:limit]))
    if not missing and not extra:
        parts.append("same rows up to blank nodes" + (", different order" if ordered else "; blank nodes differ"))
    return "; ".join(parts)


def _show(row: Row) -> str:
    def item(x):
        if x is None:
            return "DEFAULT"
        if isinstance(x, tuple):
            return f"?{x[0]}={item(x[1])}"
        return "_:*" if x == _BLANK else str(x)

    return " ".join(item(x) for x in row)
