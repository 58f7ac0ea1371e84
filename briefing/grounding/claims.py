"""A report body split into claims: what counts as a claim, and why.

What is a claim (and why):

- summary and 深度解读 paragraphs: one claim per sentence (。！？；), list markers and bold removed;
- each `- **对X**：立场。理由` bullet of 影响: one claim, with its asset and stance kept apart;
- each `> 投资启示：…` line: one claim;
- each line under `## 一般事件`: one claim (a headline still states that something happened).

Not claims: front matter, headings (the headline and event titles restate the summary), `---`,
`事件时间：` lines (the time comes from the feed's metadata, which no source text carries), a
sentence that only leads into a list (ends with ： and states nothing of its own), and the offline writer's provenance line
(本事件由N个来源报道…), which describes the report rather than the world.
"""

from __future__ import annotations

import re
from typing import Literal

from pydantic import BaseModel

from briefing.sanitize import sentences

ClaimSection = Literal["summary", "insight", "impact", "takeaway", "general"]


class Claim(BaseModel):
    text: str  # as the reader sees it, Markdown removed
    section: ClaimSection
    body: str  # what is checked: the text without the 对X：/投资启示： label
    asset: str | None = None  # impact bullets: X of 对X
    stance: str | None = None  # impact bullets: 利多 / 短期利空 / …

    @property
    def opinion(self) -> bool:
        return self.section in ("impact", "takeaway")


_FRONT = re.compile(r"\A\ufeff?---\r?\n.*?\r?\n---[ \t]*(?:\r?\n|\Z)", re.S)
_HEADING = re.compile(r"^\s{0,3}#{1,6}\s+(.*?)\s*#*\s*$")
_RULE = re.compile(r"^\s{0,3}([-*_])(\s*\1){2,}\s*$")
_TIME = re.compile(r"^\s*事件时间\s*[：:]")
_QUOTE = re.compile(r"^\s{0,3}>\s?")
_TAKEAWAY = re.compile(r"^投资启示\s*[：:]\s*(.*)$")
_BULLET = re.compile(r"^\s*(?:[-*+]|\d{1,2}[.、)）])\s+(.*)$")
_IMPACT = re.compile(r"^对(.{1,16}?)\s*[：:]\s*(.*)$")
_LINK = re.compile(r"!?\[([^\]\n]*)\]\([^)\n]*\)")
_EMPHASIS = re.compile(r"(\*\*|__|`|~~)")
_META = re.compile(r"^本事件由\s*\d+\s*个来源报道")
_STANCE = re.compile(
    r"^(.{0,8}?(?:利多|利空|利好|中性|分化|支撑|承压|偏多|偏空|看多|看空|中立|震荡|波动)[^。，,]{0,4})[。.]\s*(.*)$"
)


def plain(text: str) -> str:
    """Inline Markdown removed: links keep their text, emphasis and escapes go."""
    text = _LINK.sub(r"\1", text)
    text = _EMPHASIS.sub("", text)
    return re.sub(r"\\([\\`*_\[\]<>|#~>-])", r"\1", text).strip()


_LEAD = re.compile(
    r"(?:如下|以下|包括|来看|方面|表示|指出|认为|称|显示|强调|分别为|分别是|为|是)\s*[：:]$"
)
_STATES = re.compile(r"\d|[一二两三四五六七八九十]成|涨|跌|升|降|增|减|高|低|扩大|收窄|全线")


def _leads_in(sentence: str) -> bool:
    """A sentence ending in ： that only opens a list ("具体来看：", "鲍威尔表示：") rather than
    stating a fact of its own ("美股三大股指全线收高：")."""
    return bool(_LEAD.search(sentence)) or not _STATES.search(sentence)


def _sentences(text: str, section: ClaimSection) -> list[Claim]:
    out = []
    for s in sentences(text):
        s = s.strip()
        if not s or _META.match(s) or (s.endswith(("：", ":")) and _leads_in(s)):
            continue
        out.append(Claim(text=s, section=section, body=s))
    return out


def split_claims(markdown: str) -> list[Claim]:
    """The claims of a rendered report (or any Markdown in its shape), in reading order."""
    text = _FRONT.sub("", markdown.replace("\r\n", "\n"), count=1)
    section: ClaimSection = "summary"
    out: list[Claim] = []
    for raw in text.split("\n"):
        line = raw.rstrip()
        if not line.strip() or _RULE.match(line) or _TIME.match(line):
            continue
        if h := _HEADING.match(line):
            title = h.group(1)
            section = (
                "insight" if title.startswith("深度解读")
                else "impact" if title.startswith("影响")
                else "general" if title.startswith("一般事件")
                else "summary"
            )  # fmt: skip
            continue
        quoted = bool(_QUOTE.match(line))
        line = plain(_QUOTE.sub("", line) if quoted else line)
        if t := _TAKEAWAY.match(line):
            out.append(Claim(text=line, section="takeaway", body=t.group(1)))
            continue
        bullet = _BULLET.match(line)
        if bullet:
            line = bullet.group(1).strip()
        if section == "general":
            if line:
                out.append(Claim(text=line, section="general", body=line))
            continue
        if bullet and (m := _IMPACT.match(line)) and (section == "impact" or not quoted):
            asset, rest = m.group(1).strip(), m.group(2).strip()
            stance, body = "", rest
            if s := _STANCE.match(rest):
                stance, body = s.group(1).strip(), s.group(2).strip()
            out.append(
                Claim(
                    text=line,
                    section="impact",
                    body=body or rest,
                    asset=asset,
                    stance=stance or None,
                )
            )
            continue
        out.extend(_sentences(line, "insight" if section == "impact" else section))
    return out
