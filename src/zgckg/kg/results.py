"""A query's results for the command line: a standard format, or a terminal table, asked of an engine.

The standard formats are the engine's (the same bytes the web endpoint sends). The table is for people,
rendered from the SPARQL JSON results (SELECT, ASK) or the N-Triples (CONSTRUCT, DESCRIBE) the engine
answers with: IRIs shortened with the project's prefixes, and columns that line up Chinese text, whose
characters take two terminal columns.
"""

from __future__ import annotations

import json
import sys
from collections.abc import Mapping, Sequence
from typing import TYPE_CHECKING, Any

from wcwidth import wcswidth

from ..errors import NotAcceptable
from ..namespaces import shorten
from .formats import GRAPHS, SOLUTIONS, Format, by_short

if TYPE_CHECKING:
    from .engine import Answer, Engine

SOLUTION_FORMATS = by_short(SOLUTIONS)
"""Formats for SELECT and ASK results, by command-line name."""
GRAPH_FORMATS = by_short(GRAPHS)
"""Formats for CONSTRUCT and DESCRIBE results, by command-line name."""
TABLE = "table"
_KINDS = {"solutions": "SELECT", "boolean": "ASK", "graph": "CONSTRUCT or DESCRIBE"}


class FormatMismatch(ValueError):
    """A result format that does not fit the kind of query (CSV for a CONSTRUCT, Turtle for a SELECT)."""

    def __init__(self, fmt: str, kind: str, allowed: Sequence[str]):
        super().__init__(f"--format {fmt} does not apply to {kind} queries; use one of: {', '.join(allowed)}")


def formats(fmt: str) -> tuple[Format | None, Format | None]:
    """The formats a command-line name asks the engine for: (for SELECT and ASK, for CONSTRUCT and DESCRIBE).
    The table is rendered from SPARQL JSON results and from N-Triples."""
    if fmt == TABLE:
        return SOLUTION_FORMATS["json"], GRAPH_FORMATS["nt"]
    return SOLUTION_FORMATS.get(fmt), GRAPH_FORMATS.get(fmt)


def run_query(engine: Engine, text: str, fmt: str = TABLE, *, bindings: Mapping[str, str] | None = None,
              timeout: float | None = None, max_rows: int = sys.maxsize) -> bytes:
    """The query's results in ``fmt`` (a command-line name, or ``table``), answered by ``engine``.

    The engine prepares the query as the endpoint does (the project's prefixes predeclared, SERVICE only
    where the configuration allows); its default graph is the union of all graphs when its configuration
    says so and the query names no dataset of its own. ``bindings`` binds variables to terms in SPARQL
    syntax (an analyst query's parameters). A format that does not fit the query raises FormatMismatch.
    """
    from .engine import Query

    solutions_format, graph_format = formats(fmt)
    query = Query(text, solutions_format, graph_format, bindings=dict(bindings or {}),
                  timeout=engine.config.timeout if timeout is None else timeout, max_rows=max_rows)
    try:
        answer = engine.query(query)
    except NotAcceptable as refused:
        allowed = GRAPH_FORMATS if refused.kind == "graph" else SOLUTION_FORMATS
        raise FormatMismatch(fmt, _KINDS.get(refused.kind, refused.kind), [TABLE, *allowed]) from None
    if fmt == TABLE:
        return table(answer).encode("utf-8")
    return answer.content()


def table(answer: Answer) -> str:
    """A plain-text table of an engine's answer in SPARQL JSON or N-Triples, with a row count under it."""
    content = answer.content()
    if answer.kind == "graph":
        return triples_table(content)
    return json_table(json.loads(content))


def json_table(document: Mapping[str, Any]) -> str:
    """A plain-text table of a SPARQL JSON results document (just ``true`` or ``false`` for ASK)."""
    if "boolean" in document:
        return f"{'true' if document['boolean'] else 'false'}\n"
    header = list(document["head"].get("vars", []))
    rows = [[cell(solution.get(v)) for v in header] for solution in document["results"]["bindings"]]
    return render_table(header, rows)


def triples_table(ntriples: bytes) -> str:
    """A plain-text table of N-Triples: subject, predicate and object columns."""
    import pyoxigraph as ox

    rows = [[cell(json_term(t.subject)), cell(json_term(t.predicate)), cell(json_term(t.object))]
            for t in ox.parse(ntriples, ox.RdfFormat.N_TRIPLES)]
    return render_table(["subject", "predicate", "object"], rows)


def json_term(term) -> dict[str, Any]:
    """A pyoxigraph term as a SPARQL JSON results term."""
    import pyoxigraph as ox

    if isinstance(term, ox.NamedNode):
        return {"type": "uri", "value": term.value}
    if isinstance(term, ox.BlankNode):
        return {"type": "bnode", "value": term.value}
    if isinstance(term, ox.Literal):
        if term.language:
            return {"type": "literal", "value": term.value, "xml:lang": term.language}
        return {"type": "literal", "value": term.value, "datatype": term.datatype.value}
    return {"type": "triple", "value": {"subject": json_term(term.subject), "predicate": json_term(term.predicate),
                                        "object": json_term(term.object)}}


def render_table(header: list[str], rows: list[list[str]], *, count: bool = True) -> str:
    """Columns padded to the widest cell in terminal columns; a row count under them unless ``count`` is false."""
    widths = [display_width(h) for h in header]
    for row in rows:
        widths = [max(w, display_width(c)) for w, c in zip(widths, row)]
    lines = [_line(header, widths), "  ".join("-" * w for w in widths)]
    lines += [_line(row, widths) for row in rows]
    if count:
        lines.append(f"({len(rows)} row{'' if len(rows) == 1 else 's'})")
    return "\n".join(lines) + "\n"


def cell(term: Mapping[str, Any] | None) -> str:
    """A SPARQL JSON term as people read it: ``zg:baidu`` for IRIs, the text of a literal with its
    language tag, ``_:b1`` for a blank node, ``<< s p o >>`` for a quoted triple; unbound: empty."""
    if term is None:
        return ""
    kind = term.get("type")
    if kind == "uri":
        return shorten(term["value"])
    if kind == "bnode":
        return f"_:{term['value']}"
    if kind in ("literal", "typed-literal"):
        text = _one_line(term["value"])
        return f"{text}@{term['xml:lang']}" if term.get("xml:lang") else text
    if kind == "triple":
        value = term["value"]
        return f"<< {cell(value['subject'])} {cell(value['predicate'])} {cell(value['object'])} >>"
    return str(term.get("value", ""))


def display_width(text: str) -> int:
    """Terminal columns a string takes: 2 for CJK characters, 0 for combining marks."""
    width = wcswidth(text)
    return width if width >= 0 else len(text)


def _line(cells: list[str], widths: list[int]) -> str:
    padded = [c + " " * (w - display_width(c)) for c, w in zip(cells, widths)]
    return "  ".join(padded).rstrip()


def _one_line(text: str) -> str:
    # A newline or tab inside a cell would break the table's rows and columns.
    return text.replace("\r\n", "↵").replace("\n", "↵").replace("\r", "↵").replace("\t", " ")
