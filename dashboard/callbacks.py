"""Dash callbacks. The URL query string is the one source of truth for what is shown.

``sync_state`` keeps the URL and the filter controls in step (one callback, since Dash allows
a circular dependency only inside a single callback): a page load or back/forward sets the
controls from the URL; a control change, a click on a point or a table row writes the URL.
Every view then renders from the URL alone. The ``*_outputs`` functions are plain functions
of (board, URL, ...) so tests call them directly; ``register`` wires them to an app.
"""

from __future__ import annotations

import html as html_lib
from pathlib import Path

import polars as pl
from dash import ALL, ClientsideFunction, Dash, Input, Output, State, ctx, dcc, no_update
from dash.exceptions import PreventUpdate

from dashboard import export, figures, layout, views
from dashboard import review as review_ui
from dashboard.data import Board, SnapshotCache
from dashboard.filters import MAX_PAPERS, Filters
from etl.store import StoreError, read_runs

FOCUS_ROWS = 500


def no_snapshot_message(store: Path) -> str:
    return f"No snapshot in {store} yet. Build one with `claimboard etl`, then reload this page."


def parse(search: str | None) -> Filters:
    return Filters.from_query(search).filters


# ---------------------------------------------------------------- URL <-> controls


def with_paper(filters: Filters, paper_id: str | None) -> Filters:
    """Add a paper to the comparison (the oldest pick drops out past the maximum)."""
    if not paper_id or paper_id in filters.papers:
        return filters
    return filters.replace(papers=(*filters.papers, paper_id)[-MAX_PAPERS:])


def first_point(click: dict | None) -> dict:
    """The first clicked point; {} for anything else (events come from the client: trust no shape)."""
    points = click.get("points") if isinstance(click, dict) else None
    point = points[0] if isinstance(points, list) and points else None
    return point if isinstance(point, dict) else {}


def clicked(click: dict | None, index: int = 0) -> str | None:
    """customdata[index] of the first clicked point, if it has one."""
    data = first_point(click).get("customdata")
    if isinstance(data, list):
        data = data[index] if len(data) > index else None
    return str(data) if isinstance(data, str | int | float) and not isinstance(data, bool) else None


def clicked_row(cell: dict | None) -> int | None:
    """The row number of a clicked claims-grid cell (``cellClicked``); None when the event does not name one."""
    row = cell.get("rowIndex") if isinstance(cell, dict) else None
    return row if isinstance(row, int) and not isinstance(row, bool) and 0 <= row < 2**31 else None


def request_sort(request: dict | None) -> list[dict]:
    """The sort of a claims-grid ``getRowsRequest`` (bounded, validated)."""
    return views.grid_sort(request.get("sortModel") if isinstance(request, dict) else None)


def sort_keys(specs: list[dict]) -> tuple[str, ...]:
    return tuple(f"{s['column_id']}:{s['direction']}" for s in specs)


def url_sort_ready(request: dict | None) -> bool:
    """Whether the grid already carries the link's sort (its context says so): before that, its
    first request's (empty) sort must not replace the link's."""
    context = request.get("context") if isinstance(request, dict) else None
    return isinstance(context, dict) and context.get("urlSort") is True


def table_paper(board: Board | None, search: str | None, cell: dict | None, request: dict | None) -> str | None:
    """The paper of a clicked claims-grid row, looked up on the server (the row number in the
    URL's filter and the grid's sort): nothing but a row number is taken from the client."""
    row = clicked_row(cell)
    if board is None or row is None:
        return None
    rows = views.table_rows(board.select(parse(search)), row, row + 1, request_sort(request))["rowData"]
    return rows[0]["paper_id"] if rows else None


def sync_state(
    trigger: str | None, search: str | None, values: list, landscape_click: dict | None,
    baselines_click: dict | None, clicked_paper: str | None = None, grid_sort: tuple[str, ...] | None = None,
) -> list:
    """[new URL search, *control values]; no_update where nothing changes. ``clicked_paper``: the
    paper of a clicked claims-grid row; ``grid_sort``: the grid's sort after a header click."""
    keep_controls = [no_update] * len(layout.CONTROLS)
    if trigger in (None, "url"):
        return [no_update, *layout.control_values(parse(search))]
    current = Filters.from_params(layout.params_from_controls(values)).filters
    current = current.replace(sort=parse(search).sort)  # the sort has no control: it lives in the URL
    if trigger == "landscape-graph":
        wanted = with_paper(current, clicked(landscape_click))
    elif trigger == "claims-table" and grid_sort is not None:
        wanted = current.replace(sort=grid_sort)
    elif trigger == "claims-table" and clicked_paper:
        wanted = with_paper(current, clicked_paper)
    elif trigger == "baselines-graph":
        x = first_point(baselines_click).get("x")
        baseline = clicked(baselines_click) or html_lib.unescape(x if isinstance(x, str) else "")
        wanted = current.replace(focus=baseline)
    else:
        wanted = current
    query = wanted.to_query()
    return [
        query if query != (search or "") else no_update,
        *(keep_controls if wanted == current else layout.control_values(wanted)),
    ]


# ---------------------------------------------------------------- views


def caption_outputs(board: Board | None, problem: str | None, search: str | None) -> tuple:
    """Caption sentence, counts line, notices about the URL, and the store message."""
    filters, ignored = Filters.from_query(search)
    notices = []
    if ignored:
        notices.append(layout.message("Some values in the link were not understood and are ignored: " + "; ".join(ignored) + ".", "warning"))
    if board is None:
        return filters.describe(), "", notices, layout.message(problem or "", "error")
    missing = unknown_papers(board, filters)
    if missing:
        notices.append(layout.message(
            f"Not in this snapshot, so not compared: {', '.join(missing)}. The other filters still apply.", "warning"))
    selection = board.select(filters)
    if selection.is_empty():
        notices.append(layout.message(views.NO_MATCH, "info"))
    flagged = selection.flagged()
    counts = views.counts_line(selection) + (f" · {flagged:,} flagged ⚠ (see the warning column)" if flagged else "")
    return filters.describe(), counts, notices, None


def unknown_papers(board: Board, filters: Filters) -> list[str]:
    """The ``papers=`` ids the snapshot does not have (clipped for quoting)."""
    if not filters.papers:
        return []
    known = set(board.papers.filter(pl.col("paper_id").is_in(list(filters.papers)))["paper_id"].to_list())
    return [p[:40] for p in filters.papers if p not in known]


def export_disabled(board: Board | None, search: str | None) -> bool:
    """Nothing to export: no snapshot, no matching claim, or side by side with fewer than 2 papers."""
    if board is None:
        return True
    filters = parse(search)
    if filters.tab == "side" and len(filters.papers) - len(unknown_papers(board, filters)) < 2:
        return True
    return board.select(filters).is_empty()


def view_styles(search: str | None, tabs: list[str]) -> list[dict]:
    """Show the container of the URL's tab, hide the others."""
    shown = parse(search).tab
    return [{"display": "block" if tab == shown else "none"} for tab in tabs]


def landscape_outputs(board: Board | None, search: str | None) -> tuple:
    filters = parse(search)
    if board is None:
        return figures.empty_figure("No snapshot to show yet."), []
    view = views.build_view(board, filters.replace(tab="landscape"))
    return view.figure, layout.notes_list(view.notes, view.sampled)


def side_outputs(board: Board | None, search: str | None) -> tuple:
    filters = parse(search)
    if board is None:
        return figures.empty_figure("No snapshot to show yet."), None, []
    view = views.build_view(board, filters)
    facts = None
    if len(filters.papers) >= 2:
        facts = layout.facts_table(*views.facts_table(board, filters, view.rows, view.extra.get("papers")))
    return view.figure, facts, layout.notes_list(view.notes, view.sampled)


def baselines_outputs(board: Board | None, search: str | None) -> tuple:
    """Figure, per-baseline table, focus options, claims against the focused baseline, notes."""
    filters = parse(search)
    if board is None:
        return figures.empty_figure("No snapshot to show yet."), [], [], [], []
    view = views.build_view(board, filters)
    stats = view.extra["stats"]
    table = stats.select("baseline", "kind", "claims", "papers", pl.col("median").round(2)).to_dicts()
    notes = list(view.notes)
    focus_rows = []
    if filters.focus:
        focused = view.selection.where(pl.col("baselines").list.contains(filters.focus).fill_null(False))
        if focused.height > FOCUS_ROWS:
            notes.append(f"The claims list shows the {FOCUS_ROWS} largest of {focused.height:,} claims against {filters.focus}.")
        focus_rows = [views.table_record(r) for r in views.largest(focused, "multiplier", FOCUS_ROWS).to_dicts()]
    return view.figure, table, stats["baseline"].to_list(), focus_rows, layout.notes_list(notes, view.sampled)



def table_response(board: Board | None, search: str | None, request: dict | None) -> dict:
    """The claims grid's ``getRowsResponse`` to one ``getRowsRequest`` (its rows, sorted by the
    request's sort model, and the row count)."""
    if board is None:
        return {"rowData": [], "rowCount": 0}
    request = request if isinstance(request, dict) else {}
    return views.table_rows(board.select(parse(search)), request.get("startRow"), request.get("endRow"),
                            request_sort(request))


def table_outputs(board: Board | None, search: str | None, page: int | None, sort_by: list | None) -> tuple:
    """Records of one page of ``TABLE_PAGE_SIZE``, the page count and the (clamped) page number."""
    if board is None:
        return [], 1, 0
    # page and sort come from the client: anything but a whole number / a list of sort specs is ignored
    page = page if isinstance(page, int) and not isinstance(page, bool) else 0
    sort_by = [
        {"column_id": s["column_id"], "direction": s.get("direction")}
        for s in (sort_by if isinstance(sort_by, list) else [])[:views.MAX_SORT]
        if isinstance(s, dict) and isinstance(s.get("column_id"), str)
    ]
    records, pages = views.table_page(board.select(parse(search)), page or 0, sort_by)
    return records, pages, min(page or 0, pages - 1)


def export_outputs(board: Board | None, fmt: str, search: str | None, href: str | None) -> tuple:
    """(download, status text): one file, its provenance embedded. Never reads a path from the request."""
    if board is None:
        return no_update, "Nothing to export: the store has no snapshot."
    filters = parse(search)
    href = href if isinstance(href, str) and len(href) <= 4000 else None  # from the client: text, bounded
    meta = export.provenance(board, filters, url=href)
    name = f"{export.file_stem(filters, board)}.{fmt}"
    try:
        body = export.export_files(views.build_view(board, filters, static=True), fmt, name, meta)[name]
    except export.ExportError as err:
        return no_update, str(err)
    return dcc.send_bytes(body, name, type=export.MEDIA_TYPES[fmt]), f"Downloaded {name}."


# ---------------------------------------------------------------- wiring


def register(app: Dash, cache: SnapshotCache, review: bool = False) -> None:
    """Attach every callback to ``app``, reading snapshots through ``cache``; with ``review``, the
    claims grid lays the browser's pending review decisions over its rows."""
    review_on = review

    def current() -> tuple[Board | None, str | None]:
        try:
            board = cache.get()
        except StoreError as err:
            return None, f"The snapshot store cannot be read: {err}"
        return board, None if board else no_snapshot_message(cache.store)

    def board() -> Board | None:
        return current()[0]

    def only_on(tabs: tuple[str, ...], search: str | None) -> None:
        """Skip work for a view that is not on screen."""
        if parse(search).tab not in tabs:
            raise PreventUpdate

    controls = layout.CONTROLS

    papers_at = 1 + [c.id for c in controls].index("f-papers")

    @app.callback(
        Output("url", "search"),
        *[Output(c.id, c.prop) for c in controls],
        Output("f-papers", "options", allow_duplicate=True),
        Input("url", "search"),
        *[Input(c.id, c.prop) for c in controls],
        Input("landscape-graph", "clickData"),
        Input("baselines-graph", "clickData"),
        Input("claims-table", "cellClicked"),
        Input("claims-table", "getRowsRequest"),
        prevent_initial_call="initial_duplicate",
    )
    def _sync(search, *rest):
        values, (landscape_click, baselines_click, cell, request) = list(rest[: len(controls)]), rest[len(controls):]
        trigger, paper, grid_sort = ctx.triggered_id, None, None
        if trigger == "claims-table":
            prop = ctx.triggered[0]["prop_id"].rsplit(".", 1)[-1] if ctx.triggered else ""
            if prop == "getRowsRequest":
                keys = sort_keys(request_sort(request))
                if not url_sort_ready(request) or keys == parse(search).sort:
                    raise PreventUpdate
                grid_sort = keys
            else:
                paper = table_paper(board(), search, cell, request)
        out = sync_state(trigger, search, values, landscape_click, baselines_click, paper, grid_sort)
        # a dropdown drops values missing from its options: send both in one response, and only the
        # papers the snapshot has (an unknown id stays in the URL, named by the caption's notice)
        papers = out[papers_at]
        if isinstance(papers, list) and papers and trigger in (None, "url"):
            loaded = board()
            missing = set(unknown_papers(loaded, parse(search))) if loaded else set()
            out[papers_at] = papers = [p for p in papers if p not in missing]
        return [*out, no_update if papers is no_update else views.paper_options(board(), None, papers)]

    @app.callback(*[Output(f"msg-{name}", "children") for name in layout.CHECKED_FIELDS],
                  *[Input(c.id, c.prop) for c in controls])
    def _input_messages(*values):
        return layout.input_messages(list(values))

    @app.callback(Output({"type": "export", "format": ALL}, "disabled"), Input("url", "search"))
    def _export_buttons(search):
        disabled = export_disabled(board(), search)
        return [disabled] * len(ctx.outputs_list)

    @app.callback(Output("header-info", "children"), Input("url", "pathname"))
    def _header(_pathname):
        loaded, problem = current()
        try:
            runs = read_runs(cache.store)
        except OSError:
            runs = []
        return layout.header_info(loaded, runs)

    @app.callback(
        Output("caption", "children"), Output("counts", "children"), Output("notices", "children"),
        Output("store-message", "children"), Input("url", "search"),
    )
    def _caption(search):
        return caption_outputs(*current(), search)

    @app.callback(Output({"type": "view", "tab": ALL}, "style"), Input("url", "search"))
    def _views(search):
        return view_styles(search, [o["id"]["tab"] for o in ctx.outputs_list])

    @app.callback(
        Output("landscape-graph", "figure"), Output({"type": "notes", "tab": "landscape"}, "children"),
        Input("url", "search"),
    )
    def _landscape(search):
        only_on(("landscape",), search)
        return landscape_outputs(board(), search)

    @app.callback(
        Output("side-graph", "figure"), Output("side-facts", "children"), Output({"type": "notes", "tab": "side"}, "children"),
        Input("url", "search"),
    )
    def _side(search):
        only_on(("side",), search)
        return side_outputs(board(), search)

    @app.callback(
        Output("baselines-graph", "figure"), Output("baselines-table", "rowData"), Output("f-focus", "options"),
        Output("focus-table", "rowData"), Output({"type": "notes", "tab": "baselines"}, "children"),
        Input("url", "search"),
    )
    def _baselines(search):
        only_on(("baselines",), search)
        return baselines_outputs(board(), search)

    @app.callback(
        Output("claims-table", "getRowsResponse"), Input("claims-table", "getRowsRequest"), State("url", "search"),
        *([State("review-pending", "data")] if review_on else []),
    )
    def _table(request, search, pending=None):
        if request is None:
            raise PreventUpdate
        response = table_response(board(), search, request)
        return review_ui.overlay(response, pending) if review_on else response

    app.clientside_callback(
        ClientsideFunction(namespace="claimboard", function_name="refreshClaims"),
        Output("claims-refresh", "data"), Input("url", "search"),
    )

    @app.callback(
        Output("f-papers", "options", allow_duplicate=True), Input("f-papers", "search_value"), State("f-papers", "value"),
        prevent_initial_call=True,
    )
    def _paper_options(typed, selected):
        if typed is None:
            raise PreventUpdate
        return views.paper_options(board(), typed, selected)

    @app.callback(
        Output("download", "data"), Output("export-status", "children"),
        Input({"type": "export", "format": ALL}, "n_clicks"), State("url", "search"), State("url", "href"),
        prevent_initial_call=True,
    )
    def _export(clicks, search, href):
        if not ctx.triggered_id or not any(clicks):
            raise PreventUpdate
        return export_outputs(board(), ctx.triggered_id["format"], search, href)

