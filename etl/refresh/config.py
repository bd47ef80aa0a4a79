"""claimboard.toml -> typed, frozen settings; every mistake is reported with the file and key.

``parse_config`` is pure (a TOML table in, a ``Config`` out); ``load_config`` adds the file read.
Relative paths are resolved against the config file's folder, so a refresh started from any
working directory (cron, a scheduler, CI) reads and writes the same places.
"""

from __future__ import annotations

import re
import tomllib
from dataclasses import dataclass
from datetime import timedelta
from pathlib import Path
from typing import Any
from zoneinfo import ZoneInfo, ZoneInfoNotFoundError

from apscheduler.triggers.cron import CronTrigger

DEFAULT_CONFIG_NAME = "claimboard.toml"
HF_DAILY_PAPERS_URL = "https://huggingface.co/api/daily_papers"
ARXIV_API_URL = "http://export.arxiv.org/api/query"
SOURCE_NAME = re.compile(r"^[A-Za-z0-9][A-Za-z0-9._-]*$")  # used as a folder name under <store>/raw
EVERY = re.compile(r"^\s*(\d+)\s*([smhd])\s*$")
EVERY_UNITS = {"s": "seconds", "m": "minutes", "h": "hours", "d": "days"}


class ConfigError(ValueError):
    """A config that cannot be used; the message names the file and the key."""


# ---------------------------------------------------------------------------------------------
# The typed model


@dataclass(frozen=True)
class StoreSettings:
    dir: Path
    keep: int  # snapshots kept after a refresh; older ones are pruned
    #: a refresh yielding fewer papers than this fraction of the current snapshot's is refused
    min_fraction: float = 0.5


@dataclass(frozen=True)
class Schedule:
    """Exactly one of ``every`` and ``cron`` is set."""

    every: timedelta | None
    cron: str | None  # five crontab fields, as apscheduler's CronTrigger.from_crontab reads them
    timezone: str


@dataclass(frozen=True)
class FetchSettings:
    """How politely and how persistently remote sources are fetched; the caps are per source per run."""

    user_agent: str
    timeout: float = 30.0  # seconds per connect / read
    retries: int = 3  # further attempts after the first one fails
    backoff_base: float = 1.0  # seconds before the first retry; doubles each retry
    backoff_max: float = 60.0
    max_retry_after: float = 300.0  # a server asking for a longer wait ends the source's run
    request_interval: float = 3.0  # seconds between requests to one source (arXiv asks for 3)
    max_requests: int = 50
    max_items: int = 1000
    max_response_bytes: int = 50 * 1024 * 1024  # a larger response fails its request and is not kept
    source_deadline: float = 900.0  # seconds for one source's whole run, retries and waits included


@dataclass(frozen=True)
class ResolveSettings:
    """``[resolve]``: listing-page titles looked up in the arXiv API for their id and date
    (``etl.refresh.resolve``), under the ``[fetch]`` politeness settings."""

    arxiv_titles: bool = False
    base_url: str = ARXIV_API_URL
    max_titles: int = 50  # titles looked up per refresh; the rest wait for the next one
    retry_days: int = 30  # a title not found is asked again after this many days


@dataclass(frozen=True)
class LocalSource:
    name: str
    path: Path  # a listing page (.txt), .jsonl or .csv file, or a folder of them


@dataclass(frozen=True)
class HFDailySource:
    """Hugging Face daily papers: one request per day, today and ``days_back`` days before."""

    name: str
    days_back: int = 2
    base_url: str = HF_DAILY_PAPERS_URL


@dataclass(frozen=True)
class ArxivSource:
    """An arXiv API search, newest submissions first, paged ``page_size`` entries at a time."""

    name: str
    search_query: str
    page_size: int = 100
    base_url: str = ARXIV_API_URL


RemoteSource = HFDailySource | ArxivSource
SourceConfig = LocalSource | RemoteSource


@dataclass(frozen=True)
class Config:
    path: Path
    store: StoreSettings
    schedule: Schedule | None
    fetch: FetchSettings
    sources: tuple[SourceConfig, ...]
    resolve: ResolveSettings = ResolveSettings()
    corrections: Path | None = None  # [review] corrections; None: <store>/corrections.jsonl

    @property
    def local_paths(self) -> tuple[Path, ...]:
        return tuple(s.path for s in self.sources if isinstance(s, LocalSource))

    @property
    def remote_sources(self) -> tuple[RemoteSource, ...]:
        return tuple(s for s in self.sources if not isinstance(s, LocalSource))


# ---------------------------------------------------------------------------------------------
# Loading


def parse_every(text: str) -> timedelta:
    """ "30m", "6h", "1d" -> a timedelta: the syntax of [schedule] every and of --every."""
    match = EVERY.match(text)
    if not match or int(match[1]) == 0:
        raise ValueError(f'expected a positive duration like "30m", "6h" or "1d", got {text!r}')
    return timedelta(**{EVERY_UNITS[match[2]]: int(match[1])})


def load_config(path: Path) -> Config:
    """Read and check a claimboard.toml; raises ConfigError naming the file (and key)."""
    path = Path(path)
    try:
        data = tomllib.loads(path.read_text(encoding="utf-8"))
    except OSError as exc:
        raise ConfigError(f"{path}: cannot read config ({exc.strerror or exc})") from exc
    except (tomllib.TOMLDecodeError, UnicodeDecodeError) as exc:
        raise ConfigError(f"{path}: not valid TOML ({exc})") from exc
    return parse_config(data, path)


def parse_config(data: dict[str, Any], path: Path) -> Config:
    """A parsed TOML document -> Config; ``path`` names the file in errors and anchors relative paths."""
    check = _Checker(path)
    check.known_keys(data, "", {"store", "schedule", "fetch", "sources", "resolve", "review"})
    base_dir = path.absolute().parent
    store_table = check.table(data, "store", required=True)
    fetch_table = check.table(data, "fetch", required=True)
    schedule_table = check.table(data, "schedule", required=False)
    resolve_table = check.table(data, "resolve", required=False)
    review_table = check.table(data, "review", required=False) or {}
    check.known_keys(review_table, "review", {"corrections"})
    corrections = check.string(review_table, "review.corrections", default=None)
    sources = check.array_of_tables(data, "sources")
    if not sources:
        raise check.error("sources", "at least one [[sources]] entry is needed")
    parsed = tuple(_source(check, table, f"sources[{i}]", base_dir) for i, table in enumerate(sources))
    names = [s.name for s in parsed]
    if duplicate := next((n for n in names if names.count(n) > 1), None):
        raise check.error("sources", f"source name {duplicate!r} is used twice; names must be unique")
    return Config(
        path=path,
        store=_store(check, store_table, base_dir),
        schedule=None if schedule_table is None else _schedule(check, schedule_table),
        fetch=_fetch(check, fetch_table),
        sources=parsed,
        corrections=None if corrections is None else base_dir / corrections,
        resolve=ResolveSettings() if resolve_table is None else _resolve(check, resolve_table),
    )


def _resolve(check: _Checker, table: dict) -> ResolveSettings:
    check.known_keys(table, "resolve", set(ResolveSettings.__dataclass_fields__))
    enabled = table.get("arxiv_titles", False)
    if not isinstance(enabled, bool):
        raise check.error("resolve.arxiv_titles", f"expected true or false, got {enabled!r}")
    defaults = ResolveSettings()
    return ResolveSettings(
        arxiv_titles=enabled,
        base_url=check.url(table, "resolve.base_url", default=defaults.base_url),
        max_titles=check.integer(table, "resolve.max_titles", default=defaults.max_titles, minimum=0),
        retry_days=check.integer(table, "resolve.retry_days", default=defaults.retry_days, minimum=0),
    )


def _store(check: _Checker, table: dict, base_dir: Path) -> StoreSettings:
    check.known_keys(table, "store", {"dir", "keep", "min_fraction"})
    min_fraction = check.number(table, "store.min_fraction", default=0.5, minimum=0)
    if min_fraction > 1:
        raise check.error("store.min_fraction", f"expected a fraction between 0 and 1, got {min_fraction!r}")
    return StoreSettings(
        dir=base_dir / check.string(table, "store.dir"),
        keep=check.integer(table, "store.keep", default=10, minimum=1),
        min_fraction=min_fraction,
    )


def _schedule(check: _Checker, table: dict) -> Schedule:
    check.known_keys(table, "schedule", {"every", "cron", "timezone"})
    every_text = check.string(table, "schedule.every", default=None)
    cron = check.string(table, "schedule.cron", default=None)
    timezone = check.string(table, "schedule.timezone", default="UTC")
    if (every_text is None) == (cron is None):
        raise check.error("schedule", 'set exactly one of every (e.g. "6h") and cron (e.g. "0 6 * * *")')
    try:
        ZoneInfo(timezone)
    except (ZoneInfoNotFoundError, ValueError) as exc:
        raise check.error("schedule.timezone", f"unknown time zone {timezone!r}") from exc
    every = None
    if every_text is not None:
        try:
            every = parse_every(every_text)
        except ValueError as exc:
            raise check.error("schedule.every", str(exc)) from exc
    if cron is not None:
        try:
            CronTrigger.from_crontab(cron, timezone=timezone)
        except ValueError as exc:
            raise check.error("schedule.cron", f"not a crontab expression {cron!r} ({exc})") from exc
    return Schedule(every=every, cron=cron, timezone=timezone)


def _fetch(check: _Checker, table: dict) -> FetchSettings:
    check.known_keys(table, "fetch", set(FetchSettings.__dataclass_fields__))
    defaults = FetchSettings(user_agent="")
    user_agent = check.string(table, "fetch.user_agent")
    if "@" not in user_agent and "http" not in user_agent:
        raise check.error(
            "fetch.user_agent",
            'must name a contact (an e-mail address or URL), e.g. "claimboard/0.1 (mailto:you@example.org)"',
        )

    def number(key: str, minimum: float) -> float:
        return check.number(table, f"fetch.{key}", default=getattr(defaults, key), minimum=minimum)

    def integer(key: str, minimum: int) -> int:
        return check.integer(table, f"fetch.{key}", default=getattr(defaults, key), minimum=minimum)

    settings = FetchSettings(
        user_agent=user_agent,
        timeout=number("timeout", 0.001),
        retries=integer("retries", 0),
        backoff_base=number("backoff_base", 0),
        backoff_max=number("backoff_max", 0),
        max_retry_after=number("max_retry_after", 0),
        request_interval=number("request_interval", 0),
        max_requests=integer("max_requests", 1),
        max_items=integer("max_items", 1),
        max_response_bytes=integer("max_response_bytes", 1),
        source_deadline=number("source_deadline", 0.001),
    )
    if settings.backoff_max < settings.backoff_base:
        raise check.error("fetch.backoff_max", f"must be at least backoff_base ({settings.backoff_base})")
    return settings


def _source(check: _Checker, table: dict, where: str, base_dir: Path) -> SourceConfig:
    name = check.string(table, f"{where}.name")
    if not SOURCE_NAME.match(name):
        raise check.error(f"{where}.name", f"{name!r} must be letters, digits, '.', '_' or '-' (it names a folder)")
    where = f"{where} ({name})"
    kind = check.string(table, f"{where}.kind")
    if kind == "local":
        check.known_keys(table, where, {"name", "kind", "path"})
        return LocalSource(name=name, path=base_dir / check.string(table, f"{where}.path"))
    if kind == "hf_daily":
        check.known_keys(table, where, {"name", "kind", "days_back", "base_url"})
        return HFDailySource(
            name=name,
            days_back=check.integer(table, f"{where}.days_back", default=HFDailySource.days_back, minimum=0),
            base_url=check.url(table, f"{where}.base_url", default=HFDailySource.base_url),
        )
    if kind == "arxiv":
        check.known_keys(table, where, {"name", "kind", "search_query", "page_size", "base_url"})
        return ArxivSource(
            name=name,
            search_query=check.string(table, f"{where}.search_query"),
            page_size=check.integer(table, f"{where}.page_size", default=ArxivSource.page_size, minimum=1),
            base_url=check.url(table, f"{where}.base_url", default=ArxivSource.base_url),
        )
    raise check.error(f"{where}.kind", f'unknown kind {kind!r} (expected "local", "hf_daily" or "arxiv")')


_MISSING = object()


class _Checker:
    """Typed look-ups in a TOML table whose errors read "<file>: <key>: <what is wrong>"."""

    def __init__(self, path: Path):
        self.path = path

    def error(self, key: str, message: str) -> ConfigError:
        return ConfigError(f"{self.path}: {key}: {message}")

    def known_keys(self, table: dict, where: str, allowed: set[str]) -> None:
        """Unknown keys are errors: a typo must not silently fall back to a default."""
        for key in table:
            if key not in allowed:
                place = f"[{where}]" if where else "the top level"
                raise self.error(f"{where}.{key}" if where else key, f"unknown key in {place} (expected one of: {', '.join(sorted(allowed))})")

    def table(self, data: dict, key: str, *, required: bool) -> dict | None:
        value = data.get(key, _MISSING)
        if value is _MISSING:
            if required:
                raise self.error(key, f"missing [{key}] table")
            return None
        if not isinstance(value, dict):
            raise self.error(key, f"expected a [{key}] table, got {type(value).__name__}")
        return value

    def array_of_tables(self, data: dict, key: str) -> list[dict]:
        value = data.get(key, [])
        if not isinstance(value, list) or not all(isinstance(item, dict) for item in value):
            raise self.error(key, f"expected [[{key}]] tables")
        return value

    def _given(self, table: dict, dotted: str, default: Any) -> tuple[bool, Any]:
        """(whether the key is set, its value or the default); a missing required key is an error."""
        key = dotted.rsplit(".", 1)[-1]
        if key in table:
            return True, table[key]
        if default is _MISSING:
            raise self.error(dotted, "missing (required)")
        return False, default

    def string(self, table: dict, dotted: str, default: Any = _MISSING) -> Any:
        given, value = self._given(table, dotted, default)
        if given and (not isinstance(value, str) or not value.strip()):
            raise self.error(dotted, f"expected a non-empty string, got {value!r}")
        return value

    def url(self, table: dict, dotted: str, default: str) -> str:
        value = self.string(table, dotted, default)
        if not value.startswith(("http://", "https://")):
            raise self.error(dotted, f"expected an http:// or https:// URL, got {value!r}")
        return value

    def integer(self, table: dict, dotted: str, *, default: Any = _MISSING, minimum: int) -> int:
        _, value = self._given(table, dotted, default)
        if isinstance(value, bool) or not isinstance(value, int) or value < minimum:
            raise self.error(dotted, f"expected an integer >= {minimum}, got {value!r}")
        return value

    def number(self, table: dict, dotted: str, *, default: Any = _MISSING, minimum: float) -> float:
        _, value = self._given(table, dotted, default)
        if isinstance(value, bool) or not isinstance(value, int | float) or value < minimum:
            raise self.error(dotted, f"expected a number >= {minimum}, got {value!r}")
        return float(value)
