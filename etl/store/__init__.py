"""Store: versioned Parquet snapshots, the atomic "current" pointer, the run history, the lock.

This is the store's public API: the dashboard and the commands import from here only.
"""

from etl.store.atomic import atomic_write_bytes
from etl.store.csvsafe import csv_text, neutralise_cell, neutralise_formulas, restore_cell
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
    "CURRENT", "DEFAULT_STORE", "OPTIONAL_TABLES", "ROW_GROUP_ROWS", "RUNS_LOG", "TABLES", "RunRecord", "ShrinkRefused",
    "Snapshot", "SnapshotStore", "StoreError", "atomic_write_bytes", "check_shrink", "csv_text", "current_run_id",
    "last_good_snapshot", "list_snapshots", "load_snapshot", "neutralise_cell", "neutralise_formulas", "new_run_id",
    "prune", "publish", "read_run_records", "read_runs", "record_run", "restore_cell", "snapshots_dir", "write_snapshot",
]
