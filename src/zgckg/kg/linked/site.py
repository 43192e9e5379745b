"""What every page states about the dataset: its title, licence and the report it encodes (from the
dataset description in the data, so a page and the VoID never disagree); and what the home page counts."""

from __future__ import annotations

from dataclasses import dataclass
from typing import TYPE_CHECKING

from ...namespaces import INSTANCES, ONTOLOGY, REPORT
from .select import PerVersion, select

if TYPE_CHECKING:
    from ..engine import Engine

DATASET = INSTANCES + "dataset"


@dataclass(frozen=True)
class SiteFacts:
    title: dict[str, str]
    """Language tag → the dataset's title."""
    licence: str | None
    source: str
    source_title: dict[str, str]


_MEMO: PerVersion[SiteFacts] = PerVersion()

_QUERY = f"""
SELECT ?what ?value WHERE {{
  {{ <{DATASET}> dcterms:title ?value BIND("title" AS ?what) }}
  UNION {{ <{DATASET}> dcterms:license ?value BIND("licence" AS ?what) }}
  UNION {{ <{REPORT}> dcterms:title|rdfs:label ?value BIND("source" AS ?what) }}
}}"""


def site_facts(engine: Engine) -> SiteFacts:
    return _MEMO.get(engine, "site", lambda: _read(engine))


def _read(engine: Engine) -> SiteFacts:
    title: dict[str, str] = {}
    source: dict[str, str] = {}
    licence = None
    for row in select(engine, _QUERY):
        what, value = row["what"].value, row["value"]
        if what == "licence":
            licence = value.value
        else:
            (title if what == "title" else source).setdefault(value.lang or "", value.value)
    return SiteFacts(title, licence, REPORT, source)


HOLDINGS = ("Enterprise", "University", "ResearchInstitute", "InnovationPlatform", "GovernmentBody", "Fund", "Policy",
            "TalentProgramme", "Industry", "Zone", "Observation", "Evidence")
"""The classes the home page counts, in its order: what an analyst of a science park looks for first."""

_HOLDINGS = """
SELECT ?class (COUNT(DISTINCT ?x) AS ?n) WHERE {{
  VALUES ?class {{ {classes} }}
  GRAPH ?g {{ ?x a ?class }}
}} GROUP BY ?class"""


@dataclass(frozen=True)
class Holding:
    cls: str
    count: int


def holdings(engine: Engine) -> list[Holding]:
    """How many resources of each class in HOLDINGS the store holds (inferred types counted)."""
    def read() -> list[Holding]:
        classes = " ".join(f"<{ONTOLOGY}{name}>" for name in HOLDINGS)
        counts = {row["class"].value: int(row["n"].value) for row in select(engine, _HOLDINGS.format(classes=classes))}
        return [Holding(ONTOLOGY + name, counts.get(ONTOLOGY + name, 0)) for name in HOLDINGS]

    return _MEMO_HOLDINGS.get(engine, "holdings", read)


_MEMO_HOLDINGS: PerVersion[list[Holding]] = PerVersion()
