"""The LLM part of a run with every answer delayed: wall time in answer-latencies, calls, tokens.

    .venv/bin/python bench/bench_llm.py [--delay 2.0]

Writes 3 events + the headline through LLMWriter and the real openai client against the loopback
fake server (tests/fakellm.py), once clean and once with faults (a 429 and a broken answer on one
event). Token counts are the fake server's: prompt_tokens = prompt characters // 2, not a real
tokenizer; they still show how prompt size scales with the sources.
"""

from __future__ import annotations

import argparse
import asyncio
import sys
import time
from datetime import UTC, datetime, timedelta
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
sys.path[:0] = [str(ROOT), str(ROOT / "tests")]

from fakellm import FakeLLMServer, Reply, message_text  # noqa: E402

from briefing.config import LLMConfig, Settings  # noqa: E402
from briefing.llm import Backoff  # noqa: E402
from briefing.llm_writer import LLMWriter  # noqa: E402
from briefing.models import Event, Item  # noqa: E402
from briefing.write import write_all  # noqa: E402

STORIES = [
    (
        "美联储启动每月400亿美元购债计划",
        "美联储宣布启动每月400亿美元的购债计划，官方强调这并非量化宽松。",
    ),
    (
        "中央经济工作会议定调提质增效",
        "中央经济工作会议在北京召开，提出2026年政策取向为稳中求进、提质增效。",
    ),
    ("日本央行下周加息预期升温", "彭博调查显示，所有受访经济学家均预期日本央行将在下周加息。"),
]
FILLER = "市场人士表示，相关政策的落地节奏与后续数据将决定资产价格的走向，投资者需关注流动性与风险偏好的变化。"


def events() -> tuple[list[Event], list[Event]]:
    t0 = datetime(2025, 12, 12, 1, 0, tzinfo=UTC)
    top = []
    for k, (title, lead) in enumerate(STORIES):
        items = [
            Item(
                title=f"{title}（{src}）",
                link=f"https://example.com/{k}/{j}",
                source=src,
                published=t0 + timedelta(hours=k, minutes=10 * j),
                summary=lead + FILLER * 4,
            )
            for j, src in enumerate(["新华社", "财联社", "华尔街见闻"])
        ]
        top.append(Event(title=title, score=10 - k, items=items))
    rest = [
        Event(title=f"其他要闻{i}", score=1, items=[Item(title=f"其他要闻{i}", source="新华社")])
        for i in range(10)
    ]
    return top, rest


async def one_run(srv: FakeLLMServer, delay: float) -> dict[str, float]:
    settings = Settings(
        feeds=[], llm=LLMConfig(base_url=srv.base_url, api_key="sk-bench", model="fake-model")
    )
    writer = LLMWriter(settings, backoff=Backoff(initial=0.05, maximum=0.2, jitter=0.05))
    top, rest = events()
    started = time.monotonic()
    written, _ = await write_all(writer, top, rest)
    wall = time.monotonic() - started
    totals = writer.totals()
    return {
        **totals,
        "requests": len(srv.requests),
        "wall": wall,
        "latencies": wall / delay,
        "fallbacks": sum(1 for w in written if w.provenance.fallback_reason),
        "prompt_chars_per_event": sum(len(message_text(r)) for r in srv.requests[:3]) / 3,
    }


def report(name: str, r: dict[str, float], delay: float) -> None:
    print(f"{name}:")
    print(
        f"  LLM calls {r['calls']:.0f} (answers {r['attempts']:.0f}, HTTP requests {r['requests']:.0f}, transport retries {r['transport_retries']:.0f}, fallbacks {r['fallbacks']:.0f})"
    )
    print(
        f"  prompt tokens {r['prompt_tokens']:.0f}, completion tokens {r['completion_tokens']:.0f} (fake server: chars // 2); event prompt ≈ {r['prompt_chars_per_event']:.0f} chars"
    )
    print(
        f"  wall {r['wall']:.2f} s with every answer delayed {delay:g} s = {r['latencies']:.2f} answer-latencies"
    )


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--delay", type=float, default=2.0, help="seconds every answer takes")
    args = parser.parse_args()

    with FakeLLMServer(delay=args.delay) as srv:
        clean = asyncio.run(one_run(srv, args.delay))
    report("clean (3 events + headline)", clean, args.delay)

    with FakeLLMServer(delay=args.delay) as srv:
        about = lambda body: "日本央行" in message_text(body) and "SOURCES" in message_text(body)  # noqa: E731
        srv.enqueue(Reply(status=429, headers={"Retry-After": "0"}, delay=0, when=about))
        srv.enqueue(Reply(content='{"title": "日本央行', when=about))
        faulty = asyncio.run(one_run(srv, args.delay))
    report("faults on one event (429, then broken JSON → re-ask)", faulty, args.delay)


if __name__ == "__main__":
    main()
