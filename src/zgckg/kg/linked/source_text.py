"""The report as the store holds it: its sentences in paragraphs, and for one sentence the facts drawn
from it (reverse provenance: evidence records pointing at the sentence, and what each supports).

Sentences come from the store's ``zgo:Sentence`` nodes, not from the file, so the pages show the text the
evidence offsets were checked against when the store was built. The raw file itself (for its download and
checksum) is read from disk: it is the original, byte for byte, which the store does not keep.
"""

from __future__ import annotations

import hashlib
import re
from dataclasses import dataclass, field
from pathlib import Path
from typing import TYPE_CHECKING

from ...namespaces import REPORT, REPORT_TEXT
from .ontology_doc import prefixed
from .select import PerVersion, Row, Term, iri_ref, select

if TYPE_CHECKING:
    from ..engine import Engine

SENTENCE_ID = re.compile(r"p(\d{2,4})s\d{2,4}")
"""A sentence id as ``zgckg.kg.report`` makes them: paragraph and sentence numbers, zero-padded."""


@dataclass(frozen=True)
class SentenceDoc:
    id: str
    text: str
    start: int
    end: int
    facts: int
    """How many entities, statements and observations cite evidence in this sentence."""

    @property
    def iri(self) -> str:
        return f"{REPORT}/{self.id}"

    @property
    def paragraph(self) -> int:
        return int(SENTENCE_ID.fullmatch(self.id).group(1))


@dataclass(frozen=True)
class Paragraph:
    number: int
    sentences: tuple[SentenceDoc, ...]

    @property
    def id(self) -> str:
        return f"p{self.number:02d}"


@dataclass(frozen=True)
class SectionDoc:
    iri: str
    kind: str
    labels: dict[str, str]
    first: str
    """The id of its first sentence: where a reader finds it in the text."""


@dataclass(frozen=True)
class SourceText:
    iri: str
    paragraphs: tuple[Paragraph, ...]
    sections: tuple[SectionDoc, ...] = ()

    @property
    def sentences(self) -> list[SentenceDoc]:
        return [s for p in self.paragraphs for s in p.sentences]

    @property
    def facts(self) -> int:
        return sum(s.facts for s in self.sentences)


@dataclass(frozen=True)
class Node:
    """A term a fact mentions: an IRI with its labels, or a literal (its text)."""

    iri: str | None
    text: str
    """The literal's value, or the IRI's prefixed name (what to show when it has no label)."""
    label: dict[str, str] = field(default_factory=dict)


@dataclass
class Fact:
    """Something that cites an evidence record: an entity the quote names, a reified statement, a figure."""

    iri: str
    kind: str
    """``entity``, ``statement`` or ``observation``."""
    label: dict[str, str] = field(default_factory=dict)
    subject: Node | None = None
    predicate: Node | None = None
    object: Node | None = None
    value: str | None = None
    unit: Node | None = None
    mult: str | None = None
    qualifier: Node | None = None


@dataclass
class EvidenceDoc:
    iri: str
    exact: str
    start: int | None
    end: int | None
    parts: tuple[str, str, str] | None
    """The sentence cut around the quote (before, quote, after); None when the quote is not in it."""
    facts: list[Fact] = field(default_factory=list)


@dataclass(frozen=True)
class SentencePage:
    sentence: SentenceDoc
    previous: SentenceDoc | None
    next: SentenceDoc | None
    evidence: tuple[EvidenceDoc, ...]

    @property
    def facts(self) -> int:
        return sum(len(e.facts) for e in self.evidence)


@dataclass(frozen=True)
class RawFile:
    name: str
    data: bytes

    @property
    def size(self) -> int:
        return len(self.data)

    @property
    def sha256(self) -> str:
        return hashlib.sha256(self.data).hexdigest()


_MEMO: PerVersion = PerVersion()

# One row per sentence; the fact count per sentence is what its page lists (one use of one evidence record
# each), counted by distinct user so an entity quoted twice in a sentence counts once.
_SENTENCES = f"""
SELECT ?id ?text ?start ?end (COUNT(DISTINCT ?x) AS ?facts) WHERE {{
  ?s a zgo:Sentence ; dcterms:isPartOf <{REPORT}> ;
     zgo:sentenceId ?id ; zgo:text ?text ; oa:start ?start ; oa:end ?end .
  OPTIONAL {{ ?ev zgo:sentence ?s . ?x zgo:evidence|zgo:mentionedAt ?ev }}
}} GROUP BY ?id ?text ?start ?end ORDER BY ?start"""

_SECTIONS = """
SELECT ?section ?kind ?label ?first WHERE {
  ?section a zgo:Section ; zgo:sectionKind ?kind ; zgo:position ?position ; rdfs:label ?label .
  { SELECT ?section (MIN(?id) AS ?first) WHERE {
    ?s a zgo:Sentence ; zgo:sentenceId ?id ; dcterms:isPartOf ?section . ?section a zgo:Section }
    GROUP BY ?section }
} ORDER BY ?position"""

_EVIDENCE = """
SELECT ?ev ?exact ?start ?end WHERE {{
  ?ev zgo:sentence {sentence} .
  OPTIONAL {{ ?ev oa:hasSelector/oa:exact ?exact }}
  OPTIONAL {{ ?ev oa:hasSelector/oa:start ?start }} OPTIONAL {{ ?ev oa:hasSelector/oa:end ?end }}
}} ORDER BY ?start ?ev"""

# What uses each evidence record, with what a line about it needs (labels of the terms it links).
_USES = """
SELECT ?ev ?x ?kind ?role ?term ?label WHERE {{
  ?ev zgo:sentence {sentence} . ?x zgo:evidence|zgo:mentionedAt ?ev .
  BIND(IF(EXISTS {{ ?x a rdf:Statement }}, "statement",
       IF(EXISTS {{ ?x a zgo:Observation }}, "observation", "entity")) AS ?kind)
  OPTIONAL {{
    {{ ?x rdfs:label ?label BIND("label" AS ?role) }}
    UNION {{ ?x rdf:subject ?term BIND("subject" AS ?role) OPTIONAL {{ ?term rdfs:label ?label }} }}
    UNION {{ ?x rdf:predicate ?term BIND("predicate" AS ?role) OPTIONAL {{ ?term rdfs:label ?label }} }}
    UNION {{ ?x rdf:object ?term BIND("object" AS ?role) OPTIONAL {{ ?term rdfs:label ?label }} }}
    UNION {{ ?x sdmx-measure:obsValue ?term BIND("value" AS ?role) }}
    UNION {{ ?x sdmx-attribute:unitMult ?term BIND("mult" AS ?role) }}
    UNION {{ ?x sdmx-attribute:unitMeasure ?term BIND("unit" AS ?role) OPTIONAL {{ ?term rdfs:label ?label }} }}
    UNION {{ ?x zgo:qualifier ?term BIND("qualifier" AS ?role) OPTIONAL {{ ?term rdfs:label ?label }} }}
  }}
}}"""

_NODE_ROLES = ("subject", "predicate", "object", "unit", "qualifier")


def source_text(engine: Engine) -> SourceText:
    """The report's sentences, by paragraph (made once per store version)."""
    return _MEMO.get(engine, "source", lambda: _read_source(engine))


def _read_source(engine: Engine) -> SourceText:
    paragraphs: dict[int, list[SentenceDoc]] = {}
    for row in select(engine, _SENTENCES):
        sentence = SentenceDoc(row["id"].value, row["text"].value, int(row["start"].value), int(row["end"].value),
                               int(row["facts"].value))
        if SENTENCE_ID.fullmatch(sentence.id):
            paragraphs.setdefault(sentence.paragraph, []).append(sentence)
    sections: dict[str, SectionDoc] = {}
    for row in select(engine, _SECTIONS):
        found = sections.setdefault(row["section"].value, SectionDoc(row["section"].value, row["kind"].value, {},
                                                                      row["first"].value))
        found.labels[row["label"].lang or ""] = row["label"].value
    return SourceText(REPORT, tuple(Paragraph(n, tuple(s)) for n, s in sorted(paragraphs.items())),
                      tuple(sections.values()))


_TEXT = f"""
SELECT ?extent ?sha256 ?label WHERE {{
  <{REPORT_TEXT}> dcterms:extent ?extent ;
    <http://spdx.org/rdf/terms#checksum>/<http://spdx.org/rdf/terms#checksumValue> ?sha256 .
  OPTIONAL {{ <{REPORT_TEXT}> rdfs:label ?label }}
}}"""


class TextMismatch(RuntimeError):
    """The sentences do not rebuild the text whose checksum the store holds: a store built by another version."""


@dataclass(frozen=True)
class NormalisedText:
    """The normalised report text, the source every evidence record's selectors count in."""

    text: str
    sha256: str
    labels: dict[str, str]
    iri: str = REPORT_TEXT


def normalised_text(engine: Engine) -> NormalisedText | None:
    """The normalised report text; None when the store holds no report.

    It is rebuilt from the sentences, which cover the text but for the paragraph breaks between them (one
    line break each), and checked against the SHA-256 the build stored, so what a client gets is exactly the
    text the offsets were counted in, or nothing."""
    return _MEMO.get(engine, "text", lambda: _read_text(engine))


def _read_text(engine: Engine) -> NormalisedText | None:
    rows = select(engine, _TEXT)
    if not rows:
        return None
    chars = ["\n"] * int(rows[0]["extent"].value)
    for sentence in source_text(engine).sentences:
        chars[sentence.start:sentence.end] = sentence.text
    text, sha256 = "".join(chars), rows[0]["sha256"].value.lower()
    if hashlib.sha256(text.encode("utf-8")).hexdigest() != sha256:
        raise TextMismatch("the report's sentences do not rebuild the text the store's checksum names")
    labels = {row["label"].lang or "": row["label"].value for row in rows if "label" in row}
    return NormalisedText(text, sha256, labels)


def sentence_page(engine: Engine, sentence_id: str) -> SentencePage | None:
    """One sentence with its neighbours and the facts drawn from it; None when the store has no sentence
    of that id (or the id is not one)."""
    # Only ids the store knows are kept, so no stream of made-up ids can fill the memo.
    if not SENTENCE_ID.fullmatch(sentence_id) or all(s.id != sentence_id for s in source_text(engine).sentences):
        return None
    return _MEMO.get(engine, ("sentence", sentence_id), lambda: _read_sentence(engine, sentence_id))


def _read_sentence(engine: Engine, sentence_id: str) -> SentencePage | None:
    sentences = source_text(engine).sentences
    at = next((i for i, s in enumerate(sentences) if s.id == sentence_id), None)
    if at is None:
        return None
    sentence = sentences[at]
    node = iri_ref(sentence.iri)
    evidence: dict[str, EvidenceDoc] = {}
    for row in select(engine, _EVIDENCE.format(sentence=node)):
        exact = row["exact"].value if "exact" in row else ""
        start, end = _int(row.get("start")), _int(row.get("end"))
        evidence[row["ev"].value] = EvidenceDoc(row["ev"].value, exact, start, end, highlight(sentence, exact, start, end))
    facts: dict[tuple[str, str], Fact] = {}
    for row in select(engine, _USES.format(sentence=node)):
        record = evidence.get(row["ev"].value)
        if record is None:
            continue
        key = (record.iri, row["x"].value)
        if key not in facts:
            facts[key] = Fact(row["x"].value, row["kind"].value)
            record.facts.append(facts[key])
        _add(facts[key], row)
    for record in evidence.values():
        record.facts.sort(key=lambda f: (f.kind, f.iri))
    previous = sentences[at - 1] if at > 0 else None
    following = sentences[at + 1] if at + 1 < len(sentences) else None
    return SentencePage(sentence, previous, following, tuple(evidence.values()))


def _add(fact: Fact, row: Row) -> None:
    """Fold one row of ``_USES`` into the fact it is about."""
    role = row["role"].value if "role" in row else None
    label = row.get("label")
    if role == "label" and label is not None:
        fact.label.setdefault(label.lang or "", label.value)
    elif role in ("value", "mult") and "term" in row:
        setattr(fact, role, row["term"].value)
    elif role in _NODE_ROLES and "term" in row:
        node = getattr(fact, role) or _node(row["term"])
        if label is not None and label.kind == "literal":
            node.label.setdefault(label.lang or "", label.value)
        setattr(fact, role, node)


def _node(term: Term) -> Node:
    return Node(term.value, prefixed(term.value)) if term.is_iri else Node(None, term.value)


def highlight(sentence: SentenceDoc, exact: str, start: int | None, end: int | None) -> tuple[str, str, str] | None:
    """The sentence cut into (before, quote, after): at the evidence's offsets when the text there is the
    quote, else at the quote's first occurrence; None when the sentence does not contain it."""
    text = sentence.text
    if start is not None and end is not None:
        a, b = start - sentence.start, end - sentence.start
        if 0 <= a <= b <= len(text) and text[a:b] == exact:
            return text[:a], text[a:b], text[b:]
    found = text.find(exact) if exact else -1
    if found < 0:
        return None
    return text[:found], exact, text[found + len(exact):]


def raw_file(path: Path) -> RawFile | None:
    """The report file as it is on disk; None when it is missing."""
    try:
        return RawFile(path.name, path.read_bytes())
    except (FileNotFoundError, IsADirectoryError):
        return None


def _int(term: Term | None) -> int | None:
    try:
        return int(term.value) if term is not None else None
    except ValueError:
        return None
