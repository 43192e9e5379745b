"""Print evidence records (Turtle) for quotes from the report, with offsets taken from the text itself.

Offsets are never typed by hand: they come from ``Report.locate``. A quote that occurs more than once needs
the id of the sentence it should be taken from.

    python scripts/figures_evidence.py SLUG QUOTE [--sentence p05s04]
    python scripts/figures_evidence.py - < quotes.tsv      # one "slug<TAB>quote[<TAB>sentence id]" a line

Each record is named ``ev:<sentence id>-f-<slug>`` (``https://w3id.org/zgckg/id/ev/…``), the form
data/turtle/statistics.ttl uses; the file declares the prefixes ``ev:``, ``zgo:``, ``oa:`` and ``zg:``.
"""

from __future__ import annotations

import argparse
import sys

from zgckg.kg.source import Report, Sentence, report


class QuoteError(ValueError):
    """A quote that is not in the report, or occurs more than once with no sentence to choose by."""


def locate_once(text_report: Report, quote: str, sentence_id: str | None = None) -> tuple[int, int, Sentence]:
    """The one occurrence of ``quote`` (in sentence ``sentence_id`` when given)."""
    found = [hit for hit in text_report.locate(quote) if sentence_id in (None, hit[2].id)]
    if len(found) != 1:
        where = f" in {sentence_id}" if sentence_id else ""
        raise QuoteError(f"{quote!r} occurs {len(found)} times{where}; give a longer quote or a sentence id")
    start, end, sentence = found[0]
    if end > sentence.end:
        raise QuoteError(f"{quote!r} runs past the end of sentence {sentence.id}")
    return found[0]


def evidence_iri(sentence_id: str, slug: str) -> str:
    return f"ev:{sentence_id}-f-{slug}"


def evidence_turtle(text_report: Report, slug: str, quote: str, sentence_id: str | None = None) -> str:
    """One evidence record as Turtle."""
    start, end, sentence = locate_once(text_report, quote, sentence_id)
    exact = quote.replace("\\", "\\\\").replace('"', '\\"')
    return (
        f"{evidence_iri(sentence.id, slug)} a zgo:Evidence ;\n"
        f"    zgo:source zg:report\\/haidian-park ;\n"
        f"    zgo:sentence zg:report\\/haidian-park\\/{sentence.id} ;\n"
        f'    oa:exact "{exact}" ;\n'
        f"    oa:start {start} ; oa:end {end} .\n"
    )


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("slug", help="slug of the record, or - to read slug<TAB>quote[<TAB>sentence] lines from stdin")
    parser.add_argument("quote", nargs="?", help="the exact words of the normalised report")
    parser.add_argument("--sentence", help="sentence id (pNNsMM) to pick one occurrence of a repeated quote")
    args = parser.parse_args(argv)
    rows = (
        [line.rstrip("\n").split("\t") for line in sys.stdin if line.strip()]
        if args.slug == "-"
        else [[args.slug, args.quote or "", args.sentence]]
    )
    try:
        blocks = [evidence_turtle(report(), row[0], row[1], row[2] if len(row) > 2 else None) for row in rows]
    except QuoteError as error:
        print(f"error: {error}", file=sys.stderr)
        return 1
    print("\n".join(blocks), end="")
    return 0


if __name__ == "__main__":
    sys.exit(main())
