"""Fault class: a report and its run record are one unit. Backed up together, verified by run id,
never silently paired with another run's record, whatever crashes between the two writes."""

from __future__ import annotations

import json
import os
import re
from pathlib import Path

import pytest
import yaml
from faultkit import DAY, hand_edit, invoke, morning, morning_copy, one_line, snapshot

from briefing import record as record_module
from briefing.render import parse


@pytest.fixture(autouse=True)
def _in_tmp(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.chdir(tmp_path)


@pytest.fixture
def first(tmp_path_factory: pytest.TempPathFactory):
    """A finished morning run copied into a folder (one real run per session)."""
    return lambda out: morning_copy(out, tmp_path_factory.getbasetemp())


def run_id_of(report: Path) -> str:
    fm = yaml.safe_load(report.read_text(encoding="utf-8").split("\n---\n", 1)[0][4:])
    return fm["generator"]["run_id"]


def test_the_report_and_its_record_carry_the_same_run_id(tmp_path: Path, first) -> None:
    report = first(tmp_path / "out")
    record = json.loads(report.with_name(f"{DAY}.record.json").read_text(encoding="utf-8"))
    assert record["run_id"] == run_id_of(report)
    assert re.fullmatch(r"\d{8}T\d{6}-[0-9a-f]{10}", record["run_id"])  # when it ran, and a digest


def test_force_backs_up_the_pair_with_one_stamp_and_the_backup_can_be_checked(
    tmp_path: Path, first
) -> None:
    report = first(tmp_path / "out")
    first = snapshot(tmp_path / "out")
    morning(tmp_path / "out", "--force")
    history = tmp_path / "out" / ".history"
    (old_report,) = history.glob(f"{DAY}.*[0-9].md")
    old_record = old_report.with_name(old_report.stem + ".record.json")
    assert sorted(p.name for p in history.iterdir()) == sorted([old_report.name, old_record.name])
    assert old_report.read_bytes() == first[f"{DAY}.md"]
    assert old_record.read_bytes() == first[f"{DAY}.record.json"]
    assert run_id_of(old_report) != run_id_of(report)

    code, out, err = invoke("eval", str(old_report), "--json")
    assert code == 0, err
    assert json.loads(out) == json.loads(invoke("eval", str(report), "--json")[1])  # same sources
    code, out, err = invoke("show", str(old_report), "--event", "1")
    assert code == 0 and err == "" and "sources" in out and "http" in out


def test_hand_edits_and_a_rerun_keep_the_pair_valid(tmp_path: Path, first) -> None:
    report = first(tmp_path / "out")
    rid = run_id_of(report)
    text = report.read_text(encoding="utf-8")
    summary = slice(*parse(text).spans[0]["summary"])
    text = text.replace(text[summary], "编辑改写的概述。")
    report.write_text(
        text.replace("\n## 一般事件", "\n编辑按：以上为当日要闻。\n\n## 一般事件"), "utf-8"
    )
    code, _, err = invoke("rerun", str(report), "--event", "1", "--section", "summary")
    assert code == 0, err
    after = report.read_text(encoding="utf-8")
    assert run_id_of(report) == rid and "编辑按" in after and "编辑改写的概述" not in after
    for cmd in (["show", str(report)], ["eval", str(report), "--json"]):
        assert invoke(*cmd)[0] == 0
    (backup,) = (tmp_path / "out" / ".history").glob(f"{DAY}.*[0-9].md")
    assert invoke("show", str(backup), "--json")[0] == 0  # the rerun's backup found its record


def _swap_in_another_runs_record(tmp_path: Path, first) -> Path:
    """out/DATE.md of run A beside the record of run B (what a crash between the writes used to leave)."""
    report = first(tmp_path / "a")
    record = report.with_name(f"{DAY}.record.json")
    other = json.loads(record.read_text(encoding="utf-8"))
    other["run_id"] = "20251213T080000-0123456789"  # the same day, rerun an hour later
    record.write_text(json.dumps(other, ensure_ascii=False), encoding="utf-8")
    return report


@pytest.mark.parametrize(
    "args",
    [
        ["rerun", "{r}", "--event", "1", "--section", "takeaway"],
        ["show", "{r}"],
        ["show", "{r}", "--json"],
        ["eval", "{r}"],
    ],
    ids=["rerun", "show", "show-json", "eval"],
)
def test_a_mismatched_pair_is_refused_in_one_line_touching_nothing(
    tmp_path: Path, first, args: list[str]
) -> None:
    report = _swap_in_another_runs_record(tmp_path, first)
    before = snapshot(tmp_path / "a")
    code, out, err = invoke(*[a.format(r=report) for a in args])
    assert code == 6 and out == ""
    line = one_line(err)
    assert "belongs to another run" in line and "nothing done" in line
    assert snapshot(tmp_path / "a") == before


def test_a_report_without_run_id_beside_a_record_with_one_is_refused(tmp_path: Path, first) -> None:
    report = first(tmp_path / "out")
    text = report.read_text(encoding="utf-8")
    report.write_text(text.replace(f"run_id: {run_id_of(report)}", "note: 手工删除"), "utf-8")
    code, _, err = invoke("rerun", str(report), "--event", "1", "--section", "summary")
    assert code == 6 and "report run unknown" in one_line(err)


class Crash(BaseException):
    """Stands for the process dying (power cut, OOM kill) at one exact point."""


def _crash_at_rename(monkeypatch: pytest.MonkeyPatch, target_suffix: str) -> None:
    real = os.replace

    def replace(src: object, dst: object) -> None:
        if str(dst).endswith(target_suffix) and ".history" not in str(dst):
            raise Crash(f"crash before renaming onto {dst}")
        real(src, dst)

    monkeypatch.setattr(record_module.os, "replace", replace)


def test_a_crash_between_the_record_and_the_report_is_caught_by_the_next_rerun(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch, first
) -> None:
    """Record first, report last: a crash between them leaves old report + new record, and the
    run ids say so; no temp file anywhere, the old pair in .history/."""
    out = tmp_path / "out"
    report = first(out)
    old_report = report.read_bytes()
    _crash_at_rename(monkeypatch, f"{DAY}.md")
    with pytest.raises(Crash):
        invoke(
            "run", "--feeds", str(faultkit_sample()), "--date", DAY, "--out", str(out), "--force"
        )
    monkeypatch.undo()
    assert report.read_bytes() == old_report
    assert not [p for p in out.rglob("*") if p.name.endswith(".tmp")]
    (backup,) = (out / ".history").glob(f"{DAY}.*[0-9].md")
    assert backup.read_bytes() == old_report
    before = snapshot(out)
    code, _, err = invoke("rerun", str(report), "--event", "1", "--section", "summary")
    assert code == 6 and "belongs to another run" in one_line(err)
    assert snapshot(out) == before
    # the old pair is whole in .history/: it can still be checked
    assert invoke("eval", str(backup), "--json")[0] == 0


def test_a_crash_before_the_first_rename_changes_nothing(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch, first
) -> None:
    out = tmp_path / "out"
    first(out)
    before = snapshot(out)
    _crash_at_rename(monkeypatch, ".record.json")
    with pytest.raises(Crash):
        invoke(
            "run", "--feeds", str(faultkit_sample()), "--date", DAY, "--out", str(out), "--force"
        )
    assert snapshot(out) == before  # no temp file, no stray backup, .history/ not even made


def test_rerun_writes_the_record_with_the_report(tmp_path: Path, first) -> None:
    report = first(tmp_path / "out")
    hand_edit(report, 2, "impact", "- **对美元**：编辑。")
    assert invoke("rerun", str(report), "--event", "2", "--section", "impact")[0] == 0
    record = json.loads(report.with_name(f"{DAY}.record.json").read_text(encoding="utf-8"))
    assert [(r["event"], r["section"]) for r in record["reruns"]] == [(2, "impact")]
    assert len(parse(report.read_text(encoding="utf-8")).report.events) == 3


def faultkit_sample() -> Path:
    from faultkit import SAMPLE

    return SAMPLE
