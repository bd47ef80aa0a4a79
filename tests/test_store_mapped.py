"""The dashboard's memory-mapped view files (etl.store.mapped): written and published with the
snapshot (never torn), the same frames as built from Parquet, gone with a pruned snapshot."""

import os

import polars as pl
import pytest
from polars.testing import assert_frame_equal

import etl.store.snapshots as snapshots_module
from etl.store import (
    VIEW_FILES,
    SnapshotStore,
    add_views,
    claims_view,
    current_run_id,
    list_snapshots,
    new_run_id,
    paper_search_text,
    papers_view,
    prune,
    publish,
    read_views,
    write_snapshot,
)
from etl.store import mapped
from support.stores import tiled_tables


def built(tables):
    papers = tables["papers"]
    return claims_view(tables["claims"], papers), papers_view(papers, tables["facts"])


@pytest.mark.parametrize("rows", [5, 7, 1_000_000])
def test_view_files_hold_the_views_built_in_memory(tmp_path, rows):
    tables = tiled_tables("20261123T091700Z-aaaaaa", 3)
    # a claim whose paper is missing keeps a number of its own, the same in every slice
    tables["claims"] = pl.concat([tables["claims"], tables["claims"].head(2).with_columns(paper_id=pl.lit("orphan"))])
    assert mapped.write_views(tmp_path, tables, rows=rows)
    views = read_views(tmp_path)
    claims, papers = built(tables)
    assert_frame_equal(views["claims"], claims)
    assert_frame_equal(views["papers"].drop("search"), papers)
    assert_frame_equal(views["papers"]["search"].to_frame(), paper_search_text(papers).rename("search").to_frame())
    assert views["claims"].filter(pl.col("paper_id") == "orphan")["paper_no"].n_unique() == 1


def test_strings_are_mapped_as_string_views(tmp_path):
    import pyarrow as pa
    import pyarrow.ipc as ipc

    mapped.write_views(tmp_path, tiled_tables("20261123T091700Z-aaaaaa", 2))
    schema = ipc.open_file(pa.memory_map(str(tmp_path / VIEW_FILES["claims"]))).schema
    assert schema.field("sentence").type == pa.string_view()
    assert not any(pa.types.is_large_string(f.type) or pa.types.is_dictionary(f.type) for f in schema)


def test_published_snapshot_carries_its_view_files(tmp_path):
    tables = tiled_tables("20261123T091700Z-aaaaaa", 2)
    run_id = new_run_id()
    write_snapshot(tmp_path, run_id, tables, {"run_id": run_id})
    publish(tmp_path, run_id)
    views = SnapshotStore(tmp_path).views()
    assert_frame_equal(views["claims"], built(tables)[0])


def test_a_write_killed_in_the_view_files_publishes_nothing(tmp_path, monkeypatch):
    good = tiled_tables("20261123T091700Z-aaaaaa", 1)
    first = new_run_id()
    write_snapshot(tmp_path, first, good, {})
    publish(tmp_path, first)

    def torn(directory, tables, rows=mapped.SLICE_ROWS):
        (directory / VIEW_FILES["claims"]).write_bytes(b"ARROW1\0\0half a file")
        raise OSError(28, "No space left on device")

    monkeypatch.setattr(snapshots_module, "write_views", torn)
    with pytest.raises(Exception, match="No space left"):
        write_snapshot(tmp_path, new_run_id(), good, {})
    assert list_snapshots(tmp_path) == [first] and current_run_id(tmp_path) == first
    assert not [p for p in (tmp_path / "snapshots").iterdir() if p.name.startswith(".")]
    assert read_views(tmp_path / "snapshots" / first) is not None


def test_views_added_to_an_older_snapshot_appear_whole_or_not_at_all(tmp_path, monkeypatch):
    tables = tiled_tables("20261123T091700Z-aaaaaa", 1)
    run_id = new_run_id()
    monkeypatch.setattr(snapshots_module, "write_views", lambda directory, tables: False)  # an older writer
    write_snapshot(tmp_path, run_id, tables, {})
    monkeypatch.undo()
    snapshot = tmp_path / "snapshots" / run_id
    assert read_views(snapshot) is None

    real = mapped.write_views

    def dies_after_writing(directory, tables, rows=mapped.SLICE_ROWS):
        real(directory, tables, rows)
        raise KeyboardInterrupt

    monkeypatch.setattr(mapped, "write_views", dies_after_writing)
    with pytest.raises(KeyboardInterrupt):
        add_views(snapshot, tables)
    monkeypatch.undo()
    assert sorted(p.name for p in snapshot.parent.iterdir()) == [run_id]  # no staging left
    assert read_views(snapshot) is None
    add_views(snapshot, tables)
    assert_frame_equal(read_views(snapshot)["claims"], built(tables)[0])


def test_views_of_another_version_are_ignored(tmp_path, monkeypatch):
    tables = tiled_tables("20261123T091700Z-aaaaaa", 1)
    monkeypatch.setattr(mapped, "VIEW_VERSION", mapped.VIEW_VERSION + 1)
    mapped.write_views(tmp_path, tables)
    monkeypatch.undo()
    assert read_views(tmp_path) is None


def test_tables_without_the_view_columns_get_no_view_files(tmp_path):
    run_id = new_run_id()
    write_snapshot(tmp_path, run_id, {n: pl.DataFrame({"x": [1]}) for n in ("papers", "claims", "facts", "quarantine")}, {})
    assert not any((tmp_path / "snapshots" / run_id / name).exists() for name in VIEW_FILES.values())


def test_prune_removes_the_view_files_with_their_snapshot(tmp_path):
    tables = tiled_tables("20261123T091700Z-aaaaaa", 1)
    runs = []
    for _ in range(3):
        runs.append(new_run_id())
        write_snapshot(tmp_path, runs[-1], tables, {})
        publish(tmp_path, runs[-1])
    mapped_before = SnapshotStore(tmp_path).views(runs[0])  # a reader still mapping it
    assert prune(tmp_path, keep=1) == runs[:2]
    assert not (tmp_path / "snapshots" / runs[0]).exists()
    assert sorted(os.listdir(tmp_path / "snapshots")) == [runs[2]]
    assert mapped_before["claims"].height == tables["claims"].height  # an unlinked mapping stays readable
