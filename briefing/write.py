"""The write stage: one writer fills EventAnalysis for each top event, concurrently, then the headline."""

from __future__ import annotations

import asyncio
from typing import Protocol

from briefing.models import Event, EventAnalysis, Headline, Section, Written


class Writer(Protocol):
    """Both the offline writer and the LLM writer; the pipeline and rerun only see this."""

    name: str

    async def write_event(self, event: Event) -> Written: ...

    async def write_section(
        self, event: Event, current: EventAnalysis, section: Section, instruction: str | None = None
    ) -> Written:
        """`current` with only `section` rewritten (from the same event items)."""
        ...

    async def write_headline(
        self, analyses: list[EventAnalysis], rest: list[Event]
    ) -> Headline: ...


async def write_all(
    writer: Writer, top: list[Event], rest: list[Event]
) -> tuple[list[Written], Headline]:
    """All events at once; the headline waits only for them."""
    written = await asyncio.gather(*(writer.write_event(e) for e in top))
    headline = await writer.write_headline([w.analysis for w in written], rest)
    return list(written), headline
