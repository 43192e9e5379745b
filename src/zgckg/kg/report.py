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
class Report:
    """A report's raw text, its normalised text and its sentences."""

    path: Path
    raw: str
    text: str
    sentences: tuple[Sentence, ...]

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
