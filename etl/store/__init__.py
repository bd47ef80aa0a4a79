"""Store: versioned Parquet snapshots, the atomic "current" pointer, the run history, the lock.

This is the store's public API: the dashboard and the commands import from here only.
"""

from etl.store.mapped import (
    CLAIM_PAPER_COLUMNS,
    FACT_COLUMNS,
    PAPER_COLUMNS,
    VIEW_FILES,
    VIEW_VERSION,
    add_views,
    claims_view,
    paper_search_text,
    papers_view,
    read_views,
)
from etl.store.runs import RUNS_LOG, RunRecord, read_run_records, read_runs, record_run
from etl.store.snapshots import (
    CURRENT,
    DEFAULT_STORE,
    ROW_GROUP_ROWS,
    TABLES,
    Snapshot,
    SnapshotStore,
    StoreError,
    current_run_id,
    list_snapshots,
    load_snapshot,
    new_run_id,
    prune,
    publish,
    snapshots_dir,
    write_snapshot,
)

__all__ = [
    "CLAIM_PAPER_COLUMNS", "CURRENT", "DEFAULT_STORE", "FACT_COLUMNS", "PAPER_COLUMNS", "VIEW_FILES", "VIEW_VERSION",
    "add_views", "claims_view", "paper_search_text", "papers_view", "read_views", "ROW_GROUP_ROWS", "RUNS_LOG", "TABLES", "RunRecord", "Snapshot", "SnapshotStore",
    "StoreError", "current_run_id", "list_snapshots", "load_snapshot", "new_run_id", "prune", "publish",
    "read_run_records", "read_runs", "record_run", "snapshots_dir", "write_snapshot",
]
