"""What a report is checked against: source files (txt/md/html, UTF-8 or GB18030) or feed items."""

from __future__ import annotations

import re
from pathlib import Path

from pydantic import BaseModel

from briefing.errors import ConfigError
from briefing.grounding.claims import plain
from briefing.models import Item
from briefing.sanitize import html_to_text


class Source(BaseModel):
    name: str
    text: str
    link: str | None = None  # where a reader finds it: the item's link, or the file's URI


# -- sources -----------------------------------------------------------------------------------


def _read(path: Path) -> str:
    try:
        data = path.read_bytes()
    except FileNotFoundError:
        raise ConfigError(f"{path}: source file not found") from None
    except IsADirectoryError:
        raise ConfigError(f"{path}: is a directory, not a source file") from None
    except OSError as e:
        raise ConfigError(f"{path}: cannot read source file: {e.strerror or e}") from None
    for encoding in ("utf-8-sig", "gb18030"):
        try:
            return data.decode(encoding)
        except UnicodeDecodeError:
            continue
    raise ConfigError(f"{path}: source file is neither UTF-8 nor GB18030 text")


def load_sources(paths: list[Path]) -> list[Source]:
    """Plain text, Markdown or HTML files as sources; HTML is reduced to its visible text."""
    out = []
    for path in map(Path, paths):
        text = _read(path)
        head = text.lstrip()[:200].lower()
        if path.suffix.lower() in (".html", ".htm", ".xhtml") or head.startswith(
            ("<!doctype html", "<html")
        ):
            text = html_to_text(text)
        elif path.suffix.lower() in (".md", ".markdown"):
            text = "\n".join(
                plain(re.sub(r"^\s*(#{1,6}|>|[-*+])\s+", "", line)) for line in text.splitlines()
            )
        out.append(Source(name=path.name, text=text, link=path.resolve().as_uri()))
    return out


def sources_from_items(items: list[Item]) -> list[Source]:
    """One source per feed item: its title and summary, named by feed and link."""
    return [
        Source(
            name=" ".join(p for p in (i.source, i.link) if p),
            text="\n".join(p for p in (i.title, i.summary) if p),
            link=i.link or None,
        )
        for i in items
    ]
