"""The `briefing` command: each subcommand parses flags, calls the pipeline, prints.

Expected failures (BriefingError) print one line on stderr and exit with their code; see errors.py.
"""

from __future__ import annotations

import asyncio
import json
import logging
import sys
from collections.abc import Callable
from datetime import date, datetime
from functools import wraps
from pathlib import Path
from typing import Any

import click
from rich.console import Console
from rich.logging import RichHandler
from rich.markdown import Markdown
from rich.progress import BarColumn, MofNCompleteColumn, Progress, TextColumn, TimeElapsedColumn
from rich.table import Table
from rich.text import Text

from briefing import __version__
from briefing.config import Settings, load_settings
from briefing.errors import BriefingError, EvalThresholdError
from briefing.models import SECTIONS, FeedStatus

err = Console(stderr=True, highlight=False)
out = Console(highlight=False)


def _fail_cleanly(fn: Callable[..., Any]) -> Callable[..., Any]:
    @wraps(fn)
    def wrapper(*args: Any, **kwargs: Any) -> Any:
        try:
            return fn(*args, **kwargs)
        except BriefingError as e:
            err.print(f"[bold red]error:[/] {e}", markup=True, soft_wrap=True)
            sys.exit(e.exit_code)

    return wrapper


def _day(value: datetime | None) -> date | None:
    return value.date() if value else None


feeds_option = click.option(
    "--feeds",
    "feeds_path",
    type=click.Path(path_type=Path),
    default="feeds.yaml",
    show_default=True,
    help="The feeds configuration.",
)
date_option = click.option(
    "--date",
    "day",
    type=click.DateTime(formats=["%Y-%m-%d"]),
    default=None,
    help="Report date (YYYY-MM-DD); default today in the configured time zone.",
)


@click.group(context_settings={"help_option_names": ["-h", "--help"]})
@click.version_option(__version__, prog_name="briefing")
@click.option("-v", "--verbose", is_flag=True, help="Log each step on stderr.")
def main(verbose: bool) -> None:
    """Write the daily economic briefing (经济日报) from news feeds."""
    logging.basicConfig(
        level=logging.DEBUG if verbose else logging.WARNING,
        format="%(message)s",
        handlers=[RichHandler(console=err, show_path=False)],
    )
    for noisy in ("httpx", "httpcore", "openai", "httpx2"):
        logging.getLogger(noisy).setLevel(logging.INFO if verbose else logging.WARNING)


def _feed_progress(settings: Settings) -> tuple[Progress, Callable[[FeedStatus], None]]:
    progress = Progress(
        TextColumn("[bold]{task.fields[stage]}"),
        BarColumn(),
        MofNCompleteColumn(),
        TextColumn("{task.description}"),
        TimeElapsedColumn(),
        console=err,
        transient=True,
        disable=not err.is_terminal,
    )
    task = progress.add_task("", total=len(settings.enabled_feeds), stage="collect")

    def on_feed(status: FeedStatus) -> None:
        mark = "[green]✓" if status.ok else "[red]✗"
        progress.update(task, advance=1, description=f"{mark} {status.feed}")
        logging.getLogger("briefing.collect").info(
            "%s %s: %s",
            "ok" if status.ok else "failed",
            status.feed,
            status.error or f"{status.items} items",
        )

    return progress, on_feed


@main.command()
@feeds_option
@date_option
@click.option(
    "--out", "out_dir", type=click.Path(path_type=Path), default="output", show_default=True
)
@click.option(
    "--force", is_flag=True, help="Replace an existing report (the old one goes to .history/)."
)
@_fail_cleanly
def run(feeds_path: Path, day: datetime | None, out_dir: Path, force: bool) -> None:
    """The morning job: collect, rank, write and save DIR/DATE.md with its run record."""
    from briefing.pipeline import make_writer, run_async

    settings = load_settings(feeds_path)
    writer = make_writer(settings)

    progress, on_feed = _feed_progress(settings)

    def on_stage(stage: str) -> None:
        logging.getLogger("briefing").info("stage: %s", stage)
        for task in progress.tasks:
            if task.total is None:
                progress.update(task.id, total=1, completed=1)
        if stage != "collect":
            what = (
                f"{settings.report.top} events with the {writer.name} writer"
                if stage == "write"
                else ""
            )
            progress.add_task(what, total=None, stage=stage)
        if stage == "write" and writer.name == "offline":
            err.print(
                "[yellow]offline writer:[/] no OPENAI_API_KEY or OPENAI_BASE_URL set; sections come from the "
                "sources' own sentences and the rules table (the front matter says writer: offline)",
                soft_wrap=True,
            )

    with progress:
        summary = asyncio.run(
            run_async(
                settings,
                day=_day(day),
                out_dir=out_dir,
                force=force,
                writer=writer,
                on_feed=on_feed,
                on_stage=on_stage,
            )
        )
    table = Table(title="briefing run", show_header=False, title_justify="left")
    table.add_row("feeds", f"{summary.feeds_ok} ok, {len(summary.feeds_failed)} failed")
    for name, error in summary.feeds_failed:
        table.add_row("", f"[red]✗ {name}[/]: {error}")
    table.add_row("items", str(summary.items))
    table.add_row("events", f"{summary.events} (top 3 written by the {summary.writer} writer)")
    if summary.calls:
        table.add_row("LLM", f"{summary.calls} calls, {summary.tokens} tokens")
    for reason in summary.fallbacks:
        table.add_row("", f"[yellow]offline fallback[/]: {reason}")
    if summary.grounding:
        g = summary.grounding
        table.add_row(
            "grounding", f"{g['score']:.0%} of {g['claims']} claims supported by the sources"
        )
        for claim in g["unsupported"][:8]:
            table.add_row("", Text(f"? {claim}", style="yellow", overflow="ellipsis", no_wrap=True))
        if len(g["unsupported"]) > 8:
            table.add_row("", f"… {len(g['unsupported']) - 8} more: briefing eval {summary.report}")
    table.add_row("time", f"{summary.seconds:.1f} s")
    table.add_row("report", str(summary.report))
    if summary.backup:
        table.add_row("previous", str(summary.backup))
    err.print(table)
    out.print(str(summary.report))


@main.command()
@feeds_option
@date_option
@click.option("--json", "as_json", is_flag=True, help="Print the contract JSON on stdout.")
@click.option("--all", "show_all", is_flag=True, help="Keep items outside the report window.")
@_fail_cleanly
def collect(feeds_path: Path, day: datetime | None, as_json: bool, show_all: bool) -> None:
    """Fetch every feed; exit 0 when at least one feed worked."""
    from briefing.collect import collect as do_collect
    from briefing.errors import CollectError

    settings = load_settings(feeds_path)
    progress, on_feed = _feed_progress(settings)
    with progress:
        result = do_collect(settings, on_feed=on_feed)
    items = result.items
    if not show_all:
        start, end = settings.window(_day(day))
        items = [i for i in items if i.published is None or start <= i.published <= end]
    if as_json:
        payload = {
            "items": [i.model_dump(mode="json") for i in items],
            "errors": [e.model_dump(mode="json") for e in result.errors],
        }
        click.echo(json.dumps(payload, ensure_ascii=False, indent=2))
    else:
        table = Table(title=f"{len(items)} items", title_justify="left")
        for col in ("published", "source", "title"):
            table.add_column(col)
        for i in sorted(
            items,
            key=lambda i: i.published or datetime.min.replace(tzinfo=settings.tz),
            reverse=True,
        ):
            table.add_row(f"{i.published:%m-%d %H:%M}" if i.published else "—", i.source, i.title)
        out.print(table)
        for e in result.errors:
            err.print(f"[red]✗ {e.feed}[/]: {e.error}")
    if not any(f.ok for f in result.feeds):
        raise CollectError("no feed could be read")


@main.command()
@feeds_option
@date_option
@click.option("--json", "as_json", is_flag=True, help="Print the contract JSON on stdout.")
@click.option("--limit", default=20, show_default=True, help="Events to show in the table.")
@_fail_cleanly
def rank(feeds_path: Path, day: datetime | None, as_json: bool, limit: int) -> None:
    """Group the window's items into events, best first, and say why each scored."""
    from briefing.collect import collect as do_collect
    from briefing.rank import rank as do_rank

    settings = load_settings(feeds_path)
    progress, on_feed = _feed_progress(settings)
    with progress:
        result = do_collect(settings, on_feed=on_feed)
    if not any(f.ok for f in result.feeds):
        from briefing.errors import CollectError

        raise CollectError(
            "no feed could be read: " + "; ".join(f"{e.feed}: {e.error}" for e in result.errors[:5])
        )
    ranked = do_rank(result.items, settings, day=_day(day))
    events = ranked.top + ranked.rest
    if as_json:
        payload = {
            "events": [
                {
                    "title": e.title,
                    "score": round(e.score, 4),
                    "kind": e.kind,
                    "reasons": e.reasons,
                    "items": [
                        {
                            "title": i.title,
                            "link": i.link,
                            "source": i.source,
                            "published": i.published.isoformat() if i.published else None,
                        }
                        for i in e.items
                    ],
                }
                for e in events
            ]
        }
        click.echo(json.dumps(payload, ensure_ascii=False, indent=2))
        return
    table = Table(title=f"{len(events)} events (dropped: {ranked.dropped})", title_justify="left")
    for col in ("#", "score", "sources", "kind", "title", "why"):
        table.add_column(col)
    for n, e in enumerate(events[:limit], 1):
        why = ", ".join(f"{k} {v:.2f}" for k, v in e.reasons.items())
        table.add_row(
            str(n) + ("★" if n <= len(ranked.top) else ""),
            f"{e.score:.3f}",
            str(len(e.sources)),
            e.kind or "",
            e.title,
            why,
        )
    out.print(table)


@main.command()
@click.argument("report", type=click.Path(path_type=Path))
@click.option("--event", "event", type=int, required=True, help="Event number, 1-based.")
@click.option("--section", type=click.Choice(SECTIONS), required=True)
@click.option(
    "--instruction", default=None, help="The editor's note for the model, e.g. 更强调日元资产."
)
@click.option("--dry-run", is_flag=True, help="Show the change as a diff; write nothing.")
@_fail_cleanly
def rerun(report: Path, event: int, section: str, instruction: str | None, dry_run: bool) -> None:
    """Regenerate one section of one event in place, from the run record's sources; other edits stay."""
    from briefing.pipeline import rerun as do_rerun

    result = do_rerun(
        report, event=event, section=section, instruction=instruction, dry_run=dry_run
    )  # type: ignore[arg-type]
    if result.writer == "offline" and instruction:
        err.print(
            "[yellow]offline writer:[/] --instruction needs an LLM; the section was regenerated from the rules",
            soft_wrap=True,
        )
    if dry_run:
        out.print(result.diff or "(no change)", markup=False, highlight=False)
        return
    if result.old == result.new:
        err.print(f"event {event} {section}: unchanged")
    else:
        err.print(
            f"event {event} {section}: rewritten by the {result.writer} writer; previous version {result.backup}"
        )
    out.print(str(result.report))


@main.command(name="eval")
@click.argument("report", type=click.Path(path_type=Path))
@click.option(
    "--source",
    "sources",
    multiple=True,
    type=click.Path(path_type=Path),
    help="A source file (txt/md/html); repeatable.",
)
@click.option("--json", "as_json", is_flag=True)
@click.option("--judge", is_flag=True, help="Also ask the configured LLM to judge each claim.")
@click.option(
    "--min-score",
    type=float,
    default=None,
    help="Exit non-zero when the score is below this (0–1).",
)
@_fail_cleanly
def eval_(
    report: Path, sources: tuple[Path, ...], as_json: bool, judge: bool, min_score: float | None
) -> None:
    """Check the report's claims (numbers, dates, entities) against its sources."""
    from briefing.evaluate import check, load_sources, make_judge, sources_from_items
    from briefing.record import load_record

    if not report.is_file():
        raise BriefingError(f"{report}: report not found")
    text = report.read_text(encoding="utf-8")
    record = None if sources else load_record(report)
    docs = load_sources(list(sources)) if sources else sources_from_items(record.items)
    the_judge = make_judge(report, record) if judge else None
    result = check(text, docs, judge=the_judge)
    if not result.claims:
        from briefing.errors import ReportFormatError

        raise ReportFormatError(f"{report}: no claims to check (is it a briefing report?)")
    if as_json:
        click.echo(json.dumps(result.contract_dict(), ensure_ascii=False, indent=2))
    else:
        table = Table(
            title=f"score {result.score:.2f} ({len(result.claims)} claims)", title_justify="left"
        )
        for col in ("verdict", "claim", "reasons"):
            table.add_column(col)
        colour = {"supported": "green", "unsupported": "yellow", "contradicted": "red"}
        order = {"contradicted": 0, "unsupported": 1, "supported": 2}
        for c in sorted(
            result.claims, key=lambda c: order[c.verdict]
        ):  # problems first, report order within
            table.add_row(f"[{colour[c.verdict]}]{c.verdict}[/]", c.text, "\n".join(c.reasons))
        out.print(table)
    if min_score is not None and result.score < min_score:
        raise EvalThresholdError(f"score {result.score:.2f} is below --min-score {min_score:.2f}")


@main.command()
@click.argument("report", type=click.Path(path_type=Path))
@click.option(
    "--event", "event", type=int, default=None, help="Show only event N, with its sources."
)
@_fail_cleanly
def show(report: Path, event: int | None) -> None:
    """The report rendered in the terminal, beside the headlines and links it was written from."""
    from briefing.errors import RecordError, ReportFormatError
    from briefing.record import load_record
    from briefing.render import parse, section_text

    if not report.is_file():
        raise BriefingError(f"{report}: report not found")
    parsed = parse(report.read_text(encoding="utf-8"))
    try:
        record = load_record(report)
        top, made = record.top_events(), record.sections
    except RecordError as e:
        err.print(f"[yellow]{e}[/]")
        top, made = [], []
    numbers = [event] if event else list(range(1, len(parsed.report.events) + 1))
    for n in numbers:
        if not 1 <= n <= len(parsed.report.events):
            raise ReportFormatError(
                f"{report}: no event {n}; the report has events 1–{len(parsed.report.events)}"
            )
        a = parsed.report.events[n - 1]
        body = (
            f"## {n}. {a.title}\n\n事件时间：{a.event_time}\n\n{a.summary}\n\n### 深度解读 & 洞察\n\n{a.insight}\n\n"
            f"### 影响\n\n{section_text(a, 'impact')}\n\n> 投资启示：{a.takeaway}\n"
        )
        out.print(Markdown(body))
        if n <= len(top):
            table = Table(title="sources", title_justify="left", show_lines=False)
            for col in ("published", "source", "headline", "link"):
                table.add_column(col, overflow="fold")
            for i in top[n - 1].items:
                table.add_row(
                    f"{i.published:%m-%d %H:%M}" if i.published else "—", i.source, i.title, i.link
                )
            out.print(table)
        if n <= len(made) and made[n - 1].notes:  # how the writer made it: never in the post
            out.print("\n".join(f"· {note}" for note in made[n - 1].notes), markup=False)
        out.rule()
