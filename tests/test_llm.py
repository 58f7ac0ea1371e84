"""briefing.llm: the re-ask loop, transport retries and format fallback, through the real openai client."""

from __future__ import annotations

import asyncio
import json
from collections.abc import Iterator
from datetime import UTC, datetime, timedelta
from email.utils import format_datetime
from types import SimpleNamespace
from typing import Any

import pytest
from fakellm import FakeLLMServer, Reply
from langchain_core.language_models.fake_chat_models import FakeMessagesListChatModel
from langchain_core.messages import AIMessage, BaseMessage, HumanMessage, SystemMessage
from pydantic import BaseModel, Field

from briefing.config import LLMConfig
from briefing.errors import AnalysisError, ConfigError, LLMError
from briefing.llm import (
    Backoff,
    CallRecord,
    FormatMemory,
    OpenAIChat,
    ask_json,
    format_unsupported,
    make_chat_model,
    parse_json,
    retry_after,
)

KEY = "sk-test-secret-0123456789"
GOOD = '{"headline": "美联储启动购债", "score": 7}'


class Verdict(BaseModel):
    headline: str = Field(min_length=3)
    score: int = Field(ge=0, le=10)


class Waits:
    """A Backoff.sleep that records what it was asked to wait and does not wait."""

    def __init__(self) -> None:
        self.seconds: list[float] = []

    async def __call__(self, seconds: float) -> None:
        self.seconds.append(seconds)

    def backoff(self) -> Backoff:
        return Backoff(initial=0.01, maximum=0.05, jitter=0.01, retry_after_max=30, sleep=self)


@pytest.fixture
def srv() -> Iterator[FakeLLMServer]:
    with FakeLLMServer() as server:
        yield server


def config(srv: FakeLLMServer, **kw: Any) -> LLMConfig:
    return LLMConfig(base_url=srv.base_url, api_key=KEY, model="fake-model", **kw)


MESSAGES: list[BaseMessage] = [
    SystemMessage(content="你是分析师。"),
    HumanMessage(content="给出 JSON。"),
]


def ask(
    srv: FakeLLMServer, waits: Waits | None = None, formats: FormatMemory | None = None, **kw: Any
):
    cfg = config(srv, **kw)
    return asyncio.run(
        ask_json(
            make_chat_model(cfg),
            MESSAGES,
            Verdict,
            config=cfg,
            purpose="test",
            formats=formats,
            backoff=(waits or Waits()).backoff(),
        )
    )


# -- the full gauntlet ---------------------------------------------------------------------------


def test_every_fault_then_a_good_answer(srv: FakeLLMServer) -> None:
    srv.enqueue(status=429, headers={"Retry-After": "2"}, error="Rate limit reached")
    srv.enqueue(status=500, error="upstream exploded")
    srv.enqueue(content="这不是 JSON {")
    srv.enqueue(content='{"headline": "好", "score": 99}')
    srv.enqueue(content='{"headline": "美联储启动', finish_reason="length")
    srv.enqueue(content=GOOD)
    waits = Waits()

    value, record = ask(srv, waits, max_attempts=4, max_retries=4)

    assert value == Verdict(headline="美联储启动购债", score=7)
    assert len(srv.requests) == 6
    assert srv.statuses == [429, 500, 200, 200, 200, 200]
    assert (record.attempts, record.transport_retries) == (4, 2)
    assert waits.seconds[0] == 2.0  # Retry-After honoured
    assert 0 < waits.seconds[1] <= 0.06  # then exponential backoff with jitter
    assert record.raw == GOOD and record.mode == "json_schema"
    assert record.usage.prompt_tokens > 0 and record.usage.total_tokens > record.usage.prompt_tokens
    # the re-asks carry the error (and, for bad JSON, the answer), and nothing older
    after_json, after_schema, after_length = srv.requests[3], srv.requests[4], srv.requests[5]
    assert [m["role"] for m in after_json["messages"]] == ["system", "user", "assistant", "user"]
    assert after_json["messages"][2]["content"] == "这不是 JSON {"
    assert "不是合法的 JSON" in after_json["messages"][3]["content"]
    assert (
        "headline" in after_schema["messages"][3]["content"]
        and "score" in after_schema["messages"][3]["content"]
    )
    assert [m["role"] for m in after_length["messages"]] == ["system", "user", "user"]
    assert "截断" in after_length["messages"][2]["content"]
    # our retries, not the SDK's: every request is the SDK's first try
    assert {h.get("x-stainless-retry-count") for h in srv.headers} <= {"0", None}
    assert all(r["response_format"]["type"] == "json_schema" for r in srv.requests)


def test_good_first_answer_is_one_request(srv: FakeLLMServer) -> None:
    srv.enqueue(content=GOOD)
    value, record = ask(srv)
    assert value.score == 7
    assert (len(srv.requests), record.attempts, record.transport_retries) == (1, 1, 0)
    body = srv.requests[0]
    assert (
        body["model"] == "fake-model" and body["max_tokens"] == 2000 and body["temperature"] == 0.3
    )
    schema = body["response_format"]["json_schema"]
    assert schema["name"] == "Verdict" and schema["strict"] is True
    assert schema["schema"]["additionalProperties"] is False
    assert "minLength" not in json.dumps(schema)  # moved into the description for picky endpoints
    assert srv.headers[0]["authorization"] == f"Bearer {KEY}"


# -- structured-output mode detection --------------------------------------------------------------


def test_json_schema_unsupported_falls_back_to_json_object_and_remembers(
    srv: FakeLLMServer,
) -> None:
    srv.enqueue(status=400, error="This response_format type is unavailable now")
    formats = FormatMemory("auto")
    value, record = ask(srv, formats=formats)
    assert value.headline  # the default responder read the schema from the prompt
    assert [r.get("response_format", {}).get("type") for r in srv.requests] == [
        "json_schema",
        "json_object",
    ]
    assert "```json" in srv.prompt(1) and '"score"' in srv.prompt(1)
    assert (record.mode, record.attempts, formats.mode) == ("json_object", 1, "json_object")

    ask(srv, formats=formats)  # the rest of the run goes straight to json_object
    assert srv.requests[2]["response_format"] == {"type": "json_object"}


def test_json_object_unsupported_too_falls_back_to_plain_prompting(srv: FakeLLMServer) -> None:
    srv.enqueue(status=400, error="response_format json_schema is not supported")
    srv.enqueue(status=422, error="response_format.type `json_object` is unavailable now")
    _, record = ask(srv)
    assert "response_format" not in srv.requests[2]
    assert record.mode == "prompt" and "```json" in srv.prompt(2)


def test_configured_format_is_not_second_guessed(srv: FakeLLMServer) -> None:
    srv.enqueue(status=400, error="response_format json_schema is not supported")
    with pytest.raises(LLMError) as info:
        ask(srv, response_format="json_schema")
    assert "BRIEFING_RESPONSE_FORMAT" in str(info.value) and len(srv.requests) == 1


@pytest.mark.parametrize(
    ("status", "message", "expected"),
    [
        (400, "This response_format type is unavailable now", True),  # DeepSeek
        (422, "response_format.type `json_schema` is unavailable now", True),
        (400, "deepseek-reasoner does not support Json Output.", True),
        (400, "Invalid schema for response_format 'Verdict': 'minLength' is not permitted.", True),
        (400, "Unknown field json_schema in request", True),
        (
            400,
            "Prompt must contain the word 'json' in some form to use 'response_format' of type 'json_object'.",
            False,
        ),
        (400, "This model's maximum context length is 8192 tokens", False),
        (404, "The model `gpt-9` does not exist", False),
        (500, "response_format not supported", False),
    ],
)
def test_format_unsupported(status: int, message: str, expected: bool) -> None:
    exc = SimpleNamespace(status_code=status, body={"error": {"message": message}})
    assert format_unsupported(exc) is expected  # type: ignore[arg-type]


# -- giving up ----------------------------------------------------------------------------------


def test_gives_up_with_attempts_last_raw_and_usage(srv: FakeLLMServer) -> None:
    srv.enqueue(content="不行")
    srv.enqueue(content='{"headline": "x"}')
    srv.enqueue(content='{"score": "很高"}')
    with pytest.raises(AnalysisError) as info:
        ask(srv, max_attempts=3)
    err = info.value
    assert err.attempts == 3 and err.last_raw == '{"score": "很高"}'
    assert err.usage["prompt_tokens"] > 0
    assert "after 3 attempts" in str(err) and "\n" not in str(err)
    record: CallRecord = err.record  # type: ignore[attr-defined]
    assert record.attempts == 3 and record.error == str(err)
    assert err.fatal is False  # type: ignore[attr-defined]
    assert len(srv.requests) == 3


def test_transport_gives_up_with_a_one_line_error(srv: FakeLLMServer) -> None:
    srv.enqueue(status=503, error="overloaded", times=3)
    waits = Waits()
    with pytest.raises(LLMError) as info:
        ask(srv, waits, max_retries=2)
    msg = str(info.value)
    assert not isinstance(info.value, AnalysisError)
    assert "HTTP 503" in msg and "after 3 tries" in msg and srv.base_url in msg and "\n" not in msg
    assert len(waits.seconds) == 2 and len(srv.requests) == 3


def test_auth_error_is_fatal_not_retried_and_never_shows_the_key(srv: FakeLLMServer) -> None:
    srv.enqueue(status=401, error=f"Incorrect API key provided: {KEY}. Find your key at …")
    with pytest.raises(LLMError) as info:
        ask(srv)
    msg = str(info.value)
    assert KEY not in msg and "0123456789" not in msg
    assert "HTTP 401" in msg and "OPENAI_API_KEY" in msg
    assert info.value.fatal is True  # type: ignore[attr-defined]
    assert len(srv.requests) == 1
    assert KEY not in info.value.record.model_dump_json()  # type: ignore[attr-defined]


def test_timeouts_are_retried(srv: FakeLLMServer) -> None:
    srv.enqueue(Reply(content=GOOD, delay=3.0))
    srv.enqueue(content=GOOD)
    value, record = ask(srv, timeout=0.8)  # room for the second answer on a loaded machine
    assert value.score == 7 and record.transport_retries == 1 and record.attempts == 1


def test_connection_refused_is_retried_then_reported() -> None:
    cfg = LLMConfig(base_url="http://127.0.0.1:9/v1", api_key=KEY, max_retries=1)
    waits = Waits()
    with pytest.raises(
        LLMError, match="cannot connect to http://127.0.0.1:9/v1 \\(after 2 tries\\)"
    ):
        asyncio.run(
            ask_json(
                make_chat_model(cfg),
                MESSAGES,
                Verdict,
                config=cfg,
                purpose="t",
                backoff=waits.backoff(),
            )
        )
    assert len(waits.seconds) == 1


@pytest.mark.parametrize(
    ("headers", "expected"),
    [
        ({"retry-after": "3"}, 3.0),
        ({"retry-after": "0.5"}, 0.5),
        ({"retry-after-ms": "250"}, 0.25),
        ({"retry-after": "soon"}, None),
        ({}, None),
    ],
)
def test_retry_after(headers: dict[str, str], expected: float | None) -> None:
    assert retry_after(SimpleNamespace(response=SimpleNamespace(headers=headers))) == expected  # type: ignore[arg-type]


def test_retry_after_as_an_http_date() -> None:
    when = format_datetime(datetime.now(UTC) + timedelta(seconds=30), usegmt=True)
    got = retry_after(SimpleNamespace(response=SimpleNamespace(headers={"retry-after": when})))  # type: ignore[arg-type]
    assert got is not None and 25 <= got <= 30


# -- the re-ask path at the seam (no HTTP) ---------------------------------------------------------


class RecordingFake(FakeMessagesListChatModel):
    """langchain-core's fake chat model, remembering what it was sent."""

    seen: list[list[BaseMessage]] = []
    kwargs: list[dict[str, Any]] = []

    def _generate(self, messages, stop=None, run_manager=None, **kwargs):  # type: ignore[no-untyped-def]
        self.seen.append(list(messages))
        self.kwargs.append(kwargs)
        return super()._generate(messages, stop, run_manager, **kwargs)


def test_reask_with_a_fake_chat_model_bad_then_good() -> None:
    model = RecordingFake(
        responses=[
            AIMessage(content='```json\n{"headline": "美联储", "score": 11}\n```'),
            AIMessage(
                content=GOOD,
                usage_metadata={"input_tokens": 10, "output_tokens": 5, "total_tokens": 15},
            ),
        ],
        seen=[],
        kwargs=[],
    )
    cfg = LLMConfig(api_key=KEY)
    value, record = asyncio.run(ask_json(model, MESSAGES, Verdict, config=cfg, purpose="seam"))
    assert value.score == 7 and record.attempts == 2
    assert record.usage.model_dump() == {
        "prompt_tokens": 10,
        "completion_tokens": 5,
        "total_tokens": 15,
    }
    second = model.seen[1]
    assert isinstance(second[-2], AIMessage) and "11" in second[-2].text
    assert "score" in second[-1].text and "less than or equal to 10" in second[-1].text
    assert model.kwargs[0]["response_format"]["type"] == "json_schema"


def test_truncated_and_empty_answers_are_reasked_at_the_seam() -> None:
    model = RecordingFake(
        responses=[
            AIMessage(content='{"headline": "美', response_metadata={"finish_reason": "length"}),
            AIMessage(content="  "),
            AIMessage(content=GOOD),
        ],
        seen=[],
        kwargs=[],
    )
    value, record = asyncio.run(
        ask_json(model, MESSAGES, Verdict, config=LLMConfig(), purpose="seam")
    )
    assert value.score == 7 and record.attempts == 3
    assert "截断" in model.seen[1][-1].text and "空" in model.seen[2][-1].text


@pytest.mark.parametrize(
    "raw",
    [
        GOOD,
        f"```json\n{GOOD}\n```",
        f"<think>先想想 {{}}</think>\n{GOOD}",
        f"好的，结果如下：\n{GOOD}\n以上。",
    ],
)
def test_parse_json_tolerates_wrappers(raw: str) -> None:
    assert parse_json(raw) == {"headline": "美联储启动购债", "score": 7}


# -- the adapter ---------------------------------------------------------------------------------


def test_openai_chat_returns_content_finish_reason_and_usage(srv: FakeLLMServer) -> None:
    srv.enqueue(content="你好", finish_reason="length")
    model = make_chat_model(config(srv))
    msg = asyncio.run(
        model.ainvoke([HumanMessage(content="hi")], response_format={"type": "json_object"})
    )
    assert isinstance(model, OpenAIChat)
    assert msg.content == "你好" and msg.response_metadata["finish_reason"] == "length"
    assert msg.usage_metadata == {"input_tokens": 1, "output_tokens": 1, "total_tokens": 2}
    assert srv.requests[0]["response_format"] == {"type": "json_object"}


def test_openai_chat_switches_to_max_completion_tokens(srv: FakeLLMServer) -> None:
    srv.enqueue(
        status=400,
        error="Unsupported parameter: 'max_tokens' is not supported with this model. Use 'max_completion_tokens' instead.",
    )
    _, record = ask(srv)
    assert "max_tokens" in srv.requests[0] and "max_tokens" not in srv.requests[1]
    assert srv.requests[1]["max_completion_tokens"] == 2000 and record.attempts == 1


def test_local_server_needs_no_key(srv: FakeLLMServer) -> None:
    cfg = LLMConfig(base_url=srv.base_url)
    value, _ = asyncio.run(
        ask_json(make_chat_model(cfg), MESSAGES, Verdict, config=cfg, purpose="t")
    )
    assert value.headline


def test_no_endpoint_configured_is_a_config_error() -> None:
    with pytest.raises(ConfigError, match="OPENAI_API_KEY"):
        make_chat_model(LLMConfig())
