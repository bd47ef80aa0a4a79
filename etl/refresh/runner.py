"""One refresh: fetch, hash, decide whether anything changed, then run the pipeline with the caches."""

from __future__ import annotations

import json
import time
import traceback
from dataclasses import dataclass
from datetime import UTC, datetime
from pathlib import Path

import polars as pl

from etl import extract, ingest, review
from etl.pipeline import BUNDLED_CORPUS, DEFAULT_KEEP, DEFAULT_MIN_FRACTION, Progress, StageClock, Tables, run_etl
from etl.refresh.caches import (
    CACHE_DIR,
    SOURCE_CACHE,
    STAT_CACHE,
    CachedExtractor,
    CachedReader,
    extraction_cache_path,
    read_json,
    write_cache_file,
)
from etl.refresh.config import Config, FetchSettings, RemoteSource, ResolveSettings
from etl.refresh.fetch import FetchResult, fetch_source, prune_raw
from etl.refresh.hashing import INGEST_CODE, PIPELINE_CODE, InputHashes, code_digest, hash_inputs
from etl.refresh.resolve import ResolveResult, resolve_titles
from etl.store import SnapshotStore, StoreError, current_run_id, new_run_id, record_run, snapshots_dir
from etl.store.diff import paper_changes
from etl.store.lock import store_lock
from etl.store.retention import rotate_run_log


class SourceUnavailable(RuntimeError):
    """An input cannot be read at all (missing, no permission): a source that is down, not a bad file."""


@dataclass(frozen=True)
class RefreshPlan:
    """What a refresh reads and where it publishes."""

    store: Path
    sources: tuple[Path, ...]  # local files and folders
    remote: tuple[RemoteSource, ...] = ()
    fetch: FetchSettings | None = None
    keep: int = DEFAULT_KEEP
    resolve: ResolveSettings | None = None  # listing titles -> arXiv ids and dates (etl.refresh.resolve)
    corrections: Path | None = None  # the corrections file; None: <store>/corrections.jsonl
    allow_shrink: bool = False  # publish even a run with no paper / far fewer than the current snapshot
    min_fraction: float = DEFAULT_MIN_FRACTION  # etl.store.check_shrink


def plan_from_config(config: Config) -> RefreshPlan:
    return RefreshPlan(config.store.dir, config.local_paths, config.remote_sources, config.fetch, config.store.keep,
                       config.resolve, config.corrections, min_fraction=config.store.min_fraction)


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
    resolved: ResolveResult | None = None
    corrections_sha256: str | None = None  # None: no corrections file

    def summary(self) -> dict:
        return ({"resolve": self.resolved.summary()} if self.resolved else {}) | {
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
    """Same input bytes, same pipeline code, same extractor version, same corrections file as the current snapshot."""
    built_by = (current or {}).get("refresh", {})
    return (
        current is not None
        and (current.get("corrections_file") or {}).get("sha256") == prepared.corrections_sha256
        and current.get("extractor_version") == extract.EXTRACTOR_VERSION
        and built_by.get("inputs_sha256") == prepared.hashes.sha256
        and built_by.get("code_sha256") == prepared.code_sha256
    )


def prepare(plan: RefreshPlan, replay: bool, progress: Progress | None, strict: bool = True) -> Prepared:
    """Fetch remote sources, then hash every input file; raises SourceUnavailable if one cannot be
    read (unless not ``strict``: a full `etl` leaves such a file to ingest, which reports it by name)."""
    clock = StageClock()
    with clock.stage("fetch", progress):
        fetched = tuple(
            fetch_source(source, plan.store, plan.fetch, replay=replay, progress=progress) for source in plan.remote
        )
    paths = plan.sources + tuple(f.path for f in fetched)
    resolved = None
    if plan.resolve is not None and plan.resolve.arxiv_titles and plan.fetch is not None:
        with clock.stage("resolve", progress):
            resolved = resolve_titles(plan.sources, plan.store, plan.fetch, plan.resolve, replay=replay, progress=progress)
        paths += (resolved.path,) if resolved.path.exists() else ()
    with clock.stage("hash", progress):
        files, _ = ingest.expand_paths(paths)  # ingest reports directory errors itself
        stat_path = Path(plan.store) / CACHE_DIR / STAT_CACHE
        hashes = hash_inputs(files, read_json(stat_path) or {}, time.time_ns())
        write_cache_file(stat_path, lambda tmp: tmp.write_text(json.dumps(hashes.stat_cache), encoding="utf-8"))
        code = code_digest(PIPELINE_CODE)
    if hashes.unreadable and strict:
        problems = "; ".join(f"{path}: {why}" for path, why in hashes.unreadable.items())
        raise SourceUnavailable(f"cannot read {problems}")
    corrections = review.file_sha256(review.corrections_path(plan.store, plan.corrections))
    return Prepared(paths, fetched, hashes, code, clock.seconds, replay, resolved, corrections)


def refresh(
    plan: RefreshPlan, *, trigger: str = "manual", replay: bool = False, progress: Progress | None = None,
    full: bool = False,
) -> dict:
    """Run one refresh; returns its run record (status "ok" or "unchanged").

    Raises LockHeld (nothing recorded) when another run holds the store; any other failure is
    recorded in runs.jsonl and raised, and the current snapshot stays current.

    ``full`` is `claimboard etl`: every file parsed and every abstract extracted again, always
    published, and an unreadable file reported by ingest instead of failing the run; but the
    caches (stat cache, parsed sources, extractions) and the input hashes in the manifest are
    written as by a refresh, so a refresh right after it with no change publishes nothing.
    """
    with store_lock(plan.store):
        try:
            return _refresh_locked(plan, trigger, replay, progress, full)
        finally:
            housekeeping(plan.store)


def housekeeping(store: Path) -> None:
    """Bounded growth, under the store lock once the run is recorded: stored raw responses
    pruned by count and age, the run log rotated. A failure here costs disk space, not the run."""
    try:
        prune_raw(Path(store) / "raw")
        rotate_run_log(store)
    except OSError:
        pass


def _refresh_locked(plan: RefreshPlan, trigger: str, replay: bool, progress: Progress | None, full: bool) -> dict:
    started = datetime.now(UTC).isoformat()
    try:
        prepared = prepare(plan, replay, progress, strict=not full)
    except Exception as err:
        record_run(plan.store, failed_record(plan, trigger, started, err))
        raise
    current = current_manifest(plan.store)
    if not full and is_unchanged(current, prepared):
        record = unchanged_record(plan, trigger, started, prepared, current)
        record_run(plan.store, record)
        return record
    cache = Path(plan.store) / CACHE_DIR
    reader = CachedReader(cache / SOURCE_CACHE, prepared.hashes.sha256, code_digest(INGEST_CODE), reuse=not full)
    extractor = CachedExtractor(extraction_cache_path(plan.store), reuse=not full)

    def annotate(tables: Tables) -> dict:
        return {
            "changes": changes_since(plan.store, current, tables.papers),
            "cache": {"sources_reused": reader.reused, "sources_parsed": reader.parsed,
                      "abstracts_reused": extractor.reused, "abstracts_extracted": extractor.extracted},
        }

    manifest = run_etl(
        prepared.paths, plan.store, keep=plan.keep, trigger=trigger, progress=progress,
        read_source=reader, extract_fn=extractor, manifest_extra={"refresh": prepared.summary()}, annotate=annotate,
        corrections=plan.corrections, allow_shrink=plan.allow_shrink, min_fraction=plan.min_fraction,
    )
    reader.prune()
    return manifest


def changes_since(store: Path, previous: dict | None, papers: pl.DataFrame) -> dict | None:
    """Papers new, changed and removed against the previous snapshot (None if it cannot be read)."""
    columns = ["paper_id", "content_hash"]
    if previous is None:
        return paper_changes(pl.DataFrame(schema={name: pl.Utf8 for name in columns}), papers)
    try:
        before = SnapshotStore(store).read("papers", columns, run_id=previous["run_id"])
    except StoreError:
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
        "corrections": current.get("corrections"),
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
