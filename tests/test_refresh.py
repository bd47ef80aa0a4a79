"""Incremental refresh: what is re-read, re-extracted and published, and what is not.

Counts come from the run records and from a counting wrapper around the extractor, never from
timing. Inputs are tiny JSONL files written here, plus a real HTTP server for remote sources.
"""

from __future__ import annotations

import json
import os
import threading
from collections.abc import Iterator
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from pathlib import Path

import polars as pl
import pytest

from etl import extract
from etl.extract import batch
from etl.cli import main
from etl.pipeline import run_etl
from etl.refresh import (
    RefreshPlan,
    SourceUnavailable,
    hash_inputs,
    refresh,
    scheduled_refresh,
    start_background_refresh,
)
from etl.store import current_run_id, list_snapshots, load_snapshot, read_runs

HF_DAY = (Path(__file__).with_name("http_fixtures") / "hf_daily_papers.json").read_bytes()
HF_IDS = {"2611.10234", "2611.09988", "2611.09501"}
NAMES = ["FlashServe", "QuickKV", "ShardLoom", "PagedPipe", "TurboBatch", "SpecRail"]
OLD_NS = 1_700_000_000 * 10**9  # an mtime well in the past, so the stat cache trusts it


def paper(n: int, speedup: float = 2.1, title_suffix: str = "fast LLM serving") -> dict:
    """A JSONL record whose abstract holds a throughput claim and a latency claim."""
    name = NAMES[n]
    abstract = (
        f"We present {name}, a system for serving large language models on GPU clusters. Existing systems "
        f"waste memory on fragmented key-value caches and stall on long prompts. {name} achieves {speedup}x "
        f"higher throughput than vLLM when serving a 70B model on 8 A100 GPUs, and reduces latency by 30% "
        f"compared to TensorRT-LLM."
    )
    return {"id": f"2611.{n:05d}", "title": f"{name}: {title_suffix}", "abstract": abstract, "published": "2026-11-20"}


def write_papers(path: Path, records: list[dict]) -> Path:
    path.write_text("".join(json.dumps(r) + "\n" for r in records), encoding="utf-8")
    return path


@pytest.fixture
def corpus(tmp_path) -> Path:
    folder = tmp_path / "corpus"
    folder.mkdir()
    write_papers(folder / "a.jsonl", [paper(0), paper(1), paper(2)])
    write_papers(folder / "b.jsonl", [paper(3), paper(4)])
    return folder


@pytest.fixture
def plan(corpus, tmp_path) -> RefreshPlan:
    return RefreshPlan(store=tmp_path / "store", sources=(corpus,))


@pytest.fixture
def extracted_rows(monkeypatch) -> list[int]:
    """Heights of the frames the extractor is asked to read (a counting wrapper around it)."""
    heights: list[int] = []
    real = batch.claims_from_texts

    def counting(texts: pl.DataFrame) -> pl.DataFrame:
        heights.append(texts.height)
        return real(texts)

    monkeypatch.setattr(batch, "claims_from_texts", counting)
    return heights


def sorted_tables(store: Path) -> dict[str, pl.DataFrame]:
    snap = load_snapshot(store)
    return {
        "papers": snap.papers.sort("paper_id"),
        "claims": snap.claims.sort("claim_id"),
        "facts": snap.facts.sort("paper_id"),
    }


# ---------------------------------------------------------------------------------------------
# Incrementality


def test_second_refresh_without_changes_publishes_nothing_and_says_so(plan, capsys):
    first = refresh(plan)
    assert main(["refresh", "--store", str(plan.store), "--source", str(plan.sources[0]), "--quiet"]) == 0

    assert "unchanged: nothing changed (same inputs and extractor), nothing published" in capsys.readouterr().out
    assert list_snapshots(plan.store) == [first["run_id"]] == [current_run_id(plan.store)]
    runs = read_runs(plan.store)
    assert [r["status"] for r in runs] == ["ok", "unchanged"]
    assert runs[1]["current"] == first["run_id"] and runs[1]["counts"] == first["counts"]
    assert first["changes"] == {"new": 5, "changed": 0, "removed": 0}


def test_one_changed_file_is_reread_and_only_its_changed_papers_reextracted(plan, corpus, extracted_rows):
    refresh(plan)
    assert extracted_rows[0] == 5
    extracted_rows.clear()
    write_papers(corpus / "b.jsonl", [paper(3, speedup=2.7), paper(4), paper(5)])  # one changed, one new

    manifest = refresh(plan)

    assert manifest["cache"]["sources_parsed"] == [str(corpus / "b.jsonl")]
    assert manifest["cache"]["sources_reused"] == [str(corpus / "a.jsonl")]
    assert (manifest["cache"]["abstracts_extracted"], manifest["cache"]["abstracts_reused"]) == (2, 4)
    assert set(extracted_rows) == {2}  # the extractor only ever saw the two new abstracts
    assert manifest["changes"] == {"new": 1, "changed": 1, "removed": 0}
    claims = load_snapshot(plan.store).claims
    assert 2.7 in claims.filter(pl.col("paper_id") == "2611.00003")["high"].to_list()


def test_incremental_snapshot_equals_a_full_run_on_the_same_inputs(plan, corpus, tmp_path):
    refresh(plan)
    write_papers(corpus / "b.jsonl", [paper(3, speedup=2.7), paper(5)])
    refresh(plan)
    run_etl([corpus], tmp_path / "full")

    incremental, full = sorted_tables(plan.store), sorted_tables(tmp_path / "full")
    for name in ("papers", "claims", "facts"):
        assert incremental[name].equals(full[name]), name


def test_an_extractor_version_change_reextracts_everything(plan, monkeypatch, extracted_rows):
    refresh(plan)
    monkeypatch.setattr(extract, "EXTRACTOR_VERSION", "99.0.0-test")

    manifest = refresh(plan)

    assert manifest["status"] == "ok" and manifest["extractor_version"] == "99.0.0-test"
    assert (manifest["cache"]["abstracts_extracted"], manifest["cache"]["abstracts_reused"]) == (5, 0)
    assert len(manifest["cache"]["sources_reused"]) == 2  # ingest did not change: nothing re-read
    assert refresh(plan)["status"] == "unchanged"


def test_the_stat_cache_spares_rehashing_files_whose_size_and_mtime_are_unchanged(corpus):
    files = sorted(corpus.iterdir())
    for path in files:
        os.utime(path, ns=(OLD_NS, OLD_NS))
    first = hash_inputs(files, {}, now_ns=OLD_NS + 10**12)
    again = hash_inputs(files, first.stat_cache, now_ns=OLD_NS + 10**12)
    write_papers(files[1], [paper(3)])

    changed = hash_inputs(files, again.stat_cache, now_ns=OLD_NS + 10**12)

    assert first.hashed == tuple(map(str, files)) and again.hashed == ()
    assert again.sha256 == first.sha256
    assert changed.hashed == (str(files[1]),) and changed.sha256[str(files[1])] != first.sha256[str(files[1])]


def test_a_file_modified_just_now_is_hashed_again_next_time(corpus):
    """Within the mtime granularity a rewrite can keep (size, mtime): such fresh entries are not trusted."""
    files = sorted(corpus.iterdir())
    fresh = hash_inputs(files, {}, now_ns=files[0].stat().st_mtime_ns)
    assert fresh.stat_cache == {}


# ---------------------------------------------------------------------------------------------
# Failures


def test_a_corrupt_source_is_reported_by_name_and_the_rest_still_publishes(plan, corpus):
    (corpus / "broken.csv").write_bytes(b"\x00\x01\x02\xff" * 64)

    manifest = refresh(plan)

    assert manifest["status"] == "ok" and manifest["counts"]["papers"] == 5
    assert any("broken.csv" in error and "binary" in error for error in manifest["errors"])
    fields = (json.dumps(paper(5)[name]) for name in ("title", "abstract"))
    (corpus / "broken.csv").write_text("title,abstract\n" + ",".join(fields) + "\n")
    fixed = refresh(plan)
    assert fixed["cache"]["sources_parsed"] == [str(corpus / "broken.csv")]
    assert fixed["counts"]["papers"] == 6 and fixed["errors"] == []


def test_a_source_that_cannot_be_read_fails_the_refresh_and_keeps_the_current_snapshot(plan, corpus):
    """A missing file is a source that is down: publishing without it would withdraw its papers."""
    first = refresh(plan)
    missing = RefreshPlan(plan.store, (corpus / "a.jsonl", corpus / "gone.jsonl"))
    with pytest.raises(SourceUnavailable, match="gone.jsonl: No such file"):
        refresh(missing)

    assert [r["status"] for r in read_runs(plan.store)][-1] == "failed"
    assert "gone.jsonl" in read_runs(plan.store)[-1]["error"]
    assert current_run_id(plan.store) == first["run_id"]


def test_a_crashed_refresh_is_recorded_keeps_the_current_snapshot_and_the_next_run_recovers(plan, corpus, monkeypatch):
    first = refresh(plan)
    write_papers(corpus / "b.jsonl", [paper(3, speedup=3.3)])

    def crash(papers: pl.DataFrame) -> pl.DataFrame:
        raise RuntimeError("extractor exploded")

    with monkeypatch.context() as patch:
        patch.setattr(batch, "claims_from_texts", crash)
        with pytest.raises(RuntimeError):
            refresh(plan)

    assert read_runs(plan.store)[-1]["status"] == "failed"
    assert "extractor exploded" in read_runs(plan.store)[-1]["error"]
    assert current_run_id(plan.store) == first["run_id"] and load_snapshot(plan.store).papers.height == 5
    assert refresh(plan)["status"] == "ok"  # the lock was released and nothing cached half-way
    assert load_snapshot(plan.store).papers.height == 4


# ---------------------------------------------------------------------------------------------
# Remote sources: fetch, then replay from the stored raw responses with the server down


class DailyPapersServer:
    """A real HTTP server on 127.0.0.1 answering every request with one day of HF daily papers."""

    def __init__(self) -> None:
        class Handler(BaseHTTPRequestHandler):
            def do_GET(self) -> None:
                self.send_response(200)
                self.send_header("Content-Type", "application/json")
                self.send_header("Content-Length", str(len(HF_DAY)))
                self.end_headers()
                self.wfile.write(HF_DAY)

            def log_message(self, *args) -> None:
                pass

        self.httpd = ThreadingHTTPServer(("127.0.0.1", 0), Handler)
        self.url = "http://127.0.0.1:%d/api/daily_papers" % self.httpd.server_address[1]
        threading.Thread(target=self.httpd.serve_forever, args=(0.05,), daemon=True).start()

    def stop(self) -> None:
        self.httpd.shutdown()
        self.httpd.server_close()


@pytest.fixture
def hf_server() -> Iterator[DailyPapersServer]:
    server = DailyPapersServer()
    yield server
    server.stop()


def write_config(tmp_path: Path, corpus: Path, url: str) -> Path:
    config = tmp_path / "claimboard.toml"
    config.write_text(f"""
[store]
dir = "store"
keep = 3

[fetch]
user_agent = "claimboard-tests/0.1 (mailto:tests@example.org)"
timeout = 2
retries = 0
request_interval = 0

[[sources]]
name = "local"
kind = "local"
path = "{corpus}"

[[sources]]
name = "hf-daily"
kind = "hf_daily"
days_back = 0
base_url = "{url}"
""")
    return config


def test_remote_sources_are_fetched_then_replayed_from_raw_responses_with_the_server_down(tmp_path, corpus, hf_server):
    config = write_config(tmp_path, corpus, hf_server.url)
    store = tmp_path / "store"
    assert main(["refresh", "--config", str(config), "--quiet"]) == 0
    fetched = read_runs(store)[-1]
    assert fetched["refresh"]["fetch"][0]["requests"] == 1 and fetched["refresh"]["fetch"][0]["errors"] == []
    assert HF_IDS <= set(load_snapshot(store).papers["paper_id"])
    hf_server.stop()
    (store / "raw" / "hf-daily" / "normalised.jsonl").unlink()  # replay must rebuild it from raw/

    assert main(["refresh", "--config", str(config), "--replay", "--quiet"]) == 0

    replayed = read_runs(store)[-1]
    assert replayed["status"] == "unchanged"  # the replay rebuilt byte-identical input
    assert replayed["refresh"]["replay"] and replayed["refresh"]["fetch"][0]["errors"] == []
    assert main(["refresh", "--config", str(config), "--quiet"]) == 0  # the server is down now
    offline = read_runs(store)[-1]
    assert offline["status"] == "unchanged" and "cannot connect" in offline["refresh"]["fetch"][0]["errors"][0]
    assert current_run_id(store) == fetched["run_id"]


# ---------------------------------------------------------------------------------------------
# Scheduling and the run history


def test_background_refresh_runs_at_once_and_reports_each_run(plan):
    refresh(plan)  # the store now knows its sources
    reports: list[str] = []
    done = threading.Event()

    def report(message: str) -> None:
        reports.append(message)
        done.set()

    scheduler = start_background_refresh(plan.store, "6h", report=report)
    try:
        assert done.wait(30)
    finally:
        scheduler.shutdown()
    assert "schedule unchanged" in reports[0]
    assert read_runs(plan.store)[-1]["trigger"] == "schedule"


def test_a_failed_scheduled_run_is_reported_and_the_next_one_tries_again(plan, corpus, monkeypatch):
    refresh(plan)
    write_papers(corpus / "b.jsonl", [paper(3, speedup=4.0)])
    reports: list[str] = []
    with monkeypatch.context() as patch:
        patch.setattr(batch, "claims_from_texts", lambda texts: 1 / 0)
        scheduled_refresh(plan, reports.append)  # does not raise: the scheduler keeps going

    scheduled_refresh(plan, reports.append)

    assert "refresh failed: ZeroDivisionError" in reports[0] and "schedule ok: published" in reports[1]
    assert [(r["trigger"], r["status"]) for r in read_runs(plan.store)] == [
        ("manual", "ok"), ("schedule", "failed"), ("schedule", "ok")]


def test_schedule_needs_a_when(tmp_path, capsys):
    assert main(["schedule", "--store", str(tmp_path / "store")]) == 1
    assert "give --every or --cron" in capsys.readouterr().err


def test_runs_lists_the_history_as_a_table_and_as_json(plan, corpus, capsys, monkeypatch):
    monkeypatch.setenv("COLUMNS", "200")
    refresh(plan)
    refresh(plan)
    write_papers(corpus / "b.jsonl", [paper(3)])
    refresh(plan)
    capsys.readouterr()

    assert main(["runs", "--store", str(plan.store), "--limit", "2", "--json"]) == 0
    records = json.loads(capsys.readouterr().out)
    assert [r["status"] for r in records] == ["unchanged", "ok"]
    assert records[1]["changes"] == {"new": 0, "changed": 0, "removed": 1}
    assert main(["runs", "--store", str(plan.store)]) == 0
    table = capsys.readouterr().out
    assert "unchanged" in table and "+0 ~0 -1" in table
