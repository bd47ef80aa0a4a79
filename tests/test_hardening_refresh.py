"""Issue 15, refresh side: a FIFO or a device among the sources cannot hang the refresh's file
hashing (wiring of #8), and (#3) a refresh right after an `etl` with no change publishes nothing."""

from __future__ import annotations

import json
import os
import subprocess
import sys
import time
from pathlib import Path

import pytest
from test_hardening_publish import write_papers

from etl.cli import main
from etl.refresh.hashing import hash_inputs
from etl.store import current_run_id, list_snapshots, read_runs


def run_cli_in_a_child(args: list[str], limit: float = 60) -> subprocess.CompletedProcess:
    env = {**os.environ, "PYTHONPATH": os.pathsep.join(sys.path)}
    code = "import sys; from etl.cli import main; sys.exit(main(sys.argv[1:]))"
    return subprocess.run([sys.executable, "-c", code, *args], capture_output=True, text=True, timeout=limit, env=env)


@pytest.mark.parametrize("kind", ["fifo", "dev-zero"])
def test_hashing_refuses_special_files_without_blocking(tmp_path: Path, kind: str) -> None:
    special = tmp_path / "special.jsonl"
    if kind == "fifo":
        os.mkfifo(special)
    else:
        special.symlink_to("/dev/zero")
    good = write_papers(tmp_path / "good.jsonl", range(2))
    started = time.monotonic()
    # a blocking open would hang this test: bounded in a child process
    code = ("import json, sys; from pathlib import Path; from etl.refresh.hashing import hash_inputs; "
            "h = hash_inputs([Path(p) for p in sys.argv[1:]], {}, 0); print(json.dumps([h.sha256, h.unreadable]))")
    env = {**os.environ, "PYTHONPATH": os.pathsep.join(sys.path)}
    done = subprocess.run([sys.executable, "-c", code, str(good), str(special)], capture_output=True, text=True,
                          timeout=30, env=env)
    assert time.monotonic() - started < 30
    sha, unreadable = json.loads(done.stdout)
    assert len(sha[str(good)]) == 64 and sha[str(special)].startswith("refused: not a regular file")
    assert unreadable == {}
    assert hash_inputs([good], {}, 0).sha256[str(good)] == sha[str(good)]


def test_refresh_with_a_fifo_in_a_source_folder_publishes_the_rest_and_names_it(tmp_path: Path) -> None:
    corpus = tmp_path / "corpus"
    write_papers(corpus / "a.jsonl", range(4))
    os.mkfifo(corpus / "pipe.jsonl")
    store = tmp_path / "store"
    done = run_cli_in_a_child(["refresh", "--quiet", "--source", str(corpus), "--store", str(store)])
    assert done.returncode == 0, done.stderr
    (last,) = read_runs(store)
    assert last["status"] == "ok" and last["counts"]["papers"] == 4
    assert [e for e in last["errors"] if "pipe.jsonl" in e and "not a regular file" in e], last["errors"]
