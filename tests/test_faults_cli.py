"""Fault classes at the command line: exit codes, reports in other encodings, text that looks like
rich markup, secrets in logs and errors, a closed stdout pipe, and the small conventions."""

from __future__ import annotations

import json
import re
import subprocess
import sys
from pathlib import Path

import pytest
import yaml
from conftest import ROOT as _ROOT
from fakellm import FakeLLMServer
from faultkit import (
    DAY,
    SAMPLE,
    FeedServer,
    hand_edit,
    http_config,
    invoke,
    morning_copy,
    one_line,
    snapshot,
)

from briefing.render import parse


@pytest.fixture(autouse=True)
def _in_tmp(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.chdir(tmp_path)
    monkeypatch.setenv("COLUMNS", "400")  # rich tables wide enough that nothing is cut


@pytest.fixture
def report(tmp_path: Path, tmp_path_factory: pytest.TempPathFactory) -> Path:
    return morning_copy(tmp_path / "out", tmp_path_factory.getbasetemp())


# -- exit codes -----------------------------------------------------------------------------------

BAD_FLAGS = [
    (["rerun", "{r}", "--event", "0", "--section", "summary"], "0 is not in the range x>=1"),
    (["rerun", "{r}", "--event", "9", "--section", "summary"], "--event 9: no such event"),
    (["rerun", "{r}", "--event", "1", "--section", "标题"], "Invalid value for '--section'"),
    (["show", "{r}", "--event", "4"], "--event 4: no such event; "),
    (["eval", "{r}", "--min-score", "1.5"], "1.5 is not in the range 0<=x<=1"),
    (["run", "--feeds", "{s}", "--date", "2025-13-01"], "'2025-13-01' does not match"),
    (["run", "--feeds", "{s}", "--date", "2099-01-01"], "--date 2099-01-01 is in the future"),
    (["collect", "--feeds", "{s}", "--date", "2099-01-01"], "is in the future"),
    (["rank", "--feeds", "{s}", "--date", "2099-01-01"], "is in the future"),
    (["rank", "--feeds", "{s}", "--limit", "0"], "0 is not in the range x>=1"),
    (["show", "missing.md"], "missing.md: report not found"),
    (["eval", "missing.md"], "missing.md: report not found"),
    (["rerun", "missing.md", "--event", "1", "--section", "summary"], "report not found"),
    (["show", "{d}"], "out: not a file"),
    (["run", "--feeds", "{s}", "--bogus"], "No such option '--bogus'"),
]


@pytest.mark.parametrize(("args", "message"), BAD_FLAGS, ids=[" ".join(a) for a, _ in BAD_FLAGS])
def test_a_bad_flag_value_is_exit_2_in_one_line(
    report: Path, tmp_path: Path, args: list[str], message: str
) -> None:
    before = snapshot(tmp_path / "out")
    argv = [a.format(r=report, s=SAMPLE, d=tmp_path / "out") for a in args]
    code, out, err = invoke(*argv)
    assert code == 2 and out == ""
    line = one_line(err)
    assert line.startswith("error: ") and message in line
    assert snapshot(tmp_path / "out") == before


def _pipe_into_closed_reader(*args: str, cwd: Path) -> tuple[int, str]:
    script = f"{sys.executable} -m briefing {' '.join(args)} | true; echo ${{PIPESTATUS[0]}} >&2"
    proc = subprocess.run(
        ["bash", "-c", script],
        cwd=cwd,
        capture_output=True,
        text=True,
        timeout=120,
        env={"PYTHONPATH": str(_ROOT), "PATH": "/usr/bin:/bin", "HOME": str(cwd)},
    )
    *lines, status = proc.stderr.strip().splitlines() or ["?"]
    return int(status), "\n".join(lines)


@pytest.mark.parametrize(
    "args",
    [
        ["collect", "--feeds", str(SAMPLE), "--json", "--all"],
        ["show", f"out/{DAY}.md"],
    ],
    ids=["collect-json", "show"],
)
def test_piping_into_a_reader_that_stops_early_is_quiet(
    report: Path, tmp_path: Path, args: list[str]
) -> None:
    code, err = _pipe_into_closed_reader(*args, cwd=tmp_path)
    assert err == "" and code == 141


# -- reports in other encodings ---------------------------------------------------------------------


@pytest.mark.parametrize(
    ("encoding", "bom"),
    [
        ("gb18030", b""),
        ("utf-16-le", b"\xff\xfe"),
        ("utf-16-be", b"\xfe\xff"),
        ("utf-8", b"\xef\xbb\xbf"),
    ],
    ids=["gbk", "utf16le-bom", "utf16be-bom", "utf8-bom"],
)
def test_a_report_in_another_encoding_is_read_and_rerun_keeps_it(
    report: Path, encoding: str, bom: bytes
) -> None:
    score = json.loads(invoke("eval", str(report), "--json")[1])["score"]
    text = report.read_text(encoding="utf-8").replace("\n", "\r\n")
    span = parse(text).spans[0]["takeaway"]
    edited = text[: span[0]] + "编辑手改。" + text[span[1] :]
    report.write_bytes(bom + edited.encode(encoding))
    code, out, err = invoke("show", str(report), "--event", "1")
    assert code == 0 and err == "" and "深度解读" in out
    code, out, _ = invoke("eval", str(report), "--json")
    assert code == 0 and json.loads(out)["score"] == score  # read exactly as the UTF-8 original
    code, _, err = invoke("rerun", str(report), "--event", "1", "--section", "takeaway")
    assert code == 0, err
    raw = report.read_bytes()
    assert raw.startswith(bom)
    after = raw[len(bom) :].decode(encoding)
    assert "编辑手改" not in after and after.count("\r\n") == text.count("\r\n")
    assert after[: span[0]] == text[: span[0]]  # every byte before the section, line ends too


@pytest.mark.parametrize(
    ("data", "message"),
    [
        ("utf-16-no-bom", "binary data or UTF-16 without a byte-order mark"),
        (b"\x89PNG\r\n\x1a\n\x00\x00\x00\rIHDR", "binary data"),
        (b"caf\xe9 \xff\xfe\xfd", "neither UTF-8, UTF-16 (with BOM) nor GBK text"),
        (
            "美联储降息25个基点至3.50%-3.75%。\n\n- 黄金上涨2%。\n",
            "not a briefing report: no front matter",
        ),
        (
            "---\ntitle: x\n---\n\n随便写的笔记。\n",
            "not a briefing report: front matter has no 'date'",
        ),
    ],
    ids=["utf16-no-bom", "png", "latin1", "plain-notes", "other-markdown"],
)
@pytest.mark.parametrize("command", ["show", "eval", "rerun"])
def test_a_file_that_is_not_a_readable_briefing_is_refused(
    tmp_path: Path, data: bytes | str, message: str, command: str
) -> None:
    path = tmp_path / "r.md"
    if data == "utf-16-no-bom":
        data = morning_copy(tmp_path / "out").read_text(encoding="utf-8").encode("utf-16-le")
    path.write_bytes(data.encode("utf-8") if isinstance(data, str) else data)
    (tmp_path / "s.txt").write_text("美联储降息25个基点至3.50%-3.75%。", encoding="utf-8")
    args = {
        "show": ["show", "r.md"],
        "eval": ["eval", "r.md", "--source", "s.txt"],
        "rerun": ["rerun", "r.md", "--event", "1", "--section", "summary"],
    }[command]
    before = path.read_bytes()
    code, out, err = invoke(*args)
    assert code == 5 and out == ""
    assert one_line(err) == f"error: r.md: {message}" or message in one_line(err)
    assert path.read_bytes() == before


# -- untrusted text is never rich markup ---------------------------------------------------------

HOSTILE_TITLES = [
    "美联储宣布降息25个基点至3.50%-3.75% [/red] 市场反应",
    "美联储降息25个基点 [link=https://evil.example/x]点此领取[/link] :warning:",
    "美联储决议 [bold red]紧急[/] [/]",
    "冷门消息：某县[/red]发行专项债 [link=https://evil.example/y]详情[/link] :warning:",
]


def _markup_feed(tmp_path: Path) -> Path:
    items = "".join(
        f"<item><title>{t.replace('&', '&amp;')}</title>"
        f"<link>https://m.example/{n}</link><description>美联储将联邦基金利率目标区间下调25个基点至3.50%-3.75%。</description>"
        f"<pubDate>Thu, 11 Dec 2025 1{n}:30:00 +0000</pubDate></item>"
        for n, t in enumerate(HOSTILE_TITLES, 1)
    )
    feed = tmp_path / "markup.xml"
    feed.write_text(
        f'<?xml version="1.0" encoding="UTF-8"?><rss version="2.0"><channel><title>[red]x</title>{items}</channel></rss>',
        encoding="utf-8",
    )
    cfg = yaml.safe_load(SAMPLE.read_text(encoding="utf-8"))
    for f in cfg["feeds"]:
        f["url"] = str((SAMPLE.parent / f["url"]).resolve())
    cfg["feeds"].append({"name": "[/red]标记源", "url": str(feed), "weight": 3.0})
    cfg["feeds"].append(
        {"name": "[link=https://evil.example]坏源", "url": str(tmp_path / "none.xml")}
    )
    path = tmp_path / "feeds.yaml"
    path.write_text(yaml.safe_dump(cfg, allow_unicode=True), encoding="utf-8")
    return path


def test_feed_text_that_looks_like_markup_prints_literally_everywhere(tmp_path: Path) -> None:
    config = _markup_feed(tmp_path)
    code, out, err = invoke("collect", "--feeds", str(config), "--all")
    assert code == 0, err
    for t in HOSTILE_TITLES:
        assert t in out
    assert "✗ [link=https://evil.example]坏源: file not found" in err
    code, out, _ = invoke("rank", "--feeds", str(config), "--date", DAY, "--limit", "100")
    assert code == 0 and any(t in out for t in HOSTILE_TITLES)  # an event's title, verbatim
    code, _, err = invoke("run", "--feeds", str(config), "--date", DAY, "--out", "out")
    assert code == 0, err
    assert "✗ [link=https://evil.example]坏源: file not found" in err  # the run summary
    code, out, err = invoke("show", f"out/{DAY}.md")
    assert code == 0, err
    record = json.loads((tmp_path / "out" / f"{DAY}.record.json").read_text(encoding="utf-8"))
    top_ids = {i for e in record["events"] if e["top"] for i in e["items"]}
    shown = [i["title"] for i in record["items"] if i["id"] in top_ids and "[" in i["title"]]
    assert len(shown) >= 2 and all(t in out for t in shown)  # the sources tables, verbatim
    code, out, err = invoke("eval", f"out/{DAY}.md")
    assert code == 0, err
    code, _, err = invoke("show", "[/red].md")
    assert code == 2 and one_line(err) == "error: [/red].md: report not found"


def test_no_terminal_control_sequence_reaches_the_terminal(tmp_path: Path) -> None:
    """ESC[2J (clear screen), an OSC 8 hyperlink, BEL, C1 CSI: in a feed name from feeds.yaml and in
    a feed title; what the commands print keeps the words and loses the control characters."""
    feed = tmp_path / "esc.xml"
    feed.write_text(
        '<?xml version="1.0"?><rss version="2.0"><channel><title>x</title><item>'
        "<title>降息\x1b[2J消息\x1b]8;;https://evil.example\x07点此\x1b]8;;\x07</title>"
        "<link>https://e.example/1</link></item></channel></rss>",
        encoding="utf-8",
    )
    names = ["坏\x1b[2J源\x07", "C1\x9b31m源"]
    cfg = {"feeds": [{"name": "esc", "url": str(feed)}]}
    cfg["feeds"] += [{"name": n, "url": str(tmp_path / "none.xml")} for n in names]
    (tmp_path / "feeds.yaml").write_text(yaml.safe_dump(cfg, allow_unicode=True), encoding="utf-8")
    for args in (["collect", "--all"], ["collect", "--all", "-v"], ["rank", "--limit", "5"]):
        code, out, err = invoke(*args)
        assert code == 0, err
        for stream in (out, err):
            assert not re.search("[\x00-\x08\x0b-\x1f\x7f-\x9f]", stream), (args, stream)
        if args[0] == "collect":
            assert "✗ 坏[2J源: file not found" in err and "✗ C131m源: file not found" in err


# -- no secret in any line shown -----------------------------------------------------------------

SECRETS = ("sk-live-SECRETKEY-0042", "llm-pass-77", "feed-token-99", "feed-pass-55")


def test_no_secret_in_progress_logs_or_errors_even_with_verbose(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    with FeedServer() as srv, FakeLLMServer() as llm:
        config = http_config(tmp_path, srv)
        cfg = yaml.safe_load(config.read_text(encoding="utf-8"))
        for f in cfg["feeds"]:
            f["url"] = (
                f["url"].replace("http://", "http://reader:feed-pass-55@") + "?token=feed-token-99"
            )
        cfg["feeds"].append({"name": "gone", "url": srv.url("gone.xml?token=feed-token-99")})
        config.write_text(yaml.safe_dump(cfg, allow_unicode=True), encoding="utf-8")
        monkeypatch.setenv(
            "OPENAI_BASE_URL", llm.base_url.replace("http://", "http://u:llm-pass-77@")
        )
        monkeypatch.setenv("OPENAI_API_KEY", SECRETS[0])
        monkeypatch.setenv("BRIEFING_MODEL", "fake-model")
        code, _, err = invoke("run", "--feeds", str(config), "--date", DAY, "--out", "out", "-v")
        assert code == 0, err
        assert "HTTP Request: POST http://***@127.0.0.1" in err  # httpx's own log, redacted
        assert "HTTP Request: GET http://***@127.0.0.1" in err and "token=***" in err
        assert "DEBUG " in err  # the libraries' own debug lines went through the filter too
        llm.enqueue(status=401, error=f"Incorrect API key provided: {SECRETS[0]}")
        code, _, err2 = invoke(
            "rerun", f"out/{DAY}.md", "--event", "1", "--section", "summary", "-v"
        )
        assert code == 7
    for s in SECRETS:
        assert s not in err and s not in err2, s
    assert err2.strip().splitlines()[-1].startswith("error: ")


# -- small conventions ----------------------------------------------------------------------------


def test_version_and_verbose_after_the_subcommand(report: Path) -> None:
    from briefing import __version__

    for flag in ("--version", "-V"):
        code, out, _ = invoke(flag)
        assert code == 0 and out.strip() == f"briefing, version {__version__}"
    code, _, err = invoke("show", str(report), "-v")
    assert code == 0
    code, _, err = invoke("collect", "--feeds", str(SAMPLE), "--json", "-v")
    assert code == 0 and "briefing.collect: ok 全球央行动态: " in err


def test_show_json(report: Path) -> None:
    code, out, err = invoke("show", str(report), "--json")
    assert code == 0 and err == ""
    data = json.loads(out)
    parsed = parse(report.read_text(encoding="utf-8")).report
    assert data["date"] == DAY and data["headline"] == parsed.headline
    assert [e["number"] for e in data["events"]] == [1, 2, 3]
    assert data["events"][1]["takeaway"] == parsed.events[1].takeaway
    assert all(e["items"] and e["items"][0]["link"].startswith("http") for e in data["events"])
    assert data["run_id"] and data["general"] == parsed.general
    code, out, _ = invoke("show", str(report), "--json", "--event", "2")
    assert [e["number"] for e in json.loads(out)["events"]] == [2]


@pytest.mark.parametrize(
    ("name", "section"),
    [("摘要", "summary"), ("深度解读", "insight"), ("影响", "impact"), ("投资启示", "takeaway")],
)
def test_chinese_section_names(report: Path, name: str, section: str) -> None:
    hand_edit(report, 3, section, "- **对美元**：编辑。")
    code, _, err = invoke("rerun", str(report), "--event", "3", "--section", name)
    assert code == 0, err
    record = json.loads(report.with_name(f"{DAY}.record.json").read_text(encoding="utf-8"))
    assert [(r["event"], r["section"]) for r in record["reruns"]] == [(3, section)]


@pytest.mark.parametrize(
    "command", [[], ["run"], ["collect"], ["rank"], ["rerun"], ["eval"], ["show"]]
)
def test_every_help_shows_an_example_and_the_exit_codes(command: list[str]) -> None:
    code, out, _ = invoke(*command, "--help")
    assert code == 0
    example = out.split("Example:\n", 1)[1].splitlines()[0].strip()
    assert example.startswith(f"briefing {command[0] if command else ''}".strip())
    codes = out.split("Exit codes:\n", 1)[1]
    assert "0 done" in codes and "2 bad flag value" in codes and "130 interrupted" in codes
