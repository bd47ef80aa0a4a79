"""Snapshot loading for the dashboard: one read-only ``Board`` per process, swapped on publish.

A ``Board`` is the current snapshot prepared once for every view: claims joined with their
paper (title, system, date), a lower-case search column and a paper number, papers joined
with their facts. ``SnapshotCache`` holds at most one Board and re-reads the store's "current"
pointer at most once per second, so a newly published snapshot is picked up without a restart
and several gunicorn workers share nothing but the files. The cache reads only the columns the
dashboard shows (no abstracts) and only the first quarantined rows.

A Board from the snapshot's memory-mapped view files keeps only the columns every claim is
read in mapped for good (``HOT_CLAIM_COLUMNS``: what filters, counts, colours, sort ranks and the
baselines' statistics read; ``HOT_PAPER_COLUMNS``). ``board.claims`` / ``board.papers`` (every
column: the long texts, the search text, the rest of a claim's fields) come from a second mapping
of the same files, which the worker keeps between requests only while its RSS stays under
``RSS_BUDGET_MB``: after a request that leaves it above, ``Board.trim`` drops that mapping and the
pages it touched leave the worker's resident set (the next request maps the files anew). So what
a worker keeps resident is bounded by the hot columns plus that budget, not by the long texts its
requests have touched; and a request does not pay for mapping the long texts again every time.

Views never copy the whole claims frame: ``Board.select(filters)`` evaluates the filter as one
Polars expression over the cached frame and keeps only the matching row numbers (a
``Selection``); a view then gathers the few columns it needs, or a sample, or one table page.
What does not depend on the filter (option lists, header counts, sort ranks) is computed
once per snapshot.
"""

from __future__ import annotations

import dataclasses
import datetime as dt
import io
import os
import threading
import time
import weakref
from collections import OrderedDict
from collections.abc import Callable, Hashable, Iterable
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import numpy as np
import polars as pl

from dashboard.filters import PREVIOUS, Contains, Context, Filters, NewSince
from etl.store import (
    CLAIM_PAPER_COLUMNS,
    FACT_COLUMNS,
    PAPER_COLUMNS,
    RANK_COLUMNS,
    TABLES,
    Snapshot,
    SnapshotStore,
    StoreError,
    claims_view,
    current_run_id,
    list_snapshots,
    open_views,
    papers_view,
    read_views,
)

__all__ = ["CLAIM_PAPER_COLUMNS", "FACT_COLUMNS", "PAPER_COLUMNS", "Board", "Selection", "SnapshotCache",
           "claims_view", "load_board", "papers_view", "read_snapshot"]

#: what the dashboard reads of each table from Parquet (None: every column); the abstracts stay on disk
READ_COLUMNS: dict[str, list[str] | None] = {"papers": PAPER_COLUMNS, "claims": None, "facts": FACT_COLUMNS,
                                             "quarantine": None}
QUARANTINE_ROWS = 200  # quarantined rows the header lists (the count is always exact)
SELECTIONS_KEPT = 8  # filtered row-number sets kept per worker (at most 4 MB each at 1M claims)
MASKS_KEPT = 8  # text-search matches kept per worker (a 125 KB bitmap each at 1M claims)
#: the claims columns a mapped Board keeps mapped for good (read over every claim by filters,
#: counts, colours, sort ranks and the baselines' statistics); the others are mapped per request
#: (not ``paper_id``: the compared papers' filter and "new since" read it per request or once;
#: not ``warning``: what is counted of it is whether there is one, kept as a bitmap per worker;
#: not ``baseline``: only colouring by baseline reads it whole, and its sort rank is made once)
HOT_CLAIM_COLUMNS = ["paper_no", "metric", "multiplier", "better", "published", "is_systems",
                     "baselines", "baseline_kinds", "hardware", "model_sizes", "gpu_counts", *RANK_COLUMNS.values()]
#: a worker keeps its mapping of every column between requests while its RSS stays under this (MB)
RSS_BUDGET_MB = int(os.environ.get("CLAIMBOARD_WORKER_RSS_MB", "450"))
HOT_PAPER_COLUMNS = ["is_systems"]  # the header's count (the papers' row count comes with any column)
PAPER_SEARCH = "search"  # the mapped papers view's precomputed compare-box text (views.paper_search_text)


def read_snapshot(store: Path, run_id: str) -> tuple[Snapshot, int]:
    """A published snapshot with only what the dashboard shows, and its quarantine row count.

    Like ``etl.store.load_snapshot`` but the papers without their abstracts and only the first
    ``QUARANTINE_ROWS`` quarantined rows (so ``Snapshot.quarantine`` is that head). Read through
    the store's public ``SnapshotStore``, never its files by path.
    """
    snapshots = SnapshotStore(store)
    try:
        path = snapshots.path(run_id)
        manifest = snapshots.manifest(run_id)
        frames = {}
        for name in TABLES:
            wanted = READ_COLUMNS[name]
            if name == "quarantine":
                frames[name], quarantined = read_quarantine(snapshots, run_id)
                continue
            schema = snapshots.schema(name, run_id)
            columns = None if wanted is None else [c for c in wanted if c in schema]
            frames[name] = snapshots.read(name, columns=columns, run_id=run_id)
    except (StoreError, OSError, ValueError, pl.exceptions.PolarsError) as err:
        raise StoreError(f"snapshot {run_id} in {store} cannot be loaded: {err}") from err
    return Snapshot(run_id=run_id, path=path, manifest=manifest, **frames), quarantined


def read_quarantine(snapshots: SnapshotStore, run_id: str) -> tuple[pl.DataFrame, int]:
    """The first ``QUARANTINE_ROWS`` quarantined rows and how many there are."""
    scan = snapshots.scan("quarantine", run_id)
    return scan.head(QUARANTINE_ROWS).collect(), scan.select(pl.len()).collect().item()


def load_board(store: Path, run_id: str) -> Board:
    """The Board of a published snapshot: its view files memory-mapped when it has them (one copy
    in the page cache for every worker), else built from its Parquet tables (a private copy)."""
    snapshots = SnapshotStore(store)
    try:
        views = snapshots.views(run_id)
        if views is None:
            snapshot, quarantined = read_snapshot(store, run_id)
            return Board.from_snapshot(store, snapshot, quarantined)
        quarantine, quarantined = read_quarantine(snapshots, run_id)
        snapshot = Snapshot(run_id=run_id, path=snapshots.path(run_id), manifest=snapshots.manifest(run_id),
                            papers=views["papers"].clear(), claims=views["claims"].clear(), facts=pl.DataFrame(),
                            quarantine=quarantine)
        files = open_views(snapshots.path(run_id))
    except (OSError, ValueError, pl.exceptions.PolarsError) as err:
        raise StoreError(f"snapshot {run_id} in {store} cannot be loaded: {err}") from err
    return Board.from_views(store, snapshot, views, quarantined, files)


def resident_mb() -> float | None:
    """This process's resident set (MB), None where /proc is not there."""
    try:
        with open("/proc/self/statm") as statm:
            return int(statm.read().split()[1]) * os.sysconf("SC_PAGE_SIZE") / 1e6
    except (OSError, ValueError, IndexError):
        return None


def _close_all(fds: list[int]) -> None:
    for fd in fds:
        try:
            os.close(fd)
        except OSError:
            pass


#: what the dashboard derives from the claims' list columns when it needs one value per claim
#: (sorting the table): the store keeps only the lists (a claim's whole setting)
DERIVED = {
    "model_size": pl.col("model_sizes").list.max(),  # the largest size a claim was measured at
    "gpu_count": pl.col("gpu_counts").list.max(),
    "hardware": pl.col("hardware").list.first(),  # the first device the claim names
    "baseline": pl.coalesce(pl.col("baseline"), pl.col("baselines").list.first()),
}


def derived_column(name: str) -> pl.Expr:
    """One value per claim for ``name``: a ``DERIVED`` expression, else the column itself."""
    return DERIVED[name].alias(name) if name in DERIVED else pl.col(name)


def run_date(run_id: str) -> dt.date:
    """Run ids start with their UTC start time: 20261123T091700Z-1a2b3c."""
    return dt.datetime.strptime(run_id[:8], "%Y%m%d").date()


def snapshot_paper_ids(store: Path, run_id: str) -> pl.Series:
    """Paper ids of a published (hence immutable) snapshot (read when asked: a Board keeps only
    the "new since" match it computes from them)."""
    try:
        return SnapshotStore(store).read("papers", columns=["paper_id"], run_id=run_id)["paper_id"]
    except StoreError as err:
        raise StoreError(f"snapshot {run_id} cannot be read: {err}") from err


def gather_rows(frame: pl.DataFrame | pl.Series, index: pl.Series) -> pl.DataFrame | pl.Series:
    """``frame[index]`` (any order), gathered chunk by chunk. The mapped views come in chunks (one
    per record batch); Polars gathers across chunks of strings and lists by touching whole
    columns (a 4,000-row sample of a 1M-claim view read ~600 MB of it), within one chunk only the
    rows it takes."""
    if isinstance(frame, pl.Series):
        return gather_rows(frame.to_frame(), index).to_series()
    lengths = frame.to_series(0).chunk_lengths() if frame.width else []
    if len(lengths) <= 1 or len(index) == 0 or set(frame.n_chunks("all")) != {len(lengths)}:
        return frame[index]
    rows = index.cast(pl.Int64).to_numpy()
    starts = np.cumsum([0, *lengths[:-1]])
    chunk = np.searchsorted(starts, rows, side="right") - 1
    order = np.argsort(chunk, kind="stable")
    chunk, rows = chunk[order], rows[order]
    bounds = np.searchsorted(chunk, np.arange(len(lengths) + 1))
    parts = [frame.slice(int(starts[c]), lengths[c])[pl.Series(rows[bounds[c]:bounds[c + 1]] - starts[c], dtype=pl.UInt32)]
             for c in range(len(lengths)) if bounds[c] < bounds[c + 1]]
    out = pl.concat(parts, rechunk=True)
    if np.all(order[1:] > order[:-1]):  # already in the asked order
        return out
    inverse = np.empty_like(order)
    inverse[order] = np.arange(len(order))
    return out[pl.Series(inverse, dtype=pl.UInt32)]


def detached(value: Any) -> Any:
    """A copy of a frame or series that shares no buffer with a mapped file (anything else as it
    is): a value kept past the request (a memo, a search match) must not keep the mapping of
    every column, and the pages it touched, alive; a derived column can share its source's
    buffers (a match shares the text's validity bitmap)."""
    if isinstance(value, pl.Series):
        return detached(value.to_frame()).to_series()
    if not isinstance(value, pl.DataFrame):
        return value
    buffer = io.BytesIO()
    value.write_ipc(buffer, compat_level=pl.CompatLevel.oldest())  # large strings: written compact
    buffer.seek(0)
    return pl.read_ipc(buffer)


def baseline_run(run_ids: list[str], current: str, since: str | dt.date) -> str | None:
    """The snapshot a "new since" filter compares against: the one before ``current``, or the
    last one made before the date. None when there is none (then every paper is new)."""
    earlier = [r for r in run_ids if r < current]
    if since == PREVIOUS:
        return earlier[-1] if earlier else None
    before = [r for r in earlier if run_date(r) < since]
    return before[-1] if before else None


@dataclass(frozen=True)
class Selection:
    """The claims one filter keeps: row numbers into ``board.claims`` (``index``, ascending;
    None means every claim). Columns are gathered only when asked for."""

    board: Board
    index: pl.Series | None

    @property
    def height(self) -> int:
        return self.board.hot_claims.height if self.index is None else len(self.index)

    def is_empty(self) -> bool:
        return self.height == 0

    def frame(self, columns: list[str] | None = None) -> pl.DataFrame:
        """These claims (every column, or only ``columns``), in snapshot order."""
        claims = self.board.claims if columns is None else self.board.claim_frame(columns).select(columns)
        return claims if self.index is None else gather_rows(claims, self.index)

    def column(self, name: str) -> pl.Series:
        series = self.board.claim_frame([name])[name]
        return series if self.index is None else gather_rows(series, self.index)

    def where(self, condition: pl.Expr) -> Selection:
        """The rows of this selection that also satisfy ``condition``."""
        claims = self.board.claim_frame(condition.meta.root_names())
        if self.index is not None:
            names = sorted(set(condition.meta.root_names())) or claims.columns[:1]
            claims = gather_rows(claims.select(names), self.index)
        kept = claims.lazy().with_row_index("_row").filter(condition).select("_row").collect()["_row"]
        return Selection(self.board, kept if self.index is None else self.index.gather(kept))

    def sample(self, limit: int, seed: int = 0) -> Selection:
        """At most ``limit`` of these rows: a fixed-seed random sample, kept in snapshot order."""
        if self.height <= limit:
            return self
        return Selection(self.board, self.row_numbers().sample(limit, seed=seed).sort())

    def row_numbers(self) -> pl.Series:
        """The snapshot row of each selected claim."""
        return self.index if self.index is not None else pl.int_range(0, self.height, dtype=pl.UInt32, eager=True)

    def papers(self) -> int:
        """How many distinct papers these claims come from."""
        if self.index is None:
            return self.board.memo("papers", lambda: self.board.hot_claims["paper_no"].n_unique())
        return self.column("paper_no").n_unique()

    def flagged(self) -> int:
        """How many of these claims carry a warning."""
        flagged = self.board.flagged_mask()
        return int(flagged.sum() if self.index is None else gather_rows(flagged, self.index).sum())


@dataclass(frozen=True)
class Board:
    """The current snapshot, prepared for every view. Read-only (``memo`` only adds derived values).

    ``hot_claims`` / ``hot_papers``: the frames kept for good (every column when built from
    Parquet; ``HOT_CLAIM_COLUMNS`` / ``HOT_PAPER_COLUMNS`` of the mapped view files). ``claims`` /
    ``papers``: every column (from the mapped files: a second mapping, kept until ``trim`` finds
    the process over its RSS budget). Values kept past a request are ``detached`` from it.
    """

    store: Path
    snapshot: Snapshot
    hot_claims: pl.DataFrame
    hot_papers: pl.DataFrame
    quarantined: int = 0  # rows in the snapshot's quarantine (``snapshot.quarantine`` may be only the head)
    views_dir: Path | None = None  # the snapshot directory whose view files ``claims`` / ``papers`` map
    view_files: dict = field(default_factory=dict, compare=False, repr=False)  # kind -> open descriptor
    _full: dict = field(default_factory=dict, compare=False, repr=False)  # kind -> every column, kept mapped (``trim``)
    _memo: dict = field(default_factory=dict, compare=False, repr=False)
    _masks: OrderedDict = field(default_factory=OrderedDict, compare=False, repr=False)
    _memo_locks: dict = field(default_factory=dict, compare=False, repr=False)
    _selections: OrderedDict = field(default_factory=OrderedDict, compare=False, repr=False)
    _lock: Any = field(default_factory=threading.RLock, compare=False, repr=False)

    @classmethod
    def from_snapshot(cls, store: Path, snapshot: Snapshot, quarantined: int | None = None) -> Board:
        """The Board of a snapshot. Its ``snapshot`` keeps the run id, path, manifest and quarantine;
        the papers, claims and facts live on in ``papers`` and ``claims`` only (one copy in memory)."""
        claims = claims_view(snapshot.claims, snapshot.papers)
        papers = papers_view(snapshot.papers, snapshot.facts)
        slim = dataclasses.replace(snapshot, papers=snapshot.papers.clear(), claims=snapshot.claims.clear(),
                                   facts=snapshot.facts.clear())
        return cls(store=store, snapshot=slim, hot_claims=claims, hot_papers=papers,
                   quarantined=snapshot.quarantine.height if quarantined is None else quarantined)

    @classmethod
    def from_views(cls, store: Path, snapshot: Snapshot, views: dict[str, pl.DataFrame], quarantined: int,
                   files: dict[str, int] | None = None) -> Board:
        """The Board of a snapshot's memory-mapped view files (``etl.store.mapped``): no copy is
        made; the hot columns stay mapped, the others are mapped again when asked for (through
        ``files``, open descriptors of the view files the Board closes when it goes, so a snapshot
        pruned meanwhile is still read)."""
        claims, papers = views["claims"], views["papers"]
        board = cls(store=store, snapshot=snapshot,
                    hot_claims=claims.select([c for c in HOT_CLAIM_COLUMNS if c in claims.columns]),
                    hot_papers=papers.select([c for c in HOT_PAPER_COLUMNS if c in papers.columns]),
                    quarantined=quarantined, views_dir=Path(snapshot.path), view_files=dict(files or {}))
        board._memo["claim_columns"] = claims.columns
        if files:
            weakref.finalize(board, _close_all, list(files.values()))
        return board

    def _mapped(self, kind: str) -> pl.DataFrame:
        frame = self._full.get(kind)
        if frame is None:
            frame = self._full[kind] = self._map(kind)
        return frame

    def trim(self, budget_mb: float | None = None) -> bool:
        """Drop the mapping of every column (``claims`` / ``papers``) when this process's RSS is
        over ``budget_mb`` (default ``RSS_BUDGET_MB``): the pages requests touched through it
        leave the resident set once no request uses it. True when it was dropped."""
        if not self._full:
            return False
        resident = resident_mb()
        if resident is not None and resident <= (RSS_BUDGET_MB if budget_mb is None else budget_mb):
            return False
        self._full.clear()  # unmapping a few hundred MB takes ~20 ms: the server does it after the response is sent
        return True

    def _map(self, kind: str) -> pl.DataFrame:
        try:
            frames = read_views(self.views_dir, (kind,), self.view_files or None)
        except (OSError, ValueError, pl.exceptions.PolarsError) as err:
            raise StoreError(f"view files of snapshot {self.run_id}: {err}") from err
        if frames is None:
            raise StoreError(f"the view files of snapshot {self.run_id} changed or went away")
        return frames[kind]

    @property
    def claims(self) -> pl.DataFrame:
        """Every claims column (``claims_view``). From mapped view files, the second mapping (see
        ``trim``): take the rows needed and drop the frame (a frame kept by the caller keeps its
        mapping, and the pages it touched, resident)."""
        return self._mapped("claims") if self.views_dir is not None else self.hot_claims

    @property
    def papers(self) -> pl.DataFrame:
        """Every papers column (``papers_view``); from mapped view files, the second mapping (as ``claims``)."""
        if self.views_dir is None:
            return self.hot_papers
        return self._mapped("papers").drop(PAPER_SEARCH, strict=False)

    @property
    def claim_columns(self) -> list[str]:
        return self._memo.get("claim_columns") or self.hot_claims.columns

    def claim_frame(self, columns: Iterable[str]) -> pl.DataFrame:
        """A claims frame holding ``columns``: the hot one when it has them all, else ``claims``."""
        return self.hot_claims if set(columns) <= set(self.hot_claims.columns) else self.claims

    def flagged_mask(self) -> pl.Series:
        """Whether each claim carries a warning (a bitmap, computed once per snapshot)."""
        return self.memo("flagged", lambda: self.claim_frame(["warning"])["warning"].is_not_null())

    def paper_search(self) -> pl.Series | None:
        """The mapped papers view's precomputed compare-box text (the second mapping); None from Parquet."""
        if self.views_dir is None:
            return None
        papers = self._mapped("papers")
        return papers[PAPER_SEARCH] if PAPER_SEARCH in papers.columns else None

    def precomputed(self, kind: Any, value: Any) -> pl.Series | None:
        """The rows (a Boolean mask over the claims) a filter kind keeps, when the Board computes
        them itself rather than an expression over ``hot_claims``: the text search when its text is
        not a hot column, and "new since" (the earlier snapshot's ids are read, compared, dropped)."""
        if isinstance(kind, Contains) and kind.column not in self.hot_claims.columns:
            key = (kind.column, value.lower())
            with self._lock:
                if key in self._masks:
                    self._masks.move_to_end(key)
                    return self._masks[key]
            mask = detached(self.claims.select(kind.expr(value, Context())).to_series())
            with self._lock:
                self._masks[key] = mask
                while len(self._masks) > MASKS_KEPT:
                    self._masks.popitem(last=False)
            return mask
        if isinstance(kind, NewSince):
            previous = baseline_run(list_snapshots(self.store), self.run_id, value)
            if previous is None:  # no earlier snapshot: every paper is new
                return pl.repeat(True, self.hot_claims.height, eager=True)
            return self.memo(("new", previous), lambda: self.claim_frame([kind.column]).select(
                ~pl.col(kind.column).is_in(snapshot_paper_ids(self.store, previous).implode())).to_series())
        return None

    def abstracts(self, paper_ids: list[str]) -> dict[str, str | None]:
        """The abstracts of a few papers, read on demand from the snapshot (never held)."""
        try:
            found = (SnapshotStore(self.store).scan("papers", self.run_id).select("paper_id", "abstract")
                     .filter(pl.col("paper_id").is_in(list(paper_ids))).collect())
        except (OSError, pl.exceptions.PolarsError) as err:
            raise StoreError(f"abstracts of snapshot {self.run_id}: {err}") from err
        return dict(zip(found["paper_id"].to_list(), found["abstract"].to_list(), strict=True))

    def memo(self, key: Hashable, compute: Callable[[], Any]) -> Any:
        """A value derived from this (immutable) snapshot, computed once: a second thread asking
        while it is computed (a request during warm-up) waits for it instead of computing it too."""
        try:
            return self._memo[key]
        except KeyError:
            pass
        with self._lock:
            lock = self._memo_locks.setdefault(key, threading.Lock())
        with lock:
            if key not in self._memo:
                self._memo[key] = detached(compute()) if self.views_dir is not None else compute()
            return self._memo[key]

    def reset_locks(self) -> None:
        """Fresh locks, for a forked child (a lock held in the parent at fork time stays held)."""
        object.__setattr__(self, "_lock", threading.RLock())
        object.__setattr__(self, "_memo_locks", {})

    @property
    def run_id(self) -> str:
        return self.snapshot.run_id

    @property
    def extractor_version(self) -> str:
        return str(self.snapshot.manifest.get("extractor_version", "unknown"))

    def known_paper_ids(self, since: str | dt.date) -> pl.Series | list[str]:
        previous = baseline_run(list_snapshots(self.store), self.run_id, since)
        return snapshot_paper_ids(self.store, previous) if previous else []

    def context(self) -> Context:
        return Context(known_paper_ids=self.known_paper_ids, precomputed=self.precomputed)

    def select(self, filters: Filters) -> Selection:
        """The claims a view with these filters shows, as row numbers (the last few are kept)."""
        active = tuple((f.name, value) for f, value in filters.active(filters.scopes()))
        if not active:
            return Selection(self, None)
        with self._lock:
            index = self._selections.get(active)
            if index is not None:
                self._selections.move_to_end(active)
                return Selection(self, index)
        expression = filters.expression(self.context())
        claims = self.claim_frame(expression.meta.root_names())
        index = claims.lazy().with_row_index("_row").filter(expression).select("_row").collect()["_row"]
        with self._lock:
            self._selections[active] = index
            while len(self._selections) > SELECTIONS_KEPT:
                self._selections.popitem(last=False)
        return Selection(self, index)

    def rows(self, filters: Filters) -> pl.DataFrame:
        """The claims a view with these filters shows (every column: for exports and tests)."""
        return self.select(filters).frame()

    def options(self, column: str) -> list[str]:
        """Distinct non-null values of a claims column (of its lists' values for a list column:
        ``baselines``, ``hardware``), most frequent first."""
        def compute() -> list[str]:
            claims = self.claim_frame([column])
            values = pl.col(column)
            if isinstance(claims.schema[column], pl.List):
                values = values.explode()
            counts = claims.select(values.drop_nulls().value_counts(sort=True)).unnest(column)
            return counts.sort(["count", column], descending=[True, False])[column].to_list()

        return self.memo(("options", column), compute)

    def sort_rank(self, column: str) -> pl.Series:
        """Dense rank (UInt32, nulls stay null) of a claims column, or of a value derived from it
        (``derived_column``: a list column sorts by its largest or first value), for paging sorted tables.
        Snapshots of this version carry them (``RANK_COLUMNS``: mapped, shared, never computed here)."""
        ranked = RANK_COLUMNS.get(column)
        if ranked in self.hot_claims.columns:
            return self.hot_claims[ranked]
        expression = derived_column(column)
        return self.memo(("rank", column), lambda: self.claim_frame(expression.meta.root_names()).select(
            expression).to_series().rank("dense").cast(pl.UInt32))

    def snapshot_dates(self) -> list[tuple[str, dt.date]]:
        """(run id, date) of each snapshot before the current one, newest first."""
        return [(r, run_date(r)) for r in reversed(list_snapshots(self.store)) if r < self.run_id]


class SnapshotCache:
    """One Board per process, keyed on the store's current run id (checked at most every second).

    ``warm``, if given, runs in a background thread after each load, to compute what the first
    requests would otherwise wait for (option lists, sort ranks); ``preload`` loads the current
    snapshot in the background right away, so a new worker is ready before its first request.
    """

    def __init__(self, store: Path, recheck_seconds: float = 1.0, clock: Callable[[], float] = time.monotonic,
                 warm: Callable[[Board], None] | None = None):
        self.store = Path(store)
        self._recheck_seconds = recheck_seconds
        self._clock = clock
        self._warm = warm
        self._lock = threading.Lock()
        self._board: Board | None = None
        self._checked_at = float("-inf")
        self._loading = False

    def preload(self) -> threading.Thread:
        """Load the current snapshot in a background thread (errors are left for the first request)."""
        os.register_at_fork(after_in_child=self._after_fork)

        def load() -> None:
            try:
                self.get()
            except StoreError:
                pass

        thread = threading.Thread(target=load, name="claimboard-preload", daemon=True)
        thread.start()
        return thread

    def _after_fork(self) -> None:
        """In a forked child (gunicorn --preload): keep a finished Board, drop a half-loaded one."""
        self._lock = threading.Lock()
        if self._loading:
            self._board, self._checked_at, self._loading = None, float("-inf"), False
        if self._board is not None:
            self._board.reset_locks()

    def _warm_then_trim(self, board: Board) -> None:
        self._warm(board)
        board.trim()

    def trim(self) -> None:
        """``Board.trim`` of the current Board (after each request: see ``dashboard.app``)."""
        board = self._board
        if board is not None:
            board.trim()

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
                self._board = None  # the old frames can go before the new ones are read
                self._loading = True
                try:
                    self._board = load_board(self.store, run_id)
                finally:
                    self._loading = False
                if self._warm is not None:
                    threading.Thread(target=self._warm_then_trim, args=(self._board,), name="claimboard-warm",
                                     daemon=True).start()
            self._checked_at = now
            return self._board
