"""The store lock: one writer at a time, refused with the holder named, stale locks taken over.

Holders are real processes: a child that holds the lock, and a child that has exited (dead pid).
"""

from __future__ import annotations

import json
import os
import socket
import subprocess
import sys
from collections.abc import Iterator
from dataclasses import asdict, replace
from pathlib import Path

import pytest

from etl.cli import main
from etl.store.lock import LockHeld, LockHolder, lock_path, process_start, store_lock

ROOT = Path(__file__).resolve().parent.parent
HOLD_LOCK = """
import sys, time
from etl.store.lock import store_lock
with store_lock(sys.argv[1]):
    print("held", flush=True)
    time.sleep(60)
"""


def python(*args: str, **kwargs) -> subprocess.Popen:
    env = os.environ | {"PYTHONPATH": str(ROOT)}
    return subprocess.Popen([sys.executable, *args], cwd=ROOT, env=env, **kwargs)


@pytest.fixture
def holder_process(tmp_path) -> Iterator[subprocess.Popen]:
    """A live process holding the lock of tmp_path/store."""
    child = python("-c", HOLD_LOCK, str(tmp_path / "store"), stdout=subprocess.PIPE, text=True)
    try:
        assert child.stdout.readline().strip() == "held"
        yield child
    finally:
        child.kill()
        child.wait()


def dead_pid() -> int:
    child = python("-c", "pass")
    child.wait()
    return child.pid


def write_lock(store: Path, holder: LockHolder) -> None:
    store.mkdir(parents=True, exist_ok=True)
    lock_path(store).write_text(json.dumps(asdict(holder)))


def holder(pid: int, **changes) -> LockHolder:
    base = LockHolder(pid=pid, hostname=socket.gethostname(), started="2026-11-23T06:00:00+00:00",
                      process_start=process_start(pid), token="feedfacefeedface")
    return replace(base, **changes)


def test_the_lock_names_its_holder_and_is_removed_on_exit(tmp_path):
    with store_lock(tmp_path / "store") as mine:
        written = json.loads(lock_path(tmp_path / "store").read_text())
        assert written["pid"] == os.getpid() and written["hostname"] == socket.gethostname()
        assert written["started"] and written["token"] == mine.token
    assert not lock_path(tmp_path / "store").exists()


def test_a_lock_held_by_a_live_process_is_refused_naming_the_holder(tmp_path, holder_process):
    with pytest.raises(LockHeld) as refused:
        with store_lock(tmp_path / "store"):
            pass
    assert f"pid {holder_process.pid} on {socket.gethostname()}" in str(refused.value)


def test_refresh_refuses_with_a_nonzero_exit_while_another_run_holds_the_store(tmp_path, holder_process, capsys):
    corpus = tmp_path / "papers.jsonl"
    corpus.write_text("")

    code = main(["refresh", "--store", str(tmp_path / "store"), "--source", str(corpus), "--quiet"])

    assert code == 3
    assert f"pid {holder_process.pid}" in capsys.readouterr().err
    assert not (tmp_path / "store" / "runs.jsonl").exists()


def test_a_stale_lock_of_a_dead_process_is_taken_over(tmp_path):
    store = tmp_path / "store"
    write_lock(store, holder(dead_pid(), process_start=None))

    with store_lock(store) as mine:
        assert json.loads(lock_path(store).read_text())["token"] == mine.token


def test_of_several_processes_breaking_one_stale_lock_exactly_one_gets_it(tmp_path):
    store = tmp_path / "store"
    write_lock(store, holder(dead_pid(), process_start=None))
    attempt = (
        "import sys, time\n"
        "from etl.store.lock import LockHeld, store_lock\n"
        "try:\n"
        "    with store_lock(sys.argv[1]):\n"
        "        print('got', flush=True)\n"
        "        time.sleep(1.5)\n"
        "except LockHeld:\n"
        "    print('refused', flush=True)\n"
    )
    children = [python("-c", attempt, str(store), stdout=subprocess.PIPE, text=True) for _ in range(4)]
    outcomes = sorted(child.communicate(timeout=30)[0].strip() for child in children)

    assert outcomes == ["got", "refused", "refused", "refused"]
    assert not lock_path(store).exists()


def test_a_lock_whose_pid_now_belongs_to_another_process_is_stale(tmp_path):
    """pids are reused: the holder's start time must match too."""
    store = tmp_path / "store"
    write_lock(store, holder(os.getpid(), process_start="1"))

    with store_lock(store) as mine:
        assert mine.pid == os.getpid()


def test_a_lock_from_another_host_is_refused_since_it_cannot_be_checked(tmp_path):
    store = tmp_path / "store"
    write_lock(store, holder(dead_pid(), hostname="elsewhere.example.org"))

    with pytest.raises(LockHeld, match="another host"):
        with store_lock(store):
            pass


def test_an_empty_lock_is_someone_creating_it_until_it_is_old(tmp_path):
    store = tmp_path / "store"
    store.mkdir()
    lock_path(store).write_text("")
    with pytest.raises(LockHeld, match="still writing"):
        with store_lock(store):
            pass
    os.utime(lock_path(store), (0, 0))
    with store_lock(store):
        pass


def test_release_leaves_a_lock_that_is_no_longer_ours(tmp_path):
    store = tmp_path / "store"
    with store_lock(store):
        write_lock(store, holder(os.getpid()))  # as if taken over after we were judged dead
    assert lock_path(store).exists()
