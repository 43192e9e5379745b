"""SELECT queries written in the graph layer, run through an engine, read back as plain Python rows.

Every linked-data module asks the store this way, so pages work over any engine (the local worker pool,
the in-process engine, a remote store) and never see a store object. ``PerVersion`` keeps what is
derived from a whole store version (a label index, the ontology's documentation) until the version changes.
"""

from __future__ import annotations

import threading
from collections import OrderedDict
from weakref import WeakKeyDictionary
from collections.abc import Callable, Hashable
from typing import TYPE_CHECKING, Generic, NamedTuple, TypeVar

from ...namespaces import is_absolute_iri
from ..formats import SOLUTIONS

if TYPE_CHECKING:
    from ..engine import Engine

IRI, LITERAL, BLANK = "uri", "literal", "bnode"


class Term(NamedTuple):
    """An RDF term as a SPARQL JSON result writes it (a tuple: descriptions make hundreds of them)."""

    kind: str
    value: str
    lang: str | None = None
    datatype: str | None = None

    @property
    def is_iri(self) -> bool:
        return self.kind == IRI

    @classmethod
    def from_json(cls, cell: dict) -> "Term":
        kind = cell["type"]
        if kind == "typed-literal":  # some stores still write the 2008 name
            kind = LITERAL
        return cls(kind, cell["value"], cell.get("xml:lang"), cell.get("datatype"))


Row = dict[str, Term]


def select(engine: Engine, text: str, *, timeout: float | None = None, max_rows: int | None = None) -> list[Row]:
    """The rows of a SELECT (the project's prefixes predeclared, as for every query)."""
    return [{name: Term.from_json(cell) for name, cell in row.items()}
            for row in bindings(engine, text, timeout=timeout, max_rows=max_rows)]


def bindings(engine: Engine, text: str, *, timeout: float | None = None,
             max_rows: int | None = None) -> list[dict[str, dict]]:
    """The rows of a SELECT as the SPARQL JSON results format writes them, for readers that make
    hundreds of rows and convert only the cells they need. ``max_rows`` defaults to the configured cap.
    ``text`` must be the graph layer's own: any IRI in it goes through :func:`iri_ref` first."""
    from ..engine import Query

    limit = engine.config.timeout if timeout is None else timeout
    return engine.rows(Query(text, SOLUTIONS[0], timeout=limit, max_rows=max_rows or engine.config.max_rows, own=True))


def iri_ref(iri: str) -> str:
    """``<iri>`` for a query text; ValueError for anything that is not an absolute IRI (so no text a client
    sent can change the query around it)."""
    if not is_absolute_iri(iri) or any(c in iri for c in '<>"{}|^`\\ '):
        raise ValueError(f"not an absolute IRI: {iri!r}")
    return f"<{iri}>"


T = TypeVar("T")


class PerVersion(Generic[T]):
    """Values derived from what one engine serves in one store version, each made once; a new version
    drops that engine's old ones. With ``maxsize``, the least recently used are dropped beyond it. Kept
    per engine, since two engines (two stores) may both be at a version of the same name."""

    def __init__(self, maxsize: int | None = None) -> None:
        self._held: WeakKeyDictionary[Engine, tuple[str, OrderedDict[Hashable, T]]] = WeakKeyDictionary()
        self._maxsize = maxsize
        self._lock = threading.Lock()

    def get(self, engine: Engine, key: Hashable, make: Callable[[], T]) -> T:
        version = engine.version()
        with self._lock:
            held_version, values = self._held.get(engine, (None, None))
            if held_version != version or values is None:
                values = OrderedDict()
                self._held[engine] = (version, values)
            if key in values:
                values.move_to_end(key)
                return values[key]
        value = make()
        with self._lock:
            if self._held.get(engine, (None,))[0] == version:
                values[key] = value
                if self._maxsize is not None and len(values) > self._maxsize:
                    values.popitem(last=False)
        return value
