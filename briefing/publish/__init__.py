"""Publishing a written report: into static sites (sites.py) and to chat channels (webhooks.py).

`publish_report` takes one report and a list of targets, tries every target, and returns one
Outcome each: a failing target never stops the others, and never touches the report. The CLI and
`run` turn failed outcomes into exit 10 (PublishError).
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass
from pathlib import Path

from briefing.config import Engine, PublishConfig, Settings, WebhookFormat
from briefing.errors import BriefingError
from briefing.models import Report
from briefing.publish.sites import publish_site
from briefing.publish.webhooks import message, send
from briefing.reports import load_report
from briefing.secrets import redact_webhook


@dataclass
class Outcome:
    """What one target got: `detail` is fit to show (paths, redacted URLs, one-line errors)."""

    target: str
    ok: bool
    detail: str
    post: Path | None = None


def post_link(config: PublishConfig, report: Report, link: str | None = None) -> str | None:
    """The post's public URL: --link as given, else publish.link with {date} and {slug} filled in."""
    template = link or config.link
    if not template:
        return None
    return template.format(date=report.date, slug=config.slug)


def publish_report(
    report_path: Path,
    config: PublishConfig,
    *,
    sites: Sequence[tuple[Path, Engine | None]] = (),
    webhooks: Sequence[tuple[str, WebhookFormat, str | None]] = (),  # (url, format, signing secret)
    link: str | None = None,
) -> list[Outcome]:
    """Every site first (so the link exists), then every webhook; one Outcome per target."""
    loaded = load_report(report_path, record=False)  # one line and exit 2/5 for a bad REPORT
    report, text = loaded.parsed.report, loaded.text
    outcomes: list[Outcome] = []
    for site, engine in sites:
        try:
            used, place, cover = publish_site(report_path, report, text, site, engine, config.slug)
        except (BriefingError, OSError) as e:
            outcomes.append(Outcome(f"site {site}", False, str(e)))
            continue
        extra = f" + {place.cover}" if cover else ""
        outcomes.append(Outcome(f"{used} {site}", True, f"{place.post}{extra}", place.post))
    url_link = post_link(config, report, link)
    for url, fmt, secret in webhooks:
        shown = redact_webhook(url)
        try:
            delivery = send(
                url,
                message(report, fmt, url_link),
                fmt,
                secret=secret,
                retries=config.retries,
                backoff=config.backoff,
                timeout=config.timeout,
            )
        except BriefingError as e:
            outcomes.append(Outcome(f"{fmt} {shown}", False, str(e)))
            continue
        tries = f" after {delivery.attempts} attempts" if delivery.attempts > 1 else ""
        outcomes.append(
            Outcome(f"{fmt} {shown}", True, f"delivered (HTTP {delivery.status}){tries}")
        )
    return outcomes


def publish_configured(report_path: Path, settings: Settings) -> list[Outcome]:
    """What `run` does after writing: the feeds.yaml `publish:` sites and webhooks."""
    config = settings.publish
    sites = [(_resolve(settings, s.dir), s.engine) for s in config.sites]
    hooks = [
        (w.url.get_secret_value(), w.format, w.secret.get_secret_value() if w.secret else None)
        for w in config.webhooks
        if w.url
    ]
    if not sites and not hooks:
        return []
    return publish_report(report_path, config, sites=sites, webhooks=hooks)


def _resolve(settings: Settings, folder: str) -> Path:
    p = Path(folder).expanduser()
    return p if p.is_absolute() else settings.base_dir / p
