"""Pure figure builders: Polars frames in, Plotly figures out (no Dash, no store).

Every string taken from the data is HTML-escaped before it reaches Plotly, because Plotly
renders a subset of HTML in titles, legends and hover labels; a paper titled
``<script>...`` must show up as that text, never as markup.

Figures are assembled from plain trace and layout dicts with NumPy arrays (not Plotly Express,
and without Plotly's per-property validation, which is most of the time at thousands of points;
the tests validate what these builders make): numbers travel as compact typed arrays.
What reaches the browser is bounded by ``MAX_POINTS`` per chart and short hover texts, never
by the size of the data; a sampled chart says so in a corner.
"""

from __future__ import annotations

import json
from functools import lru_cache

import plotly.graph_objects as go
import plotly.io as pio
import polars as pl

from dashboard.filters import X_AXES

MAX_POINTS = 4_000  # more rows than this are sampled before plotting (payload, not looks)
WEBGL_FROM = 1_000  # draw with WebGL from this many points on
MAX_COLORS = 10  # hardware/baseline colours beyond the most frequent share "other"
MAX_BOXES = 25  # baselines shown in the Baselines chart, most claimed-against first
HOVER_WIDTH = 70
HOVER_CHARS = 200  # a sentence on hover (side by side)
CLAIM_CHARS = 120  # the window of a claim's sentence around its number on hover (the claims table has it whole)
CLAIM_LEAD = 45  # characters of that window before the number
TITLE_CHARS = 90  # a paper title on hover
TICK_CHARS = 24  # a baseline's name on the Baselines axis
MARKER_SIZE = 9  # every point the same size: GPU count is an x axis of its own, not a size
CHART_HEIGHT = 540  # px on screen: a fixed height, so a chart drawn while its tab is hidden never collapses to 0

#: log-axis ticks that read as values: 1x 2x 5x 10x ..., 1B 7B 70B 1T, 1 2 4 8 ... GPUs
MULTIPLIER_TICKS = [0.01, 0.02, 0.05, 0.1, 0.2, 0.5, 1, 2, 5, 10, 20, 50, 100, 200, 500, 1000, 2000, 5000, 10000]
PARAM_TICKS = [1e6, 1e7, 1e8, 3e8, 1e9, 3e9, 7e9, 13e9, 30e9, 70e9, 175e9, 400e9, 1e12, 2e12, 1e13]
#: the ticks kept when a wide range would list too many
MAJOR_TICKS = {1e6, 1e8, 1e9, 7e9, 70e9, 1e12, 1e13, 0.01, 0.1, 1, 2, 5, 10, 100, 1000, 10000, 1, 8, 64, 512, 4096, 32768}
GPU_TICKS = [1, 2, 4, 8, 16, 32, 64, 128, 256, 512, 1024, 2048, 4096, 8192, 16384, 32768, 65536]

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
#: colours for hardware/baseline values, in order of frequency (Plotly's qualitative palette)
PALETTE = ["#636efa", "#EF553B", "#00cc96", "#ab63fa", "#FFA15A", "#19d3f3", "#FF6692", "#B6E880", "#FF97FF", "#FECB52"]
FONT = "Inter, system-ui, -apple-system, Segoe UI, Roboto, sans-serif"
UNKNOWN = "unknown"
OTHER = "other"
GREYS = {OTHER: "#9ca3af", UNKNOWN: "#cbd5e1"}


# ---------------------------------------------------------------- a claim's setting in words

#: where a setting value came from (``*_from``), as the hover, side by side and claims table say it
SOURCE_WORDS = {"claim": "stated", "paper": "from the paper"}
#: the joining line of a claim measured at several x values (one point per value)
JOIN_LINE = {"color": "#6b7280", "width": 1}
JOIN_NAMES = {"model_size": "one claim at several sizes (joined)", "gpus": "one claim at several GPU counts (joined)"}


def setting_words(axis: str, values: list | None, source: str | None, *, with_source: bool = True) -> str:
    """One axis of a claim's setting in words, with where it came from: "7B, 70B (stated)",
    "8 GPUs (from the paper)", "A100 (stated)"; "" when unknown."""
    if not values:
        return ""
    if axis == "model_sizes":
        text = ", ".join(format_param_count(v) for v in values)
    elif axis == "gpu_counts":
        text = ", ".join(f"{v:g}" if isinstance(v, float) else str(v) for v in values)
        text += " GPU" if values == [1] else " GPUs"
    else:
        text = ", ".join(str(v) for v in values)
    return f"{text} ({SOURCE_WORDS.get(source, 'source unknown')})" if with_source else text


SETTING_AXES = ("model_sizes", "gpu_counts", "hardware")
SETTING_COLUMNS = [c for axis in SETTING_AXES for c in (axis, f"{axis}_from")]


def setting_line(row: dict) -> str:
    """A claim's whole setting in one line: "70B (stated) · 8 GPUs (from the paper) · A100 (stated)";
    when every known value has the same source it is said once ("7B · 8 GPUs · A100 (all from the
    paper)"); unknown axes are named as such."""
    sources = {row.get(f"{axis}_from") for axis in SETTING_AXES if row.get(axis)}
    once = len(sources) == 1 and sum(bool(row.get(axis)) for axis in SETTING_AXES) > 1
    parts = []
    for axis, unknown in zip(SETTING_AXES, ("size unknown", "GPUs unknown", "hardware unknown"), strict=True):
        parts.append(setting_words(axis, row.get(axis), row.get(f"{axis}_from"), with_source=not once) or unknown)
    line = " · ".join(parts)
    return f"{line} (all {SOURCE_WORDS.get(sources.pop(), 'of unknown source')})" if once else line


def colour_source(color: str) -> pl.Expr:
    """One colour value per claim: the metric, the first of the claim's own devices, or its baseline."""
    if color == "hardware":
        return pl.col("hardware").list.first().alias("hardware")
    if color == "baseline":
        return pl.coalesce(pl.col("baseline"), pl.col("baselines").list.first()).alias("baseline")
    return pl.col(color)


# ---------------------------------------------------------------- text and rows


def escape(expr: pl.Expr) -> pl.Expr:
    """HTML-escape a string column (Plotly decodes these entities back to plain text)."""
    return expr.str.replace_all("&", "&amp;", literal=True).str.replace_all("<", "&lt;", literal=True).str.replace_all(
        ">", "&gt;", literal=True
    )


def escape_text(text: str) -> str:
    if "&" in text or "<" in text or ">" in text:
        return text.replace("&", "&amp;").replace("<", "&lt;").replace(">", "&gt;")
    return text


def shortened(expr: pl.Expr, limit: int) -> pl.Expr:
    """At most ``limit`` characters, with "…" when cut."""
    return pl.when(expr.str.len_chars() > limit).then(expr.str.slice(0, limit) + "…").otherwise(expr)


def wrap_one(text: str | None, width: int = HOVER_WIDTH, most: int = 3) -> str:
    """One text HTML-escaped and broken into at most ``most`` lines (``<br>``) of about ``width``
    characters, at spaces (inside a longer word, anywhere); the last line keeps the rest."""
    if not text:
        return ""
    if len(text) <= width:
        return escape_text(text)
    lines = []
    while len(text) > width and len(lines) < most - 1:
        cut = text.rfind(" ", 0, width + 1)
        cut = cut if cut > 0 else width
        lines.append(text[:cut])
        text = text[cut:].lstrip(" ")
    if text:
        lines.append(text)
    return escape_text("\n".join(lines)).replace("\n", "<br>")


def wrap(texts: pl.Series, width: int = HOVER_WIDTH, most: int = 3) -> pl.Series:
    """``wrap_one`` over a column (plain Python: a few thousand short hover texts at most, where it
    is faster than a regular expression or a chain of column operations)."""
    return pl.Series(texts.name, [wrap_one(t, width, most) for t in texts.to_list()], dtype=pl.String)


def format_multiplier(value: float) -> str:
    return f"{value:g}x"


def format_param_count(value: float) -> str:
    for scale, suffix in ((1e12, "T"), (1e9, "B"), (1e6, "M")):
        if value >= scale:
            return f"{value / scale:g}{suffix}"
    return f"{value:g}"


def log_ticks(low: float | None, high: float | None, ticks: list[float], label) -> dict:
    """``tickvals``/``ticktext`` for a log axis over [low, high] (a little past each end), from
    a list of round values: ticks that read as values, never a bare mantissa."""
    if low is None or high is None or not low > 0:
        return {}
    inside = [t for t in ticks if low / 2.2 <= t <= high * 2.2]
    if len(inside) > 9:  # a wide range: the major ticks only
        inside = [t for t in inside if t in MAJOR_TICKS]
    return {"tickmode": "array", "tickvals": inside, "ticktext": [label(t) for t in inside]} if inside else {}


def multiplier_axis(values: pl.Series, title: str) -> dict:
    values = values.drop_nulls()
    low, high = (float(values.min()), float(values.max())) if len(values) else (None, None)
    return {"type": "log", "title": {"text": title}, **log_ticks(low, high, MULTIPLIER_TICKS, format_multiplier)}


def sample_note(shown: int, total: int, noun: str = "claims") -> str:
    """What a sampled chart says under it (and, shorter, in its corner)."""
    return (f"Showing a random sample of {shown:,} of {total:,} {noun}; "
            f"narrow the filters to {MAX_POINTS:,} or fewer to see every point.")


def sample_rows(rows: pl.DataFrame, limit: int = MAX_POINTS, seed: int = 0) -> tuple[pl.DataFrame, str | None]:
    """At most ``limit`` rows (a fixed-seed random sample, in their original order) and a note
    saying so when sampled."""
    if rows.height <= limit:
        return rows, None
    picked = pl.int_range(0, rows.height, dtype=pl.UInt32, eager=True).sample(limit, seed=seed).sort()
    return rows[picked], sample_note(limit, rows.height)


def top_values(column: str, rows: pl.DataFrame | pl.Series, keep: int = MAX_COLORS) -> list[str]:
    """The ``keep`` commonest values of a column (nulls as "unknown"), commonest first, ties by name."""
    values = rows if isinstance(rows, pl.Series) else rows[column]
    counts = values.fill_null(UNKNOWN).alias("value").value_counts()
    return counts.sort(["count", "value"], descending=[True, False])["value"].head(keep).to_list()


def top_or_other(column: str, rows: pl.DataFrame, keep: int = MAX_COLORS, top: list[str] | None = None,
                 source: pl.Expr | None = None) -> pl.Expr:
    """The column (or ``source``, one value per row) with nulls as "unknown" and all but its
    ``keep`` commonest values (or ``top``) as "other"."""
    filled = (pl.col(column) if source is None else source).fill_null(UNKNOWN)
    top = top_values(column, rows, keep) if top is None else top
    return pl.when(filled.is_in(top)).then(filled).otherwise(pl.lit(OTHER))


def colour_of(name: str, color: str, index: int) -> str:
    """Metric colours are fixed; other values take the palette in frequency order, greys for other/unknown."""
    if color == "metric" and name in METRIC_COLORS:
        return METRIC_COLORS[name]
    return GREYS.get(name, PALETTE[index % len(PALETTE)])


def sampled_badge(shown: int, total: int) -> dict:
    """A note above the chart's top-left corner (clear of the mode bar), so a screenshot or an
    export says it is a sample."""
    return {"text": f"random sample: {shown:,} of {total:,} points", "showarrow": False, "xref": "paper",
            "yref": "paper", "x": 0, "y": 1, "xanchor": "left", "yanchor": "bottom",
            "font": {"size": 11, "color": "#92400e"}, "bgcolor": "#fffbeb", "bordercolor": "#fde68a",
            "borderwidth": 1, "borderpad": 3}


@lru_cache(maxsize=1)
def template_json() -> str:
    """The plotly_white template, resolved once (setting it by name validates all of it)."""
    return json.dumps(pio.templates["plotly_white"].to_plotly_json())


#: the legend under the plot, in rows: on a phone it must not take half the chart
LEGEND_BELOW = {"title": {"text": ""}, "itemsizing": "constant", "orientation": "h", "x": 0, "xanchor": "left",
                "y": -0.16, "yanchor": "top"}


def house_layout(title: str = "", subtitle: str | None = None, **extra) -> dict:
    """The house style as a layout dict, with an escaped title (the filter sentence) and subtitle;
    ``extra`` adds or replaces top-level layout keys (an empty list adds nothing)."""
    extra = {key: value for key, value in extra.items() if value != []}
    lines = (subtitle or "").split("\n")
    return {
        "template": json.loads(template_json()),
        "font": {"family": FONT, "size": 13, "color": "#1f2937"},
        "title": {"text": escape_text(title), "x": 0.01, "xanchor": "left", "font": {"size": 16},
                  "subtitle": {"text": "<br>".join(escape_text(line) for line in lines), "font": {"size": 12, "color": "#6b7280"}}},
        "margin": {"l": 60, "r": 20, "t": (80 + 15 * (len(lines) - 1)) if title else 20, "b": 50},
        "legend": LEGEND_BELOW,
        "hoverlabel": {"align": "left", "bgcolor": "white", "font": {"family": FONT, "size": 12}},
        **extra,
    }


def figure(data: list[dict], layout: dict) -> go.Figure:
    """A figure from trace and layout dicts made in this module, without Plotly's validation."""
    try:
        return go.Figure(data=data, layout=layout, _validate=False)
    except TypeError:  # a Plotly without that (private) switch: validate
        return go.Figure(data=data, layout=layout)


#: the dotted line at "no change" (multiplier 1)
ONE = {"type": "line", "xref": "x domain", "x0": 0, "x1": 1, "yref": "y", "y0": 1, "y1": 1,
       "line": {"dash": "dot", "color": "#9ca3af", "width": 1}}


def empty_figure(message: str, title: str = "") -> go.Figure:
    """A blank chart carrying a message instead of data."""
    note = {"text": escape_text(message), "showarrow": False, "font": {"size": 15, "color": "#6b7280"},
            "xref": "paper", "yref": "paper", "x": 0.5, "y": 0.5}
    return figure([], house_layout(title, annotations=[note], xaxis={"visible": False}, yaxis={"visible": False}))


# ---------------------------------------------------------------- landscape

#: the variable part of a landscape hover label is one pre-escaped string per point (``text``):
#: one array instead of eight keeps both the payload and Plotly's per-element copying small
LANDSCAPE_HOVER = "%{text}<br>multiplier: %{y:.3g}×  ·  %{x}<extra></extra>"
#: claims columns the landscape and its hover labels read
LANDSCAPE_COLUMNS = ["paper_id", "title", "system", "sentence", "text", "baseline", "baselines", "baseline_raw",
                     "warning", "metric", "multiplier", "published", *SETTING_COLUMNS]
#: read too when the snapshot has them: the paper's link, shown on hover
LINK_COLUMNS = ["url", "url_kind"]


def cut_label(text: str, limit: int = TICK_CHARS) -> str:
    """An axis label of at most ``limit`` characters, with "…" where it was cut."""
    return text if len(text) <= limit else text[: limit - 1].rstrip() + "…"


def claim_window(sentence: str | None, number: str | None, limit: int = CLAIM_CHARS, lead: int = CLAIM_LEAD) -> str:
    """At most ``limit`` characters of the sentence, starting a little before the claim's number
    (so a long sentence still shows it), with "…" where it was cut."""
    sentence = sentence or ""
    at = sentence.find(number) if number else -1
    start = at - lead if at > lead else 0
    return ("…" if start else "") + sentence[start:start + limit] + ("…" if start + limit < len(sentence) else "")


def hover_label(title: str | None, system: str | None, sentence: str | None, number: str | None, baseline: str | None,
                baseline_raw: str | None, hardware: str | None, warning: str | None, details: bool = True,
                link: str | None = None) -> str:
    """A claim's hover label as escaped HTML: its paper's title (with the system when the title
    does not name it), the sentence around the claimed number and (``details``) the baseline(s),
    the setting (each axis value with where it came from: "70B (stated) · 8 GPUs (from the
    paper) · A100 (stated)"), any warning and the paper's link. Short: it is sent once per point."""
    title = title or ""
    if system and system not in title:
        title = f"{system}: {title}"
    if len(title) > TITLE_CHARS:
        title = title[:TITLE_CHARS] + "…"
    label = f"<b>{wrap_one(title)}</b><br>{wrap_one(claim_window(sentence, number))}"
    if details:
        label += f"<br>vs {escape_text(baseline or baseline_raw or 'no named baseline')}"
        label += f"<br>{escape_text(hardware)}" if hardware else ""
        label += f"<br>⚠ {escape_text(warning)}" if warning else ""
        label += f"<br>{escape_text(link)}" if link else ""
    return label


def link_text(url: str | None, kind: str | None) -> str | None:
    """A paper's link as hover text: the address without its scheme, or what a title search is."""
    if not url:
        return None
    return "arXiv title search (no id known)" if kind == "search" else url.removeprefix("https://")


def _baselines_text(row: dict) -> str | None:
    names = row.get("baselines")
    return " and ".join(names) if names else row.get("baseline")


def hover_labels(rows: pl.DataFrame, *, details: bool = True) -> pl.Series:
    """``hover_label`` for every row (plain Python over at most ``MAX_POINTS`` rows: faster here
    than string expressions, which pay a fixed cost per operation). The "hardware" slot carries
    the claim's whole setting line when the rows have its columns."""
    labels = []
    has_setting = all(c in rows.columns for c in SETTING_COLUMNS)
    for row in rows.to_dicts():
        setting = setting_line(row) if has_setting else row.get("hardware")
        labels.append(hover_label(row.get("title"), row.get("system"), row.get("sentence"), row.get("text"),
                                  _baselines_text(row), row.get("baseline_raw"), setting, row.get("warning"),
                                  details=details, link=link_text(row.get("url"), row.get("url_kind"))))
    return pl.Series("hover", labels, dtype=pl.String)


def landscape(
    rows: pl.DataFrame, *, x: str, color: str, selected: tuple[str, ...] = (), title: str = "",
    subtitle: str | None = None, webgl: bool = False, top: list[str] | None = None, total: int | None = None,
) -> go.Figure:
    """Claims on the shared axes: x is model size / GPU count / date, y the multiplier (log).

    One trace per colour; ``customdata`` is each point's paper id (a click adds it to the
    comparison), ``text`` its hover label. ``top``: the colour values to keep (default: the
    commonest in ``rows``); ``total``: how many points ``rows`` was sampled from (adds a corner note).
    """
    x_column, x_title = X_AXES[x]
    listed = isinstance(rows.schema.get(x_column), pl.List)
    known = pl.col(x_column).list.len() > 0 if listed else pl.col(x_column).is_not_null()
    plotted = rows.filter(known.fill_null(False))
    if plotted.is_empty():
        return empty_figure(f"None of these claims has a known {x_title.lower()}; pick another x axis.", title)
    plotted = plotted.select(
        "paper_id", x_column, pl.col("multiplier").cast(pl.Float32),
        colour=escape(top_or_other(color, plotted.select(colour_source(color)), top=top, source=colour_source(color))),
    ).with_columns(hover=hover_labels(plotted), claim=pl.int_range(pl.len(), dtype=pl.UInt32))
    if listed:  # one point per value the claim was measured at (a claim at 7B and 70B: two points)
        plotted = plotted.with_columns(pl.col(x_column).list.unique(maintain_order=True)).explode(x_column)
        if x == "gpus":
            plotted = plotted.with_columns(pl.col(x_column).cast(pl.Float64))
    ranked = [n for n in top_values("colour", plotted["colour"], keep=plotted.height) if n not in GREYS]
    kind = "scattergl" if webgl else "scatter"
    traces = []  # dicts, not trace objects: go.Figure would deep-copy their arrays element by element
    joined = plotted.filter(pl.len().over("claim") > 1) if listed else plotted.clear()
    if not joined.is_empty():  # drawn first, under the points: a thin line through each claim's points
        xs, ys = [], []
        for (_,), part in joined.partition_by("claim", as_dict=True, maintain_order=True).items():
            part = part.sort(x_column)
            xs += [*part[x_column].to_list(), None]
            ys += [*part["multiplier"].to_list(), None]
        traces.append(dict(type="scatter", x=xs, y=ys, mode="lines", name=JOIN_NAMES[x], line=JOIN_LINE,
                           hoverinfo="skip", legendrank=2000, connectgaps=False))
    for (name,), part in sorted(plotted.partition_by("colour", as_dict=True).items()):
        traces.append(dict(
            type=kind, x=part[x_column].to_numpy(), y=part["multiplier"].to_numpy(), customdata=part["paper_id"].to_list(),
            text=part["hover"].to_list(), name=name, legendgroup=name, mode="markers", hovertemplate=LANDSCAPE_HOVER,
            marker={"color": colour_of(name, color, ranked.index(name) if name in ranked else 0),
                    "size": MARKER_SIZE, "opacity": 0.8,
                    "line": {"width": 0.5, "color": "white"}},
        ))
    picked = plotted.filter(pl.col("paper_id").is_in(list(selected)))  # every point of a picked claim
    if not picked.is_empty():
        traces.append(dict(
            type=kind, x=picked[x_column].to_numpy(), y=picked["multiplier"].to_numpy(), mode="markers",
            name="selected papers", marker={"symbol": "circle-open", "size": 20, "color": "#111827", "line": {"width": 2}},
            hoverinfo="skip",
        ))
    xaxis = {"title": {"text": x_title}}
    if x != "published":
        values = plotted[x_column].cast(pl.Float64)
        ticks, label = (PARAM_TICKS, format_param_count) if x == "model_size" else (GPU_TICKS, lambda v: f"{v:g}")
        xaxis |= {"type": "log", **log_ticks(float(values.min()), float(values.max()), ticks, label)}
    badge = [sampled_badge(rows.height, total)] if total is not None and total > rows.height else []
    return figure(traces, house_layout(
        title, subtitle, xaxis=xaxis, yaxis=multiplier_axis(plotted["multiplier"], "Improvement multiplier (log)"),
        legend={**LEGEND_BELOW, "title": {"text": f"{color}: "}}, shapes=[ONE], annotations=badge,
    ))


# ---------------------------------------------------------------- side by side


def paper_labels(papers: pl.DataFrame) -> dict[str, str]:
    """paper_id -> a short unique name: the system, else the title's start."""
    labels: dict[str, str] = {}
    for paper_id, system, title in papers.select("paper_id", "system", "title").iter_rows():
        label = system or (title[:40] + "…" if len(title) > 40 else title)
        labels[paper_id] = label if label not in labels.values() else f"{label} ({paper_id})"
    return labels


def side_by_side(rows: pl.DataFrame, labels: dict[str, str], *, title: str = "", subtitle: str | None = None) -> go.Figure:
    """Each compared paper's largest claim per metric, as grouped bars on one log axis; the hover
    gives that claim's sentence and its setting (``setting``: each value stated or from the paper)."""
    if rows.is_empty():
        return empty_figure("The selected papers have no claims matching these filters.", title)
    best = (
        rows.with_columns(paper=pl.col("paper_id").replace_strict(labels, default=pl.col("paper_id")))
        .group_by("paper_id", "paper", "metric")
        .agg(
            pl.col("multiplier").max(),
            pl.len().alias("claims"),
            pl.col("sentence").sort_by("multiplier", descending=True).first().alias("sentence"),
            (pl.col("setting").sort_by("multiplier", descending=True).first() if "setting" in rows.columns
             else pl.lit("")).alias("setting"),
        )
        .with_columns(h_paper=escape(pl.col("paper")), sentence=shortened(pl.col("sentence"), HOVER_CHARS))
        .sort("metric", "paper")
    )
    best = best.with_columns(h_sentence=wrap(best["sentence"], most=4), h_setting=escape(pl.col("setting")))
    hover = ("<b>%{customdata[1]}</b> · %{x}<br>%{y:.3g}× (largest of %{customdata[2]} claims)<br><br>"
             "%{customdata[3]}<br>%{customdata[4]}<extra></extra>")
    traces = []
    for i, paper_id in enumerate(labels):
        part = best.filter(pl.col("paper_id") == paper_id)
        if part.is_empty():
            continue
        traces.append(dict(
            type="bar", x=part["metric"].to_list(), y=part["multiplier"].to_list(), name=escape_text(labels[paper_id]),
            customdata=[list(r) for r in part.select("paper_id", "h_paper", "claims", "h_sentence", "h_setting").rows()],
            marker={"color": PALETTE[i % len(PALETTE)]}, hovertemplate=hover, legendgroup=paper_id,
        ))
    return figure(traces, house_layout(
        title, subtitle, barmode="group", legend={**LEGEND_BELOW, "title": {"text": "paper: "}},
        xaxis={"title": {"text": ""}, "categoryorder": "category ascending"},
        yaxis=multiplier_axis(best["multiplier"], "Largest claimed multiplier (log)"), shapes=[ONE],
    ))


# ---------------------------------------------------------------- baselines


#: the kinds of canonical baselines, in the order the Baselines view groups them
BASELINE_KIND_ORDER = ["system", "method", "hardware", "generic", "unknown"]
BASELINE_KIND_LABELS = {"system": "systems", "method": "methods", "hardware": "hardware",
                        "generic": "generic (“the state of the art”)", "unknown": "not in the registry"}
BASELINE_KIND_SHORT = {"system": "systems", "method": "methods", "hardware": "hardware", "generic": "generic",
                       "unknown": "other"}  # the group labels over the chart (the legend has the long form)
BASELINE_KIND_COLORS = {"system": "#2563eb", "method": "#16a34a", "hardware": "#ea580c", "generic": "#64748b",
                        "unknown": "#9ca3af"}


def baseline_pairs(rows: pl.DataFrame, columns: list[str]) -> pl.DataFrame:
    """One row per (claim, canonical baseline): a claim against "PEFT and vLLM" counts for both.
    Columns ``baseline`` (the name) and ``kind`` plus ``columns``."""
    if "baselines" not in rows.columns:  # a frame of scalar baselines (older callers)
        kinds = pl.lit("unknown") if "kind" not in rows.columns else pl.col("kind")
        return rows.filter(pl.col("baseline").is_not_null()).select(*columns, baseline=pl.col("baseline"), kind=kinds)
    kinds = pl.col("baseline_kinds") if "baseline_kinds" in rows.columns else pl.col("baselines").list.eval(pl.lit("unknown"))
    return (rows.select(*[c for c in columns if c not in ("baseline", "kind")], baseline=pl.col("baselines"), kind=kinds)
            .explode("baseline", "kind").filter(pl.col("baseline").is_not_null()))


def baseline_stats(rows: pl.DataFrame) -> pl.DataFrame:
    """Per canonical baseline (each claim counted once for every baseline it names): its kind,
    claims, papers and the spread of multipliers, most claims first."""
    paper = "paper_no" if "paper_no" in rows.columns else "paper_id"
    return (
        baseline_pairs(rows, [paper, "multiplier"])
        .group_by("baseline")
        .agg(
            pl.col("kind").first(),
            pl.len().alias("claims"),
            pl.col(paper).n_unique().alias("papers"),
            pl.col("multiplier").median().alias("median"),
            pl.col("multiplier").quantile(0.25, "linear").alias("q1"),
            pl.col("multiplier").quantile(0.75, "linear").alias("q3"),
            pl.col("multiplier").min().alias("low"),
            pl.col("multiplier").max().alias("high"),
        )
        .sort(["claims", "baseline"], descending=[True, False])
    )


BASELINE_POINT_COLUMNS = ["baseline", "baselines", "baseline_kinds", "title", "system", "sentence", "text", "multiplier"]


def grouped_by_kind(shown: pl.DataFrame) -> pl.DataFrame:
    """The shown baselines in kind order (``BASELINE_KIND_ORDER``), most claimed first within a kind."""
    rank = {k: i for i, k in enumerate(BASELINE_KIND_ORDER)}
    return (shown.with_columns(_kind_rank=pl.col("kind").replace_strict(rank, default=len(rank), return_dtype=pl.Int32))
            .sort(["_kind_rank", "claims", "baseline"], descending=[False, True, False]).drop("_kind_rank"))


def baselines(
    rows: pl.DataFrame, stats: pl.DataFrame, *, focus: str = "", title: str = "", subtitle: str | None = None,
    total: int | None = None,
) -> go.Figure:
    """Boxes from each baseline's quartiles (exact at any size) with its claims as points,
    grouped by the baseline's kind (systems, methods, hardware, generic ones such as "the state
    of the art" apart): one colour and one legend entry per kind, a label over each group.

    ``rows``: claims (``baselines`` lists), each drawn once per shown baseline it names.
    ``total``: how many points ``rows`` was sampled from (adds a corner note).
    """
    if stats.is_empty():
        return empty_figure("None of these claims names a known baseline.", title)
    if "kind" not in stats.columns:
        stats = stats.with_columns(kind=pl.lit("unknown"))
    shown = grouped_by_kind(stats.head(MAX_BOXES))
    names = shown["baseline"].to_list()
    hover = hover_labels(rows, details=False)
    pairs = baseline_pairs(rows.with_columns(hover=hover), ["multiplier", "hover"]).filter(pl.col("baseline").is_in(names))
    points, _ = sample_rows(pairs)
    if total is None and points.height < pairs.height:
        total = pairs.height
    points = points.with_columns(pl.col("multiplier").cast(pl.Float32), axis=escape(pl.col("baseline")))
    axis = [escape_text(n) for n in names]
    traces = []
    for kind in [k for k in BASELINE_KIND_ORDER if k in shown["kind"].to_list()] + \
            [k for k in shown["kind"].unique(maintain_order=True).to_list() if k not in BASELINE_KIND_ORDER]:
        colour = BASELINE_KIND_COLORS.get(kind, "#9ca3af")
        label = escape_text(BASELINE_KIND_LABELS.get(kind, kind))
        group = shown.filter(pl.col("kind") == kind)
        dots = points.filter(pl.col("kind") == kind)
        traces.append(dict(
            type="box", x=dots["axis"].to_list(), y=dots["multiplier"].to_numpy(), name=label, legendgroup=kind,
            customdata=dots["baseline"].to_list(), text=dots["hover"].to_list(), showlegend=False,
            boxpoints="all", jitter=0.5, pointpos=0, hoveron="points", fillcolor="rgba(255,255,255,0)",
            line={"color": "rgba(255,255,255,0)"}, marker={"size": 6, "opacity": 0.55, "color": colour},
            hovertemplate="%{text}<br>%{y:.3g}× vs %{x}<extra></extra>",
        ))
        traces.append(dict(
            type="box", x=[escape_text(n) for n in group["baseline"].to_list()], q1=group["q1"].to_list(),
            median=group["median"].to_list(), q3=group["q3"].to_list(), lowerfence=group["low"].to_list(),
            upperfence=group["high"].to_list(), name=label, legendgroup=kind, customdata=group["baseline"].to_list(),
            fillcolor="rgba(37,99,235,0.06)", line={"color": colour, "width": 1.2},
            hovertemplate=f"%{{x}} ({label})<br>median %{{median:.3g}}×<extra></extra>",
        ))
    shapes = [ONE]
    annotations = []
    kinds = shown["kind"].to_list()
    starts = [i for i, k in enumerate(kinds) if i == 0 or kinds[i - 1] != k]
    for n, at in enumerate(starts):
        end = starts[n + 1] if n + 1 < len(starts) else len(kinds)
        if at:  # a rule between two kinds
            shapes.append({"type": "line", "xref": "x", "x0": at - 0.5, "x1": at - 0.5, "yref": "y domain", "y0": 0,
                           "y1": 1, "line": {"color": "#d1d5db", "width": 1, "dash": "dot"}})
        annotations.append({"text": escape_text(BASELINE_KIND_SHORT.get(kinds[at], kinds[at])), "showarrow": False,
                            "xref": "x", "x": (at + end - 1) / 2, "yref": "y domain", "y": 1.0, "yanchor": "bottom",
                            "font": {"size": 10, "color": BASELINE_KIND_COLORS.get(kinds[at], "#6b7280")}})
    if focus in names:
        at = names.index(focus)
        shapes.insert(0, {"type": "rect", "xref": "x", "x0": at - 0.5, "x1": at + 0.5, "yref": "y domain", "y0": 0,
                          "y1": 1, "fillcolor": "#fde68a", "opacity": 0.35, "line": {"width": 0}, "layer": "below"})
    badge = [sampled_badge(points.height, total)] if total is not None and total > points.height else []
    return figure(traces, house_layout(
        title, subtitle, showlegend=True, boxmode="overlay", shapes=shapes, annotations=annotations + badge,
        # the legend at the foot of the whole figure, so long tick labels never run into it
        legend={**LEGEND_BELOW, "title": {"text": "baseline kind: "}, "yref": "container", "y": 0, "yanchor": "bottom"},
        # long written-out baselines ("those systems that assume ...") are cut on the axis; hover has them whole
        xaxis={"categoryorder": "array", "categoryarray": axis, "tickmode": "array", "tickvals": axis,
               "ticktext": [escape_text(cut_label(n)) for n in names], "tickangle": -40, "automargin": True},
        yaxis=multiplier_axis(pl.concat([shown["low"], shown["high"]]), "Claimed multiplier (log)"),
    ))
