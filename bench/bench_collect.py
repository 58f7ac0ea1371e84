"""How long `collect` takes over many loopback feeds that each answer after a delay.

    python bench/bench_collect.py [--feeds 200 --delay 0.5 --items 50 --bad 3 --timeout 10]

Scenarios: all feeds healthy; the same with --bad hanging, --bad answering 500 and --bad 404
feeds mixed in (at the default 10 s timeout: the run must end well within 30 s); a second run
over the healthy feeds when every one answers 304 Not Modified. Bounded: each run is cancelled
after --cap seconds and the server is shut down.
"""

from __future__ import annotations

import argparse
import asyncio
import sys
import tempfile
import threading
import time
from datetime import UTC, datetime, timedelta
from email.utils import format_datetime
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent.parent))

from briefing.collect import collect_async  # noqa: E402
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


class _Server(ThreadingHTTPServer):
    daemon_threads = True
    request_queue_size = 1024  # every feed connects at once


class Server:
    """/ok/K answers feed K after `delay` (with an ETag); /hang waits until released; /500 and /404 fail."""

    def __init__(self, feeds: int, items: int, delay: float) -> None:
        now = datetime.now(UTC)
        bodies = {f"/ok/{k}": make_feed(k, items, now) for k in range(feeds)}
        release = self.release = threading.Event()

        class Handler(BaseHTTPRequestHandler):
            def do_GET(self) -> None:
                path = self.path
                try:
                    if path.startswith("/hang"):
                        release.wait(600)
                        return
                    release.wait(delay)
                    if path in bodies:
                        etag = f'"{path}"'
                        if self.headers.get("If-None-Match") == etag:
                            self.send_response(304)
                            self.send_header("ETag", etag)
                            self.end_headers()
                            return
                        body = bodies[path]
                        self.send_response(200)
                        self.send_header("Content-Type", "application/rss+xml; charset=utf-8")
                        self.send_header("ETag", etag)
                    else:
                        body = b"error"
                        self.send_response(500 if path.startswith("/500") else 404)
                    self.send_header("Content-Length", str(len(body)))
                    self.end_headers()
                    self.wfile.write(body)
                except (BrokenPipeError, ConnectionResetError):
                    pass

            def log_message(self, *args: object) -> None:
                pass

        self.httpd = _Server(("127.0.0.1", 0), Handler)
        self.base = f"http://127.0.0.1:{self.httpd.server_address[1]}"

    def __enter__(self) -> Server:
        threading.Thread(target=self.httpd.serve_forever, args=(0.05,), daemon=True).start()
        return self

    def __exit__(self, *exc: object) -> None:
        self.release.set()
        self.httpd.shutdown()
        self.httpd.server_close()


def run(label: str, feeds: list[FeedConfig], args: argparse.Namespace, cache: Path | None) -> None:
    settings = Settings(
        feeds=feeds,
        cache_dir=cache,
        collect=CollectConfig(timeout=args.timeout, concurrency=args.concurrency),
    )
    started = time.perf_counter()
    try:
        result: CollectResult = asyncio.run(asyncio.wait_for(collect_async(settings), args.cap))
    except TimeoutError:
        print(f"{label:<34} did not finish within --cap {args.cap:g}s")
        return
    wall = time.perf_counter() - started
    n = len(result.items)
    not_modified = sum(s.not_modified for s in result.feeds)
    errors = sorted({e.error for e in result.errors})
    print(
        f"{label:<34} feeds {len(feeds):>4}  ok {len(feeds) - len(result.errors):>4}  "
        f"304 {not_modified:>4}  items {n:>6}  wall {wall:6.2f}s  {n / wall:8.0f} items/s"
        + (f"  errors: {', '.join(errors)}" if errors else "")
    )


def main() -> None:
    p = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    p.add_argument("--feeds", type=int, default=200)
    p.add_argument("--delay", type=float, default=0.5, help="seconds each feed takes to answer")
    p.add_argument("--items", type=int, default=50, help="entries per feed")
    p.add_argument(
        "--bad", type=int, default=3, help="hanging, 500 and 404 feeds each, in the mixed run"
    )
    p.add_argument("--timeout", type=float, default=CollectConfig().timeout)
    p.add_argument("--concurrency", type=int, default=CollectConfig().concurrency)
    p.add_argument(
        "--cap", type=float, default=120, help="give up on a run after this many seconds"
    )
    args = p.parse_args()

    print(
        f"collect bench: {args.feeds} feeds × {args.items} items, {args.delay:g}s delay each, "
        f"timeout {args.timeout:g}s, concurrency {args.concurrency}"
    )
    with Server(args.feeds, args.items, args.delay) as server, tempfile.TemporaryDirectory() as tmp:
        good = [FeedConfig(name=f"源{k}", url=f"{server.base}/ok/{k}") for k in range(args.feeds)]
        bad = [
            FeedConfig(name=f"{kind}{k}", url=f"{server.base}/{kind}/{k}")
            for kind in ("hang", "500", "404")
            for k in range(args.bad)
        ]
        run("healthy", good, args, None)
        run(f"healthy + {len(bad)} hanging/500/404", bad + good, args, None)
        run("healthy, cold cache (200 + ETag)", good, args, Path(tmp))
        run("healthy, warm cache (all 304)", good, args, Path(tmp))


if __name__ == "__main__":
    main()
