"""The analyst queries in ``queries/*.rq``: their headers, and the bindings of their parameters.

A query file starts with a comment header, one ``# key: value`` per line::

    # title@zh: 海淀园拥有多少高新技术企业？
    # title@en: How many high-tech enterprises does the park have?
    # question@zh: …
    # question@en: …
    # param: entity = zg:haidian-park   (optional, repeatable: a variable and its default value)

Parameters are bound by the engine (``Query(text, bindings=bindings(query))``, terms in SPARQL syntax that
the engine reads as data), never by formatting strings into the query, so a value can never change the
query's shape. A bound variable must appear in the SELECT projection.
"""

from __future__ import annotations

import re
from dataclasses import dataclass, field
from pathlib import Path

from ..namespaces import PREFIXES

_HEADER = re.compile(r"#\s*([\w@-]+)\s*:\s*(.*)")
_IRI = re.compile(r"[A-Za-z][A-Za-z0-9+.-]*:[^\x00-\x20<>\"{}|^`\\]*")
"""An absolute IRI as N-Triples and SPARQL allow it between ``<`` and ``>``."""
_REQUIRED = ("title@zh", "title@en", "question@zh", "question@en")


@dataclass(frozen=True)
class AnalystQuery:
    name: str
    path: Path
    text: str
    header: dict[str, str]
    params: dict[str, str] = field(default_factory=dict)

    def title(self, lang: str = "en") -> str:
        return self.header[f"title@{lang}"]

    def question(self, lang: str = "en") -> str:
        return self.header[f"question@{lang}"]


def read_query(path: Path) -> AnalystQuery:
    text = path.read_text(encoding="utf-8")
    header: dict[str, str] = {}
    params: dict[str, str] = {}
    for line in text.splitlines():
        if not line.startswith("#"):
            break
        if not (match := _HEADER.fullmatch(line.strip())):
            continue
        key, value = match.groups()
        if key == "param":
            name, _, default = value.partition("=")
            params[name.strip().lstrip("?")] = default.strip()
        else:
            header[key] = value.strip()
    missing = [k for k in _REQUIRED if not header.get(k)]
    if missing:
        raise ValueError(f"{path}: header lacks {', '.join(missing)}")
    return AnalystQuery(path.stem, path, text, header, params)


def load_queries(directory: Path) -> dict[str, AnalystQuery]:
    """Every ``*.rq`` in a directory, by file stem, in name order."""
    return {q.name: q for q in map(read_query, sorted(directory.glob("*.rq")))}


def expand(value: str) -> str:
    """A prefixed name (``zg:baidu``) or ``<IRI>`` as a full IRI."""
    if value.startswith("<") and value.endswith(">"):
        return value[1:-1]
    prefix, sep, local = value.partition(":")
    if sep and prefix in PREFIXES and not local.startswith("//"):
        return PREFIXES[prefix] + local
    return value


def bindings(query: AnalystQuery, given: dict[str, str] | None = None) -> dict[str, str]:
    """Each parameter (variable name) bound to the given IRI or its default, as ``<IRI>``: the SPARQL syntax
    an engine's bindings take. An unknown name is a KeyError, a value that is no IRI a ValueError."""
    given = given or {}
    unknown = set(given) - set(query.params)
    if unknown:
        raise KeyError(f"{query.name} has no parameter {', '.join(sorted(unknown))}")
    values = {**query.params, **given}
    return {name: iri_term(expand(v)) for name, v in values.items() if v}


def iri_term(iri: str) -> str:
    """``<iri>``, for an absolute IRI with nothing in it that could end the term; else a ValueError."""
    if not _IRI.fullmatch(iri):
        raise ValueError(f"not an absolute IRI: {iri!r:.200}")
    return f"<{iri}>"
