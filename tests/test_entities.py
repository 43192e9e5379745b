"""The entity data: every entity and relation the report names, with evidence that matches the report.

The files are read with rdflib exactly as a curator leaves them; the quotes are checked against the
normalised report, and the spot checks name entities the way the report writes them, so they do not
depend on the slugs the data happens to use.
"""

from __future__ import annotations

import importlib.util
import re
import sys
from pathlib import Path

import pytest
import rdflib
from rdflib import RDF, RDFS, BNode, Literal, URIRef
from rdflib.namespace import DCTERMS, SKOS

from zgckg.kg.report import Report
from zgckg.kg.validate import validate
from zgckg.namespaces import INSTANCES, ONTOLOGY, PREFIXES, REPORT, REPORT_TEXT

ROOT = Path(__file__).resolve().parents[1]
DATA = ROOT / "data" / "turtle"
ENTITY_FILES = ["places", "organisations", "people", "platforms", "funds", "policies", "talent", "industries", "dataset"]

ZGO = rdflib.Namespace(ONTOLOGY)
OA = rdflib.Namespace(PREFIXES["oa"])
# Properties that describe provenance or curation rather than relate two things the report talks about.
BOOKKEEPING = {ZGO.evidence, ZGO.mentionedAt, ZGO.sentence, ZGO.curated, ZGO.curationNote}
# Standard properties that state a fact about an entity, and so need a reified statement like zgo: ones.
STATED = {SKOS.broader, SKOS.related, SKOS.exactMatch, URIRef(PREFIXES["org"] + "hasMember")}
# Bodies the report names only by the name of their place (北京市“海聚工程”: the city's government). The place
# keeps that name as its label, so that a lookup by name finds one node; the body's mention quote holds it.
NAMED_BY_THEIR_PLACE = {URIRef(INSTANCES + "beijing-government"): "北京市",
                        URIRef(INSTANCES + "haidian-government"): "海淀区",
                        URIRef(INSTANCES + "zgc-administrative-committee"): "中关村"}
NOT_ENTITIES = {ZGO.Evidence, OA.TextQuoteSelector, OA.TextPositionSelector, ZGO.SourceDocument, ZGO.Sentence,
                SKOS.ConceptScheme, RDF.Statement}
SLUG = re.compile(r"[a-z0-9]+(-[a-z0-9]+)*(/[a-z0-9]+(-[a-z0-9]+)*)*")


@pytest.fixture(scope="module")
def files() -> dict[str, rdflib.Graph]:
    return {name: rdflib.Graph().parse(DATA / f"{name}.ttl", format="turtle") for name in ENTITY_FILES}


@pytest.fixture(scope="module")
def graph(files) -> rdflib.Graph:
    merged = rdflib.Graph()
    for g in files.values():
        merged += g
    return merged


def entities(graph: rdflib.Graph) -> set[URIRef]:
    typed = {s for s, o in graph.subject_objects(RDF.type) if o not in NOT_ENTITIES}
    return {s for s in typed if str(s).startswith(INSTANCES) and not str(s).startswith(INSTANCES + "dataset")}


def statements(graph: rdflib.Graph) -> dict[tuple, list[URIRef]]:
    found: dict[tuple, list[URIRef]] = {}
    for node in graph.subjects(RDF.type, RDF.Statement):
        triple = (graph.value(node, RDF.subject), graph.value(node, RDF.predicate), graph.value(node, RDF.object))
        found.setdefault(triple, []).append(node)
    return found


def is_curated(graph: rdflib.Graph, node) -> bool:
    return (node, ZGO.curated, Literal(True)) in graph


def curated_labels(graph: rdflib.Graph) -> set[tuple]:
    """(entity, label) pairs a curated statement adds, e.g. an official full name."""
    return {
        (s, o)
        for (s, p, o), nodes in statements(graph).items()
        if p in (RDFS.label, SKOS.altLabel) and all(is_curated(graph, n) for n in nodes)
    }


def selected(graph: rdflib.Graph, ev) -> tuple[str, int, int]:
    """An evidence record's quote and offsets, read through its Web Annotation selectors."""
    selectors = list(graph.objects(ev, OA.hasSelector))
    (exact,) = [graph.value(s, OA.exact) for s in selectors if (s, OA.exact, None) in graph]
    ((start, end),) = [(graph.value(s, OA.start), graph.value(s, OA.end)) for s in selectors if (s, OA.start, None) in graph]
    return str(exact), start.toPython(), end.toPython()


def quotes_of(graph: rdflib.Graph, node) -> list[str]:
    return [selected(graph, ev)[0] for p in (ZGO.evidence, ZGO.mentionedAt) for ev in graph.objects(node, p)]


def zh(values) -> list[str]:
    return [str(v) for v in values if isinstance(v, Literal) and v.language == "zh"]


# --- files ------------------------------------------------------------------------------------------------


@pytest.mark.parametrize("name", ENTITY_FILES)
def test_file_parses_and_opens_with_a_comment_saying_what_it_holds(name):
    text = (DATA / f"{name}.ttl").read_text(encoding="utf-8")
    assert text.startswith("# ")
    assert len(rdflib.Graph().parse(data=text, format="turtle")) > 0


def test_no_blank_nodes(graph):
    assert not [t for t in graph if any(isinstance(x, BNode) for x in t)]


def test_instance_iris_are_readable_slugs(graph):
    iris = {x for t in graph for x in t if isinstance(x, URIRef) and str(x).startswith(INSTANCES)}
    bad = [str(i) for i in iris if not SLUG.fullmatch(str(i)[len(INSTANCES):])]
    assert not bad


TEXT_PROPERTIES = {
    RDFS.label, RDFS.comment, SKOS.prefLabel, SKOS.altLabel, ZGO.characterisation, ZGO.purpose, ZGO.emphasis, ZGO.curationNote,
    DCTERMS.title, DCTERMS.description,
}


def test_every_label_comment_and_report_worded_text_has_a_language_tag(graph):
    texts = [o for p in TEXT_PROPERTIES for o in graph.objects(None, p)]
    assert len(texts) > 300
    assert [o for o in texts if not (isinstance(o, Literal) and o.language in ("zh", "en"))] == []


# --- evidence ----------------------------------------------------------------------------------------------


def test_every_evidence_quote_is_the_report_text_at_its_offsets_within_its_sentence(graph, report: Report):
    records = list(graph.subjects(RDF.type, ZGO.Evidence))
    assert len(records) > 100
    for ev in records:
        exact, start, end = selected(graph, ev)
        assert report.text[start:end] == exact, ev
        sentence_iri = str(graph.value(ev, ZGO.sentence))
        sentence = report.sentence(sentence_iri.removeprefix(REPORT + "/"))
        assert sentence.start <= start < end <= sentence.end, ev
        assert str(ev).startswith(f"{INSTANCES}ev/{sentence.id}-"), ev
        assert graph.value(ev, OA.hasSource) == URIRef(REPORT_TEXT)


def test_every_cited_evidence_record_exists_and_every_record_is_cited(graph):
    records = set(graph.subjects(RDF.type, ZGO.Evidence))
    cited = set(graph.objects(None, ZGO.evidence)) | set(graph.objects(None, ZGO.mentionedAt))
    assert cited - records == set()
    assert records - cited == set()


# --- relations and their reified statements ------------------------------------------------------------------


def stated_triples(graph: rdflib.Graph):
    """Triples that state a relation or a report-worded literal about an entity (not labels, not bookkeeping)."""
    for s, p, o in graph:
        if (s, RDF.type, RDF.Statement) in graph:
            continue
        zgo_fact = str(p).startswith(ONTOLOGY) and p not in BOOKKEEPING
        if not (zgo_fact or p in STATED):
            continue
        if isinstance(o, Literal) and o.language == "en":
            continue  # the curators' English rendering of a report-worded literal
        yield s, p, o


def test_every_relation_triple_has_a_reified_statement(graph):
    reified = statements(graph)
    missing = [t for t in stated_triples(graph) if t not in reified]
    assert not missing
    assert len(reified) > 150


def test_every_reified_statement_is_asserted(graph):
    unasserted = [t for t in statements(graph) if t not in graph]
    assert not unasserted


def test_a_statement_has_evidence_or_is_curated_with_a_reason_never_both(graph):
    for node in graph.subjects(RDF.type, RDF.Statement):
        has_evidence = (node, ZGO.evidence, None) in graph
        if is_curated(graph, node):
            assert not has_evidence, node
            assert {c.language for c in graph.objects(node, RDFS.comment)} >= {"zh", "en"}, node
        else:
            assert has_evidence, node


# --- entities ---------------------------------------------------------------------------------------------


def report_named(graph: rdflib.Graph) -> set[URIRef]:
    """The entities the report names: all but the curated ones, which it never names."""
    return {e for e in entities(graph) if not is_curated(graph, e)}


def test_every_entity_has_one_zh_and_one_en_label_and_a_mention_or_is_curated(graph):
    found = entities(graph)
    assert len(found) > 100
    for entity in found:
        labels = [label.language for label in graph.objects(entity, RDFS.label)]
        assert sorted(labels) == ["en", "zh"], entity
        if entity in report_named(graph):
            assert quotes_of(graph, entity), entity


def test_a_curated_entity_says_why_in_both_languages(graph):
    curated = entities(graph) - report_named(graph)
    assert URIRef(INSTANCES + "haidian-park-administration") in curated
    for entity in curated:
        reasons = [*graph.objects(entity, ZGO.curationNote), *graph.objects(entity, RDFS.comment)]
        assert {r.language for r in reasons} >= {"zh", "en"}, entity


def test_chinese_names_are_written_as_in_the_report_unless_marked_curated(graph, report: Report):
    curated = curated_labels(graph)
    invented = [
        (entity, name)
        for entity in report_named(graph)
        for prop in (RDFS.label, SKOS.altLabel, SKOS.prefLabel)
        for name in graph.objects(entity, prop)
        if isinstance(name, Literal) and name.language == "zh"
        and str(name) not in report.text and (entity, name) not in curated
    ]
    assert not invented


def report_names(graph: rdflib.Graph, entity, report: Report) -> list[str]:
    """The entity's Chinese names as the report writes them (a body named by its place: the place's name)."""
    names = [n for p in (RDFS.label, SKOS.altLabel) for n in zh(graph.objects(entity, p)) if n in report.text]
    return names + [NAMED_BY_THEIR_PLACE[entity]] if entity in NAMED_BY_THEIR_PLACE else names


def test_each_entity_is_evidenced_by_a_quote_that_names_it(graph, report: Report):
    for entity in report_named(graph):
        names = report_names(graph, entity, report)
        assert names, entity
        assert any(name in quote for quote in quotes_of(graph, entity) for name in names), entity


def test_curated_labels_stand_beside_a_name_from_the_report(graph, report: Report):
    for entity, label in curated_labels(graph):
        assert report_names(graph, entity, report), (entity, label)


LABELS = (RDFS.label, SKOS.prefLabel, SKOS.altLabel)


def test_no_two_entities_share_a_label_or_alt_label_in_one_language(graph):
    # A lookup by name (“海淀区”, “Haidian Park”) must find one node: a body named by its place does not
    # repeat the place's name, and a generic name (“1.0 版”) is held by one entity only.
    holders: dict[tuple[str, str], set] = {}
    for prop in LABELS:
        for node, name in graph.subject_objects(prop):
            if isinstance(name, Literal):
                holders.setdefault((str(name), name.language), set()).add(node)
    assert {name: sorted(nodes) for name, nodes in holders.items() if len(nodes) > 1} == {}


def test_english_names_are_spelled_one_way(graph):
    english = [str(o) for p in (*LABELS, RDFS.comment) for o in graph.objects(None, p)
               if isinstance(o, Literal) and o.language == "en"]
    assert len(english) > 100
    for wrong in ("Beidou", "Unistrong", "Independent Innovation Demonstration Zone", "green-card express",
                  "green card express", "foreign-exchange", "sophisticated industries",
                  "Beijing Collaborative Innovation Institute"):
        assert [text for text in english if wrong in text] == [], wrong


OFFICIAL_NAMES = {
    "beijing-collaborative-innovation-institute": "Beijing Institute of Collaborative Innovation",  # bici.net
    "zgc-demonstration-zone": "Zhongguancun National Innovation Demonstration Zone",
    "industry/beidou-spatial-info": "BeiDou navigation and spatial information services industry",
    "sinovation-ventures": "Sinovation Ventures (Innovation Works)",
    "advanced-technology-materials": "Advanced Technology & Materials (AT&M)",
    "unistrong": "UniStrong",
}


@pytest.mark.parametrize("slug", OFFICIAL_NAMES)
def test_official_english_names(graph, slug):
    node = URIRef(INSTANCES + slug)
    assert {str(o) for o in graph.objects(node, RDFS.label) if o.language == "en"} == {OFFICIAL_NAMES[slug]}


# --- spot checks: relations the report states, named as the report writes them ---------------------------------


def named(graph: rdflib.Graph, name: str) -> set[URIRef]:
    by_label = {s for p in (RDFS.label, SKOS.altLabel) for s in graph.subjects(p, Literal(name, lang="zh"))}
    return by_label | {body for body, place_name in NAMED_BY_THEIR_PLACE.items() if place_name == name}


STATED_RELATIONS = [
    # subject as written, predicate, object as written, whether one quote holds both names
    ("小米", "exemplifies", "平台经济", True),
    ("滴滴打车", "exemplifies", "分享经济", True),
    ("创新工场", "exemplifies", "创客经济", True),
    ("合众思壮", "leadingEnterpriseOf", "北斗与空间信息服务产业", True),
    ("北斗星通", "leadingEnterpriseOf", "北斗与空间信息服务产业", True),
    ("大唐半导体设计", "leadingEnterpriseOf", "集成电路设计产业", True),
    ("中星微电子", "leadingEnterpriseOf", "集成电路设计产业", True),
    ("安泰科技", "leadingEnterpriseOf", "新能源新材料和节能环保产业", True),
    ("有研硅股", "leadingEnterpriseOf", "新能源新材料和节能环保产业", True),
    ("公安部中关村外国人永久居留服务大厅", "landedIn", "海淀", True),
    ("公安部中关村外国人永久居留服务大厅", "subOrganizationOf", "公安部", True),
    ("公安部支持北京创新发展的20条新政", "issuedBy", "公安部", True),
    ("北京石墨烯产业创新中心", "landedIn", "海淀", True),
    ("百度深度学习技术及应用国家工程实验室", "landedIn", "海淀", True),
    ("中科大北京研究院", "platformKind", "重大原始创新平台", True),
    ("海淀园", "coreAreaOf", "示范区", False),
    ("海淀园", "coreAreaOf", "全国科技创新中心", False),
    ("海淀园", "predecessor", "北京市新技术产业开发试验区", False),
    ("海淀园", "birthplaceOf", "中关村", False),
    ("2.0 版", "predecessor", "1.0 版", True),
    ("3.0 版", "predecessor", "2.0 版", True),
    ("北京协同创新研究院", "coBuiltBy", "首都高校院所", True),
    ("协同创新母基金", "coBuiltBy", "高科技企业", True),
    ("北京协同创新研究院", "initiatedBy", "北京市科委", True),
    ("原始创新引导基金", "coBuiltBy", "北京市自然科学基金", True),
    ("原始创新引导基金", "coBuiltBy", "领军企业", True),
    ("原始创新引导基金", "supports", "高水平科研团队", False),
    ("海淀区", "partOf", "北京市", False),
    ("千人计划", "issuedBy", "中央", True),
    ("海聚工程", "issuedBy", "北京市", True),
    ("高聚工程", "issuedBy", "中关村", True),
    ("一体三园", "coreAreaOf", "中关村军民融合示范区", True),
    ("区域内中科院", "locatedIn", "海淀区", False),
    ("交通出行", "industryOf", "海淀区", False),
    ("移动互联网和下一代互联网产业", "industryOf", "海淀园", True),
    ("平台经济", "broader", "新经济", True),
    ("“五证合一、一照一码”改革", "componentOf", "“放管服”改革试点", False),
    ("公安部支持北京创新发展的20条新政", "appliesTo", "北京", True),
]


@pytest.mark.parametrize(
    "subject, predicate, obj, one_quote",
    STATED_RELATIONS,
    ids=[f"{s}-{p}-{o}" for s, p, o, _ in STATED_RELATIONS],
)
def test_the_report_states_this_relation_with_evidence(graph, subject, predicate, obj, one_quote):
    p = SKOS.broader if predicate == "broader" else ZGO[predicate]
    reified = statements(graph)
    pairs = [(s, o) for s in named(graph, subject) for o in named(graph, obj) if (s, p, o) in graph]
    assert pairs, "triple missing"
    nodes = [n for s, o in pairs for n in reified.get((s, p, o), [])]
    assert nodes and not any(is_curated(graph, n) for n in nodes)
    quotes = [q for n in nodes for q in quotes_of(graph, n)]
    if one_quote:
        assert any(subject in q and obj in q for q in quotes), quotes
    else:
        assert any(subject in q or obj in q for q in quotes), quotes


CURATED_RELATIONS = [
    ("百度深度学习技术及应用国家工程实验室", "hostedBy", "百度"),
    ("中科大北京研究院", "hostedBy", "中科大"),
    ("北京知识产权法院", "landedIn", "海淀区"),
    ("海淀园", "locatedIn", "海淀区"),
]


@pytest.mark.parametrize(
    "subject, predicate, obj", CURATED_RELATIONS, ids=[f"{s}-{p}-{o}" for s, p, o in CURATED_RELATIONS]
)
def test_this_relation_is_a_curators_addition_without_evidence(graph, subject, predicate, obj):
    reified = statements(graph)
    nodes = [
        n
        for s in named(graph, subject)
        for o in named(graph, obj)
        for n in reified.get((s, ZGO[predicate], o), [])
        if (s, ZGO[predicate], o) in graph
    ]
    assert nodes
    assert all(is_curated(graph, n) and (n, ZGO.evidence, None) not in graph for n in nodes)


def test_stages_carry_what_each_stressed_in_the_reports_words(graph):
    emphasis = {
        stage: zh(graph.objects(s, ZGO.emphasis)) for stage in ("1.0 版", "2.0 版", "3.0 版") for s in named(graph, stage)
    }
    assert emphasis == {
        "1.0 版": ["企业服务"],
        "2.0 版": ["协同创新"],
        "3.0 版": ["创新生态建设和产业组织培育"],
    }


def test_dataset_says_english_labels_and_curated_statements_are_the_curators(graph):
    dataset = URIRef(INSTANCES + "dataset")
    notes = {n.language: str(n) for n in graph.objects(dataset, ZGO.curationNote)}
    assert set(notes) == {"zh", "en"}
    assert "English label" in notes["en"] and "zgo:curated true" in notes["en"]
    assert "英文标签" in notes["zh"] and "zgo:curated true" in notes["zh"]
    assert graph.value(dataset, DCTERMS.source) == URIRef(REPORT)
    assert {t.language for t in graph.objects(dataset, DCTERMS.title)} == {"zh", "en"}
    assert graph.value(dataset, DCTERMS.license) is not None


# --- the project's own validator ------------------------------------------------


def test_the_build_validator_finds_nothing_wrong_in_the_entity_files(files, report: Report):
    ontology = rdflib.Graph()
    for path in sorted((ROOT / "ontology").glob("*.ttl")):
        if path.name != "shapes.ttl":
            ontology.parse(path, format="turtle")
    by_path = {DATA / f"{name}.ttl": g for name, g in files.items()}
    assert [str(v) for v in validate(ontology, by_path, report, root=ROOT)] == []


# --- scripts/evidence.py, the tool that writes evidence records ----------------------------------------------


@pytest.fixture(scope="module")
def evidence_tool():
    spec = importlib.util.spec_from_file_location("evidence_tool", ROOT / "scripts" / "evidence.py")
    module = importlib.util.module_from_spec(spec)
    sys.modules[spec.name] = module  # dataclasses look their module up here
    spec.loader.exec_module(module)
    yield module
    del sys.modules[spec.name]


def test_evidence_tool_writes_a_record_whose_offsets_select_the_quote(evidence_tool, report: Report):
    located = evidence_tool.locate_one(report, "以小米为代表的平台经济")
    turtle = evidence_tool.evidence_turtle(located, "xiaomi")
    prefixes = "".join(
        f"@prefix {p}: <{iri}> .\n"
        for p, iri in {"zgo": ONTOLOGY, "oa": PREFIXES["oa"], "ev": INSTANCES + "ev/",
                       "report": INSTANCES + "report/", "sentence": REPORT + "/"}.items()
    )
    g = rdflib.Graph().parse(data=prefixes + turtle, format="turtle")
    (ev,) = g.subjects(RDF.type, ZGO.Evidence)
    assert str(ev) == f"{INSTANCES}ev/p05s14-xiaomi"
    exact, start, end = selected(g, ev)
    assert report.text[start:end] == exact == "以小米为代表的平台经济"


@pytest.mark.parametrize(
    "quote, sentence, problem",
    [
        ("海淀园", None, "occurs"),
        ("不在报告里的话", None, "not found"),
        ("约占示范区的 40%。近年来", None, "past the end"),
    ],
    ids=["ambiguous", "absent", "crosses-sentence-end"],
)
def test_evidence_tool_refuses_quotes_that_cannot_be_one_record(evidence_tool, report, quote, sentence, problem):
    with pytest.raises(evidence_tool.QuoteError, match=problem):
        evidence_tool.locate_one(report, quote, sentence)


def test_evidence_tool_picks_an_occurrence_by_sentence(evidence_tool, report: Report):
    located = evidence_tool.locate_one(report, "海淀园规划面积", "p03s02")
    assert (located.sentence_id, report.text[located.start : located.end]) == ("p03s02", "海淀园规划面积")
