"""The report's sentence graph: the source document and one zgo:Sentence per sentence, offsets intact."""

import rdflib
from rdflib import RDF, RDFS, XSD, URIRef
from rdflib.namespace import DCTERMS

from zgckg.kg.report_graph import report_graph
from zgckg.kg.report import Report

ZGO = rdflib.Namespace("https://w3id.org/zgckg/ontology#")
OA = rdflib.Namespace("http://www.w3.org/ns/oa#")
DOCUMENT = URIRef("https://w3id.org/zgckg/id/report/haidian-park")


def test_one_sentence_node_per_sentence_with_its_iri_and_id(report):
    graph = report_graph(report)
    nodes = set(graph.subjects(RDF.type, ZGO.Sentence))
    assert nodes == {URIRef(s.iri) for s in report.sentences}
    assert {str(graph.value(n, ZGO.sentenceId)) for n in nodes} == {s.id for s in report.sentences}
    assert URIRef(f"{DOCUMENT}/p03s03") in nodes


def test_sentence_offsets_slice_the_normalised_text_to_the_sentence_text(report):
    graph = report_graph(report)
    for node in graph.subjects(RDF.type, ZGO.Sentence):
        start, end = graph.value(node, OA.start), graph.value(node, OA.end)
        assert report.text[start.toPython() : end.toPython()] == str(graph.value(node, ZGO.text))


def test_offsets_are_xsd_integer_like_the_evidence_records_and_texts_are_plain_strings(report):
    graph = report_graph(report)
    node = URIRef(f"{DOCUMENT}/p03s01")
    assert {graph.value(node, p).datatype for p in (OA.start, OA.end)} == {XSD.integer}
    text = graph.value(node, ZGO.text)
    assert text.language is None and text.startswith("中关村科技园区海淀园（以下简称海淀园）")


def test_every_sentence_is_part_of_the_source_document(report):
    graph = report_graph(report)
    assert set(graph.subjects(DCTERMS.isPartOf, DOCUMENT)) >= set(graph.subjects(RDF.type, ZGO.Sentence))


def test_every_sentence_is_in_exactly_one_section_and_sections_nest_in_the_document(report):
    graph = report_graph(report)
    sections = set(graph.subjects(RDF.type, ZGO.Section))
    for sentence in graph.subjects(RDF.type, ZGO.Sentence):
        assert len(set(graph.objects(sentence, DCTERMS.isPartOf)) & sections) == 1, sentence
    for section in sections:
        parent = graph.value(section, DCTERMS.isPartOf)
        assert parent == DOCUMENT or (parent in sections and str(graph.value(parent, ZGO.sectionKind)) == "part")
    kinds = sorted(str(graph.value(s, ZGO.sectionKind)) for s in sections)
    assert kinds == ["introduction"] + ["item"] * 11 + ["part"] * 3 + ["titles"]


def test_parts_and_items_are_titled_by_their_headings(report):
    graph = report_graph(report)
    section = URIRef(f"{DOCUMENT}/section/p04s03")
    assert str(graph.value(section, DCTERMS.title)) == "一是探索构建新型协同创新共同体。"
    assert graph.value(section, DCTERMS.isPartOf) == URIRef(f"{DOCUMENT}/section/p04s01")
    assert (URIRef(f"{DOCUMENT}/p04s04"), DCTERMS.isPartOf, section) in graph
    # 主要表现为：一是…… opens an item even after its lead-in
    assert str(graph.value(URIRef(f"{DOCUMENT}/section/p05s03"), ZGO.sectionKind)) == "item"
    labels = {str(label) for label in graph.objects(URIRef(f"{DOCUMENT}/section/p06s05"), RDFS.label)}
    assert "Part 3, item 2" in labels


def test_the_report_is_one_account_in_its_collection(report):
    graph = report_graph(report)
    (collection,) = graph.objects(DOCUMENT, DCTERMS.isPartOf)
    assert str(graph.value(collection, DCTERMS.title)) == "全国科技管理系统先进集体事迹简介" == report.sentences[0].text
    assert (collection, DCTERMS.hasPart, DOCUMENT) in graph


def test_source_document_has_the_report_title_language_and_dates(report):
    graph = report_graph(report)
    assert (DOCUMENT, RDF.type, ZGO.SourceDocument) in graph
    title = graph.value(DOCUMENT, DCTERMS.title)
    assert title.language == "zh" and str(title) == report.text.split("\n")[1]
    assert graph.value(DOCUMENT, DCTERMS.created) == rdflib.Literal("2017", datatype=XSD.gYear)
    assert graph.value(DOCUMENT, DCTERMS.temporal) == rdflib.Literal("2016-12-31", datatype=XSD.date)
    assert "zh" in str(graph.value(DOCUMENT, DCTERMS.language))
    assert {label.language for label in graph.objects(DOCUMENT, RDFS.label)} == {"zh", "en"}
    assert any("end of 2016" in c for c in graph.objects(DOCUMENT, RDFS.comment))


def test_the_graph_follows_the_report_it_is_given(tmp_path):
    path = tmp_path / "tiny.txt"
    path.write_text("标题\n第一句。第二句！\n", encoding="utf-8")
    graph = report_graph(Report.read(path))
    texts = {str(graph.value(n, ZGO.sentenceId)): str(graph.value(n, ZGO.text)) for n in graph.subjects(RDF.type, ZGO.Sentence)}
    assert texts == {"p01s01": "标题", "p02s01": "第一句。", "p02s02": "第二句！"}
