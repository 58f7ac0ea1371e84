"""The LLM writer: each top event's 事件概述 / 深度解读 / 影响 / 投资启示 as schema-checked JSON.

What the model fills is `EventDraft` (title, summary, insight, ≥3 impacts, takeaway); the event
time and the source ids are filled by code from the event's items, never by the model. Prompts
are `prompts/system.md.j2` plus one template per call (event, section, headline), the feed text
fenced as untrusted data. Every call, good or failed, is kept in `LLMWriter.calls`.

Failure policy, per event:
- The model never gives valid JSON (AnalysisError), or the endpoint keeps failing after the
  transport retries (429/5xx/timeouts/connection errors, or any other 4xx such as a content
  filter's 400): that event alone falls back to the offline writer. Its analysis says
  writer="offline", its Provenance carries `fallback_reason` plus the LLM attempts, last raw
  answer and usage; the reason is also appended to `LLMWriter.fallbacks` for the CLI to show.
  The other events keep their LLM text.
- A configuration error (HTTP 401/402/403/404, or quota exhausted) would fail every event the
  same way: LLMError is raised and the run stops (exit 7) instead of silently going offline.

Headline: one small LLM call from the written events (titles, summaries, takeaways) and the
other headlines, giving the headline, tags and SEO words; the configured report tags/SEO words
come first. Should it fail, the offline writer's rule-made headline stands in.

write_section: exactly one ask_json call for one section; every other field is kept. An editor
asked for it, so failures are raised, not papered over with offline text.
"""

from __future__ import annotations

from typing import Annotated, Any

from langchain_core.language_models import BaseChatModel
from langchain_core.messages import BaseMessage, HumanMessage, SystemMessage
from pydantic import BaseModel, ConfigDict, Field, ValidationError, field_validator

from briefing.config import Settings
from briefing.errors import LLMError
from briefing.llm import (
    DEFAULT_BACKOFF,
    Backoff,
    CallRecord,
    FormatMemory,
    ask_json,
    make_chat_model,
    render_prompt,
)
from briefing.models import (
    Event,
    EventAnalysis,
    Headline,
    Impact,
    Item,
    Provenance,
    Section,
    Written,
)
from briefing.offline import OfflineWriter, event_time
from briefing.rules import Rules
from briefing.sanitize import one_line
from briefing.write import Writer

MAX_ITEMS = 8  # source items per prompt (rank puts the best first)
MAX_CHARS = 1200  # characters of each item's text
STANCES = ("利多", "利空", "中性", "分化")

# -- what the model fills -----------------------------------------------------------------------

Title = Annotated[str, Field(min_length=4, max_length=60, description="一句话标题，15–30字")]
Summary = Annotated[
    str, Field(min_length=10, description="事实段落，2–4句，只用来源中的事实和数字")
]
Insight = Annotated[str, Field(min_length=20, description="深度解读 & 洞察，2–3段，段落间空一行")]
Takeaway = Annotated[str, Field(min_length=6, description="投资启示：一到三个具体动作，用分号分隔")]


class ImpactDraft(BaseModel):
    model_config = ConfigDict(extra="ignore")

    asset: str = Field(
        min_length=1, max_length=12, description="资产名，不带“对”字，如 美元、黄金/白银、A股"
    )
    stance: str = Field(
        min_length=2,
        max_length=16,
        description="利多 / 利空 / 中性 / 分化，可加限定词，如 短期利空",
    )
    text: str = Field(min_length=4, description="一两句理由，说明传导路径")

    @field_validator("asset")
    @classmethod
    def _no_dui(cls, v: str) -> str:
        v = v.strip().removeprefix("对").strip()
        if not v:
            raise ValueError("资产名不能为空")
        return v

    @field_validator("stance")
    @classmethod
    def _stance(cls, v: str) -> str:
        if not any(s in v for s in STANCES):
            raise ValueError(
                "stance 必须包含 利多、利空、中性、分化 之一（可加限定词，如 短期利空）"
            )
        return v.strip()


Impacts = Annotated[
    list[ImpactDraft], Field(min_length=3, max_length=6, description="3–5条，每条一类资产")
]


class EventDraft(BaseModel):
    """One event section as the model writes it."""

    model_config = ConfigDict(extra="ignore")

    title: Title
    summary: Summary
    insight: Insight
    impacts: Impacts
    takeaway: Takeaway


class SummaryDraft(BaseModel):
    summary: Summary


class InsightDraft(BaseModel):
    insight: Insight


class ImpactsDraft(BaseModel):
    impacts: Annotated[
        list[ImpactDraft], Field(min_length=1, max_length=6, description="通常3–5条")
    ]


class TakeawayDraft(BaseModel):
    takeaway: Takeaway


class HeadlineDraft(BaseModel):
    model_config = ConfigDict(extra="ignore")

    headline: str = Field(min_length=4, max_length=60, description="总标题，15–35字")
    tags: list[Annotated[str, Field(min_length=1, max_length=12)]] = Field(
        max_length=6, description="2–4个主题标签"
    )
    seo: list[Annotated[str, Field(min_length=1, max_length=16)]] = Field(
        max_length=8, description="3–6个关键词"
    )


# section -> (EventAnalysis field, draft model, label used in the prompt)
SECTIONS: dict[str, tuple[str, type[BaseModel], str]] = {
    "summary": ("summary", SummaryDraft, "事件概述"),
    "insight": ("insight", InsightDraft, "深度解读 & 洞察"),
    "impact": ("impacts", ImpactsDraft, "影响"),
    "takeaway": ("takeaway", TakeawayDraft, "投资启示"),
}


class LLMWriter:
    """Writer over any langchain-core chat model; see the module docstring for the failure policy."""

    name = "llm"

    def __init__(
        self,
        settings: Settings,
        model: BaseChatModel | None = None,
        *,
        fallback: Writer | None = None,
        rules: Rules | None = None,
        backoff: Backoff = DEFAULT_BACKOFF,
    ) -> None:
        self.settings = settings
        self.config = settings.llm
        self.model = model if model is not None else make_chat_model(self.config)
        self.fallback: Writer = fallback if fallback is not None else OfflineWriter(settings, rules)
        self.backoff = backoff
        self.formats = FormatMemory(self.config.response_format)  # detected once, kept for the run
        self.calls: list[CallRecord] = []
        self.fallbacks: list[str] = []

    # -- plumbing ------------------------------------------------------------------------------

    def _items(self, items: list[Item]) -> list[dict[str, str]]:
        tz = self.settings.tz
        return [
            {
                "source": one_line(i.source),
                "published": i.published.astimezone(tz).strftime("%Y-%m-%d %H:%M")
                if i.published
                else "未注明",
                "title": one_line(i.title),
                "summary": i.summary.strip() or "（无正文，仅标题）",
            }
            for i in items
        ]

    def _local(self, items: list[Item]) -> list[Item]:
        """Items with `published` in the report's time zone, so 事件时间 reads as local time."""
        tz = self.settings.tz
        return [
            i.model_copy(update={"published": i.published.astimezone(tz)}) if i.published else i
            for i in items
        ]

    def messages(self, template: str, **context: Any) -> list[BaseMessage]:
        """System role plus the rendered user prompt for one call."""
        return [
            SystemMessage(content=render_prompt("system.md.j2")),
            HumanMessage(content=render_prompt(template, **context)),
        ]

    async def _ask(
        self, messages: list[BaseMessage], schema: type[BaseModel], purpose: str
    ) -> tuple[Any, CallRecord]:
        try:
            value, record = await ask_json(
                self.model,
                messages,
                schema,
                config=self.config,
                purpose=purpose,
                formats=self.formats,
                backoff=self.backoff,
            )
        except LLMError as exc:
            if (record := exc.record) is not None:
                self.calls.append(record)
            raise
        self.calls.append(record)
        return value, record

    @staticmethod
    def _provenance(items: list[Item], record: CallRecord) -> Provenance:
        return Provenance(
            writer="llm",
            items=[i.id for i in items],
            prompt_sha256=record.prompt_sha256,
            raw=record.raw,
            usage=record.usage.model_dump(),
            attempts=record.attempts,
        )

    async def _fall_back(self, event: Event, exc: LLMError) -> Written:
        written = await self.fallback.write_event(event)
        record: CallRecord | None = exc.record
        reason = one_line(str(exc))
        self.fallbacks.append(reason)
        update: dict[str, Any] = {"fallback_reason": reason}
        if record is not None:
            update |= {
                "prompt_sha256": record.prompt_sha256,
                "raw": record.raw,
                "usage": record.usage.model_dump(),
                "attempts": record.attempts,
            }
        return Written(
            analysis=written.analysis, provenance=written.provenance.model_copy(update=update)
        )

    # -- the Writer protocol ---------------------------------------------------------------------

    async def write_event(self, event: Event) -> Written:
        """One LLM call (with re-asks) for the event; the offline writer stands in if it fails."""
        items = event.items[:MAX_ITEMS]
        messages = self.messages(
            "event.md.j2", items=self._items(items), max_chars=MAX_CHARS, previous=event.previous
        )
        try:
            draft, record = await self._ask(
                messages, EventDraft, purpose=f"event「{one_line(event.title)[:30]}」"
            )
            analysis = EventAnalysis(
                title=draft.title,
                event_time=event_time(self._local(items)),
                summary=draft.summary,
                insight=draft.insight,
                impacts=[Impact(**i.model_dump()) for i in draft.impacts],
                takeaway=draft.takeaway,
                sources=[i.id for i in items],
                writer="llm",
            )
        except LLMError as exc:
            if exc.fatal:
                raise
            return await self._fall_back(event, exc)
        except ValidationError as exc:  # harmless() emptied a field: treat as a bad answer
            err = LLMError(
                f"event「{one_line(event.title)[:30]}」: answer unusable after cleaning ({exc.error_count()} errors)"
            )
            return await self._fall_back(event, err)
        return Written(analysis=analysis, provenance=self._provenance(items, record))

    async def write_section(
        self, event: Event, current: EventAnalysis, section: Section, instruction: str | None = None
    ) -> Written:
        """`current` with only `section` rewritten, in one LLM call; failures are raised."""
        field, schema, label = SECTIONS[section]
        items = event.items[:MAX_ITEMS]
        current_view = current.model_dump(
            include={"title", "event_time", "summary", "insight", "takeaway"}
        )
        current_view["impacts"] = [
            i.model_dump(include={"asset", "stance", "text"}) for i in current.impacts
        ]
        messages = self.messages(
            "section.md.j2",
            items=self._items(items),
            max_chars=MAX_CHARS,
            current=current_view,
            field=field,
            section_label=label,
            instruction=(instruction or "").strip()[:1000],
        )
        draft, record = await self._ask(
            messages, schema, purpose=f"rerun {section}「{one_line(current.title)[:30]}」"
        )
        value = getattr(draft, field)
        if field == "impacts":
            value = [Impact(**i.model_dump()).model_dump() for i in value]
        analysis = EventAnalysis.model_validate({**current.model_dump(), field: value})
        return Written(analysis=analysis, provenance=self._provenance(items, record))

    async def write_headline(self, analyses: list[EventAnalysis], rest: list[Event]) -> Headline:
        """One small LLM call; configured tags/SEO words first; the offline rule if the call fails."""
        if not analyses:
            return await self.fallback.write_headline(analyses, rest)
        report = self.settings.report
        messages = self.messages(
            "headline.md.j2",
            analyses=[a.model_dump(include={"title", "summary", "takeaway"}) for a in analyses],
            rest=[one_line(e.title) for e in rest[: report.general_max]],
        )
        try:
            draft, _ = await self._ask(messages, HeadlineDraft, purpose="headline")
        except LLMError as exc:
            if exc.fatal:
                raise
            self.fallbacks.append(one_line(str(exc)))
            return await self.fallback.write_headline(analyses, rest)
        return Headline(
            headline=one_line(draft.headline),
            tags=list(dict.fromkeys([*report.tags, *map(one_line, draft.tags)]))[:6],
            seo=list(dict.fromkeys([*report.seo, *map(one_line, draft.seo)]))[:8],
        )

    # -- for the closing summary --------------------------------------------------------------------

    def totals(self) -> dict[str, float]:
        """Calls, answers, transport retries, tokens and summed call seconds over the run."""
        return {
            "calls": len(self.calls),
            "attempts": sum(c.attempts for c in self.calls),
            "transport_retries": sum(c.transport_retries for c in self.calls),
            "prompt_tokens": sum(c.usage.prompt_tokens for c in self.calls),
            "completion_tokens": sum(c.usage.completion_tokens for c in self.calls),
            "total_tokens": sum(c.usage.total_tokens for c in self.calls),
            "seconds": round(sum(c.seconds for c in self.calls), 3),
        }
