from datetime import date, datetime
from pathlib import Path
from zoneinfo import ZoneInfo

import pytest

from briefing.config import load_settings
from briefing.errors import ConfigError

GOOD = """
timezone: Asia/Shanghai
window_hours: 36
report: {category: 经济日报, tags: [经济日报]}
feeds:
  - {name: 新华社, url: feeds/xinhua.xml, weight: 1.5}
  - {name: Fed, url: "https://www.federalreserve.gov/feeds/press_all.xml", enabled: false}
"""


def _write(tmp_path: Path, text: str) -> Path:
    p = tmp_path / "feeds.yaml"
    p.write_text(text, encoding="utf-8")
    return p


def test_good_file_with_environment(tmp_path: Path) -> None:
    env = {
        "OPENAI_API_KEY": "sk-test-123",
        "OPENAI_BASE_URL": "http://127.0.0.1:9/v1",
        "BRIEFING_MODEL": "qwen-plus",
    }
    s = load_settings(_write(tmp_path, GOOD), env=env, env_file=None)
    assert [f.name for f in s.enabled_feeds] == ["新华社"]
    assert s.feed_location(s.feeds[0]) == tmp_path / "feeds" / "xinhua.xml"
    assert s.feed_location(s.feeds[1]) == "https://www.federalreserve.gov/feeds/press_all.xml"
    assert s.llm.model == "qwen-plus" and s.llm.configured
    public = s.public_dict()
    assert public["llm"]["api_key_set"] is True
    assert "sk-test-123" not in repr(public) and "sk-test-123" not in repr(s)


def test_dotenv_is_read_and_environment_wins(tmp_path: Path) -> None:
    env_file = tmp_path / ".env"
    env_file.write_text(
        "OPENAI_API_KEY=from-dotenv\nBRIEFING_MODEL=deepseek-chat\n", encoding="utf-8"
    )
    s = load_settings(_write(tmp_path, GOOD), env={"BRIEFING_MODEL": "gpt-4o"}, env_file=env_file)
    assert s.llm.api_key is not None and s.llm.api_key.get_secret_value() == "from-dotenv"
    assert s.llm.model == "gpt-4o"


def test_no_key_no_base_url_means_offline(tmp_path: Path) -> None:
    assert not load_settings(_write(tmp_path, GOOD), env={}, env_file=None).llm.configured


@pytest.mark.parametrize(
    ("text", "message"),
    [
        ("feeds: [{name: a}]", r"feeds\[0\] \(name: a\)\.url: Field required"),
        (
            "feeds:\n  - {name: a, url: x}\n  - {name: b, url: y, weight: 99}",
            r"feeds\[1\] \(name: b\)\.weight",
        ),
        (
            "feeds: [{name: a, url: x, colour: red}]",
            r"feeds\[0\] \(name: a\)\.colour: Extra inputs",
        ),
        ("feeds:\n  - {name: a, url: x}\n  - {name: a, url: y}", "feed name 'a' appears twice"),
        ("timezone: Mars/Olympus\nfeeds: [{name: a, url: x}]", "unknown time zone 'Mars/Olympus'"),
        ("feeds: [unclosed", "not valid YAML"),
        ("- just a list", "top-level 'feeds:' list"),
    ],
)
def test_bad_file_gets_one_clear_line_naming_file_and_entry(
    tmp_path: Path, text: str, message: str
) -> None:
    path = _write(tmp_path, text)
    with pytest.raises(ConfigError, match=message) as info:
        load_settings(path, env={}, env_file=None)
    assert str(info.value).startswith(str(path))
    assert "\n" not in str(info.value)


def test_missing_file(tmp_path: Path) -> None:
    with pytest.raises(ConfigError, match="feeds file not found"):
        load_settings(tmp_path / "nope.yaml", env={}, env_file=None)


@pytest.mark.parametrize(
    ("day", "now", "start", "end"),
    [
        (
            date(2025, 12, 12),
            datetime(2025, 12, 20, 8, 0),
            datetime(2025, 12, 11, 12, 0),
            datetime(2025, 12, 13, 0, 0),
        ),
        (
            None,
            datetime(2025, 12, 12, 7, 30),
            datetime(2025, 12, 10, 19, 30),
            datetime(2025, 12, 12, 7, 30),
        ),
    ],
)
def test_window_ends_at_end_of_day_or_now(tmp_path: Path, day, now, start, end) -> None:
    s = load_settings(_write(tmp_path, GOOD), env={}, env_file=None)
    tz = ZoneInfo("Asia/Shanghai")
    assert s.window(day, now.replace(tzinfo=tz)) == (
        start.replace(tzinfo=tz),
        end.replace(tzinfo=tz),
    )


def test_time_zone_from_environment(tmp_path: Path) -> None:
    s = load_settings(_write(tmp_path, GOOD), env={"BRIEFING_TZ": "Europe/London"}, env_file=None)
    assert s.timezone == "Europe/London"


def test_a_relative_cover_font_is_found_beside_feeds_yaml(tmp_path: Path) -> None:
    from briefing.config import settings_from_dict

    raw = {"feeds": [{"name": "a", "url": "a.xml"}], "report": {"cover_font": "fonts/x.ttf"}}
    s = settings_from_dict(raw, label="f.yaml", base_dir=tmp_path, env={}, env_file=None)
    assert s.report.cover_font == str(tmp_path / "fonts" / "x.ttf")


@pytest.mark.parametrize(
    ("section", "key", "template"),
    [
        ("publish", "link", "https://blog.example.com/{id}/"),
        ("publish", "link", "https://blog.example.com/{0}/"),
        ("report", "cover_url_prefix", "https://img.example.com/{year}/"),
    ],
)
def test_url_templates_fill_only_date_and_slug(
    tmp_path: Path, section: str, key: str, template: str
) -> None:
    from briefing.config import settings_from_dict

    raw = {"feeds": [{"name": "a", "url": "a.xml"}], section: {key: template}}
    with pytest.raises(ConfigError, match=rf"f\.yaml: {section}\.{key}: .*only \{{date\}}"):
        settings_from_dict(raw, label="f.yaml", base_dir=tmp_path, env={}, env_file=None)
    raw[section][key] = template.split("{")[0] + "{date:%Y/%m}/{slug}/"
    s = settings_from_dict(raw, label="f.yaml", base_dir=tmp_path, env={}, env_file=None)
    assert getattr(getattr(s, section), key).endswith("{date:%Y/%m}/{slug}/")
