"""rank: keep the window, drop digests and duplicates, group items into events, score, pick the top.

Grouping lives in `rank_features` (what two headlines share) and `rank_group` (items into events,
near-linear, then the developments of a running story into one). Events are scored on distinct
sources first, then feed weight, recency, the kind's priority (classified once per event), the
story's relevance to an economic daily (the rules' topics and the feeds' `topic:` hints) and how
many developments it has. A story about a non-economic topic only (sport, entertainment,
obituaries, human interest) is dropped; one that also carries economic content stays in the rest
but is never a top story. The top ones are picked greedily with a discount for looking like an
earlier pick, and each pick takes in its follow-ups (the same speaker the same day, the same
figure, a reaction, a retelling) so that 一般事件 never retells it.

Failures: an unknown feed `topic:` is a ConfigError (exit 2); nothing else here is expected to fail.
"""

from __future__ import annotations

import math
import re
import unicodedata
from collections import defaultdict
from dataclasses import dataclass
from datetime import date, datetime

from briefing.config import Settings
from briefing.errors import ConfigError
from briefing.models import Event, Item, RankResult
from briefing.rank_features import _CJK, _SUMMARY_CHARS, Doc, _numbers, build_docs
from briefing.rank_group import cluster, running_stories
from briefing.rules import Rules, load_rules

__all__ = ["rank", "_numbers"]

# Scoring
_W_SOURCES = 1.0
_W_WEIGHT = 0.25
_W_RECENCY = 0.5
_W_PRIORITY = 0.75
_W_RELEVANCE = 1.0  # how much the story matters to markets and the economy (rules' topics)
_W_DEPTH = 0.25  # per doubling of items: a story told in many developments weighs more
_READ_ITEMS = 8  # items of an event whose titles and summaries are read for its kind and topics
_DIVERSITY = 0.6  # a top pick's score is cut by up to this share for redundancy with earlier picks
_OVERLAP_FLOOR = 0.25  # redundancy below this is two stories sharing a theme, not one story split
_MIN_TITLE_KEY = 6  # shorter normalised titles (快讯, Update) are too generic to call duplicates
_INFORMATIVE = 8  # a title shorter than this many characters is a last resort for Event.title

_TITLE_NOISE = re.compile(r"[\W_]+")
_SPEECH = re.compile(r"[：:]|称|表示|说|指出|强调|暗示|透露|警告|回应")
_ANNOUNCE = re.compile(_SPEECH.pattern + "|宣布")  # a top story's speaker may announce it
_REACTION = re.compile(r"(预期|公布|发布|出炉|落地|宣布|决议|数据)后|押注|消化|reacts? to")
_BREAK = re.compile(r"[，。,.;；！!？?\s]")
_ECHO = 0.1  # centroid cosine that, with a figure in both headlines, makes a follow-up
_RETELL = 0.5  # centroid cosine at which a rest event retells a top one
_FOLLOW_UP_HOURS = 24  # "the same day": a speaker's follow-up within this many hours


def _feed_weights(settings: Settings) -> dict[str, float]:
    return {f.name: f.weight for f in settings.feeds}


def _aware(dt: datetime, settings: Settings) -> datetime:
    return dt if dt.tzinfo is not None else dt.replace(tzinfo=settings.tz)


def _norm_title(title: str) -> str:
    return _TITLE_NOISE.sub("", unicodedata.normalize("NFKC", title).lower())


def _norm_link(link: str) -> str:
    return link.strip().split("#", 1)[0].rstrip("/")


@dataclass(frozen=True)
class _Context:
    """What scoring an event needs besides its members, read once per run."""

    rules: Rules
    settings: Settings
    end: datetime  # the window's end: recency is measured from it
    half_life: float  # hours
    feed_topics: dict[str, str]  # feed name → its `topic:` hint

    @classmethod
    def of(cls, rules: Rules, settings: Settings, end: datetime) -> _Context:
        topics = {f.name: f.topic for f in settings.feeds if f.topic}
        return cls(rules, settings, end, settings.window_hours / 3, topics)


@dataclass(slots=True)
class _Candidate:
    event: Event
    members: list[Doc]
    centroid: dict[str, float]
    entities: frozenset[str]
    norm: float
    economic: bool  # names an economic topic or kind
    sideline: bool  # names a non-economic topic (sport, obituary…): never a top story


def _redundancy(a: _Candidate, b: _Candidate, fallback_kind: str) -> float:
    """How much two events look like one story: centroid cosine or, within one kind, how many of the
    smaller event's entities the other names too (a second 美联储+降息 story after the Fed cut)."""
    cos = _cosine(a, b)
    same = 0.0
    if a.event.kind == b.event.kind and a.event.kind != fallback_kind and a.entities and b.entities:
        same = len(a.entities & b.entities) / min(len(a.entities), len(b.entities))
    return min(1.0, max(cos, same))


def _cosine(a: _Candidate, b: _Candidate) -> float:
    small, big = (
        (a.centroid, b.centroid) if len(a.centroid) <= len(b.centroid) else (b.centroid, a.centroid)
    )
    return math.fsum(w * big[f] for f, w in small.items() if f in big) / (a.norm * b.norm or 1.0)


def _title_of(docs: list[Doc]) -> str:
    """A Chinese headline from the most trusted source, the shortest informative one."""

    def key(d: Doc) -> tuple:
        t = d.item.title.strip()
        return (not _CJK.search(t), -d.weight, len(t) < _INFORMATIVE, len(t), t)

    return min(docs, key=key).item.title.strip()


def _event_text(members: list[Doc]) -> str:
    return "\n".join(
        d.item.title + "\n" + d.item.summary[:_SUMMARY_CHARS] for d in members[:_READ_ITEMS]
    )


def _make_event(members: list[Doc], ctx: _Context) -> _Candidate:
    """Score one event: sources, feed weight, recency, its kind's priority, relevance and depth.

    Its kind is classified here, once (titles first, then summaries too), and kept on the event."""
    rules, settings = ctx.rules, ctx.settings
    members = sorted(members, key=lambda d: _item_key(d.item, d.weight, settings))
    by_source: dict[str, float] = {}
    for d in members:
        by_source[d.item.source] = max(by_source.get(d.item.source, 0.0), d.weight)
    times = [_aware(d.item.published, settings) for d in members if d.item.published is not None]
    recency = 0.0
    if times:
        age_h = max(0.0, (ctx.end - max(times)).total_seconds() / 3600)
        recency = 0.5 ** (age_h / ctx.half_life)
    text = _event_text(members)
    kind = rules.classify("\n".join(d.item.title for d in members[:_READ_ITEMS]))
    if kind is rules.kinds[-1]:
        kind = rules.classify(text)  # the titles alone name no kind: read the summaries too
    hints = {ctx.feed_topics[d.item.source] for d in members if d.item.source in ctx.feed_topics}
    topics = [rules.topic(t) for t in sorted(rules.topics_in(text) | hints)]
    economic = kind is not rules.kinds[-1] or any(t.economic and t.weight > 0 for t in topics)
    relevance = max((t.weight for t in topics if t.economic), default=0.0)
    weight = sum(by_source.values())
    reasons = {
        "sources": float(len(by_source)),
        "weight": round(weight, 4),
        "weight_max": max(by_source.values()),
        "recency": round(recency, 4),
        "priority": kind.priority,
        "relevance": relevance,
        "items": float(len(members)),
    }
    score = (
        _W_SOURCES * len(by_source)
        + _W_WEIGHT * weight
        + _W_RECENCY * recency
        + _W_PRIORITY * kind.priority
        + _W_RELEVANCE * relevance
        + _W_DEPTH * math.log2(len(members))
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
        members=members,
        centroid=dict(centroid),
        entities=frozenset(f for f in centroid if f.startswith("E:")),
        norm=math.sqrt(sum(v * v for v in centroid.values())),
        economic=economic,
        sideline=any(not t.economic for t in topics),
    )


def _item_key(item: Item, weight: float, settings: Settings) -> tuple:
    ts = _aware(item.published, settings).timestamp() if item.published else math.inf
    return (-weight, ts, item.source, item.title, item.link, item.guid, item.summary)


def _choose(cands: list[_Candidate], ctx: _Context) -> tuple[list[_Candidate], list[_Candidate]]:
    """Greedy picks by score discounted for redundancy with earlier picks (MMR); each pick takes in
    its follow-ups before the next is chosen; the rest keep their order (best first).

    A sideline story (sport, entertainment…) is never picked, however many sources tell it."""
    fallback_kind = ctx.rules.kinds[-1].id
    pool = list(cands)  # already best first
    chosen: list[_Candidate] = []
    while len(chosen) < ctx.settings.report.top:
        best: _Candidate | None = None
        best_val, best_red = -math.inf, 0.0
        for c in pool:
            if c.event.score <= best_val:
                break  # a discount only lowers a score: nothing further down can win
            if c.sideline:
                continue
            red = max((_redundancy(c, p, fallback_kind) for p in chosen), default=0.0)
            val = c.event.score * (
                1 - _DIVERSITY * max(0.0, red - _OVERLAP_FLOOR) / (1 - _OVERLAP_FLOOR)
            )
            if val > best_val:
                best, best_val, best_red = c, val, red
        if best is None:
            break
        pool.remove(best)
        if chosen:
            best.event.reasons["redundancy"] = round(best_red, 4)
        pick, pool = _absorb(best, pool, ctx)
        chosen.append(pick)
    return chosen, pool


def _check_topics(settings: Settings, rules: Rules) -> None:
    known = {t.id for t in rules.topics}
    for f in settings.feeds:
        if f.topic is not None and f.topic not in known:
            raise ConfigError(
                f"feeds[{f.name}].topic: unknown topic {f.topic!r} "
                f"(one of: {', '.join(sorted(known))})"
            )


def rank(
    items: list[Item],
    settings: Settings,
    day: date | None = None,
    now: datetime | None = None,
    rules: Rules | None = None,
) -> RankResult:
    """Turn a backlog of feed items into the day's events, best first, the top ones distinct stories."""
    rules = rules or load_rules()
    _check_topics(settings, rules)
    start, end = settings.window(day, now)
    weights = _feed_weights(settings)
    dropped = {"window": 0, "duplicate": 0, "digest": 0, "off_topic": 0}
    digest = rules.digest_pattern

    kept: list[Item] = []
    for it in items:
        if it.published is not None and not (start <= _aware(it.published, settings) < end):
            dropped["window"] += 1
        elif digest is not None and digest.search(it.title):
            dropped["digest"] += 1
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
    ctx = _Context.of(rules, settings, end)
    clusters = cluster(docs)
    texts = [_event_text([docs[i] for i in members]) for members in clusters]
    clusters = running_stories(clusters, docs, texts, rules)
    cands = []
    for members in clusters:
        cand = _make_event([docs[i] for i in members], ctx)
        if cand.sideline and not cand.economic:
            dropped["off_topic"] += len(members)
        else:
            cands.append(cand)
    cands.sort(
        key=lambda c: (-c.event.score, _item_key(c.event.items[0], 0.0, settings), c.event.title)
    )
    top, rest = _choose(cands, ctx)
    return RankResult(top=[c.event for c in top], rest=[c.event for c in rest], dropped=dropped)


def _speakers(texts: list[str], rules: Rules, gap: int, marker: re.Pattern[str]) -> set[str]:
    """Entities that speak in `texts`: the last one named before 称/表示/：… at most `gap` characters
    earlier, with no punctuation between (潘功胜：…; 潘功胜在发布会上表示…)."""
    ubiquitous = set(rules.ubiquitous)
    out: set[str] = set()
    for text in texts:
        mentions = rules.entity_mentions(text)
        pos = 0
        for k, (name, written) in enumerate(mentions):
            at = text.find(written, pos)
            if at < 0:
                break
            pos = at + len(written)
            m = marker.search(text, pos, pos + gap + 2)
            if m is None or m.start() - pos > gap or _BREAK.search(text, pos, m.start()):
                continue
            if name in ubiquitous:
                continue
            nxt = mentions[k + 1][1] if k + 1 < len(mentions) else None
            if nxt is None or text.find(nxt, pos) < 0 or text.find(nxt, pos) >= m.start():
                out.add(name)
    return out


def _other_actor(r: _Candidate, t: _Candidate) -> bool:
    """Whether r's headlines are led by someone t never names: 欧洲央行降息25个基点 after the Fed's
    cut; 立讯精密… after 比亚迪… (actors the rules do not know are compared by their first words)."""
    leads = {d.lead for d in r.members if d.lead}
    if leads:
        return not leads & t.entities
    heads = {d.head for d in r.members if d.head}
    return bool(heads) and not any(h in t.centroid for h in heads)


def _figures(c: _Candidate) -> frozenset[str]:
    """The numbers its headlines carry (a figure in a summary is background, not the story)."""
    return frozenset().union(*(d.figures for d in c.members))


def _latest(c: _Candidate) -> float:
    return max((d.item.published.timestamp() for d in c.members if d.item.published), default=0.0)


def _absorb(
    t: _Candidate, pool: list[_Candidate], ctx: _Context
) -> tuple[_Candidate, list[_Candidate]]:
    """A top story takes in its follow-ups, so 一般事件 never retells it and no echo of it becomes
    another top story: the same speaker the same day (潘功胜 on the cut he announced), the same
    figure with a shared actor or wording (降准0.5个百分点落地, bond yields fall), a reaction to it
    (CPI超预期后降息押注降温), or the same story in other words (a centroid cosine of `_RETELL`)."""
    rules = ctx.rules
    said = _speakers(
        [d.item.title + "\n" + d.item.summary[:_SUMMARY_CHARS] for d in t.members],
        rules,
        12,
        _ANNOUNCE,
    )
    said_e = {f"E:{name}" for name in said}
    figures, latest = _figures(t), _latest(t)
    themes = rules.kind_words("\n".join(d.item.title for d in t.members[:_READ_ITEMS]))
    joined: list[_Candidate] = []
    keep: list[_Candidate] = []
    for r in pool:
        cos = _cosine(r, t)
        titles = [d.item.title for d in r.members]
        same_day = abs(latest - _latest(r)) <= _FOLLOW_UP_HOURS * 3600
        other_actor = _other_actor(r, t)
        follows = (
            not other_actor
            and (
                cos >= _RETELL
                or (_figures(r) & figures and (r.entities & t.entities or cos >= _ECHO))
            )
            or (  # a reaction names the story's theme, whoever reacts (CPI超预期后…美联储…)
                cos >= _ECHO / 2
                and any(_REACTION.search(x) for x in titles)
                and bool(rules.kind_words("\n".join(titles)) & themes)
            )
            or (
                same_day
                and bool(r.entities & said_e)
                and bool(_speakers(titles, rules, 2, _SPEECH) & said)
            )
        )
        (joined if follows else keep).append(r)
    if not joined:
        return t, pool
    merged = _make_event(t.members + [d for r in joined for d in r.members], ctx)
    merged.event.kind = t.event.kind  # the story's kind and title are its own, not its echoes'
    merged.event.title = t.event.title
    merged.event.reasons["follow_ups"] = float(len(joined))
    if "redundancy" in t.event.reasons:
        merged.event.reasons["redundancy"] = t.event.reasons["redundancy"]
    return merged, keep
