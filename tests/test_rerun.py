"""Editors rerun one section: only that section changes, their edits stay, nothing is lost on failure."""

from __future__ import annotations

import json
from pathlib import Path

import pytest
from click.testing import CliRunner
from conftest import EXAMPLES
from fakellm import FakeLLMServer

from briefing.cli import main
from briefing.render import parse

DAY = "2025-12-12"
HAND_EDIT = "> 投资启示：编辑手改：先看美元走势，再决定黄金仓位。"


def invoke(*args: str) -> tuple[int, str, str]:
    r = CliRunner().invoke(main, list(args), catch_exceptions=False)
    return r.exit_code, r.stdout, r.stderr


@pytest.fixture
def llm(monkeypatch: pytest.MonkeyPatch):
    with FakeLLMServer() as srv:
        for k, v in srv.env.items():
            monkeypatch.setenv(k, v)
        yield srv


def _morning(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> Path:
    monkeypatch.chdir(tmp_path)
    code, _, err = invoke(
        "run", "--feeds", str(EXAMPLES / "feeds.yaml"), "--date", DAY, "--out", "out"
    )
    assert code == 0, err
    return tmp_path / "out" / f"{DAY}.md"


def _edit_event_1_takeaway(report: Path) -> str:
    text = report.read_text(encoding="utf-8")
    start, end = parse(text).spans[0]["takeaway"]
    line_start = text.rindex("\n", 0, start) + 1
    edited = text[:line_start] + HAND_EDIT + text[end:]
    report.write_text(edited, encoding="utf-8")
    return edited


def _outside(text: str, span: tuple[int, int]) -> tuple[str, str]:
    return text[: span[0]], text[span[1] :]


def test_llm_rerun_changes_only_event_2_takeaway_in_one_request(tmp_path, monkeypatch, llm) -> None:
    report = _morning(tmp_path, monkeypatch)
    before = _edit_event_1_takeaway(report)
    old_span = parse(before).spans[1]["takeaway"]
    morning_requests = len(llm.requests)
    llm.enqueue(
        content=json.dumps({"takeaway": "增持日元资产对冲美元走弱风险。"}, ensure_ascii=False)
    )
    code, _, err = invoke(
        "rerun",
        str(report),
        "--event",
        "2",
        "--section",
        "takeaway",
        "--instruction",
        "更强调日元资产",
    )
    assert code == 0, err
    assert len(llm.requests) == morning_requests + 1
    assert "更强调日元资产" in llm.prompt(-1)
    after = report.read_text(encoding="utf-8")
    new_span = parse(after).spans[1]["takeaway"]
    head, tail = _outside(before, old_span)
    assert after.startswith(head) and after.endswith(
        tail
    )  # every byte outside the section, hand edit included
    assert HAND_EDIT in after
    assert after[slice(*new_span)] == "增持日元资产对冲美元走弱风险。"
    record = json.loads(report.with_name(f"{DAY}.record.json").read_text(encoding="utf-8"))
    (rr,) = record["reruns"]
    assert (
        rr["event"] == 2 and rr["section"] == "takeaway" and rr["instruction"] == "更强调日元资产"
    )
    assert rr["provenance"]["raw"] and len(rr["calls"]) == 1
    backups = list((report.parent / ".history").glob(f"{DAY}.*.md"))
    assert [b.read_text(encoding="utf-8") for b in backups] == [before]


ANSWERS = {
    "summary": {"summary": "新的摘要：美联储降息25个基点。"},
    "insight": {
        "insight": "新的解读第一段：降息落地后市场焦点转向资产负债表。\n\n新的解读第二段：储备管理购买并非量化宽松。"
    },
    "impact": {
        "impacts": [
            {"asset": a, "stance": "中性", "text": "新的理由。"} for a in ("美元", "黄金", "股市")
        ]
    },
    "takeaway": {"takeaway": "新的投资启示。"},
}


@pytest.mark.parametrize("section", ["summary", "insight", "impact", "takeaway"])
def test_llm_rerun_of_each_section_keeps_the_rest(tmp_path, monkeypatch, llm, section: str) -> None:
    report = _morning(tmp_path, monkeypatch)
    llm.enqueue(content=json.dumps(ANSWERS[section], ensure_ascii=False))
    before = report.read_text(encoding="utf-8")
    span = parse(before).spans[0][section]
    assert invoke("rerun", str(report), "--event", "1", "--section", section)[0] == 0
    after = report.read_text(encoding="utf-8")
    head, tail = _outside(before, span)
    assert after.startswith(head) and after.endswith(tail)
    assert "新的" in after[len(head) : len(after) - len(tail)]
    assert len(parse(after).report.events) == 3


def test_llm_failure_leaves_the_file_byte_identical(tmp_path, monkeypatch, llm) -> None:
    report = _morning(tmp_path, monkeypatch)
    before = report.read_bytes()
    llm.enqueue(content="不是 JSON", times=10)
    code, _, err = invoke("rerun", str(report), "--event", "1", "--section", "insight")
    assert code == 7 and len(err.strip().splitlines()) == 1
    assert report.read_bytes() == before
    assert not (report.parent / ".history").exists()


def test_dry_run_shows_a_diff_and_writes_nothing(tmp_path, monkeypatch, llm) -> None:
    report = _morning(tmp_path, monkeypatch)
    before = report.read_bytes()
    code, out, _ = invoke("rerun", str(report), "--event", "3", "--section", "summary", "--dry-run")
    assert code == 0
    assert out.startswith("---") and "\n-" in out and "\n+" in out
    assert report.read_bytes() == before


def test_offline_rerun_restores_the_generated_section(tmp_path, monkeypatch) -> None:
    report = _morning(tmp_path, monkeypatch)
    original = report.read_text(encoding="utf-8")
    _edit_event_1_takeaway(report)
    code, _, err = invoke(
        "rerun", str(report), "--event", "1", "--section", "takeaway", "--instruction", "x"
    )
    assert code == 0 and "offline writer" in err
    assert report.read_text(encoding="utf-8") == original


@pytest.mark.parametrize(
    ("args", "code", "message"),
    [
        (["--event", "4", "--section", "summary"], 2, "--event 4: no such event;"),
        (["--event", "0", "--section", "summary"], 2, "0 is not in the range x>=1"),
        (["--event", "1", "--section", "headline2"], 2, "Invalid value for '--section'"),
    ],
)
def test_unknown_event_or_section(tmp_path, monkeypatch, args, code: int, message: str) -> None:
    report = _morning(tmp_path, monkeypatch)
    before = report.read_bytes()
    got, _, err = invoke("rerun", str(report), *args)
    assert got == code and message in err
    assert report.read_bytes() == before


def test_missing_record_says_which_file_was_expected(tmp_path, monkeypatch) -> None:
    report = _morning(tmp_path, monkeypatch)
    record = report.with_name(f"{DAY}.record.json")
    record.unlink()
    code, _, err = invoke("rerun", str(report), "--event", "1", "--section", "summary")
    assert code == 6 and str(record) in err and "briefing run" in err


def test_a_deleted_event_heading_is_named_and_the_file_untouched(tmp_path, monkeypatch) -> None:
    report = _morning(tmp_path, monkeypatch)
    text = report.read_text(encoding="utf-8")
    broken = text.replace("### 影响\n", "", 1)
    report.write_text(broken, encoding="utf-8")
    code, _, err = invoke("rerun", str(report), "--event", "2", "--section", "summary")
    assert code == 5 and "event 1" in err and "### 影响" in err
    assert report.read_text(encoding="utf-8") == broken


def test_show_prints_the_event_and_its_sources(tmp_path, monkeypatch) -> None:
    report = _morning(tmp_path, monkeypatch)
    code, out, _ = invoke("show", str(report), "--event", "2")
    assert code == 0
    assert "深度解读" in out and "sources" in out and "http" in out
