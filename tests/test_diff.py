"""Snapshot diff: on two real snapshots built by refresh, and the claim pairing on its own."""

from __future__ import annotations

import json

import polars as pl
import pytest
from test_refresh import paper, write_papers

from etl.cli import main
from etl.store.diff import FieldChange, diff_snapshots, diff_tables, pair_claims, paper_changes, render_diff
from etl.refresh import RefreshPlan, refresh
from etl.store import list_snapshots, load_snapshot


@pytest.fixture
def two_snapshots(tmp_path):
    """v1: papers 0, 1, 2. v2: paper 0's number edited, paper 1 retitled, 2 withdrawn, 3 added."""
    source = tmp_path / "papers.jsonl"
    plan = RefreshPlan(store=tmp_path / "store", sources=(source,))
    write_papers(source, [paper(0), paper(1), paper(2)])
    refresh(plan)
    write_papers(source, [paper(0, speedup=2.6), paper(1, title_suffix="faster LLM serving"), paper(3)])
    refresh(plan)
    old_id, new_id = list_snapshots(plan.store)
    return plan.store, load_snapshot(plan.store, old_id), load_snapshot(plan.store, new_id)


def test_diff_reports_papers_and_claims_added_changed_and_withdrawn(two_snapshots):
    _, old, new = two_snapshots

    diff = diff_snapshots(old, new)

    by_id = {p.paper_id: p for p in diff.papers}
    assert {pid: p.status for pid, p in by_id.items()} == {
        "2611.00000": "changed", "2611.00001": "changed", "2611.00002": "withdrawn", "2611.00003": "added",
    }
    edited = by_id["2611.00000"]
    assert [f.field for f in edited.fields] == ["abstract"]
    (claim,) = edited.claims_changed  # the edited number is one claim changed, not withdrawn + added
    assert (claim.old.text, claim.new.text) == ("2.1x", "2.6x")
    assert FieldChange("multiplier", 2.1, 2.6) in claim.fields and FieldChange("high", 2.1, 2.6) in claim.fields
    assert edited.claims_added == edited.claims_withdrawn == ()
    assert by_id["2611.00001"].fields == (
        FieldChange("title", "QuickKV: fast LLM serving", "QuickKV: faster LLM serving"),
    )
    assert len(by_id["2611.00003"].claims_added) == 2 and len(by_id["2611.00002"].claims_withdrawn) == 2
    assert diff.counts() == {"papers_added": 1, "papers_changed": 2, "papers_withdrawn": 1,
                             "claims_added": 2, "claims_changed": 1, "claims_withdrawn": 2}


def test_diff_cli_prints_a_readable_report_and_json(two_snapshots, capsys):
    store, old, new = two_snapshots

    assert main(["diff", "--store", str(store)]) == 0
    text = capsys.readouterr().out
    assert main(["diff", old.run_id[:21], new.run_id, "--store", str(store), "--json"]) == 0
    as_json = json.loads(capsys.readouterr().out)

    assert f"{old.run_id} -> {new.run_id}" in text
    assert "papers: 1 added, 2 changed, 1 withdrawn; claims: 2 added, 1 changed, 2 withdrawn" in text
    assert "+ 2611.00003  PagedPipe: fast LLM serving  [added]" in text
    assert "    ~ claim '2.1x' -> '2.6x': low 2.1 -> 2.6; high 2.1 -> 2.6; multiplier 2.1 -> 2.6" in text
    assert "    title: 'QuickKV: fast LLM serving' -> 'QuickKV: faster LLM serving'" in text
    assert "    abstract: '…" in text  # a long text is cut to the part that changed
    assert "- 2611.00002  ShardLoom: fast LLM serving  [withdrawn]" in text
    assert as_json["counts"]["claims_changed"] == 1 and as_json["old_run"] == old.run_id


def test_diff_needs_two_snapshots(tmp_path, capsys):
    assert main(["diff", "--store", str(tmp_path / "empty")]) == 1
    assert "need two snapshots" in capsys.readouterr().err


def test_identical_snapshots_have_no_differences(two_snapshots):
    _, _, new = two_snapshots
    diff = diff_snapshots(new, new)
    assert diff.papers == () and "no differences" in render_diff(diff)


def claim(start: int, metric: str, text: str = "2x") -> dict:
    return {"claim_id": f"c{start}", "start": start, "text": text, "metric": metric, "multiplier": 2.0,
            "baseline": None}


def test_unmatched_claims_pair_by_metric_in_text_order():
    old = [claim(10, "throughput"), claim(50, "latency"), claim(90, "throughput")]
    new = [claim(12, "throughput"), claim(95, "throughput"), claim(60, "memory")]

    pairs, added, withdrawn = pair_claims(old, new)

    assert sorted((o["start"], n["start"]) for o, n in pairs) == [(10, 12), (90, 95)]
    assert [c["start"] for c in added] == [60] and [c["start"] for c in withdrawn] == [50]


def test_a_claim_that_only_moved_is_not_a_change():
    papers = pl.DataFrame({"paper_id": ["p"], "title": ["T"], "abstract": ["A"], "system": [None],
                           "published": [None], "is_systems": [True]})
    moved = {**claim(30, "speedup"), "claim_id": "c-moved"}
    claims = [{**claim(10, "speedup"), "low": 2.0, "high": 2.0, "unit": "x", "better": True, "qualifier": None}]
    old_claims = pl.DataFrame([{**claims[0], "paper_id": "p"}])
    new_claims = pl.DataFrame([{**claims[0], **moved, "paper_id": "p"}])

    assert diff_tables(papers, old_claims, papers, new_claims) == ()


def test_paper_changes_count_new_changed_and_removed_by_content_hash():
    old = pl.DataFrame({"paper_id": ["a", "b", "c"], "content_hash": ["1", "2", "3"]})
    new = pl.DataFrame({"paper_id": ["a", "b", "d"], "content_hash": ["1", "9", "4"]})
    assert paper_changes(old, new) == {"new": 1, "changed": 1, "removed": 1}

