"""The LLM part of a morning run, as whole processes, with every answer delayed (issue 12).

    .venv/bin/python bench/bench_llm.py [--delay 2.0]

Runs `briefing run` on the bundled sample (examples/feeds.yaml, 2025-12-12) in a fresh Python
process against the loopback fake server (tests/fakellm.py), twice with the same cache folder,
and prints, next to the baselines measured before this work (issue 12):

- the LLM part of the first run (write stage start → end, imports included) in answer-latencies;
- how long after the write stage started the first request arrived (import and prompt time on
  the critical path), and how long importing the LLM stack takes when nothing overlaps it;
- requests made by the identical second run (the answer cache).

Then, in this process, the old fault scenario (a 429 and a broken answer on one event). Token
counts are the fake server's (characters // 2). The machine is shared: figures are noisy.
"""

from __future__ import annotations

import argparse
import asyncio
import json
import os
import subprocess
import sys
import tempfile
import threading
import time
from datetime import UTC, datetime, timedelta
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
sys.path[:0] = [str(ROOT), str(ROOT / "tests")]

from fakellm import FakeLLMServer, Reply, message_text  # noqa: E402

BASELINE_LATENCIES = 2.43  # events, then the headline, plus ~0.7 s of imports (issue 12)
BASELINE_SECOND_RUN_REQUESTS = 4
BASELINE_IMPORT = 0.7

CHILD = """
import asyncio, json, sys, time
t0 = time.time()
from datetime import date
from pathlib import Path
from briefing.config import load_settings
from briefing.write import preload
stages = {"start": t0}
settings = load_settings(sys.argv[1])
preload(settings)  # as `briefing run` does, before the pipeline is imported
from briefing.pipeline import run_async
asyncio.run(run_async(settings, day=date(2025, 12, 12), out_dir=Path(sys.argv[2]), force=True,
                      on_stage=lambda s: stages.__setitem__(s, time.time())))
stages["end"] = time.time()
print(json.dumps(stages))
"""

IMPORT_ONLY = "import time; t = time.time(); import briefing.llm_writer; print(time.time() - t)"


class SlowFeeds:
    """The sample's feed files over loopback HTTP, each answering after `delay` seconds."""

    def __init__(self, delay: float) -> None:
        folder, wait = ROOT / "examples" / "feeds", delay

        class Handler(BaseHTTPRequestHandler):
            def log_message(self, *args: object) -> None:
                pass

            def do_GET(self) -> None:
                time.sleep(wait)
                path = folder / Path(self.path).name
                body = path.read_bytes() if path.is_file() else b""
                self.send_response(200 if body else 404)
                self.send_header("Content-Type", "application/xml")
                self.send_header("Content-Length", str(len(body)))
                self.end_headers()
                self.wfile.write(body)

        self.server = ThreadingHTTPServer(("127.0.0.1", 0), Handler)
        self.server.daemon_threads = True
        threading.Thread(target=self.server.serve_forever, daemon=True).start()

    def feeds_yaml(self, folder: Path) -> Path:
        """examples/feeds.yaml with every feed pointing at this server."""
        port = self.server.server_address[1]
        text = (ROOT / "examples" / "feeds.yaml").read_text(encoding="utf-8")
        text = text.replace("url: feeds/", f"url: http://127.0.0.1:{port}/feeds/")
        path = folder / "feeds.yaml"
        path.write_text(text, encoding="utf-8")
        return path

    def close(self) -> None:
        self.server.shutdown()
        self.server.server_close()


def child_run(srv: FakeLLMServer, feeds: Path, cache: Path, out: Path) -> dict[str, float]:
    env = {**os.environ, **srv.env, "BRIEFING_CACHE_DIR": str(cache), "PYTHONPATH": str(ROOT)}
    proc = subprocess.run(
        [sys.executable, "-c", CHILD, str(feeds), str(out)],
        env=env,
        capture_output=True,
        text=True,
        check=True,
    )
    return json.loads(proc.stdout.strip().splitlines()[-1])


def whole_process(delay: float, feed_delay: float) -> None:
    slow = SlowFeeds(feed_delay)
    with tempfile.TemporaryDirectory() as tmp:
        for label, feeds in (
            (
                f"feeds over loopback HTTP answering after {feed_delay:g} s",
                slow.feeds_yaml(Path(tmp)),
            ),
            (
                "feeds as local files (no I/O wait to hide imports behind)",
                ROOT / "examples" / "feeds.yaml",
            ),
        ):
            with FakeLLMServer(delay=delay) as srv:
                cache, out = Path(tmp) / label[:5] / "cache", Path(tmp) / label[:5] / "out"
                first = child_run(srv, feeds, cache, out)
                n_first, arrived = len(srv.requests), list(srv.arrived)
                second = child_run(srv, feeds, cache, out)
                n_second = len(srv.requests) - n_first
            llm_part = first["check"] - first["write"]
            print(f"whole process, the bundled sample, every answer {delay:g} s; {label}:")
            print(
                f"  LLM part (write stage)   {llm_part:5.2f} s = {llm_part / delay:.2f} answer-latencies"
                f"  (baseline {BASELINE_LATENCIES:.2f}; target ≤ 1.5)"
            )
            print(
                f"  first request left       {arrived[0] - first['write']:5.2f} s into the write stage"
                f" (imports still on the critical path; baseline ~{BASELINE_IMPORT:.1f} s);"
                f" collect+rank took {first['write'] - first['collect']:.2f} s"
            )
            rounds = (first["check"] - arrived[0]) / delay
            print(
                f"  first request → stage end {first['check'] - arrived[0]:5.2f} s = {rounds:.2f}"
                " answer-latencies (the LLM round itself, imports aside)"
            )
            print(
                f"  requests, first run      {n_first} in one round (3 events, headline, 一般事件"
                f" translation), all sent within {max(arrived) - min(arrived):.2f} s"
            )
            print(
                f"  identical second run     {n_second} requests (baseline {BASELINE_SECOND_RUN_REQUESTS};"
                f" target 0); its write stage {second['check'] - second['write']:.2f} s"
            )
    slow.close()
    import_alone = float(
        subprocess.run(
            [sys.executable, "-c", IMPORT_ONLY],
            env={**os.environ, "PYTHONPATH": str(ROOT)},
            capture_output=True,
            text=True,
            check=True,
        ).stdout
    )
    print(
        f"importing the LLM stack alone (langchain-core, langsmith, openai): {import_alone:.2f} s"
    )


# -- in process: the fault scenario ------------------------------------------------------------


def events():
    from briefing.models import Event, Item

    stories = [
        ("美联储启动每月400亿美元购债计划", "美联储宣布启动每月400亿美元的购债计划。"),
        ("中央经济工作会议定调提质增效", "中央经济工作会议在北京召开，提出政策取向。"),
        ("日本央行下周加息预期升温", "彭博调查显示，受访经济学家均预期日本央行将加息。"),
    ]
    filler = "市场人士表示，后续数据将决定资产价格的走向，投资者需关注流动性与风险偏好的变化。"
    t0 = datetime(2025, 12, 12, 1, 0, tzinfo=UTC)
    top = [
        Event(
            title=title,
            score=10 - k,
            items=[
                Item(
                    title=f"{title}（{src}）",
                    link=f"https://example.com/{k}/{j}",
                    source=src,
                    published=t0 + timedelta(hours=k, minutes=10 * j),
                    summary=lead + filler * 4,
                )
                for j, src in enumerate(["新华社", "财联社", "华尔街见闻"])
            ],
        )
        for k, (title, lead) in enumerate(stories)
    ]
    rest = [Event(title=f"其他要闻{i}", score=1, items=[]) for i in range(10)]
    return top, rest


def faults(delay: float) -> None:
    from briefing.config import LLMConfig, Settings
    from briefing.llm import Backoff
    from briefing.llm_writer import LLMWriter
    from briefing.write import write_all

    with FakeLLMServer(delay=delay) as srv:
        about = lambda b: "日本央行" in message_text(b) and "<<<SOURCES" in message_text(b)  # noqa: E731
        srv.enqueue(Reply(status=429, headers={"Retry-After": "0"}, delay=0, when=about))
        srv.enqueue(Reply(content='{"title": "日本央行', when=about))
        settings = Settings(
            feeds=[], llm=LLMConfig(base_url=srv.base_url, api_key="sk-bench", model="fake-model")
        )
        writer = LLMWriter(settings, backoff=Backoff(initial=0.05, maximum=0.2, jitter=0.05))
        top, rest = events()
        started = time.monotonic()
        written, _ = asyncio.run(write_all(writer, top, rest))
        wall = time.monotonic() - started
        t = writer.totals()
    print("in process, faults on one event (429, then broken JSON → re-ask):")
    print(
        f"  {t['calls']} calls, {len(srv.requests)} HTTP requests, {t['transport_retries']} transport"
        f" retries, {sum(1 for w in written if w.provenance.fallback_reason)} fallbacks;"
        f" {t['prompt_tokens']} prompt + {t['completion_tokens']} completion tokens (fake: chars // 2)"
    )
    print(
        f"  wall {wall:.2f} s = {wall / delay:.2f} answer-latencies (a re-ask is a second latency)"
    )


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--delay", type=float, default=2.0, help="seconds every answer takes")
    parser.add_argument("--feed-delay", type=float, default=1.0, help="seconds every feed takes")
    args = parser.parse_args()
    whole_process(args.delay, args.feed_delay)
    faults(args.delay)


if __name__ == "__main__":
    main()
