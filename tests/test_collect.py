"""collect over real HTTP on loopback and real files: formats, encodings, failures, retries, conditional GET."""

from __future__ import annotations

import json
import socket
import time
from collections.abc import Iterator
from contextlib import contextmanager
from datetime import UTC, datetime, timedelta
from email.utils import format_datetime
from pathlib import Path

import pytest
from feedserver import RSS, XML, FeedServer, Reply, fixture, serve

from briefing.collect import collect, parse_retry_after, redact_url
from briefing.config import CollectConfig, FeedConfig, Settings, load_settings
from briefing.models import CollectResult, FeedStatus
from briefing.secrets import strip_credentials, url_secrets


@pytest.fixture
def server() -> Iterator[FeedServer]:
    yield from serve()


def settings_for(tmp_path: Path, feeds: dict[str, str], **collect: float) -> Settings:
    return Settings(
        feeds=[FeedConfig(name=n, url=u) for n, u in feeds.items()],
        base_dir=tmp_path,
        cache_dir=tmp_path / "cache",
        collect=CollectConfig(**{"timeout": 1.0, "retries": 2, **collect}),
    )


def shanghai(*args: int) -> datetime:
    return datetime(*args, tzinfo=UTC).astimezone(Settings(feeds=[]).tz)


def refused_url() -> str:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        port = s.getsockname()[1]
    return f"http://127.0.0.1:{port}/feed.xml"


# ---------------------------------------------------------------- formats and encodings

UTF8_ITEMS = [
    ("中国人民银行宣布下调存款准备金率0.5个百分点", shanghai(2025, 12, 11, 1, 30)),
    ("国家统计局：11月CPI同比上涨0.7%", shanghai(2025, 12, 10, 1, 30)),
    ("美联储议息会议前瞻： 市场预期降息25个基点", None),
]
GBK_ITEMS = [
    ("沪深两市成交额突破2万亿元", shanghai(2025, 12, 11, 7, 15)),
    ("人民币兑美元中间价上调58个基点（记者 王喆）", shanghai(2025, 12, 11, 1, 20)),
]
ATOM_ITEMS = [
    ("Fed cuts rates by 25 bp, signals a pause", shanghai(2025, 12, 10, 19, 0)),
    ("S&P 500 < 6,900 again as yields climb", shanghai(2025, 12, 10, 23, 0)),
]
RDF_ITEMS = [
    ("财政部续发行2025年超长期特别国债", shanghai(2025, 12, 11, 2, 0)),
    ("1-11月全国一般公共预算收入同比增长0.8%", shanghai(2025, 12, 10, 16, 0)),
]


@pytest.mark.parametrize(
    ("fixture_name", "content_type", "expected"),
    [
        ("rss20_utf8.xml", RSS, UTF8_ITEMS),
        ("rss20_gbk.xml", "application/rss+xml", GBK_ITEMS),  # charset from the XML declaration
        ("rss20_gbk.xml", XML, GBK_ITEMS),
        ("rss20_gbk_header.xml", "application/rss+xml; charset=GBK", GBK_ITEMS),  # only the header
        ("rss20_gbk_header.xml", "text/xml; charset=gbk", GBK_ITEMS),
        ("atom.xml", "application/atom+xml", ATOM_ITEMS),
        ("rdf.xml", "application/rdf+xml", RDF_ITEMS),
    ],
)
def test_each_format_parses_to_titles_and_local_times(
    server: FeedServer, tmp_path: Path, fixture_name: str, content_type: str, expected: list
) -> None:
    url = server.route("/feed", Reply(body=fixture(fixture_name), content_type=content_type))
    result = collect(settings_for(tmp_path, {"源": url}))
    assert result.errors == []
    assert [(i.title, i.published) for i in result.items] == expected
    assert {i.source for i in result.items} == {"源"}
    assert all(
        i.published is None or i.published.tzinfo == Settings(feeds=[]).tz for i in result.items
    )


def test_gbk_fixtures_really_are_gbk_bytes() -> None:
    for name in ("rss20_gbk.xml", "rss20_gbk_header.xml"):
        with pytest.raises(UnicodeDecodeError):
            fixture(name).decode("utf-8")
        assert "王喆" in fixture(name).decode("gbk")  # 喆 is in GBK, not GB2312


def test_published_is_converted_to_the_configured_zone(server: FeedServer, tmp_path: Path) -> None:
    url = server.route(
        "/atom", Reply(body=fixture("atom.xml"), content_type="application/atom+xml")
    )
    settings = settings_for(tmp_path, {"wire": url}).model_copy(
        update={"timezone": "America/New_York"}
    )
    published = [i.published for i in collect(settings).items]
    assert [p.isoformat() for p in published] == [
        "2025-12-10T14:00:00-05:00",
        "2025-12-10T18:00:00-05:00",
    ]


def test_item_fields_are_normalised(server: FeedServer, tmp_path: Path) -> None:
    url = server.route(
        "/atom", Reply(body=fixture("atom.xml"), content_type="application/atom+xml")
    )
    utf8 = server.route("/utf8", Reply(body=fixture("rss20_utf8.xml")))
    items = collect(settings_for(tmp_path, {"wire": url, "财经": utf8})).items
    fed, spx, rrr, cpi, fed_preview = items
    # relative Atom link resolved against xml:base; full content preferred to the shorter summary
    assert fed.link == "https://markets.example.com/articles/fed-1210"
    assert fed.guid == "tag:markets.example.com,2025:fed-1210"
    assert fed.summary == (
        "The FOMC lowered the federal funds target range by 25 basis points to 3.50%-3.75%.\n"
        "Three members dissented."
    )
    assert spx.summary == "Ten-year Treasury yield rose to 4.18%."
    assert rrr.summary.startswith("中国人民银行12月11日宣布") and rrr.summary.endswith("约为6.2%。")
    assert rrr.guid == "example-cn-20251211-001"
    assert cpi.summary == "国家统计局公布，11月份全国居民消费价格同比上涨0.7%，环比下降0.1%。"
    assert fed_preview.summary == "芝商所“美联储观察”显示，市场预期12月降息25个基点的概率为87%。"
    assert (fed_preview.guid, fed_preview.link) == (
        "",
        "https://news.example.cn/2025/12/09/fed.html",
    )


def test_hostile_entry_loses_script_and_unsafe_links(server: FeedServer, tmp_path: Path) -> None:
    url = server.route("/hostile", Reply(body=fixture("hostile.xml")))
    first, second = collect(settings_for(tmp_path, {"x": url})).items
    assert (first.title, first.link, first.summary) == (
        "油价大涨 draft: true",
        "",
        "布伦特原油期货上涨3%。",
    )
    assert (second.title, second.link) == ("黄金价格创新高", "")  # data: link dropped too


# ---------------------------------------------------------------- failures, one per feed


@pytest.mark.parametrize(
    ("replies", "error", "hits"),
    [
        ([Reply(404, b"gone", "text/plain")], "HTTP 404", 1),  # not retried
        ([Reply(410, b"gone", "text/plain")], "HTTP 410", 1),
        ([Reply(500, b"oops", "text/plain")], "HTTP 500", 3),  # 1 + retries
        (
            [Reply(body=fixture("page.html"), content_type="text/html; charset=utf-8")],
            "not a feed (text/html)",
            1,
        ),
        (
            [Reply(body=fixture("broken.xml"), content_type=XML)],
            "broken XML: line 6, column 4: mismatched tag",
            1,
        ),
        ([Reply(body=b"")], "empty response", 1),
        (
            [Reply(body=b'{"items": []}', content_type="application/json")],
            "not a feed (application/json)",
            1,
        ),
    ],
)
def test_a_failing_feed_is_an_error_entry(
    server: FeedServer, tmp_path: Path, replies: list[Reply], error: str, hits: int
) -> None:
    bad = server.route("/bad", *replies)
    good = server.route("/good", Reply(body=fixture("rss20_utf8.xml")))
    result = collect(settings_for(tmp_path, {"坏源": bad, "好源": good}, timeout=0.5))
    assert [(e.feed, e.error) for e in result.errors] == [("坏源", error)]
    assert server.hits["/bad"] == hits
    assert [i.title for i in result.items] == [t for t, _ in UTF8_ITEMS]
    bad_status, good_status = result.feeds
    assert (bad_status.ok, bad_status.items, bad_status.error) == (False, 0, error)
    assert (good_status.ok, good_status.items, good_status.error) == (True, 3, None)


@pytest.mark.parametrize(
    ("url", "error"),
    [
        ("missing.xml", "file not found: {tmp}/missing.xml"),
        ("page.html", "not a feed (HTML page)"),
        ("broken.xml", "broken XML: line 6, column 4: mismatched tag"),
        (".", "not a file: {tmp}"),
    ],
)
def test_local_file_failures(tmp_path: Path, url: str, error: str) -> None:
    for name in ("page.html", "broken.xml"):
        (tmp_path / name).write_bytes(fixture(name))
    result = collect(settings_for(tmp_path, {"本地": url}))
    assert [e.error for e in result.errors] == [error.format(tmp=tmp_path)]


def test_connection_refused_is_retried_then_named(tmp_path: Path) -> None:
    result = collect(settings_for(tmp_path, {"关机": refused_url()}, timeout=0.5, retries=1))
    assert [e.error for e in result.errors] == ["connection refused"]


def test_mixed_run_keeps_every_good_item_and_names_every_failed_feed(
    server: FeedServer, tmp_path: Path
) -> None:
    (tmp_path / "local.xml").write_bytes(fixture("rdf.xml"))
    feeds = {
        "hang": server.route("/hang", Reply(delay=30)),
        "e500": server.route("/500", Reply(500)),
        "e404": server.route("/404", Reply(404)),
        "html": server.route("/html", Reply(body=fixture("page.html"), content_type="text/html")),
        "broken": server.route("/broken", Reply(body=fixture("broken.xml"), content_type=XML)),
        "missing": "nowhere/feed.xml",
        "refused": refused_url(),
        "utf8": server.route("/utf8", Reply(body=fixture("rss20_utf8.xml"))),
        "gbk": server.route("/gbk", Reply(body=fixture("rss20_gbk.xml"), content_type=XML)),
        "atom": server.route(
            "/atom", Reply(body=fixture("atom.xml"), content_type="application/atom+xml")
        ),
        "local": "local.xml",
    }
    seen: list[FeedStatus] = []
    started = time.monotonic()
    result = collect(settings_for(tmp_path, feeds, timeout=0.5, retries=2), on_feed=seen.append)
    assert time.monotonic() - started < 5  # the hanging feed costs one timeout, about 0.5 s
    assert {e.feed: e.error for e in result.errors} == {
        "hang": "timed out after 0.5s",
        "e500": "HTTP 500",
        "e404": "HTTP 404",
        "html": "not a feed (text/html)",
        "broken": "broken XML: line 6, column 4: mismatched tag",
        "missing": f"file not found: {tmp_path}/nowhere/feed.xml",
        "refused": "connection refused",
    }
    assert [e.feed for e in result.errors] == list(feeds)[:7]  # feeds.yaml order
    assert [i.title for i in result.items] == [
        t for t, _ in UTF8_ITEMS + GBK_ITEMS + ATOM_ITEMS + RDF_ITEMS
    ]
    assert server.hits["/hang"] == 1  # a read timeout is not retried
    assert sorted(s.feed for s in seen) == sorted(feeds)
    assert [s.feed for s in result.feeds] == list(feeds)


# ---------------------------------------------------------------- retries


@pytest.mark.parametrize(
    "first",
    [
        Reply(500, b"oops", "text/plain"),
        Reply(502, b"bad gateway", "text/plain"),
        Reply(503, b"busy", "text/plain", headers={"Retry-After": "1"}),
        Reply(429, b"slow down", "text/plain", headers={"Retry-After": "0"}),
    ],
)
def test_transient_error_then_success(server: FeedServer, tmp_path: Path, first: Reply) -> None:
    url = server.route("/flaky", first, Reply(body=fixture("rss20_utf8.xml")))
    result = collect(settings_for(tmp_path, {"flaky": url}, timeout=1.0))
    assert result.errors == []
    assert len(result.items) == 3
    assert server.hits["/flaky"] == 2


def test_retry_after_beyond_the_deadline_gives_up_in_time(
    server: FeedServer, tmp_path: Path
) -> None:
    # Retry-After: 3600 is capped at the timeout (0.5 s); the second wait would pass the 1 s deadline.
    url = server.route("/busy", Reply(503, b"", "text/plain", headers={"Retry-After": "3600"}))
    result = collect(settings_for(tmp_path, {"busy": url}, timeout=0.5, retries=5))
    assert [e.error for e in result.errors] == ["HTTP 503"]
    assert server.hits["/busy"] == 2


def test_no_retries_when_retries_is_zero(server: FeedServer, tmp_path: Path) -> None:
    url = server.route("/500", Reply(500))
    result = collect(settings_for(tmp_path, {"x": url}, retries=0))
    assert [e.error for e in result.errors] == ["HTTP 500"]
    assert server.hits["/500"] == 1


NOW = datetime(2025, 12, 11, 8, 0, tzinfo=UTC)


@pytest.mark.parametrize(
    ("header", "seconds"),
    [
        ("120", 120.0),
        (" 0 ", 0.0),
        (format_datetime(NOW + timedelta(seconds=30), usegmt=True), 30.0),
        (format_datetime(NOW - timedelta(hours=1), usegmt=True), 0.0),
        ("", None),
        (None, None),
        ("soon", None),
        ("-5", None),
    ],
)
def test_parse_retry_after(header: str | None, seconds: float | None) -> None:
    assert parse_retry_after(header, now=NOW) == seconds


# ---------------------------------------------------------------- HTTP behaviour


def test_conditional_get_round_trip(server: FeedServer, tmp_path: Path) -> None:
    last_modified = "Thu, 11 Dec 2025 01:00:00 GMT"
    url = server.route(
        "/feed",
        Reply(
            body=fixture("rss20_gbk.xml"),
            content_type=XML,
            etag='"v1"',
            last_modified=last_modified,
        ),
    )
    settings = settings_for(tmp_path, {"证券": url})

    first = collect(settings)
    second = collect(settings)

    assert "If-None-Match" not in server.requests["/feed"][0]
    assert server.requests["/feed"][1]["If-None-Match"] == '"v1"'
    assert server.requests["/feed"][1]["If-Modified-Since"] == last_modified
    assert [s.not_modified for s in first.feeds + second.feeds] == [False, True]
    assert second.items == first.items
    assert [i.title for i in second.items] == [
        t for t, _ in GBK_ITEMS
    ]  # cached bytes, still GBK-decoded
    # one file per feed: validators and the parsed items, no body
    assert [p.suffix for p in (tmp_path / "cache" / "http").iterdir()] == [".json"]


def test_without_a_cache_dir_nothing_is_conditional(server: FeedServer, tmp_path: Path) -> None:
    url = server.route("/feed", Reply(body=fixture("rss20_utf8.xml"), etag='"v1"'))
    settings = settings_for(tmp_path, {"x": url}).model_copy(update={"cache_dir": None})
    collect(settings)
    result = collect(settings)
    assert ["If-None-Match" in r for r in server.requests["/feed"]] == [False, False]
    assert len(result.items) == 3 and not result.feeds[0].not_modified


def test_failed_parse_is_not_cached(server: FeedServer, tmp_path: Path) -> None:
    url = server.route(
        "/feed", Reply(body=fixture("page.html"), content_type="text/html", etag='"p"')
    )
    collect(settings_for(tmp_path, {"x": url}))
    assert not (tmp_path / "cache" / "http").exists()


def test_user_agent_redirects_and_disabled_feeds(server: FeedServer, tmp_path: Path) -> None:
    server.route("/moved", Reply(301, content_type=None, headers={"Location": "/atom"}))
    server.route("/atom", Reply(body=fixture("atom.xml"), content_type="application/atom+xml"))
    settings = Settings(
        feeds=[
            FeedConfig(name="moved", url=server.base + "/moved"),
            FeedConfig(name="off", url=server.base + "/off", enabled=False),
        ],
        cache_dir=None,
        collect=CollectConfig(user_agent="briefing-test/1.0"),
    )
    result = collect(settings)
    assert [s.feed for s in result.feeds] == ["moved"]
    assert [i.title for i in result.items] == [t for t, _ in ATOM_ITEMS]
    assert server.requests["/atom"][0]["User-Agent"] == "briefing-test/1.0"
    assert server.hits["/off"] == 0


def test_local_path_is_relative_to_the_feeds_file(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    (tmp_path / "conf" / "samples").mkdir(parents=True)
    (tmp_path / "conf" / "samples" / "gbk.xml").write_bytes(fixture("rss20_gbk.xml"))
    (tmp_path / "conf" / "feeds.yaml").write_text(
        "feeds:\n  - name: 证券要闻\n    url: samples/gbk.xml\n", encoding="utf-8"
    )
    settings = load_settings(tmp_path / "conf" / "feeds.yaml", env={}, env_file=None)
    monkeypatch.chdir(tmp_path)  # not the folder of feeds.yaml
    result = collect(settings)
    assert result.errors == []
    assert [(i.title, i.source) for i in result.items] == [(t, "证券要闻") for t, _ in GBK_ITEMS]


def test_secrets_in_a_feed_url_never_show(server: FeedServer, tmp_path: Path) -> None:
    url = server.base.replace("http://", "http://reader:s3cret@") + "/private?token=abc123&lang=zh"
    result = collect(settings_for(tmp_path, {"私有": url}))
    assert [e.error for e in result.errors] == ["HTTP 404"]
    assert "s3cret" not in result.model_dump_json() and "abc123" not in result.model_dump_json()


@pytest.mark.parametrize(
    ("url", "shown"),
    [
        ("https://example.com/rss.xml", "https://example.com/rss.xml"),
        ("https://u:p@example.com/rss", "https://***@example.com/rss"),
        (
            "https://example.com/rss?api_key=k&lang=zh",
            "https://example.com/rss?api_key=***&lang=zh",
        ),
        ("https://example.com/rss?access_token=t", "https://example.com/rss?access_token=***"),
    ],
)
def test_redact_url(url: str, shown: str) -> None:
    assert redact_url(url) == shown


@pytest.mark.parametrize(
    ("url", "stripped", "secrets"),
    [
        ("https://example.com/rss.xml", "https://example.com/rss.xml", []),
        (
            "https://u:pass1234@example.com/rss?lang=zh",
            "https://example.com/rss?lang=zh",
            ["pass1234"],
        ),
        (
            "https://example.com/rss?api_key=k-1234&lang=zh&token=t/56+78",
            "https://example.com/rss?lang=zh",
            ["t%2F56%2078", "t/56 78", "t/56+78", "k-1234"],
        ),
        ("https://example.com/rss?sig=ab", "https://example.com/rss", []),  # too short to scrub
    ],
)
def test_strip_credentials_and_url_secrets(url: str, stripped: str, secrets: list[str]) -> None:
    assert strip_credentials(url) == stripped
    assert url_secrets(url) == secrets


def test_no_feeds_and_an_empty_but_valid_feed(server: FeedServer, tmp_path: Path) -> None:
    assert collect(settings_for(tmp_path, {})) == CollectResult()
    empty = '<?xml version="1.0"?><rss version="2.0"><channel><title>空</title></channel></rss>'.encode()
    result = collect(settings_for(tmp_path, {"空": server.route("/empty", Reply(body=empty))}))
    assert (result.errors, result.items) == ([], [])
    assert (result.feeds[0].ok, result.feeds[0].items) == (True, 0)


def test_the_old_cache_layout_is_removed(server: FeedServer, tmp_path: Path) -> None:
    """Before 0.2 the cache kept raw bodies and full URLs (secrets included): they go."""
    http = tmp_path / "cache" / "http"
    http.mkdir(parents=True)
    (http / "0123abcd.body").write_bytes(b"<rss>token=abc123</rss>")
    (http / "0123abcd.json").write_text('{"url": "http://x/?token=abc123"}', encoding="utf-8")
    url = server.route("/feed", Reply(body=fixture("rss20_utf8.xml"), etag='"v1"'))
    collect(settings_for(tmp_path, {"x": url}))
    assert not any("abc123" in p.read_text(encoding="utf-8") for p in http.iterdir())
    assert [p.suffix for p in http.iterdir()] == [".json"]


def test_a_304_over_cached_items_that_no_longer_validate_fetches_the_feed(
    server: FeedServer, tmp_path: Path
) -> None:
    url = server.route("/feed", Reply(body=fixture("rss20_utf8.xml"), etag='"v1"'))
    settings = settings_for(tmp_path, {"x": url})
    first = collect(settings)
    (entry,) = (tmp_path / "cache" / "http").iterdir()
    meta = json.loads(entry.read_text(encoding="utf-8"))
    meta["items"][0]["published"] = "not a time"
    entry.write_text(json.dumps(meta), encoding="utf-8")
    second = collect(settings)
    assert second.items == first.items and not second.feeds[0].not_modified
    assert ["If-None-Match" in r for r in server.requests["/feed"]] == [False, True, False]


def test_a_pool_whose_workers_all_died_parses_in_this_process_instead_of_waiting() -> None:
    """A killed worker is retired; once none is left, every later job says so at once (the caller
    then parses in a thread) instead of waiting forever for an idle worker."""
    import asyncio
    from functools import partial

    from briefing.collect import _ParsePool, _WorkerDied

    async def go() -> list[str]:
        pool = _ParsePool(1)
        try:
            proc, _ = pool.procs[0]
            proc.kill()
            proc.join(5)
            seen = []
            for _ in range(3):
                try:
                    await asyncio.wait_for(pool.run(partial(str, "x")), timeout=5)  # type: ignore[arg-type]
                    seen.append("parsed")
                except _WorkerDied:
                    seen.append("died")
            return seen
        finally:
            pool.close()

    assert asyncio.run(go()) == ["died", "died", "died"]


RELATIVE = """<?xml version="1.0" encoding="UTF-8"?>
<rss version="2.0"><channel><title>相对地址</title>
<item><title>站内路径</title><link>/news/1.html</link><guid>/news/1.html</guid></item>
<item><title>同级路径</title><link>2.html</link><guid>opaque-2</guid></item>
<item><title>协议相对</title><link>//cdn.example.cn/3.html</link><guid isPermaLink="false">urn:uuid:3</guid></item>
<item><title>绝对链接</title><link>https://example.cn/4.html</link></item>
</channel></rss>
"""


def test_relative_links_resolve_against_the_feed_url(server: FeedServer, tmp_path: Path) -> None:
    url = server.route("/sub/feed.xml", Reply(body=RELATIVE.encode()))
    items = collect(settings_for(tmp_path, {"站": url})).items
    base = server.base
    assert [(i.title, i.link, i.guid) for i in items] == [
        ("站内路径", f"{base}/news/1.html", f"{base}/news/1.html"),
        # an RSS guid is a permalink unless marked otherwise: resolved (two feeds' "2" stay apart)
        ("同级路径", f"{base}/sub/2.html", f"{base}/sub/opaque-2"),
        ("协议相对", "http://cdn.example.cn/3.html", "urn:uuid:3"),
        ("绝对链接", "https://example.cn/4.html", ""),
    ]


def test_each_origin_gets_its_own_pool_and_https_one_shared_tls_context(
    server: FeedServer,
) -> None:
    feed = server.route("/a.xml", Reply(body=fixture("rss20_utf8.xml")))
    second = contextmanager(serve)("127.0.0.2")
    with second as s2:
        other = s2.route("/b.xml", Reply(body=fixture("rss20_utf8.xml")))
        _origins_get_pools(feed, other)


def _origins_get_pools(feed: str, other: str) -> None:
    import asyncio
    import ssl

    from briefing.fetch import Hosts

    async def check() -> None:
        hosts = Hosts(3, user_agent="briefing-test", timeout=5, concurrency=10)
        pools = hosts.client._transport
        for url in (feed, feed, other):
            assert (await hosts.client.get(url)).status_code == 200
        assert sorted(host for _, host, _ in pools.pools) == ["127.0.0.1", "127.0.0.2"]
        assert {p._pool._max_connections for p in pools.pools.values()} == {3}
        assert pools._tls is None  # plain http never loaded the CA bundle
        first, second = await asyncio.gather(pools._context(), pools._context())
        assert first is second and first.verify_mode == ssl.CERT_REQUIRED and first.check_hostname
        assert hosts.gate("https://news.example.cn/z") is hosts.gate("http://u@NEWS.example.cn/y")
        await hosts.aclose()
        assert hosts.client.is_closed and not pools.pools

    asyncio.run(check())


def test_a_proxy_from_the_environment_carries_every_request(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    """HTTP_PROXY is honoured: the feed's host is never resolved, the proxy gets the whole URL."""
    import threading
    from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer

    seen: list[str] = []
    body = fixture("rss20_utf8.xml")

    class Proxy(BaseHTTPRequestHandler):
        def do_GET(self) -> None:
            seen.append(self.path)
            self.send_response(200)
            self.send_header("Content-Type", RSS)
            self.send_header("Content-Length", str(len(body)))
            self.end_headers()
            self.wfile.write(body)

        def log_message(self, *args: object) -> None:
            pass

    proxy = ThreadingHTTPServer(("127.0.0.1", 0), Proxy)
    threading.Thread(target=proxy.serve_forever, daemon=True).start()
    try:
        monkeypatch.setenv("HTTP_PROXY", f"http://127.0.0.1:{proxy.server_address[1]}")
        monkeypatch.delenv("NO_PROXY", raising=False)
        monkeypatch.delenv("no_proxy", raising=False)
        result = collect(settings_for(tmp_path, {"代理": "http://feeds.example.invalid/rss.xml"}))
    finally:
        proxy.shutdown()
    assert [e.error for e in result.errors] == [] and len(result.items) == 3
    assert seen == ["http://feeds.example.invalid/rss.xml"]


def test_an_unreadable_ca_bundle_is_named_on_each_https_feed(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    missing = tmp_path / "no-such-ca.pem"
    monkeypatch.setenv("SSL_CERT_FILE", str(missing))
    url = refused_url().replace("http://", "https://")
    result = collect(settings_for(tmp_path, {"加密": url}, retries=0))
    assert [e.error for e in result.errors] == [
        f"cannot load the TLS certificates from {missing}: No such file or directory"
    ]


ATOM_NESTED_BASE = """<?xml version="1.0" encoding="utf-8"?>
<feed xmlns="http://www.w3.org/2005/Atom" xml:base="/blog/"><title>嵌套</title>
<entry xml:base="sub/"><title>相对的相对</title><id>tag:x,2025:1</id>
<link href="post3"/><updated>2025-12-11T01:00:00Z</updated></entry>
</feed>
"""


def test_nested_xml_base_and_same_guids_in_two_feeds(server: FeedServer, tmp_path: Path) -> None:
    atom = server.route("/a/atom.xml", Reply(body=ATOM_NESTED_BASE.encode()))
    one = server.route("/one/rss.xml", Reply(body=RELATIVE.encode()))
    two = server.route("/two/rss.xml", Reply(body=RELATIVE.encode()))
    items = collect(settings_for(tmp_path, {"原子": atom, "甲": one, "乙": two})).items
    assert (items[0].link, items[0].guid) == (f"{server.base}/blog/sub/post3", "tag:x,2025:1")
    same = [i for i in items if i.title == "同级路径"]
    assert [i.guid for i in same] == [f"{server.base}/one/opaque-2", f"{server.base}/two/opaque-2"]
    assert same[0].id != same[1].id


def test_guids_resolve_as_feedparser_resolves_them_against_the_feed_url() -> None:
    """Ids without a scheme become URLs under the feed's (so two feeds' ids stay apart); ids with a
    scheme, and RSS guids marked isPermaLink other than "true", stay as written — in any encoding."""
    from briefing.parse import parse_feed

    base = "https://h.example/feeds/rss.xml"
    guids = [
        ("", "abc-1", "https://h.example/feeds/abc-1"),
        (' isPermaLink="false"', "abc-2", "abc-2"),
        (' isPermaLink="True"', "abc-3", "abc-3"),
        ("", "tag:x,2025:1", "tag:x,2025:1"),
        ("", "urn:uuid:1", "urn:uuid:1"),
        ("", "/posts/5", "https://h.example/posts/5"),
        (' isPermaLink="false"', "a&amp;b=6", "a&b=6"),
        (' isPermaLink="false"', "新闻-7", "新闻-7"),
        (' isPermaLink="false"', "<![CDATA[x&y]]>", "x&y"),
    ]
    items = "".join(
        f"<item><title>标题{k}</title><link>https://h.example/{k}.html</link>"
        f"<guid{attr}>{value}</guid></item>"
        for k, (attr, value, _) in enumerate(guids)
    )
    for encoding in ("utf-8", "gbk", "utf-16"):
        feed = (
            f'<?xml version="1.0" encoding="{encoding}"?><rss version="2.0"><channel>'
            f"<title>t</title>{items}</channel></rss>"
        ).encode(encoding)
        got = parse_feed(feed, source="s", tz=UTC, headers={"content-location": base}).items
        assert [i.guid for i in got] == [want for _, _, want in guids], encoding
    atom = (
        '<?xml version="1.0" encoding="utf-8"?><feed xmlns="http://www.w3.org/2005/Atom">'
        "<title>a</title>"
        + "".join(
            f'<entry><title>条目{k}</title><id>{i}</id><link href="https://h.example/a{k}"/>'
            "<updated>2025-12-11T01:00:00Z</updated></entry>"
            for k, i in enumerate(["/posts/1", "abc-2", "tag:x,2025:3"])
        )
        + "</feed>"
    ).encode()
    got = parse_feed(atom, source="s", tz=UTC, headers={"content-location": base}).items
    assert [i.guid for i in got] == [
        "https://h.example/posts/1",
        "https://h.example/feeds/abc-2",
        "tag:x,2025:3",
    ]


@pytest.mark.parametrize(
    ("env", "line"),
    [
        (
            {"SSL_CERT_FILE": "/nonexistent/ca.pem", "HTTPS_PROXY": "http://u:pw@127.0.0.1:9"},
            "error: cannot load the TLS certificates from /nonexistent/ca.pem: "
            "No such file or directory",
        ),
        (
            {"HTTPS_PROXY": "ftp://u:pw@127.0.0.1:9"},
            "error: the proxy in the environment cannot be used: its URL is not a valid http://, "
            "https:// or socks5:// URL (see HTTP_PROXY, HTTPS_PROXY, ALL_PROXY)",
        ),
        (
            {"HTTPS_PROXY": "http://u:pw@proxy.example:abc"},
            "error: the proxy in the environment cannot be used: its URL is not a valid http://, "
            "https:// or socks5:// URL (see HTTP_PROXY, HTTPS_PROXY, ALL_PROXY)",
        ),
    ],
)
def test_a_proxy_setting_that_cannot_be_used_is_one_line_and_exit_2(
    monkeypatch: pytest.MonkeyPatch, env: dict[str, str], line: str
) -> None:
    from click.testing import CliRunner
    from conftest import EXAMPLES

    from briefing.cli import main

    for name, value in env.items():
        monkeypatch.setenv(name, value)
    result = CliRunner().invoke(
        main, ["collect", "--feeds", str(EXAMPLES / "feeds.yaml"), "--json"]
    )
    assert result.exit_code == 2 and result.stdout == ""
    assert line in result.stderr.splitlines() and "pw" not in result.stderr


def test_a_fork_that_fails_leaves_no_worker_and_parses_in_threads(
    server: FeedServer, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    import multiprocessing
    from multiprocessing.process import BaseProcess

    started = []
    real_start = BaseProcess.start

    def start_once(self: BaseProcess) -> None:
        if started:
            raise BlockingIOError(11, "Resource temporarily unavailable")
        started.append(self)
        real_start(self)

    monkeypatch.setattr(BaseProcess, "start", start_once)
    url = server.route("/f", Reply(body=fixture("rss20_utf8.xml")))
    result = collect(settings_for(tmp_path, {"源": url}, parse_processes=2))
    assert len(result.items) == 3 and result.errors == []
    assert len(started) == 1 and not started[0].is_alive()  # the one that started was stopped
    assert multiprocessing.active_children() == []
