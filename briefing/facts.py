"""The checkable tokens of a text: quantities with units and magnitudes, dates, codes, directions.

Both a claim and its sources go through `extract`, so "3 万亿USD" in a machine-translated source
and "3万亿美元" in the report become the same `Quantity(value=3e12, unit="USD")`. Order matters:
entity names with digits (标普500, 纳斯达克 100) are masked first, then codes (GPT-5.2, M2),
dates (2025年12月12日, 12月18日至19日, 2025-12-12), clock times, and what is left are quantities.

Units are compared after canonicalisation: 美元 = USD = $, 个百分点 is kept apart from %, and
percentage points are stored as basis points (0.25个百分点 = 25个基点, the same value). Counting
classifiers (名/位/票/家…) are one unit, "count", because a paraphrase swaps them freely.
"""

from __future__ import annotations

import re
import unicodedata
from collections import Counter, defaultdict
from collections.abc import Sequence
from dataclasses import dataclass, field
from decimal import Decimal, InvalidOperation
from functools import lru_cache
from typing import Protocol

from briefing.rules import Rules, keyword_pattern

MASK = "\u2588"

# -- normalisation -----------------------------------------------------------------------------

_FULLWIDTH = {c: unicodedata.normalize("NFKC", chr(c)) for c in range(0xFF01, 0xFF5F)}
for _keep in "，；：！？（）【】「」《》":
    _FULLWIDTH.pop(ord(_keep), None)
_FULLWIDTH[0x3000] = " "
_FULLWIDTH[0x00A0] = " "


def normalize(text: str) -> str:
    """Full-width digits, letters and ％＄ as ASCII; Chinese punctuation is kept (same length)."""
    return text.translate(_FULLWIDTH)


_CJK_SPACE = re.compile(
    r"(?<=[\u3000-\u9fff\uff00-\uffef])[ \t]+|[ \t]+(?=[\u3000-\u9fff\uff00-\uffef])"
)


def compact(text: str) -> str:
    """Machine-translated spacing undone: "纳斯达克 100 指数下跌 1.9%" → "纳斯达克100指数下跌1.9%"."""
    return _CJK_SPACE.sub("", text)


_NOT_WORD = re.compile(r"[\W_]+", re.UNICODE)


def squash(text: str) -> str:
    """Lowercase, no whitespace, no punctuation: what lexical matching compares."""
    return _NOT_WORD.sub("", normalize(text).lower())


def bigrams(text: str) -> set[str]:
    s = squash(text)
    return {s[i : i + 2] for i in range(len(s) - 1)} if len(s) > 1 else ({s} if s else set())


def _mask(text: str, spans: list[tuple[int, int]]) -> str:
    chars = list(text)
    for a, b in spans:
        chars[a:b] = MASK * (b - a)
    return "".join(chars)


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


def _num(text: str) -> Decimal | None:
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
    "财季": "财季", "小时": "小时", "分钟": "分钟", "倍": "倍", "年": "年", "周": "周", "天": "天", "次": "次",
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

    def same_unit(self, other: Quantity) -> bool:
        if self.unit == other.unit:
            return True
        a, b = self.unit.split("/")[0], other.unit.split("/")[0]
        return a == b and ("/" in self.unit) != ("/" in other.unit)  # 美元/吨 ≈ 每吨…美元


def _quantities(text: str) -> list[Quantity]:
    out: list[Quantity] = []
    for m in _QTY.finditer(text):
        num, mag_word, unit_word, pre = (
            m.group("num"),
            m.group("mag"),
            m.group("unit"),
            m.group("pre"),
        )
        chinese = not num[0].isdigit()
        raw = _num(num)
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
        magnitude = _MAGNITUDES[mag_word.lower()] if mag_word else 1
        start = m.start("pre") if pre else m.start("pct") if m.group("pct") else m.start("num")
        out.append(
            Quantity(m.group(0).strip(), raw, raw * magnitude, unit, start, m.end(), magnitude)
        )
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
    v = _num(text)
    return int(v) if v is not None else None


def _dates(text: str) -> tuple[list[DateRef], str]:
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
        text = _mask(text, [(d.start, d.end) for d in found if MASK not in text[d.start : d.end]])
    found.sort(key=lambda d: d.start)
    for a, b in zip(found, found[1:], strict=False):  # 12月18日至19日, 2026年3月和6月
        if _CHAIN_GAP.match(text[a.end : b.start]):
            if b.day is not None and b.month is None and b.year is None:
                b.month, b.year = a.month, a.year
            elif b.month is not None and b.year is None:
                b.year = a.year
    return found, text


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


@dataclass
class Facts:
    """The checkable tokens of one text; `words` is the text with its quantities blanked out
    (so the 美元 of 400亿美元 is a unit, not an entity mention)."""

    quantities: list[Quantity] = field(default_factory=list)
    dates: list[DateRef] = field(default_factory=list)
    codes: list[str] = field(default_factory=list)
    words: str = ""
    context: str = ""  # the text with every number, date, time and code blanked out

    @property
    def checkable(self) -> bool:
        return bool(self.quantities or self.dates or self.codes)


def extract(text: str, rules: Rules) -> Facts:
    """Quantities, dates and codes of `text`; entity names with digits are not quantities."""
    text = compact(normalize(text))
    work = text
    if (pat := _digit_aliases(rules)) is not None:
        work = _mask(work, [m.span() for m in pat.finditer(work)])
    spans = [m.span() for m in _CODE.finditer(work)]
    codes = [text[a:b] for a, b in spans]
    work = _mask(work, spans)
    dates, work = _dates(work)
    times = [m.span() for m in _TIME.finditer(work)]
    work = _mask(work, times)
    quantities = _quantities(work)
    qspans = [(q.start, q.end) for q in quantities]
    context = _mask(text, spans + [(d.start, d.end) for d in dates] + times + qspans)
    return Facts(quantities, dates, codes, _mask(text, qspans), context)


# -- directions --------------------------------------------------------------------------------

# family -> (words that go up / are for, words that go down / are against); "" marks nouns to skip
DIRECTIONS: dict[str, tuple[list[str], list[str]]] = {
    "move": (
        "上涨 涨 走高 攀升 上升 回升 反弹 走强 收涨 上行 升值 增长 增加 扩大 提高 上调 飙升 大涨 跳涨 升至 涨至 突破 高开 涨停".split(),
        "下跌 跌 走低 下滑 下降 回落 下挫 走弱 收跌 下行 贬值 减少 收窄 缩小 降低 下调 暴跌 大跌 跳水 降至 跌至 跌破 低开 跌停 萎缩".split(),
    ),
    "policy": ("加息 收紧 鹰派 缩表".split(), "降息 宽松 放松 鸽派 扩表 降准".split()),
    "stance": ("利多 利好 看多 看涨 偏多".split(), "利空 看空 看跌 偏空".split()),
    "flow": ("净流入 增持 净买入 净投放".split(), "净流出 减持 净卖出 净回笼".split()),
    "compare": ("高于 超过 超出 好于 强于".split(), "低于 不及 逊于 弱于".split()),
    "trade": (["顺差"], ["逆差"]),
    "profit": ("盈利 扭亏".split(), "亏损 转亏".split()),
}
_NEUTRAL = "涨幅 跌幅 降幅 增幅 升幅 增速 经济增长 增长预期 增长率 增长目标 增长前景 增长动能 涨跌 升降 由降转涨 由涨转降".split()
_LEXICON: dict[str, tuple[str, int]] = {w: ("", 0) for w in _NEUTRAL}
for _fam, (_up, _down) in DIRECTIONS.items():
    _LEXICON.update({w: (_fam, 1) for w in _up})
    _LEXICON.update({w: (_fam, -1) for w in _down})
_DIRECTION = keyword_pattern(list(_LEXICON))


@dataclass
class Direction:
    word: str
    family: str
    polarity: int
    start: int
    end: int


def directions(text: str) -> list[Direction]:
    """Direction words, longest first (涨幅 is a noun, not 涨), nouns dropped."""
    assert _DIRECTION is not None
    out = []
    for m in _DIRECTION.finditer(text):
        fam, pol = _LEXICON[m.group(0)]
        if pol:
            out.append(Direction(m.group(0), fam, pol, m.start(), m.end()))
    return out


def strip_directions(text: str) -> str:
    assert _DIRECTION is not None
    return _DIRECTION.sub("", text)


# -- what a number is about ------------------------------------------------------------------------

# one-character words that say nothing about what a number is about
_FILLER = set("的为至于在和与及将是了其较也从达约近超逾")


def _date_keys(d: DateRef) -> set[str]:
    return {f"^{k}{v}" for k, v in (("y", d.year), ("m", d.month), ("d", d.day)) if v is not None}


def subject_features(window: str, rules: Rules) -> set[str]:
    """What the text just before a number says it is about: canonical entity names ("@恒生指数"),
    dates by field ("^y2027"), codes ("m2") and character bigrams of the rest, with numbers and
    direction words (not the nouns 涨幅, 经济增长) cut out, so that no bigram spans a gap. `window` is normalised and compacted."""
    feats: set[str] = set()
    for name, written in rules.entity_mentions(window):
        feats.add("@" + name)
        window = window.replace(written, MASK * len(written))
    facts = extract(window, rules)
    feats |= {squash(c) for c in facts.codes}
    for d in facts.dates:
        feats |= _date_keys(d)
    assert _DIRECTION is not None
    rest = _DIRECTION.sub(  # 跌 and 上调 go, the nouns 涨幅 and 经济增长 stay
        lambda m: MASK * len(m.group(0)) if _LEXICON[m.group(0)][1] else m.group(0), facts.context
    )
    for seg in _NOT_WORD.split(rest.lower()):
        if len(seg) == 1:
            if seg not in _FILLER and not seg.isdigit():
                feats.add(seg)
        else:
            feats |= {seg[i : i + 2] for i in range(len(seg) - 1)}
    return feats


def number_windows(text: str, quantities: list[Quantity]) -> list[tuple[Quantity, int, int]]:
    """Each quantity with a unit and where the text it follows in its sentence starts: `near` goes
    back to the previous quantity of the same unit or the last ；, whichever is nearer ("恒生指数跌
    0.85%，恒生科技指数跌1.72%": 1.72% follows only "，恒生科技指数跌"); `wide` to the sentence
    start, for a subject the sentence states once for several numbers. `text` is the compacted,
    normalised text the quantities were extracted from."""
    out = []
    for i, q in enumerate(quantities):
        if not q.unit:
            continue
        wide = max([m.end() for m in re.finditer(r"[。！？!?]", text[: q.start])] + [0])
        near = max(
            [p.end for p in quantities[:i] if p.same_unit(q)]
            + [m.end() for m in re.finditer(r"[；;]", text[: q.start])]
            + [wide]
        )
        out.append((q, near, wide))
    return out


@dataclass
class Window:
    """The text before a number, as subject_features matches it."""

    raw: str  # compacted, normalised
    dates: set[str]
    text: str = ""  # squashed
    _entities: set[str] | None = None

    def __post_init__(self) -> None:
        self.text = squash(self.raw)

    def names(self, name: str, rules: Rules) -> bool:
        """Whether the window names entity `name` (its aliases looked for first: most windows name
        nothing, and the full entity pattern is the expensive part)."""
        low = self.raw.lower()
        if not any(a.lower() in low for a in [name, *rules.entities.get(name, [])]):
            return False
        if self._entities is None:
            self._entities = rules.entities_in(self.raw)
        return name in self._entities

    def score(self, feats: set[str], rules: Rules) -> int:
        return sum(
            self.names(f[1:], rules)
            if f[0] == "@"
            else f in self.dates
            if f[0] == "^"
            else f in self.text
            for f in feats
        )


@dataclass
class Slot:
    """A source number with what it follows: the text it is stated for."""

    quantity: Quantity
    sent: int
    near: Window
    wide: Window


class Named(Protocol):
    name: str
    text: str


# -- the sources, indexed once per check --------------------------------------------------------


@dataclass
class Passage:
    source: str
    text: str
    coverage: float  # share of the claim's character bigrams found in it
    span: tuple[int, int]  # first and last sentence (Corpus.sents indices)


@dataclass
class SourceClause:
    grams: set[str]  # bigrams without the direction words
    text: str  # normalised
    dirs: list[Direction]
    sent: int
    rules: Rules
    _facts: Facts | None = None
    _context: set[str] | None = None

    @property
    def facts(self) -> Facts:
        if self._facts is None:  # lazily: most clauses are never asked
            self._facts = extract(self.text, self.rules)
        return self._facts

    @property
    def context(self) -> set[str]:
        """Bigrams without direction words, numbers and dates: what the clause's numbers are about."""
        if self._context is None:
            self._context = bigrams(strip_directions(self.facts.context))
        return self._context


class Corpus:
    """Sentences, clauses, facts and entities of every source, with bigram indexes; built once per check."""

    def __init__(self, sources: Sequence[Named], rules: Rules) -> None:
        self.sources, self.rules = sources, rules
        self.facts: list[Facts] = [extract(s.text, rules) for s in sources]
        self.entities: list[set[str]] = [rules.entities_in(f.words) for f in self.facts]
        self.squashed = [squash(s.text) for s in sources]
        self.sents: list[tuple[int, str, set[str]]] = []  # (source, sentence, bigrams)
        self._sent_facts: dict[int, Facts] = {}
        self.clauses: list[SourceClause] = []
        self.sent_clauses: dict[int, range] = {}  # sentence -> its single clauses
        self.index: dict[str, list[int]] = defaultdict(list)
        self.cindex: dict[str, list[int]] = defaultdict(list)
        for si, s in enumerate(sources):
            for sent in _sentences(s.text):
                sid = len(self.sents)
                grams = bigrams(sent)
                for g in grams:
                    self.index[g].append(sid)
                self.sents.append((si, sent, grams))
                parts = split_clauses(compact(normalize(sent)))
                self.sent_clauses[sid] = range(len(self.clauses), len(self.clauses) + len(parts))
                # single clauses and adjacent pairs: "营收为160.6亿，低于预期的162亿" is one claim clause
                for clause in parts + ["，".join(p) for p in zip(parts, parts[1:], strict=False)]:
                    cg = bigrams(strip_directions(clause))
                    for g in cg:
                        self.cindex[g].append(len(self.clauses))
                    self.clauses.append(SourceClause(cg, clause, directions(clause), sid, rules))
        self.all_quantities = [q for f in self.facts for q in f.quantities]
        self._slots: dict[str, list[Slot]] | None = None

    def slots(self, q: Quantity) -> list[Slot]:
        """The source numbers in q's unit, each with the text it is stated for (all built when first
        asked, kept by unit)."""
        if self._slots is None:
            self._slots = defaultdict(list)
            for i, (_, sent, _) in enumerate(self.sents):
                facts = self.sentence_facts(i)
                numbers = number_windows(text := compact(normalize(sent)), facts.quantities)
                if not numbers:
                    continue

                def window(a: int, b: int, facts: Facts = facts, text: str = text) -> Window:
                    dates = [_date_keys(d) for d in facts.dates if a <= d.start < b]
                    return Window(text[a:b], set().union(*dates))

                for n, near, wide in numbers:
                    self._slots[n.unit.split("/")[0]].append(
                        Slot(n, i, window(near, n.start), window(wide, n.start))
                    )
        return [s for s in self._slots.get(q.unit.split("/")[0], []) if q.same_unit(s.quantity)]

    def sentence_facts(self, i: int) -> Facts:
        """The facts of sentence i (extracted when first asked)."""
        if i not in self._sent_facts:
            self._sent_facts[i] = extract(self.sents[i][1], self.rules)
        return self._sent_facts[i]

    def sentence_coverage(self, text: str) -> dict[int, float]:
        grams = bigrams(text)
        hits = Counter(i for g in grams for i in self.index.get(g, ()))
        return {i: n / len(grams) for i, n in hits.items()} if grams else {}

    def passages(self, text: str, k: int = 3) -> list[Passage]:
        """The k best distinct windows of one to three consecutive sentences of one source."""
        grams = bigrams(text)
        if not grams:
            return []
        hits = Counter(i for g in grams for i in self.index.get(g, ()))
        scored: dict[tuple[int, int], float] = {}
        for i, _ in hits.most_common(12):
            for a in range(i - 2, i + 1):
                for b in range(i, a + 3):
                    if (
                        a < 0
                        or b >= len(self.sents)
                        or self.sents[a][0] != self.sents[b][0]
                        or (a, b) in scored
                    ):
                        continue
                    union = set().union(*(self.sents[j][2] for j in range(a, b + 1)))
                    scored[(a, b)] = len(grams & union) / len(grams) - 0.01 * (
                        b - a
                    )  # shorter wins a tie
        out: list[Passage] = []
        for (a, b), score in sorted(scored.items(), key=lambda kv: -kv[1]):
            if any(not (b < p.span[0] or a > p.span[1]) for p in out):
                continue
            body = "".join(self.sents[j][1] for j in range(a, b + 1))
            out.append(
                Passage(
                    self.sources[self.sents[a][0]].name,
                    body,
                    round(score + 0.01 * (b - a), 3),
                    (a, b),
                )
            )
            if len(out) >= k:
                break
        return out

    def best_clause(
        self, clause: str, context: dict[int, float], *, numbers: bool = True
    ) -> SourceClause | None:
        """The source clause this claim clause restates: bigram Dice, helped by how well its sentence
        matches the whole claim (so PPI's 环比上涨 is not taken for CPI's 环比下降). With
        `numbers=False` the match ignores numbers and dates and must cover 60% of the rest."""
        if numbers:
            grams, cover = bigrams(strip_directions(clause)), 0.3
        else:
            grams, cover = bigrams(strip_directions(extract(clause, self.rules).context)), 0.6
        if len(grams) < (1 if numbers else 4):  # "LPR为" alone cannot tell 1年期 from 5年期
            return None
        hits = Counter(i for g in bigrams(strip_directions(clause)) for i in self.cindex.get(g, ()))
        best, best_score = None, 0.6
        for i, _ in hits.most_common(60):
            c = self.clauses[i]
            theirs = c.grams if numbers else c.context
            n = len(grams & theirs)
            if n / len(grams) < cover:
                continue
            score = 2 * n / (len(grams) + len(theirs)) + 0.5 * context.get(c.sent, 0.0)
            if score > best_score:
                best, best_score = c, score
        return best


def _sentences(text: str) -> list[str]:
    """Source sentences end at 。！？ or a line break; ； only separates clauses of one sentence."""
    return [
        s.strip()
        for line in text.split("\n")
        for s in re.findall(r"[^。！？!?]+[。！？!?]*", line)
        if s.strip()
    ]


def split_clauses(text: str) -> list[str]:
    """Clauses end at ，；：。！？ (a comma between digits is a thousands separator)."""
    return [c for c in re.split(r"[，；;：:。！？!?\n]|,(?!\d{3})|(?<!\d),", text) if c.strip()]
