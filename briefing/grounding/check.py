"""A whole report checked: claims split, each checked, optionally reviewed by the judge, scored."""

from __future__ import annotations

import asyncio
import concurrent.futures
from collections.abc import Coroutine
from typing import TYPE_CHECKING, Any, TypeVar

from pydantic import BaseModel

from briefing import aio
from briefing.grounding.claims import split_claims
from briefing.grounding.corpus import Corpus
from briefing.grounding.sources import Source
from briefing.grounding.verdict import ClaimVerdict, check_claim
from briefing.rules import Rules, load_rules

if TYPE_CHECKING:
    from briefing.grounding.judge import Judge

T = TypeVar("T")


class EvalResult(BaseModel):
    claims: list[ClaimVerdict]
    # share of checkable claims supported: opinions with nothing checkable are left out, so a report
    # of boilerplate cannot score 100%; 1.0 for a report without claims, 0.0 when none is checkable
    score: float

    @property
    def checked(self) -> int:
        """How many claims the score counts."""
        return sum(c.checked for c in self.claims)

    def contract_dict(self) -> dict:
        """The `briefing eval --json` shape of DESIGN.md, nothing more."""
        return {
            "claims": [
                {"text": c.text, "verdict": c.verdict, "reasons": list(c.reasons)}
                for c in self.claims
            ],
            "score": self.score,
        }


def claims(report_markdown: str) -> list[str]:
    """The report body split into claims; see briefing.grounding.claims for what counts and why."""
    return [c.text for c in split_claims(report_markdown)]


# -- the check ---------------------------------------------------------------------------------


async def acheck(
    report_markdown: str,
    sources: list[Source],
    judge: Judge | None = None,
    *,
    rules: Rules | None = None,
) -> EvalResult:
    """`check` for callers already inside an event loop."""
    rules = rules or load_rules()
    corpus = Corpus(sources, rules)
    parts = split_claims(report_markdown)
    verdicts = [check_claim(c, corpus, rules) for c in parts]
    if judge is not None:
        verdicts = await judge.review(parts, verdicts, corpus)
    return result_of(verdicts)


def check(
    report_markdown: str,
    sources: list[Source],
    judge: Judge | None = None,
    *,
    rules: Rules | None = None,
) -> EvalResult:
    """Every claim of the report checked against the sources; with a judge, fact claims are also asked."""
    return _run(acheck(report_markdown, sources, judge, rules=rules))


def result_of(verdicts: list[ClaimVerdict]) -> EvalResult:
    """The verdicts scored: supported checkable claims over checkable claims."""
    counted = [v for v in verdicts if v.checked]
    supported = sum(v.verdict == "supported" for v in counted)
    score = round(supported / len(counted), 4) if counted else (0.0 if verdicts else 1.0)
    return EvalResult(claims=verdicts, score=score)


def _run(coro: Coroutine[Any, Any, T]) -> T:
    """Run a coroutine from sync code, also when the caller is itself inside a running loop."""
    try:
        asyncio.get_running_loop()
    except RuntimeError:
        return aio.run(coro)
    with concurrent.futures.ThreadPoolExecutor(max_workers=1) as pool:
        return pool.submit(aio.run, coro).result()
