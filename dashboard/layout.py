"""The page: header, filter panel, caption, tabs, one container per view, export bar.

Every text from the data goes into components as a plain string (Dash renders it as text). The
tables are AG Grids (dash-ag-grid); their cells render as text too, and the claim sentence goes
through the ``ClaimSentence`` renderer of assets/claimboard_grid.js, which builds React text nodes
(never HTML) with the claim's number in a <mark>.
"""

from __future__ import annotations

from dataclasses import dataclass

import dash_ag_grid as dag
from dash import dcc, html

from dashboard import abstracts
from dashboard import review as review_ui
from dashboard import views
from dashboard.data import QUARANTINE_ROWS, Board
from dashboard.filters import COLOR_BY, MAX_TEXT, PREVIOUS, TAB_LABELS, X_AXES, Filters, format_number
from etl.schemas import METRICS

EXPORT_FORMATS = {"png": "PNG", "svg": "SVG", "html": "HTML", "csv": "CSV (claims)"}
GRAPH_CONFIG = {"displaylogo": False, "modeBarButtonsToRemove": ["lasso2d", "select2d"], "responsive": True}
X_LABELS = {"model_size": "Model size", "gpus": "GPU count", "published": "Date"}


@dataclass(frozen=True)
class Control:
    """A filter-panel component bound to one Filters field (``end``: one side of a range)."""

    id: str
    prop: str
    field: str
    end: str | None = None  # "lo" | "hi"
    flag: bool = False


CONTROLS = (
    Control("f-metric", "value", "metric"),
    Control("f-baseline", "value", "baseline"),
    Control("f-hardware", "value", "hardware"),
    Control("f-size-lo", "value", "size", end="lo"),
    Control("f-size-hi", "value", "size", end="hi"),
    Control("f-gpus-lo", "value", "gpus", end="lo"),
    Control("f-gpus-hi", "value", "gpus", end="hi"),
    Control("f-unknown", "value", "unknown", flag=True),
    Control("f-published", "start_date", "published", end="lo"),
    Control("f-published", "end_date", "published", end="hi"),
    Control("f-systems", "value", "systems", flag=True),
    Control("f-better", "value", "better", flag=True),
    Control("f-new", "value", "new"),
    Control("f-q", "value", "q"),
    Control("f-papers", "value", "papers"),
    Control("tabs", "value", "tab"),
    Control("v-x", "value", "x"),
    Control("v-color", "value", "color"),
    Control("f-focus", "value", "focus"),
)


def control_values(filters: Filters) -> list:
    """What each control shows for ``filters`` (in CONTROLS order)."""
    values = []
    for control in CONTROLS:
        value = getattr(filters, control.field)
        if control.end:
            value = getattr(value, control.end)
            value = value.isoformat() if hasattr(value, "isoformat") else value
            value = format_number(value) if isinstance(value, int | float) else value  # text inputs: "7", not 7.0
        elif control.flag:
            value = ["1"] if value else []
        elif isinstance(value, tuple):
            value = list(value)
        elif control.field == "new":
            value = None if value is None else str(value)
        values.append(value)
    return values


def params_from_controls(values: list) -> list[tuple[str, str]]:
    """(key, raw value) pairs from the controls, to be parsed by ``Filters.from_params``."""
    pairs: list[tuple[str, str]] = []
    spans: dict[str, dict[str, str]] = {}
    for control, value in zip(CONTROLS, values, strict=True):
        if value in (None, "", []):
            continue
        if control.end:
            spans.setdefault(control.field, {})[control.end] = str(value)[:10] if control.id == "f-published" else str(value)
        elif control.flag:
            pairs.append((control.field, "1"))
        else:
            pairs += [(control.field, str(v)) for v in (value if isinstance(value, list) else [value])]
    pairs += [(name, f"{ends.get('lo', '')}..{ends.get('hi', '')}") for name, ends in spans.items()]
    return pairs


# ---------------------------------------------------------------- page


def page(board: Board | None, review: bool = False) -> html.Div:
    """The whole page; options come from the current snapshot (an empty store gives empty lists)."""
    return html.Div(
        className="app",
        children=[
            dcc.Location(id="url", refresh=False),
            html.Header(className="topbar", children=[
                html.Div(className="brand", children=[html.Span("ClaimBoard", className="brand-name"),
                                                      html.Span("benchmark claims from ML-systems papers", className="brand-tag")]),
                html.Div(id="header-info", className="header-info"),
            ]),
            html.Div(className="body", children=[
                # on a phone the filters fold into a drawer (a CSS-only toggle): the chart comes first
                html.Div(className="drawer-bar", children=dcc.Checklist(
                    id="filters-open", options=[{"label": " ☰ Filters", "value": "open"}], value=[],
                    className="drawer-button", inputClassName="drawer-toggle")),
                filter_panel(board), content(board, review)]),
            abstracts.panel(),
        ],
    )


#: typed fields whose value is checked as the URL's is, with the message shown beside the input
CHECKED_FIELDS = ("size", "gpus", "published", "q")


def field(label: str, *children, hint: str | None = None, checked: str | None = None) -> html.Div:
    parts = [html.Label(label, className="field-label"), *children]
    if hint:
        parts.append(html.Div(hint, className="field-hint"))
    if checked:
        parts.append(html.Div(id=f"msg-{checked}", className="field-message", role="alert"))
    return html.Div(parts, className="field")


def number_range(prefix: str, unit: str, mode: str, placeholders: tuple[str, str] = ("min", "max")) -> html.Div:
    """Two text inputs (not type=number: a browser silently drops "-3" or "7B" from those; the
    values are checked by ``Filters`` and a bad one is named beside the input)."""
    return html.Div(className="range", children=[
        dcc.Input(id=f"{prefix}-lo", type="text", inputMode=mode, placeholder=placeholders[0], debounce=True, maxLength=20),
        html.Span("to", className="range-to"),
        dcc.Input(id=f"{prefix}-hi", type="text", inputMode=mode, placeholder=placeholders[1], debounce=True, maxLength=20),
        html.Span(unit, className="range-unit"),
    ])


def input_messages(values: list) -> list[str]:
    """For each of CHECKED_FIELDS, what was not understood in the filter panel's controls ("" if all is well)."""
    from dashboard.filters import Filters

    pairs = params_from_controls(values)
    out = []
    for name in CHECKED_FIELDS:
        ignored = Filters.from_params([(k, v) for k, v in pairs if k == name]).ignored
        out.append(("Not applied: " + "; ".join(ignored) + ".") if ignored else "")
    return out


def new_since_options(board: Board | None) -> list[dict]:
    options = [{"label": "new since the previous snapshot", "value": PREVIOUS}]
    if board:
        options += [{"label": f"new since {day} ({run_id})", "value": day.isoformat()} for run_id, day in board.snapshot_dates()]
    return options


def filter_panel(board: Board | None) -> html.Aside:
    options = (lambda column: board.options(column)) if board else (lambda column: [])
    return html.Aside(className="panel", children=[
        html.Div(className="panel-head", children=[html.H3("Filters"), dcc.Link("Reset", href="/", className="reset", id="reset")]),
        field("Search", dcc.Input(id="f-q", type="search", placeholder="title, system or sentence", debounce=True,
                                  className="search", maxLength=MAX_TEXT), checked="q"),
        field("Metric", dcc.Dropdown(id="f-metric", options=METRICS, multi=True, placeholder="any metric")),
        field("Baseline", dcc.Dropdown(id="f-baseline", options=options("baselines"), multi=True, placeholder="any baseline")),
        field("Hardware", dcc.Dropdown(id="f-hardware", options=options("hardware"), multi=True, placeholder="any hardware")),
        field("Model size", number_range("f-size", "params", "decimal"),
              hint="billions: 7, 7B, 350M or 1T", checked="size"),
        field("GPU count", number_range("f-gpus", "GPUs", "numeric"), checked="gpus"),
        dcc.Checklist(id="f-unknown", options=[{"label": " keep claims with an unknown size or GPU count", "value": "1"}],
                      className="check"),
        field("Published", dcc.DatePickerRange(id="f-published", display_format="YYYY-MM-DD", clearable=True,
                                               start_date_placeholder_text="from", end_date_placeholder_text="to"),
              checked="published"),
        dcc.Checklist(id="f-systems", options=[{"label": " systems papers only", "value": "1"}], className="check"),
        dcc.Checklist(id="f-better", options=[{"label": " improvements only (no regressions)", "value": "1"}], className="check"),
        field("New papers", dcc.Dropdown(id="f-new", options=new_since_options(board), placeholder="all papers")),
        html.Hr(),
        field("Compare papers", dcc.Dropdown(id="f-papers", multi=True, placeholder="search a title or system…"),
              hint="2–8 papers; also by clicking a point or a table row"),
    ])


def content(board: Board | None = None, review: bool = False) -> html.Main:
    return html.Main(className="content", children=[
        html.Div(id="store-message"),
        html.H2(id="caption", className="caption"),
        html.Div(id="counts", className="counts"),
        html.Div(id="notices"),
        html.Div(className="toolbar", children=[
            dcc.Tabs(id="tabs", value="landscape", className="tabs", mobile_breakpoint=0,
                     children=[dcc.Tab(label=label, value=tab, className="tab", selected_className="tab--selected")
                               for tab, label in TAB_LABELS.items()]),
            export_bar(),
        ]),
        view("landscape", [
            html.Div(className="view-options", children=[
                html.Span("x", className="option-label"),
                dcc.RadioItems(id="v-x", options=[{"label": X_LABELS[k], "value": k} for k in X_AXES], inline=True),
                html.Span("colour", className="option-label"),
                dcc.RadioItems(id="v-color", options=list(COLOR_BY), inline=True),
            ]),
            graph("landscape-graph"),
        ]),
        view("side", [graph("side-graph"), abstracts.side_buttons(), html.Div(id="side-facts", className="facts")]),
        view("baselines", [
            graph("baselines-graph"),
            html.Div(className="split", children=[
                html.Div([html.H4("Per baseline"), grid("baselines-table", [
                    {"field": "baseline", "headerName": "Baseline", "flex": 2}, {"field": "kind", "headerName": "Kind"},
                    {"field": "claims", "headerName": "Claims"},
                    {"field": "papers", "headerName": "Papers"}, {"field": "median", "headerName": "Median ×"}],
                    page_size=15)]),
                html.Div([html.H4("Claims against one baseline"),
                          # every baseline as options from the start, so a link's focus=... survives the page load
                          dcc.Dropdown(id="f-focus", options=board.options("baselines") if board else [],
                                       placeholder="pick a baseline (or click its box)"),
                          grid("focus-table", claim_columns(["title", "metric", "multiplier", "sentence"]), page_size=10)]),
            ]),
        ]),
        # the link's sort= is applied to the grid by refreshClaims (assets/claimboard_grid.js)
        view("table", [claims_table(),
                       html.P("Click a row to add its paper to the comparison; click a header to sort "
                              "(Ctrl+click for a second key). ✎ marks a claim a reader corrected: hover for the "
                              "extracted value.", className="field-hint"),
                       *([review_ui.panel()] if review else [])]),
        dcc.Store(id="claims-refresh"),
    ])


def view(tab: str, children: list) -> html.Section:
    return html.Section(id={"type": "view", "tab": tab}, className="view", children=[
        *children, html.Ul(id={"type": "notes", "tab": tab}, className="notes"),
    ])


def graph(graph_id: str) -> html.Div:
    """A chart in a box that always takes the chart's height in the page flow (whatever the
    loading overlay does with its children), so nothing below ever slides under it."""
    return html.Div(className="graph-box", children=dcc.Loading(
        dcc.Graph(id=graph_id, config=GRAPH_CONFIG, className="graph"), type="dot", delay_show=300))


def export_bar() -> html.Div:
    return html.Div(className="export", children=[
        html.Span("Export", className="option-label"),
        *[html.Button(label, id={"type": "export", "format": fmt}, className="button", n_clicks=0)
          for fmt, label in EXPORT_FORMATS.items()],
        dcc.Loading(html.Span(id="export-status", className="export-status"), type="dot"),
        dcc.Download(id="download"),
    ])


def grid(grid_id: str, columns: list[dict], *, page_size: int, **options) -> dag.AgGrid:
    """A small client-side grid (rows sent whole by a callback), sortable, paged."""
    return dag.AgGrid(
        id=grid_id, columnDefs=columns, rowData=[], className="grid",
        defaultColDef={"sortable": True, "resizable": True, "wrapText": True, "autoHeight": True, "minWidth": 80},
        columnSize="responsiveSizeToFit",
        dashGridOptions={"pagination": True, "paginationPageSize": page_size, "paginationPageSizeSelector": False,
                         "domLayout": "autoHeight", "suppressCellFocus": True, "animateRows": False, **options},
        style={"height": None},
    )


#: claims-table column widths (flex) and renderers
CLAIM_COLUMN_DEFS = {
    "title": {"flex": 2, "minWidth": 110, "cellRenderer": "PaperLink"},
    "metric": {"minWidth": 100},  # "throughput", "speedup" whole, not broken mid-word
    "multiplier": {"maxWidth": 100, "minWidth": 73, "cellRenderer": "ClaimValue", "cellClass": "cell--number"},  # "242000" on one line, no sideways scroll at 375 px
    "gpu_count": {"minWidth": 110},
    "warning": {"minWidth": 60, "cellRenderer": "ClaimWarning"},
    "sentence": {"flex": 4, "minWidth": 170, "cellRenderer": "ClaimSentence"},
}


def claim_columns(ids: list[str]) -> list[dict]:
    return [{"field": c, "colId": c, "headerName": views.TABLE_COLUMNS[c], **CLAIM_COLUMN_DEFS.get(c, {})} for c in ids]


def claims_table() -> dag.AgGrid:
    """Server-paged and server-sorted (AG Grid's infinite row model: each page is one
    ``getRowsRequest`` answered by a callback), so a million claims never travel to the browser."""
    return dag.AgGrid(
        id="claims-table",
        columnDefs=claim_columns(list(views.TABLE_COLUMNS)),
        rowModelType="infinite",
        className="grid grid--claims",
        # the infinite row model has no autoHeight: rows are three lines tall, the sentence shown
        # around its number (whole on hover)
        defaultColDef={"sortable": True, "resizable": True, "wrapText": True, "minWidth": 56, "flex": 1},
        dashGridOptions={
            "pagination": True, "paginationPageSize": views.TABLE_PAGE_SIZE, "paginationPageSizeSelector": False,
            "cacheBlockSize": views.TABLE_PAGE_SIZE, "rowHeight": 66, "maxBlocksInCache": 20, "infiniteInitialRowCount": 1,
            "maxConcurrentDatasourceRequests": 1, "domLayout": "autoHeight", "suppressCellFocus": True,
            "multiSortKey": "ctrl", "animateRows": False,
            # set to {"urlSort": true} once the link's sort is applied: only then does a request's sort go to the URL
            "context": {"urlSort": False},
        },
        style={"height": None},
    )


# ---------------------------------------------------------------- filled by callbacks


def notes_list(notes: list[str], sampled: str | None = None) -> list:
    """A view's notes; first, set apart, the notice that the chart shows a sample."""
    first = [html.Li(sampled, className="note--sampled")] if sampled else []
    return first + [html.Li(note) for note in notes]


def message(text: str, kind: str = "info") -> html.Div:
    return html.Div(text, className=f"message message--{kind}")


LINK_TEXT = {"arxiv": "arXiv ↗", "hf": "Hugging Face ↗", "search": "title search ↗"}


def facts_table(header: list[str], facts: list[tuple[str, list]]) -> html.Table:
    """One column per paper; the Source row links to arXiv when the id is an arXiv id."""
    def cell(label: str, value) -> html.Td:
        if label == "Source":
            link, kind, sources = value
            text = LINK_TEXT.get(kind, "paper page")
            return html.Td([html.A(text, href=link, target="_blank", rel="noopener noreferrer",
                                   title="no id known: a search for the title" if kind == "search" else None) if link else None,
                            html.Div(sources, className="sources")])
        return html.Td(value)

    return html.Table(className="facts-table", children=[
        html.Thead(html.Tr([html.Th(""), *[html.Th(name) for name in header]])),
        html.Tbody([html.Tr([html.Th(label), *[cell(label, v) for v in values]]) for label, values in facts]),
    ])


def header_info(board: Board | None, runs: list[dict]) -> list:
    """Snapshot time and counts, the last refresh run, and the quarantined rows behind a toggle."""
    run = views.last_run(runs)
    status = []
    if run:
        ok = run.get("status") == "ok"
        when = views.human_time(run.get("finished", "")) or "?"
        status = [html.Span(className=f"status status--{'ok' if ok else 'failed'}",
                            children=f"last refresh: {run.get('status', '?')} · {when}",
                            title=str(run.get("error") or f"run {run.get('run_id', '?')}"))]
    if board is None:
        return [html.Span("no snapshot yet", className="stat"), *status]
    manifest = board.snapshot.manifest
    finished = views.human_time(manifest.get("finished", "")) or views.human_time(manifest.get("started", ""))
    kinds = views.warning_kinds(board)
    stats = []
    for label, value in views.header_counts(board)[:-1]:
        if label == "flagged claims" and kinds:
            listed = ", ".join(f"{kind} {count:,}" for kind, count in kinds[:3]) + (", …" if len(kinds) > 3 else "")
            stats.append(html.Span([html.B(value), f" {label} ({listed})"], className="stat stat--flagged",
                                   title="\n".join(f"{count:,} × {kind}" for kind, count in kinds)))
        else:
            stats.append(html.Span([html.B(value), f" {label}"], className="stat"))
    quarantine = board.snapshot.quarantine
    rows = [
        html.Tr([html.Td(r["stage"]), html.Td(r["source"]), html.Td(r["reason"]), html.Td(r["record"][:160], className="mono")])
        for r in quarantine.head(QUARANTINE_ROWS).to_dicts()
    ]
    more = f" (first {QUARANTINE_ROWS} shown)" if board.quarantined > QUARANTINE_ROWS else ""
    stale = review_ui.stale_note(board)
    return [
        *([html.Span(stale, className="stat stat--stale", id="stale-corrections", role="status")] if stale else []),
        html.Span(f"data of {finished}" if finished else "data", className="stat stat--time",
                  title=f"snapshot {board.run_id}", id="snapshot-time"),
        *stats,
        html.Details(className="quarantine", children=[
            html.Summary(f"{board.quarantined:,} quarantined"),
            html.Div(className="quarantine-body", children=[
                html.P(f"Rows the ETL kept out of this snapshot, and why{more}."),
                html.Table([html.Thead(html.Tr([html.Th(h) for h in ("stage", "source", "reason", "record")])),
                            html.Tbody(rows)], className="quarantine-table"),
            ]),
        ]),
        *status,
    ]

