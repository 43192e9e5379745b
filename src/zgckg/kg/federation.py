"""SERVICE clauses evaluated by this server, so that the engine never opens a connection.

pyoxigraph would run ``SERVICE <iri> { … }`` with its own HTTP client: without connect or read timeouts,
and after a DNS lookup of its own (a rebinding answer could send it to a private address never checked).
:func:`inline_services` instead sends each SERVICE's group to the remote endpoint itself — the query's
PREFIX/BASE declarations, then ``SELECT * WHERE { … }``, POSTed as the SPARQL 1.1 Protocol says — over a
connection to the address :mod:`outbound` checked. The answer goes back into the text in place of the
clause, as ``{ VALUES (?a ?b) { (…) (UNDEF …) } }``: the pattern is still evaluated on its own and joined
where it stands, which is what SPARQL asks of SERVICE, and the engine is left with a query that reaches
nothing. Where the SERVICE clauses are comes from the parser (:mod:`zgckg.kg.sparql`), not from a scan.

- Every target in the request is checked before anything is sent, nested ones included: a refused target
  fails the request (ForbiddenOperation), unless it is an outermost SILENT one, which becomes one empty
  solution, ``{}``, as a failed SILENT SERVICE does. A variable as target cannot be checked: refused.
- An allowed SERVICE that fails (no connection, a timeout, an error status, an answer that is not SPARQL
  results, a blank node in it) raises :class:`outbound.RemoteFailed` saying which service and what
  happened — never the remote's own words — or, with SILENT, gives ``{}``. This server's own limits
  (answer size, ``max_rows``) fail the request even with SILENT: hiding them would turn a truncated
  remote answer into a silently wrong result.
- A SERVICE nested in another SERVICE's group is sent along with the group: the remote evaluates it.
- Several SERVICE clauses are asked one after the other; the request's time limit bounds them all.
"""

from __future__ import annotations

from collections.abc import Iterable, Sequence
from dataclasses import dataclass
from urllib.parse import urlencode

import pyoxigraph as ox

from ..errors import ForbiddenOperation
from . import outbound
from .sparql import Reading, Service

ACCEPT = "application/sparql-results+json, application/sparql-results+xml;q=0.9"
EMPTY = "{}"
"""One solution without bindings: what a failed SILENT SERVICE stands for."""


@dataclass(frozen=True)
class Outbound:
    """Where a request may connect and how: the allow-list, time and size limits, rows, network, base IRI,
    and prefixes the request may use without declaring them (predeclared ones)."""

    allowlist: tuple[str, ...] = ()
    limits: outbound.Limits = outbound.Limits()
    max_rows: int = 100_000
    network: outbound.Network = outbound.SYSTEM
    base_iri: str | None = None
    prefixes: tuple[tuple[str, str], ...] = ()

    def check(self, operation: str, iri: str | None) -> outbound.Target:
        return outbound.check_target(operation, iri, self.allowlist, self.network.resolve)


Row = list["ox.NamedNode | ox.Literal | ox.Triple | ox.BlankNode | None"]


def inline_services(reading: Reading, policy: Outbound) -> str:
    """The text with every outermost SERVICE clause replaced by the remote's answer as a VALUES block."""
    text = reading.text
    refused = {}
    for service in reading.services:  # all checked before any is asked
        try:
            policy.check("SERVICE", service.iri)
        except ForbiddenOperation as exc:
            if service.inner or not service.silent:
                raise
            refused[service.start] = exc
    pieces, last = [], 0
    for service in sorted((s for s in reading.services if not s.inner), key=lambda s: s.start):
        if service.start in refused:
            answer = EMPTY
        else:
            query = _prologue(reading, service, policy) + "SELECT * WHERE " + text[service.group_start : service.end]
            answer = _answer(service, query, policy)
        pieces += [text[last : service.start], answer]
        last = service.end
    return "".join(pieces) + text[last:]


def _prologue(reading: Reading, service: Service, policy: Outbound) -> str:
    """The declarations in force where a SERVICE starts, so the group means at the remote what it means here."""
    lines = [f"BASE {ox.NamedNode(policy.base_iri)}"] if policy.base_iri else []
    in_force = reading.declarations_before(service.start)
    declared = {d.name for d in in_force if d.keyword == "PREFIX"}
    lines += [f"PREFIX {name}: {ox.NamedNode(iri)}" for name, iri in policy.prefixes if name not in declared]
    lines += [reading.text[d.start : d.end] for d in in_force]
    return "".join(line + "\n" for line in lines)


def _answer(service: Service, query: str, policy: Outbound) -> str:
    """The VALUES block standing for one SERVICE clause, or EMPTY for a SILENT one that failed."""
    try:
        return values_block(service.iri, *ask(service.iri, query, policy))
    except outbound.RemoteFailed as exc:
        if service.silent and not exc.over_limit:
            return EMPTY
        raise
    except ForbiddenOperation:  # the target no longer passes the check (a new DNS answer, a redirect)
        if service.silent:
            return EMPTY
        raise


def ask(service: str, query: str, policy: Outbound) -> tuple[list[ox.Variable], list[Row]]:
    """Send a SELECT query to an allowed endpoint; its variables and rows."""
    fetched = outbound.send(
        "SERVICE", service, policy.allowlist, limits=policy.limits, network=policy.network,
        method="POST", body=urlencode({"query": query}).encode(),
        headers={"Content-Type": "application/x-www-form-urlencoded", "Accept": ACCEPT},
    )
    return read_solutions(service, fetched, policy.max_rows)


def read_solutions(service: str, fetched: outbound.Fetched, max_rows: int) -> tuple[list[ox.Variable], list[Row]]:
    """The variables and rows of a SPARQL results document, at most ``max_rows`` of them."""
    media = (fetched.content_type or "").split(";")[0].strip().lower()
    fmt = ox.QueryResultsFormat.from_media_type(media) if media else None
    if fmt not in (ox.QueryResultsFormat.JSON, ox.QueryResultsFormat.XML, ox.QueryResultsFormat.TSV):
        raise outbound.RemoteFailed("SERVICE", service, f"the answer is not SPARQL results (Content-Type {media or 'missing'})")
    rows: list[Row] = []
    results = solution = None
    over = False
    try:
        results = ox.parse_query_results(fetched.body, fmt)
        if not isinstance(results, ox.QuerySolutions):
            raise ValueError("a boolean answer")
        variables = list(results.variables)
        for solution in results:
            if len(rows) == max_rows:
                over = True
                break
            rows.append([solution[v] for v in variables])
    except (SyntaxError, ValueError, OSError):  # the parser's message may quote the answer: not repeated
        raise outbound.RemoteFailed("SERVICE", service, f"the answer could not be read as {fmt.name}") from None
    finally:
        # pyoxigraph's results may only be dropped by this thread: a traceback must not keep them alive
        results = solution = None
    if over:
        raise outbound.RemoteFailed(
            "SERVICE", service, f"the answer has more than {max_rows} rows, the limit for one request; "
            "add a LIMIT inside the SERVICE pattern", over_limit=True)
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
    raise outbound.RemoteFailed(
        "SERVICE", service, f"the answer binds {variable} to a blank node, which cannot be carried into this "
        "query (a blank node means nothing outside the answer it came in); bind an IRI or STR() of it instead")
