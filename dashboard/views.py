"""What each tab shows for a Filters value: rows, figure, notes and tables, as plain data.

Shared by the Dash callbacks and the export (so an export is exactly the view on screen);
no Dash components here, ``layout`` turns these into HTML.
"""

from __future__ import annotations

import math
import re
from dataclasses import dataclass, field

import plotly.graph_objects as go
import polars as pl

from dashboard import figures
from dashboard.data import Board
from dashboard.filters import MAX_PAPERS, X_AXES, Filters, format_params

TABLE_PAGE_SIZE = 25
TABLE_COLUMNS = {  # claims-table column id -> header
    "title": "Paper",
    "metric": "Metric",
    "multiplier": "×",
    "baseline": "Baseline",
    "hardware": "Hardware",
    "model_size": "Model size",
    "gpu_count": "GPUs",
    "sentence": "Claim (number highlighted)",
    "warning": "⚠",
}
SORT_COLUMNS = {"title": "title", "model_size": "model_size_params"}  # table column -> frame column
ARXIV_ID = re.compile(r"^\d{4}\.\d{4,5}(v\d+)?$")
MARKDOWN_SPECIAL = re.compile(r"([\\`*_{}\[\]()#+\-.!|<>~&])")
CSV_COLUMNS = [
    "claim_id", "paper_id", "title", "system", "published", "metric", "multiplier", "better", "text", "unit",
    "low", "high", "qualifier", "baseline", "baseline_raw", "hardware", "model_size_params", "gpu_count",
    "confidence", "warning", "sentence",
]


@dataclass(frozen=True)
class View:
    """One tab's content for one Filters value."""

    filters: Filters
    rows: pl.DataFrame  # the claims behind the view: what a CSV export contains
    figure: go.Figure
    notes: list[str] = field(default_factory=list)


def plural(count: int, noun: str) -> str:
    return f"{count:,} {noun}{'s' * (count != 1)}"


def counts_line(rows: pl.DataFrame) -> str:
    return f"{plural(rows.height, 'claim')} from {plural(rows['paper_id'].n_unique(), 'paper')}"


def subtitle(board: Board, rows: pl.DataFrame, static: bool) -> str | None:
    """Files carry their provenance in the chart too; the screen has the header for that."""
    return f"{counts_line(rows)} · ClaimBoard snapshot {board.run_id}" if static else None


def build_view(board: Board, filters: Filters, *, static: bool = False) -> View:
    """The figure of ``filters.tab`` (the claims table exports as the landscape) and its rows.

    ``static`` draws SVG traces (for files) instead of WebGL.
    """
    rows = board.rows(filters)
    title = filters.describe() if static else ""  # on screen the caption above the chart says it
    if filters.tab == "side":
        return side_view(board, filters, rows, title, static)
    if filters.tab == "baselines":
        return baselines_view(board, filters, rows, title, static)
    return landscape_view(board, filters, rows, title, static)


def landscape_view(board: Board, filters: Filters, rows: pl.DataFrame, title: str, static: bool) -> View:
    if rows.is_empty():
        return View(filters, rows, figures.empty_figure(NO_MATCH, title))
    x_column, x_title = X_AXES[filters.x]
    missing = rows.filter(pl.col(x_column).is_null()).height
    shown, sampled = figures.sample_rows(rows)
    fig = figures.landscape(
        shown, x=filters.x, color=filters.color, selected=filters.papers, title=title,
        subtitle=subtitle(board, rows, static), webgl=not static and shown.height >= figures.WEBGL_FROM,
    )
    notes = [sampled] if sampled else []
    if missing:
        notes.append(f"{plural(missing, 'claim')} without a known {x_title.lower()} not plotted.")
    return View(filters, rows, fig, notes)


def side_view(board: Board, filters: Filters, rows: pl.DataFrame, title: str, static: bool) -> View:
    if len(filters.papers) < 2:
        message = f"Pick 2–{MAX_PAPERS} papers to compare: click points in the Landscape, rows in the Claims table, or search under “Compare papers”."
        return View(filters, rows, figures.empty_figure(message, title))
    papers = board.papers.filter(pl.col("paper_id").is_in(list(filters.papers)))
    labels = figures.paper_labels(ordered(papers, filters.papers))
    fig = figures.side_by_side(rows, labels, title=title, subtitle=subtitle(board, rows, static))
    return View(filters, rows, fig, ["Each bar is a paper's largest claim for that metric; hover for the sentence."])


def baselines_view(board: Board, filters: Filters, rows: pl.DataFrame, title: str, static: bool) -> View:
    stats = figures.baseline_stats(rows)
    fig = figures.baselines(rows, stats, focus=filters.focus, title=title, subtitle=subtitle(board, rows, static))
    notes = []
    if stats.height > figures.MAX_BOXES:
        notes.append(f"Showing the {figures.MAX_BOXES} most claimed-against of {stats.height:,} baselines.")
    if rows.height > figures.MAX_POINTS:
        notes.append(f"Points are a random sample of {figures.MAX_POINTS:,}; the boxes use every claim.")
    return View(filters, rows, fig, notes)


NO_MATCH = "No claims match these filters. Remove a filter, or start again with Reset."


def ordered(papers: pl.DataFrame, ids: tuple[str, ...]) -> pl.DataFrame:
    """Papers in the order they were picked."""
    return papers.with_columns(order=pl.col("paper_id").replace_strict({p: i for i, p in enumerate(ids)}, default=None)).sort("order")


# ---------------------------------------------------------------- tables as data


def format_size(params: float | None) -> str:
    return format_params(params / 1e9) if params else "—"


def format_list(values: list | None, formatter=str) -> str:
    return ", ".join(formatter(v) for v in values) if values else "—"


def paper_link(paper_id: str) -> str | None:
    """An arXiv link when the id is an arXiv id (never a URL taken from the data)."""
    return f"https://arxiv.org/abs/{paper_id}" if ARXIV_ID.match(paper_id) else None


def facts_table(board: Board, filters: Filters, rows: pl.DataFrame) -> tuple[list[str], list[tuple[str, list]]]:
    """Header (one paper per column) and rows of (fact, value per paper) for side by side."""
    papers = ordered(board.papers.filter(pl.col("paper_id").is_in(list(filters.papers))), filters.papers)
    ids = papers["paper_id"].to_list()
    baselines = {
        pid: sorted(set(rows.filter(pl.col("paper_id") == pid)["baseline"].drop_nulls().to_list())) for pid in ids
    }
    claim_counts = {pid: rows.filter(pl.col("paper_id") == pid).height for pid in ids}
    records = papers.to_dicts()
    facts = [
        ("Title", [r["title"] for r in records]),
        ("Model sizes", [format_list(r["model_sizes"], format_size) for r in records]),
        ("GPU counts", [format_list(r["gpu_counts"]) for r in records]),
        ("Hardware", [format_list(r["hardware"]) for r in records]),
        ("Baselines", [format_list(baselines[r["paper_id"]]) for r in records]),
        ("Claims shown", [str(claim_counts[r["paper_id"]]) for r in records]),
        ("Published", [str(r["published"] or "—") for r in records]),
        ("Source", [(paper_link(r["paper_id"]), format_list(r["sources"])) for r in records]),
    ]
    return [r["system"] or r["paper_id"] for r in records], facts


def highlighted(sentence: str, number: str) -> str:
    """The sentence as Markdown with every character escaped and the claim's number in bold."""
    at = sentence.find(number)
    if at < 0:
        return MARKDOWN_SPECIAL.sub(r"\\\1", sentence)
    before, after = sentence[:at], sentence[at + len(number):]
    return "".join([MARKDOWN_SPECIAL.sub(r"\\\1", before), "**", MARKDOWN_SPECIAL.sub(r"\\\1", number), "**",
                    MARKDOWN_SPECIAL.sub(r"\\\1", after)])


def table_page(rows: pl.DataFrame, page: int, sort_by: list[dict] | None) -> tuple[list[dict], int]:
    """One page of the claims table, sorted on the server; and the page count."""
    pages = max(1, math.ceil(rows.height / TABLE_PAGE_SIZE))
    page = min(max(page or 0, 0), pages - 1)
    if sort_by:
        columns = [SORT_COLUMNS.get(s["column_id"], s["column_id"]) for s in sort_by if s["column_id"] in TABLE_COLUMNS]
        descending = [s["direction"] == "desc" for s in sort_by if s["column_id"] in TABLE_COLUMNS]
        if columns:
            rows = rows.sort(columns, descending=descending, nulls_last=True)
    chunk = rows.slice(page * TABLE_PAGE_SIZE, TABLE_PAGE_SIZE)
    return [table_record(r) for r in chunk.to_dicts()], pages


def table_record(row: dict) -> dict:
    return {
        "id": row["claim_id"],
        "paper_id": row["paper_id"],
        "title": row["title"],
        "metric": row["metric"],
        "multiplier": round(row["multiplier"], 3),
        "baseline": row["baseline"] or (f"({row['baseline_raw']})" if row["baseline_raw"] else "—"),
        "hardware": row["hardware"] or "—",
        "model_size": format_size(row["model_size_params"]),
        "gpu_count": row["gpu_count"],
        "sentence": highlighted(row["sentence"], row["text"]),
        "warning": row["warning"] or "",
    }


def csv_rows(rows: pl.DataFrame) -> pl.DataFrame:
    """The claims behind a view as a flat table (lists joined), for CSV export."""
    return rows.select([c for c in CSV_COLUMNS if c in rows.columns])


# ---------------------------------------------------------------- header


def last_run(runs: list[dict]) -> dict | None:
    return runs[-1] if runs else None


def header_counts(board: Board) -> list[tuple[str, str]]:
    papers = board.snapshot.papers
    warnings = board.claims.filter(pl.col("warning").is_not_null()).height
    return [
        ("papers", f"{papers.height:,}"),
        ("claims", f"{board.claims.height:,}"),
        ("systems papers", f"{int(papers['is_systems'].sum()):,}"),
        ("flagged claims", f"{warnings:,}"),
        ("quarantined", f"{board.snapshot.quarantine.height:,}"),
    ]
