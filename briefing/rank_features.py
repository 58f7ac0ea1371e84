"""rank's features and similarity: what two headlines share, and when that makes them one story.

Every item becomes a sparse IDF-weighted vector of features (CJK character bigrams, lowercased
Latin words, canonical entities from the rules' alias table found in one Aho-Corasick pass,
numbers with their units and magnitudes resolved). Two items match on cosine, or — across
languages — on the weighted overlap of their entities and numbers when they share two of them, a
number among them. One shared entity or number is never enough; a year, a bare date and an
ubiquitous entity (中国, 美国) never count as one; numbers that all differ (25 vs 50 bp; 491元 vs
8703元) and headlines led by different entities (美联储 vs 欧洲央行) cut the similarity.
"""

from __future__ import annotations

import math
import re
import unicodedata
from collections import defaultdict
from collections.abc import Callable
from dataclasses import dataclass, field
from functools import lru_cache

from briefing.models import Item
from briefing.rules import Rules

_SUMMARY_CHARS = 160  # how much of the summary joins the title
_SUMMARY_WEIGHT = 0.5  # a feature seen only in the summary counts half
_ENTITY_BOOST = 1.5  # an entity weighs more than one bigram or word
_NUMBER_BOOST = 2.0  # a number with its unit more still: it pins down the story
LEX_MATCH = 0.18  # cosine over all features; tuned on the headlines in tests/test_rank.py
_CONCEPT_MATCH = 0.5  # weighted Dice over entities and numbers (2+ shared, a number among them)
_NUMBER_CONFLICT = 0.2  # similarity kept per kind of number on which two items disagree
_LEAD_CONFLICT = 0.2  # similarity kept when two headlines lead with different actors
_LONE_ENTITY = 0.5  # weight kept by one shared entity alone (a lone shared number keeps none)
_LONE_NUMBER_WORDS = (
    0.5  # share of LEX_MATCH the words must reach for a lone shared number to count
)
_WEAK_BELOW = 100  # whole numbers below this without a unit are too common to pin down a story
_AMOUNT = 1e4  # 4.4万 and 44,000 are amounts, and one amount can contradict another
_YEARS = (
    1900,
    2100,
)  # a bare whole number in this range is a year: it dates a story, never ties two
_KEYS = 8  # rarest lexical features an item is indexed and looked up by
_POSTING_CAP = 50  # features in more items than this are too common to find candidates

_CJK = re.compile(r"[\u3400-\u4dbf\u4e00-\u9fff\uf900-\ufaff]+")
_WORD = re.compile(r"[a-z][a-z']*[a-z]|[a-z]")
_NUMBER = re.compile(
    r"(?<![0-9A-Za-z.])(\d+(?:,\d{3})*(?:\.\d+)?)\s*"
    r"(万亿|千亿|百亿|亿|万|%|个百分点|百分点|个基点|基点"
    r"|(?:percentage points?|basis points?|bps?|percent|trillion|billion|million|thousand|tn|bn|mn)(?![a-z]))?"
    r"(?(2)|(?![a-z]))"  # 4nm and 5g are names, not numbers
)
_DATE_AFTER = re.compile(r"\s*(月|日|号|时|:)")
_DATE_BEFORE = re.compile(r"(jan|feb|mar|apr|may|jun|jul|aug|sep|sept|oct|nov|dec)\.?\s*$|\d-$")
_AMOUNT_CURRENCY = re.compile(
    r"(?<=[0-9万亿])\s*(美元|日元|欧元|人民币|元|dollars?|yuan|yen|euros?)", re.IGNORECASE
)
_UNITS = {
    "万亿": (1e12, ""), "千亿": (1e11, ""), "百亿": (1e10, ""), "亿": (1e8, ""), "万": (1e4, ""),
    "trillion": (1e12, ""), "tn": (1e12, ""), "billion": (1e9, ""), "bn": (1e9, ""),
    "million": (1e6, ""), "mn": (1e6, ""), "thousand": (1e3, ""),
    "%": (1, "%"), "percent": (1, "%"),
    "个百分点": (100, "bp"), "百分点": (100, "bp"), "percentage point": (100, "bp"),
    "percentage points": (100, "bp"),
    "个基点": (1, "bp"), "基点": (1, "bp"), "basis point": (1, "bp"), "basis points": (1, "bp"),
    "bp": (1, "bp"), "bps": (1, "bp"),
}  # fmt: skip
_STOPWORDS = frozenset(
    "a an the of to in on for and or by as at with from is are was were be been its it this that "
    "after over into says said say will would could may might new amid than more less up down".split()
)


def _numbers(text: str) -> set[str]:
    """Numbers as value+unit, magnitudes resolved: 400亿 and 40 billion agree, so do 25个基点 and
    0.25 percentage point. Small whole numbers (10条措施, 21个月) and years (2026年) are `#10`,
    not `N:10`: they help the cosine but never count as a shared number."""
    out = set()
    for m in _NUMBER.finditer(text):
        raw, unit = m.group(1).replace(",", ""), m.group(2)
        if unit is None and (
            _DATE_AFTER.match(text, m.end())
            or _DATE_BEFORE.search(text[max(0, m.start() - 6) : m.start()])
        ):
            continue  # month, day and time of day say little about which story this is
        scale, suffix = _UNITS.get(unit, (1, "")) if unit else (1, "")
        value = float(raw) * scale
        weak = (
            unit is None
            and value.is_integer()
            and (value < _WEAK_BELOW or _YEARS[0] <= value <= _YEARS[1])
        )
        out.add(f"#{value:.0f}" if weak else f"N:{value:.6g}{suffix}")
    return out


def _lexical(text: str) -> set[str]:
    feats = set()
    for run in _CJK.findall(text):
        feats.update(run[k : k + 2] for k in range(len(run) - 1)) if len(run) > 1 else feats.add(
            run
        )
    for w in _WORD.findall(_CJK.sub(" ", text)):
        if len(w) > 1 and w not in _STOPWORDS:
            feats.add(w[:-1] if len(w) > 3 and w.endswith("s") and not w.endswith("ss") else w)
    return feats


def _raw_features(
    item: Item,
    mentions_of: Callable[[str], list[tuple[str, str]]],
    ubiquitous: frozenset[str],
    not_actors: frozenset[str],
    canon: dict[str, str],
) -> tuple[dict[str, float], str | None, frozenset[str]]:
    """Feature → weight before IDF (title features 1, summary-only ones half; entities and numbers
    boosted), and the headline's lead entity: the first it names, usually who acts. An ubiquitous
    entity (中国, 美国) is a plain word `U:中国`: it neither counts as shared nor leads; a theme
    (降息, 原油) counts but does not lead."""
    feats: dict[str, float] = {}
    lead: str | None = None
    figures: frozenset[str] = frozenset()
    summary = item.summary.removeprefix(item.title)  # many feeds open the summary with the title
    parts = (
        (unicodedata.normalize("NFKC", item.title), 1.0),
        (unicodedata.normalize("NFKC", summary[:_SUMMARY_CHARS]), _SUMMARY_WEIGHT),
    )
    for text, w in parts:
        lower = text.lower()
        # 400亿美元 is an amount, not news about the dollar
        mentions = mentions_of(_AMOUNT_CURRENCY.sub(" ", text)) if text else []
        entities = {f"E:{name}" for name, _ in mentions if name not in ubiquitous}
        common = {f"U:{name}" for name, _ in mentions if name in ubiquitous}
        numbers = _numbers(lower)
        if w == 1.0:
            lead = next((f"E:{n}" for n, _ in mentions if n not in not_actors), None)
            figures = frozenset(f for f in numbers if f[0] == "N")
        words = lower
        for _, written in mentions:  # Bank of Japan is one entity, not the words bank and japan
            if written.isascii():
                words = words.replace(written.lower(), " ")
        for group, boost in (
            (_lexical(words) | common, 1.0),
            (entities, _ENTITY_BOOST),
            (numbers, _NUMBER_BOOST),
        ):
            for f in sorted(group):  # a fixed order: float sums must not depend on the hash seed
                f = canon.setdefault(f, f)  # one string per feature: 50k headlines share them
                feats[f] = max(feats.get(f, 0.0), w * boost)
    return feats, lead, figures


def _head(title: str, prefix: re.Pattern[str] | None) -> str | None:
    """The first two characters of a Chinese headline once a 「快讯：」-style prefix is cut."""
    text = unicodedata.normalize("NFKC", title).strip()
    if prefix is not None:
        text = prefix.sub("", text, count=1)
    m = _CJK.match(text)
    return m.group(0)[:2] if m and len(m.group(0)) >= 2 else None


def _number_class(f: str) -> str | None:
    """Which numbers can contradict each other: rates in %, moves in bp, amounts, prices and counts
    (155.20元, 6517名员工). Small whole numbers and years never get here (they are `#…`):
    50位经济学家 and 30年来最高 tell the same story."""
    if f.endswith("%"):
        return "%"
    if f.endswith("bp"):
        return "bp"
    return "amount" if float(f[2:]) >= _AMOUNT else "n"


_CONCEPT_PREFIXES = ("E:", "N:")


def _is_concept(f: str) -> bool:
    return f[:2] in _CONCEPT_PREFIXES


@dataclass(slots=True)
class Doc:
    item: Item
    weight: float
    vec: dict[str, float]  # L2-normalised, IDF-weighted
    concepts: dict[str, float]  # entities and numbers, IDF-weighted (not normalised)
    concept_mass: float
    lead: str | None  # the headline's first entity
    head: str | None  # a Chinese headline's first bigram after its prefix (快讯：, 【重磅】)
    number_classes: dict[str, frozenset[str]]  # class → numbers of that class
    numbers: frozenset[str]  # every number that pins a story (N:…)
    figures: frozenset[str]  # those its headline carries
    keys: list[str] = field(default_factory=list)


def similarity(a: Doc, b: Doc) -> float:
    """max(cosine, cross-language concept match scaled to the same threshold), cut per conflict.

    Numbers that disagree outweigh words that agree: 沪指收涨0.41% and 恒指收跌0.3% share a
    template, not a story.
    """
    av, bv = a.vec, b.vec
    common = av.keys() & bv.keys()  # fsum below: exact, so the set's order cannot matter
    if not common:
        return 0.0
    shared = [f for f in common if f[:2] in _CONCEPT_PREFIXES]
    if len(shared) < 2:  # one shared entity or number (美联储; 2.5%) names a topic, not a story
        words = math.fsum(av[f] * bv[f] for f in common if f not in shared)
        lone = 0.0
        for f in shared:
            if f[0] == "E":
                lone = av[f] * bv[f] * _LONE_ENTITY
            elif words >= LEX_MATCH * _LONE_NUMBER_WORDS:  # unless the words agree (起售价4911元)
                lone = av[f] * bv[f]
        return (words + lone) * _conflict(a, b)
    sim = math.fsum(av[f] * bv[f] for f in common)
    if any(f[0] == "N" for f in shared):
        # 美联储 and 降息 alone name a topic; with a shared number they can name a story
        inter = math.fsum(min(a.concepts[f], b.concepts[f]) for f in shared)
        dice = 2 * inter / (a.concept_mass + b.concept_mass)
        sim = max(sim, dice * LEX_MATCH / _CONCEPT_MATCH)
    return sim * _conflict(a, b)


def _conflict(a: Doc, b: Doc) -> float:
    """The share of similarity left after disagreements: each kind of number that all differ (25 vs
    50 bp; 3.69% vs 0.71%), and headlines that lead with different entities, neither of which the
    other item names (美联储 vs 欧洲央行; for actors the rules do not know, the first two characters
    after a 「快讯：」-style prefix) — unless two numbers agree."""
    n = sum(
        1
        for cls, nums in a.number_classes.items()
        if (other := b.number_classes.get(cls)) and not nums & other
    )
    if not n and a.numbers and b.numbers and not a.numbers & b.numbers:
        n = 1  # 5545% and 597.3万台: each pins its own story, and no number says they are one
    factor = _NUMBER_CONFLICT**n
    if a.lead and b.lead:  # 美联储 vs 欧洲央行
        x, y = a.lead, b.lead
    else:  # no actor known to the rules: the words a Chinese headline opens with (立讯 vs 比亚)
        x, y = a.head, b.head
    if not (x and y and x != y) or x in b.vec or y in a.vec:
        return factor
    agreeing = sum(1 for f in a.concepts if f.startswith("N:") and f in b.concepts)
    return factor * _LEAD_CONFLICT if agreeing < 2 else factor  # two shared numbers outvote wording


def _classes(concepts: dict[str, float]) -> dict[str, frozenset[str]]:
    out: dict[str, set[str]] = defaultdict(set)
    for f in concepts:
        if f.startswith("N:") and (cls := _number_class(f)):
            out[cls].add(f)
    return {k: frozenset(v) for k, v in out.items()}


def build_docs(items: list[Item], weights: dict[str, float], rules: Rules) -> list[Doc]:
    """One feature vector per item, IDF-weighted over this batch, with its index keys."""
    mentions_of = lru_cache(maxsize=4096)(rules.entity_mentions)  # syndicated copies repeat text
    ubiquitous, subjects = frozenset(rules.ubiquitous), frozenset(rules.subjects)
    prefix = rules.prefix_pattern
    canon: dict[str, str] = {}
    parsed = [
        _raw_features(it, mentions_of, ubiquitous, ubiquitous | subjects, canon) for it in items
    ]
    df: dict[str, int] = defaultdict(int)
    for raw, _, _ in parsed:
        for f in raw:
            df[f] += 1
    n = len(items)
    idf = {f: math.log(1 + n / d) for f, d in df.items()}
    docs = []
    for it, (raw, lead, figures) in zip(items, parsed, strict=True):
        vec = {f: w * idf[f] for f, w in raw.items()}
        norm = math.sqrt(math.fsum(v * v for v in vec.values())) or 1.0
        concepts = {f: v for f, v in vec.items() if _is_concept(f)}
        usable = sorted((df[f], f) for f in raw if 2 <= df[f] <= _POSTING_CAP)
        keys = [f for _, f in usable if not _is_concept(f)][:_KEYS] + [
            f for _, f in usable if _is_concept(f)
        ]
        docs.append(
            Doc(
                item=it,
                weight=weights.get(it.source, 1.0),
                vec={f: v / norm for f, v in vec.items()},
                concepts=concepts,
                concept_mass=sum(concepts.values()),
                lead=lead,
                head=_head(it.title, prefix),
                figures=figures,
                number_classes=_classes(concepts),
                numbers=frozenset(f for f in concepts if f.startswith("N:")),
                keys=keys,
            )
        )
    return docs
