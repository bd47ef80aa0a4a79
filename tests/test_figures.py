"""Figure builders: what is plotted, how it scales, and that data never becomes markup."""

from __future__ import annotations

import polars as pl
import pytest

from dashboard import figures, views
from dashboard.data import claims_view
from e2e.stores import handmade_tables


@pytest.fixture(scope="module")
def claims() -> pl.DataFrame:
    tables = handmade_tables("run")
    return claims_view(tables["claims"], tables["papers"])


def many_claims(claims: pl.DataFrame, copies: int) -> pl.DataFrame:
    return pl.concat([claims.with_columns(claim_id=pl.col("claim_id") + f"/{i}") for i in range(copies)])


def test_landscape_plots_known_x_on_log_axes_with_hover_text(claims):
    fig = figures.landscape(claims, x="model_size", color="metric")
    plotted = sum(len(trace.x) for trace in fig.data)
    assert plotted == claims.filter(pl.col("model_size_params").is_not_null()).height
    assert fig.layout.xaxis.type == "log" and fig.layout.yaxis.type == "log"
    assert {trace.name for trace in fig.data} <= set(figures.METRIC_COLORS)
    assert all(trace.marker.color == figures.METRIC_COLORS[trace.name] for trace in fig.data)
    sentences = {row[4] for trace in fig.data for row in trace.customdata}
    assert "PagedServe achieves 2.1x higher throughput than vLLM." in sentences


def test_date_axis_is_linear_and_missing_x_gives_a_message(claims):
    assert figures.landscape(claims, x="published", color="metric").layout.xaxis.type != "log"
    fig = figures.landscape(claims.filter(pl.col("published").is_null()), x="published", color="metric")
    assert fig.data == () and "known published" in fig.layout.annotations[0].text


def test_data_strings_are_escaped_before_plotly_sees_them(claims):
    fig = figures.landscape(claims, x="gpus", color="baseline", title="<b>q</b>")
    payload = fig.to_json()
    assert "<script>" not in payload and "</script>" not in payload
    titles = {row[2].replace("<br>", " ") for trace in fig.data for row in trace.customdata}
    assert "&lt;script&gt;alert(\"title\")&lt;/script&gt; Fast&lt;b&gt;LLM&lt;/b&gt;: [click](javascript:alert(1))" in titles
    assert fig.layout.title.text == "&lt;b&gt;q&lt;/b&gt;"


def test_selected_papers_get_a_ring_trace(claims):
    fig = figures.landscape(claims, x="model_size", color="metric", selected=("2401.00004",))
    ring = [t for t in fig.data if t.name == "selected papers"]
    assert len(ring) == 1 and len(ring[0].x) == 2  # MegaTrain's two claims


def test_webgl_traces_when_asked(claims):
    assert {t.type for t in figures.landscape(claims, x="gpus", color="metric", webgl=True).data} == {"scattergl"}
    assert {t.type for t in figures.landscape(claims, x="gpus", color="metric").data} == {"scatter"}


def test_colours_beyond_the_commonest_share_other(claims):
    rows = many_claims(claims, 2).with_columns(hardware=pl.col("claim_id"))  # 24 distinct values
    names = {t.name for t in figures.landscape(rows, x="gpus", color="hardware").data}
    assert len(names) == figures.MAX_COLORS + 1 and "other" in names


def test_sampling_caps_points_deterministically_and_says_so(claims):
    rows = many_claims(claims, 500)  # 6,000 claims
    shown, note = figures.sample_rows(rows)
    again, _ = figures.sample_rows(rows)
    assert shown.height == figures.MAX_POINTS and shown["claim_id"].to_list() == again["claim_id"].to_list()
    assert note == f"Showing a random sample of {figures.MAX_POINTS:,} of 6,000 claims."
    assert figures.sample_rows(claims) == (claims, None)


def test_big_landscape_payload_stays_small(claims):
    """What a browser receives for a huge view is bounded by MAX_POINTS, not by the data."""
    rows = many_claims(claims, 2_000).with_columns(sentence=pl.col("sentence") + " " + "x" * 600)
    shown, _ = figures.sample_rows(rows)
    fig = figures.landscape(shown, x="model_size", color="metric", webgl=True)
    assert len(fig.to_json()) < 2_000_000


def test_side_by_side_bars_are_each_papers_largest_claim_per_metric(claims):
    picked = claims.filter(pl.col("paper_id").is_in(["2401.00001", "2401.00007"]))
    labels = {"2401.00001": "PagedServe", "2401.00007": "SpecDecode"}
    fig = figures.side_by_side(picked, labels)
    bars = {(t.name, x): y for t in fig.data for x, y in zip(t.x, t.y, strict=True)}
    assert bars == {("PagedServe", "latency"): pytest.approx(1 / 0.6), ("PagedServe", "throughput"): 2.1,
                    ("SpecDecode", "latency"): 3.0, ("SpecDecode", "throughput"): 2.8}
    assert fig.layout.yaxis.type == "log"


def test_paper_labels_are_unique_and_fall_back_to_the_title():
    papers = pl.DataFrame({"paper_id": ["a", "b", "c"], "system": ["X", "X", None], "title": ["t1", "t2", "A" * 60]})
    assert figures.paper_labels(papers) == {"a": "X", "b": "X (b)", "c": "A" * 40 + "…"}


def test_baseline_stats_and_boxes_use_every_claim(claims):
    stats = figures.baseline_stats(claims)
    vllm = stats.row(by_predicate=pl.col("baseline") == "vLLM", named=True)
    assert (vllm["claims"], vllm["papers"], vllm["median"]) == (4, 4, pytest.approx(2.45))
    assert stats["baseline"][0] == "vLLM"  # most claimed-against first
    fig = figures.baselines(claims, stats, focus="TGI")
    box = next(t for t in fig.data if t.name == "spread")
    assert list(box.x[:2]) == ["vLLM", "TGI"] and box.median[0] == pytest.approx(2.45)
    assert [s.x0 for s in fig.layout.shapes if s.type == "rect"] == [0.5]  # TGI, the second box, is marked


def test_claim_sentence_markdown_is_escaped_with_the_number_bold():
    text = views.highlighted('4x faster </script> [x](javascript:alert(2)) *b* than 4x', "4x")
    assert text.startswith("**4x**")
    assert "[" not in text.replace("\\[", "") and "<" not in text.replace("\\<", "")
    assert text.count("**") == 2  # only the number, the later "4x" and *b* stay literal
