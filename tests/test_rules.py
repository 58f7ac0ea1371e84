import pytest

from briefing.rules import load_rules


@pytest.mark.parametrize(
    ("text", "kind"),
    [
        ("美联储宣布降息25个基点，并启动短期国债购买", "fed_easing"),
        ("Fed cuts rates by a quarter point", "fed_easing"),
        ("鲍威尔：不排除再次加息", "fed_tightening"),
        ("日本央行下周或将加息至0.75%", "boj_tightening"),
        ("Bank of Japan set to raise rates next week", "boj_tightening"),
        ("央行宣布降准0.5个百分点", "pboc_easing"),
        ("央行开展6000亿元买断式逆回购，连续第8个月加量续做", "pboc_liquidity"),
        ("中国人民银行：今日开展1118亿元7天期逆回购操作", "pboc_liquidity"),
        ("中央经济工作会议在北京举行", "policy_meeting"),
        ("国家统计局：11月CPI同比上涨0.7%", "inflation_data"),
        ("美国上周初请失业金人数升至23.6万", "jobs_data"),
        ("欧佩克+同意一季度暂停增产", "energy_supply"),
        ("茅台批发价下跌", "general"),
    ],
)
def test_classify(text: str, kind: str) -> None:
    assert load_rules().classify(text).id == kind


@pytest.mark.parametrize(
    ("text", "entities"),
    [
        ("日本央行下周加息", {"日本央行", "加息"}),
        ("日银与BOJ是同一家", {"日本央行"}),
        ("Bank of Japan and the Fed", {"日本央行", "美联储"}),
        ("央行降准", {"中国人民银行"}),
        ("恒指与HSI", {"恒生指数"}),
        ("AIDS research", set()),
    ],
)
def test_entities_use_the_alias_table_longest_first(text: str, entities: set[str]) -> None:
    assert load_rules().entities_in(text) == entities


def test_every_kind_gives_three_assets_whichever_way_the_news_goes_and_no_numbers_in_its_texts() -> (
    None
):
    import re

    for kind in load_rules().kinds:
        words = " ".join(w for r in kind.impacts for w in r.when)
        for way in ("up", "down"):
            assert len(kind.impacts_for(words, way)) >= 3, (kind.id, way)
        clauses = [*kind.impacts, *kind.mechanism, *kind.advice, *kind.theme]
        for text in [c.text for c in clauses] + [kind.takeaway, kind.watch]:
            assert not re.search(r"\d", text), (kind.id, text)


def test_a_rule_applies_only_when_its_direction_and_surprise_hold() -> None:
    kind = load_rules().kind("inflation_data")
    us = "美国2月CPI同比上涨"
    assert [(r.asset, r.stance) for r in kind.impacts_for(us, "up")][:2] == [
        ("美元", "利多"),
        ("美债", "利空"),
    ]
    assert [(r.asset, r.stance) for r in kind.impacts_for(us, "down")][:2] == [
        ("美元", "利空"),
        ("美债", "利多"),
    ]
    assert kind.clause("theme", us, "up", "above") == "美国通胀超预期反弹"
    assert kind.clause("theme", us, "up", None) == "美国通胀回升"
    assert kind.clause("theme", "某地物价", None, None) == "通胀数据出炉"


def test_mechanism_sentences_do_not_read_as_reported_facts() -> None:
    """深度解读's closing sentence is analysis: no 宣布/决定/通过… that the grounding check reads as a
    claim a source must cover."""
    from briefing.grounding.verdict import _REPORTING

    for kind in load_rules().kinds:
        for c in kind.mechanism:
            assert not [w for w in _REPORTING if w in c.text], (kind.id, c.text)


def test_rule_texts_name_no_one_the_sources_may_not_name() -> None:
    """A rule sentence is published beside the sources' facts: it names no institution (财政部,
    央行…) unless the kind itself is about it, or the grounding check would flag the report."""
    rules = load_rules()
    markets = {
        "美元",
        "日元",
        "人民币",
        "黄金",
        "原油",
        "欧元",
        "铜",
        "比特币",
        "中国",
        "美国",
        "日本",
    }
    themes = {"加息", "降息", "购债", "关税", "通胀"}
    for kind in rules.kinds:
        own = rules.entities_in(" ".join(kind.match[0])) if kind.match else set()
        clauses = [*kind.impacts, *kind.mechanism, *kind.advice, *kind.theme]
        for text in [c.text for c in clauses] + [kind.takeaway, kind.watch]:
            assert not rules.entities_in(text) - own - markets - themes, (kind.id, text)


def test_a_case_fold_that_changes_length_gives_the_keyword_itself() -> None:
    """「İ」 lowercases to two characters and 「ſ」 matches "s" case-insensitively: the index must still
    name the keyword it found (callers look it up by key), so one odd feed title cannot crash a run."""
    from briefing.rules import KeywordIndex, load_rules

    index = KeywordIndex(["Stocks", "美联储"])
    assert sorted(index.find("İstanbul ſtockſ rally; 美联储")) == [
        (9, 15, "stocks"),
        (23, 26, "美联储"),
    ]
    rules = load_rules()
    title = "İstanbul ſtockſ rally as 美联储 meets"
    assert rules.entity_mentions(title) == [("美联储", "美联储")]
    assert rules.topics_in(title) == {"markets"}  # a KeyError here was the crash


def test_a_liquidity_operation_is_written_as_one_not_as_a_company_story() -> None:
    """A PBOC operation gets bond, A-share and yuan views (never 个股影响 / 无直接影响), and a
    net injection reads as support for bonds."""
    kind = load_rules().kind("pboc_liquidity")
    plain = "中国人民银行开展1118亿元7天期逆回购操作"
    injecting = "央行开展6000亿元买断式逆回购，连续第8个月加量续做"
    first = {}
    for r in kind.impacts:
        if r.applies(plain):
            first.setdefault(r.asset, r.stance)
    assert first == {"债市": "中性偏多", "A股": "中性偏多", "人民币": "中性"}
    bonds = next(r for r in kind.impacts if r.asset == "债市" and r.applies(injecting))
    assert bonds.stance == "利多"
