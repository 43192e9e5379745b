"""A query or update made ready for the engine: one path for the endpoint and the command line alike.

The text is read by the SPARQL parser (:mod:`zgckg.kg.sparql`) within the configured limits; every
SERVICE and LOAD target it names is checked against the outbound policy; allowed SERVICE clauses are
answered by this server (:mod:`federation`) and allowed LOAD sources fetched by it (:mod:`outbound`), here,
before the engine runs. What reaches the engine therefore names no remote at all, and the processes that
run it have no network either.
"""

from __future__ import annotations

from dataclasses import dataclass, replace

from ..errors import ForbiddenOperation, QueryFailed, UpdateFailed
from . import federation, outbound
from .executor import UpdateStep
from .federation import Outbound
from .sparql import Load, Reading, SyntaxLimits, parse_query, parse_update, scan


@dataclass(frozen=True)
class PreparedQuery:
    text: str
    """What the engine runs: SERVICE clauses replaced by their answers."""
    has_dataset_clause: bool
    """FROM or FROM NAMED: the protocol's dataset and the union default graph yield to it."""
    remote: bool
    """SERVICE took part: the answer may change while the store does not, so it is never cached."""
    form: str | None = None
    """SELECT, CONSTRUCT, DESCRIBE or ASK; None when not read (the graph layer's own queries)."""

    @property
    def kind(self) -> str | None:
        """The kind of result: ``solutions``, ``boolean`` or ``graph`` (the keys of ``formats.RESULT_KINDS``)."""
        return _KINDS.get(self.form)


_KINDS = {"SELECT": "solutions", "ASK": "boolean", "CONSTRUCT": "graph", "DESCRIBE": "graph"}


@dataclass(frozen=True)
class PreparedUpdate:
    text: str
    steps: tuple[UpdateStep, ...] = ()
    """Empty unless the update LOADs: then its operations, to apply one after the other."""
    graphs: tuple[str, ...] = ()
    """The IRIs it names as graphs (``Reading.graphs``)."""


def prepare_query(text: str, policy: Outbound = Outbound(), limits: SyntaxLimits = SyntaxLimits()) -> PreparedQuery:
    """The query, read and with every SERVICE answered; QuerySyntaxError, QueryTooComplex,
    ForbiddenOperation or QueryFailed (a remote that failed) when it cannot run."""
    tokens = scan(text, limits)
    if tokens.acts_on_nothing:
        return PreparedQuery(text, False, False, tokens.form)
    prefixes = dict(policy.prefixes)
    reading = parse_query(text, limits, prefixes, policy.base_iri)
    if not reading.services:
        return PreparedQuery(text, reading.has_dataset_clause, False, reading.form)
    rewritten = _served(_inlined(reading, policy, QueryFailed), parse_query, limits, prefixes, policy.base_iri)
    return PreparedQuery(rewritten.text, reading.has_dataset_clause, True, reading.form)


def prepare_update(text: str, policy: Outbound = Outbound(), limits: SyntaxLimits = SyntaxLimits()) -> PreparedUpdate:
    """The update, read, with every SERVICE answered and every LOAD fetched (see :class:`UpdateStep`)."""
    reading = parse_update(text, limits, base_iri=policy.base_iri)
    for load in reading.loads:  # every target checked before anything is asked or fetched
        try:
            policy.check("LOAD", load.iri)
        except ForbiddenOperation:
            if not load.silent:
                raise
    if reading.services:
        reading = _served(_inlined(reading, policy, UpdateFailed), parse_update, limits, None, policy.base_iri)
    if not reading.loads:
        return PreparedUpdate(reading.text, graphs=reading.graphs)
    steps = []
    for operation in reading.operations:
        if operation.load is not None:
            steps.append(_fetched(operation.load, policy))
        else:
            in_force = reading.declarations_before(operation.start)
            prologue = "".join(reading.text[d.start : d.end] + "\n" for d in in_force)
            steps.append(UpdateStep(prologue + reading.text[operation.start : operation.end]))
    return PreparedUpdate(reading.text, tuple(steps), reading.graphs)


def _inlined(reading: Reading, policy: Outbound, failure: type[QueryFailed] | type[UpdateFailed]) -> str:
    """The text with its SERVICE clauses answered; a remote that failed is the request's failure."""
    try:
        return federation.inline_services(reading, policy)
    except outbound.RemoteFailed as exc:
        raise failure(str(exc)) from None


def _served(text: str, parse, limits: SyntaxLimits, prefixes, base_iri) -> Reading:
    """The rewritten text read again (its VALUES may be long: the length limit was the client's): it must
    name no SERVICE now, or the engine would be asked to connect; failing closed is a bug, not user error."""
    reading = parse(text, replace(limits, max_length=max(limits.max_length, len(text))), prefixes, base_iri)
    if reading.services:
        raise AssertionError(f"SERVICE left for the engine after the rewrite: {reading.services}")
    return reading


def _fetched(load: Load, policy: Outbound) -> UpdateStep:
    """A LOAD's data, fetched from its checked source; nothing for a SILENT LOAD that fails."""
    try:
        fetched = outbound.fetch(load.iri, policy.allowlist, policy.limits, policy.network)
    except ForbiddenOperation:
        if load.silent:
            return UpdateStep(silent=True)
        raise
    except outbound.RemoteFailed as exc:
        if load.silent:
            return UpdateStep(silent=True)
        raise UpdateFailed(str(exc)) from None
    return UpdateStep(load=fetched, graph=load.graph, silent=load.silent)
