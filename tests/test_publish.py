"""Publishing: a real Hugo build of the published post, Hexo/Jekyll layouts and front matter, and
webhooks delivered to loopback servers (one that fails first, one that keeps failing)."""

from __future__ import annotations

import json
import re
import shutil
import subprocess
import threading
import time
from datetime import date, datetime
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from pathlib import Path
from typing import Any
from zoneinfo import ZoneInfo

import pytest
import yaml
from click.testing import CliRunner
from test_cover import feeds_file

from briefing.cli import main
from briefing.config import load_settings
from briefing.pipeline import run
from briefing.publish.sites import detect_engine
from briefing.publish.webhooks import message, retry_after
from briefing.render import parse
from briefing.secrets import redact_webhook

DAY = date(2025, 12, 12)
NOW = datetime(2025, 12, 13, 7, 0, tzinfo=ZoneInfo("Asia/Shanghai"))
TOKEN = "6f1c2d3e-aaaa-bbbb-cccc-1234567890ab"
HUGO = shutil.which("hugo")


def invoke(*args: str) -> tuple[int, str, str]:
    r = CliRunner().invoke(main, list(args), catch_exceptions=False)
    return r.exit_code, r.stdout, r.stderr


@pytest.fixture(scope="module")
def report(tmp_path_factory: pytest.TempPathFactory) -> Path:
    """The bundled sample's offline report and its cover, written once for the module."""
    tmp = tmp_path_factory.mktemp("report")
    settings = load_settings(feeds_file(tmp), env={}, env_file=None)
    summary = run(settings, day=DAY, out_dir=tmp / "out", now=NOW)
    assert summary.cover and summary.cover.is_file()
    return summary.report


def front(path: Path) -> dict[str, Any]:
    text = path.read_text(encoding="utf-8")
    assert text.startswith("---\n")
    return yaml.safe_load(text.split("---\n", 2)[1])


# -- static sites --------------------------------------------------------------------------

HUGO_SINGLE = """<!doctype html><html><head><title>{{ .Title }}</title>
{{ range .Params.images }}<meta property="og:image" content="{{ . | absURL }}">{{ end }}</head><body>
<h1>{{ .Title }}</h1><time datetime="{{ .Date.Format "2006-01-02" }}">{{ .Date.Format "2006-01-02" }}</time>
<ul class="tags">{{ range .Params.tags }}<li>{{ . }}</li>{{ end }}</ul>
<ul class="categories">{{ range .Params.categories }}<li>{{ . }}</li>{{ end }}</ul>
{{ with .Params.cover.image }}<img class="cover" src="{{ . | absURL }}">{{ end }}
{{ .Content }}</body></html>
"""


def hugo_site(root: Path) -> Path:
    """A minimal Hugo site with its own tiny layouts (no theme)."""
    (root / "layouts" / "_default").mkdir(parents=True)
    (root / "hugo.toml").write_text(
        'baseURL = "http://example.org/blog/"\ntitle = "经济日报"\n'
        '[taxonomies]\n  tag = "tags"\n  category = "categories"\n',
        encoding="utf-8",
    )
    (root / "layouts" / "_default" / "single.html").write_text(HUGO_SINGLE, encoding="utf-8")
    (root / "layouts" / "_default" / "list.html").write_text(
        "<ul>{{ range .Pages }}<li>{{ .Title }}</li>{{ end }}</ul>", encoding="utf-8"
    )
    return root


@pytest.mark.skipif(HUGO is None, reason="no hugo binary on PATH (.ci/run installs Debian's hugo)")
def test_hugo_builds_the_published_post_with_title_date_tags_and_cover(
    tmp_path: Path, report: Path
) -> None:
    site = hugo_site(tmp_path / "site")
    code, out, err = invoke("publish", str(report), "--site", str(site))
    assert code == 0, err
    post = site / "content" / "posts" / "briefing-2025-12-12.md"
    assert out.strip() == str(post)
    code, out, err = invoke("publish", str(report), "--site", str(site))  # again: replaced
    assert code == 0, err
    assert sorted(p.name for p in (site / "content" / "posts").iterdir()) == [post.name]
    assert sorted(p.name for p in (site / "static" / "images" / "briefing").iterdir()) == [
        "briefing-2025-12-12.png"
    ]

    build = subprocess.run(
        [HUGO, "--source", str(site), "--destination", str(tmp_path / "public")],
        capture_output=True,
        text=True,
        timeout=120,
    )
    print(build.stdout, build.stderr)  # shown with -s: the build's own report
    assert build.returncode == 0, build.stderr
    assert re.search(r"Pages\s*\|\s*\d+", build.stdout)
    html = (tmp_path / "public" / "posts" / "briefing-2025-12-12" / "index.html").read_text("utf-8")
    title = parse(report.read_text(encoding="utf-8")).report.title
    assert f"<h1>{title}</h1>" in html
    assert '<time datetime="2025-12-12">' in html
    assert "<li>经济日报</li><li>宏观经济</li>" in html
    (src,) = re.findall(r'<img class="cover" src="([^"]+)"', html)
    assert src == "http://example.org/blog/images/briefing/briefing-2025-12-12.png"
    built_cover = tmp_path / "public" / src.removeprefix("http://example.org/blog/")
    assert built_cover.read_bytes() == report.with_suffix(".png").read_bytes()
    assert f'<meta property="og:image" content="{src}">' in html
    assert "<h2" in html and "投资启示" in html  # the body came through as Markdown
    assert (tmp_path / "public" / "tags" / "经济日报" / "index.html").is_file()


def test_hexo_post_and_cover_where_hexo_expects_them(tmp_path: Path, report: Path) -> None:
    site = tmp_path / "blog"
    site.mkdir()
    (site / "_config.yml").write_text("title: 博客\nurl: http://example.org\n", encoding="utf-8")
    (site / "package.json").write_text('{"dependencies": {"hexo": "^7.0.0"}}', encoding="utf-8")
    code, _, err = invoke("publish", str(report), "--site", str(site))
    assert code == 0, err
    assert "hexo" in err
    files = sorted(str(p.relative_to(site)) for p in site.rglob("*") if p.is_file())
    assert files == [
        "_config.yml",
        "package.json",
        "source/_posts/briefing-2025-12-12.md",
        "source/images/briefing/briefing-2025-12-12.png",
    ]
    r = parse(report.read_text(encoding="utf-8")).report
    assert front(site / "source/_posts/briefing-2025-12-12.md") == {
        "title": r.title,
        "date": DAY,
        "categories": ["经济日报"],
        "tags": ["经济日报", "宏观经济"],
        "keywords": r.seo,
        "cover": "/images/briefing/briefing-2025-12-12.png",
        "thumbnail": "/images/briefing/briefing-2025-12-12.png",
    }


def test_jekyll_post_and_cover_where_jekyll_expects_them(tmp_path: Path, report: Path) -> None:
    site = tmp_path / "blog"
    site.mkdir()
    (site / "_config.yml").write_text("title: 博客\n", encoding="utf-8")
    (site / "Gemfile").write_text('gem "jekyll"\n', encoding="utf-8")
    for _ in range(2):
        code, _, err = invoke("publish", str(report), "--site", str(site), "--engine", "jekyll")
        assert code == 0, err
    files = sorted(str(p.relative_to(site)) for p in site.rglob("*") if p.is_file())
    assert files == [
        "Gemfile",
        "_config.yml",
        "_posts/2025-12-12-briefing.md",
        "assets/images/briefing/briefing-2025-12-12.png",
    ]
    fm = front(site / "_posts/2025-12-12-briefing.md")
    assert list(fm) == ["layout", "title", "date", "categories", "tags", "keywords", "image"]
    assert (fm["layout"], fm["categories"], fm["image"]) == (
        "post",
        ["经济日报"],
        "/assets/images/briefing/briefing-2025-12-12.png",
    )
    body = (site / "_posts/2025-12-12-briefing.md").read_text(encoding="utf-8")
    assert "generator" not in body and "coverImage" not in body  # internal metadata stripped
    first = parse(report.read_text(encoding="utf-8")).report.events[0].title
    assert body.split("---\n", 2)[2].startswith(f"\n## {first}\n")  # no repeated headline


@pytest.mark.parametrize(
    "files, engine",
    [
        ({"hugo.toml": 'title = "x"'}, "hugo"),
        ({"config.toml": 'baseURL = "https://x.org/"\ntheme = "PaperMod"'}, "hugo"),
        ({"_config.yml": "title: x", "package.json": '{"hexo": {"version": "7.1.1"}}'}, "hexo"),
        ({"_config.yml": "title: x", "Gemfile": 'gem "github-pages"'}, "jekyll"),
        ({"_config.yml": "title: x"}, "jekyll"),
        ({"Gemfile": 'gem "jekyll", "~> 4.3"'}, "jekyll"),
    ],
)
def test_engine_detected_from_the_sites_files(
    tmp_path: Path, files: dict[str, str], engine: str
) -> None:
    for name, text in files.items():
        (tmp_path / name).write_text(text, encoding="utf-8")
    assert detect_engine(tmp_path) == engine


def test_unknown_site_is_a_config_error(tmp_path: Path, report: Path) -> None:
    (tmp_path / "site").mkdir()
    code, out, err = invoke("publish", str(report), "--site", str(tmp_path / "site"))
    assert code == 2 and out == ""
    assert err.count("\n") == 1 and "cannot tell the site's engine" in err and "--engine" in err
    code, _, err = invoke("publish", str(report))
    assert code == 2 and "nothing to publish to" in err


# -- webhooks ------------------------------------------------------------------------------


class Hook:
    """A loopback webhook: answers from a script of (status, headers, body), records every request."""

    def __init__(self, script: list[tuple[int, dict[str, str], str]], repeat_last: bool = False):
        self.script = list(script)
        self.repeat_last = repeat_last
        self.requests: list[dict[str, Any]] = []
        hook = self

        class Handler(BaseHTTPRequestHandler):
            def log_message(self, *args: Any) -> None:
                pass

            def do_POST(self) -> None:
                body = self.rfile.read(int(self.headers["Content-Length"]))
                hook.requests.append(
                    {"path": self.path, "body": json.loads(body), "at": time.monotonic()}
                )
                status, headers, text = (
                    hook.script[0]
                    if hook.repeat_last and len(hook.script) == 1
                    else hook.script.pop(0)
                )
                self.send_response(status)
                for k, v in headers.items():
                    self.send_header(k, v)
                data = text.encode("utf-8")
                self.send_header("Content-Length", str(len(data)))
                self.end_headers()
                self.wfile.write(data)

        self.server = ThreadingHTTPServer(("127.0.0.1", 0), Handler)
        self.thread = threading.Thread(target=self.server.serve_forever, daemon=True)

    def url(self, path: str) -> str:
        return f"http://127.0.0.1:{self.server.server_port}{path}"

    def __enter__(self) -> Hook:
        self.thread.start()
        return self

    def __exit__(self, *exc: object) -> None:
        self.server.shutdown()
        self.server.server_close()


def test_feishu_webhook_retries_after_429_honouring_retry_after(
    tmp_path: Path, report: Path
) -> None:
    feeds = feeds_file(tmp_path, {"retries": 3, "backoff": 0.01})
    ok = (200, {"Content-Type": "application/json"}, '{"code":0,"msg":"success"}')
    with Hook([(429, {"Retry-After": "1"}, "slow down"), ok]) as hook:
        code, out, err = invoke(
            "publish", str(report), "--feeds", str(feeds), "--format", "feishu",
            "--webhook", hook.url(f"/open-apis/bot/v2/hook/{TOKEN}"),
            "--link", "https://blog.example.org/posts/{slug}-{date}/",
        )  # fmt: skip
    assert code == 0, err
    assert len(hook.requests) == 2
    assert hook.requests[1]["at"] - hook.requests[0]["at"] >= 0.95  # waited what Retry-After said
    assert hook.requests[0]["body"] == hook.requests[1]["body"]
    assert hook.requests[0]["path"] == f"/open-apis/bot/v2/hook/{TOKEN}"
    assert TOKEN not in out + err
    assert "delivered (HTTP 200) after 2 attempts" in err and "/hook/***" in err
    body = hook.requests[1]["body"]
    r = parse(report.read_text(encoding="utf-8")).report
    post = body["content"]["post"]["zh_cn"]
    assert body["msg_type"] == "post" and post["title"] == r.headline
    texts = [seg["text"] for line in post["content"] for seg in line]
    for n, e in enumerate(r.events, 1):
        assert f"{n}. {e.title}" in texts and f"投资启示：{e.takeaway}" in texts
    assert post["content"][-1] == [
        {
            "tag": "a",
            "text": "阅读全文",
            "href": "https://blog.example.org/posts/briefing-2025-12-12/",
        }
    ]


def test_webhook_that_keeps_failing_exits_10_with_one_line_and_no_secret(
    tmp_path: Path, report: Path
) -> None:
    feeds = feeds_file(tmp_path, {"retries": 2, "backoff": 0.01})
    with Hook([(500, {}, f"internal error for {TOKEN}")], repeat_last=True) as hook:
        code, out, err = invoke(
            "publish", str(report), "--feeds", str(feeds), "--format", "dingtalk",
            "--webhook", hook.url(f"/robot/send?access_token={TOKEN}"),
        )  # fmt: skip
    assert code == 10
    assert len(hook.requests) == 3  # the first try and two retries
    assert out == ""
    assert err.count("\n") == 1, err
    assert "failed after 3 attempts (HTTP 500)" in err
    assert "access_token=***" in err and TOKEN not in err


def test_a_refusal_in_the_body_is_not_retried(tmp_path: Path, report: Path) -> None:
    refusal = (200, {}, '{"errcode":310000,"errmsg":"keywords not in content"}')
    with Hook([refusal]) as hook:
        code, _, err = invoke(
            "publish", str(report), "--format", "wecom", "--webhook", hook.url(f"/send?key={TOKEN}")
        )
    assert code == 10 and len(hook.requests) == 1
    assert "refused the message: code 310000 keywords not in content" in err and TOKEN not in err


@pytest.mark.parametrize("fmt", ["json", "feishu", "dingtalk", "wecom", "slack"])
def test_every_format_carries_headline_events_takeaways_and_link(report: Path, fmt: str) -> None:
    r = parse(report.read_text(encoding="utf-8")).report
    link = "https://blog.example.org/p/"
    payload = message(r, fmt, link)  # type: ignore[arg-type]
    flat = json.dumps(payload, ensure_ascii=False)
    assert r.headline in flat and link in flat
    for e in r.events:
        assert e.title in flat and e.takeaway in flat
    shape = {
        "json": lambda p: p["events"][0]["title"] == r.events[0].title,
        "feishu": lambda p: p["msg_type"] == "post",
        "dingtalk": lambda p: p["msgtype"] == "markdown" and p["markdown"]["title"] == r.headline,
        "wecom": lambda p: (
            p["msgtype"] == "markdown" and len(p["markdown"]["content"].encode()) <= 4096
        ),
        "slack": lambda p: p["blocks"][0]["type"] == "header" and p["text"].startswith(r.headline),
    }
    assert shape[fmt](payload)


@pytest.mark.parametrize(
    "url, shown",
    [
        (f"https://open.feishu.cn/open-apis/bot/v2/hook/{TOKEN}", "https://open.feishu.cn/open-apis/bot/v2/hook/***"),
        ("https://oapi.dingtalk.com/robot/send?access_token=abc&timestamp=1&sign=xyz", "https://oapi.dingtalk.com/robot/send?access_token=***&timestamp=1&sign=***"),
        ("https://qyapi.weixin.qq.com/cgi-bin/webhook/send?key=k1", "https://qyapi.weixin.qq.com/cgi-bin/webhook/***?key=***"),
        ("https://hooks.slack.com/services/T0/B0/XYZ", "https://hooks.slack.com/services/***/***/***"),
        (f"https://chat.example.org/notify/{TOKEN}", "https://chat.example.org/notify/***"),
    ],
)  # fmt: skip
def test_webhook_urls_are_redacted(url: str, shown: str) -> None:
    assert redact_webhook(url) == shown


def test_retry_after_as_seconds_or_http_date() -> None:
    now = datetime(2025, 12, 12, 8, 0, 0, tzinfo=ZoneInfo("UTC"))
    assert retry_after("3") == 3.0
    assert retry_after("Fri, 12 Dec 2025 08:00:05 GMT", now) == 5.0
    assert retry_after("soon") is None and retry_after(None) is None


# -- run publishes ------------------------------------------------------------------------


def test_run_publishes_to_configured_site_and_webhook(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    site = tmp_path / "site"
    site.mkdir()
    (site / "hugo.toml").write_text('baseURL = "http://example.org/"\n', encoding="utf-8")
    ok = (200, {}, '{"errcode":0,"errmsg":"ok"}')
    with Hook([ok]) as hook:
        monkeypatch.setenv("BRIEFING_WECOM_URL", hook.url(f"/cgi-bin/webhook/send?key={TOKEN}"))
        feeds = feeds_file(
            tmp_path,
            {
                "sites": [{"dir": "site"}],
                "webhooks": [{"url_env": "BRIEFING_WECOM_URL", "format": "wecom"}],
                "link": "http://example.org/posts/{slug}-{date}/",
            },
        )
        code, out, err = invoke(
            "run", "--feeds", str(feeds), "--date", "2025-12-12", "--out", str(tmp_path / "out")
        )
    assert code == 0, err
    assert (site / "content/posts/briefing-2025-12-12.md").is_file()
    assert (site / "static/images/briefing/briefing-2025-12-12.png").is_file()
    (req,) = hook.requests
    assert (
        "[阅读全文](http://example.org/posts/briefing-2025-12-12/)"
        in (req["body"]["markdown"]["content"])
    )
    record = (tmp_path / "out" / "2025-12-12.record.json").read_text(encoding="utf-8")
    assert TOKEN not in record and TOKEN not in err + out


def test_a_failed_publish_keeps_the_report_and_exits_10(tmp_path: Path) -> None:
    with Hook([(503, {}, "down")], repeat_last=True) as hook:
        feeds = feeds_file(
            tmp_path,
            {
                "webhooks": [{"url": hook.url(f"/hook/{TOKEN}"), "format": "slack"}],
                "retries": 1,
                "backoff": 0.01,
            },
        )
        code, out, err = invoke(
            "run", "--feeds", str(feeds), "--date", "2025-12-12", "--out", str(tmp_path / "out")
        )
    assert code == 10
    assert (tmp_path / "out" / "2025-12-12.md").is_file()  # written, not undone
    assert out.strip() == str(tmp_path / "out" / "2025-12-12.md")
    assert (
        "publishing failed for 1 of 1 targets" in err
        and "failed after 2 attempts (HTTP 503)" in err
    )
    assert TOKEN not in err


def test_a_webhook_url_env_that_is_not_set_is_a_config_error(tmp_path: Path, report: Path) -> None:
    feeds = feeds_file(tmp_path, {"webhooks": [{"url_env": "BRIEFING_NO_SUCH_HOOK"}]})
    code, out, err = invoke("publish", str(report), "--feeds", str(feeds))
    assert code == 2 and out == ""
    assert err.strip() == (
        f"error: {feeds}: publish.webhooks[0]: $BRIEFING_NO_SUCH_HOOK is not set"
    )
    site = tmp_path / "blog"  # an explicit --site needs none of feeds.yaml's webhooks
    (site / "content").mkdir(parents=True)
    (site / "hugo.toml").write_text('baseURL = "http://example.org/"\n', encoding="utf-8")
    code, out, err = invoke("publish", str(report), "--feeds", str(feeds), "--site", str(site))
    assert code == 0, err
    assert out.strip() == str(site / "content" / "posts" / "briefing-2025-12-12.md")


def test_a_configured_webhook_token_is_masked_in_any_line_shown(tmp_path: Path) -> None:
    from briefing.secrets import redact_text

    url = f"https://open.feishu.cn/open-apis/bot/v2/hook/{TOKEN}"
    settings = load_settings(
        feeds_file(tmp_path, {"webhooks": [{"url": url, "format": "feishu"}]}),
        env={},
        env_file=None,
    )
    assert settings.publish.webhooks[0].url.get_secret_value() == url
    assert redact_text(f"POST {url} failed; token {TOKEN}") == (
        "POST https://open.feishu.cn/open-apis/bot/v2/hook/*** failed; token ***"
    )
    assert TOKEN not in json.dumps(settings.public_dict())


SECRET = "SEC0123456789abcdef0123456789abcdef"


def test_feishu_signed_with_the_secret_from_the_environment(
    tmp_path: Path, report: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    import base64
    import hashlib
    import hmac

    monkeypatch.setenv("BRIEFING_FEISHU_SECRET", SECRET)
    with Hook([(200, {}, '{"code":0}')]) as hook:
        feeds = feeds_file(
            tmp_path,
            {
                "webhooks": [
                    {
                        "url": hook.url(f"/open-apis/bot/v2/hook/{TOKEN}"),
                        "format": "feishu",
                        "secret_env": "BRIEFING_FEISHU_SECRET",
                    }
                ]
            },
        )
        code, out, err = invoke("publish", str(report), "--feeds", str(feeds))
    assert code == 0, err
    (req,) = hook.requests
    stamp = req["body"]["timestamp"]
    assert abs(int(stamp) - time.time()) < 60
    key = f"{stamp}\n{SECRET}".encode()
    assert (
        req["body"]["sign"]
        == base64.b64encode(hmac.new(key, b"", hashlib.sha256).digest()).decode()
    )
    assert req["body"]["msg_type"] == "post"
    assert SECRET not in out + err and TOKEN not in out + err


def test_dingtalk_signed_in_the_query(tmp_path: Path, report: Path) -> None:
    import base64
    import hashlib
    import hmac
    from urllib.parse import parse_qs, urlsplit

    with Hook([(200, {}, '{"errcode":0,"errmsg":"ok"}')]) as hook:
        code, out, err = invoke(
            "publish", str(report), "--format", "dingtalk", "--secret", SECRET,
            "--webhook", hook.url(f"/robot/send?access_token={TOKEN}"),
        )  # fmt: skip
    assert code == 0, err
    (req,) = hook.requests
    query = parse_qs(urlsplit(req["path"]).query)
    assert query["access_token"] == [TOKEN]
    (stamp,) = query["timestamp"]
    digest = hmac.new(SECRET.encode(), f"{stamp}\n{SECRET}".encode(), hashlib.sha256).digest()
    assert query["sign"] == [base64.b64encode(digest).decode()]
    assert req["body"]["msgtype"] == "markdown"
    assert SECRET not in out + err and TOKEN not in out + err


def test_a_remote_cover_is_referenced_not_copied(tmp_path: Path, report: Path) -> None:
    text = report.read_text(encoding="utf-8").replace(
        "coverImage: 2025-12-12.png", "coverImage: https://img.example.org/2025/12-12.png"
    )
    copy = tmp_path / "elsewhere" / "2025-12-12.md"
    copy.parent.mkdir()
    copy.write_text(text, encoding="utf-8")
    site = tmp_path / "blog"
    site.mkdir()
    (site / "_config.yml").write_text("title: x\n", encoding="utf-8")
    code, _, err = invoke("publish", str(copy), "--site", str(site), "--engine", "hexo")
    assert code == 0, err
    assert not (site / "source" / "images").exists()
    fm = front(site / "source/_posts/briefing-2025-12-12.md")
    assert fm["cover"] == fm["thumbnail"] == "https://img.example.org/2025/12-12.png"


def test_a_report_held_by_the_grounding_gate_is_not_published(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    from fakellm import FakeLLMServer

    site = tmp_path / "site"
    site.mkdir()
    (site / "hugo.toml").write_text('baseURL = "http://example.org/"\n', encoding="utf-8")
    with Hook([(200, {}, "ok")]) as hook, FakeLLMServer() as llm:
        for k, v in llm.env.items():  # the fake model's answers are not in any source
            monkeypatch.setenv(k, v)
        publish = {"sites": [{"dir": "site"}], "webhooks": [{"url": hook.url("/hook/x")}]}
        feeds = feeds_file(tmp_path, publish)
        code, out, err = invoke(
            "run", "--feeds", str(feeds), "--date", "2025-12-12", "--out", str(tmp_path / "out"),
            "--min-grounding", "0.9",
        )  # fmt: skip
    assert code == 8, err
    assert "report held back" in err
    assert hook.requests == [] and not (site / "content").exists()
    assert not (tmp_path / "out" / "2025-12-12.md").exists()
    draft = tmp_path / "out" / "drafts" / "2025-12-12.md"
    assert draft.is_file() and draft.with_suffix(".png").is_file()  # the draft's cover beside it


def test_a_webhook_path_word_is_not_masked_in_every_later_line() -> None:
    """WeCom's `/cgi-bin/webhook/send?key=…`: the key is a secret, the word `send` is not."""
    from briefing.secrets import redact_text, remember_webhook

    remember_webhook("https://qyapi.weixin.qq.com/cgi-bin/webhook/send?key=0f1e2d3c-4b5a-6978")
    assert redact_text("the sender said send too fast; key 0f1e2d3c-4b5a-6978") == (
        "the sender said send too fast; key ***"
    )
