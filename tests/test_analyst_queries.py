"""The analyst queries in ``queries/``: each loads, runs on the store built from the project's own data, and
gives the answer the report gives.

Expected values are read off the report text (quoted in the comments), never off the queries' output. The
store is built once per session (``project_built`` in conftest.py); every test only reads it.
"""

from __future__ import annotations

import json
import re
from decimal import Decimal
from pathlib import Path

import pyoxigraph as ox
import pytest

from zgckg.kg.engine import Query
from zgckg.kg.engine.inprocess import InProcessEngine
from zgckg.kg.formats import SOLUTIONS
from zgckg.kg.queries import bindings, load_queries
from zgckg.namespaces import INSTANCES, ONTOLOGY

ROOT = Path(__file__).resolve().parents[1]
QUERIES = load_queries(ROOT / "queries")
PARAMETRISED = sorted(name for name, q in QUERIES.items() if q.params)

XSD = "http://www.w3.org/2001/XMLSchema#"
NUMERIC = {XSD + t for t in ("integer", "decimal", "double", "float", "int", "long")}
UNIT = "http://qudt.org/vocab/unit/"
CUR = "http://qudt.org/vocab/currency/"
CJK = re.compile(r"[\u4e00-\u9fff]")
SEPARATOR = " … "  # how the queries join several quotes of one fact


# --- helpers ---------------------------------------------------------------------------------------------


@pytest.fixture(scope="module")
def store(project_built):
    """The engine ``zgckg query`` runs analyst queries through."""
    engine = InProcessEngine(project_built)
    yield engine
    engine.close()


def short(iri: str) -> str:
    """``zg:…`` for instances, ``zgo:…`` for ontology terms, the IRI itself otherwise."""
    if iri.startswith(ONTOLOGY):
        return "zgo:" + iri[len(ONTOLOGY):]
    if iri.startswith(INSTANCES):
        return "zg:" + iri[len(INSTANCES):]
    return iri


def python(term):
    """A result term as a plain value: numbers as Decimal, booleans as bool, IRIs shortened, text as str."""
    if term is None:
        return None
    if isinstance(term, ox.NamedNode):
        return short(term.value)
    if isinstance(term, ox.Literal):
        if term.datatype.value in NUMERIC:
            return Decimal(term.value)
        if term.datatype.value == XSD + "boolean":
            return term.value == "true"
    return term.value


def term(value: dict | None):
    """A SPARQL JSON results term as a pyoxigraph term."""
    if value is None:
        return None
    if value["type"] == "uri":
        return ox.NamedNode(value["value"])
    if value["type"] == "bnode":
        return ox.BlankNode(value["value"])
    if "xml:lang" in value:
        return ox.Literal(value["value"], language=value["xml:lang"])
    return ox.Literal(value["value"], datatype=ox.NamedNode(value.get("datatype", XSD + "string")))


def solutions(engine, name: str, **given: str) -> tuple[list[str], list[dict]]:
    query = QUERIES[name]
    answer = engine.query(Query(query.text, SOLUTIONS[0], bindings=bindings(query, given)))
    document = json.loads(answer.content())
    names = document["head"]["vars"]
    return names, [{n: term(s.get(n)) for n in names} for s in document["results"]["bindings"]]


def rows(store, name: str, **given: str) -> list[dict]:
    return [{k: python(v) for k, v in row.items()} for row in solutions(store, name, **given)[1]]


def select(engine, text: str) -> list[dict]:
    """The rows of an ad-hoc SELECT (the project's prefixes predeclared), as :func:`rows` gives them."""
    document = json.loads(engine.query(Query(text, SOLUTIONS[0])).content())
    return [{n: python(term(s.get(n))) for n in document["head"]["vars"]} for s in document["results"]["bindings"]]


def one(found: list[dict], **match) -> dict:
    """The single row whose columns equal ``match``."""
    hits = [r for r in found if all(r.get(k) == v for k, v in match.items())]
    assert len(hits) == 1, f"{len(hits)} rows match {match}"
    return hits[0]


def quotes(value: str | None) -> list[str]:
    return value.split(SEPARATOR) if value else []


def d(text: str) -> Decimal:
    return Decimal(text)


# --- every query -----------------------------------------------------------------------------------------


def test_there_are_at_least_22_queries_including_park_figures():
    assert len(QUERIES) >= 22
    assert "park-figures" in QUERIES


@pytest.mark.parametrize("name", sorted(QUERIES), ids=str)
def test_header_is_bilingual(name):
    q = QUERIES[name]
    assert CJK.search(q.title("zh")) and CJK.search(q.question("zh"))
    assert not CJK.search(q.title("en")) and not CJK.search(q.question("en"))
    assert q.question("zh").endswith("？") and q.question("en").endswith("?")


@pytest.mark.parametrize("name", sorted(QUERIES), ids=str)
def test_header_has_no_stray_keys(name):
    # A comment line that starts with "word:" would be read as a header key and silently ignored.
    assert set(QUERIES[name].header) == {"title@zh", "title@en", "question@zh", "question@en"}


@pytest.mark.parametrize("name", sorted(QUERIES), ids=str)
def test_header_explains_the_shape_of_the_answer(name):
    header = QUERIES[name].text.split("\nPREFIX", 1)[0].splitlines()
    explanation = [line for line in header if line.startswith("# ") and not re.match(r"#\s*[\w@-]+\s*:", line)]
    assert len(explanation) >= 2, "a few comment lines should say what one row of the answer is"


@pytest.mark.parametrize("name", sorted(QUERIES), ids=str)
def test_query_answers_with_every_column_filled_somewhere(store, name):
    names, found = solutions(store, name)
    assert found, "no rows"
    # Columns the report never fills for the default answer: it hedges neither share of the park's revenue,
    # and gives no multiplier for integrated circuit design's figures.
    expected_empty = {"industries-by-share-of-park-revenue": {"qualifier"}, "industry-profile": {"mult"}}
    empty = {n for n in names if all(row[n] is None for row in found)}
    assert empty == expected_empty.get(name, set())


@pytest.mark.parametrize("name", sorted(QUERIES), ids=str)
def test_labelled_columns_hold_their_language(store, name):
    names, found = solutions(store, name)
    for column in names:
        lang = "zh" if column.endswith("Zh") else "en" if column.endswith("En") else None
        if lang is None:
            continue
        tagged = {row[column].language for row in found if isinstance(row[column], ox.Literal)} - {None}
        assert tagged <= {lang}, f"?{column} holds {tagged}"


@pytest.mark.parametrize("name", sorted(QUERIES), ids=str)
def test_every_quote_is_the_reports_text(store, report, name):
    names, found = solutions(store, name)
    for row in found:
        for quote in quotes(python(row.get("quote"))):
            assert quote in report.text
        if row.get("sentence") is not None and "sentenceId" in row:
            assert python(row["sentence"]) in {s.text for s in report.sentences}


@pytest.mark.parametrize("name", PARAMETRISED, ids=str)
def test_parameters_are_in_the_projection(store, name):
    names, _ = solutions(store, name)
    assert set(QUERIES[name].params) <= set(names)


# Another value for each parameter, and a column whose values must change with it.
OTHER_VALUES = {
    "connections-to-park": ({"entity": "zg:xiaomi"}, "path"),
    "evidence-for-entity": ({"entity": "zg:xiaomi"}, "quote"),
    "industry-profile": ({"industry": "zg:industry/cloud-computing"}, "value"),
    "places-containing": ({"entity": "zg:xiaomi"}, "place"),
    "shares-of-a-whole": ({"whole": "zg:china"}, "share"),
}


def test_every_parametrised_query_has_a_second_value_tested():
    assert set(OTHER_VALUES) == set(PARAMETRISED)


@pytest.mark.parametrize("name", PARAMETRISED, ids=str)
def test_a_parameter_value_binds_every_row_and_changes_the_answer(store, name):
    given, column = OTHER_VALUES[name]
    default = rows(store, name)
    other = rows(store, name, **given)
    assert other
    for param, value in given.items():
        assert {r[param] for r in other} == {value}
    assert {r[column] for r in other} != {r[column] for r in default}


# --- figures ---------------------------------------------------------------------------------------------

# (value as written, unit, multiplier, hedge, how the report writes it)
PARK_FIGURES = [
    ("7578", UNIT + "NUM", None, None, "国家级高新技术企业 7578 家"),
    ("47.4", UNIT + "PERCENT", None, None, "占全市的 47.4%"),
    ("1", UNIT + "NUM", 4, "zg:qualifier/nearly", "高新技术企业近万家"),
    ("1.84", CUR + "CNY", 12, None, "总收入 1.84 万亿元"),
    ("12.2", UNIT + "PERCENT", None, None, "同比增长 12.2%"),
    ("40", UNIT + "PERCENT", None, "zg:qualifier/about", "约占示范区的 40%"),
    ("174.06", UNIT + "KiloM2", None, None, "174.06 平方公里"),
    ("9289", CUR + "CNY", 8, None, "9289亿元"),
    ("33.33", UNIT + "PERCENT", None, "zg:qualifier/nearly", "近1/3"),
    ("2500", UNIT + "NUM", None, "zg:qualifier/more-than", "2500 多家"),
]


@pytest.mark.parametrize(
    "value, unit, mult, qualifier, written", PARK_FIGURES, ids=[f[4] for f in PARK_FIGURES]
)
def test_park_figure_has_its_unit_multiplier_and_hedge(store, value, unit, mult, qualifier, written):
    row = one(rows(store, "park-figures"), value=d(value))
    assert (row["unit"], row["mult"], row["qualifier"]) == (unit, mult, qualifier)
    assert written in row["quote"] or written in row["label"]


def test_park_figures_give_the_columns_the_readme_prints(store):
    names, _ = solutions(store, "park-figures")
    assert {"label", "value", "unit", "mult", "qualifier", "period", "quote"} <= set(names)


def test_park_figures_spell_out_the_written_unit(store):
    found = rows(store, "park-figures")
    assert one(found, value=d("1.84"))["unitZh"] == "万亿元"
    assert one(found, value=d("9289"))["unitZh"] == "亿元"
    assert one(found, value=d("47.4"))["unitZh"] == "%"


def test_park_figures_follow_the_report(store, report):
    starts = [report.text.index(r["quote"]) for r in rows(store, "park-figures")]
    assert starts == sorted(starts)


# 2016 年实现总收入9289亿元 · 2016 年实现总收入 5700 亿元 · 2016 年实现总收入 2433 亿元
def test_industries_rank_by_revenue(store):
    found = rows(store, "industries-by-revenue")
    ranking = [(r["rank"], r["industryZh"], r["revenue"], r["mult"]) for r in found]
    assert ranking == [
        (1, "移动互联网和下一代互联网产业", 9289, 8),
        (2, "文化和科技融合产业", 5700, 8),
        (3, "新能源新材料和节能环保产业", 2433, 8),
    ]
    assert found[0]["yuan"] == 9289 * 10**8


# 占海淀园总收入的51% · 占海淀园总收入的 13% — of the park's 1.84 万亿元
def test_industry_shares_of_park_revenue_are_checked_against_the_revenues(store):
    park_revenue = Decimal("1.84") * 10**12
    found = {r["industryZh"]: r for r in rows(store, "industries-by-share-of-park-revenue")}
    assert list(found) == ["移动互联网和下一代互联网产业", "新能源新材料和节能环保产业"]
    for industry, share, revenue in [("移动互联网和下一代互联网产业", 51, 9289), ("新能源新材料和节能环保产业", 13, 2433)]:
        row = found[industry]
        assert row["share"] == share and row["wholeYuan"] == park_revenue
        assert row["computedShare"] == round(Decimal(revenue) * 10**8 * 100 / park_revenue, 1)


@pytest.mark.parametrize(
    "share, whole",
    [("47.4", "北京市"), ("40", "中关村国家自主创新示范区"), ("50", "中关村国家自主创新示范区"), ("25", "中国"),
     ("10", "中国"), ("45", "中关村"), ("51", "中关村科技园区海淀园")],
    ids=["national-htes-of-beijing", "revenue-of-the-zone", "beidou-output-of-the-zone", "unicorns-of-china",
         "ic-design-of-china", "biomedicine-of-zhongguancun", "mobile-internet-of-park-revenue"],
)
def test_a_share_names_its_whole(store, share, whole):
    assert whole in {r["wholeZh"] for r in rows(store, "shares-and-wholes") if r["share"] == d(share)}


# Every "占全市" in the report: 47.4%, 35%, 85%, 六成以上, 34%, 42%, 22%, 约 52%, 四成以上, 20.2%, 70%、36%、68%.
BEIJING_SHARES = ["85", "70", "68", "60", "52", "47.4", "42", "40", "36", "35", "34", "22", "20.2"]


def test_shares_of_beijing_are_every_share_the_report_gives_of_the_city(store):
    found = rows(store, "shares-of-a-whole")
    assert [r["share"] for r in found] == [d(s) for s in BEIJING_SHARES]
    assert {r["whole"] for r in found} == {"zg:beijing"}


@pytest.mark.parametrize(
    "whole, shares",
    [("zg:china", {"33.33", "25", "10"}), ("zg:zgc-demonstration-zone", {"50", "40"}),
     ("zg:haidian-district", {"88.8", "60", "60.3"})],
    ids=["china", "demonstration-zone", "district"],
)
def test_shares_of_another_whole(store, whole, shares):
    assert {r["share"] for r in rows(store, "shares-of-a-whole", whole=whole)} == {d(s) for s in shares}


# 近万家 · 约占示范区的 40% · 71%左右 · 60%左右 · 2000余家 · 四成以上 · 5000余家 · 近70项 · 一半左右 · 近1/3 · 六成以上 ·
# 70 余家 · 1/10 强 · 2500 多家 · 约占全市的 52% · 接近1500亿美元 · 十余项 · 近万人 · 近2300人 · 近20亿元
HEDGES = {
    "nearly": ["1", "70", "33.33", "1500", "1", "2300", "20"],
    "more than": ["2000", "5000", "70", "2500", "10", "10"],
    "about": ["40", "71", "60", "50", "52"],
    "at least": ["40", "60"],
}


def test_hedged_figures_are_every_hedge_in_the_report(store):
    found = rows(store, "hedged-figures")
    by_hedge = {h: sorted(r["value"] for r in found if r["qualifierEn"] == h) for h in HEDGES}
    assert by_hedge == {h: sorted(d(v) for v in values) for h, values in HEDGES.items()}
    assert one(found, value=d("33.33"))["writtenAs"] == "1/3"


# 独角兽企业 34 家，约占全市的 52%，占全国的 25%，总估值接近 1500 亿美元，它们集中分布于交通出行、云服务、大数据、智能硬件、网络安全等新经济领域
def test_unicorns(store):
    found = rows(store, "unicorns")
    assert [(r["value"], r["unit"], r["qualifierZh"], r["shareOfZh"]) for r in found] == [
        (34, UNIT + "NUM", None, None),
        (52, UNIT + "PERCENT", "约", "北京市"),
        (25, UNIT + "PERCENT", None, "中国"),
        (1500, CUR + "USD", "接近", None),
    ]
    assert found[3]["amount"] == 1500 * 10**8
    assert found[0]["fieldsZh"].split("、") == ["交通出行", "云服务", "大数据", "智能硬件", "网络安全"]


# 全区全年实现GDP 5036.8亿元，占全市比重达20.2%，增速达7.5%，高出全市0.8个百分点 …
@pytest.mark.parametrize(
    "value, unit, extra",
    [("5036.8", CUR + "CNY", {"mult": 8, "amount": d("503680000000")}),
     ("20.2", UNIT + "PERCENT", {"shareOfZh": "北京市"}),
     ("7.5", UNIT + "PERCENT", {}),
     ("0.8", "zgo:PercentagePoint", {"comparedWithZh": "北京市"}),
     ("88.8", UNIT + "PERCENT", {"industriesZh": "第三产业"}),
     ("60.3", UNIT + "PERCENT", {"industriesZh": "高技术制造业"}),
     ("60", UNIT + "PERCENT", {"industriesZh": "高技术产业", "qualifierZh": "约"}),
     ("2000", UNIT + "NUM", {"qualifierZh": "多于"})],
    ids=["gdp", "gdp-share-of-beijing", "gdp-growth", "growth-above-beijing", "tertiary-share",
         "high-tech-manufacturing-share", "high-tech-share", "gaojingjian-enterprises"],
)
def test_economic_structure_2016(store, value, unit, extra):
    row = one(rows(store, "economic-structure-2016"), value=d(value), unit=unit)
    assert {k: row[k] for k in extra} == extra


def test_three_industries_contribute_about_71_percent_of_growth(store):
    # 信息业、科研业、金融业三大产业……贡献率达71%左右: one figure for the three together, so one industry code
    row = one(rows(store, "economic-structure-2016"), value=d("71"))
    assert row["industriesZh"] == "信息业、科研业、金融业三大产业"
    assert row["qualifierZh"] == "约"
    parts = select(store, "SELECT ?zh { <https://w3id.org/zgckg/id/industry/information-research-finance> "
                          "skos:narrower/rdfs:label ?zh "
                          "FILTER(lang(?zh) = 'zh') }")
    assert {p["zh"] for p in parts} == {"信息业", "科研业", "金融业"}


def test_district_ranks_first_twice(store):
    # GDP总量和对全市经济增长的贡献率位居北京市16区“双第一”
    ranks = [r for r in rows(store, "economic-structure-2016") if r["writtenAs"] == "第一"]
    assert [(r["value"], r["comparedWithZh"]) for r in ranks] == [(1, "北京市"), (1, "北京市")]


# 海淀园规划面积从最初的 100 平方公里扩容至 174.06 平方公里
def test_planned_area_grows_from_100_to_174_06_square_kilometres(store):
    found = rows(store, "planned-area-over-time")
    assert [(r["area"], r["unit"]) for r in found] == [(100, UNIT + "KiloM2"), (d("174.06"), UNIT + "KiloM2")]
    assert found[1]["growth"] == d("74.06")
    assert found[0]["curatedReason"] and found[1]["curatedReason"] is None


# 强调企业服务的 1.0 版和侧重协同创新的 2.0 版，向突出创新生态建设和产业组织培育的 3.0 版
def test_development_stages_in_order(store):
    found = rows(store, "development-stages")
    assert [(r["position"], r["stageZh"], r["emphasisZh"], r["previousZh"]) for r in found] == [
        (1, "海淀园 1.0 版", "企业服务", None),
        (2, "海淀园 2.0 版", "协同创新", "海淀园 1.0 版"),
        (3, "海淀园 3.0 版", "创新生态建设和产业组织培育", "海淀园 2.0 版"),
    ]


# --- talent, policies, funds ------------------------------------------------------------------------------


# 入选中央“千人计划”1040人、北京市“海聚工程”319人、中关村“高聚工程”222人，分别占全市的70%、36%、68% ·
# 已有305人通过“绿卡直通车”获得永久居留许可
def test_talent_programmes_with_their_numbers_and_shares(store):
    found = rows(store, "talent-programmes")
    assert [(r["programmeZh"], r["people"], r["share"]) for r in found] == [
        ("千人计划", 1040, 70), ("海聚工程", 319, 36), ("绿卡直通车", 305, None), ("高聚工程", 222, 68),
    ]
    assert {r["shareOfZh"] for r in found if r["share"] is not None} == {"北京市"}
    assert one(found, programmeZh="千人计划")["issuerZh"] == "中央"


def test_green_card_express_is_issued_by_the_ministry_through_a_curated_link(store):
    row = one(rows(store, "talent-programmes"), programmeZh="绿卡直通车")
    assert (row["issuerZh"], row["issuerCurated"]) == ("公安部", True)
    assert row["withinZh"] == "公安部支持北京创新发展的20条新政"


def test_ministry_measures_are_issued_by_the_ministry(store):
    # 落实公安部支持北京创新发展的20条新政
    row = one(rows(store, "policies-and-bodies"), policyZh="公安部支持北京创新发展的20条新政", role="zgo:issuedBy")
    assert (row["bodyZh"], row["curated"]) == ("公安部", False)
    assert "公安部支持北京创新发展的20条新政" in row["quote"]


@pytest.mark.parametrize(
    "policy, kind",
    [("外汇管理改革试点", "pilot reform"), ("外债宏观审慎管理试点", "pilot reform"), ("投贷联动试点", "pilot reform"),
     ("“6+1”战略性新兴产业技术路线图", "plan"), ("京校十条", "policy")],
    ids=["fx-pilot", "foreign-debt-pilot", "investment-loan-pilot", "roadmap", "jingxiao"],
)
def test_policies_are_listed_once_under_their_most_specific_kind(store, policy, kind):
    assert {r["kindEn"] for r in rows(store, "policies-and-bodies") if r["policyZh"] == policy} == {kind}


# 先后有8家企业享受政策优惠，外汇登记金额合计达2.9亿美元；外债宏观审慎管理试点成效显著，累计为64家企业办理122笔试点外债业务，
# 试点企业境外融资总额达41.6亿美元，节约融资成本7.6亿人民币 · 办理涉及新政的申请近2300人
@pytest.mark.parametrize(
    "policy, value, amount, unit",
    [("外汇管理改革试点", "8", "8", UNIT + "NUM"), ("外汇管理改革试点", "2.9", "290000000", CUR + "USD"),
     ("外债宏观审慎管理试点", "64", "64", UNIT + "NUM"), ("外债宏观审慎管理试点", "122", "122", UNIT + "NUM"),
     ("外债宏观审慎管理试点", "41.6", "4160000000", CUR + "USD"),
     ("外债宏观审慎管理试点", "7.6", "760000000", CUR + "CNY"),
     ("公安部支持北京创新发展的20条新政", "2300", "2300", UNIT + "NUM")],
    ids=["fx-enterprises", "fx-registered", "debt-enterprises", "debt-transactions", "debt-financing",
         "debt-cost-saved", "mps-applications"],
)
def test_pilot_reform_results(store, policy, value, amount, unit):
    row = one(rows(store, "pilot-reform-results"), policyZh=policy, value=d(value))
    assert (row["amount"], row["unit"]) == (d(amount), unit)


# 总规模 12 亿元的协同创新母基金 · 每年拿出近20亿元专项资金. The 7.5 亿元 attracted is the joint effort's (the
# institute and the fund built together), so it is about the collaborative innovation community, not the fund.
def test_funds_with_sizes_and_founders(store):
    found = rows(store, "funds")
    assert {(r["fund"], r["amount"], r["qualifierZh"]) for r in found if r["value"] is not None} == {
        ("zg:collaborative-innovation-fund", 12 * 10**8, None), ("zg:haidian-special-funds", 20 * 10**8, "接近"),
    }
    # 联合北京市科委推动首都高校院所、高科技企业共同建设 … 协同创新母基金 · 联合北京市自然科学基金和领军企业设立 … 原始创新引导基金
    assert {"推动方：北京市科委", "共建方：首都高校院所", "共建方：高科技企业"} <= set(
        one(found, fundZh="协同创新母基金", value=12)["setUpByZh"].split("；"))
    assert {"共建方：北京市自然科学基金", "共建方：领军企业"} <= set(
        one(found, fundZh="原始创新引导基金")["setUpByZh"].split("；"))


# --- platforms, enterprises, links ------------------------------------------------------------------------

LANDED = ["北京石墨烯产业创新中心", "中科大北京研究院", "大数据分析与应用技术国家工程实验室", "北京脑科学与智能技术研究院",
          "中关村前沿技术研究院", "全球健康药物研发中心", "百度深度学习技术及应用国家工程实验室"]


def test_platforms_that_landed_in_haidian_in_the_reports_order(store, report):
    found = rows(store, "platforms-landed-in-haidian")
    platforms = [r for r in found if r["classEn"] == "innovation platform"]
    # 先后推动北京石墨烯产业创新中心、中科大北京研究院 … 等一批重大原始创新平台落地海淀
    sentence = next(s.text for s in report.sentences if s.id == "p04s06")
    assert [r["nameZh"] for r in platforms] == sorted(LANDED, key=sentence.index)
    assert {r["sentenceId"] for r in platforms} == {"p04s06"}
    assert not any(r["curated"] for r in platforms)


def test_ip_court_and_residence_hall_landed_in_haidian(store):
    found = rows(store, "platforms-landed-in-haidian")
    # 推动全国首家知识产权审判专业机构——北京知识产权法院落地: the report does not say where, so a curator did
    court = one(found, nameZh="北京知识产权法院")
    assert (court["classZh"], court["curated"], court["sentenceId"]) == ("法院", True, "p06s06")
    assert court["reason"]
    # 实现公安部中关村外国人永久居留服务大厅落地海淀
    hall = one(found, nameZh="公安部中关村外国人永久居留服务大厅")
    assert (hall["curated"], hall["sentenceId"]) == (False, "p06s07")
    assert "落地海淀" in hall["quote"]


@pytest.mark.parametrize(
    "platform, relation, institution, curated",
    [("百度深度学习技术及应用国家工程实验室", "zgo:hostedBy", "百度", True),
     ("中科大北京研究院", "zgo:hostedBy", "中科大", True),
     ("北京协同创新研究院", "zgo:coBuiltBy", "首都高校院所", False),
     ("北京协同创新研究院", "zgo:initiatedBy", "北京市科委", False),
     ("原始创新引导基金", "zgo:coBuiltBy", "北京市自然科学基金", False),
     ("公安部中关村外国人永久居留服务大厅", "zgo:subOrganizationOf", "公安部", False)],
    ids=["baidu-lab-host", "ustc-institute-host", "institute-co-builder", "institute-initiator", "guidance-fund",
         "residence-hall"],
)
def test_platform_institution_links_mark_curated_ones(store, platform, relation, institution, curated):
    row = one(rows(store, "platform-institution-links"), platformZh=platform, relation=relation,
              institutionZh=institution)
    assert row["curated"] is curated
    assert bool(row["reason"]) is curated and bool(row["quote"]) is not curated


# 北斗与空间信息服务产业聚集了合众思壮、北斗星通等 · 集成电路设计产业聚集了大唐半导体设计、中星微电子等领军企业 70 余家 ·
# 新能源新材料和节能环保产业聚集了安泰科技、有研硅股等一批领军企业
def test_leading_enterprises_by_industry(store):
    found = rows(store, "leading-enterprises-by-industry")
    assert [(r["industryZh"], r["enterpriseZh"]) for r in found] == [
        ("北斗与空间信息服务产业", "合众思壮"), ("北斗与空间信息服务产业", "北斗星通"),
        ("集成电路设计产业", "大唐半导体设计"), ("集成电路设计产业", "中星微电子"),
        ("新能源新材料和节能环保产业", "安泰科技"), ("新能源新材料和节能环保产业", "有研硅股"),
    ]
    assert {(r["leaders"], r["leadersQualifierZh"]) for r in found if r["industryZh"] == "集成电路设计产业"} == {
        (70, "多于")}


# 以小米为代表的平台经济、以滴滴打车为代表的分享经济、以创新工场为代表的创客经济等新经济新动能
def test_new_economy_exemplars(store):
    found = rows(store, "new-economy-exemplars")
    assert [(r["enterpriseZh"], r["modelZh"], r["broaderZh"]) for r in found] == [
        ("小米", "平台经济", "新经济"), ("滴滴打车", "分享经济", "新经济"), ("创新工场", "创客经济", "新经济"),
    ]
    assert {r["sentenceId"] for r in found} == {"p05s14"}


# 市级以上科技创新公共服务平台 33 个，占全市的 35%，区级科技创新公共平台 26 个
def test_platforms_by_kind(store):
    found = rows(store, "platforms-by-kind")
    assert (one(found, kindZh="市级以上科技创新公共服务平台")["reported"],
            one(found, kindZh="市级以上科技创新公共服务平台")["share"]) == (33, 35)
    assert one(found, kindZh="区级科技创新公共平台")["reported"] == 26
    assert one(found, kindZh="重大原始创新平台")["named"] == len(LANDED)
    assert set(one(found, kindZh="国家工程实验室")["namedZh"].split("、")) == {
        name for name in LANDED if name.endswith("国家工程实验室")}


def test_industry_profile(store):
    # 集成电路设计产业聚集了大唐半导体设计、中星微电子等领军企业 70 余家，总收入占全国 1/10 强
    found = rows(store, "industry-profile")
    assert {r["value"] for r in found} == {70, 10}
    assert set(found[0]["leadersZh"].split("、")) == {"大唐半导体设计", "中星微电子"}
    assert one(found, value=10)["writtenAs"] == "1/10"
    # 云计算产业聚集了全国近1/3的云计算基础设施和全市85%的云计算企业，总收入占全市六成以上
    cloud = rows(store, "industry-profile", industry="zg:industry/cloud-computing")
    assert {r["value"] for r in cloud} == {d("33.33"), 85, 60}


# --- provenance, curation, connections --------------------------------------------------------------------


def test_evidence_for_an_entity_slices_the_report_at_its_offsets(store, report):
    found = rows(store, "evidence-for-entity")
    quoted = [r for r in found if r["quote"] is not None]
    assert quoted
    for r in quoted:
        assert report.text[int(r["start"]):int(r["end"])] == r["quote"]
        assert r["quote"] in r["sentence"]
    assert {r["sentenceId"] for r in quoted} == {"p06s06"}  # 北京知识产权法院 appears in one sentence only


def test_evidence_for_an_entity_lists_curated_facts_with_a_reason_and_no_quote(store):
    row = one(rows(store, "evidence-for-entity"), property="zgo:landedIn")
    assert (row["curated"], row["other"], row["quote"]) == (True, "zg:haidian-district", None)
    assert row["reason"]


def test_evidence_for_xiaomi(store):
    found = rows(store, "evidence-for-entity", entity="zg:xiaomi")
    exemplifies = one(found, property="zgo:exemplifies")
    assert (exemplifies["otherZh"], exemplifies["quote"]) == ("平台经济", "以小米为代表的平台经济")


@pytest.mark.parametrize(
    "subject, property, object",
    [("zg:baidu-deep-learning-lab", "zgo:hostedBy", "zg:baidu"),
     ("zg:ustc-beijing-institute", "zgo:hostedBy", "zg:ustc"),
     ("zg:beijing", "zgo:partOf", "zg:china"),
     ("zg:haidian-park", "zgo:locatedIn", "zg:haidian-district"),
     ("zg:beijing-ip-court", "zgo:landedIn", "zg:haidian-district")],
    ids=["baidu-host", "ustc-host", "beijing-in-china", "park-in-district", "court-landing"],
)
def test_curated_facts_include_the_links_the_report_does_not_state(store, subject, property, object):
    row = one(rows(store, "curated-facts"), subject=subject, property=property, object=object)
    assert row["reasonZh"] and row["reasonEn"]


def test_curated_facts_all_have_reasons_in_both_languages(store):
    found = rows(store, "curated-facts")
    assert all(r["reasonZh"] and r["reasonEn"] for r in found)


def flagged(store, pattern: str) -> set[str]:
    return {short(r["x"]) for r in select(store, f"SELECT DISTINCT ?x WHERE {{ {pattern} }}")}


def test_curated_facts_return_every_curated_and_every_interpreted_node_once(store):
    found = rows(store, "curated-facts")
    assert len({r["node"] for r in found}) == len(found)
    by_kind = {kind: {r["node"] for r in found if r["kind"] == kind} for kind in ("curated", "interpreted")}
    assert by_kind["curated"] == flagged(store, "?x zgo:curated true")
    assert by_kind["interpreted"] == flagged(store, "?x zgo:interpreted true")
    # an interpretation shows the words it was read from; a curator's addition has none
    assert all(r["quotes"] for r in found if r["kind"] == "interpreted")
    assert not any(r["quotes"] for r in found if r["kind"] == "curated")


def test_every_statement_without_evidence_is_flagged_as_curated(store):
    assert flagged(store, "?x a rdf:Statement FILTER NOT EXISTS { ?x zgo:evidence ?e }") <= flagged(store, "?x zgo:curated true")
    assert flagged(store, "?x a zgo:Observation FILTER NOT EXISTS { ?x zgo:evidence ?e }") <= flagged(store, "?x zgo:curated true")


def test_entities_the_report_never_names_are_curated_entities(store):
    entities = {r["node"] for r in rows(store, "curated-facts") if r["what"] == "entity"}
    assert {"zg:haidian-government", "zg:beijing-government", "zg:zgc-administrative-committee",
            "zg:central-government", "zg:haidian-park-administration"} <= entities


def test_an_implicit_actor_is_the_park_administration_read_by_interpretation(store):
    # 先后推动北京石墨烯产业创新中心……等一批重大原始创新平台落地海淀: the subject is carried over from 海淀园
    row = one(rows(store, "curated-facts"), subject="zg:beijing-graphene-innovation-centre", property="zgo:initiatedBy")
    assert (row["kind"], row["object"]) == ("interpreted", "zg:haidian-park-administration")
    assert "北京石墨烯产业创新中心" in row["quotes"] and "implicit" in row["reasonEn"]
    # where the text says district level (区级层面政策集成), the district government stays the actor
    row = one(rows(store, "curated-facts"), subject="zg:haidian-1-4-1-policy", property="zgo:issuedBy")
    assert row["object"] == "zg:haidian-government"


def test_tsinghua_reaches_the_park_through_haidian_district(store):
    # 依托区域内中科院、北大、清华等院所高校 — and the park is in the district (a curator's link)
    found = rows(store, "connections-to-park")
    assert {r["path"] for r in found} == {"清华 — 海淀区 — 中关村科技园区海淀园"}
    first, second = found
    assert (first["step"], first["from"], first["relation"], first["to"]) == (
        1, "zg:tsinghua-university", "zgo:locatedIn", "zg:haidian-district")
    assert "清华" in first["quote"] and first["curated"] is False
    assert (second["from"], second["to"], second["curated"]) == ("zg:haidian-park", "zg:haidian-district", True)
    assert second["quote"] is None and second["reason"]


def test_xiaomi_is_in_the_park_in_one_step(store):
    # 园区以小米为代表的平台经济
    found = rows(store, "connections-to-park", entity="zg:xiaomi")
    assert [(r["steps"], r["relation"], r["to"]) for r in found] == [(1, "zgo:locatedIn", "zg:haidian-park")]
    assert "小米" in found[0]["quote"]


def test_baidu_reaches_the_park_through_its_laboratory(store):
    found = rows(store, "connections-to-park", entity="zg:baidu")
    assert [(r["step"], r["from"], r["relation"], r["to"]) for r in found] == [
        (1, "zg:baidu-deep-learning-lab", "zgo:hostedBy", "zg:baidu"),
        (2, "zg:baidu-deep-learning-lab", "zgo:landedIn", "zg:haidian-district"),
        (3, "zg:haidian-park", "zgo:locatedIn", "zg:haidian-district"),
    ]


def test_connections_between_two_given_entities(store):
    # 北京协同创新研究院和总规模 12 亿元的协同创新母基金 are both co-built by 首都高校院所
    found = rows(store, "connections-to-park", entity="zg:beijing-collaborative-innovation-institute",
                 park="zg:collaborative-innovation-fund")
    assert min(r["steps"] for r in found) == 2
    assert {"北京协同创新研究院 — 首都高校院所 — 协同创新母基金", "北京协同创新研究院 — 北京市科委 — 协同创新母基金"} <= {
        r["path"] for r in found if r["steps"] == 2}


# --- reasoning -------------------------------------------------------------------------------------------


def test_organisations_are_counted_only_through_reasoning(store):
    found = {r["class"]: r for r in rows(store, "entities-per-class")}
    organisation = found["zgo:Organisation"]
    subclasses = ["zgo:Enterprise", "zgo:University", "zgo:ResearchInstitute", "zgo:GovernmentBody",
                  "zgo:InnovationPlatform", "zgo:OrganisationGroup"]
    assert organisation["total"] >= sum(found[c]["total"] for c in subclasses)
    assert organisation["inferred"] == organisation["total"] - organisation["asserted"]
    assert organisation["inferred"] > organisation["asserted"]
    # 小米, 滴滴打车, 创新工场, 合众思壮, 北斗星通, 大唐半导体设计, 中星微电子, 安泰科技, 有研硅股, and 百度 of the Baidu lab
    assert (found["zgo:Enterprise"]["total"], found["zgo:Enterprise"]["inferred"]) == (10, 0)
    assert found["zgo:Place"]["total"] >= found["zgo:Zone"]["total"] + found["zgo:AdministrativeArea"]["total"]


def test_places_containing_the_park_stated_and_inferred(store):
    found = rows(store, "places-containing")
    assert {(r["placeZh"], r["how"], r["statedAs"]) for r in found} == {
        ("中关村", "stated", "zgo:partOf"),  # 中关村科技园区海淀园
        ("中关村国家自主创新示范区", "stated", "zgo:coreAreaOf"),  # 到中关村国家自主创新示范区（以下简称示范区）核心区
        ("全国科技创新中心", "stated", "zgo:coreAreaOf"),  # 再到全国科技创新中心核心区
        ("海淀区", "stated", "zgo:locatedIn"),
        ("北京市", "inferred", None),
        ("中国", "inferred", None),
    }
    assert one(found, placeZh="海淀区")["curated"] is True
    order = [r["placeZh"] for r in found]
    assert order.index("海淀区") < order.index("北京市") < order.index("中国")


def test_hosts_are_read_through_the_inferred_inverse(store):
    found = rows(store, "organisation-hierarchy")
    baidu = one(found, parentZh="百度")
    assert (baidu["childZh"], baidu["hosts"], baidu["curated"]) == ("百度深度学习技术及应用国家工程实验室", True, True)
    # 实现公安部中关村外国人永久居留服务大厅落地海淀
    hall = one(found, childZh="公安部中关村外国人永久居留服务大厅")
    assert (hall["parentZh"], hall["hosts"], hall["direct"], hall["curated"]) == ("公安部", False, True, False)
