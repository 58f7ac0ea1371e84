"""rank: keep the window, drop duplicates, group items into events, score them, pick the top ones.

Grouping is near-linear: every item becomes a sparse IDF-weighted vector of features (CJK
character bigrams, lowercased Latin words, canonical entities from the rules' alias table,
numbers with their units and magnitudes resolved). Candidates come from an inverted index over
each item's rarest features (posting lists capped), at most `_CANDIDATES` per item are compared
exactly, and an item joins the earlier event it matches best (average link, so stories do not
chain) or starts one; events the found links connect merge when their cores match on average.
Two items match on cosine, or — across languages — on the weighted overlap of their entities and
numbers when they share two of them, a number among them. One shared entity or number is never
enough; numbers of one kind that all differ (25 vs 50 bp) and headlines led by different entities
(美联储 vs 欧洲央行) cut the similarity.

Events are scored on distinct sources first, then feed weight, recency and the rules' topic
priority; the top ones are picked greedily with a discount for looking like an earlier pick.
"""

from __future__ import annotations

import heapq
import math
import re
import unicodedata
from collections import defaultdict
from collections.abc import Callable
from dataclasses import dataclass, field
from datetime import date, datetime
from functools import lru_cache

from briefing.config import Settings
from briefing.models import Event, Item, RankResult
from briefing.rules import Rules, load_rules

# Similarity and grouping
_SUMMARY_CHARS = 160  # how much of the summary joins the title
_SUMMARY_WEIGHT = 0.5  # a feature seen only in the summary counts half
_ENTITY_BOOST = 1.5  # an entity weighs more than one bigram or word
_NUMBER_BOOST = 2.0  # a number with its unit more still: it pins down the story
_LEX_MATCH = 0.18  # cosine over all features; tuned on the headlines in tests/test_rank.py
_CONCEPT_MATCH = 0.5  # weighted Dice over entities and numbers (2+ shared, a number among them)
_NUMBER_CONFLICT = 0.4  # similarity kept per kind of number on which two items disagree
_LEAD_CONFLICT = 0.2  # similarity kept when two headlines lead with different actors
_LONE_ENTITY = 0.5  # weight kept by one shared entity alone (a lone shared number keeps none)
_WEAK_BELOW = 100  # whole numbers below this without a unit are too common to pin down a story
_AMOUNT = 1e4  # 4.4万 and 44,000 are amounts, and one amount can contradict another
_AVG_MATCH = 0.12  # average similarity to an event's first members
_KEYS = 8  # rarest lexical features an item is indexed and looked up by
_POSTING_CAP = 50  # features in more items than this are too common to find candidates
_CANDIDATES = 16  # exact comparisons per item
_CORE = 8  # members of an event an item is compared with for average link

# Scoring
_W_SOURCES = 1.0
_W_WEIGHT = 0.25
_W_RECENCY = 0.5
_W_PRIORITY = 0.75
_DIVERSITY = 0.6  # a top pick's score is cut by up to this share for redundancy with earlier picks
_OVERLAP_FLOOR = 0.25  # redundancy below this is two stories sharing a theme, not one story split
_MIN_TITLE_KEY = 6  # shorter normalised titles (快讯, Update) are too generic to call duplicates
_INFORMATIVE = 8  # a title shorter than this many characters is a last resort for Event.title

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
_TITLE_NOISE = re.compile(r"[\W_]+")


def _feed_weights(settings: Settings) -> dict[str, float]:
    return {f.name: f.weight for f in settings.feeds}


def _aware(dt: datetime, settings: Settings) -> datetime:
    return dt if dt.tzinfo is not None else dt.replace(tzinfo=settings.tz)


def _norm_title(title: str) -> str:
    return _TITLE_NOISE.sub("", unicodedata.normalize("NFKC", title).lower())


def _norm_link(link: str) -> str:
    return link.strip().split("#", 1)[0].rstrip("/")


def _numbers(text: str) -> set[str]:
    """Numbers as value+unit, magnitudes resolved: 400亿 and 40 billion agree, so do 25个基点 and
    0.25 percentage point. Small whole numbers (10条措施, 21个月) are `#10`, not `N:10`: they help
    the cosine but never count as a shared number."""
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
        weak = unit is None and value < _WEAK_BELOW and value.is_integer()
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
    item: Item, mentions_of: Callable[[str], list[tuple[str, str]]]
) -> tuple[dict[str, float], str | None]:
    """Feature → weight before IDF (title features 1, summary-only ones half; entities and numbers
    boosted), and the headline's lead entity: the first it names, usually who acts."""
    feats: dict[str, float] = {}
    lead: str | None = None
    summary = item.summary.removeprefix(item.title)  # many feeds open the summary with the title
    parts = (
        (unicodedata.normalize("NFKC", item.title), 1.0),
        (unicodedata.normalize("NFKC", summary[:_SUMMARY_CHARS]), _SUMMARY_WEIGHT),
    )
    for text, w in parts:
        lower = text.lower()
        # 400亿美元 is an amount, not news about the dollar
        mentions = mentions_of(_AMOUNT_CURRENCY.sub(" ", text)) if text else []
        entities = {f"E:{name}" for name, _ in mentions}
        if w == 1.0 and mentions:
            lead = f"E:{mentions[0][0]}"
        for group, boost in (
            (_lexical(lower), 1.0),
            (entities, _ENTITY_BOOST),
            (_numbers(lower), _NUMBER_BOOST),
        ):
            for f in sorted(group):  # a fixed order: float sums must not depend on the hash seed
                feats[f] = max(feats.get(f, 0.0), w * boost)
    return feats, lead


def _number_class(f: str) -> str | None:
    """Which numbers can contradict each other: rates in %, moves in bp, amounts, prices (155.20).

    Small whole numbers cannot: 50位经济学家 and 30年来最高 tell the same story.
    """
    if f.endswith("%"):
        return "%"
    if f.endswith("bp"):
        return "bp"
    value = float(f[2:])
    if value >= _AMOUNT:
        return "amount"
    return None if value.is_integer() else "n"


def _is_concept(f: str) -> bool:
    return f.startswith(("E:", "N:"))


@dataclass
class _Doc:
    item: Item
    weight: float
    vec: dict[str, float]  # L2-normalised, IDF-weighted
    concepts: dict[str, float]  # entities and numbers, IDF-weighted (not normalised)
    concept_mass: float
    lead: str | None  # the headline's first entity
    number_classes: dict[str, frozenset[str]]  # class → numbers of that class
    keys: list[str] = field(default_factory=list)


def _similarity(a: _Doc, b: _Doc) -> float:
    """max(cosine, cross-language concept match scaled to the same threshold), cut per conflict.

    Numbers that disagree outweigh words that agree: 沪指收涨0.41% and 恒指收跌0.3% share a
    template, not a story.
    """
    small, big = (a.vec, b.vec) if len(a.vec) <= len(b.vec) else (b.vec, a.vec)
    shared = sorted(a.concepts.keys() & b.concepts.keys())
    if len(shared) < 2:  # one shared entity or number (美联储; 2.5%) names a topic, not a story
        lone = sum(small[f] * big[f] for f in shared if f.startswith("E:")) * _LONE_ENTITY
        return (
            sum(w * big[f] for f, w in small.items() if f in big and f not in shared) + lone
        ) * _conflict(a, b)
    sim = sum(w * big[f] for f, w in small.items() if f in big)
    if any(f.startswith("N:") for f in shared):
        # 美联储 and 降息 alone name a topic; with a shared number they can name a story
        inter = sum(min(a.concepts[f], b.concepts[f]) for f in shared)
        dice = 2 * inter / (a.concept_mass + b.concept_mass)
        sim = max(sim, dice * _LEX_MATCH / _CONCEPT_MATCH)
    return sim * _conflict(a, b)


def _conflict(a: _Doc, b: _Doc) -> float:
    """The share of similarity left after disagreements: each kind of number that all differ (25 vs
    50 bp; 3.69% vs 0.71%), and headlines that lead with different entities, neither of which the
    other item names (美联储 vs 欧洲央行) — unless two numbers agree."""
    n = sum(
        1
        for cls, nums in a.number_classes.items()
        if (other := b.number_classes.get(cls)) and not nums & other
    )
    factor = _NUMBER_CONFLICT**n
    if not (a.lead and b.lead and a.lead != b.lead) or a.lead in b.concepts or b.lead in a.concepts:
        return factor
    agreeing = sum(1 for f in a.concepts if f.startswith("N:") and f in b.concepts)
    return factor * _LEAD_CONFLICT if agreeing < 2 else factor  # two shared numbers outvote wording


def _classes(concepts: dict[str, float]) -> dict[str, frozenset[str]]:
    out: dict[str, set[str]] = defaultdict(set)
    for f in concepts:
        if f.startswith("N:") and (cls := _number_class(f)):
            out[cls].add(f)
    return {k: frozenset(v) for k, v in out.items()}


def _build_docs(items: list[Item], weights: dict[str, float], rules: Rules) -> list[_Doc]:
    mentions_of = lru_cache(maxsize=4096)(rules.entity_mentions)  # syndicated copies repeat text
    parsed = [_raw_features(it, mentions_of) for it in items]
    raws = [raw for raw, _ in parsed]
    df: dict[str, int] = defaultdict(int)
    for raw in raws:
        for f in raw:
            df[f] += 1
    n = len(items)
    idf = {f: math.log(1 + n / d) for f, d in df.items()}
    docs = []
    for it, (raw, lead) in zip(items, parsed, strict=True):
        vec = {f: w * idf[f] for f, w in raw.items()}
        norm = math.sqrt(sum(v * v for v in vec.values())) or 1.0
        concepts = {f: v for f, v in vec.items() if _is_concept(f)}
        usable = sorted((df[f], f) for f in raw if 2 <= df[f] <= _POSTING_CAP)
        keys = [f for _, f in usable if not _is_concept(f)][:_KEYS] + [
            f for _, f in usable if _is_concept(f)
        ]
        docs.append(
            _Doc(
                item=it,
                weight=weights.get(it.source, 1.0),
                vec={f: v / norm for f, v in vec.items()},
                concepts=concepts,
                concept_mass=sum(concepts.values()),
                lead=lead,
                number_classes=_classes(concepts),
                keys=keys,
            )
        )
    return docs


def _avg_link(a: list[int], b: list[int], docs: list[_Doc]) -> float:
    core_a, core_b = a[:_CORE], b[:_CORE]
    return sum(_similarity(docs[i], docs[j]) for i in core_a for j in core_b) / (
        len(core_a) * len(core_b)
    )


def _cluster(docs: list[_Doc]) -> list[list[int]]:
    """Leader clustering over an inverted index, then average-link merges along the links it found.

    Each doc is compared with at most `_CANDIDATES` earlier docs that share its rarest features and
    joins the event it matches best (a link ≥ `_LEX_MATCH` and an average ≥ `_AVG_MATCH`). Links
    into other events are kept, and events they connect merge when their cores match on average:
    the order docs arrive in does not strand an item.
    """
    index: dict[str, list[int]] = defaultdict(list)
    cluster_of: list[int] = []
    clusters: list[list[int]] = []
    links: list[tuple[int, int, float]] = []
    for i, doc in enumerate(docs):
        acc: dict[int, float] = defaultdict(float)
        for f in doc.keys:
            posting = index[f]
            w = doc.vec[f]
            for j in posting:
                acc[j] += w * docs[j].vec[f]
            posting.append(i)
        best: tuple[float, float, int] | None = None
        sims: dict[int, float] = {}
        if acc:
            cands = heapq.nsmallest(_CANDIDATES, acc.items(), key=lambda kv: (-kv[1], kv[0]))
            peak: dict[int, float] = {}
            for j, _ in cands:
                s = sims[j] = _similarity(doc, docs[j])
                if s >= _LEX_MATCH:
                    c = cluster_of[j]
                    peak[c] = max(peak.get(c, 0.0), s)
            for c, top in peak.items():
                core = clusters[c][:_CORE]
                avg = sum(sims[m] if m in sims else _similarity(doc, docs[m]) for m in core) / len(
                    core
                )
                if avg >= _AVG_MATCH and (best is None or (avg, top, -c) > best):
                    best = (avg, top, -c)
        if best is None:
            cluster_of.append(len(clusters))
            clusters.append([i])
        else:
            cluster_of.append(-best[2])
            clusters[-best[2]].append(i)
        links += [
            (i, j, s) for j, s in sims.items() if s >= _LEX_MATCH and cluster_of[j] != cluster_of[i]
        ]

    strongest: dict[tuple[int, int], float] = {}
    for i, j, s in links:
        a, b = sorted((cluster_of[i], cluster_of[j]))
        strongest[a, b] = max(strongest.get((a, b), 0.0), s)
    root = list(range(len(clusters)))

    def find(c: int) -> int:
        while root[c] != c:
            root[c] = root[root[c]]
            c = root[c]
        return c

    for (a, b), _ in sorted(strongest.items(), key=lambda kv: (-kv[1], kv[0])):
        ra, rb = sorted((find(a), find(b)))
        if ra != rb and _avg_link(clusters[ra], clusters[rb], docs) >= _AVG_MATCH:
            root[rb] = ra
            clusters[ra] = sorted(clusters[ra] + clusters[rb])
            clusters[rb] = []
    return [c for c in clusters if c]


@dataclass
class _Candidate:
    event: Event
    centroid: dict[str, float]
    entities: frozenset[str]
    norm: float


def _redundancy(a: _Candidate, b: _Candidate, fallback_kind: str) -> float:
    """How much two events look like one story: centroid cosine or, within one kind, how many of the
    smaller event's entities the other names too (a second 美联储+降息 story after the Fed cut)."""
    small, big = (
        (a.centroid, b.centroid) if len(a.centroid) <= len(b.centroid) else (b.centroid, a.centroid)
    )
    cos = sum(w * big[f] for f, w in small.items() if f in big) / (a.norm * b.norm or 1.0)
    same = 0.0
    if a.event.kind == b.event.kind and a.event.kind != fallback_kind and a.entities and b.entities:
        same = len(a.entities & b.entities) / min(len(a.entities), len(b.entities))
    return min(1.0, max(cos, same))


def _title_of(docs: list[_Doc]) -> str:
    """A Chinese headline from the most trusted source, the shortest informative one."""

    def key(d: _Doc) -> tuple:
        t = d.item.title.strip()
        return (not _CJK.search(t), -d.weight, len(t) < _INFORMATIVE, len(t), t)

    return min(docs, key=key).item.title.strip()


def _make_event(
    members: list[_Doc], rules: Rules, end: datetime, half_life: float, settings: Settings
) -> _Candidate:
    members = sorted(members, key=lambda d: _item_key(d.item, d.weight, settings))
    by_source: dict[str, float] = {}
    for d in members:
        by_source[d.item.source] = max(by_source.get(d.item.source, 0.0), d.weight)
    times = [_aware(d.item.published, settings) for d in members if d.item.published is not None]
    recency = 0.0
    if times:
        age_h = max(0.0, (end - max(times)).total_seconds() / 3600)
        recency = 0.5 ** (age_h / half_life)
    titles = "\n".join(d.item.title for d in members[:8])
    kind = rules.classify(titles)
    if kind is rules.kinds[-1]:
        kind = rules.classify(
            titles + "\n" + "\n".join(d.item.summary[:_SUMMARY_CHARS] for d in members[:8])
        )
    weight = sum(by_source.values())
    reasons = {
        "sources": float(len(by_source)),
        "weight": round(weight, 4),
        "weight_max": max(by_source.values()),
        "recency": round(recency, 4),
        "priority": kind.priority,
        "items": float(len(members)),
    }
    score = (
        _W_SOURCES * len(by_source)
        + _W_WEIGHT * weight
        + _W_RECENCY * recency
        + _W_PRIORITY * kind.priority
    )
    centroid: dict[str, float] = defaultdict(float)
    for d in members:
        for f, v in d.vec.items():
            centroid[f] += v
    event = Event(
        title=_title_of(members),
        score=round(score, 4),
        items=[d.item for d in members],
        kind=kind.id,
        reasons=reasons,
    )
    return _Candidate(
        event=event,
        centroid=dict(centroid),
        entities=frozenset(f for f in centroid if f.startswith("E:")),
        norm=math.sqrt(sum(v * v for v in centroid.values())),
    )


def _item_key(item: Item, weight: float, settings: Settings) -> tuple:
    ts = _aware(item.published, settings).timestamp() if item.published else math.inf
    return (-weight, ts, item.source, item.title, item.link, item.guid, item.summary)


def _choose(
    cands: list[_Candidate], top: int, fallback_kind: str
) -> tuple[list[Event], list[Event]]:
    """Greedy picks by score discounted for redundancy with earlier picks (MMR); the rest by score."""
    pool = list(cands)  # already best first
    chosen: list[_Candidate] = []
    while pool and len(chosen) < top:
        best_i, best_val, best_red = 0, -math.inf, 0.0
        for k, c in enumerate(pool):
            if c.event.score <= best_val:
                break  # a discount only lowers a score: nothing further down can win
            red = max((_redundancy(c, p, fallback_kind) for p in chosen), default=0.0)
            val = c.event.score * (
                1 - _DIVERSITY * max(0.0, red - _OVERLAP_FLOOR) / (1 - _OVERLAP_FLOOR)
            )
            if val > best_val:
                best_i, best_val, best_red = k, val, red
        pick = pool.pop(best_i)
        if chosen:
            pick.event.reasons["redundancy"] = round(best_red, 4)
        chosen.append(pick)
    return [c.event for c in chosen], [c.event for c in pool]


def rank(
    items: list[Item],
    settings: Settings,
    day: date | None = None,
    now: datetime | None = None,
    rules: Rules | None = None,
) -> RankResult:
    """Turn a backlog of feed items into the day's events, best first, the top ones distinct stories."""
    rules = rules or load_rules()
    start, end = settings.window(day, now)
    weights = _feed_weights(settings)
    dropped = {"window": 0, "duplicate": 0}

    kept: list[Item] = []
    for it in items:
        if it.published is not None and not (start <= _aware(it.published, settings) < end):
            dropped["window"] += 1
        else:
            kept.append(it)
    kept.sort(key=lambda it: _item_key(it, weights.get(it.source, 1.0), settings))

    seen: set[tuple[str, str]] = set()
    unique: list[Item] = []
    for it in kept:
        keys = {
            ("link", _norm_link(it.link)),
            ("guid", it.guid.strip()),
            ("title", _norm_title(it.title)),
        }
        keys = {k for k in keys if k[1] and (k[0] != "title" or len(k[1]) >= _MIN_TITLE_KEY)}
        if keys & seen:
            dropped["duplicate"] += 1
            continue
        seen |= keys
        unique.append(it)

    docs = _build_docs(unique, weights, rules)
    half_life = settings.window_hours / 3
    cands = [
        _make_event([docs[i] for i in members], rules, end, half_life, settings)
        for members in _cluster(docs)
    ]
    cands.sort(
        key=lambda c: (-c.event.score, _item_key(c.event.items[0], 0.0, settings), c.event.title)
    )
    top, rest = _choose(cands, settings.report.top, rules.kinds[-1].id)
    return RankResult(top=top, rest=rest, dropped=dropped)
