"""A Board from the snapshot's memory-mapped view files equals one built from its Parquet tables,
and a snapshot without view files (written before them) still loads, from Parquet."""

import shutil

import polars as pl
import pytest
from polars.testing import assert_frame_equal

from dashboard import views
from dashboard.data import HOT_CLAIM_COLUMNS, HOT_PAPER_COLUMNS, Board, SnapshotCache, derived_column, load_board, read_snapshot
from dashboard.views import TABLE_COLUMNS
from dashboard.filters import Filters
from etl.store import RANK_COLUMNS, VIEW_FILES, SnapshotStore, current_run_id


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


def test_a_mapped_board_keeps_only_the_hot_columns_mapped(big_store):
    """The long texts (and the rest of a claim's fields) are not in the frame a worker keeps: they
    are mapped per access, so the pages a request touched leave the worker with it."""
    board = load_board(big_store, current_run_id(big_store))
    assert set(board.hot_claims.columns) <= set(HOT_CLAIM_COLUMNS)
    assert not {"sentence", "title", "url", "haystack", "claim_id"} & set(board.hot_claims.columns)
    assert set(board.hot_papers.columns) <= set(HOT_PAPER_COLUMNS)
    assert board.claim_columns == board.claims.columns
    assert board.hot_claims.height == board.claims.height and board.hot_papers.height == board.papers.height


def test_views_on_a_mapped_board_equal_the_parquet_board(big_store):
    """Every view, page, sort, search and export reads the same claims from the mapped files
    (hot columns, per-request mappings, precomputed ranks and masks) as from Parquet."""
    mapped, parquet = load_board(big_store, current_run_id(big_store)), parquet_board(big_store)
    views.warm(mapped)
    for query in ("", "?q=vllm", "?metric=throughput&q=attention", "?hardware=A100&size=7..70", "?tab=baselines&focus=vLLM",
                  "?x=published&color=baseline", "?color=hardware&gpus=..8&unknown=keep"):
        filters = Filters.from_query(query).filters
        assert_frame_equal(mapped.rows(filters), parquet.rows(filters))
        for tab in ("landscape", "baselines"):
            one, other = views.build_view(mapped, filters.replace(tab=tab)), views.build_view(parquet, filters.replace(tab=tab))
            assert one.figure.to_json() == other.figure.to_json() and one.notes == other.notes
        for sort in ([], [{"column_id": "title", "direction": "asc"}], [{"column_id": "sentence", "direction": "desc"}],
                     [{"column_id": "warning", "direction": "desc"}, {"column_id": "baseline", "direction": "asc"}]):
            selection = (mapped.select(filters), parquet.select(filters))
            assert views.table_rows(selection[0], 30, 60, sort) == views.table_rows(selection[1], 30, 60, sort)
        assert mapped.select(filters).flagged() == parquet.select(filters).flagged()
    assert views.paper_options(mapped, "", []) == views.paper_options(parquet, "", [])
    assert views.paper_options(mapped, "serve", []) == views.paper_options(parquet, "serve", [])
    assert views.warning_kinds(mapped) == views.warning_kinds(parquet)


@pytest.mark.parametrize("fixture", ["big_store", "handmade_store"])
def test_every_sort_key_sorts_by_the_rank_written_with_the_view(fixture, request):
    """The written ranks order (and tie) the claims as their own values would (title: its rank
    among every paper's title), so no worker computes a rank of its own."""
    store = request.getfixturevalue(fixture)
    board = load_board(store, current_run_id(store))
    claims = board.claims.with_row_index("row")
    views.warm(board)
    assert not [key for key in board._memo if isinstance(key, tuple) and key[0] == "rank"]
    for column in TABLE_COLUMNS:
        assert RANK_COLUMNS[column] in board.hot_claims.columns
        pairs = claims.select(derived_column(column).alias("value"), rank=pl.col(RANK_COLUMNS[column])).unique()
        by_value = pairs.drop_nulls().sort("value")
        assert by_value["rank"].is_sorted() and by_value["rank"].n_unique() == by_value.height  # same order, same ties
        assert pairs.filter(pl.col("value").is_null())["rank"].null_count() == pairs["value"].null_count()
        for direction in ("asc", "desc"):
            expected = claims.sort([derived_column(column), "row"], descending=[direction == "desc", False],
                                   nulls_last=True)["row"].head(40).to_list()
            got = views.sorted_rows(board.select(Filters()), [{"column_id": column, "direction": direction}], 0, 40).to_list()
            assert got == expected, (column, direction)


def test_a_board_still_reads_its_snapshot_after_the_files_are_removed(pipeline_store, tmp_path):
    """A worker serving a snapshot that a prune removed meanwhile still maps its view files (it
    holds them open) until it moves to the current one."""
    store = tmp_path / "store"
    shutil.copytree(pipeline_store, store)
    board = load_board(store, current_run_id(store))
    expected = parquet_board(pipeline_store).rows(Filters(q="attention"))
    for name in VIEW_FILES.values():
        (SnapshotStore(store).path(current_run_id(store)) / name).unlink()
    assert_frame_equal(board.rows(Filters(q="attention")), expected)
    assert board.papers.height == parquet_board(pipeline_store).papers.height


def test_the_mapping_of_every_column_is_dropped_over_the_rss_budget(pipeline_store):
    board = load_board(pipeline_store, current_run_id(pipeline_store))
    assert not board.trim(budget_mb=0)  # nothing mapped yet
    expected = board.rows(Filters(q="attention"))
    assert not board.trim(budget_mb=1e9)  # under budget: kept for the next request
    assert board.claims is board.claims
    assert board.trim(budget_mb=0)  # over budget: dropped
    assert_frame_equal(board.rows(Filters(q="attention", metric=("throughput",))),
                       expected.filter(pl.col("metric") == "throughput"))


@pytest.mark.parametrize("index", [[3, 15, 39, 0, 22, 22], [0, 1, 2, 12, 35], [], [39], list(range(40))[::-1]])
def test_rows_are_gathered_chunk_by_chunk_in_the_order_asked(index):
    from dashboard.data import gather_rows

    chunked = pl.concat([pl.DataFrame({"text": [f"row {i}" for i in range(k * 10, k * 10 + 10)],
                                       "values": [[i, i + 1] for i in range(k * 10, k * 10 + 10)]}) for k in range(4)],
                        rechunk=False)
    assert chunked.n_chunks("all") == [4, 4]
    rows = pl.Series(index, dtype=pl.UInt32)
    assert_frame_equal(gather_rows(chunked, rows), chunked[rows])
    assert gather_rows(chunked["text"], rows).to_list() == chunked["text"].gather(rows).to_list()


def test_the_server_trims_after_each_response_is_sent(pipeline_store, monkeypatch):
    from dashboard import app as app_module
    from dashboard.data import SnapshotCache

    trimmed = []
    monkeypatch.setattr(SnapshotCache, "trim", lambda self: trimmed.append(self))
    client = app_module.create_app(pipeline_store).server.test_client()
    response = client.get("/_dash-layout", headers={"Accept-Encoding": "gzip"})
    assert response.status_code == 200
    response.close()
    assert len(trimmed) == 1
