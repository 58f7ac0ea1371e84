"""The memory around rank on a big backlog: a week of published stories against 10,000 new items.

Run: python bench/bench_memory.py [--items 1000 10000] [--seed 7]

Published: seven days of 3 top events (8 items each) and 15 一般事件 lines, drawn from
bench_rank's headline generator; the backlog: that many generated items, a tenth of them copies of
published items (same link) and a tenth retold headlines (new link, the same words). Prints the
seconds `Memory.fresh` and `Memory.annotate` take (annotate over events of up to 8 items) and
how many items and events each left out.
"""

from __future__ import annotations

import argparse
import random
import sys
import time
from datetime import date, timedelta
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent))
sys.path.insert(0, str(Path(__file__).resolve().parent.parent))

from bench_rank import generate  # noqa: E402

from briefing.memory import Memory, Story, features, item_keys  # noqa: E402
from briefing.models import Event, Item, RankResult  # noqa: E402

DAY = date(2025, 12, 12)


def published_week(rng: random.Random) -> tuple[Memory, list[Item]]:
    pool = generate(7 * (3 * 8 + 15), seed=rng.randrange(10**6))
    memory, told = Memory(), []
    for d in range(1, 8):
        day = DAY - timedelta(days=d)
        for top in (True,) * 3 + (False,) * 15:
            items = [pool.pop() for _ in range(8 if top else 1)]
            told += items
            memory.stories.append(
                Story(day, items[0].title, top, headlines=[features(i.title) for i in items])
            )
            memory.keys |= set().union(*(item_keys(i) for i in items))
    return memory, told


def backlog(n: int, told: list[Item], rng: random.Random) -> list[Item]:
    items = generate(n, seed=rng.randrange(10**6))
    for k in range(0, n, 10):
        items[k] = rng.choice(told)
    for k in range(5, n, 10):
        old = rng.choice(told)
        items[k] = Item(title=old.title, source="转载", link=f"https://copy.example/{k}")
    return items


def main() -> None:
    ap = argparse.ArgumentParser()
    ap.add_argument("--items", type=int, nargs="+", default=[1000, 10000])
    ap.add_argument("--seed", type=int, default=7)
    args = ap.parse_args()
    for n in args.items:
        rng = random.Random(args.seed)
        memory, told = published_week(rng)
        items = backlog(n, told, rng)
        t = time.perf_counter()
        fresh = memory.fresh(items)
        t_fresh = time.perf_counter() - t
        events = [
            Event(title=fresh[k].title, score=1.0, items=fresh[k : k + rng.randint(1, 8)])
            for k in range(0, len(fresh), 4)
        ]
        t = time.perf_counter()
        out = memory.annotate(RankResult(top=events[:3], rest=events[3:]))
        t_annotate = time.perf_counter() - t
        print(
            f"memory, {len(memory.stories)} published stories vs {n:,} items: fresh {t_fresh:.2f} s "
            f"({n - len(fresh):,} left out), annotate {len(events):,} events {t_annotate:.2f} s "
            f"({len(events) - len(out.top) - len(out.rest):,} retold left out)"
        )


if __name__ == "__main__":
    main()
