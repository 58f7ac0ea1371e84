"""parse: feed bytes → `Item`s with feedparser, and everything that makes an entry fit to publish.

- Encoding: what the HTTP header, a BOM or the XML declaration says, when the bytes decode with it;
  otherwise UTF-8 when they are UTF-8; otherwise charset-normalizer's guess, handed to feedparser as
  the charset. Bytes nothing decodes are refused ("unknown text encoding"), never read as mojibake.
- Broken XML: feedparser's loose parser salvages what it can. Salvaged items are kept (each parsed
  whole from its own element) and the feed is still named in the errors, with how many were kept.
- Text: HTML to plain text, entities decoded exactly once (feedparser gives HTML; we decode it),
  script/style dropped, Unicode format characters dropped, platform boilerplate dropped.
- Links and guids: only absolute http(s) links; a relative link is resolved against the feed's URL
  (without its credentials), and no secret value of that URL is anywhere in an item.
- Times: zone-less dates are wall time in the feed's `tz:` (UTC without one), not silently UTC.
"""

from __future__ import annotations

import io
import re
from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from datetime import UTC, datetime, timedelta, timezone, tzinfo
from email.utils import parsedate_tz
from functools import lru_cache
from typing import Any
from urllib.parse import urljoin, urlsplit
from xml.sax import SAXException, SAXParseException

from briefing.models import Item
from briefing.sanitize import html_to_text, is_boilerplate, one_line, strip_boilerplate
from briefing.secrets import scrub, strip_credentials

PARSER_VERSION = 3  # bump when normalisation changes: items cached by an older parse are not reused


class FeedFailure(Exception):
    """One feed could not be read; the message is the one-line error shown to people."""


@dataclass
class Parsed:
    """What one feed gave: its items, and a warning when it gave them only in part."""

    items: list[Item]
    warning: str | None = None


def parse_feed(
    data: bytes,
    *,
    source: str,
    tz: tzinfo,
    headers: Mapping[str, str] | None = None,
    feed_tz: tzinfo | None = None,
    max_items: int | None = None,
    secrets: Sequence[str] = (),
) -> Parsed:
    """Feed bytes → items in `tz`; raises FeedFailure when there is no feed to speak of."""
    if not data.strip():
        raise FeedFailure("empty response")
    hdrs = {k.lower(): v for k, v in (headers or {}).items()}
    mime = hdrs.get("content-type", "").split(";")[0].strip().lower()
    charset = _charset_to_declare(data, hdrs)
    if charset:  # the header's charset outranks every other clue in feedparser
        hdrs["content-type"] = f"application/xml; charset={charset}"
    # The feed's URL is the base feedparser resolves relative links and ids against, but given it,
    # feedparser joins it to every element's base as it parses: a third of the parse time. So the
    # feed is parsed without it, and again with it only when a link or an id needs more than the
    # two answers feedparser would give cheaply (an absolute URL as it is, a bare segment appended
    # to the base's folder, `_shortcut`); `xml:base` documents always get it.
    base = hdrs.pop("content-location", "")
    feedparser = _feedparser()
    parsed = _feedparser_parse(data, hdrs)
    shortcut = base
    if base and (b"xml:base" in data or _needs_base(parsed, data)):
        parsed = _feedparser_parse(data, {**hdrs, "content-location": base})
        shortcut = ""  # feedparser resolved every link and id itself
    problem = parsed.get("bozo_exception") if parsed.get("bozo") else None
    if isinstance(problem, feedparser.CharacterEncodingUnknown):
        raise FeedFailure("unknown text encoding")
    broken = _broken_xml(problem, shift=0 if _declaration(data) else 1)
    entries = parsed.entries
    if not entries:
        if mime in ("text/html", "application/xhtml+xml") or _looks_like_html(data):
            raise FeedFailure(f"not a feed ({mime or 'HTML page'})")
        if not _looks_like_xml(data):
            raise FeedFailure(f"not a feed ({mime or 'not XML'})")
        if broken:
            raise FeedFailure(broken)
        if not parsed.get("version"):
            raise FeedFailure(f"not a feed ({mime or 'unknown format'})")
    warnings = []
    if max_items is not None and len(entries) > max_items:
        warnings.append(f"too many items: kept the first {max_items} of {len(entries)}")
        entries = entries[:max_items]
    items = [
        item
        for e in entries
        if (item := _to_item(e, source, tz, feed_tz, secrets, shortcut)) is not None
    ]
    if broken:
        warnings.insert(0, f"{broken} ({len(items)} items salvaged)")
    return Parsed(items, "; ".join(warnings) or None)


# ---------------------------------------------------------------- encoding

_DECLARATION = re.compile(rb"^\s*<\?xml[^>]*?encoding\s*=\s*[\"']([A-Za-z0-9._:-]+)[\"']")
_BOMS = (b"\xef\xbb\xbf", b"\xff\xfe", b"\xfe\xff", b"\x00\x00\xfe\xff", b"\xff\xfe\x00\x00")


def _declaration(data: bytes) -> str | None:
    m = _DECLARATION.match(data[:512])
    return m.group(1).decode("ascii").lower() if m else None


def _charset_to_declare(data: bytes, hdrs: Mapping[str, str]) -> str | None:
    """None when feedparser will decode the bytes right by itself; else the charset they are in."""
    if data.startswith(_BOMS) or _looks_like_utf16(data):
        return None
    declared = _header_charset(hdrs.get("content-type", "")) or _declaration(data)
    if declared == "gb2312":
        declared = "gb18030"  # as feedparser does: GBK text is often labelled GB2312
    for candidate in (declared, "utf-8"):
        if candidate:
            try:
                data.decode(candidate)
            except (UnicodeDecodeError, LookupError):
                continue
            return None if candidate == declared or not declared else candidate
    from charset_normalizer import from_bytes  # only for the odd feed: keep start-up lean

    best = from_bytes(data).best()
    if best is None:
        raise FeedFailure(
            f"unknown text encoding (declared {declared})"
            if declared
            else "unknown text encoding (none declared, not UTF-8)"
        )
    return best.encoding


def _header_charset(content_type: str) -> str | None:
    m = re.search(r"charset\s*=\s*[\"']?([A-Za-z0-9._:-]+)", content_type, re.IGNORECASE)
    return m.group(1).lower() if m else None


def _looks_like_utf16(data: bytes) -> bool:
    return b"\x00" in data[:4]


# ---------------------------------------------------------------- what kind of failure

_HTML_START = re.compile(rb"^\s*(?:\xef\xbb\xbf)?\s*<(?:!doctype\s+html|html[\s>])", re.IGNORECASE)


def _looks_like_html(data: bytes) -> bool:
    return bool(_HTML_START.match(data[:512]))


def _looks_like_xml(data: bytes) -> bool:
    """Markup first, or a UTF-16/32 byte order mark: JSON or plain text is not a broken feed."""
    head = data[:4]
    if head.startswith((b"\xff\xfe", b"\xfe\xff", b"\x00")) or head[1:2] == b"\x00":
        return True
    return data.removeprefix(b"\xef\xbb\xbf").lstrip().startswith(b"<")


def _feedparser() -> Any:
    """feedparser, imported on first use: a parse worker imports it while the requests are in
    flight, and the process that only fetches never spends the ~80 ms."""
    import feedparser

    return feedparser


def _broken_xml(problem: object, *, shift: int) -> str | None:
    """'broken XML: line 6, column 4: mismatched tag' for a well-formedness error, else None.

    `shift` undoes the line feedparser adds when it prepends an XML declaration of its own.
    """
    if isinstance(problem, SAXParseException):
        line = max(1, (problem.getLineNumber() or 1) - shift)
        return (
            f"broken XML: line {line}, column {problem.getColumnNumber()}: {problem.getMessage()}"
        )
    if isinstance(problem, (SAXException, _feedparser().UndeclaredNamespace)):
        return f"broken XML: {one_line(str(problem))[:200] or type(problem).__name__}"
    return None


# ---------------------------------------------------------------- entries → Item


def _plain(detail: Mapping[str, Any] | None, value: str) -> str:
    """Text of a feed field: HTML stripped, or a text/plain value kept literally (its '<' is not a tag)."""
    if detail is not None and detail.get("type") == "text/plain":
        value = value.replace("&", "&amp;").replace("<", "&lt;")
    return html_to_text(value)


def _to_item(
    entry: Mapping[str, Any],
    source: str,
    tz: tzinfo,
    feed_tz: tzinfo | None,
    secrets: Sequence[str],
    base: str = "",
) -> Item | None:
    title = one_line(_plain(entry.get("title_detail"), entry.get("title") or ""))
    if not title or is_boilerplate(title):
        return None
    texts = [_plain(c, c.get("value") or "") for c in entry.get("content") or []]
    texts.append(_plain(entry.get("summary_detail"), entry.get("summary") or ""))
    summary = strip_boilerplate(max(texts, key=len))
    return Item(
        title=scrub(title, secrets),
        link=_safe_link(entry.get("link"), secrets, base),
        source=source,
        published=_published(entry, tz, feed_tz),
        summary=scrub(summary, secrets),
        guid=_guid(entry.get("id"), secrets, base),
    )


def _safe_link(link: object, secrets: Sequence[str] = (), base: str = "") -> str:
    """Only absolute http(s) links survive (no javascript:, data: or relative), and none with credentials.

    With `base` (the feed's URL, when feedparser was not given it), a bare segment (`c.html`) is
    resolved against it as feedparser would have; parse_feed has made sure nothing else needs it.
    """
    if not isinstance(link, str):
        return ""
    link = _shortcut(base, link).strip()
    try:
        parts = urlsplit(link)
    except ValueError:
        return ""
    if parts.scheme.lower() not in ("http", "https") or not parts.netloc or re.search(r"\s", link):
        return ""
    if "@" in parts.netloc or any(s in link for s in secrets):
        link = scrub(strip_credentials(link), secrets)
    return link


def _guid(guid: object, secrets: Sequence[str], base: str = "") -> str:
    """The entry's id on one line, resolved as feedparser resolves it against the feed's URL
    (`12345` → `https://site/feeds/12345`, so two feeds' `12345` stay two stories)."""
    text = guid if isinstance(guid, str) else ""
    text = one_line(_shortcut(base, text))
    if text.lower().startswith(("http://", "https://")) and "@" in text.split("/")[2]:
        text = strip_credentials(text)
    return scrub(text, secrets)


def _feedparser_parse(data: bytes, hdrs: Mapping[str, str]) -> Any:
    # A BytesIO, never bare bytes: feedparser would try bytes as a file name first. Its HTML
    # sanitizer is off because html_to_text keeps only text (and drops script/style) anyway.
    return _feedparser().parse(
        io.BytesIO(data), response_headers=hdrs, sanitize_html=False, resolve_relative_uris=False
    )


def _shortcut(base: str, value: str) -> str:
    """What feedparser makes of a link or id against `base`, for the values `_needs_base` lets
    through: a bare segment is appended to the base's folder, anything else stays as it is."""
    return _directory(base) + value if base and _bare(value) else value


def _bare(value: str) -> bool:
    """One path segment with nothing urljoin reads specially: `12345`, `c.html`."""
    return bool(_PLAIN_SEGMENT.fullmatch(value)) and value not in (".", "..")


def _needs_base(parsed: Any, data: bytes) -> bool:
    """Whether some link or id of the feed needs feedparser's own resolution against the feed's URL:
    anything but an empty value, a clean absolute http(s) URL, a `tag:`/`urn:` id, or a bare segment
    (and no bare segment at all where guids carry isPermaLink or ids are RSS 1.0's rdf:about)."""
    bare_ok = parsed.get("version") not in ("rss090", "rss10") and not _mentions_permalink(
        data, parsed.get("encoding")
    )
    for e in parsed.entries:
        for value, is_id in ((e.get("link"), False), (e.get("id"), True)):
            if not value or not isinstance(value, str) or _CLEAN_URL.fullmatch(value):
                continue
            if is_id and value.startswith(("tag:", "urn:")):
                continue
            if bare_ok and _bare(value):
                continue
            return True
    return False


_PERMALINK = re.compile(rb"ispermalink", re.IGNORECASE)


def _mentions_permalink(data: bytes, encoding: str | None) -> bool:
    if b"\x00" not in data[:256]:  # ASCII-compatible: the bytes say it
        return bool(_PERMALINK.search(data))
    try:  # UTF-16/32: in the encoding feedparser read it in
        return "ispermalink" in data.decode(encoding or "utf-16", "replace").lower()
    except LookupError:
        return True


# one path segment with nothing urljoin reads specially (no scheme, path, query, fragment, params)
_PLAIN_SEGMENT = re.compile(r"[^/?#;:\s\\]+")
# an absolute URL urljoin leaves as it is: lower-case http(s), a host, no dot segment, no
# whitespace, backslash or ';', not ending in an empty query or fragment
_CLEAN_URL = re.compile(
    r"https?://[^/?#;\s\\\[\]]+(?:/(?!\.\.?(?:[/?#]|$))[^/?#;\s\\]*)*"
    r"(?:\?[^#;\s\\]+)?(?:#[^;\s\\]+)?"
)


@lru_cache(maxsize=64)
def _directory(base: str) -> str:
    """What urljoin puts before a bare segment: the base without its last segment and query."""
    return urljoin(base, "x")[:-1]


# ---------------------------------------------------------------- dates

_YMD = re.compile(
    r"^\s*(\d{4})\s*[-/.年]\s*(\d{1,2})\s*[-/.月]\s*(\d{1,2})\s*日?\s*T?\s*"
    r"(?:(\d{1,2})\s*[:时]\s*(\d{1,2})(?:\s*[:分]\s*(\d{1,2})(?:[.,]\d+)?)?\s*秒?)?"
)
_ZONE = re.compile(
    r"\d{1,2}:\d{2}(?::\d{2}(?:[.,]\d+)?)?\s*"
    r"(?P<zone>[A-Za-z]{1,5}(?:[+-]\d{1,2}(?::?\d{2})?)?|[+-]\d{2}(?::?\d{2})?)\s*$"
)
_OFFSET = re.compile(r"^(?:UTC?|GMT|Z)?([+-])(\d{1,2}):?(\d{2})?$", re.IGNORECASE)


def _published(entry: Mapping[str, Any], tz: tzinfo, feed_tz: tzinfo | None) -> datetime | None:
    key = "published" if entry.get("published") else "updated"
    raw = entry.get(key) or ""
    struct = entry.get(f"{key}_parsed")
    try:
        when = _when(raw, struct, feed_tz)
        return when.astimezone(tz) if when else None
    except (TypeError, ValueError, OverflowError):
        return None


def _when(raw: str, struct: Any, feed_tz: tzinfo | None) -> datetime | None:
    """An aware time from the raw string and feedparser's reading of it (which takes no zone as UTC)."""
    zone = _zone(raw)
    wall = _wall(raw)
    if zone is None:
        naive = wall or (datetime(*struct[:6]) if struct else None)
        return naive.replace(tzinfo=feed_tz or UTC) if naive else None
    if feed_tz is not None and wall is not None and zone.isalpha():
        if zone.upper() == (wall.replace(tzinfo=feed_tz).tzname() or "").upper():
            return wall.replace(tzinfo=feed_tz)  # 'CST' from a China portal is China time
    offset = _offset(zone)
    if wall is not None and offset is not None and _YMD.match(raw):
        return wall.replace(tzinfo=offset)  # feedparser misreads 2025/12/11 as 2025-12-01
    if struct:
        return datetime(*struct[:6], tzinfo=UTC)
    return None


def _zone(raw: str) -> str | None:
    m = _ZONE.search(raw)
    if not m or m.group("zone").upper() in ("AM", "PM"):
        return None
    return m.group("zone")


def _wall(raw: str) -> datetime | None:
    """The date and time as written, without its zone: 2025-12-11 09:30, 2025年12月11日 09:30, RFC 822."""
    m = _YMD.match(raw)
    if m:
        y, mo, d, h, mi, s = (int(g) if g else 0 for g in m.groups())
        return datetime(y, mo, d, h, mi, s)
    fields = parsedate_tz(raw) if raw else None
    return datetime(*fields[:6]) if fields else None


def _offset(zone: str) -> tzinfo | None:
    if zone.upper() in ("Z", "UT", "UTC", "GMT"):
        return UTC
    m = _OFFSET.match(zone)
    if not m:
        return None
    minutes = int(m.group(2)) * 60 + int(m.group(3) or 0)
    return timezone(timedelta(minutes=-minutes if m.group(1) == "-" else minutes))
