"""Dashboard callbacks called directly, on a hand-made store and on the real ETL's snapshot."""

from __future__ import annotations

import json
import time

import polars as pl
import pytest
from dash import no_update
from plotly.io.json import to_json_plotly

from dashboard import callbacks, figures, layout, views
from dashboard.app import create_app
from dashboard.data import DERIVED, QUARANTINE_ROWS, Board, SnapshotCache, baseline_run, derived_column
from dashboard.filters import MAX_PAPERS, TABS, Filters
from support.stores import HOSTILE_TITLE, NEW_PAPER_IDS, NEW_RUN, OLD_RUN, handmade_tables, manifest_for, tiled_store
from etl.store import load_snapshot, publish, write_snapshot


@pytest.fixture(scope="module")
def board(handmade_store) -> Board:
    return SnapshotCache(handmade_store).get()


def controls_for(query: str) -> list:
    return layout.control_values(Filters.from_query(query).filters)


def text_of(component) -> str:
    """All strings inside a Dash component tree."""
    return json.dumps(component, default=lambda c: c.to_plotly_json())


# ---------------------------------------------------------------- URL <-> controls


def test_controls_and_url_carry_the_same_filters():
    query = "?metric=throughput&baseline=vLLM&size=7..70&gpus=..8&published=2024-01-01..&systems=1&new=previous&q=kv&papers=a&papers=b&tab=side&x=gpus&color=hardware&focus=TGI"
    filters = Filters.from_query(query).filters
    assert Filters.from_params(layout.params_from_controls(layout.control_values(filters))).filters == filters


def test_page_load_and_back_forward_set_the_controls_from_the_url():
    out = callbacks.sync_state("url", "?metric=latency&tab=baselines", controls_for(""), None, None, None, None)
    assert out[0] is no_update
    assert out[1:] == controls_for("?metric=latency&tab=baselines")


def test_a_control_change_writes_the_url_and_leaves_the_controls():
    values = controls_for("?metric=latency")
    values[[c.id for c in layout.CONTROLS].index("f-gpus-hi")] = 8
    out = callbacks.sync_state("f-gpus-hi", "?metric=latency", values, None, None, None, None)
    assert out[0] == "?metric=latency&gpus=..8"
    assert all(v is no_update for v in out[1:])


def test_an_unchanged_url_is_not_pushed_again():
    out = callbacks.sync_state("f-metric", "?metric=latency", controls_for("?metric=latency"), None, None, None, None)
    assert out[0] is no_update


def test_clicking_a_point_or_a_table_row_adds_its_paper():
    click = {"points": [{"customdata": ["2401.00002", "2401.00002#2"]}]}
    out = callbacks.sync_state("landscape-graph", "?papers=2401.00001", controls_for("?papers=2401.00001"), click, None, None, None)
    assert out[0] == "?papers=2401.00001&papers=2401.00002"
    assert out[1:] == controls_for(out[0])
    out = callbacks.sync_state("claims-table", "", controls_for(""), None, None, "2401.00005")
    assert out[0] == "?papers=2401.00005"


def test_a_clicked_grid_row_is_looked_up_on_the_server_in_the_grids_sort(board):
    request = {"startRow": 0, "endRow": 25, "sortModel": [{"colId": "multiplier", "sort": "desc"}]}
    assert callbacks.table_paper(board, "?tab=table", {"rowIndex": 0, "value": "x"}, request) == "2401.00005"  # 10x
    assert callbacks.table_paper(board, "?tab=table&metric=latency", {"rowIndex": 0}, request) == "2401.00007"
    for bogus in (None, {"rowIndex": "0"}, {"rowIndex": -1}, {"rowIndex": True}, {"rowIndex": 10**12}, [0]):
        assert callbacks.table_paper(board, "", bogus, request) is None
    assert callbacks.table_paper(board, "", {"rowIndex": 999}, request) is None


def test_a_grid_sort_goes_into_the_url_and_a_link_keeps_it():
    out = callbacks.sync_state("claims-table", "?tab=table", controls_for("?tab=table"), None, None, None,
                               ("multiplier:desc", "title:asc"))
    assert out[0] == "?tab=table&sort=multiplier:desc&sort=title"
    assert Filters.from_query(out[0]).filters.sort == ("multiplier:desc", "title:asc")
    # a control change keeps the sort
    search = "?tab=table&sort=multiplier:desc"
    values = controls_for(search)
    values[[c.id for c in layout.CONTROLS].index("f-q")] = "paged"
    out = callbacks.sync_state("f-q", search, values, None, None)
    assert out[0] == "?q=paged&tab=table&sort=multiplier:desc"


def test_the_sort_is_bounded_and_checked():
    parsed = Filters.from_query("?" + "&".join(f"sort=multiplier:desc&sort=c{i}" for i in range(5000)))
    assert parsed.filters.sort == ("multiplier:desc",)
    assert len(parsed.ignored) <= 21
    sort_model = [{"colId": c, "sort": "asc"} for c in ("title", "metric", "baseline", "hardware", "gpu_count")] * 4000
    assert len(views.grid_sort(sort_model)) == 3
    assert views.grid_sort([{"colId": "nope", "sort": "asc"}, {"colId": "title", "sort": "up"}, None, "x"]) == []
    assert views.grid_sort("multiplier") == []
    assert callbacks.url_sort_ready({"context": {"urlSort": True}}) and not callbacks.url_sort_ready({"context": "x"})


def test_the_oldest_pick_drops_out_past_eight_papers():
    full = Filters(papers=tuple(f"p{i}" for i in range(MAX_PAPERS)))
    assert callbacks.with_paper(full, "new").papers == (*full.papers[1:], "new")
    assert callbacks.with_paper(full, "p3") == full


def test_clicking_a_baseline_focuses_it():
    click = {"points": [{"x": "vLLM", "customdata": ["vLLM", "2401.00001"]}]}
    out = callbacks.sync_state("baselines-graph", "?tab=baselines", controls_for("?tab=baselines"), None, click, None, None)
    assert out[0] == "?tab=baselines&focus=vLLM"


# ---------------------------------------------------------------- views


def test_caption_reports_malformed_url_values_and_keeps_the_rest(board):
    caption, counts, notices, store_message = callbacks.caption_outputs(board, None, "?metric=speedup&gpus=lots&zzz=1")
    assert caption == "Speedup claims"
    assert counts.startswith("4 claims from 4 papers")
    assert "gpus='lots'" in text_of(notices[0]) and "unknown parameter" in text_of(notices[0])
    assert store_message is None


def test_caption_says_when_nothing_matches_and_counts_flagged_rows(board):
    _, counts, notices, _ = callbacks.caption_outputs(board, None, "?baseline=nobody")
    assert counts == "0 claims from 0 papers" and "No claims match" in text_of(notices[0])
    _, counts, _, _ = callbacks.caption_outputs(board, None, "")
    assert "2 flagged" in counts


def test_an_empty_store_gives_messages_not_errors(tmp_path):
    cache = SnapshotCache(tmp_path / "empty")
    assert cache.get() is None
    message = callbacks.no_snapshot_message(cache.store)
    *_, store_message = callbacks.caption_outputs(None, message, "?tab=side")
    assert "claimboard etl" in text_of(store_message)
    fig, _ = callbacks.landscape_outputs(None, "")
    assert "No snapshot" in fig.layout.annotations[0].text
    assert callbacks.table_outputs(None, "", 3, None) == ([], 1, 0)
    app = create_app(tmp_path / "empty")
    assert app.server.test_client().get("/").status_code == 200
    assert "no snapshot yet" in text_of(layout.header_info(None, []))


def test_views_show_only_the_urls_tab():
    styles = callbacks.view_styles("?tab=baselines", list(TABS))
    assert [s["display"] for s in styles] == ["none", "none", "block", "none"]
    assert [s["display"] for s in callbacks.view_styles("?tab=bogus", list(TABS))][0] == "block"


def test_landscape_notes_claims_without_the_x_value(board):
    fig, notes = callbacks.landscape_outputs(board, "?x=published")
    assert sum(len(t.x) for t in fig.data) == board.claims.filter(pl.col("published").is_not_null()).height
    assert "2 of 12 claims state no publication date (not plotted)." in text_of(notes)


def test_side_by_side_asks_for_papers_then_shows_facts_as_text(board):
    fig, facts, _ = callbacks.side_outputs(board, "?tab=side&papers=2401.00001")
    assert "Pick 2–8 papers" in fig.layout.annotations[0].text and facts is None
    fig, facts, _ = callbacks.side_outputs(board, "?tab=side&papers=2401.00001&papers=2401.00003")
    assert {t.name for t in fig.data} == {"PagedServe", "FastLLM"}
    facts_json = text_of(facts)
    assert json.dumps(HOSTILE_TITLE)[1:-1] in facts_json  # a plain string child: rendered as text
    assert "https://arxiv.org/abs/2401.00001" in facts_json and "TGI, vLLM" in facts_json


def test_baselines_view_lists_claims_against_the_focused_baseline(board):
    fig, table, options, focus_rows, _ = callbacks.baselines_outputs(board, "?tab=baselines&focus=TGI")
    assert options[0] == "vLLM" and table[0] == {"baseline": "vLLM", "kind": "system", "claims": 4, "papers": 4, "median": 2.45}
    assert [r["paper_id"] for r in focus_rows] == ["2401.00007", "2401.00001"]  # largest multiplier first


def test_the_claims_grid_gets_one_block_per_request(board):
    request = {"startRow": 0, "endRow": 5, "sortModel": [{"colId": "multiplier", "sort": "asc"}]}
    response = callbacks.table_response(board, "?tab=table", request)
    assert response["rowCount"] == 12 and len(response["rowData"]) == 5
    assert [r["multiplier"] for r in response["rowData"]] == sorted(r["multiplier"] for r in response["rowData"])
    assert response["rowData"][0]["url"].startswith("https://")
    # a client asking for a million rows gets one block
    big = callbacks.table_response(board, "", {"startRow": 0, "endRow": 10**6})
    assert len(big["rowData"]) == 12
    for bogus in ({"startRow": "a"}, {"startRow": -3, "endRow": 2}, {"startRow": 10**40}, None, [], {"endRow": True}):
        response = callbacks.table_response(board, "", bogus)
        assert response["rowCount"] == 12


def test_claims_table_pages_and_sorts_on_the_server(board):
    records, pages, page = callbacks.table_outputs(board, "?tab=table", 0, [{"column_id": "multiplier", "direction": "desc"}])
    assert pages == 1 and page == 0 and records[0]["multiplier"] == 10.0
    assert records[0]["warning"] == "multiplier above 5 on a single device"
    assert records[0]["number"] == "10x" and "10x less energy" in records[0]["sentence"]  # plain text, marked by the grid
    _, _, page = callbacks.table_outputs(board, "?tab=table", 7, None)
    assert page == 0  # a page past the end after a filter change is clamped


def test_compare_box_searches_titles_and_keeps_the_selection(board):
    options = views.paper_options(board, "spec", ["2401.00001"])
    assert [o["value"] for o in options] == ["2401.00001", "2401.00007"]
    assert options[1]["label"] == "SpecDecode: Speculative Decoding at Scale"  # 13: the name is not repeated
    assert views.paper_label("Orca", "A Distributed Serving System") == "Orca: A Distributed Serving System"


def test_new_since_the_previous_snapshot(handmade_store, board):
    assert baseline_run([OLD_RUN, NEW_RUN], NEW_RUN, "previous") == OLD_RUN
    assert set(board.rows(Filters(new="previous"))["paper_id"]) == NEW_PAPER_IDS
    old_date = Filters.from_query("new=2026-11-20").filters
    assert set(board.rows(old_date)["paper_id"]) == NEW_PAPER_IDS
    assert board.rows(Filters.from_query("new=2026-11-01").filters).height == board.claims.height  # nothing before


def test_cache_picks_up_a_new_snapshot_after_the_recheck_interval(tmp_path):
    store = tmp_path / "store"
    now = [0.0]
    cache = SnapshotCache(store, recheck_seconds=1.0, clock=lambda: now[0])
    for run_id, ids in ((OLD_RUN, {"2401.00001"}), (NEW_RUN, None)):
        tables = handmade_tables(run_id, ids)
        write_snapshot(store, run_id, tables, manifest_for(run_id, tables))
    publish(store, OLD_RUN)
    first = cache.get()
    assert first.run_id == OLD_RUN
    publish(store, NEW_RUN)
    now[0] = 0.5
    assert cache.get() is first  # within the interval: no file system access
    now[0] = 1.6
    assert cache.get().run_id == NEW_RUN


# ---------------------------------------------------------------- the real ETL snapshot


def test_every_tab_renders_on_the_real_snapshot(pipeline_store):
    board = Board.from_snapshot(pipeline_store, load_snapshot(pipeline_store))
    assert board.claims.height > 0
    metric = board.claims["metric"].mode()[0]
    search = f"?metric={metric}&systems=1"
    caption, counts, _, _ = callbacks.caption_outputs(board, None, search)
    assert caption == f"{metric.capitalize()} claims from systems papers"
    fig, _ = callbacks.landscape_outputs(board, search)
    expected = board.rows(Filters.from_query(search).filters).filter(pl.col("model_sizes").list.len() > 0)["model_sizes"].list.unique().list.len().sum()
    assert sum(len(t.x) for t in fig.data if t.mode == "markers" and t.name != "selected papers") == expected
    two = board.claims["paper_id"].unique(maintain_order=True).head(2).to_list()
    fig, facts, _ = callbacks.side_outputs(board, f"?tab=side&papers={two[0]}&papers={two[1]}")
    assert facts is not None
    callbacks.baselines_outputs(board, "?tab=baselines")
    records, pages, _ = callbacks.table_outputs(board, "?tab=table", 0, [{"column_id": "title", "direction": "asc"}])
    assert len(records) == min(25, board.claims.height) and pages >= 1


def test_app_pages_answer_on_the_real_snapshot(pipeline_store):
    client = create_app(pipeline_store).server.test_client()
    assert client.get("/?metric=throughput&gpus=%3C%3E").status_code == 200
    assert client.get("/_dash-layout").status_code == 200


# ---------------------------------------------------------------- many claims: samples, pages, caches


@pytest.fixture(scope="module")
def big_board(tmp_path_factory) -> Board:
    """24,000 claims (2,000 copies of the hand-made 12, 22,000 with a model size), loaded as a worker does."""
    return SnapshotCache(tiled_store(tmp_path_factory.mktemp("big") / "store", 2_000)).get()


def plotted(fig) -> int:
    return sum(len(t.x) for t in fig.data if t.name != "selected papers")


def test_a_large_landscape_is_a_stated_random_sample(big_board):
    fig, notes = callbacks.landscape_outputs(big_board, "")
    assert plotted(fig) == figures.MAX_POINTS
    assert {t.type for t in fig.data} == {"scattergl"}
    sampled = notes[0]
    assert sampled.className == "note--sampled"
    assert sampled.children == (f"Showing a random sample of {figures.MAX_POINTS:,} of 22,000 claims; "
                                f"narrow the filters to {figures.MAX_POINTS:,} or fewer to see every point.")
    assert "2,000 of 24,000 claims state no model size (not plotted)." in text_of(notes[1])
    assert [a.text for a in fig.layout.annotations] == [f"random sample: {figures.MAX_POINTS:,} of 22,000 points"]
    assert len(to_json_plotly(fig)) < 2_000_000
    again, _ = callbacks.landscape_outputs(big_board, "")
    assert [list(t.customdata) for t in again.data] == [list(t.customdata) for t in fig.data]  # a fixed sample


def test_a_narrow_enough_filter_shows_every_point_and_no_notice(big_board):
    for search, expected in (("?q=pagedserve", 4_000), ("?q=pagedserve&metric=throughput", 2_000)):
        fig, notes = callbacks.landscape_outputs(big_board, search)
        rows = big_board.rows(Filters.from_query(search).filters)
        assert plotted(fig) == rows.height == expected
        assert sorted(p for t in fig.data for p in t.customdata) == sorted(rows["paper_id"].to_list())
        assert not fig.layout.annotations and "random sample" not in text_of(notes)


def test_sampled_colours_come_from_every_claim(big_board):
    fig, _ = callbacks.landscape_outputs(big_board, "?color=hardware&x=gpus")
    assert {t.name for t in fig.data} == {"A100", "H100", "unknown"}  # V100's paper has no GPU count


def test_baseline_boxes_count_every_claim_and_points_are_a_sample(big_board):
    fig, table, options, focus_rows, notes = callbacks.baselines_outputs(big_board, "?tab=baselines&focus=vLLM")
    assert (table[0]["baseline"], table[0]["claims"], table[0]["papers"]) == ("vLLM", 8_000, 8_000)
    points = [t for t in fig.data if t.boxpoints == "all"]  # one strip of claims per baseline kind
    assert sum(len(t.x) for t in points) == figures.MAX_POINTS
    assert "random sample" in text_of(notes) and "The boxes use every claim." in text_of(notes)
    assert len(focus_rows) == callbacks.FOCUS_ROWS
    assert [r["multiplier"] for r in focus_rows] == sorted((r["multiplier"] for r in focus_rows), reverse=True)
    assert "500 largest of 8,000 claims against vLLM" in text_of(notes)


SORTS = [
    [{"column_id": "multiplier", "direction": "desc"}],
    [{"column_id": "title", "direction": "asc"}],
    [{"column_id": "model_size", "direction": "desc"}],  # nulls last going down too
    [{"column_id": "hardware", "direction": "asc"}, {"column_id": "multiplier", "direction": "desc"}],
]


@pytest.mark.parametrize("sort_by", SORTS, ids=lambda s: "+".join(f"{c['column_id']}-{c['direction']}" for c in s))
@pytest.mark.parametrize("search", ["?tab=table", "?tab=table&metric=throughput&metric=latency"])
def test_sorted_pages_match_a_full_sort_with_ties_in_snapshot_order(big_board, search, sort_by):
    rows = big_board.rows(Filters.from_query(search).filters).with_row_index("order")
    columns = [views.SORT_COLUMNS.get(s["column_id"], s["column_id"]) for s in sort_by]
    rows = rows.with_columns(derived_column(c) for c in columns if c in DERIVED)  # list columns sort by a derived value
    expected = rows.sort([*columns, "order"], descending=[s["direction"] == "desc" for s in sort_by] + [False],
                         nulls_last=True)["claim_id"].to_list()
    pages = -(-len(expected) // views.TABLE_PAGE_SIZE)
    for page in (0, 1, 7, pages // 2, pages - 1):  # early pages by partial selection, late ones by a full sort
        records, count, current = callbacks.table_outputs(big_board, search, page, sort_by)
        assert count == pages and current == page
        start = page * views.TABLE_PAGE_SIZE
        assert [r["id"] for r in records] == expected[start:start + views.TABLE_PAGE_SIZE]


def test_a_filter_is_evaluated_once_and_view_options_do_not_change_it(big_board):
    first = big_board.select(Filters(metric=("speedup",)))
    assert big_board.select(Filters(metric=("speedup",), tab="baselines", x="gpus", focus="vLLM")).index is first.index
    assert first.height == 8_000 and first.papers() == 8_000 and first.flagged() == 0
    assert big_board.select(Filters()).index is None  # no filter: the cached frame itself


def test_the_cache_reads_only_what_the_dashboard_shows(tmp_path):
    store = tmp_path / "store"
    tables = handmade_tables(NEW_RUN)
    many = pl.concat([tables["quarantine"]] * 150)  # 300 quarantined rows
    tables = tables | {"quarantine": many}
    write_snapshot(store, NEW_RUN, tables, manifest_for(NEW_RUN, tables))
    publish(store, NEW_RUN)
    board = SnapshotCache(store).get()
    assert "abstract" not in board.papers.columns and board.snapshot.claims.is_empty()  # one copy: the board's
    assert board.quarantined == 300 and board.snapshot.quarantine.height == QUARANTINE_ROWS
    header = text_of(layout.header_info(board, []))
    assert "300 quarantined" in header and f"first {QUARANTINE_ROWS} shown" in header
    assert ("quarantined", "300") in views.header_counts(board)


def test_preload_and_warm_up_run_in_the_background(handmade_store):
    warmed = []
    cache = SnapshotCache(handmade_store, warm=lambda board: (views.warm(board), warmed.append(board)))
    cache.preload().join(timeout=30)
    board = cache.get()
    assert board is not None and board.run_id == NEW_RUN
    for _ in range(100):
        if warmed:
            break
        time.sleep(0.05)
    assert warmed == [board]
    assert ("options", "hardware") in board._memo and "baseline_stats" in board._memo  # (the sort ranks come with the view)


def test_compare_box_lists_the_most_upvoted_with_ties_by_id(big_board):
    options = views.paper_options(big_board, None, [])
    assert len(options) == views.PAPER_OPTIONS
    ids = [o["value"] for o in options]
    assert ids == sorted(ids)  # every upvote count is 10: ties by id
    assert [o["value"] for o in views.paper_options(big_board, "megatrain", ["2401.00001~5"])][:2] == [
        "2401.00001~5", "2401.00004~0"]


def test_the_header_shows_one_human_time_the_run_id_on_hover_and_the_warning_kinds(board):
    """13: no raw run id and two time formats; the flagged count names its kinds (manifest warnings_by_kind)."""
    header = layout.header_info(board, [{"status": "ok", "finished": "2026-11-23T06:00:42+00:00", "run_id": NEW_RUN}])
    text = text_of(header)
    assert "data of 23 Nov 2026, 06:00 UTC" in text and "23 Nov 2026, 06:00 UTC" in text.split("last refresh: ok")[1]
    time_span = header[0]
    assert time_span.title == f"snapshot {NEW_RUN}" and NEW_RUN not in str(time_span.children)
    assert "T06:00" not in text
    assert "flagged claims (multiplier above 5 on a single device 1, regression 1)" in text
    assert views.warning_kinds(board) == [("multiplier above 5 on a single device", 1), ("regression", 1)]
    assert views.human_time("not a time") == ""


def test_side_by_side_links_each_paper_and_marks_a_title_search(board):
    """13: the Source row links the paper's page (url/url_kind columns), a title search said as such."""
    filters = Filters.from_query("?tab=side&papers=2401.00002&papers=2401.00006&papers=2401.00001").filters
    _, facts = views.facts_table(board, filters, board.select(filters).frame())
    source = dict(facts)["Source"]
    assert [(link.split("/")[2], kind) for link, kind, _ in source] == [
        ("huggingface.co", "hf"), ("arxiv.org", "search"), ("arxiv.org", "arxiv")]
    cells = text_of(layout.facts_table(*views.facts_table(board, filters, board.select(filters).frame())))
    assert "Hugging Face " in cells and "title search " in cells and "no id known" in cells
    assert views.paper_link("x", "javascript:alert(1)", "arxiv") == (None, "")
