"""Fault class: a full disk or a read-only folder at any write (report, record, backup, cache).

Real file systems: a small tmpfs filled to the brim, a tmpfs remounted read-only, a read-only bind
mount over `.history/` (root ignores chmod, so permissions alone prove nothing). Each case ends
with one line and exit 9; the previous report and record stay byte-identical; no temp file is
left, in `.history/` either. Skipped, with the reason, where mounting is not allowed.
"""

from __future__ import annotations

import re
from pathlib import Path

import pytest
from faultkit import (
    DAY,
    SAMPLE,
    FeedServer,
    fill,
    hand_edit,
    http_config,
    invoke,
    morning,
    morning_copy,
    one_line,
    read_only_bind,
    remount,
    snapshot,
    tmpfs,
)

PAGE = 4096


@pytest.fixture(autouse=True)
def _in_tmp(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.chdir(tmp_path)


def _pages(n: int) -> int:
    return -(-n // PAGE) * PAGE


def _without(snap: dict[str, bytes], name: str) -> dict[str, bytes]:
    return {k: v for k, v in snap.items() if k != name}


@pytest.mark.parametrize("fails_at", ["record", "report", "backup"])
def test_a_full_disk_at_each_write_of_run_force_keeps_the_old_pair(
    tmp_path: Path, fails_at: str
) -> None:
    with tmpfs(tmp_path, "2m") as fs:
        out = fs / "out"
        report = morning_copy(out)
        rec_size = report.with_name(f"{DAY}.record.json").stat().st_size
        rep_size = report.stat().st_size
        leave = {
            "record": 0,  # not even the record's temp file fits
            "report": _pages(rec_size) + PAGE,  # the record's does, the report's not
            "backup": _pages(rec_size) + _pages(rep_size) + PAGE,  # both do, the copy not
        }[fails_at]
        fill(fs, leave)
        before = snapshot(out)
        code, stdout, err = invoke(
            "run", "--feeds", str(SAMPLE), "--date", DAY, "--out", str(out), "--force"
        )
        line = one_line(err.split("offline writer:", 1)[-1].split("\n", 1)[-1])
        assert code == 9 and stdout == ""
        assert "no space left on the device" in line and "nothing was replaced" in line
        assert snapshot(out) == before  # byte-identical, no temp, no half backup
        assert not (out / ".history").exists()


def test_a_full_disk_during_a_rerun_keeps_the_edited_report(tmp_path: Path) -> None:
    with tmpfs(tmp_path, "2m") as fs:
        report = morning_copy(fs / "out")
        hand_edit(report, 1, "takeaway")
        fill(fs, 0)
        before = snapshot(fs / "out")
        code, _, err = invoke("rerun", str(report), "--event", "1", "--section", "takeaway")
        assert code == 9 and "no space left" in one_line(err)
        assert snapshot(fs / "out") == before


def test_a_read_only_file_system_during_a_rerun(tmp_path: Path) -> None:
    with tmpfs(tmp_path, "2m") as fs:
        report = morning_copy(fs / "out")
        hand_edit(report, 2, "summary")
        before = snapshot(fs / "out")
        remount(fs, "ro")
        code, _, err = invoke("rerun", str(report), "--event", "2", "--section", "summary")
        remount(fs, "rw")
        assert code == 9 and "read-only file system" in one_line(err)
        assert snapshot(fs / "out") == before


def test_a_read_only_history_folder_stops_run_force_before_anything_is_replaced(
    tmp_path: Path,
) -> None:
    out = tmp_path / "out"
    morning_copy(out)
    morning(out, "--force")  # .history/ now exists with one pair in it
    before = snapshot(out)
    with read_only_bind(out / ".history"):
        code, _, err = invoke(
            "run", "--feeds", str(SAMPLE), "--date", DAY, "--out", str(out), "--force"
        )
    line = one_line(err.split("\n", 1)[-1])  # after the offline writer's notice
    assert code == 9 and ".history" in line and "read-only" in line
    assert snapshot(out) == before


def test_a_read_only_cache_folder_stops_the_run_before_any_fetch(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    """The cache is a write like any other: a read-only cache folder is found before a feed is
    fetched (no request at all), one line, exit 9, no report; the cache folder gets no temp file."""
    with tmpfs(tmp_path, "1m") as cache, FeedServer() as srv:
        monkeypatch.setenv("BRIEFING_CACHE_DIR", str(cache))
        remount(cache, "ro")
        code, _, err = invoke(
            "run", "--feeds", str(http_config(tmp_path, srv)), "--date", DAY, "--out", "out"
        )
        remount(cache, "rw")
        line = one_line(err.split("\n", 1)[-1] if err.startswith("offline") else err)
        assert code == 9, err
        assert line == (
            f"error: {cache}: cannot write there (read-only file system); "
            "set BRIEFING_CACHE_DIR to a writable folder"
        )
        assert srv.hits == []
        assert snapshot(cache) == {}
        assert not (tmp_path / "out" / f"{DAY}.md").exists()


def test_a_full_cache_disk_mid_run_stops_before_the_report_is_replaced(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    """The cache's file system fills while the feeds are read: one line, exit 9, the previous
    report and record byte-identical, no model asked, no temp file left in the cache."""
    out = tmp_path / "out"
    with tmpfs(tmp_path, "1m") as cache, FeedServer() as srv:
        feeds = http_config(tmp_path, srv)
        monkeypatch.setenv("BRIEFING_CACHE_DIR", str(tmp_path / "warm"))
        assert invoke("run", "--feeds", str(feeds), "--date", DAY, "--out", str(out))[0] == 0
        before = snapshot(out)
        monkeypatch.setenv("BRIEFING_CACHE_DIR", str(cache))
        filler = fill(cache, 0)
        code, _, err = invoke(
            "run", "--feeds", str(feeds), "--date", DAY, "--out", str(out), "--force"
        )
        assert code == 9, err
        line = [ln for ln in err.splitlines() if ln.startswith("error:")]
        assert len(line) == 1 and re.fullmatch(
            rf"error: cannot write the HTTP cache in {re.escape(str(cache))}/http: No space left on "
            r"device; nothing was written, no model was asked",
            line[0],
        ), err
        assert snapshot(out) == before
        filler.unlink()
        assert [p.name for p in cache.rglob("*") if p.is_file()] == []
