"""The report text: normalisation, sentences with stable ids, character offsets.

The raw file came out of a PDF. Normalisation repairs exactly two kinds of damage and nothing else:

* Markdown bold markers (``**一是**``) are removed.
* A paragraph cut by a page break ("…院所高校和" / blank line / "央企等…") is joined to its continuation.
  A page-break cut is a long paragraph that does not end with sentence-final punctuation; the short title
  lines at the top also lack final punctuation, which is why length decides.

Paragraphs are then joined with a single newline, with no leading blank lines and one final newline.
Every offset in the graph counts Unicode code points (Python ``str`` indices) in this normalised text,
start inclusive, end exclusive.
"""

from __future__ import annotations

import re
from dataclasses import dataclass
from pathlib import Path

from ..namespaces import REPORT

_FINAL = "。！？”"
_TITLE_MAX = 40
_SENTENCE = re.compile(r"[^。！？]*[。！？]+”?|[^。！？]+$")
_NUMERALS = "一二三四五六七八九十"
_PART = re.compile(rf"[{_NUMERALS}]+、")
"""A part's heading: 一、 二、 …"""
_ITEM = re.compile(rf"(?:[^。：]*：)?[{_NUMERALS}]+是")
"""A numbered item within a part: 一是 二是 …, perhaps after a lead-in (主要表现为：一是 …)"""


@dataclass(frozen=True)
class Sentence:
    id: str
    paragraph: int
    start: int
    end: int
    text: str

    @property
    def iri(self) -> str:
        return f"{REPORT}/{self.id}"


def normalise(raw: str) -> str:
    """The normalised text of a raw report (see the module docstring for the rules)."""
    paragraphs: list[str] = []
    continues = False
    for block in raw.replace("\r\n", "\n").split("\n"):
        text = block.replace("**", "").strip()
        if not text:
            continue
        if continues:
            paragraphs[-1] += text
        else:
            paragraphs.append(text)
        last = paragraphs[-1]
        continues = len(last) > _TITLE_MAX and last[-1] not in _FINAL
    return "\n".join(paragraphs) + "\n"


def split_sentences(text: str) -> list[Sentence]:
    """Sentences of a normalised text, with ids ``pNNsMM`` (paragraph, sentence within it, from 1)."""
    sentences: list[Sentence] = []
    offset = 0
    for p, paragraph in enumerate(text.split("\n"), start=1):
        if paragraph:
            for s, match in enumerate(_SENTENCE.finditer(paragraph), start=1):
                start, end = offset + match.start(), offset + match.end()
                sentences.append(Sentence(f"p{p:02d}s{s:02d}", p, start, end, match.group()))
        offset += len(paragraph) + 1
    return sentences


@dataclass(frozen=True)
class Section:
    """A stretch of the report: its title lines, its introduction, a numbered part (一、…) or an item of a
    part (一是…). Named after its first sentence, so its id needs no numbering scheme of ours."""

    id: str
    kind: str
    """``titles``, ``introduction``, ``part`` or ``item``."""
    sentences: tuple[str, ...]
    """The ids of the sentences directly in it (an item's sentences are in the item, not its part)."""
    parent: str | None = None

    @property
    def iri(self) -> str:
        return f"{REPORT}/section/{self.id}"


def split_sections(sentences: list[Sentence] | tuple[Sentence, ...]) -> list[Section]:
    """The sections of a report, in order; every sentence is in exactly one.

    The leading paragraphs without final punctuation are the title lines; a paragraph that opens with
    一、 (二、 …) is a part, whose sentences from one opening with 一是 (二是 …) up to the next are its items;
    any other paragraph before the first part is the introduction."""
    paragraphs: dict[int, list[Sentence]] = {}
    for sentence in sentences:
        paragraphs.setdefault(sentence.paragraph, []).append(sentence)
    sections: list[Section] = []
    titles: list[str] = []
    for number, members in paragraphs.items():
        first = members[0]
        if not sections and len(members) == 1 and first.text[-1] not in _FINAL:
            titles.append(first.id)
            continue
        if titles:
            sections.append(Section(titles[0], "titles", tuple(titles)))
            titles = []
        if not _PART.match(first.text):
            sections.append(Section(first.id, "introduction", tuple(s.id for s in members)))
            continue
        part, own, items = first.id, [], []
        for sentence in members:
            if _ITEM.match(sentence.text):
                items.append([sentence.id])
            elif items:
                items[-1].append(sentence.id)
            else:
                own.append(sentence.id)
        sections.append(Section(part, "part", tuple(own)))
        sections.extend(Section(ids[0], "item", tuple(ids), part) for ids in items)
    if titles:
        sections.append(Section(titles[0], "titles", tuple(titles)))
    return sections


@dataclass(frozen=True)
class Report:
    """A report's raw text, its normalised text and its sentences."""

    path: Path
    raw: str
    text: str
    sentences: tuple[Sentence, ...]

    @property
    def sections(self) -> list[Section]:
        return split_sections(self.sentences)

    @classmethod
    def read(cls, path: Path) -> "Report":
        """The report in ``path`` (the project's is ``Config.source_file``)."""
        raw = path.read_text(encoding="utf-8")
        text = normalise(raw)
        return cls(path, raw, text, tuple(split_sentences(text)))

    def sentence(self, sentence_id: str) -> Sentence:
        for sentence in self.sentences:
            if sentence.id == sentence_id:
                return sentence
        raise KeyError(sentence_id)

    def sentence_at(self, offset: int) -> Sentence:
        for sentence in self.sentences:
            if sentence.start <= offset < sentence.end:
                return sentence
        raise ValueError(f"offset {offset} is not inside any sentence")

    def locate(self, quote: str) -> list[tuple[int, int, Sentence]]:
        """Every place a quote occurs: (start, end, sentence containing its start)."""
        found = []
        start = self.text.find(quote)
        while quote and start >= 0:
            found.append((start, start + len(quote), self.sentence_at(start)))
            start = self.text.find(quote, start + 1)
        return found
