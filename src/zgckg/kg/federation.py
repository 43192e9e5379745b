"""SERVICE clauses evaluated by this server, so that pyoxigraph never opens a connection.

pyoxigraph would run ``SERVICE <iri> { … }`` with its own HTTP client: without connect or read timeouts,
and after a DNS lookup of its own (a rebinding answer could send it to a private address the guard never
saw). :func:`inline_services` instead sends each SERVICE's group to the remote endpoint itself — the
query's PREFIX/BASE declarations, then ``SELECT * WHERE { … }``, POSTed as the SPARQL 1.1 Protocol says —
over a connection to the address the guard checked, with the limits of :class:`guard.Limits`. The answer
goes back into the text in place of the clause, as ``{ VALUES (?a ?b) { (…) (UNDEF …) } }``: the pattern
is still evaluated on its own and joined where it stands, which is what SPARQL asks of SERVICE, and the
engine is left with a query that reaches nothing.

- SILENT: a failure (no connection, a timeout, an error status, an answer that is not SPARQL results, a
  blank node in it) gives one empty solution, ``{}``, as the spec says. A SILENT SERVICE the guard refused
  (its target replaced by ``guard.REFUSED``) becomes ``{}`` without any connection.
- Without SILENT a failure raises :class:`guard.RemoteFailed`: which service, what happened, which
  limit — never the remote's own words, which could be anything.
- This server's own limits (answer size, ``max_rows``) fail the request even with SILENT: hiding them
  would turn a truncated remote answer into a silently wrong result.
- A SERVICE nested in another SERVICE's group is the remote's business: it is sent along with the group.
  The guard has still checked it like every target in the request, and refused the whole request unless
  it is allowed (fail closed), so a request can never name a target the operator did not allow.
- Several SERVICE clauses are asked one after the other; the query's time limit bounds them all.

The text given must have passed the guard (``guard.enforce``) and the parser: a group that cannot be
found is reported as a syntax error, and :func:`inline_services` checks that no SERVICE is left.
"""

from __future__ import annotations

from collections.abc import Iterable, Sequence
from dataclasses import dataclass
from urllib.parse import urlencode

import pyoxigraph as ox

from ..errors import ForbiddenOperation, QuerySyntaxError
from . import guard

ACCEPT = "application/sparql-results+json, application/sparql-results+xml;q=0.9"
EMPTY = "{}"
"""One solution without bindings: what a failed SILENT SERVICE stands for."""


@dataclass(frozen=True)
class Outbound:
    """Where a request may connect and how: the allow-list, time and size limits, rows, network, base IRI,
    and prefixes the request may use without declaring them (the command line's predeclared ones)."""

    allowlist: tuple[str, ...] = ()
    limits: guard.Limits = guard.Limits()
    max_rows: int = 100_000
    network: guard.Network = guard.SYSTEM
    base_iri: str | None = None
    prefixes: tuple[tuple[str, str], ...] = ()


Row = list["ox.NamedNode | ox.Literal | ox.Triple | ox.BlankNode | None"]


def inline_services(text: str, outbound: Outbound) -> str:
    """The text with every outermost SERVICE clause replaced by the remote's answer as a VALUES block."""
    services = [r for r in guard.scan(text).reaches if r.keyword == "SERVICE"]
    if not services:
        return text
    declarations = _declarations(text)
    pieces, last = [], 0
    for reach in services:
        if reach.at < last:
            continue  # inside a group already sent: the remote evaluates it
        start, end = group_span(text, reach.end)
        query = _prologue(declarations, reach.at, outbound) + "SELECT * WHERE " + text[start:end]
        pieces += [text[last : reach.at], _answer(reach, query, outbound)]
        last = end
    rewritten = "".join(pieces) + text[last:]
    left = guard.scan(rewritten).services
    if left:  # a bug, not a user error: fail closed rather than let the engine connect
        raise AssertionError(f"SERVICE left for the engine after the rewrite: {left}")
    return rewritten


def group_span(text: str, after: int) -> tuple[int, int]:
    """Start and end of the group graph pattern ``{ … }`` that begins at the first token from ``after``.

    Braces are counted on tokens, so a brace inside a string, an IRI or a comment does not count.
    """
    depth, start = 0, None
    for token in guard.tokens(text, after):
        if start is None:
            if token.text != "{":
                raise QuerySyntaxError(f"a SERVICE target must be followed by a group {{ … }}, not {token.text!r}")
            start = token.start
        if token.kind == "punct" and token.text in "{}":
            depth += 1 if token.text == "{" else -1
            if depth == 0:
                return start, token.end
    raise QuerySyntaxError("a SERVICE group is not closed: a '}' is missing")


def _declarations(text: str) -> list[tuple[int, str]]:
    """Every PREFIX and BASE declaration of the text, with where it starts."""
    stream = list(guard.tokens(text))
    found = []
    for i, token in enumerate(stream):
        word = token.text.upper() if token.kind == "word" else ""
        if word == "PREFIX" and [t.kind for t in stream[i + 1 : i + 3]] == ["pname", "iri"]:
            found.append((token.start, f"PREFIX {stream[i + 1].text} {stream[i + 2].text}"))
        elif word == "BASE" and [t.kind for t in stream[i + 1 : i + 2]] == ["iri"]:
            found.append((token.start, f"BASE {stream[i + 1].text}"))
    return found


def _prologue(declarations: Sequence[tuple[int, str]], before: int, outbound: Outbound) -> str:
    """The declarations in force where a SERVICE starts, so the group means at the remote what it means here."""
    lines = [f"BASE {ox.NamedNode(outbound.base_iri)}"] if outbound.base_iri else []
    in_force = [text for at, text in declarations if at < before]
    declared = {line.split()[1] for line in in_force if line.startswith("PREFIX")}
    lines += [f"PREFIX {name}: {ox.NamedNode(iri)}" for name, iri in outbound.prefixes if f"{name}:" not in declared]
    lines += in_force
    return "".join(line + "\n" for line in lines)


def _answer(reach: guard.Reach, query: str, outbound: Outbound) -> str:
    """The VALUES block standing for one SERVICE clause, or EMPTY for a SILENT one that failed."""
    if reach.iri == guard.REFUSED and reach.silent:
        return EMPTY
    try:
        return values_block(reach.iri, *ask(reach.iri, query, outbound))
    except guard.RemoteFailed as exc:
        if reach.silent and not exc.over_limit:
            return EMPTY
        raise
    except ForbiddenOperation:  # the target no longer passes the check (a new DNS answer, a redirect)
        if reach.silent:
            return EMPTY
        raise


def ask(service: str, query: str, outbound: Outbound) -> tuple[list[ox.Variable], list[Row]]:
    """Send a SELECT query to an allowed endpoint; its variables and rows."""
    fetched = guard.send(
        "SERVICE", service, outbound.allowlist, limits=outbound.limits, network=outbound.network,
        method="POST", body=urlencode({"query": query}).encode(),
        headers={"Content-Type": "application/x-www-form-urlencoded", "Accept": ACCEPT},
    )
    return read_solutions(service, fetched, outbound.max_rows)


def read_solutions(service: str, fetched: guard.Fetched, max_rows: int) -> tuple[list[ox.Variable], list[Row]]:
    """The variables and rows of a SPARQL results document, at most ``max_rows`` of them."""
    media = (fetched.content_type or "").split(";")[0].strip().lower()
    fmt = ox.QueryResultsFormat.from_media_type(media) if media else None
    if fmt not in (ox.QueryResultsFormat.JSON, ox.QueryResultsFormat.XML, ox.QueryResultsFormat.TSV):
        raise guard.RemoteFailed("SERVICE", service, f"the answer is not SPARQL results (Content-Type {media or 'missing'})")
    rows: list[Row] = []
    try:
        results = ox.parse_query_results(fetched.body, fmt)
        if not isinstance(results, ox.QuerySolutions):
            raise ValueError("a boolean answer")
        variables = list(results.variables)
        for solution in results:
            if len(rows) == max_rows:
                raise guard.RemoteFailed(
                    "SERVICE", service, f"the answer has more than {max_rows} rows, the limit for one request; "
                    "add a LIMIT inside the SERVICE pattern", over_limit=True)
            rows.append([solution[v] for v in variables])
    except (SyntaxError, ValueError, OSError):  # the parser's message may quote the answer: not repeated
        raise guard.RemoteFailed("SERVICE", service, f"the answer could not be read as {fmt.name}") from None
    return variables, rows


def values_block(service: str, variables: Sequence[ox.Variable], rows: Iterable[Row]) -> str:
    """``{ VALUES (?a ?b) { (t t) (UNDEF t) } }``; ``{ VALUES () { () } }`` for one empty solution."""
    head = " ".join(str(v) for v in variables)
    body = " ".join("(" + " ".join(_term(service, v, t) for v, t in zip(variables, row)) + ")" for row in rows)
    return f"{{ VALUES ({head}) {{ {body} }} }}"


def _term(service: str, variable: ox.Variable, term) -> str:
    """A term in SPARQL syntax. pyoxigraph's N-Triples form of IRIs and literals is valid SPARQL (quotes,
    newlines and backslashes escaped; language tags and datatypes kept), and its parser has already
    refused IRIs, language tags and variable names that could not be written back safely."""
    if term is None:
        return "UNDEF"
    if isinstance(term, (ox.NamedNode, ox.Literal)):
        return str(term)
    if isinstance(term, ox.Triple):
        parts = (_term(service, variable, t) for t in (term.subject, term.predicate, term.object))
        return "<<( " + " ".join(parts) + " )>>"
    raise guard.RemoteFailed(
        "SERVICE", service, f"the answer binds {variable} to a blank node, which cannot be carried into this "
        "query (a blank node means nothing outside the answer it came in); bind an IRI or STR() of it instead")
