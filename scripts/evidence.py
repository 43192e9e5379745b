"""Print ready-made evidence records (Turtle) for quotes from the report.

Curators use it when they add a fact to ``data/turtle/``: offsets are never typed by hand, they come from
``Report.locate`` on the normalised text. A quote that occurs more than once needs ``--sentence`` to say
which occurrence is meant; a quote that runs past the end of its sentence is refused, because an evidence
record points at one sentence.

    python scripts/evidence.py haidian-park "中关村科技园区海淀园（以下简称海淀园）"
    python scripts/evidence.py fx-pilot "外汇管理改革试点" --sentence p06s09

The records use the prefixes ``zgo:``, ``oa:``, ``ev:`` (``…/id/ev/``), ``report:`` (``…/id/report/``)
and ``sentence:`` (``…/id/report/haidian-park/``) that the data files declare.
"""

from __future__ import annotations

import argparse
import sys
from dataclasses import dataclass

from zgckg.config import Config
from zgckg.kg.report import Report


class QuoteError(ValueError):
    """A quote that cannot become one evidence record: absent, ambiguous, or crossing a sentence end."""


CONTEXT = 12
"""Code points of prefix and suffix a quote selector carries: enough to tell repeated words apart."""


@dataclass(frozen=True)
class Located:
    quote: str
    start: int
    end: int
    sentence_id: str
    prefix: str
    suffix: str


def locate_one(text: Report, quote: str, sentence_id: str | None = None) -> Located:
    """The single occurrence of a quote (within ``sentence_id`` when given)."""
    hits = [(s, e, sent) for s, e, sent in text.locate(quote) if sentence_id in (None, sent.id)]
    if not hits:
        where = f" in {sentence_id}" if sentence_id else ""
        raise QuoteError(f"quote not found{where}: {quote!r}")
    if len(hits) > 1:
        ids = ", ".join(sent.id for _, _, sent in hits)
        raise QuoteError(f"quote occurs {len(hits)} times ({ids}); pass a sentence id: {quote!r}")
    start, end, sentence = hits[0]
    if end > sentence.end:
        raise QuoteError(f"quote runs past the end of sentence {sentence.id}: {quote!r}")
    return Located(quote, start, end, sentence.id, text.text[max(0, start - CONTEXT):start], text.text[end:end + CONTEXT])


def turtle_string(value: str) -> str:
    """A Turtle short string literal (the report's only control character is the paragraph break)."""
    return '"' + value.replace("\\", "\\\\").replace('"', '\\"').replace("\n", "\\n") + '"'


def evidence_iri(located: Located, slug: str) -> str:
    return f"ev:{located.sentence_id}-{slug}"


def evidence_turtle(located: Located, slug: str) -> str:
    """One evidence record as in docs/data-model.md: a Web Annotation specific resource of the report's
    normalised text with a quote selector and a position selector."""
    record = evidence_iri(located, slug)
    return (
        f"{record} a zgo:Evidence ;\n"
        f"    zgo:sentence sentence:{located.sentence_id} ;\n"
        f"    oa:hasSource report:haidian-park\\/text ;\n"
        f"    oa:hasSelector {record}\\/quote , {record}\\/position .\n"
        f"{record}\\/quote a oa:TextQuoteSelector ;\n"
        f"    oa:prefix {turtle_string(located.prefix)} ;\n"
        f"    oa:exact {turtle_string(located.quote)} ;\n"
        f"    oa:suffix {turtle_string(located.suffix)} .\n"
        f"{record}\\/position a oa:TextPositionSelector ;\n"
        f"    oa:start {located.start} ; oa:end {located.end} .\n"
    )


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("slug", help="what the quote is evidence for, e.g. haidian-park")
    parser.add_argument("quotes", nargs="+", help="verbatim quotes from the normalised report")
    parser.add_argument("--sentence", help="sentence id (pNNsMM) when a quote occurs more than once")
    args = parser.parse_args(argv)
    report = Report.read(Config.from_env().source_file)
    try:
        for quote in args.quotes:
            print(evidence_turtle(locate_one(report, quote, args.sentence), args.slug))
    except QuoteError as error:
        print(f"error: {error}", file=sys.stderr)
        return 1
    return 0


if __name__ == "__main__":
    sys.exit(main())
