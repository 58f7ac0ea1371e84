"""Fault class: the configured LLM writes nothing (cron must see exit 7), or only some events.

When every event fell back to the offline writer, OUT/DATE.md is not written (a previous one stays
byte-identical): the offline draft and its record go to OUT/drafts/DATE.md, named in the one error
line, and can be shown, checked, or promoted by moving both files. Partial fallbacks publish
(exit 0) with the reasons in the summary and in the record.
"""

from __future__ import annotations

import json
import socket
from pathlib import Path

import pytest
import yaml
from fakellm import FakeLLMServer, message_text
from faultkit import DAY, invoke, morning_copy, sample_config, snapshot


@pytest.fixture(autouse=True)
def _in_tmp(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.chdir(tmp_path)


def _closed_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


def _assert_held_as_draft(tmp_path: Path, code: int, stdout: str, err: str) -> str:
    assert code == 7 and stdout == ""
    (line,) = [ln for ln in err.splitlines() if ln.startswith("error:")]
    assert "wrote none of the 3 events" in line
    assert f"out/{DAY}.md not written, the offline draft is in out/drafts/{DAY}.md" in line
    draft = tmp_path / "out" / "drafts" / f"{DAY}.md"
    fm = yaml.safe_load(draft.read_text(encoding="utf-8").split("\n---\n", 1)[0][4:])
    assert fm["generator"]["writer"] == "offline"
    record = json.loads(draft.with_name(f"{DAY}.record.json").read_text(encoding="utf-8"))
    assert record["run_id"] == fm["generator"]["run_id"]
    assert all(s["fallback_reason"] for s in record["sections"])
    code, out, _ = invoke("show", str(draft), "--json")
    assert code == 0 and len(json.loads(out)["events"]) == 3
    return line


def test_an_unreachable_endpoint_exits_7_and_keeps_the_previous_report(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    morning_copy(tmp_path / "out")  # yesterday's habit: an offline report already published
    before = snapshot(tmp_path / "out")
    monkeypatch.setenv("OPENAI_BASE_URL", f"http://127.0.0.1:{_closed_port()}/v1")
    monkeypatch.setenv("OPENAI_API_KEY", "sk-unreachable-key-123")
    config = sample_config(tmp_path, llm={"max_retries": 0})
    code, out, err = invoke("run", "--feeds", str(config), "--date", DAY, "--out", "out", "--force")
    line = _assert_held_as_draft(tmp_path, code, out, err)
    assert "cannot connect" in line and "sk-unreachable-key-123" not in err
    after = snapshot(tmp_path / "out")
    assert {k: v for k, v in after.items() if not k.startswith("drafts/")} == before


def test_a_model_that_never_answers_valid_json_exits_7(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    with FakeLLMServer() as srv:
        srv.enqueue(content="这不是 JSON。", times=40)
        for k, v in srv.env.items():
            monkeypatch.setenv(k, v)
        code, out, err = invoke(
            "run", "--feeds", str(sample_config(tmp_path)), "--date", DAY, "--out", "out"
        )
    _assert_held_as_draft(tmp_path, code, out, err)
    assert not (tmp_path / "out" / f"{DAY}.md").exists()


def test_one_event_falling_back_still_publishes_with_the_reason_shown(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    with FakeLLMServer() as srv:
        srv.enqueue(
            content="这不是 JSON。",
            times=40,
            when=lambda body: "CPI" in message_text(body) and "事件" in message_text(body),
        )
        for k, v in srv.env.items():
            monkeypatch.setenv(k, v)
        code, _, err = invoke(
            "run", "--feeds", str(sample_config(tmp_path)), "--date", DAY, "--out", "out"
        )
    assert code == 0, err
    report = tmp_path / "out" / f"{DAY}.md"
    fm = yaml.safe_load(report.read_text(encoding="utf-8").split("\n---\n", 1)[0][4:])
    record = json.loads(report.with_name(f"{DAY}.record.json").read_text(encoding="utf-8"))
    reasons = [s["fallback_reason"] for s in record["sections"] if s["fallback_reason"]]
    assert fm["generator"]["writer"] == "llm+offline"
    assert len(reasons) == 1 and [s["writer"] for s in record["sections"]].count("llm") == 2
    assert "offline fallback" in err and reasons[0][:20] in err
    assert not (tmp_path / "out" / "drafts").exists()
