"""The figure inventory: every number in the report is an observation, or an exclusion with its reason, and
no observation states a value its quote does not hold.

:mod:`zgckg.kg.figures` finds every number in the text and says which are not figures (``EXCLUSIONS``).
Here the data is held to it, as ``zgckg validate`` and every build do: a figure that no observation encodes
(with evidence covering it) is reported at its sentence; an observation whose quote holds no figure of its
value, at the observation, in its data file.
"""

from __future__ import annotations

from collections.abc import Callable, Iterator
from decimal import Decimal, InvalidOperation

import rdflib
from rdflib import RDF

from .. import namespaces
from ..errors import Violation
from ..namespaces import shorten
from .figure_values import OBS_VALUE, UNIT_MULT
from .figures import figures_to_encode
from .report import Report

ZGO = rdflib.Namespace(namespaces.ONTOLOGY)
OA = rdflib.Namespace(namespaces.OA)

FIGURES = rdflib.URIRef(namespaces.INSTANCES + "dataset/haidian-report-figures")
"""The dataset that encodes the report's figures: data without it (entities only) claims no figures."""
QB_DATASET = rdflib.URIRef(namespaces.PREFIXES["qb"] + "DataSet")

REPEATED = {"第一": 2}
"""Figures that stand for more than one observation: the report's 双第一 is two first places."""


def inventory_violations(data: rdflib.Graph, report: Report, *, report_file: str,
                         locate: Callable[[rdflib.URIRef], str | None]) -> Iterator[Violation]:
    """Figures of ``report`` without their observations in ``data``, and observations without their figure;
    ``locate`` names the file that states a node."""
    if (FIGURES, RDF.type, QB_DATASET) not in data:
        return
    observations = {obs: _encoding(data, obs) for obs in data.subjects(RDF.type, ZGO.Observation)}
    figures = figures_to_encode(report.text)
    for figure in figures:
        found = [obs for obs, (value, mult, spans) in observations.items()
                 if value == figure.value and mult == figure.mult and any(s <= figure.start and figure.end <= e
                                                                         for s, e in spans)]
        expected = REPEATED.get(figure.number, 1)
        if len(found) != expected:
            sentence = report.sentence_at(figure.start)
            which = f"observations {', '.join(sorted(shorten(str(o)) for o in found))}" if found else "no observation"
            yield Violation(report_file, shorten(sentence.iri),
                            f"the figure “{figure.text}” at {figure.start} is the value of {which} whose evidence "
                            f"covers it, where {expected} should be: add an observation (scripts/evidence.py quotes "
                            "it), or list the number with its reason in EXCLUSIONS (zgckg.kg.figures)")
    for obs, (value, mult, spans) in sorted(observations.items()):
        if value is None:
            continue  # the shapes say what is missing
        if not any(f.value == value and s <= f.start and f.end <= e for f in figures for s, e in spans):
            yield Violation(locate(obs), shorten(str(obs)),
                            f"no figure of value {value} in the quote of its evidence: quote the words that state "
                            "it, or correct the value", shorten(str(OBS_VALUE)))


def _encoding(data: rdflib.Graph, obs) -> tuple[Decimal | None, int, list[tuple[int, int]]]:
    """An observation's value, multiplier and the spans of its evidence (from their position selectors)."""
    try:
        value = Decimal(str(data.value(obs, OBS_VALUE)))
    except InvalidOperation:
        value = None
    mult = data.value(obs, UNIT_MULT)
    spans = []
    for evidence in data.objects(obs, ZGO.evidence):
        for selector in data.objects(evidence, OA.hasSelector):
            start, end = data.value(selector, OA.start), data.value(selector, OA.end)
            if start is not None and end is not None:
                spans.append((int(start), int(end)))
    return value, int(mult) if mult is not None else 0, spans

