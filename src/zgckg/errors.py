"""Domain exceptions. They carry what went wrong as data; only the web layer maps them to HTTP."""

from __future__ import annotations

from dataclasses import dataclass, field


class ZgckgError(Exception):
    """Base of every error this package raises on purpose."""


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
    message: str
    line: int | None = None
    column: int | None = None

    def __str__(self) -> str:
        return self.message


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
