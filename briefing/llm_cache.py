"""What a run may spend on the model: the answer cache, the token budget and the price table.

AnswerCache: a validated answer is kept under `cache_dir/llm/KEY.json`, where KEY is the sha256 of
everything that determines the answer — endpoint (without credentials), model, the messages as
sent, the schema, the configured response format, temperature and max_tokens. Never the API key:
it is neither part of the key nor stored. An identical run therefore makes no request. Entries
older than `llm.cache_max_age_days` are misses and are deleted; when the folder grows past
`llm.cache_max_mb` the oldest go first. The cache is an optimisation: a folder that cannot be
written is logged and the run goes on (nothing is lost, the answer is in the report and record).

TokenBudget: `llm.max_tokens_per_run`. Calls run concurrently, so each attempt reserves an upper
bound (its prompt's estimated tokens + max_tokens) before it leaves and settles with the usage
the endpoint reports; an attempt whose reservation would pass the limit is not sent
(BudgetExceeded, and the writer falls back to the offline text for that event, with the reason).

cost_of: usage × the model's entry in `llm.prices` (per 1M input/output tokens), or None.
"""

from __future__ import annotations

import hashlib
import json
import logging
import re
import time
from pathlib import Path
from typing import Any
from urllib.parse import urlsplit, urlunsplit

from briefing.atomic import write_atomic
from briefing.config import LLMConfig
from briefing.errors import LLMError

log = logging.getLogger("briefing.llm")
KEY_VERSION = 1
DEFAULT_BASE_URL = "https://api.openai.com/v1"


def endpoint(config: LLMConfig) -> str:
    """The base URL without credentials or query: safe to print."""
    parts = urlsplit(config.base_url or DEFAULT_BASE_URL)
    host = parts.netloc.rpartition("@")[2]  # no credentials; a bad port or [::1] kept as written
    return urlunsplit((parts.scheme, host, parts.path, "", ""))


def cache_key(
    *,
    endpoint: str,
    model: str,
    messages: list[dict[str, Any]],
    schema: dict[str, Any],
    config: LLMConfig,
) -> str:
    """sha256 of what determines an answer; the caller passes the endpoint without credentials."""
    basis = {
        "v": KEY_VERSION,
        "endpoint": endpoint,
        "model": model,
        "messages": messages,
        "schema": schema,
        "response_format": config.response_format,
        "temperature": config.temperature,
        "max_tokens": config.max_tokens,
    }
    blob = json.dumps(basis, ensure_ascii=False, sort_keys=True, separators=(",", ":"))
    return hashlib.sha256(blob.encode("utf-8")).hexdigest()


class AnswerCache:
    """Validated answers on disk; `read=False` still stores (a rerun with an instruction always asks)."""

    def __init__(
        self,
        folder: Path,
        *,
        max_age_days: float = 30,
        max_mb: float = 50,
        read: bool = True,
    ) -> None:
        self.folder = folder
        self.max_age = max_age_days * 86400
        self.max_bytes = int(max_mb * 1024 * 1024)
        self.read = read
        self._pruned = False

    @classmethod
    def for_settings(cls, cache_dir: Path | None, config: LLMConfig, *, read: bool = True):
        """The run's cache, or None when caching is off or there is no cache folder."""
        if not config.cache or cache_dir is None:
            return None
        return cls(
            Path(cache_dir) / "llm",
            max_age_days=config.cache_max_age_days,
            max_mb=config.cache_max_mb,
            read=read,
        )

    def _path(self, key: str) -> Path:
        return self.folder / f"{key}.json"

    def get(self, key: str) -> dict[str, Any] | None:
        """The stored entry (raw answer, mode, usage), or None: missing, expired, unreadable, reads off."""
        if not self.read:
            return None
        path = self._path(key)
        try:
            if time.time() - path.stat().st_mtime > self.max_age:
                path.unlink(missing_ok=True)
                return None
            entry = json.loads(path.read_text(encoding="utf-8"))
        except (OSError, ValueError):
            return None
        return entry if isinstance(entry, dict) and isinstance(entry.get("raw"), str) else None

    def put(self, key: str, entry: dict[str, Any]) -> None:
        """Store atomically (temp file, then rename); a folder that cannot be written is only logged."""
        try:
            write_atomic(self._path(key), json.dumps(entry, ensure_ascii=False), sync=False)
            if not self._pruned:
                self._pruned = True
                self.prune()
        except OSError as exc:
            log.warning("answer cache not written (%s): %s", self.folder, exc.strerror or exc)

    def prune(self) -> None:
        """Drop expired entries, then the oldest until the folder is under the size bound."""
        now = time.time()
        entries = []
        for path in self.folder.glob("*.json"):
            try:
                st = path.stat()
            except OSError:
                continue
            if now - st.st_mtime > self.max_age:
                path.unlink(missing_ok=True)
            else:
                entries.append((st.st_mtime, st.st_size, path))
        total = sum(size for _, size, _ in entries)
        for _, size, path in sorted(entries):
            if total <= self.max_bytes:
                break
            path.unlink(missing_ok=True)
            total -= size


# -- the token budget -----------------------------------------------------------------------------


class BudgetExceeded(LLMError):
    """An attempt was not sent: it could pass `llm.max_tokens_per_run` (not fatal: that event falls back)."""


_CJK = re.compile(r"[\u3000-\u9fff\uff00-\uffef]")


def estimate_tokens(text: str) -> int:
    """A generous guess without a tokenizer: one token per CJK character, one per 3 other characters."""
    cjk = len(_CJK.findall(text))
    return cjk + (len(text) - cjk) // 3 + 1


class TokenBudget:
    """Tokens spent and in flight over a run, against `llm.max_tokens_per_run` (None: no limit)."""

    def __init__(self, limit: int | None) -> None:
        self.limit = limit
        self.spent = 0
        self.in_flight = 0

    def reserve(self, tokens: int, purpose: str) -> None:
        """Hold `tokens` for an attempt about to leave, or raise BudgetExceeded without sending it."""
        if self.limit is not None and self.spent + self.in_flight + tokens > self.limit:
            raise BudgetExceeded(
                f"{purpose}: token budget reached (llm.max_tokens_per_run={self.limit}: "
                f"{self.spent} spent, {self.in_flight} in flight, this call needs up to {tokens})"
            )
        self.in_flight += tokens

    def settle(self, reserved: int, used: int | None) -> None:
        """Replace a reservation with what the endpoint reported (the reservation when it reported nothing)."""
        self.in_flight -= reserved
        self.spent += used or reserved


def cost_of(
    model: str, prompt_tokens: int, completion_tokens: int, config: LLMConfig
) -> float | None:
    """The call's cost from `llm.prices` (per 1M tokens), or None when the model has no price."""
    price = config.prices.get(model)
    if price is None:
        return None
    return round((prompt_tokens * price.input + completion_tokens * price.output) / 1_000_000, 8)
