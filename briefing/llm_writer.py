"""The LLM writer: each top event's 事件概述 / 深度解读 / 影响 / 投资启示 as schema-checked JSON.

What the model fills is `EventDraft` (llm_drafts.py: title, summary, insight, ≥3 impacts,
takeaway); the event time and the source ids are filled by code from the event's items, never by
the model. Prompts are `prompts/system.md.j2` plus one template per call (event, section,
headline, translate), the feed text fenced as untrusted data. Every call, good, cached or failed,
is kept in `LLMWriter.calls`; answers go through the run's AnswerCache and TokenBudget
(llm_cache.py), and a call the budget refuses falls back like any other failed call.

Failure policy, per event:
- The model never gives valid JSON (AnalysisError), or the endpoint keeps failing after the
  transport retries (429/5xx/timeouts/connection errors, or any other 4xx such as a content
  filter's 400): that event alone falls back to the offline writer. Its analysis says
  writer="offline", its Provenance carries `fallback_reason` plus the LLM attempts, last raw
  answer and usage; the reason is also appended to `LLMWriter.fallbacks` for the CLI to show.
  The other events keep their LLM text.
- A configuration error (HTTP 401/402/403/404, or quota exhausted) would fail every event the
  same way: LLMError is raised and the run stops (exit 7) instead of silently going offline.

Headline: one small LLM call in the same round as the events (`headline_from_events`): it sees
the ranked events, their items' headlines and leads, and the rule-made headline as a draft to
improve; the configured report tags/SEO words come first. Should it fail, the rule stands in.

一般事件: English-only headlines are translated in one batched call (`translate_titles`); a
headline that gets no translation is left out, never published in English.

write_section: exactly one ask_json call for one section; every other field is kept. An editor
asked for it, so failures are raised, not papered over with offline text.
"""

from __future__ import annotations

import asyncio
from typing import TYPE_CHECKING, Any

from pydantic import BaseModel, ValidationError

from briefing.config import Settings
from briefing.errors import ConfigError, LLMError
from briefing.llm import (
    DEFAULT_BACKOFF,
    Backoff,
    CallRecord,
    FormatMemory,
    ask_json,
    cached_answer,
    render_prompt,
)
from briefing.llm_cache import AnswerCache, TokenBudget
from briefing.llm_drafts import SECTIONS, EventDraft, HeadlineDraft, TranslationsDraft
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
from briefing.write import Writer, needs_translation

if TYPE_CHECKING:  # langchain-core is imported when a request is made, not with this module
    from langchain_core.language_models import BaseChatModel
    from langchain_core.messages import BaseMessage

Wire = list[dict[str, str]]  # messages as sent: [{"role": "system"|"user", "content": text}]

MAX_ITEMS = 8  # source items per prompt (rank puts the best first)
MAX_CHARS = 1200  # characters of each item's text


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
        read_cache: bool = True,
    ) -> None:
        self.settings = settings
        self.config = settings.llm
        if model is None and not self.config.configured:
            raise ConfigError(
                "no LLM configured: set OPENAI_API_KEY (and OPENAI_BASE_URL for other providers)"
            )
        self._model = model  # the OpenAI adapter is made (and imported) on the first request
        self.fallback: Writer = fallback if fallback is not None else OfflineWriter(settings, rules)
        self.backoff = backoff
        self.formats = FormatMemory(self.config.response_format)  # detected once, kept for the run
        self.cache = AnswerCache.for_settings(settings.cache_dir, self.config, read=read_cache)
        self.budget = TokenBudget(self.config.max_tokens_per_run)
        self.calls: list[CallRecord] = []
        self.fallbacks: list[str] = []

    @property
    def model(self) -> BaseChatModel:
        """The chat model: the one given, else the configured OpenAI-compatible endpoint."""
        if self._model is None:
            from briefing.llm_wire import make_chat_model

            self._model = make_chat_model(self.config)
        return self._model

    @property
    def model_name(self) -> str:
        """The model as the cache key and the record name it, without making the adapter."""
        return str(getattr(self._model, "model_name", None) or self.config.model)

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

    def prompt(self, template: str, **context: Any) -> Wire:
        """System role plus the rendered user prompt for one call, as sent on the wire."""
        return [
            {"role": "system", "content": render_prompt("system.md.j2")},
            {"role": "user", "content": render_prompt(template, **context)},
        ]

    def messages(self, template: str, **context: Any) -> list[BaseMessage]:
        """The same as langchain-core messages (what the chat model takes)."""
        return _messages(self.prompt(template, **context))

    async def _ask(
        self, prompt: Wire, schema: type[BaseModel], purpose: str
    ) -> tuple[Any, CallRecord]:
        """The cache first (no import of the wire for an answer on disk), then ask_json."""
        if self.cache is not None:
            hit = cached_answer(self.cache, prompt, schema, self.model_name, self.config, purpose)
            if hit is not None:
                self.calls.append(hit[1])
                return hit
        try:
            value, record = await ask_json(
                self.model,
                _messages(prompt),
                schema,
                config=self.config,
                purpose=purpose,
                formats=self.formats,
                backoff=self.backoff,
                cache=self.cache,
                budget=self.budget,
                looked_up=True,
            )
        except LLMError as exc:
            if (record := exc.record) is not None:
                self.calls.append(record)
            raise
        self.calls.append(record)
        return value, record

    async def _ask_or_none(self, prompt: Wire, schema: type[BaseModel], purpose: str) -> Any:
        """For report-level calls with a rule to fall back on: None (reason kept) unless fatal."""
        try:
            value, _ = await self._ask(prompt, schema, purpose)
        except LLMError as exc:
            if exc.fatal:
                raise
            self.fallbacks.append(one_line(str(exc)))
            return None
        return value

    @staticmethod
    def _provenance(items: list[Item], record: CallRecord) -> Provenance:
        return Provenance(
            writer="llm",
            model=record.model,
            cached=record.cached,
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
        messages = self.prompt(
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
        messages = self.prompt(
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
        # the rest is the editor's text as parsed back: taken as it is (no writer named)
        analysis = EventAnalysis.model_validate(
            {**current.model_dump(exclude={"writer"}), field: value}
        ).model_copy(update={"writer": current.writer})
        return Written(analysis=analysis, provenance=self._provenance(items, record))

    async def write_headline(self, analyses: list[EventAnalysis], rest: list[Event]) -> Headline:
        """From written sections (the rule when the call fails); write_all uses headline_from_events."""
        if not analyses:
            return await self.fallback.write_headline(analyses, rest)
        events = [{"title": a.title, "lines": [a.summary], "lead": a.takeaway} for a in analyses]
        rule = await self.fallback.write_headline(analyses, rest)
        return await self._headline(events, rest, rule)

    async def headline_from_events(self, top: list[Event], rest: list[Event]) -> Headline:
        """The headline in the same round as the events: from what the ranked events and their
        items say, with the rule-made headline as the draft the model improves on."""
        # a writer of its own: the fallback remembers what it said, and a fallen-back event must
        # still get its whole text
        drafter = OfflineWriter(self.settings, getattr(self.fallback, "rules", None))
        drafts = [(await drafter.write_event(e)).analysis for e in top]
        rule = await drafter.write_headline(drafts, rest)
        if not top:
            return rule
        events = [
            {
                "title": e.title,
                "lines": [one_line(i.title) for i in e.items[:4]],
                "lead": (e.items[0].summary if e.items else "") or "",
            }
            for e in top
        ]
        return await self._headline(events, rest, rule)

    async def _headline(
        self, events: list[dict[str, Any]], rest: list[Event], rule: Headline
    ) -> Headline:
        report = self.settings.report
        messages = self.prompt(
            "headline.md.j2",
            events=events,
            draft=rule.headline,
            rest=[one_line(e.title) for e in rest[: report.general_max]],
        )
        draft = await self._ask_or_none(messages, HeadlineDraft, purpose="headline")
        if draft is None:
            return rule
        return Headline(
            headline=one_line(draft.headline),
            tags=list(dict.fromkeys([*report.tags, *map(one_line, draft.tags)]))[:6],
            seo=list(dict.fromkeys([*report.seo, *map(one_line, draft.seo)]))[:8],
        )

    async def translate_titles(self, titles: list[str]) -> list[str | None]:
        """English-only headlines in Chinese, all in one call; None (left out) when it fails."""
        todo = [(n, t) for n, t in enumerate(titles, 1) if needs_translation(t)]
        out: list[str | None] = list(titles)
        if not todo:
            return out
        for n, _ in todo:
            out[n - 1] = None
        await asyncio.sleep(0)  # the events, scheduled alongside, reserve the token budget first
        messages = self.prompt("translate.md.j2", titles=[{"n": n, "text": t} for n, t in todo])
        draft = await self._ask_or_none(messages, TranslationsDraft, purpose="translate 一般事件")
        if draft is None:
            return out
        wanted = {n for n, _ in todo}
        for t in draft.titles:
            if t.n in wanted:
                out[t.n - 1] = one_line(t.zh)
        return out

    # -- for the closing summary --------------------------------------------------------------------

    def totals(self) -> dict[str, Any]:
        """Calls, cached answers, answers, transport retries, tokens, seconds and cost over the run."""
        costs = [c.cost for c in self.calls if c.cost is not None]
        return {
            "calls": len(self.calls),
            "cached": sum(1 for c in self.calls if c.cached),
            "attempts": sum(c.attempts for c in self.calls),
            "transport_retries": sum(c.transport_retries for c in self.calls),
            "prompt_tokens": sum(c.usage.prompt_tokens for c in self.calls),
            "completion_tokens": sum(c.usage.completion_tokens for c in self.calls),
            "total_tokens": sum(c.usage.total_tokens for c in self.calls),
            "seconds": round(sum(c.seconds for c in self.calls), 3),
            "cost": round(sum(costs), 8) if costs else None,
        }


def _messages(prompt: Wire) -> list[BaseMessage]:
    from langchain_core.messages import HumanMessage, SystemMessage

    kinds = {"system": SystemMessage, "user": HumanMessage}
    return [kinds[m["role"]](content=m["content"]) for m in prompt]
