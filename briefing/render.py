"""Report ⇄ Markdown: a pure jinja2 render, and the parse back that rerun relies on.

`parse(render(r)).report == r`. `parse` also gives the character span of every event section,
so rerun replaces exactly one span and leaves every other byte of an edited file as it was.
"""

from __future__ import annotations

import re
from dataclasses import dataclass, field
from datetime import date
from pathlib import Path

import yaml
from jinja2 import Environment, FileSystemLoader, StrictUndefined

from briefing.errors import ReportFormatError
from briefing.models import EventAnalysis, Impact, Report, Section

TEMPLATES = Path(__file__).with_name("templates")
GENERAL_HEADING = "一般事件"
_STANCE_WORDS = re.compile(r"利多|利空|中性|分化|利好|支撑|承压|偏多|偏空|看多|看空|中立|震荡|波动")


def impact_line(i: Impact) -> str:
    body = f"{i.stance}。{i.text}" if i.stance else i.text
    return f"- **对{i.asset}**：{body}"


def impact_lines(impacts: list[Impact]) -> str:
    return "\n".join(impact_line(i) for i in impacts)


def section_text(analysis: EventAnalysis, section: Section) -> str:
    """The Markdown of one section exactly as the template writes it (what rerun splices in)."""
    match section:
        case "summary":
            return analysis.summary
        case "insight":
            return analysis.insight
        case "impact":
            return impact_lines(analysis.impacts)
        case "takeaway":
            return analysis.takeaway
    raise ValueError(section)


_env = Environment(
    loader=FileSystemLoader(TEMPLATES),
    undefined=StrictUndefined,
    trim_blocks=True,
    keep_trailing_newline=True,
    autoescape=False,
)
_env.filters["impact_lines"] = impact_lines


def front_matter(report: Report) -> dict:
    fm: dict = {
        "title": report.title,
        "date": report.date,
        "category": report.category,
        "tags": report.tags,
        "seo": report.seo,
    }
    if report.cover_image:
        fm["coverImage"] = report.cover_image
    fm.update(report.meta)
    return fm


def render(report: Report) -> str:
    """Report → publishable Markdown; front matter dumped by PyYAML, never string-formatted."""
    fm = yaml.safe_dump(
        front_matter(report),
        allow_unicode=True,
        sort_keys=False,
        default_flow_style=None,
        width=1_000_000,
    )
    return _env.get_template("report.md.j2").render(report=report, front_matter=fm)


# -- parse back ------------------------------------------------------------------------------

_FM = re.compile(r"\A---\r?\n(.*?)\r?\n---[ \t]*\r?\n", re.S)
_H2 = re.compile(r"^##[ \t]+(.*?)[ \t]*\r?$", re.M)
_TIME = re.compile(r"^事件时间[：:][ \t]*(.*?)[ \t]*\r?$", re.M)
_RECAP = re.compile(r"\A\s*^>[ \t]*前情[：:][ \t]*(.*?)[ \t]*\r?$", re.M)
_INSIGHT = re.compile(r"^###[ \t]*深度解读.*$", re.M)
_IMPACT = re.compile(r"^###[ \t]*影响[ \t]*\r?$", re.M)
_TAKEAWAY = re.compile(r"^>[ \t]*投资启示[：:][ \t]*(.*?)[ \t]*\r?$", re.M)
_BULLET = re.compile(r"^[-*][ \t]+\*\*对(.+?)\*\*[：:][ \t]*(.*?)[ \t]*$")
_GENERAL_LINE = re.compile(r"^[-*][ \t]+(.*?)[ \t]*$")
_KNOWN = {"title", "date", "category", "tags", "seo", "coverImage"}

Span = tuple[int, int]


@dataclass
class Parsed:
    """A report read back from Markdown, with where each event's sections sit in the text."""

    report: Report
    text: str
    spans: list[dict[str, Span]] = field(default_factory=list)  # per event: section -> (start, end)

    def replace(self, event: int, section: Section, new: str) -> str:
        """The text with one section (event is 0-based) replaced; every other byte kept."""
        start, end = self.spans[event][section]
        return self.text[:start] + new + self.text[end:]


def _strip_span(text: str, start: int, end: int) -> Span:
    seg = text[start:end]
    lead = len(seg) - len(seg.lstrip())
    trail = len(seg) - len(seg.rstrip())
    return start + lead, max(start + lead, end - trail)


def _split_stance(rest: str) -> tuple[str, str]:
    head, sep, tail = rest.partition("。")
    if sep and 0 < len(head) <= 16 and _STANCE_WORDS.search(head) and tail:
        return head, tail
    return "", rest


def _parse_event(
    text: str, start: int, end: int, title: str, n: int
) -> tuple[EventAnalysis, dict[str, Span]]:
    def need(pattern: re.Pattern[str], what: str, after: int) -> re.Match[str]:
        m = pattern.search(text, after, end)
        if not m:
            raise ReportFormatError(f"event {n} ({title}): missing '{what}'")
        return m

    t = need(_TIME, "事件时间：", start)
    ins = need(_INSIGHT, "### 深度解读 & 洞察", t.end())
    imp = need(_IMPACT, "### 影响", ins.end())
    tk = need(_TAKEAWAY, "> 投资启示：", imp.end())
    rc = _RECAP.match(
        text[t.end() : ins.start()]
    )  # a continued story: the line right after the time
    summary_start = t.end() + rc.end() if rc else t.end()
    spans = {
        "summary": _strip_span(text, summary_start, ins.start()),
        "insight": _strip_span(text, ins.end(), imp.start()),
        "impact": _strip_span(text, imp.end(), tk.start()),
        "takeaway": tk.span(1),
    }
    impacts = []
    for line in text[slice(*spans["impact"])].splitlines():
        if m := _BULLET.match(line.strip()):
            stance, body = _split_stance(m.group(2))
            impacts.append(Impact(asset=m.group(1), stance=stance, text=body))
    if not impacts:
        raise ReportFormatError(f"event {n} ({title}): no '- **对X**：' bullet under '### 影响'")
    analysis = EventAnalysis(
        title=title,
        event_time=t.group(1),
        summary=text[slice(*spans["summary"])],
        insight=text[slice(*spans["insight"])],
        impacts=impacts,
        takeaway=tk.group(1),
        recap=rc.group(1) if rc else None,
    )
    return analysis, spans


def parse(text: str) -> Parsed:
    """Markdown → Report (+ section spans); a clear ReportFormatError names what is missing."""
    fm_match = _FM.match(text)
    if not fm_match:
        raise ReportFormatError(
            "no front matter: the report must start with '---' and a YAML block"
        )
    try:
        fm = yaml.safe_load(fm_match.group(1)) or {}
    except yaml.YAMLError as e:
        raise ReportFormatError(
            f"front matter is not valid YAML: {str(e).splitlines()[0]}"
        ) from None
    if not isinstance(fm, dict):
        raise ReportFormatError("front matter is not a mapping")
    day = fm.get("date")
    if isinstance(day, str):
        try:
            day = date.fromisoformat(day[:10])
        except ValueError:
            raise ReportFormatError(f"front matter date {day!r} is not YYYY-MM-DD") from None
    if not isinstance(day, date):
        raise ReportFormatError("front matter has no 'date'")

    heads = list(_H2.finditer(text, fm_match.end()))
    if not heads:
        raise ReportFormatError("no '## ' headline")
    headline = heads[0].group(1)
    general_at = next((k for k, h in enumerate(heads) if h.group(1) == GENERAL_HEADING), len(heads))
    events, spans = [], []
    for k in range(1, general_at):
        h = heads[k]
        end = heads[k + 1].start() if k + 1 < len(heads) else len(text)
        analysis, sp = _parse_event(text, h.end(), end, h.group(1), k)
        events.append(analysis)
        spans.append(sp)
    if not events:
        raise ReportFormatError(
            "no event sections ('## title' with 事件时间 / 深度解读 / 影响 / 投资启示)"
        )
    general: list[str] = []
    if general_at < len(heads):
        g_end = heads[general_at + 1].start() if general_at + 1 < len(heads) else len(text)
        for line in text[heads[general_at].end() : g_end].splitlines():
            if m := _GENERAL_LINE.match(line.strip()):
                general.append(m.group(1))
    report = Report(
        date=day,
        title=str(fm.get("title") or ""),
        headline=headline,
        category=str(fm.get("category") or ""),
        tags=[str(t) for t in fm.get("tags") or []],
        seo=[str(t) for t in fm.get("seo") or []],
        cover_image=fm.get("coverImage"),
        events=events,
        general=general,
        meta={k: v for k, v in fm.items() if k not in _KNOWN},
    )
    return Parsed(report=report, text=text, spans=spans)
