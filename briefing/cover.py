"""The report's cover image: a 1200×630 PNG drawn locally with Pillow from the Report itself.

It shows the date, the headline and the three events, each with its key figure (the first
quantity in its title) and its stances as coloured marks (利多 red, 利空 green: the A-share
convention; 中性/分化 grey). The font is Noto Sans CJK SC from the `manimgx-fonts-cjk` wheel
(variable weight, OFL), or `report.cover_font`; nothing is downloaded.

Deterministic: the same Report gives the same bytes (basic layout engine, no PNG metadata).
Failure policy: a cover is decoration. A missing font, a failing draw or write is one warning
(run's on_warning, the log for a rerun) and gives no cover (the front matter then has no `coverImage`); it never fails a run.
"""

from __future__ import annotations

import io
import logging
import re
from dataclasses import dataclass
from datetime import date
from functools import lru_cache
from importlib import resources
from pathlib import Path

from briefing.atomic import stage_atomic, write_atomic
from briefing.config import ReportConfig
from briefing.grounding.facts import extract
from briefing.models import Report
from briefing.rules import load_rules

log = logging.getLogger("briefing.cover")

WIDTH, HEIGHT = 1200, 630
MARGIN = 64
BG = (13, 27, 42)
PANEL = (22, 40, 60)
INK = (245, 247, 250)
MUTED = (150, 166, 186)
ACCENT = (230, 57, 70)
GOLD = (244, 196, 92)
UP, DOWN, FLAT = (214, 48, 49), (20, 160, 100), (96, 112, 132)
WEEKDAYS = "一二三四五六日"
_ASCII_WORD = re.compile(r"[A-Za-z0-9.,%]")
_ASCII_TAIL = re.compile(r"[A-Za-z0-9.,%]+$")
_FONT_PACKAGE, _FONT_FILE = "manimgx_fonts_cjk", "NotoSansCJK-VF.otf.ttc"


class CoverError(Exception):
    """Why no cover was drawn (turned into a warning, never a failed run)."""


def font_path(config: ReportConfig) -> Path:
    """The configured font, else the Noto Sans CJK file the manimgx-fonts-cjk wheel installs."""
    if config.cover_font:
        path = Path(config.cover_font).expanduser()
        if not path.is_file():
            raise CoverError(f"cover font {path} not found")
        return path
    try:
        path = Path(str(resources.files(_FONT_PACKAGE) / _FONT_FILE))
    except ModuleNotFoundError:
        raise CoverError(
            f"no CJK font: install {_FONT_PACKAGE.replace('_', '-')} or set report.cover_font"
        ) from None
    if not path.is_file():
        raise CoverError(f"no CJK font at {path}")
    return path


def stance_sign(stance: str) -> int:
    """+1 for 利多-like stances, -1 for 利空-like ones, 0 for 中性/分化/none."""
    up = any(w in stance for w in ("利多", "利好", "偏多", "看多", "支撑", "受益"))
    down = any(w in stance for w in ("利空", "偏空", "看空", "承压", "利淡"))
    return (up and not down) - (down and not up)


def key_figure(title: str) -> str:
    """The first quantity with a unit or magnitude in an event title (400亿美元, 0.7%), or ''."""
    for q in extract(title, load_rules()).quantities:
        if q.unit or q.magnitude != 1:
            return q.text.replace(" ", "")
    return ""


def cover_name(day: date) -> str:
    """DATE.png: the cover's name beside DATE.md, what a rerun and publish look for."""
    return f"{day.isoformat()}.png"


def cover_url(config: ReportConfig, day: date) -> str:
    """What `coverImage` says: the file name beside the report, or under report.cover_url_prefix."""
    prefix = config.cover_url_prefix
    if "{" in prefix:
        prefix = prefix.format(date=day)
    return prefix + cover_name(day)


# -- drawing -----------------------------------------------------------------------------------


@dataclass
class _Fonts:
    path: str
    index: int

    def get(self, size: int, weight: int = 400):  # -> ImageFont.FreeTypeFont
        """The face at this size and weight (100–900 on the variable font's axis), cached."""
        return _font(self.path, self.index, size, weight)


@lru_cache(maxsize=32)
def _font(path: str, index: int, size: int, weight: int):
    from PIL import ImageFont

    font = ImageFont.truetype(path, size, index=index, layout_engine=ImageFont.Layout.BASIC)
    try:
        font.set_variation_by_axes([weight])
    except OSError:  # not a variable font: its one weight it is
        pass
    return font


@lru_cache(maxsize=4)
def _sc_index(path: str) -> int:
    """The Simplified Chinese face of a collection (Noto's .ttc holds JP, KR, SC, TC, HK)."""
    from PIL import ImageFont

    for index in range(8):
        try:
            name = ImageFont.truetype(path, 12, index=index).getname()[0] or ""
        except OSError:
            break
        if name.endswith(" SC"):
            return index
    return 0


def _fit(draw, text: str, font, width: int) -> str:
    """`text`, cut with an ellipsis so it fits in `width` pixels."""
    if draw.textlength(text, font=font) <= width:
        return text
    full = text
    while text and draw.textlength(text + "…", font=font) > width:
        text = text[:-1]
    if _ASCII_WORD.match(full[len(text) : len(text) + 1]):
        text = _ASCII_TAIL.sub("", text)
    return text.rstrip("，、；：.,:; ") + "…"  # never half a number or a word: 下降2… reads wrong


def _wrap(draw, text: str, font, width: int, lines: int) -> list[str]:
    """Break CJK text by character (Latin words kept whole) into at most `lines` lines."""
    tokens: list[str] = []
    for ch in text:
        if tokens and ch.isascii() and ch.isalnum() and tokens[-1][-1:].isascii():
            tokens[-1] += ch
        else:
            tokens.append(ch)
    out, line = [], ""
    for k, tok in enumerate(tokens):
        if draw.textlength(line + tok, font=font) <= width or not line:
            line += tok
            continue
        if len(out) == lines - 1:
            return [*out, _fit(draw, line + "".join(tokens[k:]), font, width)]
        out.append(line)
        line = tok.lstrip()
    return [*out, line] if line else out


def _chip(draw, x: int, y: int, asset: str, stance: str, fonts: _Fonts) -> int:
    """One `资产 利多` mark; returns the x after it."""
    sign = stance_sign(stance)
    colour = UP if sign > 0 else DOWN if sign < 0 else FLAT
    arrow = "▲" if sign > 0 else "▼" if sign < 0 else "■"
    label = f"{asset} {arrow} {stance or '—'}"
    font = fonts.get(19, 500)
    w = int(draw.textlength(label, font=font)) + 24
    draw.rounded_rectangle((x, y, x + w, y + 32), radius=16, fill=colour)
    draw.text((x + 12, y + 16), label, font=font, fill=INK, anchor="lm")
    return x + w + 10


def _event_row(draw, report: Report, n: int, top: int, pitch: int, fonts: _Fonts) -> None:
    """Event n's panel: number, title, stance marks, and the key figure on the right."""
    event = report.events[n]
    bottom = top + pitch - 12
    middle = (top + bottom) // 2
    draw.rounded_rectangle((MARGIN, top, WIDTH - MARGIN, bottom), radius=14, fill=PANEL)
    draw.text(
        (MARGIN + 24, middle), f"{n + 1:02d}", font=fonts.get(40, 800), fill=ACCENT, anchor="lm"
    )
    left = MARGIN + 100
    right = WIDTH - MARGIN - 24
    figure = key_figure(event.title)
    if figure:
        ffont = fonts.get(36, 700)
        figure = _fit(draw, figure, ffont, 220)
        draw.text((right, middle), figure, font=ffont, fill=GOLD, anchor="rm")
        right -= int(draw.textlength(figure, font=ffont)) + 28
    tfont = fonts.get(27, 700)
    title = _fit(draw, event.title, tfont, right - left)
    draw.text((left, middle - 22), title, font=tfont, fill=INK, anchor="lm")
    x = left
    for impact in event.impacts[:4]:
        if x > WIDTH - MARGIN - 200:
            break
        x = _chip(draw, x, middle + 6, impact.asset, impact.stance, fonts)


def draw(report: Report, font: Path) -> bytes:
    """The cover as PNG bytes; same Report and font, same bytes."""
    from PIL import Image, ImageDraw

    fonts = _Fonts(str(font), _sc_index(str(font)))
    img = Image.new("RGB", (WIDTH, HEIGHT), BG)
    d = ImageDraw.Draw(img)
    d.rectangle((0, 0, WIDTH, 8), fill=ACCENT)
    day = report.date
    d.text((MARGIN, 36), report.category or "经济日报", font=fonts.get(26, 800), fill=ACCENT)
    when = f"{day.year}年{day.month}月{day.day}日 · 星期{WEEKDAYS[day.weekday()]}"
    d.text((WIDTH - MARGIN, 36), when, font=fonts.get(24, 400), fill=MUTED, anchor="ra")
    headline = report.headline or report.title
    hfont = fonts.get(48, 700)  # one line when it fits, else two smaller ones
    if d.textlength(headline, font=hfont) > WIDTH - 2 * MARGIN:
        hfont = fonts.get(40, 700)
    lines = _wrap(d, headline, hfont, WIDTH - 2 * MARGIN, 2)
    for k, line in enumerate(lines):
        d.text((MARGIN, 86 + k * 54), line, font=hfont, fill=INK)
    top = 86 + len(lines) * 54 + (34 if len(lines) == 1 else 26)
    rows = min(3, len(report.events))
    pitch = min(128, (HEIGHT - 64 - top) // max(rows, 1))  # the panels share what is left
    for n in range(rows):
        _event_row(d, report, n, top + n * pitch, pitch, fonts)
    tags = "  ".join(f"#{t}" for t in report.tags[:5])
    d.text((MARGIN, HEIGHT - 26), tags, font=fonts.get(18, 400), fill=MUTED, anchor="ls")
    legend = "▲ 利多   ▼ 利空   ■ 中性/分化"
    d.text((WIDTH - MARGIN, HEIGHT - 26), legend, font=fonts.get(18, 400), fill=MUTED, anchor="rs")
    buf = io.BytesIO()
    img.save(buf, "PNG", optimize=False, compress_level=6)  # 9 is 5× slower for 2% less
    return buf.getvalue()


def make_cover(report: Report, config: ReportConfig) -> tuple[bytes | None, str | None]:
    """(PNG bytes, None), or (None, why) when there is no font or the draw fails: the caller warns."""
    if not config.cover or not report.events:
        return None, None
    try:
        return draw(report, font_path(config)), None
    except CoverError as e:
        why = f"no cover image: {e}"
    except Exception as e:  # a cover is decoration: never fail the run over one
        why = f"no cover image: drawing failed: {type(e).__name__}: {e}"
    return None, why


def redraw_cover(report_path: Path, report: Report, config: ReportConfig) -> Path | None:
    """After a rerun: draw the cover again when the report names its own DATE.png and it changed."""
    png = report_path.with_name(cover_name(report.date))
    if not (report.cover_image or "").endswith(png.name):
        return None
    data, why = make_cover(report, config)
    if data is not None and png.is_file() and png.read_bytes() == data:
        return None
    why = why or (save_cover(png, data) if data is not None else None)
    if why:
        log.warning("%s", why)
        return None
    return png


def unwritten(path: Path, why: OSError | str) -> str:
    """The warning for a cover that could not be written (never an error: the report goes on)."""
    reason = why if isinstance(why, str) else why.strerror or str(why)
    return f"no cover image: cannot write {path}: {reason}"


def stage_cover(path: Path, data: bytes) -> tuple[Path | None, str | None]:
    """The cover in a temp file beside `path`, renamed only once the report pair is in place."""
    if path.exists() and not path.is_file():
        return None, unwritten(path, "not a regular file")
    try:
        return stage_atomic(path, data), None
    except OSError as e:
        return None, unwritten(path, e)


def save_cover(path: Path, data: bytes) -> str | None:
    """Write the cover atomically; a failed write is a warning (what is returned), not an error."""
    try:
        write_atomic(path, data)
    except OSError as e:
        return unwritten(path, e)
    return None
