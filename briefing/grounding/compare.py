"""Comparison without numbers: "进口增速高于出口增速" is checked against the figures the sources
give for each side.

Each side's subject (rate nouns such as 增速/涨幅 aside) is matched with the source percentages by
what precedes them (corpus.subject_features, as the subject check does), the date and place the
claim states once counting for both sides at half weight. A side whose best match is not unique is
not compared. A figure after a falling word (下降28.6%) is negative. Comparisons with a number in
them, or against an expectation (高于预期), are the number and direction checks' business.
"""

from __future__ import annotations

import re
from decimal import Decimal

from briefing.grounding.corpus import Corpus, Slot, subject_features
from briefing.grounding.directions import directions
from briefing.grounding.facts import extract
from briefing.grounding.numbers import Quantity
from briefing.grounding.text import compact, normalize, quote, split_clauses
from briefing.rules import Rules

_WORDS = {"高于": 1, "快于": 1, "超过": 1, "大于": 1, "多于": 1, "强于": 1}
_WORDS |= {"低于": -1, "慢于": -1, "不及": -1, "小于": -1, "少于": -1, "弱于": -1}
_COMPARE = re.compile(rf"(?P<a>.{{2,24}}?)(?P<word>{'|'.join(_WORDS)})(?P<b>.{{2,24}})")
_RATE = re.compile(r"增速|增幅|涨幅|跌幅|降幅|增长率|速度|水平|的")
_EXPECTED = re.compile(r"预期|预测|预估|此前|市场|共识")
_PERCENT = Quantity("%", Decimal(0), Decimal(0), "%", 0, 0)


def _value(
    side: str, shared: set[str], corpus: Corpus, rules: Rules
) -> tuple[Decimal, Slot] | None:
    """The source percentage one side of a comparison names, signed; None unless one is best."""
    feats = subject_features(_RATE.sub("", side), rules) - shared
    if not feats:
        return None
    slots = corpus.slots(_PERCENT)
    scored = sorted(
        (
            (s.near.score(feats, rules) + 0.5 * s.wide.score(shared, rules), k)
            for k, s in enumerate(slots)
        ),
        reverse=True,
    )
    if not scored or scored[0][0] < 1 or (len(scored) > 1 and scored[1][0] == scored[0][0]):
        return None
    slot = slots[scored[0][1]]
    moves = [d for d in directions(slot.near.raw) if d.family == "move"]
    sign = -1 if moves and moves[-1].polarity < 0 else 1
    return sign * slot.quantity.value, slot


def comparison_conflicts(body: str, corpus: Corpus, rules: Rules) -> list[str]:
    """A comparison whose two sides the sources give figures for, in the other order."""
    out = []
    for clause in split_clauses(compact(normalize(body))):
        m = _COMPARE.search(clause)
        if not m or extract(clause, rules).quantities or _EXPECTED.search(m.group("b")):
            continue
        shared = {f for f in subject_features(m.group("a"), rules) if f[0] in "^@"}
        a = _value(m.group("a"), shared, corpus, rules)
        b = _value(m.group("b"), shared, corpus, rules)
        if a is None or b is None or a[1] is b[1] or a[0] == b[0]:
            continue
        if (a[0] > b[0]) != (_WORDS[m.group("word")] > 0):
            out.append(
                f"“{m.group('word')}” reverses the sources' figures: {quote(a[1].quantity.text)} "
                f"against {quote(b[1].quantity.text)}: {quote(corpus.sents[a[1].sent][1])}"
            )
    return out
