"""Snapshots: complete or absent, the current pointer switched atomically, history kept."""

import json
import os

import polars as pl
import pytest

from etl.store import (
    StoreError,
    current_run_id,
    list_snapshots,
    load_snapshot,
    new_run_id,
    prune,
    publish,
    read_runs,
    record_run,
    write_snapshot,
)


def tables(n: int) -> dict[str, pl.DataFrame]:
    return {name: pl.DataFrame({"x": list(range(n))}) for name in ("papers", "claims", "facts", "quarantine")}


def publish_run(store, n: int) -> str:
    run_id = new_run_id()
    write_snapshot(store, run_id, tables(n), {"run_id": run_id, "n": n})
    publish(store, run_id)
    return run_id


def test_empty_store_has_no_snapshot(tmp_path):
    assert load_snapshot(tmp_path) is None and current_run_id(tmp_path) is None


def test_published_snapshot_loads_with_every_table(tmp_path):
    run_id = publish_run(tmp_path, 3)
    snap = load_snapshot(tmp_path)
    assert snap.run_id == run_id and snap.manifest["n"] == 3
    assert snap.claims.height == 3 and snap.quarantine.height == 3


def test_run_ids_sort_by_time_and_are_unique():
    ids = [new_run_id() for _ in range(50)]
    assert len(set(ids)) == 50
    stamps = [i.split("-")[0] for i in ids]
    assert stamps == sorted(stamps)


def test_failed_write_leaves_previous_snapshot_current_and_no_debris(tmp_path):
    first = publish_run(tmp_path, 1)
    broken = tables(2)
    del broken["facts"]
    with pytest.raises(KeyError):
        write_snapshot(tmp_path, new_run_id(), broken, {})
    assert current_run_id(tmp_path) == first
    assert load_snapshot(tmp_path).papers.height == 1
    assert list_snapshots(tmp_path) == [first]
    assert not [p for p in (tmp_path / "snapshots").iterdir() if p.name.startswith(".")]


def test_unwritable_store_gives_a_clear_error(tmp_path):
    blocker = tmp_path / "file"
    blocker.write_text("not a directory")
    with pytest.raises(StoreError, match="cannot write snapshot"):
        write_snapshot(blocker / "store", new_run_id(), tables(1), {})


def test_publish_refuses_an_incomplete_snapshot(tmp_path):
    publish_run(tmp_path, 1)
    (tmp_path / "snapshots" / "half").mkdir()
    with pytest.raises(StoreError, match="not complete"):
        publish(tmp_path, "half")


def test_pointer_switch_is_a_single_rename(tmp_path, monkeypatch):
    """The pointer file is never rewritten in place: readers see old or new, never a partial file."""
    first = publish_run(tmp_path, 1)
    inode_before = os.stat(tmp_path / "current").st_ino
    renames = []
    real_replace = os.replace
    monkeypatch.setattr(os, "replace", lambda a, b: (renames.append((str(a), str(b))), real_replace(a, b)))
    second = publish_run(tmp_path, 2)
    assert current_run_id(tmp_path) == second != first
    assert [b for _, b in renames if b.endswith("current")] == [str(tmp_path / "current")]
    assert os.stat(tmp_path / "current").st_ino != inode_before


def test_corrupt_pointer_is_reported(tmp_path):
    (tmp_path / "current").write_text("{not json")
    with pytest.raises(StoreError, match="unreadable current pointer"):
        current_run_id(tmp_path)


def test_prune_keeps_newest_and_never_the_current(tmp_path):
    ids = [publish_run(tmp_path, i) for i in range(4)]
    publish(tmp_path, ids[0])  # roll back to the oldest
    removed = prune(tmp_path, keep=2)
    assert removed == [ids[1]]
    assert list_snapshots(tmp_path) == [ids[0], ids[2], ids[3]]


def test_a_prune_killed_while_deleting_leaves_no_half_snapshot_listed(tmp_path, monkeypatch):
    ids = [publish_run(tmp_path, i) for i in range(3)]

    def killed_after_one_file(path, ignore_errors=False):
        next(p for p in path.iterdir() if p.suffix == ".parquet").unlink()
        raise SystemExit("killed")  # the process dies here, mid-deletion

    monkeypatch.setattr("etl.store.snapshots.shutil.rmtree", killed_after_one_file)
    with pytest.raises(SystemExit):
        prune(tmp_path, keep=2)
    monkeypatch.undo()
    assert list_snapshots(tmp_path) == ids[1:]
    assert all(load_snapshot(tmp_path, run_id) is not None for run_id in list_snapshots(tmp_path))
    prune(tmp_path, keep=2)  # the next run clears what the killed one left
    assert not [p for p in (tmp_path / "snapshots").iterdir() if p.name.startswith(".")]


def test_run_history_skips_a_torn_last_line(tmp_path):
    record_run(tmp_path, {"run_id": "a", "status": "ok"})
    record_run(tmp_path, {"run_id": "b", "status": "failed"})
    with open(tmp_path / "runs.jsonl", "a") as fh:
        fh.write('{"run_id": "c", "sta')
    assert [r["run_id"] for r in read_runs(tmp_path)] == ["a", "b"]
    assert json.loads((tmp_path / "runs.jsonl").read_text().splitlines()[1])["status"] == "failed"


def test_large_tables_are_written_in_bounded_row_groups_and_read_back_unchanged(tmp_path):
    """Row groups bound the writer's memory; they change nothing that is read back."""
    import pyarrow.parquet as pq

    from etl.store import ROW_GROUP_ROWS

    n = 2 * ROW_GROUP_ROWS + 5
    frames = tables(1) | {"papers": pl.DataFrame({"x": range(n), "abstract": [f"text {i}" for i in range(n)]})}
    run_id = new_run_id()
    path = write_snapshot(tmp_path, run_id, frames, {"run_id": run_id})
    meta = pq.ParquetFile(path / "papers.parquet").metadata
    assert meta.num_row_groups == 3 and max(meta.row_group(i).num_rows for i in range(3)) == ROW_GROUP_ROWS
    publish(tmp_path, run_id)
    assert load_snapshot(tmp_path).papers.equals(frames["papers"])
