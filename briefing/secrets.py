"""Where secrets are handled: what a URL or a line of text looks like once it is fit to show.

Used by config (the run record's settings), collect (feed URLs, links, the HTTP cache), llm
(error lines) and the CLI's log filter, so no module imports another just to redact.
"""

from __future__ import annotations

import re
from urllib.parse import parse_qsl, urlsplit, urlunsplit

SECRET_KEY = re.compile(r"key|token|secret|sig|pass|auth|session|credential", re.IGNORECASE)


def redact_url(url: str) -> str:
    """A URL fit to show: no user:password, no values of key/token/secret-like query parameters."""
    try:
        parts = urlsplit(url)
    except ValueError:
        return "<invalid URL>"
    netloc = parts.netloc
    if "@" in netloc:
        netloc = "***@" + netloc.rsplit("@", 1)[1]
    pairs = parse_qsl(parts.query, keep_blank_values=True)
    query = "&".join(f"{k}={'***' if SECRET_KEY.search(k) else v}" for k, v in pairs)
    return urlunsplit((parts.scheme, netloc, parts.path, query, parts.fragment))


# brackets end a URL here ("[link=https://x]…" in a feed title); a bracketed IPv6 host holds no secret
_URL = re.compile(r"""\b[a-zA-Z][a-zA-Z0-9+.\-]*://[^\s'"<>`\[\]，。；、（）]+""")
_BEARER = re.compile(r"(?i)\b(bearer|basic)\s+[A-Za-z0-9._~+/=\-]{8,}")
_KNOWN: set[str] = set()


def remember_secret(value: str | None) -> None:
    """A value (the API key) that must never be shown, wherever it turns up in a line."""
    if value and len(value) >= 4:
        _KNOWN.add(value)


def redact_text(text: str) -> str:
    """A line fit to show: URLs redacted, remembered secrets and Authorization values masked."""
    text = _URL.sub(lambda m: redact_url(m.group(0)), text)
    text = _BEARER.sub(lambda m: f"{m.group(1)} ***", text)
    for secret in _KNOWN:
        text = text.replace(secret, "***")
    return text
