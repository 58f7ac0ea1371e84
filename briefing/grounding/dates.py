"""Dates: 年月日, 月日, ISO and English forms, ranges (12月18日至19日), and the date check (every
field the claim writes must match a source date)."""

from __future__ import annotations

import re
from dataclasses import dataclass
from datetime import date, timedelta
from typing import TYPE_CHECKING

from briefing.grounding.numbers import parse_number
from briefing.grounding.text import MASK, mask

if TYPE_CHECKING:
    from briefing.grounding.corpus import Corpus
    from briefing.grounding.facts import Facts

# -- dates -------------------------------------------------------------------------------------


@dataclass
class DateRef:
    text: str
    year: int | None
    month: int | None
    day: int | None
    start: int
    end: int

    def show(self) -> str:
        parts = [
            f"{self.year}年" if self.year else "",
            f"{self.month}月" if self.month else "",
            f"{self.day}日" if self.day else "",
        ]
        return "".join(parts)


_CN_SMALL = "一二三四五六七八九十"
_Y = r"(?P<y>(?<!\d)\d{4}(?!\d)|[〇零一二三四五六七八九]{4})"
_M = rf"(?P<m>(?<![\d.])\d{{1,2}}|[{_CN_SMALL}]{{1,2}})"
_D = rf"(?P<d>(?<![\d.])\d{{1,2}}|[{_CN_SMALL}]{{1,3}})"
_MONTHS = {m: i for i, m in enumerate("jan feb mar apr may jun jul aug sep oct nov dec".split(), 1)}
_DATE_PATTERNS = [
    re.compile(
        r"(?<![A-Za-z])(?P<mon>Jan|Feb|Mar|Apr|May|Jun|Jul|Aug|Sep|Oct|Nov|Dec)[a-z]*\.?\s+"
        r"(?P<d>\d{1,2})(?:st|nd|rd|th)?(?!\d)(?:,?\s+(?P<y>\d{4})(?!\d))?"
    ),
    re.compile(
        r"(?<![\d.])(?P<y>\d{4})\s*[-/.]\s*(?P<m>\d{1,2})\s*[-/.]\s*(?P<d>\d{1,2})(?![\d%])"
    ),
    re.compile(rf"{_Y}\s*年\s*(?:{_M}\s*月份?\s*(?:{_D}\s*[日号])?)?"),
    re.compile(r"(?<![\d.])(?P<m1>\d{1,2})\s*[-—–~至到]\s*(?P<m2>\d{1,2})\s*月(?!份?\s*\d)"),
    re.compile(rf"{_M}\s*月份?\s*{_D}\s*[日号](?![元圆])"),
    re.compile(rf"{_M}\s*月(?!期|度|均)"),
    re.compile(r"(?<![\d.])(?P<d>\d{1,2})\s*[日号](?![元圆均线])"),
    re.compile(
        rf"(?<![{_CN_SMALL}周期])(?P<d>[{_CN_SMALL}]{{2,3}}|[二三四五六七八九])\s*[日号](?![元圆])"
    ),
]
_CHAIN_GAP = re.compile(r"^\s*(?:至|到|-|—|–|~|～|和|与|及|、|或)\s*$")


def _int(text: str | None) -> int | None:
    if not text:
        return None
    v = parse_number(text)
    return int(v) if v is not None else None


def find_dates(text: str) -> tuple[list[DateRef], str]:
    found: list[DateRef] = []
    for pattern in _DATE_PATTERNS:
        for m in pattern.finditer(text):
            g = m.groupdict()
            if g.get("m1"):
                m1, m2 = int(g["m1"]), int(g["m2"])
                if 1 <= m1 <= 12 and 1 <= m2 <= 12:
                    found.append(
                        DateRef(m.group(0), None, m1, None, m.start(), m.start("m1") + len(g["m1"]))
                    )
                    found.append(DateRef(m.group(0), None, m2, None, m.start("m2"), m.end()))
            else:
                y, mo, d = _int(g.get("y")), _int(g.get("m")), _int(g.get("d"))
                if g.get("mon"):
                    mo = _MONTHS[g["mon"][:3].lower()]
                if (mo is not None and not 1 <= mo <= 12) or (d is not None and not 1 <= d <= 31):
                    continue
                if y is not None and not 1900 <= y <= 2100:
                    continue
                found.append(DateRef(m.group(0).strip(), y, mo, d, m.start(), m.end()))
        text = mask(text, [(d.start, d.end) for d in found if MASK not in text[d.start : d.end]])
    found.sort(key=lambda d: d.start)
    for a, b in zip(found, found[1:], strict=False):  # 12月18日至19日, 2026年3月和6月
        if _CHAIN_GAP.match(text[a.end : b.start]):
            if b.day is not None and b.month is None and b.year is None:
                b.month, b.year = a.month, a.year
            elif b.month is not None and b.year is None:
                b.year = a.year
    return found, text


def date_keys(d: DateRef) -> set[str]:
    return {f"^{k}{v}" for k, v in (("y", d.year), ("m", d.month), ("d", d.day)) if v is not None}


def date_ok(d: DateRef, pools: list[tuple[list[DateRef], set[int], set[int]]]) -> bool:
    """Every field the claim writes must match; a field the source leaves out (12月12日 without a year)
    matches only when that same source names the claim's value elsewhere (2025年…)."""
    for dates, years, months in pools:
        for s in dates:
            if all(
                want is None or got == want or (got is None and want in pool)
                for want, got, pool in (
                    (d.year, s.year, years),
                    (d.month, s.month, months),
                    (d.day, s.day, set()),
                )
            ):
                return True
    return False


def date_pool(
    corpus: Corpus, sent_ids: list[int] | None = None
) -> list[tuple[list[DateRef], set[int], set[int]]]:
    def fields(f: Facts) -> tuple[set[int], set[int]]:
        return {x.year for x in f.dates if x.year}, {x.month for x in f.dates if x.month}

    if sent_ids is None:
        return [(f.dates, *fields(f)) for f in corpus.facts]
    return [
        (corpus.sentence_facts(i).dates, *fields(corpus.facts[corpus.sents[i][0]]))
        for i in sent_ids
    ]


_WEEKDAY = "一二三四五六日天"
_ANCHOR = re.compile(
    rf"(?:周|星期)(?P<w1>[{_WEEKDAY}])\s*[(（]\s*(?P<m1>\d{{1,2}})\s*月\s*(?P<d1>\d{{1,2}})\s*日\s*[)）]"
    rf"|(?P<m2>\d{{1,2}})\s*月\s*(?P<d2>\d{{1,2}})\s*日\s*[(（]?\s*(?:周|星期)(?P<w2>[{_WEEKDAY}])"
)
WEEKDAY_WORD = re.compile(rf"(?<!上|下)(?:周|星期)([{_WEEKDAY}])(?![末期年度])")


def weekday_index(char: str) -> int:
    """一 → 0 … 六 → 5, 日/天 → 6."""
    return min(_WEEKDAY.index(char), 6)


def weekday_dates(text: str, year: int) -> dict[int, DateRef]:
    """The dates a text's bare weekdays stand for (0 = 周一), from one weekday it dates itself
    ("周四 (12 月 18 日)"): the other weekdays of that week. Empty without such an anchor."""
    m = _ANCHOR.search(text)
    if m is None:
        return {}
    w = weekday_index(m.group("w1") or m.group("w2"))
    month, day = int(m.group("m1") or m.group("m2")), int(m.group("d1") or m.group("d2"))
    try:
        anchor = date(year, month, day)
    except ValueError:
        return {}
    out = {}
    for k in range(7):
        d = anchor + timedelta(days=k - w)
        out[k] = DateRef(f"周{_WEEKDAY[k]}", None, d.month, d.day, 0, 0)
    return out
