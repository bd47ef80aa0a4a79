"""Figure builders: what is plotted, how it scales, and that data never becomes markup."""

from __future__ import annotations

import json

import plotly.graph_objects as go
import polars as pl
import pytest
from plotly.io.json import to_json_plotly

from dashboard import figures, views
from dashboard.data import claims_view
from support.stores import handmade_tables


@pytest.fixture(scope="module")
def claims() -> pl.DataFrame:
    tables = handmade_tables("run")
    return claims_view(tables["claims"], tables["papers"])


def many_claims(claims: pl.DataFrame, copies: int) -> pl.DataFrame:
    return pl.concat([claims.with_columns(claim_id=pl.col("claim_id") + f"/{i}") for i in range(copies)])


def test_landscape_plots_known_x_on_log_axes_with_hover_text(claims):
    fig = figures.landscape(claims, x="model_size", color="metric")
    plotted = sum(len(trace.x) for trace in fig.data)
    assert plotted == claims.filter(pl.col("model_sizes").list.len() > 0).height  # one size per handmade claim
    assert fig.layout.xaxis.type == "log" and fig.layout.yaxis.type == "log"
    assert {trace.name for trace in fig.data} <= set(figures.METRIC_COLORS)
    assert all(trace.marker.color == figures.METRIC_COLORS[trace.name] for trace in fig.data)
    assert all(len(trace.customdata) == len(trace.x) for trace in fig.data)  # the paper id: a click adds it
    assert "2401.00001" in {paper for trace in fig.data for paper in trace.customdata}
    hovers = [text for trace in fig.data for text in trace.text]
    assert any("PagedServe achieves 2.1x higher throughput than vLLM." in text for text in hovers)
    assert any("vs vLLM<br>7B · 8 GPUs · A100 (all from the paper)" in text for text in hovers)


def test_date_axis_is_linear_and_missing_x_gives_a_message(claims):
    assert figures.landscape(claims, x="published", color="metric").layout.xaxis.type != "log"
    fig = figures.landscape(claims.filter(pl.col("published").is_null()), x="published", color="metric")
    assert fig.data == () and "known published" in fig.layout.annotations[0].text


def test_data_strings_are_escaped_before_plotly_sees_them(claims):
    fig = figures.landscape(claims, x="gpus", color="baseline", title="<b>q</b>")
    payload = fig.to_json()
    assert "<script>" not in payload and "</script>" not in payload
    hovers = " ".join(text.replace("<br>", " ") for trace in fig.data for text in trace.text)
    assert "FastLLM: &lt;script&gt;alert(\"title\")&lt;/script&gt; Fast&lt;b&gt;LLM&lt;/b&gt;:" in hovers
    assert "&lt;/script&gt;&lt;script&gt;alert(\"s\")&lt;/script&gt;" in hovers  # the sentence
    assert "<script>" not in hovers and "<b>LLM" not in hovers
    assert fig.layout.title.text == "&lt;b&gt;q&lt;/b&gt;"


def test_selected_papers_get_a_ring_trace(claims):
    fig = figures.landscape(claims, x="model_size", color="metric", selected=("2401.00004",))
    ring = [t for t in fig.data if t.name == "selected papers"]
    assert len(ring) == 1 and len(ring[0].x) == 2  # MegaTrain's two claims


def test_webgl_traces_when_asked(claims):
    assert {t.type for t in figures.landscape(claims, x="gpus", color="metric", webgl=True).data} == {"scattergl"}
    assert {t.type for t in figures.landscape(claims, x="gpus", color="metric").data} == {"scatter"}


def test_colours_beyond_the_commonest_share_other(claims):
    rows = many_claims(claims, 2).with_columns(hardware=pl.concat_list(pl.col("claim_id")))  # 24 distinct devices
    names = {t.name for t in figures.landscape(rows, x="gpus", color="hardware").data}
    assert len(names) == figures.MAX_COLORS + 1 and "other" in names


def test_sampling_caps_points_deterministically_and_says_so(claims):
    rows = many_claims(claims, 500)  # 6,000 claims
    shown, note = figures.sample_rows(rows)
    again, _ = figures.sample_rows(rows)
    assert shown.height == figures.MAX_POINTS and shown["claim_id"].to_list() == again["claim_id"].to_list()
    assert note == (f"Showing a random sample of {figures.MAX_POINTS:,} of 6,000 claims; "
                    f"narrow the filters to {figures.MAX_POINTS:,} or fewer to see every point.")
    assert figures.sample_rows(claims) == (claims, None)


def test_big_landscape_payload_stays_small(claims):
    """What a browser receives for a huge view is bounded by MAX_POINTS and short hover texts, not by the data."""
    rows = many_claims(claims, 2_000).with_columns(
        sentence=pl.lit("y " * 300) + pl.col("sentence") + " " + "x" * 600, title=pl.col("title") + " t" * 200)
    shown, _ = figures.sample_rows(rows)
    fig = figures.landscape(shown, x="model_size", color="metric", webgl=True, total=rows.height)
    payload = to_json_plotly(fig)
    assert len(payload) < 2_000_000  # 4,000 points; each hover names its setting, where it came from, and the link
    assert max(len(text) for trace in fig.data for text in trace.text) < 600
    # the hover text keeps the claimed number even when it sits deep in a long sentence
    assert all("2.1x" in text for trace in fig.data for text, paper in zip(trace.text, trace.customdata, strict=True)
               if paper == "2401.00001" and "throughput" in text)
    assert '"bdata"' in payload  # numbers as typed arrays, not decimal lists


def test_a_sampled_chart_says_so_on_the_chart_itself(claims):
    rows = many_claims(claims, 500)
    shown, _ = figures.sample_rows(rows)
    fig = figures.landscape(shown, x="gpus", color="metric", total=rows.height)
    assert [a.text for a in fig.layout.annotations] == [f"random sample: {figures.MAX_POINTS:,} of 6,000 points"]
    assert not figures.landscape(claims, x="gpus", color="metric", total=claims.height).layout.annotations


def test_the_sentence_window_keeps_the_number():
    out = figures.claim_window("a" * 300 + " 3.5x faster " + "b" * 300, "3.5x")
    assert "3.5x" in out and out.startswith("…") and out.endswith("…") and len(out) <= figures.CLAIM_CHARS + 2
    assert figures.claim_window("short 2x", "2x") == "short 2x"
    assert figures.claim_window("no number here", "9x") == "no number here"
    assert figures.claim_window(None, None) == ""


@pytest.mark.parametrize("build", [
    lambda c: figures.landscape(c, x="model_size", color="hardware", selected=("2401.00001",), webgl=True, total=99),
    lambda c: figures.landscape(c, x="published", color="baseline", title="t", subtitle="s"),
    lambda c: figures.baselines(c, figures.baseline_stats(c), focus="TGI", total=99),
    lambda c: figures.side_by_side(c, {"2401.00001": "PagedServe", "2401.00002": "TurboAttn"}, title="t"),
    lambda c: figures.empty_figure("nothing", "t"),
], ids=["landscape", "landscape-dates", "baselines", "side", "empty"])
def test_figures_built_without_validation_are_valid_plotly(claims, build):
    """The builders skip Plotly's validation for speed: what they make must pass it."""
    fig = build(claims)
    checked = go.Figure(fig.to_dict())  # validates every property; raises on anything Plotly does not know
    assert json.loads(to_json_plotly(checked)) == json.loads(to_json_plotly(fig))  # and validation changed nothing
    assert checked.layout.template.layout.paper_bgcolor == "white"  # plotly_white


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
    fig = figures.baselines(claims, stats, focus="vLLM")
    boxes = [t for t in fig.data if t.q1 is not None]
    assert list(boxes[0].x[:1]) == ["vLLM"] and boxes[0].median[0] == pytest.approx(2.45)
    assert [s.x0 for s in fig.layout.shapes if s.type == "rect"] == [-0.5]  # vLLM, the first box, is marked


def test_claims_grid_rows_carry_the_sentence_as_plain_text_and_the_number_apart():
    """The grid's ClaimSentence renderer marks the number with React text nodes: no Markdown, no HTML."""
    row = {"claim_id": "c", "paper_id": "p", "title": "<b>t</b>", "metric": "speedup", "multiplier": 4.0,
           "baseline": None, "baseline_raw": None, "hardware": None, "model_size_params": None, "gpu_count": None,
           "sentence": '4x faster </script> [x](javascript:alert(2)) *b* than 4x', "text": "4x", "warning": None}
    record = views.table_record(row)
    assert record["sentence"] == row["sentence"] and record["number"] == "4x" and record["title"] == "<b>t</b>"


def test_hover_lines_break_at_spaces_and_escape_after_breaking():
    texts = pl.Series(["word " * 40, "x" * 150, "short <b>", None, "×–é " * 30 + "<tail>"])
    out = figures.wrap(texts, width=20, most=3).to_list()
    first = out[0].split("<br>")
    assert len(first) == 3 and all(len(line) <= 20 for line in first[:2]) and first[0] == "word word word word"
    assert out[1].split("<br>")[:2] == ["x" * 20, "x" * 20]  # no space: a hard break
    assert out[2] == "short &lt;b&gt;" and out[3] == ""
    assert all(len(line) <= 20 for line in out[4].split("<br>")[:2]) and out[4].endswith("&lt;tail&gt;")


def test_hover_label_names_the_system_once_and_escapes_everything():
    label = figures.hover_label("<i>Fast</i> serving", "Fast<i>", "It is 2x faster than <vLLM>.", "2x", None, "<raw>",
                                None, "odd & rare")
    assert label.startswith("<b>Fast&lt;i&gt;: &lt;i&gt;Fast&lt;/i&gt; serving</b><br>")
    assert "vs &lt;raw&gt;" in label and "⚠ odd &amp; rare" in label and " · on " not in label
    assert figures.hover_label("PagedServe: x", "PagedServe", "s", "s", "vLLM", None, "A100", None).startswith(
        "<b>PagedServe: x</b>")  # the title already names it


def test_log_axes_ticks_read_as_values(claims):
    """13: 1x 2x 5x 10x ... on the multiplier axis, 1B 7B 70B 1T on model size, whole GPU counts."""
    fig = figures.landscape(claims, x="model_size", color="metric")
    y, x = fig.layout.yaxis, fig.layout.xaxis
    assert y.type == "log" and y.tickmode == "array"
    assert all(t.endswith("x") for t in y.ticktext) and "1x" in y.ticktext and "10x" in y.ticktext
    assert x.type == "log" and {"7B", "70B", "1T"} <= set(x.ticktext)
    assert all(t[-1] in "MBT" for t in x.ticktext)
    gpus = figures.landscape(claims, x="gpus", color="metric").layout.xaxis
    assert "8" in gpus.ticktext and all(t.isdigit() for t in gpus.ticktext)
    assert figures.format_param_count(1.3e9) == "1.3B" and figures.format_multiplier(20) == "20x"


def test_points_are_one_size_and_the_legend_sits_below_the_plot(claims):
    """13: the size encoding (GPU count, with no legend) is dropped; the legend goes under the plot."""
    fig = figures.landscape(claims, x="model_size", color="metric")
    assert {t.marker.size for t in fig.data if t.name != "selected papers"} == {figures.MARKER_SIZE}
    assert fig.layout.legend.orientation == "h" and fig.layout.legend.y < 0
