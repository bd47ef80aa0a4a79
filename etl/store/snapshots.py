"""Store stage: versioned Parquet snapshots, a "current" pointer switched atomically.

Layout of a store directory::

    snapshots/<run_id>/papers.parquet, claims.parquet, facts.parquet, quarantine.parquet,
                       manifest.json, view-claims.arrow, view-papers.arrow (etl.store.mapped)
    current            {"run_id": ...}: replaced with os.replace, so readers see the old
                       snapshot or the new one, never a mix
    runs.jsonl         one manifest per run, failed runs included

A snapshot directory is written under a temporary name and renamed when complete, and the
pointer moves only after that; a run that dies at any point leaves the previous snapshot
current. Snapshots are immutable once published.
"""

from __future__ import annotations

import json
import os
import secrets
import shutil
from dataclasses import dataclass
from datetime import UTC, datetime
from pathlib import Path

import polars as pl
import pyarrow as pa

from etl.store.atomic import atomic_replace_dir, atomic_write_json
from etl.store.mapped import read_views, write_views

TABLES = ("papers", "claims", "facts", "quarantine")
#: tables a snapshot may lack (older snapshots): written when given, loaded when present, else None
OPTIONAL_TABLES = ("corrections",)
CURRENT = "current"
DEFAULT_STORE = Path("data/store")
#: Parquet row groups of at most this many rows (docs/architecture.md, "Performance notes")
ROW_GROUP_ROWS = 65_536


class StoreError(RuntimeError):
    """The store cannot be read or written (missing, corrupt, read-only, disk full)."""


class ShrinkRefused(RuntimeError):
    """A run would publish no paper, or far fewer than the current snapshot has (``check_shrink``)."""


@dataclass(frozen=True)
class Snapshot:
    run_id: str
    path: Path
    manifest: dict
    papers: pl.DataFrame
    claims: pl.DataFrame
    facts: pl.DataFrame
    quarantine: pl.DataFrame
    corrections: pl.DataFrame | None = None  # each reader's correction and its status (etl.review)


def new_run_id(now: datetime | None = None) -> str:
    """Sortable by time (microseconds), unique across processes: 20261123T091700123456Z-1a2b3c."""
    now = now or datetime.now(UTC)
    return f"{now:%Y%m%dT%H%M%S%fZ}-{secrets.token_hex(3)}"


def snapshots_dir(store: Path) -> Path:
    return Path(store) / "snapshots"


def write_snapshot(store: Path, run_id: str, tables: dict[str, pl.DataFrame], manifest: dict) -> Path:
    """Write every table and the manifest, then rename the finished directory into place."""
    final = snapshots_dir(store) / run_id
    tmp = snapshots_dir(store) / f".{run_id}.tmp"
    try:
        tmp.mkdir(parents=True, exist_ok=False)
        for name in (*TABLES, *OPTIONAL_TABLES):
            if name in OPTIONAL_TABLES and tables.get(name) is None:
                continue
            tables[name].write_parquet(tmp / f"{name}.parquet", statistics=True, row_group_size=ROW_GROUP_ROWS)
        # the dashboard's memory-mappable view files (etl.store.mapped), published with the tables
        write_views(tmp, tables)
        (tmp / "manifest.json").write_text(json.dumps(manifest, indent=2, default=str), encoding="utf-8")
        atomic_replace_dir(tmp, final)
    except (OSError, pl.exceptions.PolarsError) as err:  # Polars wraps a full disk's EFBIG/ENOSPC
        shutil.rmtree(tmp, ignore_errors=True)
        detail = err.strerror if isinstance(err, OSError) and err.strerror else str(err).splitlines()[0]
        raise StoreError(f"cannot write snapshot {run_id} to {final.parent}: {detail}") from err
    except BaseException:
        shutil.rmtree(tmp, ignore_errors=True)
        raise
    return final


def publish(store: Path, run_id: str) -> None:
    """Make ``run_id`` the current snapshot: one atomic rename of the pointer file."""
    if not (snapshots_dir(store) / run_id / "manifest.json").is_file():
        raise StoreError(f"snapshot {run_id} is not complete in {store}")
    try:
        atomic_write_json(Path(store) / CURRENT, {"run_id": run_id, "published": datetime.now(UTC).isoformat()})
    except OSError as err:
        raise StoreError(f"cannot publish {run_id} in {store}: {err.strerror or err}") from err


def current_run_id(store: Path) -> str | None:
    pointer = Path(store) / CURRENT
    try:
        return json.loads(pointer.read_text(encoding="utf-8"))["run_id"]
    except FileNotFoundError:
        return None
    except (OSError, ValueError, KeyError) as err:
        raise StoreError(f"{pointer}: unreadable current pointer ({err})") from err


def list_snapshots(store: Path) -> list[str]:
    """Complete snapshots, oldest first (run ids sort by time)."""
    root = snapshots_dir(store)
    if not root.is_dir():
        return []
    return sorted(p.name for p in root.iterdir() if not p.name.startswith(".") and (p / "manifest.json").is_file())


def load_snapshot(store: Path, run_id: str | None = None) -> Snapshot | None:
    """The given snapshot, or the current one; None when the store has none yet."""
    run_id = run_id or current_run_id(store)
    if run_id is None:
        return None
    path = snapshots_dir(store) / run_id
    try:
        manifest = json.loads((path / "manifest.json").read_text(encoding="utf-8"))
        frames = {
            name: pl.read_parquet(path / f"{name}.parquet")
            for name in (*TABLES, *OPTIONAL_TABLES)
            if name in TABLES or (path / f"{name}.parquet").is_file()
        }
    except (OSError, ValueError, pl.exceptions.PolarsError) as err:
        raise StoreError(f"snapshot {run_id} in {store} cannot be loaded: {err}") from err
    return Snapshot(run_id=run_id, path=path, manifest=manifest, **frames)


def snapshot_papers(store: Path, run_id: str) -> int | None:
    """The paper count a snapshot's manifest records; None when it cannot be read."""
    try:
        manifest = json.loads((snapshots_dir(store) / run_id / "manifest.json").read_text(encoding="utf-8"))
        return int(manifest["counts"]["papers"])
    except (OSError, ValueError, KeyError, TypeError):
        return None


def last_good_snapshot(store: Path) -> str | None:
    """The newest snapshot with at least one paper (what an accepted empty run must not prune away)."""
    for run_id in reversed(list_snapshots(store)):
        if (snapshot_papers(store, run_id) or 0) > 0:
            return run_id
    return None


def check_shrink(store: Path, papers: int, min_fraction: float, errors: list[str] | tuple[str, ...] = ()) -> None:
    """ShrinkRefused when a run of ``papers`` papers must not replace the current snapshot: it has
    none, or fewer than ``min_fraction`` of the current snapshot's papers. ``errors`` (the sources
    that could not be read) go into the message, since they are usually why."""
    try:
        current = current_run_id(store)
    except StoreError:
        current = None
    before = snapshot_papers(store, current) if current else None
    why = "; ".join(errors[:5]) + (f"; and {len(errors) - 5} more" if len(errors) > 5 else "")
    why = f" (source errors: {why})" if why else ""
    if papers == 0:
        against = f"; the current snapshot {current} has {before}" if before is not None else ""
        raise ShrinkRefused(f"the sources yielded no paper{why}{against}; nothing published "
                            "(pass --allow-shrink to publish an empty snapshot)")
    if before and papers < min_fraction * before:
        raise ShrinkRefused(f"the sources yielded {papers} papers, fewer than {min_fraction:g} of the {before} in the "
                            f"current snapshot {current}{why}; nothing published (pass --allow-shrink to publish it)")


def prune(store: Path, keep: int) -> list[str]:
    """Delete all but the newest ``keep`` snapshots and stray temp dirs; never the current
    snapshot nor the last good one (the newest with papers: ``last_good_snapshot``)."""
    spared = {current_run_id(store), last_good_snapshot(store)}
    snapshots = list_snapshots(store)
    doomed = [r for r in snapshots[: max(len(snapshots) - keep, 0)] if r not in spared]
    root = snapshots_dir(store)
    for run_id in doomed:
        # renamed out of the listing first: a run killed while deleting never leaves a half snapshot listed
        trash = root / f".{run_id}.tmp"
        os.replace(root / run_id, trash)
        shutil.rmtree(trash, ignore_errors=True)
    for stray in root.glob(".*.tmp"):
        shutil.rmtree(stray, ignore_errors=True)
    return doomed


@dataclass(frozen=True)
class SnapshotStore:
    """One store directory, read through its public layout: what the dashboard and commands use
    instead of opening its Parquet files by path. ``run_id=None`` means the current snapshot."""

    root: Path

    def __post_init__(self) -> None:
        object.__setattr__(self, "root", Path(self.root))

    def current_run_id(self) -> str | None:
        return current_run_id(self.root)

    def run_ids(self) -> list[str]:
        """Complete snapshots, oldest first."""
        return list_snapshots(self.root)

    def path(self, run_id: str | None = None) -> Path:
        run_id = run_id or self.current_run_id()
        if run_id is None:
            raise StoreError(f"no current snapshot in {self.root}")
        return snapshots_dir(self.root) / run_id

    def manifest(self, run_id: str | None = None) -> dict:
        try:
            return json.loads((self.path(run_id) / "manifest.json").read_text(encoding="utf-8"))
        except (OSError, ValueError) as err:
            raise StoreError(f"manifest of {run_id or 'the current snapshot'} in {self.root}: {err}") from err

    def table_path(self, table: str, run_id: str | None = None) -> Path:
        if table not in TABLES and table not in OPTIONAL_TABLES:
            raise ValueError(f"unknown table {table!r}, expected one of {TABLES + OPTIONAL_TABLES}")
        return self.path(run_id) / f"{table}.parquet"

    def scan(self, table: str, run_id: str | None = None) -> pl.LazyFrame:
        return pl.scan_parquet(self.table_path(table, run_id))

    def schema(self, table: str, run_id: str | None = None) -> pl.Schema:
        try:
            return pl.read_parquet_schema(self.table_path(table, run_id))
        except (OSError, pl.exceptions.PolarsError) as err:
            raise StoreError(f"{table} of {run_id or 'the current snapshot'} in {self.root}: {err}") from err

    def read(self, table: str, columns: list[str] | None = None, run_id: str | None = None) -> pl.DataFrame:
        try:
            return pl.read_parquet(self.table_path(table, run_id), columns=columns)
        except (OSError, pl.exceptions.PolarsError) as err:
            raise StoreError(f"{table} of {run_id or 'the current snapshot'} in {self.root}: {err}") from err

    def views(self, run_id: str | None = None) -> dict[str, pl.DataFrame] | None:
        """The dashboard's view frames of a snapshot, memory-mapped (``etl.store.mapped``); None
        when the snapshot was written without them."""
        try:
            return read_views(self.path(run_id))
        except (OSError, ValueError, pa.ArrowException, pl.exceptions.PolarsError) as err:
            raise StoreError(f"view files of {run_id or 'the current snapshot'} in {self.root}: {err}") from err

    def load(self, run_id: str | None = None) -> Snapshot | None:
        return load_snapshot(self.root, run_id)
