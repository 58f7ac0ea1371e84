"""collect: every enabled feed fetched concurrently and normalised to `Item`; a failing feed is an error entry.

Each remote feed gets one budget, `DEADLINE_FACTOR` × its timeout, that covers every attempt and
every wait between them, so a run over hanging or failing feeds still ends on time. Transient
failures (connection errors, 408/425/429, 5xx) are retried with jittered exponential backoff or
the server's Retry-After (capped at the timeout); a read timeout is not retried. ETag and
Last-Modified are kept per URL under `cache_dir/http` for conditional GET.

What a failed feed says (one line, never a URL or a secret):

    HTTP 404 · HTTP 503 · timed out after 10s · connection refused · cannot resolve host
    not a feed (text/html) · broken XML: <parser message> · empty response · file not found: PATH
"""

from __future__ import annotations

import asyncio
import hashlib
import io
import json
import logging
import os
import re
import socket
import tempfile
import time
from collections.abc import Callable, Iterator, Mapping
from dataclasses import dataclass, field
from datetime import UTC, datetime, tzinfo
from email.utils import parsedate_to_datetime
from pathlib import Path
from typing import Any
from urllib.parse import urlsplit

import feedparser
import httpx
from tenacity import AsyncRetrying, RetryCallState, retry_if_exception, stop_after_attempt
from tenacity.stop import stop_base
from tenacity.wait import wait_base, wait_random_exponential

from briefing.config import FeedConfig, Settings
from briefing.models import CollectResult, FeedError, FeedStatus, Item
from briefing.sanitize import html_to_text, one_line
from briefing.secrets import redact_url

log = logging.getLogger(__name__)

DEADLINE_FACTOR = 2.0  # a feed's whole budget, attempts and waits included, in units of its timeout
MAX_BYTES = 16 * 1024 * 1024  # a feed larger than this is not a feed
TRANSIENT_STATUS = frozenset({408, 425, 429, *range(500, 600)})

OnFeed = Callable[[FeedStatus], None]


class FeedFailure(Exception):
    """One feed could not be read; the message is the one-line error shown to people."""


class HTTPStatusFailure(FeedFailure):
    def __init__(self, status: int, retry_after: float | None = None) -> None:
        super().__init__(f"HTTP {status}")
        self.status = status
        self.retry_after = retry_after


# ---------------------------------------------------------------- public entry points


def collect(settings: Settings, *, on_feed: OnFeed | None = None) -> CollectResult:
    """Blocking wrapper for the CLI: one event loop per run."""
    return asyncio.run(collect_async(settings, on_feed=on_feed))


async def collect_async(settings: Settings, *, on_feed: OnFeed | None = None) -> CollectResult:
    """Fetch and parse every enabled feed at once; results keep the order of feeds.yaml."""
    feeds = settings.enabled_feeds
    limit = settings.collect.concurrency
    gate = asyncio.Semaphore(limit)
    cache = _HTTPCache(settings.cache_dir)
    client = httpx.AsyncClient(
        headers={"User-Agent": settings.collect.user_agent},
        follow_redirects=True,
        limits=httpx.Limits(max_connections=limit, max_keepalive_connections=limit),
        timeout=settings.collect.timeout,
    )

    async def one(feed: FeedConfig) -> tuple[FeedStatus, list[Item]]:
        async with gate:
            status, items = await _collect_feed(feed, settings, client, cache)
        if on_feed is not None:
            on_feed(status)
        return status, items

    async with client:
        tasks = [asyncio.ensure_future(one(f)) for f in feeds]
        try:
            results = await asyncio.gather(*tasks)
        except BaseException:
            for t in tasks:
                t.cancel()
            await asyncio.gather(*tasks, return_exceptions=True)
            raise

    out = CollectResult()
    for status, items in results:
        out.feeds.append(status)
        out.items.extend(items)
        if not status.ok:
            out.errors.append(FeedError(feed=status.feed, error=status.error or "failed"))
    return out


def parse_feed(
    data: bytes, *, source: str, tz: tzinfo, headers: Mapping[str, str] | None = None
) -> list[Item]:
    """Feed bytes → items, honouring the encoding the headers or the XML declare; raises FeedFailure."""
    if not data.strip():
        raise FeedFailure("empty response")
    hdrs = {k.lower(): v for k, v in (headers or {}).items()}
    # A BytesIO, never bare bytes: feedparser would try bytes as a file name first.
    parsed = feedparser.parse(io.BytesIO(data), response_headers=hdrs)
    if not parsed.entries:
        mime = hdrs.get("content-type", "").split(";")[0].strip().lower()
        if mime in ("text/html", "application/xhtml+xml") or _looks_like_html(data):
            raise FeedFailure(f"not a feed ({mime or 'HTML page'})")
        if not _looks_like_xml(data):
            raise FeedFailure(f"not a feed ({mime or 'not XML'})")
        if parsed.get("bozo") and not isinstance(
            parsed.get("bozo_exception"), feedparser.CharacterEncodingOverride
        ):
            raise FeedFailure(f"broken XML: {_one_line_error(parsed.get('bozo_exception'))}")
        if not parsed.get("version"):
            raise FeedFailure(f"not a feed ({mime or 'unknown format'})")
    items = []
    for entry in parsed.entries:
        item = _to_item(entry, source, tz)
        if item is not None:
            items.append(item)
    return items


def parse_retry_after(value: str | None, *, now: datetime | None = None) -> float | None:
    """Retry-After as seconds from now (delta-seconds or an HTTP date); None when absent or unreadable."""
    if not value or not value.strip():
        return None
    value = value.strip()
    if value.isdigit():
        return float(value)
    try:
        when = parsedate_to_datetime(value)
    except (TypeError, ValueError, IndexError):
        return None
    if when.tzinfo is None:
        when = when.replace(tzinfo=UTC)
    return max(0.0, (when - (now or datetime.now(UTC))).total_seconds())


# ---------------------------------------------------------------- one feed


async def _collect_feed(
    feed: FeedConfig, settings: Settings, client: httpx.AsyncClient, cache: _HTTPCache
) -> tuple[FeedStatus, list[Item]]:
    started = time.monotonic()
    location = settings.feed_location(feed)
    shown = str(location) if isinstance(location, Path) else redact_url(location)
    timeout = feed.timeout or settings.collect.timeout
    body: _Body | None = None
    try:
        if isinstance(location, Path):
            body = _Body(await asyncio.to_thread(_read_file, location))
        else:
            body = await _fetch(client, cache, location, timeout, settings.collect.retries)
        items = await asyncio.to_thread(
            parse_feed, body.data, source=feed.name, tz=settings.tz, headers=body.headers
        )
        if isinstance(location, str) and not body.not_modified:
            cache.store(location, body)
    except Exception as exc:  # a feed's failure is data, never the run's failure
        error = _describe(exc)
        if not isinstance(exc, (FeedFailure, httpx.HTTPError, OSError, TimeoutError)):
            log.warning(
                "feed %s (%s): unexpected %s", feed.name, shown, type(exc).__name__, exc_info=True
            )
        log.info("feed %s (%s) failed: %s", feed.name, shown, error)
        status = FeedStatus(
            feed=feed.name, url=shown, ok=False, error=error, seconds=_since(started)
        )
        return status, []
    status = FeedStatus(
        feed=feed.name,
        url=shown,
        ok=True,
        items=len(items),
        not_modified=body.not_modified,
        seconds=_since(started),
    )
    return status, items


def _read_file(path: Path) -> bytes:
    try:
        return path.read_bytes()
    except FileNotFoundError:
        raise FeedFailure(f"file not found: {path}") from None
    except IsADirectoryError:
        raise FeedFailure(f"not a file: {path}") from None
    except PermissionError:
        raise FeedFailure(f"permission denied: {path}") from None
    except OSError as e:
        raise FeedFailure(f"cannot read {path}: {e.strerror or type(e).__name__}") from None


@dataclass
class _Body:
    """A response as feedparser needs it (content-type, content-location) plus its validators."""

    data: bytes
    headers: dict[str, str] = field(default_factory=dict)
    etag: str | None = None
    last_modified: str | None = None
    not_modified: bool = False


async def _fetch(
    client: httpx.AsyncClient, cache: _HTTPCache, url: str, timeout: float, retries: int
) -> _Body:
    """GET with retries inside one deadline; a 304 gives back the cached body."""
    deadline = time.monotonic() + DEADLINE_FACTOR * timeout
    cached = cache.load(url)
    conditional = {}
    if cached is not None:
        if cached.etag:
            conditional["If-None-Match"] = cached.etag
        if cached.last_modified:
            conditional["If-Modified-Since"] = cached.last_modified

    async def attempt() -> _Body:
        budget = min(timeout, deadline - time.monotonic())
        if budget <= 0:
            raise _Timeout(timeout)
        try:
            async with asyncio.timeout(budget):
                return await _get(client, url, conditional, budget)
        except (TimeoutError, httpx.TimeoutException) as e:
            raise _Timeout(budget, connect=isinstance(e, httpx.ConnectTimeout)) from None

    retrying = AsyncRetrying(
        stop=stop_after_attempt(retries + 1) | _StopAtDeadline(deadline),
        wait=_Wait(timeout),
        retry=retry_if_exception(_is_transient),
        reraise=True,
    )
    body = await retrying(attempt)
    if body.not_modified:
        if cached is None:
            raise FeedFailure("HTTP 304 without a cached copy")
        body.data, body.headers = cached.data, cached.headers
    return body


async def _get(
    client: httpx.AsyncClient, url: str, conditional: dict[str, str], budget: float
) -> _Body:
    async with client.stream("GET", url, headers=conditional, timeout=budget) as resp:
        if resp.status_code == 304 and conditional:
            return _Body(b"", not_modified=True)
        if not 200 <= resp.status_code < 300:
            raise HTTPStatusFailure(
                resp.status_code, parse_retry_after(resp.headers.get("retry-after"))
            )
        chunks, size = [], 0
        async for chunk in resp.aiter_bytes():
            size += len(chunk)
            if size > MAX_BYTES:
                raise FeedFailure(f"response larger than {MAX_BYTES // 2**20} MiB")
            chunks.append(chunk)
        headers = {"content-location": resp.headers.get("content-location") or str(resp.url)}
        for name in ("content-type", "content-language"):
            if name in resp.headers:
                headers[name] = resp.headers[name]
        return _Body(
            b"".join(chunks),
            headers,
            etag=resp.headers.get("etag"),
            last_modified=resp.headers.get("last-modified"),
        )


class _Timeout(FeedFailure):
    def __init__(self, seconds: float, *, connect: bool = False) -> None:
        super().__init__(f"timed out after {round(seconds, 1):g}s")
        self.connect = connect


def _is_transient(exc: BaseException) -> bool:
    if isinstance(exc, HTTPStatusFailure):
        return exc.status in TRANSIENT_STATUS
    if isinstance(exc, _Timeout):
        return exc.connect  # a server that accepted and then hangs will hang again
    return isinstance(exc, (httpx.ConnectError, httpx.RemoteProtocolError, httpx.ReadError))


class _Wait(wait_base):
    """Full-jitter exponential backoff scaled to the timeout, or the server's Retry-After, capped."""

    def __init__(self, timeout: float) -> None:
        self.cap = timeout
        self.backoff = wait_random_exponential(multiplier=timeout / 10, max=timeout)

    def __call__(self, retry_state: RetryCallState) -> float:
        exc = retry_state.outcome.exception() if retry_state.outcome else None
        retry_after = getattr(exc, "retry_after", None)
        if retry_after is not None:
            return min(retry_after, self.cap)
        return self.backoff(retry_state)


class _StopAtDeadline(stop_base):
    """Give up when the next wait would run past the feed's deadline."""

    def __init__(self, deadline: float) -> None:
        self.deadline = deadline

    def __call__(self, retry_state: RetryCallState) -> bool:
        return time.monotonic() + (retry_state.upcoming_sleep or 0) >= self.deadline


# ---------------------------------------------------------------- errors as one line

_URL = re.compile(r"\b[a-z][a-z0-9+.-]*://\S+", re.IGNORECASE)
_RESOLVE = (
    "name or service",
    "nodename",
    "getaddrinfo",
    "name resolution",
    "no address associated",
)


def _describe(exc: BaseException) -> str:
    """One human line for a failure; URLs scrubbed so a token in a feed URL never shows."""
    if isinstance(exc, FeedFailure):
        text = str(exc)
    elif isinstance(exc, (TimeoutError, httpx.TimeoutException)):
        text = "timed out"
    elif isinstance(exc, httpx.TooManyRedirects):
        text = "too many redirects"
    elif isinstance(exc, (httpx.UnsupportedProtocol, httpx.InvalidURL)):
        text = "invalid URL"
    elif isinstance(exc, httpx.ConnectError):
        chain = list(_chain(exc))
        low = " ".join(str(e) for e in chain).lower()
        if any(isinstance(e, ConnectionRefusedError) for e in chain) or "refused" in low:
            text = "connection refused"
        elif any(isinstance(e, socket.gaierror) for e in chain) or any(s in low for s in _RESOLVE):
            text = "cannot resolve host"
        elif "ssl" in low or "certificate" in low:
            text = f"TLS error: {_one_line_error(exc)}"
        else:
            text = f"connection failed: {_one_line_error(exc)}"
    elif isinstance(exc, httpx.RemoteProtocolError):
        text = "server closed the connection"
    elif isinstance(exc, httpx.DecodingError):
        text = "could not decode the response body"
    elif isinstance(exc, httpx.HTTPError):
        text = f"{type(exc).__name__}: {_one_line_error(exc)}"
    elif isinstance(exc, OSError):
        text = f"I/O error: {exc.strerror or type(exc).__name__}"
    else:
        text = f"unexpected error: {type(exc).__name__}"
    return _URL.sub("<url>", one_line(text))[:300]


def _chain(exc: BaseException) -> Iterator[BaseException]:
    """An exception and its causes: httpx hides ConnectionRefusedError two levels down."""
    seen: set[int] = set()
    cur: BaseException | None = exc
    while cur is not None and id(cur) not in seen:
        seen.add(id(cur))
        yield cur
        cur = cur.__cause__ or cur.__context__


def _one_line_error(exc: object) -> str:
    text = one_line(str(exc)) if exc is not None else ""
    return (text or type(exc).__name__)[:200]


def _since(started: float) -> float:
    return round(time.monotonic() - started, 3)


# ---------------------------------------------------------------- entries → Item

_HTML_START = re.compile(rb"^\s*(?:\xef\xbb\xbf)?\s*<(?:!doctype\s+html|html[\s>])", re.IGNORECASE)


def _looks_like_html(data: bytes) -> bool:
    return bool(_HTML_START.match(data[:512]))


def _looks_like_xml(data: bytes) -> bool:
    """Markup first, or a UTF-16/32 byte order mark: JSON or plain text is not a broken feed."""
    head = data[:4]
    if head.startswith((b"\xff\xfe", b"\xfe\xff", b"\x00")) or head[1:2] == b"\x00":
        return True
    return data.removeprefix(b"\xef\xbb\xbf").lstrip().startswith(b"<")


def _plain(detail: Mapping[str, Any] | None, value: str) -> str:
    """Text of a feed field: HTML stripped, or a text/plain value kept literally (its '<' is not a tag)."""
    if detail is not None and detail.get("type") == "text/plain":
        value = value.replace("&", "&amp;").replace("<", "&lt;")
    return html_to_text(value)


def _to_item(entry: Mapping[str, Any], source: str, tz: tzinfo) -> Item | None:
    title = one_line(_plain(entry.get("title_detail"), entry.get("title") or ""))
    if not title:
        return None
    texts = [_plain(c, c.get("value") or "") for c in entry.get("content") or []]
    texts.append(_plain(entry.get("summary_detail"), entry.get("summary") or ""))
    summary = max(texts, key=len)
    return Item(
        title=title,
        link=_safe_link(entry.get("link")),
        source=source,
        published=_published(entry, tz),
        summary=summary,
        guid=one_line(entry.get("id") or ""),
    )


def _safe_link(link: object) -> str:
    """Only absolute http(s) links survive: javascript:, data: and relative links are dropped."""
    if not isinstance(link, str):
        return ""
    link = link.strip()
    try:
        parts = urlsplit(link)
    except ValueError:
        return ""
    if parts.scheme.lower() not in ("http", "https") or not parts.netloc or re.search(r"\s", link):
        return ""
    return link


def _published(entry: Mapping[str, Any], tz: tzinfo) -> datetime | None:
    parsed = entry.get("published_parsed") or entry.get("updated_parsed")
    if not parsed:
        return None
    try:
        return datetime(*parsed[:6], tzinfo=UTC).astimezone(tz)
    except (TypeError, ValueError, OverflowError):
        return None


# ---------------------------------------------------------------- conditional-GET cache


@dataclass
class _Cached:
    data: bytes
    headers: dict[str, str]
    etag: str | None
    last_modified: str | None


class _HTTPCache:
    """Per-URL body and validators under cache_dir/http: `<sha>.body` then `<sha>.json`, each atomic."""

    def __init__(self, cache_dir: Path | None) -> None:
        self.root = cache_dir / "http" if cache_dir is not None else None

    def _paths(self, url: str) -> tuple[Path, Path]:
        assert self.root is not None
        key = hashlib.sha256(url.encode("utf-8")).hexdigest()[:32]
        return self.root / f"{key}.json", self.root / f"{key}.body"

    def load(self, url: str) -> _Cached | None:
        if self.root is None:
            return None
        meta_path, body_path = self._paths(url)
        try:
            meta = json.loads(meta_path.read_text(encoding="utf-8"))
            data = body_path.read_bytes()
        except (OSError, ValueError):
            return None
        if meta.get("url") != url or meta.get("sha256") != hashlib.sha256(data).hexdigest():
            return None  # torn write or hash collision: fetch afresh
        return _Cached(
            data, dict(meta.get("headers") or {}), meta.get("etag"), meta.get("last_modified")
        )

    def store(self, url: str, body: _Body) -> None:
        if self.root is None:
            return
        meta_path, body_path = self._paths(url)
        try:
            if not (body.etag or body.last_modified):
                meta_path.unlink(missing_ok=True)  # stale validators would only confuse the server
                body_path.unlink(missing_ok=True)
                return
            self.root.mkdir(parents=True, exist_ok=True)
            meta = {
                "url": url,
                "etag": body.etag,
                "last_modified": body.last_modified,
                "headers": body.headers,
                "sha256": hashlib.sha256(body.data).hexdigest(),
                "stored": datetime.now(UTC).isoformat(timespec="seconds"),
            }
            _atomic_write(body_path, body.data)
            _atomic_write(meta_path, json.dumps(meta, ensure_ascii=False, indent=1).encode("utf-8"))
        except (
            OSError
        ) as e:  # a cache that cannot be written costs a full GET next time, nothing more
            log.warning("cannot write HTTP cache in %s: %s", self.root, e.strerror or e)


def _atomic_write(path: Path, data: bytes) -> None:
    fd, tmp = tempfile.mkstemp(dir=path.parent, prefix=f".{path.name}.", suffix=".tmp")
    try:
        with os.fdopen(fd, "wb") as f:
            f.write(data)
        os.replace(tmp, path)
    except BaseException:
        Path(tmp).unlink(missing_ok=True)
        raise
