"""collect: every enabled feed fetched concurrently and normalised to `Item`; a failing feed is an error entry.

The recipe per feed: bytes (fetch.py: HTTP with retries and conditional GET, or a bounded local
file) → items (parse.py: feedparser, encoding, text, links, times). Up to `collect.concurrency`
feeds at once (enough that 100 slow feeds do not wait in waves), at most `collect.per_host`
requests to one host. On a 304 the items parsed last time are reused, not parsed again.
Parsing is CPU-bound (feedparser is pure Python): from `PROCESS_POOL_MIN_FEEDS` feeds on, on a
machine with two cores or more, it runs in a small pool of forked processes (one per core, at
most 4) so every core parses while the event loop keeps fetching; otherwise (or where fork is
unavailable, or `collect.parse_processes: 0`) in threads.

A feed that gave items only in part (broken XML salvaged, more items than `collect.max_items`) is
`ok` and keeps its items, and is still listed in the errors with what happened. Nothing a feed
does fails the run.
"""

from __future__ import annotations

import asyncio
import logging
import multiprocessing
import os
import signal
import time
from collections.abc import Callable
from datetime import UTC
from functools import partial
from multiprocessing.connection import Connection
from pathlib import Path

import httpx

from briefing import aio
from briefing.config import FeedConfig, Settings
from briefing.fetch import (
    FeedCache,
    Hosts,
    describe,
    fetch,
    parse_retry_after,
    read_file,
)
from briefing.models import CollectResult, FeedError, FeedStatus
from briefing.parse import PARSER_VERSION, FeedFailure, Parsed, parse_feed
from briefing.secrets import redact_url, url_secrets

__all__ = [
    "FeedFailure",
    "collect",
    "collect_async",
    "parse_feed",
    "parse_retry_after",
    "redact_url",
]

log = logging.getLogger(__name__)

PROCESS_POOL_MIN_FEEDS = 20  # fewer feeds parse in well under a second: not worth a fork

OnFeed = Callable[[FeedStatus], None]


def collect(settings: Settings, *, on_feed: OnFeed | None = None) -> CollectResult:
    """Blocking wrapper for the CLI: one event loop per run."""
    return aio.run(collect_async(settings, on_feed=on_feed))


async def collect_async(
    settings: Settings,
    *,
    on_feed: OnFeed | None = None,
    after_fork: Callable[[], None] | None = None,
) -> CollectResult:
    """Fetch and parse every enabled feed at once; results keep the order of feeds.yaml.

    `after_fork` runs once the parse workers exist: work that starts threads belongs there."""
    feeds = settings.enabled_feeds
    c = settings.collect
    gate = asyncio.Semaphore(c.concurrency)
    # first: a proxy from the environment that cannot be used is a setting's error (exit 2)
    hosts = Hosts(c.per_host, user_agent=c.user_agent, timeout=c.timeout, concurrency=c.concurrency)
    pool = None

    async def one(feed: FeedConfig) -> tuple[FeedStatus, Parsed]:
        async with gate:
            status, parsed = await run.feed(feed)
        if on_feed is not None:
            on_feed(status)
        return status, parsed

    try:
        pool = _parse_pool(c.parse_processes, len(feeds))
        if after_fork is not None:
            after_fork()
        run = _Run(settings, FeedCache(settings.cache_dir), hosts, pool)
        tasks = [asyncio.ensure_future(one(f)) for f in feeds]
        try:
            results = await asyncio.gather(*tasks)
        except BaseException:
            for t in tasks:
                t.cancel()
            await asyncio.gather(*tasks, return_exceptions=True)
            raise
    finally:  # whatever happened, from a failed fork to Ctrl-C: no pool or worker outlives the run
        await hosts.aclose()
        if pool is not None:
            pool.close()

    out = CollectResult(cache_error=run.cache.error)
    for status, parsed in results:
        out.feeds.append(status)
        out.items.extend(parsed.items)
        if status.error:
            out.errors.append(FeedError(feed=status.feed, error=status.error))
    return out


class _Run:
    """What every feed of one run shares: settings, the cache, the hosts (gates and pools)."""

    def __init__(
        self,
        settings: Settings,
        cache: FeedCache,
        hosts: Hosts,
        pool: _ParsePool | None = None,
    ) -> None:
        self.settings, self.cache, self.hosts, self.pool = settings, cache, hosts, pool

    async def feed(self, feed: FeedConfig) -> tuple[FeedStatus, Parsed]:
        started = time.monotonic()
        location = self.settings.feed_location(feed)
        shown = str(location) if isinstance(location, Path) else redact_url(location)
        not_modified = False
        try:
            if isinstance(location, Path):
                data = await read_file(
                    location, max_bytes=self._max_bytes, timeout=self._timeout(feed)
                )
                parsed = await self._parse(feed, data, {}, ())
            else:
                parsed, not_modified = await self._remote(feed, location)
        except Exception as exc:  # a feed's failure is data, never the run's failure
            error = describe(exc)
            if not isinstance(exc, (FeedFailure, httpx.HTTPError, OSError, TimeoutError)):
                log.warning(
                    "feed %s (%s): unexpected %s",
                    feed.name,
                    shown,
                    type(exc).__name__,
                    exc_info=True,
                )
            log.info("feed %s (%s) failed: %s", feed.name, shown, error)
            status = FeedStatus(
                feed=feed.name, url=shown, ok=False, error=error, seconds=_since(started)
            )
            return status, Parsed([])
        if parsed.warning:
            log.info("feed %s (%s): %s", feed.name, shown, parsed.warning)
        status = FeedStatus(
            feed=feed.name,
            url=shown,
            ok=True,
            items=len(parsed.items),
            error=parsed.warning,
            not_modified=not_modified,
            seconds=_since(started),
        )
        return status, parsed

    async def _remote(self, feed: FeedConfig, url: str) -> tuple[Parsed, bool]:
        signature = self._signature(feed)
        cached = self.cache.load(url, feed.name, signature)
        get = partial(
            fetch,
            self.hosts,
            url,
            timeout=self._timeout(feed),
            retries=self.settings.collect.retries,
            max_bytes=self._max_bytes,
        )
        body = await get(conditional=cached.conditional if cached else {})
        if body.not_modified:
            reused = cached.parsed() if cached else None
            if reused is not None:
                return reused, True
            body = await get(conditional={})  # the cached items no longer validate: fetch whole
        parsed = await self._parse(feed, body.data, body.headers, url_secrets(url))
        self.cache.store(url, feed.name, signature, body, parsed)
        return parsed, False

    async def _parse(
        self, feed: FeedConfig, data: bytes, headers: dict[str, str], secrets: list[str] | tuple
    ) -> Parsed:
        job = partial(
            parse_feed,
            data,
            source=feed.name,
            tz=self.settings.tz,
            headers=headers,
            feed_tz=feed.zone,
            max_items=self.settings.collect.max_items,
            secrets=tuple(secrets),
        )
        if self.pool is not None:
            try:
                return await self.pool.run(job)
            except _WorkerDied:  # killed, out of memory: parse here instead
                log.warning("a parse worker died; parsing %s in this process", feed.name)
        return await asyncio.to_thread(job)

    def _signature(self, feed: FeedConfig) -> str:
        """What the cached items depend on besides the bytes: reuse them only when all is the same."""
        c = self.settings.collect
        return f"v{PARSER_VERSION}|{feed.name}|{feed.tz}|{self.settings.timezone}|{c.max_items}"

    def _timeout(self, feed: FeedConfig) -> float:
        return feed.timeout or self.settings.collect.timeout

    @property
    def _max_bytes(self) -> int:
        return self.settings.collect.max_bytes


def parse_workers(setting: int | None, feeds: int) -> int:
    """How many forked parse workers a run gets: the setting, else one per usable core (at most 4)
    for a run of `PROCESS_POOL_MIN_FEEDS` feeds or more.

    Not fewer on a busy machine: the scheduler shares the CPU by process, so workers get a bigger
    share than threads that take turns holding one interpreter lock (bench/bench_collect.py
    --busy measures both under load).
    """
    if setting is not None:
        return setting
    try:
        cores = len(os.sched_getaffinity(0))  # the cores this process may use (containers, taskset)
    except AttributeError:  # not on Linux
        cores = os.cpu_count() or 1
    if feeds < PROCESS_POOL_MIN_FEEDS or cores < 2:
        return 0
    return min(cores, 4)


def _parse_pool(setting: int | None, feeds: int) -> _ParsePool | None:
    """Forked parse workers for a big run, started now, before this run has threads of its own;
    None (parse in threads) when there is no fork, or it fails (out of processes or memory)."""
    workers = parse_workers(setting, feeds)
    if workers < 1 or "fork" not in multiprocessing.get_all_start_methods():
        return None
    try:
        return _ParsePool(workers)
    except OSError as e:
        log.warning("cannot start parse workers (%s); parsing in threads", e.strerror or e)
        return None


class _WorkerDied(Exception):
    pass


class _ParsePool:
    """Forked workers on pipes that the event loop reads itself: no executor threads to wake.

    (A ProcessPoolExecutor hands every job and result through two threads of this process, which
    wait for the GIL behind the busy event loop: slower than parsing here.)
    """

    def __init__(self, workers: int) -> None:
        ctx = multiprocessing.get_context("fork")
        self.idle: asyncio.Queue[tuple[multiprocessing.process.BaseProcess, Connection] | None]
        self.idle = asyncio.Queue()
        self.live = workers  # when the last one dies, every later job parses in this process
        self.procs = []
        try:
            for _ in range(workers):
                mine, theirs = ctx.Pipe()
                proc = ctx.Process(target=_work, args=(theirs, mine), daemon=True)
                proc.start()
                theirs.close()
                self.procs.append((proc, mine))
                self.idle.put_nowait((proc, mine))
        except BaseException:  # a fork failed, or Ctrl-C: no worker outlives this
            self.close()
            raise

    async def run(self, job: Callable[[], Parsed]) -> Parsed:
        worker = await self.idle.get()
        if worker is None:  # no worker left: pass the word on, and parse here
            self.idle.put_nowait(None)
            raise _WorkerDied
        proc, conn = worker
        loop = asyncio.get_running_loop()
        ready = loop.create_future()
        loop.add_reader(conn.fileno(), lambda: ready.done() or ready.set_result(None))
        try:
            conn.send(job)
            await ready
            ok, value = conn.recv()
        except (EOFError, OSError) as e:
            self._retire(proc)
            raise _WorkerDied from e
        except BaseException:  # cancelled mid-job: this worker's pipe is out of step, retire it
            self._retire(proc)
            raise
        finally:
            loop.remove_reader(conn.fileno())
        self.idle.put_nowait((proc, conn))
        if ok:
            return value
        raise value

    def _retire(self, proc: multiprocessing.process.BaseProcess) -> None:
        proc.kill()
        self.live -= 1
        if self.live == 0:
            self.idle.put_nowait(None)

    def close(self) -> None:
        for _, conn in self.procs:
            conn.close()  # the worker sees EOF and exits
        for proc, _ in self.procs:
            proc.join(1)
            if proc.is_alive():
                proc.kill()


def _work(conn: Connection, parents_end: Connection) -> None:
    """A parse worker: run each job it is sent and send back (ok, result or exception)."""
    parents_end.close()
    signal.signal(signal.SIGINT, signal.SIG_IGN)  # Ctrl-C is the parent's to handle
    _warm_up()
    while True:
        try:
            job = conn.recv()
        except (EOFError, OSError):
            return
        try:
            reply = (True, job())
        except Exception as e:
            reply = (
                False,
                e
                if isinstance(e, FeedFailure)
                else FeedFailure(f"unexpected error: {type(e).__name__}"),
            )
        conn.send(reply)


_WARM_UP_FEED = (
    '<?xml version="1.0" encoding="UTF-8"?><rss version="2.0"><channel><title>预热</title>'
    "<item><title>央行开展逆回购操作</title><link>https://example.cn/1.html</link><guid>1</guid>"
    "<pubDate>Thu, 11 Dec 2025 09:30:00 +0800</pubDate><description><![CDATA[<p>流动性"
    "<b>合理充裕</b>&amp;稳定。</p>]]></description></item></channel></rss>"
).encode()


def _warm_up() -> None:
    """Parse a one-item feed while the requests are in flight: the first parse in a process builds
    caches (the format-character class, feedparser's and our compiled patterns) that the first
    real feed would otherwise wait for."""
    try:
        parse_feed(_WARM_UP_FEED, source="warm-up", tz=UTC)
    except Exception:  # never let the warm-up cost a worker
        log.debug("parse worker warm-up failed", exc_info=True)


def _since(started: float) -> float:
    return round(time.monotonic() - started, 3)
