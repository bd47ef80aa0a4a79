"""Incremental refresh: fetch remote sources, re-read only changed files, re-extract only changed
abstracts, publish through the ordinary pipeline; plus the scheduler and the `runs` / `diff` views.

A refresh never duplicates the pipeline: it hands ``pipeline.run_etl`` two caching hooks.

- ``CachedReader`` (ingest's ``read_source``): a file whose bytes and the ingest code are unchanged
  comes back from ``<store>/cache/sources/`` instead of being parsed again.
- ``CachedExtractor`` (the pipeline's ``extract_fn``): an abstract whose content hash was extracted
  by this extractor version comes from ``<store>/cache/extract-<version>-<code>.parquet``.

Before that, the input files are hashed (a stat cache of (size, mtime_ns) -> sha256 skips files
that did not change); when the hashes, the pipeline code and the extractor version equal those of the
current snapshot, nothing is run: the run is recorded as "unchanged" and no snapshot is published.
All of it runs under the store's lock (``etl.lock``), so two refreshes never write at once.
"""

from __future__ import annotations

import argparse
import hashlib
import json
import os
import secrets
import shutil
import sys
import time
import traceback
from collections.abc import Callable, Mapping, Sequence
from dataclasses import dataclass, field, replace
from datetime import UTC, datetime, timedelta
from pathlib import Path

import polars as pl
from apscheduler.schedulers.background import BackgroundScheduler
from apscheduler.schedulers.blocking import BlockingScheduler
from apscheduler.triggers.cron import CronTrigger
from apscheduler.triggers.interval import IntervalTrigger
from rich.console import Console
from rich.table import Table

from etl import extract, ingest
from etl.config import (
    DEFAULT_CONFIG_NAME,
    EVERY,
    EVERY_UNITS,
    Config,
    ConfigError,
    FetchSettings,
    RemoteSource,
    Schedule,
    load_config,
)
from etl.diff import diff_as_json, diff_snapshots, paper_changes, render_diff
from etl.fetch import FetchResult, fetch_source
from etl.lock import LockHeld, store_lock
from etl.extract import extract_all
from etl.pipeline import BUNDLED_CORPUS, DEFAULT_KEEP, ExtractFn, Progress, StageClock, Tables, run_etl
from etl.report import EXIT_FAILED, print_run_summary, run_with_status
from etl.store import (
    DEFAULT_STORE,
    StoreError,
    current_run_id,
    list_snapshots,
    load_snapshot,
    new_run_id,
    read_runs,
    record_run,
    snapshots_dir,
)

CACHE_DIR = "cache"
STAT_CACHE = "stat.json"
SOURCE_CACHE = "sources"
#: a file modified this recently might change again within the same mtime tick: hash it next time too
RACY_NS = 2_000_000_000
ETL_DIR = Path(__file__).resolve().parent
#: ingest.py and every ingest_*.py module it is split into, found by name so a new one cannot be missed
INGEST_CODE = (*sorted(path.name for path in ETL_DIR.glob("ingest*.py")), "rules/ingest.toml")
EXTRACT_CODE = ("extract.py", "rules/extract.toml")
#: everything that shapes a snapshot from its inputs: a change republishes even when no input changed
PIPELINE_CODE = (*INGEST_CODE, *EXTRACT_CODE, "normalise.py", "validate.py", "schemas.py", "pipeline.py",
                 "rules/aliases.toml")

Report = Callable[[str], None]
Trigger = IntervalTrigger | CronTrigger


# ---------------------------------------------------------------------------------------------
# Input hashes: what the "unchanged" decision and the source cache key on


def code_digest(names: Sequence[str]) -> str:
    """sha256 over the named files of this package, so a code or rules change invalidates caches."""
    digest = hashlib.sha256()
    for name in names:
        digest.update(name.encode() + b"\0" + (ETL_DIR / name).read_bytes() + b"\0")
    return digest.hexdigest()


class SourceUnavailable(RuntimeError):
    """An input cannot be read at all (missing, no permission): a source that is down, not a bad file."""


@dataclass(frozen=True)
class InputHashes:
    sha256: dict[str, str]  # path -> sha256 of its bytes
    unreadable: dict[str, str]  # path -> why it cannot be read
    stat_cache: dict[str, list]  # path -> [*stat_key, sha256], for the next refresh
    hashed: tuple[str, ...]  # files actually read and hashed (stat cache misses)


def stat_key(stat: os.stat_result) -> list[int]:
    """What changes when a file's bytes do: size and mtime, plus ctime and inode, which no
    ``touch -d`` or ``cp -p`` can set back, so a rewrite that restores the mtime is still seen."""
    return [stat.st_size, stat.st_mtime_ns, stat.st_ctime_ns, stat.st_ino]


def hash_inputs(files: Sequence[Path], known: Mapping[str, list], now_ns: int) -> InputHashes:
    """sha256 of each file, reusing ``known`` ones whose ``stat_key`` did not change."""
    hashes: dict[str, str] = {}
    unreadable: dict[str, str] = {}
    cache: dict[str, list] = {}
    hashed: list[str] = []
    for path in files:
        key = str(path)
        try:
            stat = path.stat()
            entry = known.get(key)
            if entry and entry[:-1] == stat_key(stat):
                sha = entry[-1]
            else:
                sha = file_sha256(path)
                hashed.append(key)
        except OSError as err:
            unreadable[key] = err.strerror or str(err)
            continue
        hashes[key] = sha
        if now_ns - stat.st_mtime_ns > RACY_NS:
            cache[key] = [*stat_key(stat), sha]
    return InputHashes(hashes, unreadable, cache, tuple(hashed))


def file_sha256(path: Path) -> str:
    with open(path, "rb") as fh:
        return hashlib.file_digest(fh, "sha256").hexdigest()


def read_json(path: Path) -> dict | None:
    """A JSON object from disk, or None when it is missing or damaged (caches are only hints)."""
    try:
        value = json.loads(path.read_text(encoding="utf-8"))
    except (OSError, ValueError):
        return None
    return value if isinstance(value, dict) else None


def write_cache_file(path: Path, write: Callable[[Path], None]) -> None:
    """``write`` a temporary sibling, then rename it over ``path``: a reader sees the old file or the
    new one, whole. A cache that cannot be written only costs time next run, so errors are dropped."""
    tmp = path.with_name(f".{path.name}.{secrets.token_hex(4)}.tmp")
    try:
        path.parent.mkdir(parents=True, exist_ok=True)
        write(tmp)
        os.replace(tmp, path)
    except OSError:
        pass
    finally:
        tmp.unlink(missing_ok=True)


# ---------------------------------------------------------------------------------------------
# The caching hooks


@dataclass
class CachedReader:
    """``read_source`` for ingest: a file whose bytes and ingest code are unchanged is not parsed again.

    An entry is ``<root>/<key>/`` with records.parquet, quarantine.parquet and read.json; the key
    covers the path too, because records carry their source path.
    """

    root: Path
    sha256: Mapping[str, str]
    ingest_code: str
    read_source: Callable[[Path], ingest.SourceRead] = ingest.read_source
    reused: list[str] = field(default_factory=list)
    parsed: list[str] = field(default_factory=list)
    used_keys: set[str] = field(default_factory=set)

    def __call__(self, path: Path) -> ingest.SourceRead:
        sha = self.sha256.get(str(path))
        if sha is not None and (cached := self._load(path, sha)) is not None:
            self.reused.append(str(path))
            return cached
        fresh = self.read_source(path)
        self.parsed.append(str(path))
        if fresh.sha256 is not None:
            self._save(fresh)
        return fresh

    def key(self, path: Path, sha: str) -> str:
        return hashlib.sha256(f"{path}\0{sha}\0{self.ingest_code}".encode()).hexdigest()[:32]

    def prune(self) -> None:
        """Drop entries this run did not use: files since changed or no longer sources."""
        for entry in self.root.glob("*") if self.root.is_dir() else ():
            if entry.name not in self.used_keys:
                shutil.rmtree(entry, ignore_errors=True)

    def _load(self, path: Path, sha: str) -> ingest.SourceRead | None:
        key = self.key(path, sha)
        entry = self.root / key
        meta = read_json(entry / "read.json")
        if meta is None:
            return None
        try:
            records = pl.read_parquet(entry / "records.parquet")
            quarantine = pl.read_parquet(entry / "quarantine.parquet")
        except (OSError, pl.exceptions.PolarsError):
            return None
        self.used_keys.add(key)
        return ingest.SourceRead(path, records, quarantine, **meta)

    def _save(self, read: ingest.SourceRead) -> None:
        key = self.key(read.path, read.sha256)
        entry = self.root / key
        tmp = self.root / f".{key}.{secrets.token_hex(4)}.tmp"
        meta = {"error": read.error, "format": read.format, "sha256": read.sha256, "encoding": read.encoding}
        try:
            tmp.mkdir(parents=True)
            read.records.write_parquet(tmp / "records.parquet")
            read.quarantine.write_parquet(tmp / "quarantine.parquet")
            (tmp / "read.json").write_text(json.dumps(meta), encoding="utf-8")
            shutil.rmtree(entry, ignore_errors=True)
            os.replace(tmp, entry)
            self.used_keys.add(key)
        except OSError:  # as in write_cache_file
            shutil.rmtree(tmp, ignore_errors=True)


CLAIM_FIELDS = [name for name in extract.CLAIM_SCHEMA if name != "paper_id"]
FACT_FIELDS = [name for name in extract.FACT_SCHEMA if name != "paper_id"]


@dataclass
class CachedExtractor:
    """``extract_fn`` for the pipeline: only abstracts this extractor has not seen are extracted.

    The cache is one Parquet file, one row per content hash (title + abstract): the facts, and the
    claims as a list. One file means one atomic rename, so facts and claims never disagree. It is
    rewritten with exactly the current papers' rows, so withdrawn papers leave it.
    """

    path: Path
    extract_fn: ExtractFn = extract_all
    reused: int = 0
    extracted: int = 0

    def __call__(self, papers: pl.DataFrame) -> tuple[pl.DataFrame, pl.DataFrame]:
        keys = papers.select("paper_id", "content_hash")
        cached = self._load().join(keys, on="content_hash", how="semi")
        todo = papers.join(cached, on="content_hash", how="anti").unique("content_hash", maintain_order=True)
        # extraction uses paper_id only as a row key: keyed by content hash, its rows are reusable as they are
        claims, facts = self.extract_fn(todo.with_columns(paper_id=pl.col("content_hash")))
        rows = pl.concat([cached, pack_extraction(claims, facts)])
        write_cache_file(self.path, rows.write_parquet)
        for stale in self.path.parent.glob("extract-*.parquet"):
            if stale != self.path:
                stale.unlink(missing_ok=True)
        self.reused, self.extracted = cached.height, todo.height
        return unpack_extraction(rows, keys)

    def _load(self) -> pl.DataFrame:
        try:
            return pl.read_parquet(self.path)
        except (OSError, pl.exceptions.PolarsError):
            return pack_extraction(pl.DataFrame(schema=extract.CLAIM_SCHEMA), pl.DataFrame(schema=extract.FACT_SCHEMA))


def pack_extraction(claims: pl.DataFrame, facts: pl.DataFrame) -> pl.DataFrame:
    """Claims and facts keyed by content hash (in ``paper_id``) -> one row per content hash."""
    nested = claims.group_by("paper_id", maintain_order=True).agg(claims=pl.struct(CLAIM_FIELDS))
    return (
        facts.join(nested, on="paper_id", how="left", maintain_order="left")
        .rename({"paper_id": "content_hash"})
        .with_columns(pl.col("claims").cast(pl.List(pl.Struct({n: extract.CLAIM_SCHEMA[n] for n in CLAIM_FIELDS}))))
    )


def unpack_extraction(rows: pl.DataFrame, keys: pl.DataFrame) -> tuple[pl.DataFrame, pl.DataFrame]:
    """Cache rows -> (claims, facts) for the papers in ``keys`` (paper_id, content_hash), in their order."""
    joined = keys.join(rows, on="content_hash", how="inner", maintain_order="left")
    facts = joined.select("paper_id", *FACT_FIELDS)
    claims = joined.select("paper_id", "claims").explode("claims").drop_nulls("claims").unnest("claims")
    return claims.select(list(extract.CLAIM_SCHEMA)), facts


def extraction_cache_path(store: Path) -> Path:
    return Path(store) / CACHE_DIR / f"extract-{extract.EXTRACTOR_VERSION}-{code_digest(EXTRACT_CODE)[:12]}.parquet"


# ---------------------------------------------------------------------------------------------
# One refresh


@dataclass(frozen=True)
class RefreshPlan:
    """What a refresh reads and where it publishes."""

    store: Path
    sources: tuple[Path, ...]  # local files and folders
    remote: tuple[RemoteSource, ...] = ()
    fetch: FetchSettings | None = None
    keep: int = DEFAULT_KEEP


def plan_from_config(config: Config) -> RefreshPlan:
    return RefreshPlan(config.store.dir, config.local_paths, config.remote_sources, config.fetch, config.store.keep)


def plan_for_store(store: Path) -> RefreshPlan:
    """Without a config: the sources the current snapshot was built from, else the bundled corpus."""
    manifest = current_manifest(store) or {}
    return RefreshPlan(Path(store), tuple(map(Path, manifest.get("sources") or [BUNDLED_CORPUS])))


def current_manifest(store: Path) -> dict | None:
    """The current snapshot's manifest only (not its tables, which can be large); None if unreadable."""
    try:
        run_id = current_run_id(store)
    except StoreError:
        return None
    return None if run_id is None else read_json(snapshots_dir(store) / run_id / "manifest.json")


@dataclass(frozen=True)
class Prepared:
    """Fetched, expanded and hashed: everything known before deciding whether to run the pipeline."""

    paths: tuple[Path, ...]  # local sources + each fetched source's JSONL
    fetched: tuple[FetchResult, ...]
    hashes: InputHashes
    code_sha256: str
    seconds: dict[str, float]
    replay: bool

    def summary(self) -> dict:
        return {
            "inputs_sha256": self.hashes.sha256,
            "code_sha256": self.code_sha256,
            "replay": self.replay,
            "hashed": list(self.hashes.hashed),
            "fetch": [
                {"source": f.source, "path": str(f.path), "items": f.items, "requests": f.requests,
                 "capped": f.capped, "errors": list(f.errors)}
                for f in self.fetched
            ],
            "prepare_seconds": self.seconds,
        }


def is_unchanged(current: dict | None, prepared: Prepared) -> bool:
    """Same input bytes, same pipeline code, same extractor version as the current snapshot."""
    built_by = (current or {}).get("refresh", {})
    return (
        current is not None
        and current.get("extractor_version") == extract.EXTRACTOR_VERSION
        and built_by.get("inputs_sha256") == prepared.hashes.sha256
        and built_by.get("code_sha256") == prepared.code_sha256
    )


def prepare(plan: RefreshPlan, replay: bool, progress: Progress | None) -> Prepared:
    """Fetch remote sources, then hash every input file; raises SourceUnavailable if one cannot be read."""
    clock = StageClock()
    with clock.stage("fetch", progress):
        fetched = tuple(
            fetch_source(source, plan.store, plan.fetch, replay=replay, progress=progress) for source in plan.remote
        )
    paths = plan.sources + tuple(f.path for f in fetched)
    with clock.stage("hash", progress):
        files, _ = ingest.expand_paths(paths)  # ingest reports directory errors itself
        stat_path = Path(plan.store) / CACHE_DIR / STAT_CACHE
        hashes = hash_inputs(files, read_json(stat_path) or {}, time.time_ns())
        write_cache_file(stat_path, lambda tmp: tmp.write_text(json.dumps(hashes.stat_cache), encoding="utf-8"))
        code = code_digest(PIPELINE_CODE)
    if hashes.unreadable:
        problems = "; ".join(f"{path}: {why}" for path, why in hashes.unreadable.items())
        raise SourceUnavailable(f"cannot read {problems}")
    return Prepared(paths, fetched, hashes, code, clock.seconds, replay)


def refresh(
    plan: RefreshPlan, *, trigger: str = "manual", replay: bool = False, progress: Progress | None = None
) -> dict:
    """Run one refresh; returns its run record (status "ok" or "unchanged").

    Raises LockHeld (nothing recorded) when another run holds the store; any other failure is
    recorded in runs.jsonl and raised, and the current snapshot stays current.
    """
    with store_lock(plan.store):
        started = datetime.now(UTC).isoformat()
        try:
            prepared = prepare(plan, replay, progress)
        except Exception as err:
            record_run(plan.store, failed_record(plan, trigger, started, err))
            raise
        current = current_manifest(plan.store)
        if is_unchanged(current, prepared):
            record = unchanged_record(plan, trigger, started, prepared, current)
            record_run(plan.store, record)
            return record
        cache = Path(plan.store) / CACHE_DIR
        reader = CachedReader(cache / SOURCE_CACHE, prepared.hashes.sha256, code_digest(INGEST_CODE))
        extractor = CachedExtractor(extraction_cache_path(plan.store))

        def annotate(tables: Tables) -> dict:
            return {
                "changes": changes_since(plan.store, current, tables.papers),
                "cache": {"sources_reused": reader.reused, "sources_parsed": reader.parsed,
                          "abstracts_reused": extractor.reused, "abstracts_extracted": extractor.extracted},
            }

        manifest = run_etl(
            prepared.paths, plan.store, keep=plan.keep, trigger=trigger, progress=progress,
            read_source=reader, extract_fn=extractor, manifest_extra={"refresh": prepared.summary()}, annotate=annotate,
        )
        reader.prune()
        return manifest


def changes_since(store: Path, previous: dict | None, papers: pl.DataFrame) -> dict | None:
    """Papers new, changed and removed against the previous snapshot (None if it cannot be read)."""
    columns = ["paper_id", "content_hash"]
    if previous is None:
        return paper_changes(pl.DataFrame(schema={name: pl.Utf8 for name in columns}), papers)
    try:
        before = pl.read_parquet(snapshots_dir(store) / previous["run_id"] / "papers.parquet", columns=columns)
    except (OSError, pl.exceptions.PolarsError):
        return None
    return paper_changes(before, papers)


def _record_base(plan: RefreshPlan, trigger: str, started: str) -> dict:
    return {
        "run_id": new_run_id(),
        "trigger": trigger,
        "started": started,
        "extractor_version": extract.EXTRACTOR_VERSION,
        "sources": [str(s) for s in plan.sources],
    }


def unchanged_record(plan: RefreshPlan, trigger: str, started: str, prepared: Prepared, current: dict) -> dict:
    """The history entry of a refresh that found nothing new: it points at the snapshot still current."""
    return _record_base(plan, trigger, started) | {
        "status": "unchanged",
        "finished": datetime.now(UTC).isoformat(),
        "current": current["run_id"],
        "counts": current.get("counts", {}),
        "changes": {"new": 0, "changed": 0, "removed": 0},
        "errors": [],
        "refresh": prepared.summary(),
        "stage_seconds": {},
    }


def failed_record(plan: RefreshPlan, trigger: str, started: str, err: BaseException) -> dict:
    return _record_base(plan, trigger, started) | {
        "status": "failed",
        "finished": datetime.now(UTC).isoformat(),
        "error": f"{type(err).__name__}: {err}",
        "traceback": traceback.format_exc(limit=8),
    }


# ---------------------------------------------------------------------------------------------
# Describing runs


def fetch_errors(record: dict) -> list[str]:
    return [error for fetched in record.get("refresh", {}).get("fetch", []) for error in fetched["errors"]]


def run_errors(record: dict) -> list[str]:
    """Source errors (files ingest could not use) and fetch errors of one run."""
    return list(record.get("errors", [])) + fetch_errors(record)


def stage_seconds(record: dict) -> dict[str, float]:
    return record.get("refresh", {}).get("prepare_seconds", {}) | record.get("stage_seconds", {})


def changes_text(record: dict) -> str:
    changes = record.get("changes")
    return "–" if changes is None else f"+{changes['new']} ~{changes['changed']} -{changes['removed']}"


def describe_run(record: dict) -> str:
    """One line per run, for the scheduler's output."""
    seconds = sum(stage_seconds(record).values())
    head = f"{record['started'][:19].replace('T', ' ')} {record['trigger']} {record['status']}"
    if record["status"] == "failed":
        return f"{head}: {record['error']} (the current snapshot is unchanged)"
    if record["status"] == "unchanged":
        body = f"nothing changed (same inputs and extractor), nothing published; {record['current']} stays current"
    else:
        counts = record.get("counts", {})
        body = (f"published {record['run_id']}: papers {changes_text(record)}, {counts.get('claims', 0)} claims, "
                f"{counts.get('quarantine', 0)} quarantined")
    errors = run_errors(record)
    return f"{head}: {body} in {seconds:.1f} s" + (f"; {len(errors)} source errors" if errors else "")


def runs_table(records: Sequence[dict]) -> Table:
    table = Table(title="runs, newest last (run ids start with the UTC time; papers: +new ~changed -removed)")
    table.add_column("run", no_wrap=True, min_width=len("20261123T091700123456Z-1a2b3c"))
    table.add_column("by")
    table.add_column("status")
    for name in ("papers", "claims", "quar.", "errors"):
        table.add_column(name, justify="right")
    table.add_column("seconds per stage")
    colours = {"ok": "green", "unchanged": "cyan", "failed": "red"}
    for record in records:
        counts = record.get("counts", {})
        status = record.get("status", "?")
        seconds = ", ".join(f"{stage} {s:.2f}" for stage, s in stage_seconds(record).items() if s >= 0.005)
        table.add_row(
            record.get("run_id", ""),
            record.get("trigger", ""),
            f"[{colours.get(status, 'yellow')}]{status}[/]",
            changes_text(record),
            str(counts.get("claims", "–")),
            str(counts.get("quarantine", "–")),
            str(len(run_errors(record)) + (status == "failed")),
            seconds or "–",
        )
    return table


# ---------------------------------------------------------------------------------------------
# Scheduling


def parse_every(text: str) -> timedelta:
    """ "30m", "6h", "1d" -> a timedelta (the syntax of [schedule] every)."""
    match = EVERY.match(text)
    if not match or int(match[1]) == 0:
        raise ValueError(f'expected a positive duration like "30m", "6h" or "1d", got {text!r}')
    return timedelta(**{EVERY_UNITS[match[2]]: int(match[1])})


def make_trigger(schedule: Schedule) -> Trigger:
    if schedule.every is not None:
        return IntervalTrigger(seconds=schedule.every.total_seconds(), timezone=schedule.timezone)
    return CronTrigger.from_crontab(schedule.cron, timezone=schedule.timezone)


def describe_schedule(schedule: Schedule) -> str:
    return f"every {schedule.every}" if schedule.every else f'on cron "{schedule.cron}" ({schedule.timezone})'


def schedule_from_args(args: argparse.Namespace, config: Config | None) -> Schedule:
    """--every / --cron, else the config's [schedule]; --timezone overrides the config's."""
    configured = config.schedule if config else None
    timezone = args.timezone or (configured.timezone if configured else "UTC")
    if args.every or args.cron:
        return Schedule(every=parse_every(args.every) if args.every else None, cron=args.cron, timezone=timezone)
    if configured is None:
        raise ValueError("give --every or --cron, or a config with a [schedule] section")
    return replace(configured, timezone=timezone)


def scheduled_refresh(plan: RefreshPlan, report: Report) -> None:
    """One scheduled run. Never raises: a failure is recorded and reported, and the next run tries again."""
    try:
        record = refresh(plan, trigger="schedule")
    except LockHeld as err:
        report(f"skipped: {err}")
    except Exception as err:  # recorded in runs.jsonl by refresh
        report(f"refresh failed: {type(err).__name__}: {err}; the current snapshot is still served")
    else:
        report(describe_run(record))


def add_refresh_job(
    scheduler: BackgroundScheduler | BlockingScheduler, plan: RefreshPlan, trigger: Trigger, report: Report
) -> None:
    """The refresh job runs once now, then on ``trigger``; never two at once, missed runs coalesced."""
    scheduler.add_job(
        scheduled_refresh, trigger, args=(plan, report), id="refresh", name=f"refresh {plan.store}",
        max_instances=1, coalesce=True, misfire_grace_time=None, next_run_time=datetime.now(UTC),
    )


def start_background_refresh(
    config_or_store: Config | Path, every: str | timedelta, report: Report | None = None
) -> BackgroundScheduler:
    """Refresh in a background thread every ``every`` (e.g. "6h"); returns the started scheduler.

    For ``claimboard serve --refresh-every``: with a Config its sources and store are used; with a
    store path, the sources its current snapshot was built from. Call ``.shutdown()`` to stop.
    """
    plan = plan_from_config(config_or_store) if isinstance(config_or_store, Config) else plan_for_store(config_or_store)
    interval = parse_every(every) if isinstance(every, str) else every
    scheduler = BackgroundScheduler(daemon=True, timezone="UTC")
    add_refresh_job(scheduler, plan, make_trigger(Schedule(interval, None, "UTC")), report or _stderr_report)
    scheduler.start()
    return scheduler


def _stderr_report(message: str) -> None:
    print(f"[claimboard refresh] {message}", file=sys.stderr, flush=True)


# ---------------------------------------------------------------------------------------------
# CLI


def _add_store_flags(parser: argparse.ArgumentParser) -> None:
    parser.add_argument("--config", type=Path, metavar="TOML",
                        help=f"settings file (default: ./{DEFAULT_CONFIG_NAME} if it exists)")
    parser.add_argument("--store", type=Path, metavar="DIR",
                        help=f"store directory (default: the config's [store] dir, else {DEFAULT_STORE})")


def _add_refresh_flags(parser: argparse.ArgumentParser) -> None:
    _add_store_flags(parser)
    parser.add_argument("--source", action="append", type=Path, metavar="PATH",
                        help="local listing page / JSONL / CSV file or folder, repeatable; replaces the config's "
                        "local sources (remote ones are still fetched); without a config the default is the "
                        "current snapshot's sources, else the bundled corpus")
    parser.add_argument("--replay", action="store_true",
                        help="rebuild remote sources from their stored raw responses, no network")
    parser.add_argument("--keep", type=int, metavar="N", help="snapshots to keep (default: config, else 5)")


def _config(args: argparse.Namespace) -> Config | None:
    if args.config is not None:
        return load_config(args.config)
    default = Path(DEFAULT_CONFIG_NAME)
    return load_config(default) if default.is_file() else None


def plan_from_args(args: argparse.Namespace, config: Config | None) -> RefreshPlan:
    store = args.store or (config.store.dir if config else DEFAULT_STORE)
    base = plan_from_config(config) if config else plan_for_store(store)
    return RefreshPlan(
        store=Path(store),
        sources=tuple(args.source) if args.source else base.sources,
        remote=base.remote,
        fetch=base.fetch,
        keep=args.keep or base.keep,
    )


def store_from_args(args: argparse.Namespace) -> Path:
    config = _config(args)
    return Path(args.store or (config.store.dir if config else DEFAULT_STORE))


def configure_refresh(parser: argparse.ArgumentParser) -> None:
    _add_refresh_flags(parser)
    parser.add_argument("--quiet", action="store_true", help="no progress display, summary only")
    parser.epilog = (
        "examples:\n"
        "  claimboard refresh                          # ./claimboard.toml, or the store's own sources\n"
        "  claimboard refresh --config claimboard.toml # fetch remote sources, then re-ingest what changed\n"
        "  claimboard refresh --source listings/ --store /srv/claimboard\n"
        "  claimboard refresh --config claimboard.toml --replay   # offline, from stored raw responses\n"
        "Only changed files are re-read and only changed abstracts re-extracted; when nothing changed\n"
        "no snapshot is published and the run is recorded as \"unchanged\". A corrupt file is reported by\n"
        "name and the rest still publishes; a source that cannot be read at all (missing path, no\n"
        "permission: a source that is down) fails the run, so the current snapshot keeps being served.\n"
        "exit status: 0 published or unchanged, 1 failed (recorded; the current snapshot stays),\n"
        "3 another refresh or ETL holds the store's lock."
    )


def run_refresh(args: argparse.Namespace) -> int:
    console = Console(stderr=True)
    try:
        plan = plan_from_args(args, _config(args))
    except ConfigError as err:
        console.print(f"[red]config error[/red]: {err}")
        return EXIT_FAILED
    status, record = run_with_status(
        "refresh", lambda progress: refresh(plan, replay=args.replay, progress=progress), args.quiet,
        f"recorded in {plan.store}/runs.jsonl; the current snapshot (if any) is still current",
    )
    if record is None:
        return status
    if record["status"] == "ok":
        print_run_summary(record, plan.store)
    for error in fetch_errors(record):
        console.print(f"[yellow]fetch error[/yellow]: {error}")
    print(describe_run(record))
    return 0


def configure_schedule(parser: argparse.ArgumentParser) -> None:
    _add_refresh_flags(parser)
    when = parser.add_mutually_exclusive_group()
    when.add_argument("--every", metavar="DURATION", help='interval such as "30m", "6h", "1d"')
    when.add_argument("--cron", metavar="CRONTAB", help='five crontab fields, e.g. "0 6 * * *"')
    parser.add_argument("--timezone", help="time zone for --cron (default: the config's, else UTC)")
    parser.epilog = (
        "examples:\n"
        "  claimboard schedule --every 6h\n"
        '  claimboard schedule --cron "15 6 * * *" --config claimboard.toml\n'
        "  claimboard schedule --config claimboard.toml   # uses its [schedule] section\n"
        "Runs one refresh at start, then on the schedule, until interrupted (Ctrl-C). Each run's result\n"
        "is printed and recorded; a failed run leaves the current snapshot and the next run tries again.\n"
        "Runs never overlap: a run due while the previous one is still going is skipped."
    )


def run_schedule(args: argparse.Namespace) -> int:
    try:
        config = _config(args)
        plan = plan_from_args(args, config)
        schedule = schedule_from_args(args, config)
        trigger = make_trigger(schedule)
    except (ConfigError, ValueError) as err:  # a bad crontab is a ValueError too
        print(f"schedule: {err}", file=sys.stderr)
        return EXIT_FAILED
    scheduler = BlockingScheduler(timezone="UTC")
    add_refresh_job(scheduler, plan, trigger, lambda message: print(message, flush=True))
    print(f"refreshing {plan.store} now, then {describe_schedule(schedule)}; Ctrl-C to stop", flush=True)
    try:
        scheduler.start()
    except (KeyboardInterrupt, SystemExit):
        pass
    return 0


def configure_runs(parser: argparse.ArgumentParser) -> None:
    _add_store_flags(parser)
    parser.add_argument("--limit", type=int, default=20, metavar="N", help="newest N runs (default: %(default)s)")
    parser.add_argument("--json", action="store_true", help="print the run records as JSON")
    parser.epilog = (
        "examples:\n"
        "  claimboard runs\n"
        "  claimboard runs --store /srv/claimboard --limit 50\n"
        "  claimboard runs --json | jq '.[] | select(.status == \"failed\") | .error'\n"
        "papers +new ~changed -removed count content changes against the snapshot current before the run."
    )


def run_runs(args: argparse.Namespace) -> int:
    try:
        store = store_from_args(args)
    except ConfigError as err:
        print(f"runs: {err}", file=sys.stderr)
        return EXIT_FAILED
    records = read_runs(store)[-args.limit:] if args.limit > 0 else []
    if args.json:
        print(json.dumps(records, indent=2, default=str))
    elif not records:
        print(f"no runs recorded in {store}")
    else:
        Console().print(runs_table(records))
    return 0


def configure_diff(parser: argparse.ArgumentParser) -> None:
    _add_store_flags(parser)
    parser.add_argument("run_a", nargs="?", metavar="RUN_A", help="older snapshot (run id or a unique prefix)")
    parser.add_argument("run_b", nargs="?", metavar="RUN_B", help="newer snapshot (default: the current one)")
    parser.add_argument("--json", action="store_true", help="print the differences as JSON")
    parser.epilog = (
        "examples:\n"
        "  claimboard diff                              # the last two snapshots\n"
        "  claimboard diff 20261123T0600                # that snapshot -> the current one\n"
        "  claimboard diff 20261122T0600 20261123T0600 --json\n"
        "Lines: + added, ~ changed (old -> new), - withdrawn. Snapshots are listed by `claimboard runs`;\n"
        "unchanged and failed runs publish none."
    )


def run_diff(args: argparse.Namespace) -> int:
    try:
        store = store_from_args(args)
        old_id, new_id = pick_snapshots(list_snapshots(store), current_run_id(store), args.run_a, args.run_b)
        old, new = load_snapshot(store, old_id), load_snapshot(store, new_id)
    except (ConfigError, ValueError, OSError) as err:
        print(f"diff: {err}", file=sys.stderr)
        return EXIT_FAILED
    diff = diff_snapshots(old, new)
    if args.json:
        print(json.dumps(diff_as_json(diff), indent=2, default=str))
    else:
        print("\n".join(render_diff(diff)))
    return 0


def pick_snapshots(
    snapshots: Sequence[str], current: str | None, run_a: str | None, run_b: str | None
) -> tuple[str, str]:
    """(older, newer) run ids: both given, RUN_A -> current, or the last two snapshots."""
    if run_a is None:
        if len(snapshots) < 2:
            raise ValueError(f"need two snapshots to compare, the store has {len(snapshots)}")
        return snapshots[-2], snapshots[-1]
    newer = resolve_run(run_b, snapshots) if run_b else current
    if newer is None:
        raise ValueError("the store has no current snapshot")
    return resolve_run(run_a, snapshots), newer


def resolve_run(prefix: str, snapshots: Sequence[str]) -> str:
    matches = [s for s in snapshots if s.startswith(prefix)]
    if len(matches) != 1:
        kept = ", ".join(snapshots) or "none"
        problem = "matches several" if matches else "matches no"
        raise ValueError(f"{prefix!r} {problem} snapshot (kept: {kept}; unchanged and failed runs publish none)")
    return matches[0]
