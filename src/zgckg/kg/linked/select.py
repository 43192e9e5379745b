"""SELECT queries written in the graph layer, run through an engine, read back as plain Python rows.

Every linked-data module asks the store this way, so pages work over any engine (the local worker pool,
the in-process engine, a remote store) and never see a store object. ``PerVersion`` keeps what is
derived from a whole store version (a label index, the ontology's documentation) until the version changes.
"""

from __future__ import annotations

import json
import threading
from collections import OrderedDict
from collections.abc import Callable, Hashable
from dataclasses import dataclass
from typing import TYPE_CHECKING, Generic, TypeVar

from ...namespaces import is_absolute_iri
from ..formats import SOLUTIONS

if TYPE_CHECKING:
    from ..engine import Engine

IRI, LITERAL, BLANK = "uri", "literal", "bnode"


@dataclass(frozen=True)
class Term:
    """An RDF term as a SPARQL JSON result writes it."""

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


def select(engine: Engine, text: str, *, timeout: float | None = None) -> list[Row]:
    """The rows of a SELECT (the project's prefixes predeclared, as for every query)."""
    from ..engine import Query

    limit = engine.config.timeout if timeout is None else timeout
    answer = engine.query(Query(text, SOLUTIONS[0], timeout=limit))
    document = json.loads(answer.content())
    return [{name: Term.from_json(cell) for name, cell in row.items()} for row in document["results"]["bindings"]]


def iri_ref(iri: str) -> str:
    """``<iri>`` for a query text; ValueError for anything that is not an absolute IRI (so no text a client
    sent can change the query around it)."""
    if not is_absolute_iri(iri) or any(c in iri for c in '<>"{}|^`\\ '):
        raise ValueError(f"not an absolute IRI: {iri!r}")
    return f"<{iri}>"


T = TypeVar("T")


class PerVersion(Generic[T]):
    """Values derived from one store version, each made once; a new version drops the old ones. With
    ``maxsize``, the least recently used are dropped beyond it."""

    def __init__(self, maxsize: int | None = None) -> None:
        self._version: str | None = None
        self._values: OrderedDict[Hashable, T] = OrderedDict()
        self._maxsize = maxsize
        self._lock = threading.Lock()

    def get(self, version: str, key: Hashable, make: Callable[[], T]) -> T:
        with self._lock:
            if version != self._version:
                self._version, self._values = version, OrderedDict()
            if key in self._values:
                self._values.move_to_end(key)
                return self._values[key]
        value = make()
        with self._lock:
            if version == self._version:
                self._values[key] = value
                if self._maxsize is not None and len(self._values) > self._maxsize:
                    self._values.popitem(last=False)
        return value
