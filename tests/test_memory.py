"""Two mornings in one output folder (tests/fixtures/memory/), run through the real CLI.

Day 1 (2025-12-15) tells 提振消费专项行动 (which continues on day 2 with new facts), the November
activity data (which does not continue) and the Tankan survey, plus six 一般事件 lines whose
items are still in the feeds on day 2; day 2 (2025-12-16) must serve none of that again.
"""

from __future__ import annotations

import json
import shutil
from collections.abc import Iterator
from datetime import date
from pathlib import Path

import pytest
import yaml
from click.testing import CliRunner
from conftest import ROOT
from fakellm import FakeLLMServer, message_text

from briefing.cli import main
from briefing.memory import Memory, Story, features, item_keys, load_memory, recap, title_key
from briefing.models import Event, EventAnalysis, Impact, Item, Previous, Report
from briefing.render import parse, render

FIXTURES = ROOT / "tests" / "fixtures" / "memory"
FEEDS = FIXTURES / "feeds.yaml"
DAY1, DAY2 = "2025-12-15", "2025-12-16"

# A top event is named by its story: one of its items' links (the writer composes the titles).
XHCJ = "https://kuaixun.xhcj.example/2025/12/"
STORIES = {
    XHCJ + "15/state-council-consumption-action.html": "consumption",
    XHCJ + "15/nbs-november-activity.html": "activity",
    XHCJ + "15/boj-tankan-december.html": "tankan",
    XHCJ + "16/consumption-action-rules.html": "consumption-rules",
    XHCJ + "16/us-nonfarm-payrolls-november.html": "payrolls",
    XHCJ + "16/pbc-outright-reverse-repo.html": "repo",
}
DAY1_TOP = ["consumption", "activity", "tankan"]
DAY1_LEAD = "国务院常务会议部署提振消费专项行动 推出七方面重点举措"  # its first item's headline
DAY1_GENERAL = [
    "财政部：1-11月全国一般公共预算收入20.1万亿元，同比增长0.8%",
    "海关总署：前11个月我国货物贸易进出口总值41.21万亿元，同比增长3.6%",
    "比亚迪11月新能源汽车销量48.2万辆，海外销量13.2万辆",
    "收评：沪指涨0.6%报3889点，两市成交额1.8万亿元",
    "碳酸锂期货主力合约涨停，报11.2万元/吨",
    "国际金价回落至4300美元/盎司下方",
]
CONTINUED = "提振消费专项行动细则公布：以旧换新补贴扩至家装厨卫 安排超长期特别国债1500亿元"
DAY2_TOP = ["consumption-rules", "payrolls", "repo"]
DAY2_GENERAL = [
    "国际油价跌至近五年低点，布伦特原油跌破60美元",
    "国家能源局：11月全社会用电量同比增长6.2%",
    "收评：沪指跌0.4%报3873点，两市成交额1.6万亿元",  # a new day's close, not yesterday's story
    "海南自由贸易港12月18日启动全岛封关运作",
]
RECAP = "本报12月15日曾报道“国务院常务会议部署提振消费专项行动”，以下为此后的新进展。"


def invoke(*args: str) -> tuple[int, str, str]:
    result = CliRunner().invoke(main, list(args), catch_exceptions=False)
    return result.exit_code, result.stdout, result.stderr


def run_day(out: Path, day: str, *extra: str, feeds: Path = FEEDS) -> tuple[int, str, str]:
    return invoke("run", "--feeds", str(feeds), "--date", day, "--out", str(out), *extra)


def report(out: Path, day: str) -> Report:
    return parse((out / f"{day}.md").read_text(encoding="utf-8")).report


def record(out: Path, day: str) -> dict:
    return json.loads((out / f"{day}.record.json").read_text(encoding="utf-8"))


def stories(out: Path, day: str) -> list[str]:
    """The day's top events in report order, each named by the one story link among its items."""
    rec = record(out, day)
    links = {i["id"]: i["link"] for i in rec["items"]}
    top = [e for e in rec["events"] if e["top"]]
    assert len(top) == len(report(out, day).events)  # the report's sections are these, in order
    return ["+".join(STORIES[links[i]] for i in e["items"] if links[i] in STORIES) for e in top]


def published_title(out: Path, day: str, story: str) -> str:
    """The title the day's report gave the story (as written, or as the editors left it)."""
    return report(out, day).events[stories(out, day).index(story)].title


def recap_of(title: str) -> str:
    return f"本报12月15日曾报道“{title}”，以下为此后的新进展。"


def status(err: str) -> str:
    return err.strip().splitlines()[-1]


@pytest.fixture(scope="module")
def two_days(tmp_path_factory: pytest.TempPathFactory) -> Iterator[Path]:
    """Day 1 then day 2 in one folder, offline; tests copy it before changing anything."""
    out = tmp_path_factory.mktemp("two_days") / "out"
    with pytest.MonkeyPatch.context() as mp:
        for var in ("OPENAI_API_KEY", "OPENAI_BASE_URL", "BRIEFING_MODEL", "BRIEFING_TZ"):
            mp.delenv(var, raising=False)
        mp.setenv("BRIEFING_CACHE_DIR", str(tmp_path_factory.mktemp("cache")))
        mp.chdir(out.parent)
        for day in (DAY1, DAY2):
            code, _, err = run_day(out, day)
            assert code == 0, err
    yield out


@pytest.fixture
def folder(two_days: Path, tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> Path:
    monkeypatch.chdir(tmp_path)
    return Path(shutil.copytree(two_days, tmp_path / "out"))


# -- the two mornings ---------------------------------------------------------------------------


def test_day_one_is_what_the_fixture_sets_up(two_days: Path) -> None:
    r = report(two_days, DAY1)
    assert sorted(stories(two_days, DAY1)) == sorted(DAY1_TOP)
    assert sorted(r.general) == sorted(DAY1_GENERAL)  # order is rank's business
    assert all(e["previous"] is None for e in record(two_days, DAY1)["events"])


def test_day_two_serves_nothing_day_one_published(two_days: Path) -> None:
    r1, r2 = report(two_days, DAY1), report(two_days, DAY2)
    assert sorted(stories(two_days, DAY2)) == sorted(DAY2_TOP)
    assert sorted(r2.general) == sorted(DAY2_GENERAL)
    assert not {e.title for e in r2.events} & {e.title for e in r1.events}
    assert not set(r2.general) & set(r1.general)
    rec1, rec2 = record(two_days, DAY1), record(two_days, DAY2)
    told = {i for e in rec1["events"] if e["top"] for i in e["items"]}
    told |= {i for e in rec1["events"] if not e["top"] for i in e["items"]}  # six lines: all shown
    assert not told & {i for e in rec2["events"] for i in e["items"]}
    assert rec2["memory"] == {
        "days": [DAY1],
        "published_items_left_out": 15,
        "retold_events_left_out": ["比亚迪公布11月产销快报：新能源汽车销量48.2万辆 海外市场创新高"],
        "warnings": [],
    }


def test_the_continuing_story_is_top_scored_on_what_is_new_and_told_as_a_continuation(
    two_days: Path,
) -> None:
    rec = record(two_days, DAY2)
    top = [e for e in rec["events"] if e["top"]]
    continued = [e for e in top if e["previous"] is not None]
    assert [e["title"] for e in continued] == [CONTINUED]
    told = published_title(two_days, DAY1, "consumption")  # the title the reader saw on day 1
    assert continued[0]["previous"] == {"date": DAY1, "title": told}
    assert all(e["previous"] is None for e in rec["events"] if e["title"] != CONTINUED)
    by_id = {i["id"]: i for i in rec["items"]}
    assert {by_id[i]["published"][:10] for i in continued[0]["items"]} == {DAY2}  # only the new
    assert continued[0]["reasons"]["sources"] == 3.0
    md = (two_days / f"{DAY2}.md").read_text(encoding="utf-8")
    assert md.count("\n> 前情：") == 1
    title = published_title(two_days, DAY2, "consumption-rules")
    section = md.split(f"## {title}\n", 1)[1]
    assert section.startswith(
        f"\n事件时间：2025-12-16 10:00\n\n> 前情：{recap_of(told)}\n\n商务部等部门"
    )
    recaps = {
        s: e.recap
        for s, e in zip(stories(two_days, DAY2), report(two_days, DAY2).events, strict=True)
    }
    assert recaps == {s: (recap_of(told) if s == "consumption-rules" else None) for s in DAY2_TOP}


def test_without_memory_day_two_would_repeat_day_one(tmp_path: Path) -> None:
    """The control: the same feeds with lookback_days 0 serve yesterday's stories again."""
    raw = yaml.safe_load(FEEDS.read_text(encoding="utf-8"))
    raw["memory"] = {"lookback_days": 0}
    for f in raw["feeds"]:
        f["url"] = str(FIXTURES / f["url"])
    feeds = tmp_path / "feeds.yaml"
    feeds.write_text(yaml.safe_dump(raw, allow_unicode=True), encoding="utf-8")
    for day in (DAY1, DAY2):
        assert run_day(tmp_path / "out", day, feeds=feeds)[0] == 0
    r2 = report(tmp_path / "out", DAY2)
    assert set(r2.general) & set(DAY1_GENERAL)
    assert "activity" in stories(tmp_path / "out", DAY2)


def test_force_on_day_two_twice_gives_the_same_report(folder: Path) -> None:
    def body(day: str) -> str:  # all but the generated_at stamp
        text = (folder / f"{day}.md").read_text(encoding="utf-8")
        return "\n".join(ln for ln in text.splitlines() if "generated_at:" not in ln)

    first = body(DAY2)
    for _ in range(2):
        code, _, err = run_day(folder, DAY2, "--force")
        assert code == 0, err
        assert body(DAY2) == first
        assert record(folder, DAY2)["memory"]["days"] == [DAY1]  # never its own earlier version


def test_a_corrupt_day_one_record_is_a_warning_not_a_failed_run(folder: Path) -> None:
    (folder / f"{DAY1}.record.json").write_text('{"version": 1, "items": [', encoding="utf-8")
    code, _, err = run_day(folder, DAY2, "--force")
    assert code == 0, err
    assert f"warning: {folder / DAY1}.record.json: run record unreadable" in " ".join(err.split())
    r2 = report(folder, DAY2)
    assert not set(r2.general) & set(DAY1_GENERAL)  # the day-1 report's titles still count
    assert not set(stories(folder, DAY2)) & set(DAY1_TOP)
    assert status(err).endswith("exit=0")


def test_a_missing_day_one_record_is_a_warning(folder: Path) -> None:
    (folder / f"{DAY1}.record.json").unlink()
    code, _, err = run_day(folder, DAY2, "--force")
    assert code == 0, err
    assert "run record not found" in err and "remembered by its titles only" in err


def test_editors_edits_to_day_one_do_not_break_the_memory(folder: Path) -> None:
    """Titles reworded and a section made unparseable: the record still says what was published."""
    path = folder / f"{DAY1}.md"
    text = path.read_text(encoding="utf-8")
    assert f"## {published_title(folder, DAY1, 'consumption')}\n" in text
    text = text.replace(
        f"## {published_title(folder, DAY1, 'consumption')}\n",
        "## 国常会部署提振消费（编辑改写）\n",
    )
    text = text.replace(f"- {DAY1_GENERAL[2]}", "- 比亚迪销量再创新高（编辑改写）")
    path.write_text(text, encoding="utf-8")
    code, _, err = run_day(folder, DAY2, "--force")
    assert code == 0 and "warning" not in err
    r2 = report(folder, DAY2)
    assert sorted(stories(folder, DAY2)) == sorted(DAY2_TOP)
    assert sorted(r2.general) == sorted(DAY2_GENERAL)
    cont = [e for e in record(folder, DAY2)["events"] if e["previous"]]
    assert cont[0]["previous"] == {"date": DAY1, "title": "国常会部署提振消费（编辑改写）"}

    path.write_text(text.replace("事件时间：", "时间：", 1), encoding="utf-8")  # no longer parses
    code, _, err = run_day(folder, DAY2, "--force")
    assert code == 0 and "not readable as a report" in err
    r2 = report(folder, DAY2)
    assert sorted(stories(folder, DAY2)) == sorted(DAY2_TOP)
    assert sorted(r2.general) == sorted(DAY2_GENERAL)
    cont = [e for e in record(folder, DAY2)["events"] if e["previous"]]
    assert cont[0]["previous"] == {"date": DAY1, "title": DAY1_LEAD}  # the record's title


def test_lookback_is_a_number_of_days(tmp_path: Path) -> None:
    """Day 1's report, moved 8 days back, is beyond the default week."""
    out = tmp_path / "out"
    assert run_day(out, DAY1)[0] == 0
    memory = load_memory(out, date(2025, 12, 16), 7)
    assert memory.days == [date(2025, 12, 15)]
    assert load_memory(out, date(2025, 12, 23), 7).days == []
    assert load_memory(out, date(2025, 12, 15), 7).days == []  # its own day


# -- the continuation in the report and in the prompt -----------------------------------------------


def _analysis(**kw: object) -> EventAnalysis:
    base = dict(
        title="提振消费专项行动细则公布",
        event_time="2025-12-16 10:00",
        summary="商务部公布细则。",
        insight="力度好于预期。",
        impacts=[Impact(asset="A股", stance="利多", text="消费板块受益。")],
        takeaway="关注家电板块。",
    )
    return EventAnalysis(**(base | kw))


@pytest.mark.parametrize("recap_text", [None, RECAP])
def test_render_and_parse_round_trip_with_and_without_the_recap(recap_text: str | None) -> None:
    r = Report(
        date="2025-12-16",
        title="t",
        headline="h",
        events=[_analysis(recap=recap_text), _analysis(title="另一事件")],
        general=["一行"],
    )
    parsed = parse(render(r))
    assert parsed.report == r
    start, end = parsed.spans[0]["summary"]
    assert parsed.text[start:end] == "商务部公布细则。"


def test_a_hand_edited_recap_line_still_parses() -> None:
    md = render(Report(date="2025-12-16", title="t", headline="h", events=[_analysis(recap=RECAP)]))
    edited = md.replace(f"> 前情：{RECAP}", ">前情:  昨天本报写过国常会的部署。  ")
    got = parse(edited).report.events[0]
    assert got.recap == "昨天本报写过国常会的部署。" and got.summary == "商务部公布细则。"
    gone = parse(md.replace(f"> 前情：{RECAP}\n\n", "")).report.events[0]
    assert gone.recap is None and gone.summary == "商务部公布细则。"


def test_recap_names_the_day_and_the_title() -> None:
    assert recap(Previous(date="2025-12-05", title="某事件")) == (
        "本报12月5日曾报道“某事件”，以下为此后的新进展。"
    )


def test_the_llm_prompt_gets_the_earlier_takeaway(
    folder: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    told = published_title(folder, DAY1, "consumption")
    takeaway = report(folder, DAY1).events[stories(folder, DAY1).index("consumption")].takeaway
    with FakeLLMServer() as srv:
        for k, v in srv.env.items():
            monkeypatch.setenv(k, v)
        code, _, err = run_day(folder, DAY2, "--force")
        prompts = [message_text(b) for b in srv.requests]
    assert code == 0, err
    event_prompts = [p for p in prompts if "SOURCES>>>" in p]
    assert len(event_prompts) == 3
    with_earlier = [p for p in event_prompts if "<<<EARLIER" in p]
    assert len(with_earlier) == 1
    assert "提振消费专项行动细则公布" in with_earlier[0]
    assert f"标题：{told}\n" in with_earlier[0] and f"投资启示：{takeaway}" in with_earlier[0]
    assert "本报2025-12-15已报道过" in with_earlier[0]
    md = (folder / f"{DAY2}.md").read_text(encoding="utf-8")
    assert md.count(f"> 前情：{recap_of(told)}") == 1  # the LLM's text, the memory's line


# -- matching -------------------------------------------------------------------------------------


def _memory(*titles: str) -> Memory:
    return Memory(
        stories=[
            Story(day=date(2025, 12, 15), title=t, top=True, headlines=[features(t)])
            for t in titles
        ]
    )


def _event(*titles: str) -> Event:
    return Event(
        title=titles[0],
        score=1.0,
        items=[
            Item(title=t, source="s", link=f"https://x.example/{k}") for k, t in enumerate(titles)
        ],
    )


@pytest.mark.parametrize(
    ("earlier", "today", "same"),
    [
        (DAY1_LEAD, CONTINUED, True),
        (
            "比亚迪11月新能源汽车销量48.2万辆，海外销量13.2万辆",
            "比亚迪公布11月产销快报：新能源汽车销量48.2万辆 海外市场创新高",
            True,
        ),
        (
            "收评：沪指涨0.6%报3889点，两市成交额1.8万亿元",
            "收评：沪指跌0.4%报3873点 两市成交额1.6万亿元",
            False,
        ),
        ("美联储宣布降息25个基点", "美联储官员：明年降息门槛提高", False),
        (
            "国家统计局：11月规模以上工业增加值同比增长4.8% 固定资产投资降幅扩大",
            "国家能源局：11月全社会用电量同比增长6.2%",
            False,
        ),
    ],
)
def test_story_similarity(earlier: str, today: str, same: bool) -> None:
    assert (_memory(earlier).earlier(_event(today)) is not None) is same


def test_boilerplate_shared_by_many_remembered_stories_is_not_evidence() -> None:
    memory = _memory(
        "湖北出台38条举措支持城市更新，目标2027年规模4362.6亿元",
        "山西出台17条举措支持智能网联汽车，目标2028年规模4150.8亿元",
        "河南出台24条举措支持现代农业，目标2030年规模1520.6亿元",
    )
    assert memory.earlier(_event("浙江出台17条举措支持城市更新，目标2028年规模1380.0亿元")) is None
    assert memory.earlier(_event("湖北城市更新38条举措细则公布 4362.6亿元项目清单出炉")) is not None


@pytest.mark.parametrize(
    ("title", "key"),
    [
        ("【快讯】财政部：1-11月收入20.1万亿元", "title:财政部111月收入20.1万亿元"),
        ("Fed  cuts rates!", "title:fedcutsrates"),
        ("快讯：更新", None),
    ],
)
def test_title_keys(title: str, key: str | None) -> None:
    assert title_key(title) == key


def test_an_item_is_published_by_id_link_guid_or_a_repeated_headline() -> None:
    told = Item(
        title="财政部：1-11月全国一般公共预算收入20.1万亿元 同比增长0.8%",
        source="a",
        link="https://a.example/1",
        guid="g-1",
    )
    memory = _memory(told.title)
    memory.keys = item_keys(told)
    same_link = Item(title="另一标题完全不同的写法", source="b", link="https://a.example/1/#top")
    same_guid = Item(title="又一个不同的标题写法", source="c", guid="g-1")
    copy = Item(
        title="【快讯】财政部：1-11月全国一般公共预算收入20.1万亿元，同比增长0.8%",
        source="d",
        link="https://d.example/9",
    )
    new = Item(
        title="财政部：11月证券交易印花税收入同比增长50%", source="d", link="https://d.example/10"
    )
    assert memory.fresh([told, same_link, same_guid, copy, new]) == [new]
    assert memory.dropped_items == 4


# -- the grounding gate ---------------------------------------------------------------------------


# What the gate is for: a model that writes a figure no source has. Day 1's consumption event gets
# one; the other requests get the fake server's schema examples. Both runs of a day ask the same
# questions, so the second is answered from the answer cache with the same text.
INVENTED = {
    "title": "国务院部署提振消费专项行动",
    "summary": "国务院常务会议部署提振消费专项行动，安排专项资金8888亿元。",
    "insight": "提振消费是明年稳增长的重点，政策从补贴商品转向服务消费。",
    "impacts": [
        {"asset": "A股", "stance": "利多", "text": "消费板块受益。"},
        {"asset": "人民币", "stance": "中性", "text": "对汇率影响有限。"},
        {"asset": "债市", "stance": "中性", "text": "对利率影响有限。"},
    ],
    "takeaway": "关注消费板块。",
}


@pytest.fixture
def model(monkeypatch: pytest.MonkeyPatch) -> Iterator[FakeLLMServer]:
    with FakeLLMServer() as srv:
        srv.enqueue(
            content=json.dumps(INVENTED, ensure_ascii=False),
            when=lambda body: (
                "提振消费" in message_text(body) and "<<<SOURCES" in message_text(body)
            ),
        )
        for name, value in srv.env.items():
            monkeypatch.setenv(name, value)
        yield srv


def day1_grounding(g: dict) -> dict:
    assert g["score"] < 1 and any("8888" in c for c in g["unsupported"]), g
    return g


def held_status(g: dict) -> str:
    return (
        f"briefing: date={DAY1} report=held writer=llm events=3 grounding={g['score']:.2f} "
        f"draft=out/drafts/{DAY1}.md exit=8"
    )


def test_a_gated_run_keeps_the_published_report_and_holds_the_draft(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch, model: FakeLLMServer
) -> None:
    monkeypatch.chdir(tmp_path)
    out = Path("out")
    assert run_day(out, DAY1)[0] == 0  # no threshold: published, flagged claims and all
    published = (out / f"{DAY1}.md").read_bytes()
    published_record = (out / f"{DAY1}.record.json").read_bytes()
    asked = len(model.requests)
    code, stdout, err = run_day(out, DAY1, "--force", "--min-grounding", "1")
    assert code == 8 and stdout == "" and len(model.requests) == asked  # all from the cache
    assert (out / f"{DAY1}.md").read_bytes() == published
    assert (out / f"{DAY1}.record.json").read_bytes() == published_record
    assert not (out / ".history").exists()
    draft = out / "drafts" / f"{DAY1}.md"
    held = json.loads((out / "drafts" / f"{DAY1}.record.json").read_text(encoding="utf-8"))
    assert (
        draft.read_text(encoding="utf-8").split("generated_at")[1].split("\n", 1)[1]
        == (published.decode().split("generated_at")[1].split("\n", 1)[1])
    )
    g = day1_grounding(held["grounding"])
    assert g == json.loads(published_record)["grounding"]
    n, bad = g["checked"], g["unsupported"]  # the checkable claims: the ones the score counts
    assert 0 < n < g["claims"] and round((n - len(bad)) / n, 4) == g["score"]
    assert err.strip().splitlines()[-len(bad) - 3 :] == [
        f"unsupported claims ({len(bad)}):",
        *(f"? {c}" for c in bad),
        f"error: report held back: grounding {g['score']:.2f} ({n - len(bad)} of {n} checkable "
        f"claims supported) is below the min-grounding threshold 1.00; the draft is "
        f"out/drafts/{DAY1}.md, out/{DAY1}.md was not written",
        held_status(g),
    ]


def test_a_gated_first_run_writes_no_report_and_the_draft_is_not_memory(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch, model: FakeLLMServer
) -> None:
    monkeypatch.chdir(tmp_path)
    out = Path("out")
    code, _, err = run_day(out, DAY1, "--min-grounding", "1")
    g = day1_grounding(record(out / "drafts", DAY1)["grounding"])
    assert code == 8 and status(err) == held_status(g)
    assert sorted(p.name for p in out.iterdir()) == ["drafts"]
    assert run_day(out, DAY2)[0] == 0
    assert record(out, DAY2)["memory"]["days"] == []  # a held draft was never published


def test_the_feeds_yaml_setting_means_the_same_and_the_flag_overrides_it(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch, model: FakeLLMServer
) -> None:
    monkeypatch.chdir(tmp_path)
    feeds = _feeds_copy(tmp_path, min_grounding=1)
    code, _, err = run_day(Path("out"), DAY1, feeds=feeds)
    g = day1_grounding(record(Path("out") / "drafts", DAY1)["grounding"])
    assert code == 8 and status(err) == held_status(g)
    code, _, err = run_day(Path("out"), DAY1, "--min-grounding", "0", feeds=feeds)
    assert code == 0 and status(err) == (
        f"briefing: date={DAY1} report=out/{DAY1}.md writer=llm events=3 "
        f"grounding={g['score']:.2f} exit=0"
    )


@pytest.mark.parametrize(
    ("flag", "setting", "message"),
    [
        ("1.5", None, "--min-grounding 1.5: expected a share between 0 and 1"),
        ("-0.1", None, "--min-grounding -0.1: expected a share between 0 and 1"),
        (None, 2, "min_grounding: Input should be less than or equal to 1"),
    ],
)
def test_a_threshold_outside_zero_to_one_is_exit_2(
    tmp_path: Path, flag: str | None, setting: float | None, message: str
) -> None:
    feeds = _feeds_copy(tmp_path, min_grounding=setting) if setting is not None else FEEDS
    code, _, err = run_day(
        tmp_path / "out", DAY1, *(["--min-grounding", flag] if flag else []), feeds=feeds
    )
    lines = err.strip().splitlines()
    assert code == 2 and len(lines) == 2 and message in lines[0]
    assert lines[1] == f"briefing: date={DAY1} report=- writer=- events=- grounding=- exit=2"
    assert not (tmp_path / "out").exists()


def _feeds_copy(tmp_path: Path, **top: object) -> Path:
    raw = yaml.safe_load(FEEDS.read_text(encoding="utf-8")) | top
    for f in raw["feeds"]:
        f["url"] = str(FIXTURES / f["url"])
    path = tmp_path / "feeds.yaml"
    path.write_text(yaml.safe_dump(raw, allow_unicode=True), encoding="utf-8")
    return path


# -- built for cron: the status line, collect's window notice ---------------------------------------


def test_every_run_ends_with_one_status_line(two_days: Path) -> None:
    code, _, err = run_day(two_days, DAY2)  # exists, no --force
    assert code == 4
    assert (
        status(err) == f"briefing: date={DAY2} report=- writer=offline events=- grounding=- exit=4"
    )


def test_the_status_line_of_a_good_run(folder: Path) -> None:
    code, out, err = run_day(folder, DAY2, "--force")
    assert code == 0
    assert status(err) == (
        f"briefing: date={DAY2} report={folder}/{DAY2}.md writer=offline events=3 "
        f"grounding={record(folder, DAY2)['grounding']['score']:.2f} exit=0"
    )


def test_collect_says_how_many_items_fell_outside_the_window() -> None:
    code, out, err = invoke("collect", "--feeds", str(FEEDS), "--json")
    assert code == 0 and json.loads(out)["items"] == []
    assert "28 of 28 items fell outside the report window" in err and "--all keeps them" in err
    code, out, err = invoke("collect", "--feeds", str(FEEDS), "--json", "--all")
    assert code == 0 and len(json.loads(out)["items"]) == 28 and "outside" not in err
    code, out, err = invoke("collect", "--feeds", str(FEEDS), "--json", "--date", DAY2)
    assert len(json.loads(out)["items"]) == 25
    assert "3 of 28 items fell outside the report window 2025-12-15 12:00 – 2025-12-17 00:00" in err


def test_eval_of_day_two_checks_the_recap_line_against_day_one_as_the_run_did(
    two_days: Path,
) -> None:
    code, out, err = invoke("eval", str(two_days / f"{DAY2}.md"), "--json", "--min-score", "1")
    assert code == 0, err
    claims = json.loads(out)["claims"]
    told = published_title(two_days, DAY1, "consumption")
    [line] = [c for c in claims if c["text"].startswith("前情：")]
    assert line["text"] == f"前情：{recap_of(told)}" and line["verdict"] == "supported"
    assert json.loads(out)["score"] == record(two_days, DAY2)["grounding"]["score"] == 1.0


def test_eval_without_day_one_in_the_folder_flags_the_recap_line(folder: Path) -> None:
    """The control: the 前情 claim is supported by the earlier report, nothing else."""
    (folder / f"{DAY1}.md").unlink()
    code, out, _ = invoke("eval", str(folder / f"{DAY2}.md"), "--json")
    [line] = [c for c in json.loads(out)["claims"] if c["text"].startswith("前情：")]
    assert code == 0 and line["verdict"] == "unsupported"


def test_rerun_of_a_continued_story_keeps_its_recap_line(folder: Path) -> None:
    path = folder / f"{DAY2}.md"
    n = 1 + stories(folder, DAY2).index("consumption-rules")
    told = published_title(folder, DAY1, "consumption")
    before = path.read_text(encoding="utf-8")
    path.write_text(
        before.replace("商务部等部门12月16日公布", "编辑改过：商务部等部门12月16日公布", 1),
        encoding="utf-8",
    )
    code, _, err = invoke("rerun", str(path), "--event", str(n), "--section", "summary")
    assert code == 0, err
    assert path.read_text(encoding="utf-8") == before  # the summary restored, the 前情 line kept
    assert report(folder, DAY2).events[n - 1].recap == recap_of(told)


def test_the_closing_summary_says_what_the_memory_left_out(folder: Path) -> None:
    code, _, err = run_day(folder, DAY2, "--force")
    assert code == 0
    table = " ".join(err.replace("│", " ").split())
    assert "memory left out 15 published items, 1 retold stories (1 earlier reports)" in table
