"""Issue 11, dashboard side: every claim at its own setting, unknown values counted, unknown=keep,
several baselines per claim, baselines grouped by kind."""

from __future__ import annotations

import argparse

import polars as pl
import pytest

from dashboard import callbacks, figures, views
from dashboard.commands.export import add_filter_flags, filters_from_args
from dashboard.data import load_board
from dashboard.filters import Filters
from support.settings_store import MULTI_BASELINE, MULTI_SIZE, write_settings_store
from support.stores import NEW_RUN


@pytest.fixture(scope="module")
def board(tmp_path_factory):
    store = write_settings_store(tmp_path_factory.mktemp("settings") / "store")
    return load_board(store, NEW_RUN)


def claim(board, text: str) -> dict:
    return board.claims.filter(pl.col("text") == text).row(0, named=True)


# ------------------------------------------------------------------ landscape: one point per value


def test_a_claim_at_two_sizes_gives_two_points_joined_by_a_thin_line(board):
    rows = board.claims.select(figures.LANDSCAPE_COLUMNS)
    fig = figures.landscape(rows, x="model_size", color="metric")
    markers = [t for t in fig.data if t.mode == "markers"]
    turbo = [(x, y) for t in markers for x, y, paper in zip(t.x, t.y, t.customdata, strict=True)
             if paper == "2401.00002" and abs(y - 3.5) < 1e-6]
    assert sorted(x for x, _ in turbo) == [7e9, 70e9]  # each size the claim was measured at
    lines = [t for t in fig.data if t.mode == "lines"]
    assert len(lines) == 1 and lines[0].name == figures.JOIN_NAMES["model_size"]  # said in the legend
    assert list(lines[0].x) == [7e9, 70e9, None] and lines[0].line.width == 1
    # on the GPU axis the same claim has one GPU count: one point, no line
    fig = figures.landscape(rows, x="gpus", color="metric")
    assert not [t for t in fig.data if t.mode == "lines"]


def test_hover_says_for_each_axis_value_whether_it_was_stated_or_from_the_paper(board):
    fig = figures.landscape(board.claims.select(figures.LANDSCAPE_COLUMNS), x="model_size", color="metric")
    hovers = [text for t in fig.data if t.mode == "markers" for text in t.text]
    assert any("7B, 70B (stated) · 8 GPUs (from the paper) · H100 (stated)" in h for h in hovers)
    # SpecDecode: its GPU count stated, the rest from the paper; MegaTrain-like rows all from the paper say it once
    assert any("70B (from the paper) · 64 GPUs (stated) · A100 (from the paper)" in h for h in hovers)
    assert any("vs Hugging Face PEFT and vLLM" in h for h in hovers)


def test_colour_by_hardware_uses_the_claims_own_devices(board):
    fig = figures.landscape(board.claims.select(figures.LANDSCAPE_COLUMNS), x="gpus", color="hardware")
    names = {t.name for t in fig.data if t.mode == "markers"}
    assert {"A100", "H100"} <= names


def test_the_landscape_view_notes_the_multi_size_claim_and_the_unknown_sizes(board):
    view = views.build_view(board, Filters(), static=True)
    assert "1 of 12 claims state no model size (not plotted)." in view.notes
    assert "1 claim measured at several model sizes: one point per value, joined by a thin grey line." in view.notes
    subtitle = view.figure.layout.title.subtitle.text
    assert "1 of 12 claims state no model size (not plotted)." in subtitle  # the exported chart says it too


# ------------------------------------------------------------------ filters on list columns, unknown=keep


def test_a_range_matches_a_claim_when_any_of_its_values_is_in_range(board):
    for query in ("?size=..13", "?size=60..80"):
        assert MULTI_SIZE in board.rows(Filters.from_query(query).filters)["text"].to_list()
    assert MULTI_SIZE not in board.rows(Filters.from_query("?size=20..50").filters)["text"].to_list()


def test_unknown_keep_keeps_claims_without_a_value_and_says_how_many(board):
    dropped = board.rows(Filters.from_query("?size=7..70").filters)
    kept = board.rows(Filters.from_query("?size=7..70&unknown=keep").filters)
    unknown = kept.filter(pl.col("model_sizes").list.len() == 0)
    assert unknown.height == 1 and kept.height == dropped.height + 1
    assert not dropped.filter(pl.col("model_sizes").list.len() == 0).height
    drop_view = views.build_view(board, Filters.from_query("?size=7..70").filters)
    assert any(n.startswith("1 claim that states no model size is left out by the model size range") for n in drop_view.notes)
    keep_view = views.build_view(board, Filters.from_query("?size=7..70&unknown=keep&x=gpus").filters, static=True)
    assert f"1 of {kept.height} claims state no model size and are kept (unknown=keep)." in keep_view.notes
    assert "unknown=keep" in keep_view.figure.layout.title.subtitle.text


def test_unknown_keep_round_trips_through_the_url_and_the_export_flag():
    parsed, ignored = Filters.from_query("?gpus=..8&unknown=keep")
    assert not ignored and parsed.unknown == "keep" and parsed.to_query() == "?gpus=..8&unknown=keep"
    assert Filters.from_query(parsed.to_query()).filters == parsed
    assert parsed.describe() == "All claims with at most 8 GPUs, keeping claims with an unknown model size or GPU count"
    assert Filters.from_query("?unknown=maybe").ignored  # a bad value is named, not guessed
    parser = argparse.ArgumentParser()
    parser.add_argument("--url")
    add_filter_flags(parser)
    from_flags, ignored = filters_from_args(parser.parse_args(["--gpus", "..8", "--unknown", "keep"]))
    assert not ignored and from_flags == parsed


# ------------------------------------------------------------------ baselines


def test_a_vllm_filter_finds_a_claim_against_peft_and_vllm(board):
    rows = board.rows(Filters.from_query("?baseline=vLLM").filters)
    assert MULTI_BASELINE in rows["text"].to_list()
    assert claim(board, MULTI_BASELINE)["baselines"] == ["Hugging Face PEFT", "vLLM"]
    record = views.table_record(claim(board, MULTI_BASELINE))
    assert record["baseline"] == "Hugging Face PEFT and vLLM"


def test_baselines_are_grouped_by_kind_with_generic_ones_apart(board):
    view = views.build_view(board, Filters.from_query("?tab=baselines").filters)
    stats = view.extra["stats"]
    kinds = dict(zip(stats["baseline"].to_list(), stats["kind"].to_list(), strict=True))
    assert kinds["vLLM"] == "system" and kinds["the state of the art"] == "generic"
    assert stats.filter(pl.col("baseline") == "vLLM")["claims"].item() == 5  # the PEFT-and-vLLM claim counts too
    boxes = [t for t in view.figure.data if t.q1 is not None]
    order = [name for t in boxes for name in t.x]
    assert order.index("vLLM") < order.index("the state of the art")  # systems first, generic ones apart
    labels = [a.text for a in view.figure.layout.annotations]
    assert "systems" in labels and "generic" in labels  # a label over each group
    assert {t.name for t in boxes} >= {"systems", figures.BASELINE_KIND_LABELS["generic"]}  # one legend entry per kind
    _, table, _, focus_rows, _ = callbacks.baselines_outputs(board, "?tab=baselines&focus=vLLM")
    assert MULTI_BASELINE in [r["number"] for r in focus_rows]


# ------------------------------------------------------------------ claims table and side by side


def test_claims_table_and_side_by_side_say_where_each_value_came_from(board):
    record = views.table_record(claim(board, MULTI_SIZE))
    assert (record["model_size"], record["gpu_count"], record["hardware"]) == (
        "7B, 70B (stated)", "8 GPUs (from the paper)", "H100 (stated)")
    assert views.table_record(claim(board, "2x"))["model_size"] == "—"
    view = views.build_view(board, Filters.from_query("?tab=side&papers=2401.00002&papers=2401.00004").filters)
    custom = [c for t in view.figure.data for c in t.customdata]
    assert any("7B, 70B (stated)" in c[4] for c in custom)


def test_csv_export_joins_the_setting_lists(board):
    rows = views.csv_rows(board.rows(Filters.from_query("?baseline=vLLM").filters))
    row = rows.filter(pl.col("text") == MULTI_BASELINE).row(0, named=True)
    assert row["baselines"] == "Hugging Face PEFT; vLLM" and row["baseline_kinds"] == "system; system"


def test_hover_carries_the_papers_link_and_marks_a_title_search():
    assert figures.link_text("https://arxiv.org/abs/2401.00001", "arxiv") == "arxiv.org/abs/2401.00001"
    assert figures.link_text("https://arxiv.org/search/?query=x", "search") == "arXiv title search (no id known)"
    label = figures.hover_label("T", None, "s 2x", "2x", None, None, None, None, link="arxiv.org/abs/<b>")
    assert label.endswith("<br>arxiv.org/abs/&lt;b&gt;")  # escaped like every other hover text


def test_the_landscape_view_shows_each_papers_link_on_hover(board):
    view = views.build_view(board, Filters(), static=True)
    hovers = [text for t in view.figure.data if t.mode == "markers" for text in t.text]
    plotted = board.claims.filter(pl.col("model_sizes").list.len() > 0).select("url", "url_kind").unique()
    assert plotted.height > 1
    for url, kind in plotted.iter_rows():
        assert any(figures.link_text(url, kind) in h for h in hovers), url


def test_long_written_out_baselines_are_cut_on_the_axis_and_whole_on_hover():
    long = "those systems that assume the worst case for the output sequence"
    assert figures.cut_label(long) == "those systems that assu…" and len(figures.cut_label(long)) == figures.TICK_CHARS
    assert figures.cut_label("vLLM") == "vLLM"
