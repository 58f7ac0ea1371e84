"""The offline writer: fills EventAnalysis deterministically, with no model and no network.

It is also the fallback when the LLM fails, so what it writes must be publishable as it is:
- summary and 深度解读 are the sources' most informative Chinese sentences (offline_text reads
  them: the decision and its size, the comparison with the previous value and the expectation,
  records, the market reaction, opinions that disagree), each placed once in the report;
- 影响, the closing sentence of 深度解读 and the advice of 投资启示 come from the rules table
  (rules.yaml), chosen by the event's kind and by the direction and surprise of its figure; each
  bullet keeps the id of the rule that produced it;
- 投资启示 names what to watch next: the dates and levels the sources give, else the kind's rule.
How a section was made (sources, kind, direction) goes to the run record (Provenance.notes), never
into the post. Same event in, same text out.
"""

from __future__ import annotations

from dataclasses import dataclass

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
from briefing.offline_text import (
    Fact,
    adds,
    compose_title,
    direction,
    facts,
    figures,
    is_chinese,
    levels,
    similar,
    surprise,
    tidy,
    vs_previous,
    watch_points,
)
from briefing.rules import Kind, Rules, load_rules
from briefing.sanitize import md_inline

MIN_IMPACTS = 3
MAX_IMPACTS = 5
HEADLINE_MAX = 40
_SAID = {"up": "回升", "down": "回落"}
_VS_EXPECTED = {"above": "高于市场预期", "below": "低于市场预期"}


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


@dataclass
class Reading:
    """What the writer knows about one event before it writes a word."""

    event: Event
    kind: Kind
    text: str
    facts: list[Fact]
    direction: str | None
    surprise: str | None


class OfflineWriter:
    """Writer without an LLM; see the module docstring for where each section comes from."""

    name = "offline"

    def __init__(self, settings: Settings | None = None, rules: Rules | None = None) -> None:
        self.settings = settings
        self.rules = rules or load_rules()
        self._themes: dict[tuple[str, ...], tuple[str, str]] = {}  # sources → (kind id, theme)

    # -- reading ----------------------------------------------------------------------------

    def kind_of(self, event: Event) -> Kind:
        if event.kind:
            try:
                return self.rules.kind(event.kind)
            except KeyError:
                pass
        return self.rules.classify(event_text(event))

    def read(self, event: Event) -> Reading:
        """The event as the writer sees it: for a kind with an actor (美联储, 日本央行…), only the
        items that name that actor — a story grouped in by a shared date or word stays out."""
        kind = self.kind_of(event)
        if len(kind.patterns) >= 2:
            actor = kind.patterns[0]
            on_story = [i for i in event.items if actor.search(f"{i.title}\n{i.summary}")]
            if on_story and len(on_story) < len(event.items):
                event = event.model_copy(update={"items": on_story})
        return Reading(
            event=event,
            kind=kind,
            text=event_text(event),
            facts=facts(event),
            direction=direction(event, kind.rises, kind.falls),
            surprise=surprise(event),
        )

    # -- the sections -----------------------------------------------------------------------

    def title(self, r: Reading) -> str:
        written = [w for i in r.event.items for _, w in self.rules.entity_mentions(tidy(i.title))]
        if any(is_chinese(i.title) for i in r.event.items):
            action = r.kind.patterns[-1] if r.kind.patterns else None
            actor = r.kind.patterns[0] if len(r.kind.patterns) >= 2 else None
            return compose_title(r.event, list(dict.fromkeys(written)), r.facts, action, actor)
        names = list(dict.fromkeys(n for n, _ in self.rules.entity_mentions(r.text)))[:1]
        return md_inline(f"{'、'.join(names) or '外电'}：{r.kind.label}")

    def summary(self, r: Reading, title: str) -> tuple[str, list[Fact]]:
        """The decision and its size (the sentence that states the title's figures and the kind's action), then what another sentence adds."""
        candidates = [f for f in r.facts if not f.dangling]
        if not candidates:
            return title + "。", []
        key = figures(title)
        action = r.kind.patterns[-1] if r.kind.patterns else None
        follows = {f.order - 1: f for f in r.facts if f.dangling}  # 「受此影响，…」 after its lead

        def told(f: Fact) -> set[str]:
            nxt = follows.get(f.order)
            return figures(f.text) | (figures(nxt.text) if nxt and nxt.item is f.item else set())

        lead = max(
            candidates,
            key=lambda f: (
                len(key & told(f)),
                bool(action and action.search(f.text)),
                "decision" in f.roles,
                -r.event.items.index(f.item),  # rank puts the story's best source first
                f.score,
                -f.order,
            ),
        )
        chosen = [lead]
        if len(lead.text) < 110:
            nxt = follows.get(lead.order)
            second = [
                f
                for f in candidates
                if f is not lead and f.roles - {"opinion", "watch"} and adds(f.text, [lead.text])
            ]
            if nxt and nxt.item is lead.item and adds(nxt.text, [lead.text]):
                second = [nxt]
            if second:
                chosen.append(max(second, key=lambda f: (f.score, -f.order)))
        chosen.sort(key=lambda f: f.order)
        return "".join(_end(f.text) for f in chosen), chosen

    def insight(self, r: Reading, used: list[Fact], bullets: list[str]) -> str:
        """Comparison and history, then the market and the views (disagreement first), then the mechanism.

        A sentence is placed only when it adds something (offline_text.adds); 他/其/但… sentences
        only right after the one they follow in their source.
        """
        rest = [f for f in r.facts if f not in used]
        placed = list(used)

        def fits(f: Fact) -> bool:
            if not adds(f.text, [p.text for p in placed]):
                return False
            return not f.dangling or any(
                p.item is f.item and p.order == f.order - 1 for p in placed
            )

        def pick(roles: set[str], n: int) -> list[Fact]:
            got: list[Fact] = []
            for _ in range(2):  # a second pass lets in a 但… sentence whose lead got placed
                for f in sorted(rest, key=lambda f: (-f.score, f.order)):
                    if f.roles & roles and f not in got and len(got) < n and fits(f):
                        got.append(f)
                        placed.append(f)
            for f in got:
                rest.remove(f)
            return sorted(got, key=lambda f: f.order)

        paras: list[str] = []
        verdict = ""
        if r.kind.reading and r.surprise:
            moved = vs_previous(r.event)
            verdict = _VS_EXPECTED[r.surprise] + (f"，且较前值{_SAID[moved]}" if moved else "")
            verdict = f"这一读数{verdict}。"
        disagreement = pick({"contrast"}, 2)  # first, so a disagreement is told as one
        context = pick({"previous", "expectation", "record", "decision"}, 2)
        if verdict or context:
            paras.append(verdict + "".join(_end(f.text) for f in context))
        market = pick({"market"}, 2)
        views = sorted(
            disagreement + pick({"opinion"}, 3 - len(disagreement)), key=lambda f: f.order
        )
        if market:
            paras.append("".join(_end(f.text) for f in market))
        if views:
            lead = "看法并不一致：" if any("contrast" in f.roles for f in views) else ""
            paras.append(lead + "".join(_end(f.text) for f in views))
        mechanism = r.kind.clause("mechanism", r.text, r.direction, r.surprise)
        if mechanism and not any(similar(mechanism, b) for b in bullets):
            paras.append(mechanism)
        return "\n\n".join(_fold_short(paras)) or self.title(r) + "。"

    def impacts(self, r: Reading) -> tuple[list[Impact], list[str]]:
        """One bullet per asset from the first rule that fits the event's direction and surprise."""
        chosen = [(r.kind, x) for x in r.kind.impacts_for(r.text, r.direction, r.surprise)]
        stocks = [x for _, x in chosen if x.asset in ("股市", "A股")]
        if len(stocks) == 2 and stocks[0].stance == stocks[1].stance:
            drop = "股市" if _is_china(r.text) else "A股"
            chosen = [(k, x) for k, x in chosen if x.asset != drop]
        if len(chosen) < MIN_IMPACTS:
            fallback = self.rules.kinds[-1]
            assets = {x.asset for _, x in chosen}
            chosen += [(fallback, x) for x in fallback.impacts_for(r.text) if x.asset not in assets]
        chosen = chosen[:MAX_IMPACTS]
        impacts = [
            Impact(asset=x.asset, stance=x.stance, text=x.text, rule=f"{k.id}/{x.asset}")
            for k, x in chosen
        ]
        return impacts, [i.rule for i in impacts if i.rule]

    def takeaway(self, r: Reading) -> tuple[str, str]:
        """The kind's advice for this direction, then what to watch: the sources' dates, else the rule's; and a level the sources give."""
        advice = (
            r.kind.clause("advice", r.text, r.direction, r.surprise) or r.kind.takeaway
        ).rstrip("。；")
        points = watch_points(r.facts)[:2]
        level = levels(r.facts, r.kind.levels)
        watch = "、".join(points) or r.kind.watch
        text = f"{advice}；下一步看{watch}"
        if level:
            text += f"，并留意{level[0]}一线"
        return text + "。", "sources" if points else "rules"

    # -- the Writer protocol ----------------------------------------------------------------

    def analyse(self, event: Event) -> Written:
        r = self.read(event)
        impacts, rule_ids = self.impacts(r)
        title = self.title(r)
        summary, used = self.summary(r, title)
        takeaway, watch_from = self.takeaway(r)
        ids = [i.id for i in event.items]
        theme = r.kind.clause("theme", r.text, r.direction, r.surprise) or r.kind.label
        self._themes[tuple(ids)] = (r.kind.id, theme)
        analysis = EventAnalysis(
            title=title,
            event_time=event_time(r.event.items),
            summary=summary,
            insight=self.insight(r, used, [i.text for i in impacts]),
            impacts=impacts,
            takeaway=takeaway,
            sources=ids,
            writer="offline",
        )
        sources = list(dict.fromkeys(i.source for i in event.items))
        notes = [
            f"本事件由{len(sources)}个来源报道（{'、'.join(sources)}），按事件类型归为“{r.kind.label}”（{r.kind.id}）",
            f"方向：{r.direction or '未判明'}；预期：{r.surprise or '未提及'}",
            f"摘要与解读取自{len(r.facts)}句中文来源句；英文来源不引用",
            f"投资启示的观察点来自{'来源' if watch_from == 'sources' else '规则表'}",
        ]
        left_out = [i.title for i in event.items if i not in r.event.items]
        if left_out:
            notes.append(f"未采用（不涉及{r.kind.label}的主体）：{'；'.join(left_out)}")
        return Written(
            analysis=analysis,
            provenance=Provenance(
                writer="offline",
                items=ids,
                rules=[f"{r.kind.id}/takeaway", *rule_ids],
                notes=notes,
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
        """A theme of the day from the top events' kinds and directions; tags and SEO words from settings plus entities."""
        base_tags = list(self.settings.report.tags) if self.settings else ["经济日报"]
        base_seo = list(self.settings.report.seo) if self.settings else ["经济日报"]
        entities: list[str] = []
        for a in analyses:
            for name, _ in self.rules.entity_mentions(a.title + a.summary):
                if name not in entities:
                    entities.append(name)
        return Headline(
            headline=self.headline(analyses),
            tags=list(dict.fromkeys(base_tags)),
            seo=list(dict.fromkeys(base_seo + entities))[:8],
        )

    async def translate_titles(self, titles: list[str]) -> list[str | None]:
        """Without a model an English-only headline is left out of 一般事件, never published untranslated."""
        from briefing.write import needs_translation

        return [None if needs_translation(t) else t for t in titles]

    def headline(self, analyses: list[EventAnalysis]) -> str:
        """「theme of the day：event themes」 within HEADLINE_MAX characters, never the titles joined."""
        found = [self._themes.get(tuple(a.sources)) for a in analyses[:3]]
        kinds = [k for k, _ in filter(None, found)]
        general = self.rules.kinds[-1].id
        themes = list(dict.fromkeys(t for k, t in filter(None, found) if k != general))
        if len(analyses) == 1 and len(analyses[0].title) <= HEADLINE_MAX:
            return analyses[0].title  # one story: its title is the day's theme
        if not themes:
            return "今日经济要闻"
        day = next((t.text for t in self.rules.themes if set(t.kinds) <= set(kinds)), "")
        head = f"{day}：" if day else ""
        out = head + themes[0]
        for t in themes[1:]:
            if len(out) + 1 + len(t) <= HEADLINE_MAX:
                out += f"，{t}"
        return out


def publishable(top: list[Event], rest: list[Event]) -> tuple[list[Event], list[Event]]:
    """Top events the offline writer can tell in Chinese: an event with no Chinese source gives way
    to the best-ranked story that has one (offline, English is never quoted), and joins the rest."""

    def chinese(e: Event) -> bool:
        return any(is_chinese(i.title) for i in e.items)

    keep = [e for e in top if chinese(e)]
    swap = [e for e in rest if chinese(e)][: len(top) - len(keep)]
    if not swap:
        return top, rest
    new_top = sorted(keep + swap, key=lambda e: -e.score)
    gone = [e for e in top if e not in new_top]
    new_rest = sorted([e for e in rest if e not in swap] + gone, key=lambda e: -e.score)
    return new_top, new_rest


def _fold_short(paras: list[str], short: int = 40) -> list[str]:
    """A one-line paragraph joins the next one (the closing mechanism stays a paragraph of its own)."""
    out: list[str] = []
    for k, p in enumerate(paras):
        if out and len(out[-1]) < short and k < len(paras) - 1:
            out[-1] += p
        else:
            out.append(p)
    return out


def _is_china(text: str) -> bool:
    return any(w in text for w in ("中国", "国内", "A股", "国家统计局", "人民银行", "沪指"))


def _end(sentence: str) -> str:
    """A sentence that ends in Chinese punctuation, so sentences can be joined without spaces."""
    s = sentence.strip().rstrip("；;，,")
    if s and s[-1] not in "。！？":
        s = s.rstrip(".!?") + "。"
    return s
