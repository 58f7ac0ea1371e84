"""Grounding: is every claim of a report backed by its sources? Deterministic checks offline, an LLM
judge optionally.

    check(report, sources[, judge]) → EvalResult                                  (check.py)
        split_claims (claims.py) ─ check_claim per claim (verdict.py)
            tokens: text.py, numbers.py, dates.py, facts.py; sources indexed once: corpus.py
            kinds:  numbers/dates (numbers.py, dates.py), attribution.py, entities.py,
                    directions.py
        └ Judge.review: fact claims asked with their best passages (judge.py, optional)

How a claim is checked (check_claim):

    numbers    same value AND unit in the passages the claim restates (facts) or any source (opinion)
    dates      年月日 / 月日 / ISO; every field the claim writes must match
    clause     a number or date where the source clause it restates has a different one
    subject    a number the sources state for something else (M2's 8.2% written as 社融's 8.5%)
    codes      GPT-5.2, M2: must appear in some source
    entities   canonical names (rules.yaml aliases) some source names; who said it (X表示) must match
    direction  涨↔跌, 上调↔下调, 加息↔降息, 高于↔低于 against the source clause it restates
    stance     对X：利多 where the sources call X 利空
    coverage   share of character bigrams found in the best passage (facts only)

Facts are the summary, 一般事件, and 深度解读 sentences that report (a number, a date, a code, a
reporting verb such as 宣布/表示/显示, or an attribution X认为). Opinion — 影响 bullets, 投资启示,
analysis sentences — gets every check but coverage and locality: its numbers, dates, codes and
entities must still be traceable and its directions must not contradict a source, but an opinion
with nothing checkable is `supported` ("opinion: nothing checkable"): the sources can neither back
nor refute it, and it is not a factual failure. Asset names (美元, 黄金…) in an opinion are its
subject, not a fact. A flipped direction or stance makes the verdict `contradicted`; any other
failure makes it `unsupported`.

Public API (the CLI and the pipeline use these; briefing.evaluate re-exports them): Source,
load_sources, sources_from_items, claims, check, acheck, ClaimVerdict, EvalResult, Judge, make_judge.
"""

from briefing.grounding.check import EvalResult, acheck, check, claims, result_of
from briefing.grounding.judge import Judge, make_judge
from briefing.grounding.sources import Source, load_sources, sources_from_items
from briefing.grounding.verdict import ClaimVerdict

__all__ = [
    "ClaimVerdict",
    "EvalResult",
    "Judge",
    "Source",
    "acheck",
    "check",
    "claims",
    "load_sources",
    "make_judge",
    "result_of",
    "sources_from_items",
]
