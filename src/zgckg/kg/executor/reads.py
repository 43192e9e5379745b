"""Answering prepared queries inside a worker: the dataset, then serialisation with limits.

What the engine raises while it evaluates is sorted by whose fault it is (pyoxigraph 0.5.13):

- ``SyntaxError``: what the grammar allows but the engine refuses (a variable bound twice…):
  QuerySyntaxError, the client's, with the engine's message (it quotes the query, not the data).
- ``ValueError``: an argument the engine refused; the query's own doing, but the message may quote
  data, so QueryFailed says only that. (Errors inside expressions — a bad regex flag, IRI() of an
  invalid IRI, a failed cast, a division by zero — raise nothing: they leave the variable unbound, as
  SPARQL says.)
- ``OSError``: the storage could not be read: EngineFailed, store unavailable (503).
- ``RuntimeError`` (storage corruption, an engine fault) and ``TypeError`` (a wrong argument from this
  code): EngineFailed (500). Neither is the client's fault; the detail goes to the server's log only.
"""

from __future__ import annotations

import re
import traceback
from collections.abc import Iterable, Iterator
from typing import Any

import pyoxigraph as ox

from ...errors import (
    EngineFailed, GraphNotFound, NotAcceptable, QueryFailed, QuerySyntaxError, QueryTooComplex, RowLimitExceeded,
    ZgckgError,
)
from ..sparql import SyntaxLimits, parse_query, parse_update
from ...namespaces import PREFIXES
from .jobs import Answer, DatasetReadJob, GraphReadJob, QueryJob
from .output import RowCounter, Sink, exact_rows

_POSITION = re.compile(r"error at (\d+):(\d+)")
_QUAD_FORMATS = {"N_QUADS", "TRIG"}
_PREFIXED_FORMATS = {"TURTLE", "TRIG", "RDF_XML", "N3"}


def syntax_error(exc: SyntaxError, text: str | None = None, kind: str = "query",
                 base_iri: str | None = None) -> QuerySyntaxError:
    """The syntax error to report for ``text``, which the engine refused: our parser's, when it refuses the
    text too (it names what it expected and an undeclared prefix, where the engine may list its grammar's
    alternatives), else the engine's own (a rule beyond the grammar), with its position."""
    if text is not None:
        read = parse_query if kind == "query" else parse_update
        try:
            read(text, SyntaxLimits(max_length=len(text)), PREFIXES if kind == "query" else None, base_iri)
        except QuerySyntaxError as ours:
            return ours
        except QueryTooComplex:
            pass
    message = str(exc.msg if exc.msg else exc)
    found = _POSITION.search(message)
    if found:
        return QuerySyntaxError(message, int(found.group(1)), int(found.group(2)), text)
    return QuerySyntaxError(message, exc.lineno, exc.offset, text)


def engine_failed(operation: str, exc: BaseException) -> EngineFailed:
    """An engine or storage fault, with its traceback for the log; OSError: the store could not be read."""
    detail = "".join(traceback.format_exception(type(exc), exc, exc.__traceback__))
    return EngineFailed(operation, detail, unavailable=isinstance(exc, OSError))


def dataset_arguments(job: QueryJob) -> dict[str, Any]:
    """pyoxigraph arguments for the query's dataset.

    A protocol dataset (default-graph-uri / named-graph-uri) replaces the query's FROM clauses, and
    what it leaves out is empty. The union default graph applies only when neither the request nor the
    query names a dataset: pyoxigraph's union flag would otherwise silently override FROM.
    """
    if job.default_graphs is not None or job.named_graphs is not None:
        return {
            "default_graph": [ox.NamedNode(g) for g in job.default_graphs or ()],
            "named_graphs": [ox.NamedNode(g) for g in job.named_graphs or ()],
        }
    if job.union and not job.has_dataset_clause:
        return {"use_default_graph_as_union": True}
    return {}


def run_query(store: ox.Store, job: QueryJob):
    try:
        return store.query(job.text, prefixes=PREFIXES, substitutions=substitutions(job.bindings),
                           **dataset_arguments(job))
    except SyntaxError as exc:  # what the grammar allows but the engine refuses (a variable bound twice…)
        raise syntax_error(exc, job.text) from None
    except RuntimeError:
        if not job.bindings:
            raise
        # the engine checks the bindings against the query before it evaluates anything
        names = ", ".join(f"?{name}" for name, _ in job.bindings)
        raise QueryFailed(f"the query cannot take the bindings of {names}: a bound variable must be in its "
                          "SELECT projection") from None


def substitutions(bindings: tuple[tuple[str, str], ...]) -> dict | None:
    """pyoxigraph terms for (variable, term in SPARQL syntax) pairs, read as a VALUES row reads them: data
    only, so a binding cannot smuggle in an expression or a pattern."""
    if not bindings:
        return None
    names = " ".join(f"?{name}" for name, _ in bindings)
    row = " ".join(term for _, term in bindings)
    try:
        (solution,) = ox.Store().query(f"SELECT * WHERE {{ VALUES ({names}) {{ ({row}) }} }}")
    except (SyntaxError, ValueError):
        raise QueryFailed(f"a binding is not a variable name and an RDF term: {bindings!r:.200}") from None
    return {ox.Variable(name): solution[name] for name, _ in bindings}


def answer_query(store: ox.Store, job: QueryJob, version: str) -> Answer:
    """The complete answer; on failure a domain error sorted as the module says."""
    try:
        result = run_query(store, job)
        if isinstance(result, ox.QueryTriples):
            return _answer_graph(result, job, version)
        return _answer_solutions(result, job, version)
    except ZgckgError:
        raise
    except SyntaxError as exc:  # evaluation is lazy: the engine may refuse the query only once it runs
        raise syntax_error(exc, job.text) from None
    except ValueError:
        raise QueryFailed("the engine refused an argument of the query") from None
    except (OSError, RuntimeError, TypeError) as exc:
        raise engine_failed("query", exc) from None


def _answer_solutions(result, job: QueryJob, version: str) -> Answer:
    kind = "boolean" if isinstance(result, ox.QueryBoolean) else "solutions"
    fmt = job.solutions_format
    if fmt is None:
        raise NotAcceptable(kind)
    counter = RowCounter(fmt) if kind == "solutions" else None
    sink = Sink(job.spool, counter=counter, max_rows=job.max_rows, max_bytes=job.max_bytes)
    try:
        result.serialize(sink, getattr(ox.QueryResultsFormat, fmt))
        body, spool, size = sink.finish()
    except BaseException:
        sink.discard()
        raise
    rows = None
    if counter is not None:
        rows = counter.lower
        if counter.upper > job.max_rows:
            rows = exact_rows(body, spool, fmt)
            if rows > job.max_rows:
                sink.discard()
                raise RowLimitExceeded(job.max_rows)
    return Answer(kind, fmt, body, spool, size, rows, None, version)


def _answer_graph(triples: Iterable[ox.Triple], job: QueryJob, version: str) -> Answer:
    if job.graph_format is None:
        raise NotAcceptable("graph")
    return _graph_answer(_Capped(triples, job.max_rows), job.spool, job.graph_format, version, job.max_bytes)


def _graph_answer(counted: "_Capped", spool_dir, fmt: str, version: str, max_bytes: int = 0) -> Answer:
    """Triples serialised completely (spooled if large) before anything is sent, so the status is known;
    ``max_bytes`` bounds a query's answer, not a graph read (0: any)."""
    sink = Sink(spool_dir, max_bytes=max_bytes)
    try:
        _serialize_triples(counted, sink, fmt)
        body, spool, size = sink.finish()
    except BaseException:
        sink.discard()
        raise
    return Answer("graph", fmt, body, spool, size, counted.count, None, version)


class _Capped:
    """Triples passed through with a count; past the limit, serialisation stops with RowLimitExceeded."""

    def __init__(self, triples: Iterable[ox.Triple], limit: int | None):
        self.triples = triples
        self.limit = limit
        self.count = 0

    def __iter__(self) -> Iterator[ox.Triple]:
        for triple in self.triples:
            self.count += 1
            if self.limit is not None and self.count > self.limit:
                raise RowLimitExceeded(self.limit)
            yield triple


def _serialize_triples(triples: Iterable[ox.Triple], sink: Sink, fmt: str) -> None:
    if fmt in _QUAD_FORMATS:  # quad syntaxes want quads: the triples are the default graph
        triples = (ox.Quad(t.subject, t.predicate, t.object) for t in triples)
    prefixes = PREFIXES if fmt in _PREFIXED_FORMATS else None
    ox.serialize(triples, sink, getattr(ox.RdfFormat, fmt), prefixes=prefixes)


def answer_graph_read(store: ox.Store, job: GraphReadJob, version: str) -> Answer:
    node = graph_node(job.graph)
    try:
        if job.graph is not None and not store.contains_named_graph(node):
            raise GraphNotFound(job.graph)
        triples = (q.triple for q in store.quads_for_pattern(None, None, None, node))
        return _graph_answer(_Capped(triples, None), job.spool, job.format, version)
    except (OSError, RuntimeError) as exc:  # the storage: nothing about the request (its IRI was checked)
        raise engine_failed("graph read", exc) from None


def answer_dataset_read(store: ox.Store, job: DatasetReadJob, version: str) -> Answer:
    """The whole dataset (or one named graph with its name): quads in a dataset syntax, else the union of
    the triples, each once (a triple may be in a user's graph and in ours)."""
    try:
        node = None if job.graph is None else ox.NamedNode(job.graph)
        quads = store.quads_for_pattern(None, None, None, node)
        if getattr(ox.RdfFormat, job.format).supports_datasets:
            items: Iterable = quads
        else:
            items = _distinct(q.triple for q in quads)
        counted = _Capped(items, None)
        sink = Sink(job.spool)
        try:
            prefixes = PREFIXES if job.format in _PREFIXED_FORMATS else None
            ox.serialize(counted, sink, getattr(ox.RdfFormat, job.format), prefixes=prefixes)
            body, spool, size = sink.finish()
        except BaseException:
            sink.discard()
            raise
        return Answer("graph", job.format, body, spool, size, counted.count, None, version)
    except (OSError, RuntimeError) as exc:
        raise engine_failed("dataset read", exc) from None


def _distinct(triples: Iterable[ox.Triple]) -> Iterator[ox.Triple]:
    seen: set[ox.Triple] = set()
    for triple in triples:
        if triple not in seen:
            seen.add(triple)
            yield triple


def graph_node(graph: str | None):
    """pyoxigraph's name for a graph: the default graph for None."""
    return ox.DefaultGraph() if graph is None else ox.NamedNode(graph)
