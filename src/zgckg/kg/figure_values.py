"""Values computed from every figure at build time, so queries and charts need no arithmetic of their own.

The data files keep each figure as the report writes it: ``1.84`` with ``sdmx-attribute:unitMult 12``
for 1.84 万亿元, ``"2016"^^xsd:gYear``, the hedge as ``zgo:qualifier``. From these, for every observation:

* ``zgo:valueInBaseUnit``: value × 10^unitMult as an ``xsd:decimal`` in the figure's own unit (yuan,
  US dollars, items, percent …), so ``ORDER BY DESC(?v)`` puts 1.84 万亿元 above 9289 亿元;
* ``zgo:year``: the year of ``zgo:refPeriod`` as an ``xsd:integer``;
* ``zgo:lowerBound`` / ``zgo:upperBound`` in base units, as the hedge implies (``BOUNDS``): an exact
  figure is its own bound both ways; 近 (nearly) bounds from above; 余/多/强 (more than) and 以上 (at
  least) bound from below; 约/左右 (about) give the range ±5 % (``ABOUT``), a width the report never
  states: it is ours, and narrow enough that "about 40 %" and "about 50 %" do not overlap;
* ``zgo:displayValue`` with ``zgo:displayUnit`` (zh and en), in one unit per kind of quantity
  (``DISPLAY``): yuan and US dollars always in 亿 (10^8), so amounts chart on one scale; counts of ten
  thousand or more in 万 (10^4); everything else as written.

The triples join the asserted graph (``zgckg.kg.build.prepare``), beside the report's sentences, which
are also made at build time: both are facts of the data, not inferences, and a reader of the store finds
them where the figures are.
"""

from __future__ import annotations

from collections.abc import Iterator
from decimal import Decimal

import rdflib
from rdflib import RDF, XSD, Literal, URIRef

from ..namespaces import INSTANCES, ONTOLOGY, PREFIXES

ZGO = rdflib.Namespace(ONTOLOGY)
QB = rdflib.Namespace(PREFIXES["qb"])
UNIT = rdflib.Namespace(PREFIXES["unit"])
CUR = rdflib.Namespace(PREFIXES["cur"])
OBS_VALUE = URIRef(PREFIXES["sdmx-measure"] + "obsValue")
UNIT_MEASURE = URIRef(PREFIXES["sdmx-attribute"] + "unitMeasure")
UNIT_MULT = URIRef(PREFIXES["sdmx-attribute"] + "unitMult")
QUALIFIER = INSTANCES + "qualifier/"

ABOUT = Decimal("0.05")
"""The half-width of the range 约/左右 (about) imply, as a fraction of the value: ±5 %."""

BOUNDS: dict[str | None, tuple[Decimal | None, Decimal | None]] = {
    None: (Decimal(1), Decimal(1)),
    "nearly": (None, Decimal(1)),
    "more-than": (Decimal(1), None),
    "at-least": (Decimal(1), None),
    "about": (1 - ABOUT, 1 + ABOUT),
}
"""Per hedge (the slug of its zg:qualifier/… concept; None for an exact figure): the lower and upper bound
as factors of the value, None where the hedge sets no bound on that side."""

DISPLAY: dict[URIRef, tuple[int, str, str]] = {
    CUR.CNY: (8, "亿元", "100 million yuan"),
    CUR.USD: (8, "亿美元", "100 million US dollars"),
    UNIT.PERCENT: (0, "%", "%"),
    ZGO.PercentagePoint: (0, "个百分点", "percentage points"),
    UNIT.KiloM2: (0, "平方公里", "km²"),
    UNIT.YR: (0, "年", "years"),
}
"""Per unit: the power of ten a display value is counted in, and that display unit in Chinese and English."""

LARGE_COUNT = (4, "万", "ten thousand")
"""Counts (unit:NUM) of 10^4 or more are shown in 万; smaller counts as they are, with no unit."""


def figure_values(graph: rdflib.Graph) -> rdflib.Graph:
    """The computed triples for every observation in ``graph`` (a new graph; ``graph`` is not changed)."""
    computed = rdflib.Graph()
    for obs in sorted(set(graph.subjects(RDF.type, QB.Observation))):
        for triple in observation_values(graph, obs):
            computed.add(triple)
    return computed


def with_figure_values(graph: rdflib.Graph) -> rdflib.Graph:
    """``graph`` with the computed triples of its figures added to it (returned, for one-line use)."""
    graph += figure_values(graph)
    return graph


def observation_values(graph: rdflib.Graph, obs: URIRef) -> Iterator[tuple[URIRef, URIRef, Literal]]:
    value = graph.value(obs, OBS_VALUE)
    if value is None:
        return
    base = base_value(value, graph.value(obs, UNIT_MULT))
    yield obs, ZGO.valueInBaseUnit, decimal(base)
    period = graph.value(obs, ZGO.refPeriod)
    if period is not None:
        yield obs, ZGO.year, Literal(int(str(period)[:4]))
    lower, upper = bounds(base, hedge(graph.value(obs, ZGO.qualifier)))
    if lower is not None:
        yield obs, ZGO.lowerBound, decimal(lower)
    if upper is not None:
        yield obs, ZGO.upperBound, decimal(upper)
    shown, units = display(base, graph.value(obs, UNIT_MEASURE))
    yield obs, ZGO.displayValue, decimal(shown)
    for language, unit in units.items():
        yield obs, ZGO.displayUnit, Literal(unit, lang=language)


def base_value(value: Literal, mult: Literal | None) -> Decimal:
    """The value as written times 10^unitMult (exactly: decimals, never floats)."""
    return Decimal(str(value)) * 10 ** int(mult or 0)


def hedge(qualifier: rdflib.term.Node | None) -> str | None:
    """The slug of a zg:qualifier/… concept, or None for an exact figure."""
    return str(qualifier).removeprefix(QUALIFIER) if qualifier is not None else None


def bounds(base: Decimal, qualifier: str | None) -> tuple[Decimal | None, Decimal | None]:
    """The lower and upper bound ``qualifier`` implies for a figure of ``base``; an unknown hedge bounds
    nothing rather than guess."""
    lower, upper = BOUNDS.get(qualifier, (None, None))
    return (base * lower if lower is not None else None, base * upper if upper is not None else None)


def display(base: Decimal, unit: rdflib.term.Node | None) -> tuple[Decimal, dict[str, str]]:
    """The display value and its unit by language (empty for a small count or an unknown unit)."""
    power, zh, en = DISPLAY.get(unit, (0, "", ""))
    if unit == UNIT.NUM and base >= 10 ** LARGE_COUNT[0]:
        power, zh, en = LARGE_COUNT
    units = {"zh": zh, "en": en} if zh else {}
    return base / Decimal(10) ** power, units


def decimal(number: Decimal) -> Literal:
    """An ``xsd:decimal`` written in full (``1840000000000``, never ``1.84E+12``), no trailing zeros."""
    return Literal(format(number.normalize(), "f"), datatype=XSD.decimal)
