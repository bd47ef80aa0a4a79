"""claimboard.toml: the shipped example loads; every mistake names the file and the key."""

from __future__ import annotations

import re
from datetime import timedelta
from pathlib import Path

import pytest

from etl.refresh.config import (
    ArxivSource,
    ConfigError,
    HFDailySource,
    LocalSource,
    load_config,
)

EXAMPLE = Path(__file__).resolve().parent.parent / "claimboard.example.toml"


def write_config(tmp_path: Path, text: str) -> Path:
    path = tmp_path / "claimboard.toml"
    path.write_text(text, encoding="utf-8")
    return path


def edited_example(old: str, new: str) -> str:
    text = EXAMPLE.read_text(encoding="utf-8")
    assert old in text, old
    return text.replace(old, new, 1)


def test_the_example_config_loads_into_typed_settings():
    config = load_config(EXAMPLE)

    assert config.store.dir == EXAMPLE.parent / "store" and config.store.keep == 14
    assert config.schedule.every == timedelta(hours=6) and config.schedule.cron is None
    assert config.fetch.retries == 3 and config.fetch.request_interval == 3.0 and "mailto:" in config.fetch.user_agent
    assert [type(s) for s in config.sources] == [LocalSource, HFDailySource, ArxivSource]
    assert config.local_paths == (EXAMPLE.parent / "data" / "seeds",)
    hf, arxiv = config.remote_sources
    assert hf.base_url == "https://huggingface.co/api/daily_papers" and hf.days_back == 2
    assert arxiv.search_query.startswith("cat:cs.DC") and arxiv.page_size == 100


def test_relative_paths_are_resolved_against_the_config_folder(tmp_path, monkeypatch):
    path = write_config(tmp_path, EXAMPLE.read_text())
    monkeypatch.chdir("/")

    config = load_config(path)

    assert config.store.dir == tmp_path / "store" and config.local_paths == (tmp_path / "data" / "seeds",)


def test_a_cron_schedule_with_a_time_zone(tmp_path):
    text = edited_example('every = "6h"', '# every').replace('# cron = "15 6 * * *"', 'cron = "15 6 * * 1-5"')
    text = text.replace('timezone = "UTC"', 'timezone = "Europe/Berlin"')

    schedule = load_config(write_config(tmp_path, text)).schedule

    assert (schedule.every, schedule.cron, schedule.timezone) == (None, "15 6 * * 1-5", "Europe/Berlin")


@pytest.mark.parametrize(
    ("old", "new", "key", "says"),
    [
        ("timeout = 30", "timout = 30", "fetch.timout", "unknown key in [fetch]"),
        ("retries = 3", "retries = -1", "fetch.retries", "expected an integer >= 0, got -1"),
        ("timeout = 30", 'timeout = "30s"', "fetch.timeout", "expected a number"),
        ("backoff_max = 60", "backoff_max = 1", "fetch.backoff_max", "at least backoff_base"),
        ('user_agent = "claimboard/0.1 (+https://github.com/claimboard/claimboard; mailto:maintainer@example.org)"',
         'user_agent = "claimboard/0.1"', "fetch.user_agent", "must name a contact"),
        ("keep = 14", "keep = 0", "store.keep", "expected an integer >= 1"),
        ('dir = "store"', "", "store.dir", "missing (required)"),
        ('every = "6h"', 'every = "6 hours"', "schedule.every", "positive duration"),
        ('every = "6h"', 'every = "6h"\ncron = "0 6 * * *"', "schedule", "exactly one of every"),
        ('every = "6h"', 'cron = "61 6 * * *"', "schedule.cron", "not a crontab expression"),
        ('timezone = "UTC"', 'timezone = "Mars/Olympus"', "schedule.timezone", "unknown time zone"),
        ("days_back = 2", "days_back = -1", "sources[1] (hf-daily).days_back", "expected an integer >= 0"),
        ('kind = "arxiv"', 'kind = "rss"', "sources[2] (arxiv-dc).kind", "unknown kind 'rss'"),
        ('search_query = "cat:cs.DC', 'query = "cat:cs.DC', "sources[2] (arxiv-dc).query", "unknown key"),
        ('name = "arxiv-dc"', 'name = "hf-daily"', "sources", "'hf-daily' is used twice"),
        ('name = "local"', 'name = "../escape"', "sources[0].name", "names a folder"),
        ('# base_url = "http://export', 'base_url = "ftp://export', "sources[2] (arxiv-dc).base_url", "http:// or https://"),
    ],
)
def test_a_bad_value_is_reported_with_the_file_and_key(tmp_path, old, new, key, says):
    path = write_config(tmp_path, edited_example(old, new))

    with pytest.raises(ConfigError) as error:
        load_config(path)

    assert str(error.value).startswith(f"{path}: {key}: ") and says in str(error.value)


def test_a_missing_table_is_named(tmp_path):
    path = write_config(tmp_path, edited_example("[fetch]", "[fetching]"))

    with pytest.raises(ConfigError, match=r"fetching: unknown key in the top level"):
        load_config(path)


def test_invalid_toml_names_the_file_and_line(tmp_path):
    path = write_config(tmp_path, edited_example("keep = 14", "keep = = 14"))

    with pytest.raises(ConfigError, match=rf"^{re.escape(str(path))}: not valid TOML \(.*line 10"):
        load_config(path)


def test_a_missing_file_is_named(tmp_path):
    with pytest.raises(ConfigError, match=rf"^{re.escape(str(tmp_path / 'nope.toml'))}: cannot read config"):
        load_config(tmp_path / "nope.toml")
