"""The stages joined: the morning run and the one-section rerun. The CLI only parses flags and prints."""

from __future__ import annotations

import asyncio
import difflib
import os
import time
from collections.abc import Callable
from dataclasses import dataclass, field
from datetime import date, datetime
from pathlib import Path
from typing import Any

from briefing import __version__, aio
from briefing.collect import collect_async
from briefing.config import Settings, settings_from_dict
from briefing.cover import (
    cover_url,
    make_cover,
    redraw_cover,
    save_cover,
    stage_cover,
    unwritten,
)
from briefing.errors import (
    CollectError,
    ConfigError,
    EvalThresholdError,
    NothingWrittenError,
    OutputError,
    ReportExistsError,
    ReportFormatError,
)
from briefing.evaluate import Source, check, sources_from_items
from briefing.memory import load_memory, recap
from briefing.models import CollectResult, Event, FeedStatus, RankResult, Report, Section
from briefing.offline import OfflineWriter, publishable
from briefing.offline_text import headline_line
from briefing.rank import rank
from briefing.record import (
    DRAFTS,
    Rerun,
    RunRecord,
    check_cache_dir,
    check_out_dir,
    events_for_record,
    new_run_id,
    record_path,
    write_pair,
)
from briefing.render import parse, render, section_text
from briefing.reports import load_report
from briefing.sanitize import is_instruction, md_inline
from briefing.write import Writer, preload, write_all


def make_writer(settings: Settings, *, read_cache: bool = True) -> Writer:
    """The LLM writer when a key or base URL is configured, the offline writer otherwise."""
    if settings.llm.configured:
        from briefing.llm_writer import LLMWriter

        return LLMWriter(settings, read_cache=read_cache)
    return OfflineWriter(settings)


async def general_lines(rest: list[Event], limit: int, writer: Writer) -> list[str]:
    """`## 一般事件`: one line per other story, never a line that gives orders to a model, never
    an untranslated English headline (the writer translates them in one call, or leaves them out);
    each in the report's style (`headline_line`: spacing, clause commas, currency names)."""
    titles = [e.title for e in rest if not is_instruction(e.title)][: 2 * limit]
    shown = await writer.translate_titles(titles) if titles else []
    return [md_inline(headline_line(t)) for t in shown if t][:limit]


def writer_label(writer: Writer, written_writers: list[str]) -> str:
    kinds = set(written_writers)
    if writer.name == "offline" or kinds == {"offline"}:
        return "offline"
    return "llm" if kinds == {"llm"} else "llm+offline"


@dataclass
class RunSummary:
    report: Path
    record: Path
    feeds_ok: int
    feeds_failed: list[tuple[str, str]]
    items: int
    events: int
    writer: str
    seconds: float
    backup: Path | None = None
    calls: int = 0
    tokens: int = 0
    cached: int = 0  # calls answered from the answer cache
    cost: float | None = None  # from llm.prices
    fallbacks: list[str] = field(default_factory=list)
    grounding: dict[str, Any] | None = None
    cover: Path | None = None
    published: list[Any] = field(default_factory=list)  # publish.Outcome, one per target
    top: int = 0
    memory: dict[str, Any] | None = None  # memory.Memory.summary()

    @property
    def publish_failed(self) -> list[Any]:
        return [o for o in self.published if not o.ok]


class GroundingHeld(EvalThresholdError):
    """The grounding gate held the report back (exit 8); the draft and its record are under DRAFTS."""

    def __init__(self, summary: RunSummary, threshold: float, report: Path) -> None:
        g = summary.grounding or {}
        n = g.get("checked", 0)  # the claims the score counts: opinions are left out
        super().__init__(
            f"report held back: grounding {g.get('score', 0):.2f} ({n - len(g.get('unsupported', []))} "
            f"of {n} checkable claims supported) is below the min-grounding threshold {threshold:.2f}; "
            f"the draft is {summary.report}, {report} was not written"
        )
        self.summary = summary


def _grounding(markdown: str, record: RunRecord, extra: list[Source]) -> dict[str, Any]:
    """The report checked against its own sources (shown in the closing summary, never published).

    `extra`: the earlier sections that continued stories' 前情 lines refer to."""
    result = check(markdown, sources_from_items(record.items) + extra)
    unsupported = [c.text for c in result.claims if c.verdict != "supported"]
    return {
        "score": result.score,
        "claims": len(result.claims),
        "checked": result.checked,
        "unsupported": unsupported,
    }


def _call_stats(writer: Writer) -> tuple[list[dict[str, Any]], int]:
    calls = [c.model_dump(mode="json") for c in getattr(writer, "calls", [])]
    tokens = sum(int((c.get("usage") or {}).get("total_tokens", 0)) for c in calls)
    return calls, tokens


def _cost(calls: list[dict[str, Any]]) -> float | None:
    costs = [c["cost"] for c in calls if c.get("cost") is not None]
    return round(sum(costs), 8) if costs else None


async def run_async(
    settings: Settings,
    *,
    day: date | None = None,
    out_dir: Path = Path("output"),
    force: bool = False,
    writer: Writer | None = None,
    now: datetime | None = None,
    on_feed: Callable[[FeedStatus], None] | None = None,
    on_stage: Callable[[str], None] | None = None,
    on_warning: Callable[[str], None] | None = None,
    min_grounding: float | None = None,
) -> RunSummary:
    """collect → rank (around it, the memory of earlier reports) → write → render → check → save.

    Below `min_grounding` (else the settings' `min_grounding`) the report is held back: the draft
    and its record go to DIR/drafts/ and GroundingHeld is raised; DIR/DATE.md is not touched."""
    started = time.perf_counter()
    now = (now or datetime.now(settings.tz)).astimezone(settings.tz)
    day = day or now.date()
    settings.check_day(day, now)
    report_path = out_dir / f"{day.isoformat()}.md"
    if report_path.exists() and not force:
        raise ReportExistsError(
            f"{report_path} exists; pass --force to replace it (the old one is kept in .history/)"
        )
    if not settings.enabled_feeds:
        raise ConfigError("no enabled feeds in the configuration")
    check_out_dir(out_dir)  # before a feed is fetched or a model paid for
    if settings.cache_dir is not None:
        check_cache_dir(settings.cache_dir)
    stage = on_stage or (lambda _s: None)
    warn = on_warning or (lambda _w: None)
    # the LLM stack imports while the feeds are fetched: started once any parse workers are
    # forked (a fork while another thread holds an import lock would hang the child)
    warm_up = (lambda: preload(settings)) if writer is None else None

    stage("collect")
    collected = await collect_async(settings, on_feed=on_feed, after_fork=warm_up)
    if collected.cache_error:  # any write that fails stops the run before a report is replaced
        raise OutputError(f"{collected.cache_error}; nothing was written, no model was asked")
    if not collected.items:
        failed = "; ".join(f"{e.feed}: {e.error}" for e in collected.errors[:5])
        raise CollectError(f"no items from any feed ({failed or 'all feeds empty'})")
    stage("rank")
    memory = load_memory(out_dir, day, settings.memory.lookback_days)
    for warning in memory.warnings:
        warn(warning)
    ranked = memory.annotate(rank(memory.fresh(collected.items), settings, day=day, now=now))
    if not ranked.top:
        window = settings.window(day, now)
        told = (
            f" ({memory.dropped_items} published by earlier reports)"
            if memory.dropped_items
            else ""
        )
        raise CollectError(
            f"no items inside the report window {window[0]:%Y-%m-%d %H:%M} – {window[1]:%Y-%m-%d %H:%M}{told}"
        )

    stage("write")
    writer = writer or make_writer(settings)
    if writer.name == "offline":  # offline, an English-only story cannot be told: the next one is
        ranked.top, ranked.rest = publishable(ranked.top, ranked.rest)
    (written, headline), general = await asyncio.gather(
        write_all(writer, ranked.top, ranked.rest),
        general_lines(ranked.rest, settings.report.general_max, writer),
    )
    analyses = [
        w.analysis.model_copy(update={"recap": recap(e.previous)}) if e.previous else w.analysis
        for w, e in zip(written, ranked.top, strict=True)
    ]
    label = writer_label(writer, [w.provenance.writer for w in written])
    items, record_events = events_for_record(ranked.top, ranked.rest)
    report = Report(
        date=day,
        title=headline.headline,
        headline=headline.headline,
        category=settings.report.category,
        tags=headline.tags or settings.report.tags,
        seo=headline.seo or settings.report.seo,
        cover_image=settings.report.cover_image,
        events=analyses,
        general=general,
        meta={
            "generator": {
                "name": "briefing",
                "version": __version__,
                "writer": label,
                "generated_at": now.isoformat(timespec="seconds"),
                "sources": len(items),
            }
        },
    )
    cover_png, cover_warning = make_cover(report, settings.report)  # first: front matter names it
    if cover_warning:
        warn(cover_warning)
    if cover_png:
        report.cover_image = cover_url(settings.report, day)
    run_id = new_run_id(
        now, report.model_dump_json(exclude={"meta"})
    )  # not the version: a release keeps ids
    report.meta["generator"]["run_id"] = run_id
    markdown = render(report)
    calls, tokens = _call_stats(writer)
    record = RunRecord(
        run_id=run_id,
        report=report_path.name,
        date=day.isoformat(),
        started_at=now,
        writer=label,
        settings=settings.public_dict(),
        window=settings.window(day, now),
        feeds=collected.feeds,
        errors=collected.errors,
        items=items,
        events=record_events,
        sections=[w.provenance for w in written],
        calls=calls,
        memory=memory.summary(),
    )
    stage("check")
    record.grounding = _grounding(markdown, record, memory.sources(ranked.top))
    threshold = settings.min_grounding if min_grounding is None else min_grounding

    stage("save")
    record.seconds = round(time.perf_counter() - started, 3)
    if writer.name != "offline" and label == "offline":
        raise _nothing_written(settings, record, report_path, markdown, now)
    if threshold is not None and record.grounding["score"] < threshold:  # the grounding gate
        draft = report_path.parent / DRAFTS / report_path.name
        write_pair(
            draft, markdown, record, stamp=now
        )  # an earlier held draft goes to drafts/.history
        if cover_png:  # the draft names its cover as the report would: beside it
            save_cover(draft.with_suffix(".png"), cover_png)
        held = _summary(draft, collected, record, ranked, calls, tokens, None)
        raise GroundingHeld(held, threshold, report_path)
    cover_path = report_path.with_suffix(".png") if cover_png else None
    staged, unsaved = (
        stage_cover(cover_path, cover_png) if cover_path and cover_png else (None, None)
    )
    if unsaved:
        cover_path, report.cover_image = None, settings.report.cover_image
        markdown = render(report)  # the front matter names no cover that is not there
    try:  # the old pair goes to .history/ also when a file appeared while the run was going
        old = write_pair(report_path, markdown, record, stamp=now)
    except BaseException:
        if staged:  # the old cover stays with the old report
            staged.unlink(missing_ok=True)
        raise
    if staged and cover_path:
        try:
            os.replace(staged, cover_path)  # same folder: a rename, it cannot run out of space
        except OSError as e:
            staged.unlink(missing_ok=True)
            cover_path, unsaved = None, unwritten(cover_path, e)
    if unsaved:  # only now: when the pair cannot be written either, its error says it all
        warn(unsaved)
    summary = _summary(report_path, collected, record, ranked, calls, tokens, old)
    summary.cover = cover_path
    summary.published = await _publish(report_path, settings, stage)  # after writing, never undoing
    return summary


def _summary(
    report: Path,
    collected: CollectResult,
    record: RunRecord,
    ranked: RankResult,
    calls: list[dict[str, Any]],
    tokens: int,
    backup: Path | None,
) -> RunSummary:
    return RunSummary(
        report=report,
        record=record_path(report),
        feeds_ok=sum(1 for f in collected.feeds if f.ok),
        feeds_failed=[(e.feed, e.error) for e in collected.errors],
        items=len(record.items),
        events=len(ranked.top) + len(ranked.rest),
        writer=record.writer,
        seconds=record.seconds,
        backup=backup,
        calls=len(calls),
        tokens=tokens,
        cached=sum(1 for c in calls if c.get("cached")),
        cost=_cost(calls),
        fallbacks=[p.fallback_reason for p in record.sections if p.fallback_reason],
        grounding=record.grounding,
        top=len(ranked.top),
        memory=record.memory,
    )


async def _publish(
    report_path: Path, settings: Settings, stage: Callable[[str], None]
) -> list[Any]:
    """The written report to feeds.yaml's `publish:` targets; failures are outcomes, never undo the report."""
    if not (settings.publish.sites or settings.publish.webhooks):
        return []
    from briefing.publish import publish_configured

    stage("publish")
    return await asyncio.to_thread(publish_configured, report_path, settings)


def _nothing_written(
    settings: Settings, record: RunRecord, report_path: Path, markdown: str, now: datetime
) -> NothingWrittenError:
    """Keep the offline draft (with its record) under OUT/drafts/, leave OUT/DATE.md alone, say so."""
    draft = report_path.parent / DRAFTS / report_path.name
    write_pair(draft, markdown, record, stamp=now)
    reasons = [p.fallback_reason for p in record.sections if p.fallback_reason]
    why = reasons[0] if reasons else "every event fell back to the offline writer"
    return NothingWrittenError(
        f"the configured LLM ({settings.llm.model}) wrote none of the {len(record.sections)} events "
        f"({why}); {report_path} not written, the offline draft is in {draft}"
    )


def run(settings: Settings, **kwargs: Any) -> RunSummary:
    return aio.run(run_async(settings, **kwargs))


# -- rerun -------------------------------------------------------------------------------------


@dataclass
class RerunResult:
    report: Path
    event: int
    section: Section
    old: str
    new: str
    diff: str
    written: bool
    backup: Path | None
    writer: str  # the writer that actually wrote the section (from its provenance)
    model: str | None = None  # the model that wrote it, when one did


def settings_for_rerun(
    record: RunRecord, report: Path, env: dict[str, str] | None = None
) -> Settings:
    """The morning run's settings (from the record) with today's environment for the model key."""
    return settings_from_dict(record.settings, label=str(report), base_dir=report.parent, env=env)


async def rerun_async(
    report: Path,
    *,
    event: int,
    section: Section,
    instruction: str | None = None,
    dry_run: bool = False,
    writer: Writer | None = None,
    settings: Settings | None = None,
    now: datetime | None = None,
    use_cache: bool = True,
) -> RerunResult:
    """Rewrite one section of event N (1-based) in place; every other byte of the file stays."""
    loaded = load_report(report, record=True)
    text, parsed, record = loaded.text, loaded.parsed, loaded.record
    assert record is not None
    if not 1 <= event <= len(parsed.report.events):
        raise ConfigError(
            f"--event {event}: no such event; {report} has events 1–{len(parsed.report.events)}"
        )
    top = record.top_events()
    if event > len(top):
        raise ConfigError(
            f"--event {event}: not in the run record of {report} (it has {len(top)} events)"
        )
    settings = settings or settings_for_rerun(record, report)
    if not use_cache:
        settings.llm.cache = False
    # an editor's instruction always gets a fresh answer; the answer is still stored
    writer = writer or make_writer(settings, read_cache=not instruction)
    current = parsed.report.events[event - 1]
    written = await writer.write_section(top[event - 1], current, section, instruction)
    new_section = section_text(written.analysis, section)
    start, end = parsed.spans[event - 1][section]
    old_section = text[start:end]
    new_text = parsed.replace(event - 1, section, new_section)
    parse(new_text)  # what we write must still be a well-formed report
    diff = "".join(
        difflib.unified_diff(
            text.splitlines(keepends=True),
            new_text.splitlines(keepends=True),
            str(report),
            str(report) + " (rerun)",
        )
    )
    stamp = (now or datetime.now(settings.tz)).astimezone(settings.tz)
    old_copy = None
    if not dry_run and new_text != text:
        if report.read_bytes() != loaded.raw:
            raise ReportFormatError(
                f"{report} changed while the section was being written; nothing written"
            )
        calls, _ = _call_stats(writer)
        record.reruns.append(
            Rerun(
                at=stamp,
                event=event,
                section=section,
                instruction=instruction,
                writer=written.provenance.writer,
                provenance=written.provenance,
                calls=calls,
            )
        )
        old_copy = write_pair(report, loaded.encode(new_text), record, stamp=stamp)
        redraw_cover(report, parse(new_text).report, settings.report)
    return RerunResult(
        report=report,
        event=event,
        section=section,
        old=old_section,
        new=new_section,
        diff=diff,
        written=not dry_run and new_text != text,
        backup=old_copy,
        writer=written.provenance.writer,
        model=written.provenance.model,
    )


def rerun(report: Path, **kwargs: Any) -> RerunResult:
    return aio.run(rerun_async(report, **kwargs))
