"""The report as RDF: the collection it belongs to, the source document with its normalised text, its
sections (title lines, introduction, parts and their numbered items) and one ``zgo:Sentence`` per sentence,
with text and offsets, each part of its section.

Every evidence record points at one of these sentences, so a quote can be read in context and its offsets
checked against the sentence's. Offsets are ``xsd:integer`` code-point indices into the normalised text
(start inclusive, end exclusive), the same datatype the evidence records use (Turtle's bare ``300``), so
one comparison works for both. Texts are plain strings, like ``oa:exact``, so a quote can be compared to
its sentence with ``CONTAINS`` without minding language tags.
"""

from __future__ import annotations

import hashlib

import rdflib
from rdflib import RDF, RDFS, XSD, Literal, URIRef
from rdflib.namespace import DCTERMS

from .. import namespaces
from ..namespaces import REPORT, REPORT_TEXT
from .report import Report, Section, Sentence

ZGO = rdflib.Namespace(namespaces.ONTOLOGY)
OA = rdflib.Namespace(namespaces.OA)
SPDX = rdflib.Namespace("http://spdx.org/rdf/terms#")
DCMITYPE = rdflib.Namespace("http://purl.org/dc/dcmitype/")

TITLE_ZH = "中关村科技园区海淀园事迹材料"
TITLE_EN = "Zhongguancun Science Park Haidian Park: account of its achievements"
LANGUAGE = URIRef("http://id.loc.gov/vocabulary/iso639-1/zh")
CREATED = "2017"
COLLECTION = URIRef(namespaces.INSTANCES + "report/advanced-collectives")
"""The collection the report belongs to: its first title line names it."""
COLLECTION_EN = "Profiles of the advanced collectives of the national science and technology management system"
KINDS = {
    "titles": ("标题", "Title lines"),
    "introduction": ("引言", "Introduction"),
    "part": ("部分", "Part"),
    "item": ("条目", "Item"),
}
"""Labels of each kind of section, for a section that has no heading of its own."""
FIGURES_AS_OF = "2016-12-31"

_NOTE_ZH = (
    "收入《全国科技管理系统先进集体事迹简介》的一篇事迹材料。文中数字除另有说明外截至 2016 年底；"
    "句子编号与位置按规范化文本（去除粗体标记、接合分页处断开的段落）计算。"
)
_NOTE_EN = (
    "An account from the profiles of advanced collectives of the national science and technology management "
    "system. Its figures are as of the end of 2016 unless it says otherwise. Sentence ids and offsets refer "
    "to the normalised text (bold markers removed, paragraphs cut by page breaks joined). The English title "
    "is a curator's translation."
)


def report_graph(report: Report) -> rdflib.Graph:
    """The source document ``zg:report/haidian-park`` and its sentences, as a fresh graph."""
    graph = rdflib.Graph()
    graph.bind("zgo", ZGO)
    graph.bind("oa", OA)
    graph.bind("dcterms", DCTERMS)
    document = URIRef(REPORT)
    _add_document(graph, document)
    _add_text(graph, document, report.text)
    sections = report.sections
    _add_collection(graph, document, report)
    section_of = {sid: URIRef(section.iri) for section in sections for sid in section.sentences}
    texts = {sentence.id: sentence.text for sentence in report.sentences}
    for position, (section, number) in enumerate(zip(sections, _numbers(sections)), start=1):
        _add_section(graph, document, section, position, number, texts)
    for sentence in report.sentences:
        _add_sentence(graph, document, sentence)
        graph.add((URIRef(sentence.iri), DCTERMS.isPartOf, section_of[sentence.id]))
    return graph


def _add_document(graph: rdflib.Graph, document: URIRef) -> None:
    graph.add((document, RDF.type, ZGO.SourceDocument))
    graph.add((document, DCTERMS.title, Literal(TITLE_ZH, lang="zh")))
    graph.add((document, RDFS.label, Literal(TITLE_ZH, lang="zh")))
    graph.add((document, RDFS.label, Literal(TITLE_EN, lang="en")))
    graph.add((document, DCTERMS.language, LANGUAGE))
    graph.add((document, DCTERMS.created, Literal(CREATED, datatype=XSD.gYear)))
    # The report's "截至 2016 年底": the date its figures describe, apart from when it was written.
    graph.add((document, DCTERMS.temporal, Literal(FIGURES_AS_OF, datatype=XSD.date)))
    graph.add((document, RDFS.comment, Literal(_NOTE_ZH, lang="zh")))
    graph.add((document, RDFS.comment, Literal(_NOTE_EN, lang="en")))


def _add_collection(graph: rdflib.Graph, document: URIRef, report: Report) -> None:
    """The collection the report is one account of, named by the report's first title line."""
    title = report.sentences[0].text
    graph.add((COLLECTION, RDF.type, DCMITYPE.Collection))
    graph.add((COLLECTION, DCTERMS.title, Literal(title, lang="zh")))
    graph.add((COLLECTION, RDFS.label, Literal(title, lang="zh")))
    graph.add((COLLECTION, RDFS.label, Literal(COLLECTION_EN, lang="en")))
    graph.add((COLLECTION, DCTERMS.hasPart, document))
    graph.add((document, DCTERMS.isPartOf, COLLECTION))


def _numbers(sections: list[Section]) -> list[str]:
    """How a reader refers to each section in English: "Part 2", "Part 2, item 3" (the report's 二、 and 三是)."""
    numbers, part, item = [], 0, 0
    for section in sections:
        if section.kind == "part":
            part, item = part + 1, 0
            numbers.append(f"Part {part}")
        elif section.kind == "item":
            item += 1
            numbers.append(f"Part {part}, item {item}")
        else:
            numbers.append(KINDS[section.kind][1])
    return numbers


def _add_section(graph: rdflib.Graph, document: URIRef, section: Section, position: int, number: str,
                 texts: dict[str, str]) -> None:
    """A section, part of its part or of the document, titled by its heading where it has one."""
    node = URIRef(section.iri)
    zh, en = KINDS[section.kind]
    graph.add((node, RDF.type, ZGO.Section))
    graph.add((node, ZGO.sectionKind, Literal(section.kind)))
    graph.add((node, ZGO.position, Literal(position, datatype=XSD.integer)))
    parent = URIRef(Section(section.parent, "part", ()).iri) if section.parent else document
    graph.add((node, DCTERMS.isPartOf, parent))
    if section.kind in ("part", "item"):
        heading = texts[section.sentences[0]]
        graph.add((node, DCTERMS.title, Literal(heading, lang="zh")))
        graph.add((node, RDFS.label, Literal(heading, lang="zh")))
        graph.add((node, RDFS.label, Literal(number, lang="en")))
    else:
        graph.add((node, RDFS.label, Literal(zh, lang="zh")))
        graph.add((node, RDFS.label, Literal(en, lang="en")))


def _add_text(graph: rdflib.Graph, document: URIRef, text: str) -> None:
    """The normalised text as a resource of its own, with its checksum, so a Web Annotation client can
    fetch the source its selectors count in and check that it has the same text."""
    node = URIRef(REPORT_TEXT)
    checksum = URIRef(REPORT_TEXT + "#sha256")
    graph.add((node, RDF.type, DCMITYPE.Text))
    graph.add((node, DCTERMS.format, Literal("text/plain; charset=utf-8")))
    graph.add((node, DCTERMS.language, LANGUAGE))
    graph.add((node, DCTERMS.isFormatOf, document))
    graph.add((node, RDFS.label, Literal(TITLE_ZH + "（规范化文本）", lang="zh")))
    graph.add((node, RDFS.label, Literal(TITLE_EN + " (normalised text)", lang="en")))
    graph.add((node, DCTERMS.extent, Literal(len(text), datatype=XSD.integer)))
    graph.add((node, SPDX.checksum, checksum))
    graph.add((checksum, RDF.type, SPDX.Checksum))
    graph.add((checksum, SPDX.algorithm, SPDX.checksumAlgorithm_sha256))
    graph.add((checksum, SPDX.checksumValue,
               Literal(hashlib.sha256(text.encode("utf-8")).hexdigest(), datatype=XSD.hexBinary)))
    graph.add((document, DCTERMS.hasFormat, node))


def _add_sentence(graph: rdflib.Graph, document: URIRef, sentence: Sentence) -> None:
    node = URIRef(sentence.iri)
    graph.add((node, RDF.type, ZGO.Sentence))
    graph.add((node, ZGO.sentenceId, Literal(sentence.id)))
    graph.add((node, ZGO.text, Literal(sentence.text)))
    graph.add((node, OA.start, Literal(sentence.start, datatype=XSD.integer)))
    graph.add((node, OA.end, Literal(sentence.end, datatype=XSD.integer)))
    graph.add((node, DCTERMS.isPartOf, document))
