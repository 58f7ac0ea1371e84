"""The command line end to end, as a user runs it: the bundled sample, hostile feeds, junk input, a loopback LLM."""

from __future__ import annotations

import json
import re
import shutil
import subprocess
import sys
from pathlib import Path

import pytest
import yaml
from click.testing import CliRunner
from conftest import EXAMPLES, ROOT
from fakellm import FakeLLMServer

from briefing.cli import main

SAMPLE = EXAMPLES / "feeds.yaml"
HOSTILE = ROOT / "tests" / "fixtures" / "feeds" / "hostile.xml"
DAY = "2025-12-12"


def invoke(*args: str) -> tuple[int, str, str]:
    result = CliRunner().invoke(main, list(args), catch_exceptions=False)
    return result.exit_code, result.stdout, result.stderr


@pytest.fixture(autouse=True)
def _in_tmp(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.chdir(tmp_path)  # no stray .env, output/ lands in the test's own folder


def front_matter(md: str) -> dict:
    assert md.startswith("---\n")
    return yaml.safe_load(md.split("\n---\n", 1)[0].removeprefix("---\n"))


def assert_seed_shape(md: str) -> list[str]:
    """The checks a new user makes: front matter, headline, three full events, 一般事件. Returns the events."""
    fm = front_matter(md)
    assert {"title", "date", "category", "tags"} <= set(fm)
    body = md.split("\n---\n", 1)[1]
    assert body.startswith("## ")
    general_at = body.index("\n## 一般事件\n")
    events = re.split(r"\n---\n", body[:general_at])
    assert len(events) == 3
    for e in events:
        assert re.search(r"^## .+\n\n事件时间：.+$", e, re.M)
        assert "\n### 深度解读 & 洞察\n" in e and "\n### 影响\n" in e
        assert len(re.findall(r"^- \*\*对[^*]+\*\*：", e, re.M)) >= 3
        assert re.search(r"^> 投资启示：.+$", e, re.M)
    assert re.findall(r"^- .+$", body[general_at:], re.M)
    return events


def test_run_offline_on_the_bundled_sample(tmp_path: Path) -> None:
    code, out, err = invoke("run", "--feeds", str(SAMPLE), "--date", DAY, "--out", "out")
    assert code == 0, err
    report = tmp_path / "out" / f"{DAY}.md"
    assert out.strip() == str(Path("out") / f"{DAY}.md")
    assert "offline writer" in err
    md = report.read_text(encoding="utf-8")
    assert_seed_shape(md)
    fm = front_matter(md)
    assert str(fm["date"]) == DAY and fm["category"] == "经济日报"
    assert fm["generator"]["writer"] == "offline"
    record = json.loads((tmp_path / "out" / f"{DAY}.record.json").read_text(encoding="utf-8"))
    assert record["writer"] == "offline" and len(record["sections"]) == 3
    assert all(s["rules"] for s in record["sections"])
    assert record["settings"]["llm"]["api_key_set"] is False


def test_an_existing_report_is_kept_unless_forced(tmp_path: Path) -> None:
    assert invoke("run", "--feeds", str(SAMPLE), "--date", DAY, "--out", "out")[0] == 0
    report = tmp_path / "out" / f"{DAY}.md"
    report.write_text(report.read_text(encoding="utf-8") + "\n编辑的批注\n", encoding="utf-8")
    edited = report.read_bytes()
    code, _, err = invoke("run", "--feeds", str(SAMPLE), "--date", DAY, "--out", "out")
    assert code == 4 and "--force" in err
    assert err.strip().splitlines()[1:] == [  # one error line, then the run's status line
        f"briefing: date={DAY} report=- writer=offline events=- grounding=- exit=4"
    ]
    assert report.read_bytes() == edited
    assert invoke("run", "--feeds", str(SAMPLE), "--date", DAY, "--out", "out", "--force")[0] == 0
    backups = list((tmp_path / "out" / ".history").glob(f"{DAY}.*.md"))
    assert len(backups) == 1 and backups[0].read_bytes() == edited


def test_rank_json_puts_the_three_multi_source_stories_on_top() -> None:
    code, out, _ = invoke("rank", "--feeds", str(SAMPLE), "--date", DAY, "--json")
    assert code == 0
    events = json.loads(out)["events"]
    assert all({"title", "score", "items"} <= set(e) for e in events)
    top = events[:3]
    assert all(len({i["source"] for i in e["items"]}) >= 3 for e in top)
    text = ["".join(i["title"] for i in e["items"]) for e in top]
    assert sum("美联储" in t or "Fed" in t for t in text) == 1
    assert sum("CPI" in t for t in text) == 1
    assert sum("日本央行" in t or "BOJ" in t or "Bank of Japan" in t for t in text) == 1
    links = [i["link"] for e in events for i in e["items"] if i["link"]]
    assert len(links) == len(set(links))  # repeated links are gone
    for e in events:
        for i in e["items"]:
            assert (
                i["published"] is None
                or "2025-12-11T12:00" <= i["published"][:16] <= "2025-12-13T00:00"
            )


def test_collect_json_contract_with_a_failing_feed(tmp_path: Path) -> None:
    cfg = yaml.safe_load(SAMPLE.read_text(encoding="utf-8"))
    for f in cfg["feeds"]:
        f["url"] = str((EXAMPLES / f["url"]).resolve())
    cfg["feeds"].append({"name": "不存在", "url": str(tmp_path / "missing.xml")})
    (tmp_path / "feeds.yaml").write_text(yaml.safe_dump(cfg, allow_unicode=True), encoding="utf-8")
    code, out, _ = invoke("collect", "--json", "--all")
    assert code == 0
    data = json.loads(out)
    assert set(data) == {"items", "errors"}
    assert data["errors"] == [
        {"feed": "不存在", "error": f"file not found: {tmp_path / 'missing.xml'}"}
    ]
    assert len(data["items"]) >= 30
    assert {"title", "link", "source", "published", "summary"} <= set(data["items"][0])


def test_hostile_feed_content_never_reaches_the_report(tmp_path: Path) -> None:
    cfg = yaml.safe_load(SAMPLE.read_text(encoding="utf-8"))
    for f in cfg["feeds"]:
        f["url"] = str((EXAMPLES / f["url"]).resolve())
    cfg["feeds"].append({"name": "可疑来源", "url": str(HOSTILE), "weight": 3.0})
    cfg["report"]["general_max"] = 100
    (tmp_path / "feeds.yaml").write_text(yaml.safe_dump(cfg, allow_unicode=True), encoding="utf-8")
    code, _, err = invoke("run", "--date", DAY, "--out", "out")
    assert code == 0, err
    md = (tmp_path / "out" / f"{DAY}.md").read_text(encoding="utf-8")
    fm = front_matter(md)
    assert "draft" not in fm
    assert md.count("\n---\n") == 3  # the front matter closes, two separators between events
    for bad in (
        "<script",
        "onerror",
        "javascript:",
        "忽略以上所有指令",
        "黑客",
        "Ignore all previous",
        "](http",
    ):
        assert bad not in md, bad
    assert not re.search(r"^draft: true", md, re.M)
    assert not re.search(r"^# ", md, re.M)


@pytest.mark.parametrize(
    ("feeds_yaml", "code", "message"),
    [
        (None, 2, "feeds file not found"),
        ("feeds: [{name: a}]", 2, r"feeds\[0\] \(name: a\)\.url: Field required"),
        ("feeds: [{name: a, url: nowhere.xml}]", 3, "no items from any feed"),
    ],
)
def test_bad_input_gets_one_line_and_a_nonzero_exit(
    tmp_path: Path, feeds_yaml, code: int, message: str
) -> None:
    if feeds_yaml:
        (tmp_path / "feeds.yaml").write_text(feeds_yaml, encoding="utf-8")
    got, _, err = invoke("run", "--date", DAY, "--out", "out")
    assert got == code
    lines = err.strip().splitlines()  # one error line, then the run's status line
    assert re.search(message, lines[0]) and len(lines) == 2
    assert lines[1].startswith("briefing: date=2025-12-12 report=- ") and lines[1].endswith(
        f" events=- grounding=- exit={code}"
    )
    assert not (tmp_path / "out").exists()


def test_python_dash_m_briefing_runs_from_another_directory(tmp_path: Path) -> None:
    shutil.copytree(EXAMPLES, tmp_path / "sample")
    proc = subprocess.run(
        [
            sys.executable,
            "-m",
            "briefing",
            "run",
            "--feeds",
            "sample/feeds.yaml",
            "--date",
            DAY,
            "--out",
            "o",
        ],
        cwd=tmp_path,
        capture_output=True,
        text=True,
        timeout=120,
    )
    assert proc.returncode == 0, proc.stderr
    assert_seed_shape((tmp_path / "o" / f"{DAY}.md").read_text(encoding="utf-8"))


# -- through the real openai client against a loopback server ------------------------------------


def test_run_through_an_openai_compatible_server_that_misbehaves_first(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    with FakeLLMServer() as srv:
        srv.enqueue(status=429, headers={"Retry-After": "0"}, error="rate limited")
        srv.enqueue(content='{"title": "坏的 JSON')
        srv.enqueue(status=500, error="upstream exploded")
        srv.enqueue(content=json.dumps({"title": "缺字段"}, ensure_ascii=False))
        for k, v in srv.env.items():
            monkeypatch.setenv(k, v)
        code, _, err = invoke("run", "--feeds", str(SAMPLE), "--date", DAY, "--out", "out")
        requests = len(srv.requests)
        key = srv.env["OPENAI_API_KEY"]
    assert code == 0, err
    assert requests <= 20
    md = (tmp_path / "out" / f"{DAY}.md").read_text(encoding="utf-8")
    events = assert_seed_shape(md)
    assert all("模拟" in e for e in events)  # the text is the server's answers
    assert front_matter(md)["generator"]["writer"] == "llm"
    record_text = (tmp_path / "out" / f"{DAY}.record.json").read_text(encoding="utf-8")
    record = json.loads(record_text)
    assert key not in record_text
    purposes = sorted(c["purpose"].split("「")[0] for c in record["calls"])
    assert purposes == ["event", "event", "event", "headline", "translate 一般事件"]
    assert all(c["prompt_sha256"] for c in record["calls"])
    assert all(s["writer"] == "llm" and s["raw"] for s in record["sections"])
    assert "LLM" in err and "tokens" in err


def test_eval_of_the_morning_report_and_against_given_sources(tmp_path: Path) -> None:
    assert invoke("run", "--feeds", str(SAMPLE), "--date", DAY, "--out", "out")[0] == 0
    report = tmp_path / "out" / f"{DAY}.md"
    code, out, _ = invoke("eval", str(report), "--json")
    data = json.loads(out)
    # ≥ 0.95, not 1.0: since the grounding merge, "日元走强…美元兑日元下行" is flagged against
    # "美元兑日元跌至" (a direction false positive for the grounding engineer)
    assert code == 0 and set(data) == {"claims", "score"} and data["score"] >= 0.95
    assert all(set(c) == {"text", "verdict", "reasons"} for c in data["claims"])
    text = report.read_text(encoding="utf-8")
    first = next(c["text"] for c in data["claims"] if "3.50%-3.75%" in c["text"])
    report.write_text(
        text.replace(first, first.replace("3.50%-3.75%", "3.25%-3.50%")), encoding="utf-8"
    )
    code, out, err = invoke("eval", str(report), "--json", "--min-score", "0.99")
    assert code == 8 and "below --min-score" in err
    bad = next(c for c in json.loads(out)["claims"] if "3.25%-3.50%" in c["text"])
    assert bad["verdict"] != "supported" and any("3.25" in r for r in bad["reasons"])
    source = tmp_path / "source.txt"
    source.write_text("美联储将联邦基金利率目标区间下调25个基点至3.50%-3.75%。", encoding="utf-8")
    code, out, _ = invoke("eval", str(report), "--source", str(source), "--json")
    assert code == 0 and json.loads(out)["score"] < 1.0


def test_eval_judge_asks_the_configured_model(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    assert invoke("run", "--feeds", str(SAMPLE), "--date", DAY, "--out", "out")[0] == 0
    with FakeLLMServer() as srv:
        for k, v in srv.env.items():
            monkeypatch.setenv(k, v)
        code, out, err = invoke("eval", str(tmp_path / "out" / f"{DAY}.md"), "--judge", "--json")
        asked = len(srv.requests)
    assert code == 0, err
    assert asked > 0 and "score" in json.loads(out)


def test_eval_judge_without_a_model_is_a_clear_error(tmp_path: Path) -> None:
    assert invoke("run", "--feeds", str(SAMPLE), "--date", DAY, "--out", "out")[0] == 0
    code, _, err = invoke("eval", str(tmp_path / "out" / f"{DAY}.md"), "--judge")
    assert code == 2 and "--judge needs an LLM" in err


def test_eval_of_an_empty_report_is_an_error_not_a_perfect_score(tmp_path: Path) -> None:
    (tmp_path / "empty.md").write_text("", encoding="utf-8")
    (tmp_path / "s.txt").write_text("美联储降息25个基点。", encoding="utf-8")
    code, out, err = invoke("eval", "empty.md", "--source", "s.txt", "--json")
    assert code == 5 and out == "" and "empty.md: not a briefing report: no front matter" in err


def test_report_keeps_its_permissions_and_the_record_hides_url_credentials(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    with FakeLLMServer() as srv:
        for k, v in srv.env.items():
            monkeypatch.setenv(k, v)
        monkeypatch.setenv(
            "OPENAI_BASE_URL", srv.base_url.replace("http://", "http://user:s3cret-pw@")
        )
        code, _, err = invoke("run", "--feeds", str(SAMPLE), "--date", DAY, "--out", "out")
        assert code == 0, err
        report = tmp_path / "out" / f"{DAY}.md"
        assert report.stat().st_mode & 0o777 != 0o600
        report.chmod(0o640)
        assert (
            invoke("run", "--feeds", str(SAMPLE), "--date", DAY, "--out", "out", "--force")[0] == 0
        )
    assert report.stat().st_mode & 0o777 == 0o640
    record = (tmp_path / "out" / f"{DAY}.record.json").read_text(encoding="utf-8")
    assert "s3cret-pw" not in record and "***@127.0.0.1" in record


def test_rank_exits_non_zero_when_no_feed_works(tmp_path: Path) -> None:
    (tmp_path / "d").mkdir()
    (tmp_path / "feeds.yaml").write_text("feeds: [{name: a, url: d}]\n", encoding="utf-8")
    code, out, err = invoke("rank", "--json")
    assert code == 3 and out == "" and "no feed could be read: a: not a file" in err
