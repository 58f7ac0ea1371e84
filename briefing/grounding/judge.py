"""The optional LLM judge: asked per fact claim for a verdict and a verbatim quote, which is verified.

The judge can sharpen a verdict but never overrule a deterministic failure: a number, date, code or
entity that no source has stays unsupported whatever the model says. It can rescue a claim that
failed only on lexical coverage (a free paraphrase), when it quotes evidence that is really in a
source; it can mark a supported claim contradicted, again with a quote that is verified; and
"unverifiable", or a quote that is in no source, makes the claim unsupported. Answers are cached
by a hash of the prompt version, model, claim and passages.
"""

from __future__ import annotations

import asyncio
import hashlib
import json
import re
from pathlib import Path
from typing import TYPE_CHECKING, Any, Literal

from pydantic import BaseModel, Field

from briefing.atomic import write_atomic
from briefing.errors import ConfigError
from briefing.grounding.claims import Claim
from briefing.grounding.corpus import Corpus, Passage
from briefing.grounding.text import squash
from briefing.grounding.verdict import ClaimVerdict

if TYPE_CHECKING:
    from langchain_core.language_models import BaseChatModel

    from briefing.config import LLMConfig
    from briefing.record import RunRecord


JUDGE_PROMPT_VERSION = "judge-1"


class JudgeAnswer(BaseModel):
    verdict: Literal["supported", "contradicted", "unverifiable"]
    evidence: str = Field(default="", description="原文摘录，逐字")


class Judge:
    """An LLM asked, per fact claim, for a verdict and a verbatim quote; the quote is then verified."""

    def __init__(
        self,
        model: BaseChatModel,
        *,
        config: LLMConfig | None = None,
        cache: dict[str, Any] | Path | str | None = None,
        top_k: int = 3,
        concurrency: int = 4,
    ) -> None:
        from briefing.config import LLMConfig

        self.model, self.config, self.top_k = model, config or LLMConfig(), top_k
        self.path = Path(cache) if isinstance(cache, str | Path) else None
        self.cache: dict[str, Any] = cache if isinstance(cache, dict) else self._load()
        self.calls = 0  # answers fetched from the model (cache misses)
        self.records: list[Any] = []
        self.concurrency = concurrency
        self._semaphore: asyncio.Semaphore | None = None

    def _load(self) -> dict[str, Any]:
        if self.path is None or not self.path.is_file():
            return {}
        try:
            data = json.loads(self.path.read_text(encoding="utf-8"))
        except (OSError, json.JSONDecodeError):
            return {}  # a damaged cache is only a cache: start afresh
        return data if isinstance(data, dict) else {}

    def _save(self) -> None:
        if self.path is None:
            return
        write_atomic(self.path, json.dumps(self.cache, ensure_ascii=False, indent=1), sync=False)

    def key(self, claim: str, passages: list[Passage]) -> str:
        model = str(
            getattr(self.model, "model_name", None)
            or getattr(self.model, "model", None)
            or self.config.model
        )
        blob = json.dumps(
            [JUDGE_PROMPT_VERSION, model, claim, [p.text for p in passages]], ensure_ascii=False
        )
        return hashlib.sha256(blob.encode("utf-8")).hexdigest()

    async def ask(self, claim: str, passages: list[Passage]) -> JudgeAnswer:
        """The model's answer for one claim, from the cache when the same question was asked before."""
        key = self.key(claim, passages)
        if key in self.cache:
            return JudgeAnswer.model_validate(self.cache[key])
        from langchain_core.messages import HumanMessage

        from briefing.llm import ask_json, render_prompt

        prompt = render_prompt("judge.md.j2", claim=claim, passages=passages)
        async with self._semaphore or asyncio.Semaphore(1):
            answer, record = await ask_json(
                self.model,
                [HumanMessage(content=prompt)],
                JudgeAnswer,
                config=self.config,
                purpose="judge",
            )
        self.calls += 1
        self.records.append(record)
        self.cache[key] = answer.model_dump()
        return answer

    async def review(
        self, parts: list[Claim], verdicts: list[ClaimVerdict], corpus: Corpus
    ) -> list[ClaimVerdict]:
        """The deterministic verdicts, sharpened by the model's where the module docstring allows."""
        self._semaphore = asyncio.Semaphore(self.concurrency)  # bound to this run's loop
        jobs = {
            i: corpus.passages(c.body, k=self.top_k)
            for i, (c, v) in enumerate(zip(parts, verdicts, strict=True))
            if not v.opinion and v.verdict != "contradicted"
        }
        jobs = {i: ps for i, ps in jobs.items() if ps}
        answers = await asyncio.gather(*(self.ask(parts[i].body, ps) for i, ps in jobs.items()))
        self._save()
        out = list(verdicts)
        for (i, _), answer in zip(jobs.items(), answers, strict=True):
            out[i] = _merge(verdicts[i], answer, corpus)
        return out


def _quoted_in(evidence: str, corpus: Corpus) -> bool:
    """Every piece of the quote (split at ellipses) is in one source, whitespace and punctuation aside."""
    pieces = [squash(p) for p in re.split(r"…+|\.{3,}", evidence)]
    pieces = [p for p in pieces if p]
    if not pieces or sum(map(len, pieces)) < 4:
        return False
    return any(all(p in text for p in pieces) for text in corpus.squashed)


def _merge(v: ClaimVerdict, answer: JudgeAnswer, corpus: Corpus) -> ClaimVerdict:
    quote = answer.evidence.strip()
    verified = _quoted_in(quote, corpus)
    reasons, kind = list(v.reasons), list(v.kind)
    hard = [k for k in kind if k != "coverage"]  # deterministic failures the judge cannot lift
    if answer.verdict == "supported" and verified:
        reasons.append(f"judge: supported by “{quote}”")
        if not hard:
            kind, reasons = [], [r for r in reasons if not r.startswith("no source passage covers")]
        verdict = "unsupported" if kind else "supported"
        return v.model_copy(
            update={"verdict": verdict, "reasons": reasons, "kind": kind, "evidence": quote}
        )
    if answer.verdict == "contradicted" and verified:
        reasons.append(f"judge: contradicted by “{quote}”")
        return v.model_copy(
            update={
                "verdict": "contradicted",
                "reasons": reasons,
                "kind": [*kind, "judge"],
                "evidence": quote,
            }
        )
    if answer.verdict == "unverifiable":
        reasons.append("judge: the passages neither confirm nor refute it (unverifiable)")
    else:
        reasons.append(f"judge said {answer.verdict}, but its quote is in no source: “{quote}”")
    return v.model_copy(
        update={"verdict": "unsupported", "reasons": reasons, "kind": [*kind, "judge"]}
    )


def make_judge(
    report: Path, record: RunRecord | None = None, *, env: dict[str, str] | None = None
) -> Judge:
    """The judge for `briefing eval --judge`: the run record's (or feeds.yaml's) model settings and
    today's environment for the key; temperature 0; answers cached in the cache dir."""
    from briefing.config import load_settings, settings_from_dict
    from briefing.llm import make_chat_model

    if record is not None:
        settings = settings_from_dict(
            record.settings, label=str(report), base_dir=report.parent, env=env
        )
    elif Path("feeds.yaml").is_file():
        settings = load_settings("feeds.yaml", env=env)
    else:
        settings = settings_from_dict(
            {"feeds": []}, label="environment", base_dir=Path.cwd(), env=env
        )
    if not settings.llm.configured:
        raise ConfigError(
            "--judge needs an LLM: set OPENAI_API_KEY (and OPENAI_BASE_URL for other providers)"
        )
    config = settings.llm.model_copy(update={"temperature": 0.0})
    cache = settings.cache_dir / "judge.json" if settings.cache_dir else None
    return Judge(make_chat_model(config), config=config, cache=cache)
