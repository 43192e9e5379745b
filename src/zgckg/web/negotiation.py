"""Content negotiation: an ``Accept`` header (q-values, wildcards) or a ``format`` parameter → a format.

Rules, in order:

- A ``format`` parameter wins over ``Accept``. Its values are short names (``json``, ``turtle``…) or media
  types; the first one that names a format of the result's family is used. SPARQLWrapper repeats it
  (``format=tsv&format=text/tab-separated-values``), hence "the first that fits".
- No ``Accept`` header (or an empty one) means the family's default: SPARQL JSON, or Turtle.
- Otherwise each offered format gets the q-value of the most specific range that matches it (wildcards
  match a format's own media type only, not the other names it answers to); the highest q wins, then an explicit type over a wildcard, then the client's order, then ours. q=0 refuses a format.
- Nothing acceptable → None; the caller answers 406 with the list of what is offered.

Responses that depend on this say so with ``Vary: Accept``.
"""

from __future__ import annotations

import functools
from collections.abc import Sequence
from dataclasses import dataclass

from .errors import HttpError
from .formats import GRAPHS, SOLUTIONS, Format, by_name


@dataclass(frozen=True)
class MediaRange:
    type: str
    subtype: str
    q: float
    order: int

    def specificity(self, media_type: str) -> int:
        """3 for an exact match, 2 for ``type/*``, 1 for ``*/*``, 0 for no match."""
        kind, _, sub = media_type.partition("/")
        if self.type == "*":
            return 1
        if self.type != kind:
            return 0
        if self.subtype == "*":
            return 2
        return 3 if self.subtype == sub else 0


def parse_accept(header: str) -> list[MediaRange]:
    ranges = []
    for order, part in enumerate(header.split(",")):
        media, *params = (p.strip() for p in part.split(";"))
        kind, slash, sub = media.lower().partition("/")
        if not slash or not kind or not sub:
            continue  # not a media range: ignored, as browsers do
        q = 1.0
        for param in params:
            name, _, value = param.partition("=")
            if name.strip().lower() == "q":
                try:
                    q = min(1.0, max(0.0, float(value)))
                except ValueError:
                    q = 0.0
        ranges.append(MediaRange(kind, sub, q, order))
    return ranges


def best(header: str | None, offers: Sequence[Format]) -> Format | None:
    """The offer the header prefers; the first offer when there is no header."""
    if header is None or not header.strip():
        return offers[0]
    ranges = parse_accept(header)
    if not ranges:
        return offers[0]
    scored = []
    for rank, offer in enumerate(offers):
        match = _best_range(ranges, offer)
        if match is not None and match[0] > 0:
            q, specificity, order = match
            scored.append((-q, -specificity, order, rank, offer))
    return min(scored, key=lambda s: s[:4])[4] if scored else None


def _best_range(ranges: Sequence[MediaRange], offer: Format) -> tuple[float, int, int] | None:
    """(q, specificity, client order) of the most specific range matching any of the offer's types."""
    found = None
    for i, media_type in enumerate(offer.media_types):
        for r in ranges:
            specificity = r.specificity(media_type)
            if specificity < 3 and i > 0:
                continue  # other names for a format are recognised when named, not through wildcards
            if specificity and (found is None or (specificity, -r.order) > (found[1], -found[2])):
                found = (r.q, specificity, r.order)
    return found


@dataclass(frozen=True)
class Choice:
    """The format for each result family (None: nothing acceptable in that family)."""

    solutions: Format | None
    graph: Format | None

    @property
    def acceptable(self) -> bool:
        return self.solutions is not None or self.graph is not None


@functools.lru_cache(maxsize=512)  # clients repeat the same few headers; parsing them is not free
def choose(accept: str | None, format_values: tuple[str, ...] = ()) -> Choice:
    if format_values:
        return Choice(_from_parameter(format_values, SOLUTIONS), _from_parameter(format_values, GRAPHS))
    return Choice(best(accept, SOLUTIONS), best(accept, GRAPHS))


def _from_parameter(values: Sequence[str], family: tuple[Format, ...]) -> Format | None:
    for value in values:
        found = best(value, family) if "/" in value else by_name(family, value)
        if found is not None:
            return found
    return None


def requested(format_values: Sequence[str], accept: str | None, offers: Sequence[Format]) -> Format | None:
    """A ``format`` parameter's choice among ``offers`` (a name or a media type; the first that fits), else
    the Accept header's; None when neither fits (the caller answers 406)."""
    for value in format_values:
        found = best(value, offers) if "/" in value else by_name(tuple(offers), value)
        if found is not None:
            return found
    return None if format_values else best(accept, offers)


def asked(format_values: Sequence[str], accept: str | None, offers: Sequence[Format], refusal: str) -> Format:
    """:func:`requested`, or a 406 that says ``refusal`` (what this resource is offered as)."""
    found = requested(format_values, accept, offers)
    if found is None:
        raise HttpError(406, refusal)
    return found
