"""Is every claim of a report backed by its sources? Deterministic checks offline, an LLM judge optionally.

    check(report, sources[, judge]) → EvalResult
        split_claims (claims.py) ─ check_claim per claim (claims.py; tokens and source index in facts.py)
                                 └ Judge.review: fact claims asked with their best passages (optional)

The judge can sharpen a verdict but never overrule a deterministic failure: a number, date, code or
entity that no source has stays unsupported whatever the model says. It can rescue a claim that
failed only on lexical coverage (a free paraphrase), when it quotes evidence that is really in a
source; it can mark a supported claim contradicted, again with a quote that is verified; and
"unverifiable", or a quote that is in no source, makes the claim unsupported. Answers are cached
by a hash of the prompt version, model, claim and passages.

Public API (the CLI and the pipeline use these): Source, load_sources, sources_from_items, claims,
check, acheck, ClaimVerdict, EvalResult, Judge, make_judge.
"""

from __future__ import annotations

import asyncio
import concurrent.futures
import hashlib
import json
import os
import re
import tempfile
from collections.abc import Coroutine
from pathlib import Path
from typing import TYPE_CHECKING, Any, Literal, TypeVar

from pydantic import BaseModel, Field

from briefing.claims import Claim, ClaimVerdict, check_claim, plain, split_claims
from briefing.errors import ConfigError
from briefing.facts import Corpus, Passage, squash
from briefing.models import Item
from briefing.rules import Rules, load_rules
from briefing.sanitize import html_to_text

if TYPE_CHECKING:
    from langchain_core.language_models import BaseChatModel

    from briefing.config import LLMConfig
    from briefing.record import RunRecord

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
    "sources_from_items",
]

T = TypeVar("T")


class Source(BaseModel):
    name: str
    text: str


class EvalResult(BaseModel):
    claims: list[ClaimVerdict]
    score: float  # share of claims supported (1.0 for a report without claims)

    def contract_dict(self) -> dict:
        """The `briefing eval --json` shape of DESIGN.md, nothing more."""
        return {
            "claims": [
                {"text": c.text, "verdict": c.verdict, "reasons": list(c.reasons)}
                for c in self.claims
            ],
            "score": self.score,
        }


# -- sources -----------------------------------------------------------------------------------


def _read(path: Path) -> str:
    try:
        data = path.read_bytes()
    except FileNotFoundError:
        raise ConfigError(f"{path}: source file not found") from None
    except IsADirectoryError:
        raise ConfigError(f"{path}: is a directory, not a source file") from None
    except OSError as e:
        raise ConfigError(f"{path}: cannot read source file: {e.strerror or e}") from None
    for encoding in ("utf-8-sig", "gb18030"):
        try:
            return data.decode(encoding)
        except UnicodeDecodeError:
            continue
    raise ConfigError(f"{path}: source file is neither UTF-8 nor GB18030 text")


def load_sources(paths: list[Path]) -> list[Source]:
    """Plain text, Markdown or HTML files as sources; HTML is reduced to its visible text."""
    out = []
    for path in map(Path, paths):
        text = _read(path)
        head = text.lstrip()[:200].lower()
        if path.suffix.lower() in (".html", ".htm", ".xhtml") or head.startswith(
            ("<!doctype html", "<html")
        ):
            text = html_to_text(text)
        elif path.suffix.lower() in (".md", ".markdown"):
            text = "\n".join(
                plain(re.sub(r"^\s*(#{1,6}|>|[-*+])\s+", "", line)) for line in text.splitlines()
            )
        out.append(Source(name=path.name, text=text))
    return out


def sources_from_items(items: list[Item]) -> list[Source]:
    """One source per feed item: its title and summary, named by feed and link."""
    return [
        Source(
            name=" ".join(p for p in (i.source, i.link) if p),
            text="\n".join(p for p in (i.title, i.summary) if p),
        )
        for i in items
    ]


def claims(report_markdown: str) -> list[str]:
    """The report body split into claims; see briefing.claims for what counts and why."""
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
    supported = sum(v.verdict == "supported" for v in verdicts)
    return EvalResult(
        claims=verdicts, score=round(supported / len(verdicts), 4) if verdicts else 1.0
    )


def _run(coro: Coroutine[Any, Any, T]) -> T:
    """Run a coroutine from sync code, also when the caller is itself inside a running loop."""
    try:
        asyncio.get_running_loop()
    except RuntimeError:
        return asyncio.run(coro)
    with concurrent.futures.ThreadPoolExecutor(max_workers=1) as pool:
        return pool.submit(asyncio.run, coro).result()


# -- the LLM judge -----------------------------------------------------------------------------

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
        self.path.parent.mkdir(parents=True, exist_ok=True)
        fd, tmp = tempfile.mkstemp(dir=self.path.parent, prefix=".judge-", suffix=".json")
        with os.fdopen(fd, "w", encoding="utf-8") as f:
            json.dump(self.cache, f, ensure_ascii=False, indent=1)
        os.replace(tmp, self.path)

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
