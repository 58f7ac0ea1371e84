"""rank: keep the window, drop duplicates, group items into events, score them, pick the top ones.

Grouping lives in `rank_features` (what two headlines share) and `rank_group` (items into events,
near-linear). Events are scored on distinct sources first, then feed weight, recency and the
rules' topic priority; the top ones are picked greedily with a discount for looking like an
earlier pick.
"""

from __future__ import annotations

import math
import re
import unicodedata
from collections import defaultdict
from dataclasses import dataclass
from datetime import date, datetime

from briefing.config import Settings
from briefing.models import Event, Item, RankResult
from briefing.rank_features import _SUMMARY_CHARS, Doc, _numbers, build_docs
from briefing.rank_group import cluster
from briefing.rules import Rules, load_rules

__all__ = ["rank", "_numbers"]

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
_TITLE_NOISE = re.compile(r"[\W_]+")


def _feed_weights(settings: Settings) -> dict[str, float]:
    return {f.name: f.weight for f in settings.feeds}


def _aware(dt: datetime, settings: Settings) -> datetime:
    return dt if dt.tzinfo is not None else dt.replace(tzinfo=settings.tz)


def _norm_title(title: str) -> str:
    return _TITLE_NOISE.sub("", unicodedata.normalize("NFKC", title).lower())


def _norm_link(link: str) -> str:
    return link.strip().split("#", 1)[0].rstrip("/")


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


def _title_of(docs: list[Doc]) -> str:
    """A Chinese headline from the most trusted source, the shortest informative one."""

    def key(d: Doc) -> tuple:
        t = d.item.title.strip()
        return (not _CJK.search(t), -d.weight, len(t) < _INFORMATIVE, len(t), t)

    return min(docs, key=key).item.title.strip()


def _make_event(
    members: list[Doc], rules: Rules, end: datetime, half_life: float, settings: Settings
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

    docs = build_docs(unique, weights, rules)
    half_life = settings.window_hours / 3
    cands = [
        _make_event([docs[i] for i in members], rules, end, half_life, settings)
        for members in cluster(docs)
    ]
    cands.sort(
        key=lambda c: (-c.event.score, _item_key(c.event.items[0], 0.0, settings), c.event.title)
    )
    top, rest = _choose(cands, settings.report.top, rules.kinds[-1].id)
    return RankResult(top=top, rest=rest, dropped=dropped)
