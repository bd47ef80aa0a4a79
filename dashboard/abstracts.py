"""The abstract dialog: a paper's full abstract with its claims' numbers in <mark> (issue 13).

Opened from the claims table (the ``AbstractButton`` in the sentence cell of
assets/claimboard_grid.js sends the row's claim id through the grid's ``cellRendererData``: its
claim is highlighted) and from side by side (one button per compared paper: every claim of that
paper is highlighted). The server looks the claim or paper up by its id in the current snapshot
and reads the abstract on demand (``Board.abstracts``); no offset or text from the browser is
used. The abstract is split into plain strings and ``html.Mark`` pieces: Dash children only, so
an abstract holding ``<script>`` shows as that text.

``panel()`` is the dialog (placed once in the page), ``side_buttons()`` the side-by-side row of
buttons, ``register(app, cache)`` wires the callbacks; ``abstract_outputs`` is a plain function of
(board, claim id, paper id) for tests.
"""

from __future__ import annotations

from collections.abc import Iterable

import polars as pl
from dash import ALL, Dash, Input, Output, State, ctx, html
from dash.exceptions import PreventUpdate

from dashboard.data import Board, SnapshotCache
from dashboard.filters import Filters
from etl.store import StoreError

MAX_ID = 200  # an id from the browser longer than this is no id of ours
LINK_TEXT = {"arxiv": "arXiv ↗", "hf": "Hugging Face ↗", "search": "title search ↗"}
CLOSED = (True, "", None, [], "")  # hidden, title, link, abstract pieces, note


# ---------------------------------------------------------------- highlighting


def pieces(text: str, spans: Iterable[tuple[int, int]]) -> list[tuple[str, bool]]:
    """``text`` cut into (piece, marked) in order: the spans (clamped to the text, empty ones
    dropped, overlapping ones merged) marked, the rest not. Offsets are code points (Python's
    and Polars' ``str.slice``'s), so a non-ASCII character is never split."""
    clean = sorted((max(0, a), min(len(text), b)) for a, b in spans
                   if isinstance(a, int) and isinstance(b, int) and not isinstance(a, bool) and not isinstance(b, bool))
    merged: list[list[int]] = []
    for a, b in clean:
        if a >= b:
            continue
        if merged and a < merged[-1][1]:
            merged[-1][1] = max(merged[-1][1], b)
        else:
            merged.append([a, b])
    out: list[tuple[str, bool]] = []
    at = 0
    for a, b in merged:
        if a > at:
            out.append((text[at:a], False))
        out.append((text[a:b], True))
        at = b
    if at < len(text):
        out.append((text[at:], False))
    return out


def highlight(text: str, spans: Iterable[tuple[int, int]]) -> list:
    """Dash children: plain strings and ``html.Mark`` for the spans (never parsed as HTML)."""
    return [html.Mark(piece, className="abstract-mark") if marked else piece for piece, marked in pieces(text, spans)]


def claim_span(abstract: str, text: object, start: object, end: object, sentence: object = None) -> tuple[int, int] | None:
    """Where a stored claim sits in its abstract: ``start:end`` when the abstract there reads the
    claim's text (the schema's guarantee), else the text inside its sentence, else its first
    occurrence (a snapshot written before that check); None when the text is not there at all."""
    if not isinstance(text, str) or not text:
        return None
    if (isinstance(start, int) and isinstance(end, int) and 0 <= start < end <= len(abstract)
            and abstract[start:end] == text):
        return start, end
    if isinstance(sentence, str) and sentence:
        at = abstract.find(sentence)
        inner = sentence.find(text)
        if at >= 0 and inner >= 0:
            return at + inner, at + inner + len(text)
    at = abstract.find(text)
    return (at, at + len(text)) if at >= 0 else None


# ---------------------------------------------------------------- lookups


def valid_id(value: object) -> str | None:
    return value if isinstance(value, str) and 0 < len(value) <= MAX_ID else None


def paper_link(paper: dict) -> tuple[str | None, str]:
    url, kind = paper.get("url"), paper.get("url_kind")
    if isinstance(url, str) and url.lower().startswith("https://"):
        return url, kind if kind in LINK_TEXT else "arxiv"
    return None, ""


def abstract_outputs(board: Board | None, claim_id: object = None, paper_id: object = None) -> tuple:
    """(hidden, title, link children, abstract children, note) for one claim (its number marked)
    or one paper (every claim of it marked), looked up by id in ``board``; an unknown id leaves
    the dialog closed."""
    claim_id, paper_id = valid_id(claim_id), valid_id(paper_id)
    if board is None or not (claim_id or paper_id):
        return CLOSED
    columns = ["claim_id", "paper_id", "text", "start", "end", "sentence"]
    if claim_id:
        claims = board.claims.select(columns).filter(pl.col("claim_id") == claim_id)
        if claims.is_empty():
            return CLOSED
        paper_id = claims["paper_id"][0]
    else:
        claims = board.claims.select(columns).filter(pl.col("paper_id") == paper_id)
    papers = board.papers.filter(pl.col("paper_id") == paper_id)
    if papers.is_empty():
        return CLOSED
    paper = papers.row(0, named=True)
    try:
        abstract = board.abstracts([paper_id]).get(paper_id)
    except StoreError:
        return False, paper["title"], link_children(paper), [], "The abstract cannot be read from the snapshot store."
    if not isinstance(abstract, str) or not abstract:
        return False, paper["title"], link_children(paper), [], "No abstract is stored for this paper."
    spans = [span for row in claims.iter_rows(named=True)
             if (span := claim_span(abstract, row["text"], row["start"], row["end"], row["sentence"]))]
    if claim_id:
        note = "The claim's number is highlighted." if spans else "The claim's number was not found in the abstract."
    else:
        note = f"{len(spans)} claim{'s' * (len(spans) != 1)} highlighted." if spans else "No claim of this paper is highlighted."
    return False, paper["title"], link_children(paper), highlight(abstract, spans), note


def link_children(paper: dict) -> list:
    url, kind = paper_link(paper)
    if not url:
        return []
    return [html.A(LINK_TEXT[kind], href=url, target="_blank", rel="noopener noreferrer", className="abstract-link",
                   title="no id known: a search for the title" if kind == "search" else "the paper's page")]


# ---------------------------------------------------------------- layout


def panel() -> html.Div:
    """The dialog, hidden until a claim or paper is picked."""
    return html.Div(id="abstract-panel", className="abstract-overlay", hidden=True, children=html.Div(
        className="abstract-dialog", role="dialog", **{"aria-modal": "true", "aria-labelledby": "abstract-title"},
        children=[
            html.Div(className="abstract-head", children=[
                html.H3(id="abstract-title", className="abstract-title"),
                html.Button("✕", id="abstract-close", className="button abstract-close", n_clicks=0,
                            title="Close", **{"aria-label": "Close the abstract"}),
            ]),
            html.Div(className="abstract-meta", children=[html.Span(id="abstract-link"),
                                                          html.Span(id="abstract-note", className="abstract-note")]),
            html.P(id="abstract-text", className="abstract-text"),
        ]))


def side_buttons() -> html.Div:
    """Side by side: one "abstract" button per compared paper (filled by a callback)."""
    return html.Div(id="side-abstracts", className="side-abstracts")


def side_button_children(board: Board | None, search: str | None) -> list:
    if board is None:
        return []
    ids = list(Filters.from_query(search).filters.papers)
    known = board.papers.filter(pl.col("paper_id").is_in(ids)).select("paper_id", "system", "title")
    names = {r["paper_id"]: r["system"] or r["title"] for r in known.to_dicts()}
    shown = [p for p in ids if p in names]
    if len(shown) < 2:
        return []
    return [html.Span("Abstracts", className="option-label"),
            *[html.Button(names[p][:60], id={"type": "abstract-open", "paper": p}, n_clicks=0, className="button",
                          title="Read the abstract with this paper's claims highlighted") for p in shown]]


# ---------------------------------------------------------------- wiring


def register(app: Dash, cache: SnapshotCache) -> None:
    def board() -> Board | None:
        try:
            return cache.get()
        except StoreError:
            return None

    @app.callback(Output("side-abstracts", "children"), Input("url", "search"))
    def _side_buttons(search):
        return side_button_children(board(), search)

    @app.callback(
        Output("abstract-panel", "hidden"), Output("abstract-title", "children"), Output("abstract-link", "children"),
        Output("abstract-text", "children"), Output("abstract-note", "children"),
        Input("claims-table", "cellRendererData"), Input({"type": "abstract-open", "paper": ALL}, "n_clicks"),
        Input("abstract-close", "n_clicks"), State("abstract-panel", "hidden"),
        prevent_initial_call=True,
    )
    def _open(data, _clicks, _close, _hidden):
        trigger = ctx.triggered_id
        if trigger == "abstract-close":
            return CLOSED
        if trigger == "claims-table":
            value = data.get("value") if isinstance(data, dict) else None
            return abstract_outputs(board(), claim_id=value)
        if isinstance(trigger, dict) and trigger.get("type") == "abstract-open":
            if not (ctx.triggered and ctx.triggered[0].get("value")):  # a button drawn, not clicked
                raise PreventUpdate
            return abstract_outputs(board(), paper_id=trigger.get("paper"))
        raise PreventUpdate
