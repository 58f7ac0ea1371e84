"""How long and how much CPU `collect` takes over many loopback feeds that answer after a delay.

    python bench/bench_collect.py [--slow 100 --slow-delay 1 --feeds 200 --delay 0.5 --items 50
                                   --bad 3 --hosts 100 --timeout 10]

Printed in one run, each next to its baseline:
- `--slow` feeds that each answer after `--slow-delay` s: ours with the default settings, and a
  thread pool of `feedparser.parse` with one worker per feed (target: ≤ 2 s for 100 × 1 s);
- `--feeds` feeds × `--items` items after `--delay` s: healthy, with hanging/500/404 feeds mixed
  in, a cold run with ETags, and a second run where every feed answers 304 — whose process CPU
  time is printed as a share of the cold run's (target ≤ 30%).

The feeds are spread over `--hosts` loopback addresses (127.0.x.y), as real feeds are spread over
sites, so the per-host limit does what it does in production. The server runs in a child process,
so the CPU figures are the client's alone. Each run is cancelled after --cap seconds. The machine
is shared: figures are noisy, run it twice.
"""

from __future__ import annotations

import argparse
import asyncio
import json
import multiprocessing as mp
import os
import subprocess
import sys
import tempfile
import time
from concurrent.futures import ThreadPoolExecutor
from datetime import UTC, datetime, timedelta
from email.utils import format_datetime
from pathlib import Path
from urllib.parse import parse_qs, urlsplit

sys.path.insert(0, str(Path(__file__).resolve().parent.parent))

import feedparser  # noqa: E402

from briefing import aio  # noqa: E402
from briefing.collect import collect_async, parse_workers  # noqa: E402
from briefing.config import CollectConfig, FeedConfig, Settings  # noqa: E402
from briefing.models import CollectResult  # noqa: E402

TOPICS = [
    "央行开展{n}亿元逆回购操作",
    "沪深两市成交额达{n}亿元",
    "人民币兑美元中间价上调{n}个基点",
    "10年期国债收益率下行{n}个基点",
    "{n}月制造业PMI回升至荣枯线上方",
    "美联储官员暗示{n}月或降息",
]


def make_feed(k: int, items: int, now: datetime) -> bytes:
    """One RSS 2.0 feed of `items` distinct Chinese entries, an hour apart."""
    parts = [
        '<?xml version="1.0" encoding="UTF-8"?>\n<rss version="2.0"><channel>'
        f"<title>源{k}</title><link>https://feed{k}.example.cn/</link><description>基准源</description>"
    ]
    for i in range(items):
        title = TOPICS[(k + i) % len(TOPICS)].format(n=(k * 31 + i * 7) % 900 + 10)
        when = format_datetime(now - timedelta(minutes=37 * i + k), usegmt=True)
        parts.append(
            f"<item><title>源{k}·{title}</title><link>https://feed{k}.example.cn/{i}.html</link>"
            f"<guid>feed{k}-{i}</guid><pubDate>{when}</pubDate><description><![CDATA[<p>{title}。"
            "市场人士认为，<b>流动性</b>保持合理充裕，短端利率有望继续下行。</p>"
            "<p>分析师指出，后续政策仍将以稳增长为主线。</p>]]></description></item>"
        )
    parts.append("</channel></rss>")
    return "".join(parts).encode("utf-8")


# ---------------------------------------------------------------- the server, in a child process


def _host(i: int) -> str:
    return f"127.0.{1 + i // 250}.{1 + i % 250}"


def _response(status: str, body: bytes, headers: dict[str, str]) -> bytes:
    head = "".join(f"{k}: {v}\r\n" for k, v in headers.items())
    return f"HTTP/1.1 {status}\r\n{head}Content-Length: {len(body)}\r\n\r\n".encode() + body


def _serve(hosts: int, feeds: int, items: int, ready: mp.Queue, stop: mp.Event) -> None:
    """/ok/K?delay=S answers feed K after S s (with an ETag); /hang waits; /500 and /404 fail.

    An asyncio server with every answer encoded in advance: a feed server is another machine in
    production, so the one here should take as little of the client's two cores as it can."""
    now = datetime.now(UTC)
    bodies = {f"/ok/{k}": make_feed(k, items, now) for k in range(feeds)}
    rss = {"Content-Type": "application/rss+xml; charset=utf-8"}
    answers = {
        path: _response("200 OK", body, {**rss, "ETag": f'"{path}"'})
        for path, body in bodies.items()
    }

    async def answer(target: str, request_headers: bytes) -> bytes | None:
        parts = urlsplit(target)
        path, delay = parts.path, float(parse_qs(parts.query).get("delay", ["0"])[0])
        if path.startswith("/hang"):
            await asyncio.sleep(600)
            return None
        await asyncio.sleep(delay)
        if path in answers:
            etag = f'"{path}"'
            if f"if-none-match: {etag}".encode() in request_headers.lower():
                return _response("304 Not Modified", b"", {"ETag": etag})
            return answers[path]
        return _response("500 Error" if path.startswith("/500") else "404 Not Found", b"error", {})

    async def handle(reader: asyncio.StreamReader, writer: asyncio.StreamWriter) -> None:
        try:
            while True:
                head = await reader.readuntil(b"\r\n\r\n")
                target = head.split(b"\r\n", 1)[0].split(b" ")[1].decode()
                reply = await answer(target, head)
                if reply is None:
                    return
                writer.write(reply)
                await writer.drain()
        except (asyncio.IncompleteReadError, ConnectionError, asyncio.CancelledError):
            pass  # the client hung up, or the bench is over (a /hang feed is still waiting)
        finally:
            writer.close()

    async def main() -> None:
        servers = [
            await asyncio.start_server(handle, _host(i), 0, backlog=1024) for i in range(hosts)
        ]
        ready.put(
            [f"http://{_host(i)}:{s.sockets[0].getsockname()[1]}" for i, s in enumerate(servers)]
        )
        await asyncio.get_running_loop().run_in_executor(None, stop.wait)

    asyncio.run(main())


class Server:
    def __init__(self, hosts: int, feeds: int, items: int) -> None:
        ctx = mp.get_context("fork")
        self.stop = ctx.Event()
        ready: mp.Queue = ctx.Queue()
        self.proc = ctx.Process(
            target=_serve, args=(hosts, feeds, items, ready, self.stop), daemon=True
        )
        self.proc.start()
        self.bases: list[str] = ready.get(timeout=60)

    def url(self, k: int, path: str, delay: float) -> str:
        return f"{self.bases[k % len(self.bases)]}{path}?delay={delay:g}"

    def __enter__(self) -> Server:
        return self

    def __exit__(self, *exc: object) -> None:
        self.stop.set()
        self.proc.join(5)
        if self.proc.is_alive():
            self.proc.kill()


# ---------------------------------------------------------------- runs


def run(
    label: str,
    feeds: list[FeedConfig],
    args: argparse.Namespace,
    cache: Path | None,
    **collect: object,
) -> float | None:
    """One collect with the default settings (but --timeout); prints a line, returns its CPU s."""
    config = CollectConfig(timeout=args.timeout, **collect)
    settings = Settings(feeds=feeds, cache_dir=cache, collect=config)
    started, cpu = time.perf_counter(), time.process_time()
    try:
        result: CollectResult = aio.run(asyncio.wait_for(collect_async(settings), args.cap))
    except TimeoutError:
        print(f"{label:<44} did not finish within --cap {args.cap:g}s")
        return None
    wall, cpu = time.perf_counter() - started, time.process_time() - cpu
    n = len(result.items)
    not_modified = sum(s.not_modified for s in result.feeds)
    errors = sorted({e.error for e in result.errors})
    print(
        f"{label:<44} feeds {len(feeds):>4}  ok {len(feeds) - len(result.errors):>4}  "
        f"304 {not_modified:>4}  items {n:>6}  wall {wall:6.2f}s  cpu {cpu:5.2f}s"
        + (f"  errors: {', '.join(errors)}" if errors else "")
    )
    return cpu


def baseline(label: str, urls: list[str]) -> None:
    """The comparison the issue names: feedparser.parse(url) in a thread pool, a worker per feed."""
    started = time.perf_counter()
    with ThreadPoolExecutor(max_workers=len(urls)) as pool:
        parsed = list(pool.map(feedparser.parse, urls))
    wall = time.perf_counter() - started
    n = sum(len(p.entries) for p in parsed)
    print(f"{label:<44} feeds {len(urls):>4}  items {n:>6}  wall {wall:6.2f}s")


_BASELINE_PROCESS = """
import sys
from concurrent.futures import ThreadPoolExecutor
import feedparser
with ThreadPoolExecutor(max_workers=len(sys.argv) - 1) as pool:
    print(sum(len(p.entries) for p in pool.map(feedparser.parse, sys.argv[1:])))
"""


def whole_process(label: str, command: list[str], env: dict[str, str] | None = None) -> None:
    """A whole process, start-up and imports included, as cron runs it."""
    started = time.perf_counter()
    proc = subprocess.run(command, capture_output=True, env=env, timeout=300)
    wall = time.perf_counter() - started
    state = "" if proc.returncode == 0 else f"  exit {proc.returncode}"
    print(f"{label:<44} wall {wall:6.2f}s{state}")


def _spin() -> None:
    while True:
        pass


class Busy:
    """`n` processes that burn CPU, as other jobs on a shared machine do."""

    def __init__(self, n: int) -> None:
        ctx = mp.get_context("fork")
        self.procs = [ctx.Process(target=_spin, daemon=True) for _ in range(n)]

    def __enter__(self) -> Busy:
        for proc in self.procs:
            proc.start()
        return self

    def __exit__(self, *exc: object) -> None:
        for proc in self.procs:
            proc.kill()
            proc.join()


def main() -> None:
    p = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    p.add_argument("--slow", type=int, default=100, help="feeds in the slow-feeds run")
    p.add_argument("--slow-delay", type=float, default=1.0, help="seconds each slow feed takes")
    p.add_argument("--repeat", type=int, default=3, help="runs of each slow-feeds line")
    p.add_argument(
        "--busy",
        type=int,
        default=2,
        help="CPU-burning processes during a last slow-feeds round (a busy machine); 0: skip it",
    )
    p.add_argument("--feeds", type=int, default=200)
    p.add_argument("--delay", type=float, default=0.5, help="seconds each feed takes to answer")
    p.add_argument("--items", type=int, default=50, help="entries per feed")
    p.add_argument(
        "--hosts", type=int, default=100, help="loopback addresses the feeds spread over"
    )
    p.add_argument(
        "--bad", type=int, default=3, help="hanging, 500 and 404 feeds each, in the mixed run"
    )
    p.add_argument("--timeout", type=float, default=CollectConfig().timeout)
    p.add_argument(
        "--cap", type=float, default=120, help="give up on a run after this many seconds"
    )
    args = p.parse_args()

    d = CollectConfig()
    print(
        f"collect bench: default concurrency {d.concurrency}, per host {d.per_host}; "
        f"feeds spread over {args.hosts} loopback hosts; {args.items} items per feed; "
        f"timeout {args.timeout:g}s; load average {os.getloadavg()[0]:.1f} on {os.cpu_count()} cores"
    )
    feeds_needed = max(args.feeds, args.slow)
    with Server(args.hosts, feeds_needed, args.items) as server:
        slow = [server.url(k, f"/ok/{k}", args.slow_delay) for k in range(args.slow)]
        title = f"{args.slow} feeds × {args.slow_delay:g} s"
        slow_feeds = [FeedConfig(name=f"源{k}", url=u) for k, u in enumerate(slow)]
        auto = parse_workers(None, len(slow_feeds))
        # One small collect first, not counted: the one-time lazy imports (httpcore, anyio's
        # backend) land there, not on the first line. The whole-process lines pay them as cron does.
        run("warm-up (1 feed, not counted)", slow_feeds[:1], args, None)
        for _ in range(args.repeat):
            run(f"{title}, ours (default: {auto} parse workers)", slow_feeds, args, None)
            run(f"{title}, ours, parsing in threads", slow_feeds, args, None, parse_processes=0)
            baseline(f"{title}, feedparser.parse × {args.slow} threads", slow)
        if args.busy:
            with Busy(args.busy):
                loaded = f"{title}, {args.busy} busy processes"
                run(f"{loaded}, {auto} parse workers", slow_feeds, args, None)
                run(f"{loaded}, threads", slow_feeds, args, None, parse_processes=0)
                baseline(f"{loaded}, feedparser threads", slow)
        with tempfile.TemporaryDirectory() as tmp:
            feeds_yaml = Path(tmp) / "feeds.yaml"
            feeds_yaml.write_text(
                json.dumps({"feeds": [{"name": f.name, "url": f.url} for f in slow_feeds]}),
                encoding="utf-8",
            )  # JSON is YAML
            for k in range(args.repeat):
                env = {**os.environ, "BRIEFING_CACHE_DIR": str(Path(tmp) / f"cache{k}")}
                whole_process(
                    f"{title}, whole `briefing collect --json`",
                    [sys.executable, "-m", "briefing", "collect", "--all", "--json"]
                    + ["--feeds", str(feeds_yaml)],
                    env,
                )
                whole_process(
                    f"{title}, whole feedparser-threads process",
                    [sys.executable, "-c", _BASELINE_PROCESS, *slow],
                )

        good = [
            FeedConfig(name=f"源{k}", url=server.url(k, f"/ok/{k}", args.delay))
            for k in range(args.feeds)
        ]
        bad = [
            FeedConfig(name=f"{kind}{k}", url=server.url(k, f"/{kind}/{k}", args.delay))
            for kind in ("hang", "500", "404")
            for k in range(args.bad)
        ]
        title = f"{args.feeds} × {args.items} items, {args.delay:g} s"
        run(f"{title}, healthy", good, args, None)
        run(f"{title}, + {len(bad)} hanging/500/404", bad + good, args, None)
        with tempfile.TemporaryDirectory() as tmp:
            # in threads, so that this process's CPU time is all of the parsing
            cold = run(f"{title}, cold cache, threads", good, args, Path(tmp), parse_processes=0)
            warm = run(f"{title}, warm cache (all 304)", good, args, Path(tmp), parse_processes=0)
        if cold and warm:
            print(
                f"{'304 run CPU as a share of the cold run':<44} {warm / cold:6.0%}  (target ≤ 30%)"
            )


if __name__ == "__main__":
    main()
