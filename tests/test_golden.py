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


def test_the_writers_method_is_in_the_record_and_in_show_not_in_the_post(tmp_path: Path) -> None:
    from click.testing import CliRunner

    from briefing.cli import main
    from briefing.record import load_record

    settings = load_settings(EXAMPLES / "feeds.yaml", env={}, env_file=None)
    now = datetime(2025, 12, 13, 7, 0, tzinfo=ZoneInfo("Asia/Shanghai"))
    report = run(settings, day=date(2025, 12, 12), out_dir=tmp_path, now=now).report
    notes = load_record(report).sections[1].notes
    assert notes[0].startswith("本事件由4个来源报道（") and notes[0].endswith(
        "“通胀数据”（inflation_data）"
    )
    assert "本事件由" not in report.read_text(encoding="utf-8")
    shown = CliRunner().invoke(main, ["show", str(report), "--event", "2"], terminal_width=400)
    assert shown.exit_code == 0 and "· 方向：up；预期：未提及" in shown.output
