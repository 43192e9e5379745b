"""Every figure in a text: where it is, its number as written, its multiplier, unit word and hedge.

A *figure* is a number in the text together with what makes it a quantity: the multiplier (万, 亿, 万亿),
the unit word (家, 项, 亿元, %, 平方公里 …) and the report's hedge (近, 接近, 约 before it; 余, 多, 左右,
以上, 强 after it). The extractor is deliberately greedy: it finds Arabic numbers (decimals, fractions like
1/3, numbers with spaces around them) and Chinese numerals (两次, 十余项, 近万家, 四成, 一半, 第一 …) wherever
they occur, so nothing can slip through. Numbers that are *not* figures — years, ordinals, list markers,
parts of names — are listed, each with its reason, in the one table ``EXCLUSIONS``; the tests check that
every other figure is an observation in the graph, and that every exclusion still occurs in the report.

Values follow one convention, the one the observations use (``sdmx-measure:obsValue``):

* the number as written, with the written multiplier kept apart as a power of ten (``sdmx-attribute:unitMult``):
  1.84 万亿元 is 1.84 × 10^12, 近万家 is 1 × 10^4 (万 alone is one 万);
* a proportion written as a fraction or in words becomes a percentage: 1/3 → 33.33, 1/10 → 10, 四成 → 40,
  一半 → 50 (the written form is kept as ``zgo:writtenAs``);
* an ordinal (第一) is its rank, 1.
"""

from __future__ import annotations

import re
from dataclasses import dataclass
from decimal import ROUND_HALF_UP, Decimal

_CN_DIGITS = {"一": 1, "二": 2, "两": 2, "三": 3, "四": 4, "五": 5, "六": 6, "七": 7, "八": 8, "九": 9}
_CN_UNITS = {"十": 10, "百": 100, "千": 1000}
_MULTIPLIERS = {"万亿": 12, "亿": 8, "万": 4}

# Hedges the report uses; the longer word first, so 接近 is not read as 近.
HEDGES_BEFORE = ("接近", "近", "约")
HEDGES_AFTER = ("左右", "以上", "强")
HEDGES_INSIDE = ("余", "多")  # between the number and its unit word: 2000余家, 2500 多家

# Unit words, longest first (个百分点 before 个).
UNIT_WORDS = ("个百分点", "平方公里", "美元", "人民币", "元", "%", "家", "项", "个", "人", "笔", "次", "区", "年", "成", "半")
RATIO_WORDS = {"成": 10, "半": 50}  # 四成 = 40 %, 一半 = 50 %
FRACTION_UNIT = "/"
"""The unit word of a written fraction (1/3): the fraction bar, meaning "a part of the whole"."""

_SPACE = r"[ \u3000]?"  # the report puts spaces around some numbers: "7578 家", "1.84 万亿元"
_NUMBER = (
    r"(?P<arabic>\d+(?:\.\d+)?(?:/\d+)?)"  # 7578, 47.4, 1/3
    r"|(?P<ordinal>第[一二三四五六七八九十]+|首(?=[支家个次批]))"  # 第一, 首 (首支, 首家 — not 首都)
    r"|(?P<double>双)"  # 双第一, 双创
    r"|(?P<chinese>[一二两三四五六七八九十百千]+)"  # 两, 十, 四 (四成), 一 (一半)
    r"|(?P<bare>万亿|万|亿)"  # a multiplier standing alone: 近万家 is one 万
)
# What may follow a cardinal number: 余/多, a multiplier (not after a bare one), a unit word, a hedge.
_QUANTITY = (
    rf"{_SPACE}(?P<inside>{'|'.join(HEDGES_INSIDE)})?(?P<mult>(?(bare)(?!)|(?:万亿|万|亿)))?"
    rf"{_SPACE}(?P<unit>{'|'.join(map(re.escape, UNIT_WORDS))})?"
    rf"{_SPACE}(?P<after>{'|'.join(HEDGES_AFTER)})?"
)
# Ordinals and 双 stand alone; every other number may be followed by the rest of a quantity.
_FIGURE = re.compile(rf"(?:{_NUMBER})(?(ordinal)|(?(double)|{_QUANTITY}))")
_NUMBER_GROUPS = ("arabic", "ordinal", "double", "chinese", "bare")
_CLAUSE_BREAK = "，。；：、！？\n"


@dataclass(frozen=True)
class Figure:
    """One number in the text, with what makes it a quantity."""

    start: int
    """Offset of the first code point: the hedge before the number if there is one, else the number."""
    end: int
    """Offset after the last code point: the unit word or the hedge after it."""
    text: str
    """The figure as written, hedges included: ``近万家``, ``1.84 万亿元``, ``71%左右``."""
    number: str
    """The numeral as written: ``1.84``, ``万``, ``1/3``, ``四``, ``第一``."""
    value: Decimal
    """The observation's value (see the module docstring): 1.84, 1 for 近万, 33.33 for 1/3, 40 for 四成."""
    mult: int
    """Power of ten of the written multiplier: 万 4, 亿 8, 万亿 12; 0 when there is none."""
    unit: str
    """The unit word as written (``家``, ``%``, ``元``, ``美元``, ``成`` …), ``/`` for a fraction, the ordinal
    marker (``第``, ``首``) for an ordinal, ``""`` when none follows."""
    qualifier: str | None
    """The hedge word (近 接近 约 余 多 左右 以上 强), or None."""

    @property
    def number_start(self) -> int:
        """Offset of the numeral itself, after any hedge before it."""
        return self.start + self.text.index(self.number)

    @property
    def number_end(self) -> int:
        return self.number_start + len(self.number)

    @property
    def written_as(self) -> str | None:
        """The written form when it is not a plain Arabic number: ``1/3``, ``四成``, ``一半``, ``万``, ``两``."""
        if re.fullmatch(r"\d+(?:\.\d+)?", self.number):
            return None
        return self.number + self.unit if self.unit in RATIO_WORDS else self.number


@dataclass(frozen=True)
class Exclusion:
    """A number that is not a figure: a quote around it, the numbers excluded inside the quote, and why."""

    quote: str
    numbers: tuple[str, ...]
    reason: str


_YEAR = "a year: the reference period (zgo:refPeriod) of the figures it dates, not a quantity"
_LIST = "the number of an item in the report's own list, not a fact about the park"
_HEADING = "the number of a section heading of the report"
_NAME = "part of a name"

EXCLUSIONS: tuple[Exclusion, ...] = (
    Exclusion("2016 年", ("2016",), _YEAR),
    Exclusion("2016年", ("2016",), _YEAR),
    Exclusion("全国第一个", ("第一",), "ordinal 'the first' (in time) national high-tech zone: a fact about that zone, kept with the entity"),
    Exclusion("1.0 版", ("1.0",), _NAME + " of a development stage (zg:haidian-park-1-0), a version, not a quantity"),
    Exclusion("2.0 版", ("2.0",), _NAME + " of a development stage (zg:haidian-park-2-0), a version, not a quantity"),
    Exclusion("3.0 版", ("3.0",), _NAME + " of a development stage (zg:haidian-park-3-0), a version, not a quantity"),
    Exclusion("一面旗帜", ("一",), "'a banner': 一 is an indefinite article"),
    Exclusion("“四个中心”", ("四",), _NAME + ": the capital's strategic positioning, 'the four centres'"),
    Exclusion("以下四个方面", ("四",), "the report's own outline (its four parts), not a fact about the park"),
    Exclusion("一、聚焦", ("一",), _HEADING),
    Exclusion("二、聚焦", ("二",), _HEADING),
    Exclusion("三、聚焦", ("三",), _HEADING),
    Exclusion("一是", ("一",), _LIST),
    Exclusion("二是", ("二",), _LIST),
    Exclusion("三是", ("三",), _LIST),
    Exclusion("四是", ("四",), _LIST),
    Exclusion("五是", ("五",), _LIST),
    Exclusion("两年来", ("两",), "a period, not a figure: zgo:periodDuration P2Y on the figures it qualifies (7.5 亿元, 134 项)"),
    Exclusion("百度", ("百",), _NAME + " of a company (Baidu)"),
    Exclusion("一批", ("一",), "'a batch of': an indefinite quantity, the report gives no number"),
    Exclusion("全国首支", ("首",), "ordinal 'the first' fund of its kind nationwide: a fact about the fund"),
    Exclusion("“一体三园”", ("一", "三"), _NAME + " of the civil-military zone's layout ('one body, three parks')"),
    Exclusion("“6+1”", ("6", "1"), _NAME + " of the strategic emerging industries roadmap"),
    Exclusion("三年行动计划", ("三",), _NAME + " of the plans ('three-year action plans'); their number, 十余项, is the figure"),
    Exclusion("第三产业", ("第三",), _NAME + " of the tertiary sector (zg:industry/tertiary)"),
    Exclusion("三大产业", ("三",), "refers back to the three industries just named; each is a zgo:industry of the observation"),
    Exclusion("“双第一”", ("双",), "'double first': the two first places are two rank observations of value 1 (第一)"),
    Exclusion("下一代互联网", ("一",), _NAME + " of an industry ('next-generation internet')"),
    Exclusion("一项课题研究", ("一",), "'a study': 一项 is an indefinite article"),
    Exclusion("“五证合一、一照一码”", ("五", "一", "一", "一"), _NAME + " of a registration reform"),
    Exclusion("双创", ("双",), _NAME + ": the slogan 'mass entrepreneurship and innovation'"),
    Exclusion("“1+6”", ("1", "6"), _NAME + " of a policy package (中关村“1+6”)"),
    Exclusion("新四条", ("四",), _NAME + " of a policy ('the new four articles')"),
    Exclusion("“京校十条”", ("十",), _NAME + " of a policy ('Beijing universities ten articles')"),
    Exclusion("“京科九条”", ("九",), _NAME + " of a policy ('Beijing science nine articles')"),
    Exclusion("“1+4”", ("1", "4"), _NAME + " of a funding policy system (中关村“1+4”)"),
    Exclusion("全国首家", ("首",), "ordinal 'the first' specialised IP court nationwide: a fact about the court"),
    Exclusion("20条新政", ("20",), _NAME + " of a policy (zg:mps-20-measures), like 京校十条"),
    Exclusion("“千人计划”", ("千",), _NAME + " of a talent programme ('Thousand Talents Plan')"),
    Exclusion("“1+4+1”", ("1", "4", "1"), _NAME + " of Haidian's policy support system"),
)


def extract_figures(text: str) -> list[Figure]:
    """Every figure in ``text``, in order of position (see the module docstring for what counts)."""
    return [_figure(text, match) for match in _FIGURE.finditer(text)]


def excluded(figure: Figure, text: str, exclusions: tuple[Exclusion, ...] = EXCLUSIONS) -> Exclusion | None:
    """The exclusion that covers ``figure`` (its number inside an occurrence of the quote), if any."""
    for exclusion in exclusions:
        if figure.number not in exclusion.numbers:
            continue
        for occurrence in quote_spans(text, exclusion.quote):
            if occurrence[0] <= figure.number_start and figure.number_end <= occurrence[1]:
                return exclusion
    return None


def figures_to_encode(text: str) -> list[Figure]:
    """The figures that are not excluded: each must be an observation."""
    return [f for f in extract_figures(text) if excluded(f, text) is None]


def quote_spans(text: str, quote: str) -> list[tuple[int, int]]:
    """Start and end of every occurrence of ``quote`` in ``text``."""
    return [(m.start(), m.end()) for m in re.finditer(re.escape(quote), text)]


def chinese_integer(numeral: str) -> int:
    """The value of a Chinese numeral without 万/亿: 两 → 2, 十 → 10, 三十五 → 35, 千 → 1000."""
    total, digit = 0, None
    for char in numeral:
        if char in _CN_DIGITS:
            digit = _CN_DIGITS[char]
        elif char in _CN_UNITS:
            total += (1 if digit is None else digit) * _CN_UNITS[char]
            digit = None
        else:
            raise ValueError(f"not a Chinese numeral: {numeral!r}")
    return total + (digit or 0)


def _figure(text: str, match: re.Match[str]) -> Figure:
    groups = match.groupdict()
    number = next(groups[name] for name in _NUMBER_GROUPS if groups[name])
    unit = groups.get("unit") or ""
    mult = _MULTIPLIERS.get(groups.get("mult") or "", 0)
    if groups["ordinal"]:
        unit, value = number[0], Decimal(chinese_integer(number[1:]) if len(number) > 1 else 1)
    elif groups["double"]:
        value = Decimal(2)
    elif groups["bare"]:
        value, mult = Decimal(1), _MULTIPLIERS[number]
    elif groups["chinese"]:
        value = Decimal(chinese_integer(number)) * RATIO_WORDS.get(unit, 1)
    elif "/" in number:
        unit = unit or FRACTION_UNIT
        value = _percentage(number)
    else:
        value = Decimal(number)
    end = _end_of_last_group(match)
    before, start = _hedge_before(text, match.start())
    after = groups.get("inside") or groups.get("after")
    return Figure(start, end, text[start:end], number, value, mult, unit, before or after)


def _percentage(fraction: str) -> Decimal:
    """A written fraction as a percentage to two places, trailing zeros dropped: 1/3 → 33.33, 1/10 → 10."""
    numerator, denominator = (Decimal(part) for part in fraction.split("/"))
    percent = (numerator / denominator * 100).quantize(Decimal("0.01"), rounding=ROUND_HALF_UP)
    return percent.normalize() if percent != percent.to_integral() else percent.to_integral()


def _end_of_last_group(match: re.Match[str]) -> int:
    """End of the last group that matched, so optional spaces after the figure are not part of it."""
    return max(match.end(name) for name, value in match.groupdict().items() if value)


def _hedge_before(text: str, start: int) -> tuple[str | None, int]:
    """The hedge before a number and where the figure starts.

    近/接近/约 right before the number (one space allowed) starts the figure; 约占 earlier in the same clause
    (约占全市的 52%) hedges it without being part of it.
    """
    for word in HEDGES_BEFORE:
        for gap in ("", " "):
            if text[max(0, start - len(word) - len(gap)) : start] == word + gap:
                return word, start - len(word) - len(gap)
    clause_start = max(text.rfind(c, 0, start) for c in _CLAUSE_BREAK) + 1
    return ("约" if "约占" in text[clause_start:start] else None), start

