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

Every front end binds the same way (:func:`bindings`): the command line's ``--param``, the web API's query
parameters. A refused parameter is a :class:`ParameterError` that names it.
"""

from __future__ import annotations

import re
from collections.abc import Callable, Mapping
from dataclasses import dataclass, field
from pathlib import Path

from ..namespaces import PREFIXES

_HEADER = re.compile(r"#\s*([\w@-]+)\s*:\s*(.*)")
_IRI = re.compile(r"[A-Za-z][A-Za-z0-9+.-]*:[^\x00-\x20<>\"{}|^`\\]*")
"""An absolute IRI as N-Triples and SPARQL allow it between ``<`` and ``>``."""
_REQUIRED = ("title@zh", "title@en", "question@zh", "question@en")


LANGUAGES = ("zh", "en")
"""The languages every header gives its title and question in."""

IRI_KIND = "IRI"
"""The one kind of term a parameter takes: an absolute IRI, or a prefixed name with the project's prefixes."""


@dataclass(frozen=True)
class Parameter:
    """A parameter as a header declares it: the variable (without ``?``) and its default as written."""

    name: str
    default: str
    kind: str = IRI_KIND

    @property
    def default_iri(self) -> str | None:
        """The default as a full IRI (None when the header gives none)."""
        return expand(self.default) if self.default else None


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

    @property
    def titles(self) -> dict[str, str]:
        return {lang: self.title(lang) for lang in LANGUAGES}

    @property
    def questions(self) -> dict[str, str]:
        return {lang: self.question(lang) for lang in LANGUAGES}

    @property
    def parameters(self) -> list[Parameter]:
        """The declared parameters, in header order."""
        return [Parameter(name, default) for name, default in self.params.items()]


class ParameterError(Exception):
    """A parameter value or name refused; ``param`` names the parameter, the message says why."""

    def __init__(self, param: str, message: str):
        super().__init__(message)
        self.param = param

    def __str__(self) -> str:
        return self.args[0]


class UnknownParameter(ParameterError, KeyError):
    """A name the query declares no parameter for."""


class BadParameterValue(ParameterError, ValueError):
    """A value that is not an absolute IRI or a prefixed name with one of the project's prefixes."""


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


def load_queries(directory: Path, *,
                 on_error: Callable[[Path, Exception], None] | None = None) -> dict[str, AnalystQuery]:
    """Every ``*.rq`` in a directory, by file stem, in name order. A file that cannot be read or lacks
    the header raises, unless ``on_error`` is given: then it is told, and the file is left out."""
    found: dict[str, AnalystQuery] = {}
    for path in sorted(directory.glob("*.rq")):
        try:
            query = read_query(path)
        except (OSError, ValueError) as error:
            if on_error is None:
                raise
            on_error(path, error)
            continue
        found[query.name] = query
    return found


def expand(value: str) -> str:
    """A prefixed name (``zg:baidu``) or ``<IRI>`` as a full IRI."""
    if value.startswith("<") and value.endswith(">"):
        return value[1:-1]
    prefix, sep, local = value.partition(":")
    if sep and prefix in PREFIXES and not local.startswith("//"):
        return PREFIXES[prefix] + local
    return value


def bindings(query: AnalystQuery, given: Mapping[str, str] | None = None) -> dict[str, str]:
    """Each parameter (variable name) bound to the given IRI or its default, as ``<IRI>``: the SPARQL syntax
    an engine's bindings take. A value is an absolute IRI (``<…>`` optional) or a prefixed name with the
    project's prefixes (``zg:baidu``). An unknown name is an :class:`UnknownParameter` (a KeyError), a value
    that is empty or no IRI a :class:`BadParameterValue` (a ValueError); both name the parameter."""
    given = dict(given or {})
    unknown = sorted(set(given) - set(query.params))
    if unknown:
        declared = ", ".join(query.params) or "none"
        raise UnknownParameter(unknown[0], f"{query.name} has no parameter {', '.join(unknown)} "
                                           f"(its parameters: {declared})")
    bound = {}
    for name, default in query.params.items():
        value = given.get(name, default)
        if name in given and not value.strip():
            raise BadParameterValue(name, f"parameter {name}: the value is empty; give an IRI or a prefixed "
                                          "name such as zg:haidian-park")
        if value:
            bound[name] = parameter_term(name, value)
    return bound


def parameter_term(name: str, value: str) -> str:
    """``<IRI>`` for the value of parameter ``name``; a BadParameterValue naming it otherwise."""
    try:
        return iri_term(expand(value))
    except ValueError:
        raise BadParameterValue(
            name, f"parameter {name}: not an absolute IRI or a prefixed name with a known prefix "
                  f"(zg:, zgo:, …): {value!r:.200}") from None


def iri_term(iri: str) -> str:
    """``<iri>``, for an absolute IRI with nothing in it that could end the term; else a ValueError."""
    if not _IRI.fullmatch(iri):
        raise ValueError(f"not an absolute IRI: {iri!r:.200}")
    return f"<{iri}>"
