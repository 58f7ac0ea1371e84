"""Fault class: Ctrl-C. A real SIGINT to `python -m briefing` while it waits on a feed that never
answers, or on a model that answers slowly: it stops within seconds, exits 130 with one line, and
leaves every file as it was (no report, no record, no temp file, nothing in .history/)."""

from __future__ import annotations

import shutil
import signal
import time
from pathlib import Path

import pytest
from fakellm import FakeLLMServer
from faultkit import (
    DAY,
    SAMPLE,
    FeedServer,
    cli_subprocess,
    http_config,
    morning_copy,
    snapshot,
)

STOP_WITHIN = 5.0  # seconds from the signal to the exit


@pytest.fixture(autouse=True)
def _in_tmp(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.chdir(tmp_path)


def _wait_for(condition, seconds: float = 30.0) -> None:
    deadline = time.monotonic() + seconds
    while not condition():
        assert time.monotonic() < deadline, "the run never got there"
        time.sleep(0.05)


def _interrupt(proc) -> tuple[int, str, float]:
    started = time.monotonic()
    proc.send_signal(signal.SIGINT)
    _, err = proc.communicate(timeout=30)
    return proc.returncode, err, time.monotonic() - started


def _assert_stopped(code: int, err: str, took: float) -> None:
    assert code == 130, err
    assert took < STOP_WITHIN, f"took {took:.1f} s"
    assert "Traceback" not in err
    lines = [ln for ln in err.splitlines() if ln.strip()]
    assert lines[-1] == "interrupted: stopped; no file was half-written"
    if "briefing: date=" in err:  # `run`'s status line says so too
        assert lines[-2].startswith("briefing: date=") and lines[-2].endswith(" exit=130")


def test_ctrl_c_while_a_feed_hangs(tmp_path: Path) -> None:
    out = tmp_path / "out"
    morning_copy(out)
    before = snapshot(out)
    with FeedServer(hang=True) as srv:
        config = http_config(tmp_path, srv, collect={"timeout": 120})
        proc = cli_subprocess(
            "run", "--feeds", str(config), "--date", DAY, "--out", "out", "--force", cwd=tmp_path
        )
        try:
            _wait_for(srv.arrived.is_set)
            time.sleep(0.3)  # the other feeds are in flight too
            _assert_stopped(*_interrupt(proc))
        finally:
            proc.kill()
    assert snapshot(out) == before


def test_ctrl_c_while_the_model_writes(tmp_path: Path) -> None:
    shutil.copytree(SAMPLE.parent, tmp_path / "sample")
    out = tmp_path / "out"
    with FakeLLMServer(delay=60) as srv:
        proc = cli_subprocess(
            "run",
            "--feeds",
            "sample/feeds.yaml",
            "--date",
            DAY,
            "--out",
            "out",
            cwd=tmp_path,
            env=srv.env,
        )
        try:
            _wait_for(lambda: len(srv.requests) >= 3)  # the three events are being written
            _assert_stopped(*_interrupt(proc))
        finally:
            proc.kill()
    assert snapshot(out) == {}


def test_ctrl_c_during_a_rerun_leaves_the_edited_report(tmp_path: Path) -> None:
    report = morning_copy(tmp_path / "out")
    text = report.read_text(encoding="utf-8")
    report.write_text(text.replace("> 投资启示：", "> 投资启示：编辑加注。", 1), encoding="utf-8")
    before = snapshot(tmp_path / "out")
    with FakeLLMServer(delay=60) as srv:
        proc = cli_subprocess(
            "rerun", str(report), "--event", "1", "--section", "takeaway", cwd=tmp_path, env=srv.env
        )
        try:
            _wait_for(lambda: len(srv.requests) >= 1)
            _assert_stopped(*_interrupt(proc))
        finally:
            proc.kill()
    assert snapshot(tmp_path / "out") == before
