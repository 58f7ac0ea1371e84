"""`briefing eval --html` and `--flagged`: the review page (self-contained, escaped, flagged first),
opened and clicked in a real headless Chromium, and the flagged-only output."""

from __future__ import annotations

import json
import re
import shutil
import subprocess
from pathlib import Path

import pytest
from click.testing import CliRunner

from briefing.cli import main
from briefing.grounding import Source, check
from briefing.grounding.html import review_page

SOURCE = (
    "美国劳工统计局周二 (12 月 16 日) 公布的数据显示，11 月非农就业人数增加 6.4 万人，高于预期的 5 万人。\n"
    "失业率从 9 月的 4.4 % 升至 4.6 %，为 2021 年 9 月以来的最高水平。\n"
    "美股收盘涨跌互现：道琼斯工业平均指数收低 0.62 %，纳斯达克 100 指数收高 0.23 %。"
)
REPORT = """---
title: "就业报告 <b>测试</b>"
date: 2025-12-16
---
## 就业报告

## 美国11月非农就业增加6.4万人

事件时间：2025-12-16 21:30

11月非农就业人数增加6.4万人，高于预期的5万人。失业率升至4.9%。道琼斯工业平均指数收高0.62%。

### 深度解读 & 洞察

劳动力市场<script>alert('x')</script>正在降温。

### 影响

- **对美股**：中性。纳斯达克100指数收高0.23%。

> 投资启示：关注就业数据的后续变化。
"""
BROWSERS = ("chromium", "chromium-browser", "google-chrome")
FLAGS = [
    "--headless",
    "--no-sandbox",
    "--disable-gpu",
    "--disable-quic",
    "--no-first-run",
    "--disable-background-networking",
    "--disable-component-update",
    "--disable-sync",
]


def invoke(*args: str) -> tuple[int, str, str]:
    result = CliRunner().invoke(main, list(args), catch_exceptions=False)
    return result.exit_code, result.stdout, result.stderr


@pytest.fixture
def files(tmp_path: Path) -> tuple[Path, Path]:
    report, source = tmp_path / "r.md", tmp_path / "jobs.txt"
    report.write_text(REPORT, encoding="utf-8")
    source.write_text(SOURCE, encoding="utf-8")
    return report, source


def page_of(sources: list[Source]) -> str:
    return review_page(REPORT, check(REPORT, sources), name="r.md")


def test_unsupported_claims_come_first_and_every_claim_is_marked() -> None:
    page = page_of([Source(name="jobs", text=SOURCE, link="https://example.org/jobs")])
    verdicts = re.findall(r'<li class="claim v-(\w+)" id="claim-(\d+)"', page)
    assert [v for v, _ in verdicts] == [
        "unsupported",  # 4.9%
        "contradicted",  # 收高 where the source says 收低
        "supported",
        "supported",
        "unchecked",
        "unchecked",
    ]
    marks = re.findall(r'<mark class="v-(\w+)" data-claim="claim-(\d+)"', page)
    assert sorted(n for _, n in marks) == sorted(n for _, n in verdicts)  # each claim in the report
    assert dict((n, v) for v, n in marks) == dict((n, v) for v, n in verdicts)
    assert 'href="https://example.org/jobs"' in page


def test_the_page_is_self_contained_and_escapes_untrusted_text() -> None:
    page = page_of(
        [Source(name='<img src=x onerror="alert(2)">', text=SOURCE, link="javascript:alert(3)")]
    )
    assert (
        "<script>alert(" not in page and "&lt;script&gt;alert(&#x27;x&#x27;)&lt;/script&gt;" in page
    )
    assert "<img" not in page and "&lt;img src=x" in page
    assert "javascript:" not in page  # a link that is not http(s) or file is dropped
    assert "<title>就业报告 &lt;b&gt;测试&lt;/b&gt; — grounding review</title>" in page
    assert (
        page.count("<script>") == 1 and not re.search(r"<[^>]+\ssrc=", page) and "<link" not in page
    )
    assert not re.search(r"url\(|@import|https?://", page)  # nothing to fetch


def test_eval_html_writes_the_page_and_flagged_shows_only_problems(
    files: tuple[Path, Path], tmp_path: Path
) -> None:
    report, source = files
    page = tmp_path / "review.html"
    code, out, err = invoke(
        "eval", str(report), "--source", str(source), "--flagged", "--html", str(page)
    )
    assert code == 0 and f"review page: {page}" in err
    assert "失业率升至4.9%" in out and "道琼斯工业平均指数收高0.62%" in out
    assert "纳斯达克100指数收高0.23%" not in out  # supported: not shown with --flagged
    assert "score 0.50 (4 checkable claims, 2 opinions unchecked; flagged only)" in out
    assert page.read_text(encoding="utf-8").startswith("<!DOCTYPE html>")
    code, out, _ = invoke("eval", str(report), "--source", str(source), "--flagged", "--json")
    data = json.loads(out)
    assert [c["verdict"] for c in data["claims"]] == ["unsupported", "contradicted"]
    assert data["score"] == 0.5 and set(data) == {"claims", "score"}


def test_flagged_with_nothing_flagged_says_so(files: tuple[Path, Path]) -> None:
    report, source = files
    fixed = REPORT.replace("失业率升至4.9%。", "失业率升至4.6%。").replace("收高0.62%", "收低0.62%")
    report.write_text(fixed, encoding="utf-8")
    code, out, _ = invoke("eval", str(report), "--source", str(source), "--flagged")
    assert code == 0 and "no flagged claims" in out


def test_the_page_in_a_real_browser(files: tuple[Path, Path], tmp_path: Path) -> None:
    """Chromium opens the page, the marks are there, and a click on a flagged claim's button shows
    its passage (the page's #open= hook clicks it on load; --dump-dom prints the DOM after that)."""
    browser = next((b for b in map(shutil.which, BROWSERS) if b), None)
    if browser is None:
        pytest.skip("no Chromium binary on this machine (CI installs it with apt: chromium)")
    report, source = files
    page = tmp_path / "review.html"
    assert invoke("eval", str(report), "--source", str(source), "--html", str(page))[0] == 0
    run = subprocess.run(
        [
            browser,
            *FLAGS,
            f"--user-data-dir={tmp_path / 'profile'}",
            "--dump-dom",
            f"{page.as_uri()}#open=claim-2",
        ],
        capture_output=True,
        text=True,
        timeout=60,
        check=False,
    )
    dom = run.stdout
    assert run.returncode == 0 and "</html>" in dom, run.stderr[-500:]
    assert len(re.findall(r'<mark class="v-\w+" data-claim="claim-\d+"', dom)) == 6
    opened = re.search(
        r'<li class="claim v-unsupported" id="claim-2".*?(?=<li class="claim)', dom, re.S
    )
    assert opened and 'aria-expanded="true"' in opened.group(0)
    assert re.search(r'<div class="passage" id="passage-2">', opened.group(0))  # no longer hidden
    assert "失业率从 9 月的 4.4 % 升至 4.6 %" in opened.group(
        0
    ) and source.as_uri() in opened.group(0)
    closed = re.search(r'<div class="passage" id="passage-3" hidden[^>]*>', dom)
    assert closed  # the other claims' passages stay hidden until clicked
