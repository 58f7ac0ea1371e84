"""Feed faults through the real CLI (`briefing collect --json`): one test per class, exact outcomes.

Hostile text, undeclared encodings, broken XML, oversized files and feeds, credentials in feed
URLs, zone-less dates, platform boilerplate, per-host limits and 304 reuse. Remote cases go
through the loopback FeedServer; local cases through real files.
"""

from __future__ import annotations

import json
import os
import random
import re
import resource
import subprocess
import sys
import unicodedata
from collections.abc import Iterator
from contextlib import ExitStack, contextmanager
from pathlib import Path

import pytest
import yaml
from click.testing import CliRunner
from feedserver import FeedServer, Reply, fixture, serve

from briefing.cli import main


@pytest.fixture
def server() -> Iterator[FeedServer]:
    yield from serve()


def write_feeds(tmp_path: Path, feeds: list[dict], **collect: object) -> Path:
    path = tmp_path / "feeds.yaml"
    config: dict = {"feeds": feeds, "cache_dir": str(tmp_path / "cache")}
    if collect:
        config["collect"] = {"timeout": 2, **collect}
    path.write_text(yaml.safe_dump(config, allow_unicode=True), encoding="utf-8")
    return path


def run_collect(feeds_yaml: Path) -> tuple[int, dict, str]:
    """`briefing collect --json --all` in-process: exit code, parsed JSON (or {}), stderr."""
    result = CliRunner().invoke(main, ["collect", "--json", "--all", "--feeds", str(feeds_yaml)])
    payload = json.loads(result.stdout) if result.stdout.strip() else {}
    return result.exit_code, payload, result.stderr


def titles(payload: dict) -> list[str]:
    return [i["title"] for i in payload["items"]]


# ---------------------------------------------------------------- hostile text


def test_format_characters_are_removed_from_every_field(tmp_path: Path) -> None:
    (tmp_path / "h.xml").write_bytes(fixture("hostile_text.xml"))
    code, payload, _ = run_collect(write_feeds(tmp_path, [{"name": "源", "url": "h.xml"}]))
    assert code == 0
    first = payload["items"][0]
    assert (first["title"], first["summary"], first["guid"]) == (
        "央行下调准备金率0.5个百分点",
        "央行宣布降准。\n释放长期资金约1万亿元。",
        "evil-1",
    )
    text = json.dumps(payload, ensure_ascii=False)
    assert [c for c in text if unicodedata.category(c) == "Cf"] == []
    assert "\u200b" in fixture("hostile_text.xml").decode()  # the fixture really carries them


def test_script_and_style_are_dropped_and_entities_decoded_once(tmp_path: Path) -> None:
    (tmp_path / "h.xml").write_bytes(fixture("hostile_text.xml"))
    _, payload, _ = run_collect(write_feeds(tmp_path, [{"name": "源", "url": "h.xml"}]))
    by_title = {i["title"]: i["summary"] for i in payload["items"]}
    assert by_title == {
        "央行下调准备金率0.5个百分点": "央行宣布降准。\n释放长期资金约1万亿元。",
        # &amp;lt; in the feed's HTML is the text &lt;, not <
        "[/red]美元指数[link=http://x.example]跌破98[/link] [bold]": (
            "标普500指数 &lt; 6900点，道指 &amp; 纳指收跌，&#36;金价&gt;4300"
        ),
        # an escaped <script>…</script> decodes to a script element as text: dropped, no residue
        "港股 &lt; 2万点 & 恒指 <b>收跌": "纳指 收跌1.2%，科技股领跌",
        "# 油价**大涨** | 布伦特 `85` 美元": "draft: true\n> 布伦特原油期货上涨3%。",
    }
    assert not re.search(r"alert|document\.write|color:red|display:none|广告", json.dumps(payload))


# ---------------------------------------------------------------- encodings

GBK_TITLES = [
    "朱镕基时代以来首次：省级财政一次性发行专项债券超千亿元",
    "人民银行省分行：前11个月本外币贷款余额同比增长8.3%（记者 王喆）",
    "港口集团：11月集装箱吞吐量创历史同期新高",
]


@pytest.mark.parametrize(
    "content_type",
    [
        "application/rss+xml",  # no charset: RFC 3023 says UTF-8
        "text/xml",  # no charset: RFC 3023 says US-ASCII
        None,  # no Content-Type at all
        "application/rss+xml; charset=utf-8",  # a charset that is wrong
        "local file",
    ],
)
def test_undeclared_gbk_is_decoded(
    server: FeedServer, tmp_path: Path, content_type: str | None
) -> None:
    data = fixture("gbk_undeclared.xml")
    assert not data.lstrip().startswith(b"<?xml")
    with pytest.raises(UnicodeDecodeError):
        data.decode("utf-8")
    if content_type == "local file":
        (tmp_path / "gbk.xml").write_bytes(data)
        url = "gbk.xml"
    else:
        url = server.route("/gbk", Reply(body=data, content_type=content_type))
    code, payload, _ = run_collect(write_feeds(tmp_path, [{"name": "地方", "url": url}]))
    assert (code, payload["errors"], titles(payload)) == (0, [], GBK_TITLES)
    assert payload["items"][0]["summary"].startswith("省财政厅12月11日发行地方政府专项债券1035亿元")


def test_bytes_in_no_known_encoding_are_refused(tmp_path: Path) -> None:
    rng = random.Random(7)
    junk = bytes(rng.randrange(0x80, 0x100) for _ in range(400))
    (tmp_path / "junk.xml").write_bytes(
        b'<rss version="2.0"><channel><item><title>' + junk + b"</title></item></channel></rss>"
    )
    (tmp_path / "ok.xml").write_bytes(fixture("rss20_utf8.xml"))
    feeds = [{"name": "乱码", "url": "junk.xml"}, {"name": "正常", "url": "ok.xml"}]
    code, payload, _ = run_collect(write_feeds(tmp_path, feeds))
    assert code == 0
    assert payload["errors"] == [
        {"feed": "乱码", "error": "unknown text encoding (none declared, not UTF-8)"}
    ]
    assert {i["source"] for i in payload["items"]} == {"正常"}


# ---------------------------------------------------------------- broken XML


def test_broken_xml_is_an_error_that_says_what_was_salvaged(
    server: FeedServer, tmp_path: Path
) -> None:
    (tmp_path / "broken.xml").write_bytes(fixture("broken.xml"))
    feeds = [
        {
            "name": "快讯",
            "url": server.route("/salvage", Reply(body=fixture("broken_salvage.xml"))),
        },
        {"name": "坏源", "url": "broken.xml"},
    ]
    code, payload, _ = run_collect(write_feeds(tmp_path, feeds))
    assert code == 0
    assert payload["errors"] == [
        {
            "feed": "快讯",
            "error": "broken XML: line 20, column 38: mismatched tag (4 items salvaged)",
        },
        {"feed": "坏源", "error": "broken XML: line 6, column 4: mismatched tag"},
    ]
    # salvaged items are kept: each was read whole from its own element; the truncated last one
    # keeps its title, link and time but has no summary
    assert [(i["title"], bool(i["summary"])) for i in payload["items"]] == [
        ("国家外汇局：11月末外汇储备规模为33464亿美元", True),
        ("央行连续第13个月增持黄金", True),
        ("沪指收涨0.8% <成交额>放大至1.9万亿元", True),
        ("11月CPI同比上涨0.7%", False),
    ]


def test_only_broken_xml_without_items_fails_the_command(tmp_path: Path) -> None:
    (tmp_path / "broken.xml").write_bytes(fixture("broken.xml"))
    code, payload, stderr = run_collect(
        write_feeds(tmp_path, [{"name": "坏源", "url": "broken.xml"}])
    )
    assert code == 3
    assert payload["errors"] == [
        {"feed": "坏源", "error": "broken XML: line 6, column 4: mismatched tag"}
    ]
    assert "no feed could be read" in stderr


# ---------------------------------------------------------------- bounds


def test_local_files_are_bounded_like_responses(tmp_path: Path) -> None:
    huge = tmp_path / "huge.xml"
    with huge.open("wb") as f:  # 300 MiB, sparse: its size must refuse it before any read
        f.write(b'<?xml version="1.0"?><rss version="2.0"><channel>')
        f.truncate(300 * 2**20)
    os.mkfifo(tmp_path / "pipe.xml")  # would block a reader forever
    (tmp_path / "big.xml").write_bytes(fixture("general_news.xml") * 4)
    (tmp_path / "many.xml").write_bytes(fixture("general_news.xml"))
    feeds = [
        {"name": "巨大", "url": "huge.xml"},
        {"name": "管道", "url": "pipe.xml"},
        {"name": "多条", "url": "many.xml"},
    ]
    code, payload, _ = run_collect(write_feeds(tmp_path, feeds, max_items=4))
    assert code == 0
    assert payload["errors"] == [
        {"feed": "巨大", "error": f"file larger than 16 MiB: {huge}"},
        {"feed": "管道", "error": f"not a regular file: {tmp_path / 'pipe.xml'}"},
        {"feed": "多条", "error": "too many items: kept the first 4 of 6"},
    ]
    assert len(payload["items"]) == 4

    code, payload, _ = run_collect(
        write_feeds(tmp_path, [{"name": "大", "url": "big.xml"}], max_bytes=4096)
    )
    assert (code, payload["errors"]) == (
        3,
        [{"feed": "大", "error": f"file larger than 4 KiB: {tmp_path / 'big.xml'}"}],
    )


def test_a_huge_file_costs_no_memory(tmp_path: Path) -> None:
    huge = tmp_path / "huge.xml"
    with huge.open("wb") as f:
        f.write(b"<rss>")
        f.truncate(400 * 2**20)
    proc = subprocess.run(
        [sys.executable, "-m", "briefing", "collect", "--json", "--feeds"]
        + [str(write_feeds(tmp_path, [{"name": "巨大", "url": "huge.xml"}]))],
        capture_output=True,
        text=True,
        timeout=60,
    )
    peak_mib = resource.getrusage(resource.RUSAGE_CHILDREN).ru_maxrss / 1024
    assert proc.returncode == 3
    assert json.loads(proc.stdout)["errors"] == [
        {"feed": "巨大", "error": f"file larger than 16 MiB: {huge}"}
    ]
    assert peak_mib < 300  # a read would need 400+


def test_remote_feeds_are_capped_in_size_and_items(server: FeedServer, tmp_path: Path) -> None:
    big = server.route("/big", Reply(body=fixture("general_news.xml") * 4))
    many = server.route("/many", Reply(body=fixture("general_news.xml")))
    feeds = [{"name": "大", "url": big}, {"name": "多条", "url": many}]
    code, payload, _ = run_collect(write_feeds(tmp_path, feeds, max_bytes=4096, max_items=2))
    assert code == 0
    assert payload["errors"] == [
        {"feed": "大", "error": "response larger than 4 KiB"},
        {"feed": "多条", "error": "too many items: kept the first 2 of 6"},
    ]
    assert titles(payload) == ["来了！新闻早班车", "CBA常规赛：广东队主场112比98战胜辽宁队"]


# ---------------------------------------------------------------- secrets

SECRETS = ("s3cretPW", "tok-abc123", "k3y-value-9")

PRIVATE = """<?xml version="1.0" encoding="UTF-8"?>
<rss version="2.0" xmlns:atom="http://www.w3.org/2005/Atom">
  <channel>
    <title>会员专享</title>
    <atom:link rel="self" href="{self_url}"/>
    <item><title>相对链接</title><link>/news/1.html</link><guid>/news/1.html</guid>
      <pubDate>Thu, 11 Dec 2025 01:00:00 GMT</pubDate><description>正文一</description></item>
    <item><title>只有查询串的链接</title><link>?page=2</link>
      <pubDate>Thu, 11 Dec 2025 02:00:00 GMT</pubDate><description>正文二</description></item>
    <item><title>回显了令牌的链接</title><link>{echo}</link><guid>{echo}</guid>
      <pubDate>Thu, 11 Dec 2025 03:00:00 GMT</pubDate>
      <description>订阅地址 {echo} 请勿外传</description></item>
  </channel>
</rss>
"""


def test_credentials_in_feed_urls_leave_no_trace(server: FeedServer, tmp_path: Path) -> None:
    host = server.base.removeprefix("http://")
    url = f"http://reader:{SECRETS[0]}@{host}/private/feed.xml?token={SECRETS[1]}&lang=zh&key={SECRETS[2]}"
    echo = f"http://{host}/news/3.html?token={SECRETS[1]}&lang=zh"
    body = PRIVATE.format(self_url=url.replace("&", "&amp;"), echo=echo.replace("&", "&amp;"))
    server.route("/private/feed.xml", Reply(body=body.encode(), etag='"v1"'))
    server.route("/gone", Reply(404))
    feeds = [
        {"name": "会员", "url": url},
        {"name": "失效", "url": f"http://u:{SECRETS[0]}@{host}/gone?access_token={SECRETS[1]}"},
    ]
    feeds_yaml = write_feeds(tmp_path, feeds)
    env = {**os.environ, "BRIEFING_CACHE_DIR": str(tmp_path / "cache"), "COLUMNS": "200"}
    outputs = []
    for _ in range(2):  # cold, then every answer a 304 from the cache
        proc = subprocess.run(
            [sys.executable, "-m", "briefing", "-v", "collect", "--json", "--all"]
            + ["--feeds", str(feeds_yaml)],
            capture_output=True,
            text=True,
            env=env,
            timeout=60,
        )
        assert proc.returncode == 0, proc.stderr
        outputs.append(proc)
    payload = json.loads(outputs[0].stdout)
    assert [(i["title"], i["link"], i["guid"]) for i in payload["items"]] == [
        ("相对链接", f"http://{host}/news/1.html", f"http://{host}/news/1.html"),
        ("只有查询串的链接", f"http://{host}/private/feed.xml?page=2", ""),
        (
            "回显了令牌的链接",
            f"http://{host}/news/3.html?lang=zh",
            f"http://{host}/news/3.html?token=***&lang=zh",
        ),
    ]
    assert (
        payload["items"][2]["summary"]
        == f"订阅地址 http://{host}/news/3.html?token=***&lang=zh 请勿外传"
    )
    assert json.loads(outputs[1].stdout) == payload
    assert server.hits["/private/feed.xml"] == 2
    assert server.requests["/private/feed.xml"][1]["If-None-Match"] == '"v1"'

    cache_files = [p for p in (tmp_path / "cache").rglob("*") if p.is_file()]
    assert len(cache_files) == 1
    texts = {f"{p.name}": p.read_text(encoding="utf-8") for p in cache_files}
    for proc in outputs:
        texts["stdout"] = proc.stdout
        texts["stderr"] = proc.stderr  # httpx's own request lines included (-v)
        for where, text in texts.items():
            for secret in SECRETS:
                assert secret not in text, f"{secret} in {where}"
    assert "会员" in outputs[0].stderr and "失效: HTTP 404" in outputs[0].stderr
    assert "HTTP Request: GET http://***@" in outputs[0].stderr  # httpx's line, redacted


# ---------------------------------------------------------------- zone-less dates

ZONELESS_AS_UTC = [
    "2025-12-11T17:30:00+08:00",  # 2025-12-11 09:30:00 read as UTC
    "2025-12-11T16:05:00+08:00",  # 2025/12/11 08:05
    "2025-12-11T15:00:00+08:00",  # 2025年12月11日 07:00
    "2025-12-11T14:45:00+08:00",  # RFC 822 without a zone
    "2025-12-11T20:00:00+08:00",  # CST read as US Central, as feedparser does
    "2025-12-11T05:00:00+08:00",  # +0800: always right
    "2025-12-11T10:30:00+08:00",  # Z: always right
]
ZONELESS_AS_SHANGHAI = [
    "2025-12-11T09:30:00+08:00",
    "2025-12-11T08:05:00+08:00",
    "2025-12-11T07:00:00+08:00",
    "2025-12-11T06:45:00+08:00",
    "2025-12-11T06:00:00+08:00",  # CST is what Asia/Shanghai calls itself
    "2025-12-11T05:00:00+08:00",
    "2025-12-11T10:30:00+08:00",
]


def test_zone_less_dates_are_read_in_the_feeds_tz(server: FeedServer, tmp_path: Path) -> None:
    (tmp_path / "local.xml").write_bytes(fixture("zoneless_china.xml"))
    feeds = [
        {"name": "无设置", "url": "local.xml"},
        {"name": "北京时间", "url": "local.xml", "tz": "Asia/Shanghai"},
        {
            "name": "远程",
            "url": server.route("/zl", Reply(body=fixture("zoneless_china.xml"))),
            "tz": "Asia/Shanghai",
        },
    ]
    code, payload, _ = run_collect(write_feeds(tmp_path, feeds))
    assert code == 0
    by_feed: dict[str, list[str]] = {}
    for i in payload["items"]:
        by_feed.setdefault(i["source"], []).append(i["published"])
    assert by_feed == {
        "无设置": ZONELESS_AS_UTC,
        "北京时间": ZONELESS_AS_SHANGHAI,
        "远程": ZONELESS_AS_SHANGHAI,
    }


def test_an_unknown_feed_tz_is_a_config_error(tmp_path: Path) -> None:
    feeds_yaml = write_feeds(tmp_path, [{"name": "源", "url": "x.xml", "tz": "Asia/Beijing"}])
    result = CliRunner().invoke(main, ["collect", "--json", "--feeds", str(feeds_yaml)])
    assert result.exit_code == 2
    assert result.stderr.strip().splitlines() == [
        f"error: {feeds_yaml}: feeds[0] (name: 源).tz: Value error, unknown time zone "
        "'Asia/Beijing' (use an IANA name such as Asia/Shanghai)"
    ]


# ---------------------------------------------------------------- platform boilerplate


def test_platform_boilerplate_is_removed(tmp_path: Path) -> None:
    (tmp_path / "wx.xml").write_bytes(fixture("wechat.xml"))
    code, payload, _ = run_collect(write_feeds(tmp_path, [{"name": "公众号", "url": "wx.xml"}]))
    assert code == 0
    assert [(i["title"], i["summary"]) for i in payload["items"]] == [
        (
            "国务院常务会议部署进一步扩大内需",
            "国务院总理12月10日主持召开国务院常务会议，部署进一步扩大内需相关举措。\n"
            "会议指出，要加力推进消费品以旧换新，扩大服务消费。记者从会上获悉，相关配套资金将于月底前下达。",
        ),
        ("11月新能源汽车销量同比增长20%", ""),  # only boilerplate: the title stays
        # 「关注我们，获取更多精彩内容」 is no news at all: no item
        (
            "11月制造业PMI回升至49.2%",
            "11月制造业PMI为49.2%，比上月上升0.2个百分点。该解读视频点击量突破1亿次。",
        ),
    ]


def test_general_news_is_collected_whole(tmp_path: Path) -> None:
    """Relevance is rank's decision: collect keeps sport and film, and their text, as they are."""
    (tmp_path / "n.xml").write_bytes(fixture("general_news.xml"))
    _, payload, _ = run_collect(write_feeds(tmp_path, [{"name": "晨报", "url": "n.xml"}]))
    assert titles(payload) == [
        "来了！新闻早班车",
        "CBA常规赛：广东队主场112比98战胜辽宁队",
        "电影《长河》票房突破20亿元",
        "今冬首场寒潮来袭 北方多地降温超10℃",
        "著名表演艺术家李某某逝世，享年89岁",
        "国常会：加力推进消费品以旧换新",
    ]


# ---------------------------------------------------------------- concurrency and 304


def test_no_host_gets_more_than_per_host_requests_at_once(tmp_path: Path) -> None:
    with ExitStack() as stack:
        servers = [
            stack.enter_context(contextmanager(serve)(h)) for h in ("127.0.0.1", "127.0.0.2")
        ]
        feeds = []
        for n, s in enumerate(servers):
            for k in range(5):
                url = s.route(f"/f{k}", Reply(body=fixture("rss20_utf8.xml"), delay=0.3))
                feeds.append({"name": f"源{n}-{k}", "url": url})
        code, payload, _ = run_collect(write_feeds(tmp_path, feeds, per_host=2))
    assert (code, payload["errors"], len(payload["items"])) == (0, [], 30)
    assert [s.max_in_flight for s in servers] == [2, 2]


def test_a_304_reuses_the_items_parsed_last_time(
    server: FeedServer, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    url = server.route(
        "/f", Reply(body=fixture("rss20_gbk.xml"), content_type="application/xml", etag='"a"')
    )
    feeds_yaml = write_feeds(tmp_path, [{"name": "证券", "url": url}])
    _, first, _ = run_collect(feeds_yaml)

    def no_parse(*args: object, **kwargs: object) -> None:
        raise AssertionError("a 304 must not parse again")

    monkeypatch.setattr("feedparser.parse", no_parse)
    code, second, _ = run_collect(feeds_yaml)
    assert (code, second) == (0, first)
    assert len(first["items"]) == 2 and server.hits["/f"] == 2


def test_a_changed_feed_setting_does_not_reuse_cached_items(
    server: FeedServer, tmp_path: Path
) -> None:
    url = server.route("/zl", Reply(body=fixture("zoneless_china.xml"), etag='"z"'))
    _, before, _ = run_collect(write_feeds(tmp_path, [{"name": "源", "url": url}]))
    _, after, _ = run_collect(
        write_feeds(tmp_path, [{"name": "源", "url": url, "tz": "Asia/Shanghai"}])
    )
    assert [i["published"] for i in before["items"]] == ZONELESS_AS_UTC
    assert [i["published"] for i in after["items"]] == ZONELESS_AS_SHANGHAI
    assert ["If-None-Match" in r for r in server.requests["/zl"]] == [False, False]


def test_parse_workers_give_what_threads_give(tmp_path: Path) -> None:
    """A big run parses in forked workers; its items and errors are exactly the threads' ones."""
    for name in ("hostile_text.xml", "gbk_undeclared.xml", "broken_salvage.xml", "broken.xml"):
        (tmp_path / name).write_bytes(fixture(name))
    feeds = [{"name": n, "url": n} for n in ("hostile_text.xml", "gbk_undeclared.xml")]
    feeds += [{"name": n, "url": n} for n in ("broken_salvage.xml", "broken.xml", "missing.xml")]
    outcomes = [run_collect(write_feeds(tmp_path, feeds, parse_processes=n))[:2] for n in (0, 2)]
    assert outcomes[0] == outcomes[1]
    code, payload = outcomes[1]
    assert code == 0 and len(payload["items"]) == 4 + 3 + 4
    assert [e["feed"] for e in payload["errors"]] == [
        "broken_salvage.xml",
        "broken.xml",
        "missing.xml",
    ]
