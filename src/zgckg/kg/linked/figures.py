"""The report's figures as charts and tables read them: every observation of the RDF Data Cube, with the
value as written and in base units, its hedge, period, measure, subject and evidence.

``observations(engine)`` reads them all in two queries through the engine (the observations with their
attributes and evidence, then the labels of everything they mention), once per store version.
``measures(engine)`` lists every measure with its observation count, ``measure(engine, slug)`` one
measure and its observations, ``dashboard(engine)`` the park's three groups: its shares of Beijing ranked,
revenue by industry, and the planned area over time.

Each ``Observation`` is a :class:`~.description.Figure`, so units are worked out in one place
(``Figure.unit_words``); the value in base units that charts sort by is the one the build materialised
(``zgo:valueInBaseUnit``), so the page and a SPARQL ``ORDER BY`` always agree.

The Data Cube gives every observation a value for every dimension; ``zg:code/total`` (no breakdown) and
``zg:code/not-applicable`` are read here as "none", so a figure with no industry or no whole has neither.
"""

from __future__ import annotations

from collections import defaultdict
from dataclasses import dataclass, field
from decimal import Decimal, InvalidOperation
from typing import TYPE_CHECKING

from ...namespaces import INSTANCES, PREFIXES
from .description import Evidence, Figure
from .select import PerVersion, Row, select

if TYPE_CHECKING:
    from ..engine import Engine

MEASURE_SPACE = INSTANCES + "measure/"
"""Measures of this dataset have IRIs ``MEASURE_SPACE + slug``; the slug names the measure's page."""
QUALIFIER_SPACE = INSTANCES + "qualifier/"
PERIOD_BASIS_SPACE = INSTANCES + "period-basis/"
CODE_SPACE = INSTANCES + "code/"
"""The codes of a dimension with no value of its own (SDMX _T and _Z)."""
PARK = INSTANCES + "haidian-park"
BEIJING = INSTANCES + "beijing"
TOTAL_REVENUE = MEASURE_SPACE + "total-revenue"
PLANNED_AREA = MEASURE_SPACE + "planned-area"
PERCENT = PREFIXES["unit"] + "PERCENT"

HEDGE_DIRECTION = {
    QUALIFIER_SPACE + "nearly": "below",     # 近, 接近: close to the figure, under it
    QUALIFIER_SPACE + "more-than": "above",  # 余, 多, 超, 强
    QUALIFIER_SPACE + "at-least": "above",   # 以上
    QUALIFIER_SPACE + "about": "around",     # 约, 左右
}
"""Where the true value lies, from the figure as written; a qualifier not listed here is taken as 'around'."""

STATED = PERIOD_BASIS_SPACE + "stated"


@dataclass
class Observation(Figure):
    """One figure of the report (``Figure``'s fields) and what a chart or table of it needs."""

    datatype: str | None = None
    written_as: str | None = None
    """The report's form of a value that is not an Arabic number (“1/3”, “四成”)."""
    qualifier_labels: dict[str, str] = field(default_factory=dict)
    hedge: str | None = None
    """The hedge as the report writes it (近, 余, 多, 约, 以上 …), when the figure is hedged."""
    period_basis: str | None = None
    period_basis_labels: dict[str, str] = field(default_factory=dict)
    measure_labels: dict[str, str] = field(default_factory=dict)
    about: str | None = None
    about_labels: dict[str, str] = field(default_factory=dict)
    share_of_labels: dict[str, str] = field(default_factory=dict)
    industry: str | None = None
    industry_labels: dict[str, str] = field(default_factory=dict)
    base_in_store: str | None = None
    """``zgo:valueInBaseUnit`` as the build computed it (None in a store built before it was)."""

    @property
    def number(self) -> Decimal | None:
        """The value in base units as a number (for sorting and charting)."""
        base = self.base_in_store if self.base_in_store is not None else self.base_value
        return Decimal(base) if base is not None else None

    @property
    def hedge_direction(self) -> str | None:
        """'below' (近), 'above' (余, 以上) or 'around' (约) for a hedged figure; None for an exact one."""
        if self.qualifier is None:
            return None
        return HEDGE_DIRECTION.get(self.qualifier, "around")

    @property
    def period_stated(self) -> bool:
        return self.period_basis == STATED

    @property
    def quote(self) -> str:
        return self.evidence[0].quote if self.evidence else ""

    @property
    def sentence_id(self) -> str | None:
        return self.evidence[0].sentence_id if self.evidence else None


@dataclass(frozen=True)
class Measure:
    iri: str
    slug: str | None
    """The page's name; None for a measure outside this dataset's IRIs."""
    labels: dict[str, str]
    definitions: dict[str, str]
    broader: tuple[str, ...]
    narrower: tuple[str, ...]
    count: int
    """How many observations have this measure (``zgo:measure``)."""


@dataclass(frozen=True)
class Figures:
    """Every observation and every measure of one store version."""

    observations: tuple[Observation, ...]
    measures: tuple[Measure, ...]
    labels: dict[str, dict[str, str]]

    def by_iri(self) -> dict[str, Observation]:
        return {o.iri: o for o in self.observations}


@dataclass(frozen=True)
class Dashboard:
    shares: tuple[Observation, ...]
    """Shares of Beijing (``zgo:shareOf zg:beijing``), largest first."""
    revenue: tuple[Observation, ...]
    """The park's total revenue by industry, highest first."""
    planned_area: tuple[Observation, ...]
    """The park's planned area, oldest first."""
    measures: tuple[Measure, ...]


_OBSERVATIONS = """
SELECT DISTINCT ?obs ?value ?unit ?mult ?qualifier ?period ?basis ?measure ?about ?shareOf ?industry ?writtenAs
       ?base ?ev ?quote ?start ?end ?sentence
WHERE {
  ?obs a zgo:Observation ; sdmx-measure:obsValue ?value .
  OPTIONAL { ?obs sdmx-attribute:unitMeasure ?unit }
  OPTIONAL { ?obs sdmx-attribute:unitMult ?mult }
  OPTIONAL { ?obs zgo:qualifier ?qualifier }
  OPTIONAL { ?obs zgo:refPeriod ?period }
  OPTIONAL { ?obs zgo:periodBasis ?basis }
  OPTIONAL { ?obs zgo:measure ?measure }
  OPTIONAL { ?obs zgo:about ?about }
  OPTIONAL { ?obs zgo:shareOf ?shareOf FILTER(!STRSTARTS(STR(?shareOf), "CODES")) }
  OPTIONAL { ?obs zgo:industry ?industry FILTER(!STRSTARTS(STR(?industry), "CODES")) }
  OPTIONAL { ?obs zgo:writtenAs ?writtenAs }
  OPTIONAL { ?obs zgo:valueInBaseUnit ?base }
  OPTIONAL {
    ?obs zgo:evidence ?ev .
    OPTIONAL { ?ev oa:hasSelector/oa:exact ?quote }
    OPTIONAL { ?ev oa:hasSelector/oa:start ?start }
    OPTIONAL { ?ev oa:hasSelector/oa:end ?end }
    OPTIONAL { ?ev zgo:sentence ?sentence }
  }
}""".replace("CODES", CODE_SPACE)
"""One row per observation and evidence record (a term given twice gives more rows; the first is kept)."""

_LABELS = """
SELECT DISTINCT ?x ?kind ?text WHERE {
  { ?o a zgo:Observation . BIND(?o AS ?x) }
  UNION { ?o a zgo:Observation ; ?p ?x . FILTER(isIRI(?x)) }
  UNION { ?x a zgo:Measure }
  { ?x rdfs:label ?text BIND("label" AS ?kind) }
  UNION { ?x skos:altLabel ?text BIND("alt" AS ?kind) }
  UNION { ?x a zgo:Measure ; skos:definition ?text BIND("definition" AS ?kind) }
}"""
"""The labels of the observations, of what they mention (measures, hedges, periods, places …) and of
every measure; the hedges' other names (近, 余 …); the measures' definitions."""

_MEASURES = """
SELECT DISTINCT ?measure ?broader WHERE {
  ?measure a zgo:Measure .
  OPTIONAL { ?measure skos:broader ?broader }
}"""

_MEMO: PerVersion[Figures] = PerVersion()


def figures(engine: Engine) -> Figures:
    """Every observation and measure, read once per store version."""
    return _MEMO.get(engine, "figures", lambda: _read(engine))


def observations(engine: Engine) -> tuple[Observation, ...]:
    """Every observation, in the order of the report (by evidence offset)."""
    return figures(engine).observations


def measures(engine: Engine) -> tuple[Measure, ...]:
    """Every measure with its observation count, those with figures first, then by label."""
    return figures(engine).measures


def measure(engine: Engine, slug: str) -> tuple[Measure, tuple[Observation, ...]] | None:
    """The measure named ``slug`` and its observations (report order); None when there is none."""
    found = next((m for m in measures(engine) if m.slug == slug), None)
    if found is None:
        return None
    return found, tuple(o for o in observations(engine) if o.measure == found.iri)


def dashboard(engine: Engine) -> Dashboard:
    """The park's three charts and the list of measures."""
    return _MEMO.get(engine, "dashboard", lambda: _dashboard(figures(engine)))


def _dashboard(found: Figures) -> Dashboard:
    def number(o: Observation) -> Decimal:
        return o.number if o.number is not None else Decimal(0)

    shares = sorted((o for o in found.observations if o.unit == PERCENT and o.share_of == BEIJING),
                    key=lambda o: (-number(o), o.iri))
    revenue = sorted((o for o in found.observations
                      if o.measure == TOTAL_REVENUE and o.about == PARK and o.industry),
                     key=lambda o: (-number(o), o.iri))
    area = sorted((o for o in found.observations if o.measure == PLANNED_AREA and o.about == PARK),
                  key=lambda o: (o.period or "", o.iri))
    return Dashboard(tuple(shares), tuple(revenue), tuple(area), found.measures)


def slug_of(iri: str) -> str | None:
    """A measure's page name: the rest of its IRI after ``…/id/measure/``, when that is a plain name."""
    if not iri.startswith(MEASURE_SPACE):
        return None
    slug = iri[len(MEASURE_SPACE):]
    return slug if slug and all(c.isascii() and (c.isalnum() or c in "-_.") for c in slug) else None


def _read(engine: Engine) -> Figures:
    labels: dict[str, dict[str, str]] = defaultdict(dict)
    alt: dict[str, list[str]] = defaultdict(list)
    definitions: dict[str, dict[str, str]] = defaultdict(dict)
    for row in select(engine, _LABELS):
        iri, kind, text = row["x"].value, row["kind"].value, row["text"]
        if kind == "label":
            labels[iri].setdefault(text.lang or "", text.value)
        elif kind == "alt":
            if text.lang in (None, "", "zh") and text.value not in alt[iri]:
                alt[iri].append(text.value)
        else:
            definitions[iri].setdefault(text.lang or "", text.value)

    rows: dict[str, list[Row]] = defaultdict(list)
    for row in select(engine, _OBSERVATIONS):
        rows[row["obs"].value].append(row)
    found = [_observation(iri, obs_rows, labels, alt) for iri, obs_rows in rows.items()]
    found.sort(key=_report_order)

    counts: dict[str, int] = defaultdict(int)
    for o in found:
        if o.measure:
            counts[o.measure] += 1
    broader: dict[str, list[str]] = defaultdict(list)
    narrower: dict[str, list[str]] = defaultdict(list)
    all_measures: set[str] = set(counts)
    for row in select(engine, _MEASURES):
        iri = row["measure"].value
        all_measures.add(iri)
        if "broader" in row and row["broader"].value not in broader[iri]:
            broader[iri].append(row["broader"].value)
            narrower[row["broader"].value].append(iri)
    listed = [Measure(iri, slug_of(iri), dict(labels.get(iri, {})), dict(definitions.get(iri, {})),
                      tuple(sorted(broader.get(iri, ()))), tuple(sorted(narrower.get(iri, ()))), counts.get(iri, 0))
              for iri in all_measures]
    listed.sort(key=lambda m: (m.count == 0, m.labels.get("zh") or m.labels.get("en") or m.iri, m.iri))
    return Figures(tuple(found), tuple(listed), {k: dict(v) for k, v in labels.items()})


def _report_order(o: Observation) -> tuple:
    start = o.evidence[0].start if o.evidence and o.evidence[0].start is not None else 1 << 30
    return start, o.iri


def _observation(iri: str, rows: list[Row], labels: dict[str, dict[str, str]],
                 alt: dict[str, list[str]]) -> Observation:
    def one(name: str) -> str | None:
        for row in rows:
            if name in row:
                return row[name].value
        return None

    evidence: dict[str, Evidence] = {}
    for row in rows:
        if "ev" in row and row["ev"].value not in evidence:
            sentence = row["sentence"].value if "sentence" in row else None
            evidence[row["ev"].value] = Evidence(
                row["ev"].value, row["quote"].value if "quote" in row else "", _int(row.get("start")),
                _int(row.get("end")), sentence, sentence.rsplit("/", 1)[-1] if sentence else None)
    ordered = sorted(evidence.values(), key=lambda e: (e.start is None, e.start or 0, e.iri))

    value_term = rows[0]["value"]
    qualifier = one("qualifier")
    basis, measure_iri, about, share_of, industry = (one(n) for n in ("basis", "measure", "about", "shareOf", "industry"))

    def named(term: str | None) -> dict[str, str]:
        return dict(labels.get(term, {})) if term else {}

    return Observation(
        iri, named(iri), value_term.value, one("unit"), _int_text(one("mult")) or 0, qualifier, one("period"),
        share_of, measure_iri, ordered,
        datatype=value_term.datatype, written_as=one("writtenAs"), qualifier_labels=named(qualifier),
        hedge=_hedge(qualifier, labels, alt, ordered), period_basis=basis, period_basis_labels=named(basis),
        measure_labels=named(measure_iri), about=about, about_labels=named(about),
        share_of_labels=named(share_of), industry=industry, industry_labels=named(industry),
        base_in_store=one("base"),
    )


def _hedge(qualifier: str | None, labels: dict[str, dict[str, str]], alt: dict[str, list[str]],
           evidence: list[Evidence]) -> str | None:
    """The hedge as written: the longest of the qualifier's Chinese names found in the quote (近 in
    “近万家”, 余 in “2000余家”), else its Chinese label."""
    if qualifier is None:
        return None
    names = [n for n in (labels.get(qualifier, {}).get("zh"), *alt.get(qualifier, ())) if n]
    quotes = " ".join(e.quote for e in evidence)
    present = sorted((n for n in names if n in quotes), key=len, reverse=True)
    if present:
        return present[0]
    return names[0] if names else None


def _int(term) -> int | None:
    return _int_text(term.value) if term is not None else None


def _int_text(text: str | None) -> int | None:
    try:
        return int(text) if text is not None else None
    except ValueError:
        try:
            return int(Decimal(text))
        except (InvalidOperation, ValueError):
            return None
