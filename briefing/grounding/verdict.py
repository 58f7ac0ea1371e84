"""One claim against the sources: every check kind run, the failures turned into a verdict.

See briefing.grounding (package docstring) for which checks, and why.
"""

from __future__ import annotations

import re
from typing import Literal

from pydantic import BaseModel, Field

from briefing.grounding.attribution import (
    before_value_conflicts,
    clause_conflicts,
    slot_conflicts,
)
from briefing.grounding.claims import Claim
from briefing.grounding.compare import comparison_conflicts
from briefing.grounding.corpus import Corpus, Passage
from briefing.grounding.dates import date_ok, date_pool
from briefing.grounding.directions import (
    breadth_conflicts,
    direction_conflicts,
    stance_conflict,
)
from briefing.grounding.entities import (
    ASSETS,
    CONCEPTS,
    COUNTRIES,
    entity_ok,
    speaker,
    unknown_names,
)
from briefing.grounding.facts import Facts, extract
from briefing.grounding.invented import credit_conflicts, invented_names
from briefing.grounding.negation import negation_conflicts
from briefing.grounding.notamounts import ordinal_conflicts
from briefing.grounding.numbers import number_hint, number_ok
from briefing.grounding.speakers import actor_conflicts, speaker_conflicts
from briefing.grounding.text import quote, squash
from briefing.rules import Rules

# a fact whose best passage shares less than this share of its character bigrams is not backed
COVERAGE_MIN = 0.4

_REPORTING = (
    "宣布",
    "公布",
    "发布",
    "表示",
    "显示",
    "称",
    "指出",
    "透露",
    "强调",
    "批准",
    "签署",
    "通过",
    "决定",
    "报告",
)


Verdict = Literal["supported", "unsupported", "contradicted"]


class ClaimVerdict(BaseModel):
    text: str
    verdict: Verdict
    reasons: list[str] = Field(default_factory=list)
    evidence: str | None = None  # the best source passage, or the judge's verified quote
    kind: list[str] = Field(
        default_factory=list
    )  # what failed: number, date, entity, direction, coverage, judge
    section: str = "summary"
    opinion: bool = False  # judged as opinion (module docstring), so never sent to the LLM judge


def _factual(claim: Claim, facts: Facts, rules: Rules) -> bool:
    """Summary and 一般事件 state facts; a 深度解读 sentence does when it reports or attributes."""
    if claim.section in ("summary", "general"):
        return True
    if claim.section == "insight":
        return (
            facts.checkable
            or any(v in claim.body for v in _REPORTING)
            or speaker(claim.body, rules) is not None
        )
    return False


_CJK = re.compile(r"[\u4e00-\u9fff]")


def _across_languages(facts: Facts, names: set[str], corpus: Corpus, rules: Rules) -> int | None:
    """A Chinese claim from an English source cannot share character bigrams with it; it is covered
    when one non-Chinese source has all its numbers, dates and names, and it has at least two."""
    if len(facts.quantities) + len(facts.dates) + len(names) < 2:
        return None
    for i, source in enumerate(corpus.sources):
        text = squash(source.text)
        if not text or len(_CJK.findall(text)) > 0.2 * len(text):
            continue
        f = corpus.facts[i]
        years = {d.year for d in f.dates if d.year}
        months = {d.month for d in f.dates if d.month}
        if (
            all(number_ok(q, f.quantities, years) for q in facts.quantities)
            and all(date_ok(d, [(f.dates, years, months)]) for d in facts.dates)
            and names <= corpus.entities[i]
        ):
            return i
    return None


def _coverage_floor(facts: Facts, best: Passage | None, corpus: Corpus, rules: Rules) -> float:
    """COVERAGE_MIN, or 0.3 for a free paraphrase whose every amount (one at least) is in the best
    passage: "以5票对4票的投票结果决定降息" for "以 5 比 4 的微弱多数投票决定"."""
    if best is None or not facts.quantities:
        return COVERAGE_MIN
    pool = [
        q
        for i in range(best.span[0], best.span[1] + 1)
        for q in corpus.sentence_facts(i).quantities
    ]
    return (
        0.3 if all(q.unit and number_ok(q, pool, set()) for q in facts.quantities) else COVERAGE_MIN
    )


def check_claim(claim: Claim, corpus: Corpus, rules: Rules) -> ClaimVerdict:
    """The deterministic verdict on one claim (module docstring: which checks, and why)."""
    facts = extract(claim.body, rules)
    factual = _factual(claim, facts, rules)
    reasons: list[str] = []
    kinds: list[str] = []

    def fail(kind: str, reason: str) -> None:
        reasons.append(reason)
        if kind not in kinds:
            kinds.append(kind)

    found = corpus.passages(claim.body, k=3)
    best = found[0] if found else None
    # a fact's numbers and dates must be in the passages it restates (the best and any near it)
    near = [p for p in found if best and p.coverage >= 0.5 * best.coverage]
    local = [i for p in near for i in range(p.span[0], p.span[1] + 1)] if factual else None
    names = rules.entities_in(facts.words) - CONCEPTS - (set() if factual else ASSETS)
    crossed = None
    if factual and (best is None or best.coverage < COVERAGE_MIN):
        crossed = _across_languages(facts, names, corpus, rules)
        if crossed is not None:
            local = [i for i, (si, _, _) in enumerate(corpus.sents) if si == crossed]
    local_q = (
        [q for i in local for q in corpus.sentence_facts(i).quantities]
        if local is not None
        else corpus.all_quantities
    )
    years = {d.year for f in corpus.facts for d in f.dates if d.year}
    for q in facts.quantities:
        if number_ok(q, local_q, years):
            continue
        if local is not None and number_ok(q, corpus.all_quantities, years):
            fail(
                "number",
                f"number {quote(q.text)} is in the sources, but not in the passages this claim restates",
            )
        else:
            fail(
                "number",
                f"number {quote(q.text)} is in no source with the same value and unit{number_hint(q, corpus)}",
            )
    for d in facts.dates:
        if date_ok(d, date_pool(corpus, local)):
            continue
        where = (
            "in the sources, but not in the passages this claim restates"
            if date_ok(d, date_pool(corpus))
            else "in no source"
        )
        fail("date", f"date {quote(d.text)} ({d.show()}) is {where}")
    for code in facts.codes:
        if not any(squash(code) in text for text in corpus.squashed):
            fail("entity", f"name {quote(code)} is in no source")
    written = {name: w for name, w in rules.entity_mentions(facts.words)}
    for name in sorted(names):
        if not entity_ok(name, corpus, rules):
            shown = written.get(name, name)
            also = f" ({name})" if squash(shown) != squash(name) else ""
            fail("entity", f"entity {quote(shown)}{also} is named by no source")
    if factual:
        for name in unknown_names(claim.body, corpus, rules):
            fail("entity", f"name {quote(name)} is in no source")
    for name in invented_names(claim.body, corpus, rules):
        if not any(quote(name) in r for r in reasons):
            fail("entity", f"name {quote(name)} is in no source")
    for reason in credit_conflicts(claim.body, corpus):
        fail("entity", reason)
    skip = CONCEPTS | ASSETS | COUNTRIES
    for reason in [
        *speaker_conflicts(claim.body, corpus, rules, skip),
        *actor_conflicts(claim.body, corpus, rules, skip),
    ]:
        fail("speaker", reason)
    conflicts = clause_conflicts(claim.body, corpus, rules)
    conflicts += slot_conflicts(claim.body, corpus, rules)
    conflicts += before_value_conflicts(claim.body, corpus, rules)
    for kind, token, reason in conflicts:
        if not any(quote(token) in r for r in reasons):  # said once is enough
            fail(kind, reason)
    for reason in ordinal_conflicts(claim.body, corpus, rules):
        fail("ordinal", reason)
    contradictions = direction_conflicts(claim.body, corpus)
    contradictions += negation_conflicts(claim.body, corpus)
    contradictions += breadth_conflicts(claim.body, corpus)
    contradictions += comparison_conflicts(claim.body, corpus, rules)
    if stance := stance_conflict(claim, corpus, rules):
        contradictions.append(stance)
    for c in contradictions:
        fail("direction", c)

    if crossed is not None:
        reasons.append(
            f"matched across languages by its numbers and names: {corpus.sources[crossed].name}: "
            f"{quote(corpus.sources[crossed].text, 160)}"
        )
    elif factual and (best is None or best.coverage < _coverage_floor(facts, best, corpus, rules)):
        fail(
            "coverage",
            f"no source passage covers this claim (best overlap {best.coverage if best else 0:.2f} "
            f"< {_coverage_floor(facts, best, corpus, rules)})",
        )
    if not factual and not reasons and not facts.checkable and not names:
        reasons.append("opinion: nothing checkable")
    if best is not None:
        reasons.append(
            f"best source passage ({best.coverage:.2f}, {best.source}): {quote(best.text, 160)}"
        )
    verdict: Verdict = "contradicted" if contradictions else "unsupported" if kinds else "supported"
    return ClaimVerdict(
        text=claim.text,
        verdict=verdict,
        reasons=reasons,
        evidence=best.text if best else None,
        kind=kinds,
        section=claim.section,
        opinion=not factual,
    )
