"""Review mode: readers accept, reject or edit a claim from the dashboard (issue 12).

Off by default; ``claimboard serve --review`` turns it on. Then:

- ``guard`` admits only loopback clients (the WSGI ``REMOTE_ADDR``, never a forwarded header), or,
  with ``--review-token``, only requests carrying the token (``X-Review-Token`` header, or the
  ``claimboard_review`` cookie set from a ``?token=`` link): anything else gets 403. With review
  off, a callback request for a review output is refused (403) and no review UI is served.
- ``panel`` is the review panel under the claims table: the review queue (``etl.review`` queue
  order), the claim being reviewed (its sentence with the number marked: Dash text nodes, never
  HTML) and the edit form; ``register`` wires its callbacks.
- A decision is appended with ``etl.review.record_decision`` (under the corrections file's lock,
  so two editors at once lose nothing). The anchor is built on the server from the snapshot row
  (the client sends only the claim id); the decision shows for everyone after the next refresh,
  and at once for the editing browser: its decisions are kept in a session store and laid over
  the rows it is shown (``overlay``).
- ``corrected_marks`` / ``stale_note``: corrected claims marked in the table (the original on
  hover) and the header's note about stale corrections, shown whether or not review is on.
"""

from __future__ import annotations

import hmac
import ipaddress
import json
import math
import re
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import dash_ag_grid as dag
import polars as pl
from dash import ClientsideFunction, Dash, Input, Output, State, ctx, dcc, html, no_update
from dash.exceptions import PreventUpdate
from flask import Response, request

from dashboard import views
from dashboard.views import corrected_marks, fmt_value
from dashboard.data import Board, SnapshotCache
from dashboard.filters import Filters
from etl.review import Anchor, CorrectionError, corrections_path, record_decision
from etl.review.queue import review_queue
from etl.schemas import METRICS

TOKEN_HEADER = "X-Review-Token"
TOKEN_COOKIE = "claimboard_review"
QUEUE_ROWS = 100  # claims the review queue lists
MAX_PENDING = 200  # decisions a browser session keeps to lay over its rows
MAX_LIST = 32  # values one list field may hold
FIELD_MAX = 500  # characters one form field may hold
DISPATCH = "/_dash-update-component"
SETTING_FROM = [{"label": "the claim's sentence", "value": "claim"}, {"label": "the paper", "value": "paper"}]
#: form field -> (label, kind); kinds: "number", "list[str]", "list[size]", "list[int]"
FORM_FIELDS = {
    "multiplier": ("Multiplier (×)", "number"),
    "low": ("Low (as written)", "number"),
    "high": ("High (as written)", "number"),
    "baselines": ("Baselines (a; b)", "list[str]"),
    "model_sizes": ("Model sizes (7B; 70B)", "list[size]"),
    "gpu_counts": ("GPU counts (8; 64)", "list[int]"),
    "hardware": ("Hardware (A100; H100)", "list[str]"),
}
FROM_FIELDS = ("model_sizes_from", "gpu_counts_from", "hardware_from")
SIZE = re.compile(r"^\s*(\d+(?:\.\d+)?)\s*([KMBT]?)\s*$", re.IGNORECASE)
SIZE_SCALE = {"": 1e9, "k": 1e3, "m": 1e6, "b": 1e9, "t": 1e12}


@dataclass(frozen=True)
class ReviewConfig:
    """Review mode's settings: on or off, the token (None: loopback only), the corrections file."""

    enabled: bool = False
    token: str | None = None
    corrections: Path | None = None  # default: <store>/corrections.jsonl

    def path(self, store: Path) -> Path:
        return corrections_path(store, self.corrections)


# ---------------------------------------------------------------- access


def is_loopback(address: str | None) -> bool:
    try:
        return ipaddress.ip_address((address or "").split("%")[0]).is_loopback
    except ValueError:
        return False


def guard(app: Dash, config: ReviewConfig) -> None:
    """Who may reach the app (review on) / the review callbacks (review off)."""
    server = app.server

    @server.before_request
    def _review_access():
        if not config.enabled:
            if request.path == DISPATCH and b'"review-' in (request.get_data(cache=True) or b""):
                return Response("review mode is off (claimboard serve --review)", 403)
            return None
        if config.token is None:
            if not is_loopback(request.environ.get("REMOTE_ADDR")):
                return Response("review mode serves loopback clients only (or start it with --review-token)", 403)
            return None
        given = request.headers.get(TOKEN_HEADER) or request.cookies.get(TOKEN_COOKIE) or request.args.get("token") or ""
        if not hmac.compare_digest(given.encode("utf-8", "replace"), config.token.encode("utf-8")):
            return Response("review mode: a valid review token is needed", 403)
        return None

    @server.after_request
    def _token_cookie(response: Response) -> Response:
        if config.enabled and config.token and request.args.get("token") and request.cookies.get(TOKEN_COOKIE) != config.token:
            response.set_cookie(TOKEN_COOKIE, config.token, httponly=True, samesite="Strict", path="/")
        return response


# ---------------------------------------------------------------- marks on every table (review on or off)


def stale_note(board: Board) -> str | None:
    """The header's note when readers' corrections no longer match their claim."""
    counts = board.snapshot.manifest.get("corrections")
    stale = counts.get("stale") if isinstance(counts, dict) else None
    if not isinstance(stale, int) or stale <= 0:
        return None
    return (f"{stale:,} reader correction{'s' * (stale != 1)} stale: the claim or sentence {'they anchor' if stale != 1 else 'it anchors'} "
            "to is no longer in the abstract. Kept in the corrections file, not applied; "
            "`claimboard runs` and `claimboard diff` list them.")


# ---------------------------------------------------------------- the claim under review


def list_column(board: Board, name: str) -> str | None:
    """The claims column holding list ``name`` ("hardware": the list, named ``hardware`` in the
    design naming, ``hardware_list`` in older snapshots)."""
    claims = board.claims
    if name == "hardware":
        if "hardware" in claims.columns and isinstance(claims.schema["hardware"], pl.List):
            return "hardware"
        return "hardware_list" if "hardware_list" in claims.columns else None
    return name if name in claims.columns else None


def claim_row(board: Board, claim_id: object) -> dict | None:
    if not isinstance(claim_id, str) or len(claim_id) > 200:
        return None
    rows = board.claims.filter(pl.col("claim_id") == claim_id).head(1).to_dicts()
    if not rows:
        return None
    row = rows[0]
    column = list_column(board, "hardware")
    row["hardware"] = list(row.get(column) or []) if column else []
    return row


def anchor_of(row: dict) -> Anchor:
    return Anchor(row["paper_id"], row["text"], row["sentence"], row["metric"])


def form_values(row: dict) -> dict[str, Any]:
    """The claim's current values as the form shows them (lists joined with "; ", sizes as 7B)."""
    def joined(values, fmt=str) -> str:
        return "; ".join(fmt(v) for v in values or [])

    return {
        "metric": row.get("metric"),
        "better": "true" if row.get("better") else "false",
        "multiplier": fmt_value(row.get("multiplier")) if row.get("multiplier") is not None else "",
        "low": fmt_value(row.get("low")) if row.get("low") is not None else "",
        "high": fmt_value(row.get("high")) if row.get("high") is not None else "",
        "baselines": joined(row.get("baselines")),
        "model_sizes": joined(row.get("model_sizes"), size_text),
        "gpu_counts": joined(row.get("gpu_counts")),
        "hardware": joined(row.get("hardware")),
        **{name: row.get(name) for name in FROM_FIELDS},
    }


def size_text(params: float) -> str:
    for suffix, scale in (("T", 1e12), ("B", 1e9), ("M", 1e6), ("K", 1e3)):
        if params >= scale:
            return f"{params / scale:g}{suffix}"
    return f"{params:g}"


def parse_field(name: str, kind: str, text: object) -> Any:
    """A form field's text -> the correction value; raises CorrectionError with the field's label."""
    label = FORM_FIELDS[name][0]
    if text is None:
        text = ""
    if not isinstance(text, str) or len(text) > FIELD_MAX:
        raise CorrectionError(f"{label}: at most {FIELD_MAX} characters of text")
    text = text.strip()
    if kind == "number":
        if not text:
            return None
        try:
            number = float(text.rstrip("xX×"))
        except ValueError:
            raise CorrectionError(f"{label}: {text!r} is not a number") from None
        if not math.isfinite(number):
            raise CorrectionError(f"{label}: {text!r} is not a finite number")
        return number
    items = [t.strip() for t in text.split(";") if t.strip()]
    if len(items) > MAX_LIST:
        raise CorrectionError(f"{label}: at most {MAX_LIST} values")
    if kind == "list[str]":
        return items
    if kind == "list[int]":
        if not all(t.isdigit() for t in items):
            raise CorrectionError(f"{label}: whole numbers separated by ';', got {text!r}")
        return [int(t) for t in items]
    out = []
    for t in items:  # list[size]
        match = SIZE.match(t)
        if not match:
            raise CorrectionError(f"{label}: {t!r} is not a size like 7B, 350M or 1T")
        out.append(float(match.group(1)) * SIZE_SCALE[match.group(2).lower()])
    return out


def same(a: Any, b: Any) -> bool:
    if isinstance(a, float) and isinstance(b, float):
        return math.isclose(a, b, rel_tol=1e-9)
    if isinstance(a, list) and isinstance(b, list):
        return len(a) == len(b) and all(same(x, y) for x, y in zip(a, b, strict=True))
    return a == b


def edited_fields(row: dict, form: dict[str, Any]) -> dict[str, Any]:
    """The fields the form changes (only those), parsed; raises CorrectionError."""
    fields: dict[str, Any] = {}
    metric = form.get("metric")
    if metric != row.get("metric"):
        fields["metric"] = metric
    better = form.get("better")
    if better in ("true", "false") and (better == "true") != bool(row.get("better")):
        fields["better"] = better == "true"
    for name, (_, kind) in FORM_FIELDS.items():
        value = parse_field(name, kind, form.get(name))
        current = row.get(name)
        current = [float(v) for v in current] if kind == "list[size]" and current is not None else current
        current = list(current) if isinstance(current, list | tuple) else current
        if value is None and kind == "number":
            if current is None:
                continue
            raise CorrectionError(f"{FORM_FIELDS[name][0]}: a value is needed")
        if not same(value, current if current is not None else ([] if kind != "number" else None)):
            fields[name] = value
    for name in FROM_FIELDS:
        value = form.get(name)
        if value not in (None, "claim", "paper"):
            raise CorrectionError(f"{name}: claim, paper or empty")
        if value != row.get(name):
            fields[name] = value
    return fields


def decide(board: Board, path: Path, claim_id: object, action: str, form: dict[str, Any], who: object,
           note: object) -> tuple[dict | None, str]:
    """Record one decision; (pending entry or None, message). The anchor comes from the snapshot."""
    row = claim_row(board, claim_id)
    if row is None:
        return None, "That claim is not in the current snapshot (it may have been refreshed away): pick it again."
    who = who.strip()[:80] if isinstance(who, str) and who.strip() else None
    note = note.strip()[:FIELD_MAX] if isinstance(note, str) and note.strip() else None
    try:
        fields = edited_fields(row, form) if action == "set" else {}
        if action == "set" and not fields:
            return None, "Nothing changed: edit a field first."
        correction = record_decision(path, anchor_of(row), action, fields, note=note, who=who)
    except CorrectionError as err:
        return None, f"Not saved: {err}"
    pending = {"claim_id": row["claim_id"], "id": correction.id, "action": action, "fields": json_safe(fields)}
    verb = {"accept": "Accepted", "reject": "Rejected", "set": "Edited"}[action]
    return pending, f"{verb}: correction {correction.id} saved. Everyone sees it after the next refresh; you see it now."


def json_safe(fields: dict) -> dict:
    return json.loads(json.dumps(fields))


# ---------------------------------------------------------------- the editing user's overlay


def valid_pending(pending: object) -> list[dict]:
    if not isinstance(pending, list):
        return []
    return [p for p in pending[-MAX_PENDING:] if isinstance(p, dict) and isinstance(p.get("claim_id"), str)
            and p.get("action") in ("accept", "reject", "set") and isinstance(p.get("fields", {}), dict)]


def overlay(response: dict, pending: object) -> dict:
    """A claims-grid response with this browser's pending decisions laid over its rows."""
    latest = {p["claim_id"]: p for p in valid_pending(pending)}
    if not latest or not isinstance(response, dict):
        return response
    rows = []
    for record in response.get("rowData", []):
        decision = latest.get(record.get("id"))
        if decision is None or record.get("correction") == decision.get("id"):
            rows.append(record)
            continue
        record = dict(record)
        fields = decision.get("fields") or {}
        if "metric" in fields:
            record["metric"] = fields["metric"]
        if isinstance(fields.get("multiplier"), int | float):
            record["multiplier"] = round(float(fields["multiplier"]), 3)
        if "baselines" in fields:
            record["baseline"] = "; ".join(map(str, fields["baselines"] or [])) or "—"
        if "hardware" in fields:
            record["hardware"] = ", ".join(map(str, fields["hardware"] or [])) or "—"
        if "model_sizes" in fields:
            record["model_size"] = ", ".join(size_text(float(v)) for v in fields["model_sizes"] or []) or "—"
        if "gpu_counts" in fields:
            record["gpu_count"] = ", ".join(map(str, fields["gpu_counts"] or [])) or None
        record["pending"] = {"accept": "accepted", "reject": "rejected", "set": "edited"}[decision["action"]]
        record["original"] = f"{record['pending']} by you (correction {decision['id']}); everyone sees it after the next refresh"
        rows.append(record)
    return {**response, "rowData": rows}


# ---------------------------------------------------------------- the queue


def queue_rows(board: Board) -> list[dict]:
    def compute() -> list[dict]:
        queue = review_queue(board.claims, QUEUE_ROWS)
        return [{"id": r["claim_id"], "title": r["title"], "metric": r["metric"], "multiplier": round(r["multiplier"], 3),
                 "why": r["why"] or "", "sentence": r["sentence"], "number": r["text"]}
                for r in queue.select("claim_id", "title", "metric", "multiplier", "why", "sentence", "text").to_dicts()]

    return board.memo("review_queue", compute)


# ---------------------------------------------------------------- layout


def form_field(label: str, component) -> html.Div:
    return html.Div(className="field review-field", children=[html.Label(label, className="field-label"), component])


def panel() -> html.Section:
    """The review panel: queue, the claim under review, the form."""
    text = lambda fid, placeholder="": dcc.Input(id=f"review-{fid}", type="text", maxLength=FIELD_MAX,  # noqa: E731
                                                 placeholder=placeholder, className="review-input")
    return html.Section(id="review-panel", className="review", children=[
        html.H3("Review"),
        html.P("Review mode: click a row of the claims table, or a claim of the queue, to accept, reject or edit it. "
               "Decisions go to the corrections file and apply at the next refresh.", className="field-hint"),
        form_field("Your name", dcc.Input(id="review-who", type="text", maxLength=80, persistence=True,
                                          persistence_type="local", placeholder="who decides")),
        html.Details(open=True, className="review-queue", children=[
            html.Summary("Review queue (claims most in need of a human)"),
            dag.AgGrid(id="review-queue", rowData=[], className="grid",
                       columnDefs=[{"field": "title", "headerName": "Paper", "flex": 2},
                                   {"field": "metric", "headerName": "Metric"},
                                   {"field": "multiplier", "headerName": "×", "maxWidth": 90},
                                   {"field": "why", "headerName": "Why", "flex": 3}],
                       defaultColDef={"resizable": True, "wrapText": True, "autoHeight": True, "minWidth": 70},
                       dashGridOptions={"pagination": True, "paginationPageSize": 10, "paginationPageSizeSelector": False,
                                        "domLayout": "autoHeight", "suppressCellFocus": True, "animateRows": False},
                       style={"height": None}),
        ]),
        html.Div(id="review-claim-view", className="review-claim", children=html.P("No claim picked yet.", className="field-hint")),
        html.Div(className="review-form", children=[
            form_field("Metric", dcc.Dropdown(id="review-metric", options=list(METRICS), clearable=False)),
            form_field("Better", dcc.Dropdown(id="review-better", clearable=False, options=[
                {"label": "an improvement", "value": "true"}, {"label": "a regression", "value": "false"}])),
            *[form_field(label, text(name)) for name, (label, _) in FORM_FIELDS.items()],
            *[form_field(f"{name.removesuffix('_from').replace('_', ' ')} from",
                         dcc.Dropdown(id=f"review-{name}", options=SETTING_FROM, placeholder="unknown"))
              for name in FROM_FIELDS],
            form_field("Note", text("note", "why (optional)")),
        ]),
        html.Div(className="review-buttons", children=[
            html.Button("Accept", id="review-accept", className="button", n_clicks=0, disabled=True),
            html.Button("Reject", id="review-reject", className="button", n_clicks=0, disabled=True),
            html.Button("Save edit", id="review-save", className="button", n_clicks=0, disabled=True),
        ]),
        html.Div(id="review-status", className="review-status", role="alert"),
        dcc.Store(id="review-claim"),  # the claim id under review (the server looks the claim up)
        dcc.Store(id="review-pending", storage_type="session", data=[]),  # this browser's decisions
        dcc.Store(id="review-purge"),
    ])


FORM_IDS = ["metric", "better", *FORM_FIELDS, *FROM_FIELDS]


def claim_view(row: dict) -> list:
    """Paper, sentence with the number marked (text nodes), and the current values."""
    sentence, number = str(row.get("sentence") or ""), str(row.get("text") or "")
    at = sentence.find(number) if number else -1
    parts = [sentence] if at < 0 else [sentence[:at], html.Mark(number, className="claim-number"), sentence[at + len(number):]]
    marks = corrected_marks(row)
    return [
        html.Div([html.B(str(row.get("title") or row.get("paper_id"))), f" · {row.get('paper_id')}"], className="review-paper"),
        html.P(parts, className="review-sentence", id="review-sentence"),
        html.Div(f"Already corrected ({marks['correction']}); {marks['original']}", className="field-hint") if marks else None,
    ]


# ---------------------------------------------------------------- callbacks


def register(app: Dash, cache: SnapshotCache, config: ReviewConfig) -> None:
    """The review callbacks (only when review mode is on)."""

    def board() -> Board | None:
        try:
            return cache.get()
        except Exception:  # noqa: BLE001 - the header explains a store problem
            return None

    @app.callback(Output("review-queue", "rowData"), Input("url", "pathname"))
    def _queue(_path):
        loaded = board()
        return queue_rows(loaded) if loaded is not None else []

    @app.callback(
        Output("review-claim", "data"),
        Input("claims-table", "cellClicked"), Input("review-queue", "cellClicked"),
        State("claims-table", "getRowsRequest"), State("url", "search"), State("review-queue", "rowData"),
        prevent_initial_call=True,
    )
    def _pick(cell, queue_cell, grid_request, search, queue):
        loaded = board()
        if loaded is None:
            raise PreventUpdate
        if ctx.triggered_id == "review-queue":
            row = queue_cell.get("rowIndex") if isinstance(queue_cell, dict) else None
            if not isinstance(row, int) or isinstance(row, bool) or not 0 <= row < QUEUE_ROWS:
                raise PreventUpdate
            rows = queue_rows(loaded)  # the server's queue, not the client's copy
            return rows[row]["id"] if row < len(rows) else no_update
        row = cell.get("rowIndex") if isinstance(cell, dict) else None
        if not isinstance(row, int) or isinstance(row, bool) or not 0 <= row < 2**31:
            raise PreventUpdate
        sort = views.grid_sort(grid_request.get("sortModel") if isinstance(grid_request, dict) else None)
        rows = views.table_rows(loaded.select(Filters.from_query(search).filters), row, row + 1, sort)["rowData"]
        return rows[0]["id"] if rows else no_update

    @app.callback(
        Output("review-claim-view", "children"), *[Output(f"review-{f}", "value") for f in FORM_IDS],
        Output("review-accept", "disabled"), Output("review-reject", "disabled"), Output("review-save", "disabled"),
        Input("review-claim", "data"),
        prevent_initial_call=True,
    )
    def _show(claim_id):
        loaded = board()
        row = claim_row(loaded, claim_id) if loaded is not None else None
        if row is None:
            return [html.P("That claim is not in the current snapshot.", className="field-hint"),
                    *[None] * len(FORM_IDS), True, True, True]
        values = form_values(row)
        return [claim_view(row), *[values.get(f) for f in FORM_IDS], False, False, False]

    @app.callback(
        Output("review-status", "children"), Output("review-pending", "data"),
        Input("review-accept", "n_clicks"), Input("review-reject", "n_clicks"), Input("review-save", "n_clicks"),
        State("review-claim", "data"), *[State(f"review-{f}", "value") for f in FORM_IDS],
        State("review-who", "value"), State("review-note", "value"), State("review-pending", "data"),
        prevent_initial_call=True,
    )
    def _decide(_a, _r, _s, claim_id, *rest):
        values, (who, note, pending) = rest[: len(FORM_IDS)], rest[len(FORM_IDS):]
        action = {"review-accept": "accept", "review-reject": "reject", "review-save": "set"}.get(ctx.triggered_id)
        loaded = board()
        if action is None or loaded is None or not claim_id:
            raise PreventUpdate
        entry, text = decide(loaded, config.path(cache.store), claim_id, action, dict(zip(FORM_IDS, values, strict=True)),
                             who, note)
        if entry is None:
            return html.Span(text, className="message message--warning"), no_update
        return html.Span(text, className="message message--info"), [*valid_pending(pending), entry][-MAX_PENDING:]

    app.clientside_callback(
        ClientsideFunction(namespace="claimboard", function_name="purgeClaims"),
        Output("review-purge", "data"), Input("review-pending", "data"), prevent_initial_call=True,
    )
