"""The write stage: one writer fills EventAnalysis for each top event, all in one round.

The events, the headline and (in pipeline.general_lines) the translation of English-only
headlines for 一般事件 are asked at the same time: the LLM part of a run takes one answer-latency,
not two. The LLM stack (langchain-core, openai) is imported in the background while the feeds are
fetched (`preload`), so its import time is off the critical path where that can be arranged.
"""

from __future__ import annotations

import asyncio
import importlib
import re
import threading
from typing import TYPE_CHECKING, Protocol

from briefing.models import Event, EventAnalysis, Headline, Section, Written

if TYPE_CHECKING:
    from briefing.config import Settings

_CJK = re.compile(r"[\u3400-\u9fff]")
_LATIN_WORD = re.compile(r"[A-Za-z]{2,}")


def needs_translation(title: str) -> bool:
    """An English (Latin-script) headline without any Chinese: not publishable as it is in 一般事件."""
    return not _CJK.search(title) and bool(_LATIN_WORD.search(title))


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

    async def translate_titles(self, titles: list[str]) -> list[str | None]:
        """Each headline as 一般事件 may print it: Chinese as it is, an English-only one translated
        (LLM, one batched call) or None to leave it out (offline: never published untranslated)."""
        ...


async def write_all(
    writer: Writer, top: list[Event], rest: list[Event]
) -> tuple[list[Written], Headline]:
    """All events and the headline at once; a writer that can headline from the ranked events
    (`headline_from_events`) does so in the same round, any other headlines from its sections."""
    events = [writer.write_event(e) for e in top]
    early = getattr(writer, "headline_from_events", None)
    if early is None:
        written = await asyncio.gather(*events)
        return list(written), await writer.write_headline([w.analysis for w in written], rest)
    *written, headline = await asyncio.gather(*events, early(top, rest))
    return list(written), headline


_preloading: dict[str, threading.Thread] = {}


def preload(settings: Settings) -> None:
    """With an LLM configured, import the LLM writer (langchain-core, openai) on a background thread
    now, so the write stage finds it imported; Python's import lock makes a later import wait."""
    if not settings.llm.configured or "briefing.llm_writer" in _preloading:
        return
    thread = threading.Thread(target=_warm_up, name="preload-llm", daemon=True)
    _preloading["briefing.llm_writer"] = thread
    thread.start()


def _warm_up() -> None:
    """Import the LLM writer and load the TLS certificate store (both CPU only, nothing connects)."""
    try:
        importlib.import_module("briefing.llm_writer")
        importlib.import_module("briefing.llm_wire").shared_ssl_context()
    except Exception:  # noqa: BLE001 - the import in the write stage raises it where it is handled
        pass
