"""Label search over the store: Chinese and English names, by substring and prefix, and "did you mean".

The index holds every label (``rdfs:label``, ``skos:altLabel``, ``skos:prefLabel``) of every resource
under the instance base and of every ontology term, read once per store version. A query matches a label
that contains it after case folding and Unicode compatibility normalisation, so a Chinese query matches
Chinese labels character by character, with no word segmentation, and ``ＡＩ`` matches ``AI``. Exact
matches rank first, then prefixes, then other substrings; shorter labels before longer ones.
"""

from __future__ import annotations

import difflib
import unicodedata
from dataclasses import dataclass
from typing import TYPE_CHECKING

from ...namespaces import GRAPH_ASSERTED, INSTANCES, ONTOLOGY
from .select import PerVersion, select

if TYPE_CHECKING:
    from ..engine import Engine

MAX_LABELS = 5_000_000
"""Labels the index may hold (about 1 GB in memory): a store with more needs a search engine of its own."""
MAX_QUERY = 200
"""Characters a search may have: no label is longer, so a longer query can only match nothing."""


@dataclass(frozen=True)
class Hit:
    iri: str
    labels: tuple[tuple[str, str], ...]
    """(language, label) pairs: the resource's rdfs:label in each language."""
    matched: str
    """The label (or other name) the query matched."""
    kind: str | None
    """The IRI of the resource's asserted class, when it has one."""

    def label(self, lang: str) -> str:
        found = dict(self.labels)
        return found.get(lang) or found.get("zh") or found.get("en") or self.matched


@dataclass(frozen=True)
class _Entry:
    iri: str
    name: str
    folded: str
    lang: str


class LabelIndex:
    def __init__(self, rows: list[tuple[str, str, str, str, str | None]]):
        """rows: (iri, predicate kind 'label'|'alt', language, text, class IRI)."""
        self.entries: list[_Entry] = []
        self.labels: dict[str, dict[str, str]] = {}
        self.kinds: dict[str, str] = {}
        for iri, kind, lang, text, cls in rows:
            self.entries.append(_Entry(iri, text, fold(text), lang))
            if kind == "label":
                self.labels.setdefault(iri, {}).setdefault(lang, text)
            if cls and iri not in self.kinds:
                self.kinds[iri] = cls
        self.slugs = {_slug(iri): iri for iri in self.labels}

    def search(self, query: str, limit: int = 20) -> list[Hit]:
        needle = fold(query)
        if not needle:
            return []
        best: dict[str, tuple[tuple[int, int, str], str]] = {}
        for entry in self.entries:
            at = entry.folded.find(needle)
            if at < 0 and needle not in _slug(entry.iri):
                continue
            rank = 0 if entry.folded == needle else 1 if at == 0 else 2 if at > 0 else 3
            key = (rank, len(entry.name), entry.iri)
            if entry.iri not in best or key < best[entry.iri][0]:
                best[entry.iri] = (key, entry.name)
        ordered = sorted(best.items(), key=lambda item: item[1][0])[:limit]
        return [self._hit(iri, matched) for iri, (_, matched) in ordered]

    def suggest(self, slug: str, limit: int = 5) -> list[Hit]:
        """Resources whose slug or label is close to ``slug`` (an IRI's last part, or a mistyped name)."""
        wanted = fold(slug.replace("-", " ").replace("_", " "))
        found: dict[str, float] = {}
        for candidate, iri in self.slugs.items():
            found[iri] = difflib.SequenceMatcher(None, fold(slug), candidate).ratio()
        for entry in self.entries:
            score = difflib.SequenceMatcher(None, wanted, entry.folded).ratio()
            if wanted and wanted in entry.folded:
                score = max(score, 0.75)
            found[entry.iri] = max(found.get(entry.iri, 0.0), score)
        ranked = sorted((s, iri) for iri, s in found.items() if s >= 0.6)
        return [self._hit(iri, "") for _, iri in sorted(ranked, key=lambda x: -x[0])[:limit]]

    def _hit(self, iri: str, matched: str) -> Hit:
        return Hit(iri, tuple(sorted(self.labels.get(iri, {}).items())), matched, self.kinds.get(iri))


def fold(text: str) -> str:
    return " ".join(unicodedata.normalize("NFKC", text).casefold().split())


def _slug(iri: str) -> str:
    return iri.rsplit("/", 1)[-1].rsplit("#", 1)[-1].casefold()


_QUERY = f"""
SELECT ?x ?kind ?l ?class WHERE {{
  {{ ?x rdfs:label ?l BIND("label" AS ?kind) }}
  UNION {{ ?x skos:altLabel|skos:prefLabel ?l BIND("alt" AS ?kind) }}
  FILTER(isIRI(?x) && (STRSTARTS(STR(?x), "{INSTANCES}") || STRSTARTS(STR(?x), "{ONTOLOGY}")))
  OPTIONAL {{ GRAPH <{GRAPH_ASSERTED}> {{ ?x a ?class }} }}
}}"""

_MEMO: PerVersion[LabelIndex] = PerVersion()


def label_index(engine: Engine) -> LabelIndex:
    return _MEMO.get(engine, "labels", lambda: _build(engine))


def _build(engine: Engine) -> LabelIndex:
    rows = [(r["x"].value, r["kind"].value, r["l"].lang or "", r["l"].value, r["class"].value if "class" in r else None)
            for r in select(engine, _QUERY, max_rows=MAX_LABELS)]
    return LabelIndex(rows)
