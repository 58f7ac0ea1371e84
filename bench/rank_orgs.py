"""The precision set of issue 12: many different stories of few organisations, and how to score it.

20 organisations × 10 actions × 10 topics × numbers with units; each story is told 1–5 times with
one of three wordings, a prefix like 「快讯：」 and a suffix like 「，股价应声上涨」. Two stories of one
company can share the action and the topic and differ only in the figure, so grouping must not
swallow them into one event. Every item's link names its story (`/s123/…`).
"""

from __future__ import annotations

import random
from collections import Counter
from collections.abc import Iterable
from datetime import datetime, timedelta
from zoneinfo import ZoneInfo

from briefing.models import Item

TZ = ZoneInfo("Asia/Shanghai")
END = datetime(2025, 12, 13, tzinfo=TZ)
FEEDS = [f"来源{k}" for k in range(20)]
ORGS = [
    "华为", "腾讯", "阿里巴巴", "比亚迪", "宁德时代", "小米", "美团", "京东", "百度", "中芯国际",
    "海尔智家", "格力电器", "美的集团", "蔚来", "理想汽车", "隆基绿能", "中国移动", "海康威视",
    "立讯精密", "药明康德",
]  # fmt: skip
ACTIONS = [  # three wordings of each action; {n} the figure, {t} the topic
    ("投资{n}亿元布局{t}", "斥资{n}亿元加码{t}", "拟投{n}亿元发力{t}"),
    ("发布{t}新品 定价{n}元起", "推出{t}新产品，售价{n}元起", "{t}新品亮相，起售价{n}元"),
    ("{t}业务营收增长{n}%", "{t}板块收入同比增{n}%", "{t}业务收入大增{n}%"),
    ("中标{n}亿元{t}项目", "拿下{n}亿元{t}大单", "斩获{t}订单{n}亿元"),
    ("回购{n}亿元股份 聚焦{t}", "宣布{n}亿元回购计划，押注{t}", "启动{n}亿元回购，{t}战略不变"),
    ("{t}部门裁员{n}人", "{t}团队将裁减{n}名员工", "{t}业务线裁员约{n}人"),
    ("募资{n}亿元投向{t}", "定增募资{n}亿元用于{t}", "拟募集{n}亿元发展{t}"),
    ("{t}工厂扩产{n}万台", "扩建{t}产能{n}万台", "新增{t}年产能{n}万台"),
    ("与合作伙伴签约{n}亿元{t}协议", "签下{n}亿元{t}合作协议", "达成{n}亿元{t}战略合作"),
    ("{t}产品降价{n}%", "下调{t}产品价格{n}%", "{t}产品价格下调{n}%"),
]
TOPICS = [
    "人工智能", "新能源汽车", "芯片", "储能", "机器人", "云计算", "智能家居", "光伏", "生物医药",
    "自动驾驶",
]  # fmt: skip
PREFIX = ["", "", "", "快讯：", "独家：", "【重磅】", "突发！", "最新消息："]
SUFFIX = ["", "", "", "，股价应声上涨", "，市场反应积极", "，盘中股价拉升", "，分析师称影响有限"]


def generate(n: int, seed: int = 11) -> list[Item]:
    """About n items, stories told 1–5 times by different feeds, all inside the report window."""
    rng = random.Random(seed)
    items: list[Item] = []
    sid = 0
    while len(items) < n:
        sid += 1
        org, action, topic = rng.choice(ORGS), rng.choice(ACTIONS), rng.choice(TOPICS)
        figure = rng.choice([round(rng.uniform(1, 999), 1), rng.randint(100, 9999)])
        base = END - timedelta(hours=rng.uniform(3, 34))
        for k, feed in enumerate(rng.sample(FEEDS, rng.randint(1, 5))):
            body = rng.choice(action).format(n=figure, t=topic)
            items.append(
                Item(
                    title=rng.choice(PREFIX) + org + body + rng.choice(SUFFIX),
                    source=feed,
                    link=f"https://s.example.com/s{sid}/{k}",
                    published=base + timedelta(minutes=rng.uniform(0, 120)),
                )
            )
    return items[:n]


def story_of(link: str) -> str:
    return link.split("/")[3]


def pairwise(groups: Iterable[Iterable[str]]) -> tuple[float, float]:
    """Pairwise precision and recall of a grouping of links against the stories the links name."""
    tp = predicted = 0
    sizes: Counter[str] = Counter()
    for group in groups:
        stories = Counter(story_of(link) for link in group)
        m = sum(stories.values())
        predicted += m * (m - 1) // 2
        tp += sum(v * (v - 1) // 2 for v in stories.values())
        sizes.update(stories)
    true = sum(v * (v - 1) // 2 for v in sizes.values())
    return tp / max(1, predicted), tp / max(1, true)


def minhash_groups(
    items: list[Item], threshold: float = 0.6, num_perm: int = 64
) -> list[list[str]]:
    """The library baseline: MinHash LSH (datasketch) over character 3-grams of each title, then
    connected components of the candidate pairs whose estimated Jaccard reaches the threshold."""
    from datasketch import MinHash, MinHashLSH

    lsh = MinHashLSH(threshold=threshold, num_perm=num_perm)
    hashes = []
    for k, it in enumerate(items):
        m = MinHash(num_perm=num_perm)
        t = it.title
        m.update_batch([t[i : i + 3].encode() for i in range(max(1, len(t) - 2))])
        lsh.insert(str(k), m)
        hashes.append(m)
    root = list(range(len(items)))

    def find(x: int) -> int:
        while root[x] != x:
            root[x] = root[root[x]]
            x = root[x]
        return x

    for k, m in enumerate(hashes):
        for other in lsh.query(m):
            if m.jaccard(hashes[int(other)]) < threshold:
                continue  # LSH proposes candidates; the estimate decides
            a, b = find(k), find(int(other))
            if a != b:
                root[max(a, b)] = min(a, b)
    groups: dict[int, list[str]] = {}
    for k, it in enumerate(items):
        groups.setdefault(find(k), []).append(it.link)
    return list(groups.values())
