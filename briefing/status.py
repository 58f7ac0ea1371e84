"""The one line every `briefing run` ends with on stderr, for cron mail and log watchers.

    briefing: date=2025-12-12 report=output/2025-12-12.md writer=offline events=3 grounding=0.97 exit=0

Always the same keys in the same order, `-` for what the run never got to, `report=held` when the
grounding gate kept the draft back (`draft=` then names it), `published=1/2` when publish: targets
are configured (how many of them took the report), values without spaces, so
`grep -E '^briefing: .* exit=[^0]'` finds every failed morning.
"""

from __future__ import annotations

import re
from dataclasses import dataclass
from pathlib import Path

_SPACE = re.compile(r"\s+")


@dataclass
class RunStatus:
    """What the run got to; the CLI fills it as the run goes and prints `line()` at the end."""

    date: str = "-"
    report: str = "-"
    writer: str = "-"
    events: int | None = None
    grounding: float | None = None
    draft: Path | None = None
    published: tuple[int, int] | None = None  # (targets that worked, targets) when publish: is set

    def line(self, exit_code: int) -> str:
        """`briefing: key=value …` in a fixed order; spaces inside a value become `_`."""
        fields = {
            "date": self.date,
            "report": self.report,
            "writer": self.writer,
            "events": "-" if self.events is None else str(self.events),
            "grounding": "-" if self.grounding is None else f"{self.grounding:.2f}",
        }
        if self.draft is not None:
            fields["draft"] = str(self.draft)
        if self.published is not None:
            fields["published"] = "{}/{}".format(*self.published)
        fields["exit"] = str(exit_code)
        return "briefing: " + " ".join(f"{k}={_SPACE.sub('_', v)}" for k, v in fields.items())
