"""The scheduling recipes under deploy/ and .github/workflows/: each parsed as its scheduler reads
it, then its exact `briefing` command run on the offline sample with the recipe's variables set
to the sample's feeds, date and output folder."""

from __future__ import annotations

import configparser
import json
import os
import re
import shlex
import shutil
import subprocess
import sys
from pathlib import Path

import pytest
import yaml
from conftest import EXAMPLES, ROOT

SAMPLE = EXAMPLES / "feeds.yaml"
DAY = "2025-12-12"
BIN = Path(sys.executable).parent  # the virtualenv's bin, where `briefing` is
CRON = ROOT / "deploy" / "cron" / "briefing.cron"
SERVICE = ROOT / "deploy" / "systemd" / "briefing.service"
TIMER = ROOT / "deploy" / "systemd" / "briefing.timer"
WORKFLOW = ROOT / ".github" / "workflows" / "morning.yml"

# minute, hour, day of month, month, day of week
_CRON_RANGES = [(0, 59), (0, 23), (1, 31), (1, 12), (0, 7)]


def cron_field_ok(field: str, low: int, high: int) -> bool:
    """One crontab time field: *, N, N-M, lists and /steps, inside its range."""
    for part in field.split(","):
        m = re.fullmatch(r"(\*|(\d+)(?:-(\d+))?)(?:/(\d+))?", part)
        if not m:
            return False
        nums = [int(x) for x in (m.group(2), m.group(3)) if x is not None]
        if any(not low <= n <= high for n in nums) or (m.group(4) and int(m.group(4)) < 1):
            return False
        if len(nums) == 2 and nums[0] > nums[1]:
            return False
    return True


@pytest.mark.parametrize(
    ("field", "ok"),
    [
        ("30", True),
        ("*/15", True),
        ("1-5", True),
        ("0,30", True),
        ("60", False),
        ("5-1", False),
        ("x", False),
    ],
)
def test_the_cron_field_check_itself(field: str, ok: bool) -> None:
    assert cron_field_ok(field, 0, 59) is ok


def sample_env(tmp_path: Path, **extra: str) -> dict[str, str]:
    """The process environment a scheduler would give: no LLM key, the test's own cache."""
    env = {
        k: v
        for k, v in os.environ.items()
        if k not in ("OPENAI_API_KEY", "OPENAI_BASE_URL", "BRIEFING_MODEL", "BRIEFING_TZ")
    }
    env["BRIEFING_CACHE_DIR"] = str(tmp_path / "cache")
    env.update(extra)
    return env


def assert_sample_report(out: Path, stderr: str) -> None:
    report = out / f"{DAY}.md"
    assert report.is_file() and (out / f"{DAY}.record.json").is_file()
    assert report.read_text(encoding="utf-8").startswith("---\ntitle: ")
    score = json.loads((out / f"{DAY}.record.json").read_text(encoding="utf-8"))["grounding"]
    assert stderr.strip().splitlines()[-1] == (
        f"briefing: date={DAY} report={report} writer=offline events=3 "
        f"grounding={score['score']:.2f} exit=0"
    )


# -- cron ---------------------------------------------------------------------------------------


def read_crontab(path: Path) -> tuple[dict[str, str], list[tuple[list[str], str]]]:
    """Environment lines and jobs, as cron reads them (quotes around a whole value are dropped)."""
    env: dict[str, str] = {}
    jobs: list[tuple[list[str], str]] = []
    for line in path.read_text(encoding="utf-8").splitlines():
        if not line.strip() or line.lstrip().startswith("#"):
            continue
        if m := re.fullmatch(r"\s*([A-Za-z_][A-Za-z0-9_]*)\s*=\s*(.*?)\s*", line):
            value = m.group(2)
            if len(value) >= 2 and value[0] == value[-1] and value[0] in "'\"":
                value = value[1:-1]
            env[m.group(1)] = value
            continue
        fields = line.split(None, 5)
        assert len(fields) == 6, f"not a job line: {line!r}"
        jobs.append((fields[:5], fields[5]))
    return env, jobs


def test_the_crontab_line_runs_the_morning_job(tmp_path: Path) -> None:
    env, jobs = read_crontab(CRON)
    assert len(jobs) == 1
    when, command = jobs[0]
    assert when == ["30", "6", "*", "*", "*"] and env["CRON_TZ"] == "Asia/Shanghai"
    for f, (low, high) in zip(when, _CRON_RANGES, strict=True):
        assert cron_field_ok(f, low, high), f
    assert "%" not in command  # cron turns % into a newline
    assert set(re.findall(r"\$\{?(\w+)", command)) == {
        "BRIEFING_HOME",
        "BRIEFING_FEEDS",
        "BRIEFING_OUT",
        "BRIEFING_ARGS",
    }
    home = tmp_path / "home"
    home.mkdir()
    run_env = sample_env(
        tmp_path,
        **env
        | {
            "PATH": f"{BIN}{os.pathsep}/usr/bin{os.pathsep}/bin",
            "BRIEFING_HOME": str(home),
            "BRIEFING_FEEDS": str(SAMPLE),
            "BRIEFING_OUT": str(tmp_path / "out"),
            "BRIEFING_ARGS": f"--date {DAY}",
        },
    )
    proc = subprocess.run(
        [env["SHELL"], "-c", command], env=run_env, capture_output=True, text=True
    )
    assert proc.returncode == 0, proc.stderr
    log = (home / "briefing.log").read_text(encoding="utf-8")
    assert_sample_report(tmp_path / "out", log)


# -- systemd ------------------------------------------------------------------------------------


def read_unit(path: Path) -> configparser.ConfigParser:
    unit = configparser.ConfigParser(interpolation=None, strict=True)
    unit.optionxform = str  # type: ignore[assignment,method-assign]  # keys are case-sensitive
    unit.read_string(path.read_text(encoding="utf-8"))
    return unit


def systemd_argv(exec_start: str, env: dict[str, str]) -> list[str]:
    """ExecStart= as systemd expands it: ${VAR} stays one word, a lone $VAR splits on whitespace."""
    argv: list[str] = []
    for word in shlex.split(exec_start):
        if m := re.fullmatch(r"\$(\w+)", word):
            argv += env.get(m.group(1), "").split()
        else:
            argv.append(re.sub(r"\$\{(\w+)\}", lambda m: env.get(m.group(1), ""), word))
    return argv


def test_the_systemd_timer_starts_the_service_every_morning() -> None:
    timer = read_unit(TIMER)
    assert timer.sections() == ["Unit", "Timer", "Install"]
    assert timer["Timer"]["OnCalendar"] == "*-*-* 06:30:00 Asia/Shanghai"
    assert timer["Timer"]["Unit"] == SERVICE.name and timer["Timer"]["Persistent"] == "true"
    assert timer["Install"]["WantedBy"] == "timers.target"
    if shutil.which("systemd-analyze"):
        proc = subprocess.run(
            ["systemd-analyze", "calendar", timer["Timer"]["OnCalendar"]],
            capture_output=True,
            text=True,
        )
        assert proc.returncode == 0 and "Next elapse" in proc.stdout, proc.stderr


def test_the_systemd_service_runs_the_morning_job(tmp_path: Path) -> None:
    service = read_unit(SERVICE)
    assert service.sections() == ["Unit", "Service"]
    s = service["Service"]
    assert s["Type"] == "oneshot" and s["EnvironmentFile"].startswith("-")
    env = dict(pair.split("=", 1) for pair in shlex.split(s["Environment"]))
    assert env == {
        "BRIEFING_FEEDS": "/opt/briefing/feeds.yaml",
        "BRIEFING_OUT": "/opt/briefing/output",
        "BRIEFING_ARGS": "",
    }
    argv = systemd_argv(
        s["ExecStart"],
        env
        | {
            "BRIEFING_FEEDS": str(SAMPLE),
            "BRIEFING_OUT": str(tmp_path / "out"),
            "BRIEFING_ARGS": f"--date {DAY}",
        },
    )
    assert argv[0] == "/opt/briefing/.venv/bin/briefing"  # absolute, as systemd needs
    argv[0] = str(BIN / "briefing")
    assert argv[1:] == [
        "run",
        "--feeds",
        str(SAMPLE),
        "--out",
        str(tmp_path / "out"),
        "--min-grounding",
        "0.8",
        "--date",
        DAY,
    ]
    proc = subprocess.run(
        argv, env=sample_env(tmp_path), capture_output=True, text=True, cwd=tmp_path
    )
    assert proc.returncode == 0, proc.stderr
    assert_sample_report(tmp_path / "out", proc.stderr)


@pytest.mark.skipif(not shutil.which("systemd-analyze"), reason="systemd-analyze not installed")
def test_systemd_accepts_both_units(tmp_path: Path) -> None:
    """`systemd-analyze verify` on the units, with the binary and user this machine has."""
    text = SERVICE.read_text(encoding="utf-8")
    text = text.replace("/opt/briefing/.venv/bin/briefing", str(BIN / "briefing"))
    (tmp_path / SERVICE.name).write_text(
        text.replace("User=briefing", "User=root"), encoding="utf-8"
    )
    shutil.copy(TIMER, tmp_path / TIMER.name)
    proc = subprocess.run(
        [
            "systemd-analyze",
            "verify",
            "--man=no",
            str(tmp_path / TIMER.name),
            str(tmp_path / SERVICE.name),
        ],
        capture_output=True,
        text=True,
    )
    assert proc.returncode == 0 and proc.stdout + proc.stderr == "", proc.stdout + proc.stderr


# -- GitHub Actions -----------------------------------------------------------------------------


def read_workflow() -> dict:
    flow = yaml.safe_load(WORKFLOW.read_text(encoding="utf-8"))
    flow["on"] = flow.pop(True, flow.get("on"))  # YAML 1.1 reads the key `on` as true
    return flow


def test_the_workflow_runs_only_on_schedule_or_by_hand() -> None:
    flow = read_workflow()
    assert set(flow["on"]) == {"schedule", "workflow_dispatch"}  # never on push or pull request
    (cron,) = [s["cron"] for s in flow["on"]["schedule"]]
    fields = cron.split()
    assert fields == ["30", "22", "*", "*", "*"]  # 06:30 in Shanghai is 22:30 UTC the day before
    assert flow["permissions"] == {"contents": "write"}
    (job,) = flow["jobs"].values()
    assert job["if"] == "github.event_name == 'workflow_dispatch' || vars.BRIEFING_SCHEDULE == 'on'"
    assert flow["concurrency"]["cancel-in-progress"] is False


def _step(job: dict, name: str) -> dict:
    return next(s for s in job["steps"] if s.get("name") == name)


def test_the_workflow_runs_the_morning_job_and_commits_the_report(tmp_path: Path) -> None:
    """The run and commit steps' scripts, in a clone of a scratch repository, as the runner's bash."""
    (job,) = read_workflow()["jobs"].values()
    run_step, commit_step = _step(job, "briefing run"), _step(job, "commit the report")
    assert set(run_step["env"]) == {
        "OPENAI_API_KEY",
        "OPENAI_BASE_URL",
        "BRIEFING_MODEL",
        "BRIEFING_ARGS",
    }
    assert run_step["env"]["BRIEFING_ARGS"] == (
        "${{ inputs.date && format('--date {0} --force', inputs.date) || '' }}"
    )
    assert job["env"] == {"BRIEFING_FEEDS": "feeds.yaml", "BRIEFING_OUT": "output"}

    remote, clone = tmp_path / "remote.git", tmp_path / "clone"
    git = ["git", "-c", "init.defaultBranch=main"]
    subprocess.run([*git, "init", "-q", "--bare", str(remote)], check=True)
    subprocess.run([*git, "clone", "-q", str(remote), str(clone)], check=True, capture_output=True)
    shutil.copytree(EXAMPLES, clone, dirs_exist_ok=True)  # the repository's feeds.yaml and feeds/
    (clone / ".gitignore").write_text("output/*\n", encoding="utf-8")  # as this project's
    subprocess.run(["git", "add", "."], cwd=clone, check=True)
    subprocess.run(
        ["git", "-c", "user.name=t", "-c", "user.email=t@t", "commit", "-qm", "feeds"],
        cwd=clone,
        check=True,
    )
    subprocess.run(
        ["git", "push", "-q", "origin", "HEAD:main"], cwd=clone, check=True, capture_output=True
    )

    outputs = tmp_path / "github_output"
    env = sample_env(
        tmp_path,
        PATH=f"{BIN}{os.pathsep}{os.environ['PATH']}",
        GITHUB_OUTPUT=str(outputs),
        **job["env"],
        OPENAI_API_KEY="",
        OPENAI_BASE_URL="",
        BRIEFING_MODEL="",
        BRIEFING_ARGS=f"--date {DAY} --force",  # what the expression gives for a dispatched date
    )
    bash = ["bash", "--noprofile", "--norc", "-eo", "pipefail", "-c"]  # GitHub's `shell: bash`
    proc = subprocess.run(
        [*bash, run_step["run"]], env=env, cwd=clone, capture_output=True, text=True
    )
    assert proc.returncode == 0, proc.stderr
    assert_sample_report(
        clone / "output", proc.stderr.replace("report=output/", f"report={clone}/output/")
    )
    assert outputs.read_text(encoding="utf-8") == f"report=output/{DAY}.md\n"

    env["REPORT"] = f"output/{DAY}.md"  # ${{ steps.run.outputs.report }}
    proc = subprocess.run(
        [*bash, commit_step["run"]], env=env, cwd=clone, capture_output=True, text=True
    )
    assert proc.returncode == 0, proc.stderr
    log = subprocess.run(
        ["git", "log", "-1", "--name-only", "--format=%s", "main"],
        cwd=remote,
        capture_output=True,
        text=True,
        check=True,
    ).stdout.split()
    assert log == ["briefing:", f"output/{DAY}.md", f"output/{DAY}.md", f"output/{DAY}.record.json"]
