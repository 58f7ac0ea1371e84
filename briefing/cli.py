"""The `briefing` command: each subcommand parses flags, calls the pipeline, prints.

Expected failures (BriefingError) print one line on stderr and exit with their code; see errors.py
for the tree and the codes (2 bad flag or config … 9 cannot write, 130 Ctrl-C, 141 closed pipe)
and console.py for how text is printed (no markup, no control characters, no secrets).
`briefing --help` imports click only; rich, pydantic and the pipeline load when a command runs.
"""

from __future__ import annotations

from collections.abc import Callable
from datetime import date, datetime
from functools import wraps
from pathlib import Path
from typing import TYPE_CHECKING, Any

import click

from briefing import __version__
from briefing.console import (
    BriefingGroup,
    echo_json,
    err,
    log,
    out,
    printable,
    say,
    styled,
    verbose_option,
)
from briefing.console import fail_cleanly as _fail_cleanly
from briefing.errors import INTERRUPTED

if TYPE_CHECKING:
    from rich.progress import Progress

    from briefing.config import Settings
    from briefing.models import FeedStatus
    from briefing.status import RunStatus

SECTION_NAMES = {
    "summary": "summary",
    "insight": "insight",
    "impact": "impact",
    "takeaway": "takeaway",
    "摘要": "summary",
    "概述": "summary",
    "深度解读": "insight",
    "影响": "impact",
    "投资启示": "takeaway",
}


def _with_status(fn: Callable[..., Any]) -> Callable[..., Any]:
    """Print the run's one-line status (briefing/status.py) last on stderr, whatever the outcome."""

    @wraps(fn)
    def wrapper(*args: Any, **kwargs: Any) -> Any:
        from briefing.status import RunStatus

        status = RunStatus()
        code: int = 1
        try:
            result = fn(*args, status=status, **kwargs)
            code = 0
            return result
        except SystemExit as e:
            code = e.code if isinstance(e.code, int) else 1
            raise
        except KeyboardInterrupt:
            code = INTERRUPTED
            raise
        finally:
            err.print(status.line(code), markup=False, highlight=False, soft_wrap=True)

    return wrapper


def _day(value: datetime | None) -> date | None:
    return value.date() if value else None


def _check_day(value: datetime | None, settings: Settings) -> date | None:
    day = _day(value)
    if day is not None:
        settings.check_day(day)
    return day


feeds_option = click.option(
    "--feeds",
    "feeds_path",
    type=click.Path(path_type=Path),
    default="feeds.yaml",
    show_default=True,
    help="The feeds configuration.",
)
no_cache_option = click.option(
    "--no-cache",
    is_flag=True,
    help="Ask the model even when the answer cache has this exact request.",
)
date_option = click.option(
    "--date",
    "day",
    type=click.DateTime(formats=["%Y-%m-%d"]),
    default=None,
    help="Report date (YYYY-MM-DD), not in the future; default today in the configured time zone.",
)


def _epilog(example: str, codes: str) -> str:
    """Every command's --help ends with an example and its exit codes (see errors.py)."""
    return f"\b\nExample:\n  {example}\n\n\b\nExit codes:\n{codes}"


COMMON_CODES = "  0 done · 2 bad flag value or configuration · 130 interrupted (Ctrl-C)"
REPORT_CODES = (
    f"{COMMON_CODES}\n  2 report not found · 5 not a briefing report (or unreadable encoding)\n"
    "  6 run record missing or of another run"
)


@click.group(
    cls=BriefingGroup,
    context_settings={"help_option_names": ["-h", "--help"]},
    epilog=_epilog(
        "briefing run --feeds feeds.yaml --out output",
        f"{COMMON_CODES}\n  3 no feed readable · 4 report exists · 5 not a report · 6 record problem\n"
        "  7 the configured LLM wrote nothing · 8 below a score threshold · 9 cannot write output\n"
        "  10 publishing failed (the report stays written) · 141 stdout closed early (| head)",
    ),
)
@click.version_option(__version__, "-V", "--version", prog_name="briefing")
@verbose_option
def main() -> None:
    """Write the daily economic briefing (经济日报) from news feeds."""


def _feed_progress(settings: Settings) -> tuple[Progress, Callable[[FeedStatus], None]]:
    from rich.progress import (
        BarColumn,
        MofNCompleteColumn,
        Progress,
        TextColumn,
        TimeElapsedColumn,
    )

    from briefing.secrets import redact_text

    progress = Progress(
        TextColumn("{task.fields[stage]}", markup=False, style="bold"),
        BarColumn(),
        MofNCompleteColumn(),
        TextColumn("{task.description}", markup=False),
        TimeElapsedColumn(),
        console=err,
        transient=True,
        disable=not err.is_terminal,
    )
    task = progress.add_task("", total=len(settings.enabled_feeds), stage="collect")

    def on_feed(status: FeedStatus) -> None:
        mark = "✓" if status.ok else "✗"
        progress.update(
            task, advance=1, description=printable(redact_text(f"{mark} {status.feed}"))
        )
        log("briefing.collect").info(
            "%s %s: %s",
            "ok" if status.ok else "failed",
            status.feed,
            status.error or f"{status.items} items",
        )

    return progress, on_feed


@main.command(
    epilog=_epilog(
        "briefing run --date 2025-12-12 --out output --force",
        f"{COMMON_CODES}\n  3 no feed readable · 4 DIR/DATE.md exists (use --force)\n"
        "  7 the configured LLM wrote none of the events (draft kept in DIR/drafts/)\n"
        "  8 held back by --min-grounding · 9 DIR cannot be written (checked before any fetch)\n"
        "  10 written, but a publish: target failed",
    )
)
@feeds_option
@date_option
@click.option(
    "--out", "out_dir", type=click.Path(path_type=Path), default="output", show_default=True
)
@click.option(
    "--force", is_flag=True, help="Replace an existing report (the old pair goes to .history/)."
)
@no_cache_option
@click.option(
    "--min-grounding",
    type=float,
    default=None,
    help="Hold the report back (exit 8, draft in DIR/drafts/) when the share of checkable claims "
    "the sources support is below this (0–1); default: feeds.yaml's min_grounding.",
)
@verbose_option
@_with_status
@_fail_cleanly
def run(
    feeds_path: Path,
    day: datetime | None,
    out_dir: Path,
    force: bool,
    no_cache: bool,
    min_grounding: float | None,
    status: RunStatus,
) -> None:
    """The morning job: collect, rank, write and save DIR/DATE.md with its run record."""
    from rich.table import Table
    from rich.text import Text

    from briefing.config import load_settings
    from briefing.errors import ConfigError
    from briefing.secrets import redact_text

    if day:
        status.date = f"{day:%Y-%m-%d}"
    if min_grounding is not None and not 0 <= min_grounding <= 1:
        raise ConfigError(f"--min-grounding {min_grounding:g}: expected a share between 0 and 1")
    settings = load_settings(feeds_path)
    if no_cache:
        settings.llm.cache = False
    status.date = f"{day or settings.today():%Y-%m-%d}"
    the_day = _check_day(day, settings)

    from briefing import aio
    from briefing.pipeline import GroundingHeld, run_async

    writer_name = "llm" if settings.llm.configured else "offline"  # made at the write stage
    status.writer = writer_name

    progress, on_feed = _feed_progress(settings)

    def on_stage(stage: str) -> None:
        log("briefing").info("stage: %s", stage)
        for task in progress.tasks:
            if task.total is None:
                progress.update(task.id, total=1, completed=1)
        if stage != "collect":
            what = (
                f"{settings.report.top} events with the {writer_name} writer"
                if stage == "write"
                else ""
            )
            progress.add_task(what, total=None, stage=stage)
        if stage == "write" and writer_name == "offline":
            say(
                ("offline writer:", "yellow"),
                " no OPENAI_API_KEY or OPENAI_BASE_URL set; sections come from the "
                "sources' own sentences and the rules table (the front matter says writer: offline)",
            )

    def on_warning(message: str) -> None:
        say(("warning:", "yellow"), f" {message}")

    try:
        with progress:
            summary = aio.run(
                run_async(
                    settings,
                    day=the_day,
                    out_dir=out_dir,
                    force=force,
                    on_feed=on_feed,
                    on_stage=on_stage,
                    on_warning=on_warning,
                    min_grounding=min_grounding,
                )
            )
    except GroundingHeld as held:
        s = held.summary
        status.report, status.draft, status.writer = "held", s.report, s.writer
        status.events, status.grounding = s.top, (s.grounding or {}).get("score")
        unsupported = (s.grounding or {}).get("unsupported", [])
        say(f"unsupported claims ({len(unsupported)}):")
        for claim in unsupported:
            say((f"? {claim}", "yellow"))
        raise
    status.report, status.writer, status.events = str(summary.report), summary.writer, summary.top
    status.grounding = (summary.grounding or {}).get("score")
    table = Table(title="briefing run", show_header=False, title_justify="left")
    table.add_row("feeds", f"{summary.feeds_ok} ok, {len(summary.feeds_failed)} failed")
    for name, error in summary.feeds_failed:
        table.add_row("", styled((f"✗ {name}", "red"), f": {redact_text(error)}"))
    table.add_row("items", str(summary.items))
    table.add_row("events", f"{summary.events} (top 3 written by the {summary.writer} writer)")
    if summary.calls:
        cached = f" ({summary.cached} from the answer cache)" if summary.cached else ""
        cost = f", cost {summary.cost:.4f}" if summary.cost is not None else ""
        table.add_row("LLM", f"{summary.calls} calls{cached}, {summary.tokens} tokens{cost}")
    for reason in summary.fallbacks:
        table.add_row("", styled(("offline fallback", "yellow"), f": {redact_text(reason)}"))
    if summary.grounding:
        g = summary.grounding
        table.add_row(
            "grounding",
            f"{g['score']:.0%} of {g['checked']} checkable claims supported by the sources",
        )
        for claim in g["unsupported"][:8]:
            table.add_row(
                "", Text(printable(f"? {claim}"), style="yellow", overflow="ellipsis", no_wrap=True)
            )
        if len(g["unsupported"]) > 8:
            table.add_row("", f"… {len(g['unsupported']) - 8} more: briefing eval {summary.report}")
    if summary.memory and summary.memory["days"]:
        m = summary.memory
        table.add_row(
            "memory",
            f"left out {m['published_items_left_out']} published items, "
            f"{len(m['retold_events_left_out'])} retold stories ({len(m['days'])} earlier reports)",
        )
    table.add_row("time", f"{summary.seconds:.1f} s")
    table.add_row("report", str(summary.report))
    if summary.cover:
        table.add_row("cover", str(summary.cover))
    if summary.backup:
        table.add_row("previous", str(summary.backup))
    for o in summary.published:
        mark = ("✓", "green") if o.ok else ("✗", "red")
        table.add_row("publish", styled(mark, f" {o.target}: {o.detail}"))
    err.print(table)
    out.print(str(summary.report))
    if summary.published:
        status.published = (
            len(summary.published) - len(summary.publish_failed),
            len(summary.published),
        )
    if summary.publish_failed:
        from briefing.errors import PublishError

        failed = summary.publish_failed
        raise PublishError(
            f"report written, but publishing failed for {len(failed)} of {len(summary.published)} "
            f"targets: {failed[0].detail}"
        )


@main.command(
    epilog=_epilog(
        "briefing collect --json | jq '.errors'",
        f"{COMMON_CODES}\n  3 no feed could be read",
    )
)
@feeds_option
@date_option
@click.option("--json", "as_json", is_flag=True, help="Print the contract JSON on stdout.")
@click.option("--all", "show_all", is_flag=True, help="Keep items outside the report window.")
@verbose_option
@_fail_cleanly
def collect(feeds_path: Path, day: datetime | None, as_json: bool, show_all: bool) -> None:
    """Fetch every feed; exit 0 when at least one feed worked."""
    from rich.table import Table

    from briefing.collect import collect as do_collect
    from briefing.config import load_settings
    from briefing.errors import CollectError

    settings = load_settings(feeds_path)
    the_day = _check_day(day, settings)
    progress, on_feed = _feed_progress(settings)
    with progress:
        result = do_collect(settings, on_feed=on_feed)
    items = result.items
    if not show_all:
        start, end = settings.window(the_day)
        items = [i for i in items if i.published is None or start <= i.published <= end]
        if outside := len(result.items) - len(items):
            say(
                f"{outside} of {len(result.items)} items fell outside the report window "
                f"{start:%Y-%m-%d %H:%M} – {end:%Y-%m-%d %H:%M} and are not shown (--all keeps them)"
            )
    if as_json:
        payload = {
            "items": [i.model_dump(mode="json") for i in items],
            "errors": [e.model_dump(mode="json") for e in result.errors],
        }
        echo_json(payload)
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
            say((f"✗ {e.feed}", "red"), f": {e.error}")
    if not any(f.ok for f in result.feeds):
        raise CollectError("no feed could be read")


@main.command(
    epilog=_epilog(
        "briefing rank --date 2025-12-12 --limit 10",
        f"{COMMON_CODES}\n  3 no feed could be read",
    )
)
@feeds_option
@date_option
@click.option("--json", "as_json", is_flag=True, help="Print the contract JSON on stdout.")
@click.option(
    "--limit", default=20, show_default=True, type=click.IntRange(min=1), help="Events to show."
)
@verbose_option
@_fail_cleanly
def rank(feeds_path: Path, day: datetime | None, as_json: bool, limit: int) -> None:
    """Group the window's items into events, best first, and say why each scored."""
    from rich.table import Table

    from briefing.collect import collect as do_collect
    from briefing.config import load_settings
    from briefing.errors import CollectError
    from briefing.rank import rank as do_rank

    settings = load_settings(feeds_path)
    the_day = _check_day(day, settings)
    progress, on_feed = _feed_progress(settings)
    with progress:
        result = do_collect(settings, on_feed=on_feed)
    if not any(f.ok for f in result.feeds):
        raise CollectError(
            "no feed could be read: " + "; ".join(f"{e.feed}: {e.error}" for e in result.errors[:5])
        )
    ranked = do_rank(result.items, settings, day=the_day)
    events = ranked.top + ranked.rest
    if as_json:
        payload = {
            "events": [
                {
                    "title": e.title,
                    "score": round(e.score, 4),
                    "kind": e.kind,
                    "reasons": e.reasons,
                    "items": [_item_json(i) for i in e.items],
                }
                for e in events
            ]
        }
        echo_json(payload)
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


def _item_json(i: Any) -> dict[str, Any]:
    return {
        "title": i.title,
        "link": i.link,
        "source": i.source,
        "published": i.published.isoformat() if i.published else None,
    }


def _section(_ctx: click.Context, _param: click.Parameter, value: str) -> str:
    return SECTION_NAMES[value]


@main.command(
    epilog=_epilog(
        "briefing rerun output/2025-12-12.md --event 2 --section 投资启示 --instruction 更强调日元资产",
        f"{REPORT_CODES}\n  7 the LLM failed (the file is untouched) · 9 cannot write",
    )
)
@click.argument("report", type=click.Path(path_type=Path))
@click.option(
    "--event", "event", type=click.IntRange(min=1), required=True, help="Event number, 1-based."
)
@click.option(
    "--section",
    type=click.Choice(list(SECTION_NAMES)),
    callback=_section,
    required=True,
    help="The section to rewrite, in English or Chinese.",
)
@click.option(
    "--instruction", default=None, help="The editor's note for the model, e.g. 更强调日元资产."
)
@click.option("--dry-run", is_flag=True, help="Show the change as a diff; write nothing.")
@no_cache_option
@verbose_option
@_fail_cleanly
def rerun(
    report: Path, event: int, section: str, instruction: str | None, dry_run: bool, no_cache: bool
) -> None:
    """Regenerate one section of one event in place, from the run record's sources; other edits stay."""
    from briefing.pipeline import rerun as do_rerun

    result = do_rerun(
        report,
        event=event,
        section=section,  # type: ignore[arg-type]
        instruction=instruction,
        dry_run=dry_run,
        use_cache=not no_cache,
    )
    by = f"the {result.writer} writer" + (f" (model {result.model})" if result.model else "")
    if result.writer == "offline" and instruction:
        say(
            ("offline writer:", "yellow"),
            " --instruction needs an LLM; the section was regenerated from the rules",
        )
    if dry_run:
        say(f"event {event} {section}: written by {by}; dry run, nothing saved")
        out.print(result.diff or "(no change)", highlight=False)
        return
    if not result.written:  # the section came back as it was
        say(f"event {event} {section}: unchanged")
    else:
        say(f"event {event} {section}: rewritten by {by}; previous version {result.backup}")
    out.print(str(result.report))


@main.command(
    name="eval",
    epilog=_epilog(
        "briefing eval output/2025-12-12.md --min-score 0.9",
        f"{REPORT_CODES}\n  8 score below --min-score",
    ),
)
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
    type=click.FloatRange(0, 1),
    default=None,
    help="Exit non-zero when the score is below this (0–1).",
)
@click.option("--flagged", is_flag=True, help="Show only unsupported and contradicted claims.")
@click.option(
    "--html",
    "html_page",
    type=click.Path(path_type=Path, dir_okay=False),
    default=None,
    help="Also write a self-contained review page: verdicts, reasons, source passages.",
)
@verbose_option
@_fail_cleanly
def eval_(
    report: Path,
    sources: tuple[Path, ...],
    as_json: bool,
    judge: bool,
    min_score: float | None,
    flagged: bool,
    html_page: Path | None,
) -> None:
    """Check the report's claims (numbers, dates, entities) against its sources."""
    from rich.table import Table

    from briefing.errors import EvalThresholdError, ReportFormatError
    from briefing.evaluate import check, load_sources, make_judge
    from briefing.memory import record_sources
    from briefing.reports import load_report

    loaded = load_report(report, record=not sources)
    text, record = loaded.text, loaded.record
    # the record's items, and the earlier sections its 前情 lines refer to, as the run checked them
    docs = load_sources(list(sources)) if sources else record_sources(report, record)
    the_judge = make_judge(report, record) if judge else None
    result = check(text, docs, judge=the_judge)
    if not result.claims:
        raise ReportFormatError(f"{report}: no claims to check (is it a briefing report?)")
    if html_page is not None:
        from briefing.atomic import write_atomic
        from briefing.grounding.html import review_page
        from briefing.record import output_error

        try:
            write_atomic(html_page, review_page(text, result, name=report.name))
        except OSError as e:
            raise output_error(e, html_page) from None
        say(f"review page: {html_page}")
    shown = [c for c in result.claims if not flagged or c.verdict != "supported"]
    if as_json:
        data = result.contract_dict()
        keep = {id(c) for c in shown}
        data["claims"] = [
            d for d, c in zip(data["claims"], result.claims, strict=True) if id(c) in keep
        ]
        echo_json(data)
    elif flagged and not shown:
        out.print(styled(f"score {result.score:.2f}: no flagged claims"))
    else:
        unchecked = len(result.claims) - result.checked
        table = Table(
            title=f"score {result.score:.2f} ({result.checked} checkable claims, "
            f"{unchecked} opinions unchecked{'; flagged only' if flagged else ''})",
            title_justify="left",
        )
        for col in ("verdict", "claim", "reasons"):
            table.add_column(col)
        colour = {"supported": "green", "unsupported": "yellow", "contradicted": "red"}
        order = {"contradicted": 0, "unsupported": 1, "supported": 2}
        for c in sorted(
            shown, key=lambda c: (order[c.verdict], not c.checked)
        ):  # problems first, unchecked last, report order within
            verdict = (c.verdict, colour[c.verdict]) if c.checked else ("unchecked", "dim")
            table.add_row(styled(verdict), styled(c.text), styled("\n".join(c.reasons)))
        out.print(table)
    if min_score is not None and result.score < min_score:
        raise EvalThresholdError(f"score {result.score:.2f} is below --min-score {min_score:.2f}")


@main.command(
    epilog=_epilog("briefing show output/2025-12-12.md --event 2", REPORT_CODES),
)
@click.argument("report", type=click.Path(path_type=Path))
@click.option(
    "--event",
    "event",
    type=click.IntRange(min=1),
    default=None,
    help="Show only event N, with its sources.",
)
@click.option("--json", "as_json", is_flag=True, help="The parsed report and its sources as JSON.")
@verbose_option
@_fail_cleanly
def show(report: Path, event: int | None, as_json: bool) -> None:
    """The report rendered in the terminal, beside the headlines and links it was written from."""
    from briefing.errors import ConfigError
    from briefing.reports import load_report, report_run_id

    loaded = load_report(report, record=None)
    events = loaded.parsed.report.events
    top = loaded.record.top_events() if loaded.record else []
    made = loaded.record.sections if loaded.record else []  # how each section was written
    if loaded.record_problem and not as_json:
        say((loaded.record_problem, "yellow"))
    if event is not None and event > len(events):
        raise ConfigError(f"--event {event}: no such event; {report} has events 1–{len(events)}")
    numbers = [event] if event else list(range(1, len(events) + 1))
    if as_json:
        r = loaded.parsed.report
        payload = {
            "report": str(report),
            "run_id": report_run_id(loaded.parsed),
            "date": r.date.isoformat(),
            "title": r.title,
            "headline": r.headline,
            "events": [
                {
                    "number": n,
                    **events[n - 1].model_dump(mode="json", exclude={"sources", "writer"}),
                    "items": [_item_json(i) for i in top[n - 1].items] if n <= len(top) else [],
                    "notes": made[n - 1].notes if n <= len(made) else [],
                }
                for n in numbers
            ],
            "general": r.general,
        }
        echo_json(payload)
        return
    _show_events(loaded, numbers, top)


def _show_events(loaded: Any, numbers: list[int], top: list[Any]) -> None:
    from rich.markdown import Markdown
    from rich.table import Table

    from briefing.render import section_text

    made = loaded.record.sections if loaded.record else []
    for n in numbers:
        a = loaded.parsed.report.events[n - 1]
        body = (
            f"## {n}. {a.title}\n\n事件时间：{a.event_time}\n\n{a.summary}\n\n### 深度解读 & 洞察\n\n{a.insight}\n\n"
            f"### 影响\n\n{section_text(a, 'impact')}\n\n> 投资启示：{a.takeaway}\n"
        )
        out.print(Markdown(printable(body)))
        if n <= len(top):
            table = Table(title="sources", title_justify="left", show_lines=False)
            for col in ("published", "source", "headline", "link"):
                table.add_column(col, overflow="fold")
            for i in top[n - 1].items:
                table.add_row(
                    f"{i.published:%m-%d %H:%M}" if i.published else "—", i.source, i.title, i.link
                )
            out.print(table)
        if n <= len(made) and made[n - 1].notes:  # the writer's method: never in the post
            out.print("\n".join(f"· {note}" for note in made[n - 1].notes), markup=False)
        out.rule()


@main.command(
    epilog=_epilog(
        'briefing publish output/2025-12-12.md --site ../blog --webhook "$FEISHU_HOOK" --format feishu',
        f"{REPORT_CODES}\n  10 a site or webhook failed (after retries; the token never shown)",
    )
)
@click.argument("report", type=click.Path(path_type=Path))
@click.option(
    "--site",
    "sites",
    multiple=True,
    type=click.Path(path_type=Path),
    help="A static site folder; repeatable.",
)
@click.option(
    "--engine",
    type=click.Choice(["hugo", "hexo", "jekyll"]),
    default=None,
    help="The site's engine (default: detected from its files).",
)
@click.option("--webhook", "webhooks", multiple=True, help="A chat webhook URL; repeatable.")
@click.option(
    "--format",
    "fmt",
    type=click.Choice(["json", "feishu", "dingtalk", "wecom", "slack"]),
    default="json",
    show_default=True,
    help="The webhook's message format.",
)
@click.option(
    "--secret",
    default=None,
    envvar="BRIEFING_WEBHOOK_SECRET",
    help="The bot's 加签 signing secret (Feishu, DingTalk); env BRIEFING_WEBHOOK_SECRET.",
)
@click.option("--link", default=None, help="The post's public URL for messages ({date}, {slug}).")
@click.option(
    "--feeds",
    "feeds_path",
    type=click.Path(path_type=Path),
    default="feeds.yaml",
    show_default=True,
    help="Read publish: settings (and, with no --site/--webhook, its targets) from here if it exists.",
)
@_fail_cleanly
def publish(
    report: Path,
    sites: tuple[Path, ...],
    engine: str | None,
    webhooks: tuple[str, ...],
    fmt: str,
    secret: str | None,
    link: str | None,
    feeds_path: Path,
) -> None:
    """Put a report into static sites and send it to chat webhooks; exit 10 when a target fails."""
    from briefing.config import PublishConfig, check_template, load_settings
    from briefing.errors import ConfigError, PublishError
    from briefing.publish import publish_configured, publish_report
    from briefing.publish.sites import detect_engine
    from briefing.secrets import redact_webhook, remember_secret, remember_webhook

    try:
        check_template(link)
    except ValueError as e:
        raise ConfigError(f"--link {e}") from None
    explicit = bool(sites or webhooks)  # then feeds.yaml's own webhooks are neither read nor needed
    settings = load_settings(feeds_path, webhooks=not explicit) if feeds_path.is_file() else None
    config = settings.publish if settings else PublishConfig()
    remember_secret(secret)
    for url in webhooks:
        remember_webhook(url)
        if not url.startswith(("http://", "https://")):
            raise ConfigError(f"--webhook {redact_webhook(url)}: not an http(s) URL")
    if sites or webhooks:
        engines = [engine or detect_engine(s) for s in sites]  # a bad --site fails before anything
        outcomes = publish_report(
            report,
            config,
            sites=list(zip(sites, engines, strict=True)),
            webhooks=[(u, fmt, secret) for u in webhooks],  # type: ignore[misc]  # fmt: a Choice
            link=link,
        )
    elif settings and (config.sites or config.webhooks):
        outcomes = publish_configured(report, settings)
    else:
        raise ConfigError(
            "nothing to publish to: pass --site DIR or --webhook URL (or configure publish:)"
        )
    failed = [o for o in outcomes if not o.ok]
    for o in outcomes:
        if o.ok or len(failed) > 1:  # a single failure is the error line itself
            mark = ("✓", "green") if o.ok else ("✗", "red")
            err.print(styled(mark, f" {o.target}: {o.detail}"), soft_wrap=True)
        if o.post:
            click.echo(str(o.post))
    if failed:
        raise PublishError(
            failed[0].detail
            if len(failed) == 1
            else f"{len(failed)} of {len(outcomes)} targets failed"
        )
