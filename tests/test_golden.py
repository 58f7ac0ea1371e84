"""The offline report of the bundled sample, byte for byte. Regenerate on purpose: UPDATE_GOLDEN=1 pytest tests/test_golden.py"""

from __future__ import annotations

import os
import re
from datetime import date, datetime
from pathlib import Path
from zoneinfo import ZoneInfo

from conftest import EXAMPLES

from briefing.config import load_settings
from briefing.pipeline import run

GOLDEN = Path(__file__).parent / "golden" / "2025-12-12.md"


def test_offline_report_of_the_sample_matches_the_golden_file(tmp_path: Path) -> None:
    settings = load_settings(EXAMPLES / "feeds.yaml", env={}, env_file=None)
    now = datetime(2025, 12, 13, 7, 0, tzinfo=ZoneInfo("Asia/Shanghai"))
    summary = run(settings, day=date(2025, 12, 12), out_dir=tmp_path, now=now)
    text = summary.report.read_text(encoding="utf-8")
    text = re.sub(
        r"version: [0-9.]+", "version: X", text
    )  # a release must not need a new golden file
    if os.environ.get("UPDATE_GOLDEN"):
        GOLDEN.write_text(text, encoding="utf-8")
    assert text == GOLDEN.read_text(encoding="utf-8")
