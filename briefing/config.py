"""Settings, read once: feeds.yaml, the environment and `.env`, then flags. Nothing else reads os.environ."""

from __future__ import annotations

import os
from collections.abc import Mapping
from datetime import date, datetime, timedelta
from pathlib import Path
from typing import Literal
from zoneinfo import ZoneInfo, ZoneInfoNotFoundError

import yaml
from dotenv import dotenv_values
from pydantic import (
    BaseModel,
    ConfigDict,
    Field,
    SecretStr,
    ValidationError,
    field_validator,
    model_validator,
)

from briefing.errors import ConfigError
from briefing.secrets import redact_url, redact_webhook, remember_secret, remember_webhook


def _known_zone_name(v: str) -> str:
    try:
        ZoneInfo(v)
    except (ZoneInfoNotFoundError, ValueError):
        raise ValueError(
            f"unknown time zone {v!r} (use an IANA name such as Asia/Shanghai)"
        ) from None
    return v


class FeedConfig(BaseModel):
    """One entry of `feeds:`; `url` is http(s) or a file path (relative to feeds.yaml)."""

    model_config = ConfigDict(extra="forbid")

    name: str = Field(min_length=1)
    url: str = Field(min_length=1)
    weight: float = Field(default=1.0, ge=0, le=10)
    enabled: bool = True
    timeout: float | None = Field(default=None, gt=0, le=120)
    lang: str | None = None
    topic: str | None = None  # a rules.yaml topic id every item of this feed is about (rank)
    tz: str | None = None  # IANA zone of times the feed gives without one (default: UTC)

    @field_validator("tz")
    @classmethod
    def _known_tz(cls, v: str | None) -> str | None:
        return v if v is None else _known_zone_name(v)

    @property
    def is_remote(self) -> bool:
        return self.url.startswith(("http://", "https://"))

    @property
    def zone(self) -> ZoneInfo | None:
        return ZoneInfo(self.tz) if self.tz else None


def check_template(template: str | None) -> str | None:
    """A URL template fills {date} (a date: {date:%Y} works) and {slug}; anything else is a config error."""
    if template:
        try:
            template.format(date=date(2000, 1, 2), slug="briefing")
        except (KeyError, IndexError, ValueError) as e:
            raise ValueError(
                f"{template!r}: only {{date}} (e.g. {{date:%Y/%m}}) and {{slug}} can be filled in ({e})"
            ) from None
    return template


class ReportConfig(BaseModel):
    model_config = ConfigDict(extra="forbid")

    category: str = "经济日报"
    tags: list[str] = Field(default_factory=lambda: ["经济日报", "宏观经济"])
    seo: list[str] = Field(default_factory=lambda: ["经济日报", "金融日报"])
    cover_image: str | None = None  # a fixed cover URL, used when no cover is drawn
    cover: bool = True  # draw DATE.png beside the report and name it in coverImage
    cover_url_prefix: str = ""  # coverImage = prefix + DATE.png; {date:%Y} etc. filled in
    cover_font: str | None = None  # a CJK .ttf/.otf/.ttc instead of the bundled Noto Sans CJK
    top: int = Field(default=3, ge=1, le=10)
    general_max: int = Field(default=15, ge=0, le=100)

    @field_validator("cover_url_prefix")
    @classmethod
    def _prefix_template(cls, v: str) -> str:
        return check_template(v) or ""


class CollectConfig(BaseModel):
    model_config = ConfigDict(extra="forbid")

    timeout: float = Field(default=10.0, gt=0, le=120)
    retries: int = Field(default=2, ge=0, le=10)
    concurrency: int = Field(default=128, ge=1, le=512)  # feeds in flight: 100 slow feeds, one wave
    per_host: int = Field(default=6, ge=1, le=512)  # requests in flight to one host
    max_items: int = Field(default=10_000, ge=1)  # items kept per feed
    max_bytes: int = Field(default=16 * 2**20, ge=1024)  # a response or file larger is not a feed
    parse_processes: int | None = Field(default=None, ge=0, le=64)  # None: by feed and CPU count
    user_agent: str = "briefing/0.2 (+https://pypi.org/project/briefing/)"


Engine = Literal["hugo", "hexo", "jekyll"]
WebhookFormat = Literal["json", "feishu", "dingtalk", "wecom", "slack"]


class SiteTarget(BaseModel):
    """A static site to copy the post and its cover into; `dir` is relative to feeds.yaml."""

    model_config = ConfigDict(extra="forbid")

    dir: str = Field(min_length=1)
    engine: Engine | None = None  # detected from the site's files when not given


class WebhookTarget(BaseModel):
    """A chat channel; the URL is a secret (its token never shown): give it here or via url_env."""

    model_config = ConfigDict(extra="forbid")

    url: SecretStr | None = None
    url_env: str | None = None  # the environment variable (or .env entry) holding the URL
    format: WebhookFormat = "json"
    secret: SecretStr | None = None  # Feishu/DingTalk 加签 signing secret
    secret_env: str | None = None  # or the environment variable holding it

    @field_validator("url")
    @classmethod
    def _http(cls, v: SecretStr | None) -> SecretStr | None:
        if v is not None and not v.get_secret_value().startswith(("http://", "https://")):
            raise ValueError("a webhook url must start with http:// or https://")
        return v

    @model_validator(mode="after")
    def _has_url(self) -> WebhookTarget:
        if self.url is None:
            raise ValueError("a webhook needs `url` or `url_env`")
        remember_webhook(self.url.get_secret_value())  # masked in every line shown from now on
        remember_secret(self.secret.get_secret_value() if self.secret else None)
        return self


class PublishConfig(BaseModel):
    """Where `run` publishes a written report (never a held one), and how hard it tries."""

    model_config = ConfigDict(extra="forbid")

    sites: list[SiteTarget] = Field(default_factory=list)
    webhooks: list[WebhookTarget] = Field(default_factory=list)
    link: str | None = None  # the post's public URL for messages; {date} and {slug} filled in
    slug: str = Field(default="briefing", pattern=r"^[a-z0-9][a-z0-9-]*$")
    retries: int = Field(default=3, ge=0, le=10)  # webhook retries on 429/5xx/network errors
    backoff: float = Field(default=1.0, ge=0, le=60)  # first wait in seconds, doubling
    timeout: float = Field(default=10.0, gt=0, le=120)

    @field_validator("link")
    @classmethod
    def _link_template(cls, v: str | None) -> str | None:
        return check_template(v)


class MemoryConfig(BaseModel):
    """How far back the earlier reports in the output folder count as already published."""

    model_config = ConfigDict(extra="forbid")

    lookback_days: int = Field(default=7, ge=0, le=90)  # 0: no memory


ResponseFormat = Literal["auto", "json_schema", "json_object", "prompt"]


class Price(BaseModel):
    """What a model costs per 1M tokens (any currency; the summary prints the number as it is)."""

    model_config = ConfigDict(extra="forbid")

    input: float = Field(ge=0)
    output: float = Field(ge=0)


class LLMConfig(BaseModel):
    """The model endpoint; the key comes only from the environment and is never written anywhere."""

    model_config = ConfigDict(extra="forbid")

    api_key: SecretStr | None = None
    base_url: str | None = None
    model: str = "gpt-4o-mini"
    response_format: ResponseFormat = "auto"
    temperature: float = Field(default=0.3, ge=0, le=2)
    timeout: float = Field(default=120.0, gt=0)
    max_attempts: int = Field(default=3, ge=1, le=10)  # re-asks on invalid JSON
    max_retries: int = Field(default=4, ge=0, le=10)  # transport retries (429/5xx/timeouts)
    max_tokens: int = Field(default=2000, ge=100)
    cache: bool = True  # answers kept in cache_dir/llm; `--no-cache` turns this off for one run
    cache_max_age_days: float = Field(default=30, gt=0)
    cache_max_mb: float = Field(default=50, gt=0)
    max_tokens_per_run: int | None = Field(default=None, ge=1)  # then events fall back offline
    prices: dict[str, Price] = Field(default_factory=dict)  # model -> price per 1M tokens

    @property
    def configured(self) -> bool:
        return bool(self.api_key or self.base_url)


class Settings(BaseModel):
    """Everything a run needs, validated once and passed down."""

    model_config = ConfigDict(extra="forbid")

    feeds: list[FeedConfig]
    timezone: str = "Asia/Shanghai"
    window_hours: float = Field(default=36, gt=0, le=24 * 14)
    report: ReportConfig = Field(default_factory=ReportConfig)
    collect: CollectConfig = Field(default_factory=CollectConfig)
    llm: LLMConfig = Field(default_factory=LLMConfig)
    publish: PublishConfig = Field(default_factory=PublishConfig)
    memory: MemoryConfig = Field(default_factory=MemoryConfig)
    min_grounding: float | None = Field(default=None, ge=0, le=1)  # = `run --min-grounding`
    base_dir: Path = Field(default=Path("."), exclude=True)  # where feeds.yaml lives
    cache_dir: Path | None = None

    @field_validator("timezone")
    @classmethod
    def _known_zone(cls, v: str) -> str:
        return _known_zone_name(v)

    @model_validator(mode="after")
    def _font_beside_feeds_yaml(self) -> Settings:
        """A relative report.cover_font is found where feeds.yaml is, like feeds and sites (cron)."""
        font = self.report.cover_font
        if font and not Path(font).expanduser().is_absolute():
            self.report.cover_font = str(self.base_dir / Path(font).expanduser())
        return self

    @field_validator("feeds")
    @classmethod
    def _unique_names(cls, v: list[FeedConfig]) -> list[FeedConfig]:
        seen: set[str] = set()
        for f in v:
            if f.name in seen:
                raise ValueError(f"feed name {f.name!r} appears twice")
            seen.add(f.name)
        return v

    @property
    def tz(self) -> ZoneInfo:
        return ZoneInfo(self.timezone)

    @property
    def enabled_feeds(self) -> list[FeedConfig]:
        return [f for f in self.feeds if f.enabled]

    def feed_location(self, feed: FeedConfig) -> str | Path:
        """An http(s) URL as it is, a file path resolved against the feeds.yaml folder."""
        if feed.is_remote:
            return feed.url
        p = Path(feed.url.removeprefix("file://")).expanduser()
        return p if p.is_absolute() else self.base_dir / p

    def today(self, now: datetime | None = None) -> date:
        return (now or datetime.now(self.tz)).astimezone(self.tz).date()

    def check_day(self, day: date, now: datetime | None = None) -> None:
        """A report date after today (in the configured zone) is a bad flag value, not an empty window."""
        today = self.today(now)
        if day > today:
            raise ConfigError(
                f"--date {day.isoformat()} is in the future (today is {today.isoformat()} in {self.timezone})"
            )

    def window(
        self, day: date | None = None, now: datetime | None = None
    ) -> tuple[datetime, datetime]:
        """The report window: it ends at the end of `day` (or now, for today) and reaches back window_hours."""
        now = (now or datetime.now(self.tz)).astimezone(self.tz)
        day = day or now.date()
        end = (
            now
            if day == now.date()
            else datetime.combine(day + timedelta(days=1), datetime.min.time(), self.tz)
        )
        return end - timedelta(hours=self.window_hours), end

    def public_dict(self) -> dict:
        """Settings for the run record: no secrets, only whether a key was set."""
        data = self.model_dump(mode="json", exclude={"llm": {"api_key"}})
        data["llm"]["api_key_set"] = self.llm.api_key is not None
        if data["llm"]["base_url"]:
            data["llm"]["base_url"] = redact_url(data["llm"]["base_url"])
        for feed in data["feeds"]:
            if feed["url"].startswith(("http://", "https://")):
                feed["url"] = redact_url(feed["url"])
        for hook, raw in zip(data["publish"]["webhooks"], self.publish.webhooks, strict=True):
            hook["url"] = redact_webhook(raw.url.get_secret_value()) if raw.url else None
            hook["secret"] = "***" if raw.secret else None
        return data


def _where(loc: tuple, raw: Mapping) -> str:
    """Name the entry a validation error is about: `feeds[2] (name: 新华社)`, not just an index."""
    parts: list[str] = []
    node: object = raw
    for key in loc:
        if isinstance(key, int):
            parts[-1] = f"{parts[-1]}[{key}]" if parts else f"[{key}]"
            if isinstance(node, list) and key < len(node):
                node = node[key]
                if isinstance(node, dict) and "name" in node:
                    parts[-1] += f" (name: {node['name']})"
        else:
            parts.append(str(key))
            node = node.get(key) if isinstance(node, dict) else None
    return ".".join(parts)


def _webhook_urls_from_env(publish: dict, env: Mapping[str, str], label: str) -> dict:
    """`url_env` / `secret_env: NAME` of publish.webhooks: the value from the environment or .env."""
    hooks = []
    for k, hook in enumerate(publish.get("webhooks") or []):
        for key in ("url", "secret"):
            name = hook.get(f"{key}_env") if isinstance(hook, dict) else None
            if name and not hook.get(key):
                if not env.get(name):
                    raise ConfigError(f"{label}: publish.webhooks[{k}]: ${name} is not set")
                hook = {**hook, key: env[name]}
        hooks.append(hook)
    return {**publish, "webhooks": hooks} if hooks else publish


def load_settings(
    feeds_path: Path | str = "feeds.yaml",
    env: Mapping[str, str] | None = None,
    env_file: Path | str | None = ".env",
    *,
    webhooks: bool = True,
) -> Settings:
    """Read feeds.yaml, then OPENAI_API_KEY / OPENAI_BASE_URL / BRIEFING_MODEL / BRIEFING_TZ from env and .env."""
    path = Path(feeds_path)
    if not path.is_file():
        raise ConfigError(f"{path}: feeds file not found (pass --feeds PATH)")
    try:
        raw = yaml.safe_load(path.read_text(encoding="utf-8"))
    except UnicodeDecodeError:
        raise ConfigError(f"{path}: not UTF-8 text") from None
    except yaml.YAMLError as e:
        mark = getattr(e, "problem_mark", None)
        where = f" at line {mark.line + 1}, column {mark.column + 1}" if mark else ""
        what = getattr(e, "problem", None) or str(e).strip().splitlines()[0]
        raise ConfigError(f"{path}: not valid YAML{where}: {what}") from None
    if not isinstance(raw, dict) or "feeds" not in raw:
        raise ConfigError(f"{path}: expected a mapping with a top-level 'feeds:' list")

    return settings_from_dict(
        raw,
        label=str(path),
        base_dir=path.resolve().parent,
        env=env,
        env_file=env_file,
        webhooks=webhooks,
    )


def settings_from_dict(
    raw: Mapping,
    *,
    label: str,
    base_dir: Path,
    env: Mapping[str, str] | None = None,
    env_file: Path | str | None = ".env",
    webhooks: bool = True,
) -> Settings:
    """Validate a feeds.yaml-shaped mapping (or a run record's settings), overlaid with env and .env.

    `webhooks=False` leaves publish.webhooks out (and their `url_env` unread): `publish --site` and
    `--webhook` name their own targets and need only publish's other settings."""
    merged: dict[str, str] = {}
    if env_file and Path(env_file).is_file():
        merged.update({k: v for k, v in dotenv_values(env_file).items() if v is not None})
    merged.update(os.environ if env is None else env)

    data = dict(raw)
    llm = {
        k: v for k, v in dict(data.get("llm") or {}).items() if k not in ("api_key", "api_key_set")
    }
    if merged.get("OPENAI_API_KEY"):
        llm["api_key"] = merged["OPENAI_API_KEY"]
        remember_secret(merged["OPENAI_API_KEY"])  # redact_text hides it from every line shown
    if merged.get("OPENAI_BASE_URL"):
        llm["base_url"] = merged["OPENAI_BASE_URL"]
    if merged.get("BRIEFING_MODEL"):
        llm["model"] = merged["BRIEFING_MODEL"]
    if merged.get("BRIEFING_RESPONSE_FORMAT"):
        llm["response_format"] = merged["BRIEFING_RESPONSE_FORMAT"]
    data["llm"] = llm
    if merged.get("BRIEFING_TZ"):
        data["timezone"] = merged["BRIEFING_TZ"]
    if merged.get("BRIEFING_CACHE_DIR"):
        data["cache_dir"] = merged["BRIEFING_CACHE_DIR"]
    elif "cache_dir" not in data:
        xdg = merged.get("XDG_CACHE_HOME") or str(
            Path(merged.get("HOME") or Path.home()) / ".cache"
        )
        data["cache_dir"] = str(Path(xdg) / "briefing")
    data["base_dir"] = base_dir
    if isinstance(data.get("publish"), dict):
        if webhooks:
            data["publish"] = _webhook_urls_from_env(data["publish"], merged, label)
        else:
            data["publish"] = {**data["publish"], "webhooks": []}
    try:
        return Settings.model_validate(data)
    except ValidationError as e:
        err = e.errors()[0]
        more = f" (and {e.error_count() - 1} more)" if e.error_count() > 1 else ""
        raise ConfigError(f"{label}: {_where(err['loc'], raw)}: {err['msg']}{more}") from None
