"""What can go wrong running a job, as domain errors a worker sends back (beside those in zgckg.errors)."""

from __future__ import annotations

from dataclasses import dataclass

from ...errors import DataError, ForbiddenOperation, QuerySyntaxError, QueryTimeout, StoreError, ZgckgError


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
class NotAcceptable(ZgckgError):
    """The query's result kind ('solutions', 'boolean' or 'graph') has no format the client accepts."""

    kind: str

    def __str__(self) -> str:
        return f"no acceptable format for a {self.kind} result"


@dataclass
class QueryFailed(ZgckgError):
    """The query parsed but its evaluation failed (for instance an allowed SERVICE that did not answer)."""

    message: str

    def __str__(self) -> str:
        return f"the query could not be evaluated: {self.message}"


@dataclass
class UpdateFailed(ZgckgError):
    """A well-formed update that could not be applied (DROP of a graph that is not there, a failed LOAD…).

    Nothing was changed: the new generation is thrown away.
    """

    message: str

    def __str__(self) -> str:
        return f"the update could not be applied, nothing was changed: {self.message}"


@dataclass
class GraphNotFound(ZgckgError):
    graph: str

    def __str__(self) -> str:
        return f"there is no graph <{self.graph}> in the store"


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
    """A bug in the worker's own code: the caller logs the traceback, the client learns nothing internal."""


REPORTABLE = {
    cls.__name__: cls
    for cls in (
        RowLimitExceeded, NotAcceptable, QueryFailed, UpdateFailed, GraphNotFound, QuerySyntaxError,
        ForbiddenOperation, DataError, StoreError, QueryTimeout,
    )
}
"""The errors a worker reports by name and fields; anything else is a crash (a bug) and is logged."""
