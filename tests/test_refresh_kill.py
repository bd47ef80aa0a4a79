"""A refresh killed with SIGKILL while it writes its snapshot leaves the store usable.

No test hook: the refresh runs in a real subprocess on a real seed page, and is killed as soon as
its snapshot's temporary directory appears (the tables are being written into it).
"""

from __future__ import annotations

import json
import os
import shutil
import signal
import subprocess
import sys
from pathlib import Path

import polars as pl

from etl.store.lock import lock_path
from etl.pipeline import BUNDLED_CORPUS
from etl.refresh import RefreshPlan, refresh
from etl.store import current_run_id, list_snapshots, load_snapshot, read_runs, snapshots_dir

ROOT = Path(__file__).resolve().parent.parent


def kill_while_writing(command: list[str], snapshots: Path) -> subprocess.Popen:
    """Start ``command``; SIGKILL it the moment a temporary snapshot directory exists."""
    env = os.environ | {"PYTHONPATH": str(ROOT)}
    child = subprocess.Popen(command, cwd=ROOT, env=env, stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)
    while child.poll() is None:
        if any(entry.name.endswith(".tmp") for entry in os.scandir(snapshots)):
            child.send_signal(signal.SIGKILL)
            break
    child.wait()
    return child


def assert_consistent(store: Path, run_id: str) -> None:
    snap = load_snapshot(store)
    assert snap.run_id == run_id
    assert snap.papers.height == snap.manifest["counts"]["papers"]
    assert snap.claims.height == snap.manifest["counts"]["claims"]
    cited = snap.claims.join(snap.papers.select("paper_id", "abstract"), on="paper_id", how="left")
    assert cited["abstract"].null_count() == 0
    quoted = pl.col("abstract").str.slice(pl.col("start"), pl.col("end") - pl.col("start"))
    assert cited.select(quoted == pl.col("text")).to_series().all()


def test_a_refresh_killed_mid_write_leaves_the_current_snapshot_and_the_next_run_takes_over(tmp_path):
    corpus = tmp_path / "corpus"
    corpus.mkdir()
    shutil.copy(next(BUNDLED_CORPUS.glob("001_*.txt")), corpus / "page.txt")
    store = tmp_path / "store"
    plan = RefreshPlan(store=store, sources=(corpus,))
    first = refresh(plan)
    shutil.copy(next(BUNDLED_CORPUS.glob("004_*.txt")), corpus / "another.txt")

    child = kill_while_writing(
        [sys.executable, "-m", "etl.cli", "refresh", "--store", str(store), "--source", str(corpus), "--quiet"],
        snapshots_dir(store),
    )

    assert child.returncode == -signal.SIGKILL, "the refresh finished before it could be killed mid-write"
    assert [p.name for p in snapshots_dir(store).glob(".*.tmp")], "killed before the snapshot write began"
    assert list_snapshots(store) == [first["run_id"]] == [current_run_id(store)]
    assert_consistent(store, first["run_id"])
    assert json.loads(lock_path(store).read_text())["pid"] == child.pid  # its lock is left behind

    after = refresh(plan)

    assert after["status"] == "ok" and current_run_id(store) == after["run_id"]
    assert after["counts"]["papers"] > first["counts"]["papers"]
    assert_consistent(store, after["run_id"])
    assert not list(snapshots_dir(store).glob(".*.tmp"))  # the half-written directory was cleared
    assert not lock_path(store).exists()
    assert [r["status"] for r in read_runs(store)] == ["ok", "ok"]  # the killed run left no record
