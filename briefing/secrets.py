"""Where secrets are handled: what a URL or a line of text looks like once it is fit to show.

Used by config (the run record's settings), collect (feed URLs, links, the HTTP cache), llm
(error lines) and the CLI's log filter, so no module imports another just to redact.
"""

from __future__ import annotations

import re
from urllib.parse import parse_qsl, quote, unquote, unquote_plus, urlencode, urlsplit, urlunsplit

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


# path segments after these carry the token: Feishu/Lark .../bot/v2/hook/<token>,
# Slack /services/T…/B…/<token>, Discord /api/webhooks/<id>/<token>, WeCom/DingTalk keep it in the query
_TOKEN_AFTER = {"hook", "hooks", "services", "webhook", "webhooks"}
_TOKENISH = re.compile(r"^(?=.*\d)[A-Za-z0-9_\-]{20,}$")


def _path_tokens(path: str) -> list[int]:
    """Indexes of the path segments that carry a token."""
    segments, found, after = path.split("/"), [], False
    for k, seg in enumerate(segments):
        if after and seg or _TOKENISH.match(seg):
            found.append(k)
        after = after or seg.lower() in _TOKEN_AFTER
    return found


def redact_webhook(url: str) -> str:
    """A webhook URL fit to show: redact_url, plus the tokens webhook services put in the path."""
    parts = urlsplit(redact_url(url))
    segments = parts.path.split("/")
    for k in _path_tokens(parts.path):
        segments[k] = "***"
    return urlunsplit(parts._replace(path="/".join(segments)))


def remember_webhook(url: str) -> None:
    """Every token a webhook URL carries (path and query) is masked by redact_text from now on."""
    try:
        path = urlsplit(url).path
    except ValueError:
        return
    segments = path.split("/")
    tokens = [segments[k] for k in _path_tokens(path)]  # a plain word (`send`) is no secret to mask
    for secret in [t for t in tokens if len(t) >= 16 or _TOKENISH.match(t)] + url_secrets(url):
        remember_secret(secret)


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


def strip_credentials(url: str) -> str:
    """A URL with its secrets removed, not masked: what a feed's relative links may be resolved against."""
    try:
        parts = urlsplit(url)
    except ValueError:
        return ""
    netloc = parts.netloc.rsplit("@", 1)[-1]
    pairs = parse_qsl(parts.query, keep_blank_values=True)
    query = urlencode([(k, v) for k, v in pairs if not SECRET_KEY.search(k)])
    return urlunsplit((parts.scheme, netloc, parts.path, query, parts.fragment))


def url_secrets(url: str) -> list[str]:
    """The secret values a URL carries (password, token-like query values), longest first, to scrub.

    Each as written in the URL, decoded, and percent-encoded, since a server may echo any of them.
    """
    try:
        parts = urlsplit(url)
        password = parts.password
    except ValueError:
        return []
    found = {password, unquote(password)} if password else set()
    for pair in parts.query.split("&"):
        key, _, value = pair.partition("=")
        if value and SECRET_KEY.search(unquote_plus(key)):
            found |= {value, unquote_plus(value), quote(unquote_plus(value), safe="")}
    return sorted((s for s in found if len(s) >= 4), key=lambda s: (-len(s), s))


def scrub(text: str, secrets: list[str]) -> str:
    """Text with every given secret value replaced by ***."""
    for secret in secrets:
        if secret in text:
            text = text.replace(secret, "***")
    return text
