"""The values the build computes for every figure: base-unit value, year, hedge bounds, display value."""

from __future__ import annotations

from decimal import Decimal

import pytest
from rdflib import XSD, Literal

from zgckg.kg.figure_values import CUR, UNIT, base_value, bounds, decimal, display
from zgckg.kg.store import StoreDir

PREFIXES = """
PREFIX zgo: <https://w3id.org/zgckg/ontology#>
PREFIX qb: <http://purl.org/linked-data/cube#>
PREFIX cur: <http://qudt.org/vocab/currency/>
PREFIX sdmx-measure: <http://purl.org/linked-data/sdmx/2009/measure#>
PREFIX sdmx-attribute: <http://purl.org/linked-data/sdmx/2009/attribute#>
"""
OBS = "https://w3id.org/zgckg/id/obs/"
QUALIFIER = "https://w3id.org/zgckg/id/qualifier/"


@pytest.fixture(scope="module")
def store(project_built):
    return StoreDir(project_built.store).open_read()


def rows(store, query: str) -> list[dict]:
    result = store.query(PREFIXES + query, use_default_graph_as_union=True)
    return [{v.value: (row[v].value if row[v] is not None else None) for v in result.variables} for row in result]


@pytest.fixture(scope="module")
def figures(store) -> list[dict]:
    return rows(store, """
        SELECT ?obs ?value ?mult ?qualifier ?period ?base ?year ?lower ?upper ?shown ?baseType ?yearType WHERE {
            ?obs a qb:Observation ; sdmx-measure:obsValue ?value ; zgo:refPeriod ?period .
            OPTIONAL { ?obs sdmx-attribute:unitMult ?mult }
            OPTIONAL { ?obs zgo:qualifier ?qualifier }
            OPTIONAL { ?obs zgo:valueInBaseUnit ?base BIND (DATATYPE(?base) AS ?baseType) }
            OPTIONAL { ?obs zgo:year ?year BIND (DATATYPE(?year) AS ?yearType) }
            OPTIONAL { ?obs zgo:lowerBound ?lower }
            OPTIONAL { ?obs zgo:upperBound ?upper }
            OPTIONAL { ?obs zgo:displayValue ?shown }
        }""")


def test_there_are_the_reports_figures(figures):
    assert len(figures) >= 72
    assert len({f["obs"] for f in figures}) == len(figures), "one value of each computed property"


def test_every_figure_has_a_base_unit_value_year_and_display_value(figures):
    for f in figures:
        assert f["baseType"] == str(XSD.decimal), f["obs"]
        assert Decimal(f["base"]) == Decimal(f["value"]) * 10 ** int(f["mult"] or 0), f["obs"]
        assert f["yearType"] == str(XSD.integer) and f["year"] == f["period"][:4], f["obs"]
        assert f["shown"] is not None, f["obs"]


# Read off the report: its five largest amounts in yuan, largest first.
LARGEST_CNY = [
    "total-revenue-2016",               # 1.84 万亿元, the park's above-scale high-tech enterprises, 2016
    "mobile-internet-revenue-2016",     # 9289 亿元
    "culture-technology-revenue-2016",  # 5700 亿元
    "district-gdp-2016",                # 5036.8 亿元
    "new-energy-revenue-2016",          # 2433 亿元
]


def test_the_five_largest_yuan_amounts_sort_with_a_plain_order_by(store):
    top = rows(store, """
        SELECT ?obs WHERE { ?obs sdmx-attribute:unitMeasure cur:CNY ; zgo:valueInBaseUnit ?v }
        ORDER BY DESC(?v) LIMIT 5""")
    assert [r["obs"].removeprefix(OBS) for r in top] == LARGEST_CNY


# Per hedge (None: an exact figure): the lower and the upper bound as factors of the value, None for no bound.
RULES = {
    None: (Decimal(1), Decimal(1)),
    "nearly": (None, Decimal(1)),
    "more-than": (Decimal(1), None),
    "at-least": (Decimal(1), None),
    "about": (Decimal("0.95"), Decimal("1.05")),
}


def test_hedge_bounds_follow_the_rules(figures):
    seen = set()
    for f in figures:
        hedge = f["qualifier"].removeprefix(QUALIFIER) if f["qualifier"] else None
        seen.add(hedge)
        base = Decimal(f["base"])
        lower, upper = RULES[hedge]
        assert (Decimal(f["lower"]) if f["lower"] else None) == (base * lower if lower is not None else None), f["obs"]
        assert (Decimal(f["upper"]) if f["upper"] else None) == (base * upper if upper is not None else None), f["obs"]
    assert seen == set(RULES), "every rule is exercised by some figure"


@pytest.mark.parametrize("slug, hedge, lower, upper", [
    ("high-tech-enterprises-2016", "近万家", None, "10000"),
    ("mobile-internet-enterprises", "5000余家", "5000", None),
    ("ic-design-revenue-share-of-china", "1/10 强", "10", None),
    ("district-hpe-enterprises-share-of-beijing-2016", "四成以上", "40", None),
    ("revenue-share-of-demonstration-zone-2016", "约 40%", "38", "42"),
    ("total-revenue-2016", "1.84 万亿元", "1840000000000", "1840000000000"),
])
def test_bounds_of_figures_read_off_the_report(figures, slug, hedge, lower, upper):
    [f] = [f for f in figures if f["obs"] == OBS + slug]
    assert (f["lower"] and Decimal(f["lower"])) == (lower and Decimal(lower)), hedge
    assert (f["upper"] and Decimal(f["upper"])) == (upper and Decimal(upper)), hedge


def test_amounts_display_in_yi_and_shares_in_percent(store):
    shown = {r["obs"].removeprefix(OBS): (Decimal(r["value"]), r["zh"], r["en"]) for r in rows(store, """
        SELECT ?obs ?value ?zh ?en WHERE {
            ?obs zgo:displayValue ?value .
            OPTIONAL { ?obs zgo:displayUnit ?zh FILTER (LANG(?zh) = "zh") }
            OPTIONAL { ?obs zgo:displayUnit ?en FILTER (LANG(?en) = "en") }
        }""")}
    assert shown["total-revenue-2016"] == (Decimal(18400), "亿元", "100 million yuan")
    assert shown["collaborative-innovation-investment-attracted"] == (Decimal("7.5"), "亿元", "100 million yuan")
    assert shown["district-unicorns-valuation-2016"] == (Decimal(1500), "亿美元", "100 million US dollars")
    assert shown["national-high-tech-enterprises-share-of-beijing-2016"] == (Decimal("47.4"), "%", "%")
    assert shown["district-new-tech-enterprises-2016"] == (Decimal("1.75"), "万", "ten thousand")
    assert shown["national-high-tech-enterprises-2016"] == (Decimal(7578), None, None)


# --- the arithmetic on its own ------------------------------------------------------------------------


def test_base_value_is_exact():
    assert base_value(Literal("1.84", datatype=XSD.decimal), Literal(12)) == Decimal(1840000000000)
    assert base_value(Literal(7578), None) == 7578


def test_decimal_is_written_in_full():
    assert decimal(Decimal("1.84E+12")) == Literal("1840000000000", datatype=XSD.decimal)
    assert decimal(Decimal("47.50")) == Literal("47.5", datatype=XSD.decimal)


def test_an_unknown_hedge_bounds_nothing():
    assert bounds(Decimal(10), "some-new-hedge") == (None, None)


def test_display_units():
    assert display(Decimal(570000000000), CUR.CNY) == (Decimal(5700), {"zh": "亿元", "en": "100 million yuan"})
    assert display(Decimal(305), UNIT.NUM) == (Decimal(305), {})
