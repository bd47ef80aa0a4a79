"""What each tab shows for a Filters value: rows, figure, notes and tables, as plain data.

Shared by the Dash callbacks and the export (so an export is exactly the view on screen);
no Dash components here, ``layout`` turns these into HTML.
"""

from __future__ import annotations

import json
import math
import re
from dataclasses import dataclass, field
from functools import cached_property

import plotly.graph_objects as go
import polars as pl

from dashboard import figures
from dashboard.data import Board, Selection, gather_rows
from dashboard.filters import KEEP, MAX_PAPERS, MAX_SORT, MAX_TEXT, SORTABLE, X_AXES, Filters, Span, format_params

TABLE_PAGE_SIZE = 25
PAPER_OPTIONS = 20  # papers the compare box lists for what is typed
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
assert tuple(TABLE_COLUMNS) == SORTABLE  # the URL's sort= names the table's columns
SORT_COLUMNS = {"title": "title"}  # table column -> frame column (model size, GPUs, hardware: data.DERIVED)
MAX_BLOCK = 100  # rows one grid request may ask for
ARXIV_ID = re.compile(r"^\d{4}\.\d{4,5}(v\d+)?$")
CSV_COLUMNS = [
    "claim_id", "paper_id", "url", "url_kind", "title", "system", "published", "metric", "multiplier", "better", "text", "unit",
    "low", "high", "qualifier", "baseline", "baselines", "baseline_kinds", "baseline_raw",
    "model_sizes", "model_sizes_from", "gpu_counts", "gpu_counts_from", "hardware", "hardware_from",
    "confidence", "warning", "sentence", "correction_id",
]


@dataclass(frozen=True)
class View:
    """One tab's content for one Filters value.

    ``selection`` is the claims behind the view (``rows`` gathers them: what a CSV export
    contains); ``sampled`` says when the chart shows a sample of them; ``extra`` holds what the
    view computed that its callback shows too (the per-baseline table).
    """

    filters: Filters
    selection: Selection
    figure: go.Figure
    notes: list[str] = field(default_factory=list)
    sampled: str | None = None
    extra: dict = field(default_factory=dict)

    @cached_property
    def rows(self) -> pl.DataFrame:
        return self.selection.frame()


def plural(count: int, noun: str) -> str:
    return f"{count:,} {noun}{'s' * (count != 1)}"


def counts_line(rows: pl.DataFrame | Selection) -> str:
    papers = rows.papers() if isinstance(rows, Selection) else rows["paper_id"].n_unique()
    return f"{plural(rows.height, 'claim')} from {plural(papers, 'paper')}"


def subtitle(board: Board, rows: pl.DataFrame | Selection, static: bool, plotted: int | None = None,
             notes: list[str] | None = None) -> str | None:
    """Files carry their provenance in the chart too (the screen has the header for that), and
    what the page says under the chart: "N of M claims plotted" and the not-plotted notes."""
    if not static:
        return None
    counts = counts_line(rows)
    if plotted is not None and plotted != rows.height:
        counts = f"{plotted:,} of {counts} plotted"
    lines = [f"{counts} · ClaimBoard snapshot {board.run_id}", *(notes or [])]
    return "\n".join(lines)  # house_layout escapes each line and breaks them


def build_view(board: Board, filters: Filters, *, static: bool = False) -> View:
    """The figure of ``filters.tab`` (the claims table exports as the landscape) and its claims.

    ``static`` draws SVG traces (for files) instead of WebGL.
    """
    selection = board.select(filters)
    title = filters.describe() if static else ""  # on screen the caption above the chart says it
    if filters.tab == "side":
        view = side_view(board, filters, selection, title, static)
    elif filters.tab == "baselines":
        view = baselines_view(board, filters, selection, title, static)
    else:
        view = landscape_view(board, filters, selection, title, static)
    if not static:  # a fixed height: a chart drawn while its tab is hidden never collapses to 0
        view.figure.layout.height = figures.CHART_HEIGHT
    return view


def landscape_view(board: Board, filters: Filters, selection: Selection, title: str, static: bool) -> View:
    """Every claim with a known x, or past ``figures.MAX_POINTS`` a stated random sample of them."""
    if selection.is_empty():
        return View(filters, selection, figures.empty_figure(NO_MATCH, title))
    x_column, _ = X_AXES[filters.x]
    plottable = selection.where(known(x_column))
    shown = plottable.sample(figures.MAX_POINTS)
    # colours come from every plottable claim, so a sample never changes them
    colour = figures.colour_source(filters.color)
    top = None if filters.color == "metric" else figures.top_values(
        filters.color, plottable.frame(colour.meta.root_names()).select(colour))
    sampled = figures.sample_note(shown.height, plottable.height) if shown.height < plottable.height else None
    notes = unknown_notes(board, filters, selection, plottable)
    rows = shown.frame(figures.LANDSCAPE_COLUMNS + [c for c in figures.LINK_COLUMNS if c in board.claim_columns])
    if filters.x in ("model_size", "gpus"):
        several = rows.filter(pl.col(x_column).list.unique().list.len() > 1).height
        if several:
            notes.append(f"{plural(several, 'claim')} measured at several {X_PLURALS[filters.x]}: one point per value, "
                         "joined by a thin grey line.")
    fig = figures.landscape(
        rows, x=filters.x, color=filters.color, selected=filters.papers,
        title=title, subtitle=subtitle(board, selection, static, shown.height, [*([sampled] if sampled else []), *notes]), top=top, total=plottable.height,
        webgl=not static and shown.height >= figures.WEBGL_FROM,
    )
    return View(filters, selection, fig, notes, sampled)


def side_view(board: Board, filters: Filters, selection: Selection, title: str, static: bool) -> View:
    if len(filters.papers) < 2:
        message = f"Pick 2–{MAX_PAPERS} papers to compare: click points in the Landscape, rows in the Claims table, or search under “Compare papers”."
        return View(filters, selection, figures.empty_figure(message, title))
    papers = board.papers.filter(pl.col("paper_id").is_in(list(filters.papers)))
    labels = figures.paper_labels(ordered(papers, filters.papers))
    rows = selection.frame(["paper_id", "metric", "multiplier", "sentence", *figures.SETTING_COLUMNS])
    rows = rows.with_columns(setting=pl.Series([figures.setting_line(r) for r in rows.to_dicts()], dtype=pl.String))
    fig = figures.side_by_side(rows, labels, title=title, subtitle=subtitle(board, selection, static))
    notes = ["Each bar is a paper's largest claim for that metric; hover for the sentence and its setting "
             "(each value stated with the claim or taken from the paper)."]
    return View(filters, selection, fig, notes, extra={"papers": papers})


def baseline_stats(selection: Selection) -> pl.DataFrame:
    """Per-baseline counts and quartiles over every claim of the selection (once per snapshot unfiltered)."""
    def compute() -> pl.DataFrame:
        return figures.baseline_stats(selection.frame(["baselines", "baseline_kinds", "paper_no", "multiplier"]))

    return selection.board.memo("baseline_stats", compute) if selection.index is None else compute()


def baselines_view(board: Board, filters: Filters, selection: Selection, title: str, static: bool) -> View:
    stats = baseline_stats(selection)
    names = stats["baseline"].head(figures.MAX_BOXES).to_list()
    candidates = selection.where(pl.col("baselines").list.eval(pl.element().is_in(names)).list.any().fill_null(False))
    points = candidates.sample(figures.MAX_POINTS)
    notes = []
    if stats.height > figures.MAX_BOXES:
        notes.append(f"Showing the {figures.MAX_BOXES} most claimed-against of {stats.height:,} baselines.")
    unnamed = selection.where(~known("baselines")).height
    if unnamed:
        notes.append(f"{unnamed:,} of {plural(selection.height, 'claim')} name no baseline (not plotted).")
    several = candidates.where(pl.col("baselines").list.len() > 1).height
    if several:
        notes.append(f"{plural(several, 'claim')} against several baselines appear once under each.")
    notes.append("Baselines are grouped by kind: systems, methods, hardware, and generic ones "
                 "(“the state of the art”) apart.")
    notes += unknown_notes(board, filters, selection)
    sampled = None
    if points.height < candidates.height:
        sampled = figures.sample_note(points.height, candidates.height, "points") + " The boxes use every claim."
    fig = figures.baselines(
        points.frame(figures.BASELINE_POINT_COLUMNS), stats, focus=filters.focus, title=title,
        subtitle=subtitle(board, selection, static, candidates.height, [*([sampled] if sampled else []), *notes]),
        total=candidates.height,
    )
    return View(filters, selection, fig, notes, sampled, extra={"stats": stats})


def largest(selection: Selection, column: str, limit: int) -> pl.DataFrame:
    """The ``limit`` claims of a selection with the largest ``column`` (ties: snapshot order)."""
    index = selection.row_numbers()
    keys = pl.DataFrame({"value": selection.column(column), "row": index})
    top = keys.top_k(limit, by=["value", "row"], reverse=[False, True]).sort(["value", "row"], descending=[True, False],
                                                                           nulls_last=True)
    return gather_rows(selection.board.claims, top["row"])


X_WORDS = {"model_size": "model size", "gpus": "GPU count", "published": "publication date"}
X_PLURALS = {"model_size": "model sizes", "gpus": "GPU counts"}
#: range filters on list columns: (filter field, column, words)
UNKNOWN_RANGES = (("size", "model_sizes", "model size"), ("gpus", "gpu_counts", "GPU count"))


def known(column: str) -> pl.Expr:
    """A claim has a value on this axis (a non-empty list, or a non-null scalar)."""
    if column in ("model_sizes", "gpu_counts", "hardware", "baselines"):
        return (pl.col(column).list.len() > 0).fill_null(False)
    return pl.col(column).is_not_null()


def unknown_notes(board: Board, filters: Filters, selection: Selection, plottable: Selection | None = None) -> list[str]:
    """What the caption and an exported chart say about unknown values: how many of the shown
    claims state nothing on the x axis ("210 of 305 claims state no model size (not plotted)"),
    and for a size or GPU range how many claims with no value it keeps (``unknown=keep``) or
    leaves out (then how to keep them)."""
    notes = []
    if plottable is not None and selection.height:
        missing = selection.height - plottable.height
        if missing:
            notes.append(f"{missing:,} of {plural(selection.height, 'claim')} state no {X_WORDS[filters.x]} (not plotted).")
    for name, column, words in UNKNOWN_RANGES:
        if not getattr(filters, name):
            continue
        if filters.unknown == KEEP:
            kept = selection.where(~known(column)).height
            if kept:
                notes.append(f"{kept:,} of {plural(selection.height, 'claim')} state no {words} and are kept (unknown=keep).")
        else:
            without = board.select(filters.replace(**{name: Span()}))
            left_out = without.where(~known(column)).height
            if left_out:
                verb = ("states", "is") if left_out == 1 else ("state", "are")
                notes.append(f"{plural(left_out, 'claim')} that {verb[0]} no {words} {verb[1]} left out by the {words} range; "
                             "tick “keep claims with an unknown size or GPU count” (unknown=keep) to keep them.")
    return notes
NO_MATCH = "No claims match these filters. Remove a filter, or start again with Reset."


def ordered(papers: pl.DataFrame, ids: tuple[str, ...]) -> pl.DataFrame:
    """Papers in the order they were picked."""
    return papers.with_columns(order=pl.col("paper_id").replace_strict({p: i for i, p in enumerate(ids)}, default=None)).sort("order")


# ---------------------------------------------------------------- tables as data


def format_size(params: float | None) -> str:
    return format_params(params / 1e9) if params else "—"


def format_list(values: list | None, formatter=str) -> str:
    return ", ".join(formatter(v) for v in values) if values else "—"


def paper_link(paper_id: str, url: object = None, kind: object = None) -> tuple[str | None, str]:
    """(link, kind) of a paper: its ``url`` column when the snapshot has one (https only; kind
    "arxiv" | "hf" | "search"), else an arXiv link when the id is an arXiv id."""
    if isinstance(url, str) and url.lower().startswith("https://"):
        return url, kind if kind in ("arxiv", "hf", "search") else "arxiv"
    return (f"https://arxiv.org/abs/{paper_id}", "arxiv") if ARXIV_ID.match(paper_id) else (None, "")


def facts_table(
    board: Board, filters: Filters, rows: pl.DataFrame, papers: pl.DataFrame | None = None,
) -> tuple[list[str], list[tuple[str, list]]]:
    """Header (one paper per column) and rows of (fact, value per paper) for side by side."""
    if papers is None:
        papers = board.papers.filter(pl.col("paper_id").is_in(list(filters.papers)))
    papers = ordered(papers, filters.papers)
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
        ("Source", [(*paper_link(r["paper_id"], r.get("url"), r.get("url_kind")), format_list(r["sources"])) for r in records]),
    ]
    return [r["system"] or r["paper_id"] for r in records], facts


NULL_LAST_ASC = 2**32 - 1  # a rank past every value: nulls sort last going up...
NULL_LAST_DESC = 0  # ...and below every rank (ranks start at 1) going down
TOP_K_UP_TO = 0.25  # pages within this share of the rows are found by partial selection, not a full sort


def sorted_rows(selection: Selection, sort_by: list[dict], start: int, count: int) -> pl.Series:
    """Row numbers of the claims at ``start:start+count`` of the selection sorted by ``sort_by``
    (nulls last, ties in snapshot order), from per-snapshot ranks: a 1M-claim sort is a sort
    of integers, and an early page only a partial selection."""
    board = selection.board
    index = selection.row_numbers()
    keys, descending = {}, []
    for i, spec in enumerate(sort_by):
        rank = board.sort_rank(SORT_COLUMNS.get(spec["column_id"], spec["column_id"]))
        rank = rank if selection.index is None else gather_rows(rank, selection.index)
        down = spec.get("direction") == "desc"
        keys[f"k{i}"] = rank.fill_null(NULL_LAST_DESC if down else NULL_LAST_ASC)
        descending.append(down)
    frame = pl.DataFrame({**keys, "row": index})
    by, descending = [*keys, "row"], [*descending, False]
    need = start + count
    if need <= TOP_K_UP_TO * frame.height:
        frame = frame.bottom_k(need, by=by, reverse=descending)
    return frame.sort(by, descending=descending)["row"].slice(start, count)


def table_page(selection: Selection, page: int, sort_by: list[dict] | None) -> tuple[list[dict], int]:
    """One page of the claims table, sorted on the server; and the page count."""
    pages = max(1, math.ceil(selection.height / TABLE_PAGE_SIZE))
    page = min(max(page or 0, 0), pages - 1)
    sort_by = [s for s in sort_by or [] if s["column_id"] in TABLE_COLUMNS]
    return table_records(selection, sort_by, page * TABLE_PAGE_SIZE, TABLE_PAGE_SIZE), pages


def grid_sort(sort_model: object) -> list[dict]:
    """An AG Grid ``sortModel`` from the client -> at most ``MAX_SORT`` valid sort specs
    (anything of another shape, an unknown column or a repeated one is dropped)."""
    specs: list[dict] = []
    for item in sort_model[:MAX_SORT * 4] if isinstance(sort_model, list) else []:
        if not isinstance(item, dict):
            continue
        column, direction = item.get("colId"), item.get("sort")
        if column in TABLE_COLUMNS and direction in ("asc", "desc") and column not in [s["column_id"] for s in specs]:
            specs.append({"column_id": column, "direction": direction})
    return specs[:MAX_SORT]


def table_rows(selection: Selection, start: object, end: object, sort_by: list[dict]) -> dict:
    """One block of the claims grid (``getRowsResponse``): rows ``start:end`` (at most
    ``MAX_BLOCK``) of the selection in ``sort_by`` order, and the row count."""
    start = start if isinstance(start, int) and not isinstance(start, bool) and 0 <= start < 2**31 else 0
    end = end if isinstance(end, int) and not isinstance(end, bool) and start < end else start + TABLE_PAGE_SIZE
    rows = table_records(selection, sort_by, start, min(end - start, MAX_BLOCK)) if start < selection.height else []
    return {"rowData": rows, "rowCount": selection.height}


def table_records(selection: Selection, sort_by: list[dict], start: int, count: int) -> list[dict]:
    """Rows ``start:start+count`` of the selection in ``sort_by`` order, as claims-table records."""
    if sort_by:
        chunk = gather_rows(selection.board.claims, sorted_rows(selection, sort_by, start, count))
    elif selection.index is None:
        chunk = selection.board.claims.slice(start, count)
    else:
        chunk = gather_rows(selection.board.claims, selection.index.slice(start, count))
    return [table_record(r) for r in chunk.to_dicts()]


def table_record(row: dict) -> dict:
    return {
        "id": row["claim_id"],
        "paper_id": row["paper_id"],
        "title": row["title"],
        "metric": row["metric"],
        "multiplier": round(row["multiplier"], 3),
        "baseline": (" and ".join(row["baselines"]) if row.get("baselines") else row["baseline"])
        or (f"({row['baseline_raw']})" if row["baseline_raw"] else "—"),
        "hardware": figures.setting_words("hardware", row.get("hardware"), row.get("hardware_from")) or "—",
        "model_size": figures.setting_words("model_sizes", row.get("model_sizes"), row.get("model_sizes_from")) or "—",
        "gpu_count": figures.setting_words("gpu_counts", row.get("gpu_counts"), row.get("gpu_counts_from")) or "—",
        "sentence": row["sentence"],  # plain text: the grid's ClaimSentence renderer marks ``number`` in it
        "number": row["text"],
        "warning": row["warning"] or "",
        **({"url": row["url"], "url_kind": row.get("url_kind")} if row.get("url") else {}),
        **corrected_marks(row),
    }


# ---------------------------------------------------------------- corrected claims (issue 12)


def original_text(extracted: object) -> str:
    """The ``extracted`` column (JSON of the values a correction changed) as a hover text."""
    try:
        values = json.loads(extracted) if isinstance(extracted, str) else {}
    except ValueError:
        values = {}
    if not isinstance(values, dict) or not values:
        return ""
    return "extracted: " + "; ".join(f"{k} {fmt_value(v)}" for k, v in values.items())


def fmt_value(value: object) -> str:
    if isinstance(value, list):
        return ", ".join(fmt_value(v) for v in value) or "—"
    if value is None:
        return "—"
    if isinstance(value, float):
        return f"{value:g}"
    return str(value)


def corrected_marks(row: dict) -> dict:
    """Extra fields of a claims-table record: ``correction`` (id) and ``original`` (hover)."""
    cid = row.get("correction_id")
    if not cid:
        return {}
    return {"correction": str(cid), "original": original_text(row.get("extracted"))}





def csv_rows(rows: pl.DataFrame) -> pl.DataFrame:
    """The claims behind a view as a flat table (lists joined with "; "), for CSV export."""
    columns = [c for c in CSV_COLUMNS if c in rows.columns]
    return rows.select([
        pl.col(c).cast(pl.List(pl.String)).list.join("; ") if isinstance(rows.schema[c], pl.List) else pl.col(c)
        for c in columns
    ])


# ---------------------------------------------------------------- the compare box


def most_upvoted(papers: pl.DataFrame, limit: int = PAPER_OPTIONS, where: pl.Expr | None = None) -> pl.DataFrame:
    """The ``limit`` papers (of those ``where`` keeps) with the most upvotes (unknown counts last,
    ties by id). Ranked on the id and the votes alone, then only those rows are gathered."""
    ranked = papers.lazy().with_row_index("_row")
    if where is not None:
        ranked = ranked.filter(where)
    ranked = ranked.select("_row", "paper_id", votes=pl.col("upvotes").fill_null(-1))
    top = ranked.top_k(limit, by=["votes", "paper_id"], reverse=[False, True]).sort(
        ["votes", "paper_id"], descending=[True, False]).collect()
    return gather_rows(papers.select("paper_id", "system", "title", "upvotes"), top["_row"])


def paper_search_text(board: Board) -> pl.Series:
    """Lower-case "title system" of every paper, for the compare box: the mapped view's column
    (mapped for this request), else computed once per snapshot."""
    search = board.paper_search()
    if search is not None:
        return search
    return board.memo("paper_search", lambda: board.papers.select(
        pl.concat_str(["title", "system"], separator=" ", ignore_nulls=True).str.to_lowercase()).to_series())


def default_paper_options(board: Board) -> pl.DataFrame:
    """What the compare box lists before anything is typed: the most upvoted systems papers."""
    return board.memo("paper_options", lambda: most_upvoted(board.papers, where=pl.col("is_systems")))


def paper_options(board: Board | None, typed: str | None, selected: list | None) -> list[dict]:
    """The compare box's options: the selected papers plus the best matches for what is typed."""
    if board is None:
        return []
    papers = board.papers
    selected = [p for p in (selected if isinstance(selected, list) else [])[:MAX_PAPERS] if isinstance(p, str)]
    chosen = papers.filter(pl.col("paper_id").is_in(selected)) if selected else papers.clear()
    needle = (typed if isinstance(typed, str) else "").strip().lower()[:MAX_TEXT]
    if needle:
        matches = most_upvoted(papers, where=pl.lit(paper_search_text(board).str.contains(needle, literal=True)))
    else:
        matches = default_paper_options(board)
    options = pl.concat([chosen.select(matches.columns), matches]).unique("paper_id", keep="first", maintain_order=True)
    return [{"label": paper_label(r["system"], r["title"]), "value": r["paper_id"]}
            for r in options.select("paper_id", "system", "title").to_dicts()]


def paper_label(system: str | None, title: str) -> str:
    """"System: Title", unless the title already starts with the system's name."""
    if not system or title.lower().startswith(system.lower()):
        return title
    return f"{system}: {title}"


# ---------------------------------------------------------------- warm-up


def warm(board: Board) -> None:
    """Compute, once per snapshot and ahead of the first requests, everything that does not
    depend on the filter: header counts, option lists, the unfiltered baselines, the compare
    box's default list and search text, and the claims table's sort ranks."""
    header_counts(board)
    for column in ("baselines", "hardware"):
        board.options(column)
    everything = board.select(Filters())
    everything.papers()
    baseline_stats(everything)
    default_paper_options(board)
    for column in TABLE_COLUMNS:
        board.sort_rank(SORT_COLUMNS.get(column, column))
    paper_search_text(board)


# ---------------------------------------------------------------- header


def human_time(stamp: object) -> str:
    """An ISO timestamp as one human form: "23 Nov 2026, 06:00 UTC" ("" when it is not one)."""
    import datetime as dt

    try:
        moment = dt.datetime.fromisoformat(str(stamp))
    except ValueError:
        return ""
    if moment.tzinfo is not None:
        moment = moment.astimezone(dt.UTC)
    return f"{moment.day} {moment:%b %Y, %H:%M} UTC"


def warning_kinds(board: Board) -> list[tuple[str, int]]:
    """(kind, count) of flagged claims, most first: the manifest's ``warnings_by_kind`` when the
    ETL wrote it, else counted from the claims' warning column."""
    def compute() -> list[tuple[str, int]]:
        recorded = board.snapshot.manifest.get("warnings_by_kind")
        if isinstance(recorded, dict) and recorded:
            pairs = [(str(k), int(v)) for k, v in recorded.items() if isinstance(v, int | float) and v > 0]
        else:
            counted = board.claim_frame(["warning"])["warning"].drop_nulls().value_counts()
            pairs = [(str(k), int(v)) for k, v in counted.iter_rows()]
        return sorted(pairs, key=lambda kv: (-kv[1], kv[0]))

    return board.memo("warning_kinds", compute)


def last_run(runs: list[dict]) -> dict | None:
    return runs[-1] if runs else None


def header_counts(board: Board) -> list[tuple[str, str]]:
    def compute() -> list[tuple[str, str]]:
        papers = board.hot_papers
        return [
            ("papers", f"{papers.height:,}"),
            ("claims", f"{board.hot_claims.height:,}"),
            ("systems papers", f"{int(papers['is_systems'].sum()):,}"),
            ("flagged claims", f"{board.select(Filters()).flagged():,}"),
            ("quarantined", f"{board.quarantined:,}"),
        ]

    return board.memo("header_counts", compute)
