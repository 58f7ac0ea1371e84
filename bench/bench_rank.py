"""rank on 1,000 and 10,000 generated headlines: time, peak memory and how well stories regroup.

Run: python bench/bench_rank.py [--sizes 1000 10000] [--seed 7] [--repeat 3]

The generator writes realistic-looking headlines (mostly Chinese templates, about one in six in
English) about central banks, data releases, earnings, deals, markets, commodities and local
policy, with varied entities (thousands of made-up company names) and numbers; most stories are told by several of ~20 feeds with different
wording, some items fall outside the window and some are repeated links. Every item's link names
its story, so the script can also report purity (share of events holding one story) and how many
multi-source stories came back as one event.
"""

from __future__ import annotations

import argparse
import random
import sys
import time
import tracemalloc
from collections import Counter
from datetime import date, datetime, timedelta
from pathlib import Path
from zoneinfo import ZoneInfo

sys.path.insert(0, str(Path(__file__).resolve().parent.parent))

from briefing.config import FeedConfig, Settings  # noqa: E402
from briefing.models import Item  # noqa: E402
from briefing.rank import rank  # noqa: E402
from briefing.rules import load_rules  # noqa: E402

TZ = ZoneInfo("Asia/Shanghai")
DAY = date(2025, 12, 12)
END = datetime(2025, 12, 13, tzinfo=TZ)

FEEDS = [
    ("新华社", 1.5), ("人民日报", 1.4), ("财联社", 1.3), ("第一财经", 1.2), ("财新", 1.2),
    ("华尔街见闻", 1.1), ("证券时报", 1.0), ("中国证券报", 1.0), ("上海证券报", 1.0), ("经济观察报", 0.9),
    ("21世纪经济报道", 0.9), ("界面新闻", 0.8), ("澎湃新闻", 0.8), ("新浪财经", 0.7), ("东方财富", 0.7),
    ("日经中文网", 0.9), ("FT中文网", 1.0), ("Reuters", 1.2), ("Bloomberg", 1.2), ("CNBC", 0.8),
]  # fmt: skip
ENGLISH = {"Reuters", "Bloomberg", "CNBC"}
FEED_NO = {name: k for k, (name, _) in enumerate(FEEDS)}

BANKS = [
    ("美联储", "Fed"), ("欧洲央行", "ECB"), ("英国央行", "Bank of England"), ("日本央行", "Bank of Japan"),
    ("中国人民银行", "PBOC"), ("澳洲联储", "RBA"), ("加拿大央行", "Bank of Canada"), ("瑞士央行", "SNB"),
    ("韩国央行", "Bank of Korea"), ("印度央行", "RBI"), ("巴西央行", "Brazil's central bank"), ("土耳其央行", "Turkey's central bank"),
]  # fmt: skip
COUNTRIES = [
    ("中国", "China"), ("美国", "US"), ("欧元区", "Euro zone"), ("日本", "Japan"), ("英国", "UK"),
    ("德国", "Germany"), ("韩国", "South Korea"), ("印度", "India"), ("法国", "France"), ("澳大利亚", "Australia"),
]  # fmt: skip
INDICATORS = [
    ("CPI", "CPI"), ("PPI", "PPI"), ("制造业PMI", "manufacturing PMI"), ("GDP", "GDP"),
    ("零售销售", "retail sales"), ("工业产出", "industrial output"), ("出口", "exports"), ("失业率", "unemployment rate"),
]  # fmt: skip
COMPANIES = [
    ("贵州茅台", "Kweichow Moutai"), ("宁德时代", "CATL"), ("比亚迪", "BYD"), ("腾讯控股", "Tencent"),
    ("阿里巴巴", "Alibaba"), ("小米集团", "Xiaomi"), ("美团", "Meituan"), ("京东", "JD.com"), ("中芯国际", "SMIC"),
    ("工商银行", "ICBC"), ("招商银行", "China Merchants Bank"), ("中国平安", "Ping An"), ("万科", "Vanke"),
    ("英伟达", "Nvidia"), ("苹果", "Apple"), ("特斯拉", "Tesla"), ("微软", "Microsoft"), ("台积电", "TSMC"),
    ("三星电子", "Samsung"), ("丰田汽车", "Toyota"), ("隆基绿能", "Longi"), ("紫金矿业", "Zijin Mining"),
    ("中国石油", "PetroChina"), ("中国移动", "China Mobile"), ("网易", "NetEase"), ("拼多多", "PDD"),
]  # fmt: skip
INDICES = [("沪指", "Shanghai Composite"), ("深成指", "Shenzhen Component"), ("创业板指", "ChiNext"),
           ("恒指", "Hang Seng"), ("日经225", "Nikkei"), ("纳指", "Nasdaq"), ("标普500", "S&P 500"), ("道指", "Dow")]  # fmt: skip
COMMODITIES = [("黄金", "Gold", "美元/盎司"), ("布伦特原油", "Brent crude", "美元/桶"), ("铜", "Copper", "美元/吨"),
               ("白银", "Silver", "美元/盎司"), ("铁矿石", "Iron ore", "美元/吨"), ("天然气", "Natural gas", "美元")]  # fmt: skip
PLACES = [
    ("山东", "Shandong"), ("广东", "Guangdong"), ("江苏", "Jiangsu"), ("浙江", "Zhejiang"), ("四川", "Sichuan"),
    ("湖北", "Hubei"), ("河南", "Henan"), ("福建", "Fujian"), ("安徽", "Anhui"), ("上海", "Shanghai"),
    ("北京", "Beijing"), ("深圳", "Shenzhen"), ("重庆", "Chongqing"), ("天津", "Tianjin"), ("湖南", "Hunan"),
    ("河北", "Hebei"), ("陕西", "Shaanxi"), ("江西", "Jiangxi"), ("广西", "Guangxi"), ("云南", "Yunnan"),
    ("贵州", "Guizhou"), ("山西", "Shanxi"), ("辽宁", "Liaoning"), ("吉林", "Jilin"), ("海南", "Hainan"),
    ("苏州", "Suzhou"), ("杭州", "Hangzhou"), ("成都", "Chengdu"), ("武汉", "Wuhan"), ("西安", "Xi'an"),
    ("南京", "Nanjing"), ("宁波", "Ningbo"), ("青岛", "Qingdao"), ("厦门", "Xiamen"), ("合肥", "Hefei"),
]  # fmt: skip
TOPICS = [
    ("人工智能", "AI"), ("低空经济", "low-altitude economy"), ("商业航天", "commercial space"), ("新能源汽车", "EVs"),
    ("生物医药", "biotech"), ("集成电路", "chips"), ("数据要素", "data"), ("绿色金融", "green finance"),
    ("养老服务", "elderly care"), ("文旅消费", "tourism"), ("氢能", "hydrogen"), ("机器人", "robotics"),
    ("算力", "computing power"), ("新型储能", "energy storage"), ("海洋经济", "marine economy"), ("量子科技", "quantum tech"),
    ("跨境电商", "cross-border e-commerce"), ("智能网联汽车", "connected cars"), ("现代农业", "agriculture"), ("城市更新", "urban renewal"),
]  # fmt: skip
NAME_A = [("华", "Hua"), ("中", "Zhong"), ("东", "Dong"), ("天", "Tian"), ("国", "Guo"), ("海", "Hai"), ("金", "Jin"),
          ("新", "Xin"), ("恒", "Heng"), ("远", "Yuan"), ("汇", "Hui"), ("鼎", "Ding"), ("瑞", "Rui"), ("宏", "Hong"),
          ("安", "An"), ("泰", "Tai"), ("德", "De"), ("光", "Guang"), ("长", "Chang"), ("联", "Lian")]  # fmt: skip
NAME_B = [("科", "ke"), ("信", "xin"), ("达", "da"), ("盛", "sheng"), ("源", "yuan"), ("通", "tong"), ("顺", "shun"),
          ("丰", "feng"), ("隆", "long"), ("辉", "hui"), ("润", "run"), ("晟", "sheng"), ("驰", "chi"), ("威", "wei")]  # fmt: skip
INDUSTRY = [("医药", "Pharma"), ("证券", "Securities"), ("电子", "Electronics"), ("新能源", "New Energy"),
            ("科技", "Technology"), ("银行", "Bank"), ("重工", "Heavy Industry"), ("汽车", "Auto"), ("食品", "Foods"),
            ("传媒", "Media"), ("材料", "Materials"), ("化工", "Chemical"), ("半导体", "Semiconductor"), ("物流", "Logistics")]  # fmt: skip


def _company(rng: random.Random) -> tuple[str, str]:
    """A made-up listed company: 4,000 names, most stories about different ones (like a real day)."""
    if rng.random() < 0.25:
        return rng.choice(COMPANIES)
    (a, pa), (b, pb), (c, pc) = rng.choice(NAME_A), rng.choice(NAME_B), rng.choice(INDUSTRY)
    return f"{a}{b}{c}", f"{pa}{pb} {pc}"


def _fresh(rng: random.Random, pool: list, used: set) -> tuple | None:
    """One of `pool` not told yet: a central bank decides once a day, an index closes once, a
    country publishes one reading of an indicator."""
    left = [x for x in pool if x not in used]
    if not left:
        return None
    pick = rng.choice(left)
    used.add(pick)
    return pick


def _story(rng: random.Random, used: set) -> list[tuple[str, str]]:
    """Several (Chinese, English) wordings of one made-up story; numbers and entities fixed per story."""
    kind = rng.choices(range(7), weights=[4, 12, 30, 4, 8, 20, 22])[0]
    bank = _fresh(rng, BANKS, used) if kind == 0 else None
    data = _fresh(rng, [(c, i) for c in COUNTRIES for i in INDICATORS], used) if kind == 1 else None
    index = _fresh(rng, INDICES, used) if kind == 3 else None
    if kind in (0, 1, 3) and not (bank or data or index):
        kind = 2  # all told: another company reports instead
    if bank:
        (zh, en), bp = bank, rng.choice([25, 50, 75])
        rate = round(rng.uniform(0.25, 12) * 4) / 4 + rng.choice([0, 0, 0.1, 0.15])
        act, verb = ("降息", "cuts") if rng.random() < 0.6 else ("加息", "raises")
        return [
            (
                f"{zh}宣布{act}{bp}个基点 政策利率调整至{rate}%",
                f"{en} {verb} rates by {bp} basis points to {rate}%",
            ),
            (
                f"{zh}{act}{bp}基点至{rate}%，符合市场预期",
                f"{en} {verb} key rate {bp} bps to {rate}%",
            ),
            (
                f"快讯：{zh}将基准利率调整{bp}个基点至{rate}%",
                f"{en} {verb} rates to {rate}%, as expected",
            ),
            (
                f"{zh}决议：{act}{bp}个基点，行长称将视数据而定",
                f"{en} {verb} rates {bp}bp, says data dependent",
            ),
        ]
    if data:
        (zh, en), (izh, ien) = data
        v, exp, m = round(rng.uniform(-3, 9), 2), round(rng.uniform(-3, 9), 2), rng.randint(1, 11)
        return [
            (
                f"{zh}{m}月{izh}同比{v}% 预期{exp}%",
                f"{en} {ien} at {v}% in month {m}, forecast {exp}%",
            ),
            (
                f"{zh}公布{m}月{izh}：同比{v}%，前值{exp}%",
                f"{en} {m}-month {ien} {v}% vs {exp}% expected",
            ),
            (f"数据：{zh}{izh}{m}月录得{v}%", f"{en} {ien} comes in at {v}%"),
        ]
    if kind == 2:
        zh, en = _company(rng)
        rev, g = round(rng.uniform(50, 9000), 1), round(rng.uniform(-40, 80), 1)
        return [
            (
                f"{zh}前三季度营收{rev}亿元 同比增长{g}%",
                f"{en} revenue rises {g}% to {rev / 10:g} billion yuan",
            ),
            (f"{zh}发布财报：营收同比增{g}%至{rev}亿元", f"{en} posts {g}% revenue growth"),
            (
                f"{zh}业绩出炉，收入{rev}亿元，同比{g}%",
                f"{en} results: revenue {rev / 10:g} billion yuan, up {g}%",
            ),
            (
                f"{zh}营收{rev}亿元超预期，股价盘后波动",
                f"{en} beats forecasts with {rev / 10:g} billion yuan revenue",
            ),
        ]
    if index:
        zh, en = index
        v, t = round(rng.uniform(-4, 4), 2), round(rng.uniform(0.8, 3.2), 2)
        return [
            (
                f"{zh}收{'涨' if v > 0 else '跌'}{abs(v)}% 成交额{t}万亿元",
                f"{en} closes {v}%, turnover {t} trillion yuan",
            ),
            (
                f"收评：{zh}{'上涨' if v > 0 else '下跌'}{abs(v)}%，两市成交{t}万亿元",
                f"{en} ends {v}% on {t} trillion yuan turnover",
            ),
            (f"{zh}报收{'涨' if v > 0 else '跌'}幅{abs(v)}%", f"{en} {v}% at close"),
        ]
    if kind == 4:
        zh, en, unit = rng.choice(COMMODITIES)
        p, chg = round(rng.uniform(3, 4500), 1), round(rng.uniform(0.5, 6), 2)
        return [
            (f"{zh}价格升至{p}{unit} 日内涨{chg}%", f"{en} climbs {chg}% to ${p}"),
            (f"{zh}大涨{chg}%，报{p}{unit}", f"{en} jumps {chg}% to {p}"),
            (f"{zh}期货涨{chg}% 创阶段新高{p}", f"{en} hits {p}, up {chg}%"),
        ]
    if kind == 5:
        (pzh, pen), (tzh, ten) = rng.choice(PLACES), rng.choice(TOPICS)
        n, y, amt = (
            rng.randint(10, 40),
            rng.choice([2026, 2027, 2028, 2030]),
            round(rng.uniform(100, 5000), 1),
        )
        return [
            (
                f"{pzh}发布{tzh}行动方案 {n}条措施力争{y}年产值超{amt}亿元",
                f"{pen} unveils {n} measures on {ten}, eyes {amt / 10:g} billion yuan by {y}",
            ),
            (
                f"{pzh}出台{n}条举措支持{tzh}，目标{y}年规模{amt}亿元",
                f"{pen} plans {amt / 10:g} billion yuan {ten} industry by {y}",
            ),
            (
                f"{tzh}迎政策利好：{pzh}{n}条措施落地，规模目标{amt}亿元",
                f"{pen} rolls out {n} {ten} measures",
            ),
        ]
    (azh, aen), (bzh, ben) = _company(rng), _company(rng)
    amt, pct = round(rng.uniform(3, 900), 1), rng.randint(5, 100)
    return [
        (
            f"{azh}拟以{amt}亿元收购{bzh}{pct}%股权",
            f"{aen} to buy {pct}% of {ben} for {amt / 10:g} billion yuan",
        ),
        (
            f"{azh}发布公告：斥资{amt}亿元入股{bzh}",
            f"{aen} agrees {amt / 10:g} billion yuan deal for {ben} stake",
        ),
        (f"并购快讯：{azh}{amt}亿元拿下{bzh}{pct}%股份", f"{aen} buys {ben} stake"),
    ]


def generate(n: int, seed: int = 7) -> list[Item]:
    """About n items: stories told by 1–6 feeds, 5% outside the window, 3% repeated links."""
    rng = random.Random(seed)
    items: list[Item] = []
    sid = 0
    used: set = set()
    while len(items) < n:
        sid += 1
        wordings = _story(rng, used)
        base = END - timedelta(
            hours=rng.uniform(0, 40)
        )  # some stories are older than the 36 h window
        n_src = min(len(FEEDS), rng.choice([1, 1, 1, 2, 2, 3, 3, 4, 5, 6]))
        for k, (feed, _w) in enumerate(rng.sample(FEEDS, n_src)):
            zh, en = rng.choice(wordings)
            title = en if feed in ENGLISH else zh
            when = min(END - timedelta(minutes=1), base + timedelta(minutes=rng.uniform(0, 180)))
            items.append(
                Item(
                    title=title,
                    source=feed,
                    link=f"https://feed{FEED_NO[feed]}.example.com/s{sid}/{k}",
                    summary=f"{title}。{'据报道' if feed not in ENGLISH else 'According to people familiar,'} {wordings[0][0 if feed not in ENGLISH else 1]}",
                    published=when,
                )
            )
            if rng.random() < 0.03:
                items.append(items[-1].model_copy())
    return items[:n]


def _story_of(item: Item) -> str:
    return item.link.split("/")[3]


def quality(events: list) -> tuple[float, float]:
    """Purity (events holding one story) and completeness (multi-source stories regrouped as one event)."""
    pure = sum(len({_story_of(i) for i in e.items}) == 1 for e in events) / max(1, len(events))
    homes: dict[str, set[int]] = {}
    for k, e in enumerate(events):
        for i in e.items:
            homes.setdefault(_story_of(i), set()).add(k)
    sizes = Counter(_story_of(i) for e in events for i in e.items)
    multi = [s for s, c in sizes.items() if c > 1]
    whole = sum(len(homes[s]) == 1 for s in multi) / max(1, len(multi))
    return pure, whole


def main() -> None:
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("--sizes", type=int, nargs="+", default=[1000, 10000])
    ap.add_argument("--seed", type=int, default=7)
    ap.add_argument("--repeat", type=int, default=3, help="runs per size; the fastest counts")
    args = ap.parse_args()
    settings = Settings(
        feeds=[
            FeedConfig(name=n, url=f"https://example.com/{i}.xml", weight=w)
            for i, (n, w) in enumerate(FEEDS)
        ]
    )
    rules = load_rules()
    rank(generate(50, args.seed), settings, day=DAY, rules=rules)  # warm regex caches

    times: dict[int, float] = {}
    for n in args.sizes:
        items = generate(n, args.seed)
        runs = []
        for _ in range(args.repeat):
            t0 = time.perf_counter()
            result = rank(items, settings, day=DAY, rules=rules)
            runs.append(time.perf_counter() - t0)
        times[n] = min(runs)
        tracemalloc.start()
        rank(items, settings, day=DAY, rules=rules)
        peak = tracemalloc.get_traced_memory()[1]
        tracemalloc.stop()
        events = result.top + result.rest
        pure, whole = quality(events)
        print(
            f"rank {n:>6} items: {times[n]:6.2f} s  peak {peak / 2**20:6.1f} MiB  "
            f"events {len(events):>5}  dropped {result.dropped}  purity {pure:.3f}  regrouped {whole:.3f}"
        )
        for e in result.top:
            print(f"    top  {e.score:6.2f}  {len(e.sources)} sources  {e.title}")
    if len(times) >= 2:
        small, big = min(times), max(times)
        print(
            f"ratio {big}/{small}: {times[big] / times[small]:.1f}x time for {big / small:.0f}x items"
        )


if __name__ == "__main__":
    main()
