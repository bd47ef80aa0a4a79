"""Review mode (issue 12), below the browser: off by default, who may reach it, hostile edits."""

from __future__ import annotations

import json
import shutil

import pytest

from dashboard import review
from dashboard.app import create_app
from dashboard.data import SnapshotCache
from dashboard.review import ReviewConfig
from etl.review import read_corrections

TOKEN = "s3cret-review-token-0123"


@pytest.fixture
def store(handmade_store, tmp_path):
    copy = tmp_path / "store"
    shutil.copytree(handmade_store, copy)
    return copy


def dispatch_body(output: str = "review-status.children") -> dict:
    return {"output": output, "outputs": {"id": output.split(".")[0], "property": output.split(".")[1]},
            "inputs": [{"id": "review-accept", "property": "n_clicks", "value": 1}], "changedPropIds": ["review-accept.n_clicks"],
            "state": []}


def test_review_is_off_by_default_no_ui_and_the_review_callbacks_refuse(store):
    app = create_app(store)
    client = app.server.test_client()
    assert client.get("/").status_code == 200
    layout = json.dumps(client.get("/_dash-layout").get_json())
    assert "review-panel" not in layout and "review-accept" not in layout
    assert not any("review-" in key for key in app.callback_map)
    response = client.post("/_dash-update-component", json=dispatch_body())
    assert response.status_code == 403 and b"review mode is off" in response.data
    assert not (store / "corrections.jsonl").exists()


def test_review_mode_refuses_non_loopback_clients_at_the_wsgi_level(store):
    app = create_app(store, review_mode=ReviewConfig(enabled=True))
    assert "review-panel" in json.dumps(app.server.test_client().get("/_dash-layout").get_json())
    remote = app.server.test_client()
    remote.environ_base["REMOTE_ADDR"] = "10.0.0.5"
    assert remote.get("/").status_code == 403
    assert remote.post("/_dash-update-component", json=dispatch_body()).status_code == 403
    # a forwarded header naming loopback does not help: the socket's address decides
    assert remote.get("/", headers={"X-Forwarded-For": "127.0.0.1", "X-Real-IP": "127.0.0.1"}).status_code == 403
    local = app.server.test_client()
    local.environ_base["REMOTE_ADDR"] = "127.0.0.1"
    assert local.get("/").status_code == 200
    ipv6 = app.server.test_client()
    ipv6.environ_base["REMOTE_ADDR"] = "::1"
    assert ipv6.get("/_dash-layout").status_code == 200


def test_review_token_is_needed_from_everywhere_by_header_or_cookie_from_the_link(store):
    app = create_app(store, review_mode=ReviewConfig(enabled=True, token=TOKEN))
    remote = app.server.test_client()
    remote.environ_base["REMOTE_ADDR"] = "10.0.0.5"
    assert remote.get("/").status_code == 403
    assert remote.get("/", headers={review.TOKEN_HEADER: "wrong"}).status_code == 403
    assert remote.get("/?token=wrong").status_code == 403
    assert remote.get("/", headers={review.TOKEN_HEADER: TOKEN}).status_code == 200
    # a loopback client needs it too once a token is set
    local = app.server.test_client()
    local.environ_base["REMOTE_ADDR"] = "127.0.0.1"
    assert local.get("/_dash-layout").status_code == 403
    # the link sets an HttpOnly cookie; later requests (Dash's XHRs) carry only the cookie
    linked = app.server.test_client()
    linked.environ_base["REMOTE_ADDR"] = "10.0.0.7"
    first = linked.get(f"/?token={TOKEN}")
    assert first.status_code == 200
    cookie = first.headers["Set-Cookie"]
    assert review.TOKEN_COOKIE in cookie and "HttpOnly" in cookie and "SameSite=Strict" in cookie
    assert linked.get("/_dash-layout").status_code == 200


def first_claim(store):
    board = SnapshotCache(store).get()
    return board, board.claims.row(0, named=True)


def form_of(board, claim_id, **changes):
    values = review.form_values(review.claim_row(board, claim_id))
    return {**values, **changes}


@pytest.mark.parametrize("field, value, message", [
    ("multiplier", "1e308", "outside"),
    ("multiplier", "inf", "finite"),
    ("multiplier", "nan", "finite"),
    ("multiplier", "-3", "outside"),
    ("multiplier", "=1+1", "not a number"),
    ("gpu_counts", "8; =cmd|' /C calc'!A0", "whole numbers"),
    ("model_sizes", "<script>alert(1)</script>", "not a size"),
    ("hardware", "x" * 600, "at most"),
])
def test_hostile_edits_are_rejected_with_a_message_and_nothing_is_written(store, field, value, message):
    board, row = first_claim(store)
    path = ReviewConfig().path(store)
    entry, text = review.decide(board, path, row["claim_id"], "set", form_of(board, row["claim_id"], **{field: value}), "ana", None)
    assert entry is None and text.startswith("Not saved") and message in text
    assert not path.exists()


def test_markup_and_formulas_in_text_fields_are_kept_verbatim_and_shown_as_text(store):
    board, row = first_claim(store)
    path = ReviewConfig().path(store)
    hostile = "<script>alert(1)</script>"
    formula = "=HYPERLINK(\"http://evil\")"
    entry, text = review.decide(board, path, row["claim_id"], "set",
                                form_of(board, row["claim_id"], hardware=hostile, baselines=formula),
                                "<b>mallory</b>", "<img src=x onerror=alert(1)>")
    assert entry is not None, text
    (decision,) = read_corrections(path).corrections
    assert decision.fields == {"hardware": [hostile], "baselines": [formula]} and decision.who == "<b>mallory</b>"
    # the anchor is the snapshot's, not the client's
    assert (decision.anchor.paper_id, decision.anchor.text, decision.anchor.metric) == (row["paper_id"], row["text"], row["metric"])
    # shown back only as Dash text children (React text nodes), never as HTML
    shown = review.overlay({"rowData": [{"id": row["claim_id"], "multiplier": 2.0}], "rowCount": 1}, [entry])["rowData"][0]
    assert shown["hardware"] == hostile and shown["pending"] == "edited"
    view = review.claim_view({**row, "title": hostile, "sentence": f"{hostile} {row['text']} faster"})
    flat = json.dumps(view, default=lambda c: c.to_plotly_json())
    assert "dangerously" not in flat.lower() and "Markdown" not in flat
    assert hostile in flat  # as a string child, which React renders as text


def test_accept_reject_and_edit_append_and_the_edit_needs_a_change(store):
    board, row = first_claim(store)
    path = ReviewConfig().path(store)
    form = form_of(board, row["claim_id"])
    assert review.decide(board, path, row["claim_id"], "set", form, "ana", None)[1] == "Nothing changed: edit a field first."
    assert review.decide(board, path, "no-such-claim", "accept", form, "ana", None)[0] is None
    for action in ("accept", "reject"):
        assert review.decide(board, path, row["claim_id"], action, form, "ana", None)[0]["action"] == action
    entry, _ = review.decide(board, path, row["claim_id"], "set", {**form, "multiplier": "3.5", "gpu_counts": "8; 16",
                                                                     "model_sizes": "7B; 70B"}, "ana", "table 3")
    fields = read_corrections(path).corrections[-1].fields
    assert fields == {"multiplier": 3.5, "gpu_counts": [8, 16], "model_sizes": [7e9, 70e9]}
    assert [c.action for c in read_corrections(path).corrections] == ["accept", "reject", "set"]
    shown = review.overlay({"rowData": [{"id": row["claim_id"], "multiplier": 1.0}]}, [entry])["rowData"][0]
    assert shown["multiplier"] == 3.5 and shown["gpu_count"] == "8, 16" and shown["model_size"] == "7B, 70B"


def test_review_queue_lists_claims_by_priority(store):
    board, _ = first_claim(store)
    rows = review.queue_rows(board)
    assert rows and all({"id", "title", "why"} <= set(r) for r in rows)


def test_header_notes_stale_corrections_and_exports_count_them(store):
    from dashboard import export, layout
    from dashboard.filters import Filters

    board, _ = first_claim(store)
    assert review.stale_note(board) is None
    board.snapshot.manifest["corrections"] = {"applied": 3, "stale": 2, "invalid": 0, "superseded": 1, "rejected": 1, "added": 0}
    note = review.stale_note(board)
    assert note.startswith("2 reader corrections stale")
    assert note in json.dumps(layout.header_info(board, []), default=lambda c: c.to_plotly_json())
    meta = export.provenance(board, Filters())
    assert meta["corrections"] == {"applied": 3, "stale": 2, "invalid": 0, "superseded": 1, "rejected": 1, "added": 0}


def test_serve_flags(store):
    from etl.cli import main

    assert main(["serve", "--store", str(store), "--review-token", "short"]) == 2
