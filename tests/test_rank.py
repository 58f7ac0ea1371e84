"""rank: window, duplicates, cross-language grouping, scoring and a diverse top three, as exact tables."""

from __future__ import annotations

import os
import random
import subprocess
import sys
from datetime import date, datetime, timedelta
from pathlib import Path
from zoneinfo import ZoneInfo

import pytest

from briefing.config import FeedConfig, ReportConfig, Settings
from briefing.errors import ConfigError
from briefing.models import Event, Item, RankResult
from briefing.rank import _numbers, rank

ROOT = os.path.dirname(os.path.dirname(os.path.abspath(__file__)))

TZ = ZoneInfo("Asia/Shanghai")
DAY = date(2025, 12, 12)
START = datetime(2025, 12, 11, 12, 0, tzinfo=TZ)  # window: 36 h back from the end of DAY
END = datetime(2025, 12, 13, 0, 0, tzinfo=TZ)

FEEDS = {
    "新华社": 1.5,
    "财联社": 1.2,
    "华尔街见闻": 1.0,
    "第一财经": 1.0,
    "Reuters": 1.0,
    "财新": 0.8,
    "日经中文网": 0.9,
}


def settings(**kw: object) -> Settings:
    feeds = [
        FeedConfig(name=n, url=f"https://example.com/{i}.xml", weight=w)
        for i, (n, w) in enumerate(FEEDS.items())
    ]
    return Settings(feeds=feeds, **kw)


def at(hour: int, minute: int = 0, day: int = 12) -> datetime:
    return datetime(2025, 12, day, hour, minute, tzinfo=TZ)


def item(
    key: str, source: str, title: str, summary: str = "", when: datetime | None = None, **kw: str
) -> Item:
    return Item(
        title=title,
        source=source,
        summary=summary,
        link=kw.get("link", f"https://news.example.com/{key}"),
        guid=kw.get("guid", ""),
        published=when if when is not None else at(9),
    )


# Realistic headlines for 2025-12-12, keyed by a short story id (the part of the key before "-").
CORPUS = [
    # Fed cut: four sources, one English
    item(
        "fedcut-xh",
        "新华社",
        "美联储宣布降息25个基点 为年内第三次降息",
        "美联储10日结束为期两天的货币政策会议，宣布将联邦基金利率目标区间下调25个基点至3.50%至3.75%之间。",
        at(3, 10),
    ),
    item(
        "fedcut-cls",
        "财联社",
        "美联储降息25个基点，鲍威尔暗示放缓降息步伐",
        "美联储将联邦基金利率下调25个基点至3.50%-3.75%区间，主席鲍威尔在会后表示政策已处于合适位置。",
        at(3, 30),
    ),
    item(
        "fedcut-wsj",
        "华尔街见闻",
        "美联储如期降息25基点，点阵图显示明年仅降息一次",
        "联邦基金利率目标区间降至3.50%-3.75%，三位委员投下反对票。",
        at(4, 5),
    ),
    item(
        "fedcut-rt",
        "Reuters",
        "Fed cuts rates by 25 basis points, signals slower pace",
        "The Federal Reserve lowered its benchmark rate to the 3.50%-3.75% range on Wednesday, and Chair Jerome Powell signaled a pause.",
        at(3, 5),
    ),
    # A different Fed story the same day
    item(
        "fedreg-cx",
        "财新",
        "美联储理事发表讲话谈银行监管",
        "美联储负责监管的副主席鲍曼周四表示，将简化大型银行的资本要求，并重新评估压力测试框架。",
        at(22, 0, 11),
    ),
    # Fed reserve-management purchases: two sources, one English
    item(
        "fedbuy-wsj",
        "华尔街见闻",
        "美联储宣布每月购买400亿美元短期国债",
        "美联储表示将从12日起开始购买短期国债以维持充足的准备金，首月规模为400亿美元。",
        at(3, 40),
    ),
    item(
        "fedbuy-rt",
        "Reuters",
        "Fed to buy $40 billion of Treasury bills a month to manage reserves",
        "The Fed will begin reserve management purchases of short-term Treasury bills on Friday.",
        at(3, 20),
    ),
    # Central Economic Work Conference: four sources, one English
    item(
        "cewc-xh",
        "新华社",
        "中央经济工作会议在北京举行 部署2026年经济工作",
        "中央经济工作会议10日至11日在北京举行，会议总结2025年经济工作，分析当前经济形势，部署2026年经济工作。",
        at(18, 30, 11),
    ),
    item(
        "cewc-cls",
        "财联社",
        "中央经济工作会议：明年继续实施更加积极的财政政策和适度宽松的货币政策",
        "会议提出，要坚持稳中求进、提质增效，继续实施更加积极的财政政策和适度宽松的货币政策。",
        at(18, 45, 11),
    ),
    item(
        "cewc-yc",
        "第一财经",
        "中央经济工作会议定调“提质增效” 坚持内需主导",
        "会议明确2026年经济工作坚持内需主导，建设强大国内市场。",
        at(19, 20, 11),
    ),
    item(
        "cewc-rt",
        "Reuters",
        "China's Central Economic Work Conference pledges more proactive fiscal policy for 2026",
        "China's top leaders vowed to keep a more proactive fiscal policy and moderately loose monetary policy next year.",
        at(20, 0, 11),
    ),
    # Bank of Japan: four sources, one English
    item(
        "boj-nk",
        "日经中文网",
        "日本央行下周加息几成定局 利率或升至0.75%",
        "日本央行将于18日至19日召开货币政策会议，市场普遍预期将把政策利率从0.5%上调至0.75%。",
        at(9, 36),
    ),
    item(
        "boj-wsj",
        "华尔街见闻",
        "彭博调查：经济学家一致预期日本央行下周加息至0.75%",
        "彭博调查显示，所有受访经济学家均预期日本央行将在下周加息，这将是植田和男任内首次获得全票共识的利率行动。",
        at(10, 0),
    ),
    item(
        "boj-cls",
        "财联社",
        "日银加息预期升温 日元兑美元走强",
        "市场预计日本央行下周将利率上调至0.75%，日元兑美元升至154附近。",
        at(10, 30),
    ),
    item(
        "boj-rt",
        "Reuters",
        "Bank of Japan set to raise rates to 0.75% next week, economists say",
        "All economists polled expect the BOJ to raise its policy rate to 0.75% from 0.5% at its Dec. 18-19 meeting.",
        at(8, 50),
    ),
    # Stories told by one or two sources
    item(
        "tsmc-cx",
        "财新",
        "台积电考虑将日本熊本二厂制程升级至4nm，量产或延迟",
        "台积电正考虑调整熊本第二工厂的规划。",
        at(11, 0),
    ),
    item(
        "tsmc-yc",
        "第一财经",
        "台积电熊本二厂或改产4纳米制程 量产时间推迟",
        "据日媒报道，台积电熊本第二工厂计划调整。",
        at(12, 0),
    ),
    item(
        "claims-cls",
        "财联社",
        "美国上周初请失业金人数增加4.4万人，创疫情后最大单周增幅",
        "美国劳工部数据显示，截至12月6日当周初请失业金人数增至23.6万人。",
        at(21, 30, 11),
    ),
    item(
        "claims-rt",
        "Reuters",
        "US weekly jobless claims jump 44,000, biggest rise since pandemic",
        "Initial claims for state unemployment benefits rose 44,000 to 236,000 for the week ended Dec. 6.",
        at(21, 35, 11),
    ),
    item(
        "gpt-yc",
        "第一财经",
        "OpenAI推出GPT-5.2模型，抽象推理能力实现突破",
        "OpenAI发布GPT-5.2，称其在多项推理基准上刷新纪录。",
        at(2, 0),
    ),
    item(
        "maotai-cx",
        "财新",
        "茅台批发价跌破1499元/瓶，消费疲软信号显现",
        "飞天茅台散瓶批发价跌至1490元。",
        at(14, 0),
    ),
    item(
        "waller-cx",
        "财新",
        "美联储理事沃勒：支持明年继续降息，但步伐应放缓",
        "美联储理事沃勒周四在一场活动上表示，劳动力市场降温为进一步降息提供了理由。",
        at(23, 0, 11),
    ),
    item(
        "beige-wsj",
        "华尔街见闻",
        "美联储褐皮书：美国经济活动基本持平，就业略有下降",
        "美联储最新褐皮书显示，多数地区经济活动变化不大，消费支出进一步放缓。",
        at(3, 0),
    ),
    item(
        "mlf-cls",
        "财联社",
        "央行今日开展3000亿元MLF操作，连续第十个月加量续作",
        "中国人民银行12日开展3000亿元中期借贷便利操作，期限1年。",
        at(9, 0),
    ),
    item(
        "jpyfx-nk",
        "日经中文网",
        "日本财务大臣：密切关注汇市动向，日元贬值需警惕",
        "日本财务大臣片山皋月表示，对日元汇率的过度波动保持高度警惕。",
        at(11, 20),
    ),
    item(
        "stocks-yc",
        "第一财经",
        "沪指收涨0.41% 两市成交额1.8万亿元",
        "A股三大指数集体收涨，商业航天、电网设备板块领涨。",
        at(15, 5),
    ),
    item(
        "hsi-cx",
        "财新",
        "恒指收跌0.3% 科技股走弱",
        "港股三大指数小幅收跌，恒生科技指数跌0.8%。",
        at(16, 10),
    ),
    item(
        "quake-xh",
        "新华社",
        "日本本州东岸发生6.9级地震 气象厅发布海啸预警",
        "日本本州东岸近海发生6.9级地震，震源深度20公里。",
        at(16, 0),
    ),
]


def keys_of(event: Event) -> list[str]:
    return [i.link.rsplit("/", 1)[1] for i in event.items]


def events_of(result: RankResult) -> list[Event]:
    return result.top + result.rest


@pytest.fixture(scope="module")
def ranked() -> RankResult:
    return rank(CORPUS, settings(), day=DAY)


# --- window -------------------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("published", "kept"),
    [
        (START - timedelta(seconds=1), False),
        (START, True),
        (END - timedelta(seconds=1), True),
        (END, False),
        (END + timedelta(hours=5), False),
        (datetime(2025, 12, 10, 9, 0, tzinfo=TZ), False),
        (datetime(2025, 12, 12, 4, 0, tzinfo=ZoneInfo("UTC")), True),  # 12:00 in Shanghai
        (datetime(2025, 12, 11, 3, 0, tzinfo=ZoneInfo("UTC")), False),  # 11:00 in Shanghai
        (datetime(2025, 12, 12, 9, 0), True),  # naive: read in the configured zone
        (None, True),
    ],
)
def test_window_keeps_only_items_inside_it(published: datetime | None, kept: bool) -> None:
    it = Item(
        title="国家统计局：11月CPI同比上涨0.7%",
        source="新华社",
        link="https://x/cpi",
        published=published,
    )
    result = rank([it], settings(), day=DAY)
    assert (len(events_of(result)) == 1) is kept
    assert result.dropped == {
        "window": 0 if kept else 1,
        "duplicate": 0,
        "digest": 0,
        "off_topic": 0,
    }


def test_window_for_today_ends_now() -> None:
    now = at(9, 0)
    items = [
        item("early", "新华社", "国家统计局：11月CPI同比上涨0.7%", when=at(8, 0)),
        item("late", "财新", "茅台批发价跌破1499元/瓶", when=at(10, 0)),  # after "now"
    ]
    result = rank(items, settings(), now=now)
    assert [keys_of(e) for e in events_of(result)] == [["early"]]
    assert result.dropped == {"window": 1, "duplicate": 0, "digest": 0, "off_topic": 0}


def test_an_item_without_a_date_is_kept_with_no_recency() -> None:
    it = Item(title="茅台批发价跌破1499元/瓶", source="财新", link="https://x/m")
    (event,) = events_of(rank([it], settings(), day=DAY))
    assert event.reasons["recency"] == 0.0


def test_nothing_in_nothing_out() -> None:
    assert rank([], settings(), day=DAY) == RankResult(
        top=[], rest=[], dropped={"window": 0, "duplicate": 0, "digest": 0, "off_topic": 0}
    )


# --- duplicates ---------------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("a", "b", "kept_sources"),
    [
        # the same link: the copy from the higher-weighted feed stays
        (
            dict(source="财新", title="美联储宣布降息25个基点", link="https://x/1"),
            dict(source="新华社", title="美联储宣布降息25个基点 为年内第三次", link="https://x/1"),
            ["新华社"],
        ),
        (
            dict(source="财联社", title="美联储降息25个基点", link="https://x/1#top"),
            dict(source="财新", title="美联储降息", link="https://x/1/"),
            ["财联社"],
        ),
        # the same guid under different links
        (
            dict(
                source="财新",
                title="日本央行下周加息几成定局",
                link="https://a/1",
                guid="tag:boj-1",
            ),
            dict(
                source="财联社", title="日银下周加息几成定局", link="https://b/2", guid="tag:boj-1"
            ),
            ["财联社"],
        ),
        # near-identical titles: punctuation, spaces, width and case do not count
        (
            dict(source="华尔街见闻", title="美联储宣布降息25个基点！", link="https://a/1"),
            dict(source="第一财经", title="美联储宣布降息 ２５ 个基点", link="https://b/2"),
            ["华尔街见闻"],
        ),
        (
            dict(source="Reuters", title="Fed cuts rates by 25 basis points", link="https://a/1"),
            dict(
                source="华尔街见闻", title="FED CUTS RATES BY 25 BASIS POINTS.", link="https://b/2"
            ),
            ["Reuters"],
        ),
        # same story, different words: not a duplicate (they group into one event instead)
        (
            dict(source="新华社", title="美联储宣布降息25个基点", link="https://a/1"),
            dict(source="财联社", title="美联储降息25个基点，鲍威尔暗示放缓", link="https://b/2"),
            ["新华社", "财联社"],
        ),
        # short generic titles are not compared
        (
            dict(source="新华社", title="快讯", link="https://a/1"),
            dict(source="财联社", title="快讯", link="https://b/2"),
            ["新华社", "财联社"],
        ),
    ],
)
def test_duplicates_keep_one_copy(a: dict, b: dict, kept_sources: list[str]) -> None:
    items = [Item(published=at(9), **a), Item(published=at(9), **b)]
    for order in (items, items[::-1]):
        result = rank(order, settings(), day=DAY)
        assert sorted(i.source for e in events_of(result) for i in e.items) == sorted(kept_sources)
        assert result.dropped == {
            "window": 0,
            "duplicate": 2 - len(kept_sources),
            "digest": 0,
            "off_topic": 0,
        }


# --- grouping -----------------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("a", "b", "together"),
    [
        (
            "fedcut-rt",
            "fedcut-xh",
            True,
        ),  # English joins Chinese: Fed→美联储, cuts rates→降息, 25 bp, 3.5%
        ("fedcut-rt", "fedcut-wsj", True),
        ("fedcut-xh", "fedcut-cls", True),
        ("fedcut-rt", "fedreg-cx", False),  # another Fed story the same day
        ("fedcut-xh", "fedreg-cx", False),
        (
            "fedcut-xh",
            "waller-cx",
            False,
        ),  # 美联储 + 降息 without a shared number: a topic, not the story
        ("fedcut-xh", "fedbuy-wsj", False),
        ("fedcut-xh", "beige-wsj", False),
        ("fedbuy-rt", "fedbuy-wsj", True),  # $40 billion = 400亿美元
        ("boj-rt", "boj-cls", True),  # Bank of Japan / 日银 → 日本央行, 0.75%
        ("boj-nk", "boj-wsj", True),
        ("boj-cls", "jpyfx-nk", False),  # 日元 alone
        ("cewc-rt", "cewc-xh", True),  # Central Economic Work Conference → 中央经济工作会议, 2026
        ("cewc-cls", "mlf-cls", False),
        ("claims-rt", "claims-cls", True),  # 44,000 = 4.4万
        ("tsmc-cx", "tsmc-yc", True),
        ("stocks-yc", "hsi-cx", False),  # same template, numbers disagree
        ("quake-xh", "jpyfx-nk", False),
    ],
)
def test_grouping(ranked: RankResult, a: str, b: str, together: bool) -> None:
    home = {k: n for n, e in enumerate(events_of(ranked)) for k in keys_of(e)}
    assert (home[a] == home[b]) is together


@pytest.mark.parametrize("order", [1, -1])
def test_rate_decisions_of_different_central_banks_stay_apart(order: int) -> None:
    items = [
        item("fed-xh", "新华社", "美联储宣布降息25个基点"),
        item("fed-rt", "Reuters", "Fed cuts rates by 25 basis points, signals slower pace"),
        item("ecb-cls", "财联社", "欧洲央行宣布降息25个基点"),
        item("ecb-rt", "Reuters", "ECB cuts rates by 25 basis points"),
        item("boe-yc", "第一财经", "英国央行宣布降息25个基点"),
    ][::order]
    result = rank(items, settings(), day=DAY)
    assert sorted(sorted(keys_of(e)) for e in events_of(result)) == [
        ["boe-yc"],
        ["ecb-cls", "ecb-rt"],
        ["fed-rt", "fed-xh"],
    ]


def test_every_event_is_one_story(ranked: RankResult) -> None:
    assert sorted(sorted(keys_of(e)) for e in events_of(ranked)) == sorted(
        sorted(k for k in keys if k.split("-")[0] == story)
        for keys in [[i.link.rsplit("/", 1)[1] for i in CORPUS]]
        for story in {k.split("-")[0] for k in keys}
    )


# --- ranking ------------------------------------------------------------------------------------


def test_three_multi_source_stories_on_top_one_event_each(ranked: RankResult) -> None:
    assert [keys_of(e) for e in ranked.top] == [
        ["fedcut-xh", "fedcut-cls", "fedcut-rt", "fedcut-wsj"],
        ["boj-cls", "boj-rt", "boj-wsj", "boj-nk"],
        ["cewc-xh", "cewc-cls", "cewc-yc", "cewc-rt"],
    ]
    assert [e.kind for e in ranked.top] == ["fed_easing", "boj_tightening", "policy_meeting"]
    assert [e.title for e in ranked.top] == [
        "美联储宣布降息25个基点 为年内第三次降息",  # 新华社, the most trusted source
        "日银加息预期升温 日元兑美元走强",  # 财联社 outranks the English Reuters copy
        "中央经济工作会议在北京举行 部署2026年经济工作",
    ]


def test_rest_is_best_first_and_holds_every_other_event(ranked: RankResult) -> None:
    scores = [e.score for e in ranked.rest]
    assert scores == sorted(scores, reverse=True)
    assert len(ranked.rest) == 13
    assert ranked.rest[0].score <= ranked.top[-1].score


def test_reasons_explain_the_score(ranked: RankResult) -> None:
    for e in events_of(ranked):
        assert {
            "sources",
            "weight",
            "weight_max",
            "recency",
            "priority",
            "items",
        } <= e.reasons.keys()
        assert e.reasons["sources"] == len(e.sources)
        assert e.reasons["items"] == len(e.items)
        assert 0 <= e.reasons["recency"] <= 1
    fed = ranked.top[0]
    assert fed.reasons["sources"] == 4
    assert fed.reasons["weight"] == pytest.approx(1.5 + 1.2 + 1.0 + 1.0)
    assert fed.reasons["weight_max"] == 1.5
    assert fed.reasons["priority"] == 1.0


def test_items_of_an_event_by_weight_then_time(ranked: RankResult) -> None:
    fed = ranked.top[0]
    # 新华社 1.5, 财联社 1.2, then the two 1.0 feeds by time (Reuters 03:05 before 华尔街见闻 04:05)
    assert [i.source for i in fed.items] == ["新华社", "财联社", "Reuters", "华尔街见闻"]


def test_more_sources_beat_a_heavier_single_source() -> None:
    items = [
        item("a-1", "财新", "台积电考虑将日本熊本二厂制程升级至4nm，量产或延迟", when=at(11)),
        item("a-2", "第一财经", "台积电熊本二厂或改产4纳米制程 量产时间推迟", when=at(12)),
        item("b-1", "新华社", "日本本州东岸发生6.9级地震 气象厅发布海啸预警", when=at(16)),
    ]
    result = rank(items, settings(), day=DAY)
    assert [keys_of(e) for e in events_of(result)] == [["a-2", "a-1"], ["b-1"]]


WALLER = [
    item("waller2-yc", "第一财经", "沃勒称支持明年继续降息 但步伐应放缓",
         "美联储理事沃勒表示，劳动力市场降温为继续降息提供理由。", at(23, 30, 11)),
    item("waller3-wsj", "华尔街见闻", "美联储沃勒：支持继续降息，步伐应放缓",
         "沃勒在活动上称，劳动力市场降温，支持进一步降息。", at(23, 40, 11)),
    item("waller4-xh", "新华社", "美联储理事沃勒表示支持继续降息",
         "美联储理事沃勒11日表示，鉴于劳动力市场降温，他支持继续降息，但步伐应放缓。", at(23, 50, 11)),
]  # fmt: skip


def test_top_picks_are_diverse() -> None:
    """A four-source Fed-easing story outscores the BOJ and CEWC ones, but the Fed cut already leads."""
    items = [i for i in CORPUS if not i.link.endswith(("boj-rt", "cewc-rt"))] + WALLER
    result = rank(items, settings(), day=DAY)
    assert [e.kind for e in result.top] == ["fed_easing", "boj_tightening", "policy_meeting"]
    assert sorted(keys_of(result.rest[0])) == [
        "waller-cx",
        "waller2-yc",
        "waller3-wsj",
        "waller4-xh",
    ]
    assert result.rest[0].score > result.top[1].score  # passed over for diversity, not score
    assert [e.reasons["redundancy"] < 0.25 for e in result.top[1:]] == [True, True]


def test_without_competition_the_related_story_still_makes_the_top() -> None:
    items = [
        i for i in CORPUS if i.link.rsplit("/", 1)[1].startswith(("fedcut", "waller"))
    ] + WALLER
    result = rank(items, settings(report=ReportConfig(top=2)), day=DAY)
    assert [sorted(keys_of(e))[0] for e in result.top] == ["fedcut-cls", "waller-cx"]


# --- determinism --------------------------------------------------------------------------------


@pytest.mark.parametrize("seed", [1, 2, 3])
def test_input_order_does_not_matter(ranked: RankResult, seed: int) -> None:
    shuffled = list(CORPUS)
    random.Random(seed).shuffle(shuffled)
    assert rank(shuffled, settings(), day=DAY) == ranked


def test_same_output_under_any_hash_seed() -> None:
    script = (
        "import sys; sys.path.insert(0, 'tests');"
        "from test_rank import CORPUS, DAY, settings; from briefing.rank import rank;"
        "print(rank(CORPUS, settings(), day=DAY).model_dump_json())"
    )
    outs = {
        subprocess.run(
            [sys.executable, "-c", script],
            cwd=ROOT,
            env={**os.environ, "PYTHONHASHSEED": seed},
            capture_output=True,
            text=True,
            check=True,
        ).stdout
        for seed in ("0", "123")
    }
    assert len(outs) == 1


# --- numbers ------------------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("text", "numbers"),
    [
        ("每月购买400亿美元短期国债", {"N:4e+10"}),
        ("to buy $40 billion of treasury bills", {"N:4e+10"}),
        ("降息25个基点", {"N:25bp"}),
        ("下调0.25个百分点", {"N:25bp"}),
        ("cuts rates by 25 basis points", {"N:25bp"}),
        ("利率区间降至3.50%至3.75%", {"N:3.5%", "N:3.75%"}),
        ("jobless claims jump 44,000", {"N:44000"}),
        ("初请人数增加4.4万人", {"N:44000"}),
        ("3 万亿usd", {"N:3e+12"}),
        ("12月10日至11日在北京举行", set()),
        ("at its dec. 18-19 meeting", set()),
        ("部署2026年经济工作", {"#2026"}),  # a year dates a story, it never ties two (issue 11)
        ("出台10条举措 9票赞成", {"#10", "#9"}),
        ("发行价每股37.80元，收盘报139.10元", {"N:37.8", "N:139.1"}),
        ("gpt-5.2 beats 4nm chips on 5g", {"N:5.2"}),
    ],
)
def test_numbers_are_normalised(text: str, numbers: set[str]) -> None:
    assert _numbers(text) == numbers


# --- a day of general-news feeds: relevance, digests, running stories, follow-ups (issue 11) ------

FIXTURES = os.path.join(ROOT, "tests", "fixtures", "rank")
GENERAL_FEEDS = [  # WeChat-style accounts of a national daily and a political desk, an auto paper…
    ("人民日报", "renmin.xml", 1.5, None),
    ("政知新媒体", "zhengzhi.xml", 1.0, None),
    ("中国汽车报", "qiche.xml", 0.8, "business"),
    ("科技前沿", "keji.xml", 0.8, None),
    ("财经头条", "caijing.xml", 1.2, None),
]


def general_settings(tmp: str, topic: str | None = "business") -> Settings:
    return Settings(
        feeds=[
            FeedConfig(
                name=n, url=os.path.join(FIXTURES, f), weight=w, topic=t and (topic if t else t)
            )
            for n, f, w, t in GENERAL_FEEDS
        ],
        cache_dir=tmp,
    )


@pytest.fixture(scope="module")
def general_day(tmp_path_factory: pytest.TempPathFactory) -> RankResult:
    from briefing.collect import collect

    s = general_settings(str(tmp_path_factory.mktemp("cache")))
    collected = collect(s)  # real feedparser over the fixture files
    assert collected.errors == []
    return rank(collected.items, s, day=date(2026, 6, 18))


def test_general_news_day_top_three(general_day: RankResult) -> None:
    assert [keys_of(e) for e in general_day.top] == [
        # the chokepoint conflict in its developments: seizure, tanker hit, ultimatum, strike,
        # statements, the oil price and shipping stocks — one event, not scattered singletons
        [
            "rm-hormuz1", "rm-tanker", "cj-oil", "cj-ship", "zz-seize",
            "zz-ultimatum", "zz-mfa", "zz-strike", "zz-fm",
        ],
        # the RRR cut with the governor's remarks (reported twice) and, as a follow-up, the bond
        # market's reaction (the same figure in its headline, 0.5个百分点)
        ["rm-rrr", "cj-rrr", "cj-pan", "cj-bond", "zz-pan"],
        ["cj-state", "zz-state"],
    ]  # fmt: skip
    assert [e.kind for e in general_day.top] == ["energy_supply", "pboc_easing", "policy_meeting"]
    assert general_day.top[1].reasons["follow_ups"] == 1


def test_general_news_day_rest_holds_no_sport_digest_or_top_story(general_day: RankResult) -> None:
    assert [keys_of(e) for e in general_day.rest] == [
        ["rm-retail", "cj-retail"],
        ["kj-nvda"],
        ["qc-monthly"],  # the auto monthly: not merged with the volleyball result (2026年, 中国)
        ["kj-pangu"],
        ["cj-cba"],  # sport with economic content (a 1.2亿元 sponsorship): rest, never top
        ["qc-nev"],
        ["qc-byd"],
    ]
    # 来了！新闻早班车 and 一图读懂 are digests; the volleyball result, the obituary, the
    # human-interest story and the celebrity endorsement are off topic for an economic daily
    assert general_day.dropped == {"window": 0, "duplicate": 0, "digest": 2, "off_topic": 4}


def test_a_feed_topic_hint_counts_as_relevance(tmp_path: Path) -> None:
    from briefing.collect import collect

    hinted = general_settings(str(tmp_path))
    plain = general_settings(str(tmp_path), topic=None)
    items = collect(plain).items
    relevance = {
        hint: {
            keys_of(e)[0]: e.reasons["relevance"]
            for e in events_of(rank(items, s, day=date(2026, 6, 18)))
        }
        for hint, s in (("hint", hinted), ("none", plain))
    }
    assert relevance["hint"]["qc-byd"] == 0.8  # the auto paper's feed is about business
    assert relevance["none"]["qc-byd"] == 0.8  # 销量 says so too
    assert relevance["hint"]["qc-monthly"] == 1.0
    assert relevance["none"]["qc-monthly"] == 1.0


def test_an_unknown_feed_topic_is_a_config_error() -> None:
    s = Settings(feeds=[FeedConfig(name="x", url="x.xml", topic="sports")])
    with pytest.raises(ConfigError, match=r"feeds\[x\]\.topic: unknown topic 'sports'"):
        rank([], s, day=DAY)


@pytest.mark.parametrize(
    ("title", "digest"),
    [
        ("来了！新闻早班车", True),
        ("【早报】隔夜美股全线收涨", True),
        ("财经晚报：A股三大指数集体收涨", True),
        ("一图读懂｜2026年政府工作报告", True),
        ("今日要闻速览", True),
        ("南华早报：美国商务部拟扩大芯片出口管制", False),
        ("国家统计局：11月CPI同比上涨0.7%", False),
    ],
)
def test_digests_are_dropped(title: str, digest: bool) -> None:
    result = rank([item("d", "新华社", title)], settings(), day=DAY)
    assert result.dropped["digest"] == int(digest)
    assert len(events_of(result)) == int(not digest)


def test_a_year_and_an_ubiquitous_entity_never_tie_two_headlines() -> None:
    items = [
        item("auto", "新华社", "2026年中国汽车出口有望突破700万辆"),
        item("film", "财联社", "2026年中国电影总票房突破500亿元"),
        item("chip", "第一财经", "美国2026年芯片出口管制新规生效"),
    ]
    result = rank(items, settings(), day=DAY)
    assert sorted(keys_of(e) for e in events_of(result)) == [["auto"], ["chip"], ["film"]]


def test_a_sideline_story_with_economic_content_is_never_top() -> None:
    items = [
        item("cba-1", "新华社", "CBA球队获地产商赞助1.2亿元 创联赛纪录"),
        item("cba-2", "财联社", "CBA球队获1.2亿元冠名赞助 创联赛纪录"),
        item("tsmc", "财新", "台积电熊本二厂或改产4纳米制程 量产时间推迟"),
    ]
    result = rank(items, settings(), day=DAY)
    assert [keys_of(e) for e in result.top] == [["tsmc"]]
    assert [sorted(keys_of(e)) for e in result.rest] == [["cba-1", "cba-2"]]


def test_a_speakers_follow_up_the_same_day_joins_the_top_story() -> None:
    items = [
        item("rrr-1", "新华社", "央行宣布降准0.5个百分点 释放长期资金约1万亿元",
             "中国人民银行行长潘功胜在新闻发布会上宣布，下调存款准备金率0.5个百分点。", at(17)),
        item("rrr-2", "财联社", "中国人民银行决定下调存款准备金率0.5个百分点", when=at(17, 5)),
        item("pan", "第一财经", "潘功胜：保持流动性合理充裕", when=at(18)),  # same speaker, same day
        item("pan-old", "财新", "潘功胜：稳妥推进金融改革", when=at(13, day=11)),  # 29 h earlier
        item("tsmc", "财新", "台积电熊本二厂或改产4纳米制程 量产时间推迟", when=at(12)),
    ]  # fmt: skip
    result = rank(items, settings(report=ReportConfig(top=1)), day=DAY)
    assert [keys_of(e) for e in result.top] == [["rrr-1", "rrr-2", "pan"]]
    assert result.top[0].reasons["follow_ups"] == 1
    assert sorted(keys_of(e)[0] for e in result.rest) == ["pan-old", "tsmc"]


def test_a_market_reaction_joins_the_top_story_it_reacts_to() -> None:
    items = [
        item("cpi-1", "新华社", "美国2月CPI同比上涨3.1%超预期 核心CPI同比上涨3.4%", when=at(21, day=11)),
        item("cpi-2", "财联社", "美国2月CPI同比上涨3.1% 通胀反弹超预期", when=at(21, 5, day=11)),
        item("react", "第一财经", "CPI超预期后降息押注降温 交易员预计美联储按兵不动", when=at(22, day=11)),
        item("ecb", "财新", "欧洲央行宣布降息25个基点", when=at(21, day=11)),
    ]  # fmt: skip
    result = rank(items, settings(report=ReportConfig(top=1)), day=DAY)
    assert [keys_of(e) for e in result.top] == [["cpi-1", "cpi-2", "react"]]
    assert result.top[0].title == "美国2月CPI同比上涨3.1%超预期 核心CPI同比上涨3.4%"
    assert [keys_of(e) for e in result.rest] == [["ecb"]]


def test_two_conflicts_without_a_common_party_stay_apart() -> None:
    items = [
        item("ir-1", "新华社", "伊朗称将封锁霍尔木兹海峡", when=at(8)),
        item("ir-2", "财联社", "美军空袭伊朗沿岸导弹阵地", when=at(12)),
        item("ua-1", "第一财经", "俄罗斯对乌克兰能源设施发动大规模空袭", when=at(9)),
        item("ua-2", "财新", "乌克兰称击落数十架无人机", when=at(10)),
    ]
    result = rank(items, settings(), day=DAY)
    assert sorted(sorted(keys_of(e)) for e in events_of(result)) == [
        ["ir-1", "ir-2"],
        ["ua-1", "ua-2"],
    ]
