"""rank's grouping: items into events, near-linear.

Candidates come from an inverted index over each item's rarest features (posting lists capped),
at most `_CANDIDATES` per item are compared exactly, and an item joins the earlier event it
matches best (average link, so stories do not chain) or starts one; events the found links
connect merge when their cores match on average. Then the developments of a running story
(shared actors and places under a `running` topic of the rules) become one event.
"""

from __future__ import annotations

import heapq
from collections import defaultdict

from briefing.rank_features import LEX_MATCH, Doc, similarity
from briefing.rules import Rules

_AVG_MATCH = 0.12  # average similarity to an event's first members
_CANDIDATES = 8  # exact comparisons per item
_CORE = 5  # members of an event an item is compared with for average link


def _find(root: list[int], c: int) -> int:
    """Union-find root of c, halving the path on the way."""
    while root[c] != c:
        root[c] = root[root[c]]
        c = root[c]
    return c


def _avg_link(a: list[int], b: list[int], docs: list[Doc]) -> float:
    core_a, core_b = a[:_CORE], b[:_CORE]
    return sum(similarity(docs[i], docs[j]) for i in core_a for j in core_b) / (
        len(core_a) * len(core_b)
    )


def cluster(docs: list[Doc]) -> list[list[int]]:
    """Leader clustering over an inverted index, then average-link merges along the links it found.

    Each doc is compared with at most `_CANDIDATES` earlier docs that share its rarest features and
    joins the event it matches best (a link ≥ `LEX_MATCH` and an average ≥ `_AVG_MATCH`). Links
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
                s = sims[j] = similarity(doc, docs[j])
                if s >= LEX_MATCH:
                    c = cluster_of[j]
                    peak[c] = max(peak.get(c, 0.0), s)
            for c, top in peak.items():
                core = clusters[c][:_CORE]
                avg = sum(sims[m] if m in sims else similarity(doc, docs[m]) for m in core) / len(
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
            (i, j, s) for j, s in sims.items() if s >= LEX_MATCH and cluster_of[j] != cluster_of[i]
        ]

    strongest: dict[tuple[int, int], float] = {}
    for i, j, s in links:
        a, b = sorted((cluster_of[i], cluster_of[j]))
        strongest[a, b] = max(strongest.get((a, b), 0.0), s)
    root = list(range(len(clusters)))

    for (a, b), _ in sorted(strongest.items(), key=lambda kv: (-kv[1], kv[0])):
        ra, rb = sorted((_find(root, a), _find(root, b)))
        if ra != rb and _avg_link(clusters[ra], clusters[rb], docs) >= _AVG_MATCH:
            root[rb] = ra
            clusters[ra] = sorted(clusters[ra] + clusters[rb])
            clusters[rb] = []
    return [c for c in clusters if c]


def running_stories(
    clusters: list[list[int]], docs: list[Doc], texts: list[str], rules: Rules
) -> list[list[int]]:
    """Developments of one running story become one event: clusters under a `running` topic
    (strikes, ultimatums, a ship hit, the market's reaction) that name the same actor or place.

    `texts[c]` is cluster c's titles and summaries. Only entities that name an actor or a place
    count: not an ubiquitous one (中国, 美国), not one that is itself a kind or topic keyword
    (原油, 降息), so two conflicts with no party in common stay apart.
    """
    running = {t.id for t in rules.topics if t.running}
    if not running:
        return clusters
    keyword, subjects = rules.is_keyword, set(rules.subjects)
    root = list(range(len(clusters)))

    first: dict[tuple[str, str], int] = {}
    for c, members in enumerate(clusters):
        topics = sorted(rules.topics_in(texts[c]) & running)
        if not topics:
            continue
        names = {f[2:] for i in members for f in docs[i].concepts if f.startswith("E:")}
        actors = sorted(a for a in names if a not in subjects and not keyword(a))
        for key in ((t, a) for t in topics for a in actors):
            if key in first:
                ra, rb = sorted((_find(root, first[key]), _find(root, c)))
                root[rb] = ra
            else:
                first[key] = c
    merged: dict[int, list[int]] = defaultdict(list)
    for c, members in enumerate(clusters):
        merged[_find(root, c)].extend(members)
    return [sorted(m) for _, m in sorted(merged.items())]
