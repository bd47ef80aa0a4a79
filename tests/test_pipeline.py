"""End to end: the bundled corpus through every stage into a published snapshot."""

import json
import shutil
from pathlib import Path

import polars as pl
import pytest

from etl.pipeline import BUNDLED_CORPUS, run_etl
from etl.store import current_run_id, list_snapshots, load_snapshot, read_runs


@pytest.fixture(scope="module")
def bundled_run(tmp_path_factory):
    store = tmp_path_factory.mktemp("store")
    manifest = run_etl([BUNDLED_CORPUS], store)
    return store, manifest, load_snapshot(store)


def test_bundled_corpus_counts(bundled_run):
    _, manifest, snap = bundled_run
    counts = manifest["counts"]
    entries = sum(i["entries"] for i in manifest["inputs"])
    assert len(manifest["inputs"]) == 5
    assert 550 <= entries <= 650  # about 600 entries in the five pages
    assert 450 <= counts["papers"] <= 540  # about 500 distinct papers
    assert manifest["merged_duplicates"] >= 60
    assert counts["papers"] == snap.papers.height == snap.facts.height
    assert counts["claims"] == snap.claims.height >= 250
    assert 0 < counts["systems_papers"] < counts["papers"]
    assert snap.papers["paper_id"].is_unique().all()
    assert snap.claims["claim_id"].is_unique().all()
    assert snap.quarantine.is_empty(), snap.quarantine["reason"].to_list()  # the bundled pages are clean input


def test_every_claim_points_into_its_abstract(bundled_run):
    _, _, snap = bundled_run
    joined = snap.claims.join(snap.papers.select("paper_id", "abstract"), on="paper_id", how="left")
    assert joined["abstract"].null_count() == 0
    for row in joined.iter_rows(named=True):
        assert row["abstract"][row["start"]:row["end"]] == row["text"]


def test_quarantine_is_accounted_for(bundled_run):
    _, manifest, snap = bundled_run
    assert snap.quarantine.height == manifest["counts"]["quarantine"]
    assert sum(manifest["quarantine_by_reason"].values()) == snap.quarantine.height
    assert snap.quarantine["reason"].null_count() == 0
    assert (snap.quarantine["run_id"] == manifest["run_id"]).all()
    for record in snap.quarantine["record"]:
        json.loads(record)


def test_manifest_and_history(bundled_run):
    store, manifest, snap = bundled_run
    assert snap.manifest["run_id"] == manifest["run_id"] == current_run_id(store)
    assert set(manifest["stage_seconds"]) >= {"ingest", "extract", "normalise", "validate", "store"}
    assert all(len(i["sha256"]) == 64 for i in manifest["inputs"])
    runs = read_runs(store)
    assert runs[-1]["run_id"] == manifest["run_id"] and runs[-1]["status"] == "ok"


def test_shared_axes_are_filled_where_the_text_states_them(bundled_run):
    _, _, snap = bundled_run
    facts = snap.facts
    assert facts["model_size_params"].drop_nulls().len() >= 20
    assert facts["gpu_count"].drop_nulls().len() >= 5
    assert "A100" in set(facts["hardware_family"].explode().drop_nulls())
    assert snap.claims["baseline"].drop_nulls().len() >= 10


def test_unreadable_file_is_reported_and_the_rest_still_loads(tmp_path):
    corpus = tmp_path / "corpus"
    corpus.mkdir()
    shutil.copy(next(BUNDLED_CORPUS.glob("001_*.txt")), corpus / "good.txt")
    (corpus / "broken.jsonl").write_text('{"title": "A", "abstract": "x"}\n{not json\n')
    (corpus / "binary.csv").write_bytes(b"\x00\x01\x02\xff" * 100)
    manifest = run_etl([corpus], tmp_path / "store")
    assert manifest["status"] == "ok" and manifest["counts"]["papers"] >= 40  # the page's 43 entries
    snap = load_snapshot(tmp_path / "store")
    assert snap.quarantine.filter(pl.col("source").str.contains("broken.jsonl")).height >= 1


def test_failed_run_keeps_the_previous_snapshot_current(tmp_path, monkeypatch):
    store = tmp_path / "store"
    seeds = tmp_path / "seeds"
    seeds.mkdir()
    shutil.copy(next(BUNDLED_CORPUS.glob("002_*.txt")), seeds / "page.txt")
    first = run_etl([seeds], store)["run_id"]

    from etl.extract import batch

    def explode(*_args, **_kwargs):
        raise RuntimeError("extractor crashed")

    monkeypatch.setattr(batch, "claims_from_texts", explode)
    with pytest.raises(RuntimeError, match="extractor crashed"):
        run_etl([seeds], store)
    assert current_run_id(store) == first
    assert list_snapshots(store) == [first]
    failed = read_runs(store)[-1]
    assert failed["status"] == "failed" and "extractor crashed" in failed["error"]
    assert load_snapshot(store).papers.height > 0


def test_cli_runs_and_prints_the_summary(tmp_path):
    import os
    import subprocess
    import sys

    out = subprocess.run(
        [sys.executable, "-m", "etl.cli", "etl", "--store", str(tmp_path / "s"), "--quiet",
         "--source", str(next(BUNDLED_CORPUS.glob("001_*.txt")))],
        capture_output=True, text=True, timeout=300, cwd=Path(__file__).parent.parent,
        env={**os.environ, "COLUMNS": "200"},  # rich wraps table titles to the terminal width
    )
    assert out.returncode == 0, out.stderr
    assert "quarantined rows by reason" in out.stdout and "duplicates merged" in out.stdout
    assert current_run_id(tmp_path / "s") is not None


def test_memory_freed_by_a_stage_goes_back_to_the_system():
    """release_freed_memory (run after every stage) returns the free pages a stage left inside the
    C heap, which stay in RSS otherwise (here: 1 KB blocks freed around a few that are kept)."""
    import platform

    from etl.pipeline import release_freed_memory

    if platform.libc_ver()[0] != "glibc":
        pytest.skip("malloc_trim is glibc's")

    def rss_mb() -> int:
        with open("/proc/self/status") as status:
            return next(int(line.split()[1]) for line in status if line.startswith("VmRSS:")) // 1024

    blocks = [bytes(1000) + bytes([i % 256]) for i in range(200_000)]  # ~200 MB on the C heap
    kept = blocks[::50]  # pins pages all over the heap, so freeing the rest releases nothing by itself
    del blocks
    before = rss_mb()
    release_freed_memory()
    assert before - rss_mb() > 100
    assert len(kept) == 4000
