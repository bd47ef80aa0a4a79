"""Issue 15 #9: after `kill -9` of an ETL, its extraction workers (spawned processes of
etl/extract/batch.py) stayed blocked forever on a pipe. They must die with their parent."""

from __future__ import annotations

import os
import signal
import subprocess
import sys
import time
from pathlib import Path

import pytest

from bench.corpus import write_corpus
from etl.extract.batch import PARALLEL_MIN_ROWS

pytestmark = pytest.mark.skipif(not Path("/proc/self/stat").exists(), reason="reads /proc")


def children(pid: int) -> list[int]:
    found = []
    for entry in Path("/proc").iterdir():
        if not entry.name.isdigit():
            continue
        try:
            stat = (entry / "stat").read_text()
        except OSError:
            continue
        fields = stat[stat.rindex(")") + 2:].split()
        if int(fields[1]) == pid:
            found.append(int(entry.name))
    return found


def alive(pid: int) -> bool:
    """Running or sleeping; a zombie (dead, not reaped by a container's init) counts as gone."""
    try:
        stat = Path(f"/proc/{pid}/stat").read_text()
    except OSError:
        return False
    return stat[stat.rindex(")") + 2] not in "ZX"


def cmdline(pid: int) -> str:
    try:
        return Path(f"/proc/{pid}/cmdline").read_bytes().replace(b"\0", b" ").decode(errors="replace")
    except OSError:
        return ""


def test_extraction_workers_die_with_a_killed_etl(tmp_path) -> None:
    write_corpus(int(PARALLEL_MIN_ROWS * 1.25), tmp_path / "corpus", seed=7)  # ~24k papers after merging
    env = {**os.environ, "CLAIMBOARD_EXTRACT_WORKERS": "2", "PYTHONPATH": os.pathsep.join(sys.path)}
    etl = subprocess.Popen(
        [sys.executable, "-c", "import sys; from etl.cli import main; sys.exit(main(sys.argv[1:]))",
         "etl", "--quiet", "--source", str(tmp_path / "corpus"), "--store", str(tmp_path / "store")],
        env=env, stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL,
    )
    workers: list[int] = []
    try:
        deadline = time.monotonic() + 240
        while time.monotonic() < deadline and etl.poll() is None:
            workers = [pid for pid in children(etl.pid) if "spawn_main" in cmdline(pid)]
            if workers:
                break
            time.sleep(0.05)
        assert workers, "the ETL never started its extraction workers"
        time.sleep(1.0)  # let them take a slice and block on the pipe
        etl.send_signal(signal.SIGKILL)
        etl.wait(10)
        gone_by = time.monotonic() + 5
        while time.monotonic() < gone_by and any(alive(pid) for pid in workers):
            time.sleep(0.1)
        assert not [pid for pid in workers if alive(pid)], "extraction workers outlived their killed parent"
    finally:
        if etl.poll() is None:
            etl.kill()
            etl.wait(10)
        for pid in workers:  # never leave orphans behind, even when the test fails
            if alive(pid) and "spawn_main" in cmdline(pid):
                os.kill(pid, signal.SIGKILL)
