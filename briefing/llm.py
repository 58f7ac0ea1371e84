"""The LLM seam: a langchain-core chat model in, validated pydantic objects out.

Two loops, kept apart:

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
import email.utils
import hashlib
import json
import re
import time
from collections.abc import Awaitable, Callable
from dataclasses import dataclass
from datetime import UTC, datetime
from functools import lru_cache
from pathlib import Path
from typing import Any, TypeVar
from urllib.parse import urlsplit, urlunsplit

import openai
from jinja2 import FileSystemLoader, StrictUndefined, Undefined
from jinja2.sandbox import SandboxedEnvironment
from langchain_core.callbacks import AsyncCallbackManagerForLLMRun, CallbackManagerForLLMRun
from langchain_core.language_models import BaseChatModel
from langchain_core.messages import AIMessage, BaseMessage, HumanMessage, convert_to_openai_messages
from langchain_core.outputs import ChatGeneration, ChatResult
from openai.lib._pydantic import to_strict_json_schema
from pydantic import BaseModel, ConfigDict, Field, PrivateAttr, SecretStr, ValidationError
from tenacity import (
    AsyncRetrying,
    RetryCallState,
    retry_if_exception,
    stop_after_attempt,
    wait_exponential_jitter,
)

from briefing.config import LLMConfig, ResponseFormat
from briefing.errors import AnalysisError, ConfigError, LLMError

T = TypeVar("T", bound=BaseModel)
Mode = str  # "json_schema" | "json_object" | "prompt"
MODES: tuple[Mode, ...] = ("json_schema", "json_object", "prompt")
DEFAULT_BASE_URL = "https://api.openai.com/v1"

# -- prompts --------------------------------------------------------------------------------


def prompts_dir() -> Path:
    """`briefing/prompts` in an installed wheel (force-included there), else the repo's `prompts/`."""
    inside = Path(__file__).parent / "prompts"
    return inside if inside.is_dir() else Path(__file__).parent.parent / "prompts"


FENCE_OPEN, FENCE_CLOSE = "<<<", ">>>"


def fence_safe(value: object) -> str:
    """Feed text that cannot open or close a `<<<NAME … NAME>>>` data fence."""
    return str(value).replace(FENCE_OPEN, "‹‹‹").replace(FENCE_CLOSE, "›››")


def _clip(value: object, limit: int = 1200) -> str:
    text = str(value)
    return text if len(text) <= limit else text[:limit].rstrip() + "……（截断）"


def _tojson(value: object, indent: int = 2) -> str:
    if isinstance(value, Undefined):
        value._fail_with_undefined_error()
    return json.dumps(value, ensure_ascii=False, indent=indent)


@lru_cache(maxsize=4)
def _environment(folder: str) -> SandboxedEnvironment:
    env = SandboxedEnvironment(
        loader=FileSystemLoader(folder),
        undefined=StrictUndefined,
        autoescape=False,
        trim_blocks=True,
        lstrip_blocks=True,
        keep_trailing_newline=False,
    )
    env.filters["data"] = fence_safe
    env.filters["clip"] = _clip
    env.filters["tojson_cn"] = _tojson
    return env


def render_prompt(name: str, /, **context: Any) -> str:
    """Render `prompts/<name>` (sandboxed, StrictUndefined: a missing variable is an error)."""
    return _environment(str(prompts_dir())).get_template(name).render(**context).strip()


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


def prompt_sha256(messages: list[BaseMessage]) -> str:
    """Hash of the rendered messages (roles and text), so a run record can tell prompts apart."""
    wire = convert_to_openai_messages(messages)
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


_FORMAT_WORDS = re.compile(
    r"response_format|json_schema|json_object|json[ _]?(output|mode)|structured[ _]output", re.I
)
_UNSUPPORTED_WORDS = re.compile(
    r"not supported|unsupported|unavailable|does not support|doesn't support|not available|invalid|unknown"
    r"|not allowed|not permitted|unrecognized|must be one of|not implemented",
    re.I,
)


def _status(exc: BaseException) -> int | None:
    status = getattr(exc, "status_code", None)
    return status if isinstance(status, int) else None


def _error_text(exc: BaseException) -> str:
    body = getattr(exc, "body", None)
    if isinstance(body, dict):
        inner = body.get("error", body)
        msg = inner.get("message") if isinstance(inner, dict) else inner
        if msg:
            return str(msg)
    return str(getattr(exc, "message", None) or exc)


def format_unsupported(exc: BaseException) -> bool:
    """A 400/422 that says the response format is not supported (DeepSeek, older vLLM, llama.cpp …)."""
    if _status(exc) not in (400, 422):
        return False
    text = _error_text(exc)
    return bool(_FORMAT_WORDS.search(text) and _UNSUPPORTED_WORDS.search(text))


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


def transient(exc: BaseException) -> bool:
    """Worth retrying the same request: rate limits, server errors, timeouts, dropped connections."""
    if isinstance(exc, openai.APIConnectionError | TimeoutError | ConnectionError):
        return True
    status = _status(exc)
    if status is None:
        return False
    if status == 429:
        return not fatal_error(exc)
    return status in (408, 409) or status >= 500


def fatal_error(exc: BaseException) -> bool:
    """A configuration problem every call would hit the same way: bad key, no access, no such model, no quota."""
    status = _status(exc)
    if status in (401, 402, 403, 404):
        return True
    body = getattr(exc, "body", None)
    inner = body.get("error", body) if isinstance(body, dict) else None
    return status == 429 and isinstance(inner, dict) and inner.get("code") == "insufficient_quota"


def retry_after(exc: BaseException | None) -> float | None:
    """Seconds the server asked us to wait: `retry-after-ms`, `Retry-After` (seconds or an HTTP date)."""
    headers = getattr(getattr(exc, "response", None), "headers", None)
    if headers is None:
        return None
    try:
        if (ms := headers.get("retry-after-ms")) is not None:
            return max(0.0, float(ms) / 1000)
        value = headers.get("retry-after")
        if value is None:
            return None
        try:
            return max(0.0, float(value))
        except ValueError:
            when = email.utils.parsedate_to_datetime(value)
            return max(0.0, (when - datetime.now(UTC)).total_seconds())
    except (TypeError, ValueError, IndexError):
        return None


def _wait(backoff: Backoff) -> Callable[[RetryCallState], float]:
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


_SECRETS = re.compile(r"(sk-|key-|Bearer\s+)[A-Za-z0-9_\-\.\*]{4,}")


def _redact(text: str, config: LLMConfig) -> str:
    if config.api_key is not None and (key := config.api_key.get_secret_value()):
        text = text.replace(key, "***")
    return _SECRETS.sub(lambda m: m.group(1) + "***", text)


def endpoint(config: LLMConfig) -> str:
    """The base URL without credentials or query: safe to print."""
    parts = urlsplit(config.base_url or DEFAULT_BASE_URL)
    host = (parts.hostname or "") + (f":{parts.port}" if parts.port else "")
    return urlunsplit((parts.scheme, host, parts.path, "", ""))


def describe_failure(exc: BaseException, config: LLMConfig, purpose: str, tries: int) -> str:
    """One line for the person running the job: what failed, where, how often we tried."""
    where = endpoint(config)
    after = f" (after {tries} tries)" if tries > 1 else ""
    if isinstance(exc, openai.APITimeoutError | TimeoutError):
        line = f"{purpose}: no answer from {where} within {config.timeout:g}s{after}"
    elif isinstance(exc, openai.APIConnectionError | ConnectionError):
        line = f"{purpose}: cannot connect to {where}{after}"
    elif (status := _status(exc)) is not None:
        detail = " ".join(_error_text(exc).split())[:200]
        hint = ""
        if status in (401, 403):
            hint = " — check OPENAI_API_KEY"
        elif status == 404:
            hint = " — check BRIEFING_MODEL and OPENAI_BASE_URL"
        elif format_unsupported(exc):
            hint = " — set BRIEFING_RESPONSE_FORMAT=json_object or prompt"
        line = f"{purpose}: HTTP {status} from {where}: {detail}{after}{hint}"
    else:
        line = f"{purpose}: {type(exc).__name__}: {' '.join(str(exc).split())[:200]}{after}"
    return _redact(line, config)


async def _invoke(
    model: BaseChatModel,
    messages: list[BaseMessage],
    kwargs: dict[str, Any],
    config: LLMConfig,
    backoff: Backoff,
    record: CallRecord,
) -> BaseMessage:
    """One answer, with transient transport failures retried; other failures propagate unchanged."""

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


async def ask_json(
    model: BaseChatModel,
    messages: list[BaseMessage],
    schema: type[T],
    *,
    config: LLMConfig,
    purpose: str,
    formats: FormatMemory | None = None,
    backoff: Backoff = DEFAULT_BACKOFF,
) -> tuple[T, CallRecord]:
    """Ask until the answer validates against `schema`; see the module docstring for the two loops."""
    formats = formats or FormatMemory(config.response_format)
    record = CallRecord(
        purpose=purpose,
        model=str(getattr(model, "model_name", None) or config.model),
        prompt_sha256=prompt_sha256(messages),
    )
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
            try:
                answer = await _invoke(model, request, kwargs, config, backoff, record)
            except Exception as exc:
                if format_unsupported(exc) and formats.step_down(mode):
                    continue  # not an attempt: the endpoint refused the format, not the content
                known = openai.OpenAIError | TimeoutError | ConnectionError | LLMError
                if isinstance(exc, known) or _status(exc) is not None:
                    tries = record.transport_retries + 1
                    raise _fail(
                        LLMError(describe_failure(exc, config, purpose, tries)),
                        record,
                        fatal=fatal_error(exc),
                    ) from None
                raise
            record.attempts += 1
            record.usage.add(answer)
            raw = _text(answer)
            record.raw = raw
            value, kind, error = _check(answer, schema)
            if not kind:
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


# -- the OpenAI-compatible adapter ---------------------------------------------------------------


class OpenAIChat(BaseChatModel):
    """A small langchain-core chat model over the official AsyncOpenAI client.

    `response_format` passed to invoke/ainvoke goes to the request as it is. The SDK's own retries
    are off (ask_json retries with tenacity). `max_tokens` becomes `max_completion_tokens`, and
    `temperature` is dropped, once an endpoint says it wants that (newer OpenAI reasoning models).
    """

    model_config = ConfigDict(populate_by_name=True)

    model_name: str = Field(default="gpt-4o-mini", alias="model")
    base_url: str | None = None
    api_key: SecretStr | None = None
    timeout: float = 120.0
    temperature: float | None = 0.3
    max_tokens: int | None = 2000

    _token_param: str = PrivateAttr(default="max_tokens")
    _send_temperature: bool = PrivateAttr(default=True)

    @property
    def _llm_type(self) -> str:
        return "briefing-openai"

    @property
    def _identifying_params(self) -> dict[str, Any]:
        return {"model_name": self.model_name, "base_url": self.base_url}

    def _client(self) -> openai.AsyncOpenAI:
        """A client per request, closed after it: no connection pool outlives its event loop
        (a TLS handshake is noise next to an LLM answer)."""
        key = self.api_key.get_secret_value() if self.api_key else ""
        return openai.AsyncOpenAI(
            api_key=key or "not-needed",  # local servers (Ollama, vLLM, llama.cpp) take any key
            base_url=self.base_url or DEFAULT_BASE_URL,
            timeout=self.timeout,
            max_retries=0,
        )

    def _params(
        self, messages: list[BaseMessage], stop: list[str] | None, kwargs: dict[str, Any]
    ) -> dict[str, Any]:
        params: dict[str, Any] = {
            "model": self.model_name,
            "messages": convert_to_openai_messages(messages),
        }
        if self.temperature is not None and self._send_temperature:
            params["temperature"] = self.temperature
        if self.max_tokens is not None:
            params[self._token_param] = self.max_tokens
        if stop:
            params["stop"] = stop
        if kwargs.get("response_format") is not None:
            params["response_format"] = kwargs["response_format"]
        return params

    def _adapt(self, exc: openai.BadRequestError) -> bool:
        """Learn from a 400 about a parameter this model does not take; True when worth resending."""
        text = _error_text(exc)
        if "max_completion_tokens" in text and self._token_param == "max_tokens":
            self._token_param = "max_completion_tokens"
            return True
        if "temperature" in text and self._send_temperature and _UNSUPPORTED_WORDS.search(text):
            self._send_temperature = False
            return True
        return False

    async def _agenerate(
        self,
        messages: list[BaseMessage],
        stop: list[str] | None = None,
        run_manager: AsyncCallbackManagerForLLMRun | None = None,
        **kwargs: Any,
    ) -> ChatResult:
        for _ in range(3):
            try:
                async with self._client() as client:
                    params = self._params(messages, stop, kwargs)
                    completion = await client.chat.completions.create(**params)
                break
            except openai.BadRequestError as exc:
                if not self._adapt(exc):
                    raise
        else:  # pragma: no cover - _adapt changes at most two things
            raise LLMError("the endpoint keeps refusing the request parameters")
        usage = completion.usage
        usage_metadata = None
        if usage is not None:
            usage_metadata = {
                "input_tokens": usage.prompt_tokens or 0,
                "output_tokens": usage.completion_tokens or 0,
                "total_tokens": usage.total_tokens or 0,
            }
        choice = completion.choices[0] if completion.choices else None  # no choice: an empty answer
        finish = choice.finish_reason if choice else None
        metadata: dict[str, Any] = {"finish_reason": finish, "model_name": completion.model}
        if choice and getattr(choice.message, "refusal", None):
            metadata["refusal"] = choice.message.refusal
        message = AIMessage(
            content=(choice.message.content if choice else None) or "",
            response_metadata=metadata,
            usage_metadata=usage_metadata,
        )
        return ChatResult(
            generations=[
                ChatGeneration(message=message, generation_info={"finish_reason": finish})
            ],
            llm_output={"model_name": completion.model},
        )

    def _generate(
        self,
        messages: list[BaseMessage],
        stop: list[str] | None = None,
        run_manager: CallbackManagerForLLMRun | None = None,
        **kwargs: Any,
    ) -> ChatResult:
        """Sync use (outside an event loop) runs the async path."""
        return asyncio.run(self._agenerate(messages, stop, **kwargs))


def make_chat_model(config: LLMConfig) -> BaseChatModel:
    """The default chat model for the configured OpenAI-compatible endpoint."""
    if not config.configured:
        raise ConfigError(
            "no LLM configured: set OPENAI_API_KEY (and OPENAI_BASE_URL for other providers)"
        )
    return OpenAIChat(
        model=config.model,
        base_url=config.base_url,
        api_key=config.api_key,
        timeout=config.timeout,
        temperature=config.temperature,
        max_tokens=config.max_tokens,
    )
