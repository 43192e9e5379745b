"""Every domain exception of the package, in one place. They carry what went wrong as data; only the web
layer maps them to HTTP (``zgckg.web.errors``), and only the command line turns them into a message on stderr.

A worker process reports any of them back by class name and fields (:func:`reportable` finds the
classes): a new error needs no registry. Errors the web layer finds itself (``HttpError``) are not
domain errors and do not derive from :class:`ZgckgError`.
"""

from __future__ import annotations

import dataclasses
from dataclasses import dataclass, field
from typing import Any


class ZgckgError(Exception):
    """Base of every error this package raises on purpose."""


def reportable() -> dict[str, type[ZgckgError]]:
    """Every ZgckgError class now defined, by :func:`error_name`: what a worker may send back."""
    found: dict[str, type[ZgckgError]] = {}
    pending = [ZgckgError]
    while pending:
        cls = pending.pop()
        found[error_name(cls)] = cls
        pending.extend(cls.__subclasses__())
    return found


def error_name(cls: type[ZgckgError]) -> str:
    """A class's name that is unique across modules: ``module:QualifiedName``."""
    return f"{cls.__module__}:{cls.__qualname__}"


def error_fields(error: ZgckgError) -> dict[str, Any]:
    """What rebuilds ``error`` with :func:`rebuild_error`: a dataclass's init fields (not copied deeper),
    else the exception's arguments."""
    if dataclasses.is_dataclass(error):
        return {f.name: getattr(error, f.name) for f in dataclasses.fields(error) if f.init}
    return {"args": list(error.args)}


def rebuild_error(name: str, fields: dict[str, Any]) -> ZgckgError | None:
    """The error :func:`error_fields` described, or None when no such class is defined here."""
    cls = reportable().get(name)
    if cls is None:
        return None
    if dataclasses.is_dataclass(cls):
        return cls(**fields)
    return cls(*fields.get("args", ()))


@dataclass
class DataError(ZgckgError):
    """A data file that cannot be read: names the file and, where known, the line."""

    file: str
    line: int | None
    message: str

    def __str__(self) -> str:
        where = f"{self.file}:{self.line}" if self.line else self.file
        return f"{where}: {self.message}"


@dataclass
class Violation:
    """One validation finding: where it is, which node, and what rule it breaks."""

    file: str | None
    focus: str
    message: str
    path: str | None = None

    def __str__(self) -> str:
        where = self.file or "<graph>"
        path = f" [{self.path}]" if self.path else ""
        return f"{where}: {self.focus}{path}: {self.message}"


@dataclass
class ValidationFailed(ZgckgError):
    violations: list[Violation] = field(default_factory=list)

    def __str__(self) -> str:
        lines = [f"{len(self.violations)} validation violation(s):"]
        lines += [f"  {v}" for v in self.violations]
        return "\n".join(lines)


@dataclass
class StoreError(ZgckgError):
    """The store directory is missing, locked, or not a zgckg store."""

    path: str
    message: str

    def __str__(self) -> str:
        return f"{self.path}: {self.message}"


@dataclass
class QuerySyntaxError(ZgckgError):
    """A query or update that does not parse. ``text`` is the text the position refers to (where known),
    so the web layer can show the offending line; it is never sent whole."""

    message: str
    line: int | None = None
    column: int | None = None
    text: str | None = field(default=None, repr=False)

    def __str__(self) -> str:
        return self.message


@dataclass
class BuiltGraphChanged(ZgckgError):
    """A write into a graph ``zgckg build`` makes (and would replace on the next build, undoing it)."""

    graphs: list[str]

    def __str__(self) -> str:
        from .namespaces import GRAPH_USER

        named = ", ".join(f"<{g}>" for g in self.graphs)
        verb = "is" if len(self.graphs) == 1 else "are"
        return (f"nothing was changed: {named} {verb} made by `zgckg build` and replaced on every build, so a "
                f"write there would be lost; write into another graph, e.g. <{GRAPH_USER}NAME> (a build keeps every "
                "graph it does not make)")


@dataclass
class QueryTooComplex(ZgckgError):
    """A query or update past one of the limits checked before the engine sees it (length, nesting, patterns)."""

    limit: str  # "length", "depth" or "triple_patterns"
    cap: int
    found: int | None
    unit: str

    def __str__(self) -> str:
        found = f" ({self.found:,})" if self.found is not None else ""
        return (
            f"the request has more {self.unit}{found} than this server's limit of {self.cap:,}; "
            f"simplify it, or run it where the limit is higher (the operator sets it with "
            f"{_SETTINGS[self.limit]})"
        )


_SETTINGS = {
    "length": "--max-query-length / ZGCKG_MAX_QUERY_LENGTH",
    "depth": "--max-query-depth / ZGCKG_MAX_QUERY_DEPTH",
    "triple_patterns": "--max-triple-patterns / ZGCKG_MAX_TRIPLE_PATTERNS",
}


@dataclass
class QueryTimeout(ZgckgError):
    limit_seconds: float

    def __str__(self) -> str:
        return (
            f"query stopped after its time limit of {self.limit_seconds:g} s; "
            "run it against a local store with a higher limit (zgckg serve --timeout SECONDS) or simplify it"
        )


@dataclass
class ForbiddenOperation(ZgckgError):
    """A query asks for something the configuration does not allow (SERVICE, LOAD from the network…)."""

    message: str

    def __str__(self) -> str:
        return self.message


class ServeError(ZgckgError):
    """The server cannot start (its address is taken, for one); the message says what to change."""


@dataclass
class SandboxUnavailable(ZgckgError):
    """Query and update workers cannot be kept off the network here (no libseccomp, or the kernel refused
    the filter); ``reason`` says which."""

    reason: str

    def __str__(self) -> str:
        return (
            f"cannot keep the query and update workers off the network: {self.reason}. "
            "Without seccomp, start with --unsafe-worker-network (or ZGCKG_WORKER_NETWORK=1): the workers "
            "may then open sockets, which weakens the protection against SERVICE or LOAD connecting anywhere"
        )


@dataclass
class DatasetConflict(ZgckgError):
    """The request names its update dataset twice: protocol parameters and a clause in the text."""

    clause: str  # "USING", "USING NAMED" or "WITH"
    line: int
    column: int

    def __str__(self) -> str:
        return (
            f"using-graph-uri and using-named-graph-uri cannot be combined with the {self.clause} clause at "
            f"line {self.line}, column {self.column}: the SPARQL 1.1 Protocol refuses an update that names "
            "its dataset both ways; drop the parameters or the clause"
        )


@dataclass
class RemoteFailed(ZgckgError):
    """An allowed SERVICE or LOAD that could not be used: no connection, no answer in time, an error status,
    an answer too large or unreadable. Never carries the remote's own words: they could be anything."""

    operation: str
    url: str
    problem: str
    over_limit: bool = False
    """A limit of this server was hit (size, rows): not a failure SILENT may hide."""

    def __str__(self) -> str:
        return f"{self.operation} <{self.url}> failed: {self.problem}"


# --- running a job: what a query or update worker reports -------------------------------------------


@dataclass
class RowLimitExceeded(ZgckgError):
    """A result has more rows (or triples) than the limit; nothing of it is sent."""

    limit: int

    def __str__(self) -> str:
        return (
            f"the result has more than {self.limit} rows (or triples), the limit for one request; "
            "add LIMIT/OFFSET to page through it, or run it against a local store "
            "(zgckg serve --max-rows N, or zgckg query)"
        )


@dataclass
class AnswerTooLarge(ZgckgError):
    """A query's serialised answer would be larger than the limit; nothing of it is sent."""

    limit_bytes: int

    def __str__(self) -> str:
        return (
            f"refused: the answer would be larger than {_size(self.limit_bytes)}, the limit for one answer "
            "(--max-answer-bytes / ZGCKG_MAX_ANSWER_BYTES); nothing of it is sent: ask for fewer rows "
            "(LIMIT/OFFSET) or fewer or shorter values, or run it against a local store"
        )


@dataclass
class QueryOutOfMemory(ZgckgError):
    """The job needed more memory than a worker may use (its address space is capped): the worker that ran
    it ended, and nothing of the answer is sent."""

    limit_bytes: int
    operation: str = "query"

    def __str__(self) -> str:
        limit = (f"more memory than a worker may use ({_size(self.limit_bytes)}, --worker-memory / "
                 "ZGCKG_WORKER_MEMORY_BYTES)" if self.limit_bytes else "more memory than the server had free")
        return (
            f"refused: the {self.operation} needed {limit}; simplify it (fewer joined patterns, a LIMIT, no "
            "ORDER BY or GROUP BY over a large intermediate result) or run it against a local store"
        )


def _size(n: int) -> str:
    return f"{n / 1e6:,.0f} MB" if n >= 10**7 else f"{n:,} bytes"


@dataclass
class NotAcceptable(ZgckgError):
    """The query's result kind ('solutions', 'boolean' or 'graph') has no format the client accepts."""

    kind: str

    def __str__(self) -> str:
        return f"no acceptable format for a {self.kind} result"


@dataclass
class QueryFailed(ZgckgError):
    """The query parsed but its evaluation failed for a reason of its own (an allowed SERVICE that did not
    answer, an argument the engine refused). Never carries the engine's own words: see EngineFailed."""

    message: str

    def __str__(self) -> str:
        return f"the query could not be evaluated: {self.message}"


@dataclass
class NotSupportedByEngine(ZgckgError):
    """A valid query asking for something the engine does not implement (a function a remote store does not
    know, say): neither the client's mistake nor a fault, so not a 400 and not a 500 to look into."""

    message: str

    def __str__(self) -> str:
        return f"the store this server runs on cannot evaluate this valid query: {self.message}"


@dataclass
class UpdateFailed(ZgckgError):
    """A well-formed update that could not be applied (DROP of a graph that is not there, a failed LOAD…).

    Nothing was changed: the new generation is thrown away.
    """

    message: str

    def __str__(self) -> str:
        return f"the update could not be applied, nothing was changed: {self.message}"


@dataclass
class EngineFailed(ZgckgError):
    """The engine or its storage failed while running a request: the server's fault, not the client's.

    ``detail`` (the engine's message and where it was raised) is for the server's log only: it may name
    files or quote data. ``unavailable``: the store could not be read (an I/O error), so trying again
    later may work; otherwise the engine failed in a way the operator must look at.
    """

    operation: str  # "query", "update", "graph read", "graph write"
    detail: str
    unavailable: bool = False

    def __str__(self) -> str:
        what = "the store could not be read" if self.unavailable else "the engine failed"
        first = self.detail.strip().splitlines()[-1] if self.detail.strip() else ""
        return f"{self.operation}: {what}: {first}"


@dataclass
class GraphNotFound(ZgckgError):
    graph: str

    def __str__(self) -> str:
        return f"there is no graph <{self.graph}> in the store"


@dataclass
class ResourceNotFound(ZgckgError):
    """An IRI the store holds no triple about (a path or a neighbourhood asked from it)."""

    iri: str

    def __str__(self) -> str:
        return f"the store holds nothing about <{self.iri}>"


@dataclass
class ExplorationTooBroad(ZgckgError):
    """A path search or a view reached more relations, or took longer, than it may."""

    what: str
    limit: str

    def __str__(self) -> str:
        return (f"{self.what} went past {self.limit}; leave out hubs with exclude=IRI (the park, Haidian, "
                "Beijing link almost everything) or ask for fewer hops")


@dataclass
class WorkersBusy(ZgckgError):
    """No worker became free within the request's time limit."""

    workers: int
    waited_seconds: float

    def __str__(self) -> str:
        return f"all {self.workers} query workers stayed busy for {self.waited_seconds:g} s; try again shortly"


@dataclass
class WorkerLost(ZgckgError):
    """The worker running the job died (killed by the system, out of memory…)."""

    message: str = "the process running the request ended unexpectedly"

    def __str__(self) -> str:
        return self.message


class WorkerCrashed(RuntimeError):
    """A bug in the worker's own code: the caller logs the traceback, the client learns nothing internal.

    Not a domain error on purpose: it is a bug, and the command line must not print it as a plain message.
    """
