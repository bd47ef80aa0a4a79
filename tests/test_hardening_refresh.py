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


# ---------------------------------------------------------------------------------------------
# 3. a refresh right after `etl` with no change publishes nothing


def test_a_refresh_right_after_etl_with_no_change_publishes_nothing(tmp_path: Path, capsys) -> None:
    corpus = tmp_path / "corpus"
    write_papers(corpus / "a.jsonl", range(4))
    write_papers(corpus / "b.jsonl", range(4, 6))
    store = tmp_path / "store"
    assert main(["etl", "--quiet", "--source", str(corpus), "--store", str(store)]) == 0
    published = current_run_id(store)
    capsys.readouterr()
    assert main(["refresh", "--quiet", "--source", str(corpus), "--store", str(store)]) == 0
    assert "nothing changed" in capsys.readouterr().out
    assert read_runs(store)[-1]["status"] == "unchanged"
    assert current_run_id(store) == published and list_snapshots(store) == [published]
    # the caches are primed too: one edited file is the only one parsed, one abstract re-extracted
    records = [json.loads(line) for line in (corpus / "b.jsonl").read_text().splitlines()]
    records[0]["abstract"] += " It also cuts cost by 20% compared to TGI."
    (corpus / "b.jsonl").write_text("".join(json.dumps(r) + "\n" for r in records))
    assert main(["refresh", "--quiet", "--source", str(corpus), "--store", str(store)]) == 0
    last = read_runs(store)[-1]
    assert last["status"] == "ok" and last["changes"] == {"new": 0, "changed": 1, "removed": 0}
    assert last["cache"]["abstracts_extracted"] == 1 and last["cache"]["abstracts_reused"] == 5
    assert last["cache"]["sources_parsed"] == [str(corpus / "b.jsonl")]


def test_etl_is_still_a_full_run_and_reports_unreadable_files_by_name(tmp_path: Path) -> None:
    corpus = tmp_path / "corpus"
    write_papers(corpus / "a.jsonl", range(4))
    store = tmp_path / "store"
    assert main(["etl", "--quiet", "--source", str(corpus), "--store", str(store)]) == 0
    assert main(["etl", "--quiet", "--source", str(corpus), "--store", str(store)]) == 0
    last = read_runs(store)[-1]
    assert last["status"] == "ok" and len(list_snapshots(store)) == 2  # etl always publishes
    assert last["cache"]["abstracts_extracted"] == 4 and last["cache"]["abstracts_reused"] == 0
    unreadable = write_papers(corpus / "locked.jsonl", range(4, 6))
    unreadable.chmod(0)
    if os.access(unreadable, os.R_OK):  # root reads it anyway
        return
    assert main(["etl", "--quiet", "--source", str(corpus), "--store", str(store)]) == 0
    assert [e for e in read_runs(store)[-1]["errors"] if "locked.jsonl" in e]
