"""fetch: a feed's bytes from HTTP or a file, within bounds, and the cache that makes a 304 cheap.

Each remote feed gets one budget, `DEADLINE_FACTOR` × its timeout, that covers every attempt and
every wait between them, so a run over hanging or failing feeds still ends on time. Transient
failures (connection errors, 408/425/429, 5xx) are retried with jittered exponential backoff or
the server's Retry-After (capped at the timeout); a read timeout is not retried. At most
`per_host` requests go to one host at a time; waiting for a slot is not charged to the budget.

A local file is bounded like a response: a regular file only (no FIFO or device), its size checked
before it is read and never more than `max_bytes` read, within the feed's timeout.

The cache (`cache_dir/http/<key>.json`, one atomic file per feed) keeps the validators (ETag,
Last-Modified) with the items they stand for, so a 304 reuses the parsed items without parsing
again. No body and no secret is stored: the key and the stored URL come from the redacted URL,
and items are scrubbed of the URL's secrets before they get here.

What a failed fetch says (one line, never a URL or a secret):

    HTTP 404 · HTTP 503 · timed out after 10s · connection refused · cannot resolve host
    response larger than 16 MiB · file larger than 16 MiB: PATH · file not found: PATH
"""

from __future__ import annotations

import asyncio
import hashlib
import json
import logging
import os
import re
import socket
import ssl
import stat
import time
from collections.abc import Iterator
from contextlib import AbstractAsyncContextManager, nullcontext
from dataclasses import dataclass, field
from datetime import UTC, datetime
from email.utils import parsedate_to_datetime
from functools import cache
from pathlib import Path
from urllib.parse import urlsplit

import httpx
from pydantic import TypeAdapter, ValidationError
from tenacity import AsyncRetrying, RetryCallState, retry_if_exception, stop_after_attempt
from tenacity.stop import stop_base
from tenacity.wait import wait_base, wait_random_exponential

from briefing.atomic import write_atomic
from briefing.errors import ConfigError
from briefing.models import Item
from briefing.parse import FeedFailure, Parsed
from briefing.sanitize import one_line
from briefing.secrets import redact_url, strip_credentials

log = logging.getLogger("briefing.collect")

DEADLINE_FACTOR = 2.0  # a feed's whole budget, attempts and waits included, in units of its timeout
TRANSIENT_STATUS = frozenset({408, 425, 429, *range(500, 600)})


class HTTPStatusFailure(FeedFailure):
    def __init__(self, status: int, retry_after: float | None = None) -> None:
        super().__init__(f"HTTP {status}")
        self.status = status
        self.retry_after = retry_after


class _Timeout(FeedFailure):
    def __init__(self, seconds: float, *, connect: bool = False) -> None:
        super().__init__(f"timed out after {round(seconds, 1):g}s")
        self.connect = connect


def _size(n: int) -> str:
    return f"{n / 2**20:g} MiB" if n >= 2**20 else f"{n / 2**10:g} KiB"


# ---------------------------------------------------------------- files


async def read_file(path: Path, *, max_bytes: int, timeout: float) -> bytes:
    """A local feed's bytes, bounded in size and time like a response."""
    try:
        async with asyncio.timeout(timeout):
            return await asyncio.to_thread(_read_file, path, max_bytes)
    except TimeoutError:
        raise _Timeout(timeout) from None


def _read_file(path: Path, max_bytes: int) -> bytes:
    try:
        info = path.stat()
        if stat.S_ISDIR(info.st_mode):
            raise FeedFailure(f"not a file: {path}")
        if not stat.S_ISREG(info.st_mode):
            raise FeedFailure(f"not a regular file: {path}")  # a FIFO or a device never ends
        if info.st_size > max_bytes:
            raise FeedFailure(f"file larger than {_size(max_bytes)}: {path}")
        with path.open("rb") as f:
            data = f.read(max_bytes + 1)  # it may have grown since stat
    except FileNotFoundError:
        raise FeedFailure(f"file not found: {path}") from None
    except PermissionError:
        raise FeedFailure(f"permission denied: {path}") from None
    except OSError as e:
        raise FeedFailure(f"cannot read {path}: {e.strerror or type(e).__name__}") from None
    if len(data) > max_bytes:
        raise FeedFailure(f"file larger than {_size(max_bytes)}: {path}")
    return data


# ---------------------------------------------------------------- HTTP


@dataclass
class Body:
    """A response as the parser needs it (content-type, content-location) plus its validators."""

    data: bytes
    headers: dict[str, str] = field(default_factory=dict)
    etag: str | None = None
    last_modified: str | None = None
    not_modified: bool = False


class Hosts:
    """What the feeds of one run share over HTTP: a gate per host, so that at most `limit` requests
    are in flight to one site, and one client whose connections are pooled per origin.

    Behind a proxy from the environment (HTTP_PROXY, HTTPS_PROXY, ALL_PROXY; NO_PROXY honoured)
    every connection goes to the proxy anyway: the client is httpx's own, with its proxy handling
    (an explicit transport would switch that off), `concurrency` connections in one pool.
    """

    def __init__(self, limit: int, *, user_agent: str, timeout: float, concurrency: int) -> None:
        self.limit = limit
        self.gates: dict[str, asyncio.Semaphore] = {}
        common: dict = {"headers": {"User-Agent": user_agent}, "follow_redirects": True}
        if _environment_proxies():
            try:
                self.client = httpx.AsyncClient(
                    **common,
                    timeout=timeout,
                    limits=httpx.Limits(
                        max_connections=concurrency, max_keepalive_connections=concurrency
                    ),
                )
            except ImportError:
                raise ConfigError(
                    "the proxy in the environment is a SOCKS proxy: pip install 'httpx[socks]'"
                ) from None
            except (OSError, ssl.SSLError) as e:  # the CA bundle, loaded for the proxy client
                raise ConfigError(_tls_failure(e)) from None
            except (ValueError, httpx.InvalidURL):  # its text would repeat the proxy URL
                raise ConfigError(
                    "the proxy in the environment cannot be used: its URL is not a valid http://, "
                    "https:// or socks5:// URL (see HTTP_PROXY, HTTPS_PROXY, ALL_PROXY)"
                ) from None
        else:
            self.client = httpx.AsyncClient(
                **common, timeout=timeout, transport=_OriginPools(limit)
            )

    def gate(self, url: str) -> AbstractAsyncContextManager[object]:
        try:
            host = urlsplit(url).netloc.rsplit("@", 1)[-1].lower()
        except ValueError:
            return nullcontext()
        if host not in self.gates:
            self.gates[host] = asyncio.Semaphore(self.limit)
        return self.gates[host]

    async def aclose(self) -> None:
        await self.client.aclose()


def _environment_proxies() -> bool:
    """Whether the environment names a proxy, read as httpx reads it (urllib's getproxies)."""
    from urllib.request import getproxies

    proxies = getproxies()
    return any(proxies.get(scheme) for scheme in ("http", "https", "all"))


class _OriginPools(httpx.AsyncBaseTransport):
    """A connection pool per origin (scheme, host, port) behind one client.

    One pool for the whole run is slow: httpx's pool scans every connection it holds each time a
    request starts or ends, ~3 ms of CPU a feed at 100 sites, all of it just as the answers
    arrive. Pools are cheap, and the TLS context (~50 ms to load the CA bundle) is built once, in a
    thread, when the first https origin is met, so plain-http feeds are never kept waiting for it.
    Redirects come back through here, so a pool only ever talks to its own origin.
    """

    def __init__(self, limit: int) -> None:
        self.limits = httpx.Limits(max_connections=limit, max_keepalive_connections=limit)
        self.pools: dict[tuple[str, str, int | None], httpx.AsyncHTTPTransport] = {}
        self._tls: asyncio.Future[ssl.SSLContext] | None = None
        self.closed = False

    async def handle_async_request(self, request: httpx.Request) -> httpx.Response:
        url = request.url
        key = (url.scheme, url.host, url.port)
        if key not in self.pools:
            context = await self._context() if url.scheme == "https" else _plain_http_context()
            if self.closed:  # closed while this request waited for the TLS context
                raise httpx.ConnectError("the HTTP client was closed", request=request)
            if key not in self.pools:  # another request for this origin may have made it meanwhile
                self.pools[key] = httpx.AsyncHTTPTransport(verify=context, limits=self.limits)
        return await self.pools[key].handle_async_request(request)

    async def _context(self) -> ssl.SSLContext:
        if self._tls is None:  # honours SSL_CERT_FILE / SSL_CERT_DIR, as httpx does
            self._tls = asyncio.ensure_future(asyncio.to_thread(_tls_context))
        return await asyncio.shield(self._tls)

    async def aclose(self) -> None:
        self.closed = True
        pools, self.pools = list(self.pools.values()), {}
        await asyncio.gather(*(p.aclose() for p in pools), return_exceptions=True)


def _tls_context() -> ssl.SSLContext:
    """The CA bundle (certifi's, or SSL_CERT_FILE / SSL_CERT_DIR); a bundle that cannot be read
    fails every https feed with a line that says which."""
    try:
        return httpx.create_ssl_context()
    except (OSError, ssl.SSLError) as e:
        raise FeedFailure(_tls_failure(e)) from None


def _tls_failure(e: OSError | ssl.SSLError) -> str:
    where = os.environ.get("SSL_CERT_FILE") or os.environ.get("SSL_CERT_DIR") or "certifi"
    reason = getattr(e, "strerror", None) or getattr(e, "reason", None) or str(e)
    return f"cannot load the TLS certificates from {where}: {reason}"


@cache
def _plain_http_context() -> ssl.SSLContext:
    """What a plain-http pool is given, and never uses: it verifies and trusts no one (fails closed)."""
    return ssl.SSLContext(ssl.PROTOCOL_TLS_CLIENT)


async def fetch(
    hosts: Hosts,
    url: str,
    *,
    timeout: float,
    retries: int,
    max_bytes: int,
    conditional: dict[str, str],
) -> Body:
    """GET with retries inside one deadline; a 304 comes back as `not_modified` with no data."""
    deadline: float | None = None

    async def attempt() -> Body:
        nonlocal deadline
        async with hosts.gate(url):
            deadline = deadline or time.monotonic() + DEADLINE_FACTOR * timeout
            budget = min(timeout, deadline - time.monotonic())
            if budget <= 0:
                raise _Timeout(timeout)
            try:
                async with asyncio.timeout(budget):
                    return await _get(hosts.client, url, conditional, budget, max_bytes)
            except (TimeoutError, httpx.TimeoutException) as e:
                raise _Timeout(budget, connect=isinstance(e, httpx.ConnectTimeout)) from None

    retrying = AsyncRetrying(
        stop=stop_after_attempt(retries + 1) | _StopAtDeadline(lambda: deadline),
        wait=_Wait(timeout),
        retry=retry_if_exception(_is_transient),
        reraise=True,
    )
    return await retrying(attempt)


async def _get(
    client: httpx.AsyncClient,
    url: str,
    conditional: dict[str, str],
    budget: float,
    max_bytes: int,
) -> Body:
    async with client.stream("GET", url, headers=conditional, timeout=budget) as resp:
        if resp.status_code == 304 and conditional:
            return Body(b"", not_modified=True)
        if not 200 <= resp.status_code < 300:
            raise HTTPStatusFailure(
                resp.status_code, parse_retry_after(resp.headers.get("retry-after"))
            )
        declared = resp.headers.get("content-length", "")
        if declared.isdigit() and int(declared) > max_bytes:
            raise FeedFailure(f"response larger than {_size(max_bytes)}")
        chunks, size = [], 0
        async for chunk in resp.aiter_bytes():
            size += len(chunk)
            if size > max_bytes:
                raise FeedFailure(f"response larger than {_size(max_bytes)}")
            chunks.append(chunk)
        # Relative links resolve against this: the URL without its credentials or tokens.
        headers = {"content-location": strip_credentials(str(resp.url))}
        for name in ("content-type", "content-language"):
            if name in resp.headers:
                headers[name] = resp.headers[name]
        return Body(
            b"".join(chunks),
            headers,
            etag=resp.headers.get("etag"),
            last_modified=resp.headers.get("last-modified"),
        )


def parse_retry_after(value: str | None, now: datetime | None = None) -> float | None:
    """Retry-After as seconds from now (delta-seconds or an HTTP date); None when absent or unreadable.

    The one reading of the header: feeds, webhooks and the LLM client all use it."""
    if not value or not value.strip():
        return None
    value = value.strip()
    if re.fullmatch(r"\d+(?:\.\d+)?", value):
        return float(value)
    try:
        when = parsedate_to_datetime(value)
    except (TypeError, ValueError, IndexError):
        return None
    if when.tzinfo is None:
        when = when.replace(tzinfo=UTC)
    return max(0.0, (when - (now or datetime.now(UTC))).total_seconds())


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

    def __init__(self, deadline: object) -> None:
        self.deadline = deadline  # a callable: the deadline starts with the first attempt

    def __call__(self, retry_state: RetryCallState) -> bool:
        deadline = self.deadline()  # type: ignore[operator]
        if deadline is None:
            return False
        return time.monotonic() + (retry_state.upcoming_sleep or 0) >= deadline


# ---------------------------------------------------------------- errors as one line

_URL = re.compile(r"\b[a-z][a-z0-9+.-]*://\S+", re.IGNORECASE)
_RESOLVE = (
    "name or service",
    "nodename",
    "getaddrinfo",
    "name resolution",
    "no address associated",
)


def describe(exc: BaseException) -> str:
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


# ---------------------------------------------------------------- the validators and their items

_ITEMS = TypeAdapter(list[Item])


@dataclass
class CacheEntry:
    etag: str | None
    last_modified: str | None
    items: list
    warning: str | None

    def parsed(self) -> Parsed | None:
        """The items, validated only when a 304 asks for them; None when they no longer validate."""
        try:
            return Parsed(_ITEMS.validate_python(self.items), self.warning)
        except ValidationError:
            return None

    @property
    def conditional(self) -> dict[str, str]:
        headers = {}
        if self.etag:
            headers["If-None-Match"] = self.etag
        if self.last_modified:
            headers["If-Modified-Since"] = self.last_modified
        return headers


class FeedCache:
    """One JSON file per feed under cache_dir/http: validators, the parse's signature, the items."""

    def __init__(self, cache_dir: Path | None) -> None:
        self.root = cache_dir / "http" if cache_dir is not None else None
        self.error: str | None = (
            None  # the first failed write: the run stops before writing (exit 9)
        )
        if self.root is not None and self.root.is_dir():
            self._drop_legacy(self.root)

    @staticmethod
    def _drop_legacy(root: Path) -> None:
        """Entries of the old layout (`<sha>.body` + `<sha>.json`) kept raw bodies and full URLs."""
        for body in root.glob("*.body"):
            body.with_suffix(".json").unlink(missing_ok=True)
            body.unlink(missing_ok=True)

    def _path(self, url: str, feed: str) -> Path:
        assert self.root is not None
        key = redact_url(url) + "\n" + feed  # never a function of a secret, not even a hash of one
        return self.root / f"{hashlib.sha256(key.encode('utf-8')).hexdigest()[:32]}.json"

    def load(self, url: str, feed: str, signature: str) -> CacheEntry | None:
        """The entry for this feed, if it was made by the same parse (version, names, zones, caps)."""
        if self.root is None:
            return None
        try:
            meta = json.loads(self._path(url, feed).read_text(encoding="utf-8"))
            if meta.get("signature") != signature or meta.get("url") != redact_url(url):
                return None
            items = meta["items"]
        except (OSError, ValueError, KeyError, TypeError):
            return None  # torn, foreign or stale: fetch afresh
        if not isinstance(items, list):
            return None
        return CacheEntry(meta.get("etag"), meta.get("last_modified"), items, meta.get("warning"))

    def store(self, url: str, feed: str, signature: str, body: Body, parsed: Parsed) -> None:
        if self.root is None:
            return
        path = self._path(url, feed)
        try:
            if not (body.etag or body.last_modified):
                path.unlink(missing_ok=True)  # stale validators would only confuse the server
                return
            self.root.mkdir(parents=True, exist_ok=True)
            meta = {
                "url": redact_url(url),
                "feed": feed,
                "signature": signature,
                "etag": body.etag,
                "last_modified": body.last_modified,
                "stored": datetime.now(UTC).isoformat(timespec="seconds"),
                "warning": parsed.warning,
                "items": _ITEMS.dump_python(parsed.items, mode="json"),
            }
            write_atomic(path, json.dumps(meta, ensure_ascii=False), sync=False)
        except OSError as e:  # the run stops before any report is written (issue 8: any write)
            reason = e.strerror or str(e)
            self.error = self.error or f"cannot write the HTTP cache in {self.root}: {reason}"
            log.warning("cannot write HTTP cache in %s: %s", self.root, reason)
