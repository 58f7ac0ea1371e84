"""Attribution: a number or date the sources state, but for something else — another clause of the
sentence it restates (核心通胀率 given the headline rate), or another subject altogether (M2's 8.2%
written as 社融's 8.5%)."""

from __future__ import annotations

import re

from briefing.grounding.corpus import Corpus, SourceClause, number_windows, subject_features
from briefing.grounding.dates import date_ok, date_pool
from briefing.grounding.facts import LABELS, Facts, extract
from briefing.grounding.numbers import number_ok
from briefing.grounding.text import compact, normalize, quote, split_clauses
from briefing.rules import Rules


def clause_conflicts(body: str, corpus: Corpus, rules: Rules) -> list[tuple[str, str, str]]:
    """A number or date of a claim clause where the source clause it restates has another one
    (核心通胀率为2.1% where the source says 核心通胀率为2.4% and 2.1% elsewhere in the sentence)."""
    out = []
    context = corpus.sentence_coverage(body)
    for clause in split_clauses(compact(normalize(body))):
        mine = extract(clause, rules)
        if not (mine.quantities or mine.dates):
            continue
        src = corpus.best_clause(clause, context, numbers=False)
        if src is None or _stated_together(mine, corpus, src, clause, context):
            continue
        theirs = src.facts
        pool = date_pool(corpus, [src.sent])
        rivals = [
            s
            for s in theirs.quantities
            if not any(s.value == q.value and q.same_unit(s) for q in mine.quantities)
        ]
        for q in (q for q in mine.quantities if q.unit not in LABELS):
            if not number_ok(q, theirs.quantities, set()) and (
                r := [s for s in rivals if q.same_unit(s)]
            ):
                out.append(
                    (
                        "number",
                        q.text,
                        f"number {quote(q.text)}: the source clause it restates says {quote(r[0].text)}: {quote(src.text)}",
                    )
                )
        for d in mine.dates:
            if date_ok(d, [(theirs.dates, *pool[0][1:])]):
                continue
            grain = (d.year is not None, d.month is not None, d.day is not None)
            r = [
                s
                for s in theirs.dates
                if (s.month is not None, s.day is not None) == grain[1:]
                and not any(date_ok(x, [([s], set(), set())]) for x in mine.dates)
            ]
            if r:
                out.append(
                    (
                        "date",
                        d.text,
                        f"date {quote(d.text)}: the source clause it restates says {quote(r[0].text)}: {quote(src.text)}",
                    )
                )
    return out


def _stated_together(
    mine: Facts, corpus: Corpus, src: SourceClause, clause: str, context: dict[int, float]
) -> bool:
    """Whether one clause of a source sentence states every number and date of a claim clause, two or
    more of them, and nothing the claim says tells it apart: "2027年增长1.4%" restated with the
    subject of the sentence's first clause ("欧洲央行预测，2026年增长1.2%，2027年增长1.4%") is not a
    conflict; "11月核心CPI上涨3.2%" is, though "11月CPI上涨3.2%" states its month and number."""
    if len(mine.quantities) + len(mine.dates) < 2:
        return False
    query = corpus.query(clause, numbers=False)
    singles = [corpus.clauses[i] for i in corpus.sent_clauses.get(src.sent, ())]
    for k, c in enumerate(singles):
        later = set().union(*(s.context for s in singles[k + 1 :]))
        if query and (query.grams - c.context - c.before(False)) & later:
            continue  # the sentence tells them apart later on: 核心CPI after CPI
        theirs = c.facts
        if all(number_ok(q, theirs.quantities, set()) for q in mine.quantities) and all(
            date_ok(d, [(theirs.dates, set(), set())]) for d in mine.dates
        ):
            return True
    return False


def slot_conflicts(body: str, corpus: Corpus, rules: Rules) -> list[tuple[str, str, str]]:
    """A number the sources state, but for something else: "10月末M2同比增长8.5%" where the 8.5% is
    社融存量's and M2's is 8.2%. What each claim number follows (subject_features) is matched with
    every source number of its unit: flagged when a source number of another value follows most of
    it, by a clear margin over the best source mention of the claim's value — and that mention is
    given its whole sentence before it, so a subject stated once for several numbers still counts."""
    out = []
    text = compact(normalize(body))
    mine = extract(text, rules).quantities
    for q, near, _ in number_windows(text, mine):
        feats = subject_features(text[near : q.start], rules)
        if not feats:
            continue
        slots = corpus.slots(q)
        own = [s for s in slots if number_ok(q, [s.quantity], set())]
        rivals = [
            s
            for s in slots
            if not any(number_ok(m, [s.quantity], set()) for m in mine if m.same_unit(q))
        ]
        if not own or not rivals:
            continue
        stated = max(own, key=lambda s: s.wide.score(feats, rules))
        rival = max(rivals, key=lambda s: s.near.score(feats, rules))
        best, best_own = rival.near.score(feats, rules), stated.wide.score(feats, rules)
        if best >= 0.75 * len(feats) and best - best_own >= max(1, 0.25 * len(feats)):
            out.append(
                (
                    "number",
                    q.text,
                    f"number {quote(q.text)}: the sources give {quote(rival.quantity.text)} for this: "
                    f"{quote(corpus.sents[rival.sent][1])}; their {quote(stated.quantity.text)} is about "
                    f"something else: {quote(corpus.sents[stated.sent][1])}",
                )
            )
    return out


_FROM = re.compile(r"(?:从|由)(?P<qual>[^，；。：\d]{0,8}?)$")
_TO = re.compile(r"^[^，；。：]{0,8}?至")


def before_value_conflicts(body: str, corpus: Corpus, rules: Rules) -> list[tuple[str, str, str]]:
    """A "from" figure given as the current one: the source says 概率从一周前的22%升至26% and the
    claim says 概率为22%. Not when the claim says "from" too, names the qualifier (一周前, 9月),
    or states the figure it rose or fell to."""
    text = compact(normalize(body))
    mine = [q for q in extract(text, rules).quantities if q.unit]
    cover = corpus.sentence_coverage(text)
    sid = max(cover, key=lambda i: cover[i], default=None)
    if not mine or sid is None or cover[sid] < 0.5:
        return []
    sent = compact(normalize(corpus.sents[sid][1]))
    theirs = extract(sent, rules).quantities
    out = []
    for k, s in enumerate(theirs):
        frm, to = _FROM.search(sent[: s.start]), _TO.match(sent[s.end :])
        later = [r for r in theirs[k + 1 :] if to and r.start >= s.end + to.end()]
        if not frm or not later:
            continue
        after, qual = later[0], frm.group("qual").replace("的", "")  # 从0.5%上调25个基点至0.75%
        for q in mine:
            if not number_ok(q, [s], set()) or any(number_ok(m, [after], set()) for m in mine):
                continue
            if _FROM.search(text[: q.start]) or (qual and qual in text):
                continue
            out.append(
                (
                    "number",
                    q.text,
                    f"number {quote(q.text)} is where it stood before ({qual or 'from'}); the source's "
                    f"figure now is {quote(after.text)}: {quote(corpus.sents[sid][1])}",
                )
            )
    return out
