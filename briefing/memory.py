"""Memory across days: what the earlier reports in the output folder already told the reader.

There is no store to keep in sync: for each of the `memory.lookback_days` days before the report
date, `OUT/DAY.record.json` says which items made up each top event and each 一般事件 line
(the first `general_max` events after the top ones, as `pipeline.general_lines` picked them),
and `OUT/DAY.md` — as the editors left it — gives the published titles and 投资启示. The report
date's own files are never memory (re-running a day with `--force` is not "already published"),
nor are `.history/` backups or `drafts/` (a draft held back or not written was never published).

How it is used around `rank`:

- `Memory.fresh(items)`: an item whose id, link or guid an earlier report published, or whose
  title repeats a published title almost word for word, is left out before ranking, so an event
  made only of published items cannot form and a continuing story is scored on what is new.
- `Memory.annotate(ranked)`: a top event that tells an earlier story (its headlines overlap that
  story's) is a continuation and carries `previous` (date, published title, earlier 投资启示);
  a later event that tells an earlier story is not a 一般事件 line again.

Failure policy: a missing or unreadable record, or a report that no longer parses, is a warning;
the other file gives what it can (titles only, without a record), and the run goes on.
"""

from __future__ import annotations

import re
import unicodedata
from collections import Counter, defaultdict
from collections.abc import Iterable
from dataclasses import dataclass, field
from datetime import date, timedelta
from pathlib import Path

from briefing.errors import RecordError, ReportFormatError, ReportNotFoundError
from briefing.evaluate import Source, sources_from_items
from briefing.models import Event, EventAnalysis, Item, Previous, RankResult, Report
from briefing.record import RecordEvent, RunRecord, load_record, record_path
from briefing.reports import load_report
from briefing.sanitize import is_instruction, md_inline

REPEAT = 0.8  # Dice over title features at or above which a headline repeats a published one
STORY = 0.5  # share of the shorter headline's features at or above which two tell one story
MIN_SHARED = 4  # fewer shared features than this is a shared theme (美联储, 美元), not a story
NAMED = 7  # this many shared features is a long name in common (提振消费专项行动): one story
COMMON = 3  # a feature in this many remembered stories is boilerplate (同比增长, 措施)
MIN_TITLE = 6  # characters a headline needs before its words alone identify it

_CJK = re.compile(r"[\u3400-\u4dbf\u4e00-\u9fff\uf900-\ufaff]+")
_WORD = re.compile(r"[a-z][a-z']+|\d+(?:\.\d+)?%?")
_NOISE = re.compile(r"【[^】]{0,8}】|\[[^\]]{0,8}\]|快讯|独家|突发|更新|\\")


def features(title: str) -> frozenset[str]:
    """CJK character bigrams, Latin words and numbers: what two headlines of one story share."""
    text = _NOISE.sub(" ", unicodedata.normalize("NFKC", title).lower())
    out = {run[k : k + 2] for run in _CJK.findall(text) for k in range(len(run) - 1)}
    out |= set(_WORD.findall(text))
    return frozenset(out)


def _numbers(f: frozenset[str]) -> set[str]:
    """The numbers that pin a story down: decimals, percentages, 100 and up except years."""
    out = set()
    for x in f:
        if x[0].isdigit() and (
            "." in x or "%" in x or (int(x) >= 100 and not 1900 <= int(x) <= 2100)
        ):
            out.add(x)
    return out


def _conflict(a: frozenset[str], b: frozenset[str]) -> bool:
    """Both carry numbers and share none (沪指涨0.6%报3889点 vs 沪指跌0.4%报3873点): two days of a
    recurring report, or two firms' results, never one story told again."""
    na, nb = _numbers(a), _numbers(b)
    return bool(na and nb and not na & nb)


def _repeat(a: frozenset[str], b: frozenset[str], shared: int) -> bool:
    """The same headline again, give or take a tag or punctuation (Dice over features); or a
    published title that is a clause of it (the offline writer titles an event with the clause
    that carries the decisive fact and its figure)."""
    if _conflict(a, b):
        return False
    return 2 * shared >= REPEAT * (len(a) + len(b)) or (len(b) >= NAMED and shared >= 0.9 * len(b))


def _story(a: frozenset[str], b: frozenset[str], common: set[str]) -> float:
    """Share of the shorter headline's telling features the other has; 0 when not one story."""
    a, b = a - common, b - common
    shared = len(a & b)
    if shared < MIN_SHARED or _conflict(a, b):
        return 0.0
    return 1.0 if shared >= NAMED else shared / min(len(a), len(b))


def _link(link: str) -> str:
    return link.strip().split("#", 1)[0].rstrip("/")


def title_key(title: str) -> str | None:
    """A headline without tags, punctuation or spaces (the same words are the same headline);
    None when too short to tell one story from another (快讯, Update)."""
    text = _NOISE.sub("", unicodedata.normalize("NFKC", title).lower())
    key = "".join(ch for ch in text if ch.isalnum() or ch in ".%")
    return f"title:{key}" if len(key) >= MIN_TITLE else None


def item_keys(item: Item) -> set[str]:
    """The identities one published item is remembered by."""
    keys = {f"id:{item.id}"}
    if key := title_key(item.title):
        keys.add(key)
    if item.link.strip():
        keys.add(f"link:{_link(item.link)}")
    if item.guid.strip():
        keys.add(f"guid:{item.guid.strip()}")
    return keys


@dataclass
class Story:
    """One story an earlier report told: a top event, or a 一般事件 line."""

    day: date
    title: str  # as published
    top: bool
    takeaway: str = ""
    summary: str = ""
    headlines: list[frozenset[str]] = field(
        default_factory=list
    )  # its titles and its items' titles


@dataclass
class Memory:
    """What the earlier reports published; see the module docstring for how it is used."""

    stories: list[Story] = field(default_factory=list)
    keys: set[str] = field(default_factory=set)
    warnings: list[str] = field(default_factory=list)
    days: list[date] = field(default_factory=list)
    dropped_items: int = 0
    dropped_events: list[str] = field(default_factory=list)
    _heads: list[tuple[Story, frozenset[str]]] = field(default_factory=list, repr=False)
    _postings: dict[str, list[int]] = field(default_factory=dict, repr=False)
    _common: set[str] = field(default_factory=set, repr=False)

    def _shared(self, f: frozenset[str]) -> Counter[int]:
        """Published headlines (by index) sharing telling features with `f`, and how many: an
        inverted index (stories are fixed once it is built), so a 10,000-item backlog is not
        compared with every remembered headline, and boilerplate is left out of it."""
        if not self._heads and self.stories:
            self._heads = [(s, h) for s in self.stories for h in s.headlines]
            seen: dict[str, set[int]] = defaultdict(set)
            for k, s in enumerate(self.stories):
                for h in s.headlines:
                    for x in h:
                        seen[x].add(k)
            self._common = {x for x, ks in seen.items() if len(ks) >= COMMON}
            postings: dict[str, list[int]] = defaultdict(list)
            for k, (_, h) in enumerate(self._heads):
                for x in h - self._common:
                    postings[x].append(k)
            self._postings = dict(postings)
        counts: Counter[int] = Counter()
        for x in f:
            counts.update(self._postings.get(x, ()))
        return counts

    def _published_title(self, title: str) -> bool:
        key = title_key(title)
        if key and key in self.keys:
            return True
        f = features(title)
        return any(_repeat(f, h, len(f & h)) for h in (self._heads[k][1] for k in self._shared(f)))

    def fresh(self, items: list[Item]) -> list[Item]:
        """The items no earlier report published (by id, link, guid, or a repeated headline)."""
        out = [i for i in items if not (item_keys(i) & self.keys or self._published_title(i.title))]
        self.dropped_items += len(items) - len(out)
        return out

    def earlier(self, event: Event) -> Story | None:
        """The earlier story this event tells: the most recent day, a top event before a line."""
        best: tuple[date, bool, float] | None = None
        found = None
        for t in dict.fromkeys((event.title, *(i.title for i in event.items))):
            a = features(t)
            for k in self._shared(a):
                s, h = self._heads[k]
                sim = _story(a, h, self._common)
                if sim >= STORY and (best is None or (s.day, s.top, sim) > best):
                    best, found = (s.day, s.top, sim), s
        return found

    def annotate(self, ranked: RankResult) -> RankResult:
        """Top continuations carry `previous`; a later event that retells an earlier story is dropped."""
        top = []
        for e in ranked.top:
            s = self.earlier(e)
            prev = (
                Previous(date=s.day.isoformat(), title=s.title, takeaway=s.takeaway) if s else None
            )
            top.append(e.model_copy(update={"previous": prev}))
        rest = []
        for e in ranked.rest:
            if self.earlier(e):
                self.dropped_events.append(e.title)
            else:
                rest.append(e)
        dropped = dict(ranked.dropped)
        if self.dropped_items:
            dropped["published"] = self.dropped_items
        if self.dropped_events:
            dropped["retold"] = len(self.dropped_events)
        return RankResult(top=top, rest=rest, dropped=dropped)

    def sources(self, events: Iterable[Event]) -> list[Source]:
        """The earlier sections the continuations refer to, for checking their 前情 lines."""
        out = []
        for e in events:
            if e.previous:
                for s in self.stories:
                    if s.day.isoformat() == e.previous.date and s.title == e.previous.title:
                        text = f"{s.day.isoformat()}\n{s.title}\n{s.summary}"
                        out.append(Source(name=f"{s.day.isoformat()}.md", text=text))
                        break
        return out

    def summary(self) -> dict[str, object]:
        """For the run record: which days were read and what they kept out."""
        return {
            "days": [d.isoformat() for d in self.days],
            "published_items_left_out": self.dropped_items,
            "retold_events_left_out": self.dropped_events,
            "warnings": self.warnings,
        }


def recap(previous: Previous) -> str:
    """The one line that tells the reader what came before (rendered as `> 前情：…`)."""
    d = date.fromisoformat(previous.date)
    return f"本报{d.month}月{d.day}日曾报道“{previous.title}”，以下为此后的新进展。"


def record_sources(report_path: Path, record: RunRecord) -> list[Source]:
    """What a recorded run checked its report against: its items, and the earlier sections its
    continued stories' 前情 lines refer to (read from the folder, as the run read them)."""
    top = record.top_events()
    gaps = [
        (date.fromisoformat(record.date) - date.fromisoformat(e.previous.date)).days
        for e in top
        if e.previous
    ]
    memory = load_memory(report_path.parent, date.fromisoformat(record.date), max(gaps, default=0))
    return sources_from_items(record.items) + memory.sources(top)


def published_general(record: RunRecord) -> list[int]:
    """Indexes into record.events of the 一般事件 lines the run published (pipeline.general_lines' rule)."""
    limit = int((record.settings.get("report") or {}).get("general_max", 15))
    out: list[int] = []
    for k, e in enumerate(record.events):
        if len(out) >= limit:
            break
        if not e.top and not is_instruction(e.title):
            out.append(k)
    return out


def _read_report(path: Path, warnings: list[str]) -> Report | None:
    if not path.is_file():
        return None
    try:  # read as show/eval/rerun read it (its encoding kept); its record is read on its own
        return load_report(path, record=False).parsed.report
    except (ReportNotFoundError, ReportFormatError, UnicodeDecodeError) as e:
        warnings.append(f"not readable as a report ({e}); remembered from its run record")
        return None


def _read_record(report_path: Path, warnings: list[str]) -> RunRecord | None:
    if not (report_path.is_file() or record_path(report_path).exists()):
        return None
    try:
        return load_record(report_path)
    except RecordError as e:
        warnings.append(f"{str(e).split(';')[0]}; {report_path.name} remembered by its titles only")
        return None


def _told(
    day: date, event: RecordEvent, by_id: dict[str, Item], shown: EventAnalysis | None, top: bool
) -> tuple[Story, set[str]]:
    """One published event of the record, with its section as the report shows it (if known)."""
    items = [by_id[i] for i in event.items if i in by_id]
    keys = {f"id:{i}" for i in event.items}.union(*(item_keys(i) for i in items))
    titles = [event.title, *(i.title for i in items), *([shown.title] if shown else [])]
    story = Story(
        day=day,
        title=shown.title if shown else md_inline(event.title),
        top=top,
        takeaway=shown.takeaway if shown else "",
        summary=shown.summary if shown else "",
        headlines=[features(t) for t in titles],
    )
    return story, keys


def _from_day(
    day: date, report: Report | None, record: RunRecord | None
) -> tuple[list[Story], set[str]]:
    stories: list[Story] = []
    keys: set[str] = set()
    if record:
        by_id = {i.id: i for i in record.items}
        top = [e for e in record.events if e.top]
        shown = report.events if report and len(report.events) == len(top) else [None] * len(top)
        told = [_told(day, e, by_id, a, True) for e, a in zip(top, shown, strict=True)]
        told += [
            _told(day, record.events[k], by_id, None, False) for k in published_general(record)
        ]
        stories = [s for s, _ in told]
        keys = set().union(*(k for _, k in told))
    if report:  # what the editors left: titles the record does not know (edited, or no record)
        known = {s.title for s in stories}
        for a in [] if record else report.events:
            headlines = [features(a.title)]
            stories.append(Story(day, a.title, True, a.takeaway, a.summary, headlines))
        for line in report.general:
            if line not in known:
                stories.append(Story(day=day, title=line, top=False, headlines=[features(line)]))
    return stories, keys


def load_memory(out_dir: Path, day: date, lookback_days: int) -> Memory:
    """The stories and item identities of the reports of the `lookback_days` days before `day`."""
    memory = Memory()
    for back in range(1, lookback_days + 1):
        d = day - timedelta(days=back)
        path = out_dir / f"{d.isoformat()}.md"
        report = _read_report(path, memory.warnings)
        record = _read_record(path, memory.warnings)
        if report is None and record is None:
            continue
        stories, keys = _from_day(d, report, record)
        memory.stories += stories
        memory.keys |= keys
        memory.days.append(d)
    return memory
