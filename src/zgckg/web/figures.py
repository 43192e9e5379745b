"""/figures: the report's figures as charts and tables. /figures is the park's dashboard (its shares of
Beijing ranked, revenue by industry, the planned area over time, and every measure); /figures/<measure>
charts one measure's observations.

Each chart is drawn in the browser by Chart.js (``static/js/figures.js``) from a JSON data block the page
carries (``<script type="application/json">``: data, never run, so the content policy allows it), and is
also a table underneath, so the page reads without JavaScript. Values are charted in base units (the
written multiplier applied); a hedged figure (近, 约, 余, 以上) is marked in the chart, the tooltip and the
table; the period says where it comes from (stated, the report's date, a curator); every bar and point
links to its observation's page, every row to the observation and the sentence it is quoted from.
"""

from __future__ import annotations

import json
from dataclasses import replace
from decimal import Decimal
from typing import Any

from flask import Blueprint, Response
from markupsafe import Markup

from ..kg.linked.figures import Dashboard, Measure, Observation, dashboard, measure
from ..namespaces import shorten
from .pages import cached, language, pick, render
from .paths import href
from .runtime import runtime

bp = Blueprint("figures", __name__)

_SHOWN_SLUG = 80
"""At most this many characters of an unknown measure's name are repeated on the 404 page."""

_BEFORE = {"近", "接近", "约", "超", "逾"}
"""Hedges the report writes before the number (近万家, 约占); the others follow it (2000余家, 四成以上)."""


@bp.route("/figures")
def figures_page() -> Response:
    def make() -> Response:
        rt = runtime()
        board = dashboard(rt.engine)
        lang = language()
        charts = _dashboard_charts(board, lang, rt.config.iri_base)
        return render("figures.html", charts=charts, measures=_measure_rows(board.measures, lang),
                      data=_data_block(charts, lang))

    return cached(("figures",), make)


@bp.route("/figures/<path:slug>")
def measure_page(slug: str) -> Response:
    engine = runtime().engine
    if measure(engine, slug) is None:
        # not cached: the key would be whatever a client sent
        return render("not_found.html", status=404, slug="figures/" + slug[:_SHOWN_SLUG], hits=())
    return cached(("measure", slug), lambda: _measure_answer(slug))


def _measure_answer(slug: str) -> Response:
    rt = runtime()
    found = measure(rt.engine, slug)
    if found is None:
        return render("not_found.html", status=404, slug="figures/" + slug[:_SHOWN_SLUG], hits=())
    m, observations = found
    lang = language()
    base = rt.config.iri_base
    charts = _measure_charts(m, observations, lang, base)
    rows = {r["iri"]: r for r in _measure_rows(dashboard(rt.engine).measures, lang)}
    return render("measure.html", m=m, name=pick(m.labels, lang) or shorten(m.iri), charts=charts,
                  broader=[rows.get(i) or {"iri": i, "name": shorten(i)} for i in m.broader],
                  narrower=[rows.get(i) or {"iri": i, "name": shorten(i)} for i in m.narrower],
                  data=_data_block(charts, lang))


# --- what a chart and its table show ------------------------------------------------------------------


def _number(value: Decimal | None) -> float | int | None:
    if value is None:
        return None
    return int(value) if value == value.to_integral_value() else float(value)


def _base_unit(o: Observation, lang: str) -> str:
    """The unit of the base value (the multiplier applied): 元, %, 平方公里 …; empty for a plain count."""
    return replace(o, multiplier=0).unit_words(lang)


def _written_number(o: Observation, lang: str) -> str:
    """The number as the report writes it, with multiplier and unit, without the hedge (1 万, 60%（六成）)."""
    unit = o.unit_words(lang)
    number = f"{o.value}{'' if unit in ('%', '') else ' '}{unit}".strip()
    if o.written_as and o.written_as not in number:
        number += f"（{o.written_as}）" if lang == "zh" else f" ({o.written_as})"
    return number


def _written(o: Observation, lang: str) -> str:
    """The figure as the report writes it: hedge, number, multiplier and unit (近 1 万, 2000 余, 60% 以上)."""
    number = _written_number(o, lang)
    if not o.hedge:
        return number
    return f"{o.hedge} {number}" if o.hedge in _BEFORE else f"{number} {o.hedge}"


def _grouped(value: Decimal | None, lang: str) -> str:
    """The base value with thousands separators (the table's column; the chart formats its own)."""
    if value is None:
        return ""
    text = format(value.normalize(), "f") if value == value.to_integral_value() else format(value, "f")
    whole, dot, fraction = text.partition(".")
    sign = "-" if whole.startswith("-") else ""
    whole = whole.lstrip("-")
    grouped = ",".join(whole[max(i - 3, 0):i] for i in range(len(whole), 0, -3)[::-1])
    return sign + grouped + (dot + fraction if dot else "")


def _row(o: Observation, lang: str, base: str) -> dict[str, Any]:
    """One observation as both the table and the chart read it."""
    hedge_words = pick(o.qualifier_labels, lang) if o.qualifier else ""
    sentence = f"/source/sentence/{o.sentence_id}" if o.sentence_id else None
    return {
        "iri": o.iri, "href": href(o.iri, base), "name": pick(o.labels, lang) or shorten(o.iri),
        "value": _number(o.number), "baseText": _grouped(o.number, lang), "unit": _base_unit(o, lang),
        "written": _written(o, lang), "writtenNumber": _written_number(o, lang), "hedge": o.hedge,
        "hedgeBefore": o.hedge in _BEFORE, "hedgeWords": hedge_words,
        "direction": o.hedge_direction, "period": o.period or "",
        "basis": pick(o.period_basis_labels, lang), "stated": o.period_stated,
        "about": pick(o.about_labels, lang), "aboutIri": o.about,
        "industry": pick(o.industry_labels, lang), "shareOf": pick(o.share_of_labels, lang),
        "shareOfIri": o.share_of, "shareOfHref": href(o.share_of, base) if o.share_of else None,
        "quote": o.quote, "sentence": sentence, "sentenceId": o.sentence_id,
        "measure": pick(o.measure_labels, lang),
    }


def _chart(chart_id: str, kind: str, title: str, axis: str, rows: list[dict], *, series: str | None = None,
           note: str = "") -> dict[str, Any]:
    """A chart's description for figures.js: its rows (each a bar or point) split into series by ``series``."""
    groups: dict[str, list[int]] = {}
    for i, r in enumerate(rows):
        groups.setdefault(r[series] if series else "", []).append(i)
    return {"id": chart_id, "kind": kind, "title": title, "axis": axis, "rows": rows, "note": note,
            "series": [{"name": name, "rows": idx} for name, idx in groups.items()]}


def _axis(unit: str, lang: str) -> str:
    if unit:
        return unit
    return "个数" if lang == "zh" else "count"


def _dashboard_charts(board: Dashboard, lang: str, base: str) -> list[dict[str, Any]]:
    zh = lang == "zh"
    shares = [_row(o, lang, base) for o in board.shares]
    revenue = [_row(o, lang, base) for o in board.revenue]
    area = [_row(o, lang, base) for o in board.planned_area]
    for r in area:
        r["year"] = int(r["period"][:4]) if r["period"][:4].isdigit() else None
    return [
        _chart("chart-shares", "hbar", "海淀占北京市的比重（从高到低）" if zh else "Shares of Beijing, ranked",
               "%", shares, series="about",
               note="海淀园与海淀区各项指标占全市（北京市）的百分比。" if zh else
               "What Haidian Park and Haidian District each hold of Beijing's total, in per cent."),
        _chart("chart-revenue", "hbar", "海淀园各产业总收入" if zh else "The park's revenue by industry",
               _axis(revenue[0]["unit"], lang) if revenue else "", revenue, series="period",
               note="以元为单位（原文以亿元计）。" if zh else "In yuan (the report writes 亿元, 10⁸ yuan)."),
        _chart("chart-area", "line", "海淀园规划面积的变化" if zh else "The park's planned area over time",
               _axis(area[0]["unit"], lang) if area else "", area,
               note="空心点：时期并非报告写明（由整理者补充或为报告时点）。" if zh else
               "Hollow points: the period is not stated by the report (added by a curator, or the report's date)."),
    ]


def _measure_charts(m: Measure, observations: tuple[Observation, ...], lang: str, base: str) -> list[dict[str, Any]]:
    """One bar chart per unit: figures in different units never share an axis."""
    by_unit: dict[str, list[dict]] = {}
    for o in observations:
        row = _row(o, lang, base)
        by_unit.setdefault(o.unit or "", []).append(row)
    name = pick(m.labels, lang) or shorten(m.iri)
    charts = []
    for i, (unit, rows) in enumerate(by_unit.items()):
        axis = _axis(rows[0]["unit"], lang)
        title = name if len(by_unit) == 1 else f"{name} · {axis}"
        charts.append(_chart(f"chart-{i + 1}", "hbar", title, axis, rows, series="about"))
    return charts


def _measure_rows(measures: tuple[Measure, ...], lang: str) -> list[dict[str, Any]]:
    return [{"iri": m.iri, "slug": m.slug, "name": pick(m.labels, lang) or shorten(m.iri), "count": m.count,
             "definition": pick(m.definitions, lang)} for m in measures if m.slug]


def _data_block(charts: list[dict[str, Any]], lang: str) -> Markup:
    """The charts as JSON for a ``<script type="application/json">`` block: ``<``, ``>`` and ``&`` escaped,
    so no text in the data can end the block early, and the JSON stays the same JSON."""
    zh = lang == "zh"
    words = {
        "lang": lang,
        "basis": "时期依据" if zh else "period basis",
        "period": "时期" if zh else "period",
        "written": "原文" if zh else "as written",
        "base": "基本单位" if zh else "in base units",
        "open": "点击查看证据" if zh else "click to open the evidence",
        "hedge": "约数" if zh else "hedged",
        "year": "年份" if zh else "year",
    }
    text = json.dumps({"words": words, "charts": charts}, ensure_ascii=False)
    return Markup(text.replace("<", "\\u003c").replace(">", "\\u003e").replace("&", "\\u0026"))
