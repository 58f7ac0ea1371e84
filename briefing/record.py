"""The run record beside each report: what went in and what came out, enough to rerun or audit.

`output/2025-12-12.md` has `output/2025-12-12.record.json`; earlier versions of both go to
`output/.history/` as one pair with one stamp (`2025-12-12.STAMP.md` beside
`2025-12-12.STAMP.record.json`), so a backed-up report still finds its record. Settings are stored
without secrets (only whether a key was set).

Report and record are one unit. Each run gets a `run_id`, held by the record and by the report's
front matter (`generator.run_id`); hand edits and reruns leave it alone, so the pair stays
verifiable (reports.load_report refuses a mismatch). `write_pair` orders the writes so that no
crash or full disk can pair them silently: both new files are first written in full to synced
temp files beside their targets, then the old pair is copied into `.history/`, then the record is
renamed into place and the report last. A failure before the renames leaves the old pair
byte-identical and removes every temp file; a crash between the two renames leaves a new record
beside the old report, which the run ids expose. Any OSError becomes an OutputError (exit 9).
"""

from __future__ import annotations

import errno
import hashlib
import os
import tempfile
from datetime import datetime
from pathlib import Path
from typing import Any

from pydantic import BaseModel, Field, ValidationError

from briefing import __version__
from briefing.atomic import stage_atomic
from briefing.errors import OutputError, RecordError
from briefing.models import Event, FeedError, FeedStatus, Item, Previous, Provenance

HISTORY = ".history"
DRAFTS = "drafts"  # under OUT: a run's draft that was not published as OUT/DATE.md (exit 7)


class RecordEvent(BaseModel):
    """An event as ranked; items by id (the items themselves are stored once, in `items`)."""

    title: str
    score: float
    kind: str | None = None
    reasons: dict[str, float] = Field(default_factory=dict)
    items: list[str]
    top: bool = False
    previous: Previous | None = None  # an earlier report told this story: {"date", "title"}


class Rerun(BaseModel):
    at: datetime
    event: int
    section: str
    instruction: str | None = None
    writer: str
    provenance: Provenance
    calls: list[dict[str, Any]] = Field(default_factory=list)


def new_run_id(now: datetime, content: str) -> str:
    """Readable and reproducible: when the run started plus a digest of that instant and what it wrote."""
    digest = hashlib.sha256(f"{now.isoformat()}\n{content}".encode()).hexdigest()[:10]
    return f"{now:%Y%m%dT%H%M%S}-{digest}"


class RunRecord(BaseModel):
    version: int = 1
    generator: str = f"briefing {__version__}"
    run_id: str | None = None  # also in the report's front matter (generator.run_id)
    report: str
    date: str
    started_at: datetime
    seconds: float = 0.0
    writer: str
    settings: dict[str, Any]
    window: tuple[datetime, datetime]
    feeds: list[FeedStatus] = Field(default_factory=list)
    errors: list[FeedError] = Field(default_factory=list)
    items: list[Item] = Field(default_factory=list)
    events: list[RecordEvent] = Field(default_factory=list)
    sections: list[Provenance] = Field(default_factory=list)  # one per top event, in report order
    calls: list[dict[str, Any]] = Field(
        default_factory=list
    )  # every LLM call: purpose, prompt hash, usage, raw
    grounding: dict[str, Any] | None = None
    memory: dict[str, Any] | None = None  # memory.Memory.summary(): days read, what was left out
    reruns: list[Rerun] = Field(default_factory=list)

    def top_events(self) -> list[Event]:
        """The top events with their items, as the writer saw them: what rerun writes from."""
        by_id = {i.id: i for i in self.items}
        return [
            Event(
                title=e.title,
                score=e.score,
                kind=e.kind,
                reasons=e.reasons,
                items=[by_id[i] for i in e.items if i in by_id],
                previous=e.previous,
            )
            for e in self.events
            if e.top
        ]


def record_path(report: Path) -> Path:
    return report.with_name(report.stem + ".record.json")


def events_for_record(top: list[Event], rest: list[Event]) -> tuple[list[Item], list[RecordEvent]]:
    items: dict[str, Item] = {}
    out: list[RecordEvent] = []
    for is_top, group in ((True, top), (False, rest)):
        for e in group:
            for i in e.items:
                items.setdefault(i.id, i)
            out.append(
                RecordEvent(
                    title=e.title,
                    score=e.score,
                    kind=e.kind,
                    reasons=e.reasons,
                    items=[i.id for i in e.items],
                    top=is_top,
                    previous=e.previous,
                )
            )
    return list(items.values()), out


def record_json(record: RunRecord) -> str:
    return record.model_dump_json(indent=2) + "\n"


def load_record(report: Path) -> RunRecord:
    """The record for a report, or a RecordError that says which file was expected and what to do."""
    path = record_path(report)
    if not path.is_file():
        raise RecordError(
            f"{path}: run record not found; rerun needs the record written by `briefing run` beside the report "
            "(run `briefing run --date DATE --force` to make a new report and record)"
        )
    try:
        return RunRecord.model_validate_json(path.read_text(encoding="utf-8"))
    except (OSError, ValidationError, ValueError) as e:
        first = str(e).splitlines()[0]
        raise RecordError(f"{path}: run record unreadable: {first}") from None


def _unlink_quietly(paths: list[Path]) -> None:
    for p in paths:
        try:
            p.unlink(missing_ok=True)
        except OSError:
            pass


_PLAIN = {errno.ENOSPC: "no space left on the device", errno.EROFS: "read-only file system"}


def why(e: OSError) -> str:
    """The reason a write failed, in words (no errno soup)."""
    return _PLAIN.get(e.errno or 0) or e.strerror or str(e)


def output_error(e: OSError, path: Path, doing: str = "write") -> OutputError:
    """One line that names the file and the reason (no traceback)."""
    reason = f"the folder is on a {why(e)}" if e.errno == errno.EROFS else why(e)
    return OutputError(f"cannot {doing} {path}: {reason}; nothing was replaced")


def _history_name(path: Path, stamp: datetime, report_stem: str) -> str:
    tag = f"{stamp:%Y%m%dT%H%M%S%f}"
    if path.name.endswith(".record.json"):
        return f"{report_stem}.{tag}.record.json"
    return f"{path.stem}.{tag}{path.suffix}"


def _stage_copy(src: Path, dest: Path) -> Path:
    return stage_atomic(dest, src.read_bytes())


def write_pair(
    report: Path, report_data: str | bytes | None, record: RunRecord, *, stamp: datetime | None
) -> Path | None:
    """Replace report and record as one unit (see the module docstring); the backed-up report, if any.

    `report_data=None` writes only the record. With `stamp`, the current pair goes to `.history/`
    first under that stamp.
    """
    rec_path = record_path(report)
    history = report.parent / HISTORY
    history_existed = history.is_dir()
    staged: list[tuple[Path, Path]] = []  # (temp, target), renamed in this order
    temps: list[Path] = []
    backups: list[Path] = []
    renamed = False
    current = rec_path
    try:
        temps.append(stage_atomic(rec_path, record_json(record)))
        staged.append((temps[-1], rec_path))
        if report_data is not None:
            current = report
            temps.append(stage_atomic(report, report_data))
            staged.append((temps[-1], report))
        old_report = None
        if stamp is not None:
            for src in (report, rec_path):
                if not src.is_file():
                    continue
                current = history / _history_name(src, stamp, report.stem)
                temps.append(_stage_copy(src, current))
                os.replace(temps[-1], current)
                backups.append(current)
                if src == report:
                    old_report = current
        for tmp, target in staged:
            current = target
            os.replace(tmp, target)
            renamed = True
        _sync_dir(report.parent)
    except BaseException as e:
        _unlink_quietly(temps)
        if not renamed:  # the old pair is still in place: its copies would only be clutter
            _unlink_quietly(backups)
            if not history_existed:
                try:
                    history.rmdir()
                except OSError:
                    pass
        if isinstance(e, OSError):
            error = output_error(e, current)
            if renamed:  # the record is the new one, the report the old: their run ids tell
                error = OutputError(
                    str(error).replace(
                        "nothing was replaced",
                        f"the record was replaced but not the report (old pair in {history})",
                    )
                )
            raise error from None
        raise
    return old_report


def _sync_dir(folder: Path) -> None:
    try:
        fd = os.open(folder, os.O_RDONLY)
    except OSError:
        return
    try:
        os.fsync(fd)
    except OSError:
        pass
    finally:
        os.close(fd)


def check_out_dir(out_dir: Path) -> None:
    """Before any feed is fetched or any model paid for: can reports be written into `out_dir`?"""
    check_writable(out_dir, "pass --out DIR")


def check_cache_dir(cache_dir: Path) -> None:
    """Before any feed is fetched: can the HTTP and answer caches be written (else exit 9)?"""
    check_writable(cache_dir, "set BRIEFING_CACHE_DIR to a writable folder")


def check_writable(out_dir: Path, hint: str) -> None:
    """`out_dir`, or the nearest folder it would be made in, takes a new file; OutputError if not."""
    probe_in = out_dir
    while not probe_in.exists():
        if probe_in.is_symlink():
            raise OutputError(f"{out_dir}: cannot be created: {probe_in} is a dangling link")
        parent = probe_in.parent
        if parent == probe_in:
            break
        probe_in = parent
    if probe_in.exists() and not probe_in.is_dir():
        where = "" if probe_in == out_dir else f" ({probe_in} is a file)"
        raise OutputError(f"{out_dir}: not a folder{where}; {hint}")
    try:
        fd, tmp = tempfile.mkstemp(prefix=".briefing-probe.", dir=probe_in)
        os.close(fd)
        os.unlink(tmp)
    except OSError as e:
        raise OutputError(f"{out_dir}: cannot write there ({why(e)}); {hint}") from None
