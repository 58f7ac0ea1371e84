"""The offline writer: fills EventAnalysis deterministically, with no model and no network.

Summary and 深度解读 are the sources' own sentences (never a sentence that gives orders to a
model); 影响 and 投资启示 come from the rules table (rules.yaml), each bullet keeping the id of
the rule that produced it. Same event in, same text out.
"""

from __future__ import annotations

import re

from briefing.config import Settings
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
from briefing.rules import Kind, Rules, load_rules
from briefing.sanitize import is_instruction, md_inline, one_line, sentences

_CJK = re.compile(r"[\u4e00-\u9fff]")
MIN_IMPACTS = 3
MAX_IMPACTS = 5


def _bigrams(s: str) -> set[str]:
    s = re.sub(r"\s+", "", s)
    return {s[i : i + 2] for i in range(len(s) - 1)}


def _similar(a: str, b: str, threshold: float = 0.6) -> bool:
    x, y = _bigrams(a), _bigrams(b)
    return bool(x and y) and len(x & y) / min(len(x), len(y)) >= threshold


def event_text(event: Event) -> str:
    """Titles and summaries of an event's items: what rules are matched against."""
    return "\n".join(f"{i.title}\n{i.summary}" for i in event.items)


def event_time(items: list[Item]) -> str:
    """The earliest source time; a span of days when the story was told over more than one day."""
    times = sorted(i.published for i in items if i.published)
    if not times:
        return "时间未注明"
    first, last = times[0], times[-1]
    if (last - first).total_seconds() > 24 * 3600:
        return f"{first:%Y-%m-%d} 至 {last:%Y-%m-%d}"
    return f"{first:%Y-%m-%d %H:%M}"


class OfflineWriter:
    """Writer without an LLM; see the module docstring for where each section comes from."""

    name = "offline"

    def __init__(self, settings: Settings | None = None, rules: Rules | None = None) -> None:
        self.settings = settings
        self.rules = rules or load_rules()

    # -- the pieces -------------------------------------------------------------------------

    def kind_of(self, event: Event) -> Kind:
        if event.kind:
            try:
                return self.rules.kind(event.kind)
            except KeyError:
                pass
        return self.rules.classify(event_text(event))

    def _ordered_items(self, event: Event) -> list[Item]:
        """Chinese sources first (the report is in Chinese), then as rank ordered them."""
        return sorted(event.items, key=lambda i: 0 if _CJK.search(i.title + i.summary) else 1)

    def _facts(self, event: Event) -> list[tuple[Item, str]]:
        """Each source sentence once, in source order; orders to a model and near-repeats left out."""
        out: list[tuple[Item, str]] = []
        for item in self._ordered_items(event):
            for s in sentences(item.summary):
                if len(s) < 8 or is_instruction(s) or any(_similar(s, t) for _, t in out):
                    continue
                out.append((item, md_inline(s)))
        return out

    def summary(self, event: Event) -> str:
        facts = self._facts(event)
        if not facts:
            return md_inline(event.title) + "。"
        lead = facts[0][0]
        chosen = [t for it, t in facts if it is lead][:2]
        return "".join(_end(t) for t in chosen)

    def insight(self, event: Event, kind: Kind) -> str:
        facts = self._facts(event)
        lead = facts[0][0] if facts else None
        others = [(it, t) for it, t in facts if it is not lead][:4]
        sources = "、".join(dict.fromkeys(md_inline(i.source) for i in event.items))
        paras = [
            f"本事件由{len(set(i.source for i in event.items))}个来源报道（{sources}），按事件类型归为“{kind.label}”。"
        ]
        by_source: dict[str, list[str]] = {}
        for it, t in others:
            by_source.setdefault(md_inline(it.source), []).append(_end(t))
        if by_source:
            paras.append("".join(f"据{src}，{_join(ts)}" for src, ts in by_source.items()))
        mechanisms = "".join(r.text for r in kind.impacts_for(event_text(event))[:2])
        paras.append(f"从{kind.label}类事件的一般传导看：{mechanisms}")
        return "\n\n".join(paras)

    def impacts(self, event: Event, kind: Kind) -> tuple[list[Impact], list[str]]:
        text = event_text(event)
        chosen = [(kind, r) for r in kind.impacts_for(text)][:MAX_IMPACTS]
        if len(chosen) < MIN_IMPACTS:
            fallback = self.rules.kinds[-1]
            assets = {r.asset for _, r in chosen}
            chosen += [(fallback, r) for r in fallback.impacts_for(text) if r.asset not in assets]
            chosen = chosen[: max(MIN_IMPACTS, len(chosen))]
        impacts = [
            Impact(asset=r.asset, stance=r.stance, text=r.text, rule=f"{k.id}/{r.asset}")
            for k, r in chosen
        ]
        return impacts, [i.rule for i in impacts if i.rule]

    # -- the Writer protocol ----------------------------------------------------------------

    def analyse(self, event: Event) -> Written:
        kind = self.kind_of(event)
        impacts, rule_ids = self.impacts(event, kind)
        ids = [i.id for i in event.items]
        analysis = EventAnalysis(
            title=md_inline(event.title),
            event_time=event_time(event.items),
            summary=self.summary(event),
            insight=self.insight(event, kind),
            impacts=impacts,
            takeaway=kind.takeaway,
            sources=ids,
            writer="offline",
        )
        return Written(
            analysis=analysis,
            provenance=Provenance(
                writer="offline", items=ids, rules=[f"{kind.id}/takeaway", *rule_ids]
            ),
        )

    async def write_event(self, event: Event) -> Written:
        return self.analyse(event)

    async def write_section(
        self, event: Event, current: EventAnalysis, section: Section, instruction: str | None = None
    ) -> Written:
        """The section as the morning run wrote it; the offline writer cannot follow an instruction."""
        fresh = self.analyse(event)
        field = {
            "summary": "summary",
            "insight": "insight",
            "impact": "impacts",
            "takeaway": "takeaway",
        }[section]
        analysis = current.model_copy(update={field: getattr(fresh.analysis, field)})
        return Written(analysis=analysis, provenance=fresh.provenance)

    async def write_headline(self, analyses: list[EventAnalysis], rest: list[Event]) -> Headline:
        """Headline from the top events' titles; tags and SEO words from the configured ones plus entities."""
        titles = [_short(a.title) for a in analyses[:3]]
        headline = one_line("，".join(titles)) if titles else "今日经济要闻"
        base_tags = list(self.settings.report.tags) if self.settings else ["经济日报"]
        base_seo = list(self.settings.report.seo) if self.settings else ["经济日报"]
        entities: list[str] = []
        for a in analyses:
            for name, _ in self.rules.entity_mentions(a.title + a.summary):
                if name not in entities:
                    entities.append(name)
        return Headline(
            headline=headline,
            tags=list(dict.fromkeys(base_tags)),
            seo=list(dict.fromkeys(base_seo + entities))[:8],
        )

    async def translate_titles(self, titles: list[str]) -> list[str | None]:
        """Without a model an English-only headline is left out of 一般事件, never published untranslated."""
        from briefing.write import needs_translation

        return [None if needs_translation(t) else t for t in titles]


def _short(title: str) -> str:
    """The head of a headline: the first clause of six or more characters (titles run long in feeds)."""
    for part in re.split(r"[：:，,；;|｜]|\s+(?=[\u4e00-\u9fffA-Z])", title):
        if len(part.strip()) >= 6:
            return part.strip()
    return title.strip()


def _join(sentences_: list[str]) -> str:
    """Chinese sentences run on; English ones get a space between them."""
    out = ""
    for s in sentences_:
        out += (" " if out and s[:1].isascii() and out[-1:].isascii() else "") + s
    return out if out[-1:] in "。！？；" else out + " "


def _end(sentence: str) -> str:
    """A sentence that ends in Chinese punctuation, so sentences can be joined without spaces."""
    s = sentence.strip()
    if s and s[-1] not in "。！？；.!?;":
        s += "。"
    return s
