"""The abstract dialog (issue 13): highlighting, lookups by claim id and by paper id, hostile text."""

from __future__ import annotations

import json

import polars as pl
import pytest
from dash import html

from dashboard import abstracts
from dashboard.app import create_app
from dashboard.data import SnapshotCache
from etl.store import publish, write_snapshot
from support.stores import NEW_RUN, handmade_tables, manifest_for

HOSTILE_ABSTRACT = ('We present <script>alert("abstract")</script> FastLLM. <img src=x onerror=alert(1)> '
                    'FastLLM is 4x faster than vLLM, at the cost of 5% extra memory. [x](javascript:alert(2))')
UNICODE_ABSTRACT = "Über-fast 🚀 serving: ×2 ≥ 3.5× lower latency (naïve baseline) and 2.1× higher throughput."


def text_of(children) -> str:
    return json.dumps(children, default=lambda c: c.to_plotly_json())


def marks(children) -> list[str]:
    return [c.children for c in children if isinstance(c, html.Mark)]


# ---------------------------------------------------------------- pieces / highlight


def test_pieces_mark_the_spans_and_keep_every_character():
    text = "abc 2.1x def 40% ghi"
    out = abstracts.pieces(text, [(4, 8), (13, 16)])
    assert out == [("abc ", False), ("2.1x", True), (" def ", False), ("40%", True), (" ghi", False)]
    assert "".join(p for p, _ in out) == text


def test_overlapping_and_nested_spans_merge_and_adjacent_ones_stay_apart():
    text = "0123456789"
    assert abstracts.pieces(text, [(5, 8), (2, 6)]) == [("01", False), ("234567", True), ("89", False)]
    assert abstracts.pieces(text, [(2, 9), (3, 4)]) == [("01", False), ("2345678", True), ("9", False)]
    assert abstracts.pieces(text, [(0, 2), (2, 4)]) == [("01", True), ("23", True), ("456789", False)]
    assert abstracts.pieces(text, [(1, 3), (1, 3)]) == [("0", False), ("12", True), ("3456789", False)]


def test_bad_spans_are_clamped_or_dropped():
    text = "hello"
    assert abstracts.pieces(text, [(3, 99)]) == [("hel", False), ("lo", True)]
    assert abstracts.pieces(text, [(-4, 1)]) == [("h", True), ("ello", False)]
    assert abstracts.pieces(text, [(3, 3), (4, 2), (True, 3), ("1", 2), (None, 4)]) == [("hello", False)]
    assert abstracts.pieces("", [(0, 3)]) == []
    assert abstracts.pieces(text, []) == [("hello", False)]


def test_unicode_offsets_are_code_points():
    text = UNICODE_ABSTRACT
    start = text.index("3.5×")
    out = abstracts.highlight(text, [(start, start + len("3.5×"))])
    assert marks(out) == ["3.5×"]
    assert "".join(c if isinstance(c, str) else c.children for c in out) == text
    assert abstracts.claim_span(text, "2.1×", None, None, "2.1× higher throughput") == (text.index("2.1×"), text.index("2.1×") + 4)


def test_hostile_text_stays_text():
    out = abstracts.highlight(HOSTILE_ABSTRACT, [(HOSTILE_ABSTRACT.index("4x"), HOSTILE_ABSTRACT.index("4x") + 2)])
    assert marks(out) == ["4x"]
    assert all(isinstance(c, str | html.Mark) for c in out)  # strings and marks only: nothing parsed as HTML
    assert out[0].startswith('We present <script>alert("abstract")</script>')


def test_claim_span_trusts_offsets_only_when_they_read_the_claim():
    text = "It is 2x faster and 2x cheaper."
    assert abstracts.claim_span(text, "2x", 20, 22) == (20, 22)
    assert abstracts.claim_span(text, "2x", 0, 2) == (6, 8)  # offsets that do not read "2x": found again
    assert abstracts.claim_span(text, "2x", 0, 2, "and 2x cheaper.") == (20, 22)  # inside its sentence
    assert abstracts.claim_span(text, "9x", 6, 8) is None
    assert abstracts.claim_span(text, "", 6, 8) is None


# ---------------------------------------------------------------- the callback's function


@pytest.fixture(scope="module")
def hostile_store(tmp_path_factory):
    """The hand-made snapshot with a hostile abstract and a unicode one, offsets exact."""
    tables = handmade_tables(NEW_RUN)
    papers, claims = tables["papers"], tables["claims"]
    replaced = {"2401.00003": HOSTILE_ABSTRACT, "2401.00002": UNICODE_ABSTRACT}
    papers = papers.with_columns(abstract=pl.col("paper_id").replace_strict(replaced, default=pl.col("abstract")))
    rows = []
    for row in claims.iter_rows(named=True):
        if row["paper_id"] == "2401.00002":
            row["text"] = {"3.5x": "3.5×", "1.8x": "2.1×"}[row["text"]]
        abstract = papers.filter(pl.col("paper_id") == row["paper_id"])["abstract"][0]
        row["start"] = abstract.find(row["text"])
        row["end"] = row["start"] + len(row["text"])
        rows.append(row)
    tables |= {"papers": papers, "claims": pl.DataFrame(rows, schema=claims.schema)}
    store = tmp_path_factory.mktemp("abstracts") / "store"
    write_snapshot(store, NEW_RUN, tables, manifest_for(NEW_RUN, tables))
    publish(store, NEW_RUN)
    return store


@pytest.fixture(scope="module")
def board(hostile_store):
    return SnapshotCache(hostile_store).get()


def test_by_claim_id_marks_that_claim_only(board):
    hidden, title, link, text, note = abstracts.abstract_outputs(board, claim_id="2401.00003#4")
    assert hidden is False
    assert title.startswith("<script>")  # a plain string: Dash shows it as text
    assert marks(text) == ["4x"]
    assert "<script>alert(\"abstract\")</script>" in "".join(c for c in text if isinstance(c, str))
    assert all(isinstance(c, str | html.Mark) for c in text)
    assert note == "The claim's number is highlighted."
    assert link[0].href == "https://arxiv.org/abs/2401.00003" and link[0].children == "arXiv ↗"


def test_by_paper_id_marks_every_claim_of_the_paper(board):
    hidden, _title, link, text, note = abstracts.abstract_outputs(board, paper_id="2401.00003")
    assert hidden is False and marks(text) == ["4x", "5%"] and note == "2 claims highlighted."
    _, _, link, text, _ = abstracts.abstract_outputs(board, paper_id="2401.00002")
    assert marks(text) == ["3.5×", "2.1×"]
    assert link[0].children == "Hugging Face ↗"


def test_a_title_search_link_says_so(board):
    _, _, link, text, _ = abstracts.abstract_outputs(board, paper_id="2401.00006")
    assert link[0].children == "title search ↗" and "search" in link[0].title
    assert marks(text) == ["2x"]


@pytest.mark.parametrize("claim_id, paper_id", [
    ("nope#1", None), (None, "9999.99999"), ({"start": 0}, None), (None, ["2401.00003"]), ("x" * 500, None), (None, None),
])
def test_unknown_or_malformed_ids_leave_it_closed(board, claim_id, paper_id):
    assert abstracts.abstract_outputs(board, claim_id=claim_id, paper_id=paper_id) == abstracts.CLOSED
    assert abstracts.abstract_outputs(None, claim_id="2401.00003#4") == abstracts.CLOSED


def test_a_paper_without_an_abstract_says_so(board, monkeypatch):
    monkeypatch.setattr(type(board), "abstracts", lambda self, ids: {})
    hidden, title, _link, text, note = abstracts.abstract_outputs(board, paper_id="2401.00001")
    assert hidden is False and title.startswith("PagedServe") and text == [] and "No abstract" in note


def test_side_buttons_name_the_compared_papers_only(board):
    buttons = abstracts.side_button_children(board, "?tab=side&papers=2401.00003&papers=2401.00001&papers=nope")
    ids = [b.id["paper"] for b in buttons if isinstance(b, html.Button)]
    assert ids == ["2401.00003", "2401.00001"]
    assert abstracts.side_button_children(board, "?papers=2401.00003") == []


def test_the_app_places_the_dialog_and_registers_its_callback(hostile_store):
    app = create_app(hostile_store)
    page = text_of(app.layout())
    assert '"abstract-panel"' in page and '"side-abstracts"' in page
    outputs = " ".join(app.callback_map)
    assert "abstract-panel.hidden" in outputs and "side-abstracts.children" in outputs
