"""Crashes lose nothing: SIGKILL at random points, a full disk, an unwritable store.

Every check runs the real CLI (``python -m etl.cli etl``) in a subprocess on a real seed page.
After each crash the current snapshot must load and be consistent (papers, claims, facts and
quarantine of one run; manifest counts equal row counts; every claim and fact belongs to a paper
and quotes its abstract), and the next run must take the stale lock over and succeed.

``CLAIMBOARD_KILL_ITERATIONS`` (default 15) sets how many runs are killed.
"""

from __future__ import annotations

import os
import random
import resource
import signal
import subprocess
import sys
import time
from pathlib import Path

import polars as pl
import pytest

from etl.store.lock import EMPTY_LOCK_GRACE_SECONDS, lock_path
from etl.store import TABLES, current_run_id, list_snapshots, load_snapshot, read_runs, snapshots_dir

ROOT = Path(__file__).resolve().parent.parent
SEED = sorted((ROOT / "data" / "seeds").glob("001_*.txt"))[0]  # the smallest bundled page
ITERATIONS = int(os.environ.get("CLAIMBOARD_KILL_ITERATIONS", "15"))
ENV = os.environ | {"PYTHONPATH": str(ROOT)}


def etl_command(store: Path, *sources: Path) -> list[str]:
    return [sys.executable, "-m", "etl.cli", "etl", "--store", str(store), "--quiet", "--keep", "3",
            *(arg for s in sources for arg in ("--source", str(s)))]


def run_etl(store: Path, *sources: Path, **kwargs) -> subprocess.CompletedProcess:
    return subprocess.run(etl_command(store, *(sources or (SEED,))), cwd=ROOT, env=ENV, capture_output=True, text=True,
                          timeout=120, **kwargs)


def assert_consistent(store: Path) -> str:
    """The current snapshot loads and its tables belong together; every published snapshot loads."""
    snap = load_snapshot(store)
    assert snap is not None, "no current snapshot"
    counts = snap.manifest["counts"]
    assert snap.manifest["run_id"] == snap.run_id and snap.manifest["status"] == "ok"
    for table in TABLES:
        assert getattr(snap, table).height == counts[table], table
    papers = set(snap.papers["paper_id"])
    assert set(snap.claims["paper_id"]) <= papers
    assert set(snap.facts["paper_id"]) <= papers
    assert snap.quarantine["run_id"].eq(snap.run_id).all()
    quoted = snap.claims.join(snap.papers.select("paper_id", "abstract"), on="paper_id").select(
        (pl.col("abstract").str.slice(pl.col("start"), pl.col("end") - pl.col("start")) == pl.col("text")).all()
    )
    assert quoted.item() in (True, None)
    for run_id in list_snapshots(store):  # a published snapshot is always complete
        assert load_snapshot(store, run_id) is not None
    read_runs(store)  # a torn last line of the run log is tolerated
    return snap.run_id


def test_etl_killed_at_random_points_always_leaves_a_consistent_current_snapshot(tmp_path):
    store = tmp_path / "store"
    assert run_etl(store).returncode == 0
    started = time.monotonic()  # the second run is warm: a fair measure of how long a run takes
    second = run_etl(store)
    assert second.returncode == 0, second.stderr
    duration = time.monotonic() - started
    current = assert_consistent(store)
    rng = random.Random(os.environ.get("CLAIMBOARD_KILL_SEED", "6"))
    published = {current}
    killed = attempts = 0
    pace = 1.0  # a run that finished before its kill was faster than the warm one: aim earlier from then on
    while killed < ITERATIONS and attempts < 4 * ITERATIONS:
        # half the kills anywhere in the run, half near its end (the store stage)
        end = duration * pace
        delay = rng.uniform(0.05, end * 0.9) if attempts % 2 else rng.uniform(end * 0.55, end * 0.95)
        attempts += 1
        child = subprocess.Popen(etl_command(store, SEED), cwd=ROOT, env=ENV,
                                 stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)
        time.sleep(delay)
        if child.poll() is None:
            child.send_signal(signal.SIGKILL)
            killed += 1
        else:
            pace *= 0.85
        child.wait()
        now = assert_consistent(store)
        assert now in published or now == current_run_id(store)
        published.add(now)
        # no temporary directory is ever mistaken for a snapshot
        assert all(not name.startswith(".") for name in list_snapshots(store))
    print(f"{killed} of {attempts} ETL runs killed with SIGKILL; the store stayed consistent every time")
    assert killed == ITERATIONS, f"only {killed} of {attempts} runs were still running when killed"

    last = run_etl_after_a_crash(store)  # takes over the stale lock a killed run left behind
    assert last.returncode == 0, last.stderr
    final = assert_consistent(store)
    assert final not in published
    assert not lock_path(store).exists()
    assert not list(snapshots_dir(store).glob(".*.tmp")), "stray temporary snapshots are pruned"


def run_etl_after_a_crash(store: Path) -> subprocess.CompletedProcess:
    """A run killed between creating its lock file and writing its pid into it leaves an empty lock,
    which etl/lock.py honours as "being written" for EMPTY_LOCK_GRACE_SECONDS: then wait it out."""
    result = run_etl(store)
    if result.returncode == 3 and "still writing the lock file" in " ".join(result.stderr.split()):
        time.sleep(EMPTY_LOCK_GRACE_SECONDS + 0.5)
        result = run_etl(store)
    return result


def _limit_file_size(limit: int):
    def apply() -> None:  # in the child: writes past ``limit`` bytes fail with EFBIG, like a full disk
        resource.setrlimit(resource.RLIMIT_FSIZE, (limit, limit))
    return apply


def test_a_full_disk_fails_the_run_clearly_and_the_previous_snapshot_stays_current(tmp_path):
    store = tmp_path / "store"
    assert run_etl(store).returncode == 0
    before = assert_consistent(store)
    full = run_etl(store, SEED, sorted((ROOT / "data" / "seeds").glob("000_*.txt"))[0], preexec_fn=_limit_file_size(20_000))
    assert full.returncode != 0
    message = " ".join(full.stderr.split())
    assert "ETL failed: StoreError: cannot write snapshot" in message and "File too large" in message, message[-800:]
    assert "previous snapshot" in message
    assert assert_consistent(store) == before
    assert not list(snapshots_dir(store).glob(".*.tmp")), "the half-written snapshot is removed"
    assert not lock_path(store).exists()
    assert run_etl(store).returncode == 0  # and once there is space again, the next run works
    assert assert_consistent(store) != before


def test_an_unwritable_store_fails_clearly_and_serves_what_it_has(tmp_path):
    """As root chmod does not stop writes, so the snapshots directory is made a regular file."""
    store = tmp_path / "store"
    store.mkdir()
    snapshots_dir(store).write_text("not a directory")
    result = run_etl(store)
    assert result.returncode != 0
    message = " ".join(result.stderr.split())
    assert "ETL failed" in message and "cannot write snapshot" in message, message[-800:]
    assert current_run_id(store) is None
    assert read_runs(store)[-1]["status"] == "failed"


def test_the_dashboard_keeps_serving_the_current_snapshot_while_a_run_fails(tmp_path):
    from dashboard.data import SnapshotCache

    store = tmp_path / "store"
    assert run_etl(store).returncode == 0
    cache = SnapshotCache(store)
    board = cache.get()
    failed = run_etl(store, preexec_fn=_limit_file_size(20_000))
    assert failed.returncode != 0
    time.sleep(1.1)  # past the cache's pointer re-check interval
    again = cache.get()
    assert again is not None and again.run_id == board.run_id


@pytest.mark.skipif(not hasattr(signal, "SIGKILL"), reason="POSIX only")
def test_a_run_killed_while_holding_the_lock_does_not_block_the_next(tmp_path):
    store = tmp_path / "store"
    child = subprocess.Popen(etl_command(store, SEED), cwd=ROOT, env=ENV, stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)
    deadline = time.monotonic() + 30
    while time.monotonic() < deadline:  # kill once the lock names its holder (a live pid, soon a dead one)
        try:
            if lock_path(store).read_text():
                break
        except FileNotFoundError:
            pass
        time.sleep(0.01)
    child.send_signal(signal.SIGKILL)
    child.wait()
    assert lock_path(store).exists(), "the killed run left its lock"
    result = run_etl_after_a_crash(store)
    assert result.returncode == 0, result.stderr
    assert_consistent(store)


def test_write_snapshot_reports_a_polars_write_failure_as_a_store_error(tmp_path, monkeypatch):
    """A full disk surfaces from Polars as ComputeError, not OSError: still a StoreError, no temp dir left."""
    from etl.store import StoreError, write_snapshot

    def full_disk(self, *args, **kwargs):
        raise pl.exceptions.ComputeError("parquet: underlying IO error: No space left on device (os error 28)")

    monkeypatch.setattr(pl.DataFrame, "write_parquet", full_disk)
    frame = pl.DataFrame({"a": [1]})
    with pytest.raises(StoreError, match="cannot write snapshot r1 .*No space left on device"):
        write_snapshot(tmp_path, "r1", dict.fromkeys(TABLES, frame), {"run_id": "r1"})
    assert list(snapshots_dir(tmp_path).iterdir()) == []


def test_an_etl_started_while_another_run_holds_the_store_exits_nonzero_and_changes_nothing(tmp_path):
    """test_lock.py covers ``refresh``; the plain ``etl`` command refuses the same way."""
    from etl.store.lock import store_lock

    store = tmp_path / "store"
    assert run_etl(store).returncode == 0
    before = assert_consistent(store)
    with store_lock(store):
        refused = run_etl(store)
    assert refused.returncode == 3
    assert "not started" in refused.stderr and str(os.getpid()) in " ".join(refused.stderr.split())
    assert assert_consistent(store) == before
