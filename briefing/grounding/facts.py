"""The checkable tokens of a text: quantities, dates and codes, found in a fixed order.

Both a claim and its sources go through `extract`, so "3 万亿USD" in a machine-translated source
and "3万亿美元" in the report become the same `Quantity(value=3e12, unit="USD")`. Order matters:
entity names with digits (标普500, 纳斯达克 100) are masked first, then codes (GPT-5.2, M2),
dates (2025年12月12日, 12月18日至19日, 2025-12-12), clock times, and what is left are quantities.
"""

from __future__ import annotations

import re
from dataclasses import dataclass, field
from functools import lru_cache

from briefing.grounding.dates import DateRef, find_dates
from briefing.grounding.numbers import Quantity, find_quantities
from briefing.grounding.text import compact, mask, normalize
from briefing.rules import Rules, keyword_pattern

# -- codes and entities ------------------------------------------------------------------------

_CODE = re.compile(
    r"(?<![A-Za-z0-9])[A-Za-z][A-Za-z]*(?:[-.]?\d+)+(?:\.\d+)*[A-Za-z]*(?![A-Za-z0-9])"
)
_TIME = re.compile(r"(?<!\d)\d{1,2}:\d{2}(?!\d)")


@lru_cache(maxsize=8)
def _alias_pattern(aliases: tuple[str, ...]) -> re.Pattern[str] | None:
    return keyword_pattern(list(aliases))


_DIGIT_ALIASES: dict[int, tuple[Rules, re.Pattern[str] | None]] = {}


def _digit_aliases(rules: Rules) -> re.Pattern[str] | None:
    """Entity names with digits in them (标普500, 纳斯达克 100): never quantities. One per rules table."""
    if (hit := _DIGIT_ALIASES.get(id(rules))) is None or hit[0] is not rules:
        aliases = {
            a
            for name, alist in rules.entities.items()
            for a in [name, *alist]
            if re.search(r"\d", a)
        }
        hit = _DIGIT_ALIASES[id(rules)] = (rules, _alias_pattern(tuple(sorted(aliases))))
    return hit[1]


# units that name what a number is about rather than measure it (10年期国债, 三季度)
LABELS = {"年期", "天期", "季度", "财季"}


@dataclass
class Facts:
    """The checkable tokens of one text; `words` is the text with its quantities blanked out
    (so the 美元 of 400亿美元 is a unit, not an entity mention)."""

    quantities: list[Quantity] = field(default_factory=list)
    dates: list[DateRef] = field(default_factory=list)
    codes: list[str] = field(default_factory=list)
    words: str = ""
    context: str = ""  # the text with every amount, date and time blanked out (codes, tenors stay)
    ordinals: list[Quantity] = field(default_factory=list)  # 第三次, 第八个月: ranks, not amounts

    @property
    def checkable(self) -> bool:
        return bool(self.quantities or self.dates or self.codes)


def extract(text: str, rules: Rules) -> Facts:
    """Quantities, dates and codes of `text`; entity names with digits are not quantities."""
    text = compact(normalize(text))
    work = text
    if (pat := _digit_aliases(rules)) is not None:
        work = mask(work, [m.span() for m in pat.finditer(work)])
    spans = [m.span() for m in _CODE.finditer(work)]
    codes = [text[a:b] for a, b in spans]
    work = mask(work, spans)
    dates, work = find_dates(work)
    times = [m.span() for m in _TIME.finditer(work)]
    work = mask(work, times)
    found = find_quantities(work)
    ordinals = [q for q in found if work[q.start - 1 : q.start] == "第"]
    quantities = [q for q in found if q not in ordinals or q.unit in LABELS]
    # what a clause is about keeps its labels: U-6 against U-3, 10年期 against 2年期, 第三季度
    amounts = [(q.start, q.end) for q in quantities if q.unit not in LABELS]
    context = mask(text, [(d.start, d.end) for d in dates] + times + amounts)
    return Facts(quantities, dates, codes, mask(text, amounts), context, ordinals)
