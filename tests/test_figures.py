"""Every number in the report is either an observation in data/turtle/statistics.ttl or a listed exclusion.

The extractor (zgckg.kg.figures) is checked on small strings first; then every figure it finds in the report
must be the value of an observation whose evidence covers it, with the unit its unit word implies and the
qualifier its hedge implies; every observation must quote a figure of its value; and every observation must
be complete (unit, period, measure, about; shares name their whole and lie within 0–100).
"""

from __future__ import annotations

from collections import Counter
from decimal import Decimal
from pathlib import Path

import pytest
import rdflib
from rdflib import RDF, RDFS, XSD, Literal, URIRef
from rdflib.namespace import SKOS

from zgckg.kg.figures import EXCLUSIONS, chinese_integer, excluded, extract_figures, figures_to_encode, quote_spans
from zgckg.kg.report import Report
from zgckg.namespaces import INSTANCES, ONTOLOGY, PREFIXES

ROOT = Path(__file__).resolve().parents[1]
DATA = ROOT / "data" / "turtle"
REPORT = Report.read(ROOT / "data" / "source" / "haidian-park-report.txt")
TEXT = REPORT.text
FIGURES = figures_to_encode(TEXT)

ZG = rdflib.Namespace(INSTANCES)
ZGO = rdflib.Namespace(ONTOLOGY)
QB = rdflib.Namespace(PREFIXES["qb"])
OA = rdflib.Namespace(PREFIXES["oa"])
UNIT = rdflib.Namespace(PREFIXES["unit"])
CUR = rdflib.Namespace(PREFIXES["cur"])
OBS_VALUE = URIRef(PREFIXES["sdmx-measure"] + "obsValue")
UNIT_MEASURE = URIRef(PREFIXES["sdmx-attribute"] + "unitMeasure")
UNIT_MULT = URIRef(PREFIXES["sdmx-attribute"] + "unitMult")
DATASET = ZG["dataset/haidian-report-figures"]
CODES = {ZG["code/total"], ZG["code/not-applicable"]}
"""The values of a dimension that does not apply (SDMX _Z) or is not broken down (SDMX _T)."""
DIMENSIONS = (ZGO.about, ZGO.measure, ZGO.refPeriod, ZGO.industry, ZGO.counts, ZGO.population, ZGO.programme,
              ZGO.shareOf)

# What each unit word implies (the brief's table; 第 is a rank, a plain number).
UNIT_OF_WORD = {
    **dict.fromkeys(["家", "项", "个", "人", "笔", "次", "区", "第"], UNIT.NUM),
    **dict.fromkeys(["%", "成", "半", "/"], UNIT.PERCENT),
    "元": CUR.CNY,
    "人民币": CUR.CNY,
    "美元": CUR.USD,
    "平方公里": UNIT.KiloM2,
    "个百分点": ZGO.PercentagePoint,
    "年": UNIT.YR,
}
QUALIFIER_OF_WORD = {
    "近": "nearly", "接近": "nearly", "余": "more-than", "多": "more-than",
    "约": "about", "左右": "about", "以上": "at-least", "强": "more-than",
}


@pytest.fixture(scope="module")
def graph() -> rdflib.Graph:
    """The figures' own files: observations and their vocabulary."""
    g = rdflib.Graph()
    for name in ("statistics.ttl", "measures.ttl"):
        g.parse(DATA / name, format="turtle")
    return g


@pytest.fixture(scope="module")
def world() -> rdflib.Graph:
    """The ontology and every data file: what the observations refer to."""
    g = rdflib.Graph()
    for path in sorted((ROOT / "ontology").glob("*.ttl")) + sorted(DATA.glob("*.ttl")):
        if path.name != "shapes.ttl":
            g.parse(path, format="turtle")
    return g


def observations(g: rdflib.Graph) -> list[URIRef]:
    return sorted(g.subjects(RDF.type, ZGO.Observation))


def one(g: rdflib.Graph, s, p, *, kind=None):
    values = [o for o in g.objects(s, p) if kind is None or (o, RDF.type, kind) in g]
    assert len(values) == 1, f"{s} has {len(values)} values of {p}: {values}"
    return values[0]


def span(g: rdflib.Graph, evidence) -> tuple[int, int]:
    """The evidence's offsets, read from its oa:TextPositionSelector."""
    position = one(g, evidence, OA.hasSelector, kind=OA.TextPositionSelector)
    return int(one(g, position, OA.start)), int(one(g, position, OA.end))


def exact(g: rdflib.Graph, evidence) -> str:
    """The evidence's quote, read from its oa:TextQuoteSelector."""
    return str(one(g, one(g, evidence, OA.hasSelector, kind=OA.TextQuoteSelector), OA.exact))


def covering(g: rdflib.Graph, start: int, end: int) -> list[URIRef]:
    """Observations with an evidence record whose span covers [start, end)."""
    found = []
    for obs in observations(g):
        for evidence in g.objects(obs, ZGO.evidence):
            s, e = span(g, evidence)
            if s <= start and end <= e:
                found.append(obs)
    return found


def matching(g: rdflib.Graph, figure) -> list[URIRef]:
    """Observations that encode ``figure``: same value and multiplier, evidence covering its span."""
    return [
        obs
        for obs in covering(g, figure.start, figure.end)
        if Decimal(str(one(g, obs, OBS_VALUE))) == figure.value
        and int(next(g.objects(obs, UNIT_MULT), 0)) == figure.mult
    ]


def figure_id(figure) -> str:
    """An ASCII id: sentence, value (with its power of ten) and offset, e.g. ``p03s04-1.84e12-at362``."""
    power = f"e{figure.mult}" if figure.mult else ""
    return f"{REPORT.sentence_at(figure.start).id}-{figure.value}{power}-at{figure.start}"


def exclusion_id(exclusion) -> str:
    start = quote_spans(TEXT, exclusion.quote)[0][0] if exclusion.quote in TEXT else -1
    return f"{REPORT.sentence_at(start).id if start >= 0 else 'missing'}-at{start}"


def slug(obs: URIRef) -> str:
    return str(obs).removeprefix(INSTANCES + "obs/")


# --- the extractor on small strings ---------------------------------------------------------------------

EXTRACTED = [
    ("其中国家级高新技术企业 7578 家，", "7578 家", "7578", 0, "家", None),
    ("拥有各类高新技术企业近万家；", "近万家", "1", 4, "家", "近"),
    ("实现总收入 1.84 万亿元，", "1.84 万亿元", "1.84", 12, "元", None),
    ("占全市的 47.4%。", "47.4%", "47.4", 0, "%", None),
    ("约占示范区的 40%。", "40%", "40", 0, "%", "约"),
    ("聚集了全国近1/3的云计算基础设施", "近1/3", "33.33", 0, "/", "近"),
    ("总收入占全国 1/10 强。", "1/10 强", "10", 0, "/", "强"),
    ("总收入占全市六成以上。", "六成以上", "60", 0, "成", "以上"),
    ("产值占示范区的一半左右。", "一半左右", "50", 0, "半", "左右"),
    ("实施先进工业等十余项", "十余项", "10", 0, "项", "余"),
    ("总书记两次视察北京", "两次", "2", 0, "次", None),
    ("总估值接近 1500 亿美元，", "接近 1500 亿美元", "1500", 8, "美元", "接近"),
    ("增速达7.5%，高出全市0.8个百分点，", "7.5%", "7.5", 0, "%", None),
    ("高出全市0.8个百分点，", "0.8个百分点", "0.8", 0, "个百分点", None),
    ("规模以上企业达 2500 多家，", "2500 多家", "2500", 0, "家", "多"),
    ("贡献率达71%左右，", "71%左右", "71", 0, "%", "左右"),
    ("节约融资成本7.6亿人民币，", "7.6亿人民币", "7.6", 8, "人民币", None),
    ("扩容至 174.06 平方公里，", "174.06 平方公里", "174.06", 0, "平方公里", None),
    ("集了中关村 45% 的有销售收入", "45%", "45", 0, "%", None),
    ("经过 30 年的改革创新", "30 年", "30", 0, "年", None),
    ("位居北京市16区", "16区", "16", 0, "区", None),
    ("每年拿出近20亿元专项资金", "近20亿元", "20", 8, "元", "近"),
]
EXTRACTED_IDS = [
    "count", "nearly-ten-thousand", "trillion-yuan", "decimal-percent", "about-before-share", "nearly-fraction",
    "fraction-at-least", "tenths-at-least", "half-about", "ten-more-than", "two-times", "nearly-100-million-dollars",
    "growth-percent", "percentage-points", "more-than-after-space", "percent-about", "100-million-renminbi",
    "square-kilometres", "percent-then-space", "years", "districts", "nearly-100-million-yuan",
]


@pytest.mark.parametrize(
    "text, written, value, mult, unit, qualifier", EXTRACTED, ids=EXTRACTED_IDS
)
def test_extracts_the_figure_with_its_value_multiplier_unit_and_hedge(text, written, value, mult, unit, qualifier):
    figure = extract_figures(text)[0]
    assert (figure.text, figure.value, figure.mult, figure.unit, figure.qualifier) == (
        written, Decimal(value), mult, unit, qualifier,
    )
    assert text[figure.start : figure.end] == written


def test_hedge_that_is_not_next_to_the_number_stays_outside_the_figure():
    (share,) = extract_figures("约占全市的 52%，")
    (plain,) = extract_figures("约占全市的 52%，占全国的 25%")[1:]
    assert (share.text, share.qualifier) == ("52%", "约")
    assert (plain.text, plain.qualifier) == ("25%", None)


def test_double_first_is_a_two_and_a_rank():
    figures = extract_figures("位居北京市16区“双第一”")
    assert [(f.number, f.value, f.unit) for f in figures] == [
        ("16", 16, "区"), ("双", 2, ""), ("第一", 1, "第"),
    ]


@pytest.mark.parametrize(
    "written, form", [("近1/3的", "1/3"), ("四成以上", "四成"), ("一半左右", "一半"), ("两次", "两"), ("近万家", "万"), ("7578 家", None)],
    ids=["fraction", "tenths", "half", "two", "ten-thousand", "arabic"],
)
def test_written_form_is_kept_when_the_number_is_not_a_plain_arabic_number(written, form):
    assert extract_figures(written)[0].written_as == form


@pytest.mark.parametrize(
    "text", ["首都", "大唐半导体设计", "成为引领", "集成电路", "成效显著"],
    ids=["capital", "semiconductor", "become", "integrated", "results"],
)
def test_characters_that_are_not_numbers_here_are_not_figures(text):
    assert extract_figures(text) == []


@pytest.mark.parametrize(
    "numeral, value", [("两", 2), ("九", 9), ("十", 10), ("二十", 20), ("三十五", 35), ("百", 100), ("千", 1000)],
    ids=["two", "nine", "ten", "twenty", "thirty-five", "hundred", "thousand"],
)
def test_chinese_integer(numeral, value):
    assert chinese_integer(numeral) == value


def test_chinese_integer_refuses_other_characters():
    with pytest.raises(ValueError):
        chinese_integer("万")


# --- the exclusions cannot rot ---------------------------------------------------------------------------


@pytest.mark.parametrize("exclusion", EXCLUSIONS, ids=[exclusion_id(e) for e in EXCLUSIONS])
def test_every_exclusion_occurs_and_holds_the_numbers_it_excludes(exclusion):
    occurrences = quote_spans(TEXT, exclusion.quote)
    assert occurrences, f"{exclusion.quote!r} no longer occurs in the report"
    for start, end in occurrences:
        inside = Counter(f.number for f in extract_figures(TEXT) if start <= f.number_start and f.number_end <= end)
        assert not Counter(exclusion.numbers) - inside, f"{exclusion.quote!r} at {start} holds {dict(inside)}"


def test_exclusions_are_unique_and_each_gives_a_reason():
    assert len({e.quote for e in EXCLUSIONS}) == len(EXCLUSIONS)
    assert all(len(e.reason) > 15 for e in EXCLUSIONS)


def test_every_number_in_the_report_is_a_figure_or_excluded():
    figures = extract_figures(TEXT)
    assert {f for f in figures if excluded(f, TEXT) is None} == set(FIGURES)
    assert len(figures) > len(FIGURES) > 60


EXCLUDED = [f for f in extract_figures(TEXT) if excluded(f, TEXT) is not None]


@pytest.mark.parametrize("figure", EXCLUDED, ids=[figure_id(f) for f in EXCLUDED])
def test_no_observation_encodes_an_excluded_number(graph, figure):
    assert matching(graph, figure) == []


# --- every figure is an observation -----------------------------------------------------------------------

# The report's 双第一 is two first places: rank by GDP and rank by contribution to growth.
TWO_OBSERVATIONS = {"第一"}


@pytest.mark.parametrize("figure", FIGURES, ids=[figure_id(f) for f in FIGURES])
def test_every_figure_is_the_value_of_an_observation_whose_evidence_covers_it(graph, figure):
    found = matching(graph, figure)
    expected = 2 if figure.number in TWO_OBSERVATIONS else 1
    assert len(found) == expected, f"{figure.text!r} at {figure.start}: {[slug(o) for o in found]}"


@pytest.mark.parametrize("figure", FIGURES, ids=[figure_id(f) for f in FIGURES])
def test_observation_has_the_unit_its_unit_word_implies(graph, figure):
    for obs in matching(graph, figure):
        assert one(graph, obs, UNIT_MEASURE) == UNIT_OF_WORD[figure.unit], slug(obs)


@pytest.mark.parametrize("figure", FIGURES, ids=[figure_id(f) for f in FIGURES])
def test_observation_has_the_qualifier_its_hedge_implies(graph, figure):
    expected = [ZG[f"qualifier/{QUALIFIER_OF_WORD[figure.qualifier]}"]] if figure.qualifier else []
    for obs in matching(graph, figure):
        assert list(graph.objects(obs, ZGO.qualifier)) == expected, slug(obs)


@pytest.mark.parametrize("figure", FIGURES, ids=[figure_id(f) for f in FIGURES])
def test_value_is_typed_as_written_and_other_forms_are_kept(graph, figure):
    integral = figure.value == figure.value.to_integral() and "." not in figure.number
    for obs in matching(graph, figure):
        assert one(graph, obs, OBS_VALUE).datatype == (XSD.integer if integral else XSD.decimal)
        written = [str(w) for w in graph.objects(obs, ZGO.writtenAs)]
        assert written == ([figure.written_as] if figure.written_as else [])


def test_hedges_in_the_text_are_all_seen():
    """Every 近/约/接近 right before a figure and 余/多/左右/以上/强 right after one is its qualifier."""
    for figure in FIGURES:
        before = TEXT[max(0, figure.start - 2) : figure.start]
        after = TEXT[figure.end : figure.end + 2]
        if before.endswith(("近", "约")) or after.startswith(("余", "多", "左右", "以上", "强")):
            pytest.fail(f"{figure.text!r} at {figure.start} leaves a hedge outside the figure")
        if figure.text[0] in "近约接" or figure.text.endswith(("余", "多", "左右", "以上", "强")):
            assert figure.qualifier is not None


OBSERVATIONS = observations(rdflib.Graph().parse(DATA / "statistics.ttl", format="turtle"))


@pytest.mark.parametrize("obs", OBSERVATIONS, ids=[slug(o) for o in OBSERVATIONS])
def test_every_observation_quotes_a_figure_of_its_value(graph, obs):
    """No invented figure: each observation's evidence covers a figure of the report with its value."""
    value = Decimal(str(one(graph, obs, OBS_VALUE)))
    start, end = span(graph, one(graph, obs, ZGO.evidence))
    quoted = [f for f in FIGURES if start <= f.start and f.end <= end and f.value == value]
    assert quoted, f"{slug(obs)}: no figure of value {value} in its quote"


# --- every observation is complete ------------------------------------------------------------------------


@pytest.mark.parametrize("obs", OBSERVATIONS, ids=[slug(o) for o in OBSERVATIONS])
def test_observation_is_complete(graph, obs):
    assert {ZGO.Observation, QB.Observation} <= set(graph.objects(obs, RDF.type))
    assert one(graph, obs, QB.dataSet) == DATASET
    assert one(graph, obs, OBS_VALUE).datatype in {XSD.integer, XSD.decimal}
    assert isinstance(one(graph, obs, UNIT_MEASURE), URIRef)
    assert one(graph, obs, ZGO.refPeriod).datatype == XSD.gYear
    assert all(list(graph.objects(obs, dimension)) for dimension in DIMENSIONS), "a value for every dimension"
    assert (one(graph, obs, ZGO.measure), SKOS.inScheme, ZG["scheme/measure"]) in graph
    assert isinstance(one(graph, obs, ZGO.about), URIRef)
    assert (one(graph, obs, ZGO.periodBasis), SKOS.inScheme, ZG["scheme/period-basis"]) in graph
    assert {label.language for label in graph.objects(obs, RDFS.label)} == {"zh", "en"}
    assert len(list(graph.objects(obs, RDFS.label))) == 2


def measure_group(g: rdflib.Graph, obs) -> str:
    return str(one(g, one(g, obs, ZGO.measure), SKOS.broader)).rsplit("/", 1)[-1]


@pytest.mark.parametrize("obs", OBSERVATIONS, ids=[slug(o) for o in OBSERVATIONS])
def test_share_names_its_whole_and_lies_within_0_and_100(graph, obs):
    unit, group = one(graph, obs, UNIT_MEASURE), measure_group(graph, obs)
    assert (unit == UNIT.PERCENT) == (group in {"share", "rate"}), slug(obs)
    whole = one(graph, obs, ZGO.shareOf)
    if group == "share":
        assert 0 <= one(graph, obs, OBS_VALUE).toPython() <= 100
        assert whole not in CODES and not str(whole).startswith(INSTANCES + "obs/"), "the whole is a place or body"
    else:
        assert whole == ZG["code/not-applicable"], slug(obs)
    if group == "rate":
        assert (one(graph, obs, ZGO.measure), RDF.type, ZGO.RateMeasure) in graph


@pytest.mark.parametrize("obs", OBSERVATIONS, ids=[slug(o) for o in OBSERVATIONS])
def test_count_says_what_it_counts(world, obs):
    """A count names a concept it counts: a zg:counted/… concept, or a kind the entity files define."""
    if measure_group(world, obs) == "count":
        assert one(world, obs, UNIT_MEASURE) == UNIT.NUM
        counted = one(world, obs, ZGO.counts)
        assert counted not in CODES and (counted, SKOS.inScheme, ZG["scheme/counted"]) in world, slug(obs)


@pytest.mark.parametrize("obs", OBSERVATIONS, ids=[slug(o) for o in OBSERVATIONS])
def test_evidence_quotes_the_report_exactly_within_one_sentence(graph, obs):
    evidence = one(graph, obs, ZGO.evidence)
    start, end = span(graph, evidence)
    sentence = REPORT.sentence_at(start)
    assert exact(graph, evidence) == TEXT[start:end]
    assert end <= sentence.end
    assert one(graph, evidence, ZGO.sentence) == URIRef(sentence.iri)
    assert evidence == ZG[f"ev/{sentence.id}-f-{slug(obs)}"]


# Words by which the report dates a figure to its own writing.
AS_OF_NOW = ("截至目前", "目前", "近年来", "近期", "两年来")


@pytest.mark.parametrize("obs", OBSERVATIONS, ids=[slug(o) for o in OBSERVATIONS])
def test_period_follows_what_the_report_says(graph, obs):
    period, basis = one(graph, obs, ZGO.refPeriod), one(graph, obs, ZGO.periodBasis)
    evidence = one(graph, obs, ZGO.evidence)
    quote, sentence = exact(graph, evidence), REPORT.sentence_at(span(graph, evidence)[0]).text
    basis = str(basis).rsplit("/", 1)[-1]
    assert period.datatype == XSD.gYear, "one representation of periods: the year"
    as_of = list(graph.objects(obs, ZGO.asOfDate))
    if basis == "stated":
        assert f"{period}" in sentence.replace(" ", "")
        assert as_of == ([Literal(f"{period}-12-31", datatype=XSD.date)] if "截至 2016 年底" in sentence else [])
    elif basis in {"report-date", "unstated"}:
        assert period == Literal("2017", datatype=XSD.gYear)
        assert "2016" not in quote, "a figure whose quote gives its year takes that year"
        said = [word for word in AS_OF_NOW if word in (sentence if basis == "report-date" else quote)]
        assert bool(said) == (basis == "report-date"), said
    else:
        assert basis == "curated"
        curated = [
            st for st in graph.subjects(RDF.subject, obs)
            if (st, RDF.predicate, ZGO.refPeriod) in graph and (st, RDF.object, period) in graph
            and (st, ZGO.curated, Literal(True)) in graph and (st, RDFS.comment, None) in graph
        ]
        assert curated, "a curated period is stated by a curated rdf:Statement with its reason"
    durations = [str(d) for d in graph.objects(obs, ZGO.periodDuration)]
    assert durations == (["P2Y"] if "两年来" in quote else [])


def test_no_two_observations_share_every_dimension(graph):
    keys = [tuple(frozenset(graph.objects(obs, p)) for p in DIMENSIONS) for obs in OBSERVATIONS]
    assert [k for k, n in Counter(keys).items() if n > 1] == []


def amount(g: rdflib.Graph, obs) -> Decimal:
    return Decimal(str(one(g, obs, OBS_VALUE))) * 10 ** int(next(g.objects(obs, UNIT_MULT), 0))


@pytest.mark.parametrize(
    "part, whole, share",
    [
        ("mobile-internet-revenue-2016", "total-revenue-2016", "mobile-internet-revenue-share-of-park-2016"),
        ("new-energy-revenue-2016", "total-revenue-2016", "new-energy-revenue-share-of-park-2016"),
    ],
    ids=["mobile-internet-51", "new-energy-13"],
)
def test_a_share_agrees_with_the_amounts_of_part_and_whole(graph, part, whole, share):
    """The whole is the place; its figure is the observation about that place, in that year, not broken down."""
    obs = lambda s: ZG[f"obs/{s}"]
    assert one(graph, obs(share), ZGO.shareOf) == one(graph, obs(whole), ZGO.about)
    assert one(graph, obs(whole), ZGO.industry) == ZG["code/total"]
    computed = amount(graph, obs(part)) / amount(graph, obs(whole)) * 100
    assert abs(computed - Decimal(str(one(graph, obs(share), OBS_VALUE)))) < 1


# Read off the report, not the Turtle: (observation, value, unit, unitMult, qualifier, other facts).
SPOT_CHECKS = [
    ("national-high-tech-enterprises-2016", "7578", UNIT.NUM, None, None, {ZGO.refPeriod: Literal("2016", datatype=XSD.gYear), ZGO.asOfDate: Literal("2016-12-31", datatype=XSD.date)}),
    ("national-high-tech-enterprises-share-of-beijing-2016", "47.4", UNIT.PERCENT, None, None, {ZGO.shareOf: ZG.beijing}),
    ("high-tech-enterprises-2016", "1", UNIT.NUM, 4, "nearly", {ZGO.writtenAs: Literal("万")}),
    ("total-revenue-2016", "1.84", CUR.CNY, 12, None, {ZGO.refPeriod: Literal("2016", datatype=XSD.gYear)}),
    ("revenue-share-of-demonstration-zone-2016", "40", UNIT.PERCENT, None, "about", {ZGO.shareOf: ZG["zgc-demonstration-zone"]}),
    ("planned-area-current", "174.06", UNIT.KiloM2, None, None, {ZGO.about: ZG["haidian-park"]}),
    ("reform-years", "30", UNIT.YR, None, None, {}),
    ("collaborative-innovation-fund-size", "12", CUR.CNY, 8, None, {ZGO.about: ZG["collaborative-innovation-fund"]}),
    ("district-gdp-growth-above-beijing-2016", "0.8", ZGO.PercentagePoint, None, None, {ZGO.comparedWith: ZG.beijing}),
    ("district-gdp-rank-2016", "1", UNIT.NUM, None, None, {ZGO.about: ZG["haidian-district"]}),
    ("district-hpe-enterprises-share-of-beijing-2016", "40", UNIT.PERCENT, None, "at-least", {ZGO.writtenAs: Literal("四成")}),
    ("cloud-infrastructure-share-of-china", "33.33", UNIT.PERCENT, None, "nearly", {ZGO.shareOf: ZG.china, ZGO.writtenAs: Literal("1/3")}),
    ("ic-design-revenue-share-of-china", "10", UNIT.PERCENT, None, "more-than", {ZGO.industry: ZG["industry/ic-design"]}),
    ("collaborative-innovation-investment-attracted", "7.5", CUR.CNY, 8, None, {ZGO.about: ZG["collaborative-innovation-community"], ZGO.interpreted: Literal(True)}),
    ("collaborative-innovation-projects", "134", UNIT.NUM, None, None, {ZGO.about: ZG["collaborative-innovation-community"], ZGO.interpreted: Literal(True)}),
    ("new-economy-enterprises-share", "73", UNIT.PERCENT, None, None, {ZGO.citedSource: ZG["haidian-district-study"]}),
    ("new-economy-revenue-share", "76", UNIT.PERCENT, None, None, {ZGO.citedSource: ZG["haidian-district-study"], ZGO.shareOf: ZG["haidian-park"]}),
    ("beidou-output-share-of-demonstration-zone", "50", UNIT.PERCENT, None, "about", {ZGO.writtenAs: Literal("一半")}),
    ("district-new-tech-enterprises-2016", "1.75", UNIT.NUM, 4, None, {ZGO.closeTo: ZG["silicon-valley"]}),
    ("district-unicorns-valuation-2016", "1500", CUR.USD, 8, "nearly", {}),
    ("district-thousand-talents-share-of-beijing", "70", UNIT.PERCENT, None, None, {ZGO.programme: ZG["thousand-talents-plan"]}),
    ("district-gaoju-share-of-beijing", "68", UNIT.PERCENT, None, None, {ZGO.programme: ZG["gaoju-programme"]}),
    ("foreign-debt-pilot-transactions", "122", UNIT.NUM, None, None, {ZGO.about: ZG["foreign-debt-pilot"]}),
    ("foreign-debt-pilot-cost-saved", "7.6", CUR.CNY, 8, None, {}),
    ("residence-hall-applications", "2300", UNIT.NUM, None, "nearly", {ZGO.programme: ZG["mps-20-measures"]}),
    ("special-funds-annual", "20", CUR.CNY, 8, "nearly", {ZGO.about: ZG["haidian-special-funds"]}),
]


@pytest.mark.parametrize("name, value, unit, mult, qualifier, facts", SPOT_CHECKS, ids=[row[0] for row in SPOT_CHECKS])
def test_spot_checks_read_off_the_report(graph, name, value, unit, mult, qualifier, facts):
    obs = ZG[f"obs/{name}"]
    assert Decimal(str(one(graph, obs, OBS_VALUE))) == Decimal(value)
    assert one(graph, obs, UNIT_MEASURE) == unit
    assert list(graph.objects(obs, UNIT_MULT)) == ([Literal(mult)] if mult else [])
    assert list(graph.objects(obs, ZGO.qualifier)) == ([ZG[f"qualifier/{qualifier}"]] if qualifier else [])
    for p, o in facts.items():
        assert (obs, p, o) in graph, f"{name}: expected {p} {o}"


# --- the vocabulary --------------------------------------------------------------------------------------


def test_qualifier_scheme_has_exactly_the_four_hedges(graph):
    members = set(graph.subjects(SKOS.inScheme, ZG["scheme/qualifier"]))
    assert members == {ZG[f"qualifier/{q}"] for q in ("nearly", "more-than", "about", "at-least")}
    assert all((q, RDF.type, ZGO.Qualifier) in graph for q in members)


@pytest.mark.parametrize("scheme", ["measure", "qualifier", "counted", "period-basis", "code"])
def test_every_concept_has_one_chinese_and_one_english_label(world, scheme):
    for concept in world.subjects(SKOS.inScheme, ZG[f"scheme/{scheme}"]):
        languages = sorted(label.language for label in world.objects(concept, RDFS.label))
        assert languages == ["en", "zh"], concept


def test_counted_concepts_quote_the_report(world):
    """Every counted concept is named in the report, but the two codes of a dimension with no value of its
    own (curated, with their reason)."""
    for concept in world.subjects(SKOS.inScheme, ZG["scheme/counted"]):
        if concept in CODES:
            assert (concept, ZGO.curated, Literal(True)) in world and (concept, RDFS.comment, None) in world
            continue
        evidence = one(world, concept, ZGO.mentionedAt)
        start, end = span(world, evidence)
        assert exact(world, evidence) == TEXT[start:end]


def test_every_measure_is_used_or_groups_used_measures(graph):
    used = set(graph.objects(None, ZGO.measure))
    groups = {one(graph, m, SKOS.broader) for m in used}
    assert set(graph.subjects(SKOS.inScheme, ZG["scheme/measure"])) == used | groups


def test_everything_an_observation_points_to_is_described_with_both_labels(world):
    properties = (
        ZGO.about, ZGO.shareOf, ZGO.industry, ZGO.counts, ZGO.population, ZGO.programme,
        ZGO.comparedWith, ZGO.closeTo, ZGO.higherThan, ZGO.measure, ZGO.qualifier, ZGO.periodBasis,
        ZGO.citedSource,
    )
    targets = {o for obs in OBSERVATIONS for p in properties for o in world.objects(obs, p)}
    for target in targets:
        languages = {label.language for label in world.objects(target, RDFS.label)}
        assert {"zh", "en"} <= languages, f"{target} is not described (labels: {languages})"


def test_every_property_of_an_observation_is_a_component_of_the_structure(world):
    structure = one(world, DATASET, QB.structure)
    components = {
        prop
        for spec in world.objects(structure, QB.component)
        for kind in (QB.dimension, QB.measure, QB.attribute)
        for prop in world.objects(spec, kind)
    }
    bookkeeping = {RDF.type, RDFS.label, RDFS.comment, ZGO.interpreted, QB.dataSet, ZGO.evidence}
    used = {p for obs in OBSERVATIONS for p in world.predicates(obs)} - bookkeeping
    assert used <= components, used - components
