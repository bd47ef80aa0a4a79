"""Issue 15 hardening of ingest: a source rewritten while it is read is read again or refused,
never published torn (#2); only regular files are read, so a FIFO or /dev/zero behind a .jsonl
name is refused by name at once and the run goes on (#8). Real files, real threads, no mocks."""

from __future__ import annotations

import hashlib
import json
import os
import subprocess
import sys
import threading
import time
from pathlib import Path

import pytest

from etl.ingest import ingest, read_source


def jsonl_papers(count: int, tag: str) -> bytes:
    """``count`` distinct usable papers (titles far apart, abstracts long enough)."""
    lines = []
    for n in range(count):
        words = hashlib.sha256(f"{tag}{n}".encode()).hexdigest()
        title = f"{words[:12]} {tag} {words[12:24]} scheduling {words[24:36]}"
        abstract = f"{words} " + "We present a system that improves serving throughput by 2.1x over the baseline. " * 3
        lines.append(json.dumps({"title": title, "abstract": abstract}) + "\n")
    return "".join(lines).encode()


# ---------------------------------------------------------------------------------------------
# 2. torn reads


def test_a_source_rewritten_in_place_during_the_read_is_refused_by_name(tmp_path: Path) -> None:
    """A writer rewrites the file in place (truncate + write, two versions of different length)
    for as long as ingest reads it: before the fix ingest returned a mixture of both, exit 0."""
    path = tmp_path / "papers.jsonl"
    versions = [jsonl_papers(6000, "a"), jsonl_papers(3000, "b")]
    path.write_bytes(versions[0])
    stop = threading.Event()

    def rewrite() -> None:
        deadline = time.monotonic() + 30  # stops itself whatever happens to the test
        turn = 1
        while not stop.is_set() and time.monotonic() < deadline:
            with open(path, "r+b") as fh:
                fh.truncate(0)
                fh.write(versions[turn % 2])
            turn += 1
            time.sleep(0.002)

    writer = threading.Thread(target=rewrite, daemon=True)
    writer.start()
    try:
        read = read_source(path, chunk_bytes=4096)
    finally:
        stop.set()
        writer.join(5)
    if read.error is None:  # only if the read saw one state whole: a version, or the instant after truncate
        assert (read.size, read.entries) in ((len(versions[0]), 6000), (len(versions[1]), 3000), (0, 0)), read
    else:
        assert read.error.startswith(f"{path}: ") and "changed while it was being read" in read.error
        assert read.entries == 0


def test_a_source_changed_once_is_read_again_and_the_second_read_is_whole(tmp_path: Path) -> None:
    """Deterministic: the file is appended to while the first pass reads it (the read callback
    writes to the real file); the retry reads the new version whole."""
    from etl.ingest.files import read_stable

    path = tmp_path / "papers.jsonl"
    path.write_bytes(b"one\n")
    calls = []

    def read_once(handle) -> bytes:
        data = handle.read()
        if not calls:
            with open(path, "ab") as fh:
                fh.write(b"two\n")
        calls.append(data)
        return data

    assert read_stable(path, read_once) == b"one\ntwo\n" and len(calls) == 2


def test_a_source_changing_on_every_read_fails_loudly_after_one_retry(tmp_path: Path) -> None:
    from etl.ingest.files import SourceChanged, read_stable

    path = tmp_path / "papers.jsonl"
    path.write_bytes(b"x\n")
    calls = []

    def read_once(handle) -> bytes:
        calls.append(1)
        data = handle.read()
        with open(path, "ab") as fh:
            fh.write(b"more\n")
        return data

    with pytest.raises(SourceChanged, match="changed while it was being read"):
        read_stable(path, read_once)
    assert len(calls) == 2


def test_ingest_reports_a_torn_source_and_keeps_the_others(tmp_path: Path) -> None:
    """The error goes through ingest's per-source errors; the other file is still ingested."""
    good = tmp_path / "good.jsonl"
    good.write_bytes(jsonl_papers(5, "g"))
    torn = tmp_path / "torn.jsonl"
    versions = [jsonl_papers(6000, "a"), jsonl_papers(3000, "b")]
    torn.write_bytes(versions[0])
    stop = threading.Event()

    def rewrite() -> None:
        deadline = time.monotonic() + 30
        turn = 1
        while not stop.is_set() and time.monotonic() < deadline:
            with open(torn, "r+b") as fh:
                fh.truncate(0)
                fh.write(versions[turn % 2])
            turn += 1
            time.sleep(0.002)

    writer = threading.Thread(target=rewrite, daemon=True)
    writer.start()
    try:
        result = ingest([good, torn], read_source=lambda p: read_source(p, chunk_bytes=4096))
    finally:
        stop.set()
        writer.join(5)
    inputs = {i["path"]: i["entries"] for i in result.inputs}
    assert inputs[str(good)] == 5
    if str(torn) in inputs:  # only if it was read whole
        assert inputs[str(torn)] in (6000, 3000, 0) and result.papers.height == 5 + inputs[str(torn)]
    else:
        assert [e for e in result.errors if e.startswith(f"{torn}: ") and "changed while it was being read" in e]
        assert result.papers.height == 5


# ---------------------------------------------------------------------------------------------
# 8. special files


def _ingest_in_a_child(paths: list[Path], limit: float = 20) -> subprocess.CompletedProcess:
    """ingest() in a child process, killed after ``limit`` seconds (before the fix it never ends)."""
    code = (
        "import sys, json; from pathlib import Path; from etl.ingest import ingest\n"
        "r = ingest([Path(p) for p in sys.argv[1:]])\n"
        "print(json.dumps({'errors': r.errors, 'papers': r.papers.height}))\n"
    )
    env = {**os.environ, "PYTHONPATH": str(Path(__file__).resolve().parents[1])}
    return subprocess.run(
        [sys.executable, "-c", code, *map(str, paths)], capture_output=True, text=True, timeout=limit, env=env
    )


@pytest.mark.parametrize("kind", ["fifo", "dev-zero"])
def test_only_regular_files_are_read_others_are_refused_by_name(tmp_path: Path, kind: str) -> None:
    good = tmp_path / "good.jsonl"
    good.write_bytes(jsonl_papers(3, "g"))
    special = tmp_path / "special.jsonl"
    if kind == "fifo":
        os.mkfifo(special)  # no writer: opening it blocks, reading it never ends
    else:
        special.symlink_to("/dev/zero")  # endless NUL bytes
    started = time.monotonic()
    done = _ingest_in_a_child([good, special])
    assert time.monotonic() - started < 20
    out = json.loads(done.stdout)
    assert out["papers"] == 3, out
    (error,) = [e for e in out["errors"] if str(special) in e]
    assert error.startswith(f"{special}: ") and "not a regular file" in error, error


def test_a_fifo_in_a_source_folder_is_refused_by_name_not_skipped_silently(tmp_path: Path) -> None:
    (tmp_path / "good.jsonl").write_bytes(jsonl_papers(2, "g"))
    os.mkfifo(tmp_path / "pipe.jsonl")
    out = json.loads(_ingest_in_a_child([tmp_path]).stdout)
    assert out["papers"] == 2
    assert [e for e in out["errors"] if "pipe.jsonl" in e and "not a regular file" in e], out
