"""The typed data that flows between stages: Item → Event → EventAnalysis → Report."""

from __future__ import annotations

import hashlib
import re
from datetime import date as Date
from datetime import datetime
from typing import Any, Literal

from pydantic import BaseModel, ConfigDict, Field, computed_field, field_validator, model_validator

from briefing.sanitize import harmless

Writer = Literal["offline", "llm"]
SECTIONS = ("summary", "insight", "impact", "takeaway")
Section = Literal["summary", "insight", "impact", "takeaway"]


class Item(BaseModel):
    """One feed entry, normalised: plain-text title and summary, aware `published`."""

    model_config = ConfigDict(frozen=True)

    title: str
    link: str = ""
    source: str
    published: datetime | None = None
    summary: str = ""
    guid: str = ""

    @computed_field  # type: ignore[prop-decorator]
    @property
    def id(self) -> str:
        """Stable key for the run record: guid, else link, else source+title."""
        key = self.guid or self.link or f"{self.source}\n{self.title}"
        return hashlib.sha1(key.encode("utf-8")).hexdigest()[:12]


class FeedError(BaseModel):
    feed: str
    error: str


class FeedStatus(BaseModel):
    """What one feed gave in this run: items, or an error; plus conditional-GET validators."""

    feed: str
    url: str
    ok: bool
    items: int = 0
    error: str | None = None
    not_modified: bool = False
    seconds: float = 0.0


class CollectResult(BaseModel):
    items: list[Item] = Field(default_factory=list)
    errors: list[FeedError] = Field(default_factory=list)
    feeds: list[FeedStatus] = Field(default_factory=list)
    cache_error: str | None = Field(default=None, exclude=True)  # a cache write failed


class Previous(BaseModel):
    """An earlier report that told the same story (the run record keeps `date` and `title`)."""

    date: str  # YYYY-MM-DD
    title: str
    takeaway: str = Field(default="", exclude=True)  # for the writer's prompt, not the record


class Event(BaseModel):
    """One story, possibly told by several sources; `reasons` says how the score was made."""

    title: str
    score: float
    items: list[Item]
    kind: str | None = None
    reasons: dict[str, float] = Field(default_factory=dict)
    previous: Previous | None = None  # set by memory.py when an earlier report told this story

    @property
    def sources(self) -> list[str]:
        return sorted({i.source for i in self.items})


class RankResult(BaseModel):
    top: list[Event]
    rest: list[Event]
    dropped: dict[str, int] = Field(default_factory=dict)  # reason -> count (window, duplicate)


Stance = str  # 利多 / 利空 / 中性 / 分化, optionally qualified: 短期利空, 结构性利多


class Impact(BaseModel):
    """One `- **对X**：stance。text` bullet."""

    asset: str = Field(
        min_length=1, max_length=12, description="资产名，如 美元、黄金、股市、A股、日元、加密货币"
    )
    stance: Stance = Field(
        default="", max_length=16, description="利多 / 利空 / 中性 / 分化，可加限定词，如 短期利空"
    )
    text: str = Field(min_length=1, description="一两句理由，只用来源中的事实")
    rule: str | None = Field(default=None, description="the offline rule that produced it, if any")

    @field_validator("asset", "stance", "text")
    @classmethod
    def _harmless(cls, v: str) -> str:
        return harmless(v)


_SENTENCE_END = re.compile(r"(?<=[。！？；!?;])|\n+")
_NOT_TEXT = re.compile(r"[\s\W_]+")
REPEAT_MIN_CHARS = 10  # a shorter shared fragment (a name, a figure) is not a repeat


def repeats(summary: str, other: str) -> str | None:
    """The summary sentence that `other` says again word for word (punctuation and spaces aside), if any."""
    body = _NOT_TEXT.sub("", other)
    if not body:
        return None
    whole = _NOT_TEXT.sub("", summary)
    if len(body) >= REPEAT_MIN_CHARS and body in whole:
        return other.strip()
    for sentence in _SENTENCE_END.split(summary):
        bare = _NOT_TEXT.sub("", sentence)
        if len(bare) >= REPEAT_MIN_CHARS and bare in body:
            return sentence.strip()
    return None


class EventAnalysis(BaseModel):
    """One event section of the report, as the writer (offline or LLM) fills it.

    A writer's section (one that names its `writer`) may not say a summary sentence again in 深度解读
    or 投资启示; a report parsed back (no writer named) is an editor's text and is taken as it is.
    """

    title: str
    event_time: str
    summary: str
    insight: str
    impacts: list[Impact] = Field(
        min_length=1
    )  # writers give at least three; an editor may keep fewer
    takeaway: str
    sources: list[str] = Field(
        default_factory=list, description="ids of the items it was written from"
    )
    writer: Writer = "offline"
    recap: str | None = None  # the `> 前情：` line of a continued story (memory.recap)

    @field_validator("title", "event_time", "takeaway")
    @classmethod
    def _one_line(cls, v: str) -> str:
        return harmless(v)

    @field_validator("recap")
    @classmethod
    def _recap_line(cls, v: str | None) -> str | None:
        return harmless(v) or None if v is not None else None

    @field_validator("summary", "insight")
    @classmethod
    def _block(cls, v: str) -> str:
        return harmless(v, multiline=True)

    @model_validator(mode="after")
    def _said_once(self) -> EventAnalysis:
        if "writer" in self.model_fields_set:
            for name in ("insight", "takeaway"):
                if said := repeats(self.summary, getattr(self, name)):
                    raise ValueError(f"{name} repeats the summary: 「{said[:40]}」")
        return self


class Report(BaseModel):
    """The whole 经济日报 post; render(Report) and parse(str) are inverses."""

    date: Date
    title: str
    headline: str
    category: str = "经济日报"
    tags: list[str] = Field(default_factory=list)
    seo: list[str] = Field(default_factory=list)
    cover_image: str | None = None
    events: list[EventAnalysis]
    general: list[str] = Field(default_factory=list)
    meta: dict[str, Any] = Field(default_factory=dict)  # generator metadata in front matter

    @field_validator("title", "headline")
    @classmethod
    def _one_line(cls, v: str) -> str:
        return harmless(v)

    @field_validator("general", "tags", "seo")
    @classmethod
    def _lines(cls, v: list[str]) -> list[str]:
        return [harmless(x) for x in v]


class Provenance(BaseModel):
    """What one event section was made from: kept in the run record for rerun and audit."""

    writer: Writer
    items: list[str] = Field(default_factory=list)  # Item.id of the sources given to the writer
    rules: list[str] = Field(
        default_factory=list
    )  # offline: rule ids (kind/asset) behind each bullet
    model: str | None = None  # the model that wrote it (None: no model did)
    cached: bool = False  # the model's answer came from the answer cache, not a request
    prompt_sha256: str | None = None
    raw: str | None = None  # the model's last raw answer
    usage: dict[str, int] = Field(default_factory=dict)
    attempts: int = 1
    fallback_reason: str | None = None  # set when the LLM failed and the offline writer stood in
    notes: list[str] = Field(
        default_factory=list
    )  # how the section was made; shown by `briefing show`, never published


class Written(BaseModel):
    analysis: EventAnalysis
    provenance: Provenance


class Headline(BaseModel):
    """The report-level parts: the `## headline` line, tags and SEO words."""

    headline: str
    tags: list[str] = Field(default_factory=list)
    seo: list[str] = Field(default_factory=list)
