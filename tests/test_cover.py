"""The cover image: drawn by a real run from the bundled sample, deterministic, redrawn by a rerun
that changes a stance, and a warning (never a failed run) when the font is missing or broken."""

from __future__ import annotations

import io
import json
import logging
import struct
from datetime import date, datetime
from pathlib import Path
from zoneinfo import ZoneInfo

import pytest
import yaml
from click.testing import CliRunner
from conftest import EXAMPLES
from fakellm import FakeLLMServer
from PIL import Image, ImageFont

from briefing.cli import main
from briefing.config import ReportConfig, load_settings
from briefing.cover import (
    _fit,
    cover_url,
    draw,
    font_path,
    key_figure,
    make_cover,
    redraw_cover,
    stance_sign,
)
from briefing.pipeline import run
from briefing.render import parse

DAY = date(2025, 12, 12)
NOW = datetime(2025, 12, 13, 7, 0, tzinfo=ZoneInfo("Asia/Shanghai"))


def feeds_file(tmp_path: Path, publish: dict | None = None, **report: object) -> Path:
    """The sample's feeds.yaml with absolute feed paths, `report:` overrides and a `publish:`."""
    raw = yaml.safe_load((EXAMPLES / "feeds.yaml").read_text(encoding="utf-8"))
    for feed in raw["feeds"]:
        feed["url"] = str(EXAMPLES / feed["url"])
    raw["report"].update(report)
    if publish is not None:
        raw["publish"] = publish
    path = tmp_path / "feeds.yaml"
    path.write_text(yaml.safe_dump(raw, allow_unicode=True), encoding="utf-8")
    return path


def sample_run(tmp_path: Path, out: str = "out", **report: object):
    settings = load_settings(feeds_file(tmp_path, **report), env={}, env_file=None)
    return run(settings, day=DAY, out_dir=tmp_path / out, now=NOW)


def png_chunks(data: bytes) -> list[str]:
    assert data[:8] == b"\x89PNG\r\n\x1a\n"
    pos, names = 8, []
    while pos < len(data):
        (length,) = struct.unpack(">I", data[pos : pos + 4])
        names.append(data[pos + 4 : pos + 8].decode("ascii"))
        pos += 12 + length
    return names


@pytest.fixture(scope="module")
def sample(tmp_path_factory: pytest.TempPathFactory):
    """One offline run of the bundled sample for the tests that only read its cover."""
    return sample_run(tmp_path_factory.mktemp("sample"))


def test_run_draws_a_1200x630_png_beside_the_report_and_names_it(sample) -> None:
    summary = sample
    png = summary.report.with_suffix(".png")
    assert summary.cover == png
    img = Image.open(png)
    assert (img.format, img.size, img.mode) == ("PNG", (1200, 630), "RGB")
    report = parse(summary.report.read_text(encoding="utf-8")).report
    assert report.cover_image == "2025-12-12.png"
    # no timestamp or text metadata: only the image chunks
    assert set(png_chunks(png.read_bytes())) == {"IHDR", "IDAT", "IEND"}
    assert not list(png.parent.glob(".*.tmp"))  # written atomically, nothing left over


def test_same_report_same_bytes(tmp_path: Path, sample) -> None:
    a = sample.cover.read_bytes()
    b = sample_run(tmp_path, "b").cover.read_bytes()
    assert a == b
    report = parse(sample.report.read_text(encoding="utf-8")).report
    font = font_path(ReportConfig())
    assert draw(report, font) == draw(report, font) == a


def test_url_prefix_names_the_cover_where_the_site_serves_it(tmp_path: Path) -> None:
    summary = sample_run(
        tmp_path, cover_url_prefix="https://img.example.com/{date:%Y}/{date:%m-%d}/"
    )
    fm = yaml.safe_load(summary.report.read_text(encoding="utf-8").split("---")[1])
    assert fm["coverImage"] == "https://img.example.com/2025/12-12/2025-12-12.png"
    assert summary.cover and summary.cover.is_file()
    assert cover_url(ReportConfig(), DAY) == "2025-12-12.png"


@pytest.mark.parametrize(
    "stance, sign",
    [
        ("利多", 1),
        ("结构性利多", 1),
        ("利空", -1),
        ("短期利空", -1),
        ("中性", 0),
        ("分化", 0),
        ("", 0),
    ],
)
def test_stance_marks(stance: str, sign: int) -> None:
    assert stance_sign(stance) == sign


@pytest.mark.parametrize(
    "title, figure",
    [
        ("美联储启动储备管理购买：纽约联储自12月12日起首月购买约400亿美元短期国债", "400亿美元"),
        ("国家统计局：11月CPI同比上涨0.7%创21个月新高 PPI同比下降2.2%", "0.7%"),
        ("彭博调查：经济学家一致预计日本央行下周加息至0.75%", "0.75%"),
        ("中央经济工作会议在北京召开", ""),
    ],
)
def test_key_figure_is_the_first_quantity_of_the_title(title: str, figure: str) -> None:
    assert key_figure(title) == figure


def test_rerun_that_changes_stances_redraws_the_cover(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    summary = sample_run(tmp_path)
    before = summary.cover.read_bytes()
    answer = {
        "impacts": [{"asset": a, "stance": "利空", "text": "新的理由。"} for a in ("美元", "黄金")]
    }
    with FakeLLMServer() as llm:
        for k, v in llm.env.items():
            monkeypatch.setenv(k, v)
        llm.enqueue(content=json.dumps(answer, ensure_ascii=False))
        r = CliRunner().invoke(
            main, ["rerun", str(summary.report), "--event", "1", "--section", "impact"]
        )
    assert r.exit_code == 0, r.stderr
    after = summary.cover.read_bytes()
    assert after != before
    report = parse(summary.report.read_text(encoding="utf-8")).report
    assert after == draw(report, font_path(ReportConfig()))
    assert [i.stance for i in report.events[0].impacts] == ["利空", "利空"]


def test_missing_font_is_a_warning_and_no_cover_never_a_failed_run(tmp_path: Path) -> None:
    feeds = feeds_file(tmp_path, cover_font=str(tmp_path / "nope.ttf"))
    r = CliRunner().invoke(
        main, ["run", "--feeds", str(feeds), "--date", "2025-12-12", "--out", str(tmp_path / "o")]
    )
    assert r.exit_code == 0, r.stderr
    assert f"warning: no cover image: cover font {tmp_path / 'nope.ttf'} not found" in r.stderr
    text = (tmp_path / "o" / "2025-12-12.md").read_text(encoding="utf-8")
    assert "coverImage" not in text
    assert not (tmp_path / "o" / "2025-12-12.png").exists()


def test_a_file_that_is_not_a_font_is_a_failed_draw_warning(
    tmp_path: Path, caplog: pytest.LogCaptureFixture, sample
) -> None:
    bad = tmp_path / "bad.ttf"
    bad.write_text("not a font", encoding="utf-8")
    report = parse(sample.report.read_text("utf-8")).report
    png, why = make_cover(report, ReportConfig(cover_font=str(bad)))
    assert png is None and why == "no cover image: drawing failed: OSError: unknown file format"
    before = sample.cover.read_bytes()
    report.events[0].impacts[0].stance = "利多"  # a change a rerun would redraw for
    with caplog.at_level(logging.WARNING, logger="briefing.cover"):
        assert redraw_cover(sample.report, report, ReportConfig(cover_font=str(bad))) is None
    assert [r.getMessage() for r in caplog.records] == [why]  # a rerun logs it, never fails
    assert sample.cover.read_bytes() == before


def test_cover_off_keeps_the_configured_cover_image(tmp_path: Path) -> None:
    summary = sample_run(tmp_path, cover=False, cover_image="https://img.example.com/fixed.png")
    assert summary.cover is None and not (tmp_path / "out" / "2025-12-12.png").exists()
    assert parse(summary.report.read_text("utf-8")).report.cover_image == (
        "https://img.example.com/fixed.png"
    )


def test_the_cover_is_legible_at_full_size(sample) -> None:
    """Not blank: the headline band and the three event panels have ink on them."""
    img = Image.open(io.BytesIO(sample.cover.read_bytes())).convert("L")
    for top in (90, 240, 350, 460):  # headline, panels 1–3
        band = img.crop((64, top, 1136, top + 40))
        lo, hi = band.getextrema()
        assert hi - lo > 150, top


@pytest.mark.parametrize(
    "cut_after, shown",
    [
        ("PPI同比下降2", "国家统计局：11月CPI同比上涨0.7%创21个月新高 PPI同比下降…"),
        ("PPI同比下降2.", "国家统计局：11月CPI同比上涨0.7%创21个月新高 PPI同比下降…"),
        ("PPI同比", "国家统计局：11月CPI同比上涨0.7%创21个月新高 PPI同比…"),
    ],
)
def test_a_cut_title_never_ends_in_half_a_number(cut_after: str, shown: str) -> None:
    from PIL import ImageDraw

    title = "国家统计局：11月CPI同比上涨0.7%创21个月新高 PPI同比下降2.2%"
    font = ImageFont.truetype(str(font_path(ReportConfig())), 27)
    d = ImageDraw.Draw(Image.new("RGB", (8, 8)))
    width = d.textlength(title[: title.index(cut_after) + len(cut_after)] + "…", font=font)
    assert _fit(d, title, font, int(width) + 1) == shown


def test_headline_wraps_by_character_keeps_latin_words_and_ellipsises_line_two() -> None:
    from PIL import ImageDraw

    from briefing.cover import _wrap

    font = ImageFont.truetype(str(font_path(ReportConfig())), 40)
    d = ImageDraw.Draw(Image.new("RGB", (8, 8)))
    width = int(d.textlength("美联储启动储备管理购买Broadcom", font=font)) + 1
    lines = _wrap(
        d,
        "美联储启动储备管理购买Broadcom财报超预期，英伟达与台积电同步走高创下新高",
        font,
        width,
        2,
    )
    assert lines[0] == "美联储启动储备管理购买Broadcom"
    assert lines[1].endswith("…") and len(lines) == 2
    assert d.textlength(lines[1], font=font) <= width
    lines = _wrap(d, "美联储启动储备管理购买Broadcoms", font, width, 2)
    assert lines == ["美联储启动储备管理购买", "Broadcoms"]  # the word moved whole


def test_a_cover_that_cannot_be_written_is_a_warning_and_the_report_names_none(
    tmp_path: Path,
) -> None:
    out = tmp_path / "o"
    (out / "2025-12-12.png").mkdir(parents=True)  # a folder where the cover should go
    feeds = feeds_file(tmp_path)
    r = CliRunner().invoke(
        main, ["run", "--feeds", str(feeds), "--date", "2025-12-12", "--out", str(out)]
    )
    assert r.exit_code == 0, r.stderr
    assert f"warning: no cover image: cannot write {out / '2025-12-12.png'}" in r.stderr
    assert "coverImage" not in (out / "2025-12-12.md").read_text(encoding="utf-8")
    assert sorted(p.name for p in out.iterdir() if p.name.startswith(".2025")) == []


def test_a_report_that_cannot_be_written_leaves_the_old_cover_with_the_old_report(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    """The cover belongs to the report+record unit: when the pair's write fails (a disk that fills,
    injected here at the pair writer), the cover of the previous run stays, and no temp file."""
    import briefing.pipeline as pipeline
    from briefing.errors import OutputError

    first = sample_run(tmp_path, tags=["经济日报", "宏观经济"])
    out = first.report.parent
    before = {p.name: p.read_bytes() for p in out.iterdir() if p.is_file()}

    def full_disk(*_a: object, **_k: object) -> None:
        raise OutputError("cannot write out/2025-12-12.record.json: no space left on the device")

    monkeypatch.setattr(pipeline, "write_pair", full_disk)
    settings = load_settings(feeds_file(tmp_path, tags=["另一组", "标签"]), env={}, env_file=None)
    with pytest.raises(OutputError):
        run(settings, day=DAY, out_dir=out, now=NOW, force=True)
    assert {p.name: p.read_bytes() for p in out.iterdir() if p.is_file()} == before
    monkeypatch.undo()
    second = run(settings, day=DAY, out_dir=out, now=NOW, force=True)  # the tags are on the cover
    assert second.cover is not None and second.cover.read_bytes() != before["2025-12-12.png"]
