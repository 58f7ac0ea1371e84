"""A report into a static site: the post and its cover where Hugo, Hexo or Jekyll expect them.

| engine | post                                   | cover                                       | front matter for the cover           |
| ------ | -------------------------------------- | ------------------------------------------- | ------------------------------------ |
| hugo   | content/posts/briefing-DATE.md         | static/images/briefing/briefing-DATE.png    | cover.image (PaperMod), images (OG), featured_image (Ananke) |
| hexo   | source/_posts/briefing-DATE.md         | source/images/briefing/briefing-DATE.png    | cover (Butterfly), thumbnail (Icarus) |
| jekyll | _posts/DATE-briefing.md                | assets/images/briefing/briefing-DATE.png    | image (jekyll-seo-tag, Minimal Mistakes) |

The names depend only on the date and `publish.slug`, so publishing the same report again
replaces the post and never adds a second one. Every file is written atomically. Our internal
front matter (`generator`, `seo`, `category`) is mapped to the engine's keys (`categories` as a
list, `keywords`) and not copied as is.
"""

from __future__ import annotations

import json
import re
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import yaml

from briefing.atomic import write_atomic
from briefing.config import Engine
from briefing.errors import ConfigError, ReportFormatError
from briefing.models import Report
from briefing.render import _FM

_HUGO_KEY = re.compile(
    r"^\s*\"?(baseURL|languageCode|theme|\[params\]|\[taxonomies\])", re.M | re.I
)


def detect_engine(site: Path) -> Engine:
    """Which engine builds `site`, from its configuration files; ConfigError when none says."""
    if not site.is_dir():
        raise ConfigError(f"{site}: site folder not found")
    if any((site / f"hugo.{ext}").is_file() for ext in ("toml", "yaml", "yml", "json")):
        return "hugo"
    for name in ("config.toml", "config.yaml", "config.yml", "config.json"):
        path = site / name
        if path.is_file() and _HUGO_KEY.search(path.read_text(encoding="utf-8", errors="replace")):
            return "hugo"
    package = site / "package.json"
    if (site / "_config.yml").is_file():
        if package.is_file():
            try:
                deps = json.loads(package.read_text(encoding="utf-8"))
            except (ValueError, UnicodeDecodeError):
                deps = {}
            if isinstance(deps, dict) and "hexo" in (deps.get("dependencies") or {}):
                return "hexo"
            if isinstance(deps, dict) and "hexo" in deps:
                return "hexo"
        return "jekyll"
    if (site / "Gemfile").is_file() and "jekyll" in (site / "Gemfile").read_text(errors="replace"):
        return "jekyll"
    raise ConfigError(
        f"{site}: cannot tell the site's engine (no hugo.toml, config.toml with Hugo keys, or "
        "_config.yml); pass --engine hugo|hexo|jekyll"
    )


@dataclass
class Placement:
    """Where the post and its cover go in the site, and how the post refers to the cover."""

    post: Path
    cover: Path
    cover_ref: str


def placement(engine: Engine, site: Path, report: Report, slug: str) -> Placement:
    """The table above, for one report: names from the date and slug only, so a republish replaces."""
    day = report.date.isoformat()
    image = f"{slug}-{day}.png"
    match engine:
        case "hugo":  # no leading slash: absURL/relURL then keep a baseURL's sub-path
            return Placement(
                site / "content" / "posts" / f"{slug}-{day}.md",
                site / "static" / "images" / "briefing" / image,
                f"images/briefing/{image}",
            )
        case "hexo":
            return Placement(
                site / "source" / "_posts" / f"{slug}-{day}.md",
                site / "source" / "images" / "briefing" / image,
                f"/images/briefing/{image}",
            )
        case "jekyll":
            return Placement(
                site / "_posts" / f"{day}-{slug}.md",
                site / "assets" / "images" / "briefing" / image,
                f"/assets/images/briefing/{image}",
            )
    raise ValueError(engine)


def front_matter(engine: Engine, report: Report, cover: str | None) -> dict[str, Any]:
    """The report's front matter in the engine's conventions (plural categories, its cover keys)."""
    fm: dict[str, Any] = {"title": report.title or report.headline, "date": report.date}
    if engine == "jekyll":
        fm = {"layout": "post", **fm}
    if report.category:
        fm["categories"] = [report.category]
    fm["tags"] = list(report.tags)
    if report.seo:
        fm["keywords"] = list(report.seo)
    if cover:
        match engine:
            case "hugo":
                fm["cover"] = {"image": cover, "alt": fm["title"]}
                fm["images"] = [cover]
                fm["featured_image"] = cover
            case "hexo":
                fm["cover"] = cover
                fm["thumbnail"] = cover
            case "jekyll":
                fm["image"] = cover
    return fm


def post_text(engine: Engine, report: Report, text: str, cover: str | None) -> str:
    """The post: mapped front matter, then the report's body without the headline the theme shows as the title."""
    m = _FM.match(text)
    if not m:
        raise ReportFormatError(
            "no front matter: the report must start with '---' and a YAML block"
        )
    body = text[m.end() :].lstrip("\n")
    first, _, rest = body.partition("\n")
    if first.strip() == f"## {report.headline}".strip() and report.headline == report.title:
        body = rest.lstrip("\n")
    fm = yaml.safe_dump(
        front_matter(engine, report, cover),
        allow_unicode=True,
        sort_keys=False,
        default_flow_style=None,
        width=1_000_000,
    )
    return f"---\n{fm}---\n\n{body}"


def publish_site(
    report_path: Path,
    report: Report,
    text: str,
    site: Path,
    engine: Engine | None = None,
    slug: str = "briefing",
) -> tuple[Engine, Placement, bool]:
    """Write the post (and its cover, when the report has one beside it) into `site`.

    Returns the engine, where things went, and whether a cover was copied.
    """
    engine = engine or detect_engine(site)
    if not site.is_dir():
        raise ConfigError(f"{site}: site folder not found")
    place = placement(engine, site, report, slug)
    local = _local_cover(report_path, report)
    cover_ref = place.cover_ref if local else _remote_cover(report)
    if local:
        data = local.read_bytes()
        if not place.cover.is_file() or place.cover.read_bytes() != data:
            write_atomic(place.cover, data)
    write_atomic(place.post, post_text(engine, report, text, cover_ref))
    return engine, place, local is not None


def _local_cover(report_path: Path, report: Report) -> Path | None:
    """The report's own cover file (DATE.png beside it) when its front matter names one."""
    if not report.cover_image:
        return None
    path = report_path.with_name(f"{report.date.isoformat()}.png")
    return path if path.is_file() and report.cover_image.endswith(path.name) else None


def _remote_cover(report: Report) -> str | None:
    """A coverImage that is already a URL (report.cover_url_prefix, or a fixed cover_image)."""
    cover = report.cover_image or ""
    return cover if cover.startswith(("http://", "https://")) else None
