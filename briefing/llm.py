"""The LLM seam: a langchain-core chat model in, validated pydantic objects out.

Around them, before anything is sent: the answer cache (an identical request is answered from
disk, CallRecord.cached) and the token budget (an attempt that could pass it is not sent) — see
llm_cache.py. The wire itself (the OpenAI adapter, reading its errors) is llm_wire.py; prompt
rendering is llm_prompts.py. Two loops, kept apart:

    ask_json ── re-ask loop (config.max_attempts) ─ invalid JSON, schema errors, finish_reason
    │           "length", an empty answer: the answer and the error go back to the model;
    │           giving up raises AnalysisError(attempts, last_raw, usage).
    └── _invoke ── transport loop (tenacity, config.max_retries) ─ 429, 408/409, 5xx, timeouts,
                   connection errors: exponential backoff with jitter, Retry-After honoured;
                   giving up raises LLMError with a one-line message (never the key).

Structured output (config.response_format): ``json_schema`` sends the pydantic model's strict
JSON schema; ``json_object`` asks for JSON mode and puts the schema in the prompt; ``prompt``
only puts it in the prompt. ``auto`` starts at json_schema and steps down when the endpoint
answers 400/422 saying the format is unsupported; a FormatMemory remembers the step for the run.

Errors raised by ask_json carry ``.record`` (the CallRecord) and ``.fatal`` (True for a
configuration problem every call would hit: HTTP 401/402/403/404, quota exhausted) as extra attributes.
"""

from __future__ import annotations

import asyncio
import hashlib
import json
import re
import time
from collections.abc import Awaitable, Callable
from dataclasses import dataclass
from typing import TYPE_CHECKING, Any, TypeVar

from pydantic import BaseModel, Field, ValidationError

from briefing.config import LLMConfig, ResponseFormat
from briefing.errors import AnalysisError, LLMError
from briefing.llm_cache import (
    DEFAULT_BASE_URL,
    AnswerCache,
    BudgetExceeded,
    TokenBudget,
    cache_key,
    cost_of,
    endpoint,
    estimate_tokens,
)
from briefing.llm_prompts import clip as _clip
from briefing.llm_prompts import fence_safe, prompts_dir, render_prompt

if TYPE_CHECKING:
    from langchain_core.language_models import BaseChatModel
    from langchain_core.messages import BaseMessage
    from tenacity import RetryCallState

__all__ = [
    "DEFAULT_BASE_URL",
    "endpoint",
    "fence_safe",
    "prompts_dir",
    "render_prompt",
]

# The wire (openai, langchain-core) is imported when a request is made, not with this module: a
# run whose answers all come from the cache never imports it (see write.preload for the rest).
_WIRE = {
    "OpenAIChat",
    "describe_failure",
    "fatal_error",
    "format_unsupported",
    "make_chat_model",
    "retry_after",
    "status_of",
    "transient",
}


def __getattr__(name: str) -> Any:
    """`briefing.llm.make_chat_model` and the other wire names, imported on first use."""
    if name in _WIRE:
        from briefing import llm_wire

        return getattr(llm_wire, name)
    raise AttributeError(f"module {__name__!r} has no attribute {name!r}")


T = TypeVar("T", bound=BaseModel)
Mode = str  # "json_schema" | "json_object" | "prompt"
MODES: tuple[Mode, ...] = ("json_schema", "json_object", "prompt")

# -- records --------------------------------------------------------------------------------


class Usage(BaseModel):
    prompt_tokens: int = 0
    completion_tokens: int = 0
    total_tokens: int = 0

    def add(self, message: BaseMessage) -> None:
        meta = getattr(message, "usage_metadata", None) or {}
        self.prompt_tokens += int(meta.get("input_tokens") or 0)
        self.completion_tokens += int(meta.get("output_tokens") or 0)
        self.total_tokens += int(meta.get("total_tokens") or 0)


class CallRecord(BaseModel):
    """One ask_json call as the run record keeps it: enough to audit it, never the key."""

    purpose: str
    model: str
    mode: str = ""  # the response format the last attempt used
    prompt_sha256: str
    attempts: int = 0  # answers received (re-asks + 1)
    transport_retries: int = 0  # 429/5xx/timeouts retried, over all attempts
    usage: Usage = Field(default_factory=Usage)
    seconds: float = 0.0
    raw: str | None = None  # the last answer as the model gave it
    error: str | None = None
    cached: bool = False  # answered from the answer cache: no request, nothing spent
    cost: float | None = None  # from llm.prices, when the model has a price


def prompt_sha256(messages: list[BaseMessage]) -> str:
    """Hash of the rendered messages (roles and text), so a run record can tell prompts apart."""
    from langchain_core.messages import convert_to_openai_messages

    return _sha256(convert_to_openai_messages(messages))


def _sha256(wire: Any) -> str:
    return hashlib.sha256(
        json.dumps(wire, ensure_ascii=False, sort_keys=True).encode("utf-8")
    ).hexdigest()


# -- structured output modes ------------------------------------------------------------------


class FormatMemory:
    """The response format that works with this endpoint; `auto` steps down once and remembers."""

    def __init__(self, configured: ResponseFormat = "auto") -> None:
        self.configured = configured
        self.mode: Mode = "json_schema" if configured == "auto" else configured

    def step_down(self, failed: Mode) -> bool:
        """After a "format unsupported" answer for `failed`: move to the next mode, if allowed."""
        if self.configured != "auto":
            return False
        if self.mode != failed:  # another concurrent call already stepped down
            return True
        i = MODES.index(failed)
        if i + 1 >= len(MODES):
            return False
        self.mode = MODES[i + 1]
        return True


_MOVE_TO_DESCRIPTION = {"minLength": "至少{}字", "maxLength": "不超过{}字"}


def _relax(node: Any) -> Any:
    """Strict schema without string-length keywords (not all endpoints accept them): they go into the description."""
    if isinstance(node, dict):
        out = {
            k: _relax(v)
            for k, v in node.items()
            if k not in _MOVE_TO_DESCRIPTION and k != "default"
        }
        notes = [tpl.format(node[k]) for k, tpl in _MOVE_TO_DESCRIPTION.items() if k in node]
        if notes:
            out["description"] = "；".join(filter(None, [node.get("description", ""), *notes]))
        return out
    if isinstance(node, list):
        return [_relax(v) for v in node]
    return node


def response_format_for(schema: type[BaseModel], mode: Mode) -> dict[str, Any] | None:
    """The `response_format` request field for a mode (None: do not send one)."""
    if mode == "json_schema":
        from openai.lib._pydantic import to_strict_json_schema

        return {
            "type": "json_schema",
            "json_schema": {
                "name": schema.__name__,
                "schema": _relax(to_strict_json_schema(schema)),
                "strict": True,
            },
        }
    if mode == "json_object":
        return {"type": "json_object"}
    return None


# -- transport retries ------------------------------------------------------------------------


@dataclass(frozen=True)
class Backoff:
    """How transport retries wait; tests pass tiny values or a recording `sleep`."""

    initial: float = 1.0
    maximum: float = 30.0
    jitter: float = 1.0
    retry_after_max: float = 60.0
    sleep: Callable[[float], Awaitable[None]] = asyncio.sleep


DEFAULT_BACKOFF = Backoff()


def _wait(backoff: Backoff) -> Callable[[RetryCallState], float]:
    from tenacity import wait_exponential_jitter

    from briefing.llm_wire import retry_after

    try:  # tenacity >= 9.1 calls the first wait `multiplier`; older versions call it `initial`
        exponential = wait_exponential_jitter(
            multiplier=backoff.initial, max=backoff.maximum, jitter=backoff.jitter
        )
    except TypeError:  # pragma: no cover - old tenacity
        exponential = wait_exponential_jitter(
            initial=backoff.initial, max=backoff.maximum, jitter=backoff.jitter
        )

    def wait(state: RetryCallState) -> float:
        asked = retry_after(state.outcome.exception() if state.outcome else None)
        if asked is not None:
            return min(asked, backoff.retry_after_max)
        return exponential(state)

    return wait


async def _invoke(
    model: BaseChatModel,
    messages: list[BaseMessage],
    kwargs: dict[str, Any],
    config: LLMConfig,
    backoff: Backoff,
    record: CallRecord,
) -> BaseMessage:
    """One answer, with transient transport failures retried; other failures propagate unchanged."""
    from tenacity import AsyncRetrying, retry_if_exception, stop_after_attempt

    from briefing.llm_wire import transient

    def count(_: RetryCallState) -> None:
        record.transport_retries += 1

    retrying = AsyncRetrying(
        stop=stop_after_attempt(config.max_retries + 1),
        wait=_wait(backoff),
        retry=retry_if_exception(transient),
        sleep=backoff.sleep,
        before_sleep=count,
        reraise=True,
    )
    async for attempt in retrying:
        with attempt:
            # a safety net for chat models without their own timeout
            return await asyncio.wait_for(
                model.ainvoke(messages, **kwargs), timeout=config.timeout + 5
            )
    raise AssertionError("unreachable")  # pragma: no cover


# -- the re-ask loop --------------------------------------------------------------------------

_THINK = re.compile(r"<think>.*?</think>", re.S | re.I)
_CODE_FENCE = re.compile(r"^```[a-zA-Z]*\s*\n?(.*?)\n?```$", re.S)


def parse_json(raw: str) -> Any:
    """The JSON object in an answer: reasoning tags and a Markdown code fence are tolerated."""
    text = _THINK.sub("", raw).strip()
    if m := _CODE_FENCE.match(text):
        text = m.group(1).strip()
    try:
        return json.loads(text)
    except json.JSONDecodeError:
        start, end = text.find("{"), text.rfind("}")
        if 0 <= start < end:
            try:
                return json.loads(text[start : end + 1])
            except json.JSONDecodeError:
                pass
        raise


def describe_validation(e: ValidationError, limit: int = 8) -> str:
    """Schema errors as `field.path: message`, without echoing the (untrusted) values."""
    parts = []
    for err in e.errors()[:limit]:
        loc = ".".join(str(x) for x in err["loc"]) or "(整个对象)"
        parts.append(f"{loc}: {err['msg']}")
    more = f"（另有 {e.error_count() - limit} 处）" if e.error_count() > limit else ""
    return "; ".join(parts) + more


def _text(message: BaseMessage) -> str:
    return message.text if isinstance(message.text, str) else str(message.content)


def _check(message: BaseMessage, schema: type[T]) -> tuple[T | None, str, str]:
    """(value, kind, error): kind is "" when the answer is good, else length|empty|json|schema."""
    raw = _text(message)
    meta = getattr(message, "response_metadata", None) or {}
    if meta.get("finish_reason") == "length":
        return None, "length", "回答因长度上限被截断（finish_reason=length），JSON 不完整"
    if not raw.strip():
        refusal = meta.get("refusal")
        return None, "empty", f"回答为空{'（拒绝：' + str(refusal)[:200] + '）' if refusal else ''}"
    return check_raw(raw, schema)


def check_raw(raw: str, schema: type[T]) -> tuple[T | None, str, str]:
    """A raw answer's JSON validated against `schema`: (value, "", "") or (None, json|schema, error)."""
    try:
        data = parse_json(raw)
    except json.JSONDecodeError as e:
        return None, "json", f"不是合法的 JSON：{e.msg}（第 {e.lineno} 行第 {e.colno} 列）"
    try:
        return schema.model_validate(data), "", ""
    except ValidationError as e:
        return None, "schema", f"JSON 不符合要求：{describe_validation(e)}"


def _with_format(
    messages: list[BaseMessage], schema: type[BaseModel], mode: Mode
) -> list[BaseMessage]:
    """For json_object/prompt modes, the schema goes at the end of the last user message."""
    if mode == "json_schema":
        return list(messages)
    from langchain_core.messages import HumanMessage

    note = render_prompt(
        "json_format.md.j2", schema=schema.model_json_schema(), name=schema.__name__, mode=mode
    )
    out = list(messages)
    for i in range(len(out) - 1, -1, -1):
        if isinstance(out[i], HumanMessage):
            out[i] = HumanMessage(content=f"{_text(out[i])}\n\n{note}")
            return out
    return [*out, HumanMessage(content=note)]


def _fail(exc: LLMError, record: CallRecord, *, fatal: bool) -> LLMError:
    record.error = str(exc)
    exc.record = record
    exc.fatal = fatal
    return exc


def _key(wire: list[dict[str, Any]], schema: type[BaseModel], model: str, config: LLMConfig) -> str:
    return cache_key(
        endpoint=endpoint(config),
        model=model,
        messages=wire,
        schema=schema.model_json_schema(),
        config=config,
    )


def cached_answer(
    cache: AnswerCache,
    wire: list[dict[str, Any]],
    schema: type[T],
    model: str,
    config: LLMConfig,
    purpose: str,
) -> tuple[T, CallRecord] | None:
    """The cached answer to exactly this request, still valid for `schema`; needs no wire import.

    `wire` is the messages as sent (`[{"role", "content"}]`); an entry the schema (or its
    validators) no longer accepts is a miss."""
    hit = cache.get(_key(wire, schema, model, config))
    if hit is None:
        return None
    value, kind, _ = check_raw(hit["raw"], schema)
    if kind:
        return None
    record = CallRecord(
        purpose=purpose,
        model=model,
        prompt_sha256=_sha256(wire),
        mode=str(hit.get("mode", "")),
        raw=hit["raw"],
        cached=True,
        cost=0.0 if model in config.prices else None,
    )
    return value, record  # type: ignore[return-value]


async def ask_json(
    model: BaseChatModel,
    messages: list[BaseMessage],
    schema: type[T],
    *,
    config: LLMConfig,
    purpose: str,
    formats: FormatMemory | None = None,
    backoff: Backoff = DEFAULT_BACKOFF,
    cache: AnswerCache | None = None,
    budget: TokenBudget | None = None,
    looked_up: bool = False,
) -> tuple[T, CallRecord]:
    """Ask until the answer validates against `schema`; see the module docstring for the two loops.

    With a `cache`, an identical earlier answer is returned without a request (record.cached) and a
    new valid answer is stored (`looked_up`: the caller already found no entry; not read again);
    with a `budget`, an attempt that could pass it is not sent.
    """
    import openai
    from langchain_core.messages import AIMessage, HumanMessage, convert_to_openai_messages

    from briefing.llm_wire import describe_failure, fatal_error, format_unsupported, status_of

    formats = formats or FormatMemory(config.response_format)
    wire = convert_to_openai_messages(messages)
    model_name = str(getattr(model, "model_name", None) or config.model)
    if cache is not None and not looked_up:
        if hit := cached_answer(cache, wire, schema, model_name, config, purpose):
            return hit
    record = CallRecord(purpose=purpose, model=model_name, prompt_sha256=_sha256(wire))
    key = None
    if cache is not None:
        key = _key(wire, schema, model_name, config)
    started = time.monotonic()
    # only the latest bad answer and its error go back, so prompts stay bounded
    repair: list[BaseMessage] = []
    try:
        while record.attempts < config.max_attempts:
            mode = formats.mode
            record.mode = mode
            request = _with_format(messages, schema, mode) + repair
            fmt = response_format_for(schema, mode)
            kwargs = {"response_format": fmt} if fmt else {}
            need = 0
            if budget is not None:
                text = json.dumps(convert_to_openai_messages(request), ensure_ascii=False)
                need = estimate_tokens(text) + config.max_tokens
                try:
                    budget.reserve(need, purpose)
                except BudgetExceeded as exc:
                    raise _fail(exc, record, fatal=False) from None
            before = record.usage.total_tokens
            try:
                answer = await _invoke(model, request, kwargs, config, backoff, record)
            except Exception as exc:
                if budget is not None:
                    budget.settle(need, None)  # it may have been charged; count the reservation
                if format_unsupported(exc) and formats.step_down(mode):
                    continue  # not an attempt: the endpoint refused the format, not the content
                known = openai.OpenAIError | TimeoutError | ConnectionError | LLMError
                if isinstance(exc, known) or status_of(exc) is not None:
                    tries = record.transport_retries + 1
                    raise _fail(
                        LLMError(describe_failure(exc, config, purpose, tries)),
                        record,
                        fatal=fatal_error(exc),
                    ) from None
                raise
            record.attempts += 1
            record.usage.add(answer)
            if budget is not None:
                budget.settle(need, record.usage.total_tokens - before)
            raw = _text(answer)
            record.raw = raw
            value, kind, error = _check(answer, schema)
            if not kind:
                if cache is not None and key is not None:
                    cache.put(key, {"raw": raw, "mode": mode, "model": record.model})
                return value, record  # type: ignore[return-value]
            record.error = error
            repair = [
                *([AIMessage(content=_clip(raw, 6000))] if kind in ("json", "schema") else []),
                HumanMessage(
                    content=render_prompt(
                        "reask.md.j2", kind=kind, error=error, max_tokens=config.max_tokens
                    )
                ),
            ]
        raise _fail(
            AnalysisError(
                f"{purpose}: no valid answer after {record.attempts} attempts ({record.error})",
                attempts=record.attempts,
                last_raw=record.raw or "",
                usage=record.usage.model_dump(),
            ),
            record,
            fatal=False,
        )
    finally:
        record.seconds = round(time.monotonic() - started, 3)
        u = record.usage
        record.cost = cost_of(record.model, u.prompt_tokens, u.completion_tokens, config)
