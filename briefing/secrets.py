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


# path segments after these carry the token: Feishu/Lark .../bot/v2/hook/<token>,
# Slack /services/T…/B…/<token>, Discord /api/webhooks/<id>/<token>, WeCom/DingTalk keep it in the query
_TOKEN_AFTER = {"hook", "hooks", "services", "webhook", "webhooks"}
_TOKENISH = re.compile(r"^(?=.*\d)[A-Za-z0-9_\-]{20,}$")


def redact_webhook(url: str) -> str:
    """A webhook URL fit to show: redact_url, plus the tokens webhook services put in the path."""
    shown = redact_url(url)
    parts = urlsplit(shown)
    segments = parts.path.split("/")
    secret = False
    for k, seg in enumerate(segments):
        if secret and seg or _TOKENISH.match(seg):
            segments[k] = "***"
        secret = secret or seg.lower() in _TOKEN_AFTER
    return urlunsplit(parts._replace(path="/".join(segments)))
