"""rank at 10,000 and 50,000 headlines, next to its baselines, in one run (issue 12).

Run: python bench/bench_rank.py [--sizes 10000 50000] [--seed 7] [--base 52d90b2]

Prints, per size, each figure next to its baseline:
- time (CPU seconds, so that a shared machine skews it less): `rank()` in-process on the generated
  items vs feedparser parsing the same items as one RSS
  file, in-process (`feedparser.parse` on the bytes); the ratio is the target (≤ 1.5×). Each
  measurement runs in its own worker process, so peak memory is that process's max RSS (items,
  feed and ranking included) and no run warms another's caches.
- quality on the mixed set: purity (events holding one story) and regrouped (multi-source stories
  that came back as one event).
- pairwise precision/recall on the organisation-heavy precision set (bench/rank_orgs.py), for
  this rank, the baseline rank (the `--base` commit's rank.py and rules.py, loaded from git) and
  a library baseline: MinHash LSH from `datasketch` (`pip install -e '.[bench]'`).

The mixed generator writes realistic-looking headlines (mostly Chinese templates, about one in six
in English) about central banks, data releases, earnings, deals, markets, commodities and local
policy, with varied entities (thousands of made-up company names) and numbers; most stories are
told by several of ~20 feeds with different wording, some items fall outside the window and some
are repeated links. Every item's link names its story. The machine is shared: figures are noisy.
"""

from __future__ import annotations

import argparse
import importlib
import io
import json
import random
import resource
import shutil
import subprocess
import sys
import tempfile
import time
from collections import Counter
from collections.abc import Callable
from datetime import date, datetime, timedelta
from pathlib import Path
from xml.sax.saxutils import escape
from zoneinfo import ZoneInfo

import feedparser

sys.path.insert(0, str(Path(__file__).resolve().parent.parent))
sys.path.insert(0, str(Path(__file__).resolve().parent))

import rank_orgs  # noqa: E402

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


def _settings(names: list[str], weights: dict[str, float]) -> Settings:
    return Settings(
        feeds=[
            FeedConfig(name=n, url=f"https://example.com/{i}.xml", weight=weights.get(n, 1.0))
            for i, n in enumerate(names)
        ]
    )


def _rss(items: list[Item]) -> bytes:
    """The items as one RSS 2.0 file, the shape collect parses."""
    parts = [
        '<?xml version="1.0" encoding="utf-8"?><rss version="2.0"><channel><title>bench</title>'
        "<link>https://example.com/</link><description>bench</description>"
    ]
    for it in items:
        when = it.published.strftime("%a, %d %b %Y %H:%M:%S %z") if it.published else ""
        parts.append(
            f"<item><title>{escape(it.title)}</title><link>{escape(it.link)}</link>"
            f"<description>{escape(it.summary)}</description><pubDate>{when}</pubDate></item>"
        )
    parts.append("</channel></rss>")
    return "".join(parts).encode("utf-8")


def _base_rank(rev: str) -> tuple[Callable, Callable]:
    """rank() and load_rules() as they were at `rev`: rank.py and rules.py from git, beside today's
    rules.yaml (the baseline ignores the sections it does not know)."""
    root = Path(__file__).resolve().parent.parent
    pkg = Path(tempfile.mkdtemp()) / "briefing_base"
    pkg.mkdir()
    (pkg / "__init__.py").write_text("")
    for name in ("rank.py", "rules.py"):
        src = subprocess.run(
            ["git", "show", f"{rev}:briefing/{name}"],
            cwd=root,
            check=True,
            capture_output=True,
            text=True,
        ).stdout
        (pkg / name).write_text(src.replace("from briefing.rules ", "from briefing_base.rules "))
    shutil.copy(root / "briefing" / "rules.yaml", pkg / "rules.yaml")
    sys.path.insert(0, str(pkg.parent))
    base = importlib.import_module("briefing_base.rank")
    return base.rank, importlib.import_module("briefing_base.rules").load_rules


def worker(what: str, n: int, seed: int, base: str) -> dict:
    """One measurement in this process: seconds, max RSS and quality figures."""
    out: dict = {}
    if what == "parse":
        data = _rss(generate(n, seed))
        t0 = time.process_time()
        parsed = feedparser.parse(io.BytesIO(data))
        out["seconds"] = time.process_time() - t0
        assert len(parsed.entries) == n
    elif what == "minhash":
        items = rank_orgs.generate(n)
        t0 = time.process_time()
        groups = rank_orgs.minhash_groups(items)
        out["seconds"] = time.process_time() - t0
        out["precision"], out["recall"] = rank_orgs.pairwise(groups)
    else:
        do_rank, do_load = (rank, load_rules) if what == "rank" else _base_rank(base)
        rules = do_load()
        items = generate(n, seed)
        settings = _settings([f for f, _ in FEEDS], dict(FEEDS))
        do_rank(generate(50, seed), settings, day=DAY, rules=rules)  # import and build matchers
        t0 = time.process_time()
        result = do_rank(items, settings, day=DAY, rules=rules)
        out["seconds"] = time.process_time() - t0
        out["purity"], out["regrouped"] = quality(result.top + result.rest)
        orgs = rank_orgs.generate(n)
        result = do_rank(orgs, _settings(rank_orgs.FEEDS, {}), day=DAY, rules=rules)
        out["precision"], out["recall"] = rank_orgs.pairwise(
            [i.link for i in e.items] for e in result.top + result.rest
        )
    out["rss_mib"] = resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024
    return out


def _run(what: str, n: int, args: argparse.Namespace) -> dict:
    cmd = [sys.executable, __file__, "--worker", what, "--sizes", str(n)]
    cmd += ["--seed", str(args.seed), "--base", args.base]
    done = subprocess.run(cmd, check=True, capture_output=True, text=True)
    return json.loads(done.stdout.strip().splitlines()[-1])


def main() -> None:
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("--sizes", type=int, nargs="+", default=[10000, 50000])
    ap.add_argument("--seed", type=int, default=7)
    ap.add_argument("--base", default="52d90b2", help="the commit whose rank is the baseline")
    ap.add_argument("--worker", help=argparse.SUPPRESS)
    args = ap.parse_args()
    if args.worker:
        print(json.dumps(worker(args.worker, args.sizes[0], args.seed, args.base)))
        return

    print(
        "time: CPU seconds of rank() and of feedparser.parse, in-process, one worker process each;"
    )
    print("memory: max RSS of each worker process. The machine is shared: figures are noisy.")
    times: dict[int, float] = {}
    for n in args.sizes:
        parse, new, old = (_run(w, n, args) for w in ("parse", "rank", "base"))
        lsh = _run("minhash", n, args)
        times[n] = new["seconds"]
        print(f"\n{n} headlines (feedparser parse of the same feed: {parse['seconds']:.2f} s)")
        print(
            f"  rank time      {new['seconds']:6.2f} s = {new['seconds'] / parse['seconds']:.2f}x parse"
            f"   baseline {old['seconds']:6.2f} s = {old['seconds'] / parse['seconds']:.2f}x"
            "   target <= 1.5x"
        )
        print(
            f"  peak memory    {new['rss_mib']:6.0f} MiB        baseline {old['rss_mib']:6.0f} MiB"
            f"   (parse alone {parse['rss_mib']:.0f} MiB)"
        )
        print(
            f"  mixed set      purity {new['purity']:.3f} regrouped {new['regrouped']:.3f}"
            f"   baseline purity {old['purity']:.3f} regrouped {old['regrouped']:.3f}"
        )
        print(
            f"  org set P/R    {new['precision']:.3f} / {new['recall']:.3f}"
            f"   baseline {old['precision']:.3f} / {old['recall']:.3f}"
            f"   MinHash LSH {lsh['precision']:.3f} / {lsh['recall']:.3f} ({lsh['seconds']:.1f} s)"
            "   target P >= 0.85 at R >= 0.9"
        )
    if len(times) >= 2:
        small, big = min(times), max(times)
        print(f"\nnear-linear: {times[big] / times[small]:.1f}x time for {big / small:.0f}x items")


if __name__ == "__main__":
    main()
