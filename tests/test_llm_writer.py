"""briefing.llm_writer: events, sections and the headline through the real openai client on loopback."""

from __future__ import annotations

import asyncio
import json
import time
from collections.abc import Iterator
from datetime import UTC, datetime
from typing import Any

import pytest
from fakellm import FakeLLMServer, Reply, message_text
from langchain_core.language_models.fake_chat_models import FakeMessagesListChatModel
from langchain_core.messages import AIMessage

from briefing.config import LLMConfig, Settings
from briefing.errors import AnalysisError, LLMError
from briefing.llm import Backoff
from briefing.llm_writer import LLMWriter
from briefing.models import Event, EventAnalysis, Impact, Item
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
    delay = 0.3
    with FakeLLMServer(delay=delay) as srv:
        writer = LLMWriter(settings(srv), backoff=FAST)

        async def three() -> list:
            return await asyncio.gather(*(writer.write_event(e) for e in (A, B, C)))

        started = time.monotonic()
        written = asyncio.run(three())
        wall = time.monotonic() - started
    assert wall < 2.5 * delay, wall
    assert srv.max_in_flight == 3
    assert all(w.analysis.writer == "llm" for w in written)
    assert {w.analysis.sources[0] for w in written} == {A.items[0].id, B.items[0].id, C.items[0].id}


def test_write_all_takes_about_two_answer_latencies() -> None:
    delay = 0.3
    with FakeLLMServer(delay=delay) as srv:
        writer = LLMWriter(settings(srv), backoff=FAST)
        started = time.monotonic()
        written, headline = asyncio.run(write_all(writer, [A, B, C], [event("其他")]))
        wall = time.monotonic() - started
    assert wall < 3.5 * delay, wall
    assert len(srv.requests) == 4 and len(writer.calls) == 4
    assert headline.headline.startswith("模拟总标题")


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


def test_headline_is_one_llm_call_with_configured_tags_first(srv: FakeLLMServer) -> None:
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
