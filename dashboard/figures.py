"""Pure figure builders: Polars frames in, Plotly figures out (no Dash, no store).

Every string taken from the data is HTML-escaped before it reaches Plotly, because Plotly
renders a subset of HTML in titles, legends and hover labels; a paper titled
``<script>...`` must show up as that text, never as markup.
"""

from __future__ import annotations

import plotly.express as px
import plotly.graph_objects as go
import polars as pl

from dashboard.filters import X_AXES

MAX_POINTS = 4_000  # more rows than this are sampled before plotting (payload, not looks)
WEBGL_FROM = 1_000  # draw with WebGL from this many points on
MAX_COLORS = 10  # hardware/baseline colours beyond the most frequent share "other"
MAX_BOXES = 25  # baselines shown in the Baselines chart, most claimed-against first
HOVER_WIDTH = 80
HOVER_CHARS = 200

METRIC_COLORS = {
    "throughput": "#2563eb",
    "speedup": "#16a34a",
    "latency": "#ea580c",
    "memory": "#9333ea",
    "energy": "#ca8a04",
    "cost": "#db2777",
    "compute": "#0891b2",
    "scale": "#64748b",
}
FONT = "Inter, system-ui, -apple-system, Segoe UI, Roboto, sans-serif"
UNKNOWN = "unknown"
OTHER = "other"


# ---------------------------------------------------------------- text and rows


def escape(expr: pl.Expr) -> pl.Expr:
    """HTML-escape a string column (Plotly decodes these entities back to plain text)."""
    return expr.str.replace_all("&", "&amp;", literal=True).str.replace_all("<", "&lt;", literal=True).str.replace_all(
        ">", "&gt;", literal=True
    )


def escape_text(text: str) -> str:
    return text.replace("&", "&amp;").replace("<", "&lt;").replace(">", "&gt;")


def wrapped(expr: pl.Expr) -> pl.Expr:
    """Escaped, shortened and broken into lines for a hover label."""
    shortened = pl.when(expr.str.len_chars() > HOVER_CHARS).then(expr.str.slice(0, HOVER_CHARS) + "…").otherwise(expr)
    return escape(shortened).str.replace_all(rf"(.{{1,{HOVER_WIDTH}}})(\s+|$)", "$1<br>").str.strip_suffix("<br>")


def sample_rows(rows: pl.DataFrame, limit: int = MAX_POINTS, seed: int = 0) -> tuple[pl.DataFrame, str | None]:
    """At most ``limit`` rows (a fixed-seed random sample) and a note saying so when sampled."""
    if rows.height <= limit:
        return rows, None
    return rows.sample(limit, seed=seed), f"Showing a random sample of {limit:,} of {rows.height:,} claims."


def top_or_other(column: str, rows: pl.DataFrame, keep: int = MAX_COLORS) -> pl.Expr:
    """The column with nulls as "unknown" and all but its ``keep`` commonest values as "other"."""
    filled = pl.col(column).fill_null(UNKNOWN)
    top = rows.select(filled.value_counts(sort=True)).unnest(column)[column].head(keep).to_list()
    return pl.when(filled.is_in(top)).then(filled).otherwise(pl.lit(OTHER))


def styled(fig: go.Figure, title: str, subtitle: str | None = None) -> go.Figure:
    """The house style, with an escaped title (the filter sentence) and subtitle."""
    fig.update_layout(
        template="plotly_white",
        font={"family": FONT, "size": 13, "color": "#1f2937"},
        title={"text": escape_text(title), "x": 0.01, "xanchor": "left", "font": {"size": 16},
               "subtitle": {"text": escape_text(subtitle or ""), "font": {"size": 12, "color": "#6b7280"}}},
        margin={"l": 60, "r": 20, "t": 80 if title else 20, "b": 50},
        legend={"title": {"text": ""}, "itemsizing": "constant"},
        hoverlabel={"align": "left", "bgcolor": "white", "font": {"family": FONT, "size": 12}},
    )
    return fig


def empty_figure(message: str, title: str = "") -> go.Figure:
    """A blank chart carrying a message instead of data."""
    fig = go.Figure()
    fig.add_annotation(text=escape_text(message), showarrow=False, font={"size": 15, "color": "#6b7280"},
                       xref="paper", yref="paper", x=0.5, y=0.5)
    fig.update_xaxes(visible=False)
    fig.update_yaxes(visible=False)
    return styled(fig, title)


# ---------------------------------------------------------------- landscape

HOVER_COLUMNS = ["paper_id", "claim_id", "h_title", "h_system", "h_sentence", "h_baseline", "h_hardware", "h_warning"]
LANDSCAPE_HOVER = (
    "<b>%{customdata[2]}</b><br>system: %{customdata[3]}<br><br>%{customdata[4]}<br><br>"
    "multiplier: %{y:.3g}×  ·  baseline: %{customdata[5]}<br>"
    "hardware: %{customdata[6]}  ·  %{x}%{customdata[7]}<extra></extra>"
)


def hover_columns(rows: pl.DataFrame) -> pl.DataFrame:
    """Escaped, display-ready copies of the text shown on hover."""
    return rows.with_columns(
        h_title=wrapped(pl.col("title").fill_null("")),
        h_system=escape(pl.col("system").fill_null("—")),
        h_sentence=wrapped(pl.col("sentence")),
        h_baseline=escape(pl.col("baseline").fill_null(pl.col("baseline_raw")).fill_null("none named")),
        h_hardware=escape(pl.col("hardware").fill_null("—")),
        h_warning=pl.when(pl.col("warning").is_not_null())
        .then(pl.lit("<br>⚠ ") + escape(pl.col("warning")))
        .otherwise(pl.lit("")),
    )


def landscape(
    rows: pl.DataFrame, *, x: str, color: str, selected: tuple[str, ...] = (), title: str = "",
    subtitle: str | None = None, webgl: bool = False,
) -> go.Figure:
    """Claims on the shared axes: x is model size / GPU count / date, y the multiplier (log)."""
    x_column, x_title = X_AXES[x]
    plotted = rows.filter(pl.col(x_column).is_not_null())
    if plotted.is_empty():
        return empty_figure(f"None of these claims has a known {x_title.lower()}; pick another x axis.", title)
    plotted = hover_columns(plotted).with_columns(
        colour=escape(top_or_other(color, plotted)),
        marker=(pl.col("gpu_count").fill_null(1).cast(pl.Float64).log(2) + 2),
    )
    fig = px.scatter(
        plotted, x=x_column, y="multiplier", color="colour", size="marker", size_max=16,
        log_x=x != "published", log_y=True, custom_data=HOVER_COLUMNS,
        color_discrete_map=METRIC_COLORS if color == "metric" else None,
        category_orders={"colour": sorted(plotted["colour"].unique().to_list())},
        render_mode="webgl" if webgl else "svg",
        labels={x_column: x_title, "multiplier": "Improvement multiplier (×, log)", "colour": color},
    )
    fig.update_traces(hovertemplate=LANDSCAPE_HOVER, marker={"opacity": 0.8, "line": {"width": 0.5, "color": "white"}})
    picked = plotted.filter(pl.col("paper_id").is_in(list(selected)))
    if not picked.is_empty():
        ring = go.Scattergl if webgl else go.Scatter
        fig.add_trace(ring(
            x=picked[x_column].to_list(), y=picked["multiplier"].to_list(), mode="markers", name="selected papers",
            marker={"symbol": "circle-open", "size": 20, "color": "#111827", "line": {"width": 2}},
            hoverinfo="skip",
        ))
    fig.add_hline(y=1, line={"dash": "dot", "color": "#9ca3af", "width": 1})
    return styled(fig, title, subtitle)


# ---------------------------------------------------------------- side by side


def paper_labels(papers: pl.DataFrame) -> dict[str, str]:
    """paper_id -> a short unique name: the system, else the title's start."""
    labels: dict[str, str] = {}
    for paper_id, system, title in papers.select("paper_id", "system", "title").iter_rows():
        label = system or (title[:40] + "…" if len(title) > 40 else title)
        labels[paper_id] = label if label not in labels.values() else f"{label} ({paper_id})"
    return labels


def side_by_side(rows: pl.DataFrame, labels: dict[str, str], *, title: str = "", subtitle: str | None = None) -> go.Figure:
    """Each compared paper's largest claim per metric, as grouped bars on one log axis."""
    if rows.is_empty():
        return empty_figure("The selected papers have no claims matching these filters.", title)
    best = (
        rows.with_columns(paper=pl.col("paper_id").replace_strict(labels, default=pl.col("paper_id")))
        .group_by("paper_id", "paper", "metric")
        .agg(
            pl.col("multiplier").max(),
            pl.len().alias("claims"),
            pl.col("sentence").sort_by("multiplier", descending=True).first().alias("sentence"),
        )
        .with_columns(h_paper=escape(pl.col("paper")), h_sentence=wrapped(pl.col("sentence")))
        .sort("metric", "paper")
    )
    fig = px.bar(
        best, x="metric", y="multiplier", color="h_paper", barmode="group", log_y=True,
        custom_data=["paper_id", "h_paper", "claims", "h_sentence"],
        category_orders={"h_paper": [escape_text(labels[p]) for p in labels]},
        labels={"metric": "", "multiplier": "Largest claimed multiplier (×, log)", "h_paper": "paper"},
    )
    fig.update_traces(hovertemplate=(
        "<b>%{customdata[1]}</b> · %{x}<br>%{y:.3g}× (largest of %{customdata[2]} claims)<br><br>"
        "%{customdata[3]}<extra></extra>"
    ))
    fig.add_hline(y=1, line={"dash": "dot", "color": "#9ca3af", "width": 1})
    return styled(fig, title, subtitle)


# ---------------------------------------------------------------- baselines


def baseline_stats(rows: pl.DataFrame) -> pl.DataFrame:
    """Per canonical baseline: claims, papers and the spread of multipliers, most claims first."""
    return (
        rows.filter(pl.col("baseline").is_not_null())
        .group_by("baseline")
        .agg(
            pl.len().alias("claims"),
            pl.col("paper_id").n_unique().alias("papers"),
            pl.col("multiplier").median().alias("median"),
            pl.col("multiplier").quantile(0.25, "linear").alias("q1"),
            pl.col("multiplier").quantile(0.75, "linear").alias("q3"),
            pl.col("multiplier").min().alias("low"),
            pl.col("multiplier").max().alias("high"),
        )
        .sort(["claims", "baseline"], descending=[True, False])
    )


def baselines(
    rows: pl.DataFrame, stats: pl.DataFrame, *, focus: str = "", title: str = "", subtitle: str | None = None
) -> go.Figure:
    """Boxes from each baseline's quartiles (exact at any size) with its claims as points."""
    if stats.is_empty():
        return empty_figure("None of these claims names a known baseline.", title)
    shown = stats.head(MAX_BOXES)
    names = shown["baseline"].to_list()
    points, _ = sample_rows(rows.filter(pl.col("baseline").is_in(names)))
    points = hover_columns(points).with_columns(h_baseline_axis=escape(pl.col("baseline")))
    axis = [escape_text(n) for n in names]
    fig = px.strip(
        points, x="h_baseline_axis", y="multiplier", log_y=True, custom_data=["baseline", *HOVER_COLUMNS[:5]],
        category_orders={"h_baseline_axis": axis},
        labels={"h_baseline_axis": "", "multiplier": "Claimed multiplier (×, log)"},
    )
    fig.update_traces(
        marker={"size": 6, "opacity": 0.55, "color": "#2563eb"}, jitter=0.5,
        hovertemplate="<b>%{customdata[3]}</b><br>%{customdata[5]}<br>%{y:.3g}× vs %{x}<extra></extra>",
    )
    fig.add_trace(go.Box(
        x=axis, q1=shown["q1"].to_list(), median=shown["median"].to_list(), q3=shown["q3"].to_list(),
        lowerfence=shown["low"].to_list(), upperfence=shown["high"].to_list(), name="spread",
        customdata=names, fillcolor="rgba(37,99,235,0.08)", line={"color": "#1e3a8a", "width": 1.2},
        hovertemplate="%{x}<br>median %{median:.3g}×<extra></extra>",
    ))
    if focus in names:
        fig.add_vrect(x0=names.index(focus) - 0.5, x1=names.index(focus) + 0.5, fillcolor="#fde68a", opacity=0.35,
                      line_width=0, layer="below")
    fig.update_layout(showlegend=False, boxmode="overlay")
    fig.add_hline(y=1, line={"dash": "dot", "color": "#9ca3af", "width": 1})
    return styled(fig, title, subtitle)
