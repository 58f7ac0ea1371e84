"""The wire: the OpenAI-compatible chat model behind the seam, and how its failures are read.

    OpenAIChat ── a langchain-core chat model over the official AsyncOpenAI client (SDK retries off)
    transient()        429 (not quota), 408/409, 5xx, timeouts, dropped connections: retry the request
    fatal_error()      401/402/403/404 or quota exhausted: every call would fail alike, stop the run
    format_unsupported()  a 400/422 refusing the response format: step down to the next mode
    describe_failure()    one line for the person running the job, never the key

Nothing here connects at import time; a client is made per request and closed after it.
"""

from __future__ import annotations

import asyncio
import re
import ssl
from functools import lru_cache
from typing import Any

import openai
from langchain_core.callbacks import AsyncCallbackManagerForLLMRun, CallbackManagerForLLMRun
from langchain_core.language_models import BaseChatModel
from langchain_core.messages import AIMessage, BaseMessage, convert_to_openai_messages
from langchain_core.outputs import ChatGeneration, ChatResult
from pydantic import ConfigDict, Field, PrivateAttr, SecretStr

from briefing.config import LLMConfig
from briefing.errors import ConfigError, LLMError
from briefing.fetch import parse_retry_after
from briefing.llm_cache import DEFAULT_BASE_URL, endpoint

_FORMAT_WORDS = re.compile(
    r"response_format|json_schema|json_object|json[ _]?(output|mode)|structured[ _]output", re.I
)
_UNSUPPORTED_WORDS = re.compile(
    r"not supported|unsupported|unavailable|does not support|doesn't support|not available|invalid|unknown"
    r"|not allowed|not permitted|unrecognized|must be one of|not implemented",
    re.I,
)


def status_of(exc: BaseException) -> int | None:
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
    if status_of(exc) not in (400, 422):
        return False
    text = _error_text(exc)
    return bool(_FORMAT_WORDS.search(text) and _UNSUPPORTED_WORDS.search(text))


def transient(exc: BaseException) -> bool:
    """Worth retrying the same request: rate limits, server errors, timeouts, dropped connections."""
    if isinstance(exc, openai.APIConnectionError | TimeoutError | ConnectionError):
        return True
    status = status_of(exc)
    if status is None:
        return False
    if status == 429:
        return not fatal_error(exc)
    return status in (408, 409) or status >= 500


def fatal_error(exc: BaseException) -> bool:
    """A configuration problem every call would hit the same way: bad key, no access, no such model, no quota."""
    status = status_of(exc)
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
    except (TypeError, ValueError):
        pass
    return parse_retry_after(headers.get("retry-after"))  # as the feeds' fetcher reads it


_SECRETS = re.compile(r"(sk-|key-|Bearer\s+)[A-Za-z0-9_\-\.\*]{4,}")


def _redact(text: str, config: LLMConfig) -> str:
    if config.api_key is not None and (key := config.api_key.get_secret_value()):
        text = text.replace(key, "***")
    return _SECRETS.sub(lambda m: m.group(1) + "***", text)


def describe_failure(exc: BaseException, config: LLMConfig, purpose: str, tries: int) -> str:
    """One line for the person running the job: what failed, where, how often we tried."""
    where = endpoint(config)
    after = f" (after {tries} tries)" if tries > 1 else ""
    if isinstance(exc, openai.APITimeoutError | TimeoutError):
        line = f"{purpose}: no answer from {where} within {config.timeout:g}s{after}"
    elif isinstance(exc, openai.APIConnectionError | ConnectionError):
        line = f"{purpose}: cannot connect to {where}{after}"
    elif (status := status_of(exc)) is not None:
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
        (a TLS handshake is noise next to an LLM answer). The certificate store is loaded once
        per process (shared_ssl_context), not per client: loading it costs ~75 ms of CPU."""
        key = self.api_key.get_secret_value() if self.api_key else ""
        return openai.AsyncOpenAI(
            api_key=key or "not-needed",  # local servers (Ollama, vLLM, llama.cpp) take any key
            base_url=self.base_url or DEFAULT_BASE_URL,
            timeout=self.timeout,
            max_retries=0,
            http_client=openai.DefaultAsyncHttpxClient(
                verify=shared_ssl_context(), timeout=self.timeout
            ),
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


@lru_cache(maxsize=1)
def shared_ssl_context() -> ssl.SSLContext:
    """The system's default verifying TLS context (honours SSL_CERT_FILE/SSL_CERT_DIR), made once."""
    return ssl.create_default_context()


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
