"""Store: versioned Parquet snapshots, the atomic "current" pointer, the run history, the lock.

This is the store's public API: the dashboard and the commands import from here only.
"""

from etl.store.atomic import atomic_write_bytes
from etl.store.csvsafe import csv_text, neutralise_cell, neutralise_formulas, restore_cell
from etl.store.mapped import (
    CLAIM_PAPER_COLUMNS,
    FACT_COLUMNS,
    PAPER_COLUMNS,
    RANK_COLUMNS,
    VIEW_FILES,
    VIEW_VERSION,
    add_views,
    claims_view,
    open_views,
    paper_search_text,
    papers_view,
    read_views,
)
from etl.store.runs import RUNS_LOG, RunRecord, read_run_records, read_runs, record_run
from etl.store.snapshots import (
    CURRENT,
    DEFAULT_STORE,
    OPTIONAL_TABLES,
    ROW_GROUP_ROWS,
    TABLES,
    Snapshot,
    ShrinkRefused,
    SnapshotStore,
    StoreError,
    check_shrink,
    current_run_id,
    last_good_snapshot,
    list_snapshots,
    load_snapshot,
    new_run_id,
    prune,
    publish,
    snapshots_dir,
    write_snapshot,
)

__all__ = [
    "CLAIM_PAPER_COLUMNS", "CURRENT", "DEFAULT_STORE", "FACT_COLUMNS", "OPTIONAL_TABLES", "PAPER_COLUMNS",
    "RANK_COLUMNS", "ROW_GROUP_ROWS", "RUNS_LOG", "TABLES", "VIEW_FILES", "VIEW_VERSION", "RunRecord", "ShrinkRefused", "Snapshot",
    "SnapshotStore", "StoreError", "add_views", "atomic_write_bytes", "check_shrink", "claims_view", "csv_text",
    "current_run_id", "last_good_snapshot", "list_snapshots", "load_snapshot", "neutralise_cell", "neutralise_formulas",
    "new_run_id", "open_views", "paper_search_text", "papers_view", "prune", "publish", "read_run_records", "read_runs", "read_views",
    "record_run", "restore_cell", "snapshots_dir", "write_snapshot",
]
