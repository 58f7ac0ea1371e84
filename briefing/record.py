"""The run record beside each report: what went in and what came out, enough to rerun or audit.

`output/2025-12-12.md` has `output/2025-12-12.record.json`; earlier versions of both go to
`output/.history/`. Settings are stored without secrets (only whether a key was set).
"""

from __future__ import annotations

import shutil
from datetime import datetime
from pathlib import Path
from typing import Any

from pydantic import BaseModel, Field, ValidationError

from briefing import __version__
from briefing.errors import RecordError
from briefing.models import Event, FeedError, FeedStatus, Item, Previous, Provenance
from briefing.render import write_atomic

HISTORY = ".history"


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


class RunRecord(BaseModel):
    version: int = 1
    generator: str = f"briefing {__version__}"
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


def save_record(record: RunRecord, report: Path) -> Path:
    path = record_path(report)
    write_atomic(path, record.model_dump_json(indent=2) + "\n")
    return path


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


def backup(path: Path, stamp: datetime) -> Path | None:
    """Copy `path` into `.history/` beside it before it is replaced; None when there is nothing yet."""
    if not path.exists():
        return None
    dest_dir = path.parent / HISTORY
    dest_dir.mkdir(parents=True, exist_ok=True)
    dest = dest_dir / f"{path.stem}.{stamp:%Y%m%dT%H%M%S%f}{path.suffix}"
    shutil.copy2(path, dest)
    return dest
