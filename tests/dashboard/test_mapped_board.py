"""A Board from the snapshot's memory-mapped view files equals one built from its Parquet tables,
and a snapshot without view files (written before them) still loads, from Parquet."""

import shutil

import polars as pl
import pytest
from polars.testing import assert_frame_equal

from dashboard import views
from dashboard.data import Board, SnapshotCache, load_board, read_snapshot
from dashboard.filters import Filters
from etl.store import VIEW_FILES, SnapshotStore, current_run_id


def parquet_board(store):
    snapshot, quarantined = read_snapshot(store, current_run_id(store))
    return Board.from_snapshot(store, snapshot, quarantined)


@pytest.mark.parametrize("fixture", ["pipeline_store", "handmade_store", "big_store"])
def test_mapped_board_equals_the_parquet_board(fixture, request):
    store = request.getfixturevalue(fixture)
    assert SnapshotStore(store).views() is not None
    mapped, parquet = load_board(store, current_run_id(store)), parquet_board(store)
    assert_frame_equal(mapped.claims, parquet.claims)
    assert_frame_equal(mapped.papers, parquet.papers)
    assert mapped.quarantined == parquet.quarantined
    assert_frame_equal(mapped.snapshot.quarantine, parquet.snapshot.quarantine)
    assert mapped.snapshot.manifest == parquet.snapshot.manifest
    # the precomputed search text is what the views would compute
    assert_frame_equal(views.paper_search_text(mapped).to_frame("s"), views.paper_search_text(parquet).to_frame("s"))
    for q in ("", "attention", "a100"):
        filters = Filters(q=q)
        assert_frame_equal(mapped.rows(filters), parquet.rows(filters))
    assert views.header_counts(mapped) == views.header_counts(parquet)


def test_a_snapshot_without_view_files_loads_from_parquet(pipeline_store, tmp_path):
    store = tmp_path / "store"
    shutil.copytree(pipeline_store, store)
    run_id = current_run_id(store)
    for name in VIEW_FILES.values():
        (SnapshotStore(store).path(run_id) / name).unlink()
    assert SnapshotStore(store).views() is None
    board = SnapshotCache(store).get()
    reference = load_board(pipeline_store, run_id)
    assert_frame_equal(board.claims, reference.claims)
    assert_frame_equal(board.papers, reference.papers)
    views.warm(board)


def test_abstracts_are_read_on_demand(pipeline_store):
    board = load_board(pipeline_store, current_run_id(pipeline_store))
    assert "abstract" not in board.papers.columns and "abstract" not in board.claims.columns
    ids = board.papers["paper_id"].head(2).to_list()
    full = SnapshotStore(pipeline_store).read("papers", columns=["paper_id", "abstract"])
    expected = dict(full.filter(pl.col("paper_id").is_in(ids)).iter_rows())
    assert board.abstracts(ids) == expected
