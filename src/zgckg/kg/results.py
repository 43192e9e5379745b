"""Running a query on the store and writing its results: a terminal table, or a standard format.

Every standard format is written by pyoxigraph's own serialisers, so the bytes are exactly what the W3C
formats specify (the same bytes the web endpoint sends). The table is for people: IRIs shortened with the
project's prefixes, and columns that line up Chinese text, whose characters take two terminal columns.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import replace
from typing import IO

import pyoxigraph as ox
from wcwidth import wcswidth

from ..namespaces import PREFIXES, shorten
from .executor.reads import syntax_error
from .federation import Outbound
from .formats import GRAPHS, SOLUTIONS, by_short, serialize_triples
from .prepared import prepare_query
from .sparql import SyntaxLimits

SOLUTION_FORMATS = by_short(SOLUTIONS)
"""Formats for SELECT and ASK results, by command-line name."""
GRAPH_FORMATS = by_short(GRAPHS)
"""Formats for CONSTRUCT and DESCRIBE results, by command-line name."""


class FormatMismatch(ValueError):
    """A result format that does not fit the kind of query (CSV for a CONSTRUCT, Turtle for a SELECT)."""

    def __init__(self, fmt: str, kind: str, allowed: Sequence[str]):
        super().__init__(f"--format {fmt} does not apply to {kind} queries; use one of: {', '.join(allowed)}")


def run_query(store: ox.Store, query: str, *, union: bool = True, substitutions: dict | None = None,
              outbound: Outbound | None = None, limits: SyntaxLimits = SyntaxLimits()):
    """Run a SPARQL query as the endpoint does (see ``prepared``); the default graph is the union of all
    graphs unless ``union`` is false or the query names its own dataset.

    The project's shared prefixes (zg:, zgo:, rdfs:, skos: …) are predeclared, so a query typed on the
    command line can use them without PREFIX lines; a PREFIX in the query takes precedence.
    ``substitutions`` binds variables to terms (an analyst query's parameters). A SERVICE goes only where
    ``outbound`` allows (by default nowhere), asked by this process, never by pyoxigraph.
    """
    policy = replace(outbound or Outbound(), prefixes=tuple(PREFIXES.items()))
    prepared = prepare_query(query, policy, limits)
    union = union and not prepared.has_dataset_clause
    try:
        return store.query(prepared.text, use_default_graph_as_union=union, prefixes=PREFIXES,
                           substitutions=substitutions)
    except SyntaxError as exc:
        raise syntax_error(exc) from None


def write_results(result, fmt: str, out: IO[bytes]) -> None:
    """Write a query's result to a binary stream in a format that fits its kind."""
    if fmt == "table":
        out.write(table(result).encode("utf-8"))
    elif isinstance(result, ox.QueryTriples):
        if fmt not in GRAPH_FORMATS:
            raise FormatMismatch(fmt, "CONSTRUCT or DESCRIBE", ["table", *GRAPH_FORMATS])
        serialize_triples(result, GRAPH_FORMATS[fmt], out)
    else:
        if fmt not in SOLUTION_FORMATS:
            kind = "ASK" if isinstance(result, ox.QueryBoolean) else "SELECT"
            raise FormatMismatch(fmt, kind, ["table", *SOLUTION_FORMATS])
        result.serialize(out, SOLUTION_FORMATS[fmt].ox_format)


def table(result) -> str:
    """A plain-text table of any query result, with a row count under it."""
    if isinstance(result, ox.QueryBoolean):
        return f"{'true' if bool(result) else 'false'}\n"
    if isinstance(result, ox.QueryTriples):
        header = ["subject", "predicate", "object"]
        rows = [[cell(t.subject), cell(t.predicate), cell(t.object)] for t in result]
    else:
        header = [v.value for v in result.variables]
        rows = [[cell(solution[v]) for v in result.variables] for solution in result]
    return render_table(header, rows)


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


def cell(term) -> str:
    """A term as people read it: ``zg:baidu`` for IRIs, the text of a literal with its language tag."""
    if term is None:
        return ""
    if isinstance(term, ox.NamedNode):
        return shorten(term.value)
    if isinstance(term, ox.BlankNode):
        return f"_:{term.value}"
    if isinstance(term, ox.Literal):
        text = _one_line(term.value)
        return f"{text}@{term.language}" if term.language else text
    return str(term)  # quoted triples


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
