from datetime import date
from pathlib import Path

import pytest
import yaml

from briefing.atomic import write_atomic
from briefing.errors import ReportFormatError
from briefing.models import EventAnalysis, Impact, Report
from briefing.render import parse, render, section_text

FIXTURES = Path(__file__).parent / "fixtures" / "reports"
SEEDS = sorted((Path(__file__).resolve().parents[2] / "shared" / "seeds").glob("000_*.txt"))


def _event(n: int, **kw) -> EventAnalysis:
    data = dict(
        title=f"事件{n}：美联储降息25个基点",
        event_time="2025-12-11 03:00",
        summary="美联储将联邦基金利率下调25个基点至3.50%-3.75%。",
        insight="第一段。\n\n1. **要点**：第二段。\n2. 第三点。",
        impacts=[
            Impact(asset="美元", stance="利空", text="利差收窄。"),
            Impact(asset="黄金", stance="短期利多", text="实际利率下行。"),
            Impact(asset="股市", stance="", text="暂无明确方向，关注盈利。"),
        ],
        takeaway="关注利率敏感板块。",
    )
    data.update(kw)
    return EventAnalysis(**data)


def _report(**kw) -> Report:
    data = dict(
        date=date(2025, 12, 12),
        title="美联储降息与日本央行加息预期",
        headline="美联储降息与日本央行加息预期",
        tags=["经济日报", "宏观经济"],
        seo=["经济日报", "美联储"],
        events=[_event(1), _event(2), _event(3)],
        general=["苹果发布新品", "原油上涨1.2%"],
        meta={"generator": {"name": "briefing", "writer": "offline"}},
    )
    data.update(kw)
    return Report(**data)


def test_render_has_the_seed_shape() -> None:
    md = render(_report())
    fm_text, body = md.split("\n---\n", 1)
    fm = yaml.safe_load(fm_text.removeprefix("---\n"))
    assert fm["title"] == "美联储降息与日本央行加息预期"
    assert fm["date"] == date(2025, 12, 12)
    assert fm["category"] == "经济日报"
    assert fm["tags"] == ["经济日报", "宏观经济"]
    assert fm["generator"] == {"name": "briefing", "writer": "offline"}
    assert body.startswith(
        "## 美联储降息与日本央行加息预期\n\n## 事件1：美联储降息25个基点\n\n事件时间：2025-12-11 03:00\n\n"
    )
    assert body.count("### 深度解读 & 洞察") == 3
    assert body.count("> 投资启示：关注利率敏感板块。") == 3
    assert body.count("\n---\n") == 2  # between events, not after the last
    assert (
        "- **对美元**：利空。利差收窄。\n- **对黄金**：短期利多。实际利率下行。\n- **对股市**：暂无明确方向，关注盈利。\n"
        in body
    )
    assert body.endswith(
        "> 投资启示：关注利率敏感板块。\n\n## 一般事件\n\n- 苹果发布新品\n- 原油上涨1.2%\n"
    )


@pytest.mark.parametrize(
    "report",
    [
        _report(),
        _report(general=[]),
        _report(events=[_event(1)], cover_image="https://example.com/c.png"),
        _report(title="", headline="标题: 带冒号 # 与引号\"'"),
    ],
)
def test_render_parse_render_round_trip(report: Report) -> None:
    md = render(report)
    back = parse(md).report
    assert back == report
    assert render(back) == md


@pytest.mark.parametrize("path", [FIXTURES / "handwritten.md", *SEEDS], ids=lambda p: p.name)
def test_reports_in_the_seed_format_parse_and_render_back_byte_for_byte(path: Path) -> None:
    text = path.read_text(encoding="utf-8")
    parsed = parse(text)
    assert len(parsed.report.events) >= 2
    assert all(len(e.impacts) >= 3 for e in parsed.report.events)
    body = text[text.index("\n## ") + 1 :]
    rendered = render(parsed.report)
    assert rendered[rendered.index("\n## ") + 1 :].rstrip("\n") == body.rstrip("\n")


def test_parse_reads_every_part_of_a_handwritten_report() -> None:
    r = parse((FIXTURES / "handwritten.md").read_text(encoding="utf-8")).report
    assert r.date == date(2025, 11, 3)
    assert r.title == ""
    assert r.cover_image == "https://example.com/covers/2025-11-03.png"
    assert r.headline == "欧佩克+暂停增产与欧洲央行按兵不动，大宗商品重定价"
    e1, e2 = r.events
    assert e1.event_time == "2025-11-02 21:05"
    assert e2.event_time == "2025-10-30 至 2025-10-31"
    assert [(i.asset, i.stance) for i in e1.impacts] == [
        ("原油", "短期利多"),
        ("美元", "中性"),
        ("加密货币", ""),
        ("A股", "结构性利好"),
    ]
    assert e1.insight.startswith("此次暂停释放两层信号：\n1. **需求担忧压过份额之争**")
    assert e2.takeaway == "欧洲银行股仍具相对价值；关注12月议息会议的新预测。"
    assert r.general == ["苹果公布四季度营收1025亿美元，同比增长8%", "日本10月制造业PMI降至48.2"]


@pytest.mark.parametrize("section", ["summary", "insight", "impact", "takeaway"])
def test_spans_cover_exactly_the_section(section: str) -> None:
    report = _report()
    md = render(report)
    parsed = parse(md)
    for n, event in enumerate(report.events):
        start, end = parsed.spans[n][section]
        assert md[start:end] == section_text(event, section)


def test_replace_changes_only_the_span() -> None:
    md = render(_report())
    parsed = parse(md)
    new = parsed.replace(1, "takeaway", "新的投资启示。")
    assert new.replace("新的投资启示。", "关注利率敏感板块。", 1) == md
    assert parse(new).report.events[1].takeaway == "新的投资启示。"
    assert parse(new).report.events[0].takeaway == "关注利率敏感板块。"
    start, _ = parsed.spans[1]["takeaway"]
    assert new[:start] == md[:start]


@pytest.mark.parametrize(
    ("mutate", "message"),
    [
        (lambda t: t.replace("---\n", "", 1), "no front matter"),
        (
            lambda t: t.replace("### 影响\n", "", 1),
            "event 1 (事件1：美联储降息25个基点): missing '### 影响'",
        ),
        (lambda t: t.replace("事件时间：", "时间：", 1), "missing '事件时间：'"),
        (lambda t: t.replace("> 投资启示：", "投资启示：", 1), "missing '> 投资启示：'"),
        (lambda t: t.replace("date: 2025-12-12\n", ""), "front matter has no 'date'"),
        (
            lambda t: t.replace("category: 经济日报", "category: [unclosed"),
            "front matter is not valid YAML",
        ),
    ],
)
def test_a_report_edited_beyond_recognition_gets_a_clear_error(mutate, message: str) -> None:
    with pytest.raises(ReportFormatError, match=message.replace("(", r"\(").replace(")", r"\)")):
        parse(mutate(render(_report())))


@pytest.mark.parametrize(
    ("field", "value", "expected"),
    [
        ("title", "标题\ndraft: true", "标题 draft: true"),
        ("title", "<script>alert(1)</script>美联储降息", "美联储降息"),
        ("summary", "正文[点击](javascript:alert(1))。", "正文点击。"),
        ("summary", "<img src=x onerror=alert(1)>正文。", "正文。"),
        ("summary", "第一行\n---\n# 不是标题", "第一行\n\\---\n\\# 不是标题"),
        ("takeaway", "javascript:alert(1)", "javascript：alert(1)"),
    ],
)
def test_analysis_text_is_made_harmless(field: str, value: str, expected: str) -> None:
    assert getattr(_event(1, **{field: value}), field) == expected


def test_hostile_headline_cannot_add_front_matter_keys() -> None:
    md = render(_report(title="x\ndraft: true\n---", headline="y"))
    fm = yaml.safe_load(md.split("\n---\n", 1)[0].removeprefix("---\n"))
    assert "draft" not in fm
    assert parse(md).report.title == "x draft: true ---"


def test_write_atomic_replaces_and_leaves_no_temp(tmp_path: Path) -> None:
    target = tmp_path / "out" / "2025-12-12.md"
    write_atomic(target, "一\n")
    write_atomic(target, "二\n")
    assert target.read_text(encoding="utf-8") == "二\n"
    assert [p.name for p in target.parent.iterdir()] == ["2025-12-12.md"]
