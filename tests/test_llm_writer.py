"""briefing.llm_writer: events, sections and the headline through the real openai client on loopback."""

from __future__ import annotations

import asyncio
import json
from collections.abc import Iterator
from datetime import UTC, datetime, timedelta
from typing import Any

import pytest
from fakellm import FakeLLMServer, Reply, message_text
from langchain_core.language_models.fake_chat_models import FakeMessagesListChatModel
from langchain_core.messages import AIMessage
from pydantic import ValidationError

from briefing.config import LLMConfig, Settings
from briefing.errors import AnalysisError, LLMError
from briefing.llm import Backoff
from briefing.llm_writer import LLMWriter
from briefing.models import Event, EventAnalysis, Impact, Item, repeats
from briefing.write import write_all

FAST = Backoff(initial=0.01, maximum=0.02, jitter=0.01, retry_after_max=0.05)


def event(tag: str, summary: str = "") -> Event:
    items = [
        Item(
            title=f"{tag}标题：美联储宣布每月400亿美元购债",
            link=f"https://example.com/{tag}/1",
            source="新华社",
            published=datetime(2025, 12, 12, 3, 33, tzinfo=UTC),
            summary=summary
            or f"{tag}：美联储宣布启动每月400亿美元的购债计划，1月降息概率为24.4%。",
        ),
        Item(
            title=f"{tag}：Fed to buy $40bn a month",
            link=f"https://example.com/{tag}/2",
            source="Reuters",
            published=datetime(2025, 12, 12, 5, 0, tzinfo=UTC),
            summary="The Federal Reserve said it would buy 40 billion dollars of bonds a month.",
        ),
    ]
    return Event(title=f"{tag}：美联储购债", score=3.0, items=items)


A, B, C = event("事件A"), event("事件B"), event("事件C")


def settings(srv: FakeLLMServer | None = None, **llm: Any) -> Settings:
    base = (
        {"base_url": srv.base_url, "api_key": "sk-test-key-000000"}
        if srv
        else {"api_key": "sk-test"}
    )
    return Settings(feeds=[], llm=LLMConfig(model="fake-model", **base, **llm))


def for_event(tag: str):
    """A `when` for FakeLLMServer replies: only the event request about this event (not the headline)."""
    return lambda body: f"{tag}标题" in message_text(body) and "<<<SOURCES" in message_text(body)


@pytest.fixture
def srv() -> Iterator[FakeLLMServer]:
    with FakeLLMServer() as server:
        yield server


GOOD_EVENT = {
    "title": "美联储启动“隐秘扩表”购债计划",
    "summary": "美联储宣布启动每月400亿美元的购债计划，市场称之为“隐秘扩表”。",
    "insight": "美联储此举意在防风险而非刺激经济。\n\n1. **流动性**：向市场注入美元流动性。",
    "impacts": [
        {"asset": "美元", "stance": "利空", "text": "购债增加美元供给。"},
        {"asset": "对黄金/白银", "stance": "利多", "text": "实际利率预期下行，支撑贵金属。"},
        {"asset": "股市", "stance": "结构性利多", "text": "流动性改善利好成长股。"},
    ],
    "takeaway": "关注贵金属回调后的布局机会；警惕美元资产波动率上升。",
    # the model has no say over these: code fills them from the items
    "event_time": "1999-01-01",
    "sources": ["made-up"],
}


def test_write_event_fills_the_analysis_from_the_answer(srv: FakeLLMServer) -> None:
    srv.enqueue(content=json.dumps(GOOD_EVENT, ensure_ascii=False))
    writer = LLMWriter(settings(srv), backoff=FAST)
    written = asyncio.run(writer.write_event(A))
    a, p = written.analysis, written.provenance
    assert a.writer == "llm" and a.title == "美联储启动“隐秘扩表”购债计划"
    assert a.event_time == "2025-12-12 11:33"  # code, from the items, in Asia/Shanghai
    assert a.sources == [i.id for i in A.items]
    assert [(i.asset, i.stance) for i in a.impacts] == [
        ("美元", "利空"),
        ("黄金/白银", "利多"),
        ("股市", "结构性利多"),
    ]
    assert (p.writer, p.items, p.attempts, p.fallback_reason) == ("llm", a.sources, 1, None)
    assert p.raw == json.dumps(GOOD_EVENT, ensure_ascii=False)
    assert p.prompt_sha256 == writer.calls[0].prompt_sha256 and len(p.prompt_sha256) == 64
    assert p.usage["prompt_tokens"] > 0
    assert len(writer.calls) == 1 and writer.calls[0].purpose.startswith("event")


def test_the_gauntlet_through_the_writer_still_gives_llm_text(srv: FakeLLMServer) -> None:
    """429, broken JSON, 500, schema-violating JSON, then good: the text comes from the answer."""
    srv.enqueue(status=429, headers={"Retry-After": "0"})
    srv.enqueue(content="{broken")
    srv.enqueue(status=500)
    srv.enqueue(
        content=json.dumps({**GOOD_EVENT, "impacts": GOOD_EVENT["impacts"][:1]}, ensure_ascii=False)
    )
    srv.enqueue(content=json.dumps(GOOD_EVENT, ensure_ascii=False))
    writer = LLMWriter(settings(srv, max_attempts=3), backoff=FAST)
    written = asyncio.run(writer.write_event(A))
    assert written.analysis.writer == "llm" and written.provenance.attempts == 3
    assert writer.calls[0].transport_retries == 2 and len(srv.requests) == 5
    assert "impacts" in srv.prompt(4)  # the schema error went back


def test_three_events_are_written_at_once() -> None:
    with FakeLLMServer(delay=0.3) as srv:
        writer = LLMWriter(settings(srv), backoff=FAST)

        async def three() -> list:
            return await asyncio.gather(*(writer.write_event(e) for e in (A, B, C)))

        written = asyncio.run(three())
    assert srv.max_in_flight == 3 and max(srv.arrived) < min(srv.answered)
    assert all(w.analysis.writer == "llm" for w in written)
    assert {w.analysis.sources[0] for w in written} == {A.items[0].id, B.items[0].id, C.items[0].id}


def test_write_all_is_one_round_events_and_headline_at_once() -> None:
    with FakeLLMServer(delay=0.3) as srv:
        writer = LLMWriter(settings(srv), backoff=FAST)
        written, headline = asyncio.run(write_all(writer, [A, B, C], [event("其他")]))
    # one round: every request was on the wire before the first answer came back
    assert srv.max_in_flight == 4 and max(srv.arrived) < min(srv.answered)
    assert len(srv.requests) == 4 and len(writer.calls) == 4
    assert headline.headline.startswith("模拟总标题")
    headline_prompt = next(message_text(r) for r in srv.requests if "<<<EVENTS" in message_text(r))
    # what the ranked events and their items say, and the rule's draft to improve on
    assert "事件A标题：美联储宣布每月400亿美元购债" in headline_prompt
    assert "事件A：美联储宣布启动每月400亿美元的购债计划" in headline_prompt
    assert "草稿标题" in headline_prompt and "不超过40字" in headline_prompt


def test_the_headline_falls_back_to_the_rule_in_the_same_round(srv: FakeLLMServer) -> None:
    srv.enqueue(Reply(status=502, when=lambda b: "<<<EVENTS" in message_text(b)), times=5)
    writer = LLMWriter(settings(srv, max_retries=0), backoff=FAST)
    written, headline = asyncio.run(write_all(writer, [A, B], []))
    rule = asyncio.run(
        writer.fallback.write_headline([writer.fallback.analyse(e).analysis for e in (A, B)], [])
    )
    assert headline == rule
    assert [w.provenance.writer for w in written] == ["llm", "llm"]
    assert len(writer.fallbacks) == 1 and "headline: HTTP 502" in writer.fallbacks[0]


def test_one_event_failing_falls_back_to_offline_and_the_others_keep_llm_text(
    srv: FakeLLMServer,
) -> None:
    srv.enqueue(Reply(content="不是 JSON", when=for_event("事件B")), times=3)
    writer = LLMWriter(settings(srv, max_attempts=3), backoff=FAST)
    written, _ = asyncio.run(write_all(writer, [A, B, C], []))
    a, b, c = written
    assert (a.analysis.writer, b.analysis.writer, c.analysis.writer) == ("llm", "offline", "llm")
    assert (
        b.provenance.writer == "offline" and b.provenance.rules
    )  # the offline writer's own provenance
    reason = b.provenance.fallback_reason or ""
    assert "no valid answer after 3 attempts" in reason and "事件B" in reason
    assert (b.provenance.attempts, b.provenance.raw) == (3, "不是 JSON")
    assert b.provenance.prompt_sha256 and b.provenance.usage["prompt_tokens"] > 0
    assert len(b.analysis.impacts) >= 3 and b.analysis.sources == [i.id for i in B.items]
    assert writer.fallbacks == [reason]
    assert [c.attempts for c in writer.calls if "事件B" in c.purpose] == [3]


def test_transport_failure_of_one_event_falls_back_too(srv: FakeLLMServer) -> None:
    srv.enqueue(Reply(status=502, when=for_event("事件B")), times=2)
    writer = LLMWriter(settings(srv, max_retries=1), backoff=FAST)
    written = asyncio.run(writer.write_event(B))
    assert written.analysis.writer == "offline"
    assert "HTTP 502" in (written.provenance.fallback_reason or "")


def test_a_bad_key_stops_the_run_instead_of_going_offline(srv: FakeLLMServer) -> None:
    srv.enqueue(status=401, error="Incorrect API key provided")
    writer = LLMWriter(settings(srv), backoff=FAST)
    with pytest.raises(LLMError, match="HTTP 401"):
        asyncio.run(writer.write_event(A))
    assert len(writer.calls) == 1 and writer.fallbacks == []


def test_reask_at_the_seam_with_a_fake_chat_model() -> None:
    model = FakeMessagesListChatModel(
        responses=[
            AIMessage(content='{"title": "只有标题"}'),
            AIMessage(content=json.dumps(GOOD_EVENT, ensure_ascii=False)),
        ]
    )
    writer = LLMWriter(settings(), model=model)
    written = asyncio.run(writer.write_event(A))
    assert written.analysis.writer == "llm" and written.provenance.attempts == 2
    assert written.analysis.summary.startswith("美联储宣布")


def test_fallback_at_the_seam_when_the_model_never_complies() -> None:
    model = FakeMessagesListChatModel(responses=[AIMessage(content="我拒绝")])
    writer = LLMWriter(settings(), model=model)
    written = asyncio.run(writer.write_event(A))
    assert written.analysis.writer == "offline"
    assert written.provenance.fallback_reason and written.provenance.raw == "我拒绝"


# -- headline -----------------------------------------------------------------------------------


def test_headline_from_written_sections_is_one_llm_call_with_configured_tags_first(
    srv: FakeLLMServer,
) -> None:
    srv.enqueue(
        content=json.dumps(
            {
                "headline": "美联储扩表与全球政策转向共振",
                "tags": ["货币政策"],
                "seo": ["美联储", "经济日报"],
            },
            ensure_ascii=False,
        )
    )
    writer = LLMWriter(settings(srv), backoff=FAST)
    analyses = [asyncio.run(writer.fallback.write_event(A)).analysis]
    head = asyncio.run(writer.write_headline(analyses, [event("其他要闻")]))
    assert head.headline == "美联储扩表与全球政策转向共振"
    assert head.tags == ["经济日报", "宏观经济", "货币政策"]
    assert head.seo == ["经济日报", "金融日报", "美联储"]
    assert len(srv.requests) == 1 and "其他要闻" in srv.prompt(0)


def test_headline_falls_back_to_the_offline_rule(srv: FakeLLMServer) -> None:
    srv.enqueue(content="？", times=3)
    writer = LLMWriter(settings(srv), backoff=FAST)
    analyses = [asyncio.run(writer.fallback.write_event(A)).analysis]
    head = asyncio.run(writer.write_headline(analyses, []))
    assert head.headline == analyses[0].title and len(writer.fallbacks) == 1


# -- rerun one section ---------------------------------------------------------------------------


def current() -> EventAnalysis:
    return EventAnalysis(
        title="美联储购债",
        event_time="2025-12-12 11:33",
        summary="旧概述：美联储宣布购债。",
        insight="旧解读。",
        impacts=[Impact(asset="美元", stance="利空", text="旧理由。")] * 3,
        takeaway="旧启示。",
        sources=[i.id for i in A.items],
        writer="llm",
    )


@pytest.mark.parametrize(
    ("section", "answer", "field", "expected"),
    [
        (
            "summary",
            {"summary": "新概述：美联储宣布每月400亿美元购债。"},
            "summary",
            "新概述：美联储宣布每月400亿美元购债。",
        ),
        (
            "insight",
            {"insight": "新解读：防风险而非刺激，流动性边际改善。"},
            "insight",
            "新解读：防风险而非刺激，流动性边际改善。",
        ),
        (
            "takeaway",
            {"takeaway": "关注黄金回调；规避高估值成长股。"},
            "takeaway",
            "关注黄金回调；规避高估值成长股。",
        ),
        (
            "impact",
            {"impacts": [{"asset": "黄金", "stance": "利多", "text": "实际利率下行。"}]},
            "impacts",
            [Impact(asset="黄金", stance="利多", text="实际利率下行。")],
        ),
    ],
)
def test_write_section_rewrites_only_that_section_in_one_call(
    srv: FakeLLMServer, section: str, answer: dict, field: str, expected: Any
) -> None:
    srv.enqueue(content=json.dumps(answer, ensure_ascii=False))
    writer = LLMWriter(settings(srv), backoff=FAST)
    before = current()
    written = asyncio.run(
        writer.write_section(A, before, section, "只保留对黄金的影响，写得更具体")
    )  # type: ignore[arg-type]
    after = written.analysis
    assert getattr(after, field) == expected
    assert after.model_dump(exclude={field}) == before.model_dump(exclude={field})
    assert (
        len(srv.requests) == 1
        and "只保留对黄金的影响" in srv.prompt(0)
        and "旧解读" in srv.prompt(0)
    )
    assert written.provenance.writer == "llm" and written.provenance.attempts == 1


def test_write_section_raises_when_the_model_never_complies(srv: FakeLLMServer) -> None:
    srv.enqueue(content="{}", times=3)
    writer = LLMWriter(settings(srv), backoff=FAST)
    with pytest.raises(AnalysisError):
        asyncio.run(writer.write_section(A, current(), "summary"))


def test_totals_sum_the_calls(srv: FakeLLMServer) -> None:
    writer = LLMWriter(settings(srv), backoff=FAST)
    asyncio.run(write_all(writer, [A, B], []))
    totals = writer.totals()
    assert totals["calls"] == 3 and totals["attempts"] == 3
    assert totals["prompt_tokens"] == sum(c.usage.prompt_tokens for c in writer.calls) > 0


def test_concurrent_events_step_down_the_format_once_and_all_succeed(srv: FakeLLMServer) -> None:
    def schema_mode(body: dict) -> bool:
        return body.get("response_format", {}).get("type") == "json_schema"

    srv.enqueue(
        Reply(status=400, error="This response_format type is unavailable now", when=schema_mode),
        times=4,
    )
    writer = LLMWriter(settings(srv), backoff=FAST)
    written, _ = asyncio.run(write_all(writer, [A, B, C], []))
    assert all(w.analysis.writer == "llm" for w in written)
    assert writer.formats.mode == "json_object"
    kinds = [r.get("response_format", {}).get("type") for r in srv.requests]
    assert (
        kinds.count("json_schema") == 4 and kinds.count("json_object") == 4
    )  # 3 events + headline, all in one round


# -- 一般事件: English-only headlines -----------------------------------------------------------------

TITLES = [
    "人民银行开展1118亿元逆回购",
    "Copper hits record above $11,700 a tonne",
    "Oil falls 1.5% as U.S. fuel stocks swell",
    "日元走强 美元兑日元跌至155.20",
]


def test_english_headlines_are_translated_in_one_batched_call(srv: FakeLLMServer) -> None:
    answer = {
        "titles": [
            {"n": 3, "zh": "美国燃油库存增加，油价下跌1.5%"},
            {"n": 2, "zh": "铜价创纪录，突破每吨11,700美元"},
        ]
    }
    srv.enqueue(content=json.dumps(answer, ensure_ascii=False))
    writer = LLMWriter(settings(srv), backoff=FAST)
    out = asyncio.run(writer.translate_titles(TITLES))
    assert out == [
        TITLES[0],
        "铜价创纪录，突破每吨11,700美元",
        "美国燃油库存增加，油价下跌1.5%",
        TITLES[3],
    ]
    assert len(srv.requests) == 1 and [c.purpose for c in writer.calls] == ["translate 一般事件"]
    prompt = srv.prompt(0)
    assert "[2] Copper hits record" in prompt and "[3] Oil falls" in prompt
    assert "人民银行" not in prompt  # only the English ones go


def test_a_translation_that_is_not_chinese_is_asked_again(srv: FakeLLMServer) -> None:
    srv.enqueue(content=json.dumps({"titles": [{"n": 2, "zh": "Copper record"}]}))
    srv.enqueue(content=json.dumps({"titles": [{"n": 2, "zh": "铜价创纪录"}]}, ensure_ascii=False))
    writer = LLMWriter(settings(srv), backoff=FAST)
    out = asyncio.run(writer.translate_titles(TITLES[:2]))
    assert out == [TITLES[0], "铜价创纪录"] and "简体中文" in srv.prompt(1)


def test_without_a_translation_english_headlines_are_left_out(srv: FakeLLMServer) -> None:
    srv.enqueue(status=502, times=10)
    writer = LLMWriter(settings(srv, max_retries=0), backoff=FAST)
    assert asyncio.run(writer.translate_titles(TITLES)) == [TITLES[0], None, None, TITLES[3]]
    assert len(writer.fallbacks) == 1
    offline = asyncio.run(writer.fallback.translate_titles(TITLES))  # type: ignore[attr-defined]
    assert offline == [TITLES[0], None, None, TITLES[3]]


def test_no_english_headline_means_no_call(srv: FakeLLMServer) -> None:
    writer = LLMWriter(settings(srv), backoff=FAST)
    assert asyncio.run(writer.translate_titles([TITLES[0]])) == [TITLES[0]] and not srv.requests


# -- each sentence said once -----------------------------------------------------------------------


@pytest.mark.parametrize("field", ["insight", "takeaway"])
def test_a_section_that_repeats_the_summary_goes_back_with_the_error(
    srv: FakeLLMServer, field: str
) -> None:
    repeated = {**GOOD_EVENT, field: GOOD_EVENT["summary"] + "此外市场关注后续。"}
    srv.enqueue(content=json.dumps(repeated, ensure_ascii=False))
    srv.enqueue(content=json.dumps(GOOD_EVENT, ensure_ascii=False))
    writer = LLMWriter(settings(srv), backoff=FAST)
    written = asyncio.run(writer.write_event(A))
    assert written.analysis.writer == "llm" and written.provenance.attempts == 2
    assert f"{field} 逐字重复了 summary 中的句子" in srv.prompt(1)


def test_a_writers_analysis_may_not_repeat_the_summary_but_an_editors_parsed_text_may() -> None:
    fields = {
        **current().model_dump(exclude={"writer"}),
        "summary": "美联储宣布每月购债400亿美元。",
    }
    fields["takeaway"] = "美联储宣布每月购债400亿美元"
    with pytest.raises(ValidationError, match="takeaway repeats the summary"):
        EventAnalysis(**fields, writer="llm")
    assert EventAnalysis(**fields).takeaway == fields["takeaway"]  # parsed back: no writer named


def test_the_offline_writers_sections_pass_the_same_rule() -> None:
    """The offline writer is the fallback: its sample report's sections are said once too."""
    from zoneinfo import ZoneInfo

    from conftest import EXAMPLES

    from briefing.collect import collect
    from briefing.config import load_settings
    from briefing.rank import rank

    s = load_settings(EXAMPLES / "feeds.yaml", env={}, env_file=None)
    now = datetime(2025, 12, 13, 7, 0, tzinfo=ZoneInfo("Asia/Shanghai"))
    ranked = rank(collect(s).items, s, day=now.date() - timedelta(days=1), now=now)
    writer = LLMWriter(s.model_copy(update={"llm": LLMConfig(api_key="sk-x")}))
    for e in ranked.top:
        a = writer.fallback.analyse(e).analysis  # type: ignore[attr-defined]
        assert a.writer == "offline"
        assert repeats(a.summary, a.insight) is None and repeats(a.summary, a.takeaway) is None
