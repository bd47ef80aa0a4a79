"""Review and corrections (issue 12): readers' decisions applied by the review stage, kept across
refresh and an extractor version bump, stale when their claim vanishes, appended safely by several
processes, and the spreadsheet / gold round trips. Real stores through the real pipeline."""

from __future__ import annotations

import json
import math
import multiprocessing
from pathlib import Path

import polars as pl
import pytest

import etl.extract
from etl.cli import main as claimboard
from etl.evaluate import evaluate, load_jsonl, predict
from etl.pipeline import run_etl
from etl.refresh import RefreshPlan, refresh
from etl.report import describe_run, runs_table
from etl.review import (
    Anchor,
    CorrectionError,
    append_corrections,
    make_correction,
    read_corrections,
    record_decision,
)
from etl.review.queue import review_queue
from etl.review.sheet import SheetError, read_sheet, safe_cell, write_sheet
from etl.store import RunRecord, load_snapshot, read_run_records
from etl.store.diff import diff_snapshots, render_diff

FILLER = (" The design separates scheduling from memory management and is evaluated on several"
          " public workloads with realistic request traces and model configurations.")
PAPERS = [
    ("2401.00001", "PagedServe: Serving LLMs with Paged KV Caches",
     "We present PagedServe, a serving system for large language models." + FILLER
     + " PagedServe achieves 2.1x higher throughput than vLLM on LLaMA2-7B with 8 A100 GPUs."
     + " It also reduces latency by 40% compared to TGI. Accuracy improves by 3% on MMLU."),
    ("2401.00002", "TurboAttn: Faster Attention Kernels",
     "TurboAttn is a new attention kernel for long sequences." + FILLER
     + " TurboAttn runs 3.5x faster than FlashAttention-2 on H100 GPUs."
     + " It uses 4x less memory than standard attention."),
    ("2401.00003", "MegaTrain: Training Trillion-Parameter Models",
     "MegaTrain is a training system for very large models." + FILLER
     + " MegaTrain trains 1.3x faster than Megatron-LM on 2048 A100 GPUs."  # a bare "2048 GPUs" claim is quarantined by extractor 1.3.0 (issue 11: hardware_from "claim" with an empty hardware_list)
     + " It cuts training cost by 45% versus DeepSpeed."),
]


def write_corpus(path: Path, papers=PAPERS) -> Path:
    path.write_text("".join(json.dumps({"id": i, "title": t, "abstract": a}) + "\n" for i, t, a in papers))
    return path


@pytest.fixture
def corpus(tmp_path):
    source = write_corpus(tmp_path / "papers.jsonl")
    store = tmp_path / "store"
    run_etl([source], store)
    return source, store


def claim(store: Path, text: str) -> dict:
    rows = load_snapshot(store).claims.filter(pl.col("text") == text)
    assert rows.height == 1, text
    return rows.row(0, named=True)


def anchor(row: dict) -> Anchor:
    return Anchor(row["paper_id"], row["text"], row["sentence"], row["metric"])


def test_corrections_are_applied_with_their_origin(corpus):
    source, store = corpus
    path = store / "corrections.jsonl"
    throughput, latency, memory = claim(store, "2.1x"), claim(store, "40%"), claim(store, "4x")
    # whitespace in the anchor does not matter
    loose = Anchor(throughput["paper_id"], " 2.1x ", throughput["sentence"].replace(" ", "  \n"), "throughput")
    fix = record_decision(path, loose, "set", {"multiplier": 2.0, "baseline": "vLLM"}, who="ana", note="table 3")
    drop = record_decision(path, anchor(memory), "reject", note="<script>alert(1)</script>")
    ok = record_decision(path, anchor(latency), "accept", who="bo")
    add = record_decision(path, Anchor("2401.00001", "3%", "Accuracy improves by 3% on MMLU.", None), "add",
                          {"metric": "throughput", "multiplier": 1.03, "high": 3.0, "unit": "%"})
    manifest = run_etl([source], store)
    snap = load_snapshot(store)
    assert manifest["corrections"] == {"applied": 4, "stale": 0, "invalid": 0, "superseded": 0,
                                       "rejected": 1, "added": 1}
    fixed = claim(store, "2.1x")
    assert fixed["multiplier"] == 2.0 and fixed["correction_id"] == fix.id
    assert json.loads(fixed["extracted"]) == {"multiplier": 2.1, "baseline": throughput["baseline"]} or \
        json.loads(fixed["extracted"]) == {"multiplier": 2.1}
    assert claim(store, "40%")["correction_id"] == ok.id and claim(store, "40%")["extracted"] is None
    assert snap.claims.filter(pl.col("text") == "4x").is_empty()  # rejected: out of the claims table
    table = snap.corrections
    rejected = table.filter(pl.col("correction_id") == drop.id).row(0, named=True)
    assert rejected["status"] == "applied" and rejected["claim_ids"] == [memory["claim_id"]]
    assert json.loads(rejected["claim"])["text"] == "4x"  # listed with its correction
    assert rejected["note"] == "<script>alert(1)</script>"  # kept as text; the dashboard escapes
    added = claim(store, "3%")
    abstract = snap.papers.filter(pl.col("paper_id") == "2401.00001")["abstract"][0]
    assert abstract[added["start"]:added["end"]] == "3%" and added["correction_id"] == add.id
    assert added["claim_id"].startswith("r")
    assert snap.manifest["corrections"]["applied"] == 4


def test_a_correction_failing_validation_is_quarantined_not_applied(corpus):
    source, store = corpus
    path = store / "corrections.jsonl"
    row = claim(store, "3.5x")
    bad = record_decision(path, anchor(row), "set", {"low": 100.0})  # low above high: fails low <= high
    with open(path, "a") as fh:  # hand-edited lines: absurd multipliers and garbage
        for i, value in enumerate(["1e9", "-1", "NaN", "0"]):
            record = {"id": f"hand{i}", "action": "set", "anchor": anchor(claim(store, "1.3x")).to_json(),
                      "fields": {"multiplier": "PLACEHOLDER"}}
            fh.write(json.dumps(record).replace('"PLACEHOLDER"', value) + "\n")
        fh.write("{not json\n")
    manifest = run_etl([source], store)
    snap = load_snapshot(store)
    assert claim(store, "3.5x")["low"] == row["low"] and claim(store, "3.5x")["correction_id"] is None
    assert claim(store, "1.3x")["multiplier"] == pytest.approx(1.3)
    review = snap.quarantine.filter(pl.col("stage") == "review")
    assert review.height == 6 and manifest["corrections"]["invalid"] == 6
    reasons = "\n".join(review["reason"])
    assert f"correction {bad.id}: failed validation" in reasons and "low <= high" in reasons
    for i in range(4):
        assert f"correction hand{i}:" in reasons
    assert "outside (0, 1e+06]" in reasons and "not a finite number" in reasons and "not JSON" in reasons


@pytest.mark.parametrize("value", [1e7, 0, -2, math.nan, math.inf, "2x", True])
def test_absurd_multipliers_are_refused_when_recorded(tmp_path, value):
    a = Anchor("p", "2x", "It is 2x faster.", "speedup")
    with pytest.raises(CorrectionError, match="multiplier"):
        record_decision(tmp_path / "c.jsonl", a, "set", {"multiplier": value})
    assert not (tmp_path / "c.jsonl").exists()


def test_survive_refresh_a_corrections_only_change_and_an_extractor_bump(corpus, monkeypatch):
    source, store = corpus
    plan = RefreshPlan(store, (source,))
    first = refresh(plan)
    assert first["status"] == "ok"
    assert refresh(plan)["status"] == "unchanged"
    fix = record_decision(store / "corrections.jsonl", anchor(claim(store, "1.3x")), "set", {"multiplier": 1.25})
    again = refresh(plan)  # only the corrections file changed: a new snapshot
    assert again["status"] == "ok" and again["corrections"]["applied"] == 1
    assert claim(store, "1.3x")["multiplier"] == 1.25
    assert refresh(plan)["status"] == "unchanged"
    monkeypatch.setattr(etl.extract, "EXTRACTOR_VERSION", etl.extract.EXTRACTOR_VERSION + "-bumped")
    bumped = refresh(plan)
    assert bumped["status"] == "ok" and bumped["extractor_version"].endswith("-bumped")
    assert bumped["cache"]["abstracts_reused"] == 0  # re-extracted, corrections still hold
    assert claim(store, "1.3x")["multiplier"] == 1.25 and claim(store, "1.3x")["correction_id"] == fix.id


def test_stale_after_the_abstract_changes_reported_everywhere(corpus, tmp_path):
    source, store = corpus
    plan = RefreshPlan(store, (source,))
    refresh(plan)
    fix = record_decision(store / "corrections.jsonl", anchor(claim(store, "45%")), "set", {"multiplier": 1.8})
    refresh(plan)
    edited = [(i, t, a.replace("by 45%", "by 50%")) for i, t, a in PAPERS]
    write_corpus(source, edited)
    record = refresh(plan)
    assert record["status"] == "ok" and record["corrections"]["stale"] == 1
    snap = load_snapshot(store)
    row = snap.corrections.filter(pl.col("correction_id") == fix.id).row(0, named=True)
    assert row["status"] == "stale" and "no claim '45%'" in row["reason"]
    assert claim(store, "50%")["correction_id"] is None  # never applied to the wrong claim
    run = read_run_records(store)[-1]
    assert run.corrections["stale"] == 1 and "1 stale" in describe_run(run)
    from rich.console import Console
    console = Console(record=True, width=200)
    console.print(runs_table(read_run_records(store)))
    assert "stale corr." in console.export_text()
    older, newer = (load_snapshot(store, r) for r in sorted(p.name for p in (store / "snapshots").iterdir())[-2:])
    diff = diff_snapshots(older, newer)
    assert diff.corrections_stale == (fix.id,)
    assert any("1 gone stale" in line for line in render_diff(diff))


def _append_many(args):
    path, worker = args
    for i in range(25):
        record_decision(Path(path), Anchor("p", f"{i}x", f"w{worker} says {i}x faster.", "speedup"), "accept",
                        who=f"w{worker}")


def test_concurrent_appends_lose_nothing(tmp_path):
    path = tmp_path / "corrections.jsonl"
    with multiprocessing.get_context("spawn").Pool(4) as pool:
        pool.map(_append_many, [(str(path), w) for w in range(4)])
    read = read_corrections(path)
    assert not read.bad and len(read.corrections) == 100
    assert len({c.id for c in read.corrections}) == 100


def test_append_after_a_torn_line_keeps_both(tmp_path):
    path = tmp_path / "corrections.jsonl"
    path.write_text('{"id": "torn", "act')
    record_decision(path, Anchor("p", "2x", "2x faster.", "speedup"), "accept")
    read = read_corrections(path)
    assert len(read.corrections) == 1 and [b.line for b in read.bad] == [1]


def test_sheet_round_trip_and_malformed_import_changes_nothing(corpus, tmp_path, capsys):
    source, store = corpus
    queue_csv = tmp_path / "queue.csv"
    assert claimboard(["review", "export", "--store", str(store), "--out", str(queue_csv)]) == 0
    lines = queue_csv.read_text().splitlines()
    header = lines[0].split(",")
    assert {"decision", "set_multiplier", "current_multiplier", "note", "who"} <= set(header)
    import csv
    rows = list(csv.DictReader(queue_csv.open()))
    by_text = {r["text"]: r for r in rows}
    by_text["2.1x"] |= {"decision": "edit", "set_multiplier": "2.2", "set_baseline": "=HYPERLINK(\"x\")"}
    by_text["4x"] |= {"decision": "reject", "note": "not a claim"}
    bad = dict(by_text["45%"]) | {"decision": "edit", "set_multiplier": "lots"}
    worse = dict(by_text["1.3x"]) | {"decision": "maybe"}
    corrections = store / "corrections.jsonl"

    def write(rows_out):
        with queue_csv.open("w", newline="") as fh:
            writer = csv.DictWriter(fh, fieldnames=header)
            writer.writeheader()
            writer.writerows(rows_out)

    write([by_text["2.1x"], by_text["4x"], bad, worse])
    assert claimboard(["review", "import", str(queue_csv), "--store", str(store)]) == 2
    err = capsys.readouterr().err
    assert "line 4, column set_multiplier" in err and "line 5, column decision" in err
    assert not corrections.exists()  # nothing half-applied
    with pytest.raises(SheetError):
        read_sheet(queue_csv)
    write([by_text["2.1x"], by_text["4x"], by_text["45%"]])
    assert claimboard(["review", "import", str(queue_csv), "--store", str(store), "--who", "ana"]) == 0
    assert len(read_corrections(corrections).corrections) == 2
    run_etl([source], store)
    fixed = claim(store, "2.1x")
    assert fixed["multiplier"] == 2.2 and fixed["baseline"] == '=HYPERLINK("x")'  # plain text in the data
    assert load_snapshot(store).claims.filter(pl.col("text") == "4x").is_empty()
    # the export neutralises it again for the next spreadsheet
    assert claimboard(["review", "export", "--store", str(store), "--out", str(queue_csv)]) == 0
    assert '=HYPERLINK' not in queue_csv.read_text()  # corrected claims leave the queue


def test_formula_cells_are_neutralised(tmp_path):
    assert safe_cell("=1+1") == "'=1+1" and safe_cell("-2x") == "'-2x" and safe_cell("@SUM") == "'@SUM"
    assert safe_cell("<script>x</script>") == "<script>x</script>" and safe_cell(2.0) == "2.0"
    frame = pl.DataFrame({"paper_id": ["p"], "text": ["=cmd|' /C calc'!A0"], "sentence": ["+evil"],
                          "metric": ["speedup"], "claim_id": ["c1"], "priority": [1.0], "why": ["@x"],
                          "multiplier": [2.0], "baseline": ["-1"]})
    out = tmp_path / "q.csv"
    write_sheet(frame, out)
    text = out.read_text()
    assert "'=cmd" in text and "'+evil" in text and "'@x" in text and "'-1" in text
    out.write_text(text.replace("speedup,c1", "speedup,c1", 1))
    import csv
    rows = list(csv.DictReader(out.open()))
    rows[0]["decision"] = "accept"
    with out.open("w", newline="") as fh:
        writer = csv.DictWriter(fh, fieldnames=list(rows[0]))
        writer.writeheader()
        writer.writerows(rows)
    (imported,) = read_sheet(out).corrections
    assert imported.anchor.text == "=cmd|' /C calc'!A0" and imported.anchor.sentence == "+evil"


def test_review_gold_round_trip_through_eval(corpus, tmp_path, capsys):
    source, store = corpus
    path = store / "corrections.jsonl"
    record_decision(path, anchor(claim(store, "2.1x")), "accept")
    record_decision(path, anchor(claim(store, "3.5x")), "accept")
    run_etl([source], store)
    gold_path = tmp_path / "reviewed.jsonl"
    assert claimboard(["review", "gold", "--store", str(store), "--out", str(gold_path)]) == 0
    gold = load_jsonl(gold_path)
    assert [g["id"] for g in gold] == ["2401.00001", "2401.00002"]
    perfect = evaluate(gold, predict(gold))
    assert perfect.claims.f1 == 1.0  # readers confirmed what the extractor found
    record_decision(path, anchor(claim(store, "4x")), "reject")
    record_decision(path, anchor(claim(store, "2.1x")), "set", {"multiplier": 2.5})
    run_etl([source], store)
    assert claimboard(["review", "gold", "--store", str(store), "--out", str(gold_path)]) == 0
    gold = load_jsonl(gold_path)
    assert [c["text"] for c in gold[1]["claims"]] == ["3.5x"]
    report = evaluate(gold, predict(gold))
    assert report.claims.fp == 1 and report.claims.fn == 0 and report.multiplier.value < 1
    capsys.readouterr()
    assert claimboard(["eval", "--gold", str(gold_path), "--json"]) == 0
    assert json.loads(capsys.readouterr().out)["claims"]["precision"] < 1


def test_review_queue_orders_by_need():
    claims = pl.DataFrame({
        "claim_id": [f"c{i}" for i in range(8)], "paper_id": [f"p{i}" for i in range(8)], "start": [0] * 8,
        "metric": ["throughput"] * 8, "baseline": ["vLLM"] * 8,
        "multiplier": [2.0, 2.1, 1.9, 2.2, 2.0, 2.05, 1.95, 500.0],
        "confidence": [1.0, 0.3, 1.0, 1.0, 1.0, 1.0, 1.0, 1.0],
        "warning": [None, None, "multiplier over 1000x", None, None, None, None, None],
        "hardware_from": [None, None, None, "paper", None, None, None, None],
        "correction_id": [None] * 7 + [None],
    })
    queue = review_queue(claims)
    order = queue["claim_id"].to_list()
    assert order[0] == "c7" and "outlier vs vLLM" in queue["why"][0]
    assert order[:4] == ["c7", "c2", "c1", "c3"]  # outlier, flagged, low confidence, setting from the paper
    assert "hardware from the paper" in queue.filter(pl.col("claim_id") == "c3")["why"][0]
    decided = claims.with_columns(correction_id=pl.when(pl.col("claim_id") == "c7").then(pl.lit("r1")))
    assert "c7" not in review_queue(decided)["claim_id"].to_list()
    assert review_queue(claims, limit=3).height == 3


def test_new_setting_columns_are_editable_and_absent_ones_skipped():
    from etl.review import apply_corrections
    claims = pl.DataFrame({
        "claim_id": ["c1"], "paper_id": ["p"], "text": ["2x"], "start": [3], "end": [5],
        "sentence": ["It 2x faster."], "metric": ["speedup"], "multiplier": [2.0],
        "model_sizes": [[7e9]], "gpu_counts": [[8]], "hardware": [["A100"]], "hardware_from": ["paper"],
        "baselines": [["vLLM"]],
    })
    papers = pl.DataFrame({"paper_id": ["p"], "abstract": ["It 2x faster."]})
    c = make_correction(Anchor("p", "2x", "It 2x faster.", "speedup"), "set",
                        {"hardware": ["H100"], "gpu_counts": [4], "hardware_from": "claim", "baselines": ["TGI"],
                         "qualifier": "up to"})  # no qualifier column in this frame: skipped
    out = apply_corrections(claims, papers, [c]).claims.row(0, named=True)
    assert out["hardware"] == ["H100"] and out["gpu_counts"] == [4] and out["hardware_from"] == "claim"
    assert out["baselines"] == ["TGI"] and "qualifier" not in out
    assert json.loads(out["extracted"]) == {"hardware": ["A100"], "gpu_counts": [8], "hardware_from": "paper",
                                            "baselines": ["vLLM"]}


def test_later_decision_supersedes(tmp_path):
    from etl.review import apply_corrections
    claims = pl.DataFrame({"claim_id": ["c1"], "paper_id": ["p"], "text": ["2x"], "sentence": ["2x faster."],
                           "metric": ["speedup"], "multiplier": [2.0]})
    a = Anchor("p", "2x", "2x faster.", "speedup")
    first, second = make_correction(a, "set", {"multiplier": 3.0}), make_correction(a, "set", {"multiplier": 4.0})
    applied = apply_corrections(claims, pl.DataFrame({"paper_id": ["p"], "abstract": ["2x faster."]}), [first, second])
    assert applied.claims["multiplier"].to_list() == [4.0]
    assert dict(applied.corrections.select("correction_id", "status").iter_rows()) == {
        first.id: "superseded", second.id: "applied"}
    append_corrections(tmp_path / "c.jsonl", [first, second])
    assert [c.id for c in read_corrections(tmp_path / "c.jsonl").corrections] == [first.id, second.id]


def test_review_help_has_examples(capsys):
    for args in (["review", "--help"], ["review", "export", "--help"], ["review", "import", "--help"],
                 ["review", "gold", "--help"]):
        with pytest.raises(SystemExit):
            claimboard(args)
        assert "examples:" in capsys.readouterr().out


def test_run_record_reads_corrections():
    assert RunRecord.from_json({"run_id": "r", "status": "ok", "corrections": {"stale": 2}}).corrections == {"stale": 2}


def test_corrected_baselines_get_their_kinds_again():
    """The pipeline hands normalise's derivation to review: a claim corrected to "vLLM and the state
    of the art" carries kinds [system, generic], so it passes the one-kind-per-baseline check."""
    from etl.normalise import with_baseline_kinds
    from etl.review import apply_corrections
    claims = with_baseline_kinds(pl.DataFrame({
        "claim_id": ["c1"], "paper_id": ["p"], "text": ["2x"], "start": [3], "end": [5],
        "sentence": ["It 2x faster."], "metric": ["speedup"], "multiplier": [2.0], "baselines": [["TGI"]],
    }))
    papers = pl.DataFrame({"paper_id": ["p"], "abstract": ["It 2x faster."]})
    c = make_correction(Anchor("p", "2x", "It 2x faster.", "speedup"), "set",
                        {"baselines": ["vLLM", "the state of the art"]})
    out = apply_corrections(claims, papers, [c], derive=with_baseline_kinds).claims.row(0, named=True)
    assert out["baselines"] == ["vLLM", "the state of the art"] and out["baseline_kinds"] == ["system", "generic"]


def test_etl_reads_a_corrections_file_named_on_the_command_line(corpus, tmp_path, capsys):
    source, store = corpus
    elsewhere = tmp_path / "reviews" / "decisions.jsonl"
    fix = record_decision(elsewhere, anchor(claim(store, "2.1x")), "set", {"multiplier": 2.0}, who="ana")
    assert claimboard(["etl", "--source", str(source), "--store", str(store), "--quiet"]) == 0
    assert claim(store, "2.1x")["correction_id"] is None  # not <store>/corrections.jsonl: not read
    assert claimboard(["etl", "--source", str(source), "--store", str(store), "--quiet",
                       "--corrections", str(elsewhere)]) == 0
    fixed = claim(store, "2.1x")
    assert fixed["multiplier"] == 2.0 and fixed["correction_id"] == fix.id
    manifest = load_snapshot(store).manifest
    assert manifest["corrections"]["applied"] == 1 and manifest["corrections_file"]["path"] == str(elsewhere)
    assert not (store / "corrections.jsonl").exists()


def test_is_systems_is_set_on_the_paper_of_the_anchored_claim(corpus):
    source, store = corpus
    path = store / "corrections.jsonl"
    before = load_snapshot(store)
    was = before.papers.filter(pl.col("paper_id") == "2401.00002")["is_systems"][0]
    row = claim(store, "3.5x")
    fix = record_decision(path, anchor(row), "set", {"is_systems": not was}, who="ana", note="a kernel paper")
    with open(path, "a") as fh:  # a hand-edited value that is not a boolean
        fh.write(json.dumps({"id": "hand-bool", "action": "set", "anchor": anchor(claim(store, "1.3x")).to_json(),
                             "fields": {"is_systems": "yes"}}) + "\n")
    manifest = run_etl([source], store)
    snap = load_snapshot(store)
    papers = dict(snap.papers.select("paper_id", "is_systems").iter_rows())
    assert papers["2401.00002"] is (not was)
    assert papers["2401.00003"] == dict(before.papers.select("paper_id", "is_systems").iter_rows())["2401.00003"]
    assert manifest["counts"]["systems_papers"] == sum(papers.values())
    fixed = claim(store, "3.5x")  # the claim keeps the origin: the paper's extracted value
    assert fixed["correction_id"] == fix.id and json.loads(fixed["extracted"]) == {"is_systems": was}
    listed = snap.corrections.filter(pl.col("correction_id") == fix.id).row(0, named=True)
    assert listed["status"] == "applied" and listed["claim_ids"] == [row["claim_id"]]
    assert manifest["corrections"]["applied"] == 1 and manifest["corrections"]["invalid"] == 1
    assert "correction hand-bool: line 2: is_systems: expected true or false" in "\n".join(
        snap.quarantine.filter(pl.col("stage") == "review")["reason"])


def test_a_paper_field_failing_paper_validation_is_not_applied(corpus):
    from etl.review import review_claims
    source, store = corpus
    snap = load_snapshot(store)
    row = claim(store, "3.5x")
    fix = make_correction(anchor(row), "set", {"is_systems": True})

    def refuse(papers):
        return papers.clear(), papers.select(pl.lit("papers").alias("stage"), pl.lit("x").alias("source"),
                                             pl.struct(pl.all()).struct.json_encode().alias("record"),
                                             pl.lit("is_systems refused").alias("reason"))

    claims = snap.claims.filter(pl.col("paper_id") == row["paper_id"]).select(
        [c for c in snap.claims.columns if c not in ("title", "system", "is_systems", "published", "url", "url_kind")])
    applied, bad = review_claims(claims, snap.papers.with_columns(pl.lit(False).alias("is_systems")), [fix],
                                 check_papers=refuse)
    assert applied.papers is None and bad.height == 1 and f"correction {fix.id}: failed validation" in bad["reason"][0]
    assert applied.corrections["status"].to_list() == ["invalid"]


def test_sheet_add_row_records_a_missed_claim(corpus, tmp_path, capsys):
    import csv
    source, store = corpus
    queue_csv = tmp_path / "queue.csv"
    corrections = store / "corrections.jsonl"
    assert claimboard(["review", "export", "--store", str(store), "--out", str(queue_csv)]) == 0
    header = queue_csv.read_text().splitlines()[0].split(",")
    rows = list(csv.DictReader(queue_csv.open()))
    blank = {name: "" for name in header}
    missed = blank | {"paper_id": "2401.00001", "text": "3%", "sentence": "Accuracy improves by 3% on MMLU.",
                      "decision": "add", "set_metric": "throughput", "set_multiplier": "1.03", "set_high": "3",
                      "set_unit": "%", "note": "missed"}
    no_unit = missed | {"set_unit": "", "set_multiplier": "1e9"}  # absurd multiplier, a required field missing
    no_sentence = missed | {"sentence": ""}

    def write(rows_out):
        with queue_csv.open("w", newline="") as fh:
            writer = csv.DictWriter(fh, fieldnames=header)
            writer.writeheader()
            writer.writerows(rows_out)

    accepted = rows[0] | {"decision": "accept"}
    write([accepted, missed, no_unit, no_sentence])
    assert claimboard(["review", "import", str(queue_csv), "--store", str(store)]) == 2
    err = capsys.readouterr().err
    assert "line 4, column set_multiplier" in err and "line 4, column set_unit: add needs a value" in err
    assert "line 5, column sentence: empty" in err
    assert not corrections.exists()  # all or nothing
    write([accepted, missed])
    assert claimboard(["review", "import", str(queue_csv), "--store", str(store), "--who", "ana"]) == 0
    decisions = read_corrections(corrections).corrections
    assert [c.action for c in decisions] == ["accept", "add"] and decisions[1].anchor.metric == "throughput"
    run_etl([source], store)
    added = claim(store, "3%")
    assert added["claim_id"].startswith("r") and added["correction_id"] == decisions[1].id
    assert added["multiplier"] == pytest.approx(1.03) and added["unit"] == "%" and added["metric"] == "throughput"
    listed = load_snapshot(store).corrections.filter(pl.col("correction_id") == decisions[1].id)
    assert listed["status"].to_list() == ["applied"] and listed["who"].to_list() == ["ana"]
