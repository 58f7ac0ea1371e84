"""A report to a chat channel: the headline, the three events with their 投资启示, the post's link.

Formats: `json` (our own shape), `feishu` (Feishu/Lark bot, msg_type post), `dingtalk` and `wecom`
(markdown), `slack` (blocks, with text as the fallback).

Failure policy: 429, 5xx, the channels' own "too fast" codes and network errors are retried by
tenacity with exponential backoff, waiting what Retry-After asks (capped at MAX_WAIT); anything else
fails at once. A failure is one PublishError line ending in the channel's redacted URL: the
token in the path or query never reaches a message, a log line or the run record.
"""

from __future__ import annotations

import base64
import hashlib
import hmac
import json
import time
from collections.abc import Callable
from dataclasses import dataclass
from typing import Any
from urllib.parse import urlencode, urlsplit

import httpx
from tenacity import (
    RetryError,
    Retrying,
    retry_if_exception_type,
    stop_after_attempt,
    wait_exponential,
)

from briefing.config import WebhookFormat
from briefing.errors import PublishError
from briefing.fetch import parse_retry_after
from briefing.models import Report
from briefing.secrets import redact_webhook

MAX_WAIT = 60.0
# Feishu "frequency limited", DingTalk "send too fast", WeCom "api freq out of limit"
_RATE_CODES = {11232, 130101, 45009}


# Retry-After is read as the feeds' fetcher reads it
retry_after = parse_retry_after


class _Transient(Exception):
    """A delivery worth trying again; `retry_after` is what the server asked for, in seconds."""

    def __init__(self, message: str, retry_after: float | None = None) -> None:
        super().__init__(message)
        self.retry_after = retry_after


# -- messages ----------------------------------------------------------------------------------


def _events(report: Report) -> list[tuple[str, str]]:
    """(title, 投资启示) of the three main events."""
    return [(e.title, e.takeaway) for e in report.events[:3]]


def _md(report: Report, link: str | None, heading: str = "###") -> str:
    """The message as the Markdown subset DingTalk and WeCom both render."""
    lines = [f"{heading} {report.headline}", f"{report.category} · {report.date.isoformat()}", ""]
    for n, (title, takeaway) in enumerate(_events(report), 1):
        lines += [f"**{n}. {title}**", f"> 投资启示：{takeaway}", ""]
    if link:
        lines.append(f"[阅读全文]({link})")
    return "\n".join(lines).strip()


def _slack_escape(text: str) -> str:
    return text.replace("&", "&amp;").replace("<", "&lt;").replace(">", "&gt;")


def message(report: Report, fmt: WebhookFormat, link: str | None) -> dict[str, Any]:
    """The payload the channel expects for this report."""
    if fmt == "json":
        return {
            "title": report.title,
            "headline": report.headline,
            "date": report.date.isoformat(),
            "category": report.category,
            "tags": report.tags,
            "link": link,
            "cover": report.cover_image,
            "events": [{"title": t, "takeaway": k} for t, k in _events(report)],
        }
    if fmt == "feishu":
        content: list[list[dict[str, Any]]] = [
            [{"tag": "text", "text": f"{report.category} · {report.date.isoformat()}"}]
        ]
        for n, (title, takeaway) in enumerate(_events(report), 1):
            content.append([{"tag": "text", "text": f"{n}. {title}", "style": ["bold"]}])
            content.append([{"tag": "text", "text": f"投资启示：{takeaway}"}])
        if link:
            content.append([{"tag": "a", "text": "阅读全文", "href": link}])
        post = {"zh_cn": {"title": report.headline, "content": content}}
        return {"msg_type": "post", "content": {"post": post}}
    if (
        fmt == "dingtalk"
    ):  # the title is what the notification shows; a keyword filter sees the text
        return {
            "msgtype": "markdown",
            "markdown": {"title": report.headline, "text": _md(report, link)},
        }
    if fmt == "wecom":  # WeCom caps markdown content at 4096 bytes
        text = _md(report, link, heading="##")
        while len(text.encode("utf-8")) > 4096:
            text = text[: len(text) - 64]
        return {"msgtype": "markdown", "markdown": {"content": text}}
    if fmt == "slack":
        blocks: list[dict[str, Any]] = [
            {"type": "header", "text": {"type": "plain_text", "text": report.headline[:150]}},
            {
                "type": "context",
                "elements": [{"type": "mrkdwn", "text": f"{report.category} · {report.date}"}],
            },
        ]
        for n, (title, takeaway) in enumerate(_events(report), 1):
            text = f"*{n}. {_slack_escape(title)}*\n> 投资启示：{_slack_escape(takeaway)}"
            blocks.append({"type": "section", "text": {"type": "mrkdwn", "text": text[:3000]}})
        if link:
            blocks.append(
                {"type": "section", "text": {"type": "mrkdwn", "text": f"<{link}|阅读全文>"}}
            )
        return {"text": f"{report.headline} {link or ''}".strip(), "blocks": blocks}
    raise ValueError(fmt)


# -- delivery ----------------------------------------------------------------------------------


@dataclass
class Delivery:
    url: str  # redacted
    format: WebhookFormat
    attempts: int
    status: int


def _check(response: httpx.Response) -> None:
    """_Transient for what is worth retrying, ValueError for a refusal; channels answer 200 with a code."""
    status = response.status_code
    if status == 429 or status >= 500:
        raise _Transient(f"HTTP {status}", retry_after(response.headers.get("Retry-After")))
    if status >= 400:
        raise ValueError(f"HTTP {status}")
    try:
        body = response.json()
    except ValueError:
        return  # Slack answers "ok" as plain text
    if not isinstance(body, dict):
        return
    code = body.get("code", body.get("errcode", body.get("StatusCode", 0)))
    if code in (0, None):
        return
    why = body.get("msg") or body.get("errmsg") or body.get("StatusMessage") or ""
    if code in _RATE_CODES:
        raise _Transient(f"code {code} {why}".strip())
    raise ValueError(f"the channel refused the message: code {code} {why}".strip())


def _wait(backoff: float):
    exponential = wait_exponential(multiplier=backoff, max=MAX_WAIT)

    def wait(state: Any) -> float:
        exc = state.outcome.exception() if state.outcome else None
        asked = getattr(exc, "retry_after", None)
        return min(asked, MAX_WAIT) if asked is not None else exponential(state)

    return wait


def signed(
    url: str, payload: dict[str, Any], fmt: WebhookFormat, secret: str | None, now: float
) -> tuple[str, dict[str, Any]]:
    """The URL and payload with the channel's 加签 signature, when the bot has a signing secret.

    Feishu/Lark: timestamp (s) and sign = base64(HMAC-SHA256(key="{timestamp}\\n{secret}", ""))
    in the body. DingTalk: timestamp (ms) and sign = base64(HMAC-SHA256(key=secret,
    "{timestamp}\\n{secret}")) in the query. Other formats have no such scheme.
    """
    if not secret or fmt not in ("feishu", "dingtalk"):
        return url, payload
    if fmt == "feishu":
        stamp = str(int(now))
        digest = hmac.new(f"{stamp}\n{secret}".encode(), b"", hashlib.sha256).digest()
        return url, {"timestamp": stamp, "sign": base64.b64encode(digest).decode(), **payload}
    stamp = str(int(now * 1000))
    digest = hmac.new(secret.encode(), f"{stamp}\n{secret}".encode(), hashlib.sha256).digest()
    query = urlencode({"timestamp": stamp, "sign": base64.b64encode(digest).decode()})
    return f"{url}{'&' if urlsplit(url).query else '?'}{query}", payload


def send(
    url: str,
    payload: dict[str, Any],
    fmt: WebhookFormat,
    *,
    secret: str | None = None,
    retries: int = 3,
    backoff: float = 1.0,
    timeout: float = 10.0,
    clock: Callable[[], float] = time.time,
) -> Delivery:
    """POST the payload; retry 429/5xx/network errors; PublishError (redacted URL) when it keeps failing."""
    shown = redact_webhook(url)
    headers = {"Content-Type": "application/json; charset=utf-8"}
    retrying = Retrying(
        stop=stop_after_attempt(retries + 1),
        wait=_wait(backoff),
        retry=retry_if_exception_type((_Transient, httpx.TransportError)),
    )
    try:
        with httpx.Client(timeout=timeout, follow_redirects=False) as client:
            for attempt in retrying:
                with attempt:  # signed again each time: the channels reject old timestamps
                    target, body = signed(url, payload, fmt, secret, clock())
                    data = json.dumps(body, ensure_ascii=False).encode("utf-8")
                    response = client.post(target, content=data, headers=headers)
                    _check(response)
    except RetryError as e:
        last = e.last_attempt.exception()
        why = str(last) if isinstance(last, _Transient) else type(last).__name__
        raise PublishError(
            f"{fmt} webhook failed after {e.last_attempt.attempt_number} attempts ({why}): {shown}"
        ) from None
    except ValueError as e:
        raise PublishError(f"{fmt} webhook: {e}: {shown}") from None
    except (httpx.HTTPError, httpx.InvalidURL) as e:  # an unusable URL: never retried
        raise PublishError(f"{fmt} webhook: {type(e).__name__}: {shown}") from None
    return Delivery(shown, fmt, retrying.statistics.get("attempt_number", 1), response.status_code)
