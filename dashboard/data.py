"""Snapshot loading for the dashboard: one read-only ``Board`` per process, swapped on publish.

A ``Board`` is the current snapshot prepared once for every view: claims joined with their
paper (title, system, date) and a lower-case search column, papers joined with their facts.
``SnapshotCache`` holds at most one Board and re-reads the store's "current" pointer at most
once per second, so a newly published snapshot is picked up without a restart and several
gunicorn workers share nothing but the files.
"""

from __future__ import annotations

import datetime as dt
import threading
import time
from collections.abc import Callable
from dataclasses import dataclass
from functools import lru_cache
from pathlib import Path

import polars as pl

from dashboard.filters import PREVIOUS, Context, Filters
from etl.store import Snapshot, StoreError, current_run_id, list_snapshots, load_snapshot, snapshots_dir

PAPER_COLUMNS = ["paper_id", "title", "system", "is_systems", "published", "sources", "upvotes"]


def claims_view(claims: pl.DataFrame, papers: pl.DataFrame) -> pl.DataFrame:
    """Claims with their paper's title, system and date, and the text the search box looks in."""
    joined = claims.join(papers.select(PAPER_COLUMNS), on="paper_id", how="left")
    return joined.with_columns(
        paper_label=pl.coalesce("system", "title"),
        haystack=pl.concat_str(["title", "system", "sentence"], separator="\n", ignore_nulls=True).str.to_lowercase(),
    )


def papers_view(papers: pl.DataFrame, facts: pl.DataFrame) -> pl.DataFrame:
    """Papers with their facts (list columns of sizes, GPU counts and hardware)."""
    fact_columns = ["paper_id", "model_sizes", "gpu_counts", "hardware", "models"]
    return papers.join(facts.select(fact_columns), on="paper_id", how="left")


def run_date(run_id: str) -> dt.date:
    """Run ids start with their UTC start time: 20261123T091700Z-1a2b3c."""
    return dt.datetime.strptime(run_id[:8], "%Y%m%d").date()


@lru_cache(maxsize=8)
def snapshot_paper_ids(store: Path, run_id: str) -> frozenset[str]:
    """Paper ids of a published (hence immutable) snapshot."""
    path = snapshots_dir(store) / run_id / "papers.parquet"
    try:
        return frozenset(pl.read_parquet(path, columns=["paper_id"])["paper_id"].to_list())
    except (OSError, pl.exceptions.PolarsError) as err:
        raise StoreError(f"snapshot {run_id} cannot be read: {err}") from err


def baseline_run(run_ids: list[str], current: str, since: str | dt.date) -> str | None:
    """The snapshot a "new since" filter compares against: the one before ``current``, or the
    last one made before the date. None when there is none (then every paper is new)."""
    earlier = [r for r in run_ids if r < current]
    if since == PREVIOUS:
        return earlier[-1] if earlier else None
    before = [r for r in earlier if run_date(r) < since]
    return before[-1] if before else None


@dataclass(frozen=True)
class Board:
    """The current snapshot, prepared for every view. Read-only."""

    store: Path
    snapshot: Snapshot
    claims: pl.DataFrame
    papers: pl.DataFrame

    @classmethod
    def from_snapshot(cls, store: Path, snapshot: Snapshot) -> Board:
        return cls(
            store=store,
            snapshot=snapshot,
            claims=claims_view(snapshot.claims, snapshot.papers),
            papers=papers_view(snapshot.papers, snapshot.facts),
        )

    @property
    def run_id(self) -> str:
        return self.snapshot.run_id

    @property
    def extractor_version(self) -> str:
        return str(self.snapshot.manifest.get("extractor_version", "unknown"))

    def known_paper_ids(self, since: str | dt.date) -> frozenset[str]:
        previous = baseline_run(list_snapshots(self.store), self.run_id, since)
        return snapshot_paper_ids(self.store, previous) if previous else frozenset()

    def context(self) -> Context:
        return Context(known_paper_ids=self.known_paper_ids)

    def rows(self, filters: Filters) -> pl.DataFrame:
        """The claims a view with these filters shows."""
        return filters.apply(self.claims, self.context())

    def options(self, column: str) -> list[str]:
        """Distinct non-null values of a claims column, most frequent first."""
        counts = self.claims.select(pl.col(column).drop_nulls().value_counts(sort=True)).unnest(column)
        return counts[column].to_list()

    def snapshot_dates(self) -> list[tuple[str, dt.date]]:
        """(run id, date) of each snapshot before the current one, newest first."""
        return [(r, run_date(r)) for r in reversed(list_snapshots(self.store)) if r < self.run_id]


class SnapshotCache:
    """One Board per process, keyed on the store's current run id (checked at most every second)."""

    def __init__(self, store: Path, recheck_seconds: float = 1.0, clock: Callable[[], float] = time.monotonic):
        self.store = Path(store)
        self._recheck_seconds = recheck_seconds
        self._clock = clock
        self._lock = threading.Lock()
        self._board: Board | None = None
        self._checked_at = float("-inf")

    def get(self) -> Board | None:
        """The current Board; None when the store has no snapshot yet. Raises StoreError."""
        with self._lock:
            now = self._clock()
            if now - self._checked_at < self._recheck_seconds:
                return self._board
            run_id = current_run_id(self.store)
            if run_id is None:
                self._board = None
            elif self._board is None or self._board.run_id != run_id:
                snapshot = load_snapshot(self.store, run_id)
                self._board = Board.from_snapshot(self.store, snapshot) if snapshot else None
            self._checked_at = now
            return self._board
