"""Token extraction: quantities (units, magnitudes, Chinese numerals, ranges), dates, codes, directions."""

from __future__ import annotations

from decimal import Decimal

import pytest

from briefing.grounding.corpus import number_windows, subject_features
from briefing.grounding.directions import directions
from briefing.grounding.facts import extract
from briefing.grounding.numbers import cn_to_decimal
from briefing.grounding.text import compact, split_clauses
from briefing.rules import load_rules


def quantities(text: str) -> list[tuple[Decimal, str]]:
    return [(q.value, q.unit) for q in extract(text, load_rules()).quantities]


def dates(text: str) -> list[tuple[int | None, int | None, int | None]]:
    return [(d.year, d.month, d.day) for d in extract(text, load_rules()).dates]


D = Decimal


@pytest.mark.parametrize(
    ("text", "expected"),
    [
        ("规模约为 3 万亿USD", [(D(3 * 10**12), "USD")]),
        ("规模约为3万亿美元", [(D(3 * 10**12), "USD")]),
        ("above $11,700 a tonne", [(D(11700), "USD")]),
        ("跌破 90,000 USD", [(D(90000), "USD")]),
        ("跌破9万美元", [(D(90000), "USD")]),
        ("40 billion dollars", [(D(4 * 10**10), "USD")]),
        ("上调 10 个基点", [(D(10), "bp")]),
        ("上调0.25个百分点", [(D(25), "bp")]),  # percentage points are kept as basis points
        ("上调25bp", [(D(25), "bp")]),
        ("上涨0.5%", [(D("0.5"), "%")]),
        ("上涨0.5％", [(D("0.5"), "%")]),  # full-width percent sign
        ("存量1.5万亿", [(D("1.5") * 10**12, "")]),
        ("存量1.5亿", [(D("1.5") * 10**8, "")]),
        ("15000亿元", [(D(15 * 10**11), "CNY")]),
        ("百分之三点五", [(D("3.5"), "%")]),
        ("两万亿元", [(D(2 * 10**12), "CNY")]),
        ("三千亿美元", [(D(3 * 10**11), "USD")]),
        ("5%-8%", [(D(5), "%"), (D(8), "%")]),
        ("5-8%", [(D(5), "%"), (D(8), "%")]),
        ("3.50%至3.75%", [(D("3.50"), "%"), (D("3.75"), "%")]),
        ("1至2万亿元", [(D(10**12), "CNY"), (D(2 * 10**12), "CNY")]),
        ("纳斯达克 100 指数下跌 1.9%", [(D("1.9"), "%")]),  # an index name, not a quantity
        ("标普500指数涨0.67%", [(D("0.67"), "%")]),
        ("每日过剩 384 万桶", [(D(3840000), "桶")]),
        ("13.7万桶/日", [(D(137000), "桶/日")]),
        ("4,260美元/盎司", [(D(4260), "USD/盎司")]),
        ("9票赞成、3名官员反对", [(D(9), "count"), (D(3), "count")]),
        ("连续三周下降", [(D(3), "周")]),
        ("前十一个月", [(D(11), "个月")]),
        ("10年期国债", [(D(10), "年期")]),
        ("美元兑日元跌至155.20", [(D("155.20"), "")]),
        ("一方面维持利率，释放三大信号，一次性补贴", []),  # idioms, not quantities
        ("OpenAI推出GPT-5.2模型", []),  # a code, checked as a name
    ],
)
def test_quantities(text: str, expected: list[tuple[Decimal, str]]) -> None:
    assert quantities(text) == expected


@pytest.mark.parametrize(
    ("text", "expected"),
    [
        ("2025年12月12日", [(2025, 12, 12)]),
        ("2025-12-12 11:33", [(2025, 12, 12)]),
        ("2025/12/12", [(2025, 12, 12)]),
        ("12月12日", [(None, 12, 12)]),
        ("12 月 18 日至 19 日", [(None, 12, 18), (None, 12, 19)]),
        ("二〇二五年十二月十二日", [(2025, 12, 12)]),
        ("1-11月", [(None, 1, None), (None, 11, None)]),
        ("2026年3月和6月", [(2026, 3, None), (2026, 6, None)]),
        ("自 1995 年以来", [(1995, None, None)]),
        ("11月份", [(None, 11, None)]),
        ("on Dec 11, 2025", [(2025, 12, 11)]),
        ("3万亿日元，300日元", []),  # 日 of 日元 is not a day
        ("前11个月", []),  # a duration
    ],
)
def test_dates(text: str, expected: list[tuple[int | None, int | None, int | None]]) -> None:
    assert dates(text) == expected


def test_codes_are_names() -> None:
    assert extract("OpenAI推出GPT-5.2模型，M2同比增长8%", load_rules()).codes == ["GPT-5.2", "M2"]


@pytest.mark.parametrize(
    ("text", "value"),
    [
        ("十二", 12),
        ("二十五", 25),
        ("一百二十", 120),
        ("二〇二五", 2025),
        ("三点五", Decimal("3.5")),
        ("一方", None),
    ],
)
def test_chinese_numerals(text: str, value: Decimal | int | None) -> None:
    assert cn_to_decimal(text) == (None if value is None else Decimal(value))


@pytest.mark.parametrize(
    ("text", "words"),
    [
        ("CPI同比上涨0.7%，涨幅扩大", ["上涨", "扩大"]),  # 涨幅 is a noun
        ("将经济增长预期上调至2.3%", ["上调"]),  # 经济增长 is a noun
        ("营收高于分析师预期", ["高于"]),
        ("日本央行加息，美联储降息", ["加息", "降息"]),
        ("对美元：利空", ["利空"]),
    ],
)
def test_directions(text: str, words: list[str]) -> None:
    assert [d.word for d in directions(text)] == words


def test_compact_and_clauses() -> None:
    assert compact("纳斯达克 100 指数下跌 1.9% 至 25,120 点") == "纳斯达克100指数下跌1.9%至25,120点"
    assert split_clauses("下跌1.9%至25,120点，为11月以来最大;收于高位") == [
        "下跌1.9%至25,120点",
        "为11月以来最大",
        "收于高位",
    ]


@pytest.mark.parametrize(
    ("window", "expected"),
    [
        ("10月末M2同比增长", {"^m10", "m2", "同比", "末"}),  # a code stays, 增长 goes
        (
            "截至收盘，恒指跌",
            {"@恒生指数", "截至", "至收", "收盘"},
        ),  # an alias by its canonical name
        ("欧洲央行预计2027年经济增长", {"@欧洲央行", "预计", "^y2027", "经济", "济增", "增长"}),
        ("2026 年欧元区增速为", {"^y2026", "@欧元", "区增", "增速", "速为"}),  # the noun 增速 stays
        ("，报", {"报"}),
        ("的", set()),
    ],
)
def test_subject_features(window: str, expected: set[str]) -> None:
    assert subject_features(compact(window), load_rules()) == expected


@pytest.mark.parametrize(
    ("text", "expected"),
    [
        (  # near: back to the previous number of the same unit, or the last ；
            "恒生指数跌0.85%，报25930.03点；恒生科技指数跌1.72%",
            [
                ("0.85%", "恒生指数跌", "恒生指数跌"),
                ("25930.03点", "恒生指数跌0.85%，报", "恒生指数跌0.85%，报"),
                ("1.72%", "恒生科技指数跌", "恒生指数跌0.85%，报25930.03点；恒生科技指数跌"),
            ],
        ),
        (  # wide: back to the sentence start
            "上月持平。当月到期量为8000亿元，实现净投放2000亿元",
            [
                ("8000亿元", "当月到期量为", "当月到期量为"),
                ("2000亿元", "，实现净投放", "当月到期量为8000亿元，实现净投放"),
            ],
        ),
        ("同比增长三成", [("三成", "同比增长", "同比增长")]),  # 三成 is 30%
    ],
)
def test_number_windows(text: str, expected: list[tuple[str, str, str]]) -> None:
    qs = extract(text, load_rules()).quantities
    got = [(q.text, text[a : q.start], text[b : q.start]) for q, a, b in number_windows(text, qs)]
    assert got == expected
