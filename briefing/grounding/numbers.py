"""Quantities: Chinese and Arabic numerals with magnitudes (万/亿/万亿, billion) and units, and the
number check (same value and unit somewhere the claim may draw on).

Units are compared after canonicalisation: 美元 = USD = $, 个百分点 is kept apart from %, and
percentage points are stored as basis points (0.25个百分点 = 25个基点, the same value). Counting
classifiers (名/位/票/家…) are one unit, "count", because a paraphrase swaps them freely.
A number written with 约/近/超/逾 (about) matches a source number it rounds (约4.1% for 4.06%).
"""

from __future__ import annotations

import re
from dataclasses import dataclass
from decimal import Decimal, InvalidOperation
from functools import lru_cache
from typing import TYPE_CHECKING

from briefing.grounding.text import quote

if TYPE_CHECKING:
    from briefing.grounding.corpus import Corpus

# -- Chinese numerals --------------------------------------------------------------------------

_CN_DIGIT = {
    "〇": 0,
    "零": 0,
    "一": 1,
    "二": 2,
    "两": 2,
    "三": 3,
    "四": 4,
    "五": 5,
    "六": 6,
    "七": 7,
    "八": 8,
    "九": 9,
}
_CN_UNIT = {"十": 10, "百": 100, "千": 1000}
CN_NUM = "〇零一二两三四五六七八九十百千"


def cn_to_decimal(text: str) -> Decimal | None:
    """一千二百 → 1200, 十二 → 12, 二〇二五 → 2025, 三点五 → 3.5; None when it is not a numeral."""
    whole, _, frac = text.partition("点")
    if not whole or any(c not in _CN_DIGIT and c not in _CN_UNIT for c in whole):
        return None
    if not any(c in _CN_UNIT for c in whole):
        value = int("".join(str(_CN_DIGIT[c]) for c in whole))
    else:
        value, digit = 0, None
        for c in whole:
            if c in _CN_DIGIT:
                digit = _CN_DIGIT[c]
            else:
                value += (1 if digit is None else digit) * _CN_UNIT[c]
                digit = None
        value += digit or 0
    if frac:
        if any(c not in _CN_DIGIT for c in frac):
            return None
        return Decimal(f"{value}.{''.join(str(_CN_DIGIT[c]) for c in frac)}")
    return Decimal(value)


def parse_number(text: str) -> Decimal | None:
    text = text.replace(",", "").replace(" ", "")
    try:
        return Decimal(text)
    except InvalidOperation:
        return cn_to_decimal(text)


# -- quantities --------------------------------------------------------------------------------

_MAGNITUDES = {
    "万亿": 10**12, "千亿": 10**11, "百亿": 10**10, "十亿": 10**9, "亿": 10**8, "千万": 10**7,
    "百万": 10**6, "万": 10**4, "trillion": 10**12, "tn": 10**12, "billion": 10**9, "bn": 10**9,
    "million": 10**6, "mn": 10**6, "thousand": 10**3,
}  # fmt: skip

_CURRENCY = {
    "USD": ["美元", "美金", "USD", "US dollars", "dollars", "dollar"],
    "HKD": ["港元", "港币", "HKD"],
    "JPY": ["日元", "日圆", "JPY", "yen"],
    "EUR": ["欧元", "EUR", "euros", "euro"],
    "GBP": ["英镑", "GBP"],
    "CNY": ["元人民币", "人民币", "元", "RMB", "CNY", "yuan"],
}
_COUNT = "人次 人 名 位 票 家 只 项 条 个 辆 台 套 架 艘 座 款 份 笔 户 批 枚 颗 张".split()
_UNITS: dict[str, str] = {
    "%": "%", "percent": "%", "per cent": "%",
    "个百分点": "pp", "百分点": "pp", "percentage points": "pp", "percentage point": "pp", "ppt": "pp",
    "个基点": "bp", "基点": "bp", "基本点": "bp", "bps": "bp", "bp": "bp", "basis points": "bp", "basis point": "bp",
    "个月": "个月", "个交易日": "交易日", "交易日": "交易日", "年期": "年期", "天期": "天期", "季度": "季度",
    "财季": "财季", "小时": "小时", "分钟": "分钟", "倍": "倍", "年": "年", "周": "周", "天": "天", "次": "次", "成": "成",
    "点": "点", "级": "级", "桶": "桶", "吨": "吨", "盎司": "盎司", "平方米": "平方米", "公里": "公里",
    "千瓦时": "千瓦时", "吉瓦": "GW", "GW": "GW", "纳米": "nm", "nm": "nm", "岁": "岁", "时": "时",
}  # fmt: skip
for _code, _words in _CURRENCY.items():
    _UNITS.update({w: _code for w in _words})
_UNITS.update({w: "count" for w in _COUNT})
_PER = ["吨", "桶", "盎司", "瓶", "股", "平方米", "公斤", "斤", "日", "天", "年", "月"]
# a lone 一 is idiomatic (一方面, 一致, 一次性); it counts only before these units
_ONE_UNITS = {
    "%",
    "pp",
    "bp",
    "个月",
    "年期",
    "天期",
    "季度",
    "USD",
    "HKD",
    "JPY",
    "EUR",
    "GBP",
    "CNY",
}


def _alt(words: list[str]) -> str:
    parts = []
    for w in sorted(words, key=len, reverse=True):
        esc = re.escape(w).replace(r"\ ", r"\s+")
        parts.append(esc + (r"(?![A-Za-z])" if w[-1].isascii() and w[-1].isalpha() else ""))
    return "|".join(parts)


_QTY = re.compile(
    rf"(?P<pre>US\$|HK\$|\$|€|£)?\s*"
    rf"(?P<pct>百分之)?"
    rf"(?P<num>(?<![\d.])\d{{1,3}}(?:,\d{{3}})+(?:\.\d+)?(?![\d,])|(?<![\d.])\d+(?:\.\d+)?|[{CN_NUM}]+(?:点[〇零一二三四五六七八九]+)?)"
    rf"(?:\s*(?P<mag>{_alt(list(_MAGNITUDES))}))?"
    rf"(?:\s*(?P<unit>{_alt(list(_UNITS))})(?:\s*/\s*(?P<per>{_alt(_PER)}))?)?",
    re.IGNORECASE,
)
_ABOUT_BEFORE = re.compile(r"(?:约|近|大约|接近|将近|逾|约为|超过)$")
_NOT_TENTHS = set("交本员功为立熟长型品果绩就分家效")
_PREFIX = {"US$": "USD", "$": "USD", "HK$": "HKD", "€": "EUR", "£": "GBP"}
_RANGE_GAP = re.compile(r"^\s*(?:-|—|–|~|～|至|到)\s*$")


@dataclass
class Quantity:
    text: str
    raw: Decimal  # the number as written
    value: Decimal  # times the magnitude; percentage points as basis points
    unit: str  # canonical: "%", "bp", "USD", "CNY", "count", "桶", … or "" when none is written
    start: int
    end: int
    magnitude: int = 1
    approx: bool = False  # written with 约/近/左右…: a source number it rounds is the same number

    def same_unit(self, other: Quantity) -> bool:
        if self.unit == other.unit:
            return True
        a, b = self.unit.split("/")[0], other.unit.split("/")[0]
        return a == b and ("/" in self.unit) != ("/" in other.unit)  # 美元/吨 ≈ 每吨…美元


_RATIO = re.compile(r"(?<![\d.])(\d{1,3})\s*票?\s*(?:比|对)\s*(\d{1,3})(?![\d.])\s*票?")


def find_quantities(text: str) -> list[Quantity]:
    """Every amount of a text (ranks and idioms aside), with its unit and magnitude; a vote or score
    ("5比4", "5票对4票") is one quantity, so its parts are never taken for counts."""
    out: list[Quantity] = []
    for m in _RATIO.finditer(text):
        value = Decimal(m.group(1)) * 1000 + Decimal(m.group(2))
        out.append(Quantity(m.group(0).strip(), value, value, "比", m.start(), m.end()))
    if out:
        text = "".join(
            "\u2588" if any(q.start <= i < q.end for q in out) else ch for i, ch in enumerate(text)
        )
    for m in _QTY.finditer(text):
        num, mag_word, unit_word, pre = (
            m.group("num"),
            m.group("mag"),
            m.group("unit"),
            m.group("pre"),
        )
        chinese = not num[0].isdigit()
        raw = parse_number(num)
        if raw is None:
            continue
        unit = _UNITS[_unit_key(unit_word)] if unit_word else ""
        if m.group("pct"):
            unit = "%"
        elif pre and not unit:
            unit = _PREFIX[pre.upper()]
        if unit and m.group("per"):
            unit = f"{unit}/{m.group('per')}"
        if chinese:
            if not (unit or mag_word) or (num in ("千", "百") and not mag_word):
                continue
            if num == "一" and not mag_word and unit.split("/")[0] not in _ONE_UNITS:
                continue
            if len(num) == 1 and not mag_word and unit in _CURRENCY:
                continue  # 独中两元, 一元复始: idioms, not money (amounts are written in digits or with 万/亿)
        scale = 1
        if unit == "成":  # 两成 = 20%; 成交, 成本 are words
            if not chinese or text[m.end() : m.end() + 1] in _NOT_TENTHS:
                continue
            unit, scale = "%", 10
        magnitude = _MAGNITUDES[mag_word.lower()] if mag_word else 1
        start = m.start("pre") if pre else m.start("pct") if m.group("pct") else m.start("num")
        approx = bool(_ABOUT_BEFORE.search(text[max(0, start - 3) : start])) or text[
            m.end() : m.end() + 2
        ] in ("左右", "上下")
        out.append(
            Quantity(
                m.group(0).strip(),
                raw,
                raw * magnitude * scale,
                unit,
                start,
                m.end(),
                magnitude,
                approx,
            )
        )
    out.sort(key=lambda q: q.start)
    for a, b in zip(
        out, out[1:], strict=False
    ):  # 5%-8%, 1至2万亿元: the first end borrows from the second
        if _RANGE_GAP.match(text[a.end : b.start]) and not a.unit:
            a.unit = b.unit
            if a.magnitude == 1 and b.magnitude != 1:
                a.magnitude, a.value = b.magnitude, a.raw * b.magnitude
    for q in out:
        if q.unit.startswith("pp"):
            q.unit, q.value = "bp" + q.unit[2:], q.value * 100
    return out


@lru_cache(maxsize=1)
def _unit_keys() -> dict[str, str]:
    return {re.sub(r"\s+", " ", k.lower()): k for k in _UNITS}


def _unit_key(word: str) -> str:
    return _unit_keys()[re.sub(r"\s+", " ", word.lower())]


def _rounds_to(q: Quantity, value: Decimal) -> bool:
    """Whether an approximate claim number is `value` rounded to the precision it is written in
    (约4302美元 for 4,302.35美元, 约两成 for 20.6%)."""
    if not q.approx or not q.raw:
        return False
    step = Decimal(10) ** q.raw.normalize().as_tuple().exponent * (q.value / q.raw)
    return abs(value - q.value) <= step / 2


def number_ok(q: Quantity, pool: list[Quantity], years: set[int]) -> bool:
    """Same value and unit; a number written without a unit only needs the same number."""
    for s in pool:
        if q.unit:
            if (s.value == q.value or _rounds_to(q, s.value)) and q.same_unit(s):
                return True
        elif s.value == q.value or (q.magnitude == 1 and s.raw == q.raw) or _rounds_to(q, s.value):
            return True
    return (
        not q.unit
        and q.magnitude == 1
        and q.raw == q.raw.to_integral_value()
        and int(q.raw) in years
    )


def number_hint(q: Quantity, corpus: Corpus) -> str:
    other_unit = [
        s.text
        for s in corpus.all_quantities
        if s.raw == q.raw and (not q.same_unit(s) or s.magnitude != q.magnitude)
    ]
    if other_unit:  # 0.5个百分点 for 0.5%, 12.11万亿元 for 12.11亿元
        return f"; the sources have {q.raw.normalize():f} only as {quote(other_unit[0])}"
    same_unit = [s for s in corpus.all_quantities if q.unit and q.same_unit(s) and s.value]
    if same_unit:
        near = min(
            same_unit, key=lambda s: abs(s.value - q.value) / max(abs(s.value), abs(q.value))
        )
        return f"; nearest in the sources: {quote(near.text)}"
    return ""
